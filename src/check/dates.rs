//! Date functions and date arithmetic: `year(d)`, `month(d)`, `day(d)`,
//! `month_start(d)`, `month_end(d)`, and `d ± 15天` / `d ± 1个月`.
//!
//! The days between two dates are `b - a` (in `expr.rs`); a function for it
//! is refused with that form as the hint, so there is one way to write it.

use super::expr::TExpr;
use super::types::Ty;
use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::ir::{DatePart, DateShift, DateX, Num};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Expr};
use rust_decimal::Decimal;

/// The date functions, for "did you mean" among the functions.
pub(super) const DATE_FUNCTIONS: &[&str] =
    &["year", "month", "day", "month_start", "month_end", "age"];

/// Names an author may try for the days between two dates.
const DAYS_BETWEEN: &[&str] = &[
    "days",
    "days_between",
    "daysbetween",
    "datediff",
    "date_diff",
    "days_diff",
    "diff_days",
];

impl Checker {
    /// A date function applied, or `None` when `func` is not one (nothing reported).
    pub(super) fn date_call(
        &mut self,
        func: &str,
        args: &[Expr],
        vals: Vec<TExpr>,
        span: Span,
    ) -> Option<TExpr> {
        if func == "age" {
            return Some(self.age_call(args, vals, span));
        }
        let part = match func {
            "year" => Some(DatePart::Year),
            "month" => Some(DatePart::Month),
            "day" => Some(DatePart::Day),
            "month_start" | "month_end" => None,
            _ => return None,
        };
        if vals.len() != 1 {
            self.error(
                Diagnostic::error(format!("`{func}` takes one date, not {}", vals.len()))
                    .at(span)
                    .help(format!("write `{func}(claim.discharge_date)`")),
            );
            return Some(TExpr::Poison);
        }
        let d = match vals.into_iter().next() {
            Some(TExpr::Date(d)) => d,
            Some(TExpr::Poison) | None => return Some(TExpr::Poison),
            Some(other) => {
                let t = other.ty().map_or("this".into(), |t| t.article());
                self.error(
                    Diagnostic::error(format!("`{func}` takes a date, not {t}"))
                        .at(args[0].span)
                        .label(format!("this is {t}"))
                        .help(format!(
                            "give it a date such as `claim.discharge_date` or `2025-03-04`: `{func}(claim.discharge_date)`"
                        )),
                );
                return Some(TExpr::Poison);
            }
        };
        Some(match part {
            Some(p) => TExpr::Num(Num::DatePart(p, Box::new(d)), Ty::Count),
            None if func == "month_start" => TExpr::Date(DateX::MonthStart(Box::new(d))),
            None => TExpr::Date(DateX::MonthEnd(Box::new(d))),
        })
    }

    /// `age(birth, day)`: the whole years completed on `day` (周岁), a count.
    fn age_call(&mut self, args: &[Expr], vals: Vec<TExpr>, span: Span) -> TExpr {
        let help = "write `age(person.birth_date, contribution.month)`: the whole years completed on the day (the month's first day), 周岁";
        let n = vals.len();
        let Ok([a, b]) = <[TExpr; 2]>::try_from(vals) else {
            self.error(
                Diagnostic::error(format!(
                    "`age` takes a birth date and a day, not {n} value{}",
                    if n == 1 { "" } else { "s" }
                ))
                .at(span)
                .help(help),
            );
            return TExpr::Poison;
        };
        match (a, b) {
            (TExpr::Date(x), TExpr::Date(y)) => TExpr::Num(Num::Age(Box::new((x, y))), Ty::Count),
            (TExpr::Poison, _) | (_, TExpr::Poison) => TExpr::Poison,
            (x, y) => {
                let (at, t) = if matches!(x, TExpr::Date(_)) {
                    (args[1].span, y)
                } else {
                    (args[0].span, x)
                };
                let t = t.ty().map_or("this".into(), |t| t.article());
                self.error(
                    Diagnostic::error(format!("`age` takes two dates, not {t}"))
                        .at(at)
                        .label(format!("this is {t}"))
                        .help(help),
                );
                TExpr::Poison
            }
        }
    }

    /// The error for `days(a, b)` and its kin, if `func` is one of them.
    pub(super) fn days_between_call(&mut self, func: &str, fspan: Span) -> bool {
        if !DAYS_BETWEEN.contains(&func.to_lowercase().as_str()) {
            return false;
        }
        self.error(
            Diagnostic::error(format!("there is no function `{func}`"))
                .at(fspan)
                .label("not a function")
                .help("the days between two dates are a subtraction: `claim.discharge_date - claim.admit_date` is days"),
        );
        true
    }

    /// `date ± days`, `date ± months`, `days + date`: a date.
    pub(super) fn date_shift(
        &mut self,
        op: BinOp,
        op_span: Span,
        date: DateX,
        by: (Num, Ty),
        by_span: Span,
    ) -> TExpr {
        let (n, t) = by;
        let months = match t {
            Ty::Days => false,
            Ty::Months => true,
            _ => {
                let help = if t == Ty::Number {
                    "write the unit: `claim.discharge_date + 15天` (days) or `claim.discharge_date + 1个月` (months)".to_string()
                } else {
                    format!(
                        "a date moves by days or months: `claim.discharge_date + 15天`, `claim.discharge_date + 1个月`; {} is neither",
                        t.article()
                    )
                };
                let msg = match op {
                    BinOp::Sub => format!("cannot subtract {} from a date", t.article()),
                    _ => format!("cannot add {} to a date", t.article()),
                };
                self.error(
                    Diagnostic::error(msg)
                        .at(op_span)
                        .label(format!("a date and {}", t.article()))
                        .help(help),
                );
                return TExpr::Poison;
            }
        };
        if let Some(v) = constant(&n) {
            if v.fract() != Decimal::ZERO {
                let unit = if months { "个月" } else { "天" };
                self.error(
                    Diagnostic::error(format!(
                        "a date moves by whole {}, not {}{unit}",
                        if months { "months" } else { "days" },
                        v.normalize()
                    ))
                    .at(by_span)
                    .label("not whole")
                    .help(if months {
                        "write a whole number of months, e.g. `1个月`, or the days: `15天`"
                    } else {
                        "write a whole number of days, e.g. `15天`"
                    }),
                );
                return TExpr::Poison;
            }
        }
        TExpr::Date(DateX::Shift(Box::new(DateShift {
            date,
            by: n,
            months,
            back: op == BinOp::Sub,
            span: op_span,
        })))
    }
}

/// The value of a constant count (`15天`, `-2个月`), known at check time.
fn constant(n: &Num) -> Option<Decimal> {
    match n {
        Num::Const(v) => Some(*v),
        Num::Neg(x) => constant(x).map(|v| -v),
        _ => None,
    }
}
