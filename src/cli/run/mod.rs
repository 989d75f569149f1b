//! `yibao run`: settle every claim with a policy, write results, print a summary.
//!
//! The policy may be a `.policy` file or a TOML run file naming the policy,
//! the data and the overrides, so that a run is reproducible from one file.
//! Flags given on the command line win over the run file.

use super::contrib::ContribPlan;
use super::files::{crash_point, Files, OutSet};
use super::shared::{
    load_failed, load_inputs_within, memory_budget, parse_month, parse_years, report_eval_error,
    scope_claims, split_set, toml_value, DataArgs, Stages,
};
use super::stdout::Printed;
use super::Status;
use crate::data::{load_assessments, Budget, Claims, Loaded};
use crate::eval::carry::Carry;
use crate::eval::{settle_institutions_carried, Halt, Periods, Scope, Split, Streamed};
use crate::report::{
    resolve_kept, write_institution_months, write_ledger, ClaimLines, ClaimsFile, Encoding, Format,
};
use clap::Args;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use summary::print_summary;

mod summary;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A policy file, or a TOML run file (scenario) naming policy, data and overrides
    #[arg(value_name = "POLICY|RUN.toml")]
    pub policy: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Override a parameter or a table cell, checked against its type: --set 门诊封顶=3000元,
    /// --set '封顶线[resident]=60万元' (repeatable); a dated one is overridden in every version
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Write results into this directory: claims, institution_months and,
    /// when the policy has settle blocks, ledger and ledger_months
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Summary format on stdout; also the format of the files in --out (csv for table)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Print how long each stage took (read, settle and write claims, clear, write the rest) and the peak memory so far on stderr
    #[arg(long)]
    pub timings: bool,
    /// Make the files in --out durable against power loss (fsync every file
    /// and the folder) before the run reports them written; a crash never
    /// leaves a partial set in any case
    #[arg(long)]
    pub durable: bool,
    /// Start from the closing state an earlier run wrote with --state-out
    /// (patient memory and its last year's ledger rows): the run must start
    /// in the year after it, with the same policy text
    #[arg(long, value_name = "FILE")]
    pub state_in: Option<PathBuf>,
    /// Write the run's closing state here (JSON), for the next year's
    /// --state-in: each patient's `per patient` accumulators and the last
    /// year's ledger rows; the run must end with a December
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Memory the claims may take (2G, 512M, 1.5GiB; default: half the
    /// machine's): a claims file that would take more is spilled to
    /// partition files by patient and settled a partition at a time, with
    /// the same results
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Where spilled partitions go (default: the system's temporary
    /// folder); they are removed when the run ends
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
    /// The encoding of the CSV files written (--out, --reject-file): utf-8,
    /// utf-8-bom (for Excel) or gb18030 (Excel on Chinese Windows); JSON is
    /// always UTF-8
    #[arg(long, value_enum)]
    pub encoding: Option<Encoding>,
    /// Carry input columns into claims.csv after the results, so that no
    /// join is needed: names from the claims and institutions files
    /// (insured_type, age, level, disease_code, …) and the policy's declared
    /// fields, separated by commas, or `all`
    #[arg(long, value_name = "COLUMNS")]
    pub keep_columns: Option<String>,
    /// Also write results.xlsx into --out: every CSV file of the set as a sheet, amounts as
    /// numbers in a 0.00 format (each reads back as its exact decimal), ids as text
    #[arg(long)]
    pub xlsx: bool,
}

/// A TOML run file. Relative paths are relative to the file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RunFile {
    policy: PathBuf,
    claims: Option<PathBuf>,
    institutions: Option<PathBuf>,
    assessments: Option<PathBuf>,
    persons: Option<PathBuf>,
    contributions: Option<PathBuf>,
    agreements: Option<PathBuf>,
    out: Option<PathBuf>,
    format: Option<Format>,
    reject_file: Option<PathBuf>,
    /// `2025` or `"2024-2025"`.
    year: Option<toml::Value>,
    /// `"2025-06"`.
    through: Option<String>,
    #[serde(default)]
    provisional: bool,
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    state_in: Option<PathBuf>,
    state_out: Option<PathBuf>,
    encoding: Option<Encoding>,
    keep_columns: Option<String>,
    #[serde(default)]
    xlsx: bool,
}

