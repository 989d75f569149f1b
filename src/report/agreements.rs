//! `agreements.csv|json`: every agreement action with what came of it —
//! a suspension's held money carried in from a state file, held, released (and when), forfeited and carried money,
//! a termination's forfeited money and the first day the institution may
//! apply again, an interview's year (interviews move no money).

use super::results::Rows;
use super::{Field, Format};
use crate::data::{AgreementActions, Institutions};
use crate::eval::ledger::ActionOutcome;
use crate::ir::Program;
use crate::schema::EnumKind;
use std::path::{Path, PathBuf};

pub const AGREEMENT_COLUMNS: &[&str] = &[
    "institution_id",
    "action",
    "from",
    "until",
    "reason",
    "line",
    "carried_in",
    "held",
    "released",
    "release_month",
    "forfeited",
    "deposit_forfeited",
    "carried",
    "reapply_from",
    "block",
];

/// Writes agreements.csv (or .json) into `dir`.
pub fn write_agreements(
    dir: &Path,
    (format, enc): (Format, super::Encoding),
    prog: &Program,
    insts: &Institutions,
    actions: &AgreementActions,
    outcomes: &[ActionOutcome],
) -> std::io::Result<PathBuf> {
    let json = format == Format::Json;
    let path = dir.join(if json {
        "agreements.json"
    } else {
        "agreements.csv"
    });
    let header = AGREEMENT_COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut w = Rows::new(&path, (json, enc), header)?;
    let mut rows: Vec<_> = actions.rows.iter().collect();
    rows.sort_by_key(|a| a.line);
    for a in rows {
        let o = outcomes
            .binary_search_by_key(&a.line, |o| o.line)
            .ok()
            .map(|i| &outcomes[i]);
        let money = |f: fn(&ActionOutcome) -> rust_decimal::Decimal| {
            o.map_or(Field::Absent, |o| Field::Money(f(o)))
        };
        let kind = EnumKind::AgreementAction.name_of(a.action);
        let suspension = kind == "suspend";
        let when = |d: Option<crate::date::Date>| d.map_or(Field::Absent, |d| d.to_string().into());
        w.write(&[
            insts
                .rows
                .get(a.institution as usize)
                .map_or(String::new(), |i| i.id.clone())
                .into(),
            kind.into(),
            a.from.to_string().into(),
            when(a.until),
            a.reason.clone().into(),
            Field::count(a.line),
            if suspension {
                money(|o| o.carried_in)
            } else {
                Field::Absent
            },
            if suspension {
                money(|o| o.held)
            } else {
                Field::Absent
            },
            if suspension {
                money(|o| o.released)
            } else {
                Field::Absent
            },
            match o.and_then(|o| o.release_month) {
                Some((y, m)) if suspension => format!("{y}-{m:02}").into(),
                _ => Field::Absent,
            },
            money(|o| o.forfeited),
            if kind == "terminate" {
                money(|o| o.deposit_forfeited)
            } else {
                Field::Absent
            },
            if suspension {
                money(|o| o.carried)
            } else {
                Field::Absent
            },
            when(o.and_then(|o| o.reapply_from)),
            match o
                .and_then(|o| o.block)
                .and_then(|b| prog.agreements.get(b as usize))
            {
                Some(b) => b.name.clone().into(),
                None => Field::Absent,
            },
        ])?;
    }
    w.finish()?;
    Ok(path)
}
