//! State files: `yibao run … --state-out FILE` writes what a run leaves the
//! next (each patient's whole-run accumulators, the last year's ledger rows,
//! the policy's identity and the last month settled); `--state-in FILE`
//! reads it as the opening state of a run that continues it.
//!
//! The file is JSON: money and other numbers as exact strings, dates as
//! `YYYY-MM-DD`, conditions as `true`/`false`. It is written whole (a temp
//! file beside it, renamed), and a state read is an input, so no output of
//! the run may overwrite it (see [`super::files`]).

use crate::check::types::Ty;
use crate::data::Claims;
use crate::date::Date;
use crate::eval::carry::{MemValue, Opening};
use crate::eval::{Ledger, Settlement};
use crate::ir::{Program, UnitKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// The format's version, written as `yibao_state`.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateFile {
    yibao_state: u32,
    policy: PolicyId,
    /// The last month the run settled, `YYYY-MM` (always a December).
    through: String,
    /// The whole-run accumulators kept, with their types.
    accumulators: Vec<AccDecl>,
    /// Every remembered patient, by `patient_id` (bytes).
    patients: Vec<PatientState>,
    /// The last year's ledger rows (year rows), what `prior` reads next year.
    ledger: Vec<LedgerState>,
    /// The claim fields `previous` reads, with their types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    previous: Vec<AccDecl>,
    /// Held agreement money not yet released, by suspension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    held: Vec<HeldState>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeldState {
    institution_id: String,
    /// The suspension's first day, `YYYY-MM-DD`: the next run's actions
    /// file (cumulative) lists it again.
    suspension_from: String,
    /// Exact amount, as a string.
    amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyId {
    /// The policy file's name without `.policy`.
    name: String,
    /// FNV-1a (64 bits, hex) of the policy text: a state continues only the
    /// text that wrote it.
    hash: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccDecl {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatientState {
    patient_id: String,
    /// Accumulator name → value.
    memory: Map<String, Value>,
    /// Of the patient's last claim: claim field `previous` reads → value.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    previous: Map<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerState {
    unit: String,
    unit_id: String,
    year: i32,
    /// Ledger column → exact amount.
    values: Map<String, Value>,
}

/// The policy's identity: its file name and a hash of its text.
pub(crate) fn identity(path: &Path, text: &str) -> PolicyId {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // FNV-1a: small, stable across versions and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    PolicyId {
        name,
        hash: format!("{h:016x}"),
    }
}

/// Reads a state file (the JSON only; see [`StateFile::opening`]).
pub(crate) fn read(path: &Path) -> Result<StateFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the state file `{}`: {e}", path.display()))?;
    let s: StateFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "the state file `{}` is not a yibao state: {e}",
            path.display()
        )
    })?;
    if s.yibao_state != VERSION {
        return Err(format!(
            "the state file `{}` is of format {}; this yibao reads format {VERSION}",
            path.display(),
            s.yibao_state
        ));
    }
    Ok(s)
}

fn unit_name(k: UnitKind) -> &'static str {
    match k {
        UnitKind::Institution => "institution",
        UnitKind::Alliance => "alliance",
        UnitKind::Region => "region",
        UnitKind::Patient => "patient",
    }
}

fn type_name(t: Ty) -> String {
    t.to_string()
}

impl StateFile {
    /// The year after the last one the state settled.
    pub(crate) fn next_year(&self) -> Result<i32, String> {
        let y = self
            .through
            .split_once('-')
            .and_then(|(y, _)| y.parse::<i32>().ok());
        y.and_then(|y| y.checked_add(1))
            .ok_or_else(|| format!("the state's `through` `{}` is not YYYY-MM", self.through))
    }

