//! The interpreter: evaluates a checked program on one claim at a time.
//!
//! Sums, differences and products are exact ([`super::exact`]); one too large
//! or with more digits than a decimal holds, a division by zero or a missing
//! table key is an [`EvalError`] naming the claim and the policy text, never a
//! panic or a silent rounding. Quotients carry 28 significant digits. Per claim nothing is allocated: locals,
//! accumulators and results live in buffers reused across claims.

use super::arith::{apply_schedule, apply_schedule_rounding, rate_at, round};
use super::exact::{self, Inexact};
use super::trace::{Ev, NoTrace, Tracer};
use crate::data::{Claim, Claims, Extra, Institution, Institutions};
use crate::date::Date;
use crate::ir::*;
use crate::schema::{ClaimField, InstField};
use crate::source::Span;
use crate::syntax::ast::{BinOp, CmpOp};
use rust_decimal::Decimal;

mod person;
mod values;
use person::shortfall;
pub(crate) use person::{age_on, PersonCur};
use values::claim_num;
pub(crate) use values::enum_field;

/// A runtime failure, located in the policy and the data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    pub message: String,
    /// Where in the policy.
    pub span: Option<Span>,
    /// Which claim, and its line in the claims file.
    pub claim: Option<(String, u64)>,
    /// The rule being run, as `layer/rule`, or the settle block.
    pub rule: Option<Box<str>>,
    /// The unit and period being settled, e.g. "institution H001, 2025".
    pub unit: Option<Box<str>>,
}

impl EvalError {
    pub fn internal(message: &str) -> Box<EvalError> {
        Box::new(EvalError {
            message: message.into(),
            span: None,
            claim: None,
            rule: None,
            unit: None,
        })
    }

    /// The error on one line, for reports that list several: the message,
    /// where in the policy, the claim and the rule or block.
    pub fn one_line(&self, file: &crate::source::SourceFile) -> String {
        let mut s = self.message.clone();
        if let Some(span) = self.span {
            let (l, c) = file.line_col(span.start as usize);
            s.push_str(&format!(" ({}:{l}:{c})", file.name()));
        }
        if let Some((id, _)) = &self.claim {
            s.push_str(&format!(", claim {}", crate::data::escape(id)));
        }
        if let Some(r) = &self.rule {
            s.push_str(&format!(", in {r}"));
        }
        s
    }

    pub(crate) fn at(message: impl Into<String>, span: Span) -> Box<EvalError> {
        Box::new(EvalError {
            message: message.into(),
            span: Some(span),
            claim: None,
            rule: None,
            unit: None,
        })
    }
}

/// Boxed: the error is rare and large, and keeping it out of line keeps every `num` return
/// small (a `Decimal` and a tag), which is most of the interpreter's traffic.
pub(crate) type R<T> = Result<T, Box<EvalError>>;

pub(crate) struct Env<'a, T: Tracer = NoTrace> {
    pub prog: &'a Program,
    pub claims: &'a Claims,
    pub insts: &'a Institutions,
    /// Who watches (nobody, in ordinary runs).
    pub t: T,
    /// The opening state, and whether to keep the closing one.
    pub carry: super::carry::Carry<'a>,
}

/// The working state, reused for every claim (or every unit and period).
pub(crate) struct Frame {
    pub nums: Vec<Decimal>,
    pub bools: Vec<bool>,
    pub dates: Vec<Date>,
    pub accs: Vec<Decimal>,
    /// Accumulators of the other types, by accumulator slot (slots of
    /// another type are unused): patient memory without allocation per
    /// claim (a text's buffer is reused).
    pub acc_bools: Vec<bool>,
    pub acc_dates: Vec<Date>,
    pub acc_texts: Vec<String>,
    pub layers: Vec<Decimal>,
    pub outputs: Vec<Decimal>,
    /// Each numeric output's value where no rule sets it: 0 or its default.
    pub outputs_init: Vec<Decimal>,
    /// Text, bool and date outputs, by output slot (numeric slots unused).
    pub vals: Vec<super::value::Val>,
    /// Text locals.
    pub texts: Vec<super::value::Txt>,
    pub remaining: Decimal,
    /// The claim's fee (0 where no rule of the fee block applies), and
    /// `institution_borne` (total_cost − fee where one applies, else 0).
    pub fee: Decimal,
    pub borne: Decimal,
    /// Whether a rule of the fee block applied to the claim.
    pub fee_applied: bool,
    /// The ledger row of the unit and period being settled.
    pub ledger: Vec<Decimal>,
    /// The year's region values.
    pub region: Vec<Decimal>,
    /// The standard amounts of the contribute block being run.
    pub contrib: Vec<Decimal>,
    /// Its `band` (absent where the block does not set it).
    pub band: Option<super::value::Txt>,
}

