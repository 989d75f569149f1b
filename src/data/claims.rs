//! `claims.csv` → [`Claims`]: one compact, typed row per claim; every row
//! that cannot be settled becomes a [`RowError`], and so does every copy of
//! a claim_id that more than one row has.

use super::institutions::parse_extra;
use super::money::{parse_count, parse_money, trim};
use super::records::{self, LineCount, Lines, Next, Record};
use super::{header_index, row_error, shown, Arena, DataError, Extra, Input, Institutions};
use super::{RowError, TextRef};
use crate::date::Date;
use crate::ir::ExtraField;
use crate::schema::EnumKind;
use rust_decimal::Decimal;
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
    /// Rows read from the file (data rows, header excluded), good and bad.
    pub rows_read: u64,
    /// The file's physical lines: the header, the rows read, blank lines.
    pub line_count: LineCount,
    /// The file's header, for the reject file.
    pub header: Vec<String>,
    /// The encoding the file was decoded from, when it was not UTF-8.
    pub decoded_from: Option<&'static str>,
}

impl Claims {
    pub fn text(&self, r: TextRef) -> &str {
        self.arena.get(r)
    }

    /// Takes out the rows `outside` picks (claims discharged outside a
    /// run's months), with their extra columns; returns how many.
    pub fn set_aside(&mut self, outside: impl Fn(&Claim) -> bool) -> usize {
        let marked: Vec<bool> = self.rows.iter().map(outside).collect();
        let n = marked.iter().filter(|m| **m).count();
        if n > 0 {
            retain_unmarked(&mut self.rows, &marked);
            for col in self.extras.iter_mut() {
                retain_unmarked(col, &marked);
            }
        }
        n
    }
}

/// The contract's columns, in the contract's order.
pub const COLUMNS: &[&str] = &[
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
    load_claims_from(&Input::file(path), insts, extras)
}

/// [`load_claims`] from any [`Input`]: a file, or bytes in memory.
pub fn load_claims_from(
    input: &Input,
    insts: &Institutions,
    extras: &[ExtraField],
) -> Result<(Claims, Vec<RowError>), DataError> {
    let path = input.path();
    let (mut lines, header, decoded_from) = records::open(input)?;
    let mut wanted: Vec<&str> = COLUMNS.to_vec();
    wanted.extend(extras.iter().map(|e| e.name.as_str()));
    let (names, idx) = header_index(path, &header, &wanted)?;

    let mut claims = Claims {
        decoded_from,
        extras: vec![Vec::new(); extras.len()],
        header: header.to_strings(),
        ..Claims::default()
    };
    // Patients are grouped, and duplicate ids found, by sorting once all rows are
    // read: sorting walks memory in order, where a hash map of millions of ids
    // misses the cache on nearly every row.
    let mut patient_of: Vec<TextRef> = Vec::new();
    let mut errors = Vec::new();
    // The claim_id of each bad row as wide as the header (its columns can be
    // trusted), with its error: a duplicate of a good row's id rejects both.
    let mut bad_ids: Vec<(usize, String)> = Vec::new();
    let mut rec = Record::default();
    let mut row_extras = Vec::with_capacity(extras.len());
    loop {
        let next = lines.next(&mut rec).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        match next {
            Next::End => break,
            Next::Bad(e) => {
                claims.rows_read += 1;
                errors.push(row_error(path, &rec, e.reason(&names)));
                continue;
            }
            Next::Record => claims.rows_read += 1,
        }
        row_extras.clear();
        match parse_row(
            &rec,
            &idx,
            header.len(),
            insts,
            extras,
            &mut claims,
            &mut row_extras,
        ) {
            Ok((claim, patient)) => {
                for (col, v) in claims.extras.iter_mut().zip(row_extras.drain(..)) {
                    col.push(v);
                }
                claims.rows.push(claim);
                patient_of.push(patient);
            }
            Err(reason) => {
                let id = rec
                    .get(idx[0])
                    .map(trim)
                    .filter(|_| rec.len() == header.len());
                if let Some(Ok(id)) = id.filter(|id| !id.is_empty()).map(std::str::from_utf8) {
                    bad_ids.push((errors.len(), id.to_string()));
                }
                errors.push(row_error(path, &rec, reason));
            }
        }
    }
    claims.line_count = lines.count();
    claims.line_count.check(path, claims.rows_read)?;
    claims.reject_duplicates(input, &mut patient_of, &mut errors, &bad_ids)?;
    claims.put_in_settlement_order(&patient_of);
    Ok((claims, errors))
}

