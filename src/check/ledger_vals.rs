//! Declared ledger amounts of type text, bool or date (`ledger 达标: bool`,
//! `ledger 档次: text default "无"`): their declaration, reading them and
//! setting them in settle blocks — the design of outputs of every type
//! (see `outputs.rs`) carried over to the ledger.
//!
//! Where no block sets one it is absent (empty in `ledger.csv`, `null` in
//! JSON), or its default; so reading one is allowed only when it has a
//! default. A year row's value is what a year block sets: months are not
//! summed. A text kept in a ledger row is a literal, a text parameter or
//! another text ledger amount (or an `if` of those): the row outlives the
//! block, so it cannot hold a reference to an institution's own field.

use super::expr::TExpr;
use super::types::Ty;
use super::{slot, Checker, Global};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Bool, DateX, ParamValue, Stmt, TextX, ValX};
use crate::source::Span;
use crate::syntax::ast;

impl Checker {
    /// `ledger NAME: TYPE [default LIT]`.
    pub(super) fn ledger_decl(&mut self, o: &ast::OutputDecl) {
        // A refused type still declares the amount, as a bare number that
        // agrees with any unit: settle blocks then set it without a second error.
        let (ty, choice) = self.ty(&o.ty, false).unwrap_or_else(|| {
            self.refuse(&o.name);
            (Ty::Number, None)
        });
        let default = match &o.default {
            None => None,
            Some(lit) if ty.is_numeric() => {
                self.error(
                    Diagnostic::error(format!(
                        "ledger amount `{}` is a number, which is 0 where no block sets it",
                        o.name.name
                    ))
                    .at(lit.span)
                    .label("not for a number")
                    .help("remove `default ...`: only a text, bool or date ledger amount has a default"),
                );
                None
            }
            Some(lit) => match self.value_of(lit, ty, choice, &o.name.name) {
                Some(v) => {
                    if let ParamValue::Text(s) = &v {
                        // The rows are coded with the pool's index (eval::ledger::typed).
                        self.pool(s.clone());
                    }
                    Some(v)
                }
                None => None,
            },
        };
        let col = slot(crate::schema::ledger::COLUMNS.len() + self.prog.ledger_extras.len());
        self.define(&o.name, Global::Ledger(col, ty));
        self.prog.ledger_extras.push(ir::Output {
            name: o.name.name.clone(),
            ty,
            choice,
            default,
            defined: false,
        });
    }

    /// Whether ledger column `col` has a declared default.
    fn ledger_default(&self, col: u16) -> bool {
        (col as usize)
            .checked_sub(crate::schema::ledger::COLUMNS.len())
            .and_then(|e| self.prog.ledger_extras.get(e))
            .is_some_and(|o| o.default.is_some())
    }

    /// Reading the text, bool or date ledger amount `name` (column `col`).
    pub(crate) fn ledger_read_val(&mut self, name: &str, col: u16, ty: Ty, span: Span) -> TExpr {
        if !self.ledger_default(col) {
            self.absent_read(
                ("ledger amount", "ledger"),
                name,
                ty,
                span,
                "where no block sets it",
            );
            return TExpr::Poison;
        }
        match ty {
            Ty::Bool => TExpr::Bool(Bool::Ledger(col)),
            Ty::Date => TExpr::Date(DateX::Ledger(col)),
            _ => TExpr::Text(TextX::Ledger(col)),
        }
    }

