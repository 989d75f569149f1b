//! Constants written in a policy (parameter values, table cells, schedule
//! bounds, `--set` overrides) checked against the type they must have.

use super::types::Ty;
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{Dim, KeyValue, ParamValue};
use crate::syntax::ast::{LitKind, Literal, Unit};
use rust_decimal::Decimal;

/// The type a literal has on its own (`Number` for a bare number).
pub fn literal_type(lit: &Literal) -> Option<Ty> {
    Some(match &lit.kind {
        LitKind::Number { unit, .. } => match unit {
            None => Ty::Number,
            Some(Unit::Yuan | Unit::WanYuan) => Ty::Money,
            Some(Unit::Percent) => Ty::Ratio,
            Some(Unit::Days) => Ty::Days,
            Some(Unit::Months) => Ty::Months,
        },
        LitKind::Date(_) => Ty::Date,
        LitKind::Text(_) => Ty::Text,
        LitKind::Bool(_) => Ty::Bool,
    })
}

pub fn number(lit: &Literal) -> Option<Decimal> {
    match lit.kind {
        LitKind::Number { value, .. } => Some(value),
        _ => None,
    }
}

/// Checks that `lit` is a valid value of type `ty` for `name`.
pub fn literal_value(lit: &Literal, ty: Ty, name: &str) -> Result<ParamValue, Diagnostic> {
    let own = literal_type(lit).unwrap_or(Ty::Text);
    let mismatch = || {
        let example = super::types::TYPE_NAMES
            .iter()
            .find(|t| t.1 == ty)
            .map_or("", |t| t.2);
        Diagnostic::error(format!(
            "`{name}` is {ty}, but this value is {}",
            own.article()
        ))
        .at(lit.span)
        .label(own.article())
        .help(format!("write {ty} as {example}"))
    };
    match (&lit.kind, ty) {
        (LitKind::Number { value, unit: None }, Ty::Ratio) => {
            if *value > Decimal::ONE || *value < -Decimal::ONE {
                let pct = value.normalize();
                return Err(Diagnostic::error(format!(
                    "a ratio of {pct} would be {}%",
                    (value * Decimal::from(100)).normalize()
                ))
                .at(lit.span)
                .label("too large for a ratio")
                .help(format!("write `{pct}%` for {pct} percent")));
            }
            Ok(ParamValue::Num(*value))
        }
        (LitKind::Number { value, .. }, _) if ty.is_numeric() => {
            if own != Ty::Number && own != ty {
                return Err(mismatch());
            }
            if ty == Ty::Count && value.fract() != Decimal::ZERO {
                return Err(Diagnostic::error(format!(
                    "a count must be a whole number, not {value}"
                ))
                .at(lit.span));
            }
            if ty == Ty::Days && value.fract() != Decimal::ZERO {
                return Err(Diagnostic::error(format!(
                    "a number of days must be whole, not {}",
                    value.normalize()
                ))
                .at(lit.span));
            }
            // Money is whole fen, so that the checker can prove payments are.
            if ty == Ty::Money && value.round_dp(2) != *value {
                return Err(Diagnostic::error(format!(
                    "an amount of money is a whole number of fen, not {}",
                    value.normalize()
                ))
                .at(lit.span)
                .label("fractions of a fen")
                .help("write at most two decimals of a yuan (0.01元 is one fen)"));
            }
            Ok(ParamValue::Num(*value))
        }
        (LitKind::Date(d), Ty::Date) => Ok(ParamValue::Date(*d)),
        (LitKind::Text(t), Ty::Text) => Ok(ParamValue::Text(t.clone())),
        (LitKind::Bool(b), Ty::Bool) => Ok(ParamValue::Bool(*b)),
        _ => Err(mismatch()),
    }
}

/// Checks a table key against its dimension.
pub fn key_value(
    lit: &Literal,
    dim: Dim,
    enums: &[crate::ir::Enumeration],
) -> Result<KeyValue, Diagnostic> {
    match (dim, &lit.kind) {
        (Dim::Choice { id, .. }, LitKind::Text(t)) => {
            let Some(e) = enums.get(usize::from(id)) else {
                return Err(Diagnostic::error("unknown enumeration").at(lit.span));
            };
            e.code_of(t)
                .and_then(|c| u8::try_from(c).ok())
                .map(KeyValue::Code)
                .ok_or_else(|| super::enums::not_a_value(e, t, lit.span))
        }
        (Dim::Enum(kind), LitKind::Text(_) | LitKind::Number { unit: None, .. }) => {
            let text = match &lit.kind {
                LitKind::Text(t) => t.clone(),
                LitKind::Number { value, .. } => value.normalize().to_string(),
                _ => String::new(),
            };
            kind.code_of(&text)
                .map(KeyValue::Code)
                .ok_or_else(|| enum_error(lit, &text, kind))
        }
        (Dim::Text, LitKind::Text(t)) => Ok(KeyValue::Text(t.clone())),
        (Dim::Num, LitKind::Number { value, .. }) => Ok(KeyValue::Num(*value)),
        (Dim::Bool, LitKind::Bool(b)) => Ok(KeyValue::Code(u8::from(*b))),
        _ => {
            let d = Diagnostic::error(format!(
                "this key does not fit the table, which is keyed by {}",
                match dim {
                    Dim::Enum(k) => format!("{} ({})", Ty::Enum(k), k.describe()),
                    Dim::Text => "text".into(),
                    Dim::Num => "a number".into(),
                    Dim::Bool => "a condition (`true` or `false`)".into(),
                    Dim::Choice { id, .. } => enums
                        .get(usize::from(id))
                        .map_or("?".into(), |e| { format!("{} ({})", e.name, e.describe()) }),
                }
            ))
            .at(lit.span);
            Err(if dim == Dim::Bool {
                d.help("the keys of a table by a condition are `true` and `false`: `{ true: 80%, false: 70% }`")
            } else {
                d
            })
        }
    }
}

pub fn enum_error(lit: &Literal, text: &str, kind: crate::schema::EnumKind) -> Diagnostic {
    let names = kind.values().iter().map(|v| v.0);
    let d = Diagnostic::error(format!("`{text}` is not {}", Ty::Enum(kind).article()))
        .at(lit.span)
        .label("unknown value");
    match suggest(text, names) {
        Some(s) => d.help(format!("did you mean \"{s}\"?")),
        None => d.help(format!("the values are {}", kind.describe())),
    }
}
