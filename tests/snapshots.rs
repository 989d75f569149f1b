//! Snapshot tests over fixture folders, one per stage and outcome: adding a
//! case means adding a file. What is pinned is what a user sees: rendered
//! diagnostics with carets, and result files.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use std::path::Path;
use yibao::diagnostic::render_all;
use yibao::source::SourceFile;

/// Compiles a fixture and renders every diagnostic, as `yibao check` prints them.
fn diagnose(path: &Path) -> (bool, String) {
    let text = std::fs::read_to_string(path).expect("read fixture");
    let rel = path.strip_prefix(common::root()).unwrap_or(path);
    let file = SourceFile::new(rel, text);
    match yibao::compile(&file) {
        Ok((_, warnings)) => (true, render_all(&file, &warnings)),
        Err(diags) => (false, render_all(&file, &diags)),
    }
}

#[test]
fn parse_errors() {
    insta::glob!("fixtures/parse/*.policy", |path| {
        let (ok, out) = diagnose(path);
        assert!(!ok, "{} should not parse", path.display());
        assert_eq!(
            out.matches("error:").count(),
            1,
            "a syntax error is reported once:\n{out}"
        );
        insta::assert_snapshot!(out);
    });
}

#[test]
fn check_errors() {
    insta::glob!("fixtures/check/*.policy", |path| {
        let (ok, out) = diagnose(path);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("unused") {
            assert!(
                ok && out.contains("warning:"),
                "{name} should pass with warnings:\n{out}"
            );
        } else {
            assert!(!ok, "{name} should fail the check");
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn shipped_policies_check_clean() {
    insta::glob!("../policies", "*.policy", |path| {
        let (ok, out) = diagnose(path);
        assert!(ok, "{}:\n{out}", path.display());
        assert_eq!(out, "", "{} has warnings:\n{out}", path.display());
    });
}

/// Every shipped policy without settlement fixtures of its own, run on the
/// hand-checked R1 claims: the summary and the per-claim results are pinned,
/// so a rule change shows up in review. (Policies with a folder in
/// `tests/fixtures/settle/` are run on it by `tests/settle.rs`.)
#[test]
fn runs_of_shipped_policies() {
    insta::glob!("../policies", "*.policy", |path| {
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("x");
        // Settlement and contribution policies are run on fixtures of their
        // own (tests/settle.rs, tests/contrib.rs).
        if ["settle", "contrib"].iter().any(|d| {
            common::root()
                .join("tests/fixtures")
                .join(d)
                .join(name)
                .is_dir()
        }) {
            return;
        }
        let out = common::temp_dir(&format!("snap-run-{name}"));
        let rel = path.strip_prefix(common::root()).unwrap_or(path);
        let o = common::yibao(&[
            "run",
            rel.to_str().unwrap_or_default(),
            "--claims",
            "tests/fixtures/hand/r1/claims.csv",
            "--institutions",
            "tests/fixtures/hand/r1/institutions.csv",
            "--out",
            out.to_str().unwrap_or_default(),
        ]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        let claims = std::fs::read_to_string(out.join("claims.csv")).expect("claims.csv");
        let months = std::fs::read_to_string(out.join("institution_months.csv")).expect("months");
        insta::assert_snapshot!(format!(
            "{}\n--- claims.csv\n{claims}\n--- institution_months.csv\n{months}",
            common::stdout(&o)
        ));
    });
}

/// Where a malformed fixture says its first error must point: the first line
/// reads `// expect: LINE:COL — what is wrong`.
fn expected_at(text: &str) -> Option<(usize, usize)> {
    let rest = text.lines().next()?.strip_prefix("// expect: ")?;
    let (at, _) = rest.split_once(' ')?;
    let (l, c) = at.split_once(':')?;
    Some((l.parse().ok()?, c.parse().ok()?))
}

/// Line and column of the first error in rendered diagnostics.
fn first_error_at(out: &str) -> Option<(usize, usize)> {
    let mut lines = out.lines().skip_while(|l| !l.starts_with("error"));
    let arrow = lines.find(|l| l.trim_start().starts_with("--> "))?;
    let mut parts = arrow.rsplitn(3, ':');
    let c = parts.next()?.parse().ok()?;
    let l = parts.next()?.parse().ok()?;
    Some((l, c))
}

/// The malformed-policy corpus (`tests/fixtures/malformed/`): each grammar
/// rule missing a part, with an extra or a wrong token, and each kind of
/// semantic error. Every file must fail, its first error must point at the
/// offending token its first line names, and the whole message is pinned.
/// A `refused-*` file declares something wrongly and then uses it: the
/// mistake must be reported once, at the declaration, not again at each use.
#[test]
fn malformed_corpus() {
    let dir = common::root().join("tests/fixtures/malformed");
    let count = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "policy"))
        })
        .count();
    assert!(count >= 100, "the corpus has {count} files");
    let misplaced = std::sync::Mutex::new(Vec::new());
    insta::glob!("fixtures/malformed/*.policy", |path| {
        let text = std::fs::read_to_string(path).expect("read fixture");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let want = expected_at(&text).unwrap_or_else(|| panic!("{name}: no `// expect: L:C` line"));
        let (ok, out) = diagnose(path);
        assert!(!ok, "{name} should fail:\n{out}");
        if name.starts_with("refused-") {
            assert_eq!(
                out.matches("error:").count(),
                1,
                "{name}: reported again at its uses:\n{out}"
            );
        }
        let got = first_error_at(&out);
        if got != Some(want) {
            misplaced.lock().unwrap().push(format!(
                "{name}: expected {}:{}, got {got:?}\n{out}",
                want.0, want.1
            ));
        }
        insta::assert_snapshot!(out);
    });
    let misplaced = misplaced.into_inner().unwrap();
    assert!(
        misplaced.is_empty(),
        "{} misplaced:\n{}",
        misplaced.len(),
        misplaced.join("\n")
    );
}
