//! Reading data files: nothing read is lost. Every row is settled or
//! rejected with its line and reason, and every physical line is a row, a
//! blank line or the header — a record never spans lines; a rejected row of
//! any width reaches the reject file as read; every copy of a duplicated
//! claim_id is rejected, whatever the row order; a header that names a
//! column twice is refused.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{stderr, stdout, temp_dir, yibao};
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

/// A row with more fields than the header is the very row a reject file is
/// for: it used to stop the run (exit 2, "found record with 17 fields", a
/// half-written reject file). Rows of any width are written as read: extra
/// fields in columns `extra_1`…, missing ones left empty. By hand (R1, H1
/// level 1, employee inpatient: (cost − 200) × 95%): R1 (1,200.00 − 200) ×
/// 95% = 950.00, patient 250.00; R4 (700.00 − 200) × 95% = 475.00, patient 225.00.
#[test]
fn the_reject_file_holds_rows_of_any_width() {
    let dir = temp_dir("reading-widths");
    let claims = dir.join("claims.csv");
    let wide = format!("{},x,y,z", claim("R2", "P2", "100.00"));
    let narrow = "R3,P3,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,100.00";
    std::fs::write(
        &claims,
        format!(
            "{HEADER}\n{}\n{wide}\n{narrow}\n{}\n",
            claim("R1", "P1", "1200.00"),
            claim("R4", "P4", "700.00")
        ),
    )
    .unwrap();
    let o = run(&dir, &claims);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("claims: 4 read = 2 settled + 2 rejected"),
        "{}",
        stdout(&o)
    );
    let mut r = csv::Reader::from_path(dir.join("rejects.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut want: Vec<String> = ["line", "reason"].map(String::from).to_vec();
    want.extend(HEADER.split(',').map(String::from));
    want.extend(["extra_1", "extra_2", "extra_3"].map(String::from));
    assert_eq!(header, want);
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][..2], ["3", "has 17 fields, the header has 14"]);
    assert_eq!(rows[0][2..].join(","), wide);
    assert_eq!(rows[1][..2], ["4", "has 10 fields, the header has 14"]);
    assert_eq!(rows[1][2..12].join(","), narrow);
    assert!(rows[1][12..].iter().all(String::is_empty), "{:?}", rows[1]);
    assert_eq!(
        common::result_rows(&dir.join("out/claims.csv")),
        [
            ["R1", "950.00", "0.00", "250.00"],
            ["R4", "475.00", "0.00", "225.00"]
        ]
    );
}

/// The rows of `rows` in the order `seed` shuffles them into (a fixed
/// Fisher–Yates driven by a linear congruential generator; seed 0 keeps the
/// order, 1 reverses it).
fn shuffled<T: Clone>(rows: &[T], seed: u64) -> Vec<T> {
    let mut v = rows.to_vec();
    match seed {
        0 => {}
        1 => v.reverse(),
        _ => {
            let mut x = seed;
            for i in (1..v.len()).rev() {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                v.swap(i, (x >> 33) as usize % (i + 1));
            }
        }
    }
    v
}

