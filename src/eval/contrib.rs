//! Contributions settled: every person-month of the contributions file run
//! through the `contribute … per month` block in force on the month's first
//! day, and every person with a retired month through the `contribute … at
//! retirement` block in force on the retirement month's first day.
//!
//! Per month the block sets `base`, `employer`, `employee` and `to_account`;
//! `to_pool` is employer + employee − to_account, so every yuan contributed
//! is in the pool or an account and a retiree's credit comes out of the pool
//! (a negative `to_pool`). The totals are added up by year and checked
//! against that identity on every run ([`ContribTotals::check`]).

use super::interp::{Cur, Env, EvalError, Frame, PersonCur, R};
use super::trace::{NoTrace, Tracer};
use crate::data::{Claims, Contributions, Institutions, Month, PersonMonth, Persons, RowError};
use crate::ir::Program;
use crate::schema::contrib as C;
use rust_decimal::Decimal;

/// One person-month settled.
#[derive(Debug, Clone)]
pub struct MonthResult {
    /// Index into [`Contributions::rows`].
    pub row: u32,
    pub base: Decimal,
    pub employer: Decimal,
    pub employee: Decimal,
    pub to_account: Decimal,
    pub to_pool: Decimal,
    /// Where the block sets `age` (and `band`).
    pub age: Option<Decimal>,
    pub band: Option<super::value::Txt>,
    /// Index into [`Program::contributes`].
    pub block: u16,
}

impl MonthResult {
    /// employer + employee.
    pub fn contributed(&self) -> Decimal {
        self.employer + self.employee
    }
}

/// One person at the retirement month.
#[derive(Debug, Clone)]
pub struct RetirementResult {
    /// Index into [`Persons::rows`].
    pub person: u32,
    pub month: Month,
    /// employee and flexible months in the file before the retirement month.
    pub months_in_file: u32,
    /// The person's first month in the file is already retired.
    pub before_file: bool,
    pub required_months: Decimal,
    pub required_paid_months: Decimal,
    pub shortfall: Decimal,
    pub lump_sum: Decimal,
    pub block: u16,
}

impl RetirementResult {
    pub fn eligible(&self) -> bool {
        self.shortfall.is_zero()
    }
}

/// One year's region totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearTotals {
    pub year: i32,
    pub persons: u64,
    pub months: u64,
    pub base: Decimal,
    pub employer: Decimal,
    pub employee: Decimal,
    /// employer + employee.
    pub contributed: Decimal,
    pub to_pool: Decimal,
    pub to_account: Decimal,
    /// What the pool takes in: everything contributed less the account
    /// credits of months not retired.
    pub pool_in: Decimal,
    /// Σ to_account over retired months: what the pool credits retirees.
    pub retiree_credits: Decimal,
    /// Retirements in the year, and the lump sums they owe; of them, those
    /// of persons already retired when the file begins.
    pub retirements: u64,
    pub retired_before_file: u64,
    pub lump_sums: Decimal,
}

/// Everything a contribution run settles.
#[derive(Debug, Default)]
pub struct ContribSettlement {
    /// In the contributions' order: by person id, then month.
    pub months: Vec<MonthResult>,
    pub retirements: Vec<RetirementResult>,
    /// Rows no `per month` block is in force for, with their line and reason.
    pub rejected: Vec<RowError>,
    /// Persons whose retirement month no `at retirement` block is in force for.
    pub unsettled_retirements: Vec<(u32, Month)>,
    pub totals: Vec<YearTotals>,
}

/// Where settled months and retirements go: kept ([`ContribSettlement`]),
/// or written as they come (a run: nothing per month is held).
pub trait ContribSink {
    /// A month settled; `m.row` indexes `c` (one part of the file, when
    /// the file is read in parts).
    fn month(&mut self, c: &Contributions, m: &MonthResult) -> Result<(), Box<EvalError>>;
    fn retirement(&mut self, r: &RetirementResult) -> Result<(), Box<EvalError>>;
}

impl ContribSink for ContribSettlement {
    fn month(&mut self, _: &Contributions, m: &MonthResult) -> Result<(), Box<EvalError>> {
        self.months.push(m.clone());
        Ok(())
    }

    fn retirement(&mut self, r: &RetirementResult) -> Result<(), Box<EvalError>> {
        self.retirements.push(r.clone());
        Ok(())
    }
}

/// Runs `f` with an environment of no claims, watched by nobody: what
/// contribution rules need.
fn plain<R>(prog: &Program, f: impl FnOnce(&Env<NoTrace>) -> R) -> R {
    let (claims, insts) = (Claims::default(), Institutions::default());
    f(&Env {
        prog,
        claims: &claims,
        insts: &insts,
        t: NoTrace,
        carry: super::carry::Carry {
            opening: None,
            keep: false,
        },
    })
}

