//! Contribution settlement in `yibao run`: the persons and contributions
//! files read, every person-month and retirement settled by the policy's
//! `contribute` blocks, the contribution files written, the totals printed.
//!
//! A policy with contribution rules and no layers runs on these files
//! alone ([`run_alone`]: no claims or institutions); one with both settles
//! the claims as usual and the contributions beside them ([`settle`], then
//! [`write`] into the same out folder).

use super::files::{Files, OutSet};
use super::shared::{print_row_errors, report_eval_error, write_rejects};
use super::stdout::{self, outln, Printed};
use super::Status;
use crate::compare::contrib::PersonSums;
use crate::data::spill_contributions;
use crate::data::{load_contributions, load_persons, Contributions, Input, Persons, RowError};
use crate::eval::contrib::{settle_contributions_into, settle_part_of, Progress};
use crate::ir::Program;
use crate::report::{contribution_lines, ContribWriter, Encoding, Field, Format};
use std::path::Path;

/// What a run needs to settle contributions.
pub(crate) struct ContribPlan<'a> {
    pub policy: &'a Path,
    pub persons: Option<&'a Path>,
    pub contributions: Option<&'a Path>,
    /// Where bad contribution rows go (a run of contributions alone).
    pub reject_file: Option<&'a Path>,
    pub encoding: Encoding,
    /// The memory a run may take: a larger file is read in parts.
    pub budget: Option<&'a crate::data::Budget>,
}

/// Where a settlement's months go.
#[derive(Clone, Copy)]
pub(crate) enum Into<'a> {
    /// Nowhere: only the totals are wanted.
    Nothing,
    /// Added up by person (a comparison).
    Persons,
    /// Written into this folder as they are settled (a run's `--out`).
    Write(&'a Path, (Format, Encoding)),
}

/// The contributions read and settled.
pub(crate) struct ContribRun {
    pub persons: Persons,
    pub contribs: Contributions,
    /// Each person's sums, with [`Into::Persons`].
    pub sums: PersonSums,
    pub rejects: Vec<RowError>,
    pub totals: Vec<crate::eval::contrib::YearTotals>,
}

impl ContribRun {
    fn months(&self) -> u64 {
        self.totals.iter().map(|t| t.months).sum()
    }

    fn retirements(&self) -> u64 {
        self.totals.iter().map(|t| t.retirements).sum()
    }
}

/// A sink that drops what it is given.
struct Drop;

impl crate::eval::contrib::ContribSink for Drop {
    fn month(
        &mut self,
        _: &Contributions,
        _: &crate::eval::contrib::MonthResult,
    ) -> Result<(), Box<crate::eval::EvalError>> {
        Ok(())
    }
    fn retirement(
        &mut self,
        _: &crate::eval::contrib::RetirementResult,
    ) -> Result<(), Box<crate::eval::EvalError>> {
        Ok(())
    }
}

/// The persons and contributions files a policy with contribution rules
/// needs; the error names the missing one.
pub(crate) fn inputs<'a>(p: &ContribPlan<'a>) -> Result<(&'a Path, &'a Path), String> {
    let rules = "the policy has contribution rules (`contribute` blocks)";
    let persons = p.persons.ok_or_else(|| {
        format!(
            "{rules} but no persons file: give --persons FILE (persons.csv of the data contract)"
        )
    })?;
    let contributions = p.contributions.ok_or_else(|| {
        format!("{rules} but no contributions file: give --contributions FILE (contributions.csv of the data contract)")
    })?;
    Ok((persons, contributions))
}

