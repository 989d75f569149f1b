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
//! Then `clearing_balance` is computed and the ledger invariant checked on
//! every year row (see [`check_row`]); a row that breaks it fails the run.

use super::interp::{Cur, Env, EvalError, Frame, UnitCtx};
pub use super::invariant::{check_row, clearing_balance};
use super::trace::Tracer;
use super::{Periods, Settlement};
use crate::data::{Assessments, Claims, Institutions};
use crate::date::Date;
use crate::ir::{AggKind, AggOver, PeriodKind, Program, Settle, UnitKind};
use crate::schema::ledger::{self as L, COLUMNS};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// The institution ledger: one row per unit and year, and per unit and
/// month when the policy has month blocks.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// The amount columns: the standard ones, then the policy's `ledger` names.
    pub columns: Vec<String>,
    pub years: Vec<LedgerRow>,
    pub months: Vec<LedgerRow>,
}

#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub kind: UnitKind,
    /// institution_id or alliance_id.
    pub unit: String,
    pub year: i32,
    /// 1–12 for month rows, 0 for year rows.
    pub month: u32,
    /// Claims settled at the unit in the period, and their total cost.
    pub claims: u64,
    pub total_cost: Decimal,
    pub values: Vec<Decimal>,
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
            UnitKind::Region => Units {
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
        })
    }
}

/// Sums and counts of the aggregates over claims, laid out
/// `[block][period][unit][aggregate]`; one per settling thread, merged.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSums {
    sums: Vec<Vec<Decimal>>,
    counts: Vec<Vec<u64>>,
}

