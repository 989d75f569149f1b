//! Nothing lost on the way out: an output never overwrites an input (through
//! relative paths, `..` or symlinks), outputs replace links instead of
//! writing through them, and an out folder holds a complete set of one run's
//! files, marked by its manifest — whatever point a run is killed at, and on
//! a full disk. Each test failed before the change that made it pass.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{root, stderr, temp_dir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_yibao")
}

/// Runs yibao in `cwd` with `env` set.
fn yibao_in(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(bin());
    c.args(args).current_dir(cwd);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// A folder with the example data and two policies: r1 (with settle
/// blocks: a ledger) and bazhong (without: no ledger).
fn data_folder(name: &str) -> PathBuf {
    let d = temp_dir(name);
    for (from, to) in [
        ("examples/claims.csv", "claims.csv"),
        ("examples/institutions.csv", "institutions.csv"),
        ("policies/r1.policy", "r1.policy"),
        ("policies/bazhong.policy", "bazhong.policy"),
    ] {
        std::fs::copy(root().join(from), d.join(to)).unwrap();
    }
    d
}

fn run_args<'a>(policy: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        policy,
        "--claims",
        "claims.csv",
        "--institutions",
        "institutions.csv",
        "--out",
        out,
    ]
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// Before: exit 0, and claims.csv (the input) was replaced by the results.
#[test]
fn an_out_folder_holding_the_inputs_is_refused() {
    let d = data_folder("out-is-input");
    let before = bytes(&d.join("claims.csv"));
    for out in [".", "./", "../out-is-input"] {
        let o = yibao_in(&d, &[], &run_args("r1.policy", out));
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("is the claims file `claims.csv`"),
            "{out}: {err}"
        );
        assert!(err.contains("an output never overwrites an input"), "{err}");
    }
    // The same in a run file: `out = "."` beside the data.
    std::fs::write(
        d.join("run.toml"),
        "policy = \"r1.policy\"\nclaims = \"claims.csv\"\ninstitutions = \"institutions.csv\"\nout = \".\"\n",
    )
    .unwrap();
    let o = yibao_in(&d, &[], &["run", "run.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        bytes(&d.join("claims.csv")),
        before,
        "the input is untouched"
    );
    assert!(!d.join("manifest.json").exists());
}

/// Before: exit 0, and the reject file / report replaced the named input.
#[test]
fn single_outputs_naming_an_input_are_refused() {
    let d = data_folder("single-outputs");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::os::unix::fs::symlink(d.join("institutions.csv"), d.join("linked.csv")).unwrap();
    std::fs::hard_link(d.join("r1.policy"), d.join("hard.policy")).unwrap();
    let policy = bytes(&d.join("r1.policy"));
    let cases: [(&[&str], &str); 4] = [
        (&["--reject-file", "sub/../claims.csv"], "claims file"),
        (&["--reject-file", "linked.csv"], "institutions file"),
        (&["--reject-file", "hard.policy"], "policy"),
        (&["--reject-file", "./r1.policy"], "policy"),
    ];
    for (extra, what) in cases {
        let mut args = vec![
            "run",
            "r1.policy",
            "--claims",
            "claims.csv",
            "--institutions",
            "institutions.csv",
        ];
        args.extend_from_slice(extra);
        let o = yibao_in(&d, &[], &args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("is the {what}")),
            "{extra:?}: {}",
            stderr(&o)
        );
    }
    let o = yibao_in(
        &d,
        &[],
        &[
            "compare",
            "r1.policy",
            "bazhong.policy",
            "--claims",
            "claims.csv",
            "--institutions",
            "institutions.csv",
            "--report",
            "bazhong.policy",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--report `bazhong.policy` is the policy"),
        "{}",
        stderr(&o)
    );
    assert_eq!(bytes(&d.join("r1.policy")), policy);
}

/// Before: the run wrote its claims.csv through the link, into the file it
/// pointed to.
#[test]
fn outputs_replace_links_instead_of_writing_through_them() {
    let d = data_folder("links");
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    std::fs::create_dir_all(d.join("out")).unwrap();
    std::os::unix::fs::symlink(&victim, d.join("out/claims.csv")).unwrap();
    let o = yibao_in(&d, &[], &run_args("r1.policy", "out"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    let meta = std::fs::symlink_metadata(d.join("out/claims.csv")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by the results"
    );
}

/// What an out folder holds: its manifest's files, with their sizes, or
/// `None` when there is no manifest.
fn listed(out: &Path) -> Option<Vec<(String, u64)>> {
    let text = std::fs::read_to_string(out.join("manifest.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["complete"], true);
    Some(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_string(),
                    f["bytes"].as_u64().unwrap(),
                )
            })
            .collect(),
    )
}

/// The files of `out` yibao writes, as (name, length, a checksum), sorted.
fn result_files(out: &Path) -> Vec<(String, usize, u64)> {
    let mut v: Vec<(String, usize, u64)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                bytes(&e.path()),
            )
        })
        .filter(|(n, _)| n != "manifest.json" && n != "notes.txt")
        .map(|(n, b)| {
            let sum = b
                .iter()
                .fold(0u64, |h, &x| h.wrapping_mul(31).wrapping_add(u64::from(x)));
            (n, b.len(), sum)
        })
        .collect();
    v.sort();
    v
}

