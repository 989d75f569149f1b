//! Standard output that cannot be written: a reader that goes away
//! (`yibao run … | head -1`) ends a command quietly with status 141, as
//! SIGPIPE would; a full disk (`> /dev/full`) is an I/O error, status 2 and
//! one line on stderr. Never a panic.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, temp_dir};
use std::io::BufRead;
use std::process::{Command, Stdio};

const HAND: [&str; 4] = [
    "--claims",
    "tests/fixtures/hand/r1/claims.csv",
    "--institutions",
    "tests/fixtures/hand/r1/institutions.csv",
];

/// Every command that prints on stdout, in each of its output formats
/// (compare on two policies that both clear at the year end: comparing one
/// that does not warns on stderr).
fn printing_commands() -> Vec<Vec<&'static str>> {
    let with_hand = |args: &[&'static str]| {
        let mut v = args.to_vec();
        v.extend_from_slice(&HAND);
        v
    };
    vec![
        vec!["check", "policies/r1.policy"],
        vec!["fmt", "--check", "tests/fixtures/fmt/messy.policy"],
        vec!["test", "policies/r1.policy"],
        with_hand(&["run", "policies/r1.policy"]),
        with_hand(&["run", "policies/r1.policy", "--format", "csv"]),
        with_hand(&["run", "policies/r1.policy", "--format", "json"]),
        with_hand(&["explain", "policies/r1.policy", "--claim", "A-5"]),
        with_hand(&[
            "explain",
            "policies/r1.policy",
            "--claim",
            "A-5",
            "--format",
            "json",
        ]),
        with_hand(&[
            "compare",
            "policies/r1.policy",
            "policies/perdisease.policy",
        ]),
        with_hand(&[
            "compare",
            "policies/r1.policy",
            "policies/perdisease.policy",
            "--format",
            "csv",
        ]),
        with_hand(&[
            "compare",
            "policies/r1.policy",
            "policies/perdisease.policy",
            "--format",
            "json",
        ]),
        vec![
            "compare",
            "--rules",
            "policies/r1.policy",
            "policies/bazhong.policy",
        ],
    ]
}

fn yibao(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yibao"));
    c.args(args).current_dir(root()).stderr(Stdio::piped());
    c
}

/// The write end of a pipe whose reader has already gone: a helper process
/// holds the read end as its stdin and has exited.
fn closed_pipe() -> Stdio {
    let mut helper = Command::new(env!("CARGO_BIN_EXE_yibao"))
        .arg("--version")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let write_end = helper.stdin.take().unwrap();
    assert!(helper.wait().unwrap().success());
    Stdio::from(write_end)
}

#[test]
fn every_listed_command_prints_on_stdout() {
    // The commands below do print (`fmt --check` then exits 1: the file is
    // not formatted), so a closed or full stdout is something they meet.
    for args in printing_commands() {
        let o = yibao(&args).output().unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {o:?}");
        assert!(!o.stdout.is_empty(), "{args:?} printed nothing");
    }
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_141() {
    for args in printing_commands() {
        let o = yibao(&args).stdout(closed_pipe()).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}: a closed pipe is not an error to report");
        assert_eq!(o.status.code(), Some(141), "{args:?}: {err}");
    }
}

#[test]
fn a_full_stdout_is_an_io_error_with_one_line() {
    for args in printing_commands() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = yibao(&args).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(
            err, "error: cannot write to standard output: No space left on device (os error 28)\n",
            "{args:?}"
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_reader_that_stops_after_one_line_ends_the_command_with_141() {
    // 20,000 claims and every patient-year listed: some 140 kB of table, more
    // than a pipe holds (64 kB), so the write is cut off mid-way.
    let dir = temp_dir("stdout-head");
    let d = dir.to_str().unwrap();
    let gen = yibao(&["gen", "--claims", "20000", "--out", d])
        .output()
        .unwrap();
    assert!(gen.status.success(), "{gen:?}");
    let (claims, insts) = (format!("{d}/claims.csv"), format!("{d}/institutions.csv"));
    let mut child = yibao(&[
        "compare",
        "policies/r1.policy",
        "policies/perdisease.policy",
        "--claims",
        &claims,
        "--institutions",
        &insts,
        "--top",
        "100000",
    ])
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut first = String::new();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    reader.read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    drop(reader);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
    assert_eq!(o.status.code(), Some(141));
}

#[test]
fn gen_prints_nothing_on_stdout_so_a_closed_one_changes_nothing() {
    let dir = temp_dir("stdout-gen");
    let o = yibao(&["gen", "--claims", "100", "--out", dir.to_str().unwrap()])
        .stdout(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(dir.join("claims.csv").exists());
}
