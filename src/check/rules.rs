//! Rules: top-level `let`s, layers and their rules' statements, and the
//! warnings about names never used.

use super::expr::TExpr;
use super::types::Ty;
use super::{expr, Checker, Ctx, Global, Local, RESERVED};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, AccExpr, Period, Stmt, TextX};
use crate::source::Span;
use crate::syntax::ast::{self, Item};
use std::collections::HashMap;

impl Checker {
    pub(super) fn new_local(&mut self, ty: Ty) -> Option<Local> {
        let l = match ty {
            Ty::Bool => {
                self.n_bool += 1;
                Local::Bool(self.n_bool - 1)
            }
            Ty::Date => {
                self.n_date += 1;
                Local::Date(self.n_date - 1)
            }
            Ty::Text => {
                self.n_text += 1;
                Local::Text(self.n_text - 1)
            }
            t if t.is_numeric() => {
                self.n_num += 1;
                Local::Num(self.n_num - 1, t)
            }
            _ => return None,
        };
        self.prog.n_num_locals = self.prog.n_num_locals.max(self.n_num as usize);
        self.prog.n_bool_locals = self.prog.n_bool_locals.max(self.n_bool as usize);
        self.prog.n_date_locals = self.prog.n_date_locals.max(self.n_date as usize);
        self.prog.n_text_locals = self.prog.n_text_locals.max(self.n_text as usize);
        Some(l)
    }

    /// Compiles `let name = value` into a statement, registering the name.
    pub(super) fn let_stmt(&mut self, l: &ast::LetDecl, top: bool) -> Option<Stmt> {
        let span = l.name.span.to(l.value.span);
        let value = self.expr(&l.value);
        let name = l.name.name.as_str();
        let first = (self.rule_lets.get(name).map(|x| x.1))
            .or_else(|| self.top_lets.get(name).map(|x| x.1))
            .or_else(|| self.globals.get(name).map(|x| x.1))
            .or_else(|| self.broken.get(name).copied());
        if let Some(first) = first {
            self.error(
                Diagnostic::error(format!("`{name}` is already defined"))
                    .at(l.name.span)
                    .label("defined again here")
                    .note(first, "first defined")
                    .help("a `let` needs a name of its own"),
            );
            return None;
        }
        let reserved = RESERVED.contains(&name);
        if reserved {
            self.error(
                Diagnostic::error(format!("`{name}` is a reserved name"))
                    .at(l.name.span)
                    .label("reserved")
                    .help("choose another name"),
            );
        }
        let local = value.ty().and_then(|ty| {
            let local = self.new_local(ty);
            if local.is_none() {
                self.error(
                    Diagnostic::error(format!("a `let` cannot hold {}", ty.article()))
                        .at(l.value.span)
                        .help("compare it in a condition instead, e.g. `claim.visit_type == \"inpatient\"`"),
                );
            }
            local
        });
        let stmt = match (local, value) {
            _ if reserved => None,
            (Some(Local::Num(s, _)), expr::TExpr::Num(n, _)) => {
                self.set_places(false, s, &n);
                Some(Stmt::SetNum(s, n, span))
            }
            (Some(Local::Bool(s)), expr::TExpr::Bool(b)) => Some(Stmt::SetBool(s, b, span)),
            (Some(Local::Date(s)), expr::TExpr::Date(d)) => Some(Stmt::SetDate(s, d, span)),
            (Some(Local::Text(s)), v @ (expr::TExpr::Text(_) | expr::TExpr::TextLit(..))) => {
                let members = self.members(&v);
                self.local_members.insert(s, members);
                self.keep_text(v, span).map(|t| Stmt::SetText(s, t, span))
            }
            _ => None,
        };
        // A refused `let` (a reserved name, a value with an error) still
        // defines its name, so its uses are not reported as unknown.
        let local = local.filter(|_| stmt.is_some()).unwrap_or(Local::Poison);
        let map = if top {
            &mut self.top_lets
        } else {
            &mut self.rule_lets
        };
        map.insert(l.name.name.clone(), (local, l.name.span));
        self.used.entry(l.name.name.clone()).or_insert(0);
        stmt
    }

    pub(super) fn top_level_lets(&mut self, policy: &ast::Policy) {
        for item in &policy.items {
            if let Item::Let(l) = item {
                if let Some(s) = self.let_stmt(l, true) {
                    self.prog.lets.push(s);
                }
            }
        }
        self.lets_base = (self.n_num, self.n_bool, self.n_date);
    }

