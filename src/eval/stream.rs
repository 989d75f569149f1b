//! Settling in blocks of whole patients, each block's results handed on as
//! soon as it is settled.
//!
//! The claims, in settlement order, are cut into blocks of about [`BLOCK`]
//! claims, never inside a patient. Block `b` is settled by thread
//! `b % threads` into that thread's own buffers; the thread turns the
//! results into what the caller wants (`format`: result lines, or a copy)
//! and hands that to this thread, which takes the blocks in order (0, 1, 2,
//! … round the threads) and passes each on (`put`: written to a file, or
//! kept). So what `put` sees is the same for any number of threads, and only
//! a few blocks per thread are in memory at once; the results of a whole run
//! are never held together unless `put` keeps them.
//!
//! Each thread adds its claims to its own [`Partial`] (sums and counts per
//! unit and period); the partials are exact and are merged at the end in
//! any order.

use super::interp::{Env, EvalError};
use super::{carry, ledger, summary, trace, value, Partial, Periods, Settlement};
use crate::data::{Claims, Institutions};
use crate::ir::Program;
use rust_decimal::Decimal;

/// Claims per block: big enough to keep the threads busy, small enough that
/// the blocks in flight stay a few MB.
pub const BLOCK: usize = 1 << 14;

/// How a settlement is cut up: the threads it uses and the claims per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// 0: one per core (see [`super::threads_for`] for the most used).
    pub threads: usize,
    /// Claims per block, at least (a block ends at a patient's last claim).
    pub block: usize,
}

impl Split {
    /// `threads` threads, blocks of [`BLOCK`] claims.
    pub fn threads(threads: usize) -> Split {
        Split {
            threads,
            block: BLOCK,
        }
    }
}

/// The columns of a claim's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n_layers: usize,
    /// 1 when the policy has a fee block, else 0.
    pub n_fee: usize,
    pub n_outputs: usize,
    /// Values per claim for text, bool and date outputs (see [`super::val_stride`]).
    pub n_vals: usize,
}

impl Shape {
    pub fn of(prog: &Program) -> Shape {
        Shape {
            n_layers: prog.layers.len(),
            n_fee: prog.n_fee(),
            n_outputs: prog.outputs.len(),
            n_vals: super::val_stride(prog),
        }
    }

    /// Amounts per claim: the layers' payments, then `patient_paid`,
    /// `institution_borne`, the fee (when the policy has a fee block), then
    /// the policy's outputs.
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
}

/// The results of consecutive claims in settlement order: claim `k` of the
/// block is `Claims::rows[start + k]`.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    pub start: usize,
    /// Claims settled before the block's claim set (0 unless the claims
    /// are settled a set at a time, see [`Streamed`]).
    pub before: usize,
    pub shape: Shape,
    /// Row-major, [`Shape::stride`] per claim.
    pub values: &'a [Decimal],
    /// Row-major, [`Shape::n_applied`] per claim: the 1-based index of the
    /// rule that applied in each layer, then the fee block (0: none).
    pub rules: &'a [u16],
    /// Row-major, [`Shape::n_vals`] per claim: the text, bool and date
    /// outputs by output slot (numeric slots unused).
    pub vals: &'a [value::Val],
}

impl<'a> Block<'a> {
    /// Claims in the block.
    pub fn len(&self) -> usize {
        self.values.len() / self.shape.stride().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The amounts of the block's `k`-th claim (empty past its end).
    pub fn row(&self, k: usize) -> &'a [Decimal] {
        let s = self.shape.stride();
        self.values.get(k * s..(k + 1) * s).unwrap_or(&[])
    }

    /// The rules applied to the block's `k`-th claim (empty past its end).
    pub fn applied(&self, k: usize) -> &'a [u16] {
        let s = self.shape.n_applied();
        self.rules.get(k * s..(k + 1) * s).unwrap_or(&[])
    }

    /// The text, bool and date outputs of the block's `k`-th claim, by
    /// output slot (empty when the policy has none).
    pub fn vals_row(&self, k: usize) -> &'a [value::Val] {
        let s = self.shape.n_vals;
        self.vals.get(k * s..(k + 1) * s).unwrap_or(&[])
    }
}

