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
        assert_eq!(
            Ty::arith(BinOp::Add, Ty::Money, Ty::Ratio),
            Err("cannot add a ratio to money".into())
        );
        assert!(Ty::arith(BinOp::Mul, Ty::Money, Ty::Money).is_err());
    }
}
