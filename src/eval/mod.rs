//! The settle stage: a checked program and typed data in, a [`Settlement`] out.
//!
//! Claims are settled per patient in (discharge_date, claim_id) order, with
//! accumulators reset at each patient and calendar year (`per patient per
//! year`) or at each patient only (`per patient`, the whole run, opened from
//! a state file's memory when there is one: see [`carry`]). Patients are
//! independent, so the ordered claims are cut at patient boundaries into
//! blocks, settled on several threads and handed on in order (see
//! [`stream`]), which makes the output identical whatever the number of
//! threads.

mod arith;
pub mod carry;
mod claim;
pub mod contrib;
mod exact;
pub(crate) mod interp;
mod invariant;
pub mod ledger;
mod previous;
mod stream;
mod summary;
pub(crate) mod trace;
pub mod value;

pub use interp::EvalError;
pub use ledger::{
    settle_institutions, settle_institutions_carried, settle_patients, Ledger, LedgerRow,
    PatientLedger, PatientRow,
};
pub use stream::{settle_streamed, Block, Halt, Shape, Split, Streamed, BLOCK};
pub use summary::{fen, Summary, Totals};

use crate::data::{Claims, Institutions};
use crate::ir::Program;
use rust_decimal::Decimal;

/// What a settlement found: the sums over its claims, and (in `results`)
/// every claim's results, row `k` for `Claims::rows[k]` (claims are kept in
/// settlement order). A settlement that handed its results on block by
/// block ([`settle_streamed`]) keeps none: `R` is `()`.
#[derive(Debug)]
pub struct Settlement<R = Results> {
    pub shape: Shape,
    /// Claims settled.
    pub claims: usize,
    /// The sums over the claims.
    pub summary: Summary,
    /// The years and months the claims fall in.
    pub periods: Periods,
    /// For settle blocks: the units and the aggregates over claims.
    pub(crate) clearing: Option<(ledger::Plan, ledger::ClaimSums)>,
    /// Each patient's closing patient memory, in settlement order (only
    /// when asked, see [`carry::Carry::keep`]).
    pub memory: Vec<carry::Closing>,
    pub results: R,
}

/// Every claim's results, laid out as in a [`Block`].
#[derive(Debug, Default)]
pub struct Results {
    pub values: Vec<Decimal>,
    pub rules: Vec<u16>,
    pub vals: Vec<value::Val>,
}

impl<R> Settlement<R> {
    /// Claims settled.
    pub fn len(&self) -> usize {
        self.claims
    }

    pub fn is_empty(&self) -> bool {
        self.claims == 0
    }
}

impl Settlement<Results> {
    /// Every claim's results, as one block.
    pub fn all(&self) -> Block<'_> {
        Block {
            start: 0,
            before: 0,
            shape: self.shape,
            values: &self.results.values,
            rules: &self.results.rules,
            vals: &self.results.vals,
        }
    }

    /// Results of the `k`-th claim in settlement order.
    pub fn row(&self, k: usize) -> &[Decimal] {
        self.all().row(k)
    }

    /// The text, bool and date outputs of the `k`-th claim, by output slot
    /// (empty when the policy has none).
    pub fn vals_row(&self, k: usize) -> &[value::Val] {
        self.all().vals_row(k)
    }

    /// The rules applied to the `k`-th claim: one per layer, then the fee block's.
    pub fn applied(&self, k: usize) -> &[u16] {
        self.all().applied(k)
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
        let lo = claims.rows.iter().map(|c| c.discharge).min();
        let hi = claims.rows.iter().map(|c| c.discharge).max();
        Periods::of_years(lo.map(|d| d.year()).zip(hi.map(|d| d.year())), scope)
    }

    /// The periods of a scope, for claims discharged from the first to the
    /// last of `years` (`None`: there are none).
    pub fn of_years(years: Option<(i32, i32)>, scope: &Scope) -> Result<Periods, String> {
        let (first, last) = match scope.years {
            Some((a, b)) if a > b => {
                return Err(format!("the years run backwards ({a} to {b})"));
            }
            Some(y) => y,
            None => match (years, scope.through) {
                (Some(y), _) => y,
                (_, Some((y, _))) => (y, y),
                _ => return Ok(Periods::default()),
            },
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
    let shape = Shape::of(prog);
    let n = claims.rows.len();
    let mut results = Results {
        values: Vec::with_capacity(n * shape.stride()),
        rules: Vec::with_capacity(n * shape.n_applied()),
        vals: Vec::with_capacity(n * shape.n_vals),
    };
    let copy = |b: Block<'_>| (b.values.to_vec(), b.rules.to_vec(), b.vals.to_vec());
    let keep = |(v, r, x): (Vec<Decimal>, Vec<u16>, Vec<value::Val>)| {
        results.values.extend(v);
        results.rules.extend(r);
        results.vals.extend(x);
        Ok(())
    };
    let split = Split::threads(threads);
    let s = settle_streamed(prog, claims, insts, split, periods, carry, copy, keep).map_err(
        |h| match h {
            Halt::Eval(e) => e,
            Halt::Put(e) => EvalError::internal(&e.to_string()),
            Halt::Load(e) => EvalError::internal(&e.to_string()),
        },
    )?;
    Ok(Settlement {
        shape: s.shape,
        claims: s.claims,
        summary: s.summary,
        periods: s.periods,
        clearing: s.clearing,
        memory: s.memory,
        results,
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