/// Why a streamed settlement stopped.
#[derive(Debug)]
pub enum Halt {
    /// A claim could not be settled (the first in settlement order), or a
    /// thread could not start.
    Eval(Box<EvalError>),
    /// `put` failed (a full disk).
    Put(std::io::Error),
    /// The next claim set could not be read (a spilled partition).
    Load(crate::data::DataError),
}

/// What a thread sends for a block: what `format` made of it and the
/// closing memory of its patients, or the block's first error.
type Sent<O> = Result<(O, Vec<carry::Closing>), Box<EvalError>>;

/// Settles every claim (all discharged in `periods`' months) block by
/// block, as the module says: `format` runs on the settling threads, `put`
/// on this one, in block order. Stops at the first claim that fails, or the
/// first `put` that does; the blocks after it are not put.
#[expect(
    clippy::too_many_arguments,
    reason = "a settlement's inputs, and where its results go"
)]
pub fn settle_streamed<O, F, P>(
    prog: &Program,
    claims: &Claims,
    insts: &Institutions,
    split: Split,
    periods: Periods,
    carry: carry::Carry<'_>,
    format: F,
    put: P,
) -> Result<Settlement<()>, Halt>
where
    O: Send,
    F: Fn(Block<'_>) -> O + Sync,
    P: FnMut(O) -> std::io::Result<()>,
{
    let mut run = Streamed::new(prog, insts, periods);
    run.settle(claims, split, carry, format, put)?;
    run.finish()
}

/// A settlement taken a claim set at a time: each set whole patients in
/// settlement order, and after the sets before it in that order (the
/// partitions of a spilled claims file, see docs/scale.md). Each set is
/// settled as [`settle_streamed`] settles its claims; the sums of all are
/// added up, and [`Streamed::finish`] gives the settlement of them all,
/// the same as one set holding every claim would give.
pub struct Streamed<'p> {
    prog: &'p Program,
    insts: &'p Institutions,
    periods: Periods,
    plan: Option<ledger::Plan>,
    shape: Shape,
    total: Partial,
    memory: Vec<carry::Closing>,
    claims: usize,
}

