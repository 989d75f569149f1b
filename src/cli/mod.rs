//! The command line: flags parsed once into typed options, one file per
//! command. Exit codes: 0 ok, 1 the policy or the data has problems (all
//! listed), 2 usage or I/O errors, 141 standard output closed by its reader
//! (see [`stdout`]).

mod check;
mod compare;
mod compare_contrib;
mod contrib;
mod explain;
mod files;
mod fmt;
mod gen;
mod run;
mod shared;
mod state;
mod stdout;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "yibao",
    version,
    about = "A policy rules engine for Chinese basic medical insurance (医保) payment",
    long_about = "yibao checks regional medical-insurance policies written in its policy language and \
                  settles claims with them, to the fen.\n\n\
                  Exit status: 0 ok; 1 the policy or the data has problems (all are listed); 2 usage or I/O error \
                  (standard output full or failing included); 141 standard output was closed before \
                  everything was written (`yibao run … | head`), which ends a command quietly, as SIGPIPE would."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check policy files; print every problem with its place and a hint
    Check(check::CheckArgs),
    /// Settle every claim with a policy and summarise the results
    Run(run::RunArgs),
    /// Settle the same claims with several policies (or reforms) and compare the results
    /// side by side; or, with --rules, compare the rules themselves
    Compare(compare::CompareArgs),
    /// Explain one figure: how a claim's payments or an institution's ledger row were reached,
    /// rule by rule, with every value and the policy line it comes from
    Explain(explain::ExplainArgs),
    /// Rewrite policy files in the canonical layout, keeping every comment (--check: only report)
    Fmt(fmt::FmtArgs),
    /// Run a policy's tests (NAME.test.toml): expected results per claim and per ledger row,
    /// exact to the fen, and the rules, table rows and segments no test exercised
    Test(test::TestArgs),
    /// Write synthetic claims, institutions and assessment scores (deterministic) to try a policy on
    Gen(gen::GenArgs),
}

/// Exit status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    Problems = 1,
    Usage = 2,
    /// Standard output was closed by its reader: 128 + SIGPIPE (13), what a
    /// shell reports for a program that a closed pipe ended.
    Closed = 141,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(s as u8)
    }
}

pub fn main(cli: Cli) -> Status {
    stdout::finish(match cli.command {
        Command::Check(a) => check::run(&a),
        Command::Run(a) => run::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Gen(a) => Ok(gen::run(&a)),
        Command::Explain(a) => explain::run(a),
        Command::Fmt(a) => fmt::run(&a),
        Command::Test(a) => test::run(&a),
    })
}

/// A progress bar on stderr for `len` steps; hidden when stderr is not a terminal, so that
/// logs and pipes get nothing extra.
pub(crate) fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {human_pos}/{human_len} ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// Loads and checks a policy, printing diagnostics to stderr. `Err` with the exit status if it
/// has errors (status 1) or cannot be read (status 2).
pub(crate) fn load_policy(
    path: &std::path::Path,
    quiet_warnings: bool,
) -> Result<(crate::ir::Program, crate::source::SourceFile), Status> {
    let file = crate::source::SourceFile::read(path).map_err(|e| {
        eprintln!("error: {e}");
        if e.contains("not UTF-8") {
            Status::Problems
        } else {
            Status::Usage
        }
    })?;
    match crate::compile(&file) {
        Ok((prog, warnings)) => {
            if !quiet_warnings && !warnings.is_empty() {
                eprint!("{}", crate::diagnostic::render_all(&file, &warnings));
            }
            Ok((prog, file))
        }
        Err(diags) => {
            eprint!("{}", crate::diagnostic::render_all(&file, &diags));
            Err(Status::Problems)
        }
    }
}
