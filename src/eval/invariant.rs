//! The ledger invariant: the identities every year row must keep, and the
//! computed `clearing_balance`.

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

/// The ledger invariant of a year row; returns what is broken.
///
/// Cash paid over the year is `prepaid + routine_paid − withheld +
/// clearing_balance`; it must equal what the rules entitle the institution
/// to: `routine_paid − withheld + withhold_returned + retained −
/// institution_share − deductions` (the prepayment comes back in full, and
/// the fund's share of an overspend was already paid in routine payments).
/// Besides: amounts are not negative (except the balance); a year has a
/// surplus or an overspend, not both; reserve + retained ≤ surplus;
/// fund_share + institution_share = overspend; withhold_returned ≤ withheld;
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
    let shared = sum(&[(L::FUND_SHARE, true), (L::INSTITUTION_SHARE, true)]);
    if shared != Some(v(L::OVERSPEND)) {
        out.push(format!(
            "fund_share {} + institution_share {} is not the overspend {}",
            v(L::FUND_SHARE),
            v(L::INSTITUTION_SHARE),
            v(L::OVERSPEND)
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
    if (kept.is_none() || shared.is_none()) && !out.contains(&too_large()) {
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
        row[L::CLEARING_BALANCE as usize] = clearing_balance(&row).unwrap();
        assert_eq!(row[L::CLEARING_BALANCE as usize], d("143.60"));
        assert_eq!(check_row(&row, None), Vec::<String>::new());
        row[L::RETAINED as usize] = d("150.00");
        assert_eq!(
            check_row(&row, None).len(),
            2,
            "{:?}",
            check_row(&row, None)
        );
    }
}
