//! Enumerations (`enum 档次 { … }`) end to end, on `tests/fixtures/enum/`
//! (figures by hand in its README.md).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, stderr, stdout, temp_dir, yibao};

const POLICY: &str = "tests/fixtures/enum/enum.policy";

fn run(out: &std::path::Path, claims: &str, extra: &[&str]) -> std::process::Output {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "run",
        POLICY,
        "--claims",
        claims,
        "--institutions",
        "tests/fixtures/enum/institutions.csv",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    yibao(&args)
}

/// `claim_id → (fund_paid, 档)` of a run's claims.csv.
fn paid(out: &std::path::Path) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(out.join("claims.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, f, b) = (col("claim_id"), col("fund_paid"), col("档"));
    let mut rows: Vec<_> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (x[id].to_string(), x[f].to_string(), x[b].to_string())
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_fixture_policy_tests_pass_with_every_band_exercised() {
    let o = yibao(&[
        "test",
        "tests/fixtures/enum/enum.test.toml",
        "--min-coverage",
        "100",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("coverage 100% (8 of 8"), "{out}");
}

#[test]
fn a_band_keys_its_table_and_is_written_as_its_value() {
    let dir = temp_dir("enum-run");
    let o = run(&dir, "tests/fixtures/enum/claims.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // C1: 20000 in 高档 (≥ 2万元) in ICU: 90% + 5% = 95% → 19000.00.
    // C2: 5000 in 中档 (≥ 5000元), 普通: 80% → 4000.00.
    assert_eq!(
        paid(&dir),
        vec![
            ("C1".into(), "19000.00".into(), "高档".into()),
            ("C2".into(), "4000.00".into(), "中档".into()),
        ]
    );
}

#[test]
fn a_cell_set_by_its_value_changes_the_figure_and_a_non_value_is_refused() {
    let dir = temp_dir("enum-set");
    let o = run(
        &dir,
        "tests/fixtures/enum/claims.csv",
        &["--set", "档次比例[高档]=85%"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // C1: 85% + 5% = 90% of 20000 = 18000.00; C2 (中档) unchanged.
    let rows = paid(&dir);
    assert_eq!(rows[0].1, "18000.00");
    assert_eq!(rows[1].1, "4000.00");

    let o = run(
        &dir,
        "tests/fixtures/enum/claims.csv",
        &["--set", "档次比例[特档]=85%"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("\"特档\" is not a 档次; the values are \"低档\", \"中档\", \"高档\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_column_of_an_enumeration_rejects_other_values_with_line_and_reason() {
    let dir = temp_dir("enum-reject");
    let claims = dir.join("claims.csv");
    let good = std::fs::read_to_string(root().join("tests/fixtures/enum/claims.csv")).unwrap();
    // The ward's values are case-sensitive: `icu` is not `ICU`.
    std::fs::write(&claims, good.replace(",普通\n", ",icu\n")).unwrap();
    let out = dir.join("out");
    let o = run(&out, claims.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("claims.csv:3: ward `icu`: not one of \"普通\", \"ICU\""),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("claims.csv").exists(), "no partial output");
}

#[test]
fn compare_rules_shows_a_value_added_to_an_enumeration() {
    let dir = temp_dir("enum-compare");
    let text = std::fs::read_to_string(root().join(POLICY)).unwrap();
    let reform = text
        .replace(
            "enum 档次 { \"低档\", \"中档\", \"高档\" }",
            "enum 档次 { \"低档\", \"中档\", \"高档\", \"特档\" }",
        )
        .replace("\"高档\": 90% }", "\"高档\": 90%, \"特档\": 95% }");
    let p = dir.join("reform.policy");
    std::fs::write(&p, reform).unwrap();
    let o = yibao(&["compare", "--rules", POLICY, p.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    let enum_row = out
        .lines()
        .find(|l| l.contains("enum") && l.contains("档次"))
        .unwrap();
    assert!(enum_row.starts_with('≠'), "{out}");
    assert!(
        enum_row.contains("\"低档\", \"中档\", \"高档\", \"特档\""),
        "{out}"
    );
    let cell = out.lines().find(|l| l.contains("[特档]")).unwrap();
    assert!(
        cell.starts_with('≠') && cell.contains('—') && cell.contains("95%"),
        "{out}"
    );
}

#[test]
fn explain_shows_the_band_chosen_and_the_cell_it_keys() {
    let o = yibao(&[
        "explain",
        POLICY,
        "--claims",
        "tests/fixtures/enum/claims.csv",
        "--institutions",
        "tests/fixtures/enum/institutions.csv",
        "--claim",
        "C2",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("= \"中档\"  @ line 28"), "{out}");
    assert!(out.contains("档次比例[中档] = 80%"), "{out}");
    assert!(out.contains("病区加成[普通] = 0%"), "{out}");
}

#[test]
fn fmt_puts_a_short_enumeration_on_one_line_and_keeps_comments_in_a_long_one() {
    use yibao::fmt::format;
    use yibao::source::SourceFile;
    let messy = "region \"x\"\nenum   档次 {\"高档\",\"低档\" ,}\nenum 病区 {\n  \"普通\",   // 普通病房\n  \"ICU\",\n}\nlayer fund_paid { rule a { pay 0 } }\n";
    let got = format(&SourceFile::new("p.policy", messy)).unwrap();
    assert!(got.contains("enum 档次 { \"高档\", \"低档\" }\n"), "{got}");
    assert!(
        got.contains("enum 病区 {\n  \"普通\", // 普通病房\n  \"ICU\",\n}\n"),
        "{got}"
    );
    assert_eq!(format(&SourceFile::new("p.policy", &got)).unwrap(), got);
}