    pub(super) fn layers(&mut self, policy: &ast::Policy) {
        let base = (self.n_num, self.n_bool, self.n_date);
        let mut layer_index = 0u16;
        let n_layers = super::slot(self.prog.layers.len());
        let mut fee_done = false;
        for item in &policy.items {
            // The fee block's rules are numbered after the layers'; a second
            // fee block is an error already, its rules are not checked.
            let (l, fee, index) = match item {
                Item::Layer(l) => (l, false, layer_index),
                Item::Fee(l) if !fee_done => {
                    fee_done = true;
                    (l, true, n_layers)
                }
                _ => continue,
            };
            let payer = if fee {
                format!("fee `{}`", l.name.name)
            } else {
                format!("layer `{}`", l.name.name)
            };
            let mut rules = Vec::new();
            let mut names: HashMap<&str, Vec<Option<Period>>> = HashMap::new();
            // Rules without `when` so far, and when they are in force.
            let mut always: Vec<(&ast::Ident, Option<Period>)> = Vec::new();
            for r in &l.rules {
                let period = self.period(r.in_force.as_ref());
                let seen = names.entry(&r.name.name).or_default();
                let clash = Period::clashes(seen, period);
                let shadow = always.iter().find(|(_, q)| covers(*q, period));
                if let (Some((first, q)), false) = (shadow, clash) {
                    let when = if q.is_some() {
                        "no `when`, in force on every day this one is"
                    } else {
                        "no `when`"
                    };
                    self.diags.push(
                        Diagnostic::warning(format!("rule `{}` can never apply", r.name.name))
                            .at(r.name.span)
                            .label("shadowed")
                            .note(first.span, format!("shadowed by rule `{}` ({when})", first.name))
                            .help(format!(
                                "the first rule that applies pays: move it before `{0}`, or give `{0}` a `when`",
                                first.name
                            )),
                    );
                }
                if r.when.is_none() {
                    always.push((&r.name, period));
                }
                if clash {
                    let help = if period.is_some() {
                        "versions of a rule must not overlap: end the earlier one with `until` the day before"
                    } else {
                        "give each rule its own name; explanations cite rules by name (versions of one rule each need `from DATE`)"
                    };
                    self.error(
                        Diagnostic::error(format!(
                            "{payer} has two rules named `{}` in force on the same day",
                            r.name.name
                        ))
                        .at(r.name.span)
                        .help(help),
                    );
                }
                seen.push(period);
                if let Some(p) = period {
                    self.dated_rules.push((index as usize, rules.len(), p));
                }
                (self.n_num, self.n_bool, self.n_date) = base;
                self.rule_lets.clear();
                self.acc_set_in_rule.clear();
                self.ctx = Ctx {
                    layer: Some(index),
                    paid: false,
                    after_layers: false,
                    fee,
                };
                let when = r.when.as_ref().and_then(|w| {
                    let e = self.expr(w);
                    self.expect_bool(e, w.span, "a rule's `when`")
                });
                let mut body = Vec::new();
                let mut pay_span: Option<Span> = None;
                for st in &r.body {
                    if let Some(s) = self.stmt(st, &payer, &mut pay_span) {
                        body.push(s);
                    }
                }
                if pay_span.is_none() {
                    self.error(
                        Diagnostic::error(format!(
                            "rule `{}` never says what it pays",
                            r.name.name
                        ))
                        .at(r.name.span)
                        .label("no `pay`")
                        .help(if fee {
                            "add `pay FEE`: the amount the case is paid at; where no fee rule's `when` holds, the claim is paid as billed"
                        } else {
                            "add `pay AMOUNT` (write `pay 0` if the rule pays nothing)"
                        }),
                    );
                }
                rules.push(ir::Rule {
                    name: r.name.name.clone(),
                    period,
                    in_force: None,
                    when,
                    body,
                    cite: r.cite.as_ref().map(|c| c.value.clone()),
                    span: r.name.span,
                });
            }
            if fee {
                if let Some(f) = self.prog.fee.as_mut() {
                    f.rules = rules;
                }
                continue;
            }
            if let Some(layer) = self.prog.layers.get_mut(layer_index as usize) {
                layer.rules = rules;
            }
            layer_index += 1;
        }
        self.ctx = Ctx::default();
    }

