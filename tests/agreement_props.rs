//! Properties of agreement management on random claims and random,
//! consistent actions under `policies/agreement.policy`, each recomputed
//! here from the claims and the actions rather than read from the engine:
//! - a claim discharged on or after its institution's termination is not
//!   paid by the fund (the patient pays the whole cost);
//! - each institution-month holds S − round(S × 5%), S the fund_paid of its
//!   claims discharged within a suspension;
//! - held money is conserved: per institution Σ held = Σ released + Σ
//!   forfeited + the year's held_closing, and per suspension held equals
//!   released plus forfeited plus carried; it is released in the month
//!   after the month the suspension ends, unless the termination comes first;
//! - a terminated institution gets no deposit back; two interviews or more
//!   halve it.
//!
//! 2,000 cases by default (`PROPTEST_CASES` for more).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code

mod common;

use proptest::prelude::*;
use rust_decimal::Decimal;
use yibao::data::{AgreementBook, Input};
use yibao::schema::ledger as L;

const INSTITUTIONS: &str = "\
institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled
H1,一,1,A,,0.00,0.00,0
H2,二,2,B,,0.00,0.00,0
H3,三,3,C,,0.00,0.00,0
";

/// A day of 2025, 0 = 01-01.
fn date(d: u16) -> yibao::date::Date {
    yibao::date::Date::from_ymd(2025, 1, 1)
        .unwrap()
        .add_days(i64::from(d))
        .unwrap()
}

#[derive(Debug, Clone)]
struct Actions {
    /// (first day, length in days, open-ended)
    suspension: Option<(u16, u16, bool)>,
    /// days after the suspension's start (or from 01-01 without one)
    termination: Option<u16>,
    interviews: Vec<u16>,
}

fn actions() -> impl Strategy<Value = Actions> {
    (
        proptest::option::of((0u16..330, 0u16..120, any::<bool>())),
        proptest::option::of(1u16..250),
        proptest::collection::vec(0u16..365, 0..4),
    )
        .prop_map(|(suspension, termination, interviews)| Actions {
            suspension,
            termination,
            interviews,
        })
}

fn cents(d: Decimal) -> i64 {
    i64::try_from((d * Decimal::ONE_HUNDRED).mantissa()).unwrap()
        / 10i64.pow((d * Decimal::ONE_HUNDRED).scale())
}

/// round(x × 5%) in fen, half away from zero (x ≥ 0).
fn five_percent(fen: i64) -> i64 {
    (fen * 5 + 50) / 100
}

