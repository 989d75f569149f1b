//! `yibao fmt`: the canonical layout is stable (formatting twice changes
//! nothing), keeps every comment, keeps the policy (the formatter re-parses and
//! compares trees itself; these tests check it over every file we have), and
//! the shipped policies are kept formatted.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{root, stderr, stdout, temp_dir, yibao};
use std::path::{Path, PathBuf};
use yibao::fmt::{format, FmtError};
use yibao::source::SourceFile;

fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            policy_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "policy") {
            out.push(p);
        }
    }
}

fn fmt_text(name: &str, text: &str) -> Result<String, FmtError> {
    format(&SourceFile::new(name, text))
}

fn comment_texts(t: &str) -> Vec<String> {
    yibao::syntax::comments::comments(t)
        .into_iter()
        .map(|r| t[r].trim_end().to_string())
        .collect()
}

#[test]
fn shipped_policies_are_formatted() {
    let mut files = Vec::new();
    policy_files(&root().join("policies"), &mut files);
    assert!(files.len() >= 10);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let out = fmt_text(&f.display().to_string(), &text).unwrap();
        assert!(
            out == text,
            "{} is not formatted; run `yibao fmt {}`",
            f.display(),
            f.display()
        );
    }
}

#[test]
fn formatting_is_idempotent_over_every_policy_and_fixture() {
    let mut files = Vec::new();
    policy_files(&root().join("policies"), &mut files);
    policy_files(&root().join("tests/fixtures"), &mut files);
    let mut formatted = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.display().to_string();
        let once = match fmt_text(&name, &text) {
            Ok(o) => o,
            // Files that do not parse are reported, not formatted.
            Err(FmtError::Parse(d)) => {
                assert!(d.contains("error"), "{name}: {d}");
                continue;
            }
            Err(FmtError::Mismatch(m)) => panic!("{name}: {m}"),
        };
        assert_eq!(
            comment_texts(&once),
            comment_texts(&text),
            "{name}: comments"
        );
        let twice = fmt_text(&name, &once).unwrap();
        assert!(
            once == twice,
            "{name}: formatting twice changed it:\n{once}\n---\n{twice}"
        );
        formatted += 1;
    }
    assert!(formatted >= 40, "only {formatted} files formatted");
}

#[test]
fn comments_in_odd_places_are_kept() {
    let path = root().join("tests/fixtures/fmt/comments.policy");
    let text = std::fs::read_to_string(&path).unwrap();
    let out = fmt_text("comments.policy", &text).unwrap();
    // Every comment, in order (the formatter checks this too; this checks the checker).
    assert_eq!(comment_texts(&out), comment_texts(&text));
    assert_eq!(comment_texts(&text).len(), 37); // one per line with `//` (grep -c)
    insta::assert_snapshot!(out);
}

#[test]
fn a_messy_policy_gets_the_canonical_layout() {
    let text = std::fs::read_to_string(root().join("tests/fixtures/fmt/messy.policy")).unwrap();
    let out = fmt_text("messy.policy", &text).unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn cli_check_writes_nothing_and_fmt_rewrites() {
    let dir = temp_dir("fmt-cli");
    let messy = dir.join("messy.policy");
    let original = std::fs::read_to_string(root().join("tests/fixtures/fmt/messy.policy")).unwrap();
    std::fs::write(&messy, &original).unwrap();
    let m = messy.to_str().unwrap();
    let o = yibao(&["fmt", "--check", m]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not formatted"), "{}", stdout(&o));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        original,
        "--check wrote"
    );
    let o = yibao(&["fmt", m]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = yibao(&["fmt", "--check", m]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A file that does not parse: the diagnostic, and the file untouched.
    let bad = dir.join("bad.policy");
    std::fs::write(&bad, "param x: money = \n").unwrap();
    let o = yibao(&["fmt", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.policy:2:1"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        "param x: money = \n"
    );
}

/// `yibao fmt -` formats standard input onto standard output, for an
/// editor's format on save: a messy r1.policy comes back as the shipped,
/// formatted file; `--check` says whether it is formatted; a policy that
/// does not parse writes nothing on stdout and its error on stderr.
#[test]
fn fmt_dash_formats_standard_input() {
    let piped = |args: &[&str], input: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yibao"))
            .args(args)
            .current_dir(root())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let shipped = std::fs::read_to_string(root().join("policies/r1.policy")).unwrap();
    // Indented by four spaces instead of two, and a doubled blank line.
    let messy = shipped
        .replace("\n  ", "\n    ")
        .replacen("\n\n", "\n\n\n", 1);
    assert_ne!(messy, shipped);
    let o = piped(&["fmt", "-"], &messy);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), shipped);
    let o = piped(&["fmt", "--check", "-"], &messy);
    assert_eq!(
        (o.status.code(), stdout(&o).trim()),
        (Some(1), "<stdin>: not formatted")
    );
    assert_eq!(
        piped(&["fmt", "--check", "-"], &shipped).status.code(),
        Some(0)
    );
    let o = piped(&["fmt", "-"], "param a = \n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("<stdin>:1:"), "{}", stderr(&o));
    let o = yibao(&["fmt", "-", "policies/r1.policy"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `fmt --diff` changes nothing and prints what formatting would change as a
/// unified diff; applying its `+` and context lines gives the formatted text.
#[test]
fn diff_shows_what_formatting_would_change() {
    let dir = temp_dir("fmt-diff");
    let messy = dir.join("messy.policy");
    let text = std::fs::read_to_string(root().join("tests/fixtures/fmt/messy.policy")).unwrap();
    std::fs::write(&messy, &text).unwrap();
    let o = yibao(&["fmt", "--diff", messy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        text,
        "--diff changes nothing"
    );
    let diff = stdout(&o);
    let name = messy.display().to_string();
    assert!(
        diff.starts_with(&format!("--- a/{name}\n+++ b/{name}\n@@ ")),
        "{diff}"
    );
    assert!(diff.contains("\n-param a: money=1元\n"), "{diff}");
    assert!(diff.contains("\n+param a: money = 1元\n"), "{diff}");
    // The whole file is one hunk here, so its new side is the formatted text.
    let formatted = fmt_text("messy.policy", &text).unwrap();
    let new_side: String = diff
        .lines()
        .skip(3)
        .filter(|l| !l.starts_with('-') && !l.starts_with('\\'))
        .map(|l| format!("{}\n", &l[1..]))
        .collect();
    assert_eq!(new_side, formatted);
    // A formatted file: no diff, exit 0; standard input works the same way.
    let clean = dir.join("clean.policy");
    std::fs::write(&clean, &formatted).unwrap();
    let o = yibao(&["fmt", "--diff", clean.to_str().unwrap()]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yibao"))
        .args(["fmt", "--diff", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("--- a/<stdin>\n+++ b/<stdin>\n"));
}
