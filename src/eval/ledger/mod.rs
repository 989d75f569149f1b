//! Institution settlement: settle blocks run per unit and period over the
//! settled claims, giving the ledger.
//!
//! Order of work, so that every value a block reads is already known:
//! 1. the aggregates of every block, in one pass over the settled claims
//!    (and one over the institutions for aggregates of `institution.x`);
//! 2. month blocks, month by month, each block in file order for every unit;
//! 3. each year row starts as the sum of its month rows; then year blocks,
//!    year by year, each in file order for every unit (region blocks first
//!    when written first, so their values are ready for the blocks after).
//!
//! Each year row's `reserve_opening` is the previous year's
//! `reserve_closing` (from the row `prior` reads), set before its blocks
//! run; after them `clearing_balance` and `reserve_closing` are computed,
//! so that the next year's `prior` reads them. Then the ledger invariant is
//! checked on every year row (see [`check_row`]); a row that breaks it
//! fails the run.

use super::interp::{Cur, Env, EvalError, Frame, UnitCtx};
pub use super::invariant::{check_row, clearing_balance, reserve_closing, set_computed};
use super::trace::Tracer;
use super::{Periods, Settlement};
use crate::data::{Assessments, Claims, Institutions};
use crate::date::Date;
use crate::ir::{AggKind, AggOver, PeriodKind, Program, Settle, SettleGroup, UnitKind};
use crate::schema::ledger::{self as L, COLUMNS};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

mod agreement;
mod group;
mod patient;
pub use agreement::ActionOutcome;
pub mod typed;
pub use group::kind_name;
use group::{aggregate_values, run_group, Place};
pub(crate) use patient::settle_patients_with;
pub use patient::{settle_patients, PatientLedger, PatientRow};

/// The institution ledger: one row per unit and year, and per unit and
/// month when the policy has month blocks.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// The amount columns: the standard ones, then the policy's `ledger` names.
    pub columns: Vec<String>,
    /// By column: whether it is an amount of the unit rows (written to
    /// `ledger.csv`, shown by `explain`): every standard one, and each
    /// declared amount an institution, alliance or region block sets. One
    /// only `per patient` blocks set is a patient amount: it is in
    /// `patient_ledger.csv`, never a column of zeros here.
    pub unit_amount: Vec<bool>,
    pub years: Vec<LedgerRow>,
    pub months: Vec<LedgerRow>,
    /// What came of each suspension and termination, by line (policies
    /// with `agreement` blocks).
    pub agreements: Vec<ActionOutcome>,
}

#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub kind: UnitKind,
    /// institution_id or alliance_id.
    pub unit: String,
    pub year: i32,
    /// 1–12 for month rows, 0 for year rows.
    pub month: u32,
    /// Whether the year-end blocks ran on a whole year.
    pub status: RowStatus,
    /// The unit's claims in the period.
    pub counts: Counts,
    pub values: Vec<Decimal>,
}

/// The claims settled at a unit in a period: how many, their total cost,
/// and what every layer paid on them together (`claims_paid`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub claims: u64,
    pub total_cost: Decimal,
    pub claims_paid: Decimal,
}

/// A year row's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    /// The whole year ran and its year-end blocks with it (month rows: always).
    Final,
    /// The run stops before December (`--through`): the year-end blocks did
    /// not run; the row holds the months so far.
    Partial,
    /// As partial, but the year-end blocks ran on the months so far
    /// (`--provisional`).
    Provisional,
}

impl RowStatus {
    pub fn name(self) -> &'static str {
        match self {
            RowStatus::Final => "final",
            RowStatus::Partial => "partial",
            RowStatus::Provisional => "provisional",
        }
    }
}

/// The units of one kind: their ids, and each institution's unit.
#[derive(Debug)]
struct Units {
    ids: Vec<String>,
    of_inst: Vec<Option<u32>>,
}

impl Units {
    fn new(kind: UnitKind, insts: &Institutions) -> Units {
        match kind {
            UnitKind::Institution => Units {
                ids: insts.rows.iter().map(|i| i.id.clone()).collect(),
                of_inst: (0..insts.rows.len())
                    .map(|i| u32::try_from(i).ok())
                    .collect(),
            },
            UnitKind::Alliance => {
                let set: BTreeSet<&str> = insts
                    .rows
                    .iter()
                    .map(|i| i.alliance.as_str())
                    .filter(|a| !a.is_empty())
                    .collect();
                let ids: Vec<String> = set.iter().map(|s| s.to_string()).collect();
                let of_inst = insts
                    .rows
                    .iter()
                    .map(|i| {
                        ids.binary_search(&i.alliance)
                            .ok()
                            .and_then(|x| u32::try_from(x).ok())
                    })
                    .collect();
                Units { ids, of_inst }
            }
            UnitKind::Region | UnitKind::Patient => Units {
                ids: vec![String::new()],
                of_inst: vec![Some(0); insts.rows.len()],
            },
        }
    }
}