/// Everything a run needs, resolved from flags and the run file.
struct Plan {
    policy: PathBuf,
    /// Empty when not given: a policy of contribution rules alone reads no
    /// claims (see `claims_missing`).
    claims: PathBuf,
    institutions: PathBuf,
    /// Why the claims cannot be read, when the claims or institutions file is not given.
    claims_missing: Option<&'static str>,
    persons: Option<PathBuf>,
    contributions: Option<PathBuf>,
    assessments: Option<PathBuf>,
    agreements: Option<PathBuf>,
    sets: Vec<(String, String)>,
    out: Option<PathBuf>,
    format: Format,
    reject_file: Option<PathBuf>,
    threads: usize,
    timings: bool,
    scope: Scope,
    durable: bool,
    /// The TOML run file, when the run was given one.
    run_file: Option<PathBuf>,
    state_in: Option<PathBuf>,
    state_out: Option<PathBuf>,
    budget: Budget,
    encoding: Encoding,
    keep_columns: Option<String>,
    /// Write results.xlsx into the out set.
    xlsx: bool,
}

fn plan(args: RunArgs) -> Result<Plan, String> {
    let is_toml = args.policy.extension().is_some_and(|e| e == "toml");
    let (file, base) = if is_toml {
        let text = std::fs::read_to_string(&args.policy)
            .map_err(|e| format!("cannot read `{}`: {e}", args.policy.display()))?;
        let rf: RunFile =
            toml::from_str(&text).map_err(|e| format!("`{}`: {e}", args.policy.display()))?;
        (
            rf,
            args.policy
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        )
    } else {
        (
            RunFile {
                policy: args.policy.clone(),
                ..RunFile::default()
            },
            PathBuf::new(),
        )
    };
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut sets: Vec<(String, String)> = file
        .set
        .into_iter()
        .map(|(k, v)| (k, toml_value(v)))
        .collect();
    for s in &args.set {
        sets.push(split_set(s)?);
    }
    let claims = args.data.claims.or(file.claims.map(rel));
    let institutions = args.data.institutions.or(file.institutions.map(rel));
    let claims_missing = match (&claims, &institutions) {
        (None, _) => Some("no claims file: give --claims FILE"),
        (_, None) => Some("no institutions file: give --institutions FILE"),
        _ => None,
    };
    let (claims, institutions) = (claims.unwrap_or_default(), institutions.unwrap_or_default());
    let year = match (&args.data.year, &file.year) {
        (Some(y), _) => Some(parse_years(y)?),
        (None, Some(v)) => Some(parse_years(&toml_value(v.clone()))?),
        (None, None) => None,
    };
    let through = match args.data.through.as_ref().or(file.through.as_ref()) {
        Some(t) => Some(parse_month(t)?),
        None => None,
    };
    let provisional = args.data.provisional || file.provisional;
    if provisional && through.is_none() {
        return Err("--provisional goes with --through YYYY-MM (a year cut short)".into());
    }
    let scope = Scope {
        years: year,
        through,
        provisional,
    };
    let budget = memory_budget(args.memory.as_deref(), args.spill_dir.as_deref())?;
    let format = args.format.or(file.format).unwrap_or(Format::Table);
    let encoding = args.encoding.or(file.encoding).unwrap_or_default();
    if format == Format::Json && encoding != Encoding::Utf8 {
        return Err(format!(
            "--encoding {} is for CSV files; JSON is always UTF-8 (leave out --encoding, or use --format csv)",
            encoding.name()
        ));
    }
    let xlsx = args.xlsx || file.xlsx;
    if xlsx && (format == Format::Json || args.out.is_none() && file.out.is_none()) {
        return Err(
            "--xlsx writes the CSV files of --out as a workbook: give --out DIR (and not --format json)"
                .into(),
        );
    }
    Ok(Plan {
        budget,
        encoding,
        xlsx,
        keep_columns: args.keep_columns.or(file.keep_columns),
        scope,
        durable: args.durable,
        run_file: is_toml.then(|| args.policy.clone()),
        policy: if is_toml {
            rel(file.policy)
        } else {
            file.policy
        },
        claims,
        institutions,
        claims_missing,
        persons: args.data.persons.or(file.persons.map(rel)),
        contributions: args.data.contributions.or(file.contributions.map(rel)),
        assessments: args.data.assessments.or(file.assessments.map(rel)),
        agreements: args.data.agreements.or(file.agreements.map(rel)),
        sets,
        out: args.out.or(file.out.map(rel)),
        format,
        reject_file: args.data.reject_file.or(file.reject_file.map(rel)),
        threads: super::shared::threads(args.data.threads),
        timings: args.timings,
        state_in: args.state_in.or(file.state_in.map(rel)),
        state_out: args.state_out.or(file.state_out.map(rel)),
    })
}

