//! Declared ledger amounts of type text, bool and date
//! (`tests/fixtures/typed/`, figures by hand in its README).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{csv_rows, root, stderr, temp_dir, yibao};

fn run(format: &str, tag: &str) -> std::path::PathBuf {
    let out = temp_dir(&format!("ledger-vals-{tag}"));
    let dir = root().join("tests/fixtures/typed");
    let p = |f: &str| dir.join(f).to_str().unwrap_or_default().to_string();
    let o = yibao(&[
        "run",
        &p("typed.policy"),
        "--claims",
        &p("claims.csv"),
        "--institutions",
        &p("institutions.csv"),
        "--out",
        out.to_str().unwrap_or_default(),
        "--format",
        format,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn cell(rows: &[Vec<String>], header: &[String], key: &[&str], col: &str) -> String {
    let c = header.iter().position(|h| h == col).expect(col);
    let r = rows
        .iter()
        .find(|r| key.iter().enumerate().all(|(i, k)| r[i + 1] == *k))
        .unwrap_or_else(|| panic!("no row {key:?}"));
    r[c].clone()
}

fn header(path: &std::path::Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    r.headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect()
}

#[test]
fn year_rows_hold_what_year_blocks_set() {
    let out = run("csv", "csv");
    let path = out.join("ledger.csv");
    let (h, rows) = (header(&path), csv_rows(&path));
    let at = |id: &str, col: &str| cell(&rows, &h, &[id, "2025"], col);
    // H1: 次均 (6000 + 8000) / 2 = 7000 > 5000.
    assert_eq!(at("H1", "达标"), "false");
    assert_eq!(at("H1", "档次"), "超标");
    assert_eq!(at("H1", "清算日"), "2025-12-31");
    // (7000 − 5000) × 2 claims = 4000.
    assert_eq!(at("H1", "超标扣款"), "4000.00");
    assert_eq!(at("H1", "deductions"), "4000.00");
    // H2: 次均 3000 ≤ 5000.
    assert_eq!(at("H2", "达标"), "true");
    assert_eq!(at("H2", "档次"), "达标");
    assert_eq!(at("H2", "超标扣款"), "0.00");
    // Set only in month blocks: a year row does not sum its months for a bool.
    assert_eq!(at("H1", "月高额"), "");
}

#[test]
fn month_rows_hold_defaults_and_absent_values() {
    let out = run("csv", "months");
    let path = out.join("ledger_months.csv");
    let (h, rows) = (header(&path), csv_rows(&path));
    let at = |id: &str, m: &str, col: &str| cell(&rows, &h, &[id, "2025", m], col);
    // March at H1: 6000 + 8000 = 14000 > 10000.
    assert_eq!(at("H1", "3", "月高额"), "true");
    assert_eq!(at("H1", "4", "月高额"), "false");
    // H2 in May: 3000 is not above 10000.
    assert_eq!(at("H2", "5", "月高额"), "false");
    // No month block sets these: the defaults, and empty for a date without one.
    assert_eq!(at("H1", "3", "达标"), "true");
    assert_eq!(at("H1", "3", "档次"), "无");
    assert_eq!(at("H1", "3", "清算日"), "");
}

#[test]
fn json_writes_bools_texts_dates_and_nulls() {
    let out = run("json", "json");
    let text = std::fs::read_to_string(out.join("ledger.json")).expect("json");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("parse");
    let h1 = rows.iter().find(|r| r["unit_id"] == "H1").expect("H1");
    assert_eq!(h1["达标"], serde_json::Value::Bool(false));
    assert_eq!(h1["档次"], "超标");
    assert_eq!(h1["清算日"], "2025-12-31");
    assert_eq!(h1["月高额"], serde_json::Value::Null);
}

#[test]
fn policy_tests_compare_them() {
    let p = root().join("tests/fixtures/typed/typed.policy");
    let o = yibao(&["test", p.to_str().unwrap_or_default()]);
    assert!(o.status.success(), "{}{}", common::stdout(&o), stderr(&o));
    assert!(common::stdout(&o).contains("coverage 100%"));
}

#[test]
fn the_fixture_is_formatted() {
    let p = root().join("tests/fixtures/typed/typed.policy");
    let o = yibao(&["fmt", "--check", p.to_str().unwrap_or_default()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn prior_reads_last_years_bool_text_and_date() {
    // tests/fixtures/typed/prior.test.toml, by hand: H1 over the line in 2025
    // and 2026 (12,000 and 15,000 > 10,000) is deducted 1,000.00 in 2026 only;
    // in 2025, the run's first year, prior gives the fallbacks (false, "无",
    // 2024-12-31). Before, `prior` of a text, bool or date was a check error.
    let o = yibao(&[
        "test",
        root()
            .join("tests/fixtures/typed/prior.test.toml")
            .to_str()
            .unwrap_or_default(),
    ]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("(22 checks)") && out.contains("coverage 100%"),
        "{out}"
    );
}