impl Frame {
    pub(crate) fn new(p: &Program) -> Frame {
        Frame {
            nums: vec![Decimal::ZERO; p.n_num_locals],
            bools: vec![false; p.n_bool_locals],
            dates: vec![Date::default(); p.n_date_locals],
            accs: vec![Decimal::ZERO; p.accumulators.len()],
            acc_bools: vec![false; p.accumulators.len()],
            acc_dates: vec![Date::default(); p.accumulators.len()],
            acc_texts: vec![String::new(); p.accumulators.len()],
            layers: vec![Decimal::ZERO; p.layers.len()],
            outputs: vec![Decimal::ZERO; p.outputs.len()],
            outputs_init: p
                .outputs
                .iter()
                .map(|o| match o.default {
                    Some(ParamValue::Num(d)) => d,
                    _ => Decimal::ZERO,
                })
                .collect(),
            vals: vec![super::value::Val::Absent; p.outputs.len()],
            texts: vec![super::value::Txt::Empty; p.n_text_locals],
            remaining: Decimal::ZERO,
            fee: Decimal::ZERO,
            borne: Decimal::ZERO,
            fee_applied: false,
            ledger: vec![
                Decimal::ZERO;
                crate::schema::ledger::COLUMNS.len() + p.ledger_extras.len()
            ],
            region: vec![Decimal::ZERO; p.region_values.len()],
            contrib: vec![Decimal::ZERO; crate::schema::contrib::SLOTS],
            band: None,
        }
    }
}

impl Frame {
    /// Resets accumulators to their starting values (`default`, or 0): the
    /// per-year ones only (`all` false: a new year of the same patient), or
    /// every one (a new patient).
    pub(crate) fn reset_accs(&mut self, p: &Program, all: bool) {
        for (i, a) in p.accumulators.iter().enumerate() {
            if !all && a.whole_run() {
                continue;
            }
            self.accs[i] = Decimal::ZERO;
            self.acc_bools[i] = false;
            self.acc_dates[i] = Date::default();
            self.acc_texts[i].clear();
            match &a.default {
                Some(ParamValue::Num(d)) => self.accs[i] = *d,
                Some(ParamValue::Bool(b)) => self.acc_bools[i] = *b,
                Some(ParamValue::Date(d)) => self.acc_dates[i] = *d,
                Some(ParamValue::Text(t)) => self.acc_texts[i].push_str(t),
                None => {}
            }
        }
    }
}

/// What is being evaluated: one claim (`c`), or one unit and period (`unit`),
/// whose institution is `inst` when the unit is an institution. The checker
/// guarantees an expression reads only what its context has.
pub(crate) struct Cur<'a> {
    pub c: Option<&'a Claim>,
    pub i: usize,
    pub inst: Option<&'a Institution>,
    pub epoch: usize,
    pub unit: Option<&'a UnitCtx<'a>>,
    /// The person (and month) a contribute block is run for.
    pub pm: Option<&'a PersonCur<'a>>,
}

/// A unit and period being settled.
pub(crate) struct UnitCtx<'a> {
    /// The current block's aggregates for this unit and period.
    pub aggs: &'a [Decimal],
    /// The unit's ledger row of the previous year, if the data has one.
    pub prior: Option<&'a [Decimal]>,
    pub score: Option<Decimal>,
    /// `agreement.interviews` (year blocks) and `agreement.terminated` of
    /// an institution in the period.
    pub interviews: u32,
    pub terminated: bool,
}

