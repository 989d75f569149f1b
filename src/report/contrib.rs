//! Contributions out: `person_months`, `person_years`, `employer_years`,
//! `retirements` and `contribution_totals` (`.csv` or `.json`), and the
//! totals lines `yibao run` prints.

use super::results::Rows;
use super::{Field, Format};
use crate::data::{Contributions, Persons};
use crate::eval::contrib::{MonthResult, RetirementResult, YearTotals};
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
    "retired_before_file",
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
    "retired_before_file",
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

/// `NAME.csv` (or `.json`) in `dir`, its header written.
fn open_rows(
    dir: &Path,
    name: &str,
    (json, enc): (bool, super::Encoding),
    cols: &[&str],
) -> std::io::Result<(PathBuf, Rows)> {
    let path = dir.join(format!("{name}.{}", if json { "json" } else { "csv" }));
    let w = Rows::new(
        &path,
        (json, enc),
        cols.iter().map(|x| x.to_string()).collect(),
    )?;
    Ok((path, w))
}

/// `YYYY-MM` as bytes (years 0–9999, as months are read).
fn format_args_month(y: i32, m: u32) -> [u8; 7] {
    let y = y.clamp(0, 9999) as u32;
    let d = |n: u32| b'0' + (n % 10) as u8;
    [
        d(y / 1000),
        d(y / 100),
        d(y / 10),
        d(y),
        b'-',
        d(m / 10),
        d(m),
    ]
}

/// `a += b`, an overflow an error (never a panic).
fn add(a: &mut Decimal, b: Decimal) -> std::io::Result<()> {
    *a = a
        .checked_add(b)
        .ok_or_else(|| std::io::Error::other("arithmetic overflow adding up contributions"))?;
    Ok(())
}

/// Writes the five contribution files into `dir` as months are settled:
/// nothing per month is held (person-years are written as each ends,
/// employer-years kept by employer and year, the totals written last).
pub struct ContribWriter<'a> {
    prog: &'a Program,
    persons: &'a Persons,
    months: Rows,
    years: Rows,
    retirements: Option<Rows>,
    paths: Vec<PathBuf>,
    dir: PathBuf,
    fmt: (bool, super::Encoding),
    /// The person-year being added up: person, year, sums, months.
    year: Option<(u32, i32, [Decimal; 4], u64)>,
    /// Employer ids, interned: a new id costs one allocation, a month none.
    employer_ids: rustc_hash::FxHashMap<String, u32>,
    employers: BTreeMap<(u32, i32), EmployerYear>,
    rec: Vec<Field>,
    /// A CSV line being formatted.
    line: Vec<u8>,
}

