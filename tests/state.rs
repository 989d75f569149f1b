//! State files: a year's run hands its closing state to the next year's
//! (`--state-out`, `--state-in`), and two one-year runs give the figures of
//! one two-year run. Data and hand figures: tests/fixtures/settle/readmission.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, temp_dir, yibao};
use std::path::{Path, PathBuf};

const POLICY: &str = "policies/readmission.policy";

fn fixture(f: &str) -> String {
    root()
        .join("tests/fixtures/settle/readmission")
        .join(f)
        .to_str()
        .unwrap()
        .to_string()
}

/// `yibao run` of `policy` on the fixture `tests/fixtures/settle/NAME` with `extra` flags.
fn run_on(policy: &str, name: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let f = |n: &str| {
        root()
            .join("tests/fixtures/settle")
            .join(name)
            .join(n)
            .to_str()
            .unwrap()
            .to_string()
    };
    let (claims, insts) = (f("claims.csv"), f("institutions.csv"));
    let mut args = vec![
        "run",
        policy,
        "--claims",
        claims.as_str(),
        "--institutions",
        insts.as_str(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    yibao(&args)
}

/// `yibao run` of the readmission policy on its fixture with `extra` flags.
fn run(out: &Path, extra: &[&str]) -> std::process::Output {
    run_on(POLICY, "readmission", out, extra)
}

/// The rows of a CSV file whose column `col` is `value`.
fn rows_where(file: PathBuf, col: usize, value: &str) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| l.split(',').nth(col) == Some(value))
        .map(String::from)
        .collect()
}

