//! The interpreter: evaluates a checked program on one claim at a time.
//!
//! All arithmetic is checked `Decimal` arithmetic; an overflow, a division by
//! zero or a missing table key is an [`EvalError`] naming the claim and the
//! policy text, never a panic. Per claim nothing is allocated: locals,
//! accumulators and results live in buffers reused across claims.

use super::trace::{Ev, NoTrace, RuleOutcome, Tracer};
use crate::data::{Claim, Claims, Extra, Institution, Institutions};
use crate::date::Date;
use crate::ir::*;
use crate::schema::{ClaimField, InstField};
use crate::source::Span;
use crate::syntax::ast::{BinOp, CmpOp, RoundMode};
use rust_decimal::{Decimal, RoundingStrategy};

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
            s.push_str(&format!(", claim {id}"));
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
}

/// The working state, reused for every claim (or every unit and period).
pub(crate) struct Frame {
    pub nums: Vec<Decimal>,
    pub bools: Vec<bool>,
    pub dates: Vec<Date>,
    pub accs: Vec<Decimal>,
    pub layers: Vec<Decimal>,
    pub outputs: Vec<Decimal>,
    pub remaining: Decimal,
    /// The ledger row of the unit and period being settled.
    pub ledger: Vec<Decimal>,
    /// The year's region values.
    pub region: Vec<Decimal>,
}

impl Frame {
    pub(crate) fn new(p: &Program) -> Frame {
        Frame {
            nums: vec![Decimal::ZERO; p.n_num_locals],
            bools: vec![false; p.n_bool_locals],
            dates: vec![Date::default(); p.n_date_locals],
            accs: vec![Decimal::ZERO; p.accumulators.len()],
            layers: vec![Decimal::ZERO; p.layers.len()],
            outputs: vec![Decimal::ZERO; p.outputs.len()],
            remaining: Decimal::ZERO,
            ledger: vec![
                Decimal::ZERO;
                crate::schema::ledger::COLUMNS.len() + p.ledger_extras.len()
            ],
            region: vec![Decimal::ZERO; p.region_values.len()],
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
}

/// A unit and period being settled.
pub(crate) struct UnitCtx<'a> {
    /// The current block's aggregates for this unit and period.
    pub aggs: &'a [Decimal],
    /// The unit's ledger row of the previous year, if the data has one.
    pub prior: Option<&'a [Decimal]>,
    pub score: Option<Decimal>,
}

fn no_claim() -> Box<EvalError> {
    EvalError::internal("a claim value was read outside a claim")
}

impl<T: Tracer> Env<'_, T> {
    /// Settles the claims of `range` (whole patients), writing their results.
    pub(crate) fn settle_chunk(
        &self,
        range: std::ops::Range<usize>,
        values: &mut [Decimal],
        rules: &mut [u16],
        periods: &super::Periods,
        plan: Option<&super::ledger::Plan>,
        part: &mut super::Partial,
    ) -> Result<(), (usize, Box<EvalError>)> {
        let p = self.prog;
        let mut f = Frame::new(p);
        let stride = p.layers.len() + 1 + p.outputs.len();
        let mut scope: Option<(u32, i32)> = None;
        for (k, c) in self.claims.rows[range.clone()].iter().enumerate() {
            let ci = range.start + k;
            let (year, month) = c.discharge.year_month();
            if scope != Some((c.patient, year)) {
                f.accs.iter_mut().for_each(|a| *a = Decimal::ZERO);
                scope = Some((c.patient, year));
            }
            let Some(inst) = self.insts.rows.get(c.institution as usize) else {
                return Err((
                    k,
                    EvalError::internal("claim refers to a missing institution"),
                ));
            };
            let cur = Cur {
                c: Some(c),
                i: ci,
                inst: Some(inst),
                epoch: p.epoch(c.discharge),
                unit: None,
            };
            let with_claim = |mut e: Box<EvalError>| {
                e.claim = Some((self.claims.text(c.id).to_string(), c.line));
                (k, e)
            };
            let applied = &mut rules[k * p.layers.len()..(k + 1) * p.layers.len()];
            self.claim(&cur, &mut f, applied).map_err(with_claim)?;
            let out = &mut values[k * stride..(k + 1) * stride];
            out[..f.layers.len()].copy_from_slice(&f.layers);
            out[f.layers.len()] = f.remaining;
            out[f.layers.len() + 1..].copy_from_slice(&f.outputs);
            let mi = periods.month_index((year, month));
            part.tally
                .add(c.institution, mi, c.visit_type, c.total_cost, out)
                .map_err(|m| with_claim(EvalError::internal(&m)))?;
            if let (Some(plan), Some(sums)) = (plan, part.sums.as_mut()) {
                let yi = periods.year_index(year);
                sums.add(self, plan, &cur, &f, yi, mi).map_err(with_claim)?;
            }
        }
        Ok(())
    }

