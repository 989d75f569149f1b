//! `yibao fmt [--check] POLICY...`: rewrite policy files in the canonical layout.

use super::stdout::{out, outln, Printed};
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
    (a symlinked policy keeps its link; the file keeps its permissions). `--diff` prints what \
    would change as a unified diff instead, changing nothing. `yibao fmt -` reads a \
    policy on standard input and writes it formatted on standard output (for an editor's format on \
    save); a policy that does not parse writes nothing there and its errors on standard error.\n\nExamples:\n  yibao fmt policies/*.policy\n  yibao fmt --check policies/*.policy\n  yibao fmt --diff policies/r1.policy\n  yibao fmt - < policies/r1.policy"
)]
pub struct FmtArgs {
    /// Policy files to format in place, or `-`: standard input to standard output
    #[arg(required = true, value_name = "POLICY")]
    pub policies: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
    /// Change nothing; print what formatting would change as a unified diff (exit 1 if
    /// anything would)
    #[arg(long, conflicts_with = "check")]
    pub diff: bool,
}

/// What formatting `name` changes, as a unified diff with 3 lines of context.
fn unified(name: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

pub fn run(args: &FmtArgs) -> Printed<Status> {
    if args.policies.iter().any(|p| p.as_os_str() == "-") {
        if args.policies.len() > 1 {
            eprintln!(
                "error: `yibao fmt -` formats standard input alone; give files in another call"
            );
            return Ok(Status::Usage);
        }
        return stdin(args.check, args.diff);
    }
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
                if args.diff {
                    out!("{}", unified(&file.name(), &file.text, &out))?;
                    unformatted += 1;
                    status = status.max_with(Status::Problems);
                } else if args.check {
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
    if (args.check || args.diff) && unformatted > 0 {
        eprintln!("{unformatted} file(s) would be reformatted by `yibao fmt`");
    }
    Ok(status)
}

/// `yibao fmt -`: the policy on standard input, formatted, on standard
/// output (with --check: nothing written, exit 1 when it is not formatted).
fn stdin(check: bool, diff: bool) -> Printed<Status> {
    use std::io::Read;
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return Ok(Status::Usage);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("error: standard input is not UTF-8 text; save the policy as UTF-8");
        return Ok(Status::Usage);
    };
    let file = crate::source::SourceFile::new("<stdin>", text);
    match format(&file) {
        Ok(out) if diff => {
            if out == file.text {
                Ok(Status::Ok)
            } else {
                out!("{}", unified("<stdin>", &file.text, &out))?;
                Ok(Status::Problems)
            }
        }
        Ok(out) if check => {
            if out == file.text {
                Ok(Status::Ok)
            } else {
                outln!("<stdin>: not formatted")?;
                Ok(Status::Problems)
            }
        }
        Ok(out) => {
            out!("{out}")?;
            Ok(Status::Ok)
        }
        Err(FmtError::Parse(d)) => {
            eprint!("{d}");
            Ok(Status::Problems)
        }
        Err(FmtError::Mismatch(why)) => {
            eprintln!("error: <stdin>: not formatted, {why} (please report this)");
            Ok(Status::Problems)
        }
    }
}
