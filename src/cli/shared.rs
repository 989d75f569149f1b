//! What several commands share: the stage spinner, reports of rows that
//! did not load and of runtime errors, and the reject file.

use super::Status;
use crate::data::{
    escape, load_claims_within, load_institutions, Budget, Claims, Institutions, Loaded, Reading,
    RowError,
};
use crate::eval::EvalError;
use clap::Args;
use std::path::Path;
use std::path::PathBuf;

/// The data a settlement reads, and how: the flags `run` and `compare` share.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Claims file (CSV, see the data contract)
    #[arg(long, value_name = "CSV")]
    pub claims: Option<PathBuf>,
    /// Institutions file (CSV)
    #[arg(long, value_name = "CSV")]
    pub institutions: Option<PathBuf>,
    /// Assessment scores per institution (or alliance) and year (CSV:
    /// institution_id, year, score), for settle blocks that read `assessment.score`
    #[arg(long, value_name = "CSV")]
    pub assessments: Option<PathBuf>,
    /// Persons file (CSV: person_id, sex, birth_date, deemed_months,
    /// prior_paid_months), for a policy with contribution rules
    #[arg(long, value_name = "CSV")]
    pub persons: Option<PathBuf>,
    /// Contributions file (CSV: person_id, month, category, wage,
    /// employer_id), for a policy with contribution rules
    #[arg(long, value_name = "CSV")]
    pub contributions: Option<PathBuf>,
    /// Agreement actions (CSV: institution_id, action, from, until, reason:
    /// interview, suspend, terminate), for a policy with an `agreement` block
    #[arg(long, value_name = "CSV")]
    pub agreements: Option<PathBuf>,
    /// Settle the good rows and write the bad ones here with their reasons,
    /// instead of failing the run
    #[arg(long, value_name = "CSV")]
    pub reject_file: Option<PathBuf>,
    /// Threads to read, settle and write with (default: one per core; at most 4 per core, more are cut to that
    /// with a warning); the results are the same for any number
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// The years to clear: 2025, or 2024-2025 (default: every year from the
    /// earliest discharge date's to the latest's); claims discharged outside
    /// are set aside and counted
    #[arg(long, value_name = "YYYY[-YYYY]")]
    pub year: Option<String>,
    /// Run only up to this month: later months are not settled or paid, and
    /// a year cut short gets no year-end clearing (its ledger rows: partial)
    #[arg(long, value_name = "YYYY-MM")]
    pub through: Option<String>,
    /// With --through: run the year-end blocks on a year cut short too, its
    /// ledger rows marked provisional
    #[arg(long)]
    pub provisional: bool,
}

/// The threads for `--threads N`: 0 is one per core, and more than
/// [`crate::eval::THREADS_PER_CORE`] per core are cut to that, saying so on stderr.
pub(crate) fn threads(requested: usize) -> usize {
    let used = crate::eval::threads_for(requested);
    if requested > used {
        let cores = crate::eval::cores();
        eprintln!(
            "warning: --threads {requested} is more than {} per core ({cores} core{} here); using {used}",
            crate::eval::THREADS_PER_CORE,
            if cores == 1 { "" } else { "s" },
        );
    }
    used
}

/// `--year 2025` or `--year 2024-2025` (also `2024..2025`).
pub(crate) fn parse_years(s: &str) -> Result<(i32, i32), String> {
    let bad = || format!("--year `{s}`: write a year (2025) or a range (2024-2025)");
    let year = |t: &str| {
        let t = t.trim();
        (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<i32>().ok())
            .flatten()
            .ok_or_else(bad)
    };
    match s.split_once("..").or_else(|| s.split_once('-')) {
        Some((a, b)) => Ok((year(a)?, year(b)?)),
        None => year(s).map(|y| (y, y)),
    }
}

/// `--through 2025-06`.
pub(crate) fn parse_month(s: &str) -> Result<(i32, u32), String> {
    let bad = || format!("--through `{s}`: write a month as YYYY-MM, e.g. 2025-06");
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    let y: i32 = (y.len() == 4)
        .then(|| y.parse().ok())
        .flatten()
        .ok_or_else(bad)?;
    let m: u32 = (m.len() == 2)
        .then(|| m.parse().ok())
        .flatten()
        .ok_or_else(bad)?;
    if !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y, m))
}

/// The run's periods from its scope, with the claims discharged outside
/// them set aside; returns the periods and how many were set aside.
pub(crate) fn scope_claims(
    claims: &mut Claims,
    scope: &crate::eval::Scope,
) -> Result<(crate::eval::Periods, usize), String> {
    let periods = crate::eval::Periods::new(claims, scope)?;
    let outside = claims.set_aside(|c| !periods.contains(c.discharge));
    Ok((periods, outside))
}

