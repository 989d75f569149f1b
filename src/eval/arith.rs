//! Arithmetic the policy language names: rounding by step and mode, and
//! schedules (marginal segments and whole bands) applied to an amount. Their
//! sums and products are exact ([`super::exact`]): `None` when one is not.

use super::exact;
use crate::ir::{Rounding, Schedule, ScheduleKind};
use crate::syntax::ast::RoundMode;
use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds to a multiple of the step, by the mode.
pub fn round(v: Decimal, r: &Rounding) -> Option<Decimal> {
    let strategy = match r.mode {
        RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        RoundMode::Down => RoundingStrategy::ToZero,
        RoundMode::Up => RoundingStrategy::AwayFromZero,
    };
    match r.dp {
        Some(dp) => Some(v.round_dp_with_strategy(dp, strategy)),
        None => exact::mul(
            v.checked_div(r.step)?.round_dp_with_strategy(0, strategy),
            r.step,
        )
        .ok(),
    }
}

/// A schedule applied to an amount: marginal sums each segment's share;
/// whole applies the rate of the segment the amount falls in (from ≤ x < to).
/// `None` if a share is too large or not exact.
pub fn apply_schedule(s: &Schedule, x: Decimal) -> Option<Decimal> {
    apply_with(
        s,
        x,
        |a, b| exact::add(a, b).ok(),
        |a, b| exact::mul(a, b).ok(),
    )
}

/// [`apply_schedule`] to an amount that may derive from a quotient: its
/// shares are computed as a decimal can, rounded to 28 to 29 significant
/// digits if need be. `None` if one is too large.
pub fn apply_schedule_rounding(s: &Schedule, x: Decimal) -> Option<Decimal> {
    apply_with(s, x, Decimal::checked_add, Decimal::checked_mul)
}

fn apply_with(
    s: &Schedule,
    x: Decimal,
    add: impl Fn(Decimal, Decimal) -> Option<Decimal>,
    mul: impl Fn(Decimal, Decimal) -> Option<Decimal>,
) -> Option<Decimal> {
    match s.kind {
        ScheduleKind::Marginal => {
            let mut total = Decimal::ZERO;
            for &(from, to, rate) in &s.segments {
                if x <= from {
                    break;
                }
                let top = to.map_or(x, |t| x.min(t));
                total = add(total, mul(add(top, -from)?, rate)?)?;
            }
            Some(total)
        }
        ScheduleKind::Whole => {
            let seg = s
                .segments
                .iter()
                .find(|(from, to, _)| x >= *from && to.is_none_or(|t| x < t));
            match seg {
                Some(&(_, _, rate)) => mul(x, rate),
                None => Some(Decimal::ZERO),
            }
        }
    }
}

/// The rate of the segment `x` falls in (from ≤ x < to); 0 outside every segment.
pub fn rate_at(s: &Schedule, x: Decimal) -> Decimal {
    s.segments
        .iter()
        .find(|(from, to, _)| x >= *from && to.is_none_or(|t| x < t))
        .map_or(Decimal::ZERO, |seg| seg.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_modes() {
        let r = |mode, step: &str| Rounding {
            step: d(step),
            dp: (0..=10).find(|&p| Decimal::new(1, p) == d(step)),
            mode,
        };
        assert_eq!(
            round(d("2.345"), &r(RoundMode::HalfUp, "0.01")),
            Some(d("2.35"))
        );
        assert_eq!(
            round(d("-2.345"), &r(RoundMode::HalfUp, "0.01")),
            Some(d("-2.35"))
        );
        assert_eq!(
            round(d("2.345"), &r(RoundMode::HalfEven, "0.01")),
            Some(d("2.34"))
        );
        assert_eq!(
            round(d("2.349"), &r(RoundMode::Down, "0.01")),
            Some(d("2.34"))
        );
        assert_eq!(
            round(d("2.341"), &r(RoundMode::Up, "0.01")),
            Some(d("2.35"))
        );
        assert_eq!(round(d("17.5"), &r(RoundMode::HalfUp, "5")), Some(d("20")));
        assert_eq!(
            round(d("0.125"), &r(RoundMode::HalfUp, "0.05")),
            Some(d("0.15"))
        );
    }

    #[test]
    fn schedules_marginal_and_whole() {
        // Bazhong-style segments above 15,000: 60% to 65,000, 70% to 115,000, 80% beyond.
        let m = Schedule {
            in_force: None,
            cite: None,
            segment_spans: Vec::new(),
            name: "s".into(),
            kind: ScheduleKind::Marginal,
            segments: vec![
                (d("15000"), Some(d("65000")), d("0.6")),
                (d("65000"), Some(d("115000")), d("0.7")),
                (d("115000"), None, d("0.8")),
            ],
            input: crate::check::types::Ty::Money,
            span: Span::default(),
        };
        assert_eq!(apply_schedule(&m, d("10000")), Some(d("0")));
        // 50,000 × 0.6 + 5,000 × 0.7 = 33,500
        assert_eq!(apply_schedule(&m, d("70000")), Some(d("33500")));
        // 30,000 + 35,000 + 10,000 × 0.8 = 73,000
        assert_eq!(apply_schedule(&m, d("125000")), Some(d("73000")));
        let w = Schedule {
            kind: ScheduleKind::Whole,
            ..m
        };
        assert_eq!(apply_schedule(&w, d("70000")), Some(d("49000")));
        assert_eq!(apply_schedule(&w, d("65000")), Some(d("45500")));
        assert_eq!(apply_schedule(&w, d("14999.99")), Some(d("0")));
    }

    #[test]
    fn a_schedule_share_that_is_not_exact_is_refused() {
        // One segment from 0 at 0.1234567890123456789012345678: applied to
        // 1234567890123456.78, its share is the product of src/eval/exact.rs's test,
        // 152415787532388.366392318256527968299765279684 — 30 decimals, which no decimal
        // holds. Marginal and whole alike refuse it rather than round it.
        let rate = d("0.1234567890123456789012345678");
        let m = Schedule {
            in_force: None,
            cite: None,
            segment_spans: Vec::new(),
            name: "s".into(),
            kind: ScheduleKind::Marginal,
            segments: vec![(d("0"), None, rate)],
            input: crate::check::types::Ty::Money,
            span: Span::default(),
        };
        let x = d("1234567890123456.78");
        assert_eq!(apply_schedule(&m, x), None);
        let w = Schedule {
            kind: ScheduleKind::Whole,
            ..m
        };
        assert_eq!(apply_schedule(&w, x), None);
        // 1000 × the same rate is exact, 123.4567890123456789012345678, though its mantissa at
        // scale 0 + 28, 1234567890123456789012345678000, has 31 digits (beyond 96 bits):
        // rust_decimal drops three zeros, which loses nothing.
        assert_eq!(
            apply_schedule(&w, d("1000")),
            Some(d("123.4567890123456789012345678"))
        );
    }
}