/// The error for a sum, difference or product that cannot be had exactly.
#[cold]
fn inexact(e: Inexact, op: BinOp, a: Decimal, b: Decimal, span: Span) -> Box<EvalError> {
    let what = match op {
        BinOp::Add => "sum",
        BinOp::Sub => "difference",
        BinOp::Mul => "product",
        BinOp::Div => "quotient",
    };
    match e {
        Inexact::Overflow => EvalError::at(format!("arithmetic overflow ({a} and {b})"), span),
        Inexact::Rounded => EvalError::at(
            format!(
                "arithmetic overflow: the exact {what} of {a} and {b} has more digits than a \
                 decimal holds (28 decimals, 28 to 29 significant digits), and would be rounded; \
                 round one of them first"
            ),
            span,
        ),
    }
}

pub(crate) fn no_claim() -> Box<EvalError> {
    EvalError::internal("a claim value was read outside a claim")
}

impl<T: Tracer> Env<'_, T> {
    pub(crate) fn stmt(&self, s: &Stmt, cur: &Cur, f: &mut Frame, layer: Option<usize>) -> R<()> {
        if !T::ON {
            return self.stmt_raw(s, cur, f, layer);
        }
        self.t.open();
        let before = match s {
            Stmt::AccAdd(i, ..) => f.accs.get(*i as usize).copied(),
            Stmt::AddLedger(i, ..) | Stmt::SetLedger(i, ..) => f.ledger.get(*i as usize).copied(),
            _ => None,
        };
        self.stmt_raw(s, cur, f, layer)?;
        self.t.close(Ev::Stmt {
            stmt: s,
            before,
            frame: f,
            layer,
        });
        Ok(())
    }

    fn stmt_raw(&self, s: &Stmt, cur: &Cur, f: &mut Frame, layer: Option<usize>) -> R<()> {
        match s {
            Stmt::SetNum(i, n, _) => f.nums[*i as usize] = self.num(n, cur, f)?,
            Stmt::SetBool(i, b, _) => f.bools[*i as usize] = self.boolean(b, cur, f)?,
            Stmt::SetDate(i, d, _) => f.dates[*i as usize] = self.date(d, cur, f)?,
            Stmt::SetText(i, t, _) => f.texts[*i as usize] = self.text_val(t, cur, f)?,
            Stmt::SetContrib(i, n, _) => {
                let v = self.num(n, cur, f)?;
                if let Some(x) = f.contrib.get_mut(*i as usize) {
                    *x = v;
                }
                if *i == crate::schema::contrib::REQUIRED_PAID_MONTHS
                    || *i == crate::schema::contrib::REQUIRED_MONTHS
                {
                    f.contrib[crate::schema::contrib::SHORTFALL as usize] = shortfall(f, cur);
                }
            }
            Stmt::SetBand(t, _) => f.band = Some(self.text_val(t, cur, f)?),
            Stmt::SetOutputVal(i, x, _) => {
                use super::value::Val;
                let v = match x {
                    ValX::Bool(b) => Val::Bool(self.boolean(b, cur, f)?),
                    ValX::Date(d) => Val::Date(self.date(d, cur, f)?),
                    ValX::Text(t) => Val::Text(self.text_val(t, cur, f)?),
                };
                f.vals[*i as usize] = v;
            }
            Stmt::Pay(n, span) => {
                let v = self.num(n, cur, f)?;
                if v.round_dp(2) != v {
                    return Err(EvalError::at(
                        format!("the payment {v} is not a whole number of fen; add `round` to the amount paid"),
                        *span,
                    ));
                }
                if v < Decimal::ZERO {
                    return Err(EvalError::at(format!("the payment {v} is negative"), *span));
                }
                // The fee block's rules (numbered after the layers) set the fee, which may
                // exceed the cost: the institution's gain.
                if layer == Some(self.prog.layers.len()) {
                    f.fee = v;
                    f.fee_applied = true;
                    return Ok(());
                }
                if v > f.remaining {
                    let msg = match (&self.prog.fee, f.fee_applied) {
                        (Some(fee), true) => format!(
                            "the payment {v} is more than the {} left of the claim's fee `{}` ({}): under a fee, layers share the fee, not the cost",
                            f.remaining, fee.name, f.fee
                        ),
                        _ => format!(
                            "the payment {v} is more than the {} the claim has left to pay",
                            f.remaining
                        ),
                    };
                    return Err(EvalError::at(msg, *span));
                }
                if let Some(li) = layer {
                    f.layers[li] = v;
                }
            }
            Stmt::AccAdd(i, n, span) => {
                let v = self.num(n, cur, f)?;
                let a = &mut f.accs[*i as usize];
                let full = a.scale().max(v.scale());
                *a = match a.checked_add(v) {
                    Some(r) if exact::unrounded(&r, full, *a, v) => r,
                    _ => self
                        .not_plain(BinOp::Add, *a, v, *span)
                        .map_err(|e| match e {
                            Inexact::Overflow => EvalError::at("accumulator overflow", *span),
                            Inexact::Rounded => inexact(e, BinOp::Add, *a, v, *span),
                        })?,
                };
            }
            Stmt::AccSet(i, v, _) => {
                let i = *i as usize;
                match v {
                    AccExpr::Num(n) => f.accs[i] = self.num(n, cur, f)?,
                    AccExpr::Bool(b) => f.acc_bools[i] = self.boolean(b, cur, f)?,
                    AccExpr::Date(d) => f.acc_dates[i] = self.date(d, cur, f)?,
                    AccExpr::Text(TextX::Acc(j)) if *j as usize == i => {}
                    AccExpr::Text(x) => {
                        // The buffer is taken out while the text is read (it may be
                        // another accumulator's) and put back: no allocation once warm.
                        let mut buf = std::mem::take(&mut f.acc_texts[i]);
                        buf.clear();
                        let read = self.text(x, cur, f).map(|t| buf.push_str(t));
                        f.acc_texts[i] = buf;
                        read?;
                    }
                }
            }
            Stmt::SetOutput(i, n, span) => {
                let v = self.num(n, cur, f)?;
                // The checker proves money outputs whole fen; this only guards it.
                let money = self
                    .prog
                    .outputs
                    .get(*i as usize)
                    .is_some_and(|o| o.ty == crate::check::types::Ty::Money);
                if money && v.round_dp(2) != v {
                    return Err(EvalError::at(
                        format!("the output {v} is not a whole number of fen; add `round`"),
                        *span,
                    ));
                }
                f.outputs[*i as usize] = v;
            }
            Stmt::SetLedger(i, n, span) | Stmt::AddLedger(i, n, span) => {
                let v = self.num(n, cur, f)?;
                let i = *i as usize;
                let money = i < crate::schema::ledger::COLUMNS.len()
                    || self
                        .prog
                        .ledger_extras
                        .get(i - crate::schema::ledger::COLUMNS.len())
                        .is_some_and(|o| o.ty == crate::check::types::Ty::Money);
                if money && v.round_dp(2) != v {
                    return Err(EvalError::at(
                        format!("the ledger amount {v} is not a whole number of fen; add `round`"),
                        *span,
                    ));
                }
                let slot = f
                    .ledger
                    .get_mut(i)
                    .ok_or_else(|| EvalError::internal("ledger column out of range"))?;
                *slot = if matches!(s, Stmt::AddLedger(..)) {
                    let full = slot.scale().max(v.scale());
                    match slot.checked_add(v) {
                        Some(r) if exact::unrounded(&r, full, *slot, v) => r,
                        _ => self
                            .not_plain(BinOp::Add, *slot, v, *span)
                            .map_err(|e| match e {
                                Inexact::Overflow => EvalError::at("arithmetic overflow", *span),
                                Inexact::Rounded => inexact(e, BinOp::Add, *slot, v, *span),
                            })?,
                    }
                } else {
                    v
                };
            }
            Stmt::SetRegion(i, n, _) => f.region[*i as usize] = self.num(n, cur, f)?,
            Stmt::SetLedgerVal(i, x, _) => {
                use super::value::Val;
                let v = match x {
                    ValX::Bool(b) => Val::Bool(self.boolean(b, cur, f)?),
                    ValX::Date(d) => Val::Date(self.date(d, cur, f)?),
                    ValX::Text(t) => Val::Text(self.text_val(t, cur, f)?),
                };
                let code = super::ledger::typed::encode(v).ok_or_else(|| {
                    EvalError::internal("a ledger text that is not the policy's own")
                })?;
                let slot = f
                    .ledger
                    .get_mut(*i as usize)
                    .ok_or_else(|| EvalError::internal("ledger column out of range"))?;
                *slot = code;
            }
        }
        Ok(())
    }

    /// An operation whose plain result is not at its operands' full scale
    /// (or overflowed), looked at exactly: exact after all (rust_decimal
    /// dropped zeros), rounded as a decimal can if an operand may derive from a
    /// quotient ([`Program::may_round`]), or why not.
    #[cold]
    #[inline(never)]
    fn not_plain(&self, op: BinOp, a: Decimal, b: Decimal, span: Span) -> Result<Decimal, Inexact> {
        let (exact, plain) = match op {
            BinOp::Add => (exact::add(a, b), a.checked_add(b)),
            BinOp::Sub => (exact::sub(a, b), a.checked_sub(b)),
            BinOp::Mul => (exact::mul(a, b), a.checked_mul(b)),
            BinOp::Div => return Err(Inexact::Overflow),
        };
        match (exact, plain) {
            (Err(Inexact::Rounded), Some(r)) if self.prog.may_round(span) => Ok(r),
            (e, _) => e,
        }
    }

    /// A schedule whose shares of `x` are not exact: computed as a decimal can
    /// if `x` may derive from a quotient ([`Program::may_round`]).
    #[cold]
    #[inline(never)]
    fn schedule_rounding(&self, s: &Schedule, x: Decimal, span: Span) -> Option<Decimal> {
        if self.prog.may_round(span) {
            apply_schedule_rounding(s, x)
        } else {
            None
        }
    }

    /// The slot of the version of a name in force in the epoch.
    fn resolve(&self, r: Ref, epoch: usize, span: Option<Span>) -> R<usize> {
        match r {
            Ref::Fixed(i) => Ok(i as usize),
            Ref::Dated(g) => {
                let v = self
                    .prog
                    .versions
                    .get(g as usize)
                    .ok_or_else(|| EvalError::internal("unknown version group"))?;
                match v.by_epoch.get(epoch).copied().flatten() {
                    Some(s) => Ok(s as usize),
                    None => {
                        let mut e = EvalError::internal("");
                        e.message = format!(
                            "no version of `{}` is in force on this date (it is in force {})",
                            v.name,
                            v.versions
                                .iter()
                                .map(|(p, _)| match p.until {
                                    Some(u) => format!("{} to {u}", p.from),
                                    None => format!("from {}", p.from),
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        e.span = span;
                        Err(e)
                    }
                }
            }
        }
    }

    fn param(&self, r: Ref, epoch: usize) -> R<&ParamValue> {
        let i = self.resolve(r, epoch, None)?;
        if T::ON {
            self.t.slot(i);
        }
        self.prog
            .params
            .get(i)
            .map(|p| &p.value)
            .ok_or_else(|| EvalError::internal("parameter out of range"))
    }

    pub(crate) fn num(&self, n: &Num, cur: &Cur, f: &Frame) -> R<Decimal> {
        if !T::ON {
            return self.num_raw(n, cur, f);
        }
        self.t.open();
        let v = self.num_raw(n, cur, f)?;
        self.t.close(Ev::Num(n, v));
        Ok(v)
    }

    fn num_raw(&self, n: &Num, cur: &Cur, f: &Frame) -> R<Decimal> {
        Ok(match n {
            Num::Const(v) => *v,
            Num::Param(i) => match self.param(*i, cur.epoch)? {
                ParamValue::Num(v) => *v,
                _ => return Err(EvalError::internal("parameter is not a number")),
            },
            Num::Claim(fld) => claim_num(cur.c.ok_or_else(no_claim)?, *fld),
            Num::Inst(fld) => {
                let inst = cur.inst.ok_or_else(no_claim)?;
                match fld {
                    InstField::AnnualBudget => inst.annual_budget,
                    InstField::PriorYearMonthlyAvg => inst.prior_year_monthly_avg,
                    InstField::Enrolled => inst.enrolled,
                    _ => Decimal::ZERO,
                }
            }
            Num::ClaimExtra(i) => match self.claims.extras[*i as usize][cur.i] {
                Extra::Num(v) => v,
                _ => Decimal::ZERO,
            },
            Num::InstExtra(i) => match cur.inst.and_then(|x| x.extras.get(*i as usize)) {
                Some(Extra::Num(v)) => *v,
                _ => Decimal::ZERO,
            },
            Num::Local(i) => f.nums[*i as usize],
            Num::Acc(i) => f.accs[*i as usize],
            Num::Layer(i) => f.layers[*i as usize],
            Num::Output(i) => f.outputs[*i as usize],
            Num::Remaining => f.remaining,
            Num::Fee => f.fee,
            Num::Borne => f.borne,
            Num::Bin(op, ab, span) => {
                let a = self.num(&ab.0, cur, f)?;
                let b = self.num(&ab.1, cur, f)?;
                // The plain result and the scale it has if nothing was rounded.
                let (r, full) = match op {
                    BinOp::Add => (a.checked_add(b), a.scale().max(b.scale())),
                    BinOp::Sub => (a.checked_sub(b), a.scale().max(b.scale())),
                    BinOp::Mul => (a.checked_mul(b), a.scale() + b.scale()),
                    BinOp::Div => {
                        if b.is_zero() {
                            return Err(EvalError::at(
                                format!("division by zero ({a} / 0)"),
                                *span,
                            ));
                        }
                        // A quotient is rounded to 28 significant digits by nature.
                        let q = a.checked_div(b);
                        (q, q.map_or(0, |q| q.scale()))
                    }
                };
                match r {
                    Some(r) if exact::unrounded(&r, full, a, b) => r,
                    _ => self
                        .not_plain(*op, a, b, *span)
                        .map_err(|e| inexact(e, *op, a, b, *span))?,
                }
            }
            Num::Neg(x) => -self.num(x, cur, f)?,
            Num::Person(fld) => cur.pm.ok_or_else(no_claim)?.num(*fld),
            Num::Contrib(i) => f.contrib.get(*i as usize).copied().unwrap_or_default(),
            Num::Age(ab) => {
                let birth = self.date(&ab.0, cur, f)?;
                let day = self.date(&ab.1, cur, f)?;
                if T::ON {
                    self.t.dates(&[birth, day]);
                }
                Decimal::from(age_on(birth, day))
            }
            Num::Min(xs) => self.fold(xs, cur, f, Decimal::min)?,
            Num::Max(xs) => self.fold(xs, cur, f, Decimal::max)?,
            Num::Clamp(args, span) => {
                let (x, lo, hi) = (
                    self.num(&args.0, cur, f)?,
                    self.num(&args.1, cur, f)?,
                    self.num(&args.2, cur, f)?,
                );
                if lo > hi {
                    return Err(EvalError::at(
                        format!("clamp bounds are reversed: low {lo} is above high {hi}"),
                        *span,
                    ));
                }
                x.max(lo).min(hi)
            }
            Num::If(cab) => {
                if self.boolean(&cab.0, cur, f)? {
                    self.num(&cab.1, cur, f)?
                } else {
                    self.num(&cab.2, cur, f)?
                }
            }
            Num::Round(x, r, span) => round(self.num(x, cur, f)?, r)
                .ok_or_else(|| EvalError::at("rounding overflow", *span))?,
            Num::Lookup(t, keys, span) => self.lookup(*t, keys, cur, f, *span)?,
            Num::Schedule(s, x, span) => {
                let v = self.num(x, cur, f)?;
                let slot = self.resolve(*s, cur.epoch, Some(*span))?;
                if T::ON {
                    self.t.slot(slot);
                    self.t.schedule(slot, v, false);
                }
                let sched = &self.prog.schedules[slot];
                apply_schedule(sched, v)
                    .or_else(|| self.schedule_rounding(sched, v, *span))
                    .ok_or_else(|| {
                        EvalError::at(
                            format!("arithmetic overflow in schedule: applied to {v}, a segment's share is too large or has more digits than a decimal holds (28 decimals, 28 to 29 significant digits)"),
                            *span,
                        )
                    })?
            }
            Num::Rate(s, x, span) => {
                let v = self.num(x, cur, f)?;
                let slot = self.resolve(*s, cur.epoch, Some(*span))?;
                if T::ON {
                    self.t.slot(slot);
                    self.t.schedule(slot, v, true);
                }
                let sched = &self.prog.schedules[slot];
                rate_at(sched, v)
            }
            // Computed, as soon as what it derives from is (statements run
            // in dependency order).
            Num::Ledger(crate::schema::ledger::CLEARING_BALANCE) => {
                super::invariant::clearing_balance(&f.ledger)
                    .ok_or_else(|| EvalError::internal("ledger overflow"))?
            }
            Num::Ledger(crate::schema::ledger::RESERVE_CLOSING) => {
                super::invariant::reserve_closing(&f.ledger)
                    .ok_or_else(|| EvalError::internal("ledger overflow"))?
            }
            Num::Ledger(i) => f.ledger[*i as usize],
            Num::Agg(i) => cur
                .unit
                .and_then(|u| u.aggs.get(*i as usize).copied())
                .ok_or_else(|| EvalError::internal("aggregate outside a settle block"))?,
            Num::Region(i) => f.region[*i as usize],
            Num::Previous(x) => self.previous_num(x, cur, f)?,
            Num::Prior(col, fallback) => match cur.unit.and_then(|u| u.prior) {
                Some(row) => row.get(*col as usize).copied().unwrap_or_default(),
                None => self.num(fallback, cur, f)?,
            },
            Num::Interviews => Decimal::from(cur.unit.map_or(0, |u| u.interviews)),
            Num::Score(span) => cur.unit.and_then(|u| u.score).ok_or_else(|| {
                EvalError::at(
                    "no assessment score for this unit and year (give one in the assessments file, `--assessments`)",
                    *span,
                )
            })?,
            Num::DateDiff(ab) => {
                let (a, b) = (self.date(&ab.0, cur, f)?, self.date(&ab.1, cur, f)?);
                if T::ON {
                    self.t.dates(&[a, b]);
                }
                Decimal::from(a.0 - b.0)
            }
            Num::DatePart(part, d) => {
                let d = self.date(d, cur, f)?;
                if T::ON {
                    self.t.dates(&[d]);
                }
                let (y, m, day) = d.ymd();
                match part {
                    DatePart::Year => Decimal::from(y),
                    DatePart::Month => Decimal::from(m),
                    DatePart::Day => Decimal::from(day),
                }
            }
        })
    }

    fn fold(
        &self,
        xs: &[Num],
        cur: &Cur,
        f: &Frame,
        g: fn(Decimal, Decimal) -> Decimal,
    ) -> R<Decimal> {
        let mut it = xs.iter();
        let mut acc = match it.next() {
            Some(x) => self.num(x, cur, f)?,
            None => return Err(EvalError::internal("min/max without arguments")),
        };
        for x in it {
            acc = g(acc, self.num(x, cur, f)?);
        }
        Ok(acc)
    }
}
