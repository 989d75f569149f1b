//! Patient clearing (`settle … per patient per year`) through `yibao run`:
//! the summary line, the JSON patient ledger, and a year cut short. The
//! figures are those of tests/fixtures/settle/secondary/README.md, by hand.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code

mod common;

use common::{csv_rows, stdout, temp_dir, yibao};

const DIR: &str = "tests/fixtures/settle/secondary";

fn run(tag: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
    let out = temp_dir(&format!("patient-{tag}"));
    let (claims, insts) = (
        format!("{DIR}/claims.csv"),
        format!("{DIR}/institutions.csv"),
    );
    let mut args = vec![
        "run",
        "policies/secondary.policy",
        "--claims",
        claims.as_str(),
        "--institutions",
        insts.as_str(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = yibao(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    (out, stdout(&o))
}

#[test]
fn the_summary_totals_each_patient_amount_per_year() {
    let (_, text) = run("summary", &[]);
    // 2025: 政策内自付 12,600 + 10,800 + 120,600 + 0 + 10,000 = 154,000.00;
    // 二次补偿 1,300 + 400 + 50,000 + 0 + 0 = 51,700.00, over P1–P5.
    assert!(
        text.contains(
            "patient clearing 2025: 政策内自付 154000.00, 二次补偿 51700.00 over 5 patients"
        ),
        "{text}"
    );
    // 2026: P1's outpatient claim only, 1,000.00 in scope, below the line.
    assert!(
        text.contains("patient clearing 2026: 政策内自付 1000.00, 二次补偿 0.00 over 1 patient\n"),
        "{text}"
    );
}

#[test]
fn patient_amounts_are_not_columns_of_the_unit_ledger() {
    // secondary.policy has no unit blocks: 政策内自付 and 二次补偿 are set
    // only per patient. Before, ledger.csv carried them as columns of 0.00
    // on every institution row, figures nobody computed.
    let (out, _) = run("columns", &["--format", "csv"]);
    let header = |f: &str| {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        text.lines().next().unwrap_or_default().to_string()
    };
    let unit = header("ledger.csv");
    assert!(unit.ends_with(",reserve_opening,reserve_closing"), "{unit}");
    assert!(
        !unit.contains("二次补偿") && !unit.contains("政策内自付"),
        "{unit}"
    );
    let patient = header("patient_ledger.csv");
    assert_eq!(
        patient,
        "patient_id,year,status,claims,total_cost,claims_paid,patient_paid,政策内自付,二次补偿"
    );
    // Every institution row has the same number of cells as the header.
    let width = unit.split(',').count();
    for row in csv_rows(&out.join("ledger.csv")) {
        assert_eq!(row.len(), width, "{row:?}");
    }
}

#[test]
fn json_patient_ledger_holds_exact_strings() {
    let (out, _) = run("json", &["--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("patient_ledger.json")).unwrap())
            .unwrap();
    let rows = v.as_array().expect("rows");
    assert_eq!(rows.len(), 6); // P1 2025, P1 2026, P2–P5 2025
    let p2 = &rows[2];
    assert_eq!(p2["patient_id"], "P2");
    assert_eq!(p2["claims"], 2);
    assert_eq!(p2["二次补偿"], "400.00"); // (10,800 − 10,000) × 50%
    assert!(!out.join("patient_ledger.csv").exists());
}

#[test]
fn a_year_cut_short_is_partial_or_provisional() {
    // Through 2026-06: 2026 is not complete. Without --provisional its
    // blocks do not run: P1 2026 政策内自付 0.00 (not 1,000.00).
    let (out, _) = run("partial", &["--through", "2026-06"]);
    let rows = csv_rows(&out.join("patient_ledger.csv"));
    let p1 = rows
        .iter()
        .find(|r| r[0] == "P1" && r[1] == "2026")
        .unwrap();
    assert_eq!(
        (&p1[2][..], &p1[3][..], &p1[7][..]),
        ("partial", "1", "0.00")
    );
    let (out, _) = run("provisional", &["--through", "2026-06", "--provisional"]);
    let rows = csv_rows(&out.join("patient_ledger.csv"));
    let p1 = rows
        .iter()
        .find(|r| r[0] == "P1" && r[1] == "2026")
        .unwrap();
    assert_eq!((&p1[2][..], &p1[7][..]), ("provisional", "1000.00"));
    // 2025 is whole: final, P1's 1,300.00 as ever.
    let p1 = rows
        .iter()
        .find(|r| r[0] == "P1" && r[1] == "2025")
        .unwrap();
    assert_eq!((&p1[2][..], &p1[8][..]), ("final", "1300.00"));
}
