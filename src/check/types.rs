//! Types and units of the policy language, and the arithmetic between them.
//!
//! Every numeric type is evaluated as an exact `Decimal`; the type only
//! exists at check time to stop mistakes such as adding money to a ratio.

use crate::schema::EnumKind;
use crate::syntax::ast::BinOp;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// 元, to the fen
    Money,
    /// a share: 95% is 0.95
    Ratio,
    Count,
    Days,
    Months,
    Date,
    Text,
    Bool,
    /// a bare number, which takes the type of what it meets
    Number,
    /// a field with a closed set of values
    Enum(EnumKind),
}

/// The type names an author may write, with a one-line description.
pub const TYPE_NAMES: &[(&str, Ty, &str)] = &[
    (
        "money",
        Ty::Money,
        "an amount in yuan: `200`, `200元`, `1.5万元`",
    ),
    ("ratio", Ty::Ratio, "a share: `95%` or `0.95`"),
    ("count", Ty::Count, "a whole number of things"),
    ("days", Ty::Days, "a number of days: `30天`"),
    ("months", Ty::Months, "a number of months: `2个月`"),
    ("date", Ty::Date, "a date: `2025-01-01`"),
    ("text", Ty::Text, "a text: \"...\""),
    ("bool", Ty::Bool, "`true` or `false`"),
];

impl Ty {
    pub fn from_name(name: &str) -> Option<Ty> {
        TYPE_NAMES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, t, _)| *t)
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Ty::Money | Ty::Ratio | Ty::Count | Ty::Days | Ty::Months | Ty::Number
        )
    }

    /// The type of `self` and `other` when they must agree (`+`, `-`, `min`, comparisons).
    pub fn unify(self, other: Ty) -> Option<Ty> {
        match (self, other) {
            (a, b) if a == b => Some(a),
            (Ty::Number, b) if b.is_numeric() => Some(b),
            (a, Ty::Number) if a.is_numeric() => Some(a),
            _ => None,
        }
    }

    /// The type of `self op other`, for numeric operands.
    pub fn arith(op: BinOp, a: Ty, b: Ty) -> Result<Ty, String> {
        use Ty::*;
        let r = match op {
            BinOp::Add | BinOp::Sub => match (a, b) {
                (Date, Date) if op == BinOp::Sub => Some(Days),
                (Date, Days | Months) => Some(Date),
                (Days | Months, Date) if op == BinOp::Add => Some(Date),
                _ => a.unify(b).filter(|t| t.is_numeric()),
            },
            BinOp::Mul => match (a, b) {
                (x, Number) | (Number, x) if x.is_numeric() => Some(x),
                (Money, Ratio | Count | Days | Months) | (Ratio | Count | Days | Months, Money) => {
                    Some(Money)
                }
                (Ratio, x) | (x, Ratio) if x.is_numeric() => Some(x),
                (Count, Count) => Some(Count),
                (Count, Days) | (Days, Count) => Some(Days),
                (Count, Months) | (Months, Count) => Some(Months),
                _ => None,
            },
            BinOp::Div => match (a, b) {
                (x, Number) if x.is_numeric() => Some(x),
                (x, y) if x == y && x.is_numeric() => {
                    Some(if x == Number { Number } else { Ratio })
                }
                (Number, Ratio) => Some(Number),
                (Money, Count | Days | Months | Ratio) => Some(Money),
                (Count | Days | Months, Ratio) => Some(a),
                _ => None,
            },
        };
        r.ok_or_else(|| match op {
            BinOp::Add => format!("cannot add {} to {}", b.article(), a.article()),
            BinOp::Sub => format!("cannot subtract {} from {}", b.article(), a.article()),
            BinOp::Mul => format!("cannot multiply {} by {}", a.article(), b.article()),
            BinOp::Div => format!("cannot divide {} by {}", a.article(), b.article()),
        })
    }

    /// What to write instead of `a op b` that [`Ty::arith`] refuses: the
    /// help line names a form of the unit algebra that works.
    pub fn arith_help(op: BinOp, a: Ty, b: Ty) -> String {
        use Ty::*;
        let pair = |x: Ty, y: Ty| (a == x && b == y) || (a == y && b == x);
        // The operand that is not `t`, when the other one is.
        let other = |t: Ty| if a == t { b } else { a };
        let (an, bn) = (a.article(), b.article());
        match op {
            BinOp::Add | BinOp::Sub => {
                if pair(Money, Ratio) {
                    "to take a share of an amount, multiply: `amount * ratio`".into()
                } else if a == Money || b == Money {
                    let x = other(Money);
                    format!(
                        "turn {0} into money first: {0} × money is money, e.g. `{1} * 50元`",
                        x.article(),
                        x.sample()
                    )
                } else if a == Ratio || b == Ratio {
                    let x = other(Ratio);
                    format!(
                        "a ratio is a share of something: multiply, e.g. `{} * 90%` is {}",
                        x.sample(),
                        x.article()
                    )
                } else if pair(Days, Months) {
                    "days and months do not convert: write both in days (`30天`) or both in months (`1个月`)".into()
                } else {
                    let x = other(Count);
                    let lit = if x == Days { "30天" } else { "2个月" };
                    format!(
                        "write both sides in the same unit; a count × {0} is {0}, e.g. `institution.enrolled * {lit}`",
                        x.article()
                    )
                }
            }
            BinOp::Mul if a == Money => {
                "multiply money by a ratio, a count or days, e.g. `claim.total_cost * 90%`; money ÷ money is a ratio (a share)".into()
            }
            BinOp::Mul => format!(
                "multiply {an} by a count, a ratio or money: `{0} * 90%` is {an}, `{0} * 50元` is money",
                a.sample()
            ),
            BinOp::Div if b == Money && a == Ratio => {
                "only money divides by money: `claim.self_pay_cost / claim.total_cost` is a ratio (a share); to take a share of money, multiply: `claim.total_cost * 90%`".into()
            }
            BinOp::Div if b == Money => format!(
                "only money divides by money: `claim.self_pay_cost / claim.total_cost` is a ratio (a share); money ÷ {an} is money, e.g. `claim.total_cost / {}`",
                a.sample()
            ),
            BinOp::Div if a == Days && b == Count => {
                "an average per claim is `avg(claim.length_of_stay)` in a settle block; a share is money ÷ money".into()
            }
            BinOp::Div if pair(Days, Months) => {
                "days and months do not convert: write both in days (`30天`) or both in months (`1个月`); days ÷ days is a ratio".into()
            }
            BinOp::Div if a == Ratio => format!(
                "a ratio divides by a ratio or a bare number (`90% / 2`); to apply a ratio to {bn}, multiply: `{} * 90%`",
                b.sample()
            ),
            BinOp::Div if a == Number && b == Count => {
                "a number ÷ a count has no unit; a count ÷ a number is a count (`institution.enrolled / 1000`), a count ÷ a count a ratio".into()
            }
            BinOp::Div if a == Number => format!(
                "a number ÷ {bn} has no unit; write the number in {bn} too: `{} / {}` is a ratio",
                if b == Days { "30天" } else { "12个月" },
                b.sample()
            ),
            BinOp::Div => format!(
                "{an} ÷ {bn} has no unit; divide by a bare number (`{} / 2` is {an}), or by {an} for a share (a ratio)",
                a.sample()
            ),
        }
    }

    /// A value of this type as an author would write one, for help lines.
    fn sample(self) -> &'static str {
        match self {
            Ty::Money => "claim.total_cost",
            Ty::Ratio => "90%",
            Ty::Count => "institution.enrolled",
            Ty::Days => "claim.length_of_stay",
            Ty::Months => "2个月",
            _ => "2",
        }
    }

    /// "money", "a ratio", ... for messages.
    pub fn article(self) -> String {
        match self {
            Ty::Money => "money".into(),
            Ty::Ratio => "a ratio".into(),
            Ty::Count => "a count".into(),
            Ty::Days => "days".into(),
            Ty::Months => "months".into(),
            Ty::Date => "a date".into(),
            Ty::Text => "text".into(),
            Ty::Bool => "a condition".into(),
            Ty::Number => "a number".into(),
            Ty::Enum(k) => format!("{} value", article_for(k.field_name())),
        }
    }
}