impl<'p> Streamed<'p> {
    /// A settlement of claims discharged in `periods`' months, none settled yet.
    pub fn new(prog: &'p Program, insts: &'p Institutions, periods: Periods) -> Streamed<'p> {
        let plan = ledger::Plan::new(prog, insts, &periods);
        let shape = Shape::of(prog);
        let total = new_partial(prog, insts, &periods, plan.as_ref(), shape);
        Streamed {
            prog,
            insts,
            periods,
            plan,
            shape,
            total,
            memory: Vec::new(),
            claims: 0,
        }
    }

    /// Settles the next set of claims, block by block (see
    /// [`settle_streamed`]); a block's [`Block::before`] counts the claims
    /// of the sets before this one.
    pub fn settle<O, F, P>(
        &mut self,
        claims: &Claims,
        split: Split,
        carry: carry::Carry<'_>,
        format: F,
        mut put: P,
    ) -> Result<(), Halt>
    where
        O: Send,
        F: Fn(Block<'_>) -> O + Sync,
        P: FnMut(O) -> std::io::Result<()>,
    {
        let (prog, insts, shape, before) = (self.prog, self.insts, self.shape, self.claims);
        let periods = &self.periods;
        if let Some(c) = claims.rows.iter().find(|c| !periods.contains(c.discharge)) {
            let mut e = EvalError::internal(&format!(
                "a claim discharged on {} is outside the run ({})",
                c.discharge,
                periods.describe()
            ));
            e.claim = Some((claims.text(c.id).to_string(), c.line));
            return Err(Halt::Eval(e));
        }
        let plan = self.plan.as_ref();
        let bounds = block_bounds(claims, split.block);
        let blocks = bounds.len() - 1;
        let threads = super::threads_for(split.threads).min(blocks).max(1);
        let env = Env {
            prog,
            claims,
            insts,
            t: trace::NoTrace,
            carry,
        };

        let memory = &mut self.memory;
        let parts = std::thread::scope(|scope| {
            let mut from_worker = Vec::with_capacity(threads);
            let mut handles = Vec::with_capacity(threads);
            for t in 0..threads {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Sent<O>>(2);
                from_worker.push(rx);
                let (env, bounds, format) = (&env, &bounds, &format);
                let mut part = new_partial(prog, insts, periods, plan, shape);
                let worker = move || {
                    let (mut values, mut rules, mut vals) = (Vec::new(), Vec::new(), Vec::new());
                    for b in (t..blocks).step_by(threads) {
                        let range = bounds[b]..bounds[b + 1];
                        let n = range.len();
                        values.clear();
                        values.resize(n * shape.stride(), Decimal::ZERO);
                        rules.clear();
                        rules.resize(n * shape.n_applied(), 0u16);
                        vals.clear();
                        vals.resize(n * shape.n_vals, value::Val::Absent);
                        let settled = env.settle_chunk(
                            range.clone(),
                            (&mut values, &mut vals),
                            &mut rules,
                            periods,
                            plan,
                            &mut part,
                        );
                        let sent = match settled {
                            Ok(()) => {
                                let block = Block {
                                    start: range.start,
                                    before,
                                    shape,
                                    values: &values,
                                    rules: &rules,
                                    vals: &vals,
                                };
                                Ok((format(block), std::mem::take(&mut part.memory)))
                            }
                            Err((_, e)) => Err(e),
                        };
                        let failed = sent.is_err();
                        // This thread stops (a block failed), or the receiver did: nothing more to do.
                        if tx.send(sent).is_err() || failed {
                            break;
                        }
                    }
                    part
                };
                match std::thread::Builder::new().spawn_scoped(scope, worker) {
                    Ok(h) => handles.push(h),
                    // The threads already started stop when their channels close (the
                    // scope waits for them).
                    Err(e) => {
                        return Err(Halt::Eval(EvalError::internal(&format!(
                            "cannot start a settlement thread ({e}); try fewer with --threads"
                        ))))
                    }
                }
            }
            let stopped = || EvalError::internal("a settlement thread stopped before its block");
            for b in 0..blocks {
                match from_worker[b % threads].recv() {
                    Ok(Ok((out, closing))) => {
                        memory.extend(closing);
                        put(out).map_err(Halt::Put)?;
                    }
                    Ok(Err(e)) => return Err(Halt::Eval(e)),
                    Err(_) => return Err(Halt::Eval(stopped())),
                }
            }
            drop(from_worker);
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| Halt::Eval(EvalError::internal("a settlement thread failed")))
                })
                .collect::<Result<Vec<Partial>, Halt>>()
        })?;

        for p in parts {
            self.total
                .tally
                .merge(&p.tally)
                .map_err(|e| Halt::Eval(EvalError::internal(&e)))?;
            if let (Some(t), Some(s)) = (self.total.sums.as_mut(), p.sums.as_ref()) {
                t.merge(s).map_err(Halt::Eval)?;
            }
        }
        self.claims += claims.rows.len();
        Ok(())
    }

    /// The settlement of every set settled, ready to clear.
    pub fn finish(self) -> Result<Settlement<()>, Halt> {
        let summary = self
            .total
            .tally
            .summary(self.insts.rows.len(), &self.periods)
            .map_err(|e| Halt::Eval(EvalError::internal(&e)))?;
        Ok(Settlement {
            shape: self.shape,
            claims: self.claims,
            summary,
            periods: self.periods,
            clearing: self.plan.zip(self.total.sums),
            memory: self.memory,
            results: (),
        })
    }
}

/// Empty sums for a thread, or for a whole run.
fn new_partial(
    prog: &Program,
    insts: &Institutions,
    periods: &Periods,
    plan: Option<&ledger::Plan>,
    shape: Shape,
) -> Partial {
    Partial {
        memory: Vec::new(),
        tally: summary::Tally::new(shape.n_layers, insts.rows.len(), periods.months.len()),
        sums: plan.map(|p| ledger::ClaimSums::new(prog, p, periods)),
    }
}

/// Cuts the claims into blocks of about `size` claims, never inside a
/// patient: the first claim of each block, then the number of claims.
fn block_bounds(claims: &Claims, size: usize) -> Vec<usize> {
    let rows = &claims.rows;
    let mut bounds = vec![0];
    let mut i = size.max(1);
    while i < rows.len() {
        let p = rows[i - 1].patient;
        while i < rows.len() && rows[i].patient == p {
            i += 1;
        }
        if i < rows.len() {
            bounds.push(i);
        }
        i = i.saturating_add(size.max(1));
    }
    bounds.push(rows.len());
    bounds
}
