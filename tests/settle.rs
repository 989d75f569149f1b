//! Institution settlement of every policy that has fixture data in
//! `tests/fixtures/settle/<policy>/`: the ledger figures computed by hand in
//! that folder's README (`expected.csv`) must match, and the whole ledger is
//! pinned by a reviewed snapshot.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{csv_rows, root, temp_dir, yibao};
use std::path::Path;

/// Runs `policies/<name>.policy` on its fixture folder; returns the out dir
/// (one per test, `tag`, as tests run in parallel).
fn run(name: &str, dir: &Path, tag: &str) -> std::path::PathBuf {
    let out = temp_dir(&format!("settle-{tag}-{name}"));
    let rel = |f: &str| dir.join(f).to_str().unwrap_or_default().to_string();
    let policy = format!("policies/{name}.policy");
    let (claims, insts, assess, actions) = (
        rel("claims.csv"),
        rel("institutions.csv"),
        rel("assessments.csv"),
        rel("agreement_actions.csv"),
    );
    let mut args = vec![
        "run",
        policy.as_str(),
        "--claims",
        claims.as_str(),
        "--institutions",
        insts.as_str(),
        "--out",
        out.to_str().unwrap_or_default(),
    ];
    if dir.join("assessments.csv").exists() {
        args.extend(["--assessments", assess.as_str()]);
    }
    if dir.join("agreement_actions.csv").exists() {
        args.extend(["--agreements", actions.as_str()]);
    }
    let o = yibao(&args);
    assert!(o.status.success(), "{name}: {}", common::stderr(&o));
    out
}

#[test]
fn hand_computed_ledger_figures() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("tests/fixtures/settle")).expect("fixtures") {
        let dir = entry.expect("entry").path();
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let out = run(&name, &dir, "hand");
        let mut r = csv::Reader::from_path(out.join("ledger.csv")).expect("ledger");
        let header: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows = csv_rows(&out.join("ledger.csv"));
        for want in csv_rows(&dir.join("expected.csv")) {
            let (unit, year, col, value) = (&want[0], &want[1], &want[2], &want[3]);
            // `patient:ID`: a row of the patient ledger.
            if let Some(id) = unit.strip_prefix("patient:") {
                let path = out.join("patient_ledger.csv");
                let mut r = csv::Reader::from_path(&path).expect("patient ledger");
                let header: Vec<String> = r
                    .headers()
                    .expect("header")
                    .iter()
                    .map(String::from)
                    .collect();
                let c = header
                    .iter()
                    .position(|h| h == col)
                    .unwrap_or_else(|| panic!("{name}: no patient ledger column `{col}`"));
                let rows = csv_rows(&path);
                let row = rows
                    .iter()
                    .find(|r| r[0] == id && &r[1] == year)
                    .unwrap_or_else(|| panic!("{name}: no patient ledger row for {id} {year}"));
                assert_eq!(
                    &row[c], value,
                    "{name}: patient {id} {year} {col} (see tests/fixtures/settle/{name}/README.md)"
                );
                checked += 1;
                continue;
            }
            let c = header
                .iter()
                .position(|h| h == col)
                .unwrap_or_else(|| panic!("{name}: no ledger column `{col}`"));
            let row = rows
                .iter()
                .find(|r| &r[1] == unit && &r[2] == year)
                .unwrap_or_else(|| panic!("{name}: no ledger row for {unit} {year}"));
            assert_eq!(
                &row[c], value,
                "{name}: {unit} {year} {col} (see tests/fixtures/settle/{name}/README.md)"
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} figures checked");
}

#[test]
fn ledgers_of_shipped_policies() {
    insta::glob!("fixtures/settle/*/expected.csv", |path| {
        let dir = path.parent().expect("folder");
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("x");
        let out = run(name, dir, "snap");
        let mut doc = String::new();
        for f in [
            "claims.csv",
            "ledger.csv",
            "ledger_months.csv",
            "patient_ledger.csv",
        ] {
            if let Ok(text) = std::fs::read_to_string(out.join(f)) {
                doc.push_str(&format!("--- {f}\n{text}"));
            }
        }
        insta::assert_snapshot!(doc);
    });
}
