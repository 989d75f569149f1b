//! Calendar dates as day numbers, so that comparing and subtracting dates
//! on the per-claim path is integer arithmetic.

use std::fmt;

/// Days since 1970-01-01 (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(pub i32);

impl Date {
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || !(1..=9999).contains(&y) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m as i32 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(s: &[u8]) -> Option<Date> {
        if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
            return None;
        }
        let num = |r: &[u8]| -> Option<u32> {
            r.iter().try_fold(0u32, |acc, &b| {
                b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
            })
        };
        Date::from_ymd(num(&s[0..4])? as i32, num(&s[5..7])?, num(&s[8..10])?)
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    /// `YYYY-MM-DD` as bytes, without the formatting machinery (years 0–9999).
    pub fn iso_bytes(self) -> [u8; 10] {
        let (y, m, d) = self.ymd();
        let y = y.clamp(0, 9999) as u32;
        let digit = |n: u32| b'0' + (n % 10) as u8;
        [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ]
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// The year and month (1–12).
    pub fn year_month(self) -> (i32, u32) {
        let (y, m, _) = self.ymd();
        (y, m)
    }

    /// The last day of the month `m` of year `y` (`None` for a month out of range).
    pub fn month_end(y: i32, m: u32) -> Option<Date> {
        Date::from_ymd(y, m, days_in_month(y, m))
    }

    /// The day `n` days later (earlier when `n` is negative); `None` outside
    /// the years 1–9999.
    pub fn add_days(self, n: i64) -> Option<Date> {
        let d = i32::try_from(i64::from(self.0).checked_add(n)?).ok()?;
        let (lo, hi) = (Date::from_ymd(1, 1, 1)?, Date::from_ymd(9999, 12, 31)?);
        (lo.0..=hi.0).contains(&d).then_some(Date(d))
    }

    /// The same day `n` months later (earlier when `n` is negative), clamped
    /// at the month's end: 2025-01-31 + 1 month is 2025-02-28. `None`
    /// outside the years 1–9999.
    pub fn add_months(self, n: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let index = i64::from(y)
            .checked_mul(12)?
            .checked_add(i64::from(m) - 1)?
            .checked_add(n)?;
        let y = i32::try_from(index.div_euclid(12)).ok()?;
        let m = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        Date::from_ymd(y, m, d.min(days_in_month(y, m)))
    }

    /// The first day of the date's month.
    pub fn first_of_month(self) -> Date {
        let (_, _, d) = self.ymd();
        Date(self.0 - (d as i32 - 1))
    }

    /// The last day of the date's month.
    pub fn last_of_month(self) -> Date {
        let (y, m, d) = self.ymd();
        Date(self.0 + (days_in_month(y, m) as i32 - d as i32))
    }

    /// The next day, saturating at the end of the range.
    pub fn succ(self) -> Date {
        Date(self.0.saturating_add(1))
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_bytes_match_display() {
        for s in [
            "0001-01-01",
            "1969-12-31",
            "2024-02-29",
            "2025-10-09",
            "9999-12-31",
        ] {
            let d = Date::parse(s.as_bytes()).unwrap();
            assert_eq!(&d.iso_bytes(), s.as_bytes());
            assert_eq!(d.to_string(), s);
        }
    }

    fn d(s: &str) -> Date {
        Date::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn days_and_months_added_by_hand() {
        // A year end, a leap day, and back across a year.
        assert_eq!(d("2024-12-31").add_days(1), Some(d("2025-01-01")));
        assert_eq!(d("2024-02-28").add_days(1), Some(d("2024-02-29")));
        assert_eq!(d("2025-02-28").add_days(1), Some(d("2025-03-01")));
        assert_eq!(d("2025-01-10").add_days(-15), Some(d("2024-12-26")));
        // Months clamp at the month end; a leap year keeps 29 February.
        assert_eq!(d("2025-01-31").add_months(1), Some(d("2025-02-28")));
        assert_eq!(d("2024-01-31").add_months(1), Some(d("2024-02-29")));
        assert_eq!(d("2024-02-29").add_months(12), Some(d("2025-02-28")));
        assert_eq!(d("2024-03-31").add_months(-1), Some(d("2024-02-29")));
        assert_eq!(d("2024-11-30").add_months(2), Some(d("2025-01-30")));
        assert_eq!(d("2025-03-15").add_months(-15), Some(d("2023-12-15")));
        // Out of the range of years 1–9999: none, never a panic.
        assert_eq!(d("9999-12-31").add_days(1), None);
        assert_eq!(d("0001-01-01").add_days(-1), None);
        assert_eq!(d("9999-12-01").add_months(1), None);
        assert_eq!(d("2025-01-01").add_months(i64::MAX), None);
        assert_eq!(d("2025-01-01").add_days(i64::MIN), None);
        assert_eq!(d("2024-02-10").first_of_month(), d("2024-02-01"));
        assert_eq!(d("2024-02-10").last_of_month(), d("2024-02-29"));
        assert_eq!(d("2025-02-10").last_of_month(), d("2025-02-28"));
        assert_eq!(d("2025-12-31").last_of_month(), d("2025-12-31"));
    }

    proptest::proptest! {
        #[test]
        fn adding_days_then_subtracting_gives_them_back(day in 0i32..2_900_000, n in -100_000i64..100_000) {
            let a = Date(day - 700_000);
            if let Some(b) = a.add_days(n) {
                proptest::prop_assert_eq!(i64::from(b.0 - a.0), n);
            }
        }

        #[test]
        fn a_month_end_and_one_day_is_the_next_month_start(day in -700_000i32..2_900_000) {
            let a = Date(day);
            let end = a.last_of_month();
            if let (Some(next), Some(month_on)) = (end.add_days(1), a.first_of_month().add_months(1)) {
                proptest::prop_assert_eq!(next, month_on);
                proptest::prop_assert_eq!(next.first_of_month(), next);
                proptest::prop_assert_eq!(next.ymd().2, 1);
            }
        }
    }

    #[test]
    fn round_trips_and_validates() {
        assert_eq!(Date::parse(b"1970-01-01"), Some(Date(0)));
        assert_eq!(
            Date::parse(b"2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        assert_eq!(Date::parse(b"2025-02-29"), None);
        assert_eq!(Date::parse(b"2025-13-01"), None);
        assert_eq!(Date::parse(b"2025-1-01"), None);
        let a = Date::parse(b"2024-12-31").map(|d| d.0);
        let b = Date::parse(b"2025-01-01").map(|d| d.0);
        assert_eq!(b.zip(a).map(|(b, a)| b - a), Some(1));
        for day in -1000..100_000 {
            let (y, m, d) = Date(day).ymd();
            assert_eq!(Date::from_ymd(y, m, d), Some(Date(day)));
        }
    }
}
