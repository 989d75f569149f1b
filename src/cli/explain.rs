//! `yibao explain POLICY --claims … --institutions … (--claim ID | --institution ID --year Y |
//! --alliance ID --year Y)`, or `--persons … --contributions … --person ID (--month YYYY-MM |
//! --retirement)`: how one figure was reached, as a tree or JSON.

use super::shared::{load_failed, load_inputs, split_set, Stages};
use super::stdout::{out, outln, Printed};
use super::Status;
use crate::data::load_assessments;
use crate::ir::UnitKind;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    yibao explain policies/r1.policy --claims examples/claims.csv --institutions examples/institutions.csv --claim C000547\n  \
    yibao explain policies/r1.policy --claims examples/claims.csv --institutions examples/institutions.csv --institution H001 --year 2025 --format json\n  \
    yibao explain policies/beijing.policy --persons tests/fixtures/contrib/beijing/persons.csv --contributions tests/fixtures/contrib/beijing/contributions.csv --person B1 --month 2024-04")]
pub struct ExplainArgs {
    /// The policy file
    #[arg(value_name = "POLICY")]
    pub policy: PathBuf,
    /// Claims file (CSV), to explain a claim or a unit
    #[arg(long, value_name = "CSV")]
    pub claims: Option<PathBuf>,
    /// Institutions file (CSV), to explain a claim or a unit
    #[arg(long, value_name = "CSV")]
    pub institutions: Option<PathBuf>,
    /// Persons file (CSV), to explain a person's contributions
    #[arg(long, value_name = "CSV")]
    pub persons: Option<PathBuf>,
    /// Contributions file (CSV), to explain a person's contributions
    #[arg(long, value_name = "CSV")]
    pub contributions: Option<PathBuf>,
    /// Explain this person's contribution --month, or their --retirement
    #[arg(long, value_name = "ID", conflicts_with_all = ["claim", "institution", "alliance"])]
    pub person: Option<String>,
    /// The contribution month, with --person
    #[arg(
        long,
        value_name = "YYYY-MM",
        requires = "person",
        conflicts_with = "retirement"
    )]
    pub month: Option<String>,
    /// The person's retirement (months counted, shortfall, lump sum), with --person
    #[arg(long, requires = "person")]
    pub retirement: bool,
    /// Assessment scores (CSV), for settle blocks that read `assessment.score`
    #[arg(long, value_name = "CSV")]
    pub assessments: Option<PathBuf>,
    /// Agreement actions (CSV), for a policy with an `agreement` block
    #[arg(long, value_name = "CSV")]
    pub agreements: Option<PathBuf>,
    /// Explain this claim's payments (its claim_id)
    #[arg(long, value_name = "ID", conflicts_with_all = ["institution", "alliance"])]
    pub claim: Option<String>,
    /// Explain this patient's --year: each claim discharged in it, what every layer and the
    /// patient paid, how the accumulators moved, and the year's totals
    #[arg(long, value_name = "ID", conflicts_with_all = ["claim", "institution", "alliance"])]
    pub patient: Option<String>,
    /// Explain this institution's ledger row for --year (and its alliance's and region's blocks)
    #[arg(
        long,
        value_name = "ID",
        requires = "year",
        conflicts_with = "alliance"
    )]
    pub institution: Option<String>,
    /// Explain this alliance's (医共体) ledger row for --year
    #[arg(long, value_name = "ID", requires = "year")]
    pub alliance: Option<String>,
    /// The settlement year, with --patient, --institution or --alliance
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    /// Override a parameter or a table cell first, as in `run` (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Output: an indented tree, or JSON
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

