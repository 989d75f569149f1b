//! Helpers shared by the integration tests.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
// test code: a failed expectation should stop the test
// Each test crate uses some of the shared helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `yibao` binary from the repository root (in its default
/// language, whatever `YIBAO_LANG` the test runner has).
pub fn yibao(args: &[&str]) -> Output {
    yibao_env(args, &[])
}

/// Runs the `yibao` binary with these environment variables set.
pub fn yibao_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yibao"));
    cmd.args(args).current_dir(root()).env_remove("YIBAO_LANG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run yibao")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty directory under the test target dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// `claim_id,fund_paid,serious_paid,patient_paid` rows of a results file, sorted by claim_id bytes.
pub fn result_rows(claims_csv: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(claims_csv).expect("read results");
    let h = r.headers().expect("header").clone();
    let col = |n: &str| h.iter().position(|x| x == n).expect("column");
    let (id, f, s, p) = (
        col("claim_id"),
        col("fund_paid"),
        col("serious_paid"),
        col("patient_paid"),
    );
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| {
            let rec = rec.expect("record");
            [id, f, s, p].iter().map(|&i| rec[i].to_string()).collect()
        })
        .collect();
    rows.sort_by(|a, b| a[0].as_bytes().cmp(b[0].as_bytes()));
    rows
}

pub fn expected_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("read expected");
    r.records()
        .map(|rec| rec.expect("record").iter().map(String::from).collect())
        .collect()
}

/// Every data row of a CSV file, as written.
pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("read csv");
    r.records()
        .map(|rec| rec.expect("record").iter().map(str::to_string).collect())
        .collect()
}
