//! The settle stage: a checked program and typed data in, a [`Settlement`] out.
//!
//! Claims are settled per patient in (discharge_date, claim_id) order, with
//! accumulators reset at each patient and calendar year (`per patient per
//! year`) or at each patient only (`per patient`, the whole run, opened from
//! a state file's memory when there is one: see [`carry`]). Patients are
//! independent, so the ordered claims are cut at patient boundaries into one
//! chunk per thread; each chunk writes its own slice of the result matrix,
//! which makes the output identical whatever the number of threads.

mod arith;
pub mod carry;
mod claim;
mod exact;
pub(crate) mod interp;
mod invariant;
pub mod ledger;
mod previous;
mod summary;
pub(crate) mod trace;
pub mod value;

pub use interp::EvalError;
pub use ledger::{
    settle_institutions, settle_institutions_carried, settle_patients, Ledger, LedgerRow,
    PatientLedger, PatientRow,
};
pub use summary::{fen, Summary, Totals};

use crate::data::{Claims, Institutions};
use crate::ir::Program;
use rust_decimal::Decimal;

/// Every claim's results, row `k` for `Claims::rows[k]` (claims are kept in
/// settlement order).
#[derive(Debug)]
pub struct Settlement {
    /// Row-major: for each claim, the layers' payments, then
    /// `patient_paid`, `institution_borne`, the fee (when the policy has a
    /// fee block), then the policy's outputs.
    pub values: Vec<Decimal>,
    /// For each claim and each layer (then the fee block, if any), the
    /// 1-based index of the rule that applied (0: none).
    pub rules: Vec<u16>,
    pub n_layers: usize,
    /// 1 when the policy has a fee block, else 0.
    pub n_fee: usize,
    pub n_outputs: usize,
    /// Row-major, [`Settlement::n_vals`] per claim: the text, bool and date
    /// outputs by output slot (numeric slots unused); empty when the policy
    /// has none.
    pub vals: Vec<value::Val>,
    pub n_vals: usize,
    /// The sums over the claims.
    pub summary: Summary,
    /// The years and months the claims fall in.
    pub periods: Periods,
    /// For settle blocks: the units and the aggregates over claims.
    pub(crate) clearing: Option<(ledger::Plan, ledger::ClaimSums)>,
    /// Each patient's closing patient memory, in settlement order (only
    /// when asked, see [`carry::Carry::keep`]).
    pub memory: Vec<carry::Closing>,
}

impl Settlement {
    pub fn stride(&self) -> usize {
        self.n_layers + 2 + self.n_fee + self.n_outputs
    }

    /// Column of `patient_paid` in a row.
    pub fn patient_col(&self) -> usize {
        self.n_layers
    }

    /// Column of `institution_borne` in a row.
    pub fn borne_col(&self) -> usize {
        self.n_layers + 1
    }

    /// Column of the fee in a row, when the policy has a fee block.
    pub fn fee_col(&self) -> Option<usize> {
        (self.n_fee == 1).then_some(self.n_layers + 2)
    }

    /// Column of output `j` in a row.
    pub fn output_col(&self, j: usize) -> usize {
        self.n_layers + 2 + self.n_fee + j
    }

    /// Rules applied per claim: one per layer, then the fee block's.
    pub fn n_applied(&self) -> usize {
        self.n_layers + self.n_fee
    }

