//! Expressions: AST → typed IR ([`Num`], [`Bool`], [`DateX`], [`TextX`]).
//!
//! Names are resolved here (locals, then top-level `let`s, then
//! declarations); an error yields [`TExpr::Poison`] so one mistake is
//! reported once, not again by every expression around it.

use super::literal::literal_type;
use super::types::Ty;
use super::{Checker, FieldRef, Global, Local};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{Bool, DateX, EnumX, Num, Ref, Rounding, TextX, UnitKind};
use crate::schema::{ClaimField, EnumKind, InstField};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Expr, ExprKind, LitKind, Literal};
use rust_decimal::Decimal;

pub(crate) enum TExpr {
    Num(Num, Ty),
    Bool(Bool),
    Date(DateX),
    Text(TextX),
    Enum(EnumX, EnumKind),
    /// A text literal, which may turn out to be an enum value.
    TextLit(String, Literal),
    Poison,
}

impl TExpr {
    pub(crate) fn ty(&self) -> Option<Ty> {
        Some(match self {
            TExpr::Num(_, t) => *t,
            TExpr::Bool(_) => Ty::Bool,
            TExpr::Date(_) => Ty::Date,
            TExpr::Text(_) | TExpr::TextLit(..) => Ty::Text,
            TExpr::Enum(_, k) => Ty::Enum(*k),
            TExpr::Poison => return None,
        })
    }
}

impl Checker {
    pub(crate) fn expect_num(&mut self, e: TExpr, span: Span, what: &str) -> Option<(Num, Ty)> {
        match e {
            TExpr::Num(n, t) => Some((n, t)),
            TExpr::Poison => None,
            other => {
                let t = other.ty().map_or("this".into(), |t| t.article());
                self.error(
                    Diagnostic::error(format!("{what} must be a number, not {t}"))
                        .at(span)
                        .label(format!("this is {t}")),
                );
                None
            }
        }
    }

    pub(crate) fn expect_money(&mut self, e: TExpr, span: Span, what: &str) -> Option<Num> {
        let (n, t) = self.expect_num(e, span, what)?;
        if t.unify(Ty::Money) != Some(Ty::Money) {
            let hint = if t == Ty::Ratio {
                "multiply the ratio by an amount of money"
            } else {
                "pay an amount of money"
            };
            self.error(
                Diagnostic::error(format!("{what} must be money, not {}", t.article()))
                    .at(span)
                    .label(format!("this is {}", t.article()))
                    .help(hint),
            );
            return None;
        }
        Some(n)
    }