/// The stages of a run: a spinner naming the current one on a terminal
/// (nothing when stderr is not one), and with `--timings` how long each took.
pub(crate) struct Stages {
    timings: bool,
    current: Option<(&'static str, std::time::Instant)>,
    spinner: indicatif::ProgressBar,
}

impl Stages {
    pub(crate) fn new(timings: bool) -> Stages {
        let spinner = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(4),
        )
        .with_finish(indicatif::ProgressFinish::AndClear);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            spinner.set_style(style);
        }
        // The tick is a thread of indicatif's, which panics if it cannot start one: only on a
        // terminal, where there is a spinner to turn.
        if !spinner.is_hidden() {
            spinner.enable_steady_tick(std::time::Duration::from_millis(250));
        }
        Stages {
            timings,
            current: None,
            spinner,
        }
    }

    /// Ends the current stage and starts `stage`.
    pub(crate) fn begin(&mut self, stage: &'static str) {
        self.end();
        self.spinner.set_message(stage);
        self.current = Some((stage, std::time::Instant::now()));
    }

    /// Prints a line on stderr without garbling the spinner.
    pub(crate) fn note(&self, line: &str) {
        self.spinner.suspend(|| eprintln!("{line}"));
    }

    /// Takes the spinner off the terminal for good, before other output.
    pub(crate) fn clear(&mut self) {
        self.spinner.finish_and_clear();
    }

    pub(crate) fn end(&mut self) {
        if let Some((stage, start)) = self.current.take() {
            if self.timings {
                let ms = start.elapsed().as_millis();
                let peak = peak_memory().map_or(String::new(), |kb| {
                    format!("   peak memory so far {} MiB", kb / 1024)
                });
                self.spinner.suspend(|| {
                    eprintln!(
                        "timing: {stage:<27} {:>5}.{:03} s{peak}",
                        ms / 1000,
                        ms % 1000
                    );
                });
            }
        }
    }
}

/// The process's peak resident memory in KiB, where the system says
/// (Linux: `VmHWM` in /proc/self/status).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Drop for Stages {
    fn drop(&mut self) {
        self.end();
        self.spinner.finish_and_clear();
    }
}

/// A runtime error with where it happened: the claim or unit, the rule or
/// block, and the policy line.
pub(crate) fn report_eval_error(claims: &Path, policy: &Path, e: &EvalError) {
    let mut msg = format!("error: {}", e.message);
    if let Some((id, line)) = &e.claim {
        msg.push_str(&format!(
            "\n  claim `{}` ({}:{line})",
            escape(id),
            claims.display()
        ));
    }
    if let Some(unit) = &e.unit {
        msg.push_str(&format!("\n  settling {}", escape(unit)));
    }
    if let Some(rule) = &e.rule {
        msg.push_str(&format!("\n  in {rule}"));
    }
    if let (Some(span), Ok(file)) = (e.span, crate::source::SourceFile::read(policy)) {
        let (l, c) = file.line_col(span.start as usize);
        msg.push_str(&format!(
            "\n  at {}:{l}:{c}: {}",
            file.name(),
            file.line_text(l).trim()
        ));
    }
    eprintln!("{msg}");
}

/// Reads the agreement actions into `insts` (what claims and settle blocks
/// read of them) and returns them, for agreements.csv. A policy with an
/// `agreement` block needs the file; one without refuses it, since the
/// actions would change nothing.
pub(crate) fn attach_agreements(
    prog: &crate::ir::Program,
    path: Option<&Path>,
    insts: &mut Institutions,
    clock: &mut Stages,
) -> Result<Option<crate::data::AgreementActions>, Status> {
    match (prog.agreements.first(), path) {
        (None, None) => Ok(None),
        (Some(a), None) => {
            clock.clear();
            eprintln!(
                "error: the policy's `agreement {}` block says what agreement actions do to payment, but no actions were given\n  help: give agreement_actions.csv with --agreements FILE (a file with only its header when there were none)",
                a.name
            );
            Err(Status::Usage)
        }
        (None, Some(p)) => {
            clock.clear();
            eprintln!(
                "error: --agreements `{}`: the policy has no `agreement` block, so the actions would change nothing\n  help: leave out --agreements, or add `agreement 协议管理 {{ release_after = 1个月  reapply_after = 36个月 }}` and a month block that sets `held`",
                p.display()
            );
            Err(Status::Usage)
        }
        (Some(_), Some(p)) => {
            let input = crate::data::Input::file(p);
            match crate::data::load_agreement_actions(&input, insts) {
                Ok(actions) => {
                    insts.agreement = crate::data::AgreementBook::new(&actions, insts.rows.len());
                    Ok(Some(actions))
                }
                Err((e, rows)) => {
                    clock.clear();
                    Err(load_failed(&e, &rows))
                }
            }
        }
    }
}

