//! `previous(claim.x, fallback)`: a field of the patient's previous claim.
//!
//! The previous claim is the preceding claim of the same patient in
//! settlement order (patient, then discharge_date, then claim_id), over the
//! whole run and, with `--state-in`, the patient's last claim of the run
//! before. The fallback, of the field's type, is the value on the patient's
//! first claim. Each field read gets a slot of [`crate::ir::Program::previous`],
//! which is what a state file carries of each patient's last claim.

use super::expr::TExpr;
use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::ir::{Bool, DateX, Num, Prev, PrevField, TextX};
use crate::source::Span;
use crate::syntax::ast::{Expr, ExprKind};

const HELP: &str = "write `previous(claim.discharge_date, 1900-01-01)`: the field on the patient's previous claim, or the fallback on the patient's first claim";

impl Checker {
    pub(crate) fn previous(&mut self, args: &[Expr], span: Span) -> TExpr {
        if self.settle.as_ref().is_some_and(|c| !c.in_agg) {
            self.error(
                Diagnostic::error("`previous` reads a patient's previous claim; a settle block has no claim outside its aggregates")
                    .at(span)
                    .label("which claim?")
                    .help("use `previous` in a rule, a top-level `let` or a condition, and keep what the settle block needs in an output or an aggregate"),
            );
            return TExpr::Poison;
        }
        let [field, fallback] = args else {
            self.error(
                Diagnostic::error("`previous` takes a claim field and a fallback")
                    .at(span)
                    .help(HELP),
            );
            return TExpr::Poison;
        };
        let name = match &field.kind {
            ExprKind::Field { object, field } if object.name == "claim" => field.name.clone(),
            _ => {
                self.error(
                    Diagnostic::error("the first argument of `previous` must be a claim field")
                        .at(field.span)
                        .label("not `claim.x`")
                        .help(HELP),
                );
                return TExpr::Poison;
            }
        };
        let f = self.expr(field);
        let b = self.expr(fallback);
        let (Some(ft), Some(bt)) = (f.ty(), b.ty()) else {
            return TExpr::Poison;
        };
        let wrong = |c: &mut Checker| {
            c.error(
                Diagnostic::error(format!(
                    "the fallback of `previous` must be {} like `claim.{name}`, not {}",
                    ft.article(),
                    bt.article()
                ))
                .at(fallback.span)
                .label(format!("this is {}", bt.article()))
                .help("the fallback is the value on the patient's first claim: give one of the field's type"),
            );
            TExpr::Poison
        };
        let Some(ty) = ft.unify(bt) else {
            return wrong(self);
        };
        let slot = self.previous_slot(&name, ft);
        fn prev<X>(slot: u16, field: X, fallback: X, span: Span) -> Box<Prev<X>> {
            Box::new(Prev {
                slot,
                field,
                fallback,
                span,
            })
        }
        match (f, b) {
            (TExpr::Num(x, _), TExpr::Num(y, _)) => {
                TExpr::Num(Num::Previous(prev(slot, x, y, span)), ty)
            }
            (TExpr::Date(x), TExpr::Date(y)) => {
                TExpr::Date(DateX::Previous(prev(slot, x, y, span)))
            }
            (TExpr::Bool(x), TExpr::Bool(y)) => TExpr::Bool(Bool::Previous(prev(slot, x, y, span))),
            (TExpr::Text(x), y @ (TExpr::Text(_) | TExpr::TextLit(..))) => {
                // A field of an enumeration falls back to one of its values.
                let what = || format!("the fallback of `previous(claim.{name}, …)`");
                if !self.fits_slot(&x, &y, fallback.span, what) {
                    return TExpr::Poison;
                }
                let y = match y {
                    TExpr::TextLit(s, _) => TextX::Const(s),
                    TExpr::Text(t) => t,
                    _ => return TExpr::Poison,
                };
                TExpr::Text(TextX::Previous(prev(slot, x, y, span)))
            }
            (TExpr::Enum(..), _) => {
                self.error(
                    Diagnostic::error(format!("`previous` of an enumerated field (`claim.{name}`) is not supported"))
                        .at(field.span)
                        .help("keep what the next claim needs in a `per patient` accumulator set by the rule that matches it, e.g. `上次住院出院 = claim.discharge_date` in the inpatient rule"),
                );
                TExpr::Poison
            }
            _ => wrong(self),
        }
    }

    /// The slot of claim field `name` read by `previous`.
    fn previous_slot(&mut self, name: &str, ty: super::types::Ty) -> u16 {
        let p = &mut self.prog.previous;
        let i = p.iter().position(|f| f.name == name).unwrap_or_else(|| {
            p.push(PrevField {
                name: name.to_string(),
                ty,
            });
            p.len() - 1
        });
        u16::try_from(i).unwrap_or(u16::MAX)
    }
}
