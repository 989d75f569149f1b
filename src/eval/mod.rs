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
    let mut order: Vec<u32> = (0..claims.rows.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (&claims.rows[a as usize], &claims.rows[b as usize]);
        rank[x.patient as usize]
            .cmp(&rank[y.patient as usize])
            .then(x.discharge.cmp(&y.discharge))
            .then_with(|| {
                claims
                    .text(x.id)
                    .as_bytes()
                    .cmp(claims.text(y.id).as_bytes())
            })
    });
    order
}

/// Settles every claim. `threads` of 0 means one per available core.
pub fn settle(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    threads: usize,
) -> Result<Settlement, EvalError> {
    let order = settlement_order(claims);
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

    let mut results: Vec<Result<(), (usize, EvalError)>> = Vec::new();
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
            let env = &env;
            handles.push(
                scope.spawn(move || env.settle_chunk(ord, v, r).map_err(|(k, e)| (start + k, e))),
            );
        }
        for h in handles {
            results.push(
                h.join().unwrap_or_else(|_| {
                    Err((0, EvalError::internal("a settlement thread failed")))
                }),
            );
        }
    });
    if let Some((_, e)) = results
        .into_iter()
        .filter_map(Result::err)
        .min_by_key(|(k, _)| *k)
    {
        return Err(e);
    }
    Ok(Settlement {
        order,
        values,
        rules,
        n_layers,
        n_outputs,
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
