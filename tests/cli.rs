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

const EXACT: [&str; 5] = [
    "tests/fixtures/cli/exact/exact.policy",
    "--claims",
    "tests/fixtures/cli/exact/claims.csv",
    "--institutions",
    "tests/fixtures/cli/exact/institutions.csv",
];

/// `name  value` lines of an explanation's `result:` section.
fn explained_results(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip_while(|l| *l != "result:")
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect()
}

#[test]
fn outputs_are_written_exactly_and_alike() {
    // tests/fixtures/cli/exact: 加价 = total_cost × 1.0001 ÷ 1000元 (a ratio),
    // 自付占比 = self_pay_cost ÷ total_cost (a ratio). By hand:
    //   E1 加价 500.50 × 1.0001 = 500.50 + 0.050050 = 500.550050; ÷ 1000 = 0.50055005
    //   E2 加价 300.00 × 1.0001 = 300.030000; ÷ 1000 = 0.30003
    //   E3 加价 100.00 × 1.0001 = 100.010000; ÷ 1000 = 0.10001
    //   E1 自付占比 100.00 ÷ 500.50 = 200/1001 = 0.199800 199800 … (1001 × 199800 = 199999800,
    //      remainder 200: the period is 199800); 28 decimals are four periods and `1998`,
    //      the 29th digit is 0: 0.1998001998001998001998001998
    //   E2 自付占比 200.00 ÷ 300.00 = 2/3 = 0.666…; the 29th digit is 6, so the 28th is
    //      rounded up: 0.6666666666666666666666666667
    //   E3 自付占比 50.00 ÷ 100.00 = 0.5 (no trailing zeros)
    let want = [
        ("E1", "0.50055005", "0.1998001998001998001998001998"),
        ("E2", "0.30003", "0.6666666666666666666666666667"),
        ("E3", "0.10001", "0.5"),
    ];
    let csv_dir = temp_dir("cli-exact-csv");
    let json_dir = temp_dir("cli-exact-json");
    for (dir, format) in [(&csv_dir, "csv"), (&json_dir, "json")] {
        let mut args = vec!["run"];
        args.extend_from_slice(&EXACT);
        args.extend(["--out", dir.to_str().unwrap(), "--format", format]);
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let mut r = csv::Reader::from_path(csv_dir.join("claims.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let csv: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json_dir.join("claims.json")).unwrap())
            .unwrap();
    for (k, (id, markup, share)) in want.iter().enumerate() {
        assert_eq!(&csv[k][col("claim_id")], *id);
        assert_eq!(&csv[k][col("加价")], *markup, "{id} claims.csv");
        assert_eq!(&csv[k][col("自付占比")], *share, "{id} claims.csv");
        assert_eq!(json[k]["claim_id"], *id);
        assert_eq!(json[k]["加价"], *markup, "{id} claims.json");
        assert_eq!(json[k]["自付占比"], *share, "{id} claims.json");
        let mut args = vec!["explain"];
        args.extend_from_slice(&EXACT);
        args.extend(["--claim", id]);
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let results = explained_results(&stdout(&o));
        let shown = |name: &str| {
            results
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{id}: no {name} in\n{}", stdout(&o)))
        };
        assert_eq!(shown("加价"), *markup, "{id} explain");
        assert_eq!(shown("自付占比"), *share, "{id} explain");
    }
}

/// The columns that hold counts: JSON numbers; every other value is a JSON string.
const COUNT_COLUMNS: [&str; 3] = ["claims", "year", "month"];

/// One CSV table against the same rows as JSON objects, value by value: a
/// count column holds JSON numbers equal to the CSV cell, any other column
/// strings equal to it (amounts exact, as the CSV writes them).
fn same_values(what: &str, header: &[String], rows: &[Vec<String>], json: &serde_json::Value) {
    let objs = json
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not an array"));
    assert_eq!(objs.len(), rows.len(), "{what}: rows");
    for (row, obj) in rows.iter().zip(objs) {
        assert_eq!(
            obj.as_object().unwrap().len(),
            header.len(),
            "{what}: {obj}"
        );
        for (col, cell) in header.iter().zip(row) {
            let v = &obj[col.as_str()];
            if COUNT_COLUMNS.contains(&col.as_str()) {
                assert!(v.is_u64(), "{what}: {col} = {v} should be a number");
                assert_eq!(v.to_string(), *cell, "{what}: {col}");
            } else {
                assert_eq!(v.as_str(), Some(cell.as_str()), "{what}: {col} = {v}");
            }
        }
    }
}

fn csv_table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn json_and_csv_carry_the_same_values() {
    // The hand-computed R1 fixture (ledger included) and the exact-outputs one.
    let hand: Vec<&str> = [&["policies/r1.policy"][..], &HAND[..]].concat();
    for data in [hand, EXACT.to_vec()] {
        let name = data[0].rsplit('/').next().unwrap();
        let csv_dir = temp_dir(&format!("same-values-csv-{name}"));
        let json_dir = temp_dir(&format!("same-values-json-{name}"));
        let mut out = Vec::new();
        for (dir, format) in [(&csv_dir, "csv"), (&json_dir, "json")] {
            let mut args = vec!["run"];
            args.extend_from_slice(&data);
            args.extend(["--out", dir.to_str().unwrap(), "--format", format]);
            let o = yibao(&args);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            out.push(stdout(&o));
        }
        // The summary: CSV on stdout against `by_visit_type`.
        let summary: serde_json::Value = serde_json::from_str(&out[1]).unwrap();
        let (h, rows) = csv_table(&out[0]);
        same_values(
            &format!("{name} summary"),
            &h,
            &rows,
            &summary["by_visit_type"],
        );
        for count in ["rows_read", "settled", "rejected", "ledger_rows"] {
            assert!(
                summary[count].is_u64(),
                "{name}: {count} = {}",
                summary[count]
            );
        }
        let mut files = 0;
        for file in ["claims", "institution_months", "ledger", "ledger_months"] {
            let Ok(csv) = std::fs::read_to_string(csv_dir.join(format!("{file}.csv"))) else {
                continue;
            };
            let json = std::fs::read_to_string(json_dir.join(format!("{file}.json"))).unwrap();
            let (h, rows) = csv_table(&csv);
            same_values(
                &format!("{name} {file}"),
                &h,
                &rows,
                &serde_json::from_str(&json).unwrap(),
            );
            files += 1;
        }
        assert!(files >= 2, "{name}: claims and institution months at least");
    }
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
        "bad-claims.csv:2: duplicate claim_id `G-1`: also on line 9",
        "bad-claims.csv:9: duplicate claim_id `G-1`: also on line 2",
        "bad-claims.csv:10: admit_date `2025-02-30` is not a date",
        "bad-claims.csv:11: has 10 fields, the header has 14",
        "bad-claims.csv:12: unknown visit_type `clinic`",
        "11 of 12 claim rows cannot be settled",
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
        stdout(&o).contains("claims: 12 read = 1 settled + 11 rejected"),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&rejects).expect("rejects");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().map(|h| h.len()).unwrap_or(0), 16);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 11);
    // Both copies of G-1 (lines 2 and 9), in line order with the others.
    assert_eq!((&rows[0][0], &rows[0][2]), ("2", "G-1"));
    assert_eq!((&rows[1][0], &rows[1][2]), ("3", "G-2"));
    assert_eq!((&rows[7][0], &rows[7][2]), ("9", "G-1"));
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
        err.contains(
            "fund_share 30 + institution_share 0 + reserve_used 0 is not the overspend 100"
        ),
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
                "wrote 3000 claims of 300 patients and 5 institutions (and their assessment scores) to {}",
                out.display()
            )
        );
        out
    };
    let (a, b, c) = (gen("a", "7"), gen("b", "7"), gen("c", "8"));
    let bytes = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    for f in ["claims.csv", "institutions.csv", "assessments.csv"] {
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
        for stage in [
            "reading claims",
            "settling and writing claims",
            "writing results",
        ] {
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

/// Exit 1 for a problem in the data, 2 only for usage and I/O errors. A
/// row with more fields than the header used to exit 2 with `--reject-file`
/// (writing the reject file failed on it, "found record with 17 fields"); now
/// it is written there and the run goes on. Ten claims of
/// 9,999,999,999,999,999.99 yuan at one institution in one month sum to
/// about 10^19 fen, past the 9.22 × 10^18 an i64 holds: exit 1, as is a
/// policy that reads an assessment score no file gives.
#[test]
fn data_problems_exit_1_usage_and_io_errors_exit_2() {
    let dir = temp_dir("cli-exit-codes");
    let header = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";
    let row = |id: &str, total: &str| {
        format!("{id},P-{id},employee,false,50,H1,outpatient_general,2025-03-01,2025-03-01,{total},{total},0.00,J18,")
    };
    let write = |name: &str, rows: &[String]| {
        let p = dir.join(name);
        std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        p.to_str().unwrap().to_string()
    };
    let insts = "tests/fixtures/hand/r1/institutions.csv";
    let huge: Vec<String> = (0..10)
        .map(|i| row(&format!("B{i}"), "9999999999999999.99"))
        .collect();
    let huge = write("huge.csv", &huge);
    let wide = write(
        "wide.csv",
        &[
            row("W1", "100.00"),
            format!("{},x,y,z", row("W2", "100.00")),
        ],
    );
    let rejects = dir.join("rejects.csv");
    let rejects = rejects.to_str().unwrap();
    let cases: [(&str, Vec<&str>, i32, &str); 6] = [
        (
            "totals too large to add",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                &huge,
                "--institutions",
                insts,
            ],
            1,
            "error: the totals are too large to add up",
        ),
        (
            "a missing assessment score",
            vec![
                "run",
                "policies/chengdu.policy",
                HAND[0],
                HAND[1],
                HAND[2],
                HAND[3],
            ],
            1,
            "error: no assessment score for this unit and year",
        ),
        (
            "a bad row",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                &wide,
                "--institutions",
                insts,
            ],
            1,
            "wide.csv:3: has 17 fields, the header has 14",
        ),
        (
            "a bad row, rejected",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                &wide,
                "--institutions",
                insts,
                "--reject-file",
                rejects,
            ],
            0,
            "",
        ),
        (
            "a reject file that cannot be written",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                &wide,
                "--institutions",
                insts,
                "--reject-file",
                "no/such/dir/rejects.csv",
            ],
            2,
            "cannot write `no/such/dir/rejects.csv`",
        ),
        (
            "a claims file that is not there",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                "no/such.csv",
                "--institutions",
                insts,
            ],
            2,
            "cannot read `no/such.csv`",
        ),
    ];
    for (what, args, code, says) in cases {
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(code), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{what}: {}", stderr(&o));
    }
    assert_eq!(common::csv_rows(&dir.join("rejects.csv")).len(), 1);
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