#[test]
fn two_one_year_runs_give_the_figures_of_one_two_year_run() {
    let dir = temp_dir("state-chain");
    let (whole, y24, y25) = (dir.join("whole"), dir.join("y24"), dir.join("y25"));
    let state = dir.join("state-2024.json");
    let state_s = state.to_str().unwrap();

    let o = run(&whole, &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    // Without --state-in the run says memory starts from nothing.
    assert!(common::stdout(&o).contains("note: no --state-in"));

    let o = run(&y24, &["--year", "2024", "--state-out", state_s]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = run(&y25, &["--year", "2025", "--state-in", state_s]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(!common::stdout(&o).contains("note: no --state-in"));

    // claims.csv: discharge_date is column 4; ledger.csv: year is column 2.
    let claims = |d: &Path| -> Vec<String> {
        std::fs::read_to_string(d.join("claims.csv"))
            .unwrap()
            .lines()
            .filter(|l| l.split(',').nth(4).is_some_and(|x| x.starts_with("2025-")))
            .map(String::from)
            .collect()
    };
    let c25 = claims(&y25);
    assert_eq!(c25, claims(&whole));
    // C2 is a readmission 8 days after C1's discharge on 2024-12-28 (the
    // state's memory): 5,000 × 80% = 4,000.00, no deductible.
    assert!(c25.contains(
        &"C2,P1,H1,inpatient,2025-01-10,2025,1,5000.00,4000.00,0.00,1000.00,0.00".to_string()
    ));
    let l25 = rows_where(y25.join("ledger.csv"), 2, "2025");
    assert_eq!(l25, rows_where(whole.join("ledger.csv"), 2, "2025"));
    // H1's 2025 budget is prior(routine_paid) = 2024's 7,360 + 0 + 240 = 7,600.00.
    assert!(
        l25[0].starts_with("institution,H1,2025,final,3,"),
        "{}",
        l25[0]
    );
    assert!(l25[0].contains(",7600.00,"), "{}", l25[0]);
}

#[test]
fn without_the_state_the_second_year_starts_from_nothing() {
    let dir = temp_dir("state-none");
    let o = run(&dir, &["--year", "2025"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(common::stdout(&o).contains("note: no --state-in"));
    // C2 is a first admission then: (5,000 − 800) × 80% = 3,360.00.
    let c2 = rows_where(dir.join("claims.csv"), 0, "C2");
    assert_eq!(
        c2,
        ["C2,P1,H1,inpatient,2025-01-10,2025,1,5000.00,3360.00,0.00,1640.00,0.00"]
    );
}

#[test]
fn a_state_continues_only_its_next_year_and_its_own_policy_text() {
    let dir = temp_dir("state-refused");
    let state = dir.join("s.json");
    let state_s = state.to_str().unwrap();
    let o = run(&dir.join("a"), &["--year", "2024", "--state-out", state_s]);
    assert!(o.status.success(), "{}", common::stderr(&o));

    // The same year again: not the state's next year.
    let o = run(&dir.join("b"), &["--year", "2024", "--state-in", state_s]);
    assert_eq!(o.status.code(), Some(2));
    let e = common::stderr(&o);
    assert!(e.contains("the run must start in 2025, not 2024"), "{e}");
    assert!(e.contains("give --year 2025"), "{e}");

    // Another text of the policy (a changed figure).
    let changed = dir.join("readmission.policy");
    let text = std::fs::read_to_string(root().join(POLICY)).unwrap();
    std::fs::write(&changed, text.replace("800元", "900元")).unwrap();
    let (claims, insts) = (fixture("claims.csv"), fixture("institutions.csv"));
    let o = yibao(&[
        "run",
        changed.to_str().unwrap(),
        "--claims",
        claims.as_str(),
        "--institutions",
        insts.as_str(),
        "--year",
        "2025",
        "--state-in",
        state_s,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = common::stderr(&o);
    assert!(e.contains("another text of policy `readmission`"), "{e}");

    // A state read is an input: no output may overwrite it.
    let o = run(
        &dir.join("c"),
        &[
            "--year",
            "2025",
            "--state-in",
            state_s,
            "--state-out",
            state_s,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("an output never overwrites an input"));

    // A state is written at a year end.
    let o = run(
        &dir.join("d"),
        &[
            "--year",
            "2024",
            "--through",
            "2024-06",
            "--state-out",
            state_s,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("--state-out is written at a year end"));
}

#[test]
fn the_state_file_holds_exact_strings_and_every_patient() {
    let dir = temp_dir("state-file");
    let (s24, s25) = (dir.join("s24.json"), dir.join("s25.json"));
    let o = run(
        &dir.join("a"),
        &["--year", "2024", "--state-out", s24.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&s24).unwrap()).unwrap();
    assert_eq!(v["policy"]["name"], "readmission");
    assert_eq!(v["through"], "2024-12");
    let p1 = &v["patients"][0];
    assert_eq!(p1["patient_id"], "P1");
    assert_eq!(p1["memory"]["上次出院"], "2024-12-28");
    assert_eq!(p1["memory"]["上次出院医院"], "H1");
    assert_eq!(v["ledger"][0]["values"]["routine_paid"], "7600.00");

    // 2025 with only P1's claims: P2–P4 are carried over unchanged.
    let claims = dir.join("p1.csv");
    let text = std::fs::read_to_string(fixture("claims.csv")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("claim_id") || l.contains(",P1,"))
        .collect();
    std::fs::write(&claims, kept.join("\n") + "\n").unwrap();
    let insts = fixture("institutions.csv");
    let o = yibao(&[
        "run",
        POLICY,
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        insts.as_str(),
        "--year",
        "2025",
        "--state-in",
        s24.to_str().unwrap(),
        "--state-out",
        s25.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let w: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&s25).unwrap()).unwrap();
    let ids: Vec<&str> = w["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["patient_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["P1", "P2", "P3", "P4"]);
    assert_eq!(w["patients"][0]["memory"]["上次出院"], "2025-01-10");
    assert_eq!(w["patients"][3], v["patients"][3]);
    assert_eq!(w["through"], "2025-12");
}

/// The risk reserve carries through a state file: alliance-reserve sets
/// aside A1's reserve in 2025 (5,000.00, tests/fixtures/settle/
/// alliance-reserve/README.md) and draws 4,000.00 of it on 2026's overspend;
/// a 2026 run opened from 2025's state gives the 2026 ledger of one
/// 2025–2026 run, and without the state the overspend falls on the alliance.
#[test]
fn the_reserve_carries_through_a_state_file() {
    let dir = temp_dir("state-reserve");
    let state = dir.join("state-2025.json");
    let state_s = state.to_str().unwrap();
    let go = |out: &Path, extra: &[&str]| {
        let o = run_on(
            "policies/alliance-reserve.policy",
            "alliance-reserve",
            out,
            extra,
        );
        assert!(o.status.success(), "{}", common::stderr(&o));
        o
    };
    let (whole, y25, y26, alone) = (
        dir.join("whole"),
        dir.join("y25"),
        dir.join("y26"),
        dir.join("alone"),
    );
    go(&whole, &[]);
    go(&y25, &["--year", "2025", "--state-out", state_s]);
    go(&y26, &["--year", "2026", "--state-in", state_s]);
    let o = go(&alone, &["--year", "2026"]);
    // It reads the reserve carried in, so it says it starts from nothing.
    assert!(common::stdout(&o).contains("the risk reserve carried in start from nothing"));
    let l26 = rows_where(y26.join("ledger.csv"), 2, "2026");
    assert_eq!(l26, rows_where(whole.join("ledger.csv"), 2, "2026"));
    let a1 = |rows: &[String]| {
        rows.iter()
            .find(|l| l.starts_with("alliance,A1,"))
            .cloned()
            .unwrap()
    };
    let header: Vec<String> = std::fs::read_to_string(y26.join("ledger.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    let col = |row: &str, name: &str| -> String {
        let i = header.iter().position(|h| h == name).unwrap();
        row.split(',').nth(i).unwrap().to_string()
    };
    // A1 2026: overspend 4,000.00, all of it drawn on the 5,000.00 carried in.
    let carried = a1(&l26);
    assert_eq!(col(&carried, "reserve_opening"), "5000.00");
    assert_eq!(col(&carried, "reserve_used"), "4000.00");
    assert_eq!(col(&carried, "institution_share"), "0.00");
    assert_eq!(col(&carried, "reserve_closing"), "1000.00");
    // Alone, 2026 opens with nothing: the alliance bears the 4,000.00.
    let fresh = a1(&rows_where(alone.join("ledger.csv"), 2, "2026"));
    assert_eq!(col(&fresh, "reserve_opening"), "0.00");
    assert_eq!(col(&fresh, "reserve_used"), "0.00");
    assert_eq!(col(&fresh, "institution_share"), "4000.00");
}

#[test]
fn prior_of_typed_amounts_carries_through_a_state_file() {
    // tests/fixtures/typed/prior-run/README.md: H1 over the line in 2025
    // and 2026 is deducted 1,000.00 in 2026, whether 2025 ran in the same
    // run or handed its rows over in a state file.
    let dir = temp_dir("state-prior-typed");
    let (whole, y25, y26) = (dir.join("whole"), dir.join("y25"), dir.join("y26"));
    let state = dir.join("state-2025.json");
    let state_s = state.to_str().unwrap();
    let policy = root().join("tests/fixtures/typed/prior.policy");
    let policy = policy.to_str().unwrap();
    for (out, extra) in [
        (&whole, vec![]),
        (&y25, vec!["--year", "2025", "--state-out", state_s]),
        (&y26, vec!["--year", "2026", "--state-in", state_s]),
    ] {
        let data = |f: &str| {
            let p = root().join("tests/fixtures/typed/prior-run").join(f);
            p.to_str().unwrap().to_string()
        };
        let (claims, insts) = (data("claims.csv"), data("institutions.csv"));
        let mut args = vec!["run", policy, "--claims", &claims, "--institutions", &insts];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(extra);
        let o = yibao(&args);
        assert!(o.status.success(), "{}", common::stderr(&o));
    }
    let whole_2026 = rows_where(whole.join("ledger.csv"), 2, "2026");
    assert_eq!(whole_2026, rows_where(y26.join("ledger.csv"), 2, "2026"));
    let h1 = whole_2026
        .iter()
        .find(|r| r.starts_with("institution,H1,"))
        .unwrap();
    assert!(
        h1.contains(",1000.00,") && h1.contains(",连续超标,") && h1.contains(",2025-12-31"),
        "{h1}"
    );
}
