//! Exact sums, differences and products.
//!
//! `rust_decimal` keeps a 96-bit mantissa and at most 28 decimals, and its
//! `checked_add`/`checked_sub`/`checked_mul` *round* a result that needs more
//! (`1234567890123456.78 × 0.1234567890123456789012345678` has 30 decimals and
//! 35 digits) instead of failing. A payment computed from such a rounded
//! product, then rounded to the fen, can be a fen off. Here the result is
//! exact or an error: the policy language promises exact arithmetic except
//! for quotients (docs/language.md, "Exactness and whole fen").
//!
//! The common case costs one comparison: `rust_decimal` reduces a result's
//! scale exactly when it rounds, so a result at the operands' full scale
//! (`sa + sb` for a product, `max(sa, sb)` for a sum) is exact. Only a result
//! at a smaller scale is checked against the exact value, computed from the
//! mantissas in 320-bit integers: it may still be exact (trailing zeros
//! dropped) or have lost digits.

use rust_decimal::Decimal;

/// Why an exact result cannot be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inexact {
    /// Beyond the largest decimal (about 7.9 × 10²⁸ in magnitude).
    Overflow,
    /// In range, but the exact value has more digits than a decimal holds
    /// (more than 28 decimals, or a mantissa beyond 96 bits): it would be rounded.
    Rounded,
}

/// Whether rust_decimal's `r` from `a` and `b` is at the operands' full
/// scale (`full`: the larger of theirs for a sum or difference, their sum for
/// a product), and so not rounded; or an operand is zero, which rust_decimal
/// returns at another scale, exactly. The hot path's whole test: a result
/// that fails it is looked at again, exactly, by [`add`], [`sub`] or [`mul`].
#[inline(always)]
pub fn unrounded(r: &Decimal, full: u32, a: Decimal, b: Decimal) -> bool {
    r.scale() == full || a.is_zero() || b.is_zero()
}

/// `a + b`, exactly.
#[inline(always)]
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    let r = a.checked_add(b).ok_or(Inexact::Overflow)?;
    if r.scale() == a.scale().max(b.scale()) || a.is_zero() || b.is_zero() {
        return Ok(r);
    }
    check_sum(a, b, r)
}

/// Whether rust_decimal's sum `r` of `a` and `b` is the exact one (kept out
/// of line: the hot path is the comparison of scales above).
#[cold]
#[inline(never)]
fn check_sum(a: Decimal, b: Decimal, r: Decimal) -> Result<Decimal, Inexact> {
    check(r, exact_sum(a, b))
}

/// `a − b`, exactly. (Not `add(a, -b)`: rust_decimal's `0 + -0` is `-0`,
/// its `0 − 0` is `0`.)
#[inline(always)]
pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    let r = a.checked_sub(b).ok_or(Inexact::Overflow)?;
    if r.scale() == a.scale().max(b.scale()) || a.is_zero() || b.is_zero() {
        return Ok(r);
    }
    check_sum(a, -b, r)
}

/// `a × b`, exactly.
#[inline(always)]
pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, Inexact> {
    let r = a.checked_mul(b).ok_or(Inexact::Overflow)?;
    if r.scale() == a.scale() + b.scale() || a.is_zero() || b.is_zero() {
        return Ok(r);
    }
    check_product(a, b, r)
}

/// Whether rust_decimal's product `r` of `a` and `b` is the exact one (out of
/// line, as [`check_sum`]).
#[cold]
#[inline(never)]
fn check_product(a: Decimal, b: Decimal, r: Decimal) -> Result<Decimal, Inexact> {
    let product = Wide::of(magnitude(a))
        .mul_u128(magnitude(b))
        .ok_or(Inexact::Rounded)?;
    let negative = a.is_sign_negative() != b.is_sign_negative();
    check(r, Some((negative, product, a.scale() + b.scale())))
}