/// "Also on line 4", "also on lines 4 and 9", "also on lines 2, 4 and 9".
fn also_on(lines: &[usize]) -> String {
    let s: Vec<String> = lines.iter().map(usize::to_string).collect();
    match s.as_slice() {
        [one] => format!("also on line {one}"),
        [init @ .., last] => format!("also on lines {} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// Which copy of a duplicated claim_id was settled used to depend on row
/// order (the first one read). Every copy is rejected now, each naming the
/// lines of the others — a copy that is bad for another reason too (C's
/// second) counts — and the outcome is the same in every order. By hand
/// (R1, H1 level 1, employee inpatient): B (1,200.00 − 200) × 95% = 950.00,
/// patient 250.00; D (2,200.00 − 200) × 95% = 1,900.00, patient 300.00;
/// E (700.00 − 200) × 95% = 475.00, patient 225.00.
#[test]
fn every_copy_of_a_duplicated_claim_id_is_rejected_in_any_order() {
    let rows: Vec<(&str, String)> = vec![
        ("A", claim("A", "PA1", "1000.00")),
        ("A", claim("A", "PA2", "2000.00")),
        ("A", claim("A", "PA3", "3000.00")),
        ("B", claim("B", "PB", "1200.00")),
        ("C", claim("C", "PC1", "400.00")),
        (
            "C",
            claim("C", "PC2", "400.00").replace("2025-03-01", "2025-02-30"),
        ),
        ("D", claim("D", "PD", "2200.00")),
        ("E", claim("E", "PE", "700.00")),
    ];
    let dir = temp_dir("reading-duplicates");
    let mut outcomes = Vec::new();
    for seed in 0..6 {
        let order = shuffled(&rows, seed);
        let sub = dir.join(format!("order{seed}"));
        std::fs::create_dir_all(&sub).unwrap();
        let claims = sub.join("claims.csv");
        let body: Vec<&str> = order.iter().map(|(_, l)| l.as_str()).collect();
        std::fs::write(&claims, format!("{HEADER}\n{}\n", body.join("\n"))).unwrap();
        let o = run(&sub, &claims);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let settled = common::result_rows(&sub.join("out/claims.csv"));
        let rejects = common::csv_rows(&sub.join("rejects.csv"));
        let mut rejected: Vec<String> = rejects.iter().map(|r| r[2].clone()).collect();
        rejected.sort();
        outcomes.push((seed, order, settled, rejected, rejects, stdout(&o)));
    }
    for (seed, _, settled, rejected, _, _) in &outcomes[1..] {
        assert_eq!(
            (settled, rejected),
            (&outcomes[0].2, &outcomes[0].3),
            "order {seed} differs from the file order"
        );
    }
    let (_, _, settled, rejected, _, out) = &outcomes[0];
    assert!(
        out.contains("claims: 8 read = 3 settled + 5 rejected"),
        "{out}"
    );
    assert_eq!(
        settled,
        &[
            ["B", "950.00", "0.00", "250.00"],
            ["D", "1900.00", "0.00", "300.00"],
            ["E", "475.00", "0.00", "225.00"]
        ]
    );
    assert_eq!(rejected, &["A", "A", "A", "C", "C"]);
    // Each copy names the others' lines (the header is line 1).
    for (seed, order, _, _, rejects, _) in &outcomes {
        for r in rejects {
            let line: usize = r[0].parse().unwrap();
            let others: Vec<usize> = order
                .iter()
                .enumerate()
                .filter(|(i, (id, _))| *id == r[2] && i + 2 != line)
                .map(|(i, _)| i + 2)
                .collect();
            let want = format!("duplicate claim_id `{}`: {}", r[2], also_on(&others));
            assert!(r[1].ends_with(&want), "order {seed}: {want} / {r:?}");
        }
    }
}

/// A header that names a column twice used to be read with the first copy;
/// which one holds the data is anyone's guess, so the file is refused,
/// naming the column and both places — claims, institutions and assessments alike.
#[test]
fn a_header_that_names_a_column_twice_is_refused() {
    let dir = temp_dir("reading-header");
    let hand = "tests/fixtures/hand/r1";
    let claims = dir.join("claims.csv");
    std::fs::write(
        &claims,
        format!("{HEADER},claim_id\n{},X\n", claim("A", "P1", "1000.00")),
    )
    .unwrap();
    let insts = std::fs::read_to_string(format!("{hand}/institutions.csv")).unwrap();
    let mut lines = insts.lines();
    let bad_insts = dir.join("institutions.csv");
    std::fs::write(
        &bad_insts,
        format!(
            "{},level\n{}\n",
            lines.next().unwrap(),
            lines
                .map(|l| format!("{l},1"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .unwrap();
    let assessments = dir.join("assessments.csv");
    std::fs::write(
        &assessments,
        "institution_id,year,score,score\nH1,2025,90,80\nH2,2025,90,80\nH3,2025,90,80\nYGT01,2025,90,80\n",
    )
    .unwrap();
    let hand_claims = format!("{hand}/claims.csv");
    let hand_insts = format!("{hand}/institutions.csv");
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "claims",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                claims.to_str().unwrap(),
                "--institutions",
                &hand_insts,
            ],
            "claims.csv`: the header has `claim_id` twice (columns 1 and 15)",
        ),
        (
            "institutions",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                &hand_claims,
                "--institutions",
                bad_insts.to_str().unwrap(),
            ],
            "institutions.csv`: the header has `level` twice (columns 3 and 9)",
        ),
        (
            "assessments",
            vec![
                "run",
                "policies/chengdu.policy",
                "--claims",
                &hand_claims,
                "--institutions",
                &hand_insts,
                "--assessments",
                assessments.to_str().unwrap(),
            ],
            "assessments.csv`: the header has `score` twice (columns 3 and 4)",
        ),
    ];
    for (what, args, want) in cases {
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{what}: {}", stderr(&o));
    }
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
