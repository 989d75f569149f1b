//! How an explanation writes a value, by its type, and the type of an IR
//! expression, worked out from the program alone (the interpreter keeps no
//! types, and ordinary runs never pay for these).
//!
//! Money is written to the fen (`38000.00`), and an amount with more digits
//! than that — an unrounded intermediate — with every digit it has
//! (`28627.5665`): nothing is rounded for display. A ratio is written as a
//! policy writes it, in percent, exactly (`65%`, `45.4545…%`); a count as a
//! whole number (`3`); days and months with their unit (`11天`, `2个月`).
//! A constant has no type of its own in the program: it takes the type of
//! what it is added to, compared with or chosen among, and is written as a
//! bare number in a product or a quotient.

use crate::check::types::Ty;
use crate::ir::{AggKind, Num, Program, Ref};
use crate::report::{money, number, Field};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// `d` written as a value of type `ty` (`None`: a bare number).
pub(crate) fn show(ty: Option<Ty>, d: Decimal) -> String {
    match ty {
        Some(Ty::Money) => money(d),
        Some(Ty::Ratio) => percent(d),
        Some(Ty::Days) => format!("{}天", number(d)),
        Some(Ty::Months) => format!("{}个月", number(d)),
        _ => number(d),
    }
}

/// `d` as a node's value: a whole count (or bare number) is a number in JSON,
/// anything else the text [`show`] writes.
pub(crate) fn field(ty: Option<Ty>, d: Decimal) -> Field {
    match ty {
        None | Some(Ty::Count | Ty::Number) if d.fract().is_zero() => d
            .to_i64()
            .map_or_else(|| Field::Text(show(ty, d)), Field::Int),
        _ => Field::Text(show(ty, d)),
    }
}

/// A ratio in percent, exactly: the decimal point moved two places in the
/// digits [`number`] writes, so no digit is lost (`0.4545…` → `45.45…%`).
pub(crate) fn percent(d: Decimal) -> String {
    let s = number(d);
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = format!("{frac:0<2}");
    let (moved, rest) = frac.split_at(2);
    let int = format!("{int}{moved}");
    let int = match int.trim_start_matches('0') {
        "" => "0",
        t => t,
    };
    let rest = rest.trim_end_matches('0');
    if rest.is_empty() {
        format!("{sign}{int}%")
    } else {
        format!("{sign}{int}.{rest}%")
    }
}

/// The slot of a parameter, table or schedule reference (its first version
/// for a dated name: every version of a name has one type).
fn slot(p: &Program, r: Ref) -> usize {
    match r {
        Ref::Fixed(i) => i as usize,
        Ref::Dated(g) => p
            .versions
            .get(g as usize)
            .and_then(|v| v.versions.first())
            .map_or(usize::MAX, |(_, s)| *s as usize),
    }
}

/// What is known while typing: the program, the types of the numeric locals
/// set so far, and the settle block running (for its aggregates).
pub(crate) struct Types<'a> {
    pub prog: &'a Program,
    pub locals: &'a [Option<Ty>],
    pub block: Option<usize>,
}