pub fn run(args: ExplainArgs) -> Printed<Status> {
    if let Some(id) = &args.person {
        return person(&args, id);
    }
    let subject = match (&args.claim, &args.institution, &args.alliance, args.year) {
        (Some(c), None, None, _) if args.patient.is_none() => Subject::Claim(c.clone()),
        (None, None, None, Some(y)) if args.patient.is_some() => {
            Subject::Patient(args.patient.clone().unwrap_or_default(), y)
        }
        (None, Some(i), None, Some(y)) => Subject::Unit(UnitKind::Institution, i.clone(), y),
        (None, None, Some(a), Some(y)) => Subject::Unit(UnitKind::Alliance, a.clone(), y),
        _ => {
            eprintln!("error: say what to explain: --claim ID, or --patient ID --year YYYY, or --institution ID --year YYYY, or --alliance ID --year YYYY, or --person ID --month YYYY-MM (or --retirement)");
            return Ok(Status::Usage);
        }
    };
    let (Some(claims_path), Some(insts_path)) = (&args.claims, &args.institutions) else {
        eprintln!("error: give --claims FILE and --institutions FILE");
        return Ok(Status::Usage);
    };
    let (prog, file) = match policy(&args) {
        Ok(x) => x,
        Err(s) => return Ok(s),
    };
    let mut clock = Stages::new(false);
    let (mut insts, claims, _) =
        match load_inputs(claims_path, insts_path, &prog, None, 0, &mut clock) {
            Ok(x) => x,
            Err(s) => return Ok(s),
        };
    if let Err(s) =
        super::shared::attach_agreements(&prog, args.agreements.as_deref(), &mut insts, &mut clock)
    {
        return Ok(s);
    }
    let assessments = match &args.assessments {
        None => None,
        Some(path) => match load_assessments(path) {
            Ok(a) => Some(a),
            Err((e, rows)) => return Ok(load_failed(&e, &rows)),
        },
    };
    clock.clear();
    let explained = match &subject {
        Subject::Claim(id) => crate::explain::claim(&prog, &file, &claims, &insts, id),
        Subject::Patient(id, year) => {
            crate::explain::patient_year(&prog, &file, &claims, &insts, id, *year)
        }
        Subject::Unit(kind, id, year) => crate::explain::unit(
            &prog,
            &file,
            &claims,
            &insts,
            assessments.as_ref(),
            *kind,
            id,
            *year,
        ),
    };
    print(explained, args.format)
}

/// The policy, with the `--set` overrides applied.
fn policy(args: &ExplainArgs) -> Result<(crate::ir::Program, crate::source::SourceFile), Status> {
    let (mut prog, file) = super::load_policy(&args.policy, true)?;
    for s in &args.set {
        let applied =
            split_set(s).and_then(|(k, v)| crate::check::apply_override(&mut prog, &k, &v));
        if let Err(e) = applied {
            eprintln!("error: --set {s}: {e}");
            return Err(Status::Usage);
        }
    }
    Ok((prog, file))
}

/// `--person ID --month M` or `--person ID --retirement`.
fn person(args: &ExplainArgs, id: &str) -> Printed<Status> {
    if args.month.is_none() && !args.retirement {
        eprintln!("error: with --person, say which: --month YYYY-MM, or --retirement");
        return Ok(Status::Usage);
    }
    let (Some(persons_path), Some(contributions_path)) = (&args.persons, &args.contributions)
    else {
        eprintln!("error: give --persons FILE and --contributions FILE to explain a person");
        return Ok(Status::Usage);
    };
    let (prog, file) = match policy(args) {
        Ok(x) => x,
        Err(s) => return Ok(s),
    };
    let failed = |e: crate::data::DataError| {
        eprintln!("error: {e}");
        Ok(Status::Problems)
    };
    let (persons, _) = match crate::data::load_persons(&crate::data::Input::file(persons_path)) {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let (contribs, _) = match crate::data::load_contributions(
        &crate::data::Input::file(contributions_path),
        &persons,
    ) {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let explained =
        crate::explain::person(&prog, &file, &persons, &contribs, id, args.month.as_deref());
    print(explained, args.format)
}

/// An explanation as a tree or JSON, or its error.
fn print(
    explained: Result<crate::explain::Explanation, String>,
    format: ExplainFormat,
) -> Printed<Status> {
    match explained {
        Ok(e) => {
            match format {
                ExplainFormat::Text => out!("{}", crate::explain::render_text(&e))?,
                ExplainFormat::Json => outln!("{}", crate::explain::render_json(&e))?,
            }
            Ok(Status::Ok)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Status::Problems)
        }
    }
}

enum Subject {
    Claim(String),
    /// A patient and a year.
    Patient(String, i32),
    Unit(UnitKind, String, i32),
}
