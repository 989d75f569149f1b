//! Outputs of every type in claims.csv and claims.json: texts, bools and
//! dates as set, their defaults where no rule sets them, absent values
//! (empty in CSV, `null` in JSON), outputs defined at top level (computed
//! for every claim after the layers), and the year and month columns.
//! The figures are computed by hand in `tests/fixtures/values/README.md`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{root, temp_dir, yibao};

fn run(format: &str, out: &str) -> std::path::PathBuf {
    let dir = temp_dir(out);
    let f = |p: &str| {
        root()
            .join("tests/fixtures/values")
            .join(p)
            .to_string_lossy()
            .into_owned()
    };
    let o = yibao(&[
        "run",
        &f("values.policy"),
        "--claims",
        &f("claims.csv"),
        "--institutions",
        &f("institutions.csv"),
        "--out",
        dir.to_str().unwrap(),
        "--format",
        format,
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    dir
}

#[test]
fn claims_csv_writes_every_type_defaults_and_absent_values() {
    let dir = run("csv", "values-csv");
    let got = std::fs::read_to_string(dir.join("claims.csv")).unwrap();
    // README.md: C1 pays (20000 − 500 − 1000) × 80% = 14800.00, C2 (5000 − 1000) × 80% =
    // 3200.00, C3 no rule; 自付比例 = patient_paid ÷ total: 5200/20000, 1800/5000, 300/300.
    let want = "\
claim_id,patient_id,institution_id,visit_type,discharge_date,year,month,total_cost,fund_paid,serious_paid,patient_paid,institution_borne,档次,高额,出院日,病种,合格,合规费用,自付比例,档次说明,同档
C1,P1,H1,inpatient,2025-02-10,2025,2,20000.00,14800.00,0.00,5200.00,0.00,高档,true,2025-02-10,\"I63,9\",true,19500.00,0.26,高档住院,true
C2,P2,H1,inpatient,2025-12-31,2025,12,5000.00,3200.00,0.00,1800.00,0.00,低档,false,2025-12-31,J44,false,5000.00,0.36,低档,false
C3,P3,H1,outpatient_general,2026-01-05,2026,1,300.00,0.00,0.00,300.00,0.00,无,,,,false,300.00,1,无,false
";
    assert_eq!(got, want);
}

#[test]
fn claims_json_writes_bools_strings_dates_and_null() {
    let dir = run("json", "values-json");
    let text = std::fs::read_to_string(dir.join("claims.json")).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(rows.len(), 3);
    let (c1, c3) = (&rows[0], &rows[2]);
    assert_eq!(c1["year"], 2025);
    assert_eq!(c1["month"], 2);
    assert_eq!(c1["档次"], "高档");
    assert_eq!(c1["高额"], true);
    assert_eq!(c1["出院日"], "2025-02-10");
    assert_eq!(c1["病种"], "I63,9");
    assert_eq!(c1["合格"], true);
    // 20000 − 500 = 19500.00; 5200 ÷ 20000 = 0.26.
    assert_eq!(c1["合规费用"], "19500.00");
    assert_eq!(c1["自付比例"], "0.26");
    assert_eq!(c1["档次说明"], "高档住院");
    assert_eq!(rows[1]["高额"], false);
    assert_eq!(rows[1]["month"], 12);
    // C3: no rule applies. Defaults where declared, null where not.
    assert_eq!(c3["year"], 2026);
    assert_eq!(c3["month"], 1);
    assert_eq!(c3["档次"], "无");
    assert_eq!(c3["高额"], serde_json::Value::Null);
    assert_eq!(c3["出院日"], serde_json::Value::Null);
    assert_eq!(c3["病种"], serde_json::Value::Null);
    assert_eq!(c3["合格"], false);
    assert_eq!(c3["合规费用"], "300.00");
    assert_eq!(c3["自付比例"], "1");
    assert_eq!(c3["档次说明"], "无");
    // 同档: 档次 compared with the text parameter 高档名 ("高档").
    assert_eq!(c1["同档"], true);
    assert_eq!(c3["同档"], false);
}

#[test]
fn the_policy_formats_to_itself() {
    let o = yibao(&[
        "fmt",
        "--check",
        &root()
            .join("tests/fixtures/values/values.policy")
            .to_string_lossy(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
}

#[test]
fn policy_tests_compare_texts_bools_and_dates() {
    let o = yibao(&[
        "test",
        &root()
            .join("tests/fixtures/values/values.test.toml")
            .to_string_lossy(),
    ]);
    let out = common::stdout(&o);
    // The second test expects wrong values on purpose: it must fail, naming each.
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("ok    texts, bools and dates as set"), "{out}");
    assert!(out.contains("档次 expected \"高档\", got \"无\""), "{out}");
    assert!(
        out.contains("高额 expected \"false\", got (absent)"),
        "{out}"
    );
    assert!(
        out.contains("出院日 expected \"2025-01-01\", got (absent)"),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");
}

#[test]
fn explain_shows_typed_values_and_the_outputs_computed_after_the_layers() {
    let f = |p: &str| {
        root()
            .join("tests/fixtures/values")
            .join(p)
            .to_string_lossy()
            .into_owned()
    };
    let o = yibao(&[
        "explain",
        &f("values.policy"),
        "--claims",
        &f("claims.csv"),
        "--institutions",
        &f("institutions.csv"),
        "--claim",
        "C1",
    ]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("档次 = 档 = \"高档\""), "{out}");
    assert!(out.contains("outputs computed after the layers"), "{out}");
    // 20000.00 − 500.00 = 19500.00, after the layers.
    assert!(out.contains("= 19500.00"), "{out}");
    assert!(out.contains("出院日        2025-02-10"), "{out}");
}
