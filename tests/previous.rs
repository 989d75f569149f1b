//! `previous(claim.x, fallback)`: a patient's three claims across a year
//! end, in one two-year run and in two one-year runs chained by a state file
//! (which must carry what `previous` reads of each patient's last claim).
//! Data: tests/fixtures/previous (README.md has the arithmetic).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, temp_dir, yibao};
use std::path::Path;

fn fixture(f: &str) -> String {
    let p = root().join("tests/fixtures/previous").join(f);
    p.to_str().unwrap().to_string()
}

fn run(out: &Path, extra: &[&str]) {
    let (policy, claims, insts) = (
        fixture("previous.policy"),
        fixture("claims.csv"),
        fixture("institutions.csv"),
    );
    let mut args = vec![
        "run",
        policy.as_str(),
        "--claims",
        claims.as_str(),
        "--institutions",
        insts.as_str(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = yibao(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
}

/// `(claim_id, fund_paid, 上次费用)` of every claim of claims.csv.
fn figures(out: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (id, paid, last) = (col("claim_id"), col("fund_paid"), col("上次费用"));
    lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (v[id].to_string(), v[paid].to_string(), v[last].to_string())
        })
        .collect()
}

fn t(id: &str, paid: &str, last: &str) -> (String, String, String) {
    (id.into(), paid.into(), last.into())
}

#[test]
fn three_claims_across_a_year_end() {
    let dir = temp_dir("previous-whole");
    run(&dir, &[]);
    assert_eq!(
        figures(&dir),
        vec![
            // P1's first claim: no previous, so 1900-01-01 and "": (3,000 − 800) × 80% = 1,760.00.
            t("C1", "1760.00", "0.00"),
            // Admitted 2024-12-20, 40 days after C1's discharge (11-10): (10,000 − 800) × 80% = 7,360.00.
            t("C2", "7360.00", "3000.00"),
            // Admitted 2025-01-05, 8 days after C2's 2024-12-28, same H1: 5,000 × 80% = 4,000.00.
            t("C3", "4000.00", "10000.00"),
            // P2's first claim: (1,800 − 800) × 80% = 800.00.
            t("C4", "800.00", "0.00"),
            // 2 days after C4 but at H1, not H2: a new admission, 800.00.
            t("C5", "800.00", "1800.00"),
            // P3's first claim: (1,000 − 800) × 80% = 160.00.
            t("C6", "160.00", "0.00"),
        ]
    );
}

#[test]
fn two_one_year_runs_give_the_figures_of_one_two_year_run() {
    let dir = temp_dir("previous-chain");
    let (whole, y24, y25) = (dir.join("whole"), dir.join("y24"), dir.join("y25"));
    let state = dir.join("state-2024.json");
    let state_s = state.to_str().unwrap();
    run(&whole, &[]);
    run(&y24, &["--year", "2024", "--state-out", state_s]);
    run(&y25, &["--year", "2025", "--state-in", state_s]);
    let of_2025 = |d: &Path| -> Vec<(String, String, String)> {
        figures(d)
            .into_iter()
            .filter(|c| ["C3", "C5", "C6"].contains(&c.0.as_str()))
            .collect()
    };
    // C3 reads C2 (2024-12-28, H1, 10,000.00) from the state: 4,000.00, as in one run.
    assert_eq!(of_2025(&y25), of_2025(&whole));
    assert_eq!(figures(&y25)[0], t("C3", "4000.00", "10000.00"));
    // The state holds only the fields `previous` reads, of each patient's last claim.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let p1 = &v["patients"][0];
    assert_eq!(p1["patient_id"], "P1");
    assert_eq!(p1["previous"]["discharge_date"], "2024-12-28");
    assert_eq!(p1["previous"]["institution_id"], "H1");
    assert_eq!(p1["previous"]["total_cost"], "10000.00");
    assert_eq!(p1["previous"].as_object().unwrap().len(), 3);
}

#[test]
fn explain_says_which_claim_previous_read() {
    let (policy, claims, insts) = (
        fixture("previous.policy"),
        fixture("claims.csv"),
        fixture("institutions.csv"),
    );
    let args = |id: &'static str| {
        let v: Vec<String> = vec![
            "explain".into(),
            policy.clone(),
            "--claims".into(),
            claims.clone(),
            "--institutions".into(),
            insts.clone(),
            "--claim".into(),
            id.into(),
        ];
        v
    };
    let a = args("C3");
    let o = yibao(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert!(
        out.contains("previous(claim.discharge_date, …) = 2024-12-28  · claim C2"),
        "{out}"
    );
    let a = args("C1");
    let o = yibao(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let out = common::stdout(&o);
    assert!(
        out.contains(
            "previous(claim.institution_id, …) = \"\"  · the patient's first claim: the fallback"
        ),
        "{out}"
    );
}