/// `r` if it is the exact value `(negative, magnitude, scale)`.
fn check(r: Decimal, exact: Option<(bool, Wide, u32)>) -> Result<Decimal, Inexact> {
    let (negative, m, scale) = exact.ok_or(Inexact::Rounded)?;
    let same_magnitude = same_value(Wide::of(magnitude(r)), r.scale(), m, scale);
    let same_sign = m.is_zero() || negative == r.is_sign_negative();
    if same_magnitude == Some(true) && same_sign {
        Ok(r)
    } else {
        Err(Inexact::Rounded)
    }
}

/// The exact `a + b` as sign, magnitude and scale.
fn exact_sum(a: Decimal, b: Decimal) -> Option<(bool, Wide, u32)> {
    let scale = a.scale().max(b.scale());
    let x = Wide::of(magnitude(a)).pow10(scale - a.scale())?;
    let y = Wide::of(magnitude(b)).pow10(scale - b.scale())?;
    let (na, nb) = (a.is_sign_negative(), b.is_sign_negative());
    Some(if na == nb {
        (na, x.add(y)?, scale)
    } else if x >= y {
        (na, x.sub(y), scale)
    } else {
        (nb, y.sub(x), scale)
    })
}

fn magnitude(d: Decimal) -> u128 {
    d.mantissa().unsigned_abs()
}

/// Whether `x × 10⁻ˢˣ = y × 10⁻ˢʸ`; `None` if scaling one up overflows 320 bits
/// (it cannot for the values compared here: 96 bits times 10⁵⁶ is 283 bits).
fn same_value(x: Wide, sx: u32, y: Wide, sy: u32) -> Option<bool> {
    Some(if sx >= sy {
        x == y.pow10(sx - sy)?
    } else {
        x.pow10(sy - sx)? == y
    })
}

/// An unsigned 320-bit integer, little-endian 64-bit limbs: room for the
/// product of two 96-bit mantissas scaled by 10⁵⁶, the most compared here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wide([u64; 5]);

impl Wide {
    fn of(m: u128) -> Wide {
        Wide([m as u64, (m >> 64) as u64, 0, 0, 0])
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }

    fn mul_u64(self, k: u64) -> Option<Wide> {
        let mut out = [0u64; 5];
        let mut carry = 0u128;
        for (o, &l) in out.iter_mut().zip(&self.0) {
            let t = u128::from(l) * u128::from(k) + carry;
            *o = t as u64;
            carry = t >> 64;
        }
        (carry == 0).then_some(Wide(out))
    }

    fn shl64(self) -> Option<Wide> {
        let [a, b, c, d, e] = self.0;
        (e == 0).then_some(Wide([0, a, b, c, d]))
    }

    fn mul_u128(self, k: u128) -> Option<Wide> {
        let lo = self.mul_u64(k as u64)?;
        let hi = self.mul_u64((k >> 64) as u64)?.shl64()?;
        lo.add(hi)
    }

    fn add(self, o: Wide) -> Option<Wide> {
        let mut out = [0u64; 5];
        let mut carry = false;
        for ((r, &a), &b) in out.iter_mut().zip(&self.0).zip(&o.0) {
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *r = s;
            carry = c1 || c2;
        }
        (!carry).then_some(Wide(out))
    }

    /// `self − o`, for `self ≥ o`.
    fn sub(self, o: Wide) -> Wide {
        let mut out = [0u64; 5];
        let mut borrow = false;
        for ((r, &a), &b) in out.iter_mut().zip(&self.0).zip(&o.0) {
            let (d, b1) = a.overflowing_sub(b);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            *r = d;
            borrow = b1 || b2;
        }
        Wide(out)
    }

    /// `self × 10ᵏ`.
    fn pow10(self, mut k: u32) -> Option<Wide> {
        let mut w = self;
        while k > 0 {
            let step = k.min(19);
            w = w.mul_u64(10u64.pow(step))?;
            k -= step;
        }
        Some(w)
    }
}

