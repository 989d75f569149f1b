//! The ledger invariant: the identities every year row must keep, and the
//! computed `clearing_balance` and `reserve_closing`.

use crate::schema::ledger::{self as L, COLUMNS};
use rust_decimal::Decimal;

/// What the fund still owes (+) or claws back (−) at the year end: returned
/// withholds and retained surplus are paid, the institution's share of an
/// overspend and deductions are recovered, and so is the prepayment.
pub fn clearing_balance(row: &[Decimal]) -> Option<Decimal> {
    let v = |i: u16| row.get(i as usize).copied().unwrap_or_default();
    v(L::WITHHOLD_RETURNED)
        .checked_add(v(L::RETAINED))?
        .checked_sub(v(L::INSTITUTION_SHARE))?
        .checked_sub(v(L::DEDUCTIONS))?
        .checked_sub(v(L::PREPAID))
}

/// The risk reserve carried to the next year: `reserve_opening + reserve −
/// reserve_used` (the reserve is fund money earmarked for the unit).
pub fn reserve_closing(row: &[Decimal]) -> Option<Decimal> {
    let v = |i: u16| row.get(i as usize).copied().unwrap_or_default();
    v(L::RESERVE_OPENING)
        .checked_add(v(L::RESERVE))?
        .checked_sub(v(L::RESERVE_USED))
}

/// Sets a year row's computed amounts from the others; `None` on overflow.
pub fn set_computed(row: &mut [Decimal]) -> Option<()> {
    let balance = clearing_balance(row)?;
    let closing = reserve_closing(row)?;
    *row.get_mut(L::CLEARING_BALANCE as usize)? = balance;
    *row.get_mut(L::RESERVE_CLOSING as usize)? = closing;
    Some(())
}

