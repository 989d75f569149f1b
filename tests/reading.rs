//! Reading data files: nothing read is lost. Every row is settled or
//! rejected with its line and reason, and every physical line is a row, a
//! blank line or the header — a record never spans lines.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{stderr, temp_dir, yibao};
use std::path::Path;

const HEADER: &str = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";

/// An employee's inpatient claim at H1 (level 1 in the hand fixture), as a line.
fn claim(id: &str, patient: &str, total: &str) -> String {
    format!("{id},{patient},employee,false,50,H1,inpatient,2025-03-01,2025-03-05,{total},0.00,0.00,J18,")
}

/// Runs R1 on `claims` with the hand fixture's institutions, a reject file
/// and results in `dir`.
fn run(dir: &Path, claims: &Path) -> std::process::Output {
    yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/hand/r1/institutions.csv",
        "--reject-file",
        dir.join("rejects.csv").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ])
}

/// Found while writing these tests: in a file with CRLF line ends
/// (what spreadsheets on Windows save) every row error named the line
/// before its own. B is on line 3 and C on line 4.
#[test]
fn row_errors_in_a_crlf_file_name_their_own_lines() {
    let dir = temp_dir("reading-crlf");
    let claims = dir.join("claims.csv");
    let lines = [
        HEADER.to_string(),
        claim("A", "PA", "1000.00"),
        claim("B", "PB", "1000.00").replace("employee", "student"),
        claim("C", "PC", "1000.00").replace("H1", "H9"),
    ];
    std::fs::write(&claims, lines.join("\r\n") + "\r\n").unwrap();
    let o = run(&dir, &claims);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rejects = common::csv_rows(&dir.join("rejects.csv"));
    let got: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(got, [("3", "B"), ("4", "C")]);
}