/// The first 16 bytes of a text, zero-padded, as a number that sorts as the bytes do.
fn prefix16(s: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

impl Claims {
    /// Rejects every copy of a claim_id that more than one row has, good
    /// rows and bad ones alike (see [`super::duplicates`]): good copies leave
    /// the rows for `errors`, with their fields read again from the file;
    /// bad copies' reasons say it too. `bad_ids` are bad rows' claim_ids, by
    /// their index in `errors`.
    fn reject_duplicates(
        &mut self,
        input: &Input,
        patient_of: &mut Vec<TextRef>,
        errors: &mut Vec<RowError>,
        bad_ids: &[(usize, String)],
    ) -> Result<(), DataError> {
        let n = self.rows.len();
        let dups = super::duplicates::find(
            n + bad_ids.len(),
            |i| match self.rows.get(i) {
                Some(c) => self.text(c.id),
                None => bad_ids.get(i - n).map_or("", |b| b.1.as_str()),
            },
            |i| match self.rows.get(i) {
                Some(c) => c.line,
                None => bad_ids
                    .get(i - n)
                    .and_then(|b| errors.get(b.0))
                    .map_or(0, |e| e.line),
            },
            "claim_id",
        );
        if dups.is_empty() {
            return Ok(());
        }
        let mut marked = vec![false; n];
        let mut again = Vec::new();
        for (i, reason) in dups {
            match self.rows.get(i) {
                Some(c) => {
                    marked[i] = true;
                    again.push((c.line, reason));
                }
                None => {
                    if let Some(e) = bad_ids.get(i - n).and_then(|b| errors.get_mut(b.0)) {
                        e.reason = format!("{}; {reason}", e.reason);
                    }
                }
            }
        }
        retain_unmarked(&mut self.rows, &marked);
        for col in self.extras.iter_mut() {
            retain_unmarked(col, &marked);
        }
        retain_unmarked(patient_of, &marked);
        if !again.is_empty() {
            errors.extend(reread_rows(input, &again)?);
            errors.sort_by_key(|e| e.line);
        }
        Ok(())
    }

    /// Sorts the rows (and their extra columns) into settlement order and
    /// numbers the patients in id order; `patient_of[i]` is row `i`'s patient id.
    fn put_in_settlement_order(&mut self, patient_of: &[TextRef]) {
        // Sort by (first 16 bytes of the patient id, discharge day), then put
        // right the runs the packed key cannot decide: patient ids of 16 bytes
        // or more, or one patient's claims on one day (by claim id).
        let mut keyed: Vec<(u128, u32, u32)> = self
            .rows
            .iter()
            .zip(patient_of)
            .enumerate()
            .map(|(i, (c, &p))| {
                let day = (i64::from(c.discharge.0) - i64::from(i32::MIN)) as u32;
                (prefix16(self.text(p)), day, i as u32)
            })
            .collect();
        keyed.sort_unstable();
        let full = |&(_, _, a): &(u128, u32, u32), &(_, _, b): &(u128, u32, u32)| {
            let (x, y) = (&self.rows[a as usize], &self.rows[b as usize]);
            self.text(patient_of[a as usize])
                .as_bytes()
                .cmp(self.text(patient_of[b as usize]).as_bytes())
                .then(x.discharge.cmp(&y.discharge))
                .then_with(|| self.text(x.id).as_bytes().cmp(self.text(y.id).as_bytes()))
        };
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            // Equal prefixes but unequal ids: longer than 16 bytes, or ending in NULs.
            let len = |k: usize| self.text(patient_of[keyed[k].2 as usize]).len();
            let first = len(start);
            let mut undecided = first >= 16;
            while end < keyed.len() && keyed[end].0 == keyed[start].0 {
                undecided |= len(end) != first || keyed[end].1 == keyed[end - 1].1;
                end += 1;
            }
            if undecided {
                keyed[start..end].sort_unstable_by(full);
            }
            start = end;
        }
        // Patients in id order: a new one wherever the id changes. Equal packed
        // keys mean equal ids except in the runs sorted in full above, so the
        // texts are read only there and for each new patient.
        self.patients.clear();
        let mut patient_at: Vec<u32> = Vec::with_capacity(keyed.len());
        for (k, &(prefix, _, i)) in keyed.iter().enumerate() {
            let new = match k.checked_sub(1).map(|j| keyed[j]) {
                None => true,
                Some((q, _, j)) if q == prefix => {
                    let (a, b) = (patient_of[i as usize], patient_of[j as usize]);
                    (a.len != b.len || a.len >= 16) && self.text(a) != self.text(b)
                }
                Some(_) => true,
            };
            if new {
                self.patients.push(patient_of[i as usize]);
            }
            patient_at.push((self.patients.len() - 1) as u32);
        }
        let order: Vec<u32> = keyed.iter().map(|k| k.2).collect();
        drop(keyed);
        permute(&mut self.rows, &order);
        for col in &mut self.extras {
            permute(col, &order);
        }
        for (c, p) in self.rows.iter_mut().zip(patient_at) {
            c.patient = p;
        }
    }
}

/// The rows at the lines of `bad` (with the reason for each, in line order),
/// read again from the file: only for rows found bad after reading, which are rare.
fn reread_rows(input: &Input, bad: &[(u64, String)]) -> Result<Vec<RowError>, DataError> {
    let path = input.path();
    let (mut lines, _, _): (Lines, _, _) = records::open(input)?;
    let mut rec = Record::default();
    let mut out = Vec::with_capacity(bad.len());
    let mut next = bad.iter().peekable();
    while let Some((line, reason)) = next.peek() {
        let read = lines.next(&mut rec).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if read == Next::End {
            break;
        }
        if rec.line == *line {
            out.push(row_error(path, &rec, reason.clone()));
            next.next();
        }
    }
    Ok(out)
}