impl<'a> ContribWriter<'a> {
    pub fn create(
        dir: &Path,
        (format, enc): (Format, super::Encoding),
        prog: &'a Program,
        persons: &'a Persons,
    ) -> std::io::Result<ContribWriter<'a>> {
        let json = format == Format::Json;
        let mut paths = Vec::new();
        let mut open = |name: &str, cols: &[&str]| -> std::io::Result<Rows> {
            let (path, w) = open_rows(dir, name, (json, enc), cols)?;
            paths.push(path);
            Ok(w)
        };
        let months = open("person_months", PERSON_MONTH_COLUMNS)?;
        let years = open("person_years", PERSON_YEAR_COLUMNS)?;
        let retirements = if prog.contributes.iter().any(|b| b.at_retirement) {
            Some(open("retirements", RETIREMENT_COLUMNS)?)
        } else {
            None
        };
        Ok(ContribWriter {
            prog,
            persons,
            months,
            years,
            retirements,
            paths,
            dir: dir.to_path_buf(),
            fmt: (json, enc),
            year: None,
            employer_ids: Default::default(),
            employers: BTreeMap::new(),
            rec: Vec::with_capacity(16),
            line: Vec::with_capacity(256),
        })
    }

    fn person_id(&self, i: u32) -> &'a str {
        let persons = self.persons;
        persons
            .rows
            .get(i as usize)
            .map_or("", |p| persons.text(p.id))
    }

    fn block(&self, b: u16) -> &'a str {
        let prog = self.prog;
        prog.contributes
            .get(usize::from(b))
            .map_or("", |x| x.name.as_str())
    }

    /// Writes the person-year added up so far.
    fn end_year(&mut self) -> std::io::Result<()> {
        let Some((p, year, [er, ee, pool, acct], n)) = self.year.take() else {
            return Ok(());
        };
        let contributed = er
            .checked_add(ee)
            .ok_or_else(|| std::io::Error::other("arithmetic overflow adding up contributions"))?;
        self.rec.clear();
        self.rec.push(self.person_id(p).into());
        self.rec.push(Field::count(year));
        self.rec.push(Field::count(n));
        for v in [er, ee, contributed, pool, acct] {
            self.rec.push(Field::Money(v));
        }
        self.years.write(&self.rec)
    }

    pub fn month(&mut self, c: &Contributions, m: &MonthResult) -> std::io::Result<()> {
        let Some(row) = c.rows.get(m.row as usize) else {
            return Ok(());
        };
        if self.months.is_json() {
            self.month_fields(c, row, m)?;
        } else {
            // Straight into bytes: the file's bulk, a line a month.
            use super::results::{push_csv_text, push_money};
            let mut line = std::mem::take(&mut self.line);
            line.clear();
            push_csv_text(&mut line, self.person_id(row.person));
            line.push(b',');
            let (y, mo) = (row.month.year(), row.month.month());
            line.extend_from_slice(format_args_month(y, mo).as_slice());
            line.push(b',');
            line.extend_from_slice(EnumKind::Category.name_of(row.category).as_bytes());
            line.push(b',');
            push_csv_text(&mut line, c.text(row.employer));
            line.push(b',');
            push_money(&mut line, Decimal::new(row.wage_fen, 2));
            for v in [m.base, m.employer, m.employee, m.to_pool, m.to_account] {
                line.push(b',');
                push_money(&mut line, v);
            }
            line.push(b',');
            if let Some(a) = m.age {
                line.extend_from_slice(
                    Field::of(crate::check::types::Ty::Count, a)
                        .text()
                        .as_bytes(),
                );
            }
            line.push(b',');
            if let Some(b) = band_text(self.prog, self.persons, c, m) {
                push_csv_text(&mut line, b);
            }
            line.push(b',');
            push_csv_text(&mut line, self.block(m.block));
            line.push(b'\n');
            let written = self.months.write_csv_bytes(&line);
            self.line = line;
            written?;
        }
        self.add_up(c, row, m)
    }

    /// A month's fields, for JSON.
    fn month_fields(
        &mut self,
        c: &Contributions,
        row: &crate::data::PersonMonth,
        m: &MonthResult,
    ) -> std::io::Result<()> {
        self.rec.clear();
        self.rec.push(self.person_id(row.person).into());
        self.rec.push(row.month.to_string().into());
        self.rec
            .push(EnumKind::Category.name_of(row.category).into());
        self.rec.push(c.text(row.employer).into());
        self.rec.push(Field::Money(Decimal::new(row.wage_fen, 2)));
        for v in [m.base, m.employer, m.employee, m.to_pool, m.to_account] {
            self.rec.push(Field::Money(v));
        }
        self.rec.push(m.age.map_or(Field::Absent, |a| {
            Field::of(crate::check::types::Ty::Count, a)
        }));
        self.rec
            .push(band_text(self.prog, self.persons, c, m).map_or(Field::Absent, Into::into));
        self.rec.push(self.block(m.block).into());
        self.months.write(&self.rec)
    }

    /// The month into its person-year and employer-year.
    fn add_up(
        &mut self,
        c: &Contributions,
        row: &crate::data::PersonMonth,
        m: &MonthResult,
    ) -> std::io::Result<()> {
        let year = row.month.year();
        let sums = [m.employer, m.employee, m.to_pool, m.to_account];
        match &mut self.year {
            Some((p, y, acc, n)) if *p == row.person && *y == year => {
                for (a, v) in acc.iter_mut().zip(sums) {
                    add(a, v)?;
                }
                *n += 1;
            }
            _ => {
                self.end_year()?;
                self.year = Some((row.person, year, sums, 1));
            }
        }
        let employer = c.text(row.employer);
        if !employer.is_empty() {
            let next = u32::try_from(self.employer_ids.len()).unwrap_or(u32::MAX);
            let id = match self.employer_ids.get(employer) {
                Some(&id) => id,
                None => {
                    self.employer_ids.insert(employer.to_string(), next);
                    next
                }
            };
            let e = self
                .employers
                .entry((id, year))
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
        Ok(())
    }

    pub fn retirement(&mut self, r: &RetirementResult) -> std::io::Result<()> {
        let persons = self.persons;
        let Some(p) = persons.rows.get(r.person as usize) else {
            return Ok(());
        };
        let paid = u64::from(p.prior_paid_months) + u64::from(r.months_in_file);
        let months = crate::check::types::Ty::Months;
        let block = self.block(r.block);
        let rec = &mut self.rec;
        rec.clear();
        rec.push(persons.text(p.id).into());
        rec.push(EnumKind::Sex.name_of(p.sex).into());
        rec.push(p.birth.to_string().into());
        rec.push(r.month.to_string().into());
        rec.push(Field::count(p.deemed_months));
        rec.push(Field::count(p.prior_paid_months));
        rec.push(Field::count(r.months_in_file));
        rec.push(Field::Bool(r.before_file));
        rec.push(Field::count(paid));
        rec.push(Field::count(paid + u64::from(p.deemed_months)));
        rec.push(Field::of(months, r.required_months));
        rec.push(Field::of(months, r.required_paid_months));
        rec.push(Field::of(months, r.shortfall));
        rec.push(Field::Bool(r.eligible()));
        rec.push(Field::Money(r.lump_sum));
        rec.push(block.into());
        match &mut self.retirements {
            Some(w) => w.write(rec),
            None => Ok(()),
        }
    }

    /// Writes the employer-years and the totals, and closes every file;
    /// returns their paths.
    pub fn finish(mut self, totals: &[YearTotals]) -> std::io::Result<Vec<PathBuf>> {
        self.end_year()?;
        let mut paths = std::mem::take(&mut self.paths);
        self.months.finish()?;
        self.years.finish()?;
        if let Some(w) = self.retirements.take() {
            w.finish()?;
        }
        let (path, mut w) =
            open_rows(&self.dir, "employer_years", self.fmt, EMPLOYER_YEAR_COLUMNS)?;
        let mut rec: Vec<Field> = Vec::with_capacity(16);
        let mut names: Vec<&str> = vec![""; self.employer_ids.len()];
        for (name, &id) in &self.employer_ids {
            if let Some(n) = names.get_mut(id as usize) {
                *n = name;
            }
        }
        let mut keys: Vec<(u32, i32)> = self.employers.keys().copied().collect();
        keys.sort_by(|a, b| {
            names[a.0 as usize]
                .cmp(names[b.0 as usize])
                .then(a.1.cmp(&b.1))
        });
        for key in keys {
            let Some((sums, n, people)) = self.employers.get_mut(&key) else {
                continue;
            };
            let (id, year) = (names[key.0 as usize], &key.1);
            people.sort_unstable();
            people.dedup();
            rec.clear();
            rec.push(id.into());
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
        let (path, mut w) = open_rows(
            &self.dir,
            "contribution_totals",
            self.fmt,
            CONTRIBUTION_TOTAL_COLUMNS,
        )?;
        for t in totals {
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
            rec.push(Field::count(t.retired_before_file));
            rec.push(Field::Money(t.lump_sums));
            w.write(&rec)?;
        }
        w.finish()?;
        paths.push(path);
        paths.sort();
        Ok(paths)
    }
}

impl crate::eval::contrib::ContribSink for ContribWriter<'_> {
    fn month(
        &mut self,
        c: &Contributions,
        m: &MonthResult,
    ) -> Result<(), Box<crate::eval::EvalError>> {
        ContribWriter::month(self, c, m).map_err(|e| {
            crate::eval::EvalError::internal(&format!("cannot write the contribution results: {e}"))
        })
    }

    fn retirement(&mut self, r: &RetirementResult) -> Result<(), Box<crate::eval::EvalError>> {
        ContribWriter::retirement(self, r).map_err(|e| {
            crate::eval::EvalError::internal(&format!("cannot write the contribution results: {e}"))
        })
    }
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
                let before = match t.retired_before_file {
                    0 => String::new(),
                    k => format!(" ({k} of them retired before the file)"),
                };
                line.push_str(&format!(
                    "; {} retired{before}, lump sums due {}",
                    t.retirements,
                    m(t.lump_sums)
                ));
            }
            line
        })
        .collect()
}