pub fn run(args: RunArgs) -> Printed<Status> {
    let plan = match plan(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    };
    let (mut prog, policy_file) = match super::load_policy(&plan.policy, false) {
        Ok(x) => x,
        Err(s) => return Ok(s),
    };
    for (k, v) in &plan.sets {
        if let Err(e) = crate::check::apply_override(&mut prog, k, v) {
            eprintln!("error: --set {k}={v}: {e}");
            return Ok(Status::Usage);
        }
    }
    let contrib_plan = ContribPlan {
        policy: &plan.policy,
        persons: plan.persons.as_deref(),
        contributions: plan.contributions.as_deref(),
        reject_file: plan.reject_file.as_deref(),
        encoding: plan.encoding,
        budget: Some(&plan.budget),
    };
    if prog.layers.is_empty() {
        let out = (plan.out.as_deref(), plan.format, plan.durable);
        return super::contrib::run_alone(&prog, &contrib_plan, out, describe(&plan));
    }
    if let Some(missing) = plan.claims_missing {
        eprintln!("error: {missing}");
        return Ok(Status::Usage);
    }
    if prog.has_contributions() {
        if let Err(e) = super::contrib::inputs(&contrib_plan) {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    }

    let fmt = if plan.format == Format::Json {
        Format::Json
    } else {
        Format::Csv
    };
    let kept = match &plan.keep_columns {
        None => Vec::new(),
        Some(list) => {
            let (none, no_insts) = (Claims::default(), crate::data::Institutions::default());
            let written = ClaimLines::new(&prog, &none, &no_insts, fmt)
                .header()
                .to_vec();
            match resolve_kept(&prog, list, &written) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(Status::Usage);
                }
            }
        }
    };

    // Every output checked against every input before anything is read or written.
    let mut files = Files::default();
    if let Some(f) = &plan.run_file {
        files.input("run file", f);
    }
    files.input("policy", &plan.policy);
    files.input("claims file", &plan.claims);
    files.input("institutions file", &plan.institutions);
    if let Some(a) = &plan.assessments {
        files.input("assessments file", a);
    }
    if let Some(p) = &plan.persons {
        files.input("persons file", p);
    }
    if let Some(c) = &plan.contributions {
        files.input("contributions file", c);
    }
    if let Some(a) = &plan.agreements {
        files.input("agreements file", a);
    }
    if let Some(s) = &plan.state_in {
        files.input("state file", s);
    }
    let mut clash = Ok(());
    if let Some(s) = &plan.state_out {
        clash = clash.and(files.check_output("--state-out", s));
    }
    if let Some(r) = &plan.reject_file {
        clash = clash.and(files.check_output("--reject-file", r));
    }
    if let Some(dir) = &plan.out {
        clash = clash.and(files.check_out_dir(dir, &out_names()));
    }
    if let Err(e) = clash {
        eprintln!("error: {e}");
        return Ok(Status::Usage);
    }

    // Refused before a file is spilled, not after.
    if plan.budget.spills(claims_size(&plan)) {
        if let Err(e) = spill_allowed(&plan, &prog) {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    }
    let mut clock = Stages::new(plan.timings);
    clock.begin("reading claims");
    let (mut insts, loaded, rejects) = match load_inputs_within(
        &plan.claims,
        &plan.institutions,
        &prog,
        plan.reject_file.as_deref(),
        (plan.threads, Some(&plan.budget), plan.encoding),
        &mut clock,
    ) {
        Ok(x) => x,
        Err(s) => return Ok(s),
    };
    let actions = match super::shared::attach_agreements(
        &prog,
        plan.agreements.as_deref(),
        &mut insts,
        &mut clock,
    ) {
        Ok(a) => a,
        Err(s) => return Ok(s),
    };
    // Read whole, the claims are settled as one set; spilled, a partition
    // at a time, in settlement order.
    let (mut claims, spill) = match loaded {
        Loaded::Whole(c) => (c, None),
        Loaded::Spilled(s) => (Claims::default(), Some(s)),
    };
    if let Some(s) = &spill {
        clock.note(&format!(
            "note: `{}` would take about {} of memory, more than --memory {}: spilled to {} partitions by patient ({} in {}), settled one at a time",
            plan.claims.display(),
            mib(Budget::needed(claims_size(&plan))),
            mib(plan.budget.bytes),
            s.len(),
            mib(s.spilled),
            s.dir().display()
        ));
    }

    let scoped = match &spill {
        None => scope_claims(&mut claims, &plan.scope),
        // The claims set aside are counted as each partition is loaded.
        Some(s) => Periods::of_years(s.years, &plan.scope).map(|p| (p, 0)),
    };
    let (periods, mut outside) = match scoped {
        Ok(x) => x,
        Err(e) => {
            clock.clear();
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    };
    let id = super::state::identity(&plan.policy, &policy_file.text);
    if plan.state_out.is_some() && periods.months.last().is_some_and(|&(_, m)| m != 12) {
        clock.clear();
        eprintln!("error: --state-out is written at a year end, but this run stops at {}; help: run through December (drop --through), or leave out --state-out", periods.describe());
        return Ok(Status::Usage);
    }
    let state_in = match &plan.state_in {
        None => None,
        Some(path) => {
            let first = periods.years.first().copied().unwrap_or_default();
            let read = super::state::read(path)
                .and_then(|s| s.opening(&id, &prog, &claims, first).map(|o| (s, o)));
            match read {
                Ok(x) => Some(x),
                Err(e) => {
                    clock.clear();
                    eprintln!("error: --state-in `{}`: {e}", path.display());
                    return Ok(Status::Usage);
                }
            }
        }
    };
    let carry = Carry {
        opening: state_in.as_ref().map(|(_, o)| o),
        keep: plan.state_out.is_some(),
    };
    // The out folder's staging is opened before settling: claims.csv is
    // written there block by block as the claims are settled, and the
    // results of a whole run are never held at once.
    let cannot_write = |dir: &Path, e: &dyn std::fmt::Display| {
        eprintln!(
            "error: cannot write results to `{}`: {e}; the folder keeps its previous results",
            dir.display()
        );
        Ok(Status::Usage)
    };
    let mut out = match &plan.out {
        None => None,
        Some(dir) => {
            let lines = ClaimLines::new(&prog, &claims, &insts, fmt).keeping(&kept);
            let opened = OutSet::begin(dir, plan.durable).and_then(|set| {
                ClaimsFile::create(set.staging(), &lines, plan.encoding).map(|f| (set, f))
            });
            match opened {
                Ok(o) => Some(o),
                Err(e) => {
                    clock.clear();
                    return cannot_write(dir, &e);
                }
            }
        }
    };
    let writing = out.is_some();
    clock.begin(match (writing, spill.is_some()) {
        (true, false) => "settling and writing claims",
        (false, false) => "settling claims",
        (true, true) => "settling and writing claims, a partition at a time",
        (false, true) => "settling claims, a partition at a time",
    });
    let split = Split::threads(plan.threads);
    let mut stream = Streamed::new(&prog, &insts, periods.clone());
    let mut settle_set = |set: &Claims, stream: &mut Streamed| {
        let lines = ClaimLines::new(&prog, set, &insts, fmt).keeping(&kept);
        stream.settle(
            set,
            split,
            carry,
            |b| if writing { lines.lines(b) } else { Vec::new() },
            |block| out.as_mut().map_or(Ok(()), |(_, f)| f.put(&block)),
        )
    };
    let settled = match &spill {
        None => settle_set(&claims, &mut stream),
        Some(s) => (0..s.len()).try_for_each(|k| {
            let mut part = s.load(k).map_err(Halt::Load)?;
            outside += part.set_aside(|c| !periods.contains(c.discharge));
            settle_set(&part, &mut stream)
        }),
    };
    let settled = settled.and_then(|()| stream.finish());
    if let Some(s) = &spill {
        claims = Claims {
            rows_read: s.head.rows_read,
            ..Claims::default()
        };
    }
    drop(spill);
    let settlement = match settled {
        Ok(s) => s,
        Err(Halt::Eval(e)) => {
            clock.clear();
            report_eval_error(&plan.claims, &plan.policy, &e);
            return Ok(Status::Problems);
        }
        Err(Halt::Put(e)) => {
            clock.clear();
            return cannot_write(plan.out.as_deref().unwrap_or(Path::new(".")), &e);
        }
        Err(Halt::Load(e)) => {
            clock.clear();
            eprintln!("error: {e}");
            return Ok(Status::Problems);
        }
    };
    let assessments = match &plan.assessments {
        None => None,
        Some(path) => match load_assessments(path) {
            Ok(a) => Some(a),
            Err((e, rows)) => {
                clock.clear();
                return Ok(load_failed(&e, &rows));
            }
        },
    };
    clock.begin("settling institutions");
    let ledger = match settle_institutions_carried(
        &prog,
        &claims,
        &insts,
        &settlement,
        assessments.as_ref(),
        carry.opening,
    ) {
        Ok(l) => l,
        Err(e) => {
            clock.clear();
            report_eval_error(&plan.claims, &plan.policy, &e);
            return Ok(Status::Problems);
        }
    };

    // Contributions beside the claims: their bad rows stop the run (the
    // reject file holds the claims' rows).
    let contributions = if prog.has_contributions() {
        let alone = ContribPlan {
            reject_file: None,
            ..contrib_plan
        };
        let into = match &out {
            Some((set, _)) => super::contrib::Into::Write(set.staging(), (fmt, plan.encoding)),
            None => super::contrib::Into::Nothing,
        };
        match super::contrib::settle(&prog, &alone, into) {
            Ok(r) => Some(r),
            Err(s) => {
                clock.clear();
                return Ok(s);
            }
        }
    } else {
        None
    };

    let patients = match crate::eval::settle_patients(&prog, &claims, &insts, &settlement) {
        Ok(l) => l,
        Err(e) => {
            clock.clear();
            report_eval_error(&plan.claims, &plan.policy, &e);
            return Ok(Status::Problems);
        }
    };

    crash_point("settle");
    if let Some(path) = &plan.state_out {
        let written = super::state::closing(
            id,
            &prog,
            &claims,
            &settlement,
            ledger.as_ref(),
            state_in.as_ref().map(|(s, _)| s),
            &insts,
        )
        .and_then(|s| super::state::to_bytes(&s))
        .and_then(|b| {
            super::files::write_whole(path, &b, false, plan.durable).map_err(|e| e.to_string())
        });
        if let Err(e) = written {
            clock.clear();
            eprintln!("error: cannot write the state to `{}`: {e}", path.display());
            return Ok(Status::Usage);
        }
        eprintln!("wrote {}", path.display());
    }
    if let (Some(dir), Some((set, file))) = (&plan.out, out) {
        clock.begin("writing results");
        let written = file.finish().and_then(|_| {
            let stage = set.staging();
            let fmt = (fmt, plan.encoding);
            write_institution_months(stage, fmt, &prog, &insts, &settlement.summary)?;
            crash_point("write");
            if let Some(l) = &ledger {
                write_ledger(stage, fmt, &prog, l)?;
                if let Some(a) = &actions {
                    crate::report::write_agreements(stage, fmt, &prog, &insts, a, &l.agreements)?;
                }
            }
            if let Some(l) = &patients {
                crate::report::write_patient_ledger(stage, fmt, &prog, l)?;
            }
            if plan.xlsx {
                for n in set.add_workbook("results.xlsx")? {
                    eprintln!("{n}");
                }
            }
            set.commit(describe(&plan))
        });
        match written {
            Ok(paths) => {
                clock.clear();
                for p in paths {
                    eprintln!("wrote {}", p.display());
                }
            }
            Err(e) => {
                clock.clear();
                return cannot_write(dir, &e);
            }
        }
    }
    drop(clock);
    print_summary(
        &plan,
        &prog,
        &claims,
        &rejects,
        outside,
        &settlement,
        (ledger.as_ref(), patients.as_ref()),
    )?;
    if let (Some(c), Format::Table) = (&contributions, plan.format) {
        super::stdout::outln!()?;
        for line in super::contrib::summary_lines(c, None) {
            super::stdout::outln!("{line}")?;
        }
    }
    Ok(Status::Ok)
}

/// Whether a run can spill its claims: not yet one that carries state
/// (its patients are numbered across the whole file) or settles patients.
fn spill_allowed(plan: &Plan, prog: &crate::ir::Program) -> Result<(), String> {
    let mut why = Vec::new();
    if plan.state_in.is_some() {
        why.push("--state-in");
    }
    if plan.state_out.is_some() {
        why.push("--state-out");
    }
    if prog
        .settle_order
        .iter()
        .any(|g| g.unit == crate::ir::UnitKind::Patient)
    {
        why.push("`settle per patient` blocks");
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(format!(
        "`{}` would take about {} of memory, more than --memory {}, and a run that spills its claims cannot yet have {}; help: give a larger --memory (the machine has to hold the claims)",
        plan.claims.display(),
        mib(Budget::needed(claims_size(plan))),
        mib(plan.budget.bytes),
        why.join(" or ")
    ))
}

/// The claims file's size in bytes (0 when it cannot be told), as
/// [`crate::data::load_claims_within`] sees it.
fn claims_size(plan: &Plan) -> u64 {
    crate::data::Input::file(&plan.claims).size().unwrap_or(0)
}

/// Bytes as whole MiB, for messages (rounded up: never "0 MiB" for some).
fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

/// Every file a run may write into --out, in either format (a file an
/// earlier run wrote in the other format is removed by this one).
fn out_names() -> Vec<String> {
    [
        "claims",
        "institution_months",
        "ledger",
        "ledger_months",
        "patient_ledger",
        "agreements",
    ]
    .iter()
    .flat_map(|n| [format!("{n}.csv"), format!("{n}.json")])
    .chain(super::contrib::out_names())
    .collect()
}

/// The run, as the manifest records it.
fn describe(plan: &Plan) -> serde_json::Value {
    let path = |p: &Path| p.display().to_string();
    let mut run = serde_json::json!({
        "policy": path(&plan.policy),
        "run_file": plan.run_file.as_deref().map(path),
        "claims": plan.claims_missing.is_none().then(|| path(&plan.claims)),
        "institutions": plan.claims_missing.is_none().then(|| path(&plan.institutions)),
        "assessments": plan.assessments.as_deref().map(path),
        "set": plan.sets.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        "threads": plan.threads,
    });
    if let (Some(a), Some(o)) = (&plan.agreements, run.as_object_mut()) {
        o.insert("agreements".into(), path(a).into());
    }
    // Only when not the default, so that other manifests stay as they were.
    if let (Encoding::Utf8Bom | Encoding::Gb18030, Some(o)) = (plan.encoding, run.as_object_mut()) {
        o.insert("encoding".into(), plan.encoding.name().into());
    }
    if let (true, Some(o)) = (plan.xlsx, run.as_object_mut()) {
        o.insert("xlsx".into(), true.into());
    }
    if let (Some(k), Some(o)) = (&plan.keep_columns, run.as_object_mut()) {
        o.insert("keep_columns".into(), k.as_str().into());
    }
    // Only when given, so that manifests of runs without them stay as they were.
    for (key, p) in [
        ("state_in", &plan.state_in),
        ("state_out", &plan.state_out),
        ("persons", &plan.persons),
        ("contributions", &plan.contributions),
    ] {
        if let (Some(p), Some(o)) = (p, run.as_object_mut()) {
            o.insert(key.into(), path(p).into());
        }
    }
    run
}
