//! Declared ledger amounts of type text, bool or date, kept in the ledger's
//! rows of decimals as whole-number codes, so that rows, `prior`, state
//! files and the order of settle statements stay one vector per row:
//!
//! | value | code |
//! |---|---|
//! | absent | 0 |
//! | bool | 1 (false), 2 (true) |
//! | date | 1 + days since the earliest date |
//! | text | 1 + 2 × its index in the program's texts; 2 + 2 × a text parameter's slot |
//!
//! The checker lets a ledger text come only from the program's texts or its
//! parameters (`check/ledger_vals.rs`), so every code can be read back
//! without the claims. The column's type says how to read a code; no
//! numeric path reads these columns (the checker builds no `Num::Ledger`
//! for them, and a year row does not sum its months for them).

use crate::check::types::Ty;
use crate::eval::value::{Shown, Txt, Val};
use crate::ir::{ParamValue, Program};
use crate::schema::ledger::COLUMNS;
use rust_decimal::Decimal;

/// The code of a value; `None` for a text the checker keeps out of rows.
pub fn encode(v: Val) -> Option<Decimal> {
    Some(Decimal::from(match v {
        Val::Absent => 0,
        Val::Bool(b) => 1 + i64::from(b),
        Val::Date(d) => 1 + (i64::from(d.0) - i64::from(i32::MIN)),
        Val::Text(Txt::Pool(i)) => 1 + 2 * i64::from(i),
        Val::Text(Txt::Param(i)) => 2 + 2 * i64::from(i),
        Val::Text(_) => return None,
    }))
}

/// The value of code `d` in a column of type `ty`.
pub fn decode(d: Decimal, ty: Ty) -> Val {
    let Ok(n) = i64::try_from(d) else {
        return Val::Absent;
    };
    if n <= 0 {
        return Val::Absent;
    }
    match ty {
        Ty::Bool => Val::Bool(n == 2),
        Ty::Date => i32::try_from(n - 1 + i64::from(i32::MIN))
            .map_or(Val::Absent, |d| Val::Date(crate::date::Date(d))),
        Ty::Text => {
            let i = u32::try_from((n - 1) / 2).unwrap_or(u32::MAX);
            if n % 2 == 1 {
                Val::Text(Txt::Pool(i))
            } else {
                Val::Text(Txt::Param(u16::try_from(i).unwrap_or(u16::MAX)))
            }
        }
        _ => Val::Absent,
    }
}

/// The declared type of ledger column `col` when it is a text, bool or date.
pub fn val_type(prog: &Program, col: usize) -> Option<Ty> {
    let o = prog.ledger_extras.get(col.checked_sub(COLUMNS.len())?)?;
    (!o.ty.is_numeric()).then_some(o.ty)
}

/// A fresh row: 0 for every amount, a typed amount's default where declared.
pub fn blank_row(prog: &Program) -> Vec<Decimal> {
    let mut row = vec![Decimal::ZERO; COLUMNS.len() + prog.ledger_extras.len()];
    for (e, o) in prog.ledger_extras.iter().enumerate() {
        let v = match &o.default {
            Some(ParamValue::Bool(b)) => Val::Bool(*b),
            Some(ParamValue::Date(d)) => Val::Date(*d),
            Some(ParamValue::Text(s)) => match prog.texts.iter().position(|t| t == s) {
                Some(i) => Val::Text(Txt::Pool(u32::try_from(i).unwrap_or(u32::MAX))),
                None => Val::Absent,
            },
            _ => continue,
        };
        if let (Some(c), Some(cell)) = (encode(v), row.get_mut(COLUMNS.len() + e)) {
            *cell = c;
        }
    }
    row
}

/// What code `d` of typed column `col` shows: `None` where absent.
pub fn shown(prog: &Program, col: usize, d: Decimal) -> Option<Shown<'_>> {
    let ty = val_type(prog, col)?;
    Some(match decode(d, ty) {
        Val::Absent => return None,
        Val::Bool(b) => Shown::Bool(b),
        Val::Date(d) => Shown::Date(d),
        Val::Text(Txt::Pool(i)) => {
            Shown::Text(prog.texts.get(i as usize).map_or("", String::as_str))
        }
        Val::Text(Txt::Param(i)) => match prog.params.get(i as usize).map(|p| &p.value) {
            Some(ParamValue::Text(s)) => Shown::Text(s),
            _ => Shown::Text(""),
        },
        Val::Text(_) => return None,
    })
}

/// Code `d` of column `col` as `yibao explain` and `yibao test` show it:
/// `None` for a numeric column.
pub fn show_text(prog: &Program, col: usize, d: Decimal) -> Option<String> {
    val_type(prog, col)?;
    Some(shown(prog, col, d).map_or_else(|| "(absent)".to_string(), |s| s.text()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;

    #[test]
    fn codes_read_back() {
        let d = Date::from_ymd(2025, 12, 31)
            .map(Val::Date)
            .unwrap_or_default();
        for (v, ty) in [
            (Val::Bool(true), Ty::Bool),
            (Val::Bool(false), Ty::Bool),
            (d, Ty::Date),
            (Val::Text(Txt::Pool(0)), Ty::Text),
            (Val::Text(Txt::Pool(7)), Ty::Text),
            (Val::Text(Txt::Param(3)), Ty::Text),
        ] {
            let c = encode(v).unwrap_or_default();
            assert!(c > Decimal::ZERO, "{v:?} is coded as absent");
            assert_eq!(decode(c, ty), v);
        }
        assert_eq!(decode(Decimal::ZERO, Ty::Bool), Val::Absent);
        assert_eq!(encode(Val::Text(Txt::Empty)), None);
    }
}