    fn claim(&self, cur: &Cur, f: &mut Frame, applied: &mut [u16]) -> R<()> {
        f.outputs.iter_mut().for_each(|o| *o = Decimal::ZERO);
        f.layers.iter_mut().for_each(|l| *l = Decimal::ZERO);
        f.remaining = cur.c.ok_or_else(no_claim)?.total_cost;
        if T::ON {
            self.t.begin_claim(cur.i, f);
            self.t.open();
        }
        for s in &self.prog.lets {
            self.stmt(s, cur, f, None)?;
        }
        if T::ON {
            self.t.close(Ev::Lets);
        }
        for (li, layer) in self.prog.layers.iter().enumerate() {
            applied[li] = 0;
            let left = f.remaining;
            if T::ON {
                self.t.open();
            }
            for (ri, rule) in layer.rules.iter().enumerate() {
                let outcome = |outcome| Ev::Rule {
                    layer: li,
                    rule: ri,
                    outcome,
                };
                if T::ON {
                    self.t.open();
                }
                if let Some(epochs) = &rule.in_force {
                    if !epochs.get(cur.epoch).copied().unwrap_or(false) {
                        if T::ON {
                            self.t.close(outcome(RuleOutcome::NotInForce));
                        }
                        continue;
                    }
                }
                let hit = match &rule.when {
                    None => true,
                    Some(b) => self.boolean(b, cur, f)?,
                };
                if !hit {
                    if T::ON {
                        self.t.close(outcome(RuleOutcome::NotMet));
                    }
                    continue;
                }
                applied[li] = u16::try_from(ri + 1).unwrap_or(u16::MAX);
                for s in &rule.body {
                    self.stmt(s, cur, f, Some(li)).map_err(|mut e| {
                        e.rule = Some(format!("rule `{}/{}`", layer.name, rule.name).into());
                        e
                    })?;
                }
                if T::ON {
                    self.t.close(outcome(RuleOutcome::Applied));
                }
                break;
            }
            f.remaining = f
                .remaining
                .checked_sub(f.layers[li])
                .ok_or_else(|| EvalError::internal("arithmetic overflow in patient_paid"))?;
            if T::ON {
                self.t.close(Ev::Layer {
                    layer: li,
                    paid: f.layers[li],
                    left,
                });
            }
        }
        if T::ON {
            self.t.end_claim(cur.i, f);
        }
        Ok(())
    }

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
                if v > f.remaining {
                    return Err(EvalError::at(
                        format!(
                            "the payment {v} is more than the {} the claim has left to pay",
                            f.remaining
                        ),
                        *span,
                    ));
                }
                if let Some(li) = layer {
                    f.layers[li] = v;
                }
            }
            Stmt::AccAdd(i, n, span) => {
                let v = self.num(n, cur, f)?;
                let a = &mut f.accs[*i as usize];
                *a = a
                    .checked_add(v)
                    .ok_or_else(|| EvalError::at("accumulator overflow", *span))?;
            }
            Stmt::SetOutput(i, n, _) => f.outputs[*i as usize] = self.num(n, cur, f)?,
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
                    slot.checked_add(v)
                        .ok_or_else(|| EvalError::at("arithmetic overflow", *span))?
                } else {
                    v
                };
            }
            Stmt::SetRegion(i, n, _) => f.region[*i as usize] = self.num(n, cur, f)?,
        }
        Ok(())
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
            Num::Bin(op, ab, span) => {
                let a = self.num(&ab.0, cur, f)?;
                let b = self.num(&ab.1, cur, f)?;
                let r = match op {
                    BinOp::Add => a.checked_add(b),
                    BinOp::Sub => a.checked_sub(b),
                    BinOp::Mul => a.checked_mul(b),
                    BinOp::Div => {
                        if b.is_zero() {
                            return Err(EvalError::at(
                                format!("division by zero ({a} / 0)"),
                                *span,
                            ));
                        }
                        a.checked_div(b)
                    }
                };
                r.ok_or_else(|| EvalError::at(format!("arithmetic overflow ({a} and {b})"), *span))?
            }
            Num::Neg(x) => -self.num(x, cur, f)?,
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
                    .ok_or_else(|| EvalError::at("arithmetic overflow in schedule", *span))?
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
            Num::Ledger(i) => f.ledger[*i as usize],
            Num::Agg(i) => cur
                .unit
                .and_then(|u| u.aggs.get(*i as usize).copied())
                .ok_or_else(|| EvalError::internal("aggregate outside a settle block"))?,
            Num::Region(i) => f.region[*i as usize],
            Num::Prior(col, fallback) => match cur.unit.and_then(|u| u.prior) {
                Some(row) => row.get(*col as usize).copied().unwrap_or_default(),
                None => self.num(fallback, cur, f)?,
            },
            Num::Score(span) => cur.unit.and_then(|u| u.score).ok_or_else(|| {
                EvalError::at(
                    "no assessment score for this unit and year (give one in the assessments file, `--assessments`)",
                    *span,
                )
            })?,
            Num::DateDiff(ab) => {
                Decimal::from(self.date(&ab.0, cur, f)?.0 - self.date(&ab.1, cur, f)?.0)
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

    fn lookup(&self, t: Ref, keys: &[Key], cur: &Cur, f: &Frame, span: Span) -> R<Decimal> {
        let slot = self.resolve(t, cur.epoch, Some(span))?;
        let table = &self.prog.tables[slot];
        if T::ON {
            self.t.slot(slot);
        }
        // For observers: which written row gave the value, and the keys as read.
        let seen = |row: Option<u16>| {
            if T::ON {
                self.t.cell(slot, row, self.keys_read(keys, cur, f));
            }
        };
        if let Some(cells) = &table.dense {
            let mut idx = 0usize;
            for (k, dim) in keys.iter().zip(&table.dims) {
                let (Key::Code(e), Dim::Enum(kind)) = (k, dim) else {
                    return Err(EvalError::internal("dense table with an open key"));
                };
                idx = idx * kind.count() + self.enum_code(*e, cur) as usize;
            }
            if let Some(Some(v)) = cells.get(idx) {
                seen(table.dense_rows.get(idx).copied().flatten());
                return Ok(*v);
            }
        } else {
            'rows: for (r, (row, v)) in table.rows.iter().enumerate() {
                for (k, kv) in keys.iter().zip(row) {
                    let hit = match (k, kv) {
                        (Key::Code(e), KeyValue::Code(c)) => self.enum_code(*e, cur) == *c,
                        (Key::Text(x), KeyValue::Text(s)) => self.text(x, cur)? == s,
                        (Key::Num(n), KeyValue::Num(d)) => self.num(n, cur, f)? == *d,
                        _ => false,
                    };
                    if !hit {
                        continue 'rows;
                    }
                }
                seen(table.open_rows.get(r).copied());
                return Ok(*v);
            }
        }
        if table.default.is_some() {
            seen(table.default_row);
        }
        table.default.ok_or_else(|| {
            let shown = self.keys_read(keys, cur, f);
            EvalError::at(
                format!(
                    "table `{}` has no row for ({}) and no `else` row",
                    table.name,
                    shown.join(", ")
                ),
                span,
            )
        })
    }

    /// A lookup's keys as read, for messages and observers.
    fn keys_read(&self, keys: &[Key], cur: &Cur, f: &Frame) -> Vec<String> {
        keys.iter()
            .map(|k| match k {
                Key::Code(e) => self.enum_name(*e, cur).to_string(),
                Key::Text(x) => self.text(x, cur).unwrap_or_default().to_string(),
                Key::Num(n) => self
                    .num(n, cur, f)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            })
            .collect()
    }

    fn enum_code(&self, e: EnumX, cur: &Cur) -> u8 {
        match e {
            EnumX::InsuredType => cur.c.map_or(0, |c| c.insured_type),
            EnumX::VisitType => cur.c.map_or(0, |c| c.visit_type),
            EnumX::Level => cur.inst.map_or(0, |i| i.level),
            EnumX::Grade => cur.inst.map_or(0, |i| i.grade),
            EnumX::Const(c) => c,
        }
    }

    fn enum_name(&self, e: EnumX, cur: &Cur) -> &'static str {
        use crate::schema::EnumKind as K;
        let code = self.enum_code(e, cur);
        match e {
            EnumX::InsuredType => K::InsuredType.name_of(code),
            EnumX::VisitType => K::VisitType.name_of(code),
            EnumX::Level => K::Level.name_of(code),
            EnumX::Grade => K::Grade.name_of(code),
            EnumX::Const(_) => "?",
        }
    }

    fn text<'s>(&'s self, x: &'s TextX, cur: &Cur<'s>) -> R<&'s str> {
        let inst = cur.inst.ok_or_else(no_claim);
        Ok(match x {
            TextX::Claim(fld) => {
                let c = cur.c.ok_or_else(no_claim)?;
                match fld {
                    ClaimField::ClaimId => self.claims.text(c.id),
                    ClaimField::PatientId => {
                        self.claims.text(self.claims.patients[c.patient as usize])
                    }
                    ClaimField::InstitutionId => &inst?.id,
                    ClaimField::DiseaseCode => self.claims.text(c.disease_code),
                    ClaimField::DrgCode => self.claims.text(c.drg_code),
                    _ => "",
                }
            }
            TextX::Inst(fld) => match fld {
                InstField::InstitutionId => &inst?.id,
                InstField::Name => &inst?.name,
                InstField::AllianceId => &inst?.alliance,
                _ => "",
            },
            TextX::ClaimExtra(i) => match self.claims.extras[*i as usize][cur.i] {
                Extra::Text(r) => self.claims.text(r),
                _ => "",
            },
            TextX::InstExtra(i) => match inst?.extras.get(*i as usize) {
                Some(Extra::Text(r)) => self.insts.arena.get(*r),
                _ => "",
            },
            TextX::Param(i) => match self.param(*i, cur.epoch)? {
                ParamValue::Text(s) => s,
                _ => "",
            },
            TextX::Const(s) => s,
        })
    }

    fn date(&self, d: &DateX, cur: &Cur, f: &Frame) -> R<Date> {
        Ok(match d {
            DateX::Claim(ClaimField::AdmitDate) => cur.c.ok_or_else(no_claim)?.admit,
            DateX::Claim(_) => cur.c.ok_or_else(no_claim)?.discharge,
            DateX::ClaimExtra(i) => match self.claims.extras[*i as usize][cur.i] {
                Extra::Date(d) => d,
                _ => Date::default(),
            },
            DateX::InstExtra(i) => match cur.inst.and_then(|x| x.extras.get(*i as usize)) {
                Some(Extra::Date(d)) => *d,
                _ => Date::default(),
            },
            DateX::Param(i) => match self.param(*i, cur.epoch)? {
                ParamValue::Date(d) => *d,
                _ => Date::default(),
            },
            DateX::Local(i) => f.dates[*i as usize],
            DateX::Const(d) => *d,
        })
    }

    pub(crate) fn boolean(&self, b: &Bool, cur: &Cur, f: &Frame) -> R<bool> {
        if !T::ON {
            return self.boolean_raw(b, cur, f);
        }
        self.t.open();
        let v = self.boolean_raw(b, cur, f)?;
        let detail = match b {
            Bool::Retired => Some(format!("claim.retired is {v}")),
            Bool::CmpEnum(_, e, _) | Bool::EnumIn(e, _) => {
                Some(format!("{} is {}", enum_field(*e), self.enum_name(*e, cur)))
            }
            Bool::TextEq(x, _) | Bool::TextIn(x, _) => {
                Some(format!("the value is \"{}\"", self.text(x, cur)?))
            }
            Bool::CmpDate(_, ab) => Some(format!(
                "{} and {}",
                self.date(&ab.0, cur, f)?,
                self.date(&ab.1, cur, f)?
            )),
            _ => None,
        };
        self.t.close(Ev::Bool(b, v, detail));
        Ok(v)
    }

    fn boolean_raw(&self, b: &Bool, cur: &Cur, f: &Frame) -> R<bool> {
        Ok(match b {
            Bool::Const(v) => *v,
            Bool::Retired => cur.c.ok_or_else(no_claim)?.retired,
            Bool::ClaimExtra(i) => {
                matches!(self.claims.extras[*i as usize][cur.i], Extra::Bool(true))
            }
            Bool::InstExtra(i) => matches!(
                cur.inst.and_then(|x| x.extras.get(*i as usize)),
                Some(Extra::Bool(true))
            ),
            Bool::Param(i) => matches!(self.param(*i, cur.epoch)?, ParamValue::Bool(true)),
            Bool::Local(i) => f.bools[*i as usize],
            Bool::Not(x) => !self.boolean(x, cur, f)?,
            Bool::And(xs) => {
                for x in xs {
                    if !self.boolean(x, cur, f)? {
                        return Ok(false);
                    }
                }
                true
            }
            Bool::Or(xs) => {
                for x in xs {
                    if self.boolean(x, cur, f)? {
                        return Ok(true);
                    }
                }
                false
            }
            Bool::CmpNum(op, ab) => {
                cmp(*op, self.num(&ab.0, cur, f)?.cmp(&self.num(&ab.1, cur, f)?))
            }
            Bool::CmpDate(op, ab) => cmp(
                *op,
                self.date(&ab.0, cur, f)?.cmp(&self.date(&ab.1, cur, f)?),
            ),
            Bool::CmpEnum(op, e, c) => cmp(*op, self.enum_code(*e, cur).cmp(c)),
            Bool::EnumIn(e, mask) => mask & (1 << self.enum_code(*e, cur)) != 0,
            Bool::TextEq(x, s) => self.text(x, cur)? == s,
            Bool::TextIn(x, list) => {
                let v = self.text(x, cur)?;
                list.iter().any(|s| s == v)
            }
            Bool::BoolEq(ab) => self.boolean(&ab.0, cur, f)? == self.boolean(&ab.1, cur, f)?,
        })
    }
}

