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
fn a_policy_without_tests_is_an_error() {
    let o = yibao(&["test", "tests/fixtures/fmt/messy.policy"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("messy.test.toml` does not exist"),
        "{}",
        stderr(&o)
    );
}
