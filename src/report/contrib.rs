//! Contributions out: `person_months`, `person_years`, `employer_years`,
//! `retirements` and `contribution_totals` (`.csv` or `.json`), and the
//! totals lines `yibao run` prints.

use super::results::Rows;
use super::{Field, Format};
use crate::data::{Contributions, Persons};
use crate::eval::contrib::{ContribSettlement, MonthResult, YearTotals};
use crate::eval::value::Txt;
use crate::ir::{ParamValue, Program};
use crate::schema::{EnumKind, PersonField};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const PERSON_MONTH_COLUMNS: &[&str] = &[
    "person_id",
    "month",
    "category",
    "employer_id",
    "wage",
    "base",
    "employer",
    "employee",
    "to_pool",
    "to_account",
    "age",
    "band",
    "block",
];

pub const PERSON_YEAR_COLUMNS: &[&str] = &[
    "person_id",
    "year",
    "months",
    "employer",
    "employee",
    "contributed",
    "to_pool",
    "to_account",
];

pub const EMPLOYER_YEAR_COLUMNS: &[&str] = &[
    "employer_id",
    "year",
    "persons",
    "months",
    "base",
    "employer",
    "employee",
    "to_pool",
    "to_account",
];

pub const RETIREMENT_COLUMNS: &[&str] = &[
    "person_id",
    "sex",
    "birth_date",
    "retirement_month",
    "deemed_months",
    "prior_paid_months",
    "months_in_file",
    "paid_months",
    "counted_months",
    "required_months",
    "required_paid_months",
    "shortfall",
    "eligible",
    "lump_sum",
    "block",
];

pub const CONTRIBUTION_TOTAL_COLUMNS: &[&str] = &[
    "year",
    "persons",
    "months",
    "base",
    "employer",
    "employee",
    "contributed",
    "to_pool",
    "to_account",
    "pool_in",
    "retiree_credits",
    "retirements",
    "lump_sums",
];

/// The contribution files a run writes, for the out folder's checks.
pub const CONTRIBUTION_FILES: &[&str] = &[
    "person_months",
    "person_years",
    "employer_years",
    "retirements",
    "contribution_totals",
];

/// A month's band as text (`None`: the block does not set it).
pub fn band_text<'a>(
    prog: &'a Program,
    persons: &'a Persons,
    c: &'a Contributions,
    m: &MonthResult,
) -> Option<&'a str> {
    let row = c.rows.get(m.row as usize)?;
    Some(match m.band? {
        Txt::Pool(i) => prog.texts.get(i as usize).map_or("", String::as_str),
        Txt::Param(i) => match prog.params.get(i as usize).map(|p| &p.value) {
            Some(ParamValue::Text(s)) => s,
            _ => "",
        },
        Txt::Person(PersonField::EmployerId) => c.text(row.employer),
        Txt::Person(_) => persons
            .rows
            .get(row.person as usize)
            .map_or("", |p| persons.text(p.id)),
        _ => "",
    })
}

/// One employer's year: base, employer, employee, to_pool, to_account
/// summed; months; the persons (in person order, each once).
type EmployerYear = ([Decimal; 5], u64, Vec<u32>);

/// `a += b`, an overflow an error (never a panic).
fn add(a: &mut Decimal, b: Decimal) -> std::io::Result<()> {
    *a = a
        .checked_add(b)
        .ok_or_else(|| std::io::Error::other("arithmetic overflow adding up contributions"))?;
    Ok(())
}