    /// A statement of a rule of `payer` (``layer `fund_paid` `` or ``fee `病种定额` ``).
    fn stmt(&mut self, st: &ast::Stmt, payer: &str, pay_span: &mut Option<Span>) -> Option<Stmt> {
        match st {
            ast::Stmt::Let(l) => self.let_stmt(l, false),
            ast::Stmt::Pay { value, span } => {
                if let Some(first) = *pay_span {
                    self.error(
                        Diagnostic::error("this rule already says what it pays")
                            .at(*span)
                            .label("second `pay`")
                            .note(first, "the first `pay` is")
                            .help("a rule pays once; combine the amounts in one `pay`"),
                    );
                    return None;
                }
                *pay_span = Some(*span);
                let e = self.expr(value);
                let n = self.expect_money(e, value.span, &format!("what {payer} pays"));
                self.ctx.paid = true;
                let what = format!("what {payer} pays");
                if let Some(n) = &n {
                    self.require_places(n, Ty::Money, value.span, &what);
                    if !self.ctx.fee && super::fee::exceeds_fee(n) {
                        let fee = self.prog.fee.as_ref().map_or("", |f| f.name.as_str());
                        self.error(
                            Diagnostic::error(format!("{payer} pays more than the fee `{fee}`"))
                                .at(value.span)
                                .label("more than the fee")
                                .help("the layers share the fee: what the first layer can pay is the fee (`remaining`), the later ones what is left of it; the institution bears the cost − the fee"),
                        );
                    }
                }
                n.map(|n| Stmt::Pay(n, *span))
            }
            ast::Stmt::AccAdd { acc, value } => {
                let target = self.globals.get(&acc.name).map(|g| g.0);
                let e = self.expr(value);
                if self.is_broken(&acc.name) {
                    return None;
                }
                match target {
                    Some(Global::Acc(_, ty)) if !ty.is_numeric() => {
                        self.error(
                            Diagnostic::error(format!(
                                "`+=` adds to a number; accumulator `{}` is {}",
                                acc.name,
                                ty.article()
                            ))
                            .at(acc.span)
                            .label("cannot `+=`")
                            .help(format!("set it with `{} = ...`", acc.name)),
                        );
                        None
                    }
                    Some(Global::Acc(i, ty)) => {
                        *self.used.entry(acc.name.clone()).or_insert(0) += 1;
                        let (n, t) = self.expect_num(e, value.span, "an accumulator's addition")?;
                        if t.unify(ty).is_none() {
                            self.error(
                                Diagnostic::error(format!(
                                    "cannot add {} to accumulator `{}` of {ty}",
                                    t.article(),
                                    acc.name
                                ))
                                .at(value.span)
                                .label(format!("this is {}", t.article())),
                            );
                            return None;
                        }
                        let what = format!("what is added to accumulator `{}`", acc.name);
                        self.require_places(&n, ty, value.span, &what);
                        Some(Stmt::AccAdd(i, n, acc.span.to(value.span)))
                    }
                    _ => {
                        let accs = self
                            .prog
                            .accumulators
                            .iter()
                            .map(|a| a.name.clone())
                            .collect::<Vec<_>>();
                        let mut d =
                            Diagnostic::error(format!("`{}` is not an accumulator", acc.name))
                                .at(acc.span)
                                .label("cannot `+=`");
                        d = match suggest(&acc.name, accs.iter().map(String::as_str)) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!(
                                "declare it: `accumulator {}: money per patient per year`",
                                acc.name
                            )),
                        };
                        self.error(d);
                        None
                    }
                }
            }
            ast::Stmt::OutputSet { output, value } => {
                let target = self.globals.get(&output.name).map(|g| g.0);
                let e = self.expr(value);
                if self.is_broken(&output.name) {
                    return None;
                }
                match target {
                    Some(Global::Output(i, ty)) => {
                        if self.prog.outputs.get(i as usize).is_some_and(|o| o.defined) {
                            self.set_defined(output);
                            return None;
                        }
                        self.set_outputs.insert(output.name.clone());
                        self.output_set(output, i, ty, value, e)
                    }
                    Some(Global::Acc(i, ty)) => {
                        *self.used.entry(output.name.clone()).or_insert(0) += 1;
                        let span = output.span.to(value.span);
                        let what = || format!("accumulator `{}`", output.name);
                        if !self.fits_slot(&TextX::Acc(i), &e, value.span, what) {
                            return None;
                        }
                        let v = self.acc_value(ty, &output.name, e, value.span)?;
                        if !self.acc_set_in_rule.contains(&i) {
                            self.acc_set_in_rule.push(i);
                        }
                        Some(Stmt::AccSet(i, v, span))
                    }
                    _ => {
                        self.error(
                            Diagnostic::error(format!("`{}` is not a declared output", output.name))
                                .at(output.span)
                                .label("cannot assign")
                                .help(format!(
                                    "for a local amount write `let {0} = ...`; to add a result column declare `output {0}: money`",
                                    output.name
                                )),
                        );
                        None
                    }
                }
            }
        }
    }

    /// The value of `acc = expr`, checked against the accumulator's type.
    fn acc_value(&mut self, ty: Ty, name: &str, e: TExpr, span: Span) -> Option<AccExpr> {
        let mismatch = |c: &mut Checker, got: Option<Ty>| {
            let got = got.map_or("this".into(), |t| t.article());
            c.error(
                Diagnostic::error(format!("accumulator `{name}` is {ty}, but this is {got}"))
                    .at(span)
                    .label(format!("this is {got}")),
            );
            None
        };
        match (ty, e) {
            (_, TExpr::Poison) => None,
            (Ty::Bool, TExpr::Bool(b)) => Some(AccExpr::Bool(b)),
            (Ty::Date, TExpr::Date(d)) => Some(AccExpr::Date(d)),
            (Ty::Text, TExpr::Text(x)) => Some(AccExpr::Text(x)),
            (Ty::Text, TExpr::TextLit(s, _)) => Some(AccExpr::Text(TextX::Const(s))),
            (t, TExpr::Num(n, nt)) if t.is_numeric() => {
                if nt.unify(t).is_none() {
                    return mismatch(self, Some(nt));
                }
                self.require_places(&n, t, span, &format!("what accumulator `{name}` is set to"));
                Some(AccExpr::Num(n))
            }
            (_, other) => {
                let got = other.ty();
                mismatch(self, got)
            }
        }
    }

    pub(super) fn unused(&mut self) {
        let mut warn = Vec::new();
        for (name, (g, span)) in &self.globals {
            // An output is a result column: what matters is that a rule sets
            // it, not that anything reads it.
            if let Global::Output(..) = g {
                if !self.set_outputs.contains(name) {
                    warn.push(
                        Diagnostic::warning(format!("output `{name}` is never set"))
                            .at(*span)
                            .label("0 on every claim")
                            .help(format!(
                                "set it in a rule with `{name} = ...`, or remove it"
                            )),
                    );
                }
                continue;
            }
            if self.used.get(name).copied().unwrap_or(0) > 0 {
                continue;
            }
            let what = match g {
                Global::Param(..) => "parameter",
                Global::Table(_) => "table",
                Global::Schedule(_) => "schedule",
                Global::Acc(..) => "accumulator",
                Global::Enum(_) => "enumeration",
                Global::Output(..)
                | Global::Layer(_)
                | Global::Fee
                | Global::Ledger(..)
                | Global::Settle
                | Global::Contribute => continue,
            };
            warn.push(
                Diagnostic::warning(format!("{what} `{name}` is never used"))
                    .at(*span)
                    .label("unused")
                    .help("remove it, or use it in a rule"),
            );
        }
        for (name, (_, span)) in &self.top_lets {
            if self.used.get(name).copied().unwrap_or(0) == 0 {
                warn.push(
                    Diagnostic::warning(format!("`let {name}` is never used"))
                        .at(*span)
                        .label("unused"),
                );
            }
        }
        self.diags.extend(warn);
    }
}

