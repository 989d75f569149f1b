//! Parsing amounts and counts straight from CSV bytes, with the reason a
//! value is refused. No float is ever involved.

use rust_decimal::Decimal;

/// Yuan with at most two decimals, not negative: `123`, `123.4`, `123.45`.
pub fn parse_money(b: &[u8]) -> Result<Decimal, &'static str> {
    let b = trim(b);
    if b.is_empty() {
        return Err("empty");
    }
    if b[0] == b'-' {
        return if parse_money(&b[1..]).is_ok() {
            Err("negative")
        } else {
            Err("not a number")
        };
    }
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) || !frac.iter().all(u8::is_ascii_digit)
    {
        return Err(not_a_number(b));
    }
    if b.len() > int.len() && frac.is_empty() {
        return Err("not a number");
    }
    if frac.len() > 2 {
        return Err("more than 2 decimals");
    }
    if int.len() > 16 {
        return Err("too large");
    }
    let mut m: i64 = 0;
    for &c in int.iter().chain(frac) {
        m = m * 10 + i64::from(c - b'0');
    }
    Ok(Decimal::new(m, frac.len() as u32))
}

/// An amount with at most 2 decimals as whole fen, if it fits 64 bits.
pub fn to_fen(d: Decimal) -> Option<i64> {
    let scale = d.scale();
    if scale > 2 {
        return None;
    }
    let m = d.mantissa().checked_mul(10i128.pow(2 - scale))?;
    i64::try_from(m).ok()
}

/// Why text is not a number, naming the usual spreadsheet slips.
fn not_a_number(b: &[u8]) -> &'static str {
    let s = String::from_utf8_lossy(b);
    if s.chars().any(|c| ('０'..='９').contains(&c) || c == '．') {
        "not a number: full-width digits; write ASCII digits such as 1000.00"
    } else if s.contains(',') || s.contains('，') {
        "not a number: no thousands separators; write 1000.00"
    } else if s.contains(['e', 'E']) {
        "not a number: no exponents; write the amount out, such as 100000.00"
    } else if s.contains(['元', '¥', '￥']) {
        "not a number: write the amount alone, without a currency sign"
    } else {
        "not a number"
    }
}

/// A whole number such as an age or an enrolment count.
pub fn parse_count(b: &[u8]) -> Result<u32, &'static str> {
    let b = trim(b);
    if b.is_empty() {
        return Err("empty");
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return Err("not a whole number");
    }
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("too large")
}

/// A decimal that may be negative and have any number of places (extra columns, scores).
pub fn parse_decimal(b: &[u8]) -> Result<Decimal, &'static str> {
    let s = std::str::from_utf8(trim(b)).map_err(|_| "not a number")?;
    let ok = !s.is_empty()
        && s.trim_start_matches('-').split('.').count() <= 2
        && s.trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && !s.ends_with('.')
        && !s.trim_start_matches('-').starts_with('.');
    if !ok {
        return Err("not a number");
    }
    s.parse::<Decimal>().map_err(|_| "not a number")
}

pub fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money() {
        assert_eq!(parse_money(b"123.45"), Ok(Decimal::new(12345, 2)));
        assert_eq!(parse_money(b"0"), Ok(Decimal::ZERO));
        assert_eq!(parse_money(b" 7.5 "), Ok(Decimal::new(75, 1)));
        for bad in [
            &b"1.234"[..],
            b"1e5",
            b"NaN",
            b"1.23abc",
            b"",
            b".5",
            b"5.",
            "１２".as_bytes(),
            b"-1",
            b"1.2.3",
        ] {
            assert!(
                parse_money(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_money(b"-3.00"), Err("negative"));
        assert_eq!(parse_money(b"1.234"), Err("more than 2 decimals"));
    }

    #[test]
    fn counts_and_decimals() {
        assert_eq!(parse_count(b"65"), Ok(65));
        assert!(parse_count(b"6.5").is_err());
        assert_eq!(parse_decimal(b"-87.125"), Ok(Decimal::new(-87125, 3)));
        assert!(parse_decimal(b"1e3").is_err());
    }
}
