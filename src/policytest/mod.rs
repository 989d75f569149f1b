//! Policy tests: a TOML file next to a policy (`qingdao.test.toml` beside
//! `qingdao.policy`) with a few institutions and claims inline and the
//! results expected of them, exact to the fen; `yibao test` runs them.
//!
//! Each `[[test]]` is settled on its own, by the same stages as `yibao run`:
//! its rows are written as CSV in memory and read by the data loader (so a
//! bad row is reported as in a run, at its line in the test file), settled,
//! and — when it expects ledger rows — cleared. Then the same data is
//! settled again watched by a `Coverage` tracer, which records the
//! rules, settle blocks, table rows and schedule segments used.

mod agreement;
mod contrib;
pub mod coverage;
mod expect;

use expect::{ledger_val_failure, patient_expect, val_failure};

use crate::data::{load_assessments_from, load_claims_from, load_institutions_from, Input};
use crate::eval::interp::Env;
use crate::ir::{PeriodKind, Program, Stmt, UnitKind};
use crate::source::SourceFile;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// The policy, relative to the test file; default: `NAME.policy` for `NAME.test.toml`.
    policy: Option<PathBuf>,
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    institution: Vec<Spanned<toml::Table>>,
    /// Insured persons for every test (contribution rules).
    #[serde(default)]
    person: Vec<Spanned<toml::Table>>,
    /// Assessment scores for every test that gives none of its own.
    #[serde(default)]
    assessment: Vec<toml::Table>,
    #[serde(default)]
    test: Vec<Spanned<Case>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    #[serde(default)]
    claim: toml::Table,
    #[serde(default)]
    institution: toml::Table,
    #[serde(default)]
    person: toml::Table,
    #[serde(default)]
    month: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Overrides for this test, as `--set`: `set = { 门诊封顶 = "3000元" }`.
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    #[serde(default)]
    claim: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    institution: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    assessment: Vec<toml::Table>,
    #[serde(default)]
    ledger: Vec<Spanned<LedgerExpect>>,
    /// Contribution rules: persons, their months, and retirements expected.
    #[serde(default)]
    person: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    month: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    retirement: Vec<Spanned<contrib::RetirementExpect>>,
    /// Agreement actions (as agreement_actions.csv rows), each with what
    /// is expected to come of it (`expect = { held = …, released = … }`).
    #[serde(default)]
    action: Vec<Spanned<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerExpect {
    institution: Option<String>,
    alliance: Option<String>,
    #[serde(default)]
    region: bool,
    /// A row of the patient ledger (`per patient per year` blocks).
    patient: Option<String>,
    year: i32,
    /// A month row (1–12); without it, the year row.
    month: Option<u32>,
    expect: toml::Table,
}

/// What a test file's run found.
#[derive(Debug)]
pub struct Report {
    pub file: PathBuf,
    pub policy: PathBuf,
    pub cases: Vec<CaseResult>,
    pub coverage: Vec<coverage::Item>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.failures.is_empty()).count()
    }

    /// Covered items in per cent (100 when the policy has nothing to cover).
    pub fn coverage_percent(&self) -> Decimal {
        let n = self.coverage.len();
        if n == 0 {
            return Decimal::ONE_HUNDRED;
        }
        let used = self.coverage.iter().filter(|i| i.used).count();
        (Decimal::from(used as u64) * Decimal::ONE_HUNDRED / Decimal::from(n as u64)).round_dp(1)
    }
}

#[derive(Debug)]
pub struct CaseResult {
    pub name: String,
    pub line: usize,
    pub checks: usize,
    pub failures: Vec<String>,
}

/// The test file of a policy: `NAME.test.toml` beside `NAME.policy`.
pub fn test_file_of(policy: &Path) -> PathBuf {
    let stem = policy
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy");
    policy.with_file_name(format!("{stem}.test.toml"))
}