    /// Claims settled.
    pub fn len(&self) -> usize {
        self.values.len() / self.stride().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Results of the `k`-th claim in settlement order.
    pub fn row(&self, k: usize) -> &[Decimal] {
        let s = self.stride();
        &self.values[k * s..(k + 1) * s]
    }

    /// The text, bool and date outputs of the `k`-th claim, by output slot
    /// (empty when the policy has none).
    pub fn vals_row(&self, k: usize) -> &[value::Val] {
        let s = self.n_vals;
        self.vals.get(k * s..(k + 1) * s).unwrap_or(&[])
    }
}

/// Values kept per claim for text, bool and date outputs: one per output
/// when the policy has any, none otherwise.
pub fn val_stride(p: &Program) -> usize {
    if p.outputs.iter().all(|o| o.is_numeric()) {
        0
    } else {
        p.outputs.len()
    }
}

/// What a run settles and clears: which years, and how far into the last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope {
    /// The first and last year cleared; `None`: from the year of the
    /// earliest discharge date to that of the latest, every year between
    /// included (a year without claims still has its budgets paid).
    pub years: Option<(i32, i32)>,
    /// The last month run (`--through 2025-06`); `None`: December of the
    /// last year. Months after it are not run.
    pub through: Option<(i32, u32)>,
    /// Run the year-end blocks for a year the run does not complete, its
    /// rows marked provisional; otherwise they do not run for it.
    pub provisional: bool,
}

/// The periods a run clears: every year of its scope, and every month of
/// those years up to the last month run, sorted.
#[derive(Debug, Clone, Default)]
pub struct Periods {
    pub years: Vec<i32>,
    pub months: Vec<(i32, u32)>,
    /// Per year: whether all twelve months are run.
    pub complete: Vec<bool>,
    /// Whether year-end blocks run for incomplete years (see [`Scope::provisional`]).
    pub provisional: bool,
}

impl Periods {
    /// The default scope: every year from the claims' first discharge year
    /// to their last, all months.
    pub fn of(claims: &Claims) -> Periods {
        Periods::new(claims, &Scope::default()).unwrap_or_default()
    }

    /// The periods of a scope; an error says why the scope makes no sense.
    pub fn new(claims: &Claims, scope: &Scope) -> Result<Periods, String> {
        let (first, last) = match scope.years {
            Some((a, b)) if a > b => {
                return Err(format!("the years run backwards ({a} to {b})"));
            }
            Some(y) => y,
            None => {
                let lo = claims.rows.iter().map(|c| c.discharge).min();
                let hi = claims.rows.iter().map(|c| c.discharge).max();
                match (lo, hi, scope.through) {
                    (Some(lo), Some(hi), _) => (lo.year(), hi.year()),
                    (_, _, Some((y, _))) => (y, y),
                    _ => return Ok(Periods::default()),
                }
            }
        };
        let (ty, tm) = scope.through.unwrap_or((last, 12));
        if !(1..=12).contains(&tm) {
            return Err(format!("there is no month {tm}"));
        }
        if ty < first || ty > last {
            return Err(format!(
                "--through {ty}-{tm:02} is outside the years run ({first} to {last})"
            ));
        }
        let years: Vec<i32> = (first..=ty).collect();
        let mut months = Vec::with_capacity(years.len() * 12);
        for &y in &years {
            let end = if y == ty { tm } else { 12 };
            months.extend((1..=end).map(|m| (y, m)));
        }
        Ok(Periods {
            complete: years.iter().map(|&y| y < ty || tm == 12).collect(),
            years,
            months,
            provisional: scope.provisional,
        })
    }

    /// Whether a discharge date falls in a month the run settles.
    pub fn contains(&self, d: crate::date::Date) -> bool {
        self.months.binary_search(&d.year_month()).is_ok()
    }

    /// The first and last month run, for messages (`2025-01 to 2025-06`).
    pub fn describe(&self) -> String {
        match (self.months.first(), self.months.last()) {
            (Some((y0, m0)), Some((y1, m1))) => format!("{y0}-{m0:02} to {y1}-{m1:02}"),
            _ => "no months".into(),
        }
    }

    pub(crate) fn month_index(&self, ym: (i32, u32)) -> Option<usize> {
        self.months.binary_search(&ym).ok()
    }

    pub(crate) fn year_index(&self, y: i32) -> Option<usize> {
        self.years.binary_search(&y).ok()
    }
}

/// Threads per available core at most: settling is CPU-bound, so more buy
/// nothing, and each costs memory (its own tallies and stack) and a share of
/// the merge; thousands would cost gigabytes and run slower.
pub const THREADS_PER_CORE: usize = 4;

