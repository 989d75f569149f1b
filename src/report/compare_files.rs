//! `compare --out DIR`: the full change tables, tidy — one row per unit
//! and policy, every figure in a column of its own, numbers that load as
//! numbers (money with two decimals, shares as exact ratios, no `%`):
//!
//! - `claims.csv`: each claim's payers under each policy, with the
//!   differences from the baseline;
//! - `patient_years.csv`: each patient-year's patient_paid under each policy,
//!   with the baseline's and the difference;
//! - `institution_years.csv`: each institution-year's paid (what the layers
//!   paid on its claims), clearing (its ledger row's effect) and net, with
//!   the baseline's net and the difference;
//! - `groups.csv`: the sums by visit type, level and insured type, and over
//!   all claims, with the differences of what the fund and the patients pay;
//! - `winners_losers.csv`: how many patient-years and institutions are
//!   better off, worse off or unchanged, and by how much.

use super::results::Rows;
use super::{Field, Format};
use crate::compare::{yuan, Comparison, Outcome, Sums, BREAKDOWNS};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

pub const COMPARE_FILES: [&str; 5] = [
    "claims",
    "patient_years",
    "institution_years",
    "groups",
    "winners_losers",
];

fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

/// Writes the change tables into `dir`; returns their paths.
pub fn write_change_tables(
    dir: &Path,
    (format, enc): (Format, super::Encoding),
    c: &Comparison,
) -> std::io::Result<Vec<PathBuf>> {
    let json = format == Format::Json;
    let ext = if json { "json" } else { "csv" };
    let path = |n: &str| dir.join(format!("{n}.{ext}"));
    let Some(base) = c.baseline() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();

    if !c.claim_keys.is_empty() {
        let p = path("claims");
        let mut w = Rows::new(
            &p,
            (json, enc),
            header(&[
                "claim_id",
                "patient_id",
                "institution_id",
                "year",
                "policy",
                "fund_paid",
                "serious_paid",
                "other_paid",
                "patient_paid",
                "institution_borne",
                "delta_fund_paid",
                "delta_patient_paid",
            ]),
        )?;
        let m = |f: i64| Field::Money(yuan(i128::from(f)));
        for (k, (id, patient, inst, year)) in c.claim_keys.iter().enumerate() {
            let b = base.claim_amounts.get(k).copied().unwrap_or_default();
            let inst = c
                .institutions
                .get(*inst as usize)
                .map_or("", |i| i.0.as_str());
            for o in &c.outcomes {
                let a = o.claim_amounts.get(k).copied().unwrap_or_default();
                w.write(&[
                    id.as_str().into(),
                    patient.as_str().into(),
                    inst.into(),
                    Field::count(*year),
                    o.label.as_str().into(),
                    m(a[0]),
                    m(a[1]),
                    m(a[2]),
                    m(a[3]),
                    m(a[4]),
                    Field::Money(yuan(i128::from(a[0]) - i128::from(b[0]))),
                    Field::Money(yuan(i128::from(a[3]) - i128::from(b[3]))),
                ])?;
            }
        }
        w.finish()?;
        out.push(p);
    }

    let p = path("patient_years");
    let mut w = Rows::new(
        &p,
        (json, enc),
        header(&[
            "patient_id",
            "year",
            "claims",
            "policy",
            "patient_paid",
            "baseline_patient_paid",
            "delta",
        ]),
    )?;
    for (k, (id, year, claims)) in c.patient_years.iter().enumerate() {
        let b = base.patient_paid.get(k).copied().unwrap_or(0);
        for o in &c.outcomes {
            let v = o.patient_paid.get(k).copied().unwrap_or(0);
            w.write(&[
                id.as_str().into(),
                Field::count(*year),
                Field::count(*claims),
                o.label.as_str().into(),
                Field::Money(yuan(i128::from(v))),
                Field::Money(yuan(i128::from(b))),
                Field::Money(yuan(i128::from(v) - i128::from(b))),
            ])?;
        }
    }
    w.finish()?;
    out.push(p.clone());

    let p = path("institution_years");
    let mut w = Rows::new(
        &p,
        (json, enc),
        header(&[
            "institution_id",
            "name",
            "level",
            "year",
            "policy",
            "paid",
            "clearing",
            "net",
            "baseline_net",
            "delta_net",
        ]),
    )?;
    let n = c.institutions.len();
    let side = |o: &Outcome, yi: usize, i: usize| -> (Decimal, Decimal) {
        let paid = yuan(o.inst_year_paid.get(yi * n + i).copied().unwrap_or(0));
        let clearing = o
            .inst_year_clearing
            .get(yi * n + i)
            .copied()
            .unwrap_or_default();
        (paid, clearing)
    };
    // Sums of whole fen far inside Decimal's range: saturating keeps even
    // absurd data panic-free.
    let net = |(p, c): (Decimal, Decimal)| p.saturating_add(c);
    for (yi, year) in base.years.iter().enumerate() {
        for (i, (id, name, level)) in c.institutions.iter().enumerate() {
            let b = net(side(base, yi, i));
            for o in &c.outcomes {
                let (paid, clearing) = side(o, yi, i);
                let v = net((paid, clearing));
                w.write(&[
                    id.as_str().into(),
                    name.as_str().into(),
                    // The level as written (1, 2, 3), a number.
                    crate::schema::EnumKind::Level
                        .name_of(*level)
                        .parse::<i64>()
                        .map_or(Field::Absent, Field::Int),
                    Field::count(*year),
                    o.label.as_str().into(),
                    Field::Money(paid),
                    Field::Money(clearing),
                    Field::Money(v),
                    Field::Money(b),
                    Field::Money(v.saturating_sub(b)),
                ])?;
            }
        }
    }
    w.finish()?;
    out.push(p.clone());

    let p = path("groups");
    let mut w = Rows::new(
        &p,
        (json, enc),
        header(&[
            "breakdown",
            "value",
            "policy",
            "claims",
            "total_cost",
            "eligible_cost",
            "fund_paid",
            "serious_paid",
            "other_paid",
            "patient_paid",
            "institution_borne",
            "patient_share",
            "delta_fund_paid",
            "delta_patient_paid",
        ]),
    )?;
    let mut group = |breakdown: &str, value: &str, pick: &dyn Fn(&Outcome) -> Sums| {
        let b = pick(base);
        for o in &c.outcomes {
            let s = pick(o);
            w.write(&[
                breakdown.into(),
                value.into(),
                o.label.as_str().into(),
                Field::count(s.claims),
                Field::Money(yuan(s.total_cost)),
                Field::Money(yuan(s.eligible())),
                Field::Money(yuan(s.fund)),
                Field::Money(yuan(s.serious)),
                Field::Money(yuan(s.other)),
                Field::Money(yuan(s.patient)),
                Field::Money(yuan(s.borne)),
                s.patient_share().map_or(Field::Absent, Field::Exact),
                Field::Money(yuan(s.fund - b.fund)),
                Field::Money(yuan(s.patient - b.patient)),
            ])?;
        }
        Ok::<(), std::io::Error>(())
    };
    group("all", "", &|o: &Outcome| o.all)?;
    for i in 0..c.age_bands.len() {
        let label = crate::compare::groups::age_label(&c.age_bands, i);
        group("age_band", &label, &|o: &Outcome| {
            o.age_groups.get(i).copied().unwrap_or_default()
        })?;
    }
    for (i, code) in c.drg_codes.iter().enumerate() {
        group("drg", code, &|o: &Outcome| {
            o.drg_groups.get(i).copied().unwrap_or_default()
        })?;
    }
    for i in 0..=crate::compare::groups::CHAPTERS.len() {
        let label = crate::compare::groups::chapter_label(i);
        group("icd_chapter", &label, &|o: &Outcome| {
            o.chapter_groups.get(i).copied().unwrap_or_default()
        })?;
    }
    for (g, kind) in BREAKDOWNS.iter().enumerate() {
        for code in 0..kind.count() {
            let value = kind.name_of(code as u8);
            group(kind.field_name(), value, &|o: &Outcome| {
                o.groups
                    .get(g)
                    .and_then(|v| v.get(code))
                    .copied()
                    .unwrap_or_default()
            })?;
        }
    }
    w.finish()?;
    out.push(p.clone());
    out.push(write_winners(dir, (json, enc), c)?);
    Ok(out)
}

