//! Winners and losers: under each policy against the baseline, how many
//! patient-years pay less, more or the same (and how much less or more in
//! all), and how many institutions get more, less or the same net, over
//! all and by insured type (patient-years) or level (institutions).

use super::{yuan, Comparison};
use crate::schema::EnumKind;
use rust_decimal::Decimal;

/// Units better off, worse off and unchanged, and the amounts: `gained`
/// what the better off gain together (a patient pays less, an institution
/// gets more), `lost` what the worse off lose; both ≥ 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub better: u64,
    pub gained: Decimal,
    pub worse: u64,
    pub lost: Decimal,
    pub same: u64,
}

impl Tally {
    /// Adds a unit whose change is `gain` (> 0: better off).
    fn add(&mut self, gain: Decimal) {
        if gain > Decimal::ZERO {
            self.better += 1;
            self.gained = self.gained.saturating_add(gain);
        } else if gain < Decimal::ZERO {
            self.worse += 1;
            self.lost = self.lost.saturating_sub(gain);
        } else {
            self.same += 1;
        }
    }
}

/// One line: the unit (`patient_year` or `institution`), the breakdown
/// (`all`, `insured_type`, `level`) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyLine {
    pub unit: &'static str,
    pub breakdown: &'static str,
    pub value: String,
    pub tally: Tally,
}

/// The lines of policy `p` against the baseline.
pub fn winners_losers(c: &Comparison, p: usize) -> Vec<TallyLine> {
    let (Some(b), Some(o)) = (c.outcomes.first(), c.outcomes.get(p)) else {
        return Vec::new();
    };
    let kinds = [EnumKind::InsuredType, EnumKind::Level];
    let mut all_p = Tally::default();
    let mut by_type = vec![Tally::default(); kinds[0].count()];
    for (k, t) in c.patient_year_insured.iter().enumerate() {
        let before = b.patient_paid.get(k).copied().unwrap_or(0);
        let after = o.patient_paid.get(k).copied().unwrap_or(0);
        // Paying less is a gain.
        let gain = yuan(i128::from(before) - i128::from(after));
        all_p.add(gain);
        if let Some(x) = by_type.get_mut(*t as usize) {
            x.add(gain);
        }
    }
    let mut all_i = Tally::default();
    let mut by_level = vec![Tally::default(); kinds[1].count()];
    for (i, (_, _, level)) in c.institutions.iter().enumerate() {
        let net = |x: &super::Outcome| {
            yuan(x.inst_paid.get(i).copied().unwrap_or(0))
                .saturating_add(x.inst_clearing.get(i).copied().unwrap_or_default())
        };
        let gain = net(o).saturating_sub(net(b));
        all_i.add(gain);
        if let Some(x) = by_level.get_mut(*level as usize) {
            x.add(gain);
        }
    }
    // Each unit: its line over all, then one per value of its breakdown.
    let mut out = Vec::new();
    for (unit, kind, all, by) in [
        ("patient_year", kinds[0], all_p, by_type),
        ("institution", kinds[1], all_i, by_level),
    ] {
        out.push(TallyLine {
            unit,
            breakdown: "all",
            value: String::new(),
            tally: all,
        });
        out.extend(by.into_iter().enumerate().map(|(code, tally)| TallyLine {
            unit,
            breakdown: kind.field_name(),
            value: kind.name_of(code as u8).to_string(),
            tally,
        }));
    }
    out
}
