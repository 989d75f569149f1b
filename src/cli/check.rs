//! `yibao check POLICY...`: parse and check; every problem of every file.

use super::stdout::{outln, Printed};
use super::Status;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy files to check
    #[arg(required = true, value_name = "POLICY")]
    pub policies: Vec<PathBuf>,
    /// Treat warnings (e.g. unused parameters) as errors
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(args: &CheckArgs) -> Printed<Status> {
    let mut status = Status::Ok;
    for path in &args.policies {
        let file = match crate::source::SourceFile::read(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                status = status.max_with(if e.contains("not UTF-8") {
                    Status::Problems
                } else {
                    Status::Usage
                });
                continue;
            }
        };
        match crate::compile(&file) {
            Ok((prog, warnings)) => {
                eprint!("{}", crate::diagnostic::render_all(&file, &warnings));
                if args.deny_warnings && !warnings.is_empty() {
                    eprintln!(
                        "{}: {} warning(s), denied by --deny-warnings",
                        file.name(),
                        warnings.len()
                    );
                    status = status.max_with(Status::Problems);
                    continue;
                }
                let rules: usize = prog.layers.iter().map(|l| l.rules.len()).sum();
                outln!(
                    "{}: ok ({} layer{}, {rules} rule{}, {} parameter{}, {} table{}, {} schedule{})",
                    file.name(),
                    prog.layers.len(),
                    plural(prog.layers.len()),
                    plural(rules),
                    prog.params.len(),
                    plural(prog.params.len()),
                    prog.tables.len(),
                    plural(prog.tables.len()),
                    prog.schedules.len(),
                    plural(prog.schedules.len()),
                )?;
            }
            Err(diags) => {
                eprint!("{}", crate::diagnostic::render_all(&file, &diags));
                status = status.max_with(Status::Problems);
            }
        }
    }
    Ok(status)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Status {
    /// The more serious of two statuses.
    pub fn max_with(self, other: Status) -> Status {
        if other as u8 > self as u8 {
            other
        } else {
            self
        }
    }
}
