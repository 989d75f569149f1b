//! `claims.csv` → [`Claims`]: one compact, typed row per claim; every row
//! that cannot be settled becomes a [`RowError`].

use super::institutions::{csv_error, parse_extra, row_error};
use super::money::{parse_count, parse_money, trim};
use super::{header_index, Arena, DataError, Extra, Institutions, RowError, TextRef};
use crate::date::Date;
use crate::ir::ExtraField;
use crate::schema::EnumKind;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::path::Path;

/// One claim, typed. Text lives in the [`Claims`] arena.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: TextRef,
    /// Index into [`Claims::patients`].
    pub patient: u32,
    /// Index into [`Institutions::rows`].
    pub institution: u32,
    pub insured_type: u8,
    pub visit_type: u8,
    pub retired: bool,
    pub age: u32,
    pub admit: Date,
    pub discharge: Date,
    pub total_cost: Decimal,
    pub self_pay_cost: Decimal,
    pub drug_cost: Decimal,
    pub disease_code: TextRef,
    pub drg_code: TextRef,
    /// Line in the source file, for messages.
    pub line: u64,
}

/// The good rows of a claims file, in settlement order: by patient id
/// (bytes), then discharge date, then claim id (bytes), as the data contract
/// says claims are settled. Keeping them in that order means every later
/// pass reads them front to back.
#[derive(Debug, Default)]
pub struct Claims {
    pub rows: Vec<Claim>,
    pub arena: Arena,
    /// Patient ids, by the index claims hold.
    pub patients: Vec<TextRef>,
    /// Values of policy-declared extra columns: `extras[column][claim]`.
    pub extras: Vec<Vec<Extra>>,
    /// Rows read from the file (data rows, header excluded).
    pub rows_read: u64,
    /// The file's header, for the reject file.
    pub header: Vec<String>,
}

impl Claims {
    pub fn text(&self, r: TextRef) -> &str {
        self.arena.get(r)
    }
}

const COLUMNS: &[&str] = &[
    "claim_id",
    "patient_id",
    "insured_type",
    "retired",
    "age",
    "institution_id",
    "visit_type",
    "admit_date",
    "discharge_date",
    "total_cost",
    "self_pay_cost",
    "drug_cost",
    "disease_code",
    "drg_code",
];

/// Reads every row; good rows become claims, bad rows row errors, so that
/// `rows_read == rows.len() + errors.len()`.
pub fn load_claims(
    path: &Path,
    insts: &Institutions,
    extras: &[ExtraField],
) -> Result<(Claims, Vec<RowError>), DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let header = rdr.byte_headers().map_err(|e| csv_error(path, e))?.clone();
    let mut wanted: Vec<&str> = COLUMNS.to_vec();
    wanted.extend(extras.iter().map(|e| e.name.as_str()));
    let idx = header_index(path, &header, &wanted)?;

    let mut claims = Claims {
        extras: vec![Vec::new(); extras.len()],
        header: header
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect(),
        ..Claims::default()
    };
    let mut patient_index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    // Duplicate ids without a String per claim: hash → first claim with it.
    let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
    let mut collided: FxHashSet<String> = FxHashSet::default();
    let mut errors = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let mut row_extras = Vec::with_capacity(extras.len());
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // An unreadable row (e.g. an unterminated quote): report and go on.
                claims.rows_read += 1;
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    file: path.to_path_buf(),
                    line,
                    reason: e.to_string(),
                    raw: vec![],
                });
                continue;
            }
        }
        claims.rows_read += 1;
        let line = rec.position().map_or(0, |p| p.line());
        row_extras.clear();
        match parse_row(
            &rec,
            &idx,
            header.len(),
            insts,
            extras,
            &mut claims,
            &mut patient_index,
            &mut row_extras,
            line,
        ) {
            Ok(claim) => {
                let id = claims.text(claim.id);
                let mut h = FxHasher::default();
                id.hash(&mut h);
                let dup = match seen.entry(h.finish()) {
                    Entry::Vacant(v) => {
                        v.insert(claims.rows.len() as u32);
                        false
                    }
                    Entry::Occupied(o) => {
                        let first = &claims.rows[*o.get() as usize];
                        if claims.text(first.id) == id {
                            true
                        } else {
                            !collided.insert(id.to_string())
                        }
                    }
                };
                if dup {
                    let id = claims.text(claim.id).to_string();
                    errors.push(row_error(
                        path,
                        line,
                        &rec,
                        format!("duplicate claim_id `{id}`"),
                    ));
                    continue;
                }
                for (col, v) in claims.extras.iter_mut().zip(row_extras.drain(..)) {
                    col.push(v);
                }
                claims.rows.push(claim);
            }
            Err(reason) => errors.push(row_error(path, line, &rec, reason)),
        }
    }
    claims.put_in_settlement_order();
    Ok((claims, errors))
}

impl Claims {
    /// Sorts the rows (and their extra columns) into settlement order.
    pub fn put_in_settlement_order(&mut self) {
        let order = self.settlement_order();
        permute(&mut self.rows, &order);
        for col in &mut self.extras {
            permute(col, &order);
        }
    }