    pub(crate) fn expect_bool(&mut self, e: TExpr, span: Span, what: &str) -> Option<Bool> {
        match e {
            TExpr::Bool(b) => Some(b),
            TExpr::Poison => None,
            other => {
                let t = other.ty().map_or("this".into(), |t| t.article());
                self.error(
                    Diagnostic::error(format!("{what} must be a condition, not {t}"))
                        .at(span)
                        .label(format!("this is {t}"))
                        .help("compare it, e.g. `claim.age >= 60` or `claim.visit_type == \"inpatient\"`"),
                );
                None
            }
        }
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> TExpr {
        match &e.kind {
            ExprKind::Lit(l) => lit_expr(l),
            ExprKind::Name(id) => self.name(&id.name, id.span),
            ExprKind::Field { object, field } => {
                if let Some(t) = self.person_field(object, field) {
                    return t;
                }
                if let Some(t) = self.agreement_field(object, field) {
                    return t;
                }
                if let Some(t) = self.unit_field(object, field) {
                    return t;
                }
                match self.field_type(object, field) {
                    Some((ty, r)) => {
                        if !self.field_allowed(r, object.span.to(field.span)) {
                            return TExpr::Poison;
                        }
                        field_expr(ty, r)
                    }
                    None => TExpr::Poison,
                }
            }
            ExprKind::Call { func, args, filter } => match func.name.as_str() {
                "sum" | "count" | "avg" => self.aggregate(func, args, filter.as_deref(), e.span),
                _ if filter.is_some() => {
                    self.error(
                        Diagnostic::error(format!("`{}` does not take `when`", func.name))
                            .at(e.span)
                            .help("only the aggregates `sum`, `count` and `avg` filter claims with `when`"),
                    );
                    TExpr::Poison
                }
                "prior" => self.prior(args, e.span),
                "previous" => self.previous(args, e.span),
                "rate" => self.rate(args, e.span),
                _ => self.call(&func.name, func.span, args, e.span),
            },
            ExprKind::Lookup { table, args } => self.lookup(&table.name, table.span, args, e.span),
            ExprKind::Neg(inner) => {
                let v = self.expr(inner);
                match self.expect_num(v, inner.span, "a negated value") {
                    Some((n, t)) => TExpr::Num(Num::Neg(Box::new(n)), t),
                    None => TExpr::Poison,
                }
            }
            ExprKind::Not(inner) => {
                let v = self.expr(inner);
                match self.expect_bool(v, inner.span, "the operand of `not`") {
                    Some(b) => TExpr::Bool(Bool::Not(Box::new(b))),
                    None => TExpr::Poison,
                }
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs),
            ExprKind::Cmp {
                op,
                op_span,
                lhs,
                rhs,
            } => self.compare(*op, *op_span, lhs, rhs),
            ExprKind::In { value, list } => self.in_list(value, list),
            ExprKind::And(parts) | ExprKind::Or(parts) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let mut out = Vec::new();
                for p in parts {
                    let v = self.expr(p);
                    if let Some(b) = self.expect_bool(
                        v,
                        p.span,
                        if is_and {
                            "an operand of `and`"
                        } else {
                            "an operand of `or`"
                        },
                    ) {
                        out.push(b);
                    }
                }
                if out.len() != parts.len() {
                    return TExpr::Poison;
                }
                TExpr::Bool(if is_and {
                    Bool::And(out)
                } else {
                    Bool::Or(out)
                })
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond);
                let c = self.expect_bool(c, cond.span, "the condition of `if`");
                let a = self.expr(then);
                let b = self.expr(otherwise);
                let Some(c) = c else { return TExpr::Poison };
                match (a, b) {
                    (TExpr::Num(x, tx), TExpr::Num(y, ty)) => match tx.unify(ty) {
                        Some(t) => TExpr::Num(Num::If(Box::new((c, x, y))), t),
                        None => {
                            self.error(
                                Diagnostic::error(format!(
                                    "the branches of `if` differ: {} and {}",
                                    tx.article(),
                                    ty.article()
                                ))
                                .at(otherwise.span)
                                .help("both branches must give the same kind of value"),
                            );
                            TExpr::Poison
                        }
                    },
                    (TExpr::Bool(x), TExpr::Bool(y)) => TExpr::Bool(Bool::Or(vec![
                        Bool::And(vec![c.clone(), x]),
                        Bool::And(vec![Bool::Not(Box::new(c)), y]),
                    ])),
                    (TExpr::Poison, _) | (_, TExpr::Poison) => TExpr::Poison,
                    (
                        a @ (TExpr::Text(_) | TExpr::TextLit(..)),
                        b @ (TExpr::Text(_) | TExpr::TextLit(..)),
                    ) => match (self.text_part(a), self.text_part(b)) {
                        (Some(x), Some(y)) => TExpr::Text(TextX::If(Box::new((c, x, y)))),
                        _ => TExpr::Poison,
                    },
                    _ => {
                        self.error(
                            Diagnostic::error(
                                "`if` branches must both be numbers or both be conditions",
                            )
                            .at(e.span),
                        );
                        TExpr::Poison
                    }
                }
            }
            ExprKind::Round {
                value,
                step,
                mode,
                suffix,
            } => {
                let v = self.expr(value);
                let Some((n, t)) = self.expect_num(v, value.span, "a rounded value") else {
                    return TExpr::Poison;
                };
                let step_value = match step {
                    None => Decimal::new(1, 2),
                    Some(lit) => {
                        let st = literal_type(lit);
                        match (lit.kind.clone(), st.and_then(|s| s.unify(t))) {
                            (LitKind::Number { value, .. }, Some(_)) if value > Decimal::ZERO => {
                                value
                            }
                            _ => {
                                self.error(
                                    Diagnostic::error("round to a positive step of the same unit, e.g. `round to 0.01` or `round to 1元`")
                                        .at(lit.span),
                                );
                                return TExpr::Poison;
                            }
                        }
                    }
                };
                let dp = (0..=10u32).find(|&dp| Decimal::new(1, dp) == step_value);
                TExpr::Num(
                    Num::Round(
                        Box::new(n),
                        Rounding {
                            step: step_value,
                            dp,
                            mode: *mode,
                        },
                        *suffix,
                    ),
                    t,
                )
            }
        }
    }

    fn name(&mut self, name: &str, span: Span) -> TExpr {
        if self.is_broken(name) {
            return TExpr::Poison;
        }
        if let Some(t) = self.contrib_read(name, span) {
            return t;
        }
        if self.contrib.is_some() {
            if let Some(t) = self.not_in_contrib(name, span) {
                return t;
            }
        }
        let in_agg = self.settle.as_ref().map(|c| c.in_agg);
        if in_agg == Some(true) && self.rule_lets.contains_key(name) {
            self.error(
                Diagnostic::error(format!("`{name}` is computed by this block, after its aggregates"))
                    .at(span)
                    .label("not known per claim")
                    .help("an aggregate sees one claim: claim fields, layers, outputs, parameters and tables; apply block values outside it, e.g. `sum(x) * rate`"),
            );
            return TExpr::Poison;
        }
        if in_agg == Some(false)
            && !self.rule_lets.contains_key(name)
            && self.top_lets.contains_key(name)
        {
            return self.claim_value_outside(name, span);
        }
        if let Some((l, _)) = self
            .rule_lets
            .get(name)
            .or_else(|| self.top_lets.get(name))
            .copied()
        {
            if in_agg == Some(true) {
                self.touch_claim();
            }
            *self.used.entry(name.to_string()).or_insert(0) += 1;
            return match l {
                Local::Num(s, t) => TExpr::Num(Num::Local(s), t),
                Local::Bool(s) => TExpr::Bool(Bool::Local(s)),
                Local::Date(s) => TExpr::Date(DateX::Local(s)),
                Local::Text(s) => TExpr::Text(TextX::Local(s)),
                Local::Poison => TExpr::Poison,
            };
        }
        let top = self.ctx.layer.is_none() && !self.ctx.after_layers;
        let too_early = |c: &mut Checker, what: &str| {
            c.error(
                Diagnostic::error(format!(
                    "{what} `{name}` cannot be used in a top-level `let`"
                ))
                .at(span)
                .label("not known yet")
                .help("top-level `let`s are computed before any layer pays; move this into a rule"),
            );
            TExpr::Poison
        };
        if name == "patient_paid" && in_agg == Some(true) {
            self.touch_claim();
            return TExpr::Num(Num::Remaining, Ty::Money);
        }
        if self.ctx.after_layers && (name == "patient_paid" || name == "remaining") {
            return TExpr::Num(Num::Remaining, Ty::Money);
        }
        if name == "remaining" && in_agg.is_none() {
            if top {
                return too_early(self, "the amount");
            }
            if self.ctx.fee {
                return self.not_in_fee(name, span, "what the layers have left to pay");
            }
            return TExpr::Num(Num::Remaining, Ty::Money);
        }
        if name == "institution_borne" {
            match in_agg {
                Some(true) => {
                    self.touch_claim();
                    return TExpr::Num(Num::Borne, Ty::Money);
                }
                Some(false) => return self.claim_value_outside(name, span),
                None if top => return too_early(self, "the amount"),
                None if self.ctx.fee && !self.ctx.paid => {
                    return self.not_in_fee(name, span, "total_cost − the fee")
                }
                None => return TExpr::Num(Num::Borne, Ty::Money),
            }
        }
        if in_agg.is_some() {
            if let Some((col, ty)) = self.ledger_col(name) {
                if in_agg == Some(true) {
                    self.error(
                        Diagnostic::error(format!(
                            "ledger amount `{name}` is not a value of a claim"
                        ))
                        .at(span)
                        .help("use it outside the aggregate"),
                    );
                    return TExpr::Poison;
                }
                use crate::schema::ledger as L;
                if matches!(col, L::RESERVE_OPENING | L::RESERVE_CLOSING)
                    && self
                        .settle
                        .as_ref()
                        .is_some_and(|c| c.period == crate::ir::PeriodKind::Month)
                {
                    self.error(
                        Diagnostic::error(format!(
                            "`{name}` is a balance carried from year to year; a month block cannot read it"
                        ))
                        .at(span)
                        .label("read in a `per month` block")
                        .help("read the reserve in a `per year` settle block (`reserve_used = min(overspend, reserve_opening)`)"),
                    );
                    return TExpr::Poison;
                }
                if self.held_read_refused(col, name, span) {
                    return TExpr::Poison;
                }
                *self.used.entry(name.to_string()).or_insert(0) += 1;
                self.ledger_reads.push((col, span));
                if let Some(c) = self.settle.as_mut() {
                    c.reads.push((col, span));
                }
                if !ty.is_numeric() {
                    return self.ledger_read_val(name, col, ty, span);
                }
                return TExpr::Num(Num::Ledger(col), ty);
            }
            match self.globals.get(name).map(|g| g.0) {
                Some(Global::Layer(_) | Global::Output(..) | Global::Fee)
                    if in_agg == Some(false) =>
                {
                    return self.claim_value_outside(name, span);
                }
                Some(Global::Fee) => {
                    self.touch_claim();
                    return TExpr::Num(Num::Fee, Ty::Money);
                }
                Some(Global::Layer(i)) => {
                    self.touch_claim();
                    return TExpr::Num(Num::Layer(i), Ty::Money);
                }
                Some(Global::Output(i, ty)) => {
                    self.touch_claim();
                    *self.used.entry(name.to_string()).or_insert(0) += 1;
                    return self.output_read(name, i, ty, span);
                }
                Some(Global::Acc(..)) => {
                    self.error(
                        Diagnostic::error(format!("accumulator `{name}` is a running total inside a patient's claims"))
                            .at(span)
                            .help("settle blocks add claims up with `sum(...)`; to keep a per-claim amount, declare an `output` and set it in a rule"),
                    );
                    return TExpr::Poison;
                }
                _ => {}
            }
        } else if self.ledger_col(name).is_some() {
            self.error(
                Diagnostic::error(format!("ledger amount `{name}` is known only in settle blocks"))
                    .at(span)
                    .help("rules settle one claim; ledger amounts belong to `settle ... per institution per year { ... }`"),
            );
            return TExpr::Poison;
        }
        match self.globals.get(name).map(|g| g.0) {
            Some(g) => {
                *self.used.entry(name.to_string()).or_insert(0) += 1;
                match g {
                    Global::Ledger(..) => TExpr::Poison,
                    Global::Enum(_) => {
                        self.error(
                            Diagnostic::error(format!("`{name}` is an enumeration, a type"))
                                .at(span)
                                .label("not a value")
                                .help(format!("declare a value of it, e.g. `output 档: {name}`, or write one of its values in quotes")),
                        );
                        TExpr::Poison
                    }
                    Global::Contribute => {
                        self.error(
                            Diagnostic::error(format!(
                                "`{name}` is a contribute block, not a value"
                            ))
                            .at(span),
                        );
                        TExpr::Poison
                    }
                    Global::Settle => {
                        self.error(
                            Diagnostic::error(format!("`{name}` is a settle block"))
                                .at(span)
                                .help(format!("read a value it computes as `{name}.value`")),
                        );
                        TExpr::Poison
                    }
                    Global::Param(i, ty) => match ty {
                        Ty::Bool => TExpr::Bool(Bool::Param(i)),
                        Ty::Date => TExpr::Date(DateX::Param(i)),
                        Ty::Text => TExpr::Text(TextX::Param(i)),
                        t => TExpr::Num(Num::Param(i), t),
                    },
                    Global::Acc(i, ty) => {
                        if top {
                            return too_early(self, "accumulator");
                        }
                        self.acc_read(i, ty, name, span)
                    }
                    Global::Output(i, ty) => {
                        if top {
                            return too_early(self, "output");
                        }
                        self.output_read(name, i, ty, span)
                    }
                    Global::Fee => {
                        match self.ctx.layer {
                            None if self.ctx.after_layers => TExpr::Num(Num::Fee, Ty::Money),
                            None => too_early(self, "fee"),
                            Some(_) if self.ctx.fee && !self.ctx.paid => {
                                self.error(
                                Diagnostic::error(format!("`{name}` is what this rule pays; it is known only after `pay`"))
                                    .at(span)
                                    .label("not paid yet"),
                            );
                                TExpr::Poison
                            }
                            Some(_) => TExpr::Num(Num::Fee, Ty::Money),
                        }
                    }
                    Global::Layer(_) if self.ctx.fee => {
                        self.error(
                            Diagnostic::error(format!("a fee rule cannot read layer `{name}`"))
                                .at(span)
                                .label("not paid yet")
                                .help("the fee is what the case is paid at, decided before any layer pays; the layers then share it (`remaining` in the first layer is the fee)"),
                        );
                        TExpr::Poison
                    }
                    Global::Layer(i) => {
                        match self.ctx.layer {
                            None if self.ctx.after_layers => TExpr::Num(Num::Layer(i), Ty::Money),
                            None => too_early(self, "layer"),
                            Some(cur) if i < cur || (i == cur && self.ctx.paid) => {
                                TExpr::Num(Num::Layer(i), Ty::Money)
                            }
                            Some(cur) if i == cur => {
                                self.error(
                                Diagnostic::error(format!("`{name}` is what this rule pays; it is known only after `pay`"))
                                    .at(span)
                                    .label("not paid yet"),
                            );
                                TExpr::Poison
                            }
                            Some(_) => {
                                self.error(
                                Diagnostic::error(format!("layer `{name}` pays after this one"))
                                    .at(span)
                                    .label("not paid yet")
                                    .help("a layer can use what the layers before it paid, not the ones after"),
                            );
                                TExpr::Poison
                            }
                        }
                    }
                    Global::Table(_) => {
                        self.error(
                            Diagnostic::error(format!("`{name}` is a table"))
                                .at(span)
                                .help(format!("look up a cell with `{name}[key]`")),
                        );
                        TExpr::Poison
                    }
                    Global::Schedule(_) => {
                        self.error(
                            Diagnostic::error(format!("`{name}` is a schedule"))
                                .at(span)
                                .help(format!("apply it to an amount with `{name}(amount)`")),
                        );
                        TExpr::Poison
                    }
                }
            }
            None => {
                let mut candidates: Vec<String> = self.globals.keys().cloned().collect();
                candidates.extend(self.top_lets.keys().cloned());
                candidates.extend(self.rule_lets.keys().cloned());
                let mut d = Diagnostic::error(format!("unknown name `{name}`"))
                    .at(span)
                    .label("not defined");
                d = match suggest(name, candidates.iter().map(String::as_str)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if name.contains('_') || name.is_ascii() => d.help(format!(
                        "define it with `param {name}: money = ...` or `let {name} = ...`; a claim column is `claim.{name}`"
                    )),
                    None => d.help(format!("define it with `param {name}: money = ...` or `let {name} = ...`")),
                };
                self.error(d);
                TExpr::Poison
            }
        }
    }

    /// An accumulator read in a rule. A text, date or condition without a
    /// `default` has no value for a patient's first claim, so it may be read
    /// only after the same rule has set it.
    fn acc_read(&mut self, i: u16, ty: Ty, name: &str, span: Span) -> TExpr {
        let acc = self.prog.accumulators.get(usize::from(i));
        let has_default = acc.is_some_and(|a| a.default.is_some());
        let scope = match acc.map(|a| a.scope) {
            Some(crate::ir::AccScope::PatientYear) => "per patient per year",
            _ => "per patient",
        };
        if !ty.is_numeric() && !has_default && !self.acc_set_in_rule.contains(&i) {
            let example = match ty {
                Ty::Date => "default 2000-01-01",
                Ty::Bool => "default false",
                _ => "default \"\"",
            };
            self.error(
                Diagnostic::error(format!("accumulator `{name}` may be read before it is ever set"))
                    .at(span)
                    .label("no value on a patient's first claim")
                    .help(format!(
                        "give it a starting value (`accumulator {name}: {ty} {scope} {example}`), or set it earlier in this rule"
                    )),
            );
            return TExpr::Poison;
        }
        match ty {
            Ty::Bool => TExpr::Bool(Bool::Acc(i)),
            Ty::Date => TExpr::Date(DateX::Acc(i)),
            Ty::Text => TExpr::Text(TextX::Acc(i)),
            t => TExpr::Num(Num::Acc(i), t),
        }
    }

    pub(crate) fn ref_slot(&self, r: Ref) -> usize {
        match r {
            Ref::Fixed(i) => i as usize,
            Ref::Dated(g) => self
                .prog
                .versions
                .get(g as usize)
                .and_then(|v| v.versions.first())
                .map_or(usize::MAX, |(_, s)| *s as usize),
        }
    }

    fn touch_claim(&mut self) {
        if let Some(c) = self.settle.as_mut() {
            c.touched_claim = true;
        }
    }

    /// A value the layers have but a fee rule does not: the fee is decided first.
    fn not_in_fee(&mut self, name: &str, span: Span, what: &str) -> TExpr {
        self.error(
            Diagnostic::error(format!("`{name}` ({what}) is not known in a fee rule"))
                .at(span)
                .label("not known yet")
                .help("a fee rule decides what the case is paid at, before any layer pays: compute it from the claim, tables and parameters"),
        );
        TExpr::Poison
    }

    fn claim_value_outside(&mut self, name: &str, span: Span) -> TExpr {
        self.error(
            Diagnostic::error(format!("`{name}` is a value of one claim"))
                .at(span)
                .label("which claim?")
                .help(format!("a settle block sees claims through aggregates: `sum({name})`, `avg({name} when ...)`")),
        );
        TExpr::Poison
    }

    /// Whether a claim or institution field may be read here; reports why not.
    pub(crate) fn field_allowed(&mut self, r: FieldRef, span: Span) -> bool {
        let Some(c) = self.settle.as_mut() else {
            return true;
        };
        let is_claim = matches!(r, FieldRef::Claim(_) | FieldRef::ClaimExtra(_));
        if c.in_agg {
            if is_claim {
                c.touched_claim = true;
            } else {
                c.touched_inst = true;
            }
            return true;
        }
        if is_claim {
            self.error(
                Diagnostic::error("a claim field outside an aggregate")
                    .at(span)
                    .label("which claim?")
                    .help("a settle block sees claims through aggregates: `sum(claim.total_cost)`, `count(when claim.visit_type == \"inpatient\")`"),
            );
            return false;
        }
        if c.unit == UnitKind::Patient {
            self.error(
                Diagnostic::error("a patient block has no one institution")
                    .at(span)
                    .label("which institution?")
                    .help("a patient has claims at several institutions: read `institution.x` inside an aggregate, e.g. `sum(claim.total_cost when institution.level == 3)`"),
            );
            return false;
        }
        if c.unit != UnitKind::Institution {
            self.error(
                Diagnostic::error("this block settles a group of institutions")
                    .at(span)
                    .label("which institution?")
                    .help("add the institutions up with an aggregate: `sum(institutions, institution.enrolled)`"),
            );
            return false;
        }
        true
    }

    /// `rate(schedule, x)`: the rate of the segment `x` falls in.
    fn binary(&mut self, op: BinOp, op_span: Span, lhs: &Expr, rhs: &Expr) -> TExpr {
        let a = self.expr(lhs);
        let b = self.expr(rhs);
        match (a, b) {
            (TExpr::Poison, _) | (_, TExpr::Poison) => TExpr::Poison,
            (TExpr::Date(x), TExpr::Date(y)) if op == BinOp::Sub => {
                TExpr::Num(Num::DateDiff(Box::new((x, y))), Ty::Days)
            }
            (TExpr::Date(d), TExpr::Num(n, t)) if matches!(op, BinOp::Add | BinOp::Sub) => {
                self.date_shift(op, op_span, d, (n, t), rhs.span)
            }
            (TExpr::Num(n, t), TExpr::Date(d)) if op == BinOp::Add => {
                self.date_shift(op, op_span, d, (n, t), lhs.span)
            }
            (TExpr::Num(x, tx), TExpr::Num(y, ty)) => match Ty::arith(op, tx, ty) {
                Ok(t) => TExpr::Num(Num::Bin(op, Box::new((x, y)), op_span), t),
                Err(msg) => {
                    self.error(
                        Diagnostic::error(msg)
                            .at(op_span)
                            .label(format!("{} and {}", tx.article(), ty.article()))
                            .help(Ty::arith_help(op, tx, ty)),
                    );
                    TExpr::Poison
                }
            },
            (a, b) => {
                let is = |t: Ty| a.ty() == Some(t) || b.ty() == Some(t);
                let help = if is(Ty::Date) {
                    "the days between two dates are `claim.discharge_date - claim.admit_date`; a date moves by days or months: `claim.discharge_date + 15天`, `claim.discharge_date - 1个月`"
                } else if is(Ty::Bool) {
                    "to choose an amount by a condition, write `if CONDITION then 200元 else 0`"
                } else {
                    "texts and codes are compared, not computed with, e.g. `claim.visit_type == \"inpatient\"`"
                };
                let (ta, tb) = (
                    a.ty().map_or("?".into(), |t| t.article()),
                    b.ty().map_or("?".into(), |t| t.article()),
                );
                self.error(
                    Diagnostic::error(format!("arithmetic needs numbers, not {ta} and {tb}"))
                        .at(op_span)
                        .label("here")
                        .help(help),
                );
                TExpr::Poison
            }
        }
    }
}

