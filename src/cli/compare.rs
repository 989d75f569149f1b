//! `yibao compare`: the same claims through several policies, side by side
//! with the first (the baseline); or, with `--rules`, the rules themselves.
//!
//! A policy is named on the command line by its file (labelled by the file
//! stem, or `LABEL=PATH`), or as a reform of one listed before it:
//! `bazhong+cap60w` is a copy of `bazhong` under a new name, changed by the
//! overrides addressed to it (`--set bazhong+cap60w:封顶线[resident]=60万元`).
//! A TOML compare file says the same in one reproducible file.

use super::files::{write_whole, Files};
use super::shared::{load_failed, load_inputs, report_eval_error, scope_claims, DataArgs, Stages};
use super::stdout::{self, out, outln, Printed};
use super::Status;
use crate::compare::{rules, Comparison, Data, Outcome};
use crate::data::load_assessments;
use crate::eval::{settle_institutions, settle_periods};
use crate::ir::{Program, UnitKind};
use crate::report::{compare as out, rules as rules_out, Format};
use clap::Args;
use std::path::PathBuf;

mod plan;

use plan::{plan, Plan, Source};

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  \
    yibao compare policies/r1.policy policies/bazhong.policy policies/leshan.policy \\\n      \
    --claims examples/claims.csv --institutions examples/institutions.csv\n  \
    yibao compare policies/bazhong.policy bazhong+cap60w --set 'bazhong+cap60w:封顶线[resident]=60万元' \\\n      \
    --claims examples/claims.csv --institutions examples/institutions.csv --report report.html\n  \
    yibao compare --rules policies/r1.policy policies/bazhong.policy\n  \
    yibao compare compare.toml")]