    /// Checks that the state continues this policy from `first_year`, and
    /// resolves it against the run's claims and program.
    pub(crate) fn opening(
        &self,
        id: &PolicyId,
        prog: &Program,
        claims: &Claims,
        first_year: i32,
    ) -> Result<Opening, String> {
        if self.policy.name != id.name {
            return Err(format!(
                "the state was written by policy `{}`, not `{}`; help: give the state file that policy's run wrote",
                self.policy.name, id.name
            ));
        }
        if self.policy.hash != id.hash {
            return Err(format!(
                "the state was written by another text of policy `{}` (hash {}, this one is {}); help: a state continues the text that wrote it: run the earlier years again with this text (and --state-out) to continue from it",
                id.name, self.policy.hash, id.hash
            ));
        }
        let next = self.next_year()?;
        if first_year != next {
            return Err(format!(
                "the state ends with {}, so the run must start in {next}, not {first_year}; help: give --year {next} (claims of other years are set aside)",
                self.through
            ));
        }
        let accs: HashMap<&str, (u16, Ty)> = prog
            .accumulators
            .iter()
            .enumerate()
            .filter(|(_, a)| a.whole_run())
            .map(|(i, a)| {
                (
                    a.name.as_str(),
                    (u16::try_from(i).unwrap_or(u16::MAX), a.ty),
                )
            })
            .collect();
        for d in &self.accumulators {
            match accs.get(d.name.as_str()) {
                Some((_, t)) if type_name(*t) == d.ty => {}
                _ => {
                    return Err(format!(
                        "the state keeps accumulator `{}` ({}), which this policy does not declare `per patient`",
                        d.name, d.ty
                    ))
                }
            }
        }
        let prevs: HashMap<&str, (u16, Ty)> = prog
            .previous
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    f.name.as_str(),
                    (u16::try_from(i).unwrap_or(u16::MAX), f.ty),
                )
            })
            .collect();
        for d in &self.previous {
            match prevs.get(d.name.as_str()) {
                Some((_, t)) if type_name(*t) == d.ty => {}
                _ => {
                    return Err(format!(
                    "the state keeps `previous(claim.{})` ({}), which this policy does not read",
                    d.name, d.ty
                ))
                }
            }
        }
        let index: HashMap<&str, u32> = claims
            .patients
            .iter()
            .enumerate()
            .map(|(i, r)| (claims.text(*r), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let mut o = Opening {
            by_patient: vec![None; claims.patients.len()],
            ledger_year: next - 1,
            ..Opening::default()
        };
        for p in &self.patients {
            let mut values = Vec::with_capacity(p.memory.len());
            for (name, v) in &p.memory {
                let Some((slot, ty)) = accs.get(name.as_str()) else {
                    return Err(format!(
                        "patient `{}` remembers `{name}`, which the state does not declare",
                        p.patient_id
                    ));
                };
                let bad = || {
                    format!(
                        "patient `{}`: `{name}` is {ty}, but the state holds {v}",
                        p.patient_id
                    )
                };
                values.push((*slot, mem_value(*ty, v).ok_or_else(bad)?));
            }
            let mut previous = vec![None; prog.previous.len()];
            for (name, v) in &p.previous {
                let found = prevs.get(name.as_str());
                let m = found.and_then(|(_, ty)| mem_value(*ty, v));
                match (found, m) {
                    (Some((slot, _)), Some(m)) => {
                        if let Some(s) = previous.get_mut(usize::from(*slot)) {
                            *s = Some(m);
                        }
                    }
                    _ => {
                        return Err(format!(
                            "patient `{}`: the state's previous claim holds `{name}` = {v}, which this policy does not read as such",
                            p.patient_id
                        ))
                    }
                }
            }
            o.previous.push(previous);
            if let Some(&i) = index.get(p.patient_id.as_str()) {
                if let Some(slot) = o.by_patient.get_mut(i as usize) {
                    *slot = u32::try_from(o.values.len()).ok();
                }
            }
            o.values.push(values);
        }
        let columns: Vec<String> = crate::schema::ledger::COLUMNS
            .iter()
            .map(|c| c.0.to_string())
            .chain(prog.ledger_extras.iter().map(|o| o.name.clone()))
            .collect();
        for r in &self.ledger {
            let kind = match r.unit.as_str() {
                "institution" => UnitKind::Institution,
                "alliance" => UnitKind::Alliance,
                "region" => UnitKind::Region,
                u => return Err(format!("the state's ledger has a unit `{u}`")),
            };
            if r.year != next - 1 {
                continue;
            }
            let mut row = vec![Decimal::ZERO; columns.len()];
            for (c, name) in columns.iter().enumerate() {
                if let Some(v) = r.values.get(name) {
                    let d = v.as_str().and_then(|s| s.parse::<Decimal>().ok());
                    row[c] = d.ok_or_else(|| {
                        format!(
                            "the state's ledger row {} {} {}: `{name}` is not an exact amount",
                            r.unit, r.unit_id, r.year
                        )
                    })?;
                }
            }
            o.ledger.insert((kind, r.unit_id.clone()), row);
        }
        if !self.held.is_empty() && !prog.has_agreements() {
            return Err(
                "the state holds agreement money, but the policy has no `agreement` block".into(),
            );
        }
        for h in &self.held {
            let from = Date::parse(h.suspension_from.as_bytes()).ok_or_else(|| {
                format!(
                    "the state's held money of `{}`: `{}` is not a date",
                    h.institution_id, h.suspension_from
                )
            })?;
            let amount = h.amount.parse::<Decimal>().map_err(|_| {
                format!(
                    "the state's held money of `{}`: `{}` is not an exact amount",
                    h.institution_id, h.amount
                )
            })?;
            o.held.push((h.institution_id.clone(), from, amount));
        }
        Ok(o)
    }
}

