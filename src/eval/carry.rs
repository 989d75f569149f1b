//! Carried state: what one run hands the next (`--state-in`/`--state-out`).
//!
//! A run reads its opening state already resolved against its own claims
//! and program ([`Opening`]): each patient of the claims file has the row of
//! its remembered values, or none, found once when the state is read, so
//! settling a claim looks nothing up. Closing values are collected only when
//! asked ([`Carry::keep`]), once per patient, at the patient's last claim.

use crate::date::Date;
use crate::ir::{Program, UnitKind};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A remembered value of a whole-run accumulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemValue {
    Num(Decimal),
    Bool(bool),
    Date(Date),
    Text(String),
}

/// The opening state of a run.
#[derive(Debug, Default)]
pub struct Opening {
    /// For each patient of the claims (by its index), its row of `values`.
    pub by_patient: Vec<Option<u32>>,
    /// Per remembered patient: `(accumulator slot, value)` of each
    /// whole-run accumulator the state holds.
    pub values: Vec<Vec<(u16, MemValue)>>,
    /// Per remembered patient (rows as `values`): the values `previous`
    /// reads of the patient's last claim, by [`Program::previous`] slot.
    pub previous: Vec<Vec<Option<MemValue>>>,
    /// The previous year's ledger rows, by unit, in the program's columns:
    /// what `prior` reads in the run's first year.
    pub ledger: HashMap<(UnitKind, String), Vec<Decimal>>,
    /// The year those rows are of.
    pub ledger_year: i32,
    /// Held agreement money not yet released: (institution_id, the
    /// suspension's first day, amount).
    pub held: Vec<(String, Date, Decimal)>,
}

/// What a settlement carries in and out.
#[derive(Debug, Default, Clone, Copy)]
pub struct Carry<'a> {
    pub opening: Option<&'a Opening>,
    /// Collect each patient's closing values (for `--state-out`).
    pub keep: bool,
}

/// One patient's closing values: its index in the claims,
/// `(accumulator slot, value)` of every whole-run accumulator, and the
/// values `previous` reads of its last claim (by slot).
pub type Closing = (u32, Vec<(u16, MemValue)>, Vec<Option<MemValue>>);

impl super::interp::Frame {
    /// The whole-run accumulators' values now.
    pub(crate) fn memory(&self, p: &Program) -> Vec<(u16, MemValue)> {
        use crate::check::types::Ty;
        p.accumulators
            .iter()
            .enumerate()
            .filter(|(_, a)| a.whole_run())
            .map(|(i, a)| {
                let v = match a.ty {
                    Ty::Bool => MemValue::Bool(self.acc_bools[i]),
                    Ty::Date => MemValue::Date(self.acc_dates[i]),
                    Ty::Text => MemValue::Text(self.acc_texts[i].clone()),
                    _ => MemValue::Num(self.accs[i]),
                };
                (u16::try_from(i).unwrap_or(u16::MAX), v)
            })
            .collect()
    }

    /// Sets remembered values (after the reset of a new patient).
    pub(crate) fn restore(&mut self, values: &[(u16, MemValue)]) {
        for (i, v) in values {
            let i = usize::from(*i);
            if i >= self.accs.len() {
                continue;
            }
            match v {
                MemValue::Num(d) => self.accs[i] = *d,
                MemValue::Bool(b) => self.acc_bools[i] = *b,
                MemValue::Date(d) => self.acc_dates[i] = *d,
                MemValue::Text(t) => {
                    self.acc_texts[i].clear();
                    self.acc_texts[i].push_str(t);
                }
            }
        }
    }
}

/// Whether a policy reads carried state: whole-run accumulators, `prior`,
/// or the risk reserve carried in (`reserve_opening`, `reserve_closing`).
pub fn reads_carried_state(p: &Program) -> bool {
    p.accumulators.iter().any(|a| a.whole_run())
        || !p.previous.is_empty()
        || p.settles.iter().any(settle_reads_prior)
}

fn settle_reads_prior(s: &crate::ir::Settle) -> bool {
    use crate::ir::{Num, Part, Stmt};
    fn num(n: &Num) -> bool {
        use crate::schema::ledger as L;
        let mut hit = matches!(
            n,
            Num::Prior(..) | Num::Ledger(L::RESERVE_OPENING | L::RESERVE_CLOSING)
        );
        n.parts(&mut |p| hit |= part(p));
        hit
    }
    fn part(p: Part<'_>) -> bool {
        match p {
            Part::Num(n) => num(n),
            Part::Bool(b) => {
                let mut hit = false;
                b.parts(&mut |q| hit |= part(q));
                hit
            }
            Part::Date(d) => {
                let mut hit = false;
                d.parts(&mut |q| hit |= part(q));
                hit
            }
        }
    }
    s.body.iter().any(|st| match st {
        Stmt::SetNum(_, n, _)
        | Stmt::SetLedger(_, n, _)
        | Stmt::AddLedger(_, n, _)
        | Stmt::SetRegion(_, n, _)
        | Stmt::SetOutput(_, n, _)
        | Stmt::AccAdd(_, n, _)
        | Stmt::Pay(n, _) => num(n),
        Stmt::SetBool(_, b, _) => part(Part::Bool(b)),
        _ => false,
    })
}