/// Writes the five contribution files into `dir`; returns their paths.
pub fn write_contributions(
    dir: &Path,
    (format, enc): (Format, super::Encoding),
    prog: &Program,
    persons: &Persons,
    c: &Contributions,
    s: &ContribSettlement,
) -> std::io::Result<Vec<PathBuf>> {
    let json = format == Format::Json;
    let ext = if json { "json" } else { "csv" };
    let open = |name: &str, cols: &[&str]| -> std::io::Result<(PathBuf, Rows)> {
        let path = dir.join(format!("{name}.{ext}"));
        let w = Rows::new(
            &path,
            (json, enc),
            cols.iter().map(|x| x.to_string()).collect(),
        )?;
        Ok((path, w))
    };
    let person_id = |i: u32| {
        persons
            .rows
            .get(i as usize)
            .map_or("", |p| persons.text(p.id))
    };
    let block = |b: u16| {
        prog.contributes
            .get(usize::from(b))
            .map_or("", |x| x.name.as_str())
    };
    let mut paths = Vec::new();
    let mut rec: Vec<Field> = Vec::with_capacity(16);

    // Per person-month, and the person-year and employer-year sums on the way.
    let (path, mut w) = open("person_months", PERSON_MONTH_COLUMNS)?;
    let mut years: Vec<(u32, i32, [Decimal; 4], u64)> = Vec::new();
    let mut employers: BTreeMap<(&str, i32), EmployerYear> = BTreeMap::new();
    for m in &s.months {
        let Some(row) = c.rows.get(m.row as usize) else {
            continue;
        };
        rec.clear();
        rec.push(person_id(row.person).into());
        rec.push(row.month.to_string().into());
        rec.push(EnumKind::Category.name_of(row.category).into());
        rec.push(c.text(row.employer).into());
        rec.push(Field::Money(Decimal::new(row.wage_fen, 2)));
        for v in [m.base, m.employer, m.employee, m.to_pool, m.to_account] {
            rec.push(Field::Money(v));
        }
        rec.push(m.age.map_or(Field::Absent, |a| {
            Field::of(crate::check::types::Ty::Count, a)
        }));
        rec.push(band_text(prog, persons, c, m).map_or(Field::Absent, Into::into));
        rec.push(block(m.block).into());
        w.write(&rec)?;
        let year = row.month.year();
        let sums = [m.employer, m.employee, m.to_pool, m.to_account];
        match years.last_mut() {
            Some((p, y, acc, n)) if *p == row.person && *y == year => {
                for (a, v) in acc.iter_mut().zip(sums) {
                    add(a, v)?;
                }
                *n += 1;
            }
            _ => years.push((row.person, year, sums, 1)),
        }
        let employer = c.text(row.employer);
        if !employer.is_empty() {
            let e = employers
                .entry((employer, year))
                .or_insert_with(|| ([Decimal::ZERO; 5], 0, Vec::new()));
            for (a, v) in
                e.0.iter_mut()
                    .zip([m.base, m.employer, m.employee, m.to_pool, m.to_account])
            {
                add(a, v)?;
            }
            e.1 += 1;
            if e.2.last() != Some(&row.person) {
                e.2.push(row.person);
            }
        }
    }
    w.finish()?;
    paths.push(path);

    let (path, mut w) = open("person_years", PERSON_YEAR_COLUMNS)?;
    for (p, year, [er, ee, pool, acct], n) in &years {
        rec.clear();
        rec.push(person_id(*p).into());
        rec.push(Field::count(*year));
        rec.push(Field::count(*n));
        let contributed = er
            .checked_add(*ee)
            .ok_or_else(|| std::io::Error::other("arithmetic overflow adding up contributions"))?;
        for v in [*er, *ee, contributed, *pool, *acct] {
            rec.push(Field::Money(v));
        }
        w.write(&rec)?;
    }
    w.finish()?;
    paths.push(path);

    let (path, mut w) = open("employer_years", EMPLOYER_YEAR_COLUMNS)?;
    for ((id, year), (sums, n, people)) in &mut employers {
        people.sort_unstable();
        people.dedup();
        rec.clear();
        rec.push((*id).into());
        rec.push(Field::count(*year));
        rec.push(Field::count(people.len()));
        rec.push(Field::count(*n));
        for v in sums.iter() {
            rec.push(Field::Money(*v));
        }
        w.write(&rec)?;
    }
    w.finish()?;
    paths.push(path);

    if prog.contributes.iter().any(|b| b.at_retirement) {
        let (path, mut w) = open("retirements", RETIREMENT_COLUMNS)?;
        for r in &s.retirements {
            let Some(p) = persons.rows.get(r.person as usize) else {
                continue;
            };
            let paid = u64::from(p.prior_paid_months) + u64::from(r.months_in_file);
            rec.clear();
            rec.push(persons.text(p.id).into());
            rec.push(EnumKind::Sex.name_of(p.sex).into());
            rec.push(p.birth.to_string().into());
            rec.push(r.month.to_string().into());
            rec.push(Field::count(p.deemed_months));
            rec.push(Field::count(p.prior_paid_months));
            rec.push(Field::count(r.months_in_file));
            rec.push(Field::count(paid));
            rec.push(Field::count(paid + u64::from(p.deemed_months)));
            let months = crate::check::types::Ty::Months;
            rec.push(Field::of(months, r.required_months));
            rec.push(Field::of(months, r.required_paid_months));
            rec.push(Field::of(months, r.shortfall));
            rec.push(Field::Bool(r.eligible()));
            rec.push(Field::Money(r.lump_sum));
            rec.push(block(r.block).into());
            w.write(&rec)?;
        }
        w.finish()?;
        paths.push(path);
    }

    let (path, mut w) = open("contribution_totals", CONTRIBUTION_TOTAL_COLUMNS)?;
    for t in &s.totals {
        rec.clear();
        rec.push(Field::count(t.year));
        rec.push(Field::count(t.persons));
        rec.push(Field::count(t.months));
        for v in [
            t.base,
            t.employer,
            t.employee,
            t.contributed,
            t.to_pool,
            t.to_account,
            t.pool_in,
            t.retiree_credits,
        ] {
            rec.push(Field::Money(v));
        }
        rec.push(Field::count(t.retirements));
        rec.push(Field::Money(t.lump_sums));
        w.write(&rec)?;
    }
    w.finish()?;
    paths.push(path);
    Ok(paths)
}

/// One line per year for the terminal:
/// `contributions 2024: 22 months of 7 persons, contributed 9,923.12 = pool 6,972.34 + accounts 2,950.78 (retirees credited 470.00)`.
pub fn contribution_lines(t: &[YearTotals]) -> Vec<String> {
    t.iter()
        .map(|t| {
            let m = |d: Decimal| Field::Money(d).text();
            let n = |k: u64, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
            let mut line = format!(
                "contributions {}: {} of {}, contributed {} = pool {} + accounts {} (retirees credited {})",
                t.year,
                n(t.months, "month"),
                n(t.persons, "person"),
                m(t.contributed),
                m(t.to_pool),
                m(t.to_account),
                m(t.retiree_credits)
            );
            if t.retirements > 0 {
                line.push_str(&format!(
                    "; {} retired, lump sums due {}",
                    t.retirements,
                    m(t.lump_sums)
                ));
            }
            line
        })
        .collect()
}
