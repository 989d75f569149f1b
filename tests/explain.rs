//! `yibao explain`: explanations of a claim and of an institution's year in
//! several policies (snapshots, reviewed against the fixtures' hand-computed
//! READMEs), and the check that an explanation's figures are the run's.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, stderr, stdout, yibao};
use std::path::Path;
use yibao::data::{load_claims, load_institutions};
use yibao::source::SourceFile;

fn explain(args: &[&str]) -> String {
    let out = yibao(&[&["explain"], args].concat());
    assert!(
        out.status.success(),
        "explain {args:?} failed:\n{}",
        stderr(&out)
    );
    assert_balanced(&format!("explain {args:?}"), &stdout(&out));
    stdout(&out)
}

fn data(dir: &str) -> [String; 4] {
    [
        "--claims".into(),
        format!("{dir}/claims.csv"),
        "--institutions".into(),
        format!("{dir}/institutions.csv"),
    ]
}

fn explain_in(policy: &str, dir: &str, what: &[&str]) -> String {
    let d = data(dir);
    let mut args: Vec<&str> = vec![policy];
    args.extend(d.iter().map(String::as_str));
    args.extend(what);
    explain(&args)
}

#[test]
fn r1_claim_with_serious_illness_segments() {
    // C001542: resident, inpatient at a level-3 hospital, the second claim past 15,000 out of pocket.
    // 44,842.41 eligible − 800 = 44,042.41 × 65% = 28,627.5665 → 28,627.57 (cap left 141,163.14);
    // serious: f(31,494.22) − f(15,279.38) = 9,896.532 − 167.628 = 9,728.904 → 9,728.90.
    let out = explain_in("policies/r1.policy", "examples", &["--claim", "C001542"]);
    insta::assert_snapshot!(out);
}

#[test]
fn r1_institution_year() {
    let out = explain_in(
        "policies/r1.policy",
        "examples",
        &["--institution", "H001", "--year", "2025"],
    );
    insta::assert_snapshot!(out);
}

