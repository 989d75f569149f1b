//! Comparing policies on the same claims: what each policy pays, by whom and
//! for whom, side by side with a baseline (the first policy).
//!
//! Each policy's settlement is reduced to an [`Outcome`] as soon as it is
//! settled — sums by group, per institution and per patient-year — so a
//! comparison holds a few numbers per patient and policy, not every claim's
//! results. All sums are exact: whole fen in `i128`/`i64` (every per-claim
//! amount is checked to be whole fen by the settle stage), ledger amounts in
//! `Decimal`, every addition checked. Sums are plain additions, so outcomes of
//! claims partitioned by patient can be merged.
//!
//! [`rules`] compares the policies' rules themselves.

pub mod contrib;
pub mod groups;
mod outcome;
pub mod rules;
mod winners;
pub use outcome::{Data, PatientYears};
pub use winners::{winners_losers, Tally, TallyLine};

use crate::data::{Claims, Institutions};
use crate::eval::{fen, Ledger, Settlement};
use crate::ir::{Program, UnitKind};
use crate::report::ResultColumns;
use crate::schema::ledger as L;
use crate::schema::EnumKind;
use rust_decimal::Decimal;

/// A comparison failed: an amount too large to add up, or the policies'
/// data disagree.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CompareError(pub String);

type R<T> = Result<T, CompareError>;

fn overflow() -> CompareError {
    CompareError("the totals are too large to add up".into())
}

fn add(a: &mut i128, b: i128) -> R<()> {
    *a = a.checked_add(b).ok_or_else(overflow)?;
    Ok(())
}

/// A whole number of fen, or an error naming the amount.
fn fen_of(d: Decimal) -> R<i128> {
    fen(d).ok_or_else(|| CompareError(format!("the amount {d} is not a whole number of fen")))
}

/// Money from whole fen. Every sum here is of per-claim amounts that fit
/// `i64` fen over fewer than 2^32 claims, so below 2^95: it always fits (and
/// i128 arithmetic on such sums cannot overflow).
pub fn yuan(fen: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(fen, 2).unwrap_or(Decimal::MAX)
}

/// Sums over a group of claims under one policy, in whole fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub claims: u64,
    pub total_cost: i128,
    pub self_pay: i128,
    /// The `fund_paid` layer (统筹基金).
    pub fund: i128,
    /// The `serious_paid` layer (大病保险).
    pub serious: i128,
    /// Every other layer.
    pub other: i128,
    pub patient: i128,
    /// `institution_borne`: total_cost − the fee, on claims a fee applies to.
    pub borne: i128,
}

impl Sums {
    fn add_claim(&mut self, c: &ClaimFen) -> R<()> {
        self.claims += 1;
        add(&mut self.total_cost, c.total_cost)?;
        add(&mut self.self_pay, c.self_pay)?;
        add(&mut self.fund, c.fund)?;
        add(&mut self.serious, c.serious)?;
        add(&mut self.other, c.other)?;
        add(&mut self.borne, c.borne)?;
        add(&mut self.patient, c.patient)
    }

    /// Adds another group's sums (for merging partitions).
    pub fn merge(&mut self, o: &Sums) -> R<()> {
        self.claims += o.claims;
        add(&mut self.total_cost, o.total_cost)?;
        add(&mut self.self_pay, o.self_pay)?;
        add(&mut self.fund, o.fund)?;
        add(&mut self.serious, o.serious)?;
        add(&mut self.other, o.other)?;
        add(&mut self.borne, o.borne)?;
        add(&mut self.patient, o.patient)
    }

    /// 合规费用: total cost − self-pay.
    pub fn eligible(&self) -> i128 {
        self.total_cost - self.self_pay
    }

    /// What the patient pays of the eligible cost: patient_paid − self-pay.
    pub fn patient_eligible(&self) -> i128 {
        self.patient - self.self_pay
    }

    /// The patient's share of the eligible cost, exact (`None` when nothing is eligible).
    pub fn patient_share(&self) -> Option<Decimal> {
        let e = self.eligible();
        (e != 0).then(|| yuan(self.patient_eligible()).checked_div(yuan(e)))?
    }

    /// Σ layers + patient_paid + institution_borne = total_cost, to the fen.
    pub fn reconciles(&self) -> bool {
        self.fund + self.serious + self.other + self.patient + self.borne == self.total_cost
    }
}