/// Reads and settles the contributions, into `into`. Bad rows of the
/// persons file stop the run; bad rows of the contributions file (and
/// months no block is in force for) go to the reject file when there is
/// one, else stop it.
pub(crate) fn settle(prog: &Program, p: &ContribPlan, into: Into) -> Result<ContribRun, Status> {
    let (persons_path, contributions) = inputs(p).map_err(|e| {
        eprintln!("error: {e}");
        Status::Usage
    })?;
    let failed = |e: crate::data::DataError| {
        eprintln!("error: {e}");
        if matches!(e, crate::data::DataError::Io { .. }) {
            Status::Usage
        } else {
            Status::Problems
        }
    };
    let (persons, bad) = load_persons(&Input::file(persons_path)).map_err(failed)?;
    if !bad.is_empty() {
        print_row_errors(&bad, 50);
        eprintln!(
            "error: {} of {} person rows cannot be read; fix them (every contribution of a person must find the person)",
            bad.len(),
            persons.rows_read
        );
        return Err(Status::Problems);
    }
    let mut sums = PersonSums::new(if matches!(into, Into::Persons) {
        persons.rows.len()
    } else {
        0
    });
    let eval_failed = |e: Box<crate::eval::EvalError>| {
        report_eval_error(contributions, p.policy, &e);
        Status::Problems
    };
    let cannot_write = |dir: &Path, e: std::io::Error| {
        eprintln!("error: cannot write results to `{}`: {e}", dir.display());
        Status::Usage
    };
    let mut writer = match into {
        Into::Write(dir, fmt) => Some((
            ContribWriter::create(dir, fmt, prog, &persons).map_err(|e| cannot_write(dir, e))?,
            dir,
        )),
        _ => None,
    };
    let mut drop = Drop;
    let sink: &mut dyn crate::eval::contrib::ContribSink = match (&mut writer, into) {
        (Some((w, _)), _) => w,
        (None, Into::Persons) => &mut sums,
        (None, _) => &mut drop,
    };
    let input = Input::file(contributions);
    let size = input.size().unwrap_or(0);
    let spill = p.budget.is_some_and(|b| b.spills(size));
    let (contribs, mut rejects, settled) = match p.budget.filter(|_| spill) {
        None => {
            let (contribs, rejects) = load_contributions(&input, &persons).map_err(failed)?;
            let settled = settle_contributions_into(prog, &persons, &contribs, contributions, sink)
                .map_err(eval_failed)?;
            (contribs, rejects, settled)
        }
        Some(budget) => {
            // Too large to hold: in parts by person, one at a time.
            let (parts, mut rejects) =
                spill_contributions(&input, &persons, budget).map_err(failed)?;
            let size_of = |b: u64| {
                if b < 1 << 20 {
                    format!("{} KiB", b.div_ceil(1024))
                } else {
                    format!("{} MiB", b >> 20)
                }
            };
            eprintln!(
                "note: `{}` would take about {} of memory, more than --memory {}: read in {} parts by person ({} written to {}), settled one at a time",
                contributions.display(),
                size_of(crate::data::Budget::needed(size)),
                size_of(budget.bytes),
                parts.len(),
                size_of(parts.spilled),
                budget.dir.display()
            );
            let mut progress = Progress::default();
            for k in 0..parts.len() {
                let (part, errors) = parts.load(k, &input, &persons).map_err(failed)?;
                rejects.extend(errors);
                settle_part_of(prog, &persons, &part, contributions, sink, &mut progress)
                    .map_err(eval_failed)?;
            }
            let meta = Contributions {
                rows_read: parts.rows_read,
                line_count: parts.line_count,
                header: parts.header.clone(),
                decoded_from: parts.decoded_from,
                ..Contributions::default()
            };
            (meta, rejects, progress.finish().map_err(eval_failed)?)
        }
    };
    if let Some((w, dir)) = writer {
        w.finish(&settled.2).map_err(|e| cannot_write(dir, e))?;
    }
    let (rejected, unsettled, totals) = settled;
    rejects.extend(rejected);
    rejects.sort_by_key(|r| r.line);
    if !rejects.is_empty() {
        match p.reject_file {
            None => {
                print_row_errors(&rejects, 50);
                eprintln!(
                    "error: {} of {} contribution rows cannot be settled; fix them, or settle the rest with --reject-file PATH",
                    rejects.len(),
                    contribs.rows_read
                );
                return Err(Status::Problems);
            }
            Some(path) => {
                if let Err(e) = write_rejects(path, &contribs.header, &rejects, p.encoding) {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    return Err(Status::Usage);
                }
            }
        }
    }
    for (person, month) in &unsettled {
        let id = persons
            .rows
            .get(*person as usize)
            .map_or("", |x| persons.text(x.id));
        eprintln!(
            "warning: person `{id}` retires in {month}, when no `contribute … at retirement` block is in force: not in retirements"
        );
    }
    Ok(ContribRun {
        persons,
        contribs,
        sums,
        rejects,
        totals,
    })
}

/// The lines `yibao run` prints of the contributions.
pub(crate) fn summary_lines(run: &ContribRun, reject_file: Option<&Path>) -> Vec<String> {
    let rejected = match reject_file {
        Some(p) if !run.rejects.is_empty() => {
            format!(
                "{} rejected (written to {})",
                run.rejects.len(),
                p.display()
            )
        }
        _ => format!("{} rejected", run.rejects.len()),
    };
    let mut lines = vec![format!(
        "contributions: {} read = {} settled + {rejected}; {} retirement{}",
        run.contribs.rows_read,
        run.months(),
        run.retirements(),
        if run.retirements() == 1 { "" } else { "s" }
    )];
    lines.extend(contribution_lines(&run.totals));
    lines.push(
        "contribution identity: employer + employee = to_pool + to_account, and to_pool = pool_in − retiree_credits, every year: holds".into(),
    );
    lines
}

