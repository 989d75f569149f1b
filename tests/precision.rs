//! Fen precision, checked statically: no policy that passes `check` can hit
//! the run-time "not a whole number of fen" error.
//!
//! Generated policies pay, output and book (in a settle block) amounts built
//! from every form the language has — fields, parameters of each type, table
//! cells, constants of any scale, sums, products, quotients, averages,
//! schedules, rates, `min`/`max`/`clamp`/`if`, and rounding by every step —
//! and every one that checks is settled on generated claims. Whatever else
//! may stop a run (a division by zero, an overflow), a fraction of a fen may
//! not; and a good share of the generated policies must check, so that the
//! property is not vacuous. 10,000 cases by default (`PROPTEST_CASES`).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use proptest::prelude::*;
use yibao::data::{Input, Institutions};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

const HEAD: &str = r#"region "测试市" code "000001"
param 额: money = 123.45元
param 比: ratio = 33.3%
param 次: count = 3
param 日: days = 10天
param 月: months = 1.5个月
table 表额: money by claim.insured_type = { "employee": 800.05元, "resident": 0.99元 }
table 表比: ratio by institution.level = { 1: 95%, 2: 87.5%, 3: 66.67% }
schedule 段: marginal { 0 .. 1000元: 12.5%, 1000元 ..: 33% }
output 输出: money
ledger 账: money
"#;

/// A money expression of depth at most `d`.
fn money(d: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("claim.total_cost".to_string()),
        Just("claim.self_pay_cost".to_string()),
        Just("额".to_string()),
        Just("表额[claim.insured_type]".to_string()),
        Just("3元".to_string()),
        Just("0.5元".to_string()),
        Just("1.5万元".to_string()),
        Just("claim.drug_cost".to_string()),
    ];
    if d == 0 {
        return leaf.boxed();
    }
    let m = || money(d - 1);
    prop_oneof![
        2 => leaf,
        1 => (m(), m()).prop_map(|(a, b)| format!("({a} + {b})")),
        1 => (m(), m()).prop_map(|(a, b)| format!("({a} - {b})")),
        1 => (m(), ratio()).prop_map(|(a, r)| format!("{a} * {r}")),
        1 => (m(), count()).prop_map(|(a, c)| format!("{a} * {c}")),
        1 => m().prop_map(|a| format!("{a} * 日")),
        1 => m().prop_map(|a| format!("{a} * 月")),
        1 => (m(), count()).prop_map(|(a, c)| format!("{a} / ({c} + 1)")),
        1 => (m(), m(), m()).prop_map(|(a, b, c)| format!("({a} / ({b} + 1元)) * {c}")),
        1 => (m(), m()).prop_map(|(a, b)| format!("min({a}, {b})")),
        1 => (m(), m()).prop_map(|(a, b)| format!("max({a}, {b})")),
        1 => (m(), m(), m()).prop_map(|(a, b, c)| format!("clamp({a}, {b}, {c})")),
        1 => (m(), m()).prop_map(|(a, b)| format!("(if claim.age > 50 then {a} else {b})")),
        1 => m().prop_map(|a| format!("段({a})")),
        1 => m().prop_map(|a| format!("{a} * rate(段, {a})")),
        1 => (m(), rounding()).prop_map(|(a, r)| format!("({a} {r})")),
        1 => m().prop_map(|a| format!("-{a}")),
    ]
    .boxed()
}

fn ratio() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("比".to_string()),
        Just("表比[institution.level]".to_string()),
        Just("7%".to_string()),
        Just("100%".to_string()),
        Just("0.125".to_string()),
        Just("(claim.self_pay_cost / (claim.total_cost + 1元))".to_string()),
    ]
}

fn count() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("claim.age".to_string()),
        Just("次".to_string()),
        Just("2".to_string()),
        Just("0.5".to_string()),
        Just("(claim.discharge_date - claim.admit_date)".to_string()),
    ]
}

fn rounding() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("round".to_string()),
        Just("round to 1元".to_string()),
        Just("round to 0.05".to_string()),
        Just("round to 0.1 half_even".to_string()),
        Just("round to 0.001".to_string()),
        Just("round to 0.01 down".to_string()),
    ]
}