/// Settles every person-month and retirement; `file` names the
/// contributions file in rejections.
pub fn settle_contributions(
    prog: &Program,
    persons: &Persons,
    contribs: &Contributions,
    file: &std::path::Path,
) -> Result<ContribSettlement, Box<EvalError>> {
    plain(prog, |env| {
        settle_contributions_with(env, persons, contribs, file)
    })
}

/// Settles into `sink` (see [`settle_into`]): a run writes each month as it
/// is settled, holding none.
pub fn settle_contributions_into(
    prog: &Program,
    persons: &Persons,
    contribs: &Contributions,
    file: &std::path::Path,
    sink: &mut dyn ContribSink,
) -> Result<Settled, Box<EvalError>> {
    plain(prog, |env| settle_into(env, persons, contribs, file, sink))
}

/// [`settle_contributions`] watched by the environment's tracer.
pub(crate) fn settle_contributions_with<T: Tracer>(
    env: &Env<T>,
    persons: &Persons,
    contribs: &Contributions,
    file: &std::path::Path,
) -> Result<ContribSettlement, Box<EvalError>> {
    let mut out = ContribSettlement::default();
    let (rejected, unsettled, totals) = settle_into(env, persons, contribs, file, &mut out)?;
    out.rejected = rejected;
    out.unsettled_retirements = unsettled;
    out.totals = totals;
    Ok(out)
}

/// What a settlement returns besides what went to the sink: the months
/// rejected, the retirements no block was in force for, the yearly totals.
pub type Settled = (Vec<RowError>, Vec<(u32, Month)>, Vec<YearTotals>);

/// Settles every month and retirement into `sink`, in the contributions'
/// order (person, then month); adds the totals up on the way and checks
/// their identities.
pub(crate) fn settle_into<T: Tracer>(
    env: &Env<T>,
    persons: &Persons,
    contribs: &Contributions,
    file: &std::path::Path,
    sink: &mut dyn ContribSink,
) -> Result<Settled, Box<EvalError>> {
    let mut progress = Progress::default();
    settle_part(env, persons, contribs, file, sink, &mut progress)?;
    progress.finish()
}

/// What a settlement in parts has found so far.
#[derive(Default)]
pub struct Progress {
    rejected: Vec<RowError>,
    unsettled: Vec<(u32, Month)>,
    totals: Totals,
}

impl Progress {
    /// The rejections, the retirements no block was in force for, and the
    /// yearly totals, their identities checked.
    pub fn finish(self) -> Result<Settled, Box<EvalError>> {
        let totals: Vec<YearTotals> = self.totals.years.into_values().map(|(t, _)| t).collect();
        for t in &totals {
            t.check().map_err(|m| {
                EvalError::internal(&format!("the contribution identity is broken: {m}"))
            })?;
        }
        Ok((self.rejected, self.unsettled, totals))
    }
}

/// Settles one part of a contributions file (every row of a person is in
/// one part, and parts come in person order) into `sink`.
pub fn settle_part_of(
    prog: &Program,
    persons: &Persons,
    contribs: &Contributions,
    file: &std::path::Path,
    sink: &mut dyn ContribSink,
    progress: &mut Progress,
) -> Result<(), Box<EvalError>> {
    plain(prog, |env| {
        settle_part(env, persons, contribs, file, sink, progress)
    })
}

