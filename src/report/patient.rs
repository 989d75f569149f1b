//! The patient ledger out: `patient_ledger.csv|json` (patient × year, when
//! the policy has `per patient per year` blocks), and the totals line
//! `yibao run` prints.

use super::ledger::column_type;
use super::results::Rows;
use super::Field;
use super::Format;
use crate::eval::PatientLedger;
use crate::ir::Program;
use std::path::{Path, PathBuf};

/// The columns before the amounts the patient blocks set.
pub const PATIENT_FIXED: [&str; 7] = [
    "patient_id",
    "year",
    "status",
    "claims",
    "total_cost",
    "claims_paid",
    "patient_paid",
];

/// Writes `patient_ledger.csv` (or `.json`) into `dir`; returns its path.
pub fn write_patient_ledger(
    dir: &Path,
    (format, enc): (Format, super::Encoding),
    prog: &Program,
    l: &PatientLedger,
) -> std::io::Result<PathBuf> {
    let json = format == Format::Json;
    let path = dir.join(if json {
        "patient_ledger.json"
    } else {
        "patient_ledger.csv"
    });
    let header: Vec<String> = PATIENT_FIXED
        .iter()
        .map(|s| s.to_string())
        .chain(l.columns.iter().cloned())
        .collect();
    let types: Vec<_> = l
        .slots
        .iter()
        .map(|&c| column_type(prog, c as usize))
        .collect();
    let mut w = Rows::new(&path, (json, enc), header)?;
    let mut rec: Vec<Field> = Vec::with_capacity(PATIENT_FIXED.len() + l.columns.len());
    for r in &l.rows {
        rec.clear();
        rec.push(r.patient.clone().into());
        rec.push(Field::count(r.year));
        rec.push(r.status.name().into());
        rec.push(Field::count(r.claims));
        rec.push(Field::Money(r.total_cost));
        rec.push(Field::Money(r.claims_paid));
        rec.push(Field::Money(r.patient_paid));
        for (t, v) in types.iter().zip(&r.values) {
            rec.push(Field::of(*t, *v));
        }
        w.write(&rec)?;
    }
    w.finish()?;
    Ok(path)
}

/// One line per year: `patient clearing 2025: 二次补偿 12,345.60 over 37 patients`
/// (every amount the blocks set, each summed over the year's patients).
pub fn patient_totals(prog: &Program, l: &PatientLedger) -> Vec<String> {
    let types: Vec<_> = l
        .slots
        .iter()
        .map(|&c| column_type(prog, c as usize))
        .collect();
    l.totals()
        .into_iter()
        .map(|(year, n, sums)| {
            let amounts: Vec<String> = l
                .columns
                .iter()
                .zip(&sums)
                .zip(&types)
                .map(|((name, v), t)| format!("{name} {}", Field::of(*t, *v).text()))
                .collect();
            format!(
                "patient clearing {year}: {} over {n} patient{}",
                amounts.join(", "),
                if n == 1 { "" } else { "s" }
            )
        })
        .collect()
}