const KINDS: [UnitKind; 3] = [UnitKind::Institution, UnitKind::Alliance, UnitKind::Region];

fn kind_index(k: UnitKind) -> usize {
    match k {
        UnitKind::Institution => 0,
        UnitKind::Alliance => 1,
        UnitKind::Region => 2,
        // Patient blocks have no units here (see `patient`): never indexed.
        UnitKind::Patient => 3,
    }
}

/// The last day of period `i` of kind `p`.
fn period_end(periods: &Periods, p: PeriodKind, i: usize) -> Date {
    let (y, m) = match p {
        PeriodKind::Year => (periods.years[i], 12),
        PeriodKind::Month => periods.months[i],
    };
    Date::month_end(y, m).unwrap_or_default()
}

fn period_count(periods: &Periods, p: PeriodKind) -> usize {
    match p {
        PeriodKind::Year => periods.years.len(),
        PeriodKind::Month => periods.months.len(),
    }
}

/// What is known of the settle blocks before the claims are settled: the
/// units of each kind and which blocks apply to which periods.
#[derive(Debug)]
pub(crate) struct Plan {
    units: Vec<Units>,
    applies: Vec<Vec<bool>>,
    over_claims: bool,
    /// Patient blocks, when there are any.
    patient: Option<patient::PatientPlan>,
}

impl Plan {
    /// `None` when the policy has no settle blocks.
    pub(crate) fn new(prog: &Program, insts: &Institutions, periods: &Periods) -> Option<Plan> {
        if prog.settles.is_empty() {
            return None;
        }
        // Which blocks apply to which periods: in force on the period's last day.
        let applies = prog
            .settles
            .iter()
            .map(|s| {
                (0..period_count(periods, s.period))
                    .map(|p| {
                        s.in_force
                            .is_none_or(|f| f.contains(period_end(periods, s.period, p)))
                    })
                    .collect()
            })
            .collect();
        Some(Plan {
            units: KINDS.iter().map(|k| Units::new(*k, insts)).collect(),
            applies,
            over_claims: prog
                .settles
                .iter()
                .any(|s| s.aggregates.iter().any(|a| a.over == AggOver::Claims)),
            patient: patient::PatientPlan::new(prog),
        })
    }
}

/// Sums and counts of the aggregates over claims, laid out
/// `[block][period][unit][aggregate]`; one per settling thread, merged.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSums {
    sums: Vec<Vec<Decimal>>,
    counts: Vec<Vec<u64>>,
    /// Per patient and year, when the policy has patient blocks.
    patient: Option<patient::PatientSums>,
}

impl ClaimSums {
    pub(crate) fn new(prog: &Program, plan: &Plan, periods: &Periods) -> ClaimSums {
        let slots = |s: &Settle| {
            if s.unit == UnitKind::Patient {
                return 0;
            }
            plan.units[kind_index(s.unit)].ids.len()
                * period_count(periods, s.period)
                * s.aggregates.len()
        };
        ClaimSums {
            sums: prog
                .settles
                .iter()
                .map(|s| vec![Decimal::ZERO; slots(s)])
                .collect(),
            counts: prog.settles.iter().map(|s| vec![0; slots(s)]).collect(),
            patient: plan
                .patient
                .as_ref()
                .map(|_| patient::PatientSums::default()),
        }
    }

