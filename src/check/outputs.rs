//! Outputs of every type: their declarations (`default`, a top-level
//! definition `= expr`), reading them, setting them, and text values that
//! may be kept (in a `let` or an output).
//!
//! A numeric output reads 0 (or its default) where no rule sets it. A text,
//! bool or date output is absent there — empty in CSV, `null` in JSON — so
//! reading one is allowed only when its declaration gives a default, which
//! is what an absent one then reads (and is written) as. An output defined
//! at top level is computed for every claim after the layers: it may read
//! the layers, `patient_paid`, accumulators and outputs set by rules (or
//! defined before it), and no rule may set or read it.

use super::expr::TExpr;
use super::types::Ty;
use super::{slot, Checker, Global};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Bool, DateX, Num, Stmt, TextX, ValX};
use crate::source::Span;
use crate::syntax::ast::{self, Item};

impl Checker {
    /// `output NAME: TYPE [default LIT] [= expr]`, declared (its value is
    /// checked after the layers, see [`Checker::output_defs`]).
    pub(super) fn output_decl(&mut self, o: &ast::OutputDecl) {
        let Some((ty, choice)) = self.ty(&o.ty, false) else {
            self.refuse(&o.name);
            return;
        };
        let default = match &o.default {
            None => None,
            Some(lit) => self.value_of(lit, ty, choice, &o.name.name),
        };
        if let (Some(lit), Some(_)) = (&o.default, &o.value) {
            self.error(
                Diagnostic::error(format!(
                    "output `{}` is computed for every claim, so it needs no default",
                    o.name.name
                ))
                .at(lit.span)
                .label("never used")
                .help("remove `default ...`, or remove `= ...` and set the output in rules"),
            );
        }
        let i = slot(self.prog.outputs.len());
        self.define(&o.name, Global::Output(i, ty));
        self.prog.outputs.push(ir::Output {
            name: o.name.name.clone(),
            ty,
            choice,
            default,
            defined: o.value.is_some(),
        });
    }

    /// Reading output `i` of type `ty` in an expression.
    pub(crate) fn output_read(&mut self, name: &str, i: u16, ty: Ty, span: Span) -> TExpr {
        let Some(o) = self.prog.outputs.get(i as usize) else {
            return TExpr::Poison;
        };
        let (defined, has_default) = (o.defined, o.default.is_some());
        if defined && self.ctx.layer.is_some() {
            self.error(
                Diagnostic::error(format!(
                    "output `{name}` is computed after the layers, so a rule cannot read it"
                ))
                .at(span)
                .label("not known yet")
                .help(format!(
                    "compute the amount in the rule with `let`, or read `{name}` in a settle block or in another top-level output"
                )),
            );
            return TExpr::Poison;
        }
        if defined && self.ctx.after_layers && !self.defs_done.contains(&i) {
            self.error(
                Diagnostic::error(format!(
                    "output `{name}` is defined further down, so it is not known yet"
                ))
                .at(span)
                .label("not computed yet")
                .help(
                    "top-level outputs are computed in the order written: move this one after it",
                ),
            );
            return TExpr::Poison;
        }
        if !ty.is_numeric() && !has_default && !defined {
            self.absent_read(
                ("output", "output"),
                name,
                ty,
                span,
                "on claims where no rule sets it",
            );
            return TExpr::Poison;
        }
        match ty {
            Ty::Bool => TExpr::Bool(Bool::Output(i)),
            Ty::Date => TExpr::Date(DateX::Output(i)),
            Ty::Text => TExpr::Text(TextX::Output(i)),
            t => TExpr::Num(Num::Output(i), t),
        }
    }

    /// The error for reading a text, bool or date `what` (an output, a ledger
    /// amount), declared with `keyword`, that may be absent (`where_`: where
    /// nothing sets it) and has no default.
    pub(crate) fn absent_read(
        &mut self,
        (what, keyword): (&str, &str),
        name: &str,
        ty: Ty,
        span: Span,
        where_: &str,
    ) {
        let example = match ty {
            Ty::Bool => "false",
            Ty::Date => "2025-01-01",
            _ => "\"无\"",
        };
        self.error(
            Diagnostic::error(format!(
                "{what} `{name}` is absent {where_}, so it cannot be read"
            ))
            .at(span)
            .label("may be absent")
            .help(format!(
                "give it a default: `{keyword} {name}: {ty} default {example}`"
            )),
        );
    }

    /// A text as a branch of a text `if`: a literal joins the pool; whether it
    /// may be kept is checked where the whole `if` is.
    pub(crate) fn text_part(&mut self, e: TExpr) -> Option<TextX> {
        match e {
            TExpr::TextLit(s, _) | TExpr::Text(TextX::Const(s)) => Some(TextX::Pool(self.pool(s))),
            TExpr::Text(x) => Some(x),
            _ => None,
        }
    }

