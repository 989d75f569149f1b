//! `yibao fmt [--check] POLICY...`: rewrite policy files in the canonical layout.

use super::stdout::{outln, Printed};
use super::Status;
use crate::fmt::{format, FmtError};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "The layout: two-space indentation, one declaration or statement a line, \
    tables and schedules one row a line with the values aligned, at most one blank line in a row; \
    every comment is kept. A file is written only if its formatted text parses back to the same \
    policy with the same comments, and whole: to a temporary file beside it, then renamed over it \
    (a symlinked policy keeps its link; the file keeps its permissions).\n\nExamples:\n  yibao fmt policies/*.policy\n  yibao fmt --check policies/*.policy"
)]
pub struct FmtArgs {
    /// Policy files to format in place
    #[arg(required = true, value_name = "POLICY")]
    pub policies: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &FmtArgs) -> Printed<Status> {
    let mut status = Status::Ok;
    let mut unformatted = 0;
    for path in &args.policies {
        let file = match crate::source::SourceFile::read(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                status = status.max_with(Status::Usage);
                continue;
            }
        };
        match format(&file) {
            Ok(out) if out == file.text => {}
            Ok(out) => {
                if args.check {
                    outln!("{}: not formatted", file.name())?;
                    unformatted += 1;
                    status = status.max_with(Status::Problems);
                } else if let Err(e) = super::files::write_whole(path, out.as_bytes(), true, false)
                {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    status = status.max_with(Status::Usage);
                } else {
                    outln!("{}: formatted", file.name())?;
                }
            }
            Err(FmtError::Parse(d)) => {
                eprint!("{d}");
                status = status.max_with(Status::Problems);
            }
            Err(FmtError::Mismatch(why)) => {
                eprintln!(
                    "error: {}: not formatted, {why}; the file is left as it is (please report this)",
                    file.name()
                );
                status = status.max_with(Status::Problems);
            }
        }
    }
    if args.check && unformatted > 0 {
        eprintln!("{unformatted} file(s) would be reformatted by `yibao fmt`");
    }
    Ok(status)
}