impl ClaimSums {
    pub(crate) fn new(prog: &Program, plan: &Plan, periods: &Periods) -> ClaimSums {
        let slots = |s: &Settle| {
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
        if !plan.over_claims {
            return Ok(());
        }
        let Some(c) = cur.c else {
            return Err(EvalError::internal("aggregate without a claim"));
        };
        let inst = c.institution as usize;
        for (b, block) in env.prog.settles.iter().enumerate() {
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

    pub(crate) fn merge(&mut self, other: &ClaimSums) -> Result<(), Box<EvalError>> {
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
pub fn settle_institutions(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    settlement: &Settlement,
    assessments: Option<&Assessments>,
) -> Result<Option<Ledger>, Box<EvalError>> {
    let env = Env {
        prog,
        claims,
        insts,
        t: super::trace::NoTrace,
    };
    settle_institutions_with(&env, settlement, assessments)
}

/// [`settle_institutions`] watched by a tracer.
pub(crate) fn settle_institutions_with<T: Tracer>(
    env: &Env<T>,
    settlement: &Settlement,
    assessments: Option<&Assessments>,
) -> Result<Option<Ledger>, Box<EvalError>> {
    let Some((plan, claim_sums)) = &settlement.clearing else {
        return Ok(None);
    };
    let prog = env.prog;
    let (units, applies, periods) = (&plan.units, &plan.applies, &settlement.periods);
    // Per kind: whether it is settled monthly (then its year rows must add up its months).
    let has_months: Vec<bool> = KINDS
        .iter()
        .map(|k| {
            prog.settles
                .iter()
                .any(|s| s.unit == *k && s.period == PeriodKind::Month)
        })
        .collect();
    let with_rows = [
        true,
        prog.settles.iter().any(|s| s.unit == UnitKind::Alliance),
    ];

    // Row cells per kind: [period][unit] → (claims, total_cost), from the summary.
    let mut year_counts: Vec<Vec<(u64, Decimal)>> = units
        .iter()
        .map(|u| vec![(0, Decimal::ZERO); u.ids.len() * periods.years.len()])
        .collect();
    let mut month_counts: Vec<Vec<(u64, Decimal)>> = units
        .iter()
        .map(|u| vec![(0, Decimal::ZERO); u.ids.len() * periods.months.len()])
        .collect();
    for (&(inst, y, m), t) in &settlement.summary.by_institution_month {
        let (yi, mi) = (periods.year_index(y), periods.month_index((y, m)));
        for (k, un) in units.iter().enumerate().take(2) {
            let Some(u) = un.of_inst.get(inst as usize).copied().flatten() else {
                continue;
            };
            let n = un.ids.len();
            for (cells, i) in [
                (&mut year_counts[k], yi * n + u as usize),
                (&mut month_counts[k], mi * n + u as usize),
            ] {
                if let Some(x) = cells.get_mut(i) {
                    x.0 += t.claims;
                    x.1 =
                        x.1.checked_add(t.total_cost)
                            .ok_or_else(|| EvalError::internal("total cost overflow"))?;
                }
            }
        }
    }
    let aggs = aggregate_values(env, plan, periods, claim_sums)?;

    let width = COLUMNS.len() + prog.ledger_extras.len();
    let mut month_rows: Vec<Vec<Vec<Decimal>>> = units
        .iter()
        .map(|u| vec![vec![Decimal::ZERO; width]; u.ids.len() * periods.months.len()])
        .collect();
    let mut year_rows: Vec<Vec<Vec<Decimal>>> = units
        .iter()
        .map(|u| vec![vec![Decimal::ZERO; width]; u.ids.len() * periods.years.len()])
        .collect();
    let mut f = Frame::new(prog);

    // Month blocks.
    for p in 0..periods.months.len() {
        for (b, block) in prog.settles.iter().enumerate() {
            if block.period != PeriodKind::Month || !applies[b][p] {
                continue;
            }
            let k = kind_index(block.unit);
            let n = units[k].ids.len();
            for u in 0..n {
                let ctx = Ctx {
                    env,
                    block,
                    units: &units[k],
                    u,
                    year: periods.months[p].0,
                    epoch: prog.epoch(period_end(periods, PeriodKind::Month, p)),
                    aggs: &aggs[b][(p * n + u) * block.aggregates.len()..]
                        [..block.aggregates.len()],
                    prior: None,
                    assessments,
                    month: periods.months[p].1,
                };
                let row = &mut month_rows[k][p * n + u];
                run_block(b, &ctx, &mut f, row)?;
            }
        }
    }

    // Year rows start as the sum of their months.
    for (k, rows) in month_rows.iter().enumerate() {
        let n = units[k].ids.len();
        for (p, (y, _)) in periods.months.iter().enumerate() {
            let Ok(yi) = periods.years.binary_search(y) else {
                continue;
            };
            for u in 0..n {
                let (src, dst) = (&rows[p * n + u], &mut year_rows[k][yi * n + u]);
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = d
                        .checked_add(*s)
                        .ok_or_else(|| EvalError::internal("ledger overflow"))?;
                }
            }
        }
    }
    let from_months: Vec<Option<Vec<Vec<Decimal>>>> = year_rows
        .iter()
        .zip(&has_months)
        .map(|(rows, m)| m.then(|| rows.clone()))
        .collect();

    // Year blocks.
    for (yi, &y) in periods.years.iter().enumerate() {
        f.region.iter_mut().for_each(|v| *v = Decimal::ZERO);
        let prev = yi.checked_sub(1).filter(|&pi| periods.years[pi] == y - 1);
        for (b, block) in prog.settles.iter().enumerate() {
            if block.period != PeriodKind::Year || !applies[b][yi] {
                continue;
            }
            let k = kind_index(block.unit);
            let n = units[k].ids.len();
            let na = block.aggregates.len();
            // Earlier years' rows come before this year's: borrow them apart.
            let (before, this_year) = year_rows[k].split_at_mut(yi * n);
            for (u, row) in this_year.iter_mut().take(n).enumerate() {
                let prior = prev.and_then(|pi| before.get(pi * n + u));
                let ctx = Ctx {
                    env,
                    block,
                    units: &units[k],
                    u,
                    year: y,
                    epoch: prog.epoch(period_end(periods, PeriodKind::Year, yi)),
                    aggs: &aggs[b][(yi * n + u) * na..][..na],
                    prior: prior.map(Vec::as_slice),
                    assessments,
                    month: 0,
                };
                run_block(b, &ctx, &mut f, row)?;
            }
        }
    }

    // Clearing, invariant, rows out.
    let mut ledger = Ledger {
        columns: COLUMNS
            .iter()
            .map(|c| c.0.to_string())
            .chain(prog.ledger_extras.iter().map(|o| o.name.clone()))
            .collect(),
        years: Vec::new(),
        months: Vec::new(),
    };
    let mut problems = Vec::new();
    for (k, kind) in KINDS.iter().enumerate().take(2) {
        if !with_rows[k] {
            continue;
        }
        let n = units[k].ids.len();
        for (yi, &y) in periods.years.iter().enumerate() {
            for u in 0..n {
                let i = yi * n + u;
                let row = &mut year_rows[k][i];
                row[L::CLEARING_BALANCE as usize] =
                    clearing_balance(row).ok_or_else(|| EvalError::internal("ledger overflow"))?;
                let months = from_months
                    .get(k)
                    .and_then(|r| r.as_ref())
                    .and_then(|r| r.get(i));
                for p in check_row(row, months) {
                    problems.push(format!("{} {} {y}: {p}", kind_name(*kind), units[k].ids[u]));
                }
                let (claims_n, cost) = year_counts[k][i];
                ledger.years.push(LedgerRow {
                    kind: *kind,
                    unit: units[k].ids[u].clone(),
                    year: y,
                    month: 0,
                    claims: claims_n,
                    total_cost: cost,
                    values: row.clone(),
                });
            }
        }
        if has_months[k] {
            for (p, &(y, m)) in periods.months.iter().enumerate() {
                for u in 0..n {
                    let (claims_n, cost) = month_counts[k][p * n + u];
                    ledger.months.push(LedgerRow {
                        kind: *kind,
                        unit: units[k].ids[u].clone(),
                        year: y,
                        month: m,
                        claims: claims_n,
                        total_cost: cost,
                        values: month_rows[k][p * n + u].clone(),
                    });
                }
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
    Ok(Some(ledger))
}

pub fn kind_name(k: UnitKind) -> &'static str {
    match k {
        UnitKind::Institution => "institution",
        UnitKind::Alliance => "alliance",
        UnitKind::Region => "region",
    }
}

/// One block run for one unit and period.
struct Ctx<'a, T: Tracer> {
    env: &'a Env<'a, T>,
    block: &'a Settle,
    units: &'a Units,
    u: usize,
    year: i32,
    month: u32,
    epoch: usize,
    aggs: &'a [Decimal],
    prior: Option<&'a [Decimal]>,
    assessments: Option<&'a Assessments>,
}

fn run_block<T: Tracer>(
    b: usize,
    ctx: &Ctx<T>,
    f: &mut Frame,
    row: &mut Vec<Decimal>,
) -> Result<(), Box<EvalError>> {
    let id = &ctx.units.ids[ctx.u];
    let unit = UnitCtx {
        aggs: ctx.aggs,
        prior: ctx.prior,
        score: ctx.assessments.and_then(|a| a.score(id, ctx.year)),
    };
    let inst = match ctx.block.unit {
        UnitKind::Institution => ctx.env.insts.rows.get(ctx.u),
        _ => None,
    };
    let cur = Cur {
        c: None,
        i: 0,
        inst,
        epoch: ctx.epoch,
        unit: Some(&unit),
    };
    std::mem::swap(&mut f.ledger, row);
    if T::ON {
        ctx.env.t.begin_block(b, id, ctx.year, ctx.month, f);
    }
    let mut result = Ok(());
    for s in &ctx.block.body {
        if let Err(mut e) = ctx.env.stmt(s, &cur, f, None) {
            e.rule = Some(format!("settle block `{}`", ctx.block.name).into());
            let period = if ctx.month == 0 {
                ctx.year.to_string()
            } else {
                format!("{}-{:02}", ctx.year, ctx.month)
            };
            e.unit = Some(
                match ctx.block.unit {
                    UnitKind::Region => format!("region, {period}"),
                    k => format!("{} {id}, {period}", kind_name(k)),
                }
                .into(),
            );
            result = Err(e);
            break;
        }
    }
    if T::ON {
        ctx.env.t.end_block(f);
    }
    std::mem::swap(&mut f.ledger, row);
    result
}

/// Every block's aggregates, laid out `[period][unit][aggregate]`: the sums
/// over claims made while settling them, plus the aggregates over
/// institutions, turned into values (a count, a sum, an average).
fn aggregate_values<T: Tracer>(
    env: &Env<T>,
    plan: &Plan,
    periods: &Periods,
    claim_sums: &ClaimSums,
) -> Result<Vec<Vec<Decimal>>, Box<EvalError>> {
    let prog = env.prog;
    let (units, applies) = (&plan.units, &plan.applies);
    let ClaimSums {
        mut sums,
        mut counts,
    } = claim_sums.clone();
    let f = Frame::new(prog);

    // Aggregates over institutions.
    for (b, block) in prog.settles.iter().enumerate() {
        if !block
            .aggregates
            .iter()
            .any(|a| a.over == AggOver::Institutions)
        {
            continue;
        }
        let un = &units[kind_index(block.unit)];
        let na = block.aggregates.len();
        for (p, &on) in applies[b].iter().enumerate() {
            if !on {
                continue;
            }
            let epoch = prog.epoch(period_end(periods, block.period, p));
            for (ii, inst) in env.insts.rows.iter().enumerate() {
                let Some(u) = un.of_inst.get(ii).copied().flatten() else {
                    continue;
                };
                let cur = Cur {
                    c: None,
                    i: 0,
                    inst: Some(inst),
                    epoch,
                    unit: None,
                };
                let base = (p * un.ids.len() + u as usize) * na;
                for (a, agg) in block.aggregates.iter().enumerate() {
                    if agg.over != AggOver::Institutions {
                        continue;
                    }
                    if let Some(filter) = &agg.filter {
                        if !env.boolean(filter, &cur, &f)? {
                            continue;
                        }
                    }
                    let v = match &agg.arg {
                        Some(x) => env.num(x, &cur, &f)?,
                        None => Decimal::ONE,
                    };
                    let cell = &mut sums[b][base + a];
                    *cell = cell.checked_add(v).ok_or_else(|| {
                        EvalError::at("arithmetic overflow in an aggregate", agg.span)
                    })?;
                    counts[b][base + a] += 1;
                }
            }
        }
    }

    // Sums and counts → values.
    let mut out = Vec::with_capacity(prog.settles.len());
    for (b, block) in prog.settles.iter().enumerate() {
        let na = block.aggregates.len().max(1);
        let vals = sums[b]
            .iter()
            .zip(&counts[b])
            .enumerate()
            .map(|(i, (s, n))| {
                let agg = &block.aggregates[i % na];
                match agg.kind {
                    AggKind::Sum => Ok(*s),
                    AggKind::Count => Ok(Decimal::from(*n)),
                    AggKind::Avg if *n == 0 => Ok(Decimal::ZERO),
                    AggKind::Avg => s
                        .checked_div(Decimal::from(*n))
                        .ok_or_else(|| EvalError::at("arithmetic overflow in `avg`", agg.span)),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(vals);
    }
    Ok(out)
}