    /// Adds a settled claim: `f` holds its results and top-level values.
    pub(crate) fn add<T: Tracer>(
        &mut self,
        env: &Env<T>,
        plan: &Plan,
        cur: &Cur,
        f: &Frame,
        yi: usize,
        mi: usize,
    ) -> Result<(), Box<EvalError>> {
        if let (Some(pp), Some(ps)) = (plan.patient.as_ref(), self.patient.as_mut()) {
            ps.add(env, plan, pp, cur, f, yi)?;
        }
        if !plan.over_claims {
            return Ok(());
        }
        let Some(c) = cur.c else {
            return Err(EvalError::internal("aggregate without a claim"));
        };
        let inst = c.institution as usize;
        for (b, block) in env.prog.settles.iter().enumerate() {
            if block.unit == UnitKind::Patient {
                continue;
            }
            let p = if block.period == PeriodKind::Year {
                yi
            } else {
                mi
            };
            if !plan.applies[b].get(p).copied().unwrap_or(false) {
                continue;
            }
            let un = &plan.units[kind_index(block.unit)];
            let Some(u) = un.of_inst.get(inst).copied().flatten() else {
                continue;
            };
            let na = block.aggregates.len();
            let base = (p * un.ids.len() + u as usize) * na;
            for (a, agg) in block.aggregates.iter().enumerate() {
                if agg.over != AggOver::Claims {
                    continue;
                }
                if let Some(filter) = &agg.filter {
                    if !env.boolean(filter, cur, f)? {
                        continue;
                    }
                }
                let v = match &agg.arg {
                    Some(x) => env.num(x, cur, f)?,
                    None => Decimal::ONE,
                };
                let cell = &mut self.sums[b][base + a];
                *cell = cell.checked_add(v).ok_or_else(|| {
                    EvalError::at("arithmetic overflow in an aggregate", agg.span)
                })?;
                self.counts[b][base + a] += 1;
            }
        }
        Ok(())
    }

    /// Adds the sums of another thread, which settled the patients after
    /// this one's (threads are merged in order).
    pub(crate) fn merge(&mut self, other: &ClaimSums) -> Result<(), Box<EvalError>> {
        if let (Some(a), Some(b)) = (self.patient.as_mut(), other.patient.as_ref()) {
            a.append(b);
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x
                    .checked_add(*y)
                    .ok_or_else(|| EvalError::internal("arithmetic overflow in an aggregate"))?;
            }
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        Ok(())
    }
}

/// Runs the policy's settle blocks; `None` when it has none.
pub fn settle_institutions<R>(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    settlement: &Settlement<R>,
    assessments: Option<&Assessments>,
) -> Result<Option<Ledger>, Box<EvalError>> {
    settle_institutions_carried(prog, claims, insts, settlement, assessments, None)
}

/// [`settle_institutions`] from an opening state: its ledger rows are the
/// previous year of the run's first year, for `prior`.
pub fn settle_institutions_carried<R>(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    settlement: &Settlement<R>,
    assessments: Option<&Assessments>,
    opening: Option<&super::carry::Opening>,
) -> Result<Option<Ledger>, Box<EvalError>> {
    let env = Env {
        prog,
        claims,
        insts,
        t: super::trace::NoTrace,
        carry: super::carry::Carry {
            opening,
            keep: false,
        },
    };
    settle_institutions_with(&env, settlement, assessments)
}