    /// A text that can be kept in a `let` or an output: literals go to the
    /// program's pool; a text accumulator, which later claims change, is refused.
    pub(crate) fn keep_text(&mut self, e: TExpr, span: Span) -> Option<TextX> {
        match e {
            TExpr::Text(x) if reads_text_acc(&x) => {
                self.error(
                    Diagnostic::error("a text accumulator can be compared, not kept in a `let` or an output")
                        .at(span)
                        .label("reads a text accumulator")
                        .help("compare it where it is needed (`claim.institution_id == 上次医院`); to keep the label, set the output from the text the accumulator was set from"),
                );
                None
            }
            e => self.text_part(e),
        }
    }

    pub(super) fn pool(&mut self, s: String) -> u32 {
        match self.prog.texts.iter().position(|t| *t == s) {
            Some(i) => u32::try_from(i).unwrap_or(u32::MAX),
            None => {
                self.prog.texts.push(s);
                u32::try_from(self.prog.texts.len() - 1).unwrap_or(u32::MAX)
            }
        }
    }

    /// `out = value` (in a rule, or a top-level definition): the statement.
    pub(crate) fn output_set(
        &mut self,
        name: &ast::Ident,
        i: u16,
        ty: Ty,
        value: &ast::Expr,
        e: TExpr,
    ) -> Option<Stmt> {
        let span = name.span.to(value.span);
        if ty.is_numeric() {
            let (n, t) = self.expect_num(e, value.span, "an output")?;
            if t.unify(ty).is_none() {
                self.error(
                    Diagnostic::error(format!(
                        "output `{}` is {ty}, but this is {}",
                        name.name,
                        t.article()
                    ))
                    .at(value.span),
                );
                return None;
            }
            let what = format!("output `{}`", name.name);
            self.require_places(&n, ty, value.span, &what);
            return Some(Stmt::SetOutput(i, n, span));
        }
        let got = e.ty();
        let x = match (ty, e) {
            (_, TExpr::Poison) => return None,
            (Ty::Bool, TExpr::Bool(b)) => ValX::Bool(b),
            (Ty::Date, TExpr::Date(d)) => ValX::Date(d),
            (Ty::Text, e @ (TExpr::Text(_) | TExpr::TextLit(..))) => {
                let what = || format!("output `{}`", name.name);
                if !self.fits_slot(&TextX::Output(i), &e, value.span, what) {
                    return None;
                }
                ValX::Text(self.keep_text(e, value.span)?)
            }
            _ => {
                let t = got.map_or("this".into(), |t| t.article());
                let help = match ty {
                    Ty::Bool => "set it to a condition, e.g. `claim.total_cost > 1万元`",
                    Ty::Date => "set it to a date, e.g. `claim.discharge_date`",
                    _ => "set it to a text: \"...\", a text field or parameter, or `if ... then \"...\" else \"...\"`",
                };
                self.error(
                    Diagnostic::error(format!("output `{}` is {ty}, but this is {t}", name.name))
                        .at(value.span)
                        .label(format!("this is {t}"))
                        .help(help),
                );
                return None;
            }
        };
        Some(Stmt::SetOutputVal(i, x, span))
    }

    /// The outputs defined at top level, in file order, after the layers.
    pub(super) fn output_defs(&mut self, policy: &ast::Policy) {
        for item in &policy.items {
            let Item::Output(o) = item else { continue };
            let Some(value) = &o.value else { continue };
            let Some(Global::Output(i, ty)) = self.globals.get(&o.name.name).map(|g| g.0) else {
                continue;
            };
            self.ctx = super::Ctx {
                layer: None,
                paid: false,
                after_layers: true,
                fee: false,
            };
            let e = self.expr(value);
            self.ctx = super::Ctx::default();
            self.set_outputs.insert(o.name.name.clone());
            if let Some(s) = self.output_set(&o.name, i, ty, value, e) {
                self.prog.output_defs.push(s);
            }
            self.defs_done.insert(i);
        }
    }

    /// A rule setting an output that has a top-level definition.
    pub(crate) fn set_defined(&mut self, name: &ast::Ident) {
        self.error(
            Diagnostic::error(format!(
                "output `{}` is defined at top level, so a rule cannot set it",
                name.name
            ))
            .at(name.span)
            .label("cannot assign")
            .help(format!(
                "remove this statement, or remove `= ...` from `output {}` and set it in the rules",
                name.name
            )),
        );
    }
}

/// Whether a text expression reads a text accumulator, whose value lives in
/// the patient's memory and changes with later claims.
fn reads_text_acc(x: &TextX) -> bool {
    match x {
        TextX::Acc(_) | TextX::Previous(_) => true,
        TextX::If(b) => reads_text_acc(&b.1) || reads_text_acc(&b.2),
        _ => false,
    }
}