    /// `NAME = value` (or `+=`) for a text, bool or date ledger amount.
    pub(crate) fn ledger_set_val(
        &mut self,
        name: &ast::Ident,
        (col, ty): (u16, Ty),
        value: &ast::Expr,
        e: TExpr,
        add: bool,
    ) -> Option<Stmt> {
        if add {
            self.error(
                Diagnostic::error(format!(
                    "ledger amount `{}` is {}, which cannot be added to",
                    name.name,
                    ty.article()
                ))
                .at(name.span)
                .label("`+=` adds numbers")
                .help(format!("set it: `{} = ...`", name.name)),
            );
            return None;
        }
        let got = e.ty();
        let x = match (ty, e) {
            (_, TExpr::Poison) => return None,
            (Ty::Bool, TExpr::Bool(b)) => ValX::Bool(b),
            (Ty::Date, TExpr::Date(d)) => ValX::Date(d),
            (Ty::Text, e @ (TExpr::Text(_) | TExpr::TextLit(..))) => {
                let what = || format!("ledger amount `{}`", name.name);
                if !self.fits_slot(&TextX::Ledger(col), &e, value.span, what) {
                    return None;
                }
                let t = self.keep_text(e, value.span)?;
                if !ledger_text(&t) {
                    self.error(
                        Diagnostic::error(format!(
                            "ledger amount `{}` keeps a text that outlives the block",
                            name.name
                        ))
                        .at(value.span)
                        .label("a field's text")
                        .help("set it from a literal, a text parameter or another text ledger amount, e.g. `if 次均 > 次均限额 then \"超标\" else \"达标\"`"),
                    );
                    return None;
                }
                ValX::Text(t)
            }
            _ => {
                let t = got.map_or("this".into(), |t| t.article());
                let help = match ty {
                    Ty::Bool => "set it to a condition, e.g. `次均 <= 次均限额`",
                    Ty::Date => "set it to a date, e.g. `清算日期` (a date parameter)",
                    _ => "set it to a text: \"...\", a text parameter, or `if ... then \"...\" else \"...\"`",
                };
                self.error(
                    Diagnostic::error(format!(
                        "ledger amount `{}` is {ty}, but this is {t}",
                        name.name
                    ))
                    .at(value.span)
                    .label(format!("this is {t}"))
                    .help(help),
                );
                return None;
            }
        };
        Some(Stmt::SetLedgerVal(col, x, name.span.to(value.span)))
    }

    /// `prior(x, fallback)` of a text, bool or date ledger amount: the
    /// unit's value of the previous year, or the fallback where the run has
    /// no previous year. Like reading it this year, it needs a default (a
    /// year no block set it in holds the default).
    pub(crate) fn prior_of_val(
        &mut self,
        name: &str,
        (col, ty): (u16, Ty),
        fallback: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let e = self.expr(fallback);
        if !self.ledger_default(col) {
            self.absent_read(
                ("ledger amount", "ledger"),
                name,
                ty,
                span,
                "in a year no block sets it",
            );
            return TExpr::Poison;
        }
        let got = e.ty();
        let x = match (ty, e) {
            (_, TExpr::Poison) => return TExpr::Poison,
            (Ty::Bool, TExpr::Bool(b)) => TExpr::Bool(Bool::Prior(col, Box::new(b))),
            (Ty::Date, TExpr::Date(d)) => TExpr::Date(DateX::Prior(col, Box::new(d))),
            (Ty::Text, e @ (TExpr::Text(_) | TExpr::TextLit(..))) => {
                let what = || format!("the fallback of `prior({name}, …)`");
                if !self.fits_slot(&TextX::Ledger(col), &e, fallback.span, what) {
                    return TExpr::Poison;
                }
                let Some(t) = self.keep_text(e, fallback.span) else {
                    return TExpr::Poison;
                };
                if !ledger_text(&t) {
                    self.error(
                        Diagnostic::error(format!(
                            "the fallback of `prior({name}, …)` must be a text the policy holds"
                        ))
                        .at(fallback.span)
                        .label("a field's text")
                        .help("give a literal or a text parameter, e.g. `prior(档次, \"无\")`"),
                    );
                    return TExpr::Poison;
                }
                TExpr::Text(TextX::Prior(col, Box::new(t)))
            }
            _ => {
                let t = got.map_or("this".into(), |t| t.article());
                self.error(
                    Diagnostic::error(format!(
                        "the fallback is {t}, but ledger amount `{name}` is {}",
                        ty.article()
                    ))
                    .at(fallback.span)
                    .label(format!("this is {t}"))
                    .help("the fallback stands for last year's value in the run's first year, so it is of the amount's type"),
                );
                return TExpr::Poison;
            }
        };
        x
    }
}

/// Whether a kept text can live in a ledger row: only texts the program
/// itself holds (its pool, its parameters, other text ledger amounts).
fn ledger_text(x: &TextX) -> bool {
    match x {
        TextX::Pool(_) | TextX::Param(_) | TextX::Ledger(_) => true,
        TextX::Prior(_, fallback) => ledger_text(fallback),
        TextX::If(b) => ledger_text(&b.1) && ledger_text(&b.2),
        _ => false,
    }
}