/// The available cores (1 when the system does not say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The threads a settlement (and the results writer) use for a request:
/// 0 means one per core; more than [`THREADS_PER_CORE`] per core are cut to
/// that many (at least 1).
pub fn threads_for(requested: usize) -> usize {
    let most = cores().saturating_mul(THREADS_PER_CORE).max(1);
    match requested {
        0 => cores(),
        n => n.min(most),
    }
}

/// What one thread adds up while it settles its claims.
pub(crate) struct Partial {
    tally: summary::Tally,
    sums: Option<ledger::ClaimSums>,
    memory: Vec<carry::Closing>,
}

/// Settles every claim. `threads` of 0 means one per available core; see
/// [`threads_for`] for the most it uses. A thread the system refuses is an
/// error, not a panic.
///
/// Besides each claim's results, the pass adds up the summary and the
/// settle blocks' aggregates over claims, so no later stage walks the claims
/// again.
pub fn settle(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    threads: usize,
) -> Result<Settlement, Box<EvalError>> {
    settle_periods(prog, claims, insts, threads, Periods::of(claims))
}

/// [`settle`] over given periods: every claim's discharge date must fall in
/// one of its months (callers set the others aside first, see
/// [`Periods::contains`]).
pub fn settle_periods(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    threads: usize,
    periods: Periods,
) -> Result<Settlement, Box<EvalError>> {
    settle_carried(
        prog,
        claims,
        insts,
        threads,
        periods,
        carry::Carry::default(),
    )
}