pub struct CompareArgs {
    /// Policies to compare, the first being the baseline: a policy file (labelled by its
    /// file stem), LABEL=FILE, or BASE+NAME — a reform: a copy of the policy labelled BASE,
    /// changed by the --set addressed to it. Or one TOML compare file.
    #[arg(value_name = "POLICY", required = true)]
    pub policies: Vec<String>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Override a parameter or table cell in every policy (NAME=VALUE, NAME[KEY]=VALUE), or
    /// in one (LABEL:NAME=VALUE); repeatable
    #[arg(long = "set", value_name = "[LABEL:]NAME=VALUE")]
    pub set: Vec<String>,
    /// Compare the rules themselves (parameters, table cells, segments, bands, rules and
    /// settle blocks with their dates) instead of results; needs no data
    #[arg(long)]
    pub rules: bool,
    /// How many institutions and patient-years to list among those whose outcome changes
    /// most [default: 10]
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Output on stdout [default: table]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write one self-contained HTML file with the tables and charts
    #[arg(long, value_name = "HTML")]
    pub report: Option<PathBuf>,
    /// Contribution rules: a contributions file needing more memory than this (default: half
    /// the machine's) is read in parts by person, as by `run` (claims are compared read whole)
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Where those parts are written (default: the system's temporary folder)
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
    /// Write the full change tables into DIR: patient_years, institution_years and groups
    /// (CSV; JSON with --format json), one row per unit and policy, with Δ against the baseline
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The encoding of the --out CSV files: utf-8, utf-8-bom (for Excel) or gb18030
    #[arg(long, value_enum)]
    pub encoding: Option<crate::report::Encoding>,
    /// The age bands of groups.csv (--out) and the report, as their lower bounds after 0 [default: 18,45,60,75:
    /// 0–17, 18–44, 45–59, 60–74, 75+]
    #[arg(long, value_name = "AGES")]
    pub age_bands: Option<String>,
    /// The language of the report's prose and headings (zh or en); labels from the policy
    /// (layer titles, region names) are shown as written [default: $YIBAO_LANG, else en]
    #[arg(long, value_enum)]
    pub lang: Option<crate::lang::Lang>,
    /// Also write comparison.xlsx into --out: every change table as a sheet, amounts as
    /// numbers in a 0.00 format (each reads back as its exact decimal), ids as text
    #[arg(long)]
    pub xlsx: bool,
}

/// A checked program per spec, with its overrides applied, and what it is.
struct Compiled {
    label: String,
    /// The policy file the program comes from.
    file: PathBuf,
    /// The file and the overrides, for the report.
    describe: String,
    prog: Program,
}

fn compile_all(plan: &Plan) -> Result<Vec<Compiled>, Status> {
    let mut out: Vec<Compiled> = Vec::new();
    for spec in &plan.specs {
        let (mut prog, file, mut describe) = match &spec.source {
            Source::File(p) => {
                let (mut prog, _) = super::load_policy(p, false)?;
                for (k, v) in &plan.global_sets {
                    crate::check::apply_override(&mut prog, k, v).map_err(|e| {
                        eprintln!("error: --set {k}={v} in `{}`: {e}; address one policy with --set LABEL:{k}={v}", spec.label);
                        Status::Usage
                    })?;
                }
                (prog, p.clone(), p.display().to_string())
            }
            Source::Reform(b) => {
                let base = &out[*b];
                (base.prog.clone(), base.file.clone(), base.label.clone())
            }
        };
        for (k, v) in &spec.sets {
            crate::check::apply_override(&mut prog, k, v).map_err(|e| {
                eprintln!("error: --set {}:{k}={v}: {e}", spec.label);
                Status::Usage
            })?;
            describe.push_str(&format!(" {k}={v}"));
        }
        if matches!(spec.source, Source::Reform(_)) && spec.sets.is_empty() {
            eprintln!(
                "warning: reform `{}` has no overrides, so it is the same as its base; add --set '{}:NAME=VALUE'",
                spec.label, spec.label
            );
        }
        out.push(Compiled {
            label: spec.label.clone(),
            file,
            describe,
            prog,
        });
    }
    Ok(out)
}

pub fn run(args: CompareArgs) -> Printed<Status> {
    let compare_files: Vec<PathBuf> = args
        .policies
        .iter()
        .filter(|p| p.ends_with(".toml"))
        .map(PathBuf::from)
        .collect();
    let (memory, spill_dir) = (args.memory.clone(), args.spill_dir.clone());
    let (out_dir, encoding) = (args.out.clone(), args.encoding.unwrap_or_default());
    let args_xlsx = args.xlsx;
    if args_xlsx && (out_dir.is_none() || args.format == Some(Format::Json)) {
        eprintln!("error: --xlsx writes the CSV change tables of --out as a workbook: give --out DIR (and not --format json)");
        return Ok(Status::Usage);
    }
    let plan = match plan(args) {
        Ok(mut p) => {
            p.keep_claims = out_dir.is_some();
            p
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
    };
    // Every output checked against every input before anything is written.
    let mut files = Files::default();
    for f in &compare_files {
        files.input("compare file", f);
    }
    for s in &plan.specs {
        if let Source::File(p) = &s.source {
            files.input("policy", p);
        }
    }
    for (what, p) in [
        ("claims file", &plan.claims),
        ("institutions file", &plan.institutions),
        ("assessments file", &plan.assessments),
        ("persons file", &plan.persons),
        ("contributions file", &plan.contributions),
        ("agreements file", &plan.agreements),
    ] {
        if let Some(p) = p {
            files.input(what, p);
        }
    }
    if let Some(dir) = &out_dir {
        let names: Vec<String> = crate::report::COMPARE_FILES
            .iter()
            .flat_map(|n| [format!("{n}.csv"), format!("{n}.json")])
            .collect();
        if let Err(e) = files.check_out_dir(dir, &names) {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
        if plan.format == Format::Json && encoding != crate::report::Encoding::Utf8 {
            eprintln!(
                "error: --encoding {} is for CSV files; JSON is always UTF-8",
                encoding.name()
            );
            return Ok(Status::Usage);
        }
    }
    for (what, p) in [
        ("--report", &plan.report),
        ("--reject-file", &plan.reject_file),
    ] {
        if let Some(p) = p {
            if let Err(e) = files.check_output(what, p) {
                eprintln!("error: {e}");
                return Ok(Status::Usage);
            }
        }
    }
    let compiled = match compile_all(&plan) {
        Ok(c) => c,
        Err(s) => return Ok(s),
    };
    // The rules' canonical text, from each policy's file (a reform's is its base's).
    let texts: Vec<Option<crate::fmt::PolicyText>> = compiled
        .iter()
        .map(|c| {
            crate::source::SourceFile::read(&c.file)
                .ok()
                .and_then(|f| crate::fmt::policy_text(&f))
        })
        .collect();
    let rules = rules::diff(
        &compiled
            .iter()
            .zip(&texts)
            .map(|(c, t)| (c.label.as_str(), &c.prog, t.as_ref()))
            .collect::<Vec<_>>(),
    );
    if plan.rules {
        print_rules(&plan, &rules)?;
        return Ok(write_report(&plan, None, &rules, None));
    }
    // Contribution rules alone: the persons' months under each policy.
    if compiled.iter().all(|c| c.prog.layers.is_empty()) {
        if out_dir.is_some() {
            eprintln!("error: --out writes the change tables of claims; contribution rules are compared on the terminal (or --format csv|json) for now");
            return Ok(Status::Usage);
        }
        let policies: Vec<(&str, &Program)> = compiled
            .iter()
            .map(|c| (c.label.as_str(), &c.prog))
            .collect();
        let files = (plan.persons.as_deref(), plan.contributions.as_deref());
        let budget = match super::shared::memory_budget(memory.as_deref(), spill_dir.as_deref()) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(Status::Usage);
            }
        };
        return super::compare_contrib::run(&policies, files, &budget, plan.top, plan.format);
    }
    let comparison = match settle_all(&plan, &compiled) {
        Ok(c) => c,
        Err(s) => return Ok(s),
    };
    let lopsided = lopsided(&compiled);
    if let Some(w) = &lopsided {
        eprintln!("warning: {}", w.say(plan.lang.unwrap_or_default()));
    }
    if let Some(dir) = &out_dir {
        let fmt = match plan.format {
            Format::Json => Format::Json,
            _ => Format::Csv,
        };
        let written = super::files::OutSet::begin(dir, false).and_then(|set| {
            crate::report::write_change_tables(set.staging(), (fmt, encoding), &comparison)?;
            if args_xlsx {
                for n in set.add_workbook("comparison.xlsx")? {
                    eprintln!("{n}");
                }
            }
            set.commit(serde_json::json!({
                "command": "compare",
                "policies": compiled.iter().map(|c| serde_json::json!({ "label": c.label, "path": c.file.display().to_string() })).collect::<Vec<_>>(),
                "claims": plan.claims.as_ref().map(|p| p.display().to_string()),
                "institutions": plan.institutions.as_ref().map(|p| p.display().to_string()),
                "agreements": plan.agreements.as_ref().map(|p| p.display().to_string()),
                "encoding": encoding.name(),
            }))
        });
        match written {
            Ok(paths) => {
                for p in paths {
                    eprintln!("wrote {}", p.display());
                }
            }
            Err(e) => {
                eprintln!(
                    "error: cannot write the change tables to `{}`: {e}; the folder keeps its previous files",
                    dir.display()
                );
                return Ok(Status::Usage);
            }
        }
    }
    match plan.format {
        Format::Table => out!("{}", out::compare_text(&comparison, plan.top))?,
        Format::Csv => {
            let rows = out::compare_csv(&comparison, plan.top);
            print_csv(&rows)?;
        }
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&out::compare_json(&comparison, plan.top))
                .unwrap_or_default()
        )?,
    }
    let status = write_report(&plan, Some(&comparison), &rules, lopsided);
    if status != Status::Ok {
        return Ok(status);
    }
    if comparison.outcomes.iter().any(|o| !o.all.reconciles()) {
        eprintln!("error: a policy's totals do not reconcile (see the `reconciles` line)");
        return Ok(Status::Problems);
    }
    Ok(Status::Ok)
}

