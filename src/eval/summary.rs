//! Sums over a settlement: overall, by visit type, and per institution per
//! month; and the reconciliation check that every yuan of cost is paid by a
//! layer or by the patient, or borne by the institution (under a fee).
//!
//! The sums are kept while claims are settled, one [`Tally`] per thread, in
//! whole fen (every amount summed here is a whole number of fen: costs have at
//! most two decimals and payments are checked to be whole fen), and merged at
//! the end. Exact integer sums do not depend on the order they are added in,
//! so the merged totals are the same for any number of threads.

use super::Periods;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub claims: u64,
    pub total_cost: Decimal,
    /// Per layer, in policy order.
    pub layers: Vec<Decimal>,
    pub patient_paid: Decimal,
    /// total_cost − the fee, on claims a fee applies to (negative: a gain).
    pub institution_borne: Decimal,
}

impl Totals {
    /// total_cost = Σ layers + patient_paid + institution_borne, exactly.
    pub fn reconciles(&self) -> bool {
        let paid = self
            .layers
            .iter()
            .try_fold(self.patient_paid, |a, v| a.checked_add(*v))
            .and_then(|a| a.checked_add(self.institution_borne));
        paid == Some(self.total_cost)
    }
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub all: Totals,
    /// Indexed by visit-type code.
    pub by_visit: Vec<Totals>,
    /// Keyed by (institution index, year, month): every institution and
    /// every month of the run, with or without claims.
    pub by_institution_month: BTreeMap<(u32, i32, u32), Totals>,
}

/// Running sums in fen, per (institution, month, visit type) cell: the claim
/// count, total cost, each layer, patient_paid and institution_borne. Cells are `i64` (up to
/// 92 trillion yuan a cell, checked) to keep the table small enough to stay
/// in cache; sums over cells are `i128`.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    n_layers: usize,
    n_months: usize,
    n_visits: usize,
    cells: Vec<i64>,
}

/// A whole number of fen, or `None` for an amount with fractions of a fen.
pub fn fen(d: Decimal) -> Option<i128> {
    let scale = d.scale();
    if scale <= 2 {
        d.mantissa().checked_mul(10i128.pow(2 - scale))
    } else {
        let n = d.normalize();
        (n.scale() <= 2).then(|| n.mantissa() * 10i128.pow(2 - n.scale()))
    }
}

impl Tally {
    pub(crate) fn new(n_layers: usize, n_insts: usize, n_months: usize) -> Tally {
        let n_visits = crate::schema::EnumKind::VisitType.count();
        Tally {
            n_layers,
            n_months,
            n_visits,
            cells: vec![0; n_insts * n_months * n_visits * (n_layers + 4)],
        }
    }

    fn width(&self) -> usize {
        self.n_layers + 4
    }

    /// Adds one settled claim: its `row` holds the layers' payments then
    /// patient_paid and institution_borne. Fails if the claim does not
    /// reconcile: total_cost = Σ layers + patient_paid + institution_borne.
    pub(crate) fn add(
        &mut self,
        inst: u32,
        month: usize,
        visit: u8,
        total_cost_fen: i64,
        row: &[Decimal],
    ) -> Result<(), String> {
        let w = self.width();
        let cell = ((inst as usize * self.n_months + month) * self.n_visits + visit as usize) * w;
        let not_fen = |d: Decimal| format!("the amount {d} is not a whole number of fen");
        let too_large = |d: Decimal| format!("the amount {d} is too large to add up");
        let fen64 = |d: Decimal| -> Result<i64, String> {
            let f = fen(d).ok_or_else(|| not_fen(d))?;
            i64::try_from(f).map_err(|_| too_large(d))
        };
        let total = total_cost_fen;
        let mut paid: i64 = 0;
        let dst = self
            .cells
            .get_mut(cell..cell + w)
            .ok_or("a claim outside the summary's institutions and months")?;
        let overflow = || "the totals are too large to add up".to_string();
        dst[0] += 1;
        dst[1] = dst[1].checked_add(total).ok_or_else(overflow)?;
        for (d, v) in dst[2..].iter_mut().zip(&row[..self.n_layers + 2]) {
            let x = fen64(*v)?;
            *d = d.checked_add(x).ok_or_else(overflow)?;
            paid = paid.checked_add(x).ok_or_else(overflow)?;
        }
        if paid != total {
            return Err(format!(
                "total_cost {} ≠ layers + patient_paid + institution_borne {}",
                Decimal::new(total, 2),
                Decimal::try_from_i128_with_scale(i128::from(paid), 2)
                    .map_or_else(|_| "(overflow)".to_string(), |d| d.to_string())
            ));
        }
        Ok(())
    }

    pub(crate) fn merge(&mut self, other: &Tally) -> Result<(), String> {
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            *a = a
                .checked_add(*b)
                .ok_or("the totals are too large to add up")?;
        }
        Ok(())
    }

    /// The summary: every institution-month, and the sums over them.
    pub(crate) fn summary(&self, insts: usize, periods: &Periods) -> Result<Summary, String> {
        let w = self.width();
        let overflow = || "the totals are too large to add up".to_string();
        let dec = |x: i128| Decimal::try_from_i128_with_scale(x, 2).map_err(|_| overflow());
        let zero = vec![0i128; w];
        let add = |acc: &mut Vec<i128>, c: &[i64]| -> Result<(), String> {
            for (a, b) in acc.iter_mut().zip(c) {
                *a = a.checked_add(i128::from(*b)).ok_or_else(overflow)?;
            }
            Ok(())
        };
        let add_wide = |acc: &mut Vec<i128>, c: &[i128]| -> Result<(), String> {
            for (a, b) in acc.iter_mut().zip(c) {
                *a = a.checked_add(*b).ok_or_else(overflow)?;
            }
            Ok(())
        };
        let totals = |c: &[i128]| -> Result<Totals, String> {
            Ok(Totals {
                claims: u64::try_from(c[0]).map_err(|_| overflow())?,
                total_cost: dec(c[1])?,
                layers: c[2..2 + self.n_layers]
                    .iter()
                    .map(|&x| dec(x))
                    .collect::<Result<_, _>>()?,
                patient_paid: dec(c[2 + self.n_layers])?,
                institution_borne: dec(c[3 + self.n_layers])?,
            })
        };
        let mut all = zero.clone();
        let mut by_visit = vec![zero.clone(); self.n_visits];
        let mut by_institution_month = BTreeMap::new();
        for i in 0..insts {
            for (m, &(y, mo)) in periods.months.iter().enumerate() {
                let mut cell = zero.clone();
                for (v, by) in by_visit.iter_mut().enumerate() {
                    let at = ((i * self.n_months + m) * self.n_visits + v) * w;
                    let c = &self.cells[at..at + w];
                    add(&mut cell, c)?;
                    add(by, c)?;
                }
                add_wide(&mut all, &cell)?;
                by_institution_month.insert((i as u32, y, mo), totals(&cell)?);
            }
        }
        Ok(Summary {
            all: totals(&all)?,
            by_visit: by_visit
                .iter()
                .map(|c| totals(c))
                .collect::<Result<_, _>>()?,
            by_institution_month,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_of_amounts() {
        assert_eq!(fen(Decimal::new(12345, 2)), Some(12345));
        assert_eq!(fen(Decimal::new(5, 0)), Some(500));
        assert_eq!(fen(Decimal::new(1230, 3)), Some(123));
        assert_eq!(fen(Decimal::new(1234, 3)), None);
        assert_eq!(fen(Decimal::new(-7, 1)), Some(-70));
    }
}
