//! End-to-end tests of the command line: each command, each exit status,
//! output checked as a user sees it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{stderr, stdout, temp_dir, yibao};

const HAND: [&str; 4] = [
    "--claims",
    "tests/fixtures/hand/r1/claims.csv",
    "--institutions",
    "tests/fixtures/hand/r1/institutions.csv",
];

fn run(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "policies/r1.policy"];
    args.extend_from_slice(&HAND);
    args.extend_from_slice(extra);
    yibao(&args)
}

#[test]
fn check_ok_exits_0() {
    let o = yibao(&[
        "check",
        "policies/r1.policy",
        "policies/bazhong.policy",
        "policies/leshan.policy",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 3);
    assert!(
        out.contains("policies/r1.policy: ok (2 layers, 4 rules"),
        "{out}"
    );
}

#[test]
fn check_errors_exit_1_with_carets() {
    let o = yibao(&[
        "check",
        "tests/fixtures/check/unknown-names.policy",
        "policies/r1.policy",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("tests/fixtures/check/unknown-names.policy:6:32"),
        "{err}"
    );
    assert!(err.contains("did you mean `起付线`?"), "{err}");
    assert!(err.contains("3 errors"), "{err}");
    // The good file is still checked and reported.
    assert!(stdout(&o).contains("policies/r1.policy: ok"));
}

#[test]
fn check_missing_file_exits_2() {
    let o = yibao(&["check", "no/such.policy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read `no/such.policy`"));
}

#[test]
fn check_deny_warnings() {
    let o = yibao(&[
        "check",
        "--deny-warnings",
        "tests/fixtures/check/unused-warnings.policy",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = yibao(&["check", "tests/fixtures/check/unused-warnings.policy"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(yibao(&[]).status.code(), Some(2));
    assert_eq!(yibao(&["run", "policies/r1.policy"]).status.code(), Some(2));
    assert_eq!(yibao(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn run_prints_a_reconciled_summary() {
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("claims: 16 read = 16 settled + 0 rejected"),
        "{out}"
    );
    // Column sums of tests/fixtures/hand/r1/expected.csv and claims.csv, added up
    // independently (Python Decimal): fund 464,687.19 + serious 129,960.01 +
    // patient 126,836.72 = total_cost 721,483.92.
    let total = out
        .lines()
        .find(|l| l.starts_with("total"))
        .unwrap_or_default();
    let cells: Vec<&str> = total.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "total",
            "16",
            "721483.92",
            "464687.19",
            "129960.01",
            "126836.72"
        ],
        "{out}"
    );
    assert!(out.contains("to the fen: holds"));
}

#[test]
fn run_json_and_csv_formats() {
    let o = run(&["--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["settled"], 16);
    assert_eq!(v["reconciles"], true);
    assert_eq!(v["by_visit_type"][3]["fund_paid"], "464687.19");
    let o = run(&["--format", "csv"]);
    let out = stdout(&o);
    assert_eq!(
        out.lines().next(),
        Some("visit_type,claims,total_cost,fund_paid,serious_paid,patient_paid")
    );
    assert!(
        out.contains("total,16,721483.92,464687.19,129960.01,126836.72"),
        "{out}"
    );
}

#[test]
fn run_writes_json_results() {
    let dir = temp_dir("cli-json-out");
    let o = run(&[
        "--format",
        "json",
        "--out",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let claims: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("claims.json")).expect("read"))
            .expect("json");
    let a3 = claims
        .as_array()
        .and_then(|a| a.iter().find(|c| c["claim_id"] == "A-3"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(a3["fund_paid"], "138770.00");
    assert_eq!(a3["serious_paid"], "39798.00");
}

#[test]
fn set_overrides_a_parameter_checked_against_its_type() {
    // With a 3,000 general-outpatient cap (README of the hand fixture, PC):
    // C-10 0 + C-9 125.00 + C-11 its whole raw 2,000.00 (cap left 2,875) +
    // C-12 its raw 50.00 (cap left 875) = 2,175.00, against 2,000.00 with the 2,000 cap.
    let o = run(&["--set", "门诊封顶=3000元", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("outpatient_general,4,4550.00,2175.00,"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&run(&["--format", "csv"])).contains("outpatient_general,4,4550.00,2000.00,"));

    let o = run(&["--set", "门诊封顶=50%"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`门诊封顶` is money, but this value is a ratio"),
        "{}",
        stderr(&o)
    );

    let o = run(&["--set", "门诊风顶=3000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `门诊封顶`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn toml_run_file_is_reproducible() {
    let o = yibao(&["run", "tests/fixtures/cli/scenario.toml", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        stdout(&run(&["--set", "门诊封顶=3000元", "--format", "csv"]))
    );
}

#[test]
fn bad_rows_fail_the_run_with_line_and_reason() {
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        "tests/fixtures/cli/bad-claims.csv",
        "--institutions",
        "tests/fixtures/hand/r1/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for want in [
        "bad-claims.csv:3: institution_id `H9` is not in the institutions file",
        "bad-claims.csv:4: unknown insured_type `student`",
        "bad-claims.csv:5: discharge_date 2025-03-05 is before admit_date 2025-03-09",
        "bad-claims.csv:6: total_cost `1000.005`: more than 2 decimals",
        "bad-claims.csv:7: total_cost `1e5`: not a number",
        "bad-claims.csv:8: self_pay_cost 200.00 is above total_cost 100.00",
        "bad-claims.csv:9: duplicate claim_id `G-1`",
        "bad-claims.csv:10: admit_date `2025-02-30` is not a date",
        "bad-claims.csv:11: has 10 fields, the header has 14",
        "bad-claims.csv:12: unknown visit_type `clinic`",
        "10 of 11 claim rows cannot be settled",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[test]
fn reject_file_settles_the_good_rows_and_accounts_for_every_row() {
    let dir = temp_dir("cli-rejects");
    let rejects = dir.join("rejects.csv");
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        "tests/fixtures/cli/bad-claims.csv",
        "--institutions",
        "tests/fixtures/hand/r1/institutions.csv",
        "--reject-file",
        rejects.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("claims: 11 read = 1 settled + 10 rejected"),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&rejects).expect("rejects");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().map(|h| h.len()).unwrap_or(0), 16);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 10);
    assert_eq!(&rows[0][0], "3");
    assert_eq!(&rows[0][2], "G-2");
}

/// Runs a policy given as text on the hand-checked claims.
fn run_inline(name: &str, policy_text: &str) -> std::process::Output {
    let policy = temp_dir(name).join(format!("{name}.policy"));
    std::fs::write(&policy, policy_text).expect("write policy");
    let mut args = vec!["run", policy.to_str().unwrap_or_default()];
    args.extend_from_slice(&HAND);
    yibao(&args)
}

#[test]
fn runtime_errors_name_the_claim_and_the_rule() {
    let o = run_inline(
        "bad",
        "layer fund_paid {\n  rule 除零 {\n    pay claim.total_cost / (claim.age - claim.age) round\n  }\n}\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("division by zero"), "{err}");
    assert!(err.contains("claim `A-1`"), "{err}");
    assert!(err.contains("in rule `fund_paid/除零`"), "{err}");
    assert!(err.contains("bad.policy:3:"), "{err}");
}

/// A payment that may carry fractions of a fen is refused before any data
/// is read (it used to fail at run time, on the first claim that gave one).
#[test]
fn a_payment_that_may_not_be_whole_fen_is_a_check_error() {
    let o = run_inline(
        "fen",
        "layer fund_paid {\n  rule r {\n    pay claim.total_cost * 33%\n  }\n}\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("what layer `fund_paid` pays must be a whole number of fen"),
        "{err}"
    );
    assert!(err.contains("fen.policy:3:9"), "{err}");
    assert!(err.contains("add `round`"), "{err}");
    assert!(!err.contains("claim `"), "no claim was settled: {err}");
}

#[test]
fn help_describes_every_command() {
    let out = stdout(&yibao(&["--help"]));
    assert!(out.contains("check") && out.contains("run"), "{out}");
    let out = stdout(&yibao(&["run", "--help"]));
    for flag in [
        "--claims",
        "--institutions",
        "--set",
        "--out",
        "--format",
        "--reject-file",
        "--threads",
    ] {
        assert!(out.contains(flag), "{flag} missing from run --help");
    }
}

#[test]
fn a_ledger_that_does_not_balance_fails_the_run() {
    let o = run_inline(
        "unbalanced",
        "layer fund_paid {\n  rule r {\n    pay claim.total_cost * 50% round\n  }\n}\n\
         settle 清算 per institution per year {\n  budget = institution.annual_budget\n  \
         routine_paid = sum(fund_paid)\n  overspend = 100\n  fund_share = 30\n}\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the ledger does not balance"), "{err}");
    assert!(
        err.contains("fund_share 30 + institution_share 0 is not the overspend 100"),
        "{err}"
    );
}

#[test]
fn gen_is_deterministic_and_its_data_settles() {
    let dir = temp_dir("gen");
    let gen = |name: &str, seed: &str| {
        let out = dir.join(name);
        let o = yibao(&[
            "gen",
            "--claims",
            "3000",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // Not a terminal: no progress bar, just what was written.
        assert_eq!(
            stderr(&o).trim(),
            format!(
                "wrote 3000 claims of 300 patients and 5 institutions to {}",
                out.display()
            )
        );
        out
    };
    let (a, b, c) = (gen("a", "7"), gen("b", "7"), gen("c", "8"));
    let bytes = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    for f in ["claims.csv", "institutions.csv"] {
        assert_eq!(bytes(&a, f), bytes(&b, f), "{f}: same seed, same bytes");
        assert_ne!(bytes(&a, f), bytes(&c, f), "{f}: other seed, other bytes");
    }

    let settle = |threads: &str| {
        let out = dir.join(format!("out{threads}"));
        let o = yibao(&[
            "run",
            "policies/r1.policy",
            "--claims",
            a.join("claims.csv").to_str().unwrap(),
            "--institutions",
            a.join("institutions.csv").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
            "--timings",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("claims: 3000 read = 3000 settled + 0 rejected"),
            "{}",
            stdout(&o)
        );
        for stage in ["reading claims", "settling claims", "writing results"] {
            assert!(
                stderr(&o).contains(&format!("timing: {stage}")),
                "{}",
                stderr(&o)
            );
        }
        out
    };
    let (one, two) = (settle("1"), settle("2"));
    for f in ["claims.csv", "ledger.csv", "institution_months.csv"] {
        assert_eq!(bytes(&one, f), bytes(&two, f), "{f}");
    }
}

#[test]
fn threads_beyond_four_per_core_are_cut_to_that_with_a_warning() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let o = run(&["--threads", "100000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = if cores == 1 { "" } else { "s" };
    assert_eq!(
        stderr(&o),
        format!(
            "warning: --threads 100000 is more than 4 per core ({cores} core{s} here); using {}\n",
            4 * cores
        )
    );
    // Within the cap: nothing to say.
    let o = run(&["--threads", &(4 * cores).to_string()]);
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_thread_that_cannot_start_is_an_error_not_a_panic() {
    // A terabyte of stack for every new thread: the system refuses to start any.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_yibao"))
        .args(["run", "policies/r1.policy"])
        .args(HAND)
        .env("RUST_MIN_STACK", "1099511627776")
        .current_dir(common::root())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.starts_with("error: cannot start a settlement thread ("),
        "{err}"
    );
    assert_eq!(o.status.code(), Some(1), "{err}");
}

#[test]
fn gen_refuses_a_population_that_cannot_fit_before_allocating_or_writing() {
    // 10¹¹ claims: one patient per 10 by default, 10¹⁰ patients × 3 bytes = 30 GB; run with
    // 512 MiB of address space, so that an attempt to allocate it would fail too.
    let dir = temp_dir("gen-absurd");
    let o = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 524288 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_yibao"))
        .args(["gen", "--claims", "100000000000", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: 10000000000 patients and 500 institutions would need 28611 MiB of memory, \
             more than the 1024 MiB `yibao gen` keeps at most"
        ),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing is written");
}