fn print_csv(rows: &[Vec<String>]) -> Printed {
    match rows.split_first() {
        Some((h, rest)) => stdout::with(|o| crate::report::write_csv(o, h, rest)),
        None => Ok(()),
    }
}

fn print_rules(plan: &Plan, d: &rules::RulesDiff) -> Printed {
    match plan.format {
        Format::Table => out!("{}", rules_out::rules_text(d)),
        Format::Csv => print_csv(&rules_out::rules_csv(d)),
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&rules_out::rules_json(d)).unwrap_or_default()
        ),
    }
}

fn write_report(
    plan: &Plan,
    c: Option<&Comparison>,
    rules: &rules::RulesDiff,
    lopsided: Option<crate::report::html::Lopsided>,
) -> Status {
    let Some(path) = &plan.report else {
        return Status::Ok;
    };
    let lang = plan.lang.unwrap_or_default();
    let html = crate::report::html::report(
        c,
        rules,
        crate::report::html::Options {
            lang,
            top: plan.top,
            lopsided,
        },
    );
    match write_whole(path, html.as_bytes(), false, false) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            Status::Ok
        }
        Err(e) => {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            Status::Usage
        }
    }
}

/// Whether an institution's net compares unlike things: some policies
/// clear institutions at the year end (a year block of an institution or
/// its alliance) and others do not, so one net holds a clearing and the
/// other only routine payments.
fn lopsided(compiled: &[Compiled]) -> Option<crate::report::html::Lopsided> {
    let clears = |p: &Program| {
        p.settles.iter().any(|s| {
            s.period == crate::ir::PeriodKind::Year
                && matches!(s.unit, UnitKind::Institution | UnitKind::Alliance)
        })
    };
    let (with, without): (Vec<&Compiled>, Vec<&Compiled>) =
        compiled.iter().partition(|c| clears(&c.prog));
    if with.is_empty() || without.is_empty() {
        return None;
    }
    let labels = |v: &[&Compiled]| v.iter().map(|c| c.label.clone()).collect();
    Some(crate::report::html::Lopsided {
        clearing: labels(&with),
        not_clearing: labels(&without),
    })
}

