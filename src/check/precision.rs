//! Fen precision: how many decimal places a numeric value can have, so that
//! every payment, money output, money ledger amount and money accumulator is
//! proved a whole number of fen before any data is seen.
//!
//! Every amount of money the engine holds is whole fen: money in the data
//! (at most two decimals, checked as it is read), parameters and table cells
//! (checked when declared and when overridden), and what this module checks
//! — payments, outputs, ledger amounts and accumulators. Counts and days are
//! whole. The places of an expression follow from its form: a sum,
//! difference, minimum or choice has the most places of its parts, a product
//! the sum of its factors' places, a `round` the places of its step; a
//! quotient, an average, a schedule's share, a rate or a ratio parameter can
//! have any number (a quotient carries 28 significant digits).

use super::types::Ty;
use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::ir::{AggKind, Num};
use crate::schema::{ledger::COLUMNS, CLAIM_FIELDS, INST_FIELDS};
use crate::source::Span;
use crate::syntax::ast::BinOp;

/// Decimal places without a bound.
pub(crate) const ANY: u32 = u32::MAX;

/// The places values of a type read from where they are kept can have.
fn of_type(ty: Ty) -> u32 {
    match ty {
        Ty::Money => 2,
        Ty::Count | Ty::Days => 0,
        _ => ANY,
    }
}

/// The places a stored value of a type can have: only money and counts are
/// checked where they are set (see [`Checker::require_places`]).
fn stored(ty: Ty) -> u32 {
    match ty {
        Ty::Money => 2,
        Ty::Count => 0,
        _ => ANY,
    }
}

impl Checker {
    /// The most decimal places `n` can have ([`ANY`]: no bound).
    pub(crate) fn places(&self, n: &Num) -> u32 {
        let p = &self.prog;
        match n {
            Num::Const(v) => v.normalize().scale(),
            Num::Param(r) => p.params.get(self.ref_slot(*r)).map_or(ANY, |x| match x.ty {
                // A ratio parameter may be overridden with any digits.
                Ty::Ratio => ANY,
                t => of_type(t),
            }),
            Num::Lookup(r, ..) => p.tables.get(self.ref_slot(*r)).map_or(ANY, |t| match t.ty {
                Ty::Ratio => ANY,
                t => of_type(t),
            }),
            Num::Claim(f) => CLAIM_FIELDS
                .iter()
                .find(|x| x.1 == *f)
                .map_or(ANY, |x| of_type(x.2)),
            Num::Inst(f) => INST_FIELDS
                .iter()
                .find(|x| x.1 == *f)
                .map_or(ANY, |x| of_type(x.2)),
            Num::ClaimExtra(i) => p
                .claim_extras
                .get(*i as usize)
                .map_or(ANY, |x| stored(x.ty)),
            Num::InstExtra(i) => p.inst_extras.get(*i as usize).map_or(ANY, |x| stored(x.ty)),
            Num::Local(i) => self.local_places.get(*i as usize).copied().unwrap_or(ANY),
            Num::Region(i) => self.region_places.get(*i as usize).copied().unwrap_or(ANY),
            Num::Acc(i) => p
                .accumulators
                .get(*i as usize)
                .map_or(ANY, |a| stored(a.ty)),
            Num::Output(i) => p.outputs.get(*i as usize).map_or(ANY, |o| stored(o.ty)),
            Num::Layer(_) | Num::Remaining | Num::Fee | Num::Borne => 2,
            Num::Ledger(c) => self.ledger_places(*c),
            Num::Prior(c, fallback) => self.ledger_places(*c).max(self.places(fallback)),
            Num::Previous(x) => self.places(&x.field).max(self.places(&x.fallback)),
            Num::Bin(op, ab, _) => {
                let (a, b) = (self.places(&ab.0), self.places(&ab.1));
                match op {
                    BinOp::Add | BinOp::Sub => a.max(b),
                    BinOp::Mul => a.saturating_add(b),
                    BinOp::Div => ANY,
                }
            }
            Num::Neg(x) => self.places(x),
            Num::Min(xs) | Num::Max(xs) => xs.iter().map(|x| self.places(x)).max().unwrap_or(0),
            Num::Clamp(x, _) => self
                .places(&x.0)
                .max(self.places(&x.1))
                .max(self.places(&x.2)),
            Num::If(x) => self.places(&x.1).max(self.places(&x.2)),
            Num::Round(_, r, _) => r.step.normalize().scale(),
            Num::Schedule(..) | Num::Rate(..) | Num::Score(_) => ANY,
            Num::Interviews => 0,
            Num::DateDiff(_) | Num::DatePart(..) | Num::Age(_) => 0,
            Num::Person(f) => crate::schema::PERSON_FIELDS
                .iter()
                .chain(crate::schema::CONTRIBUTION_FIELDS)
                .chain(crate::schema::RETIREMENT_FIELDS)
                .find(|x| x.1 == *f)
                .map_or(ANY, |x| match x.2 {
                    Ty::Months => 0,
                    t => of_type(t),
                }),
            Num::Contrib(i) => crate::schema::contrib::AMOUNTS
                .get(*i as usize)
                .map_or(ANY, |a| match a.2 {
                    Ty::Money => 2,
                    _ => 0,
                }),
            Num::Agg(i) => {
                let agg = self.settle.as_ref().and_then(|c| c.aggs.get(*i as usize));
                match agg {
                    Some(a) => match a.kind {
                        AggKind::Count => 0,
                        AggKind::Avg => ANY,
                        AggKind::Sum => a.arg.as_ref().map_or(0, |x| self.places(x)),
                    },
                    None => ANY,
                }
            }
        }
    }

    fn ledger_places(&self, col: u16) -> u32 {
        if (col as usize) < COLUMNS.len() {
            return 2;
        }
        self.prog
            .ledger_extras
            .get(col as usize - COLUMNS.len())
            .map_or(ANY, |o| stored(o.ty))
    }

    /// Records the places of a local (`let`) or a region value as it is set.
    pub(crate) fn set_places(&mut self, region: bool, slot: u16, n: &Num) {
        let v = self.places(n);
        let places = if region {
            &mut self.region_places
        } else {
            &mut self.local_places
        };
        let i = slot as usize;
        if places.len() <= i {
            places.resize(i + 1, ANY);
        }
        places[i] = v;
    }

    /// A value stored as `ty` (money: whole fen; a count: whole) must be
    /// provably so; `what` names where it goes ("what layer `fund_paid` pays").
    pub(crate) fn require_places(&mut self, n: &Num, ty: Ty, span: Span, what: &str) {
        let (most, unit) = match ty {
            Ty::Money => (2, "a whole number of fen"),
            Ty::Count => (0, "a whole number"),
            _ => return,
        };
        let has = self.places(n);
        if has <= most {
            return;
        }
        let why = if has == ANY {
            "it can have any number of decimal places (a quotient, an average, a schedule's share or a ratio)".to_string()
        } else {
            format!("it can have up to {has} decimal places")
        };
        let fix = if ty == Ty::Money {
            "add `round` (四舍五入 to 0.01元), or as the notice says: `round to 0.01 down` to drop fractions, `round to 1元` for whole yuan"
        } else {
            "add `round to 1` (or `round to 1 down`)"
        };
        self.error(
            Diagnostic::error(format!("{what} must be {unit}, but this amount may not be"))
                .at(span)
                .label(why)
                .help(fix),
        );
    }
}
