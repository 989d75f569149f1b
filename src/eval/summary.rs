//! Sums over a settlement: overall, by visit type, and per institution per
//! month; and the reconciliation check that every yuan of cost is paid by a
//! layer or by the patient.

use super::Settlement;
use crate::data::Claims;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub claims: u64,
    pub total_cost: Decimal,
    /// Per layer, in policy order.
    pub layers: Vec<Decimal>,
    pub patient_paid: Decimal,
}

impl Totals {
    fn new(n_layers: usize) -> Totals {
        Totals {
            layers: vec![Decimal::ZERO; n_layers],
            ..Totals::default()
        }
    }

    fn add(&mut self, total: Decimal, row: &[Decimal]) -> Option<()> {
        self.claims += 1;
        self.total_cost = self.total_cost.checked_add(total)?;
        for (acc, v) in self.layers.iter_mut().zip(row) {
            *acc = acc.checked_add(*v)?;
        }
        self.patient_paid = self
            .patient_paid
            .checked_add(*row.get(self.layers.len())?)?;
        Some(())
    }

    /// total_cost = Σ layers + patient_paid, exactly.
    pub fn reconciles(&self) -> bool {
        let paid = self
            .layers
            .iter()
            .try_fold(self.patient_paid, |a, v| a.checked_add(*v));
        paid == Some(self.total_cost)
    }
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub all: Totals,
    /// Indexed by visit-type code.
    pub by_visit: Vec<Totals>,
    /// Keyed by (institution index, year, month).
    pub by_institution_month: BTreeMap<(u32, i32, u32), Totals>,
}

impl Summary {
    pub fn build(claims: &Claims, s: &Settlement) -> Result<Summary, String> {
        let n = s.n_layers;
        let mut all = Totals::new(n);
        let mut by_visit = vec![Totals::new(n); crate::schema::EnumKind::VisitType.count()];
        let mut by_inst: BTreeMap<(u32, i32, u32), Totals> = BTreeMap::new();
        let overflow = || "the totals are too large to add up".to_string();
        for (k, &ci) in s.order.iter().enumerate() {
            let c = &claims.rows[ci as usize];
            let row = s.row(k);
            all.add(c.total_cost, row).ok_or_else(overflow)?;
            if let Some(t) = by_visit.get_mut(c.visit_type as usize) {
                t.add(c.total_cost, row).ok_or_else(overflow)?;
            }
            let (y, m, _) = c.discharge.ymd();
            by_inst
                .entry((c.institution, y, m))
                .or_insert_with(|| Totals::new(n))
                .add(c.total_cost, row)
                .ok_or_else(overflow)?;
        }
        Ok(Summary {
            all,
            by_visit,
            by_institution_month: by_inst,
        })
    }

    /// Every claim reconciles and so do the sums.
    pub fn check_invariant(claims: &Claims, s: &Settlement) -> Result<(), String> {
        for (k, &ci) in s.order.iter().enumerate() {
            let c = &claims.rows[ci as usize];
            let row = s.row(k);
            let paid = row[..=s.n_layers]
                .iter()
                .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v));
            if paid != Some(c.total_cost) {
                return Err(format!(
                    "claim `{}`: total_cost {} ≠ layers + patient_paid {}",
                    claims.text(c.id),
                    c.total_cost,
                    paid.map_or("(overflow)".into(), |p| p.to_string())
                ));
            }
        }
        Ok(())
    }
}
