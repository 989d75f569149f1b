//! Two or more regions' contribution rules on the same persons: each
//! policy's yearly totals beside the baseline's (the first), and for each
//! person what they pay (employer + employee) and what their account is
//! credited over the run — who pays more, whose account gets more.

use crate::data::{Contributions, Persons};
use crate::eval::contrib::{ContribSink, MonthResult, RetirementResult, YearTotals};
use crate::eval::EvalError;
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

/// What a comparison keeps of one policy's settlement: each person's
/// months, contributions, account credits and lump sum (by person index),
/// not the months themselves — a province compares in the memory of its
/// persons.
#[derive(Debug, Default)]
pub struct PersonSums {
    pub months: Vec<u64>,
    pub contributed: Vec<Decimal>,
    pub to_account: Vec<Decimal>,
    pub lump_sum: Vec<Decimal>,
}

impl PersonSums {
    pub fn new(persons: usize) -> PersonSums {
        PersonSums {
            months: vec![0; persons],
            contributed: vec![Decimal::ZERO; persons],
            to_account: vec![Decimal::ZERO; persons],
            lump_sum: vec![Decimal::ZERO; persons],
        }
    }
}

impl ContribSink for PersonSums {
    fn month(&mut self, c: &Contributions, m: &MonthResult) -> Result<(), Box<EvalError>> {
        let Some(p) = c.rows.get(m.row as usize).map(|r| r.person as usize) else {
            return Ok(());
        };
        let overflow =
            || EvalError::internal("arithmetic overflow adding up a person's contributions");
        if let (Some(n), Some(paid), Some(acct)) = (
            self.months.get_mut(p),
            self.contributed.get_mut(p),
            self.to_account.get_mut(p),
        ) {
            *n += 1;
            *paid = paid.checked_add(m.contributed()).ok_or_else(overflow)?;
            *acct = acct.checked_add(m.to_account).ok_or_else(overflow)?;
        }
        Ok(())
    }

    fn retirement(&mut self, r: &RetirementResult) -> Result<(), Box<EvalError>> {
        if let Some(l) = self.lump_sum.get_mut(r.person as usize) {
            *l = r.lump_sum;
        }
        Ok(())
    }
}

/// Compares the same persons settled by each policy (the first the
/// baseline): `sums` and `totals` per policy, in order.
pub fn compare(
    labels: Vec<String>,
    persons: &Persons,
    sums: &[PersonSums],
    totals: Vec<Vec<YearTotals>>,
) -> ContribComparison {
    let n = sums.len();
    let mut sides: Vec<PersonSide> = Vec::new();
    for (i, p) in persons.rows.iter().enumerate() {
        let months = sums
            .first()
            .and_then(|s| s.months.get(i))
            .copied()
            .unwrap_or(0);
        if months == 0 {
            continue;
        }
        let col = |f: fn(&PersonSums) -> &Vec<Decimal>| -> Vec<Decimal> {
            sums.iter()
                .map(|s| f(s).get(i).copied().unwrap_or_default())
                .collect()
        };
        sides.push(PersonSide {
            person_id: persons.text(p.id).to_string(),
            months,
            contributed: col(|s| &s.contributed),
            to_account: col(|s| &s.to_account),
            lump_sum: col(|s| &s.lump_sum),
        });
    }
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
    ContribComparison {
        labels,
        totals,
        persons: sides,
        counts,
    }
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