fn settle_part<T: Tracer>(
    env: &Env<T>,
    persons: &Persons,
    contribs: &Contributions,
    file: &std::path::Path,
    sink: &mut dyn ContribSink,
    progress: &mut Progress,
) -> Result<(), Box<EvalError>> {
    let prog = env.prog;
    let mut f = Frame::new(prog);
    let Progress {
        rejected,
        unsettled,
        totals,
    } = progress;
    let retired = crate::schema::EnumKind::Category.code_of("retired");
    let mut next = 0usize;
    for rows in contribs
        .rows
        .chunk_by(|a: &PersonMonth, b| a.person == b.person)
    {
        let first = next;
        next += rows.len();
        let person = rows[0].person;
        let Some(p) = persons.rows.get(person as usize) else {
            return Err(EvalError::internal("a contribution of an unknown person"));
        };
        let mut retirement = None;
        let mut before_file = false;
        let mut worked = 0u32;
        for (k, row) in rows.iter().enumerate() {
            let index = u32::try_from(first + k).unwrap_or(u32::MAX);
            let is_retired = Some(row.category) == retired;
            if is_retired && retirement.is_none() {
                retirement = Some((row.month, worked));
                before_file = k == 0;
            }
            if !is_retired && retirement.is_none() {
                worked += 1;
            }
            let Some(day) = row.month.first_day() else {
                return Err(EvalError::internal(
                    "a contribution month without a first day",
                ));
            };
            let Some((b, block)) = prog.contribute_on(false, day) else {
                rejected.push(RowError {
                    file: file.to_path_buf(),
                    line: row.line,
                    reason: format!(
                        "month {}: no `contribute … per month` block is in force on {day}",
                        row.month
                    ),
                    raw: vec![
                        persons.text(p.id).to_string(),
                        row.month.to_string(),
                        crate::schema::EnumKind::Category
                            .name_of(row.category)
                            .to_string(),
                        Decimal::new(row.wage_fen, 2).to_string(),
                        contribs.text(row.employer).to_string(),
                    ],
                });
                continue;
            };
            let pm = PersonCur {
                persons,
                person: p,
                contribs,
                row: Some(row),
                retirement: None,
            };
            run_for(env, (b, block), &pm, day, &mut f)?;
            let v = |i: u16| f.contrib[i as usize];
            let r = MonthResult {
                row: index,
                base: v(C::BASE),
                employer: v(C::EMPLOYER),
                employee: v(C::EMPLOYEE),
                to_account: v(C::TO_ACCOUNT),
                to_pool: v(C::TO_POOL),
                age: block.sets_age.then(|| v(C::AGE)),
                // `run_block` empties it: absent unless the block sets it.
                band: f.band,
                block: b,
            };
            check_month(&r).map_err(|m| {
                let e = EvalError::at(m, block.span);
                locate(e, &block.name, persons.text(p.id), &row.month.to_string())
            })?;
            totals.month(row, &r, retired)?;
            sink.month(contribs, &r)?;
        }
        let Some((month, months_in_file)) = retirement else {
            continue;
        };
        let Some(day) = month.first_day() else {
            continue;
        };
        let Some((b, block)) = prog.contribute_on(true, day) else {
            if prog.contributes.iter().any(|c| c.at_retirement) {
                unsettled.push((person, month));
            }
            continue;
        };
        let pm = PersonCur {
            persons,
            person: p,
            contribs,
            row: None,
            retirement: Some((month, months_in_file)),
        };
        run_for(env, (b, block), &pm, day, &mut f)?;
        let v = |i: u16| f.contrib[i as usize];
        let r = RetirementResult {
            person,
            month,
            months_in_file,
            before_file,
            required_months: v(C::REQUIRED_MONTHS),
            required_paid_months: v(C::REQUIRED_PAID_MONTHS),
            shortfall: v(C::SHORTFALL),
            lump_sum: v(C::LUMP_SUM),
            block: b,
        };
        let bad = if r.lump_sum.is_sign_negative() && !r.lump_sum.is_zero() {
            Some(format!("`lump_sum` is negative ({})", r.lump_sum))
        } else {
            [
                ("required_months", r.required_months),
                ("required_paid_months", r.required_paid_months),
            ]
            .into_iter()
            .find(|(_, v)| !v.fract().is_zero() || v.is_sign_negative() && !v.is_zero())
            .map(|(n, v)| format!("`{n}` is {v}, not a whole number of months (0 or more)"))
        };
        if let Some(m) = bad {
            let e = EvalError::at(m, block.span);
            return Err(locate(
                e,
                &block.name,
                persons.text(p.id),
                &format!("retirement {month}"),
            ));
        }
        totals.retirement(&r)?;
        sink.retirement(&r)?;
    }
    Ok(())
}

/// Runs `block` for the person (and month) of `pm`, watched by the
/// environment's tracer; an error names the block, the person and the month.
fn run_for<T: Tracer>(
    env: &Env<T>,
    (b, block): (u16, &crate::ir::Contribute),
    pm: &PersonCur,
    day: crate::date::Date,
    f: &mut Frame,
) -> R<()> {
    let cur = Cur {
        c: None,
        i: 0,
        inst: None,
        epoch: env.prog.epoch(day),
        unit: None,
        pm: Some(pm),
    };
    let person = pm.persons.text(pm.person.id);
    if T::ON {
        let month = pm.row.map(|r| r.month.to_string());
        env.t
            .begin_contribute(usize::from(b), person, month.as_deref(), f);
    }
    // Only for an error: nothing is formatted per month.
    let when = || match (pm.row, pm.retirement) {
        (Some(r), _) => r.month.to_string(),
        (None, Some((r, _))) => format!("retirement {r}"),
        (None, None) => String::new(),
    };
    run_block(env, block, &cur, f).map_err(|e| locate(e, &block.name, person, &when()))?;
    if T::ON {
        env.t.end_contribute(f);
    }
    Ok(())
}