#[test]
fn suining_claim_on_the_first_day_of_new_rules() {
    // SN-2 is discharged 2002-01-01: the 2002 deductible (400) applies: (6400 − 400) × 0.8 = 4,800.00.
    let out = explain_in(
        "policies/suining.policy",
        "tests/fixtures/settle/suining",
        &["--claim", "SN-2"],
    );
    assert!(
        out.contains("住院起付线 = 400.00  · version in force from 2002-01-01"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn suining_institution_indicators() {
    // S1 2002: deductions 1,000 + 400 + 50 = 1,450.00 (README).
    let out = explain_in(
        "policies/suining.policy",
        "tests/fixtures/settle/suining",
        &["--institution", "S1", "--year", "2002"],
    );
    assert!(
        out.contains("deductions = 次均超标扣款 + 住院日超标扣款 + 药占比扣款 = 1450.00"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

/// A dated settle block outside its dates does not run, and explain says so
/// (before, it was left out without a word).
#[test]
fn a_block_not_in_force_says_so() {
    let out = explain_in(
        "policies/suining.policy",
        "tests/fixtures/settle/suining",
        &["--institution", "S1", "--year", "2001"],
    );
    for line in [
        "settle 年度结算 \"指标控制\" — institution S1: not in force in 2001  · in force from 2002-01-01 until 2002-12-31",
        "settle 年度结算 \"总额控制\" — institution S1: not in force in 2001  · in force from 2003-01-01",
        "settle 年度结算 — institution S1, 2001",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
}

#[test]
fn qingdao_claim_and_alliance() {
    let claim = explain_in(
        "policies/qingdao.policy",
        "tests/fixtures/settle/qingdao",
        &["--claim", "QD-1"],
    );
    insta::assert_snapshot!("qingdao_claim", claim);
    let alliance = explain_in(
        "policies/qingdao.policy",
        "tests/fixtures/settle/qingdao",
        &["--institution", "Q1", "--year", "2021"],
    );
    insta::assert_snapshot!("qingdao_institution_and_alliance", alliance);
}

/// A fee block shows like a layer (the rule tried and applied, its `pay`),
/// and the result ends with the fee, institution_borne and the identity.
/// huaibei HB-1: fee 6,000, cost 5,000: benefit (5,000 − 500) × 80% = 3,600
/// leaves the patient 1,400; fund 6,000 − 1,400 = 4,600; borne −1,000.
#[test]
fn huaibei_claim_under_a_fee() {
    let claim = explain_in(
        "policies/huaibei.policy",
        "tests/fixtures/settle/huaibei",
        &["--claim", "HB-1"],
    );
    for line in [
        "fee 病种定额 \"按病种定额支付标准\" = 6000.00",
        "rule 单病种: applied",
        "layer fund_paid \"基本医疗保险统筹基金\" = 4600.00  · the claim had 6000.00 left to pay",
        "institution_borne  -1000.00",
        "identity           total_cost 5000.00 = fund_paid 4600.00 + patient_paid 1400.00 + institution_borne -1000.00",
    ] {
        assert!(claim.contains(line), "missing {line:?} in:\n{claim}");
    }
    insta::assert_snapshot!("huaibei_claim_under_a_fee", claim);
}

#[test]
fn amounts_at_a_threshold() {
    // tests/fixtures/explain/threshold: 大病分段 marginal, 60% from 1.5万元 to 6.5万元, 70% above;
    // 档次 whole, 50% below 1.5万元, 60% from it.
    let dir = "tests/fixtures/explain/threshold";
    let policy = format!("{dir}/threshold.policy");
    // T1 costs exactly 15000.00: nothing inside the first segment, 0.00 paid; the 60% band starts at it.
    let t1 = explain_in(&policy, dir, &["--claim", "T1"]);
    for line in [
        "15000.00 is at the threshold of segment 1.5万元 .. 6.5万元: nothing inside it  @ line 5",
        "segment 1.5万元 ..: 60%  · 15000.00 is at the threshold of this band: it starts there",
        "pay 大病分段(claim.total_cost) round = 0.00",
    ] {
        assert!(t1.contains(line), "{line}\n{t1}");
    }
    assert!(!t1.contains("below every segment"), "{t1}");
    assert!(!t1.contains("top-level lets"), "no lets, no line: {t1}");
    // T2 costs exactly 65000.00: (65000 − 15000) × 60% = 50000.00 × 60% = 30000.00, and
    // nothing inside the second segment, which starts at 6.5万元.
    let t2 = explain_in(&policy, dir, &["--claim", "T2"]);
    for line in [
        "segment 1.5万元 .. 6.5万元: 50000.00 × 60% = 30000.00  @ line 5",
        "65000.00 is at the threshold of segment 6.5万元 ..: nothing inside it  @ line 6",
        "65000.00 falls in this band",
    ] {
        assert!(t2.contains(line), "{line}\n{t2}");
    }
}

/// Every parenthesis an explanation opens on a line is closed on it.
fn assert_balanced(what: &str, text: &str) {
    for line in text.lines() {
        let mut depth = 0i32;
        for ch in line.chars() {
            match ch {
                '(' | '（' => depth += 1,
                ')' | '）' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "{what}: `)` before its `(`: {line}");
        }
        assert_eq!(depth, 0, "{what}: a `(` left open: {line}");
    }
}

#[test]
fn json_is_structured_and_exact() {
    let d = data("examples");
    let mut args: Vec<&str> = vec!["policies/r1.policy"];
    args.extend(d.iter().map(String::as_str));
    args.extend(["--claim", "C001542", "--format", "json"]);
    let out = explain(&args);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["subject"], "claim C001542");
    // A count is a JSON number (C001542's age in examples/claims.csv is 72), an amount a string.
    let fact = |name: &str| {
        v["data"]
            .as_array()
            .and_then(|d| d.iter().find(|f| f["name"] == name))
            .map(|f| f["value"].clone())
            .unwrap_or_default()
    };
    assert_eq!(fact("age"), 72);
    assert_eq!(fact("total_cost"), "46582.31");
    let result = v["result"].as_array().expect("result");
    assert_eq!(result[0]["name"], "fund_paid");
    assert_eq!(result[0]["value"], "28627.57");
    assert_eq!(result[1]["value"], "9728.90");
    // The applied rule cites its source and line.
    let layer = &v["steps"][1];
    assert_eq!(layer["kind"], "layer");
    let rule = &layer["children"][0];
    assert_eq!(rule["what"], "rule 住院");
    assert_eq!(rule["value"], "applied");
    assert_eq!(rule["note"], "R1 解读 1, 2, 3");
    assert_eq!(rule["line"], 73);
}

#[test]
fn unknown_subjects_are_clear_errors() {
    let d = data("examples");
    let base: Vec<&str> = ["explain", "policies/r1.policy"]
        .into_iter()
        .chain(d.iter().map(String::as_str))
        .collect();
    let run = |extra: &[&str]| yibao(&[base.as_slice(), extra].concat());
    let o = run(&["--claim", "NOPE"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no claim `NOPE`"), "{}", stderr(&o));
    let o = run(&["--institution", "H999", "--year", "2025"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no institution `H999`"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--institution", "H001", "--year", "1999"]);
    assert!(
        stderr(&o).contains("no claims were settled in 1999"),
        "{}",
        stderr(&o)
    );
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["--institution", "H001"]);
    assert_eq!(o.status.code(), Some(2), "--institution needs --year");
}

/// Every claim of every settle fixture: the explained figures are the run's.
#[test]
fn explanations_agree_with_the_run() {
    let cases = [
        ("r1", "tests/fixtures/hand/r1"),
        ("suining", "tests/fixtures/settle/suining"),
        ("qingdao", "tests/fixtures/settle/qingdao"),
        ("guangyuan", "tests/fixtures/settle/guangyuan"),
        ("huaibei", "tests/fixtures/settle/huaibei"),
        ("dip", "tests/fixtures/settle/dip"),
        ("alliance-reserve", "tests/fixtures/settle/alliance-reserve"),
    ];
    for (policy, dir) in cases {
        let path = root().join(format!("policies/{policy}.policy"));
        let file = SourceFile::read(&path).unwrap();
        let (prog, _) = yibao::compile(&file).unwrap();
        let dir = root().join(dir);
        let insts = load_institutions(&dir.join("institutions.csv"), &prog.inst_extras).unwrap();
        let (claims, rejects) =
            load_claims(&dir.join("claims.csv"), &insts, &prog.claim_extras).unwrap();
        assert!(rejects.is_empty());
        let s = yibao::eval::settle(&prog, &claims, &insts, 1).unwrap();
        for (k, c) in claims.rows.iter().enumerate() {
            let id = claims.text(c.id);
            let e = yibao::explain::claim(&prog, &file, &claims, &insts, id).unwrap();
            assert_balanced(&format!("{policy} {id}"), &yibao::explain::render_text(&e));
            let row = s.row(k);
            for (i, l) in prog.layers.iter().enumerate() {
                let f = e.result.iter().find(|f| f.name == l.name).unwrap();
                assert_eq!(
                    f.value.text(),
                    yibao::report::money(row[i]),
                    "{policy} {id} {}",
                    l.name
                );
            }
            let pp = e.result.iter().find(|f| f.name == "patient_paid").unwrap();
            assert_eq!(
                pp.value.text(),
                yibao::report::money(row[prog.layers.len()]),
                "{policy} {id}"
            );
        }
        assert!(Path::new(&dir).exists());
    }
}

/// `--patient P3 --year 2025` under the tiny fixture's policy b
/// (tests/fixtures/compare/tiny/README.md): C4 fund 400 × .7 = 280.00,
/// patient 220.00; C5 fund 200.55 × .7 = 140.385 → 140.39, patient 110.16;
/// the year: fund 420.39, patient 330.16 (the README's P3 under b).
#[test]
fn a_patient_year_in_one_view() {
    let args = |patient: &str, year: &str| {
        yibao(&[
            "explain",
            "tests/fixtures/compare/tiny/b.policy",
            "--claims",
            "tests/fixtures/compare/tiny/claims.csv",
            "--institutions",
            "tests/fixtures/compare/tiny/institutions.csv",
            "--patient",
            patient,
            "--year",
            year,
        ])
    };
    let o = args("P3", "2025");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for part in [
        "patient P3, 2025",
        "claims        2 discharged in 2025 (2 in the file)",
        "  claim C4 = 2025-06-01 outpatient_chronic, total_cost 500.00\n    fund_paid = 280.00\n    serious_paid = 0.00\n    patient_paid = 220.00\n",
        "  claim C5 = 2025-07-03 inpatient, total_cost 250.55\n    fund_paid = 140.39\n    serious_paid = 0.00\n    patient_paid = 110.16\n",
        "result:\n  fund_paid     420.39\n  serious_paid  0.00\n  patient_paid  330.16\n",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
    let o = args("P3", "2024");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "patient `P3` has no claim discharged in 2024; their claims are discharged in 2025"
        ),
        "{}",
        stderr(&o)
    );
    let o = args("P9", "2025");
    assert!(
        stderr(&o).contains("no claim of patient `P9`"),
        "{}",
        stderr(&o)
    );
}
