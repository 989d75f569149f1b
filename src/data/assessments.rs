//! `assessments.csv` → [`Assessments`]: each unit's assessment score (考核得分)
//! for a year, read by settle blocks as `assessment.score`. The unit is an
//! institution, or an alliance by its `alliance_id`. Like institutions, the
//! file is small, so any bad row fails the load, listed with its line.

use super::institutions::{all_or_nothing, open_small_csv};
use super::money::{parse_count, parse_decimal, trim};
use super::records::Record;
use super::{escape, row_error, shown, DataError, RowError};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Assessments {
    /// `(unit id, year)` → score.
    pub scores: HashMap<(String, i32), Decimal>,
}

impl Assessments {
    pub fn score(&self, unit: &str, year: i32) -> Option<Decimal> {
        self.scores.get(&(unit.to_string(), year)).copied()
    }
}

pub const COLUMNS: &[&str] = &["institution_id", "year", "score"];

pub fn load_assessments(path: &Path) -> Result<Assessments, (DataError, Vec<RowError>)> {
    load_assessments_from(&super::Input::file(path))
}

/// [`load_assessments`] from a file or bytes in memory.
pub fn load_assessments_from(
    input: &super::Input,
) -> Result<Assessments, (DataError, Vec<RowError>)> {
    let path = input.path();
    let mut file = open_small_csv(input, COLUMNS)?;
    let mut out = Assessments::default();
    let mut errors = Vec::new();
    // Where each score was read, to name it in a second one's reason.
    let mut read_at: HashMap<(String, i32), u64> = HashMap::new();
    let mut rec = Record::default();
    while file.next(&mut rec, &mut errors)? {
        match parse_row(&rec, &file.idx, file.width) {
            Ok((key, score)) => match read_at.get(&key) {
                Some(first) => {
                    let reason = format!(
                        "a second score for `{}` in {}: the first is on line {first}",
                        escape(&key.0),
                        key.1
                    );
                    errors.push(row_error(path, &rec, reason));
                }
                None => {
                    read_at.insert(key.clone(), rec.line);
                    out.scores.insert(key, score);
                }
            },
            Err(reason) => errors.push(row_error(path, &rec, reason)),
        }
    }
    file.finish().map_err(|e| (e, vec![]))?;
    all_or_nothing(path, out, errors, "assessment")
}

fn parse_row(
    rec: &Record,
    idx: &[usize],
    width: usize,
) -> Result<((String, i32), Decimal), String> {
    if rec.len() != width {
        return Err(format!("has {} fields, the header has {width}", rec.len()));
    }
    let field = |i: usize| rec.get(idx[i]).unwrap_or(b"");
    let id = std::str::from_utf8(trim(field(0)))
        .map_err(|_| format!("institution_id: {}", super::encoding_message(field(0))))?
        .to_string();
    if id.is_empty() {
        return Err("institution_id is empty".into());
    }
    let shown = |i: usize| shown(field(i));
    let year = parse_count(field(1))
        .ok()
        .and_then(|y| i32::try_from(y).ok())
        .filter(|y| (1900..=9999).contains(y))
        .ok_or_else(|| format!("year `{}` is not a year such as 2025", shown(1)))?;
    let score = parse_decimal(field(2)).map_err(|r| format!("score `{}`: {r}", shown(2)))?;
    if score < Decimal::ZERO || score > Decimal::ONE_HUNDRED {
        return Err(format!("score `{}` is outside 0–100", shown(2)));
    }
    Ok(((id, year), score))
}