/// One claim's amounts in fen.
struct ClaimFen {
    total_cost: i128,
    self_pay: i128,
    fund: i128,
    serious: i128,
    other: i128,
    patient: i128,
    borne: i128,
}

/// The groups claims are broken down by, in output order.
pub const BREAKDOWNS: [EnumKind; 3] = [EnumKind::VisitType, EnumKind::Level, EnumKind::InsuredType];

/// The ledger of one unit kind, summed over its year rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTotals {
    pub kind: UnitKind,
    /// Unit-year rows summed.
    pub rows: u64,
    /// The standard columns ([`crate::schema::ledger::COLUMNS`]), summed.
    pub values: Vec<Decimal>,
    /// Unit-years with a surplus, and with an overspend.
    pub in_surplus: u64,
    pub in_overspend: u64,
}

/// What one policy does with the claims.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// How the comparison names the policy: the file stem, or a reform's name.
    pub label: String,
    pub path: String,
    pub region: Option<String>,
    pub code: Option<String>,
    /// The titles the policy gives its `fund_paid` and `serious_paid`
    /// layers (`layer fund_paid "基本医疗保险统筹基金"`), for the report.
    pub layer_titles: [Option<String>; 2],
    pub all: Sums,
    /// Per breakdown in [`BREAKDOWNS`] order, per value code.
    pub groups: Vec<Vec<Sums>>,
    /// Per age band of [`Data::age_bands`], and per ICD-10 chapter
    /// ([`groups::CHAPTERS`], then one for codes in none).
    pub age_groups: Vec<Sums>,
    pub chapter_groups: Vec<Sums>,
    /// Per DRG group of [`Data::drg_codes`] (empty unless indexed).
    pub drg_groups: Vec<Sums>,
    /// Each claim's fund, serious, other, patient_paid and institution_borne
    /// in fen, in settlement order, when [`Data::keep_claims`] (for the
    /// change tables' claims file); else empty.
    pub claim_amounts: Vec<[i64; 5]>,
    /// Per institution (by index): what the layers paid for its claims.
    pub inst_paid: Vec<i128>,
    /// Per institution: its own ledger rows' effect on what it is paid —
    /// retained − institution_share − deductions − withheld + withhold_returned
    /// (0 without institution settle blocks).
    pub inst_clearing: Vec<Decimal>,
    /// patient_paid per patient-year, in [`PatientYears`] order.
    pub patient_paid: Vec<i64>,
    /// The run's years, and per year and institution (`[year][institution]`)
    /// what the layers paid for its claims and its ledger row's effect (as
    /// `inst_paid` and `inst_clearing`, by year).
    pub years: Vec<i32>,
    pub inst_year_paid: Vec<i128>,
    pub inst_year_clearing: Vec<Decimal>,
    /// Per unit kind with ledger rows; empty without settle blocks.
    pub ledger: Vec<LedgerTotals>,
}

/// What an institution is paid under one policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstSide {
    /// What the layers paid on its claims.
    pub paid: Decimal,
    /// Its own ledger rows' effect: retained − institution_share − deductions
    /// − withheld + withhold_returned.
    pub clearing: Decimal,
    /// paid + clearing.
    pub net: Decimal,
}

/// An institution whose outcome changes under a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct InstChange {
    pub index: usize,
    pub id: String,
    pub name: String,
    pub level: u8,
    pub base: InstSide,
    pub policy: InstSide,
    /// policy − base, for paid, clearing and net.
    pub delta_paid: Decimal,
    pub delta_clearing: Decimal,
    pub delta: Decimal,
}

/// A patient-year whose out-of-pocket cost changes under a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientChange {
    pub patient_id: String,
    pub year: i32,
    pub claims: u32,
    /// patient_paid under the baseline and the policy.
    pub base: Decimal,
    pub policy: Decimal,
    pub delta: Decimal,
}

/// Upper bounds (yuan, exclusive) of the out-of-pocket bins; the last bin is open.
pub const OOP_BINS: [i64; 9] = [
    100, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
];