impl Types<'_> {
    /// The type of `n`; `None` for a constant, or an expression of constants only.
    pub(crate) fn of(&self, n: &Num) -> Option<Ty> {
        let p = self.prog;
        let known = |t: Ty| (t != Ty::Number).then_some(t);
        match n {
            Num::Const(_) => None,
            Num::Param(r) => p.params.get(slot(p, *r)).map(|x| x.ty),
            Num::Claim(f) => crate::schema::CLAIM_FIELDS
                .iter()
                .find(|x| x.1 == *f)
                .map(|x| x.2),
            Num::Inst(f) => crate::schema::INST_FIELDS
                .iter()
                .find(|x| x.1 == *f)
                .map(|x| x.2),
            Num::ClaimExtra(i) => p.claim_extras.get(*i as usize).map(|x| x.ty),
            Num::InstExtra(i) => p.inst_extras.get(*i as usize).map(|x| x.ty),
            Num::Local(i) => self.locals.get(*i as usize).copied().flatten(),
            Num::Acc(i) => p.accumulators.get(*i as usize).map(|a| a.ty),
            Num::Layer(_) | Num::Remaining | Num::Fee | Num::Borne => Some(Ty::Money),
            Num::Output(i) => p.outputs.get(*i as usize).map(|o| o.ty),
            Num::Bin(op, xs, _) => match (self.of(&xs.0), self.of(&xs.1)) {
                (None, None) => None,
                (a, b) => Ty::arith(*op, a.unwrap_or(Ty::Number), b.unwrap_or(Ty::Number))
                    .ok()
                    .and_then(known),
            },
            Num::Neg(x) | Num::Round(x, _, _) => self.of(x),
            Num::Min(xs) | Num::Max(xs) => xs.iter().find_map(|x| self.of(x)),
            Num::Clamp(xs, _) => [&xs.0, &xs.1, &xs.2].into_iter().find_map(|x| self.of(x)),
            Num::If(b) => self.of(&b.1).or_else(|| self.of(&b.2)),
            Num::Lookup(r, _, _) => p.tables.get(slot(p, *r)).map(|t| t.ty),
            Num::Schedule(r, x, _) => p
                .schedules
                .get(slot(p, *r))
                .map(|s| s.input)
                .or_else(|| self.of(x)),
            Num::Rate(..) => Some(Ty::Ratio),
            Num::Previous(x) => self.of(&x.field),
            Num::DateDiff(_) => Some(Ty::Days),
            Num::Age(_) => Some(Ty::Count),
            Num::Person(f) => crate::schema::PERSON_FIELDS
                .iter()
                .chain(crate::schema::CONTRIBUTION_FIELDS)
                .chain(crate::schema::RETIREMENT_FIELDS)
                .find(|x| x.1 == *f)
                .map(|x| x.2),
            Num::Contrib(i) => crate::schema::contrib::AMOUNTS
                .get(*i as usize)
                .map(|a| a.2),
            Num::DatePart(..) => Some(Ty::Count),
            Num::Ledger(i) | Num::Prior(i, _) => {
                Some(crate::report::ledger_column_type(p, *i as usize))
            }
            Num::Agg(i) => {
                let agg = self
                    .block
                    .and_then(|b| p.settles.get(b))
                    .and_then(|b| b.aggregates.get(*i as usize))?;
                match agg.kind {
                    AggKind::Count => Some(Ty::Count),
                    AggKind::Sum | AggKind::Avg => agg.arg.as_ref().and_then(|a| self.of(a)),
                }
            }
            Num::Region(_) | Num::Score(_) | Num::Interviews => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_type() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(show(Some(Ty::Money), d("38000.0")), "38000.00");
        assert_eq!(show(Some(Ty::Money), d("19000.000")), "19000.00");
        assert_eq!(show(Some(Ty::Money), d("28627.5665")), "28627.5665");
        assert_eq!(show(Some(Ty::Money), d("9896.5320")), "9896.532");
        assert_eq!(show(Some(Ty::Ratio), d("0.65")), "65%");
        assert_eq!(show(Some(Ty::Ratio), d("0")), "0%");
        assert_eq!(show(Some(Ty::Ratio), d("1")), "100%");
        assert_eq!(show(Some(Ty::Ratio), d("0.125")), "12.5%");
        assert_eq!(show(Some(Ty::Ratio), d("-0.0045")), "-0.45%");
        assert_eq!(
            show(Some(Ty::Ratio), d("0.4545454545454545454545454545")),
            "45.45454545454545454545454545%"
        );
        assert_eq!(show(Some(Ty::Count), d("3.00")), "3");
        assert_eq!(show(Some(Ty::Days), d("11")), "11天");
        assert_eq!(show(None, d("1.0001")), "1.0001");
        assert_eq!(field(Some(Ty::Count), d("3.00")), Field::Int(3));
        assert_eq!(field(Some(Ty::Money), d("3")), Field::Text("3.00".into()));
    }
}
