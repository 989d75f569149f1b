//! R1 results checked against figures computed by hand
//! (`tests/fixtures/hand/r1/README.md` shows the arithmetic) and, on the
//! whole example data set, against an independent implementation
//! (`tests/reference/r1.py`, whose output is committed).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{expected_rows, result_rows, root, temp_dir, yibao};

fn run_r1(claims: &str, institutions: &str, out: &str, threads: &str) -> std::path::PathBuf {
    let dir = temp_dir(out);
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims,
        "--institutions",
        institutions,
        "--out",
        dir.to_str().unwrap_or_default(),
        "--threads",
        threads,
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    dir.join("claims.csv")
}

#[test]
fn r1_matches_hand_computed_claims() {
    let got = result_rows(&run_r1(
        "tests/fixtures/hand/r1/claims.csv",
        "tests/fixtures/hand/r1/institutions.csv",
        "hand-r1",
        "1",
    ));
    let want = expected_rows(&root().join("tests/fixtures/hand/r1/expected.csv"));
    assert_eq!(want.len(), 16);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g, w,
            "claim {} (see tests/fixtures/hand/r1/README.md)",
            w[0]
        );
    }
    assert_eq!(got.len(), want.len());
}

#[test]
fn r1_matches_the_independent_reference_on_the_example_data() {
    let want = expected_rows(&root().join("tests/fixtures/reference/r1-examples.csv"));
    for threads in ["1", "2", "3"] {
        let got = result_rows(&run_r1(
            "examples/claims.csv",
            "examples/institutions.csv",
            &format!("ref-r1-{threads}"),
            threads,
        ));
        assert_eq!(got.len(), want.len());
        let differ: Vec<_> = got
            .iter()
            .zip(&want)
            .filter(|(g, w)| g != w)
            .take(5)
            .collect();
        assert!(differ.is_empty(), "threads {threads}: {differ:?}");
    }
}

#[test]
fn output_bytes_do_not_depend_on_threads_or_row_order() {
    let a = run_r1(
        "examples/claims.csv",
        "examples/institutions.csv",
        "order-a",
        "1",
    );
    let b = run_r1(
        "examples/claims.csv",
        "examples/institutions.csv",
        "order-b",
        "2",
    );
    // The same rows, reversed.
    let text = std::fs::read_to_string(root().join("examples/claims.csv")).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let dir = temp_dir("order-rev-in");
    let reversed = dir.join("claims.csv");
    std::fs::write(&reversed, lines.join("\n") + "\n").expect("write");
    let c = run_r1(
        reversed.to_str().unwrap_or_default(),
        "examples/institutions.csv",
        "order-c",
        "2",
    );
    let read = |p: &std::path::Path| std::fs::read(p).expect("read results");
    assert_eq!(read(&a), read(&b));
    assert_eq!(read(&a), read(&c));
}

/// R1's per-institution year clearing (surplus, 10% reserve, retained, 5%
/// overspend share) against the independent reference, on budgets set around
/// the example actuals: overspent beyond the 5% share (H001, H006), within it
/// (H002, H005: 0.007 yuan under the limit), exactly at budget (H003: surplus
/// 0.00) and under budget (the rest).
#[test]
fn r1_institution_clearing_matches_the_reference() {
    let dir = temp_dir("r1-clearing");
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        "examples/claims.csv",
        "--institutions",
        "tests/fixtures/reference/r1-institutions-tight.csv",
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let got = common::csv_rows(&dir.join("ledger.csv"));
    let want = expected_rows(&root().join("tests/fixtures/reference/r1-tight-institutions.csv"));
    assert_eq!(got.len(), 12);
    assert_eq!(got.len(), want.len());
    let header: Vec<String> = csv::Reader::from_path(dir.join("ledger.csv"))
        .expect("ledger")
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no ledger column `{name}`"))
    };
    let picked = [
        "unit_id",
        "claims",
        "total_cost",
        "routine_paid",
        "surplus",
        "reserve",
        "retained",
        "overspend",
        "fund_share",
        "institution_share",
    ]
    .map(col);
    for (g, w) in got.iter().zip(&want) {
        let mine: Vec<String> = picked.iter().map(|&i| g[i].clone()).collect();
        assert_eq!(&mine, w, "institution {}", w[0]);
    }
}