/// A claims file larger than `--memory` is spilled to partitions by patient
/// and settled a partition at a time: every shipped policy writes the same
/// bytes (claims, institution months, ledgers, rejects, the summary) as when
/// the file is read whole, in CSV and JSON, with a run cut short, and with
/// the rows in another order. The data has what the partitions must not
/// lose: copies of a claim_id under other patients (found across
/// partitions), a bad row whose id another row has, a row of the wrong
/// width, a blank line. The spill folder is empty afterwards.
#[test]
fn spilling_gives_the_same_bytes_as_reading_whole() {
    let dir = temp_dir("cli-spill");
    let data = dir.join("data");
    let o = yibao(&[
        "gen",
        "--claims",
        "3000",
        "--seed",
        "11",
        "--agreements",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(data.join("claims.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let field = |l: &str, k: usize| l.split(',').nth(k).unwrap_or_default().to_string();
    let with = |l: &str, k: usize, v: &str| {
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        f[k] = v.to_string();
        f.join(",")
    };
    // Line 2's claim again under the patient of the last line, line 3's as
    // a bad row (no such date), a short row, a blank line.
    let last = lines.last().unwrap().clone();
    let copy = with(&lines[1], 1, &field(&last, 1));
    let bad = with(&with(&lines[2], 1, &field(&last, 1)), 8, "2025-02-30");
    lines.insert(1500, copy);
    lines.insert(2500, bad);
    lines.insert(700, "C-short,P1,employee".into());
    lines.insert(900, String::new());
    let write = |name: &str, rows: &[String]| {
        let p = dir.join(name);
        std::fs::write(&p, rows.join("\n") + "\n").unwrap();
        p
    };
    let random = write("claims.csv", &lines);
    // By patient id, then claim id: the order the first cuts are worst for.
    let mut sorted = lines.clone();
    sorted[1..].sort_by_key(|l| (field(l, 1), field(l, 0)));
    let sorted = write("sorted.csv", &sorted);

    let spill_dir = dir.join("spill");
    let (insts, assessments) = (data.join("institutions.csv"), data.join("assessments.csv"));
    let run = |policy: &str, claims: &std::path::Path, out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let rejects = out.with_extension("rejects.csv");
        let mut args = vec![
            "run",
            policy,
            "--claims",
            claims.to_str().unwrap(),
            "--institutions",
            insts.to_str().unwrap(),
            "--assessments",
            assessments.to_str().unwrap(),
            "--reject-file",
            rejects.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--spill-dir",
            spill_dir.to_str().unwrap(),
        ];
        let actions = data.join("agreement_actions.csv");
        if std::fs::read_to_string(policy)
            .unwrap()
            .contains("\nagreement ")
        {
            args.extend(["--agreements", actions.to_str().unwrap()]);
        }
        args.extend_from_slice(extra);
        let o = yibao(&args);
        (o, out, rejects)
    };
    let files = |out: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    // Policies of contribution rules alone read no claims.
    let mut policies: Vec<String> = std::fs::read_dir("policies")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".policy"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("\nlayer "))
        .collect();
    policies.sort();
    let (mut compared, mut spilled_runs) = (0, 0);
    for policy in &policies {
        let cases: Vec<(&std::path::Path, Vec<&str>)> = if policy.ends_with("r1.policy") {
            vec![
                (&random, vec!["--format", "json"]),
                (&random, vec!["--through", "2025-06", "--provisional"]),
                (&sorted, vec![]),
            ]
        } else {
            vec![(&random, vec![])]
        };
        for (claims, extra) in cases {
            compared += 1;
            let (whole, w_out, w_rej) = run(policy, claims, &format!("whole-{compared}"), &extra);
            assert_eq!(whole.status.code(), Some(0), "{policy}: {}", stderr(&whole));
            assert!(!stderr(&whole).contains("spilled"), "{}", stderr(&whole));
            let mut spilled_extra = extra.clone();
            spilled_extra.extend_from_slice(&["--memory", "64K"]);
            let (spilled, s_out, s_rej) = run(
                policy,
                claims,
                &format!("spilled-{compared}"),
                &spilled_extra,
            );
            if spilled.status.code() == Some(2) {
                // Not yet for policies that settle per patient.
                assert!(
                    stderr(&spilled).contains("cannot yet have `settle per patient` blocks"),
                    "{policy}: {}",
                    stderr(&spilled)
                );
                continue;
            }
            assert_eq!(
                spilled.status.code(),
                Some(0),
                "{policy}: {}",
                stderr(&spilled)
            );
            assert!(
                stderr(&spilled).contains("partitions by patient"),
                "{}",
                stderr(&spilled)
            );
            // The same summary, but for where each run wrote its rejects.
            let shown = |o: &std::process::Output, rej: &std::path::Path| {
                stdout(o).replace(rej.to_str().unwrap(), "REJECTS")
            };
            assert_eq!(
                shown(&whole, &w_rej),
                shown(&spilled, &s_rej),
                "{policy} {extra:?}"
            );
            assert_eq!(files(&w_out), files(&s_out), "{policy} {extra:?}");
            assert_eq!(
                std::fs::read(&w_rej).unwrap(),
                std::fs::read(&s_rej).unwrap()
            );
            spilled_runs += 1;
        }
    }
    assert!(
        spilled_runs >= 8,
        "{spilled_runs} of {compared} runs compared"
    );
    // The rejects: the two copies of line 2's claim, both copies of line
    // 3's (one bad for its date too), the short row.
    let (_, _, rejects) = run("policies/r1.policy", &random, "whole-r1", &[]);
    let text = std::fs::read_to_string(rejects).unwrap();
    assert_eq!(text.lines().count(), 1 + 5, "{text}");
    assert!(
        text.contains("is not a date (YYYY-MM-DD); duplicate claim_id"),
        "{text}"
    );
    assert_eq!(std::fs::read_dir(&spill_dir).unwrap().count(), 0);
}

/// A run that spills cannot yet carry state: it says so, and how to avoid it.
#[test]
fn a_spilled_run_refuses_state_files_with_a_hint() {
    let dir = temp_dir("cli-spill-state");
    let state = dir.join("state.json");
    let o = run(&[
        "--memory",
        "1K",
        "--state-out",
        state.to_str().unwrap(),
        "--spill-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot yet have --state-out; help: give a larger --memory"),
        "{}",
        stderr(&o)
    );
    assert!(!state.exists());
}

/// `gen --contributions --agreements` also writes persons.csv,
/// contributions.csv and agreement_actions.csv, says how many rows, and
/// leaves claims.csv the same bytes.
#[test]
fn gen_also_writes_contributors_and_agreement_actions_when_asked() {
    let dir = temp_dir("gen-contributors");
    let gen = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let mut args = vec!["gen", "--claims", "3000", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (out, stderr(&o))
    };
    let (plain, _) = gen("plain", &[]);
    let (more, said) = gen("more", &["--contributions", "--agreements"]);
    let read = |d: &std::path::Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    assert_eq!(read(&plain, "claims.csv"), read(&more, "claims.csv"));
    assert!(!plain.join("persons.csv").exists());
    let rows = |f: &str| read(&more, f).lines().count() - 1;
    let expected = format!(
        "and their assessment scores, {} persons' {} contribution months, {} agreement actions",
        rows("persons.csv"),
        rows("contributions.csv"),
        rows("agreement_actions.csv")
    );
    assert!(said.contains(&expected), "{said}");
    assert!(rows("persons.csv") > 50 && rows("agreement_actions.csv") >= 3);
}

/// Data may write coded values by their Chinese names, from the table the
/// policy language reads (住院, 门诊慢特病, 门诊统筹, 职工, 居民, 一级…三级,
/// 是/否): the same results, byte for byte, as the English spellings.
#[test]
fn data_may_write_coded_values_in_chinese() {
    let dir = temp_dir("cli-chinese-values");
    let zh = |text: &str, cols: &[(usize, &[(&str, &str)])]| -> String {
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines {
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            for (k, pairs) in cols {
                if let Some((_, z)) = pairs.iter().find(|(en, _)| *en == f[*k]) {
                    f[*k] = z.to_string();
                }
            }
            out.push_str(&f.join(","));
            out.push('\n');
        }
        out
    };
    let claims = std::fs::read_to_string("tests/fixtures/hand/r1/claims.csv").unwrap();
    let insts = std::fs::read_to_string("tests/fixtures/hand/r1/institutions.csv").unwrap();
    let claims_zh = zh(
        &claims,
        &[
            (2, &[("employee", "职工"), ("resident", "居民")]),
            (3, &[("true", "是"), ("false", "否")]),
            (
                6,
                &[
                    ("inpatient", "住院"),
                    ("outpatient_chronic", "门诊慢特病"),
                    ("outpatient_general", "门诊统筹"),
                ],
            ),
        ],
    );
    let insts_zh = zh(
        &insts,
        &[(2, &[("1", "一级"), ("2", "二级"), ("3", "三级")])],
    );
    assert_ne!(claims, claims_zh);
    assert!(claims_zh.contains("住院") && claims_zh.contains("否") && insts_zh.contains("二级"));
    std::fs::write(dir.join("claims.csv"), claims_zh).unwrap();
    std::fs::write(dir.join("institutions.csv"), insts_zh).unwrap();
    let run_on = |c: &str, i: &str, out: &str| {
        let out = dir.join(out);
        let o = yibao(&[
            "run",
            "policies/r1.policy",
            "--claims",
            c,
            "--institutions",
            i,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        ["claims.csv", "institution_months.csv", "ledger.csv"]
            .map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let english = run_on(HAND[1], HAND[3], "en");
    let chinese = run_on(
        dir.join("claims.csv").to_str().unwrap(),
        dir.join("institutions.csv").to_str().unwrap(),
        "zh",
    );
    assert_eq!(english, chinese);
}

/// `--encoding utf-8-bom|gb18030` writes the CSV files (results and rejects)
/// so that Excel opens them: the same text as UTF-8, with a byte-order mark
/// or transcoded to GB18030 (every Chinese name survives); the manifest
/// says which. JSON stays UTF-8: asking for another is a usage error.
#[test]
fn csv_files_can_be_written_for_excel() {
    let dir = temp_dir("cli-encoding");
    let run_with = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let rejects = dir.join(format!("{name}.rejects.csv"));
        let mut args = vec![
            "run",
            "policies/r1.policy",
            "--claims",
            "tests/fixtures/cli/bad-claims.csv",
            "--institutions",
            "tests/fixtures/hand/r1/institutions.csv",
            "--reject-file",
            rejects.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let read = |p: std::path::PathBuf| std::fs::read(p).unwrap();
        (
            ["claims.csv", "institution_months.csv", "ledger.csv"].map(|f| read(out.join(f))),
            read(rejects),
            std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        )
    };
    let (plain, plain_rejects, manifest) = run_with("utf8", &[]);
    assert!(!manifest.contains("\"encoding\""));
    // The institutions' Chinese names are in institution_months.csv.
    assert!(String::from_utf8_lossy(&plain[1]).contains("社区卫生服务中心"));
    let (bom, bom_rejects, manifest) = run_with("bom", &["--encoding", "utf-8-bom"]);
    assert!(
        manifest.contains("\"encoding\": \"utf-8-bom\""),
        "{manifest}"
    );
    for (b, p) in bom
        .iter()
        .chain([&bom_rejects])
        .zip(plain.iter().chain([&plain_rejects]))
    {
        assert_eq!(&b[..3], b"\xEF\xBB\xBF");
        assert_eq!(&b[3..], &p[..]);
    }
    let (gb, gb_rejects, manifest) = run_with("gb", &["--encoding", "gb18030"]);
    assert!(manifest.contains("\"encoding\": \"gb18030\""), "{manifest}");
    for (g, p) in gb
        .iter()
        .chain([&gb_rejects])
        .zip(plain.iter().chain([&plain_rejects]))
    {
        let (text, _, bad) = encoding_rs::GB18030.decode(g);
        assert!(!bad);
        assert_eq!(text.as_bytes(), &p[..]);
    }
    assert_ne!(gb[1], plain[1], "the Chinese names are transcoded");
    let o = run(&["--format", "json", "--encoding", "gb18030"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("JSON is always UTF-8"),
        "{}",
        stderr(&o)
    );
}

/// `--keep-columns` carries input columns into claims.csv after the
/// results, each claim's own values (checked against the input files,
/// joined by claim_id and institution_id); a column yibao does not read,
/// or one claims.csv has already, is a usage error naming what can be kept.
#[test]
fn keep_columns_carry_the_inputs_into_claims_csv() {
    let dir = temp_dir("cli-keep-columns");
    let out = dir.join("out");
    let keep = "insured_type,retired,age,admit_date,self_pay_cost,drug_cost,disease_code,level,institution_name";
    let o = run(&["--out", out.to_str().unwrap(), "--keep-columns", keep]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = |p: &str| {
        let mut r = csv::Reader::from_path(p).unwrap();
        let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect();
        (h, rows)
    };
    let (ch, claims) = table(HAND[1]);
    let (ih, insts) = table(HAND[3]);
    let (oh, results) = table(out.join("claims.csv").to_str().unwrap());
    let kept: Vec<&str> = keep.split(',').collect();
    assert_eq!(&oh[oh.len() - kept.len()..], &kept[..]);
    let col = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    assert_eq!(results.len(), claims.len());
    for r in &results {
        let input = claims.iter().find(|c| c[0] == r[0]).unwrap();
        let inst = insts
            .iter()
            .find(|i| i[0] == input[col(&ch, "institution_id")])
            .unwrap();
        for name in &kept {
            let want = match *name {
                "level" => inst[col(&ih, "level")].clone(),
                "institution_name" => inst[col(&ih, "name")].clone(),
                n => input[col(&ch, n)].clone(),
            };
            assert_eq!(r[col(&oh, name)], want, "{name} of {}", r[0]);
        }
    }
    for (bad, says) in [
        (
            "ward",
            "`ward` is not an input column yibao reads; it can keep insured_type",
        ),
        ("age,total_cost", "`total_cost` is in claims.csv already"),
    ] {
        let o = run(&["--out", out.to_str().unwrap(), "--keep-columns", bad]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
}

/// `check --format json` gives editors and CI every file's diagnostics as one
/// document: severity, message, help, and the place as 1-based line and
/// column (characters) and byte offsets, here found independently by
/// searching the text for the misspelled value.
#[test]
fn check_json_gives_every_diagnostic_with_its_place() {
    let dir = temp_dir("cli-check-json");
    let text = std::fs::read_to_string("policies/r1.policy")
        .unwrap()
        .replacen("\"inpatient\"", "\"inpatent\"", 1);
    let typo = dir.join("typo.policy");
    std::fs::write(&typo, &text).unwrap();
    let o = yibao(&[
        "check",
        "--format",
        "json",
        typo.to_str().unwrap(),
        "policies/r1.policy",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["ok"].as_bool(), files[1]["ok"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(files[1]["diagnostics"].as_array().map(Vec::len), Some(0));
    let d = &files[0]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "`inpatent` is not a visit_type value");
    assert_eq!(d["help"], "did you mean \"inpatient\"?");
    let start = text.find("\"inpatent\"").unwrap();
    let line = text[..start].matches('\n').count() + 1;
    let column = text[..start].rsplit('\n').next().unwrap().chars().count() + 1;
    let at = &d["at"];
    assert_eq!(at["start"].as_u64(), Some(start as u64));
    assert_eq!(
        at["end"].as_u64(),
        Some((start + "\"inpatent\"".len()) as u64)
    );
    assert_eq!(
        (at["line"].as_u64(), at["column"].as_u64()),
        (Some(line as u64), Some(column as u64))
    );
}

/// A header lacking several columns names them all at once, each with the
/// nearest column the file has where one is close (`self_pay` is five edits
/// from `self_pay_cost`: too far to guess), not one per run.
#[test]
fn every_missing_column_is_named_at_once() {
    let dir = common::temp_dir("cli-missing-columns");
    let claims = dir.join("claims.csv");
    std::fs::write(
        &claims,
        "claim_id,patient,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay,drug_cost,disease_code,drg_code\n",
    )
    .unwrap();
    let o = common::yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "examples/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        common::stderr(&o).contains(
            "the header has no columns `patient_id` (is `patient` meant?) and `self_pay_cost`; the file needs the columns"
        ),
        "{}",
        common::stderr(&o)
    );
}