/// [`settle_institutions`] watched by a tracer.
pub(crate) fn settle_institutions_with<T: Tracer, R>(
    env: &Env<T>,
    settlement: &Settlement<R>,
    assessments: Option<&Assessments>,
) -> Result<Option<Ledger>, Box<EvalError>> {
    let Some((plan, claim_sums)) = &settlement.clearing else {
        return Ok(None);
    };
    let prog = env.prog;
    let (units, periods) = (&plan.units, &settlement.periods);
    let has_blocks = |k: UnitKind, p: Option<PeriodKind>| {
        prog.settles
            .iter()
            .any(|s| s.unit == k && p.is_none_or(|p| s.period == p))
    };
    // Kinds with rows: institutions always (their claims' payments show
    // even when only alliances are settled), alliances and the region when
    // a block settles them; month rows for kinds settled monthly.
    let with_rows: Vec<bool> = KINDS
        .iter()
        .map(|&k| k == UnitKind::Institution || has_blocks(k, None))
        .collect();
    let has_months: Vec<bool> = KINDS
        .iter()
        .map(|&k| has_blocks(k, Some(PeriodKind::Month)))
        .collect();

    let counts = row_counts(settlement, units, periods)?;
    let aggs = aggregate_values(env, plan, periods, claim_sums)?;

    let width = COLUMNS.len() + prog.ledger_extras.len();
    // A text, bool or date amount starts as its default (typed.rs).
    let blank = typed::blank_row(prog);
    let mut month_rows: Vec<Vec<Vec<Decimal>>> = units
        .iter()
        .map(|u| vec![blank.clone(); u.ids.len() * periods.months.len()])
        .collect();
    let mut year_rows: Vec<Vec<Vec<Decimal>>> = units
        .iter()
        .map(|u| vec![blank.clone(); u.ids.len() * periods.years.len()])
        .collect();
    let mut f = Frame::new(prog);

    // Month blocks: every month of the run, for every unit.
    for (p, &(y, m)) in periods.months.iter().enumerate() {
        for group in &prog.settle_order {
            if group.period != PeriodKind::Month || group.unit == UnitKind::Patient {
                continue;
            }
            let k = kind_index(group.unit);
            for u in 0..units[k].ids.len() {
                let at = Place {
                    units: &units[k],
                    u,
                    p,
                    year: y,
                    month: m,
                    epoch: prog.epoch(period_end(periods, PeriodKind::Month, p)),
                    prior: None,
                };
                let row = &mut month_rows[k][p * units[k].ids.len() + u];
                run_group(env, plan, &aggs, group, &at, assessments, &mut f, row)?;
            }
        }
    }

    // Held money, followed from the months that hold it.
    let outcomes = if prog.has_agreements() {
        let carried_in = env
            .carry
            .opening
            .filter(|o| {
                periods
                    .years
                    .first()
                    .is_some_and(|&y| o.ledger_year == y - 1)
            })
            .map_or(&[][..], |o| o.held.as_slice());
        agreement::follow_held(
            prog,
            &env.insts.agreement,
            env.insts,
            periods,
            &mut month_rows[0],
            carried_in,
        )?
    } else {
        Vec::new()
    };

    // Year rows start as the sum of their months (a balance: the last month's).
    for (k, rows) in month_rows.iter().enumerate() {
        let n = units[k].ids.len();
        for (p, (y, _)) in periods.months.iter().enumerate() {
            let Some(yi) = periods.year_index(*y) else {
                continue;
            };
            for u in 0..n {
                let (src, dst) = (&rows[p * n + u], &mut year_rows[k][yi * n + u]);
                for (c, (d, s)) in dst.iter_mut().zip(src).enumerate() {
                    // A year row's text, bool or date is what a year block sets.
                    if typed::val_type(prog, c).is_some() {
                        continue;
                    }
                    if c == L::HELD_CLOSING as usize {
                        *d = *s;
                        continue;
                    }
                    *d = d
                        .checked_add(*s)
                        .ok_or_else(|| EvalError::internal("ledger overflow"))?;
                }
            }
        }
    }

    // Year blocks: region first (its values are read by the others), for
    // every year of the run that is complete (or, asked, provisionally).
    for (yi, &y) in periods.years.iter().enumerate() {
        f.region.iter_mut().for_each(|v| *v = Decimal::ZERO);
        let complete = periods.complete.get(yi).copied().unwrap_or(false);
        let prev = yi.checked_sub(1).filter(|&pi| periods.years[pi] == y - 1);
        // The run's first year: the opening state's rows, if any, stand for
        // the previous year's.
        let carried = |k: usize, u: usize| -> Option<&[Decimal]> {
            let o = env
                .carry
                .opening
                .filter(|o| yi == 0 && o.ledger_year == y - 1)?;
            let kind = [UnitKind::Institution, UnitKind::Alliance, UnitKind::Region][k];
            o.ledger
                .get(&(kind, units[k].ids[u].clone()))
                .map(Vec::as_slice)
        };
        // The reserve carried in: the closing balance of the row `prior` reads.
        for (k, rows) in year_rows.iter_mut().enumerate() {
            let n = units[k].ids.len();
            let (before, this_year) = rows.split_at_mut(yi * n);
            for (u, row) in this_year.iter_mut().take(n).enumerate() {
                row[L::RESERVE_OPENING as usize] = prior_row(before, prev, n, u)
                    .or_else(|| carried(k, u))
                    .and_then(|p| p.get(L::RESERVE_CLOSING as usize).copied())
                    .unwrap_or_default();
            }
        }
        if complete || periods.provisional {
            for group in &prog.settle_order {
                if group.period != PeriodKind::Year || group.unit == UnitKind::Patient {
                    continue;
                }
                let k = kind_index(group.unit);
                let n = units[k].ids.len();
                // Earlier years' rows come before this year's: borrow them apart.
                let (before, this_year) = year_rows[k].split_at_mut(yi * n);
                for (u, row) in this_year.iter_mut().take(n).enumerate() {
                    let at = Place {
                        units: &units[k],
                        u,
                        p: yi,
                        year: y,
                        month: 0,
                        epoch: prog.epoch(period_end(periods, PeriodKind::Year, yi)),
                        prior: prior_row(before, prev, n, u).or_else(|| carried(k, u)),
                    };
                    run_group(env, plan, &aggs, group, &at, assessments, &mut f, row)?;
                }
            }
        }
        // The computed amounts now, so that next year's `prior` reads them.
        for (k, rows) in year_rows.iter_mut().enumerate() {
            let n = units[k].ids.len();
            for row in rows.iter_mut().skip(yi * n).take(n) {
                set_computed(row).ok_or_else(|| EvalError::internal("ledger overflow"))?;
            }
        }
    }

    let mut outcomes = outcomes;
    agreement::deposits_forfeited(&mut outcomes, periods, &year_rows[0], units[0].ids.len())?;

    // Clearing, invariant, rows out.
    let mut ledger = Ledger {
        columns: COLUMNS
            .iter()
            .map(|c| c.0.to_string())
            .chain(prog.ledger_extras.iter().map(|o| o.name.clone()))
            .collect(),
        unit_amount: unit_amounts(prog),
        years: Vec::new(),
        months: Vec::new(),
        agreements: outcomes,
    };
    let mut problems = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        if !with_rows[k] {
            continue;
        }
        let n = units[k].ids.len();
        if has_months[k] {
            for (p, &(y, m)) in periods.months.iter().enumerate() {
                for u in 0..n {
                    let row = &mut month_rows[k][p * n + u];
                    row[L::CLEARING_BALANCE as usize] = clearing_balance(row)
                        .ok_or_else(|| EvalError::internal("ledger overflow"))?;
                    // The reserve is carried from year to year, not month to month.
                    row[L::RESERVE_OPENING as usize] = Decimal::ZERO;
                    row[L::RESERVE_CLOSING as usize] = Decimal::ZERO;
                    ledger.months.push(LedgerRow {
                        kind: *kind,
                        unit: units[k].ids[u].clone(),
                        year: y,
                        month: m,
                        status: RowStatus::Final,
                        counts: counts.months[k][p * n + u].clone(),
                        values: row.clone(),
                    });
                }
            }
        }
        for (yi, &y) in periods.years.iter().enumerate() {
            // The amounts paid monthly in this year: the year must add them up.
            let monthly: Vec<u16> = L::MONTHLY_CASH
                .into_iter()
                .filter(|&c| monthly_in_year(prog, plan, periods, *kind, c, y))
                .collect();
            let complete = periods.complete.get(yi).copied().unwrap_or(false);
            for u in 0..n {
                let i = yi * n + u;
                // Held money carried in: the previous year's closing, or in
                // the run's first year what the opening state holds.
                let opening = match yi.checked_sub(1).filter(|&pi| periods.years[pi] == y - 1) {
                    Some(pi) => year_rows[k]
                        .get(pi * n + u)
                        .map_or(Decimal::ZERO, |r| r[L::HELD_CLOSING as usize]),
                    None => ledger
                        .agreements
                        .iter()
                        .filter(|o| o.institution as usize == u)
                        .try_fold(Decimal::ZERO, |a, o| a.checked_add(o.carried_in))
                        .ok_or_else(|| EvalError::internal("held money too large to add up"))?,
                };
                let row = &mut year_rows[k][i];
                let mut sums = vec![Decimal::ZERO; width];
                for (p, (my, _)) in periods.months.iter().enumerate() {
                    if *my == y {
                        for (s, v) in sums.iter_mut().zip(&month_rows[k][p * n + u]) {
                            *s = s.checked_add(*v).unwrap_or(*s);
                        }
                    }
                }
                let mut found = check_row(row, Some((&sums, &monthly)));
                if *kind == UnitKind::Institution && prog.has_agreements() {
                    let t = u32::try_from(u)
                        .ok()
                        .and_then(|x| env.insts.agreement.terminated_on(x));
                    found.extend(agreement::check_year(row, opening, t, y));
                }
                for p in found {
                    problems.push(format!("{} {} {y}: {p}", kind_name(*kind), units[k].ids[u]));
                }
                ledger.years.push(LedgerRow {
                    kind: *kind,
                    unit: units[k].ids[u].clone(),
                    year: y,
                    month: 0,
                    status: match (complete, periods.provisional) {
                        (true, _) => RowStatus::Final,
                        (false, true) => RowStatus::Provisional,
                        (false, false) => RowStatus::Partial,
                    },
                    counts: counts.years[k][i].clone(),
                    values: row.clone(),
                });
            }
        }
    }
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(10).map(String::as_str).collect();
        let more = problems.len().saturating_sub(10);
        let mut msg = format!(
            "the ledger does not balance ({} problem{}):\n  {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            shown.join("\n  ")
        );
        if more > 0 {
            msg.push_str(&format!("\n  … and {more} more"));
        }
        return Err(EvalError::internal(&msg));
    }
    // Ordered by their keys, so the same rows in any order of the files
    // give the same bytes: kind, year (and month), then unit id.
    let key = |r: &LedgerRow| (kind_index(r.kind), r.year, r.month);
    ledger.years.sort_by(|a, b| {
        key(a)
            .cmp(&key(b))
            .then_with(|| a.unit.as_bytes().cmp(b.unit.as_bytes()))
    });
    ledger.months.sort_by(|a, b| {
        key(a)
            .cmp(&key(b))
            .then_with(|| a.unit.as_bytes().cmp(b.unit.as_bytes()))
    });
    Ok(Some(ledger))
}

