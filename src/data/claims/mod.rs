//! `claims.csv` → [`Claims`]: one compact, typed row per claim; every row
//! that cannot be settled becomes a [`RowError`], and so does every copy of
//! a claim_id that more than one row has.

use super::blocks::Blocks;
use super::institutions::parse_extra;
use super::money::{parse_count, parse_money, trim};
use super::records::{self, LineCount, Record};

mod order;
mod read;
mod spill;
use super::{header_index, shown, Arena, DataError, Extra, Input, Institutions};
use super::{RowError, TextRef};
use crate::date::Date;
use crate::ir::ExtraField;
use crate::schema::EnumKind;
use rust_decimal::Decimal;
pub use spill::{Budget, Spill};
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
    /// The amounts in whole fen (at most 16 digits before the point and 2
    /// after: far inside 64 bits); read them as decimals with
    /// [`Claim::total_cost`] and its siblings.
    pub total_cost_fen: i64,
    pub self_pay_cost_fen: i64,
    pub drug_cost_fen: i64,
    pub disease_code: TextRef,
    pub drg_code: TextRef,
    /// Line in the source file, for messages.
    pub line: u64,
}

impl Claim {
    /// total_cost, in yuan.
    pub fn total_cost(&self) -> Decimal {
        Decimal::new(self.total_cost_fen, 2)
    }

    /// self_pay_cost, in yuan.
    pub fn self_pay_cost(&self) -> Decimal {
        Decimal::new(self.self_pay_cost_fen, 2)
    }

    /// drug_cost, in yuan.
    pub fn drug_cost(&self) -> Decimal {
        Decimal::new(self.drug_cost_fen, 2)
    }
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
    load_claims_with(input, insts, extras, &Reading::default())
}

/// How a claims file is read: cut into blocks of whole lines of about
/// `block` bytes, parsed on `threads` threads and put back together in file
/// order. The claims and row errors are the same for any choice.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// Threads that parse blocks (0: one per core).
    pub threads: usize,
    /// About how many bytes a block holds.
    pub block: usize,
    /// About how many rows a bucket of the settlement sort holds (see
    /// `Claims::settlement_keys`).
    pub bucket: usize,
    /// Rows read before a spilled file's first partitions are cut, at
    /// their patient ids' quantiles (see [`Spill`]).
    pub sample: usize,
}

impl Default for Reading {
    fn default() -> Reading {
        Reading {
            threads: 0,
            block: 1 << 20,
            bucket: order::BUCKET,
            sample: spill::SAMPLE_ROWS,
        }
    }
}

/// What the columns of a claims file are, for parsing its blocks.
struct Layout<'a> {
    path: &'a Path,
    names: Vec<String>,
    idx: Vec<usize>,
    width: usize,
    insts: &'a Institutions,
    extras: &'a [ExtraField],
}

impl Layout<'_> {
    fn io(&self, source: std::io::Error) -> DataError {
        DataError::Io {
            path: self.path.to_path_buf(),
            source,
        }
    }
}

/// The rows of one block, numbered from its first line.
#[derive(Default)]
struct Segment {
    rows: Vec<Claim>,
    arena: Arena,
    patient_of: Vec<TextRef>,
    extras: Vec<Vec<Extra>>,
    errors: Vec<RowError>,
    /// The claim_id of each bad row as wide as the header (its columns can be
    /// trusted), by its index in `errors`: a duplicate of a good row's id
    /// rejects both.
    bad_ids: Vec<(usize, String)>,
    rows_read: u64,
    count: LineCount,
}

/// [`load_claims_from`], reading as `how` says.
pub fn load_claims_with(
    input: &Input,
    insts: &Institutions,
    extras: &[ExtraField],
    how: &Reading,
) -> Result<(Claims, Vec<RowError>), DataError> {
    let path = input.path();
    let (layout, mut claims, mut blocks) = open(input, insts, extras, how)?;
    let threads = crate::eval::threads_for(how.threads);
    let mut joined = order::Joined::default();
    read::parse_all(&mut blocks, &layout, threads, &mut |seg| {
        claims
            .join(seg, &mut joined)
            .map_err(|message| DataError::Format {
                path: path.to_path_buf(),
                message,
            })
    })?;
    let errors = claims.finish(input, joined, threads, how.bucket)?;
    Ok((claims, errors))
}

/// A claims file read: whole, or spilled to partitions when it would take
/// more memory than the budget.
#[derive(Debug)]
pub enum Loaded {
    Whole(Claims),
    Spilled(Spill),
}