/// A small file (institutions, assessments) that did not load: every bad
/// row is listed; a file that cannot be read is a usage error.
pub(crate) fn load_failed(e: &crate::data::DataError, rows: &[RowError]) -> Status {
    eprintln!("error: {e}");
    print_row_errors(rows, usize::MAX);
    if rows.is_empty() && matches!(e, crate::data::DataError::Io { .. }) {
        Status::Usage
    } else {
        Status::Problems
    }
}

pub(crate) fn print_row_errors(rows: &[RowError], limit: usize) {
    for r in rows.iter().take(limit) {
        eprintln!("{}:{}: {}", r.file.display(), r.line, r.reason);
    }
    if rows.len() > limit {
        eprintln!("... and {} more", rows.len() - limit);
    }
}

/// Writes the rows that were not settled, each as read with its line and
/// reason: columns `line`, `reason`, the file's header, and for a row with
/// more fields than the header as many more as it needs (`extra_1`, …); a
/// row with fewer has the rest empty.
pub(crate) fn write_rejects(
    path: &Path,
    header: &[String],
    rows: &[RowError],
    enc: crate::report::Encoding,
) -> std::io::Result<()> {
    // Whole or not at all: formatted in memory, then written beside and renamed.
    let mut w = csv::Writer::from_writer(Vec::new());
    let width = rows
        .iter()
        .map(|r| r.raw.len())
        .fold(header.len(), usize::max);
    let mut h = vec!["line".to_string(), "reason".to_string()];
    h.extend(header.iter().cloned());
    h.extend((1..=width - header.len()).map(|k| format!("extra_{k}")));
    w.write_record(&h)?;
    for r in rows {
        let line = r.line.to_string();
        let mut rec: Vec<&str> = Vec::with_capacity(h.len());
        rec.push(&line);
        rec.push(&r.reason);
        rec.extend(r.raw.iter().map(String::as_str));
        rec.resize(h.len(), "");
        w.write_record(&rec)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    super::files::write_whole(path, &enc.encode_whole(&bytes)?, false, false)
}

/// Reads the institutions and the claims a policy needs (its extra columns
/// included). Bad claim rows fail the load, listed with line and reason, unless
/// `reject_file` is given: then they are written there and the rest go on.
pub(crate) fn load_inputs(
    claims_path: &Path,
    institutions: &Path,
    prog: &crate::ir::Program,
    reject_file: Option<&Path>,
    threads: usize,
    clock: &mut Stages,
) -> Result<(Institutions, Claims, Vec<RowError>), Status> {
    let (insts, loaded, rejects) = load_inputs_within(
        claims_path,
        institutions,
        prog,
        reject_file,
        (threads, None, crate::report::Encoding::Utf8),
        clock,
    )?;
    match loaded {
        Loaded::Whole(claims) => Ok((insts, claims, rejects)),
        // Without a budget nothing spills.
        Loaded::Spilled(_) => Err(Status::Problems),
    }
}

/// [`load_inputs`] within a memory budget (none: no limit): a claims file
/// that would take more is spilled to partitions. The reject file is
/// written in `enc`.
pub(crate) fn load_inputs_within(
    claims_path: &Path,
    institutions: &Path,
    prog: &crate::ir::Program,
    reject_file: Option<&Path>,
    (threads, budget, enc): (usize, Option<&Budget>, crate::report::Encoding),
    clock: &mut Stages,
) -> Result<(Institutions, Loaded, Vec<RowError>), Status> {
    let insts = match load_institutions(institutions, &prog.inst_extras) {
        Ok(i) => i,
        Err((e, rows)) => {
            clock.clear();
            return Err(load_failed(&e, &rows));
        }
    };
    let how = Reading {
        threads,
        ..Reading::default()
    };
    let input = crate::data::Input::file(claims_path);
    let unlimited = Budget {
        bytes: u64::MAX,
        dir: PathBuf::new(),
    };
    let budget = budget.unwrap_or(&unlimited);
    let loaded = load_claims_within(&input, &insts, &prog.claim_extras, &how, budget);
    let (loaded, rejects) = match loaded {
        Ok(x) => x,
        Err(e) => {
            clock.clear();
            eprintln!("error: {e}");
            return Err(if matches!(e, crate::data::DataError::Io { .. }) {
                Status::Usage
            } else {
                Status::Problems
            });
        }
    };
    let claims = loaded.head();
    for (path, count) in [
        (institutions, insts.line_count),
        (claims_path, claims.line_count),
    ] {
        if let Some(first) = count.first_blank {
            let which = match count.blank {
                1 => format!("1 blank line (line {first})"),
                n => format!("{n} blank lines (the first: line {first})"),
            };
            clock.note(&format!("note: `{}`: {which} skipped", path.display()));
        }
    }
    for (path, enc) in [
        (institutions, insts.decoded_from),
        (claims_path, claims.decoded_from),
    ] {
        if enc == Some(crate::data::XLSX) {
            clock.note(&format!(
                "note: `{}` is an xlsx workbook; its first sheet was read (numbers as their shortest decimals, dates from serial numbers)",
                path.display()
            ));
        } else if let Some(enc) = enc {
            let why = if enc.starts_with("GB") {
                " (as Chinese spreadsheets save CSV)"
            } else {
                ""
            };
            clock.note(&format!(
                "note: `{}` is {enc}-encoded, not UTF-8{why}; it was decoded as such",
                path.display()
            ));
        }
    }
    if !rejects.is_empty() {
        match reject_file {
            None => {
                clock.clear();
                print_row_errors(&rejects, 50);
                eprintln!(
                    "error: {} of {} claim rows cannot be settled; fix them, or settle the rest with --reject-file PATH",
                    rejects.len(),
                    claims.rows_read
                );
                return Err(Status::Problems);
            }
            Some(path) => {
                if let Err(e) = write_rejects(path, &claims.header, &rejects, enc) {
                    clock.clear();
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    return Err(Status::Usage);
                }
            }
        }
    }
    Ok((insts, loaded, rejects))
}

/// The memory budget of `--memory SIZE` (`2G`, `512M`, `1.5GiB`: bytes,
/// K, M, G or T in powers of 1024, a `B` or `iB` after them allowed), or
/// by default half the machine's memory (4 GiB when it cannot be told);
/// spill files go in `dir`, or the system's temporary folder.
pub(crate) fn memory_budget(size: Option<&str>, dir: Option<&Path>) -> Result<Budget, String> {
    let bytes = match size {
        Some(s) => parse_size(s).ok_or_else(|| {
            format!("--memory `{s}`: write a size such as 2G, 512M or 1.5GiB (powers of 1024)")
        })?,
        None => machine_memory().map_or(4 << 30, |b| b / 2),
    };
    Ok(Budget {
        bytes,
        dir: dir.map_or_else(std::env::temp_dir, Path::to_path_buf),
    })
}

/// `2G`, `512M`, `1.5GiB`, `300000` as bytes; `None` when it is none of these.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(digits);
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit
        .strip_suffix("IB")
        .or(unit.strip_suffix('B'))
        .unwrap_or(&unit);
    let scale: u64 = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    // Exact: a decimal times a power of two, whole bytes (rounded down).
    let n: rust_decimal::Decimal = number.parse().ok()?;
    let bytes = n.checked_mul(rust_decimal::Decimal::from(scale))?.trunc();
    u64::try_from(bytes).ok().filter(|&b| b > 0)
}