impl PartialOrd for Wide {
    fn partial_cmp(&self, other: &Wide) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Wide {
    fn cmp(&self, other: &Wide) -> std::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_product_with_more_than_28_decimals_is_not_rounded() {
        // 1234567890123456.78 × 0.1234567890123456789012345678: the mantissas'
        // product, with 1234567890123456789012345678 = 1234567890123456789 × 10⁹ + 12345678:
        //   123456789012345678 × 1234567890123456789 = 152415787532388366390794098763907942
        //   123456789012345678 × 12345678            =          1524157764060357765279684
        //   152415787532388366390794098763907942 × 10⁹ + 1524157764060357765279684
        //   = 152415787532388366392318256527968299765279684 (45 digits, 147 bits),
        // at scale 2 + 28 = 30: 152415787532388.366392318256527968299765279684. A decimal
        // holds 28 decimals and 96 bits (29 digits here), so rust_decimal rounds it to
        // 152415787532388.36639231825653 without a word.
        let a = d("1234567890123456.78");
        let b = d("0.1234567890123456789012345678");
        assert_eq!(a.checked_mul(b), Some(d("152415787532388.36639231825653")));
        assert_eq!(mul(a, b), Err(Inexact::Rounded));
        assert_eq!(mul(-a, b), Err(Inexact::Rounded));
        assert_eq!(mul(b, a), Err(Inexact::Rounded));
    }

    #[test]
    fn rounding_the_product_then_the_fen_is_a_fen_off() {
        // 1234567890123456.78 × 0.2002618943146936345243902441, with
        // 2002618943146936345243902441 = 2002618943146936345 × 10⁹ + 243902441:
        //   123456789012345678 × 2002618943146936345 = 247236904336218004969888587801866910
        //   123456789012345678 × 243902441           =         30111412198133089999999998
        //   sum (the first × 10⁹) = 247236904336218004999999999999999999999999998,
        // at scale 30: 247236904336218.004999999999999999999999999998, which rounds half up
        // to 247236904336218.00. rust_decimal first rounds it to 29 digits,
        // 247236904336218.00500000000000, which rounds half up to …218.01: a fen more.
        let a = d("1234567890123456.78");
        let b = d("0.2002618943146936345243902441");
        let rounded = a.checked_mul(b).unwrap();
        assert_eq!(rounded, d("247236904336218.005"));
        assert_eq!(
            rounded.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            d("247236904336218.01")
        );
        assert_eq!(mul(a, b), Err(Inexact::Rounded));
    }

    #[test]
    fn exact_products_pass_unchanged() {
        // 8888.88 × 0.9: 888888 × 9 = 7999992 at scale 2 + 1 = 3, 7999.992.
        let p = mul(d("8888.88"), d("0.9")).unwrap();
        assert_eq!((p, p.scale()), (d("7999.992"), 3));
        // 1234567890123456.78 × 0.5 = 617283945061728.390 (123456789012345678 × 5
        // = 617283945061728390, scale 3).
        assert_eq!(
            mul(d("1234567890123456.78"), d("0.5")),
            Ok(d("617283945061728.390"))
        );
        // 0.1000000000000000000000000000 (28 decimals, mantissa 10²⁷) × 0.10 (mantissa 10):
        // mantissa 10²⁸ at scale 30, = 0.01 exactly; rust_decimal drops two decimals that
        // are zeros, which loses nothing.
        let p = mul(d("0.1000000000000000000000000000"), d("0.10")).unwrap();
        assert_eq!(p, d("0.01"));
        assert!(p.scale() < 30);
        // Signs, and zeros (rust_decimal returns a zero at scale 0).
        assert_eq!(mul(d("-2.5"), d("4")), Ok(d("-10.0")));
        assert_eq!(mul(d("-2.5"), d("-4")), Ok(d("10.0")));
        assert_eq!(
            mul(d("0.00"), d("0.1234567890123456789012345678")),
            Ok(Decimal::ZERO)
        );
    }

    #[test]
    fn a_product_that_rounds_to_zero_is_refused() {
        // 10⁻¹⁵ × 10⁻¹⁵ = 10⁻³⁰: below the smallest decimal, 10⁻²⁸; rust_decimal gives 0.
        let tiny = d("0.000000000000001");
        assert_eq!(tiny.checked_mul(tiny), Some(Decimal::ZERO));
        assert_eq!(mul(tiny, tiny), Err(Inexact::Rounded));
    }

    #[test]
    fn overflow_stays_overflow() {
        // 9,999,999,999,999,999.99 × 10²⁰ ≈ 10³⁸, beyond 7.9 × 10²⁸.
        assert_eq!(
            mul(d("9999999999999999.99"), d("100000000000000000000")),
            Err(Inexact::Overflow)
        );
        assert_eq!(add(Decimal::MAX, Decimal::ONE), Err(Inexact::Overflow));
    }

    #[test]
    fn sums_that_would_drop_digits_are_refused() {
        // a = (2⁹⁶ − 1) at scale 1 = 7922816251426433759354395033.5, the largest mantissa.
        // a + 0.05 = 7922816251426433759354395033.55 needs scale 2 and the mantissa
        // 10 × (2⁹⁶ − 1) + 5, beyond 96 bits; so does …33.6 at scale 1 (mantissa 2⁹⁶), and
        // rust_decimal returns it rounded to a whole number, …34.
        let a = Decimal::from_i128_with_scale((1i128 << 96) - 1, 1);
        assert_eq!(
            a.checked_add(d("0.05")),
            Some(d("7922816251426433759354395034"))
        );
        assert_eq!(add(a, d("0.05")), Err(Inexact::Rounded));
        assert_eq!(sub(a, d("-0.05")), Err(Inexact::Rounded));
        assert_eq!(sub(-a, d("0.05")), Err(Inexact::Rounded));
        // a − 0.5 is exact at scale 1: mantissa (2⁹⁶ − 1) − 5 = 2⁹⁶ − 6.
        assert_eq!(
            sub(a, d("0.5")),
            Ok(Decimal::from_i128_with_scale((1i128 << 96) - 6, 1))
        );
        // Exact sums pass unchanged: 0.1 + 0.20 = 0.30; 5.00 − 5 = 0.00; 0 + a = a.
        assert_eq!(add(d("0.1"), d("0.20")), Ok(d("0.30")));
        let z = sub(d("5.00"), d("5")).unwrap();
        assert_eq!((z, z.scale()), (Decimal::ZERO, 2));
        // 0 − 0 is 0, not −0 (which explanations would print).
        assert_eq!(sub(Decimal::ZERO, Decimal::ZERO).unwrap().to_string(), "0");
        assert_eq!(add(Decimal::ZERO, a), Ok(a));
    }

    #[test]
    fn wide_arithmetic() {
        // (2¹²⁸ − 1)² = 2²⁵⁶ − 2¹²⁹ + 1: limbs 1, 0, 2⁶⁴ − 2 (bit 129 borrowed), 2⁶⁴ − 1, 0.
        let m = Wide::of(u128::MAX).mul_u128(u128::MAX).unwrap();
        assert_eq!(m.0, [1, 0, u64::MAX - 1, u64::MAX, 0]);
        // 10⁵⁶ × (2⁹⁶ − 1) fits (283 bits); 10⁹⁷ does not (323 bits).
        assert!(Wide::of((1u128 << 96) - 1).pow10(56).is_some());
        assert!(Wide::of(1).pow10(97).is_none());
        assert!(Wide::of(5) > Wide::of(4));
        assert!(Wide([0, 0, 1, 0, 0]) > Wide::of(u128::MAX));
        assert_eq!(Wide([0, 0, 1, 0, 0]).sub(Wide::of(1)), Wide::of(u128::MAX));
    }
}
