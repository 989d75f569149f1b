//! The institution ledger out: `ledger.csv|json` (unit × year) and
//! `ledger_months.csv|json` (unit × month, when the policy settles monthly),
//! and the ledger table printed by `yibao run`.

use super::results::Rows;
use super::{Field, Format, Table};
use crate::check::types::Ty;
use crate::eval::ledger::kind_name;
use crate::eval::{Ledger, LedgerRow};
use crate::ir::Program;
use crate::schema::ledger::COLUMNS;
use std::path::{Path, PathBuf};

fn header(l: &Ledger, months: bool) -> Vec<String> {
    let mut h: Vec<String> = ["unit", "unit_id", "year"].map(String::from).to_vec();
    if months {
        h.push("month".into());
    } else {
        h.push("status".into());
    }
    h.push("claims".into());
    h.push("total_cost".into());
    h.push("claims_paid".into());
    h.extend(unit_columns(l).map(|i| l.columns[i].clone()));
    h
}

/// The indexes of the amounts unit rows show ([`Ledger::unit_amount`]).
pub fn unit_columns(l: &Ledger) -> impl Iterator<Item = usize> + '_ {
    (0..l.columns.len()).filter(|&i| l.unit_amount.get(i).copied().unwrap_or(true))
}

fn record(prog: &Program, l: &Ledger, r: &LedgerRow, months: bool) -> Vec<Field> {
    let mut rec = vec![
        kind_name(r.kind).into(),
        r.unit.clone().into(),
        Field::count(r.year),
    ];
    if months {
        rec.push(Field::count(r.month));
    } else {
        rec.push(r.status.name().into());
    }
    rec.push(Field::count(r.counts.claims));
    rec.push(Field::Money(r.counts.total_cost));
    rec.push(Field::Money(r.counts.claims_paid));
    for i in unit_columns(l) {
        rec.push(field(prog, i, r.values.get(i).copied().unwrap_or_default()));
    }
    rec
}

/// Ledger column `i`'s value `v` as written: a text, bool or date amount
/// (coded in the row, see `eval::ledger::typed`) as an output is.
pub fn field(prog: &Program, i: usize, v: rust_decimal::Decimal) -> Field {
    if crate::eval::ledger::typed::val_type(prog, i).is_some() {
        return Field::shown(crate::eval::ledger::typed::shown(prog, i, v));
    }
    Field::of(column_type(prog, i), v)
}

/// The type of ledger column `i`: the standard amounts are money, a declared
/// `ledger NAME: TYPE` has its type.
pub fn column_type(prog: &Program, i: usize) -> Ty {
    i.checked_sub(COLUMNS.len())
        .and_then(|e| prog.ledger_extras.get(e))
        .map_or(Ty::Money, |o| o.ty)
}

/// Writes the ledger files into `dir`; returns their paths.
pub fn write_ledger(
    dir: &Path,
    (format, enc): (Format, super::Encoding),
    prog: &Program,
    l: &Ledger,
) -> std::io::Result<Vec<PathBuf>> {
    let json = format == Format::Json;
    let ext = if json { "json" } else { "csv" };
    let mut paths = Vec::new();
    for (rows, months, name) in [
        (&l.years, false, "ledger"),
        (&l.months, true, "ledger_months"),
    ] {
        if months && rows.is_empty() {
            continue;
        }
        let path = dir.join(format!("{name}.{ext}"));
        let mut w = Rows::new(&path, (json, enc), header(l, months))?;
        for r in rows {
            w.write(&record(prog, l, r, months))?;
        }
        w.finish()?;
        paths.push(path);
    }
    Ok(paths)
}

/// The year ledger as a terminal table, leaving out columns that are zero
/// in every row (a policy without prepayment shows no `prepaid` column).
pub fn ledger_table(prog: &Program, l: &Ledger) -> Table {
    let h = header(l, false);
    let recs: Vec<Vec<String>> = l
        .years
        .iter()
        .map(|r| record(prog, l, r, false).iter().map(Field::text).collect())
        .collect();
    let fixed = 7; // unit, unit_id, year, status, claims, total_cost, claims_paid
    let keep: Vec<usize> = (0..h.len())
        .filter(|&i| {
            if i == 3 {
                // The status only when some year is not final.
                return recs.iter().any(|r| r.get(3).is_some_and(|v| v != "final"));
            }
            i < fixed
                || i == fixed + crate::schema::ledger::CLEARING_BALANCE as usize
                || recs.iter().any(|r| {
                    r.get(i)
                        .is_some_and(|v| v != "0.00" && v != "0" && !v.is_empty())
                })
        })
        .collect();
    let mut t = Table::new(keep.iter().map(|&i| h[i].clone()).collect());
    for r in &recs {
        t.row(keep.iter().map(|&i| r[i].clone()).collect());
    }
    t
}
