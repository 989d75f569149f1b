//! Expressions in the canonical layout: one line with parentheses only
//! where precedence needs them, or, when too long, broken over several
//! lines by the shape of the tree.

use super::{Printer, INDENT, WIDTH};
use crate::syntax::ast::*;
use unicode_width::UnicodeWidthStr;

impl Printer<'_> {
    /// `when a\n    and b\n    and c`: a long condition, one operand a line.
    pub(super) fn broken(&self, header: &str, op: &str, xs: &[Expr], prec: u8) -> String {
        let pad = INDENT.repeat(self.depth + 2);
        let mut s = format!("{header} when");
        for (i, x) in xs.iter().enumerate() {
            if i == 0 {
                s.push_str(&format!(" {}", self.expr(x, prec)));
            } else {
                s.push_str(&format!("\n{pad}{op} {}", self.expr(x, prec)));
            }
        }
        s
    }

    /// `head` followed by an expression; over several lines when one would be too long.
    pub(super) fn with_expr(&self, head: &str, e: &Expr) -> String {
        let one = format!("{head}{}", self.expr(e, 0));
        if self.depth * INDENT.len() + one.width() <= WIDTH {
            return one;
        }
        format!("{head}{}", self.multiline(e, self.depth))
    }

    /// A long expression over several lines: an `if` chain one branch a line, a call of one
    /// long argument with the argument on lines of its own, a sum or product broken before
    /// its last operator. Decided by the tree alone, so formatting twice changes nothing.
    pub(super) fn multiline(&self, e: &Expr, depth: usize) -> String {
        let pad = INDENT.repeat(depth + 1);
        match &e.kind {
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let mut s = format!("if {} then {}", self.expr(cond, 0), self.expr(then, 0));
                if depth * INDENT.len() + s.width() > WIDTH {
                    s = format!(
                        "if {}\n{pad}then {}",
                        self.expr(cond, 0),
                        self.expr(then, 0)
                    );
                }
                let mut rest = otherwise;
                loop {
                    match &rest.kind {
                        ExprKind::If {
                            cond,
                            then,
                            otherwise,
                        } => {
                            s.push_str(&format!(
                                "\n{pad}else if {} then {}",
                                self.expr(cond, 0),
                                self.expr(then, 0)
                            ));
                            rest = otherwise;
                        }
                        _ => {
                            s.push_str(&format!("\n{pad}else {}", self.expr(rest, 0)));
                            return s;
                        }
                    }
                }
            }
            ExprKind::Call {
                func,
                args,
                filter: None,
            } if args.len() == 1 => format!(
                "{}(\n{pad}{}\n{})",
                func.name,
                self.multiline(&args[0], depth + 1),
                INDENT.repeat(depth)
            ),
            ExprKind::Round { value, suffix, .. } => match value.kind {
                ExprKind::If { .. } => {
                    format!("({}) {}", self.multiline(value, depth), self.text(*suffix))
                }
                ExprKind::Binary { .. } | ExprKind::Call { .. } => {
                    format!("{} {}", self.multiline(value, depth), self.text(*suffix))
                }
                _ => self.expr(e, 0),
            },
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let p = op.precedence();
                let (l, r) = (self.expr(lhs, p), self.expr(rhs, p + 1));
                format!("{l}\n{pad}{} {r}", op.symbol())
            }
            _ => self.expr(e, 0),
        }
    }

    /// An expression at a context of precedence `ctx` (0 loosest … 8 a primary):
    /// parenthesised when it binds more loosely than the context needs.
    pub(super) fn expr(&self, e: &Expr, ctx: u8) -> String {
        let (prec, s) = match &e.kind {
            ExprKind::Lit(l) => (8, self.text(l.span)),
            ExprKind::Name(i) => (8, i.name.clone()),
            ExprKind::Field { object, field } => (8, format!("{}.{}", object.name, field.name)),
            ExprKind::Call { func, args, filter } => {
                let mut a: Vec<String> = args.iter().map(|x| self.expr(x, 0)).collect();
                if let Some(f) = filter {
                    let w = format!("when {}", self.expr(f, 0));
                    match a.last_mut() {
                        Some(last) => {
                            last.push(' ');
                            last.push_str(&w);
                        }
                        None => a.push(w),
                    }
                }
                (8, format!("{}({})", func.name, a.join(", ")))
            }
            ExprKind::Lookup { table, args } => {
                let a: Vec<String> = args.iter().map(|x| self.expr(x, 0)).collect();
                (8, format!("{}[{}]", table.name, a.join(", ")))
            }
            // `-(-a)` rather than `--a`.
            ExprKind::Neg(x) => {
                let ctx = if matches!(x.kind, ExprKind::Neg(_)) {
                    8
                } else {
                    7
                };
                (7, format!("-{}", self.expr(x, ctx)))
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let p = op.precedence();
                let (l, r) = (self.expr(lhs, p), self.expr(rhs, p + 1));
                (p, format!("{l} {} {r}", op.symbol()))
            }
            ExprKind::Cmp { op, lhs, rhs, .. } => {
                let kind = self.enum_of(lhs).or_else(|| self.enum_of(rhs));
                let (l, r) = (self.value(lhs, 5, kind), self.value(rhs, 5, kind));
                (4, format!("{l} {} {r}", op.symbol()))
            }
            ExprKind::In { value, list } => {
                let kind = self.enum_of(value);
                let l: Vec<String> = list.iter().map(|x| self.value(x, 0, kind)).collect();
                (4, format!("{} in [{}]", self.expr(value, 5), l.join(", ")))
            }
            // `not (a < b)`: a comparison after `not` is parenthesised for the reader.
            ExprKind::Not(x) => {
                let ctx = if matches!(x.kind, ExprKind::Cmp { .. } | ExprKind::In { .. }) {
                    5
                } else {
                    4
                };
                (3, format!("not {}", self.expr(x, ctx)))
            }
            ExprKind::And(xs) => (
                2,
                xs.iter()
                    .map(|x| self.expr(x, 3))
                    .collect::<Vec<_>>()
                    .join(" and "),
            ),
            ExprKind::Or(xs) => (
                1,
                xs.iter()
                    .map(|x| self.expr(x, 2))
                    .collect::<Vec<_>>()
                    .join(" or "),
            ),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => (
                0,
                format!(
                    "if {} then {} else {}",
                    self.expr(cond, 0),
                    self.expr(then, 0),
                    self.expr(otherwise, 0)
                ),
            ),
            ExprKind::Round { value, suffix, .. } => {
                // `if … else x round` would round only x: an `if` is parenthesised.
                let inner = match value.kind {
                    ExprKind::If { .. } => format!("({})", self.expr(value, 0)),
                    ExprKind::Round { .. } => self.expr(value, 0),
                    _ => self.expr(value, 1),
                };
                (0, format!("{inner} {}", self.text(*suffix)))
            }
        };
        if prec < ctx {
            format!("({s})")
        } else {
            s
        }
    }

    /// The enumeration a field such as `claim.visit_type` holds, when enum
    /// values are written canonically.
    fn enum_of(&self, e: &Expr) -> Option<crate::schema::EnumKind> {
        let ExprKind::Field { object, field } = &e.kind else {
            return None;
        };
        let ty = match object.name.as_str() {
            "claim" => crate::schema::CLAIM_FIELDS
                .iter()
                .find(|f| f.0 == field.name)
                .map(|f| f.2),
            "institution" => crate::schema::INST_FIELDS
                .iter()
                .find(|f| f.0 == field.name)
                .map(|f| f.2),
            _ => None,
        };
        match ty {
            Some(crate::check::types::Ty::Enum(k)) if self.canonical_enums => Some(k),
            _ => None,
        }
    }

    /// An operand compared with a field of enumeration `kind`: a text that
    /// names one of its values is written by the value's canonical name.
    fn value(&self, e: &Expr, ctx: u8, kind: Option<crate::schema::EnumKind>) -> String {
        if let (
            Some(k),
            ExprKind::Lit(Literal {
                kind: LitKind::Text(t),
                ..
            }),
        ) = (kind, &e.kind)
        {
            if let Some(code) = k.code_of(t) {
                return format!("\"{}\"", k.name_of(code));
            }
        }
        self.expr(e, ctx)
    }
}