/// Runs a test file. `Err` when it cannot be run at all (unreadable, bad
/// TOML, a policy that does not check); failing tests are in the report.
pub fn run_file(path: &Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let tf: TestFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let src = SourceFile::new(path, text.clone());
    let line = |span: std::ops::Range<usize>| src.line_col(span.start).0;
    let policy = match &tf.policy {
        Some(p) => normalize(&path.parent().unwrap_or(Path::new("")).join(p)),
        None => {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let stem = name.strip_suffix(".test.toml").ok_or_else(|| {
                format!("{}: name the policy (`policy = \"x.policy\"`), or call the file NAME.test.toml", path.display())
            })?;
            path.with_file_name(format!("{stem}.policy"))
        }
    };
    let file = SourceFile::read(&policy).map_err(|e| format!("{}: {e}", path.display()))?;
    let prog = match crate::compile(&file) {
        Ok((p, _)) => p,
        Err(d) => return Err(crate::diagnostic::render_all(&file, &d)),
    };
    if tf.test.is_empty() {
        return Err(format!("{}: no tests (add a `[[test]]`)", path.display()));
    }
    let mut used = coverage::Used::new(&prog);
    let mut cases = Vec::new();
    for case in &tf.test {
        let at = line(case.span());
        let case = case.get_ref();
        let mut r = CaseResult {
            name: case.name.clone(),
            line: at,
            checks: 0,
            failures: Vec::new(),
        };
        if let Err(e) = run_case(&tf, case, &prog, &file, &line, &mut r, &mut used) {
            r.failures.push(e);
        }
        cases.push(r);
    }
    let coverage = coverage::items(&prog, &file, &used);
    Ok(Report {
        file: path.to_path_buf(),
        policy,
        cases,
        coverage,
    })
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

use crate::data::{claims::COLUMNS as CLAIM_COLUMNS, institutions::COLUMNS as INST_COLUMNS};

/// A TOML value as a CSV field.
fn field(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        // The shortest text that reads back as the same float: what the author wrote.
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        other => other.to_string(),
    }
}

/// An expected amount: a string (`"12.30"`) or a number.
fn amount(v: &toml::Value) -> Option<Decimal> {
    match v {
        toml::Value::String(s) => s.trim().parse().ok(),
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(f) => f.to_string().parse().ok(),
        _ => None,
    }
}