    /// The order claims are settled in: patient, discharge date, claim id (bytes).
    fn settlement_order(&self) -> Vec<u32> {
        let mut by_id: Vec<u32> = (0..self.patients.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| {
            self.text(self.patients[a as usize])
                .cmp(self.text(self.patients[b as usize]))
        });
        let mut rank = vec![0u32; by_id.len()];
        for (r, &p) in by_id.iter().enumerate() {
            rank[p as usize] = r as u32;
        }
        // Sort by a packed (patient rank, discharge day) key, then order each run of equal
        // keys (a patient's claims on one day, rare) by claim id bytes.
        let mut keyed: Vec<(u64, u32)> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let day = (i64::from(c.discharge.0) - i64::from(i32::MIN)) as u64;
                ((u64::from(rank[c.patient as usize]) << 32) | day, i as u32)
            })
            .collect();
        keyed.sort_unstable();
        let mut order: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            while end < keyed.len() && keyed[end].0 == keyed[start].0 {
                end += 1;
            }
            if end - start > 1 {
                order[start..end].sort_unstable_by(|&a, &b| {
                    let id = |i: u32| self.text(self.rows[i as usize].id).as_bytes();
                    id(a).cmp(id(b))
                });
            }
            start = end;
        }
        order
    }
}

/// Rearranges `v` in place so that `v[k]` becomes the old `v[order[k]]`
/// (`order` a permutation), following cycles: no second copy of the rows.
fn permute<T>(v: &mut [T], order: &[u32]) {
    let mut done = vec![false; v.len()];
    for i in 0..v.len() {
        if done[i] {
            continue;
        }
        let mut cur = i;
        loop {
            done[cur] = true;
            let next = order[cur] as usize;
            if next == i {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_row(
    rec: &csv::ByteRecord,
    idx: &[usize],
    width: usize,
    insts: &Institutions,
    extras: &[ExtraField],
    claims: &mut Claims,
    patient_index: &mut FxHashMap<Box<str>, u32>,
    row_extras: &mut Vec<Extra>,
    line: u64,
) -> Result<Claim, String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| trim(rec.get(idx[i]).unwrap_or(b""));
    let shown = |i: usize| String::from_utf8_lossy(field(i)).into_owned();
    let text = |i: usize| -> Result<&str, String> {
        std::str::from_utf8(field(i))
            .map_err(|_| format!("{}: {}", COLUMNS[i], super::encoding_message(field(i))))
    };
    let en = |i: usize, kind: EnumKind| {
        kind.code_of_data(field(i)).ok_or_else(|| {
            format!(
                "unknown {} `{}` (expected {})",
                COLUMNS[i],
                shown(i),
                kind.describe()
            )
        })
    };
    let money =
        |i: usize| parse_money(field(i)).map_err(|r| format!("{} `{}`: {r}", COLUMNS[i], shown(i)));
    let date = |i: usize| {
        Date::parse(field(i))
            .ok_or_else(|| format!("{} `{}` is not a date (YYYY-MM-DD)", COLUMNS[i], shown(i)))
    };

    let id = text(0)?;
    if id.is_empty() {
        return Err("claim_id is empty".into());
    }
    let patient = text(1)?;
    if patient.is_empty() {
        return Err("patient_id is empty".into());
    }
    let insured_type = en(2, EnumKind::InsuredType)?;
    let retired = match field(3) {
        b"true" => true,
        b"false" => false,
        _ => return Err(format!("retired `{}` is not `true` or `false`", shown(3))),
    };
    let age = parse_count(field(4)).map_err(|r| format!("age `{}`: {r}", shown(4)))?;
    let institution = insts.index_of(field(5)).ok_or_else(|| {
        format!(
            "institution_id `{}` is not in the institutions file",
            shown(5)
        )
    })?;
    let visit_type = en(6, EnumKind::VisitType)?;
    let admit = date(7)?;
    let discharge = date(8)?;
    if discharge < admit {
        return Err(format!(
            "discharge_date {discharge} is before admit_date {admit}"
        ));
    }
    let total_cost = money(9)?;
    let self_pay_cost = money(10)?;
    let drug_cost = money(11)?;
    if self_pay_cost > total_cost {
        return Err(format!(
            "self_pay_cost {self_pay_cost} is above total_cost {total_cost}"
        ));
    }
    if drug_cost > total_cost {
        return Err(format!(
            "drug_cost {drug_cost} is above total_cost {total_cost}"
        ));
    }
    let disease = text(12)?;
    let drg = text(13)?;
    for (k, e) in extras.iter().enumerate() {
        row_extras.push(parse_extra(
            rec.get(idx[COLUMNS.len() + k]).unwrap_or(b""),
            e,
            &mut claims.arena,
        )?);
    }

    let patient = match patient_index.get(patient) {
        Some(&p) => p,
        None => {
            let p = u32::try_from(claims.patients.len())
                .map_err(|_| "too many patients".to_string())?;
            let r = claims.arena.push(patient)?;
            claims.patients.push(r);
            patient_index.insert(patient.into(), p);
            p
        }
    };
    Ok(Claim {
        id: claims.arena.push(id)?,
        patient,
        institution,
        insured_type,
        visit_type,
        retired,
        age,
        admit,
        discharge,
        total_cost,
        self_pay_cost,
        drug_cost,
        disease_code: claims.arena.push(disease)?,
        drg_code: claims.arena.push(drg)?,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_follows_every_cycle() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        // Cycles (0 3 5)(1 2) and the fixed point 4.
        let order = [3, 2, 1, 5, 4, 0];
        permute(&mut v, &order);
        let expected: Vec<char> = order
            .iter()
            .map(|&i| ['a', 'b', 'c', 'd', 'e', 'f'][i as usize])
            .collect();
        assert_eq!(v, expected);
        assert_eq!(v, vec!['d', 'c', 'b', 'f', 'e', 'a']);
    }
}
