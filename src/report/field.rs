//! One typed value of an output row, so that every format writes the same
//! value: CSV as text; JSON as a number for a count (and for days and months
//! when whole) and as an exact string for money and ratios, which a JSON
//! number (a binary float to most readers) could not carry digit for digit.

use super::{money, number};
use crate::check::types::Ty;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    /// A count, a year, a month: a JSON number.
    Int(i64),
    /// Money: [`money`], a JSON string.
    Money(Decimal),
    /// Any other number, written by [`number`] as a JSON string.
    Exact(Decimal),
    /// `true`/`false`; a JSON bool.
    Bool(bool),
    /// A text, bool or date output no rule set (and without a default):
    /// empty in CSV, `null` in JSON.
    Absent,
}

impl Field {
    /// A value of type `ty`: money as money; a count, days, months or bare
    /// number as an integer when it is whole (and fits), else exactly.
    pub fn of(ty: Ty, d: Decimal) -> Field {
        match ty {
            Ty::Money => Field::Money(d),
            Ty::Count | Ty::Days | Ty::Months | Ty::Number if d.fract().is_zero() => {
                d.to_i64().map_or(Field::Exact(d), Field::Int)
            }
            _ => Field::Exact(d),
        }
    }

    /// A count.
    pub fn count(n: impl TryInto<i64>) -> Field {
        n.try_into().map_or(Field::Int(i64::MAX), Field::Int)
    }

    /// The CSV cell, the terminal text.
    pub fn text(&self) -> String {
        match self {
            Field::Text(s) => s.clone(),
            Field::Int(n) => n.to_string(),
            Field::Money(d) => money(*d),
            Field::Exact(d) => number(*d),
            Field::Bool(b) => b.to_string(),
            Field::Absent => String::new(),
        }
    }

    /// A text, bool or date output as shown (a date as `YYYY-MM-DD`).
    pub fn shown(v: Option<crate::eval::value::Shown<'_>>) -> Field {
        use crate::eval::value::Shown;
        match v {
            None => Field::Absent,
            Some(Shown::Bool(b)) => Field::Bool(b),
            Some(Shown::Date(d)) => Field::Text(d.to_string()),
            Some(Shown::Text(t)) => Field::Text(t.to_string()),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        match self {
            Field::Int(n) => serde_json::Value::from(*n),
            Field::Bool(b) => serde_json::Value::Bool(*b),
            Field::Absent => serde_json::Value::Null,
            _ => serde_json::Value::String(self.text()),
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl serde::Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Int(n) => s.serialize_i64(*n),
            Field::Bool(b) => s.serialize_bool(*b),
            Field::Absent => s.serialize_none(),
            _ => s.serialize_str(&self.text()),
        }
    }
}

impl From<&str> for Field {
    fn from(s: &str) -> Field {
        Field::Text(s.to_string())
    }
}

impl From<String> for Field {
    fn from(s: String) -> Field {
        Field::Text(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_numbers_amounts_exact_strings() {
        assert_eq!(Field::of(Ty::Count, Decimal::new(300, 2)), Field::Int(3));
        assert_eq!(Field::of(Ty::Count, Decimal::new(35, 1)).json(), "3.5");
        assert_eq!(Field::of(Ty::Days, Decimal::from(11)).json(), 11);
        assert_eq!(Field::of(Ty::Money, Decimal::from(3)).json(), "3.00");
        assert_eq!(Field::of(Ty::Ratio, Decimal::new(50, 2)).json(), "0.5");
        assert_eq!(Field::count(7usize).text(), "7");
        assert_eq!(Field::Bool(true).text(), "true");
        assert_eq!(Field::Bool(false).json(), false);
        assert_eq!(Field::Absent.text(), "");
        assert_eq!(Field::Absent.json(), serde_json::Value::Null);
    }
}