/// The ledger invariant of a year row; returns what is broken.
///
/// Cash paid over the year is `prepaid + routine_paid − withheld +
/// clearing_balance`; it must equal what the rules entitle the institution
/// to: `routine_paid − withheld + withhold_returned + retained −
/// institution_share − deductions` (the prepayment comes back in full, and
/// the fund's share of an overspend was already paid in routine payments).
/// Besides: amounts are not negative (except the balance); a year has a
/// surplus or an overspend, not both; reserve + retained ≤ surplus;
/// fund_share + institution_share + reserve_used = overspend; reserve_used ≤
/// reserve_opening; reserve_closing = reserve_opening + reserve −
/// reserve_used (so never negative); withhold_returned ≤ withheld;
/// and the amounts paid monthly that year (`months`: the sums of the month
/// rows, and which columns) are the sums of the months.
pub fn check_row(row: &[Decimal], months: Option<(&[Decimal], &[u16])>) -> Vec<String> {
    let v = |i: u16| row.get(i as usize).copied().unwrap_or_default();
    let mut out = Vec::new();
    for (i, c) in COLUMNS.iter().enumerate() {
        let x = row.get(i).copied().unwrap_or_default();
        if i != L::CLEARING_BALANCE as usize && x < Decimal::ZERO {
            out.push(format!("{} is negative ({x})", c.0));
        }
    }
    if v(L::SURPLUS) > Decimal::ZERO && v(L::OVERSPEND) > Decimal::ZERO {
        out.push(format!(
            "both a surplus ({}) and an overspend ({})",
            v(L::SURPLUS),
            v(L::OVERSPEND)
        ));
    }
    // Sums of ledger amounts, checked: an overflow is reported, not a panic.
    let sum = |terms: &[(u16, bool)]| {
        terms.iter().try_fold(Decimal::ZERO, |acc, &(c, plus)| {
            if plus {
                acc.checked_add(v(c))
            } else {
                acc.checked_sub(v(c))
            }
        })
    };
    let too_large = || "the amounts are too large to check".to_string();
    let kept = sum(&[(L::RESERVE, true), (L::RETAINED, true)]);
    if kept.is_none_or(|k| k > v(L::SURPLUS)) {
        out.push(format!(
            "reserve {} + retained {} is more than the surplus {}",
            v(L::RESERVE),
            v(L::RETAINED),
            v(L::SURPLUS)
        ));
    }
    let shared = sum(&[
        (L::FUND_SHARE, true),
        (L::INSTITUTION_SHARE, true),
        (L::RESERVE_USED, true),
    ]);
    if shared.is_some_and(|s| s != v(L::OVERSPEND)) {
        out.push(format!(
            "fund_share {} + institution_share {} + reserve_used {} is not the overspend {}",
            v(L::FUND_SHARE),
            v(L::INSTITUTION_SHARE),
            v(L::RESERVE_USED),
            v(L::OVERSPEND)
        ));
    }
    if v(L::RESERVE_USED) > v(L::RESERVE_OPENING) {
        out.push(format!(
            "reserve_used {} is more than the reserve carried in ({})",
            v(L::RESERVE_USED),
            v(L::RESERVE_OPENING)
        ));
    }
    let closing = sum(&[
        (L::RESERVE_OPENING, true),
        (L::RESERVE, true),
        (L::RESERVE_USED, false),
    ]);
    if closing.is_some_and(|c| c != v(L::RESERVE_CLOSING)) {
        out.push(format!(
            "reserve_closing {} is not reserve_opening {} + reserve {} − reserve_used {}",
            v(L::RESERVE_CLOSING),
            v(L::RESERVE_OPENING),
            v(L::RESERVE),
            v(L::RESERVE_USED)
        ));
    }
    if v(L::WITHHOLD_RETURNED) > v(L::WITHHELD) {
        out.push(format!(
            "withhold_returned {} is more than was withheld ({})",
            v(L::WITHHOLD_RETURNED),
            v(L::WITHHELD)
        ));
    }
    if let Some((m, cols)) = months {
        for &col in cols {
            let sum = m.get(col as usize).copied().unwrap_or_default();
            if v(col) != sum {
                out.push(format!(
                    "{} of the year ({}) is not the sum of its months ({sum})",
                    COLUMNS[col as usize].0,
                    v(col)
                ));
            }
        }
    }
    let cash = sum(&[
        (L::PREPAID, true),
        (L::ROUTINE_PAID, true),
        (L::WITHHELD, false),
        (L::CLEARING_BALANCE, true),
    ]);
    let due = sum(&[
        (L::ROUTINE_PAID, true),
        (L::WITHHELD, false),
        (L::WITHHOLD_RETURNED, true),
        (L::RETAINED, true),
        (L::INSTITUTION_SHARE, false),
        (L::DEDUCTIONS, false),
    ]);
    match (cash, due) {
        (Some(cash), Some(due)) if cash != due => {
            out.push(format!(
                "paid over the year {cash} is not what is due {due}"
            ));
        }
        (None, _) | (_, None) => out.push(too_large()),
        _ => {}
    }
    if (kept.is_none() || shared.is_none() || closing.is_none()) && !out.contains(&too_large()) {
        out.push(too_large());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invariant_check_reports_amounts_too_large_to_add() {
        let mut row = vec![Decimal::ZERO; COLUMNS.len()];
        row[L::SURPLUS as usize] = Decimal::MAX;
        row[L::RESERVE as usize] = Decimal::MAX;
        row[L::RETAINED as usize] = Decimal::MAX;
        row[L::PREPAID as usize] = Decimal::MAX;
        row[L::ROUTINE_PAID as usize] = Decimal::MAX;
        let broken = check_row(&row, None);
        assert!(
            broken.contains(&"the amounts are too large to check".to_string()),
            "{broken:?}"
        );
    }

    #[test]
    fn a_consistent_row_holds() {
        let mut row = vec![Decimal::ZERO; COLUMNS.len()];
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // Budget 1000, routine 840.44: surplus 159.56, reserve 15.96, retained 143.60.
        row[L::BUDGET as usize] = d("1000");
        row[L::ROUTINE_PAID as usize] = d("840.44");
        row[L::SURPLUS as usize] = d("159.56");
        row[L::RESERVE as usize] = d("15.96");
        row[L::RETAINED as usize] = d("143.60");
        set_computed(&mut row).unwrap();
        assert_eq!(row[L::CLEARING_BALANCE as usize], d("143.60"));
        // Nothing carried in: the closing reserve is this year's 15.96.
        assert_eq!(row[L::RESERVE_CLOSING as usize], d("15.96"));
        assert_eq!(check_row(&row, None), Vec::<String>::new());
        row[L::RETAINED as usize] = d("150.00");
        assert_eq!(
            check_row(&row, None).len(),
            2,
            "{:?}",
            check_row(&row, None)
        );
    }

    #[test]
    fn a_reserve_absorbs_an_overspend_up_to_what_was_carried_in() {
        let mut row = vec![Decimal::ZERO; COLUMNS.len()];
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // Budget 1000, routine 1300: overspend 300; 200 carried in, all used;
        // the fund bears 60, the unit 40: 60 + 40 + 200 = 300.
        row[L::BUDGET as usize] = d("1000");
        row[L::ROUTINE_PAID as usize] = d("1300");
        row[L::OVERSPEND as usize] = d("300");
        row[L::RESERVE_OPENING as usize] = d("200");
        row[L::RESERVE_USED as usize] = d("200");
        row[L::FUND_SHARE as usize] = d("60");
        row[L::INSTITUTION_SHARE as usize] = d("40");
        set_computed(&mut row).unwrap();
        // clearing_balance = −institution_share = −40; closing 200 + 0 − 200 = 0.
        assert_eq!(row[L::CLEARING_BALANCE as usize], d("-40"));
        assert_eq!(row[L::RESERVE_CLOSING as usize], d("0"));
        assert_eq!(check_row(&row, None), Vec::<String>::new());
        // Using more than was carried in: 250 > 200, and the shares no longer add up.
        row[L::RESERVE_USED as usize] = d("250");
        row[L::INSTITUTION_SHARE as usize] = d("-10");
        set_computed(&mut row).unwrap();
        let broken = check_row(&row, None);
        assert!(
            broken
                .iter()
                .any(|p| p.contains("more than the reserve carried in")),
            "{broken:?}"
        );
        // closing 200 − 250 = −50 is negative; institution_share −10 too.
        assert!(
            broken
                .iter()
                .any(|p| p == "reserve_closing is negative (-50)"),
            "{broken:?}"
        );
        // A closing balance not computed from the others is reported.
        row[L::RESERVE_USED as usize] = d("200");
        row[L::INSTITUTION_SHARE as usize] = d("40");
        set_computed(&mut row).unwrap();
        row[L::RESERVE_CLOSING as usize] = d("1");
        assert_eq!(
            check_row(&row, None).len(),
            1,
            "{:?}",
            check_row(&row, None)
        );
    }
}
