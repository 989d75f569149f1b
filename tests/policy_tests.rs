//! `yibao test`: every shipped policy has tests, they pass and exercise every
//! rule, settle block, table row and schedule segment; a wrong expectation
//! fails with a message that says what, where and why.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, stderr, stdout, yibao};

#[test]
fn every_shipped_policy_has_tests() {
    for e in std::fs::read_dir(root().join("policies")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "policy") {
            let t = yibao::policytest::test_file_of(&p);
            assert!(
                t.exists(),
                "{} has no tests: write {}",
                p.display(),
                t.display()
            );
        }
    }
}

#[test]
fn shipped_policy_tests_pass_with_full_coverage() {
    let o = yibao(&["test", "--min-coverage", "100"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(!out.contains("FAIL"), "{out}");
    assert!(!out.contains("not exercised"), "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
}

#[test]
fn a_wrong_expectation_fails_with_a_useful_message() {
    let o = yibao(&["test", "tests/fixtures/policytest/wrong.test.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for want in [
        "ok    right (1 check)",
        "FAIL  wrong claim and ledger figures (line 19)",
        "claim C1 (line 21): fund_paid expected 9600.00, got 9500.00 — paid by rule fund_paid/住院 (policies/r1.policy:73)",
        "claim C1 (line 21): patient_paid expected 800.00, got 700.00 — total_cost less every layer",
        "`bogus` is not a result of this policy; the results are fund_paid, serious_paid, patient_paid",
        "ledger institution H1 2025 (line 28): surplus expected 400.00, got 500.00 — set by settle block 年度清算 (policies/r1.policy:118)",
        "FAIL  a bad row (line 33)",
        "the claim at line 35 cannot be settled: institution_id `H9` is not in the institutions file",
        "not exercised:",
        "rule fund_paid/门诊统筹  @ line 90",
        "schedule 大病分段 segment 11.5万元 ..: 80%  @ line 59",
        "3 tests: 1 passed, 2 failed",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // Right figures are not reported: `retained` 450.00 is right.
    assert!(!out.contains("retained expected"), "{out}");
    // The coverage threshold alone fails a run.
    let o = yibao(&[
        "test",
        "policies/qingdao.test.toml",
        "--min-coverage",
        "100",
    ]);
    assert!(o.status.success(), "{}", stdout(&o));
    let o = yibao(&[
        "test",
        "tests/fixtures/policytest/wrong.test.toml",
        "--min-coverage",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_patient_amount_is_not_expected_of_an_institution() {
    // Before, ledger rows carried every declared amount, and this passed:
    // 二次补偿 read 0.00 on H1's row, a figure no block computes.
    let o = yibao(&["test", "tests/fixtures/policytest/patient-amount.test.toml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("ledger institution H1 2025 (line 19): `二次补偿` is set only by `per patient` blocks, so it is a patient ledger amount"),
        "{out}"
    );
}

#[test]
fn applied_says_whether_a_fee_applied_even_a_fee_of_zero() {
    // tests/fixtures/fee/applied.test.toml: claim Z's fee of 0.00 applies
    // (按病种 true, fund 0.00, borne 800.00), so the ledger counts 2 fee
    // cases, A and Z; `病种 > 0` would have counted 1 and paid Z at 50%.
    let o = yibao(&["test", "tests/fixtures/fee/applied.test.toml"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("(16 checks)") && out.contains("coverage 100%"),
        "{out}"
    );
}

#[test]
fn a_policy_without_tests_is_an_error() {
    let o = yibao(&["test", "tests/fixtures/fmt/messy.policy"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("messy.test.toml` does not exist"),
        "{}",
        stderr(&o)
    );
}

/// Control characters in a test's name or a claim's id are printed escaped:
/// the report shows what is there, and an escape sequence cannot clear or
/// recolour the terminal.
#[test]
fn control_characters_in_names_are_printed_escaped() {
    let dir = common::temp_dir("policytest-escapes");
    let file = dir.join("escapes.test.toml");
    let policy = root().join("policies/r1.policy");
    std::fs::write(
        &file,
        format!(
            r#"policy = "{}"

[[institution]]
institution_id = "H1"
level = 1
annual_budget = 10000

[[test]]
name = "clears\u001b[2Jthe screen"
[[test.claim]]
claim_id = "X\u0007"
insured_type = "employee"
institution_id = "H1"
visit_type = "inpatient"
discharge_date = 2025-03-10
total_cost = 10200
expect = {{ fund_paid = "1.00" }}

[[test]]
name = "a bad row"
[[test.claim]]
insured_type = "employee"
institution_id = "H\u0000"
visit_type = "inpatient"
discharge_date = 2025-03-10
total_cost = 100
"#,
            policy.display()
        ),
    )
    .unwrap();
    let o = yibao(&["test", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "FAIL  clears\\u{1b}[2Jthe screen (line 8)",
        // (10,200 − 200) × 95% = 9,500.00
        "claim X\\u{7} (line 10): fund_paid expected 1.00, got 9500.00",
        "institution_id `H\\u{0}` is not in the institutions file",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!o.stdout.iter().any(|&b| b < 0x20 && b != b'\n'), "{out:?}");
}