/// The out files a contribution run may write, for the out folder's check.
pub(crate) fn out_names() -> Vec<String> {
    crate::report::CONTRIBUTION_FILES
        .iter()
        .flat_map(|n| [format!("{n}.csv"), format!("{n}.json")])
        .collect()
}

/// A run of a policy with contribution rules and no layers: no claims.
pub(crate) fn run_alone(
    prog: &Program,
    p: &ContribPlan,
    (out, format, durable): (Option<&Path>, Format, bool),
    describe: serde_json::Value,
) -> Printed<Status> {
    let mut files = Files::default();
    files.input("policy", p.policy);
    match inputs(p) {
        Ok((persons, contributions)) => {
            files.input("persons file", persons);
            files.input("contributions file", contributions);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    }
    let mut clash = Ok(());
    if let Some(r) = p.reject_file {
        clash = clash.and(files.check_output("--reject-file", r));
    }
    if let Some(dir) = out {
        clash = clash.and(files.check_out_dir(dir, &out_names()));
    }
    if let Err(e) = clash {
        eprintln!("error: {e}");
        return Ok(Status::Usage);
    }
    let fmt = if format == Format::Json {
        Format::Json
    } else {
        Format::Csv
    };
    let set = match out.map(|dir| OutSet::begin(dir, durable)).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: cannot write results to `{}`: {e}; the folder keeps its previous results",
                out.map_or(String::new(), |d| d.display().to_string())
            );
            return Ok(Status::Usage);
        }
    };
    let into = match &set {
        Some(s) => Into::Write(s.staging(), (fmt, p.encoding)),
        None => Into::Nothing,
    };
    let run = match settle(prog, p, into) {
        Ok(r) => r,
        Err(s) => return Ok(s),
    };
    if let (Some(dir), Some(set)) = (out, set) {
        match set.commit(describe) {
            Ok(paths) => {
                for path in paths {
                    eprintln!("wrote {}", path.display());
                }
            }
            Err(e) => {
                eprintln!(
                    "error: cannot write results to `{}`: {e}; the folder keeps its previous results",
                    dir.display()
                );
                return Ok(Status::Usage);
            }
        }
    }
    print_alone(prog, p, &run, format)?;
    Ok(Status::Ok)
}

fn print_alone(prog: &Program, p: &ContribPlan, run: &ContribRun, format: Format) -> Printed {
    let header: Vec<String> = crate::report::CONTRIBUTION_TOTAL_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<Field>> = run
        .totals
        .iter()
        .map(|t| {
            vec![
                Field::count(t.year),
                Field::count(t.persons),
                Field::count(t.months),
                Field::Money(t.base),
                Field::Money(t.employer),
                Field::Money(t.employee),
                Field::Money(t.contributed),
                Field::Money(t.to_pool),
                Field::Money(t.to_account),
                Field::Money(t.pool_in),
                Field::Money(t.retiree_credits),
                Field::count(t.retirements),
                Field::count(t.retired_before_file),
                Field::Money(t.lump_sums),
            ]
        })
        .collect();
    match format {
        Format::Table => {
            let region = match (&prog.region, &prog.code) {
                (Some(r), Some(c)) => format!("{r} ({c})"),
                (Some(r), None) => r.clone(),
                _ => p.policy.display().to_string(),
            };
            outln!("{region} — {}", p.policy.display())?;
            for line in summary_lines(run, p.reject_file) {
                outln!("{line}")?;
            }
        }
        Format::Csv => {
            let texts = crate::report::text_rows(&rows);
            stdout::with(|out| crate::report::write_csv(out, &header, &texts))?;
        }
        Format::Json => {
            let totals: Vec<serde_json::Value> = crate::report::json_rows(&header, &rows);
            let doc = serde_json::json!({
                "region": prog.region,
                "code": prog.code,
                "policy": p.policy.display().to_string(),
                "contribution_rows_read": run.contribs.rows_read,
                "person_months": run.months(),
                "rejected": run.rejects.len(),
                "retirements": run.retirements(),
                "contribution_totals": totals,
            });
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        }
    }
    Ok(())
}