/// A run killed while settling, while writing, before its manifest or
/// between two renames of the swap leaves either the previous complete set
/// (its manifest naming exactly the files there) or no manifest, the mark
/// of a folder being replaced — which the next run into it finishes before
/// it writes anything. Before: files were truncated and rewritten in place,
/// and an old ledger.csv stayed beside new results.
#[test]
fn a_killed_run_never_leaves_a_mix() {
    let d = data_folder("killed");
    let out = d.join("out");
    // A file yibao did not write is never touched.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine\n").unwrap();
    // The previous complete set: r1 (claims, institution_months, ledger).
    let o = yibao_in(&d, &[], &run_args("r1.policy", "out"));
    assert!(o.status.success(), "{}", stderr(&o));
    let old = result_files(&out);
    assert!(old.iter().any(|f| f.0 == "ledger.csv"));
    // The new set: bazhong, no ledger.
    let fresh = data_folder("killed-fresh");
    let o = yibao_in(&fresh, &[], &run_args("bazhong.policy", "out"));
    assert!(o.status.success(), "{}", stderr(&o));
    let new = result_files(&fresh.join("out"));
    assert!(!new.iter().any(|f| f.0 == "ledger.csv"));

    for point in ["settle", "write", "before-manifest"] {
        let o = yibao_in(
            &d,
            &[("YIBAO_TEST_ABORT_AT", point)],
            &run_args("bazhong.policy", "out"),
        );
        assert!(!o.status.success(), "{point}: the hook stops the run");
        assert_eq!(result_files(&out), old, "{point}: the previous set, whole");
        let names: Vec<String> = listed(&out).unwrap().into_iter().map(|f| f.0).collect();
        let mut there: Vec<String> = old.iter().map(|f| f.0.clone()).collect();
        there.sort();
        assert_eq!(
            names, there,
            "{point}: the manifest names exactly the files"
        );
    }
    // Killed between two renames: no manifest says the folder is being replaced.
    let o = yibao_in(
        &d,
        &[("YIBAO_TEST_ABORT_AT", "swap")],
        &run_args("bazhong.policy", "out"),
    );
    assert!(!o.status.success());
    assert!(listed(&out).is_none(), "no manifest during the swap");
    // The next run into the folder finishes that swap first: killed while
    // writing its own files, it leaves the interrupted run's complete set.
    let o = yibao_in(
        &d,
        &[("YIBAO_TEST_ABORT_AT", "write")],
        &run_args("r1.policy", "out"),
    );
    assert!(!o.status.success());
    assert_eq!(result_files(&out), new, "the interrupted set, finished");
    assert!(listed(&out).is_some());
    assert!(
        !out.join("ledger.csv").exists(),
        "the old set's ledger left with the swap"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine\n"
    );
}

/// A full disk (here a file-size limit, with SIGXFSZ ignored so that the
/// write fails with an error): the run reports it and the folder keeps its
/// previous complete set. Before: a truncated claims.csv beside the previous
/// run's ledger.csv.
#[test]
fn a_full_disk_keeps_the_previous_set() {
    let d = data_folder("full-disk");
    let o = yibao_in(&d, &[], &run_args("r1.policy", "out"));
    assert!(o.status.success(), "{}", stderr(&o));
    let old = result_files(&d.join("out"));
    let script = format!(
        "trap '' XFSZ; ulimit -f 64; exec {} run bazhong.policy --claims claims.csv --institutions institutions.csv --out out",
        bin()
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the folder keeps its previous results"),
        "{}",
        stderr(&o)
    );
    assert_eq!(result_files(&d.join("out")), old);
    assert!(listed(&d.join("out")).is_some());
    assert!(
        !d.join("out/.yibao-staging").exists(),
        "no staging left behind"
    );
}

/// `fmt` writes a whole file or none: on a full disk the policy is as it
/// was (before: an 8,192-byte prefix that no longer parsed); through a
/// symlink it rewrites the target and keeps the link and the permissions.
#[test]
fn fmt_writes_a_policy_whole() {
    use std::os::unix::fs::PermissionsExt;
    let d = temp_dir("fmt-whole");
    // r1 with its layout undone: every line's indentation doubled.
    let messy: String = std::fs::read_to_string(root().join("policies/r1.policy"))
        .unwrap()
        .lines()
        .map(|l| format!("{}{l}\n", " ".repeat(l.len() - l.trim_start().len())))
        .collect();
    std::fs::write(d.join("r1.policy"), &messy).unwrap();
    let script = format!("trap '' XFSZ; ulimit -f 1; exec {} fmt r1.policy", bin());
    let o = Command::new("bash")
        .args(["-c", &script])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(d.join("r1.policy")).unwrap(), messy);
    assert!(
        std::fs::read_dir(&d).unwrap().count() == 1,
        "no temporary file left"
    );

    std::fs::set_permissions(d.join("r1.policy"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(d.join("r1.policy"), d.join("link.policy")).unwrap();
    let o = yibao_in(&d, &[], &["fmt", "link.policy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let link = std::fs::symlink_metadata(d.join("link.policy")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is kept");
    let formatted = std::fs::read_to_string(d.join("r1.policy")).unwrap();
    assert_eq!(
        formatted,
        std::fs::read_to_string(root().join("policies/r1.policy")).unwrap()
    );
    let mode = std::fs::metadata(d.join("r1.policy"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640);
}
