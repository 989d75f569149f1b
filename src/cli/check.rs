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
    /// text (carets, for people) or json (one document on stdout, for
    /// editors and CI: every file with its diagnostics, their lines,
    /// columns and byte offsets)
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

pub fn run(args: &CheckArgs) -> Printed<Status> {
    if args.format == CheckFormat::Json {
        return json(args);
    }
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
                    "{}: ok ({} layer{}, {rules} rule{}, {} parameter{}, {} table{}, {} schedule{}{})",
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
                    match prog.contributes.len() {
                        0 => String::new(),
                        n => format!(", {n} contribute block{}", plural(n)),
                    },
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

/// `check --format json`: `{"files": [{"file", "ok", "diagnostics": [...]}]}`
/// with each diagnostic's severity, message, label, help, place (1-based
/// line and column in characters, and byte offsets) and note; the exit
/// status as for text.
fn json(args: &CheckArgs) -> Printed<Status> {
    use crate::diagnostic::{Diagnostic, Severity};
    use serde_json::{json, Value};
    let mut status = Status::Ok;
    let mut files = Vec::new();
    for path in &args.policies {
        let file = match crate::source::SourceFile::read(path) {
            Ok(f) => f,
            Err(e) => {
                status = status.max_with(if e.contains("not UTF-8") {
                    Status::Problems
                } else {
                    Status::Usage
                });
                files.push(json!({ "file": path.display().to_string(), "ok": false, "error": e }));
                continue;
            }
        };
        let place = |span: crate::source::Span| {
            let r = span.range();
            let ((line, column), (end_line, end_column)) =
                (file.line_col(r.start), file.line_col(r.end));
            json!({
                "line": line, "column": column, "end_line": end_line, "end_column": end_column,
                "start": r.start, "end": r.end,
            })
        };
        let shown = |d: &Diagnostic| -> Value {
            json!({
                "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": d.message,
                "label": d.label,
                "help": d.help,
                "at": d.span.map(place),
                "note": d.note.as_ref().map(|(s, m)| json!({ "message": m, "at": place(*s) })),
            })
        };
        let (ok, diags) = match crate::compile(&file) {
            Ok((_, warnings)) => (!args.deny_warnings || warnings.is_empty(), warnings),
            Err(diags) => (false, diags),
        };
        if !ok {
            status = status.max_with(Status::Problems);
        }
        files.push(json!({
            "file": file.name(),
            "ok": ok,
            "diagnostics": diags.iter().map(shown).collect::<Vec<_>>(),
        }));
    }
    let doc = json!({ "files": files });
    outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
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