fn case(claims: &[(u8, u16, bool, u64)], acts: &[Actions]) -> Result<(), TestCaseError> {
    let file =
        yibao::source::SourceFile::read(&common::root().join("policies/agreement.policy")).unwrap();
    let (prog, _) = yibao::compile(&file).unwrap();
    let mut insts = yibao::data::load_institutions_from(
        &Input::bytes("i.csv", INSTITUTIONS.as_bytes().to_vec()),
        &[],
    )
    .unwrap();
    // The actions file, and per institution what the test knows of it.
    let mut csv = String::from("institution_id,action,from,until,reason\n");
    let last_day = date(364);
    let mut known = Vec::new(); // (suspension (from, until), termination)
    for (i, a) in acts.iter().enumerate() {
        let id = format!("H{}", i + 1);
        let sus = a.suspension.map(|(s, len, open)| {
            let until = if open {
                None
            } else {
                Some(date((s + len).min(364)))
            };
            (date(s), until)
        });
        let term = match (a.termination, a.suspension) {
            (Some(t), Some((s, _, _))) => Some(date((s + t).min(364))).filter(|d| *d > date(s)),
            (Some(t), None) => Some(date(t)),
            _ => None,
        };
        if let Some((f, u)) = sus {
            let u = u.map_or(String::new(), |d| d.to_string());
            csv.push_str(&format!("{id},suspend,{f},{u},\n"));
        }
        if let Some(t) = term {
            csv.push_str(&format!("{id},terminate,{t},,\n"));
        }
        for d in &a.interviews {
            csv.push_str(&format!("{id},interview,{},{},\n", date(*d), date(*d)));
        }
        known.push((sus, term));
    }
    let actions = yibao::data::load_agreement_actions(
        &Input::bytes("a.csv", csv.clone().into_bytes()),
        &insts,
    )
    .map_err(|(e, rows)| TestCaseError::fail(format!("{e} {rows:?}\n{csv}")))?;
    insts.agreement = AgreementBook::new(&actions, insts.rows.len());
    // Claims: every month of 2025 is run (one claim on 01-01 and one on 12-31 at H1).
    let mut c = String::from("claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n");
    let mut all: Vec<(u8, u16, bool, u64)> = vec![(0, 0, true, 100_000), (0, 364, false, 5_000)];
    all.extend_from_slice(claims);
    for (k, (inst, d, inpatient, fen)) in all.iter().enumerate() {
        let day = date(*d);
        let visit = if *inpatient {
            "inpatient"
        } else {
            "outpatient_general"
        };
        c.push_str(&format!(
            "C{k},P{k},employee,false,50,H{},{visit},{day},{day},{}.{:02},0.00,0.00,,\n",
            inst + 1,
            fen / 100,
            fen % 100
        ));
    }
    let (claims, rejects) =
        yibao::data::load_claims_from(&Input::bytes("c.csv", c.into_bytes()), &insts, &[]).unwrap();
    prop_assert!(rejects.is_empty());
    let s = yibao::eval::settle(&prog, &claims, &insts, 1).unwrap();
    let ledger = yibao::eval::settle_institutions(&prog, &claims, &insts, &s, None)
        .map_err(|e| TestCaseError::fail(format!("{}\n{csv}", e.message)))?
        .unwrap();
    let _ = last_day;
    // Per institution and month: S, from the claims.
    let mut susp_sum = [[0i64; 12]; 3];
    let mut routine = [[0i64; 12]; 3];
    for (k, cl) in claims.rows.iter().enumerate() {
        let inst = cl.institution as usize;
        let (sus, term) = known[inst];
        let (_, m) = cl.discharge.year_month();
        let row = s.row(k);
        let fund = cents(row[0]);
        if term.is_some_and(|t| cl.discharge >= t) {
            prop_assert_eq!(fund, 0);
            prop_assert_eq!(
                row[s.shape.n_layers],
                cl.total_cost(),
                "patient pays it all"
            );
        }
        routine[inst][m as usize - 1] += fund;
        if sus.is_some_and(|(f, u)| f <= cl.discharge && u.is_none_or(|u| cl.discharge <= u)) {
            susp_sum[inst][m as usize - 1] += fund;
        }
    }
    for inst in 0..3 {
        let id = format!("H{}", inst + 1);
        let month = |m: u32| {
            ledger
                .months
                .iter()
                .find(|r| r.unit == id && r.month == m)
                .unwrap()
        };
        let v = |r: &yibao::eval::LedgerRow, c: u16| cents(r.values[c as usize]);
        let (sus, term) = known[inst];
        let release = sus.and_then(|(_, u)| u).map(|u| {
            let (y, m) = u.year_month();
            if m == 12 {
                (y + 1, 1)
            } else {
                (y, m + 1)
            }
        });
        let (mut held, mut released, mut forfeited) = (0, 0, 0);
        let mut balance = 0;
        for m in 1..=12u32 {
            let r = month(m);
            let s_ = susp_sum[inst][m as usize - 1];
            prop_assert_eq!(v(r, L::ROUTINE_PAID), routine[inst][m as usize - 1]);
            prop_assert_eq!(v(r, L::HELD), s_ - five_percent(s_), "{} {}", id, m);
            balance += v(r, L::HELD);
            let term_month = term.map(|t| t.year_month().1);
            if term_month == Some(m) {
                prop_assert_eq!(v(r, L::FORFEITED), balance);
                balance = 0;
            } else if term_month.is_none_or(|t| m < t) && release == Some((2025, m)) {
                prop_assert_eq!(v(r, L::RELEASED), balance);
                balance = 0;
            } else {
                prop_assert_eq!(v(r, L::RELEASED), 0);
                prop_assert_eq!(v(r, L::FORFEITED), 0);
            }
            prop_assert_eq!(v(r, L::HELD_CLOSING), balance);
            held += v(r, L::HELD);
            released += v(r, L::RELEASED);
            forfeited += v(r, L::FORFEITED);
        }
        let year = ledger.years.iter().find(|r| r.unit == id).unwrap();
        prop_assert_eq!(v(year, L::HELD), held);
        prop_assert_eq!(held, released + forfeited + v(year, L::HELD_CLOSING));
        let interviews = acts[inst].interviews.len();
        let withheld = v(year, L::WITHHELD);
        let returned = if term.is_some() {
            0
        } else if interviews >= 2 {
            (withheld * 50 + 50) / 100
        } else {
            withheld
        };
        prop_assert_eq!(v(year, L::WITHHOLD_RETURNED), returned);
        for o in ledger
            .agreements
            .iter()
            .filter(|o| o.institution as usize == inst)
        {
            if o.termination {
                // All it forfeited is what the suspensions lost to it.
                let lost: Decimal = ledger
                    .agreements
                    .iter()
                    .filter(|s| s.institution == o.institution && !s.termination)
                    .map(|s| s.forfeited)
                    .sum();
                prop_assert_eq!(o.forfeited, lost);
            } else {
                prop_assert_eq!(o.held, o.released + o.forfeited + o.carried);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
    ))]

    #[test]
    fn held_money_is_conserved_and_recomputes(
        claims in proptest::collection::vec((0u8..3, 0u16..365, any::<bool>(), 0u64..1_000_000), 0..40),
        acts in proptest::collection::vec(actions(), 3),
    ) {
        case(&claims, &acts)?;
    }
}