/// Keeps the items of `v` whose mark is false.
fn retain_unmarked<T>(v: &mut Vec<T>, marked: &[bool]) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        !marked[k - 1]
    });
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

fn parse_row(
    rec: &Record,
    idx: &[usize],
    width: usize,
    insts: &Institutions,
    extras: &[ExtraField],
    claims: &mut Claims,
    row_extras: &mut Vec<Extra>,
) -> Result<(Claim, TextRef), String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| trim(rec.get(idx[i]).unwrap_or(b""));
    let shown = |i: usize| shown(field(i));
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

    let patient = claims.arena.push(patient)?;
    let claim = Claim {
        id: claims.arena.push(id)?,
        // Numbered once all rows are read, in id order.
        patient: 0,
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
        line: rec.line,
    };
    Ok((claim, patient))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::data::load_institutions;

    /// Loads claims given as (claim_id, patient_id, discharge_date) rows.
    fn load(name: &str, rows: &[(&str, &str, &str)]) -> (Claims, Vec<RowError>) {
        let dir = std::env::temp_dir().join(format!("yibao-claims-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let insts = dir.join("institutions.csv");
        std::fs::write(&insts, "institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled\nH1,A,1,A,,100.00,10.00,5\n").unwrap();
        let mut csv = String::from("claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n");
        for (id, p, d) in rows {
            csv.push_str(&format!(
                "{id},{p},resident,false,40,H1,outpatient_general,{d},{d},10.00,0.00,0.00,J06,\n"
            ));
        }
        let claims = dir.join("claims.csv");
        std::fs::write(&claims, csv).unwrap();
        let insts = load_institutions(&insts, &[]).unwrap();
        let out = load_claims(&claims, &insts, &[]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    #[test]
    fn settlement_order_with_long_ids_equal_prefixes_and_same_day_claims() {
        // Two 18-digit ids sharing their first 16 bytes, an id that is a prefix
        // of another, and one patient's two claims on one day (C-10 < C-9 as bytes).
        let (c, errors) = load(
            "order",
            &[
                ("C-1", "5101021990010112X9", "2025-03-01"),
                ("C-2", "510102199001011234", "2025-01-05"),
                ("C-3", "P1", "2025-02-01"),
                ("C-9", "P1", "2025-01-01"),
                ("C-4", "5101021990010112X9", "2025-01-02"),
                ("C-10", "P1", "2025-01-01"),
                ("C-5", "P10", "2025-01-01"),
                ("C-6", "510102199001011234", "2025-01-01"),
            ],
        );
        assert!(errors.is_empty());
        let got: Vec<(&str, &str)> = c
            .rows
            .iter()
            .map(|r| (c.text(r.id), c.text(c.patients[r.patient as usize])))
            .collect();
        assert_eq!(
            got,
            [
                ("C-6", "510102199001011234"),
                ("C-2", "510102199001011234"),
                ("C-4", "5101021990010112X9"),
                ("C-1", "5101021990010112X9"),
                ("C-10", "P1"),
                ("C-9", "P1"),
                ("C-3", "P1"),
                ("C-5", "P10"),
            ]
        );
        let patients: Vec<&str> = c.patients.iter().map(|&p| c.text(p)).collect();
        assert_eq!(
            patients,
            ["510102199001011234", "5101021990010112X9", "P1", "P10"]
        );
    }

    #[test]
    fn every_copy_of_a_duplicate_is_rejected_naming_the_others() {
        let (c, errors) = load(
            "dups",
            &[
                ("A", "P1", "2025-01-01"),
                ("B", "P2", "2025-01-02"),
                ("A", "P3", "2025-01-03"),
                ("A", "P1", "2025-01-04"),
                // Bad for its date too: still a copy of C.
                ("C", "P4", "2025-02-30"),
                ("C", "P5", "2025-01-05"),
            ],
        );
        let kept: Vec<&str> = c.rows.iter().map(|r| c.text(r.id)).collect();
        assert_eq!(kept, ["B"]);
        let lines: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            lines,
            [
                (2, "duplicate claim_id `A`: also on lines 4 and 5"),
                (4, "duplicate claim_id `A`: also on lines 2 and 5"),
                (5, "duplicate claim_id `A`: also on lines 2 and 4"),
                (
                    6,
                    "admit_date `2025-02-30` is not a date (YYYY-MM-DD); duplicate claim_id `C`: also on line 7"
                ),
                (7, "duplicate claim_id `C`: also on line 6"),
            ]
        );
        assert_eq!(errors[1].raw[1], "P3");
        assert_eq!(c.rows_read, 6);
        assert_eq!(c.line_count.lines, 7);
    }

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