/// Several policies' outcomes on the same claims; the first is the baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub outcomes: Vec<Outcome>,
    pub claims_file: String,
    pub rows_read: u64,
    pub rejected: usize,
    /// (patient id, year, claims), the patient-years of the outcomes.
    pub patient_years: Vec<(String, i32, u32)>,
    /// Each patient-year's insured type (of its first claim), as a code.
    pub patient_year_insured: Vec<u8>,
    /// The age bands' lower bounds the outcomes are grouped by.
    pub age_bands: Vec<u32>,
    /// With kept claim amounts: each claim's (claim_id, patient index into
    /// `patient_years`' ids… as text, institution index, year), in
    /// settlement order.
    pub claim_keys: Vec<(String, String, u32, i32)>,
    /// The DRG groups of the outcomes' `drg_groups`.
    pub drg_codes: Vec<String>,
    /// (id, name, level code).
    pub institutions: Vec<(String, String, u8)>,
}

impl Comparison {
    pub fn new(
        outcomes: Vec<Outcome>,
        claims_file: &str,
        rejected: usize,
        data: &Data,
    ) -> Comparison {
        let (claims, insts, pys) = (data.claims, data.insts, &data.patient_years);
        Comparison {
            outcomes,
            claims_file: claims_file.to_string(),
            rows_read: claims.rows_read,
            rejected,
            patient_years: pys
                .keys
                .iter()
                .map(|&(p, y, n)| {
                    let id = claims
                        .patients
                        .get(p as usize)
                        .map_or("", |t| claims.text(*t));
                    (id.to_string(), y, n)
                })
                .collect(),
            institutions: insts
                .rows
                .iter()
                .map(|i| (i.id.clone(), i.name.clone(), i.level))
                .collect(),
            age_bands: data.age_bands.clone(),
            drg_codes: data.drg_codes.clone(),
            claim_keys: if data.keep_claims {
                claims
                    .rows
                    .iter()
                    .map(|c| {
                        let pid = claims
                            .patients
                            .get(c.patient as usize)
                            .map_or("", |t| claims.text(*t));
                        (
                            claims.text(c.id).to_string(),
                            pid.to_string(),
                            c.institution,
                            c.discharge.year(),
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            },
            patient_year_insured: pys.insured.clone(),
        }
    }

    pub fn baseline(&self) -> Option<&Outcome> {
        self.outcomes.first()
    }

    /// Every institution's outcome under policy `p` against the baseline, in
    /// institution order (unchanged ones included).
    pub fn institution_changes(&self, p: usize) -> Vec<InstChange> {
        let (Some(b), Some(o)) = (self.outcomes.first(), self.outcomes.get(p)) else {
            return vec![];
        };
        self.institutions
            .iter()
            .enumerate()
            .map(|(i, (id, name, level))| {
                // Amounts are sums of whole fen far inside Decimal's range;
                // saturating arithmetic keeps even absurd data panic-free.
                let side = |o: &Outcome| {
                    let paid = yuan(o.inst_paid.get(i).copied().unwrap_or(0));
                    let clearing = o.inst_clearing.get(i).copied().unwrap_or_default();
                    InstSide {
                        paid,
                        clearing,
                        net: paid.saturating_add(clearing),
                    }
                };
                let (base, policy) = (side(b), side(o));
                InstChange {
                    index: i,
                    id: id.clone(),
                    name: name.clone(),
                    level: *level,
                    base,
                    policy,
                    delta_paid: policy.paid.saturating_sub(base.paid),
                    delta_clearing: policy.clearing.saturating_sub(base.clearing),
                    delta: policy.net.saturating_sub(base.net),
                }
            })
            .collect()
    }

    /// The `n` institutions whose net outcome changes most (by size of the
    /// change, then id) under policy `p` against the baseline.
    pub fn top_institutions(&self, p: usize, n: usize) -> Vec<InstChange> {
        let mut all: Vec<InstChange> = self
            .institution_changes(p)
            .into_iter()
            .filter(|c| !c.delta.is_zero())
            .collect();
        all.sort_by(|x, y| {
            y.delta
                .abs()
                .cmp(&x.delta.abs())
                .then_with(|| x.id.as_bytes().cmp(y.id.as_bytes()))
        });
        all.truncate(n);
        all
    }

    /// The `n` patient-years whose out-of-pocket cost changes most under
    /// policy `p` against the baseline.
    pub fn top_patients(&self, p: usize, n: usize) -> Vec<PatientChange> {
        let (Some(b), Some(o)) = (self.outcomes.first(), self.outcomes.get(p)) else {
            return vec![];
        };
        let mut idx: Vec<(i64, usize)> = b
            .patient_paid
            .iter()
            .zip(&o.patient_paid)
            .enumerate()
            .map(|(i, (x, y))| (y.saturating_sub(*x), i))
            .filter(|(d, _)| *d != 0)
            .collect();
        let key = |&(d, i): &(i64, usize)| (std::cmp::Reverse(d.unsigned_abs()), i);
        if idx.len() > n {
            idx.select_nth_unstable_by_key(n, key);
            idx.truncate(n);
        }
        idx.sort_by_key(key);
        idx.into_iter()
            .map(|(d, i)| {
                let (id, year, claims) = &self.patient_years[i];
                PatientChange {
                    patient_id: id.clone(),
                    year: *year,
                    claims: *claims,
                    base: yuan(i128::from(b.patient_paid[i])),
                    policy: yuan(i128::from(o.patient_paid[i])),
                    delta: yuan(i128::from(d)),
                }
            })
            .collect()
    }

    /// Patient-years per out-of-pocket bin ([`OOP_BINS`]) under policy `p`.
    pub fn oop_histogram(&self, p: usize) -> Vec<u64> {
        let mut h = vec![0u64; OOP_BINS.len() + 1];
        if let Some(o) = self.outcomes.get(p) {
            for &v in &o.patient_paid {
                let bin = OOP_BINS.partition_point(|&b| v >= b * 100);
                h[bin] += 1;
            }
        }
        h
    }

    /// Out-of-pocket cost per patient-year at the given percentiles (nearest
    /// rank: the smallest value with at least p% of patient-years at or below it).
    pub fn oop_percentiles(&self, p: usize, pcts: &[u32]) -> Vec<Decimal> {
        let Some(o) = self.outcomes.get(p) else {
            return vec![];
        };
        let mut v = o.patient_paid.clone();
        v.sort_unstable();
        pcts.iter()
            .map(|&q| {
                if v.is_empty() {
                    return Decimal::ZERO;
                }
                let rank = (v.len() as u64 * u64::from(q)).div_ceil(100).max(1) as usize;
                yuan(i128::from(v[rank.min(v.len()) - 1]))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_and_reconcile() {
        let s = Sums {
            claims: 2,
            total_cost: 10_000,
            self_pay: 2_000,
            fund: 5_000,
            serious: 1_000,
            other: 0,
            patient: 4_000,
            borne: 0,
        };
        assert!(s.reconciles());
        assert_eq!(s.eligible(), 8_000);
        assert_eq!(s.patient_eligible(), 2_000);
        assert_eq!(s.patient_share(), Some(Decimal::new(25, 2)));
        assert_eq!(Sums::default().patient_share(), None);
        let mut t = s;
        t.merge(&s).unwrap();
        assert_eq!(t.claims, 4);
        assert_eq!(t.total_cost, 20_000);
        assert!(!Sums { patient: 1, ..s }.reconciles());
    }

    #[test]
    fn histogram_bins_and_percentiles() {
        let o = Outcome {
            label: "a".into(),
            path: String::new(),
            region: None,
            code: None,
            layer_titles: [None, None],
            all: Sums::default(),
            groups: vec![],
            age_groups: vec![],
            chapter_groups: vec![],
            claim_amounts: vec![],
            drg_groups: vec![],
            inst_paid: vec![],
            inst_clearing: vec![],
            years: vec![],
            inst_year_paid: vec![],
            inst_year_clearing: vec![],
            // 0, 99.99, 100.00, 250, 100000, 150000 yuan
            patient_paid: vec![0, 9_999, 10_000, 25_000, 10_000_000, 15_000_000],
            ledger: vec![],
        };
        let c = Comparison {
            outcomes: vec![o],
            claims_file: String::new(),
            rows_read: 6,
            rejected: 0,
            patient_years: vec![],
            patient_year_insured: vec![],
            age_bands: vec![],
            claim_keys: vec![],
            drg_codes: vec![],
            institutions: vec![],
        };
        // [0,100): 0 and 99.99; [100,500): 100 and 250; [100000, ∞): 100000 and 150000.
        assert_eq!(c.oop_histogram(0), vec![2, 2, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Nearest rank over 6 values: p50 → 3rd (100.00), p90 → 6th, p1 → 1st.
        assert_eq!(
            c.oop_percentiles(0, &[1, 50, 90]),
            vec![
                Decimal::ZERO,
                Decimal::new(10_000, 2),
                Decimal::new(15_000_000, 2)
            ]
        );
    }
}