/// [`Ledger::unit_amount`] of a program.
fn unit_amounts(prog: &Program) -> Vec<bool> {
    let mut set = vec![true; COLUMNS.len()];
    // The agreement columns only where the policy manages agreements.
    for c in L::AGREEMENT {
        set[c as usize] = prog.has_agreements();
    }
    set.extend((0..prog.ledger_extras.len()).map(|e| {
        let c = COLUMNS.len() + e;
        prog.settle_order
            .iter()
            .any(|g| g.unit != UnitKind::Patient && g.writes.iter().any(|&w| usize::from(w) == c))
    }));
    set
}

/// The unit's row of the previous year, when the run has that year: what
/// `prior` reads and where the reserve is carried from.
fn prior_row(
    before: &[Vec<Decimal>],
    prev: Option<usize>,
    n: usize,
    u: usize,
) -> Option<&[Decimal]> {
    prev.and_then(|pi| before.get(pi * n + u))
        .map(Vec::as_slice)
}

/// Whether a month block of `kind` setting `col` runs in some month of year `y`.
fn monthly_in_year(
    prog: &Program,
    plan: &Plan,
    periods: &Periods,
    kind: UnitKind,
    col: u16,
    y: i32,
) -> bool {
    prog.settles.iter().enumerate().any(|(b, s)| {
        s.unit == kind
            && s.period == PeriodKind::Month
            && s.body.iter().any(|st| st.ledger_write() == Some(col))
            && periods
                .months
                .iter()
                .enumerate()
                .any(|(p, (my, _))| *my == y && plan.applies[b].get(p).copied().unwrap_or(false))
    })
}