fn policy(pay: &str, out: &str, book: &str) -> String {
    format!(
        "{HEAD}layer fund_paid \"统筹基金\" {{
  rule 全部 {{
    输出 = {out}
    pay clamp({pay}, 0, remaining)
  }}
}}
settle 年终 per institution per year {{
  账 = sum(输出) + {book}
}}
"
    )
}

const INSTITUTIONS: &str = "\
institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled
H1,一级卫生院,1,A,,60000.00,4000.00,1200
H2,二级医院,2,B,,250000.33,20000.00,5000
H3,三级医院,3,C,,900000.00,80000.01,20000
";

fn institutions() -> Institutions {
    yibao::data::load_institutions_from(
        &Input::bytes("i.csv", INSTITUTIONS.as_bytes().to_vec()),
        &[],
    )
    .unwrap()
}

fn claims_csv(costs: &[(u64, u8, u8, u8)]) -> String {
    let mut s = String::from("claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n");
    for (i, &(fen, pct, age, inst)) in costs.iter().enumerate() {
        let sp = fen * u64::from(pct) / 100;
        s.push_str(&format!(
            "C{i},P{},{},false,{age},H{},inpatient,2025-03-01,2025-03-{:02},{}.{:02},{}.{:02},{}.{:02},A00,\n",
            i % 3,
            if i % 2 == 0 { "employee" } else { "resident" },
            inst % 3 + 1,
            1 + (age % 27),
            fen / 100,
            fen % 100,
            sp / 100,
            sp % 100,
            sp / 100,
            sp % 100,
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_policy_that_checks_never_meets_a_fraction_of_a_fen(
        pay in money(3),
        out in money(2),
        book in prop_oneof![
            Just("budget * 比".to_string()),
            Just("budget * 比 round".to_string()),
            Just("avg(fund_paid)".to_string()),
            Just("avg(fund_paid) round".to_string()),
            Just("sum(fund_paid * 比)".to_string()),
            Just("sum(fund_paid * 比 round)".to_string()),
            Just("institution.annual_budget / 12 round to 1元".to_string()),
            Just("prior(账, institution.prior_year_monthly_avg * 月)".to_string()),
            Just("prior(账, institution.prior_year_monthly_avg * 次)".to_string()),
            Just("count() * 额".to_string()),
        ],
        claims in proptest::collection::vec((0u64..5_000_000, 0u8..=100, 0u8..100, 0u8..3), 1..12),
    ) {
        let text = policy(&pay, &out, &book);
        let file = yibao::source::SourceFile::new("gen.policy", &text);
        let Ok((prog, _)) = yibao::compile(&file) else {
            return Ok(());
        };
        let insts = institutions();
        let csv = claims_csv(&claims);
        let (claims, rejects) =
            yibao::data::load_claims_from(&Input::bytes("c.csv", csv.into_bytes()), &insts, &[])
                .unwrap();
        prop_assert!(rejects.is_empty());
        let fen = |m: &str| m.contains("fen");
        match yibao::eval::settle(&prog, &claims, &insts, 1) {
            Err(e) => prop_assert!(!fen(&e.message), "{}\n{}", e.message, text),
            Ok(s) => {
                for k in 0..s.len() {
                    for v in s.row(k) {
                        prop_assert_eq!(v.round_dp(2), *v, "{}", text);
                    }
                }
                if let Err(e) = yibao::eval::settle_institutions(&prog, &claims, &insts, &s, None) {
                    prop_assert!(!fen(&e.message), "{}\n{}", e.message, text);
                }
            }
        }
    }
}

/// The property is not vacuous: a fair share of the generated policies check
/// (and are settled), and some do not (the generator does make fractions).
#[test]
fn a_fair_share_of_generated_policies_check() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut tried, mut ok) = (0, 0);
    for _ in 0..300 {
        let pay = money(3).new_tree(&mut runner).unwrap().current();
        let text = policy(&pay, "0元", "0元");
        tried += 1;
        if yibao::compile(&yibao::source::SourceFile::new("g.policy", &text)).is_ok() {
            ok += 1;
        }
    }
    assert!(
        ok * 5 >= tried,
        "only {ok} of {tried} generated policies check"
    );
    assert!(
        ok < tried,
        "every generated policy checks: the generator never leaves a fraction"
    );
}
