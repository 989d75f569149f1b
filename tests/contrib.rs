//! Contribution settlement: every figure of `tests/fixtures/contrib/<policy>/`
//! computed independently (`oracle.py`, from the rules in words in
//! `RULES.md`, never from the engine) must be what `yibao run` writes, and
//! the check and run errors an author meets are the ones promised.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{csv_rows, root, stderr, stdout, temp_dir, yibao};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn run(name: &str, tag: &str, extra: &[&str]) -> (PathBuf, std::process::Output) {
    let dir = root().join("tests/fixtures/contrib").join(name);
    let out = temp_dir(&format!("contrib-{tag}-{name}"));
    let policy = format!("policies/{name}.policy");
    let (persons, contributions) = (
        dir.join("persons.csv").display().to_string(),
        dir.join("contributions.csv").display().to_string(),
    );
    let mut args = vec![
        "run",
        policy.as_str(),
        "--persons",
        persons.as_str(),
        "--contributions",
        contributions.as_str(),
        "--out",
        out.to_str().unwrap_or_default(),
    ];
    args.extend(extra);
    let o = yibao(&args);
    (out, o)
}

/// A written file as `key → column → value`, the key made of `keys` columns
/// joined by a space (as `expected.csv` writes them).
fn table(path: &Path, keys: &[&str]) -> HashMap<String, HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("read");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec = rec.expect("record");
        let get = |c: &str| {
            header
                .iter()
                .position(|h| h == c)
                .and_then(|i| rec.get(i))
                .unwrap_or_default()
                .to_string()
        };
        let key = keys.iter().map(|k| get(k)).collect::<Vec<_>>().join(" ");
        let row: HashMap<String, String> = header.iter().map(|h| (h.clone(), get(h))).collect();
        out.insert(key, row);
    }
    out
}

