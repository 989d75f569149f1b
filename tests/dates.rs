//! Dates: `year`, `month`, `day`, `month_start`, `month_end`, a date moved by
//! days or months, and a table keyed by a bool field, end to end. The
//! figures of `tests/fixtures/dates/dates.test.toml` are worked by hand
//! beside them; here the same policy is explained, formatted and run on
//! amounts that cannot move a date.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{stderr, stdout, temp_dir, yibao};

const POLICY: &str = "tests/fixtures/dates/dates.policy";
const CLAIMS: &str = "tests/fixtures/dates/claims.csv";
const INSTS: &str = "tests/fixtures/dates/institutions.csv";
const HEADER: &str = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";

#[test]
fn the_hand_worked_tests_pass_with_full_coverage() {
    let o = yibao(&[
        "test",
        "--min-coverage",
        "100",
        "tests/fixtures/dates/dates.test.toml",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("4 tests: 4 passed, 0 failed"), "{out}");
    assert!(out.contains("coverage 100%"), "{out}");
}

#[test]
fn the_policy_is_in_canonical_layout() {
    let o = yibao(&["fmt", "--check", POLICY]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn explain_shows_the_dates_read() {
    let o = yibao(&[
        "explain",
        POLICY,
        "--claims",
        CLAIMS,
        "--institutions",
        INSTS,
        "--claim",
        "C1",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    for want in [
        // C1 left 2024-06-30: a leap year's June end.
        "month(2024-06-30) = 6",
        "year(2024-06-30) = 2024",
        "let 到期 = claim.discharge_date + 1个月 = 2024-07-30",
        // 2024-06-30 - 15天 = 2024-06-15, compared with the parameter 报销截止.
        "2024-06-15 <= 2025-06-30 = true",
        // month_start(2024-06-30) = 2024-06-01: 29 days before.
        "2024-06-30 − 2024-06-01 = 29天",
        // 2024-06-30 + 15天 = 2024-07-15.
        "month(2024-07-15) = 7",
        "比例[true] = 80%",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // The parameter 宽限 is read once by the comparison, and shown once.
    let cmp = out
        .lines()
        .skip_while(|l| !l.contains("2024-06-15 <= 2025-06-30"))
        .take_while(|l| !l.contains("出院年"))
        .filter(|l| l.contains("宽限 = 15天"))
        .count();
    assert_eq!(cmp, 1, "{out}");
}

/// A policy moving the discharge date by `shift`, run on claims C1
/// (2024-06-30, 1000.00) and C2 (2025-01-31, `c2_cost`).
fn run_shift(name: &str, shift: &str, c2_cost: &str) -> std::process::Output {
    let dir = temp_dir(&format!("dates-{name}"));
    let policy = format!(
        "region \"测试市\" code \"000001\"\noutput 日: count\nlayer fund_paid \"统筹基金\" {{\n  rule 报销 {{\n    日 = day(claim.discharge_date + {shift})\n    pay 0\n  }}\n}}\n"
    );
    std::fs::write(dir.join("p.policy"), policy).unwrap();
    let claims = std::fs::read_to_string(common::root().join(CLAIMS))
        .unwrap()
        .replace("2025-01-31,1000.00", &format!("2025-01-31,{c2_cost}"));
    std::fs::write(dir.join("claims.csv"), claims).unwrap();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    yibao(&[
        "run",
        &p("p.policy"),
        "--claims",
        &p("claims.csv"),
        "--institutions",
        INSTS,
        "--out",
        &p("out"),
    ])
}

#[test]
fn a_count_of_days_known_only_per_claim_must_be_whole() {
    // 1000.00 / 100元 × 1天 = 10天: whole; 1050.00 / 100元 = 10.5天: not.
    let ok = run_shift("whole", "claim.total_cost / 100元 * 1天", "1000.00");
    assert!(ok.status.success(), "{}", stderr(&ok));
    let o = run_shift("fraction", "claim.total_cost / 100元 * 1天", "1050.00");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error: a date moves by whole days, not 10.5天"),
        "{err}"
    );
    assert!(err.contains("claim `C2`"), "{err}");
    assert!(err.contains("in rule `fund_paid/报销`"), "{err}");
}

#[test]
fn a_date_moved_out_of_range_is_an_error_not_a_panic() {
    // 1000.00 / 1元 × 10000个月 = 10,000,000 months: far past the year 9999.
    let o = run_shift("range", "claim.total_cost / 1元 * 10000个月", "1000.00");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error: 2024-06-30 + 10000000个月 is outside the dates a policy can hold (years 1 to 9999)"),
        "{err}"
    );
    assert!(err.contains("claim `C1`"), "{err}");
}

/// Through the whole engine (checker, loader, evaluator): moving a date by
/// `n` days and subtracting gives `n` back, and a month's end plus one day is
/// the next month's start, for dates across four centuries.
mod engine_properties {
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use yibao::data::Input;

    const POLICY: &str = r#"region "测试市" code "000001"
field claim.n: count
output back: days
output ahead: days
output gap: days
output first: count
layer fund_paid "统筹基金" {
  rule 报销 {
    back = (claim.discharge_date + claim.n * 1天) - claim.discharge_date
    ahead = claim.discharge_date - (claim.discharge_date - claim.n * 1天)
    gap = (month_end(claim.discharge_date) + 1天) - month_start(claim.discharge_date + 1个月)
    first = day(month_end(claim.discharge_date) + 1天)
    pay 0
  }
}
"#;

    fn date(day: i32) -> String {
        yibao::date::Date(day).to_string()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn shifts_undo_and_month_ends_meet_month_starts(
            rows in proptest::collection::vec((-25_000i32..47_000, 0i64..40_000), 1..50)
        ) {
            let file = yibao::source::SourceFile::new("p.policy", POLICY);
            let (prog, _) = yibao::compile(&file).unwrap();
            let dir = super::common::temp_dir("dates-properties");
            std::fs::write(dir.join("i.csv"), "institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled\nH1,医院,2,A,,0.00,0.00,0\n").unwrap();
            let insts = yibao::data::load_institutions(&dir.join("i.csv"), &[]).unwrap();
            let mut csv = format!("{},n\n", super::HEADER);
            for (k, (day, n)) in rows.iter().enumerate() {
                let d = date(*day);
                csv.push_str(&format!("C{k},P{k},resident,false,50,H1,inpatient,{d},{d},100.00,0.00,0.00,A00,,{n}\n"));
            }
            let (claims, rejects) = yibao::data::load_claims_from(
                &Input::bytes("gen.csv", csv.into_bytes()),
                &insts,
                &prog.claim_extras,
            ).unwrap();
            prop_assert!(rejects.is_empty(), "{:?}", rejects.first());
            let s = yibao::eval::settle(&prog, &claims, &insts, 1).unwrap();
            let out = s.shape.output_col(0);
            for (k, c) in claims.rows.iter().enumerate() {
                let row = s.row(k);
                let id = claims.text(c.id);
                let n: usize = id[1..].parse().unwrap();
                prop_assert_eq!(row[out], Decimal::from(rows[n].1), "claim {}", id);
                prop_assert_eq!(row[out + 1], Decimal::from(rows[n].1), "claim {}", id);
                prop_assert_eq!(row[out + 2], Decimal::ZERO, "claim {}", id);
                prop_assert_eq!(row[out + 3], Decimal::ONE, "claim {}", id);
            }
        }
    }
}