/// The field an enumerated value is read from, as written in a policy.
pub(crate) fn enum_field(e: EnumX) -> &'static str {
    match e {
        EnumX::InsuredType => "claim.insured_type",
        EnumX::VisitType => "claim.visit_type",
        EnumX::Level => "institution.level",
        EnumX::Grade => "institution.grade",
        EnumX::Const(_) => "a constant",
    }
}

fn claim_num(c: &Claim, fld: ClaimField) -> Decimal {
    match fld {
        ClaimField::TotalCost => c.total_cost,
        ClaimField::SelfPayCost => c.self_pay_cost,
        ClaimField::DrugCost => c.drug_cost,
        ClaimField::Age => Decimal::from(c.age),
        ClaimField::LengthOfStay => Decimal::from(c.discharge.0 - c.admit.0),
        _ => Decimal::ZERO,
    }
}

fn cmp(op: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
    }
}

/// Rounds to a multiple of the step, by the mode.
pub fn round(v: Decimal, r: &Rounding) -> Option<Decimal> {
    let strategy = match r.mode {
        RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundMode::Down => RoundingStrategy::ToZero,
        RoundMode::Up => RoundingStrategy::AwayFromZero,
    };
    match r.dp {
        Some(dp) => Some(v.round_dp_with_strategy(dp, strategy)),
        None => v
            .checked_div(r.step)?
            .round_dp_with_strategy(0, strategy)
            .checked_mul(r.step),
    }
}