/// Whether a rule in force `outer` (`None`: always) is in force on every day
/// a rule in force `inner` is.
fn covers(outer: Option<Period>, inner: Option<Period>) -> bool {
    match (outer, inner) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(o), Some(i)) => {
            o.from <= i.from
                && match (o.until, i.until) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(ou), Some(iu)) => iu <= ou,
                }
        }
    }
}

#[cfg(test)]
mod tests {
    fn warnings(src: &str) -> Vec<String> {
        let file = crate::source::SourceFile::new("t.policy", src);
        match crate::compile(&file) {
            Ok((_, w)) => w.into_iter().map(|d| d.message).collect(),
            Err(e) => e
                .into_iter()
                .map(|d| format!("error: {}", d.message))
                .collect(),
        }
    }

    #[test]
    fn a_rule_after_one_without_when_never_applies() {
        let w = warnings("layer fund_paid { rule 其他 { pay 0 } rule 住院 { pay 1元 } }");
        assert_eq!(w, ["rule `住院` can never apply"]);
    }

    #[test]
    fn a_rule_in_force_before_one_without_when_applies() {
        let w = warnings(
            "layer fund_paid {
               rule 新规 from 2003-01-01 { pay 0 }
               rule 旧规 from 2002-01-01 until 2002-12-31 { pay 1元 }
             }",
        );
        assert_eq!(w, Vec::<String>::new());
    }
}
