//! The risk reserve carried across years, and `prior` of every kind of
//! ledger amount. Figures are worked by hand in the comments.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{stderr, temp_dir, yibao};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;

const HEADER: &str = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";

/// Writes a policy, claims (`id,institution,discharge,total_cost`) and
/// institution H1 (budget 1,000); runs it; returns the ledger's year rows.
fn run(name: &str, policy: &str, claims: &[&str], extra: &[&str]) -> Vec<BTreeMap<String, String>> {
    let (out, dir) = go(name, policy, claims, extra);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut r = csv::Reader::from_path(dir.join("out/ledger.csv")).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn go(name: &str, policy: &str, claims: &[&str], extra: &[&str]) -> (Output, PathBuf) {
    let dir = temp_dir(&format!("reserve-{name}"));
    let p: PathBuf = dir.join("p.policy");
    std::fs::write(&p, policy).unwrap();
    let mut c = format!("{HEADER}\n");
    for (i, row) in claims.iter().enumerate() {
        let f: Vec<&str> = row.split(',').collect();
        c.push_str(&format!(
            "{},P{i},resident,false,50,{},inpatient,{},{},{},0.00,0.00,A00,\n",
            f[0], f[1], f[2], f[2], f[3]
        ));
    }
    std::fs::write(dir.join("claims.csv"), c).unwrap();
    std::fs::write(
        dir.join("institutions.csv"),
        "institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled\nH1,医院,2,A,,1000.00,0.00,0\n",
    )
    .unwrap();
    let s = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let (p, cl, i, o) = (
        s("p.policy"),
        s("claims.csv"),
        s("institutions.csv"),
        s("out"),
    );
    let mut args = vec![
        "run",
        &p,
        "--claims",
        &cl,
        "--institutions",
        &i,
        "--out",
        &o,
    ];
    args.extend_from_slice(extra);
    (yibao(&args), dir)
}

fn year<'a>(rows: &'a [BTreeMap<String, String>], y: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["unit_id"] == "H1" && r["year"] == y)
        .unwrap_or_else(|| panic!("no row for {y}"))
}

/// A reserve, retention and `prior` of a declared, a computed and a carried
/// amount; `FROM` dates the block.
const POLICY: &str = r#"region "测试市" code "000001"
layer fund_paid "统筹基金" {
  rule 全部 {
    pay claim.total_cost * 50% round
  }
}
ledger 标记: money
ledger 上年标记: money
ledger 上年差额: money
ledger 上年风险金: money
settle 年终 per institution per year FROM {
  budget = institution.annual_budget
  routine_paid = sum(fund_paid)
  surplus = max(budget - routine_paid, 0)
  reserve = surplus * 10% round
  retained = surplus - reserve
  overspend = max(routine_paid - budget, 0)
  reserve_used = min(overspend, reserve_opening)
  institution_share = overspend - reserve_used
  标记 = routine_paid + 1元
  上年标记 = prior(标记, 999元)
  上年差额 = prior(clearing_balance, 7元)
  上年风险金 = prior(reserve_closing, 5元)
}
"#;

/// Before: `clearing_balance` and the reserve balances of a year were
/// computed only after every year had run, so `prior(clearing_balance, …)`
/// read 0; and no reserve was carried.
#[test]
fn prior_reads_declared_and_computed_amounts_and_the_reserve_carries() {
    let policy = POLICY.replace(" FROM", "");
    let rows = run(
        "carry",
        &policy,
        &[
            "C1,H1,2024-03-10,600.00",  // 2024: fund 300
            "C2,H1,2025-03-10,1000.00", // 2025: fund 500
            "C3,H1,2026-03-10,2200.00", // 2026: fund 1,100
        ],
        &[],
    );
    // 2024, the run's first year: every prior is its fallback.
    // surplus 1,000 − 300 = 700, reserve 70, retained 630 = clearing_balance;
    // 标记 300 + 1 = 301; reserve_closing 0 + 70 − 0 = 70.
    let y = year(&rows, "2024");
    assert_eq!(y["上年标记"], "999.00");
    assert_eq!(y["上年差额"], "7.00");
    assert_eq!(y["上年风险金"], "5.00");
    assert_eq!(y["reserve_opening"], "0.00");
    assert_eq!(y["clearing_balance"], "630.00");
    assert_eq!(y["reserve_closing"], "70.00");
    // 2025: the priors are 2024's: 301, 630, 70. surplus 500, reserve 50,
    // retained 450; reserve_opening 70, closing 70 + 50 = 120.
    let y = year(&rows, "2025");
    assert_eq!(y["上年标记"], "301.00");
    assert_eq!(y["上年差额"], "630.00");
    assert_eq!(y["上年风险金"], "70.00");
    assert_eq!(y["reserve_opening"], "70.00");
    assert_eq!(y["reserve_closing"], "120.00");
    // 2026: overspend 1,100 − 1,000 = 100 ≤ 120 carried in: reserve_used 100,
    // institution_share 0, clearing_balance 0; closing 120 − 100 = 20.
    let y = year(&rows, "2026");
    assert_eq!(y["上年差额"], "450.00");
    assert_eq!(y["reserve_opening"], "120.00");
    assert_eq!(y["overspend"], "100.00");
    assert_eq!(y["reserve_used"], "100.00");
    assert_eq!(y["institution_share"], "0.00");
    assert_eq!(y["clearing_balance"], "0.00");
    assert_eq!(y["reserve_closing"], "20.00");
}

/// The previous year in the run with a row of zeros gives 0, not the
/// fallback; a previous year not in the run gives the fallback.
#[test]
fn prior_of_a_zero_row_is_zero_and_of_no_row_the_fallback() {
    // In force from 2026 only: the 2025 row is all zeros (it has a claim,
    // but no block runs).
    let policy = POLICY.replace(" FROM", " from 2026-01-01");
    let claims = ["C1,H1,2025-03-10,600.00", "C2,H1,2026-03-10,400.00"];
    let rows = run("zero-row", &policy, &claims, &[]);
    let y = year(&rows, "2025");
    assert_eq!(y["标记"], "0.00");
    assert_eq!(y["clearing_balance"], "0.00");
    let y = year(&rows, "2026");
    assert_eq!(y["上年标记"], "0.00");
    assert_eq!(y["上年差额"], "0.00");
    assert_eq!(y["上年风险金"], "0.00");
    // fund 200: surplus 800, reserve 80, retained 720.
    assert_eq!(y["reserve_closing"], "80.00");
    // With 2026 alone, 2025 is not in the run: the fallbacks.
    let rows = run("no-row", &policy, &claims, &["--year", "2026"]);
    let y = year(&rows, "2026");
    assert_eq!(y["上年标记"], "999.00");
    assert_eq!(y["上年差额"], "7.00");
    assert_eq!(y["上年风险金"], "5.00");
    assert_eq!(y["reserve_opening"], "0.00");
}

/// Drawing more than was carried in fails the run, naming the identity.
#[test]
fn using_more_reserve_than_was_carried_in_fails_the_run() {
    let policy = POLICY
        .replace(" FROM", "")
        .replace("min(overspend, reserve_opening)", "overspend");
    let (out, _) = go("overdrawn", &policy, &["C1,H1,2026-03-10,2200.00"], &[]);
    // overspend 100, nothing carried in: reserve_used 100 > 0, closing −100.
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "institution H1 2026: reserve_used 100.00 is more than the reserve carried in (0)"
        ),
        "{err}"
    );
    assert!(
        err.contains("reserve_closing is negative (-100.00)"),
        "{err}"
    );
}
