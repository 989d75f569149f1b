//! Figures as the director's report shows them: thousands separators, large
//! amounts in 万元, percentages with one decimal. This is display rounding,
//! half away from zero, in the report only (its footer says so); every file
//! keeps the exact values.

use rust_decimal::{Decimal, RoundingStrategy};

/// From this size (yuan) on, an amount is shown in 万元.
const WAN_FROM: i64 = 100_000;

/// `d` rounded to `dp` decimals, with a comma every three digits.
pub fn grouped(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.rescale(dp);
    let s = r.abs().to_string();
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if r.is_sign_negative() && !r.is_zero() {
        out.push('-');
    }
    let digits = int.len();
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (digits - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// An amount of yuan: `12,345.67`, or from 10万 on `652.88万`.
pub fn amount(d: Decimal) -> String {
    if d.abs() >= Decimal::from(WAN_FROM) {
        format!("{}万", grouped(d / Decimal::from(10_000), 2))
    } else {
        grouped(d, 2)
    }
}

/// A change in yuan, signed: `+1,234.00`, `-12.35万`, `0.00`.
pub fn signed_amount(d: Decimal) -> String {
    let a = amount(d);
    if d > Decimal::ZERO && a != "0.00" {
        format!("+{a}")
    } else {
        a
    }
}

/// A share (0.2623 is 26.2%).
pub fn share(s: Decimal) -> String {
    s.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| "—".into(), |p| format!("{}%", grouped(p, 1)))
}

/// `d` in percent of the size of `base`, signed, one decimal; `—` for a zero base.
pub fn pct_change(d: Decimal, base: Decimal) -> String {
    if d.is_zero() {
        return "0.0%".into();
    }
    if base.is_zero() {
        return "—".into();
    }
    d.checked_div(base.abs())
        .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
        .map_or_else(|| "—".into(), |r| signed_one_decimal(r, "%"))
}

/// A change of a share in percentage points, one decimal.
pub fn pp_change(d: Decimal) -> String {
    d.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| "—".into(), |p| signed_one_decimal(p, " pp"))
}

/// `v` to one decimal with `unit`, `+` before a rise that does not round to 0.0.
fn signed_one_decimal(v: Decimal, unit: &str) -> String {
    let t = grouped(v, 1);
    if v > Decimal::ZERO && t != "0.0" {
        format!("+{t}{unit}")
    } else {
        format!("{t}{unit}")
    }
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    grouped(Decimal::from(n), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn rounds_half_away_and_groups() {
        assert_eq!(grouped(d("1234567.885"), 2), "1,234,567.89");
        assert_eq!(grouped(d("-1234567.885"), 2), "-1,234,567.89");
        assert_eq!(grouped(d("999.994"), 2), "999.99");
        assert_eq!(grouped(d("-0.004"), 2), "0.00");
        assert_eq!(grouped(d("100"), 0), "100");
        assert_eq!(grouped(d("1000"), 0), "1,000");
    }

    #[test]
    fn large_amounts_in_wan() {
        // 6,528,794.96 yuan ÷ 10,000 = 652.879496 → 652.88万
        assert_eq!(amount(d("6528794.96")), "652.88万");
        assert_eq!(amount(d("99999.99")), "99,999.99");
        assert_eq!(amount(d("100000")), "10.00万");
        assert_eq!(amount(d("-123456789.01")), "-12,345.68万");
        assert_eq!(signed_amount(d("150000")), "+15.00万");
        assert_eq!(signed_amount(d("0.001")), "0.00");
    }

    #[test]
    fn percentages_one_decimal() {
        assert_eq!(share(d("0.26234")), "26.2%");
        assert_eq!(share(d("0.00049")), "0.0%");
        // 50 / 400 = 12.5%; -1 / 3 = -33.33…% → -33.3%
        assert_eq!(pct_change(d("50"), d("400")), "+12.5%");
        assert_eq!(pct_change(d("-1"), d("3")), "-33.3%");
        assert_eq!(pct_change(d("5"), d("0")), "—");
        assert_eq!(pp_change(d("-0.0125")), "-1.3 pp");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
