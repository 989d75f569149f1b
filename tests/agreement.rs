//! Agreement management (协议管理) end to end: the fixture's figures from
//! an independent oracle (tests/fixtures/settle/agreement/oracle.py), the
//! claims flagged, and the runs refused with a reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code

mod common;

use common::{csv_rows, stderr, temp_dir, yibao};

const DIR: &str = "tests/fixtures/settle/agreement";

fn run(tag: &str, extra: &[&str]) -> (std::process::Output, std::path::PathBuf) {
    let out = temp_dir(&format!("agreement-{tag}"));
    let mut args = vec!["run".to_string(), "policies/agreement.policy".into()];
    if !extra.contains(&"--claims") {
        args.extend(["--claims".into(), format!("{DIR}/claims.csv")]);
    }
    args.extend([
        "--institutions".into(),
        format!("{DIR}/institutions.csv"),
        "--out".into(),
        out.display().to_string(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (yibao(&args), out)
}

fn actions_arg() -> [&'static str; 2] {
    [
        "--agreements",
        "tests/fixtures/settle/agreement/agreement_actions.csv",
    ]
}

#[test]
fn month_rows_and_actions_match_the_oracle() {
    let (o, out) = run("oracle", &actions_arg());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out.join("ledger_months.csv"));
    let header: Vec<String> = csv::Reader::from_path(out.join("ledger_months.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let mut checked = 0;
    for want in csv_rows(&std::path::Path::new(DIR).join("expected_months.csv")) {
        let c = header.iter().position(|h| *h == want[3]).unwrap();
        let row = rows
            .iter()
            .find(|r| r[1] == want[0] && r[2] == want[1] && r[3] == want[2])
            .unwrap_or_else(|| panic!("no month row {want:?}"));
        assert_eq!(row[c], want[4], "{want:?}");
        checked += 1;
    }
    assert_eq!(checked, 5 * 12 * 4);
    let got = csv_rows(&out.join("agreements.csv"));
    let cols = [
        "held",
        "released",
        "release_month",
        "forfeited",
        "carried",
        "reapply_from",
    ];
    let header: Vec<String> = csv::Reader::from_path(out.join("agreements.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let at = |name: &str| header.iter().position(|c| c == name).unwrap();
    let want = csv_rows(&std::path::Path::new(DIR).join("expected_actions.csv"));
    assert_eq!(want.len(), 5);
    for w in want {
        let g = got.iter().find(|g| g[at("line")] == w[0]).unwrap();
        for (k, c) in cols.iter().enumerate() {
            assert_eq!(g[at(c)], w[3 + k], "line {} {c}", w[0]);
        }
    }
    // Every action is listed, interviews too (they move no money).
    assert_eq!(got.len(), 8);
    // A termination forfeits its year's deposit: withheld − withhold_returned
    // of the oracle's year row (A3 504.81 − 0, A5 240.34 − 0).
    let oracle = csv_rows(&std::path::Path::new(DIR).join("expected.csv"));
    let year = |id: &str, col: &str| -> rust_decimal::Decimal {
        oracle.iter().find(|r| r[0] == id && r[2] == col).unwrap()[3]
            .parse()
            .unwrap()
    };
    for id in ["A3", "A5"] {
        let t = got
            .iter()
            .find(|g| g[0] == id && g[1] == "terminate")
            .unwrap();
        let want = year(id, "withheld") - year(id, "withhold_returned");
        assert_eq!(t[at("deposit_forfeited")], want.to_string(), "{id}");
    }
}

#[test]
fn claims_are_flagged_and_terminated_ones_are_not_paid() {
    let (o, out) = run("flags", &actions_arg());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out.join("claims.csv"));
    let find = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    // columns: … fund_paid 8, serious_paid 9, patient_paid 10, institution_borne 11, agreement 12
    for r in &rows {
        let (inst, day) = (r[2].as_str(), r[4].as_str());
        let terminated =
            (inst == "A3" && day >= "2025-11-01") || (inst == "A5" && day >= "2025-04-01");
        let suspended = (inst == "A2" && ("2025-03-16"..="2025-05-15").contains(&day))
            || (inst == "A3" && day >= "2025-09-01")
            || (inst == "A4" && day >= "2025-10-01");
        let flag = if terminated {
            "terminated"
        } else if suspended {
            "suspended"
        } else {
            ""
        };
        assert_eq!(r[12], flag, "{r:?}");
        if terminated {
            assert_eq!(
                (r[8].as_str(), r[10].as_str()),
                ("0.00", r[7].as_str()),
                "{r:?}"
            );
        }
    }
    // A2's claims the day before and the day after the suspension are not held.
    let before: Vec<String> = rows
        .iter()
        .filter(|r| r[2] == "A2" && r[4] == "2025-03-15")
        .map(|r| r[12].clone())
        .collect();
    assert!(!before.is_empty() && before.iter().all(|f| f.is_empty()));
    assert_eq!(find("AG-01")[12], "");
}

#[test]
fn a_run_without_the_actions_or_with_them_for_another_policy_is_refused() {
    let (o, _) = run("missing", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--agreements FILE"), "{}", stderr(&o));
    let out = temp_dir("agreement-other");
    let o = yibao(&[
        "run",
        "policies/qingdao.policy",
        "--claims",
        "tests/fixtures/settle/qingdao/claims.csv",
        "--institutions",
        "tests/fixtures/settle/qingdao/institutions.csv",
        "--agreements",
        "tests/fixtures/settle/agreement/agreement_actions.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no `agreement` block"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn actions_that_contradict_each_other_fail_the_load_with_their_lines() {
    let dir = temp_dir("agreement-bad-data");
    let bad = dir.join("actions.csv");
    std::fs::write(
        &bad,
        "institution_id,action,from,until,reason\n\
         A1,suspend,2025-03-01,2025-04-30,\n\
         A1,suspend,2025-04-15,2025-05-31,\n\
         A2,suspend,2025-03-01,2025-03-10,\n\
         A2,suspend,2025-03-20,2025-03-31,\n\
         A3,terminate,2025-06-01,,\n\
         A3,terminate,2025-08-01,,\n\
         A4,terminate,2025-06-01,2025-06-30,\n\
         A5,terminate,2025-06-01,,\n\
         A5,suspend,2025-07-01,,\n",
    )
    .unwrap();
    let (o, _) = run("bad", &["--agreements", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    for (line, says) in [
        (3, "overlaps A1's suspension on line 2"),
        (5, "starts in the month A2's suspension on line 4 ends"),
        (7, "A3 is terminated a second time (first on line 6)"),
        (8, "a termination has no last day"),
        (
            10,
            "a suspension of A5 from 2025-07-01, after its termination on 2025-06-01 (line 9)",
        ),
    ] {
        assert!(
            e.contains(&format!("actions.csv:{line}: ")) && e.contains(says),
            "line {line}: {e}"
        );
    }
}

/// The same rules without agreement management against the shipped
/// policy, on the fixture: each institution's agreement-policy figures in
/// the comparison are the oracle's (expected.csv): paid = routine_paid,
/// clearing = withhold_returned − withheld − held + released.
#[test]
fn compare_shows_what_agreement_management_changes() {
    let dir = temp_dir("agreement-compare");
    let text = std::fs::read_to_string("policies/agreement.policy").unwrap();
    let start = text.find("agreement 协议管理").unwrap();
    let end = start + text[start..].find("}\n").unwrap() + 2;
    let plain = format!("{}{}", &text[..start], &text[end..])
        .replace("  let 暂停期间 = sum(fund_paid when claim.suspended)\n", "")
        .replace("  held = 暂停期间 - (暂停期间 * 质量保证金比例 round)\n", "")
        .replace(
            "if agreement.terminated then 0元\n    else if agreement.interviews >= 2 then withheld * 约谈减返比例 round\n    else withheld",
            "withheld",
        );
    let plain_path = dir.join("plain.policy");
    std::fs::write(&plain_path, plain).unwrap();
    let args = |with_actions: bool| {
        let mut a = vec![
            "compare".to_string(),
            plain_path.display().to_string(),
            "policies/agreement.policy".into(),
            "--claims".into(),
            format!("{DIR}/claims.csv"),
            "--institutions".into(),
            format!("{DIR}/institutions.csv"),
            "--format".into(),
            "json".into(),
        ];
        if with_actions {
            a.extend([
                "--agreements".into(),
                format!("{DIR}/agreement_actions.csv"),
            ]);
        }
        a
    };
    let without = args(false);
    let o = yibao(&without.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--agreements FILE"), "{}", stderr(&o));
    let with = args(true);
    let o = yibao(&with.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let insts = j["top_changes"]["agreement"]["institutions"]
        .as_array()
        .unwrap();
    let oracle = csv_rows(&std::path::Path::new(DIR).join("expected.csv"));
    let want = |id: &str, col: &str| -> rust_decimal::Decimal {
        oracle.iter().find(|r| r[0] == id && r[2] == col).unwrap()[3]
            .parse()
            .unwrap()
    };
    let mut seen = 0;
    for i in insts {
        let id = i["institution_id"].as_str().unwrap();
        let clearing = want(id, "withhold_returned") - want(id, "withheld") - want(id, "held")
            + want(id, "released");
        assert_eq!(
            i["clearing"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap(),
            clearing,
            "{id}"
        );
        assert_eq!(
            i["paid"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap(),
            want(id, "routine_paid"),
            "{id}"
        );
        seen += 1;
    }
    // A2's net does not change: held in March–May, all paid in June.
    assert!(seen >= 4 && insts.iter().all(|i| i["institution_id"] != "A2"));
}

/// explain says why a claim is not paid, and what an institution's
/// suspensions and termination did, with the actions file's lines.
#[test]
fn explain_tells_a_claims_standing_and_an_institutions_actions() {
    let data = [
        "--claims",
        "tests/fixtures/settle/agreement/claims.csv",
        "--institutions",
        "tests/fixtures/settle/agreement/institutions.csv",
    ];
    let explain = |what: &[&str], actions: bool| {
        let mut a = vec!["explain", "policies/agreement.policy"];
        a.extend(what);
        a.extend(data);
        if actions {
            a.extend([
                "--agreements",
                "tests/fixtures/settle/agreement/agreement_actions.csv",
            ]);
        }
        yibao(&a)
    };
    let o = explain(&["--claim", "AG-22"], false);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--agreements FILE"), "{}", stderr(&o));
    let o = explain(&["--claim", "AG-22"], true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = common::stdout(&o);
    assert!(
        text.contains("terminated on 2025-11-01 (agreement actions line 6)"),
        "{text}"
    );
    assert!(text.contains("patient_paid  2568.27"), "{text}");
    let o = explain(&["--claim", "AG-09"], true);
    assert!(common::stdout(&o)
        .contains("payments suspended from 2025-03-16 to 2025-05-15 (agreement actions line 3)"));
    let o = explain(&["--institution", "A3", "--year", "2025"], true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = common::stdout(&o);
    for says in [
        "suspension from 2025-09-01, open-ended (agreement actions line 5): carried in 0.00, held 8685.76, open-ended: never released, forfeited 8685.76, still held 0.00",
        "termination from 2025-11-01 (agreement actions line 6): forfeited 8685.76 held and the deposit of 504.81 withheld that year, may apply again from 2028-11-01",
        "agreement.terminated = true",
        // The statement as written, its closing parenthesis too.
        "held = 暂停期间 - (暂停期间 * 质量保证金比例 round) = 0.00",
    ] {
        assert!(text.contains(says), "{says}\n{text}");
    }
}

/// Held money not yet released at a run's end is carried in the state
/// file: two one-year runs give the second year's ledger rows of one
/// two-year run. A4's suspension ends 2025-12-31, so its 4,887.76 (the
/// oracle's `carried`) is paid in January 2026.
#[test]
fn held_money_carries_through_a_state_file() {
    let dir = temp_dir("agreement-state-data");
    let mut claims = std::fs::read_to_string(format!("{DIR}/claims.csv")).unwrap();
    claims.push_str(
        "AG-90,P90,employee,false,50,A4,inpatient,2026-01-15,2026-01-15,1800.00,0.00,0.00,,\n",
    );
    claims.push_str(
        "AG-91,P91,employee,false,50,A2,inpatient,2026-03-10,2026-03-10,1800.00,0.00,0.00,,\n",
    );
    let both = dir.join("claims.csv");
    std::fs::write(&both, claims).unwrap();
    let state = dir.join("state-2025.json");
    let c = both.to_str().unwrap();
    let a = format!("{DIR}/agreement_actions.csv");
    let (o, whole) = run(
        "state-whole",
        &["--claims", c, "--agreements", &a, "--year", "2025-2026"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (o, _) = run(
        "state-2025",
        &[
            "--claims",
            c,
            "--agreements",
            &a,
            "--year",
            "2025",
            "--state-out",
            state.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        s["held"],
        serde_json::json!([{ "institution_id": "A4", "suspension_from": "2025-10-01", "amount": "4887.76" }])
    );
    let (o, next) = run(
        "state-2026",
        &[
            "--claims",
            c,
            "--agreements",
            &a,
            "--year",
            "2026",
            "--state-in",
            state.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for file in ["ledger.csv", "ledger_months.csv"] {
        let of = |out: &std::path::Path| -> Vec<Vec<String>> {
            csv_rows(&out.join(file))
                .into_iter()
                .filter(|r| r[2] == "2026")
                .collect()
        };
        assert_eq!(of(&whole), of(&next), "{file}");
        assert!(!of(&next).is_empty());
    }
    let months = csv_rows(&next.join("ledger_months.csv"));
    let jan = months.iter().find(|r| r[1] == "A4" && r[3] == "1").unwrap();
    // held, released, forfeited, held_closing are the last four columns
    let n = jan.len();
    assert_eq!(&jan[n - 4..], ["0.00", "4887.76", "0.00", "0.00"]);
    let acts = csv_rows(&next.join("agreements.csv"));
    let a4 = acts.iter().find(|r| r[0] == "A4").unwrap();
    // carried_in, held, released, release_month, forfeited, (deposit_forfeited), carried
    assert_eq!(
        &a4[6..11],
        ["4887.76", "0.00", "4887.76", "2026-01", "0.00"]
    );
    assert_eq!((a4[11].as_str(), a4[12].as_str()), ("", "0.00"));

    // The next run's actions must still list the suspension the money is of.
    let fewer = dir.join("fewer.csv");
    let text = std::fs::read_to_string(&a).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("A4,")).collect();
    std::fs::write(&fewer, kept.join("\n") + "\n").unwrap();
    let (o, _) = run(
        "state-fewer",
        &[
            "--claims",
            c,
            "--agreements",
            fewer.to_str().unwrap(),
            "--year",
            "2026",
            "--state-in",
            state.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds 4887.76 of A4's suspension from 2025-10-01, but the actions file has no such suspension"), "{}", stderr(&o));
}

/// What an author sees when a figure or a test is wrong: the held money's
/// errors point at the `held =` statement, a failing test's message keeps
/// its lines, and an expectation that does not apply to the action says so.
#[test]
fn authors_mistakes_are_reported_where_they_are() {
    let dir = temp_dir("agreement-mistakes");
    let text = std::fs::read_to_string("policies/agreement.policy").unwrap();
    // Holding the whole payment, the deposit too: more than the month pays.
    let greedy = dir.join("greedy.policy");
    std::fs::write(
        &greedy,
        text.replace(
            "held = 暂停期间 - (暂停期间 * 质量保证金比例 round)",
            "held = 暂停期间",
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let o = yibao(&[
        "run",
        greedy.to_str().unwrap(),
        "--claims",
        &format!("{DIR}/claims.csv"),
        "--institutions",
        &format!("{DIR}/institutions.csv"),
        "--agreements",
        &format!("{DIR}/agreement_actions.csv"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let line = text
        .lines()
        .position(|l| l.contains("held = 暂停期间"))
        .unwrap()
        + 1;
    // It holds the deposit too, so a month whose payment is all suspended
    // claims (A3 September) holds more than routine_paid − withheld.
    assert!(
        stderr(&o).contains("is more than the month's payment"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(&format!("greedy.policy:{line}:3: held = 暂停期间")),
        "{}",
        stderr(&o)
    );

    // A test whose policy returns a terminated institution's deposit.
    let lenient = dir.join("lenient.policy");
    std::fs::write(
        &lenient,
        text.replace("if agreement.terminated then 0元", "if false then 0元"),
    )
    .unwrap();
    let tests = std::fs::read_to_string("policies/agreement.test.toml").unwrap();
    std::fs::write(dir.join("lenient.test.toml"), &tests).unwrap();
    let o = yibao(&["test", lenient.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(!out.contains("\\u{a}"), "{out}");
    assert!(
        out.contains("\n          institution H2 2025: withhold_returned 80.00, but the agreement was terminated on 2025-07-01"),
        "{out}"
    );

    // A suspension's figure expected of a termination.
    let strict = dir.join("strict.policy");
    std::fs::write(&strict, &text).unwrap();
    std::fs::write(
        dir.join("strict.test.toml"),
        tests.replace(
            "expect = { forfeited = \"760.00\", deposit_forfeited",
            "expect = { held = 0, forfeited = \"760.00\", deposit_forfeited",
        ),
    )
    .unwrap();
    let o = yibao(&["test", strict.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(
        out.contains("`held` is not expected of a termination (expect forfeited, deposit_forfeited, reapply_from)"),
        "{out}"
    );
}
