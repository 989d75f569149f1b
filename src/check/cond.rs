//! Conditions: comparisons of numbers, dates, codes and texts, and `in` lists.

use super::expr::TExpr;
use super::literal::enum_error;
use super::types::Ty;
use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::ir::{Bool, EnumX, Num};
use crate::schema::EnumKind;
use crate::source::Span;
use crate::syntax::ast::{CmpOp, Expr, LitKind, Literal};

impl Checker {
    pub(super) fn compare(&mut self, op: CmpOp, op_span: Span, lhs: &Expr, rhs: &Expr) -> TExpr {
        let a = self.expr(lhs);
        let b = self.expr(rhs);
        let eq_only = matches!(op, CmpOp::Eq | CmpOp::Ne);
        let (a, b, op) = match (&a, &b) {
            // Put the literal on the right.
            (TExpr::TextLit(..), _) | (TExpr::Num(Num::Const(_), Ty::Number), TExpr::Enum(..)) => {
                (b, a, flip(op))
            }
            _ => (a, b, op),
        };
        match (a, b) {
            (TExpr::Poison, _) | (_, TExpr::Poison) => TExpr::Poison,
            (TExpr::Num(x, tx), TExpr::Num(y, ty)) => {
                if tx.unify(ty).is_none() {
                    self.error(
                        Diagnostic::error(format!(
                            "cannot compare {} with {}",
                            tx.article(),
                            ty.article()
                        ))
                        .at(op_span)
                        .label("different units"),
                    );
                    return TExpr::Poison;
                }
                TExpr::Bool(Bool::CmpNum(op, Box::new((x, y))))
            }
            (TExpr::Date(x), TExpr::Date(y)) => TExpr::Bool(Bool::CmpDate(op, Box::new((x, y)))),
            (TExpr::Enum(x, k), TExpr::TextLit(s, lit)) => {
                self.enum_cmp(op, op_span, x, k, &s, &lit)
            }
            (TExpr::Enum(x, k), TExpr::Num(Num::Const(v), Ty::Number)) => {
                let lit = Literal {
                    kind: LitKind::Text(v.normalize().to_string()),
                    span: rhs.span,
                };
                self.enum_cmp(op, op_span, x, k, &v.normalize().to_string(), &lit)
            }
            (TExpr::Text(x), TExpr::TextLit(s, lit)) if eq_only => {
                if !self.compared_literal(&x, &s, lit.span) {
                    return TExpr::Poison;
                }
                let b = Bool::TextEq(x, s);
                TExpr::Bool(if op == CmpOp::Eq {
                    b
                } else {
                    Bool::Not(Box::new(b))
                })
            }
            // Two texts neither of which is a literal: `档 == claim.ward`.
            (TExpr::Text(x), TExpr::Text(y)) if eq_only => {
                if !self.compared_texts(&x, &y, op_span) {
                    return TExpr::Poison;
                }
                TExpr::Bool(Bool::TextCmp(op, Box::new((x, y))))
            }
            (TExpr::Bool(x), TExpr::Bool(y)) if eq_only => {
                let b = Bool::BoolEq(Box::new((x, y)));
                TExpr::Bool(if op == CmpOp::Eq {
                    b
                } else {
                    Bool::Not(Box::new(b))
                })
            }
            (a, b) => {
                let (ta, tb) = (
                    a.ty().map_or("?".into(), |t| t.article()),
                    b.ty().map_or("?".into(), |t| t.article()),
                );
                let d = if ta == "text" && tb == "text" {
                    Diagnostic::error("texts have no order")
                        .at(op_span)
                        .label("here")
                        .help("compare texts with `==`, `!=` or `in [...]`")
                } else {
                    Diagnostic::error(format!("cannot compare {ta} with {tb}"))
                        .at(op_span)
                        .label("here")
                        .help("compare a field with a value of its own kind, e.g. `claim.insured_type == \"employee\"`")
                };
                self.error(d);
                TExpr::Poison
            }
        }
    }

    pub(super) fn enum_cmp(
        &mut self,
        op: CmpOp,
        op_span: Span,
        x: EnumX,
        k: EnumKind,
        s: &str,
        lit: &Literal,
    ) -> TExpr {
        let Some(code) = k.code_of(s) else {
            self.error(enum_error(lit, s, k));
            return TExpr::Poison;
        };
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && k != EnumKind::Level {
            self.error(
                Diagnostic::error(format!("{} values have no order", Ty::Enum(k)))
                    .at(op_span)
                    .help("use `==`, `!=` or `in [...]`"),
            );
            return TExpr::Poison;
        }
        TExpr::Bool(Bool::CmpEnum(op, x, code))
    }

    pub(super) fn in_list(&mut self, value: &Expr, list: &[Expr]) -> TExpr {
        let v = self.expr(value);
        let items: Vec<TExpr> = list.iter().map(|e| self.expr(e)).collect();
        match v {
            TExpr::Poison => TExpr::Poison,
            TExpr::Enum(x, k) => {
                let mut mask = 0u32;
                for (it, e) in items.into_iter().zip(list) {
                    let text = match it {
                        TExpr::TextLit(s, _) => s,
                        TExpr::Num(Num::Const(v), Ty::Number) => v.normalize().to_string(),
                        TExpr::Poison => return TExpr::Poison,
                        _ => {
                            self.error(
                                Diagnostic::error("the list must hold quoted values").at(e.span),
                            );
                            return TExpr::Poison;
                        }
                    };
                    match k.code_of(&text) {
                        Some(c) => mask |= 1 << c,
                        None => {
                            let lit = Literal {
                                kind: LitKind::Text(text.clone()),
                                span: e.span,
                            };
                            self.error(enum_error(&lit, &text, k));
                            return TExpr::Poison;
                        }
                    }
                }
                TExpr::Bool(Bool::EnumIn(x, mask))
            }
            TExpr::Text(x) => {
                let mut out = Vec::new();
                for (it, e) in items.into_iter().zip(list) {
                    match it {
                        TExpr::TextLit(s, _) => {
                            if !self.compared_literal(&x, &s, e.span) {
                                return TExpr::Poison;
                            }
                            out.push(s)
                        }
                        _ => {
                            self.error(
                                Diagnostic::error("the list must hold quoted texts").at(e.span),
                            );
                            return TExpr::Poison;
                        }
                    }
                }
                TExpr::Bool(Bool::TextIn(x, out))
            }
            TExpr::Num(n, t) => {
                let mut out = Vec::new();
                for (it, e) in items.into_iter().zip(list) {
                    match it {
                        TExpr::Num(m, u) if u.unify(t).is_some() => {
                            out.push(Bool::CmpNum(CmpOp::Eq, Box::new((n.clone(), m))));
                        }
                        TExpr::Poison => return TExpr::Poison,
                        _ => {
                            self.error(
                                Diagnostic::error(format!("the list must hold {}", t.article()))
                                    .at(e.span),
                            );
                            return TExpr::Poison;
                        }
                    }
                }
                TExpr::Bool(Bool::Or(out))
            }
            other => {
                let t = other.ty().map_or("?".into(), |t| t.article());
                self.error(Diagnostic::error(format!("`in` cannot test {t}")).at(value.span));
                TExpr::Poison
            }
        }
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}