impl Loaded {
    /// The rows read, the lines, header and encoding of the file (the
    /// claims themselves only when read whole).
    pub fn head(&self) -> &Claims {
        match self {
            Loaded::Whole(c) => c,
            Loaded::Spilled(s) => &s.head,
        }
    }
}

/// [`load_claims_with`] within a memory budget: a file that would take
/// more is spilled to partitions (see [`Spill`]), the same claims and row
/// errors either way.
pub fn load_claims_within(
    input: &Input,
    insts: &Institutions,
    extras: &[ExtraField],
    how: &Reading,
    budget: &Budget,
) -> Result<(Loaded, Vec<RowError>), DataError> {
    if !budget.spills(input.size().unwrap_or(0)) {
        let (claims, errors) = load_claims_with(input, insts, extras, how)?;
        return Ok((Loaded::Whole(claims), errors));
    }
    let (layout, claims, mut blocks) = open(input, insts, extras, how)?;
    let (spill, errors) = spill::spill(input, &layout, claims, &mut blocks, how, budget)?;
    Ok((Loaded::Spilled(spill), errors))
}

/// Opens a claims file: its layout, the claims without rows (header, lines
/// so far, encoding) and the blocks of its rows.
fn open<'a>(
    input: &'a Input,
    insts: &'a Institutions,
    extras: &'a [ExtraField],
    how: &Reading,
) -> Result<(Layout<'a>, Claims, Blocks), DataError> {
    let path = input.path();
    let (lines, header, decoded_from) = records::open(input)?;
    let mut wanted: Vec<&str> = COLUMNS.to_vec();
    wanted.extend(extras.iter().map(|e| e.name.as_str()));
    let (names, idx) = header_index(path, &header, &wanted)?;
    let layout = Layout {
        path,
        names,
        idx,
        width: header.len(),
        insts,
        extras,
    };
    let claims = Claims {
        decoded_from,
        extras: vec![Vec::new(); extras.len()],
        header: header.to_strings(),
        line_count: lines.count(),
        ..Claims::default()
    };
    let (rest, src, eof) = lines.into_rest();
    Ok((layout, claims, Blocks::new(rest, src, eof, how.block)))
}

/// The rows at the lines of `bad` (with the reason for each, in line
/// order), read again from any data file: for rows found bad after reading.
pub(crate) fn reread(input: &Input, bad: &[(u64, String)]) -> Result<Vec<RowError>, DataError> {
    order::reread_rows(input, bad)
}

/// Keeps the items of `v` whose mark is false.
fn retain_unmarked<T>(v: &mut Vec<T>, marked: &[bool]) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        !marked[k - 1]
    });
}

fn parse_row(
    rec: &Record,
    layout: &Layout,
    arena: &mut Arena,
    row_extras: &mut Vec<Extra>,
) -> Result<(Claim, TextRef), String> {
    let (idx, width, insts, extras) = (&layout.idx, layout.width, layout.insts, layout.extras);
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| trim(rec.get(idx[i]).unwrap_or(b""));
    let shown = |i: usize| shown(field(i));
    let text = |i: usize| -> Result<&str, String> {
        std::str::from_utf8(field(i))
            .map_err(|_| format!("{}: {}", COLUMNS[i], super::encoding_message(field(i))))
    };
    let en = |i: usize, kind: EnumKind| super::coded(kind, COLUMNS[i], field(i));
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
    let retired = crate::schema::bool_of_data(field(3))
        .ok_or_else(|| format!("retired `{}` is not `true` or `false` (是 or 否)", shown(3)))?;
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
            arena,
        )?);
    }

    // parse_money reads at most 16 digits and 2 decimals: always whole fen in 64 bits.
    let fen = |d: Decimal| {
        crate::data::money::to_fen(d).ok_or_else(|| format!("{d} is not a whole number of fen"))
    };
    let patient = arena.push(patient)?;
    let claim = Claim {
        id: arena.push(id)?,
        // Numbered once all rows are read, in id order.
        patient: 0,
        institution,
        insured_type,
        visit_type,
        retired,
        age,
        admit,
        discharge,
        total_cost_fen: fen(total_cost)?,
        self_pay_cost_fen: fen(self_pay_cost)?,
        drug_cost_fen: fen(drug_cost)?,
        disease_code: arena.push(disease)?,
        drg_code: arena.push(drg)?,
        line: rec.line,
    };
    Ok((claim, patient))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::data::load_institutions;

    /// A claim is 80 bytes: amounts in 64-bit fen (16-byte decimals made it
    /// 104), text in the arena. Ten million claims are 800 MB of rows.
    #[test]
    fn a_claim_is_compact() {
        assert_eq!(std::mem::size_of::<Claim>(), 80);
    }

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
}