/// A schedule applied to an amount: marginal sums each segment's share;
/// whole applies the rate of the segment the amount falls in (from ≤ x < to).
pub fn apply_schedule(s: &Schedule, x: Decimal) -> Option<Decimal> {
    match s.kind {
        ScheduleKind::Marginal => {
            let mut total = Decimal::ZERO;
            for &(from, to, rate) in &s.segments {
                if x <= from {
                    break;
                }
                let top = to.map_or(x, |t| x.min(t));
                total = total.checked_add(top.checked_sub(from)?.checked_mul(rate)?)?;
            }
            Some(total)
        }
        ScheduleKind::Whole => {
            let seg = s
                .segments
                .iter()
                .find(|(from, to, _)| x >= *from && to.is_none_or(|t| x < t));
            match seg {
                Some(&(_, _, rate)) => x.checked_mul(rate),
                None => Some(Decimal::ZERO),
            }
        }
    }
}

/// The rate of the segment `x` falls in (from ≤ x < to); 0 outside every segment.
pub fn rate_at(s: &Schedule, x: Decimal) -> Decimal {
    s.segments
        .iter()
        .find(|(from, to, _)| x >= *from && to.is_none_or(|t| x < t))
        .map_or(Decimal::ZERO, |seg| seg.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_modes() {
        let r = |mode, step: &str| Rounding {
            step: d(step),
            dp: (0..=10).find(|&p| Decimal::new(1, p) == d(step)),
            mode,
        };
        assert_eq!(
            round(d("2.345"), &r(RoundMode::HalfUp, "0.01")),
            Some(d("2.35"))
        );
        assert_eq!(
            round(d("-2.345"), &r(RoundMode::HalfUp, "0.01")),
            Some(d("-2.35"))
        );
        assert_eq!(
            round(d("2.345"), &r(RoundMode::HalfEven, "0.01")),
            Some(d("2.34"))
        );
        assert_eq!(
            round(d("2.349"), &r(RoundMode::Down, "0.01")),
            Some(d("2.34"))
        );
        assert_eq!(
            round(d("2.341"), &r(RoundMode::Up, "0.01")),
            Some(d("2.35"))
        );
        assert_eq!(round(d("17.5"), &r(RoundMode::HalfUp, "5")), Some(d("20")));
        assert_eq!(
            round(d("0.125"), &r(RoundMode::HalfUp, "0.05")),
            Some(d("0.15"))
        );
    }

    #[test]
    fn schedules_marginal_and_whole() {
        // Bazhong-style segments above 15,000: 60% to 65,000, 70% to 115,000, 80% beyond.
        let m = Schedule {
            in_force: None,
            cite: None,
            segment_spans: Vec::new(),
            name: "s".into(),
            kind: ScheduleKind::Marginal,
            segments: vec![
                (d("15000"), Some(d("65000")), d("0.6")),
                (d("65000"), Some(d("115000")), d("0.7")),
                (d("115000"), None, d("0.8")),
            ],
            input: crate::check::types::Ty::Money,
            span: Span::default(),
        };
        assert_eq!(apply_schedule(&m, d("10000")), Some(d("0")));
        // 50,000 × 0.6 + 5,000 × 0.7 = 33,500
        assert_eq!(apply_schedule(&m, d("70000")), Some(d("33500")));
        // 30,000 + 35,000 + 10,000 × 0.8 = 73,000
        assert_eq!(apply_schedule(&m, d("125000")), Some(d("73000")));
        let w = Schedule {
            kind: ScheduleKind::Whole,
            ..m
        };
        assert_eq!(apply_schedule(&w, d("70000")), Some(d("49000")));
        assert_eq!(apply_schedule(&w, d("65000")), Some(d("45500")));
        assert_eq!(apply_schedule(&w, d("14999.99")), Some(d("0")));
    }
}