fn run_block<T: Tracer>(
    env: &Env<T>,
    block: &crate::ir::Contribute,
    cur: &Cur,
    f: &mut Frame,
) -> R<()> {
    f.contrib.iter_mut().for_each(|x| *x = Decimal::ZERO);
    f.band = None;
    for s in &block.body {
        env.stmt(s, cur, f, None)?;
    }
    if !block.at_retirement {
        let paid = f.contrib[C::EMPLOYER as usize]
            .checked_add(f.contrib[C::EMPLOYEE as usize])
            .and_then(|x| x.checked_sub(f.contrib[C::TO_ACCOUNT as usize]));
        f.contrib[C::TO_POOL as usize] =
            paid.ok_or_else(|| EvalError::at("arithmetic overflow in to_pool", block.span))?;
    }
    Ok(())
}

/// Amounts that cannot be negative.
fn check_month(r: &MonthResult) -> Result<(), String> {
    for (name, v) in [
        ("base", r.base),
        ("employer", r.employer),
        ("employee", r.employee),
        ("to_account", r.to_account),
    ] {
        if v.is_sign_negative() && !v.is_zero() {
            return Err(format!("`{name}` is negative ({v})"));
        }
    }
    Ok(())
}

fn locate(mut e: Box<EvalError>, block: &str, person: &str, when: &str) -> Box<EvalError> {
    if e.rule.is_none() {
        e.rule = Some(block.into());
    }
    if e.unit.is_none() {
        e.unit = Some(format!("person {person}, {when}").into());
    }
    e
}

/// The region totals by year, added up as months and retirements come.
#[derive(Default)]
struct Totals {
    /// Each year's totals, and the last person counted in it (months come
    /// by person, so a person is counted once a year).
    years: std::collections::BTreeMap<i32, (YearTotals, Option<u32>)>,
}

fn add(a: &mut Decimal, b: Decimal) -> R<()> {
    *a = a
        .checked_add(b)
        .ok_or_else(|| EvalError::internal("arithmetic overflow adding up contributions"))?;
    Ok(())
}

impl Totals {
    fn year(&mut self, year: i32) -> &mut (YearTotals, Option<u32>) {
        self.years.entry(year).or_insert_with(|| {
            (
                YearTotals {
                    year,
                    ..YearTotals::default()
                },
                None,
            )
        })
    }

    /// `retired`: the code of the `retired` category.
    fn month(&mut self, row: &PersonMonth, m: &MonthResult, retired: Option<u8>) -> R<()> {
        let (t, last) = self.year(row.month.year());
        if *last != Some(row.person) {
            t.persons += 1;
            *last = Some(row.person);
        }
        t.months += 1;
        add(&mut t.base, m.base)?;
        add(&mut t.employer, m.employer)?;
        add(&mut t.employee, m.employee)?;
        add(&mut t.contributed, m.contributed())?;
        add(&mut t.to_pool, m.to_pool)?;
        add(&mut t.to_account, m.to_account)?;
        if Some(row.category) == retired {
            add(&mut t.retiree_credits, m.to_account)?;
            add(&mut t.pool_in, m.contributed())?;
        } else {
            add(&mut t.pool_in, m.to_pool)?;
        }
        Ok(())
    }

    fn retirement(&mut self, r: &RetirementResult) -> R<()> {
        let (t, _) = self.year(r.month.year());
        t.retirements += 1;
        t.retired_before_file += u64::from(r.before_file);
        add(&mut t.lump_sums, r.lump_sum)
    }
}

impl YearTotals {
    /// The identities every run checks: every yuan contributed is in the
    /// pool or an account, and the pool is what working people put in less
    /// what it credits retirees.
    pub fn check(&self) -> Result<(), String> {
        let y = self.year;
        let split = self.to_pool.checked_add(self.to_account);
        if self.employer.checked_add(self.employee) != Some(self.contributed)
            || split != Some(self.contributed)
        {
            return Err(format!(
                "contributions of {y}: employer {} + employee {} = contributed {}, but to_pool + to_account = {:?}",
                self.employer, self.employee, self.contributed, split
            ));
        }
        let pool = self.pool_in.checked_sub(self.retiree_credits);
        if pool != Some(self.to_pool) {
            return Err(format!(
                "contributions of {y}: to_pool = {} but pool_in − retiree_credits = {:?}",
                self.to_pool, pool
            ));
        }
        Ok(())
    }
}