/// A remembered value of type `ty` as the state file writes it.
fn mem_value(ty: Ty, v: &Value) -> Option<MemValue> {
    Some(match (ty, v) {
        (Ty::Bool, Value::Bool(b)) => MemValue::Bool(*b),
        (Ty::Date, Value::String(s)) => MemValue::Date(Date::parse(s.as_bytes())?),
        (Ty::Text, Value::String(s)) => MemValue::Text(s.clone()),
        (t, Value::String(s)) if t.is_numeric() => MemValue::Num(s.parse::<Decimal>().ok()?),
        _ => return None,
    })
}

/// A remembered value as the state file writes it.
fn json_value(v: &MemValue) -> Value {
    match v {
        MemValue::Num(d) => Value::String(d.to_string()),
        MemValue::Bool(b) => Value::Bool(*b),
        MemValue::Date(d) => Value::String(d.to_string()),
        MemValue::Text(t) => Value::String(t.clone()),
    }
}

/// The closing state of a run: the opening state's patients that had no
/// claim in it, kept as they were, and every patient settled.
pub(crate) fn closing<R>(
    id: PolicyId,
    prog: &Program,
    claims: &Claims,
    settlement: &Settlement<R>,
    ledger: Option<&Ledger>,
    opening: Option<&StateFile>,
    insts: &crate::data::Institutions,
) -> Result<StateFile, String> {
    let (y, m) = settlement
        .periods
        .months
        .last()
        .copied()
        .ok_or("the run settled no month: there is no state to write")?;
    let mut patients: Vec<PatientState> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (p, values, last) in &settlement.memory {
        let pid = claims
            .patients
            .get(*p as usize)
            .map(|r| claims.text(*r))
            .unwrap_or_default();
        seen.insert(pid);
        let mut memory = Map::new();
        for (slot, v) in values {
            let Some(a) = prog.accumulators.get(usize::from(*slot)) else {
                continue;
            };
            memory.insert(a.name.clone(), json_value(v));
        }
        let mut previous = Map::new();
        for (f, v) in prog.previous.iter().zip(last) {
            if let Some(v) = v {
                previous.insert(f.name.clone(), json_value(v));
            }
        }
        patients.push(PatientState {
            patient_id: pid.to_string(),
            memory,
            previous,
        });
    }
    if let Some(o) = opening {
        patients.extend(
            o.patients
                .iter()
                .filter(|p| !seen.contains(p.patient_id.as_str()))
                .cloned(),
        );
    }
    patients.sort_by(|a, b| a.patient_id.as_bytes().cmp(b.patient_id.as_bytes()));
    let mut rows = Vec::new();
    if let Some(l) = ledger {
        for r in l.years.iter().filter(|r| r.year == y) {
            let mut values = Map::new();
            for (c, v) in l.columns.iter().zip(&r.values) {
                values.insert(c.clone(), Value::String(v.to_string()));
            }
            rows.push(LedgerState {
                unit: unit_name(r.kind).into(),
                unit_id: r.unit.clone(),
                year: r.year,
                values,
            });
        }
    }
    let held = ledger
        .iter()
        .flat_map(|l| &l.agreements)
        .filter(|o| o.carried > Decimal::ZERO)
        .map(|o| HeldState {
            institution_id: insts
                .rows
                .get(o.institution as usize)
                .map_or(String::new(), |i| i.id.clone()),
            suspension_from: o.from.to_string(),
            amount: o.carried.to_string(),
        })
        .collect();
    Ok(StateFile {
        yibao_state: VERSION,
        held,
        policy: id,
        through: format!("{y}-{m:02}"),
        accumulators: prog
            .accumulators
            .iter()
            .filter(|a| a.whole_run())
            .map(|a| AccDecl {
                name: a.name.clone(),
                ty: type_name(a.ty),
            })
            .collect(),
        patients,
        ledger: rows,
        previous: prog
            .previous
            .iter()
            .map(|f| AccDecl {
                name: f.name.clone(),
                ty: type_name(f.ty),
            })
            .collect(),
    })
}

/// The state as written: pretty JSON ending with a newline.
pub(crate) fn to_bytes(s: &StateFile) -> Result<Vec<u8>, String> {
    let mut b = serde_json::to_vec_pretty(s).map_err(|e| e.to_string())?;
    b.push(b'\n');
    Ok(b)
}
