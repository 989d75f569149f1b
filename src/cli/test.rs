//! `yibao test [POLICY|TESTS.toml ...] [--min-coverage N]`: run policy tests
//! and report what they did not exercise.

use super::stdout::{out, outln, Printed};
use super::Status;
use crate::data::escape;
use crate::policytest::{run_file, test_file_of, Report};
use clap::Args;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
#[command(
    after_help = "A policy's tests are in NAME.test.toml beside NAME.policy (see docs/language.md, \
    \"Policy tests\"). Without arguments, every *.test.toml in policies/ is run.\n\n\
    Examples:\n  yibao test\n  yibao test policies/qingdao.policy --min-coverage 100"
)]
pub struct TestArgs {
    /// Policies (their NAME.test.toml is run) or test files; default: policies/*.test.toml
    #[arg(value_name = "POLICY|TESTS.toml")]
    pub files: Vec<PathBuf>,
    /// Fail when a policy's tests exercise less than N% of its rules, settle blocks,
    /// table rows and schedule segments
    #[arg(long, value_name = "N")]
    pub min_coverage: Option<Decimal>,
}

fn test_files(args: &TestArgs) -> Result<Vec<PathBuf>, String> {
    if !args.files.is_empty() {
        return Ok(args
            .files
            .iter()
            .map(|f| {
                if f.extension().is_some_and(|e| e == "policy") {
                    test_file_of(f)
                } else {
                    f.clone()
                }
            })
            .collect());
    }
    let dir = Path::new("policies");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read `policies/`: {e}; name the test files"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".test.toml")))
        .collect();
    out.sort();
    if out.is_empty() {
        return Err("no *.test.toml in policies/".into());
    }
    Ok(out)
}

pub fn run(args: &TestArgs) -> Printed<Status> {
    let files = match test_files(args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    };
    let mut status = Status::Ok;
    let (mut total, mut failed) = (0, 0);
    for f in &files {
        if !f.exists() {
            eprintln!(
                "error: no tests: `{}` does not exist (write the policy's tests there)",
                f.display()
            );
            status = status.max_with(Status::Problems);
            continue;
        }
        match run_file(f) {
            Ok(report) => {
                total += report.cases.len();
                failed += report.failed();
                out!("{}", render(&report))?;
                let below = args
                    .min_coverage
                    .is_some_and(|m| report.coverage_percent() < m);
                if report.failed() > 0 || below {
                    status = status.max_with(Status::Problems);
                }
                if below {
                    outln!(
                        "  coverage {}% is below --min-coverage {}%",
                        report.coverage_percent(),
                        args.min_coverage.unwrap_or_default()
                    )?;
                }
            }
            Err(e) => {
                let lines: Vec<String> = e.trim_end().lines().map(escape).collect();
                eprintln!("error: {}", lines.join("\n"));
                status = status.max_with(Status::Problems);
            }
        }
    }
    outln!(
        "{total} test{}: {} passed, {failed} failed",
        if total == 1 { "" } else { "s" },
        total - failed
    )?;
    Ok(status)
}

/// The report of one file: each test, its failures, and the coverage. Names
/// and messages are the file's text: control characters in them are shown
/// escaped, so that they cannot drive the terminal.
pub fn render(r: &Report) -> String {
    let mut s = format!("{} ({})\n", r.file.display(), r.policy.display());
    for c in &r.cases {
        if c.failures.is_empty() {
            let plural = if c.checks == 1 { "" } else { "s" };
            s.push_str(&format!(
                "  ok    {} ({} check{plural})\n",
                escape(&c.name),
                c.checks
            ));
        } else {
            s.push_str(&format!("  FAIL  {} (line {})\n", escape(&c.name), c.line));
            for f in &c.failures {
                // A message of several lines keeps them, each escaped.
                for (k, line) in f.lines().enumerate() {
                    let indent = if k == 0 { "        " } else { "          " };
                    s.push_str(&format!("{indent}{}\n", escape(line.trim_start())));
                }
            }
        }
    }
    let used = r.coverage.iter().filter(|i| i.used).count();
    s.push_str(&format!(
        "  coverage {}% ({used} of {} rules, blocks, table rows and segments)\n",
        r.coverage_percent(),
        r.coverage.len()
    ));
    let missed: Vec<_> = r.coverage.iter().filter(|i| !i.used).collect();
    if !missed.is_empty() {
        s.push_str("  not exercised:\n");
        for i in missed {
            s.push_str(&format!("    {}  @ line {}\n", i.what, i.line));
        }
    }
    s
}