/// Rows as CSV text: the contract's columns first (with built-in defaults),
/// then any other column named, in name order.
fn csv_rows(
    rows: &[toml::Table],
    defaults: &toml::Table,
    contract: &[&str],
    builtin: &[(&str, &str)],
) -> Result<Vec<u8>, String> {
    let mut extra: Vec<String> = Vec::new();
    for t in rows.iter().chain(std::iter::once(defaults)) {
        for k in t.keys() {
            if !contract.contains(&k.as_str()) && k != "expect" && !extra.contains(k) {
                extra.push(k.clone());
            }
        }
    }
    extra.sort();
    let header: Vec<String> = contract
        .iter()
        .map(|s| s.to_string())
        .chain(extra)
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).map_err(|e| e.to_string())?;
    for t in rows {
        let rec: Vec<String> = header
            .iter()
            .map(|h| {
                t.get(h)
                    .or_else(|| defaults.get(h))
                    .map(field)
                    .or_else(|| {
                        builtin
                            .iter()
                            .find(|(k, _)| k == h)
                            .map(|(_, v)| v.to_string())
                    })
                    .unwrap_or_default()
            })
            .collect();
        w.write_record(&rec).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
fn run_case(
    tf: &TestFile,
    case: &Case,
    prog: &Program,
    file: &SourceFile,
    line: &dyn Fn(std::ops::Range<usize>) -> usize,
    r: &mut CaseResult,
    used: &mut coverage::Used,
) -> Result<(), String> {
    let mut prog = prog.clone();
    for (k, v) in &case.set {
        let v = field(v);
        crate::check::apply_override(&mut prog, k, &v)
            .map_err(|e| format!("set {k} = {v}: {e}"))?;
    }
    let prog = &prog;
    if !case.month.is_empty() || !case.retirement.is_empty() {
        let parts = contrib::Parts {
            persons: &tf.person,
            case_persons: &case.person,
            months: &case.month,
            retirements: &case.retirement,
            defaults_person: &tf.defaults.person,
            defaults_month: &tf.defaults.month,
        };
        contrib::run(prog, file, &parts, line, r, used)?;
        if case.claim.is_empty() && case.ledger.is_empty() {
            return Ok(());
        }
    }

    // Institutions: the file's, with the test's added or replacing them by id.
    let mut insts: Vec<(usize, toml::Table)> = tf
        .institution
        .iter()
        .map(|t| (line(t.span()), t.get_ref().clone()))
        .collect();
    for t in &case.institution {
        let id = t.get_ref().get("institution_id").map(field);
        insts.retain(|(_, x)| x.get("institution_id").map(field) != id || id.is_none());
        insts.push((line(t.span()), t.get_ref().clone()));
    }
    if insts.is_empty() {
        return Err("no institutions: add an `[[institution]]` (institution_id, level)".into());
    }
    let inst_rows: Vec<toml::Table> = insts.iter().map(|(_, t)| t.clone()).collect();
    let ids: Vec<String> = inst_rows
        .iter()
        .map(|t| t.get("institution_id").map(field).unwrap_or_default())
        .collect();
    let builtin_inst: Vec<(&str, &str)> = vec![
        ("grade", "A"),
        ("alliance_id", ""),
        ("annual_budget", "0"),
        ("prior_year_monthly_avg", "0"),
        ("enrolled", "0"),
    ];
    let mut inst_rows_named = inst_rows.clone();
    for (t, id) in inst_rows_named.iter_mut().zip(&ids) {
        if !t.contains_key("name") && !tf.defaults.institution.contains_key("name") {
            t.insert("name".into(), toml::Value::String(id.clone()));
        }
    }
    let bytes = csv_rows(
        &inst_rows_named,
        &tf.defaults.institution,
        INST_COLUMNS,
        &builtin_inst,
    )?;
    let mut institutions =
        load_institutions_from(&Input::bytes("institutions", bytes), &prog.inst_extras).map_err(
            |(e, rows)| {
                let mut msg = vec![e.to_string()];
                for row in rows {
                    let at = (row.line as usize)
                        .checked_sub(2)
                        .and_then(|i| insts.get(i))
                        .map_or(0, |x| x.0);
                    msg.push(format!("institution at line {at}: {}", row.reason));
                }
                msg.join("; ")
            },
        )?;

    let actions = agreement::actions(prog, &case.action, &mut institutions)?;

    // Claims, with ids and patients filled in when not given.
    let mut claim_rows = Vec::new();
    let mut claim_lines = Vec::new();
    for (k, t) in case.claim.iter().enumerate() {
        let mut row = t.get_ref().clone();
        if !row.contains_key("claim_id") && !tf.defaults.claim.contains_key("claim_id") {
            row.insert(
                "claim_id".into(),
                toml::Value::String(format!("C{}", k + 1)),
            );
        }
        if !row.contains_key("admit_date") && !tf.defaults.claim.contains_key("admit_date") {
            if let Some(d) = row
                .get("discharge_date")
                .or(tf.defaults.claim.get("discharge_date"))
            {
                row.insert("admit_date".into(), d.clone());
            }
        }
        claim_lines.push(line(t.span()));
        claim_rows.push(row);
    }
    let builtin_claim: Vec<(&str, &str)> = vec![
        ("patient_id", "P1"),
        ("retired", "false"),
        ("age", "50"),
        ("self_pay_cost", "0"),
        ("drug_cost", "0"),
        ("disease_code", ""),
        ("drg_code", ""),
    ];
    let bytes = csv_rows(
        &claim_rows,
        &tf.defaults.claim,
        CLAIM_COLUMNS,
        &builtin_claim,
    )?;
    let (claims, rejects) = load_claims_from(
        &Input::bytes("claims", bytes),
        &institutions,
        &prog.claim_extras,
    )
    .map_err(|e| e.to_string())?;
    for row in &rejects {
        let at = (row.line as usize)
            .checked_sub(2)
            .and_then(|i| claim_lines.get(i))
            .copied()
            .unwrap_or(0);
        r.failures.push(format!(
            "the claim at line {at} cannot be settled: {}",
            row.reason
        ));
    }
    if !rejects.is_empty() {
        return Ok(());
    }
    let scores = if case.assessment.is_empty() {
        &tf.assessment
    } else {
        &case.assessment
    };
    let assessments = if scores.is_empty() {
        None
    } else {
        let bytes = csv_rows(
            scores,
            &toml::Table::new(),
            &["institution_id", "year", "score"],
            &[],
        )?;
        Some(
            load_assessments_from(&Input::bytes("assessments", bytes)).map_err(|(e, rows)| {
                let mut m = vec![e.to_string()];
                m.extend(rows.into_iter().map(|r| r.reason));
                m.join("; ")
            })?,
        )
    };

    let describe = |e: &crate::eval::EvalError| e.one_line(file);
    let settlement =
        crate::eval::settle(prog, &claims, &institutions, 1).map_err(|e| describe(&e))?;

    // Per-claim expectations.
    let n_layers = prog.layers.len();
    let n_applied = settlement.shape.n_applied();
    for (t, at) in case.claim.iter().zip(&claim_lines) {
        let Some(expect) = t.get_ref().get("expect") else {
            continue;
        };
        let Some(expect) = expect.as_table() else {
            r.failures.push(format!("line {at}: `expect` must be a table of results, e.g. expect = {{ fund_paid = \"100.00\" }}"));
            continue;
        };
        let id = t.get_ref().get("claim_id").map(field).unwrap_or_else(|| {
            let k = claim_lines.iter().position(|l| l == at).unwrap_or(0);
            format!("C{}", k + 1)
        });
        let Some(k) = claims.rows.iter().position(|c| claims.text(c.id) == id) else {
            r.failures
                .push(format!("line {at}: claim {id} was not settled"));
            continue;
        };
        let row = settlement.row(k);
        for (name, want) in expect {
            r.checks += 1;
            let fee_name = prog.fee.as_ref().map(|f| f.name.as_str());
            let col = if name == "patient_paid" {
                Some(settlement.shape.patient_col())
            } else if name == "institution_borne" {
                Some(settlement.shape.borne_col())
            } else if fee_name == Some(name.as_str()) {
                settlement.shape.fee_col()
            } else {
                prog.layers
                    .iter()
                    .position(|l| l.name == *name)
                    .or_else(|| {
                        prog.outputs
                            .iter()
                            .position(|o| o.name == *name)
                            .map(|o| settlement.shape.output_col(o))
                    })
            };
            let Some(col) = col else {
                let mut names: Vec<String> = prog.layers.iter().map(|l| l.name.clone()).collect();
                names.push("patient_paid".into());
                names.push("institution_borne".into());
                names.extend(fee_name.map(String::from));
                names.extend(prog.outputs.iter().map(|o| o.name.clone()));
                r.failures.push(format!(
                    "claim {id} (line {at}): `{name}` is not a result of this policy; the results are {}",
                    names.join(", ")
                ));
                continue;
            };
            let other = col
                .checked_sub(settlement.shape.output_col(0))
                .filter(|o| prog.outputs.get(*o).is_some_and(|o| !o.is_numeric()));
            if let Some(o) = other {
                if let Some(f) = val_failure(prog, &claims, &institutions, &settlement, k, o, want)
                {
                    r.failures
                        .push(format!("claim {id} (line {at}): {name} {f}"));
                }
                continue;
            }
            let Some(want) = amount(want) else {
                r.failures.push(format!(
                    "claim {id} (line {at}): expected {name} is not an amount: {want}"
                ));
                continue;
            };
            let got = row.get(col).copied().unwrap_or_default();
            if got != want {
                let why = if col < n_layers {
                    match settlement.applied(k).get(col).copied().unwrap_or(0) {
                        0 => format!("no rule of layer {name} applied"),
                        ri => {
                            let rule = &prog.layers[col].rules[ri as usize - 1];
                            format!(
                                "paid by rule {name}/{} ({}:{})",
                                rule.name,
                                file.name(),
                                file.line_col(rule.span.start as usize).0
                            )
                        }
                    }
                } else if col == n_layers {
                    if prog.fee.is_some() {
                        "the fee (or total_cost where no fee applies) less every layer".to_string()
                    } else {
                        "total_cost less every layer".to_string()
                    }
                } else {
                    let applied: Vec<String> = (0..n_applied)
                        .filter_map(|li| {
                            let ri = settlement.applied(k).get(li).copied().unwrap_or(0);
                            let payer = prog.payer(li)?;
                            let rule = payer.rules.get((ri as usize).checked_sub(1)?)?;
                            Some(format!("{}/{}", payer.name, rule.name))
                        })
                        .collect();
                    format!(
                        "rules applied: {}",
                        if applied.is_empty() {
                            "none".into()
                        } else {
                            applied.join(", ")
                        }
                    )
                };
                // An output of another type is written as the results file writes it.
                let ty = col
                    .checked_sub(settlement.shape.output_col(0))
                    .and_then(|o| prog.outputs.get(o))
                    .map_or(crate::check::types::Ty::Money, |o| o.ty);
                r.failures.push(format!(
                    "claim {id} (line {at}): {name} expected {}, got {} — {why}",
                    crate::report::exact(ty, want),
                    crate::report::exact(ty, got)
                ));
            }
        }
    }

    // Ledger expectations.
    let ledger = if case.ledger.is_empty() && case.action.is_empty() {
        None
    } else {
        crate::eval::settle_institutions(
            prog,
            &claims,
            &institutions,
            &settlement,
            assessments.as_ref(),
        )
        .map_err(|e| describe(&e))?
    };
    let patients = if case.ledger.iter().any(|l| l.get_ref().patient.is_some()) {
        crate::eval::settle_patients(prog, &claims, &institutions, &settlement)
            .map_err(|e| describe(&e))?
    } else {
        None
    };
    for l in &case.ledger {
        let at = line(l.span());
        let l = l.get_ref();
        if let Some(p) = &l.patient {
            patient_expect(r, patients.as_ref(), p, l, at);
            continue;
        }
        let (kind, unit) = match (&l.institution, &l.alliance, l.region) {
            (Some(i), None, false) => (UnitKind::Institution, i.clone()),
            (None, Some(a), false) => (UnitKind::Alliance, a.clone()),
            (None, None, true) => (UnitKind::Region, String::new()),
            _ => {
                r.failures.push(format!("line {at}: a ledger expectation names one of institution, alliance or region = true"));
                continue;
            }
        };
        let who = match kind {
            UnitKind::Region => "region".to_string(),
            k => format!("{} {unit}", crate::eval::ledger::kind_name(k)),
        };
        let period = l
            .month
            .map_or(l.year.to_string(), |m| format!("{}-{m:02}", l.year));
        let Some(ledger) = &ledger else {
            r.failures.push(format!(
                "ledger {who} {period} (line {at}): the policy has no settle blocks"
            ));
            continue;
        };
        let rows = if l.month.is_some() {
            &ledger.months
        } else {
            &ledger.years
        };
        let Some(row) = rows.iter().find(|x| {
            x.kind == kind && x.unit == unit && x.year == l.year && x.month == l.month.unwrap_or(0)
        }) else {
            r.failures.push(format!(
                "ledger {who} {period} (line {at}): no such ledger row"
            ));
            continue;
        };
        for (name, want) in &l.expect {
            r.checks += 1;
            let Some(col) = ledger.columns.iter().position(|c| c == name) else {
                r.failures.push(format!(
                    "ledger {who} {period} (line {at}): `{name}` is not a ledger amount; they are {}",
                    ledger.columns.join(", ")
                ));
                continue;
            };
            if !ledger.unit_amount.get(col).copied().unwrap_or(true) {
                r.failures.push(format!(
                    "ledger {who} {period} (line {at}): `{name}` is set only by `per patient` blocks, so it is a patient ledger amount, not one of {who}; expect it in a `[[test.ledger]]` with `patient = \"…\"`"
                ));
                continue;
            }
            if crate::eval::ledger::typed::val_type(prog, col).is_some() {
                let code = row.values.get(col).copied().unwrap_or_default();
                if let Some(f) = ledger_val_failure(prog, col, code, want) {
                    r.failures
                        .push(format!("ledger {who} {period} (line {at}): {name} {f}"));
                }
                continue;
            }
            let Some(want) = amount(want) else {
                r.failures.push(format!(
                    "ledger {who} {period} (line {at}): expected {name} is not an amount: {want}"
                ));
                continue;
            };
            let got = row.values.get(col).copied().unwrap_or_default();
            if got != want {
                let period_kind = if l.month.is_some() {
                    PeriodKind::Month
                } else {
                    PeriodKind::Year
                };
                let by: Vec<String> = prog
                    .settles
                    .iter()
                    .filter(|s| s.unit == kind && s.period == period_kind)
                    .filter(|s| {
                        s.body.iter().any(|st| matches!(st, Stmt::SetLedger(c, ..) | Stmt::AddLedger(c, ..) if *c as usize == col))
                    })
                    .map(|s| format!("settle block {} ({}:{})", s.name, file.name(), file.line_col(s.span.start as usize).0))
                    .collect();
                let computed = u16::try_from(col)
                    .ok()
                    .filter(|c| crate::schema::ledger::COMPUTED.contains(c));
                let why = match computed {
                    Some(c) => format!(
                        "computed by yibao ({})",
                        crate::schema::ledger::COLUMNS[c as usize].2
                    ),
                    None if by.is_empty() && l.month.is_none() => {
                        let monthly: Vec<String> = prog
                            .settles
                            .iter()
                            .filter(|s| s.unit == kind && s.period == PeriodKind::Month)
                            .filter(|s| {
                                s.body
                                    .iter()
                                    .any(|st| st.ledger_write().map(usize::from) == Some(col))
                            })
                            .map(|s| {
                                format!(
                                    "settle block {} ({}:{})",
                                    s.name,
                                    file.name(),
                                    file.line_col(s.span.start as usize).0
                                )
                            })
                            .collect();
                        if monthly.is_empty() {
                            "no block of this unit and period sets it".to_string()
                        } else {
                            format!(
                                "the year row holds the sum of its months, set by {}",
                                monthly.join(", ")
                            )
                        }
                    }
                    None if by.is_empty() => "no block of this unit and period sets it".to_string(),
                    None => format!("set by {}", by.join(", ")),
                };
                r.failures.push(format!(
                    "ledger {who} {period} (line {at}): {name} expected {}, got {} — {why}",
                    crate::report::exact(crate::report::ledger_column_type(prog, col), want),
                    crate::report::exact(crate::report::ledger_column_type(prog, col), got)
                ));
            }
        }
    }

    if let (Some(a), Some(l)) = (&actions, &ledger) {
        agreement::expect(r, &institutions, a, &l.agreements, &case.action, line);
    }

    // Coverage: the same data again, watched.
    let env = Env {
        prog,
        claims: &claims,
        insts: &institutions,
        t: coverage::Coverage::new(prog),
        carry: Default::default(),
    };
    crate::eval::settle_watched(&env, 0..claims.rows.len()).map_err(|e| describe(&e))?;
    if !prog.settles.is_empty() {
        let l =
            crate::eval::ledger::settle_institutions_with(&env, &settlement, assessments.as_ref())
                .map_err(|e| describe(&e))?;
        let mut u = env.t.used.borrow_mut();
        for o in l.iter().flat_map(|l| &l.agreements) {
            if let Some(x) = o.block.and_then(|b| u.agreements.get_mut(b as usize)) {
                *x = true;
            }
        }
        drop(u);
        crate::eval::ledger::settle_patients_with(&env, &settlement).map_err(|e| describe(&e))?;
    }
    used.merge(&env.t.used.borrow());
    Ok(())
}