#[test]
fn every_independently_computed_figure_matches() {
    for name in ["kunming", "beijing"] {
        let (out, o) = run(name, "oracle", &[]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let tables = [
            (
                "person_months",
                table(&out.join("person_months.csv"), &["person_id", "month"]),
            ),
            (
                "person_years",
                table(&out.join("person_years.csv"), &["person_id", "year"]),
            ),
            (
                "employer_years",
                table(&out.join("employer_years.csv"), &["employer_id", "year"]),
            ),
            (
                "retirements",
                table(&out.join("retirements.csv"), &["person_id"]),
            ),
            (
                "totals",
                table(&out.join("contribution_totals.csv"), &["year"]),
            ),
        ];
        let expected = csv_rows(
            &root()
                .join("tests/fixtures/contrib")
                .join(name)
                .join("expected.csv"),
        );
        assert!(
            expected.len() > 100,
            "{name}: the oracle's figures are there"
        );
        let mut keys: HashMap<&str, std::collections::HashSet<String>> = HashMap::new();
        for want in &expected {
            let (t, key, column, value) = (&want[0], &want[1], &want[2], &want[3]);
            keys.entry(t.as_str()).or_default().insert(key.clone());
            // The oracle's `paid_months` is the months paid in the file.
            let column = match (t.as_str(), column.as_str()) {
                ("retirements", "paid_months") => "months_in_file",
                (_, c) => c,
            };
            let got = tables
                .iter()
                .find(|(n, _)| n == t)
                .and_then(|(_, rows)| rows.get(key))
                .and_then(|row| row.get(column))
                .unwrap_or_else(|| panic!("{name}: {t} has no {key} {column}"));
            assert_eq!(got, value, "{name}: {t} {key} {column}");
        }
        // Nothing written that the oracle does not know of.
        for (t, rows) in &tables {
            let want = keys.get(t).cloned().unwrap_or_default();
            let have: std::collections::HashSet<String> = rows.keys().cloned().collect();
            assert_eq!(have, want, "{name}: the rows of {t}");
        }
    }
}

#[test]
fn the_run_prints_the_totals_and_the_identity() {
    let (_, o) = run("kunming", "print", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    // 2024 (oracle): contributed 9923.12 = pool 6972.34 + accounts 2950.78.
    assert!(s.contains("contributions 2024: 22 months of 7 persons, contributed 9923.12 = pool 6972.34 + accounts 2950.78 (retirees credited 470.00)"), "{s}");
    // Lump sums: K4 2899.68 + K6 414.24 + K7 49708.80 = 53022.72.
    // K7's first month in the file is already retired: said so.
    assert!(
        s.contains("4 retired (1 of them retired before the file), lump sums due 53022.72"),
        "{s}"
    );
    assert!(s.contains("contribution identity"), "{s}");
    assert!(s.contains(": holds"), "{s}");
}

#[test]
fn a_policy_with_contribution_rules_names_the_missing_file() {
    let o = yibao(&[
        "run",
        "policies/kunming.policy",
        "--persons",
        "tests/fixtures/contrib/kunming/persons.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("no contributions file: give --contributions FILE"),
        "{e}"
    );
    let o = yibao(&["run", "policies/kunming.policy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no persons file: give --persons FILE"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn months_no_block_is_in_force_for_are_rejected_with_their_line() {
    let dir = temp_dir("contrib-outside");
    let persons = root().join("tests/fixtures/contrib/kunming/persons.csv");
    let c = dir.join("contributions.csv");
    std::fs::write(
        &c,
        "person_id,month,category,wage,employer_id\nK1,2023-12,employee,5000.00,E1\nK1,2024-01,employee,5000.00,E1\n",
    )
    .unwrap();
    let (p, cs) = (persons.display().to_string(), c.display().to_string());
    let o = yibao(&[
        "run",
        "policies/kunming.policy",
        "--persons",
        &p,
        "--contributions",
        &cs,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("contributions.csv:2: month 2023-12: no `contribute … per month` block is in force on 2023-12-01"), "{e}");
    // With a reject file the rest is settled and the row kept with its reason.
    let rejects = dir.join("rejects.csv");
    let r = rejects.display().to_string();
    let out = dir.join("out");
    let o = yibao(&[
        "run",
        "policies/kunming.policy",
        "--persons",
        &p,
        "--contributions",
        &cs,
        "--reject-file",
        &r,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("contributions: 2 read = 1 settled + 1 rejected"),
        "{s}"
    );
    let rows = csv_rows(&rejects);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "2");
    // 5000 is within 3107–15537: employer 5000 × 6% = 300.00.
    let months = table(&out.join("person_months.csv"), &["person_id", "month"]);
    assert_eq!(months["K1 2024-01"]["employer"], "300.00");
}

fn check_err(src: &str) -> String {
    let dir = temp_dir("contrib-check");
    let p = dir.join("p.policy");
    std::fs::write(&p, src).unwrap();
    let o = yibao(&["check", p.to_str().unwrap()]);
    assert!(!o.status.success(), "expected an error:\n{src}");
    stderr(&o)
}

const HEAD: &str = "region \"测试\"\nparam 费率: ratio = 6%\n";

#[test]
fn the_checker_refuses_what_cannot_be_meant() {
    // An amount left out.
    let e = check_err(&format!(
        "{HEAD}contribute 缴费 per month {{\n  base = contribution.wage\n  employer = base * 费率 round\n  employee = 0元\n}}\n"
    ));
    assert!(
        e.contains("contribute block `缴费` does not set `to_account`"),
        "{e}"
    );
    // to_pool is computed.
    let e = check_err(&format!(
        "{HEAD}contribute 缴费 per month {{\n  base = contribution.wage\n  employer = 0元\n  employee = 0元\n  to_account = 0元\n  to_pool = 1元\n}}\n"
    ));
    assert!(e.contains("`to_pool` is computed by yibao"), "{e}");
    // Unrounded money.
    let e = check_err(&format!(
        "{HEAD}contribute 缴费 per month {{\n  base = contribution.wage\n  employer = base * 费率\n  employee = 0元\n  to_account = 0元\n}}\n"
    ));
    assert!(
        e.contains("`employer` must be a whole number of fen"),
        "{e}"
    );
    // Read before set.
    let e = check_err(&format!(
        "{HEAD}contribute 缴费 per month {{\n  employer = base * 费率 round\n  base = contribution.wage\n  employee = 0元\n  to_account = 0元\n}}\n"
    ));
    assert!(
        e.contains("`base` is read before this block sets `base`"),
        "{e}"
    );
    // Dates not on a month boundary.
    let e = check_err(&format!(
        "{HEAD}contribute 缴费 per month from 2024-01-15 {{\n  base = contribution.wage\n  employer = 0元\n  employee = 0元\n  to_account = 0元\n}}\n"
    ));
    assert!(
        e.contains("must come into and go out of force with a month"),
        "{e}"
    );
    // A month's value at retirement.
    let e = check_err(&format!(
        "{HEAD}contribute 终身 at retirement {{\n  required_months = 300个月\n  required_paid_months = 180个月\n  lump_sum = contribution.wage\n}}\n"
    ));
    assert!(
        e.contains("`contribution.wage` is not known in a `at retirement` block"),
        "{e}"
    );
    // A person's value in a claim rule.
    let e = check_err(&format!(
        "{HEAD}layer fund_paid {{\n  rule r {{ pay person.deemed_months * 1元 }}\n}}\n"
    ));
    assert!(
        e.contains("`person.deemed_months` is a value of an insured person"),
        "{e}"
    );
    // A declaration named like a standard amount.
    let e = check_err(&format!(
        "{HEAD}param 缴费基数: money = 3000元\ncontribute 缴费 per month {{\n  base = 缴费基数\n  employer = 0元\n  employee = 0元\n  to_account = 0元\n}}\n"
    ));
    assert!(
        e.contains("`缴费基数` is a standard amount of contribute blocks"),
        "{e}"
    );
    // Two month blocks in force on one day.
    let e = check_err(&format!(
        "{HEAD}contribute a per month {{\n  base = 0元\n  employer = 0元\n  employee = 0元\n  to_account = 0元\n}}\ncontribute b per month from 2024-01-01 {{\n  base = 0元\n  employer = 0元\n  employee = 0元\n  to_account = 0元\n}}\n"
    ));
    assert!(
        e.contains("two `contribute … per month` blocks are in force on the same day"),
        "{e}"
    );
}

#[test]
fn ages_turn_on_the_birthday() {
    // B1 is born 1989-03-15: on 2024-03-01 she is 34, on 2024-04-01 35, so
    // the account rate goes from 2.8% (280.00 of 10000) to 3% (300.00) in
    // April, not in March. B2 (1979-05-01) is 45 on 2024-05-01 itself: 4%.
    let (out, o) = run("beijing", "ages", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = table(&out.join("person_months.csv"), &["person_id", "month"]);
    assert_eq!(m["B1 2024-03"]["age"], "34");
    assert_eq!(m["B1 2024-03"]["to_account"], "280.00");
    assert_eq!(m["B1 2024-04"]["age"], "35");
    assert_eq!(m["B1 2024-04"]["to_account"], "300.00");
    assert_eq!(m["B2 2024-05"]["band"], "45岁及以上");
}

mod identity {
    //! The property: for any simulated population and any rates, floors and
    //! caps, the five files reconcile — every month's to_pool is employer +
    //! employee − to_account, the person-years, employer-years and totals
    //! are the months added up, and the totals' identities hold.
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn money(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn sums(path: &Path, group: &[&str], cols: &[&str]) -> HashMap<String, Vec<Decimal>> {
        let mut out: HashMap<String, Vec<Decimal>> = HashMap::new();
        let mut r = csv::Reader::from_path(path).unwrap();
        let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let at = |c: &str| h.iter().position(|x| x == c).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let key = group
                .iter()
                .map(|g| {
                    let v = &rec[at(g)];
                    if *g == "month" {
                        v[..4].to_string()
                    } else {
                        v.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            let e = out
                .entry(key)
                .or_insert_with(|| vec![Decimal::ZERO; cols.len()]);
            for (i, c) in cols.iter().enumerate() {
                e[i] += money(&rec[at(c)]);
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn contribution_files_reconcile(
            seed in 1u64..1_000_000,
            claims in 200u64..3_000,
            years in 1u32..3,
            employer_pct in 0u32..1_200,
            floor in 1_000u32..5_000,
            span in 0u32..30_000,
            beijing in any::<bool>(),
        ) {
            let dir = temp_dir(&format!("contrib-prop-{seed}-{claims}"));
            let mut opts = yibao::synth::Options::for_claims(claims);
            opts.seed = seed;
            opts.first_year = 2024;
            opts.years = years;
            let (mut p, mut c) = (Vec::new(), Vec::new());
            yibao::synth::generate_contributors(&opts, &mut p, &mut c).unwrap();
            std::fs::write(dir.join("persons.csv"), p).unwrap();
            std::fs::write(dir.join("contributions.csv"), c).unwrap();
            let policy = if beijing { "policies/beijing.policy" } else { "policies/kunming.policy" };
            let rate = format!("单位费率={}.{:02}%", employer_pct / 100, employer_pct % 100);
            let lo = format!("缴费基数下限={floor}元");
            let hi = format!("缴费基数上限={}元", floor + span);
            let out = dir.join("out");
            let (pp, cc) = (dir.join("persons.csv"), dir.join("contributions.csv"));
            let o = yibao(&[
                "run", policy, "--persons", pp.to_str().unwrap(), "--contributions", cc.to_str().unwrap(),
                "--set", &rate, "--set", &lo, "--set", &hi, "--out", out.to_str().unwrap(),
            ]);
            prop_assert!(o.status.success(), "{}", stderr(&o));
            let cols = ["employer", "employee", "to_pool", "to_account"];
            // Every month: to_pool = employer + employee − to_account; base within the bounds.
            let mut r = csv::Reader::from_path(out.join("person_months.csv")).unwrap();
            for rec in r.records() {
                let rec = rec.unwrap();
                let v = |i: usize| money(&rec[i]);
                let (base, er, ee, pool, acct) = (v(5), v(6), v(7), v(8), v(9));
                prop_assert_eq!(pool, er + ee - acct);
                if &rec[2] == "retired" {
                    prop_assert_eq!(base, Decimal::ZERO);
                } else {
                    prop_assert!(base >= Decimal::from(floor) && base <= Decimal::from(floor + span));
                }
            }
            let by_year = sums(&out.join("person_months.csv"), &["month"], &cols);
            let person_years = sums(&out.join("person_years.csv"), &["year"], &cols);
            let totals = sums(&out.join("contribution_totals.csv"), &["year"], &cols);
            prop_assert_eq!(&by_year, &person_years);
            prop_assert_eq!(&by_year, &totals);
            let months_of_persons = sums(&out.join("person_months.csv"), &["person_id", "month"], &cols);
            let years_of_persons = sums(&out.join("person_years.csv"), &["person_id", "year"], &cols);
            prop_assert_eq!(months_of_persons, years_of_persons);
            // Employers: their months added up, by employer and year.
            let mut r = csv::Reader::from_path(out.join("person_months.csv")).unwrap();
            let mut want: HashMap<String, Vec<Decimal>> = HashMap::new();
            for rec in r.records() {
                let rec = rec.unwrap();
                if rec[3].is_empty() {
                    continue;
                }
                let e = want.entry(format!("{} {}", &rec[3], &rec[1][..4])).or_insert_with(|| vec![Decimal::ZERO; 4]);
                for (i, k) in [6, 7, 8, 9].into_iter().enumerate() {
                    e[i] += money(&rec[k]);
                }
            }
            let employers = sums(&out.join("employer_years.csv"), &["employer_id", "year"], &cols);
            prop_assert_eq!(want, employers);
            // The totals' own identities.
            let mut r = csv::Reader::from_path(out.join("contribution_totals.csv")).unwrap();
            for rec in r.records() {
                let rec = rec.unwrap();
                let v = |i: usize| money(&rec[i]);
                prop_assert_eq!(v(6), v(4) + v(5));
                prop_assert_eq!(v(6), v(7) + v(8));
                prop_assert_eq!(v(7), v(9) - v(10));
            }
        }
    }
}

#[test]
fn a_policy_with_claims_and_contributions_settles_both_into_one_folder() {
    // kunming's contribution rules beside a layer that pays 50% of every claim.
    let dir = temp_dir("contrib-both");
    let mut text = std::fs::read_to_string(root().join("policies/kunming.policy")).unwrap();
    text.push_str("\nlayer fund_paid \"统筹基金\" {\n  rule 全部 {\n    pay claim.total_cost * 50% round\n  }\n}\n");
    let p = dir.join("both.policy");
    std::fs::write(&p, text).unwrap();
    let out = dir.join("out");
    let o = yibao(&[
        "run",
        p.to_str().unwrap(),
        "--claims",
        "tests/fixtures/hand/r1/claims.csv",
        "--institutions",
        "tests/fixtures/hand/r1/institutions.csv",
        "--persons",
        "tests/fixtures/contrib/kunming/persons.csv",
        "--contributions",
        "tests/fixtures/contrib/kunming/contributions.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("contributions 2024: 22 months of 7 persons, contributed 9923.12"),
        "{}",
        stdout(&o)
    );
    assert!(out.join("claims.csv").exists());
    let (alone, a) = run("kunming", "both", &[]);
    assert!(a.status.success());
    for f in [
        "person_months.csv",
        "person_years.csv",
        "employer_years.csv",
        "retirements.csv",
        "contribution_totals.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(alone.join(f)).unwrap(),
            "{f}: the same as a run of the contributions alone"
        );
    }
    // Without the persons file the run is refused before anything is read.
    let o = yibao(&[
        "run",
        p.to_str().unwrap(),
        "--claims",
        "tests/fixtures/hand/r1/claims.csv",
        "--institutions",
        "tests/fixtures/hand/r1/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no persons file"), "{}", stderr(&o));
}

fn explain(name: &str, person: &str, what: &[&str]) -> std::process::Output {
    let dir = root().join("tests/fixtures/contrib").join(name);
    let policy = format!("policies/{name}.policy");
    let (p, c) = (
        dir.join("persons.csv").display().to_string(),
        dir.join("contributions.csv").display().to_string(),
    );
    let mut args = vec![
        "explain",
        policy.as_str(),
        "--persons",
        p.as_str(),
        "--contributions",
        c.as_str(),
        "--person",
        person,
    ];
    args.extend(what);
    yibao(&args)
}

#[test]
fn explain_shows_a_person_month_and_a_retirement() {
    let o = explain("beijing", "B1", &["--month", "2024-04"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    // 35 on 2024-04-01 (born 1989-03-15): the 35–45 band, 3% of 10000.
    assert!(s.contains("age(1989-03-15, 2024-04-01) = 35"), "{s}");
    assert!(s.contains("rate(划入比例, 35) = 3%"), "{s}");
    assert!(s.contains("to_account  300.00"), "{s}");
    assert!(s.contains("to_pool     800.00"), "{s}");
    let o = explain("kunming", "K7", &["--retirement"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    // 240 + 60 counted of 300; 60 paid of 180: 120 short, 120 × 5178 × 8%.
    assert!(s.contains("counted_months     300"), "{s}");
    assert!(s.contains("shortfall = 120个月"), "{s}");
    assert!(s.contains("lump_sum              49708.80"), "{s}");
    let o = explain("kunming", "K7", &["--month", "2023-01"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "person `K7` has no contribution in 2023-01; their months are 2024-12, 2025-01"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_explained_month_is_the_runs() {
    for name in ["kunming", "beijing"] {
        let (out, o) = run(name, "explain-all", &[]);
        assert!(o.status.success());
        let months = table(&out.join("person_months.csv"), &["person_id", "month"]);
        for (key, row) in &months {
            let (person, month) = key.split_once(' ').unwrap();
            let o = explain(name, person, &["--month", month, "--format", "json"]);
            assert!(o.status.success(), "{}", stderr(&o));
            let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
            for f in v["result"].as_array().unwrap() {
                let n = f["name"].as_str().unwrap();
                let value = match &f["value"] {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(&value, &row[n], "{name} {key} {n}");
            }
        }
    }
}

#[test]
fn compare_shows_who_pays_more_under_another_regions_rules() {
    let o = yibao(&[
        "compare",
        "policies/kunming.policy",
        "policies/beijing.policy",
        "--persons",
        "tests/fixtures/contrib/kunming/persons.csv",
        "--contributions",
        "tests/fixtures/contrib/kunming/contributions.csv",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let a = &v["against_baseline"][0];
    // K7 is retired in both (0 paid; 110 a month credited at 84 in both);
    // everyone else pays more under beijing's 9% + 2% on a floor of 6821.
    assert_eq!(a["pay_more"], 6);
    assert_eq!(a["pay_same"], 1);
    assert_eq!(a["account_same"], 1);
    // K1: kunming 3 × (3107 × 8%: 186.42 + 62.14) = 745.68;
    //     beijing 3 × (6821: 613.89 + 136.42) = 2250.93.
    let k1 = a["largest_contribution_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person_id"] == "K1")
        .expect("K1 among the largest changes");
    assert_eq!(k1["baseline"], "745.68");
    assert_eq!(k1["policy"], "2250.93");
    // The totals are each policy's run's: kunming 2024 contributed 9923.12.
    let t = v["totals"].as_array().unwrap();
    assert_eq!(t[0]["policy"], "kunming");
    assert_eq!(t[0]["contributed"], "9923.12");
    // beijing's rules on kunming's persons, by the oracle's functions
    // (oracle.beijing_month over kunming/contributions.csv): 2024 contributed
    // 16511.55, credited 5621.49; so Δ 16511.55 − 9923.12 = 6588.43.
    assert_eq!(t[1]["policy"], "beijing");
    assert_eq!(t[1]["contributed"], "16511.55");
    assert_eq!(t[1]["to_account"], "5621.49");
    assert_eq!(t[1]["Δ contributed"], "6588.43");
}

/// `yibao gen --contributions` for 3,000 claims over 2024–2025, in `dir/gen`.
fn generated_population(dir: &std::path::Path) -> std::path::PathBuf {
    let gen = dir.join("gen");
    let o = yibao(&[
        "gen",
        "--claims",
        "3000",
        "--years",
        "2",
        "--first-year",
        "2024",
        "--contributions",
        "--out",
        gen.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    gen
}

/// compare reads a contributions file beyond --memory in parts, as run
/// does, and gives the same comparison.
#[test]
fn compare_in_parts_gives_the_same_comparison() {
    let dir = temp_dir("contrib-compare-parts");
    let gen = generated_population(&dir);
    let compare = |extra: &[&str]| {
        let mut a = vec![
            "compare",
            "policies/kunming.policy",
            "policies/beijing.policy",
            "--persons",
        ];
        let (p, c) = (gen.join("persons.csv"), gen.join("contributions.csv"));
        let (p, c) = (
            p.to_str().unwrap().to_string(),
            c.to_str().unwrap().to_string(),
        );
        let mut owned = vec![
            p,
            "--contributions".to_string(),
            c,
            "--format".into(),
            "json".into(),
        ];
        owned.extend(extra.iter().map(|s| s.to_string()));
        a.extend(owned.iter().map(String::as_str));
        let o = yibao(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        (stdout(&o), stderr(&o))
    };
    let (whole, _) = compare(&[]);
    let spill = dir.join("spill");
    let (parts, note) = compare(&["--memory", "20K", "--spill-dir", spill.to_str().unwrap()]);
    assert!(note.contains("parts by person"), "{note}");
    assert_eq!(whole, parts);
}

#[test]
fn a_file_read_in_parts_gives_the_same_bytes_as_read_whole() {
    // The kunming fixture, a generated population, and a file with a
    // duplicated person-month and a month no block covers (rejected with
    // their lines, under --reject-file).
    let dir = temp_dir("contrib-spill");
    let gen = generated_population(&dir);
    let k = root().join("tests/fixtures/contrib/kunming");
    let mut text = std::fs::read_to_string(k.join("contributions.csv")).unwrap();
    text.push_str("K3,2024-01,flexible,5000.00,\nK1,2023-06,employee,4000.00,E1\n");
    std::fs::write(dir.join("bad.csv"), text).unwrap();
    let cases = [
        (
            k.join("persons.csv"),
            k.join("contributions.csv"),
            "kunming",
        ),
        (
            gen.join("persons.csv"),
            gen.join("contributions.csv"),
            "beijing",
        ),
        (k.join("persons.csv"), dir.join("bad.csv"), "kunming"),
    ];
    let mut spilled = 0;
    for (n, (persons, contributions, policy)) in cases.iter().enumerate() {
        let go = |tag: &str, memory: Option<&str>| {
            let out = dir.join(format!("out-{n}-{tag}"));
            let rejects = dir.join(format!("rejects-{n}-{tag}.csv"));
            let policy = format!("policies/{policy}.policy");
            let mut args = vec![
                "run".to_string(),
                policy,
                "--persons".into(),
                persons.display().to_string(),
                "--contributions".into(),
                contributions.display().to_string(),
                "--reject-file".into(),
                rejects.display().to_string(),
                "--out".into(),
                out.display().to_string(),
                "--spill-dir".into(),
                dir.join("spill").display().to_string(),
            ];
            if let Some(m) = memory {
                args.extend(["--memory".to_string(), m.to_string()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = yibao(&args);
            assert!(o.status.success(), "{}", stderr(&o));
            (out, rejects, stderr(&o), stdout(&o))
        };
        let (whole, whole_rejects, e, s) = go("whole", None);
        assert!(!e.contains("parts by person"), "{e}");
        for memory in ["1K", "3K", "16K"] {
            let (parts, parts_rejects, e, s2) = go(memory, Some(memory));
            if e.contains("parts by person") {
                spilled += 1;
            }
            let s2 = s2.replace(
                &format!("rejects-{n}-{memory}"),
                &format!("rejects-{n}-whole"),
            );
            assert_eq!(s, s2, "{n} {memory}: the summary");
            for f in yibao::report::CONTRIBUTION_FILES {
                let f = format!("{f}.csv");
                assert_eq!(
                    std::fs::read(whole.join(&f)).unwrap(),
                    std::fs::read(parts.join(&f)).unwrap(),
                    "case {n}, --memory {memory}: {f}"
                );
            }
            assert_eq!(
                std::fs::read(&whole_rejects).ok(),
                std::fs::read(&parts_rejects).ok(),
                "case {n}, --memory {memory}: the rejects"
            );
        }
    }
    // 1K: all three; 3K and 16K: the generated population only.
    assert_eq!(spilled, 5, "the runs read in parts");
    // The duplicated K3 2024-01 is rejected on both lines, the 2023 month once.
    let rows = csv_rows(&dir.join("rejects-2-1K.csv"));
    assert_eq!(rows.len(), 3, "{rows:?}");
    // Nothing is left in the spill folder.
    let left = std::fs::read_dir(dir.join("spill"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0);
}

mod reading {
    //! For any contributions file: every row read is settled or rejected
    //! (with a reason, on a line of its own), whole or in parts, and the
    //! totals' identities hold; never a panic.
    use super::*;
    use proptest::prelude::*;
    use yibao::data::{load_contributions, load_persons, Input};

    const PERSONS: &str = "person_id,sex,birth_date,deemed_months,prior_paid_months\nA,male,1960-02-29,120,100\nB,female,1990-12-31,0,0\nC,男,1950-01-01,0,10\n";

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("A".to_string()),
            Just("B".to_string()),
            Just("C".to_string()),
            Just("Z".to_string()),
            Just("2024-01".to_string()),
            Just("2024-13".to_string()),
            Just("2023-12".to_string()),
            Just("2025-02".to_string()),
            Just("employee".to_string()),
            Just("retired".to_string()),
            Just("灵活就业人员".to_string()),
            Just("0.00".to_string()),
            Just("3107.005".to_string()),
            Just("99999999999999.99".to_string()),
            Just("-5".to_string()),
            Just("E1".to_string()),
            Just(String::new()),
            Just("\"a,b\"".to_string()),
            "[0-9]{1,6}(\\.[0-9]{2})?",
        ]
    }

    /// Mostly well-formed rows (a person, a month, a category, a wage, an
    /// employer, each sometimes wrong), some of any shape.
    fn row() -> impl Strategy<Value = String> {
        let pick =
            |xs: &'static [&'static str]| proptest::sample::select(xs).prop_map(String::from);
        let good = (
            pick(&["A", "B", "C", "Z"]),
            pick(&[
                "2024-01", "2024-02", "2024-03", "2025-01", "2023-12", "2024-13",
            ]),
            pick(&["employee", "flexible", "retired", "退休人员", "boss"]),
            prop_oneof![
                pick(&["0.00", "0", "3107.00", "15537.01", "3107.005", "-1"]),
                "[0-9]{1,6}(\\.[0-9]{2})?"
            ],
            pick(&["E1", "", "E2"]),
        )
            .prop_map(|(a, b, c, d, e)| format!("{a},{b},{c},{d},{e}"));
        prop_oneof![
            4 => good,
            1 => proptest::collection::vec(field(), 3..7).prop_map(|f| f.join(",")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn every_contribution_row_is_settled_or_rejected(rows in proptest::collection::vec(row(), 0..25)) {
            let text = format!("person_id,month,category,wage,employer_id\n{}\n", rows.join("\n"));
            let (persons, bad) = load_persons(&Input::bytes("persons.csv", PERSONS.as_bytes().to_vec())).unwrap();
            prop_assert!(bad.is_empty());
            let input = Input::bytes("contributions.csv", text.into_bytes());
            let (contribs, rejects) = load_contributions(&input, &persons).unwrap();
            for name in ["kunming", "beijing"] {
                let file = yibao::source::SourceFile::read(&root().join(format!("policies/{name}.policy"))).unwrap();
                let (prog, _) = yibao::compile(&file).unwrap();
                let s = yibao::eval::contrib::settle_contributions(&prog, &persons, &contribs, Path::new("c.csv"));
                let s = match s {
                    Ok(s) => s,
                    // A run error names the person and month; never a panic.
                    Err(e) => { prop_assert!(e.unit.is_some(), "{}", e.message); continue; }
                };
                prop_assert_eq!(contribs.rows_read as usize, s.months.len() + s.rejected.len() + rejects.len());
                let mut lines: Vec<u64> = s.rejected.iter().chain(&rejects).map(|r| r.line).collect();
                lines.extend(s.months.iter().map(|m| contribs.rows[m.row as usize].line));
                let n = lines.len();
                lines.sort_unstable();
                lines.dedup();
                prop_assert_eq!(lines.len(), n, "a line counted twice");
                for r in s.rejected.iter().chain(&rejects) {
                    prop_assert!(!r.reason.is_empty());
                }
                for t in &s.totals {
                    prop_assert_eq!(t.contributed, t.to_pool + t.to_account);
                }
            }
        }
    }
}

#[test]
fn a_missing_column_names_the_columns_the_file_needs() {
    let dir = temp_dir("contrib-columns");
    let c = dir.join("c.csv");
    std::fs::write(
        &c,
        "person_id,month,category,employer_id\nK1,2024-01,employee,E1\n",
    )
    .unwrap();
    let o = yibao(&[
        "run",
        "policies/kunming.policy",
        "--persons",
        "tests/fixtures/contrib/kunming/persons.csv",
        "--contributions",
        c.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the header has no column `wage`; the file needs the columns `person_id`, `month`, `category`, `wage` and `employer_id`"), "{}", stderr(&o));
}