fn lit_expr(l: &Literal) -> TExpr {
    match &l.kind {
        LitKind::Number { value, .. } => {
            TExpr::Num(Num::Const(*value), literal_type(l).unwrap_or(Ty::Number))
        }
        LitKind::Date(d) => TExpr::Date(DateX::Const(*d)),
        LitKind::Text(s) => TExpr::TextLit(s.clone(), l.clone()),
        LitKind::Bool(b) => TExpr::Bool(Bool::Const(*b)),
    }
}

fn field_expr(ty: Ty, r: FieldRef) -> TExpr {
    match (ty, r) {
        (Ty::Enum(k), FieldRef::Claim(f)) => TExpr::Enum(
            match f {
                ClaimField::InsuredType => EnumX::InsuredType,
                _ => EnumX::VisitType,
            },
            k,
        ),
        (Ty::Enum(k), FieldRef::Inst(f)) => TExpr::Enum(
            match f {
                InstField::Level => EnumX::Level,
                _ => EnumX::Grade,
            },
            k,
        ),
        (Ty::Bool, FieldRef::Claim(_)) => TExpr::Bool(Bool::Retired),
        (Ty::Bool, FieldRef::ClaimExtra(i)) => TExpr::Bool(Bool::ClaimExtra(i)),
        (Ty::Bool, FieldRef::InstExtra(i)) => TExpr::Bool(Bool::InstExtra(i)),
        (Ty::Date, FieldRef::Claim(f)) => TExpr::Date(DateX::Claim(f)),
        (Ty::Date, FieldRef::ClaimExtra(i)) => TExpr::Date(DateX::ClaimExtra(i)),
        (Ty::Date, FieldRef::InstExtra(i)) => TExpr::Date(DateX::InstExtra(i)),
        (Ty::Text, FieldRef::Claim(f)) => TExpr::Text(TextX::Claim(f)),
        (Ty::Text, FieldRef::Inst(f)) => TExpr::Text(TextX::Inst(f)),
        (Ty::Text, FieldRef::ClaimExtra(i)) => TExpr::Text(TextX::ClaimExtra(i)),
        (Ty::Text, FieldRef::InstExtra(i)) => TExpr::Text(TextX::InstExtra(i)),
        (t, FieldRef::Claim(f)) => TExpr::Num(Num::Claim(f), t),
        (t, FieldRef::Inst(f)) => TExpr::Num(Num::Inst(f), t),
        (t, FieldRef::ClaimExtra(i)) => TExpr::Num(Num::ClaimExtra(i), t),
        (t, FieldRef::InstExtra(i)) => TExpr::Num(Num::InstExtra(i), t),
    }
}