/// "a level", "an insured_type".
pub fn article_for(word: &str) -> String {
    let vowel = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if vowel { "an" } else { "a" })
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Enum(k) => write!(f, "{}", k.field_name()),
            _ => {
                let name = TYPE_NAMES
                    .iter()
                    .find(|(_, t, _)| t == self)
                    .map_or("number", |(n, _, _)| n);
                write!(f, "{name}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_combine_as_in_the_notices() {
        assert_eq!(Ty::arith(BinOp::Mul, Ty::Money, Ty::Ratio), Ok(Ty::Money));
        assert_eq!(Ty::arith(BinOp::Sub, Ty::Money, Ty::Number), Ok(Ty::Money));
        assert_eq!(Ty::arith(BinOp::Div, Ty::Money, Ty::Money), Ok(Ty::Ratio));
        assert_eq!(Ty::arith(BinOp::Sub, Ty::Date, Ty::Date), Ok(Ty::Days));
        assert_eq!(Ty::arith(BinOp::Add, Ty::Date, Ty::Days), Ok(Ty::Date));
        assert_eq!(Ty::arith(BinOp::Sub, Ty::Date, Ty::Months), Ok(Ty::Date));
        assert_eq!(Ty::arith(BinOp::Add, Ty::Months, Ty::Date), Ok(Ty::Date));
        assert!(Ty::arith(BinOp::Sub, Ty::Days, Ty::Date).is_err());
        assert!(Ty::arith(BinOp::Add, Ty::Date, Ty::Number).is_err());
        assert!(Ty::arith(BinOp::Add, Ty::Date, Ty::Date).is_err());
        assert_eq!(
            Ty::arith(BinOp::Add, Ty::Money, Ty::Ratio),
            Err("cannot add a ratio to money".into())
        );
        assert!(Ty::arith(BinOp::Mul, Ty::Money, Ty::Money).is_err());
    }

    #[test]
    fn every_refused_combination_names_one_that_works() {
        let numeric = [
            Ty::Money,
            Ty::Ratio,
            Ty::Count,
            Ty::Days,
            Ty::Months,
            Ty::Number,
        ];
        for op in [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div] {
            for a in numeric {
                for b in numeric {
                    if Ty::arith(op, a, b).is_ok() {
                        continue;
                    }
                    let help = Ty::arith_help(op, a, b);
                    assert!(help.contains('`'), "{a} {op:?} {b}: {help}");
                }
            }
        }
        assert_eq!(
            Ty::arith_help(BinOp::Div, Ty::Days, Ty::Count),
            "an average per claim is `avg(claim.length_of_stay)` in a settle block; a share is money ÷ money"
        );
    }
}
