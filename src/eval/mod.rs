//! The settle stage: a checked program and typed data in, a [`Settlement`] out.
//!
//! Claims are settled per patient in (discharge_date, claim_id) order, with
//! accumulators reset at each patient and calendar year. Patients are
//! independent, so the ordered claims are cut at patient boundaries into one
//! chunk per thread; each chunk writes its own slice of the result matrix,
//! which makes the output identical whatever the number of threads.

mod interp;
pub mod ledger;
mod summary;

pub use interp::EvalError;
pub use ledger::{settle_institutions, Ledger, LedgerRow};
pub use summary::{Summary, Totals};

use crate::data::{Claims, Institutions};
use crate::ir::Program;
use rust_decimal::Decimal;

/// Every claim's results, in settlement order.
#[derive(Debug)]
pub struct Settlement {
    /// Claim indices (into `Claims::rows`) in settlement order.
    pub order: Vec<u32>,
    /// Row-major: for each claim in `order`, the layers' payments, then
    /// `patient_paid`, then the policy's outputs.
    pub values: Vec<Decimal>,
    /// For each claim in `order` and each layer, the 1-based index of the
    /// rule that applied (0: none).
    pub rules: Vec<u16>,
    pub n_layers: usize,
    pub n_outputs: usize,
    /// The sums over the claims.
    pub summary: Summary,
    /// The years and months the claims fall in.
    pub periods: Periods,
    /// For settle blocks: the units and the aggregates over claims.
    pub(crate) clearing: Option<(ledger::Plan, ledger::ClaimSums)>,
}

impl Settlement {
    pub fn stride(&self) -> usize {
        self.n_layers + 1 + self.n_outputs
    }

    /// Results of the `k`-th claim in settlement order.
    pub fn row(&self, k: usize) -> &[Decimal] {
        let s = self.stride();
        &self.values[k * s..(k + 1) * s]
    }
}

/// The order claims are settled in: patient, discharge date, claim id (bytes).
pub fn settlement_order(claims: &Claims) -> Vec<u32> {
    let mut by_id: Vec<u32> = (0..claims.patients.len() as u32).collect();
    by_id.sort_unstable_by(|&a, &b| {
        claims
            .text(claims.patients[a as usize])
            .cmp(claims.text(claims.patients[b as usize]))
    });
    let mut rank = vec![0u32; by_id.len()];
    for (r, &p) in by_id.iter().enumerate() {
        rank[p as usize] = r as u32;
    }
    // Sort by a packed (patient rank, discharge day) key, then order each run of equal keys
    // (a patient's claims on one day, rare) by claim id bytes.
    let mut keyed: Vec<(u64, u32)> = claims
        .rows
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let day = (i64::from(c.discharge.0) - i64::from(i32::MIN)) as u64;
            ((u64::from(rank[c.patient as usize]) << 32) | day, i as u32)
        })
        .collect();
    keyed.sort_unstable();
    let mut order: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        if end - start > 1 {
            order[start..end].sort_unstable_by(|&a, &b| {
                let id = |i: u32| claims.text(claims.rows[i as usize].id).as_bytes();
                id(a).cmp(id(b))
            });
        }
        start = end;
    }
    order
}

/// The years and months the claims' discharge dates fall in, sorted.
#[derive(Debug, Clone, Default)]
pub struct Periods {
    pub years: Vec<i32>,
    pub months: Vec<(i32, u32)>,
}

impl Periods {
    pub fn of(claims: &Claims) -> Periods {
        let (Some(lo), Some(hi)) = (
            claims.rows.iter().map(|c| c.discharge).min(),
            claims.rows.iter().map(|c| c.discharge).max(),
        ) else {
            return Periods::default();
        };
        let index = |d: crate::date::Date| {
            let (y, m) = d.year_month();
            y as usize * 12 + m as usize - 1
        };
        let first = index(lo);
        let mut seen = vec![false; index(hi) - first + 1];
        for c in &claims.rows {
            seen[index(c.discharge) - first] = true;
        }
        let months: Vec<(i32, u32)> = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(k, _)| (((first + k) / 12) as i32, ((first + k) % 12) as u32 + 1))
            .collect();
        let mut years: Vec<i32> = months.iter().map(|m| m.0).collect();
        years.dedup();
        Periods { years, months }
    }

    pub(crate) fn month_index(&self, ym: (i32, u32)) -> usize {
        self.months.binary_search(&ym).unwrap_or(0)
    }

    pub(crate) fn year_index(&self, y: i32) -> usize {
        self.years.binary_search(&y).unwrap_or(0)
    }
}

/// What one thread adds up while it settles its claims.
pub(crate) struct Partial {
    tally: summary::Tally,
    sums: Option<ledger::ClaimSums>,
}

/// Settles every claim. `threads` of 0 means one per available core.
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
    let order = settlement_order(claims);
    let periods = Periods::of(claims);
    let plan = ledger::Plan::new(prog, insts, &periods);
    let n_layers = prog.layers.len();
    let n_outputs = prog.outputs.len();
    let stride = n_layers + 1 + n_outputs;
    let mut values = vec![Decimal::ZERO; order.len() * stride];
    let mut rules = vec![0u16; order.len() * n_layers];

    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let bounds = chunk_bounds(claims, &order, threads);
    let env = interp::Env {
        prog,
        claims,
        insts,
    };
    let new_partial = || Partial {
        tally: summary::Tally::new(n_layers, insts.rows.len(), periods.months.len()),
        sums: plan
            .as_ref()
            .map(|p| ledger::ClaimSums::new(prog, p, &periods)),
    };

    let mut results: Vec<Result<Partial, (usize, Box<EvalError>)>> = Vec::new();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut rest_v = values.as_mut_slice();
        let mut rest_r = rules.as_mut_slice();
        for w in bounds.windows(2) {
            let (start, end) = (w[0], w[1]);
            let (v, rv) = std::mem::take(&mut rest_v).split_at_mut((end - start) * stride);
            let (r, rr) = std::mem::take(&mut rest_r).split_at_mut((end - start) * n_layers);
            rest_v = rv;
            rest_r = rr;
            let ord = &order[start..end];
            let (env, periods, plan) = (&env, &periods, plan.as_ref());
            let mut part = new_partial();
            handles.push(scope.spawn(move || {
                env.settle_chunk(ord, v, r, periods, plan, &mut part)
                    .map(|()| part)
                    .map_err(|(k, e)| (start + k, e))
            }));
        }
        for h in handles {
            results.push(
                h.join().unwrap_or_else(|_| {
                    Err((0, EvalError::internal("a settlement thread failed")))
                }),
            );
        }
    });
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
        order,
        values,
        rules,
        n_layers,
        n_outputs,
        summary,
        periods,
        clearing: plan.zip(total.sums),
    })
}

/// Cuts `order` into at most `n` chunks of similar size, never inside a patient.
fn chunk_bounds(claims: &Claims, order: &[u32], n: usize) -> Vec<usize> {
    let mut bounds = vec![0];
    let target = order.len().div_ceil(n.max(1)).max(1);
    let mut i = target;
    while i < order.len() {
        let p = claims.rows[order[i - 1] as usize].patient;
        while i < order.len() && claims.rows[order[i] as usize].patient == p {
            i += 1;
        }
        if i < order.len() {
            bounds.push(i);
        }
        i += target;
    }
    bounds.push(order.len());
    bounds
}