/// The machine's memory (Linux: MemTotal), in bytes.
fn machine_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// A `[set]` value of a TOML file as text: strings as they are, others as TOML writes them.
pub(crate) fn toml_value(v: toml::Value) -> String {
    match v {
        toml::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Splits `--set NAME=VALUE` (NAME may be `LABEL:NAME` or `TABLE[KEY]`) at its first `=`.
pub(crate) fn split_set(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        format!("--set `{s}`: write NAME=VALUE, e.g. --set 门诊封顶=3000元 or --set '封顶线[resident]=60万元'")
    })?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_read_in_powers_of_1024() {
        assert_eq!(parse_size("2G"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_size("512M"), Some(512 * 1024 * 1024));
        assert_eq!(parse_size("1.5GiB"), Some(1536 * 1024 * 1024));
        assert_eq!(parse_size("64kb"), Some(64 * 1024));
        assert_eq!(parse_size("300000"), Some(300_000));
        for bad in ["", "0", "2X", "G", "-1G", "1.2.3M"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn sets_split_at_the_first_equals() {
        assert_eq!(
            split_set("a+b:封顶线[resident]=60万元").unwrap(),
            ("a+b:封顶线[resident]".into(), "60万元".into())
        );
        assert_eq!(split_set(" x = 1=2 ").unwrap(), ("x".into(), "1=2".into()));
        assert!(split_set("门诊封顶").is_err());
    }
}