const WINNERS_HEADER: [&str; 9] = [
    "policy",
    "unit",
    "breakdown",
    "value",
    "better_off",
    "gained",
    "worse_off",
    "lost",
    "unchanged",
];

/// `winners_losers.csv`: under each policy against the baseline, the
/// patient-years paying less, more and the same, and the institutions
/// getting more, less and the same net, with the amounts.
fn write_winners(
    dir: &Path,
    (json, enc): (bool, super::Encoding),
    c: &Comparison,
) -> std::io::Result<PathBuf> {
    let p = dir.join(if json {
        "winners_losers.json"
    } else {
        "winners_losers.csv"
    });
    let mut w = Rows::new(&p, (json, enc), header(&WINNERS_HEADER))?;
    for (k, o) in c.outcomes.iter().enumerate().skip(1) {
        for l in crate::compare::winners_losers(c, k) {
            let t = l.tally;
            w.write(&[
                o.label.as_str().into(),
                l.unit.into(),
                l.breakdown.into(),
                l.value.into(),
                Field::count(t.better),
                Field::Money(t.gained),
                Field::count(t.worse),
                Field::Money(t.lost),
                Field::count(t.same),
            ])?;
        }
    }
    w.finish()?;
    Ok(p)
}

/// The winners and losers under policy `p`, for the terminal.
pub fn winners_text(c: &Comparison, p: usize) -> String {
    let (Some(b), Some(o)) = (c.outcomes.first(), c.outcomes.get(p)) else {
        return String::new();
    };
    let mut t = super::Table::new(
        [
            "unit",
            "group",
            "better off",
            "gained",
            "worse off",
            "lost",
            "unchanged",
        ]
        .map(String::from)
        .to_vec(),
    )
    .left_aligned(2);
    for l in crate::compare::winners_losers(c, p) {
        let group = match l.breakdown {
            "all" => "all".to_string(),
            k => format!("{k} {}", l.value),
        };
        let unit = match l.unit {
            "patient_year" => "patient-years (pay less = better)",
            _ => "institutions (net more = better)",
        };
        t.row(vec![
            unit.to_string(),
            group,
            l.tally.better.to_string(),
            super::money(l.tally.gained),
            l.tally.worse.to_string(),
            super::money(l.tally.lost),
            l.tally.same.to_string(),
        ]);
    }
    format!(
        "\n{} vs {}: who is better or worse off\n{}",
        o.label,
        b.label,
        t.render()
    )
}

/// The winners and losers under policy `p`, as JSON: counts as numbers,
/// amounts as exact strings.
pub fn winners_json(c: &Comparison, p: usize) -> serde_json::Value {
    crate::compare::winners_losers(c, p)
        .into_iter()
        .map(|l| {
            serde_json::json!({
                "unit": l.unit,
                "breakdown": l.breakdown,
                "value": l.value,
                "better_off": l.tally.better,
                "gained": super::money(l.tally.gained),
                "worse_off": l.tally.worse,
                "lost": super::money(l.tally.lost),
                "unchanged": l.tally.same,
            })
        })
        .collect()
}
