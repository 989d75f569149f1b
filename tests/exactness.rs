//! Sums, differences and products of exact values are exact, or an error
//! naming the claim, the rule and the line — never a silent rounding; a
//! quotient carries 28 significant digits, and what is computed from it is
//! computed as a decimal can, until a `round` (docs/language.md, "Exactness
//! and whole fen").
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

/// Runs `policy` on one inpatient claim `BIG1` of `total_cost` (no self-pay).
fn run_one(name: &str, policy: &str, total_cost: &str) -> std::process::Output {
    let dir = common::temp_dir(&format!("exactness-{name}"));
    let path = dir.join(format!("{name}.policy"));
    std::fs::write(&path, policy).unwrap();
    let claims = dir.join(format!("{name}.csv"));
    std::fs::write(
        &claims,
        format!(
            "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n\
             BIG1,P1,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,{total_cost},0.00,0.00,J18,\n"
        ),
    )
    .unwrap();
    common::yibao(&[
        "run",
        path.to_str().unwrap(),
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
        "--format",
        "csv",
    ])
}

/// 1234567890123456.78 × 0.2002618943146936345243902441 is exactly
/// 247236904336218.004999999999999999999999999998 (the mantissas
/// 123456789012345678 × 2002618943146936345243902441 =
/// 247236904336218004999999999999999999999999998 at scale 2 + 28 = 30; worked
/// by hand in src/eval/exact.rs), which rounds to 247236904336218.00. Rounded
/// first to the 29 digits a decimal holds it is 247236904336218.00500000000000,
/// which rounds to …218.01: a fen more, which is what yibao used to pay.
const LONG_RATIO: &str = "0.2002618943146936345243902441";
const LARGE_COST: &str = "1234567890123456.78";

#[test]
fn an_inexact_product_is_an_error_naming_the_claim_and_the_rule_not_a_fen_off() {
    let o = run_one(
        "direct",
        &format!(
            "param 比例: ratio = {LONG_RATIO}\n\
             layer fund_paid {{\n  rule 按比例 {{\n    pay claim.total_cost * 比例 round\n  }}\n}}\n"
        ),
        LARGE_COST,
    );
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for want in [
        "error: arithmetic overflow: the exact product of 1234567890123456.78 and \
         0.2002618943146936345243902441 has more digits than a decimal holds",
        "claim `BIG1` (",
        "direct.csv:2)",
        "in rule `fund_paid/按比例`",
        "direct.policy:4:26: pay claim.total_cost * 比例 round",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    assert!(!common::stdout(&o).contains("247236904336218.01"));
}

#[test]
fn an_exact_value_kept_in_a_let_is_still_exact() {
    // `eligible` is a difference of two amounts from the data: exact, so its product with
    // the long ratio is held to exactness as the amount itself would be.
    let o = run_one(
        "let",
        &format!(
            "param 比例: ratio = {LONG_RATIO}\n\
             let eligible = claim.total_cost - claim.self_pay_cost\n\
             layer fund_paid {{\n  rule 按比例 {{\n    pay eligible * 比例 round\n  }}\n}}\n"
        ),
        LARGE_COST,
    );
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: arithmetic overflow: the exact product of 1234567890123456.78"),
        "{err}"
    );
    assert!(err.contains("in rule `fund_paid/按比例`"), "{err}");
}

#[test]
fn a_product_of_a_quotient_carries_28_digits_and_is_no_error() {
    // 100.00 / 3 = 33.333333333333333333333333333 (29 digits, what a decimal holds). Times
    // 0.9 exactly that would be 29.9999999999999999999999999997 (mantissa
    // 33333333333333333333333333333 × 9 = 299999999999999999999999999997, 30 digits, scale
    // 28: more than a decimal holds), so it is rounded to 30.000000000000000000000000000
    // like the quotient it comes from, and `round` makes it 30.00.
    let o = run_one(
        "quotient",
        "param 比例: ratio = 0.9\n\
         let 每份 = claim.total_cost / 3\n\
         layer fund_paid {\n  rule 三分之一 {\n    pay 每份 * 比例 round\n  }\n}\n",
        "100.00",
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    // The csv summary: visit_type, claims, total_cost, fund_paid, …, patient_paid.
    let out = common::stdout(&o);
    let inpatient = out.lines().find(|l| l.starts_with("inpatient,")).unwrap();
    assert!(inpatient.starts_with("inpatient,1,100.00,30.00,"), "{out}");
    // 100.00 − 30.00 = 70.00 left to the patient.
    assert!(inpatient.ends_with(",70.00"), "{out}");
}

#[test]
fn a_rounded_quotient_is_exact_again() {
    // (100.00 / 3) round = 33.33, an exact amount: its product with the long ratio is held
    // to exactness again. 3333 × 2002618943146936345243902441 has 31 digits at scale
    // 2 + 28 = 30, beyond what a decimal holds: an error.
    let o = run_one(
        "rounded",
        &format!(
            "param 比例: ratio = {LONG_RATIO}\n\
             let 每份 = claim.total_cost / 3 round\n\
             layer fund_paid {{\n  rule 三分之一 {{\n    pay 每份 * 比例 round\n  }}\n}}\n"
        ),
        "100.00",
    );
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the exact product of 33.33 and 0.2002618943146936345243902441"),
        "{err}"
    );
}

#[test]
fn an_accumulator_sum_that_would_round_is_an_error() {
    // 512.34567890123456789012345678% is 5.1234567890123456789012345678 (28 decimals, 29
    // digits). Twice that is 10.2469135780246913578024691356: 30 digits at scale 28, beyond
    // 96 bits (≈ 7.9 × 10²⁸), so the patient's second claim cannot add it exactly.
    let dir = common::temp_dir("exactness-acc");
    let policy = dir.join("acc.policy");
    std::fs::write(
        &policy,
        "param 系数: ratio = 512.34567890123456789012345678%\n\
         accumulator 累计: ratio per patient per year\n\
         layer fund_paid {\n  rule 记账 {\n    累计 += 系数\n    pay 0元\n  }\n}\n",
    )
    .unwrap();
    let claims = dir.join("acc.csv");
    std::fs::write(
        &claims,
        "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n\
         A1,P1,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,100.00,0.00,0.00,J18,\n\
         A2,P1,employee,false,50,H1,inpatient,2025-04-01,2025-04-05,100.00,0.00,0.00,J18,\n",
    )
    .unwrap();
    let o = common::yibao(&[
        "run",
        policy.to_str().unwrap(),
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
    ]);
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for want in [
        "error: arithmetic overflow: the exact sum of 5.1234567890123456789012345678 and \
         5.1234567890123456789012345678 has more digits than a decimal holds",
        "claim `A2` (",
        "in rule `fund_paid/记账`",
        "acc.policy:5:5: 累计 += 系数",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
}