/// Claims, total cost and what the layers paid, per kind, period and unit.
struct RowCounts {
    years: Vec<Vec<Counts>>,
    months: Vec<Vec<Counts>>,
}

fn row_counts<R>(
    settlement: &Settlement<R>,
    units: &[Units],
    periods: &Periods,
) -> Result<RowCounts, Box<EvalError>> {
    let mut years: Vec<Vec<Counts>> = units
        .iter()
        .map(|u| vec![Counts::default(); u.ids.len() * periods.years.len()])
        .collect();
    let mut months: Vec<Vec<Counts>> = units
        .iter()
        .map(|u| vec![Counts::default(); u.ids.len() * periods.months.len()])
        .collect();
    let overflow = || EvalError::internal("the totals are too large to add up");
    for (&(inst, y, m), t) in &settlement.summary.by_institution_month {
        let (Some(yi), Some(mi)) = (periods.year_index(y), periods.month_index((y, m))) else {
            continue;
        };
        let paid = t
            .layers
            .iter()
            .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
            .ok_or_else(overflow)?;
        for (k, un) in units.iter().enumerate() {
            let Some(u) = un.of_inst.get(inst as usize).copied().flatten() else {
                continue;
            };
            let n = un.ids.len();
            for (cells, i) in [
                (&mut years[k], yi * n + u as usize),
                (&mut months[k], mi * n + u as usize),
            ] {
                if let Some(x) = cells.get_mut(i) {
                    x.claims += t.claims;
                    x.total_cost = x
                        .total_cost
                        .checked_add(t.total_cost)
                        .ok_or_else(overflow)?;
                    x.claims_paid = x.claims_paid.checked_add(paid).ok_or_else(overflow)?;
                }
            }
        }
    }
    Ok(RowCounts { years, months })
}