/// Loads the data once and settles it with every policy, keeping only each
/// policy's outcome.
fn settle_all(plan: &Plan, compiled: &[Compiled]) -> Result<Comparison, Status> {
    let (Some(claims_path), Some(inst_path)) = (&plan.claims, &plan.institutions) else {
        eprintln!(
            "error: give --claims FILE and --institutions FILE (or compare the rules alone with --rules)"
        );
        return Err(Status::Usage);
    };
    let first = &compiled[0];
    for c in &compiled[1..] {
        let names = |p: &Program| {
            let f = |x: &[crate::ir::ExtraField]| {
                x.iter()
                    .map(|e| format!("{}: {}", e.name, e.ty))
                    .collect::<Vec<_>>()
            };
            (f(&p.claim_extras), f(&p.inst_extras))
        };
        if names(&c.prog) != names(&first.prog) {
            eprintln!(
                "error: `{}` and `{}` read different extra columns (`field` declarations); compare needs policies that read the same columns",
                first.label, c.label
            );
            return Err(Status::Problems);
        }
    }
    let mut clock = Stages::new(false);
    clock.begin("reading claims");
    let (mut insts, mut claims, rejects) = load_inputs(
        claims_path,
        inst_path,
        &first.prog,
        plan.reject_file.as_deref(),
        plan.threads,
        &mut clock,
    )?;
    // The actions are data: read once, for every policy; a policy without
    // an agreement block does not act on them (it pays as if none were taken).
    let managing = compiled
        .iter()
        .find(|c| c.prog.has_agreements())
        .map_or(&first.prog, |c| &c.prog);
    super::shared::attach_agreements(managing, plan.agreements.as_deref(), &mut insts, &mut clock)?;
    let (periods, outside) = scope_claims(&mut claims, &plan.scope).map_err(|e| {
        clock.clear();
        eprintln!("error: {e}");
        Status::Usage
    })?;
    if outside > 0 {
        clock.note(&format!(
            "note: {outside} claims discharged outside the run ({}) are set aside",
            periods.describe()
        ));
    }
    let assessments = match &plan.assessments {
        None => None,
        Some(path) => match load_assessments(path) {
            Ok(a) => Some(a),
            Err((e, rows)) => {
                clock.clear();
                return Err(load_failed(&e, &rows));
            }
        },
    };
    clock.clear();
    drop(clock);
    let mut data = Data::new(&claims, &insts);
    data.age_bands = plan.age_bands.clone();
    data.keep_claims = plan.keep_claims;
    if plan.keep_claims {
        data.index_drgs();
    }
    let bar = super::progress_bar(compiled.len() as u64, "settling");
    let mut outcomes = Vec::with_capacity(compiled.len());
    for c in compiled {
        bar.set_message(format!("settling with {}", c.label));
        let s = settle_periods(&c.prog, &claims, &insts, plan.threads, periods.clone()).map_err(
            |e| {
                bar.finish_and_clear();
                eprintln!("in policy `{}`:", c.label);
                report_eval_error(claims_path, &c.file, &e);
                Status::Problems
            },
        )?;
        let ledger = settle_institutions(&c.prog, &claims, &insts, &s, assessments.as_ref())
            .map_err(|e| {
                bar.finish_and_clear();
                eprintln!("in policy `{}`:", c.label);
                report_eval_error(claims_path, &c.file, &e);
                Status::Problems
            })?;
        let o = Outcome::of(&c.label, &c.describe, &c.prog, &s, ledger.as_ref(), &data).map_err(
            |e| {
                bar.finish_and_clear();
                eprintln!("error: `{}`: {e}", c.label);
                Status::Problems
            },
        )?;
        outcomes.push(o);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Comparison::new(
        outcomes,
        &claims_path.display().to_string(),
        rejects.len(),
        &data,
    ))
}
