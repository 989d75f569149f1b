//! Two or more regions' contribution rules on the same persons: each
//! policy's yearly totals beside the baseline's (the first), and for each
//! person what they pay (employer + employee) and what their account is
//! credited over the run — who pays more, whose account gets more.

use crate::data::{Contributions, Persons};
use crate::eval::contrib::{ContribSettlement, YearTotals};
use crate::report::Field;
use rust_decimal::Decimal;

/// One person under every policy: what they contributed (employer +
/// employee) and what their account was credited, over the run.
#[derive(Debug, Clone)]
pub struct PersonSide {
    pub person_id: String,
    pub months: u64,
    /// Per policy, in order.
    pub contributed: Vec<Decimal>,
    pub to_account: Vec<Decimal>,
    pub lump_sum: Vec<Decimal>,
}

/// How one policy's persons compare with the baseline's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub pay_more: u64,
    pub pay_less: u64,
    pub pay_same: u64,
    pub account_more: u64,
    pub account_less: u64,
    pub account_same: u64,
}

#[derive(Debug)]
pub struct ContribComparison {
    pub labels: Vec<String>,
    /// Per policy: the yearly totals.
    pub totals: Vec<Vec<YearTotals>>,
    pub persons: Vec<PersonSide>,
    /// Per policy after the baseline.
    pub counts: Vec<Counts>,
}

/// Compares settlements of the same persons and months (one per policy,
/// the first the baseline). Each settlement must have settled every month
/// (the caller refuses rejections).
pub fn compare(
    labels: Vec<String>,
    persons: &Persons,
    contribs: &Contributions,
    settled: &[ContribSettlement],
) -> Result<ContribComparison, String> {
    let n = settled.len();
    let mut sides: Vec<PersonSide> = persons
        .rows
        .iter()
        .map(|p| PersonSide {
            person_id: persons.text(p.id).to_string(),
            months: 0,
            contributed: vec![Decimal::ZERO; n],
            to_account: vec![Decimal::ZERO; n],
            lump_sum: vec![Decimal::ZERO; n],
        })
        .collect();
    let overflow = || "arithmetic overflow adding up a person's contributions".to_string();
    for (k, s) in settled.iter().enumerate() {
        for m in &s.months {
            let Some(row) = contribs.rows.get(m.row as usize) else {
                continue;
            };
            let Some(side) = sides.get_mut(row.person as usize) else {
                continue;
            };
            if k == 0 {
                side.months += 1;
            }
            side.contributed[k] = side.contributed[k]
                .checked_add(m.contributed())
                .ok_or_else(overflow)?;
            side.to_account[k] = side.to_account[k]
                .checked_add(m.to_account)
                .ok_or_else(overflow)?;
        }
        for r in &s.retirements {
            if let Some(side) = sides.get_mut(r.person as usize) {
                side.lump_sum[k] = r.lump_sum;
            }
        }
    }
    sides.retain(|s| s.months > 0);
    let counts = (1..n)
        .map(|k| {
            let mut c = Counts::default();
            for s in &sides {
                match s.contributed[k].cmp(&s.contributed[0]) {
                    std::cmp::Ordering::Greater => c.pay_more += 1,
                    std::cmp::Ordering::Less => c.pay_less += 1,
                    std::cmp::Ordering::Equal => c.pay_same += 1,
                }
                match s.to_account[k].cmp(&s.to_account[0]) {
                    std::cmp::Ordering::Greater => c.account_more += 1,
                    std::cmp::Ordering::Less => c.account_less += 1,
                    std::cmp::Ordering::Equal => c.account_same += 1,
                }
            }
            c
        })
        .collect();
    Ok(ContribComparison {
        labels,
        totals: settled.iter().map(|s| s.totals.clone()).collect(),
        persons: sides,
        counts,
    })
}

impl ContribComparison {
    /// The persons whose figure under policy `k` differs most from the
    /// baseline's (by size of the difference, then id), at most `top`.
    pub fn top_changes(&self, k: usize, top: usize, account: bool) -> Vec<&PersonSide> {
        let d = |s: &PersonSide| {
            let v = if account {
                &s.to_account
            } else {
                &s.contributed
            };
            // Both are sums of amounts that are never negative: no overflow.
            v[k].saturating_sub(v[0]).abs()
        };
        let mut v: Vec<&PersonSide> = self.persons.iter().filter(|s| !d(s).is_zero()).collect();
        v.sort_by(|a, b| d(b).cmp(&d(a)).then_with(|| a.person_id.cmp(&b.person_id)));
        v.truncate(top);
        v
    }

    /// The yearly totals, one row per year and policy, with the difference
    /// from the baseline: for tables and CSV.
    pub fn total_rows(&self) -> (Vec<String>, Vec<Vec<Field>>) {
        let header: Vec<String> = [
            "year",
            "policy",
            "months",
            "contributed",
            "Δ contributed",
            "to_pool",
            "to_account",
            "Δ to_account",
            "retiree_credits",
            "lump_sums",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut years: Vec<i32> = self.totals.iter().flatten().map(|t| t.year).collect();
        years.sort_unstable();
        years.dedup();
        let mut rows = Vec::new();
        let zero = YearTotals::default();
        for y in years {
            let of = |k: usize| self.totals[k].iter().find(|t| t.year == y).unwrap_or(&zero);
            let base = of(0);
            for (k, label) in self.labels.iter().enumerate() {
                let t = of(k);
                rows.push(vec![
                    Field::count(y),
                    label.as_str().into(),
                    Field::count(t.months),
                    Field::Money(t.contributed),
                    Field::Money(t.contributed.saturating_sub(base.contributed)),
                    Field::Money(t.to_pool),
                    Field::Money(t.to_account),
                    Field::Money(t.to_account.saturating_sub(base.to_account)),
                    Field::Money(t.retiree_credits),
                    Field::Money(t.lump_sums),
                ]);
            }
        }
        (header, rows)
    }
}
