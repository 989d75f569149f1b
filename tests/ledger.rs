//! The settlement's shape: every ledger amount read is its final value, every
//! period and unit appears, and a run's scope is what it says. Each policy
//! here is small enough that its figures are worked by hand in the comments;
//! each test failed before the change that made it pass (see the commit).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{stderr, stdout, temp_dir, yibao};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HEADER: &str = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";

/// A case: a policy, claims (`id,patient,institution,discharge,total_cost`)
/// and institutions (`id,alliance,annual_budget`), written to a folder.
struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str, policy: &str, claims: &[&str], insts: &[&str]) -> Case {
        let dir = temp_dir(&format!("ledger-{name}"));
        std::fs::write(dir.join("p.policy"), policy).unwrap();
        let mut c = format!("{HEADER}\n");
        for row in claims {
            let f: Vec<&str> = row.split(',').collect();
            c.push_str(&format!(
                "{},{},resident,false,50,{},inpatient,{},{},{},0.00,0.00,A00,\n",
                f[0], f[1], f[2], f[3], f[3], f[4]
            ));
        }
        std::fs::write(dir.join("claims.csv"), c).unwrap();
        let mut i = String::from(
            "institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled\n",
        );
        for row in insts {
            let f: Vec<&str> = row.split(',').collect();
            i.push_str(&format!(
                "{},医院{},2,A,{},{},0.00,0\n",
                f[0], f[0], f[1], f[2]
            ));
        }
        std::fs::write(dir.join("institutions.csv"), i).unwrap();
        Case { dir }
    }

    fn path(&self, f: &str) -> String {
        self.dir.join(f).to_str().unwrap().to_string()
    }

    fn run(&self, extra: &[&str]) -> std::process::Output {
        let (p, c, i, o) = (
            self.path("p.policy"),
            self.path("claims.csv"),
            self.path("institutions.csv"),
            self.path("out"),
        );
        let mut args = vec!["run", &p, "--claims", &c, "--institutions", &i, "--out", &o];
        args.extend_from_slice(extra);
        yibao(&args)
    }

    fn ok(&self, extra: &[&str]) -> String {
        let o = self.run(extra);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    }

    fn check(&self) -> String {
        let o = yibao(&["check", &self.path("p.policy")]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        stderr(&o)
    }

    /// The rows of an output file, each as column → value.
    fn rows(&self, file: &str) -> Vec<BTreeMap<String, String>> {
        rows(&self.dir.join("out").join(file))
    }

    /// The year row of a unit.
    fn year(&self, unit: &str, year: &str) -> BTreeMap<String, String> {
        self.rows("ledger.csv")
            .into_iter()
            .find(|r| r["unit_id"] == unit && r["year"] == year)
            .unwrap_or_else(|| panic!("no ledger row for {unit} {year}"))
    }
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

const HALF: &str = r#"region "测试市" code "000001"
layer fund_paid "统筹基金" {
  rule 全部 {
    pay claim.total_cost * 50% round
  }
}
"#;

/// Before: `总支付` read routine_paid and clearing_balance before they were
/// known and gave 0.00; `提前读` read surplus before its statement (0.00).
#[test]
fn ledger_amounts_read_give_their_final_values() {
    let policy = format!(
        "{HALF}
ledger 总支付: money
ledger 提前读: money
settle 年终 per institution per year {{
  提前读 = surplus
  总支付 = routine_paid + clearing_balance
  budget = institution.annual_budget
  routine_paid = sum(fund_paid)
  surplus = max(budget - routine_paid, 0)
  retained = surplus * 50% round
}}
settle 考核 per institution per year {{
  deductions = 100元
}}
"
    );
    let case = Case::new(
        "final-values",
        &policy,
        &["C1,P1,H1,2025-03-05,4000.00", "C2,P2,H1,2025-04-05,1000.01"],
        &["H1,,10000.00", "H2,,5000.00"],
    );
    case.ok(&[]);
    // H1: fund 4000.00 × 50% = 2000.00; 1000.01 × 50% = 500.005 → 500.01;
    // routine 2500.01; surplus 10000 − 2500.01 = 7499.99; retained
    // 7499.99 × 50% = 3749.995 → 3750.00; deductions 100 (a later block);
    // clearing = 3750.00 − 100.00 = 3650.00; 总支付 = 2500.01 + 3650.00.
    let h1 = case.year("H1", "2025");
    assert_eq!(h1["提前读"], "7499.99");
    assert_eq!(h1["clearing_balance"], "3650.00");
    assert_eq!(h1["总支付"], "6150.01");
    // H2, no claims: surplus 5000, retained 2500.00, clearing 2400.00.
    let h2 = case.year("H2", "2025");
    assert_eq!(h2["提前读"], "5000.00");
    assert_eq!(h2["总支付"], "2400.00");
}

/// Before: an empty month had no row and ran no month block, so the year's
/// budget was one month's (1000.00) and the surplus 0.
#[test]
fn every_month_of_a_cleared_year_runs() {
    let policy = format!(
        "{HALF}
settle 月度 per institution per month {{
  budget = 1000元
  routine_paid = sum(fund_paid)
}}
settle 年终 per institution per year {{
  surplus = max(budget - routine_paid, 0)
  retained = surplus
}}
"
    );
    let case = Case::new(
        "months",
        &policy,
        &["C1,P1,H1,2025-03-05,4000.00"],
        &["H1,,0.00", "H2,,0.00"],
    );
    case.ok(&[]);
    // 12 months × 1000.00 = 12000.00; routine 2000.00 (March); surplus 10000.00.
    let h1 = case.year("H1", "2025");
    assert_eq!(h1["budget"], "12000.00");
    assert_eq!(h1["surplus"], "10000.00");
    // H2 has no claims at all: its months run too.
    assert_eq!(case.year("H2", "2025")["retained"], "12000.00");
    let months = case.rows("ledger_months.csv");
    assert_eq!(months.len(), 24, "12 months × 2 institutions");
    let inst_months = case.rows("institution_months.csv");
    assert_eq!(inst_months.len(), 24);
    let jan = &inst_months[0];
    assert_eq!((jan["month"].as_str(), jan["claims"].as_str()), ("1", "0"));
}

/// Before: the institution rows of an alliance-only policy showed 0.00 for
/// what their claims were paid; now `claims_paid` is Σ layers.
#[test]
fn institution_rows_show_what_their_claims_were_paid() {
    let policy = format!(
        "{HALF}
settle 医共体 per alliance per year {{
  routine_paid = sum(fund_paid)
}}
"
    );
    let case = Case::new(
        "alliance-only",
        &policy,
        &["C1,P1,H1,2025-03-05,4000.00", "C2,P2,H2,2025-03-06,300.00"],
        &["H1,A1,0.00", "H2,A1,0.00", "H3,,0.00"],
    );
    case.ok(&[]);
    // H1 2000.00, H2 150.00; the alliance adds them: 2150.00.
    assert_eq!(case.year("H1", "2025")["claims_paid"], "2000.00");
    assert_eq!(case.year("H2", "2025")["claims_paid"], "150.00");
    assert_eq!(case.year("H3", "2025")["claims_paid"], "0.00");
    assert_eq!(case.year("A1", "2025")["routine_paid"], "2150.00");
}

/// Before: `a region block has no ledger row` (a check error).
#[test]
fn a_region_block_writes_a_region_row() {
    let policy = format!(
        "{HALF}
settle 全市 per region per year {{
  budget = 10000元
  routine_paid = sum(fund_paid)
  surplus = max(budget - routine_paid, 0)
}}
"
    );
    let case = Case::new(
        "region",
        &policy,
        &["C1,P1,H1,2025-03-05,4000.00", "C2,P2,H2,2025-03-06,300.00"],
        &["H1,,0.00", "H2,,0.00"],
    );
    case.ok(&[]);
    let region: Vec<_> = case
        .rows("ledger.csv")
        .into_iter()
        .filter(|r| r["unit"] == "region")
        .collect();
    assert_eq!(region.len(), 1);
    // 2000.00 + 150.00 = 2150.00; surplus 10000 − 2150 = 7850.00.
    assert_eq!(region[0]["routine_paid"], "2150.00");
    assert_eq!(region[0]["surplus"], "7850.00");
    assert_eq!(region[0]["claims"], "2");
}

/// Before: the run failed at the end with "routine_paid of the year (500.00)
/// is not the sum of its months (0)" in 2002, a year no month block covers.
#[test]
fn a_dated_month_block_binds_only_the_years_it_is_in_force() {
    let policy = format!(
        "{HALF}
settle 月度 per institution per month until 2001-12-31 {{
  routine_paid = sum(fund_paid)
}}
settle 年度 per institution per year from 2002-01-01 {{
  routine_paid = sum(fund_paid)
}}
"
    )
    .replace("month until", "month from 2001-01-01 until");
    let case = Case::new(
        "dated-months",
        &policy,
        &["C1,P1,H1,2001-03-05,400.00", "C2,P1,H1,2002-03-05,1000.00"],
        &["H1,,0.00"],
    );
    case.ok(&[]);
    // 2001: 400 × 50% = 200.00 by the month block; 2002: 500.00 by the year block.
    assert_eq!(case.year("H1", "2001")["routine_paid"], "200.00");
    assert_eq!(case.year("H1", "2002")["routine_paid"], "500.00");
}

const CLEAR: &str = "
settle 年终 per institution per year {
  budget = institution.annual_budget
  routine_paid = sum(fund_paid)
  surplus = max(budget - routine_paid, 0)
  retained = surplus
}
";

/// `--year` clears the years it names, with or without claims; claims
/// outside are set aside and counted.
#[test]
fn the_years_a_run_clears_are_explicit() {
    let case = Case::new(
        "years",
        &format!("{HALF}{CLEAR}"),
        &["C1,P1,H1,2024-12-30,100.00", "C2,P1,H1,2025-01-02,1000.00"],
        &["H1,,3000.00"],
    );
    let out = case.ok(&["--year", "2025-2026"]);
    assert!(
        out.contains(
            "claims: 2 read = 1 settled + 0 rejected + 1 outside the run (2025-01 to 2026-12)"
        ),
        "{out}"
    );
    // 2025: 1000 × 50% = 500.00 of 3000.00 → retained 2500.00; 2026, no claims: 3000.00.
    assert_eq!(case.year("H1", "2025")["retained"], "2500.00");
    assert_eq!(case.year("H1", "2026")["retained"], "3000.00");
    assert_eq!(case.rows("ledger.csv").len(), 2);
    // By default every year from the first discharge year to the last.
    let out = case.ok(&[]);
    assert!(out.contains("= 2 settled + 0 rejected\n"), "{out}");
    assert_eq!(case.year("H1", "2024")["routine_paid"], "50.00");
}

/// `--through` stops the run after a month: later months are not run, and
/// the year-end blocks do not run for the year cut short (unless asked).
#[test]
fn a_run_through_a_month_leaves_the_year_open() {
    let policy = format!(
        "{HALF}
settle 月度 per institution per month {{
  routine_paid = sum(fund_paid)
}}
settle 年终 per institution per year {{
  budget = institution.annual_budget
  surplus = max(budget - routine_paid, 0)
  retained = surplus
}}
"
    );
    let case = Case::new(
        "through",
        &policy,
        &["C1,P1,H1,2025-02-01,1000.00", "C2,P1,H1,2025-07-01,2000.00"],
        &["H1,,3000.00"],
    );
    let out = case.ok(&["--through", "2025-06"]);
    assert!(
        out.contains("+ 1 outside the run (2025-01 to 2025-06)"),
        "{out}"
    );
    // January–June only: routine 500.00; no year-end: surplus 0.00, partial.
    let y = case.year("H1", "2025");
    assert_eq!(
        (
            y["status"].as_str(),
            y["routine_paid"].as_str(),
            y["retained"].as_str()
        ),
        ("partial", "500.00", "0.00")
    );
    assert_eq!(case.rows("ledger_months.csv").len(), 6);
    // Asked for: the year-end on the half year, marked provisional: 3000 − 500.
    case.ok(&["--through", "2025-06", "--provisional"]);
    let y = case.year("H1", "2025");
    assert_eq!(
        (y["status"].as_str(), y["retained"].as_str()),
        ("provisional", "2500.00")
    );
    // --provisional alone is a usage error.
    let o = case.run(&["--provisional"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A genuine cycle, a read in its own computation and a declared amount
/// that nothing sets are check errors (their messages are pinned in the
/// malformed corpus); before, each read as 0 and the run went on.
#[test]
fn ledger_reads_that_cannot_be_known_are_check_errors() {
    for (name, body, says) in [
        (
            "cycle",
            "budget = routine_paid * 2\n  routine_paid = budget / 2 round",
            "computed from each other",
        ),
        (
            "self",
            "deductions = 10元\n  deductions += deductions * 10% round",
            "is read in its own computation",
        ),
        ("unset", "budget = 应付", "is read but never set"),
    ] {
        let policy = format!(
            "{HALF}ledger 应付: money\nsettle 年终 per institution per year {{\n  {body}\n}}\n"
        );
        let case = Case::new(
            name,
            &policy,
            &["C1,P1,H1,2025-02-01,1000.00"],
            &["H1,,0.00"],
        );
        let err = case.check();
        assert!(err.contains(says), "{name}: {err}");
    }
}

/// What an aggregate ranges over does not depend on how its condition is
/// spelled. Before, `count(when institution.level == 2)` counted
/// institutions and `count(when 二级)` (a top-level `let` of the same field)
/// counted claims; now a range is said (`institutions`, `claims`), without
/// one an aggregate is over claims, and one that reads only institution
/// values must say.
#[test]
fn an_aggregate_says_what_it_ranges_over() {
    let policy = format!(
        "{HALF}
let 二级 = institution.level == 2
settle 全市 per region per year {{
  let 机构数 = count(institutions when institution.level == 2)
  let 病例数 = count(when 二级)
  let 病例数2 = count(claims when institution.level == 2)
  budget = 1000元 * 机构数 + 1元 * 病例数 + 0.01元 * 病例数2
}}
"
    );
    let case = Case::new(
        "ranges",
        &policy,
        &[
            "C1,P1,H1,2025-03-05,100.00",
            "C2,P2,H1,2025-03-06,100.00",
            "C3,P3,H2,2025-03-07,100.00",
        ],
        &["H1,,0.00", "H2,,0.00", "H3,,0.00"],
    );
    case.ok(&[]);
    // Every institution of the file is level 2: 3 institutions, 3 claims:
    // 1000 × 3 + 1 × 3 + 0.01 × 3 = 3003.03.
    let region = case
        .rows("ledger.csv")
        .into_iter()
        .find(|r| r["unit"] == "region")
        .unwrap();
    assert_eq!(region["budget"], "3003.03");
    let ambiguous = Case::new(
        "ranges-ambiguous",
        &policy.replace("count(institutions when", "count(when"),
        &["C1,P1,H1,2025-03-05,100.00"],
        &["H1,,0.00"],
    );
    assert!(
        ambiguous
            .check()
            .contains("say what this `count` ranges over"),
        "{}",
        ambiguous.check()
    );
}

/// The institutions file in another order gives the same output bytes:
/// rows are ordered by their keys. Before: ledger.csv and
/// institution_months.csv followed the file's order.
#[test]
fn outputs_do_not_depend_on_the_order_of_institutions() {
    let dir = temp_dir("ledger-inst-order");
    let src = std::fs::read_to_string(
        common::root().join("tests/fixtures/settle/qingdao/institutions.csv"),
    )
    .unwrap();
    let mut lines: Vec<&str> = src.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let reversed = format!("{header}\n{}\n", lines.join("\n"));
    std::fs::write(dir.join("reversed.csv"), reversed).unwrap();
    let run = |insts: &str, out: &str| {
        let o = yibao(&[
            "run",
            "policies/qingdao.policy",
            "--claims",
            "tests/fixtures/settle/qingdao/claims.csv",
            "--institutions",
            insts,
            "--out",
            out,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let (a, b) = (dir.join("a"), dir.join("b"));
    run(
        "tests/fixtures/settle/qingdao/institutions.csv",
        a.to_str().unwrap(),
    );
    run(
        dir.join("reversed.csv").to_str().unwrap(),
        b.to_str().unwrap(),
    );
    for f in [
        "claims.csv",
        "institution_months.csv",
        "ledger.csv",
        "ledger_months.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} depends on the order of institutions.csv"
        );
    }
}