/// [`settle_periods`] from an opening state, keeping the closing one when asked.
pub fn settle_carried(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    threads: usize,
    periods: Periods,
    carry: carry::Carry<'_>,
) -> Result<Settlement, Box<EvalError>> {
    if let Some(c) = claims.rows.iter().find(|c| !periods.contains(c.discharge)) {
        let mut e = EvalError::internal(&format!(
            "a claim discharged on {} is outside the run ({})",
            c.discharge,
            periods.describe()
        ));
        e.claim = Some((claims.text(c.id).to_string(), c.line));
        return Err(e);
    }
    let plan = ledger::Plan::new(prog, insts, &periods);
    let n_layers = prog.layers.len();
    let n_outputs = prog.outputs.len();
    let n_fee = prog.n_fee();
    let stride = prog.stride();
    let n_applied = n_layers + n_fee;
    let n = claims.rows.len();
    let mut values = vec![Decimal::ZERO; n * stride];
    let n_vals = val_stride(prog);
    let mut vals = vec![value::Val::Absent; n * n_vals];
    let mut rules = vec![0u16; n * n_applied];

    let bounds = chunk_bounds(claims, threads_for(threads));
    let env = interp::Env {
        prog,
        claims,
        insts,
        t: trace::NoTrace,
        carry,
    };
    let new_partial = || Partial {
        memory: Vec::new(),
        tally: summary::Tally::new(n_layers, insts.rows.len(), periods.months.len()),
        sums: plan
            .as_ref()
            .map(|p| ledger::ClaimSums::new(prog, p, &periods)),
    };

    let mut results: Vec<Result<Partial, (usize, Box<EvalError>)>> = Vec::new();
    let spawned =
        std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let mut rest_v = values.as_mut_slice();
            let mut rest_r = rules.as_mut_slice();
            let mut rest_x = vals.as_mut_slice();
            for w in bounds.windows(2) {
                let (start, end) = (w[0], w[1]);
                let (v, rv) = std::mem::take(&mut rest_v).split_at_mut((end - start) * stride);
                let (r, rr) = std::mem::take(&mut rest_r).split_at_mut((end - start) * n_applied);
                rest_v = rv;
                rest_r = rr;
                let (x, rx) = std::mem::take(&mut rest_x).split_at_mut((end - start) * n_vals);
                rest_x = rx;
                let (env, periods, plan) = (&env, &periods, plan.as_ref());
                let mut part = new_partial();
                let handle = std::thread::Builder::new().spawn_scoped(scope, move || {
                    env.settle_chunk(start..end, (v, x), r, periods, plan, &mut part)
                        .map(|()| part)
                        .map_err(|(k, e)| (start + k, e))
                });
                match handle {
                    Ok(h) => handles.push(h),
                    // The threads already started finish (the scope waits for them); their
                    // results are dropped.
                    Err(e) => return Err(e),
                }
            }
            for h in handles {
                results.push(h.join().unwrap_or_else(|_| {
                    Err((0, EvalError::internal("a settlement thread failed")))
                }));
            }
            Ok(())
        });
    if let Err(e) = spawned {
        return Err(EvalError::internal(&format!(
            "cannot start a settlement thread ({e}); try fewer with --threads"
        )));
    }
    let mut total = new_partial();
    let mut first_error: Option<(usize, Box<EvalError>)> = None;
    for r in results {
        match r {
            Ok(p) => {
                total
                    .tally
                    .merge(&p.tally)
                    .map_err(|e| EvalError::internal(&e))?;
                if let (Some(t), Some(s)) = (total.sums.as_mut(), p.sums.as_ref()) {
                    t.merge(s)?;
                }
                total.memory.extend(p.memory);
            }
            Err((k, e)) => {
                if first_error.as_ref().is_none_or(|(k0, _)| k < *k0) {
                    first_error = Some((k, e));
                }
            }
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    let summary = total
        .tally
        .summary(insts.rows.len(), &periods)
        .map_err(|e| EvalError::internal(&e))?;
    Ok(Settlement {
        values,
        rules,
        n_layers,
        n_fee,
        n_outputs,
        vals,
        n_vals,
        summary,
        periods,
        clearing: plan.zip(total.sums),
        memory: total.memory,
    })
}

/// Settles the claims of `range` (whole patients, in settlement order) on this
/// thread with a tracer watching; returns their result rows (as
/// [`Settlement::values`]). Used by `explain` and `test`.
pub(crate) fn settle_watched<T: trace::Tracer>(
    env: &interp::Env<T>,
    range: std::ops::Range<usize>,
) -> Result<(Vec<Decimal>, Vec<value::Val>), Box<EvalError>> {
    let periods = Periods::of(env.claims);
    let n_layers = env.prog.layers.len();
    let stride = env.prog.stride();
    let mut values = vec![Decimal::ZERO; range.len() * stride];
    let mut rules = vec![0u16; range.len() * (n_layers + env.prog.n_fee())];
    let mut vals = vec![value::Val::Absent; range.len() * val_stride(env.prog)];
    // The settle blocks' aggregates too, so that what they read is watched.
    let plan = ledger::Plan::new(env.prog, env.insts, &periods);
    let mut part = Partial {
        memory: Vec::new(),
        tally: summary::Tally::new(n_layers, env.insts.rows.len(), periods.months.len()),
        sums: plan
            .as_ref()
            .map(|p| ledger::ClaimSums::new(env.prog, p, &periods)),
    };
    env.settle_chunk(
        range,
        (&mut values, &mut vals),
        &mut rules,
        &periods,
        plan.as_ref(),
        &mut part,
    )
    .map_err(|(_, e)| e)?;
    Ok((values, vals))
}

/// Cuts the claims into at most `n` chunks of similar size, never inside a patient.
fn chunk_bounds(claims: &Claims, n: usize) -> Vec<usize> {
    let rows = &claims.rows;
    let mut bounds = vec![0];
    let target = rows.len().div_ceil(n.max(1)).max(1);
    let mut i = target;
    while i < rows.len() {
        let p = rows[i - 1].patient;
        while i < rows.len() && rows[i].patient == p {
            i += 1;
        }
        if i < rows.len() {
            bounds.push(i);
        }
        i += target;
    }
    bounds.push(rows.len());
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_one_per_core_by_default_and_at_most_four_per_core() {
        let cores = cores();
        assert_eq!(threads_for(0), cores);
        assert_eq!(threads_for(1), 1);
        assert_eq!(threads_for(4 * cores), 4 * cores);
        assert_eq!(threads_for(4 * cores + 1), 4 * cores);
        assert_eq!(threads_for(usize::MAX), 4 * cores);
    }
}
