//! The check stage: AST → [`ir::Program`](crate::ir::Program).
//!
//! Resolves every name to a slot, checks types and units, checks tables for
//! missing keys and schedules for gaps, and rejects claim/institution fields
//! that the data contract does not have. Every error of a file is reported
//! at once; warnings (unused parameters, ...) do not stop a run.

mod expr;
mod literal;
mod overrides;
mod settle;
pub mod types;

pub use overrides::apply_override;

use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, Dim, KeyValue, ParamValue, Period, Program, Ref, ScheduleKind, Stmt};
use crate::schema::{EnumKind, CLAIM_FIELDS, INST_FIELDS};
use crate::source::Span;
use crate::syntax::ast::{self, Item, KeyKind};
pub use literal::literal_value;
use std::collections::HashMap;
use types::{Ty, TYPE_NAMES};

/// Names with a fixed meaning that a policy cannot define.
const RESERVED: &[&str] = &[
    "claim",
    "institution",
    "assessment",
    "sum",
    "count",
    "avg",
    "prior",
    "rate",
    "remaining",
    "patient_paid",
    "min",
    "max",
    "clamp",
];

/// The functions every policy can call (schedules are called the same way).
const FUNCTIONS: &[&str] = &["min", "max", "clamp", "rate"];

#[derive(Debug, Clone, Copy)]
enum Global {
    Param(Ref, Ty),
    Table(Ref),
    Schedule(Ref),
    Acc(u16, Ty),
    Output(u16, Ty),
    Layer(u16),
    /// A ledger amount: standard ([`crate::schema::ledger`]) or declared.
    Ledger(u16, Ty),
    /// A settle block (its name, for `block.value` references).
    Settle,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Local {
    Num(u16, Ty),
    Bool(u16),
    Date(u16),
}

/// Checks a parsed policy. On success returns the program and its warnings;
/// on failure, every error and warning found.
pub fn check(policy: &ast::Policy) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut c = Checker::default();
    c.declarations(policy);
    c.top_level_lets(policy);
    c.layers(policy);
    c.settles(policy);
    c.epochs();
    // Unused-name warnings only help once the file has no errors.
    if !c.diags.iter().any(Diagnostic::is_error) {
        c.unused();
    }
    c.diags
        .sort_by_key(|d| (d.span.map_or(0, |s| s.start), d.severity));
    if c.diags.iter().any(Diagnostic::is_error) {
        Err(c.diags)
    } else {
        Ok((c.prog, c.diags))
    }
}

#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) diags: Vec<Diagnostic>,
    globals: HashMap<String, (Global, Span)>,
    used: HashMap<String, usize>,
    pub(crate) prog: Program,
    /// Top-level lets, visible everywhere after their definition.
    top_lets: HashMap<String, (Local, Span)>,
    /// The current rule's lets.
    rule_lets: HashMap<String, (Local, Span)>,
    n_num: u16,
    n_bool: u16,
    n_date: u16,
    /// Where names are being resolved.
    pub(crate) ctx: Ctx,
    /// Names whose declaration had an error: uses of them are not reported again.
    pub(crate) broken: std::collections::HashSet<String>,
    /// For each version group, what its versions must agree on, and where the first is.
    version_sig: HashMap<u16, (String, Span)>,
    /// Every `from … until …` seen, for the epoch bounds.
    periods: Vec<Period>,
    /// Dated rules: (layer, rule index, period), turned into epochs at the end.
    dated_rules: Vec<(usize, usize, Period)>,
    /// Settle-block state while one is being checked.
    pub(crate) settle: Option<settle::SettleCtx>,
    /// `(region block, let name)` → region value slot.
    pub(crate) region_lets: HashMap<(String, String), (u16, Ty)>,
    /// Local slots in use after the top-level `let`s.
    lets_base: (u16, u16, u16),
    /// Settle blocks seen so far, by name, with when they are in force.
    settle_names: HashMap<String, Vec<Option<Period>>>,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Ctx {
    /// The layer whose rule is being checked; `None` at top level.
    pub(crate) layer: Option<u16>,
    /// The current rule has already said what it pays.
    pub(crate) paid: bool,
}

fn slot(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

impl Checker {
    pub(crate) fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Turns `from … until …` into a period, reporting a reversed one.
    fn period(&mut self, f: Option<&ast::InForce>) -> Option<Period> {
        let f = f?;
        if let Some(u) = f.until {
            if u < f.from {
                self.error(
                    Diagnostic::error(format!("`until {u}` is before `from {}`", f.from))
                        .at(f.span)
                        .label("ends before it starts"),
                );
            }
        }
        let p = Period::from(f);
        self.periods.push(p);
        Some(p)
    }

    /// Declares a parameter, table or schedule, which may come in dated
    /// versions: several declarations of one name, each with `from`, that
    /// neither overlap nor leave a gap. `sig` is what versions must share.
    fn declare(
        &mut self,
        name: &ast::Ident,
        in_force: Option<&ast::InForce>,
        index: u16,
        sig: String,
        make: impl Fn(Ref) -> Global,
    ) {
        let period = self.period(in_force);
        let existing = self.globals.get(&name.name).copied();
        let Some(p) = period else {
            self.define(name, make(Ref::Fixed(index)));
            return;
        };
        let group = match existing {
            None => {
                let g = slot(self.prog.versions.len());
                self.prog.versions.push(ir::Versions {
                    name: name.name.clone(),
                    versions: vec![],
                    by_epoch: vec![],
                });
                self.version_sig.insert(g, (sig.clone(), name.span));
                self.define(name, make(Ref::Dated(g)));
                g
            }
            Some((g, first)) => {
                let dated = match (g, make(Ref::Dated(0))) {
                    (Global::Param(Ref::Dated(i), _), Global::Param(..))
                    | (Global::Table(Ref::Dated(i)), Global::Table(_))
                    | (Global::Schedule(Ref::Dated(i)), Global::Schedule(_)) => Some(i),
                    _ => None,
                };
                let Some(i) = dated else {
                    self.error(
                        Diagnostic::error(format!("`{}` is defined twice", name.name))
                            .at(name.span)
                            .label("defined again here")
                            .note(first, "first defined")
                            .help("to give a name dated versions, write `from DATE` (and `until DATE`) on every version"),
                    );
                    return;
                };
                if let Some((first_sig, first_span)) = self.version_sig.get(&i).cloned() {
                    if first_sig != sig {
                        self.error(
                            Diagnostic::error(format!(
                                "this version of `{}` is {sig}, but the first is {first_sig}",
                                name.name
                            ))
                            .at(name.span)
                            .note(first_span, "first version")
                            .help("versions of one name must have the same type and keys"),
                        );
                        return;
                    }
                }
                i
            }
        };
        let Some(v) = self.prog.versions.get_mut(group as usize) else {
            return;
        };
        if let Some((q, _)) = v.versions.iter().find(|(q, _)| q.overlaps(&p)) {
            let shown = describe_period(q);
            self.error(
                Diagnostic::error(format!(
                    "this version of `{}` overlaps the one in force {shown}",
                    name.name
                ))
                .at(in_force.map_or(name.span, |f| f.span))
                .label("overlapping dates")
                .help("on any day at most one version may be in force: end the earlier one with `until` the day before"),
            );
            return;
        }
        v.versions.push((p, index));
    }

    /// Once everything is declared: checks versions for gaps, and computes
    /// the epochs and what is in force in each.
    fn epochs(&mut self) {
        let mut bounds: Vec<crate::date::Date> = Vec::new();
        for p in &self.periods {
            bounds.push(p.from);
            if let Some(u) = p.until {
                bounds.push(u.succ());
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        self.prog.bounds = bounds;
        let n = self.prog.bounds.len() + 1;
        let starts: Vec<Option<crate::date::Date>> =
            (0..n).map(|e| self.prog.epoch_start(e)).collect();
        let in_force = |p: &Period, start: Option<crate::date::Date>| match start {
            Some(d) => p.contains(d),
            None => false,
        };
        let mut gaps = Vec::new();
        for v in &mut self.prog.versions {
            v.versions.sort_by_key(|(p, _)| p.from);
            for w in v.versions.windows(2) {
                if let (Some(u), next) = (w[0].0.until, w[1].0.from) {
                    if u.succ() < next {
                        gaps.push((v.name.clone(), u.succ(), next));
                    }
                }
            }
            v.by_epoch = starts
                .iter()
                .map(|s| {
                    v.versions
                        .iter()
                        .find(|(p, _)| in_force(p, *s))
                        .map(|(_, slot)| *slot)
                })
                .collect();
        }
        for (name, from, next) in gaps {
            let span = self.globals.get(&name).map_or(Span::new(0, 0), |g| g.1);
            let until = crate::date::Date(next.0 - 1);
            self.error(
                Diagnostic::error(format!(
                    "no version of `{name}` is in force from {from} to {until}"
                ))
                .at(span)
                .label("versions leave a gap")
                .help(format!(
                    "start the next version `from {from}`, or end the previous one `until {until}`"
                )),
            );
        }
        for (li, ri, p) in std::mem::take(&mut self.dated_rules) {
            let epochs = starts.iter().map(|s| in_force(&p, *s)).collect();
            if let Some(r) = self
                .prog
                .layers
                .get_mut(li)
                .and_then(|l| l.rules.get_mut(ri))
            {
                r.in_force = Some(epochs);
            }
        }
    }

    fn define(&mut self, name: &ast::Ident, g: Global) {
        if let Some(col) = crate::schema::ledger::COLUMNS
            .iter()
            .find(|c| c.0 == name.name || c.1 == name.name)
        {
            self.error(
                Diagnostic::error(format!("`{}` is a standard ledger amount", name.name))
                    .at(name.span)
                    .label("reserved")
                    .help(format!(
                        "`{}` ({}) is {}; settle blocks set it with `{} = ...`. Choose another name",
                        col.0, col.1, col.2, col.0
                    )),
            );
            self.broken.insert(name.name.clone());
            return;
        }
        if RESERVED.contains(&name.name.as_str()) {
            self.error(
                Diagnostic::error(format!("`{}` is a reserved name", name.name))
                    .at(name.span)
                    .label("reserved")
                    .help("choose another name"),
            );
            self.broken.insert(name.name.clone());
            return;
        }
        if let Some((_, first)) = self.globals.get(&name.name) {
            let first = *first;
            self.error(
                Diagnostic::error(format!("`{}` is defined twice", name.name))
                    .at(name.span)
                    .label("defined again here")
                    .note(first, "first defined")
                    .help("rename one of them"),
            );
            return;
        }
        self.globals.insert(name.name.clone(), (g, name.span));
    }

    /// Resolves a type name, reporting an unknown one.
    pub(crate) fn ty(&mut self, name: &ast::Ident, numeric_only: bool) -> Option<Ty> {
        match Ty::from_name(&name.name) {
            Some(t) if numeric_only && !t.is_numeric() => {
                self.error(
                    Diagnostic::error(format!("`{}` values cannot be used here", name.name))
                        .at(name.span)
                        .help("use `money`, `ratio`, `count`, `days` or `months`"),
                );
                None
            }
            Some(t) => Some(t),
            None => {
                let mut d = Diagnostic::error(format!("unknown type `{}`", name.name))
                    .at(name.span)
                    .label("not a type");
                d = match suggest(&name.name, TYPE_NAMES.iter().map(|t| t.0)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "types are {}",
                        TYPE_NAMES
                            .iter()
                            .map(|t| format!("`{}`", t.0))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.error(d);
                None
            }
        }
    }

    /// Pass 1: everything except `let`s and layers' bodies, so rules may use
    /// tables and parameters declared further down.
    fn declarations(&mut self, policy: &ast::Policy) {
        let mut region_seen = false;
        for item in &policy.items {
            match item {
                Item::Region { name, code, span } => {
                    if region_seen {
                        self.error(
                            Diagnostic::error("the region is given twice")
                                .at(*span)
                                .label("again here"),
                        );
                    }
                    region_seen = true;
                    self.prog.region = Some(name.value.clone());
                    self.prog.code = code.as_ref().map(|c| c.value.clone());
                }
                Item::Notice(t) => self.prog.notice = Some(t.value.clone()),
                Item::Meta { key, value } => {
                    self.prog.meta.push((key.name.clone(), value.value.clone()))
                }
                Item::Param(p) => self.param(p),
                Item::Table(t) => self.table(t),
                Item::Schedule(s) => self.schedule(s),
                Item::Accumulator(a) => self.accumulator(a),
                Item::Field(f) => self.field(f),
                Item::Output(o) => {
                    if let Some(ty) = self.ty(&o.ty, true) {
                        let i = slot(self.prog.outputs.len());
                        self.define(&o.name, Global::Output(i, ty));
                        self.prog.outputs.push(ir::Output {
                            name: o.name.name.clone(),
                            ty,
                        });
                    }
                }
                Item::Layer(l) => {
                    let i = slot(self.prog.layers.len());
                    self.define(&l.name, Global::Layer(i));
                    self.prog.layers.push(ir::Layer {
                        name: l.name.name.clone(),
                        source: l.source.as_ref().map(|s| s.value.clone()),
                        rules: vec![],
                    });
                }
                Item::Let(_) => {}
                Item::Ledger(o) => {
                    if let Some(ty) = self.ty(&o.ty, true) {
                        let col = slot(
                            crate::schema::ledger::COLUMNS.len() + self.prog.ledger_extras.len(),
                        );
                        self.define(&o.name, Global::Ledger(col, ty));
                        self.prog.ledger_extras.push(ir::Output {
                            name: o.name.name.clone(),
                            ty,
                        });
                    }
                }
                Item::Settle(sd) => self.declare_settle(sd),
            }
        }
        if !policy.items.iter().any(|i| matches!(i, Item::Layer(_))) {
            self.error(
                Diagnostic::error("the policy has no `layer`, so nothing is ever paid")
                    .at(Span::new(0, 0))
                    .help("add `layer fund_paid \"统筹基金\" { rule ... { pay ... } }`"),
            );
        }
    }

    fn param(&mut self, p: &ast::ParamDecl) {
        self.broken.insert(p.name.name.clone());
        let Some(ty) = self.ty(&p.ty, false) else {
            return;
        };
        match literal_value(&p.value, ty, &p.name.name) {
            Ok(value) => {
                let i = slot(self.prog.params.len());
                self.broken.remove(&p.name.name);
                let make = move |r| Global::Param(r, ty);
                self.declare(&p.name, p.in_force.as_ref(), i, format!("{ty}"), make);
                let in_force = p.in_force.as_ref().map(Period::from);
                self.prog.params.push(ir::Param {
                    name: p.name.name.clone(),
                    in_force,
                    cite: p.cite.as_ref().map(|c| c.value.clone()),
                    ty,
                    value,
                    span: p.name.span,
                });
            }
            Err(d) => self.error(d),
        }
    }

    fn table(&mut self, t: &ast::TableDecl) {
        self.broken.insert(t.name.name.clone());
        let ty = self.ty(&t.ty, true);
        let dims: Vec<Option<Dim>> = t.keys.iter().map(|k| self.key_dim(k)).collect();
        let (Some(ty), Some(dims)) = (ty, dims.into_iter().collect::<Option<Vec<Dim>>>()) else {
            return;
        };
        let mut rows: Vec<(Vec<KeyValue>, rust_decimal::Decimal, u16)> = Vec::new();
        let mut default = None;
        let mut default_row = None;
        // A row already reported leaves its key uncovered: do not also call the table incomplete.
        let mut bad_rows = false;
        for (written, row) in t.rows.iter().enumerate() {
            let written = u16::try_from(written).unwrap_or(u16::MAX);
            let value = match literal_value(&row.value, ty, &t.name.name) {
                Ok(ParamValue::Num(v)) => v,
                Ok(_) => continue,
                Err(d) => {
                    self.error(d);
                    bad_rows = true;
                    continue;
                }
            };
            let Some(key) = &row.key else {
                if default.is_some() {
                    self.error(
                        Diagnostic::error("the table has two `else` rows")
                            .at(row.span)
                            .label("second `else`"),
                    );
                }
                default = Some(value);
                default_row = Some(written);
                continue;
            };
            if key.len() != dims.len() {
                self.error(
                    Diagnostic::error(format!(
                        "this row has {} key{}, the table is keyed by {}",
                        key.len(),
                        if key.len() == 1 { "" } else { "s" },
                        dims.len()
                    ))
                    .at(row.span)
                    .help(if dims.len() > 1 {
                        "write the keys in parentheses: `(\"employee\", 1): 95%`"
                    } else {
                        "write one key: `1: 200元`"
                    }),
                );
                bad_rows = true;
                continue;
            }
            let mut kv = Vec::with_capacity(dims.len());
            for (lit, dim) in key.iter().zip(&dims) {
                match literal::key_value(lit, *dim) {
                    Ok(v) => kv.push(v),
                    Err(d) => self.error(d),
                }
            }
            if kv.len() != dims.len() {
                bad_rows = true;
                continue;
            }
            if rows.iter().any(|(k, _, _)| *k == kv) {
                self.error(
                    Diagnostic::error(format!("table `{}` has this key twice", t.name.name))
                        .at(row.span)
                        .label("duplicate row")
                        .help("keep one row per key"),
                );
                continue;
            }
            rows.push((kv, value, written));
        }
        let all_enum = dims.iter().all(|d| matches!(d, Dim::Enum(_)));
        let mut dense_rows = Vec::new();
        let dense = if all_enum {
            let sizes: Vec<usize> = dims
                .iter()
                .map(|d| if let Dim::Enum(k) = d { k.count() } else { 1 })
                .collect();
            let mut cells = vec![None; sizes.iter().product()];
            dense_rows = vec![None; cells.len()];
            for (k, v, w) in &rows {
                cells[dense_index(k, &sizes)] = Some(*v);
                dense_rows[dense_index(k, &sizes)] = Some(*w);
            }
            if default.is_none() && !bad_rows {
                let missing: Vec<String> = (0..cells.len())
                    .filter(|&i| cells[i].is_none())
                    .map(|i| describe_key(i, &dims, &sizes))
                    .collect();
                if !missing.is_empty() {
                    let shown = missing
                        .iter()
                        .take(6)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ");
                    let more = if missing.len() > 6 {
                        format!(" and {} more", missing.len() - 6)
                    } else {
                        String::new()
                    };
                    self.error(
                        Diagnostic::error(format!(
                            "table `{}` has no row for {shown}{more}",
                            t.name.name
                        ))
                        .at(t.name.span)
                        .label("incomplete")
                        .help("add the missing rows, or an `else: ...` row for every other key"),
                    );
                }
            }
            Some(cells)
        } else {
            None
        };
        let i = slot(self.prog.tables.len());
        self.broken.remove(&t.name.name);
        let sig = format!("{ty} by {dims:?}");
        self.declare(&t.name, t.in_force.as_ref(), i, sig, Global::Table);
        self.prog.tables.push(ir::Table {
            name: t.name.name.clone(),
            in_force: t.in_force.as_ref().map(Period::from),
            cite: t.cite.as_ref().map(|c| c.value.clone()),
            ty,
            dims,
            dense,
            open_rows: if all_enum {
                vec![]
            } else {
                rows.iter().map(|r| r.2).collect()
            },
            rows: if all_enum {
                vec![]
            } else {
                rows.into_iter().map(|(k, v, _)| (k, v)).collect()
            },
            default,
            default_row,
            dense_rows,
            row_spans: t.rows.iter().map(|r| r.span).collect(),
            span: t.name.span,
        });
    }

    fn key_dim(&mut self, k: &KeyKind) -> Option<Dim> {
        match k {
            KeyKind::Field { object, field } => {
                let (ty, _) = self.field_type(object, field)?;
                match ty {
                    Ty::Enum(e) => Some(Dim::Enum(e)),
                    Ty::Text => Some(Dim::Text),
                    t if t.is_numeric() => Some(Dim::Num),
                    _ => {
                        self.error(
                            Diagnostic::error(format!("a table cannot be keyed by {}", ty.article()))
                                .at(field.span)
                                .help("key tables by a coded field such as `institution.level`, or by `text`"),
                        );
                        None
                    }
                }
            }
            KeyKind::Type(name) => match self.ty(name, false)? {
                Ty::Text => Some(Dim::Text),
                t if t.is_numeric() => Some(Dim::Num),
                t => {
                    self.error(
                        Diagnostic::error(format!("a table cannot be keyed by {}", t.article()))
                            .at(name.span),
                    );
                    None
                }
            },
        }
    }

    /// The type of `claim.x` / `institution.x` (a data-contract column or a declared extra).
    pub(crate) fn field_type(
        &mut self,
        object: &ast::Ident,
        field: &ast::Ident,
    ) -> Option<(Ty, FieldRef)> {
        let (fixed, extras, what): (Vec<&str>, &[ir::ExtraField], &str) = match object.name.as_str()
        {
            "claim" => (
                CLAIM_FIELDS.iter().map(|f| f.0).collect(),
                &self.prog.claim_extras,
                "claim",
            ),
            "institution" => (
                INST_FIELDS.iter().map(|f| f.0).collect(),
                &self.prog.inst_extras,
                "institution",
            ),
            other => {
                let d = Diagnostic::error(format!("unknown record `{other}`"))
                    .at(object.span)
                    .label("not a record")
                    .help("fields belong to `claim` or `institution`, e.g. `claim.total_cost`");
                self.error(d);
                return None;
            }
        };
        if what == "claim" {
            if let Some((_, f, t)) = CLAIM_FIELDS.iter().find(|f| f.0 == field.name) {
                return Some((*t, FieldRef::Claim(*f)));
            }
        } else if let Some((_, f, t)) = INST_FIELDS.iter().find(|f| f.0 == field.name) {
            return Some((*t, FieldRef::Inst(*f)));
        }
        if let Some(i) = extras.iter().position(|e| e.name == field.name) {
            let ty = extras[i].ty;
            return Some((
                ty,
                if what == "claim" {
                    FieldRef::ClaimExtra(slot(i))
                } else {
                    FieldRef::InstExtra(slot(i))
                },
            ));
        }
        let names: Vec<&str> = fixed
            .iter()
            .copied()
            .chain(extras.iter().map(|e| e.name.as_str()))
            .collect();
        let mut d = Diagnostic::error(format!("unknown {what} field `{}`", field.name))
            .at(field.span)
            .label("no such field");
        d = match suggest(&field.name, names) {
            Some(s) => d.help(format!("did you mean `{s}`? (a column beyond the data contract is declared with `field {what}.{}: text`)", field.name)),
            None => d.help(format!("a column beyond the data contract is declared with `field {what}.{}: text`", field.name)),
        };
        self.error(d);
        None
    }

    fn schedule(&mut self, s: &ast::ScheduleDecl) {
        self.broken.insert(s.name.name.clone());
        let kind = match &s.kind {
            None => {
                self.error(
                    Diagnostic::error(format!("schedule `{}` does not say how its segments apply", s.name.name))
                        .at(s.name.span)
                        .label("marginal or whole?")
                        .help("write `schedule NAME: marginal { ... }` (超额累进, each rate on the part inside its segment) or `: whole { ... }` (全额, one rate on the whole amount)"),
                );
                None
            }
            Some(k) => match k.name.as_str() {
                "marginal" | "超额累进" => Some(ScheduleKind::Marginal),
                "whole" | "全额" => Some(ScheduleKind::Whole),
                other => {
                    let mut d =
                        Diagnostic::error(format!("unknown schedule kind `{other}`")).at(k.span);
                    d = match suggest(other, ["marginal", "whole"]) {
                        Some(x) => d.help(format!("did you mean `{x}`?")),
                        None => d.help("a schedule is `marginal` (超额累进) or `whole` (全额)"),
                    };
                    self.error(d);
                    None
                }
            },
        };
        if s.segments.is_empty() {
            self.error(
                Diagnostic::error(format!("schedule `{}` has no segments", s.name.name))
                    .at(s.name.span),
            );
            return;
        }
        let mut input = Ty::Number;
        let mut segs: Vec<(
            rust_decimal::Decimal,
            Option<rust_decimal::Decimal>,
            rust_decimal::Decimal,
        )> = Vec::new();
        let mut ok = true;
        for (i, seg) in s.segments.iter().enumerate() {
            let mut bound = |lit: &ast::Literal,
                             c: &mut Checker|
             -> Option<rust_decimal::Decimal> {
                let t = literal::literal_type(lit);
                match t.and_then(|t| input.unify(t)) {
                    Some(u) if u.is_numeric() => {
                        input = u;
                        literal::number(lit)
                    }
                    _ => {
                        c.error(
                            Diagnostic::error(format!(
                                "segment bounds must all be the same kind of number; found {}",
                                t.map_or("a non-number".into(), Ty::article)
                            ))
                            .at(lit.span)
                            .help("write every bound in the same unit, e.g. `1.5万元 .. 6.5万元`"),
                        );
                        None
                    }
                }
            };
            let from = bound(&seg.from, self);
            let to = match &seg.to {
                Some(t) => bound(t, self).map(Some),
                None if i + 1 == s.segments.len() => Some(None),
                None => {
                    self.error(
                        Diagnostic::error("only the last segment may be open-ended")
                            .at(seg.span)
                            .help("give this segment an upper bound: `a .. b: rate`"),
                    );
                    None
                }
            };
            let rate = match literal_value(&seg.rate, Ty::Ratio, &s.name.name) {
                Ok(ParamValue::Num(r)) => Some(r),
                Ok(_) => None,
                Err(d) => {
                    self.error(d);
                    None
                }
            };
            let (Some(from), Some(to), Some(rate)) = (from, to, rate) else {
                ok = false;
                continue;
            };
            if let Some(t) = to {
                if t <= from {
                    self.error(
                        Diagnostic::error(format!(
                            "segment ends at {t}, not above its start {from}"
                        ))
                        .at(seg.span),
                    );
                    ok = false;
                }
            }
            if let Some((_, prev_to, _)) = segs.last() {
                if *prev_to != Some(from) {
                    let prev = prev_to.map_or("∞".to_string(), |p: rust_decimal::Decimal| {
                        p.normalize().to_string()
                    });
                    self.error(
                        Diagnostic::error(format!(
                            "segment starts at {}, but the previous one ends at {prev}",
                            from.normalize()
                        ))
                        .at(seg.from.span)
                        .label("gap or overlap")
                        .help("segments must follow one another without gaps or overlaps"),
                    );
                    ok = false;
                }
            }
            segs.push((from, to, rate));
        }
        if let (true, Some(kind)) = (ok, kind) {
            let i = slot(self.prog.schedules.len());
            self.broken.remove(&s.name.name);
            let sig = format!("a schedule over {input}");
            self.declare(&s.name, s.in_force.as_ref(), i, sig, Global::Schedule);
            self.prog.schedules.push(ir::Schedule {
                name: s.name.name.clone(),
                in_force: s.in_force.as_ref().map(Period::from),
                cite: s.cite.as_ref().map(|c| c.value.clone()),
                kind,
                segments: segs,
                segment_spans: s.segments.iter().map(|g| g.span).collect(),
                input,
                span: s.name.span,
            });
        }
    }

    fn accumulator(&mut self, a: &ast::AccumulatorDecl) {
        self.broken.insert(a.name.name.clone());
        let ty = self.ty(&a.ty, true);
        let scope: Vec<&str> = a.scope.iter().map(|s| s.name.as_str()).collect();
        let supported = matches!(scope.as_slice(), ["patient", "year"] | ["year", "patient"]);
        if !supported {
            let span = a.scope.first().map_or(a.name.span, |f| {
                a.scope.iter().fold(f.span, |s, x| s.to(x.span))
            });
            self.error(
                Diagnostic::error(format!(
                    "unsupported accumulator scope `per {}`",
                    scope.join(" per ")
                ))
                .at(span)
                .help("accumulators are kept `per patient per year` (the year of discharge_date)"),
            );
            return;
        }
        if let Some(ty) = ty {
            let i = slot(self.prog.accumulators.len());
            self.broken.remove(&a.name.name);
            self.define(&a.name, Global::Acc(i, ty));
            self.prog.accumulators.push(ir::Accumulator {
                name: a.name.name.clone(),
                ty,
                span: a.name.span,
            });
        }
    }

    fn field(&mut self, f: &ast::FieldDecl) {
        let Some(ty) = self.ty(&f.ty, false) else {
            return;
        };
        let (fixed, extras): (Vec<&str>, &mut Vec<ir::ExtraField>) = match f.object.name.as_str() {
            "claim" => (
                CLAIM_FIELDS.iter().map(|x| x.0).collect(),
                &mut self.prog.claim_extras,
            ),
            "institution" => (
                INST_FIELDS.iter().map(|x| x.0).collect(),
                &mut self.prog.inst_extras,
            ),
            other => {
                let d = Diagnostic::error(format!("unknown record `{other}`"))
                    .at(f.object.span)
                    .help("extra columns belong to `claim` or `institution`");
                self.error(d);
                return;
            }
        };
        if fixed.contains(&f.field.name.as_str()) {
            let d = Diagnostic::error(format!(
                "`{}.{}` is already a column of the data contract",
                f.object.name, f.field.name
            ))
            .at(f.field.span)
            .help("remove this declaration");
            self.error(d);
            return;
        }
        if extras.iter().any(|e| e.name == f.field.name) {
            let d = Diagnostic::error(format!(
                "`{}.{}` is declared twice",
                f.object.name, f.field.name
            ))
            .at(f.field.span);
            self.error(d);
            return;
        }
        extras.push(ir::ExtraField {
            name: f.field.name.clone(),
            ty,
            span: f.field.span,
        });
    }

    fn new_local(&mut self, ty: Ty) -> Option<Local> {
        let l = match ty {
            Ty::Bool => {
                self.n_bool += 1;
                Local::Bool(self.n_bool - 1)
            }
            Ty::Date => {
                self.n_date += 1;
                Local::Date(self.n_date - 1)
            }
            t if t.is_numeric() => {
                self.n_num += 1;
                Local::Num(self.n_num - 1, t)
            }
            _ => return None,
        };
        self.prog.n_num_locals = self.prog.n_num_locals.max(self.n_num as usize);
        self.prog.n_bool_locals = self.prog.n_bool_locals.max(self.n_bool as usize);
        self.prog.n_date_locals = self.prog.n_date_locals.max(self.n_date as usize);
        Some(l)
    }

    /// Compiles `let name = value` into a statement, registering the name.
    fn let_stmt(&mut self, l: &ast::LetDecl, top: bool) -> Option<Stmt> {
        let span = l.name.span.to(l.value.span);
        let value = self.expr(&l.value);
        let taken = self.globals.contains_key(&l.name.name)
            || self.top_lets.contains_key(&l.name.name)
            || self.rule_lets.contains_key(&l.name.name);
        if taken || RESERVED.contains(&l.name.name.as_str()) {
            self.error(
                Diagnostic::error(format!("`{}` is already defined", l.name.name))
                    .at(l.name.span)
                    .label("defined again here")
                    .help("a `let` needs a name of its own"),
            );
            return None;
        }
        let ty = value.ty()?;
        let Some(local) = self.new_local(ty) else {
            self.error(
                Diagnostic::error(format!("a `let` cannot hold {}", ty.article()))
                    .at(l.value.span)
                    .help("compare it in a condition instead, e.g. `claim.visit_type == \"inpatient\"`"),
            );
            return None;
        };
        let stmt = match (local, value) {
            (Local::Num(s, _), expr::TExpr::Num(n, _)) => Stmt::SetNum(s, n, span),
            (Local::Bool(s), expr::TExpr::Bool(b)) => Stmt::SetBool(s, b, span),
            (Local::Date(s), expr::TExpr::Date(d)) => Stmt::SetDate(s, d, span),
            _ => return None,
        };
        let map = if top {
            &mut self.top_lets
        } else {
            &mut self.rule_lets
        };
        map.insert(l.name.name.clone(), (local, l.name.span));
        self.used.entry(l.name.name.clone()).or_insert(0);
        Some(stmt)
    }

    fn top_level_lets(&mut self, policy: &ast::Policy) {
        for item in &policy.items {
            if let Item::Let(l) = item {
                if let Some(s) = self.let_stmt(l, true) {
                    self.prog.lets.push(s);
                }
            }
        }
        self.lets_base = (self.n_num, self.n_bool, self.n_date);
    }

    fn layers(&mut self, policy: &ast::Policy) {
        let base = (self.n_num, self.n_bool, self.n_date);
        let mut layer_index = 0u16;
        for item in &policy.items {
            let Item::Layer(l) = item else { continue };
            let mut rules = Vec::new();
            let mut names: HashMap<&str, Vec<Option<Period>>> = HashMap::new();
            for r in &l.rules {
                let period = self.period(r.in_force.as_ref());
                let seen = names.entry(&r.name.name).or_default();
                let clash = Period::clashes(seen, period);
                if clash {
                    let help = if period.is_some() {
                        "versions of a rule must not overlap: end the earlier one with `until` the day before"
                    } else {
                        "give each rule its own name; explanations cite rules by name (versions of one rule each need `from DATE`)"
                    };
                    self.error(
                        Diagnostic::error(format!(
                            "layer `{}` has two rules named `{}` in force on the same day",
                            l.name.name, r.name.name
                        ))
                        .at(r.name.span)
                        .help(help),
                    );
                }
                seen.push(period);
                if let Some(p) = period {
                    self.dated_rules
                        .push((layer_index as usize, rules.len(), p));
                }
                (self.n_num, self.n_bool, self.n_date) = base;
                self.rule_lets.clear();
                self.ctx = Ctx {
                    layer: Some(layer_index),
                    paid: false,
                };
                let when = r.when.as_ref().and_then(|w| {
                    let e = self.expr(w);
                    self.expect_bool(e, w.span, "a rule's `when`")
                });
                let mut body = Vec::new();
                let mut pay_span: Option<Span> = None;
                for st in &r.body {
                    if let Some(s) = self.stmt(st, &l.name.name, &mut pay_span) {
                        body.push(s);
                    }
                }
                if pay_span.is_none() {
                    self.error(
                        Diagnostic::error(format!(
                            "rule `{}` never says what it pays",
                            r.name.name
                        ))
                        .at(r.name.span)
                        .label("no `pay`")
                        .help("add `pay AMOUNT` (write `pay 0` if the rule pays nothing)"),
                    );
                }
                rules.push(ir::Rule {
                    name: r.name.name.clone(),
                    period,
                    in_force: None,
                    when,
                    body,
                    cite: r.cite.as_ref().map(|c| c.value.clone()),
                    span: r.name.span,
                });
            }
            if let Some(layer) = self.prog.layers.get_mut(layer_index as usize) {
                layer.rules = rules;
            }
            layer_index += 1;
        }
        self.ctx = Ctx::default();
    }

    fn stmt(&mut self, st: &ast::Stmt, layer: &str, pay_span: &mut Option<Span>) -> Option<Stmt> {
        match st {
            ast::Stmt::Let(l) => self.let_stmt(l, false),
            ast::Stmt::Pay { value, span } => {
                if let Some(first) = *pay_span {
                    self.error(
                        Diagnostic::error("this rule already says what it pays")
                            .at(*span)
                            .label("second `pay`")
                            .note(first, "the first `pay` is")
                            .help("a rule pays once; combine the amounts in one `pay`"),
                    );
                    return None;
                }
                *pay_span = Some(*span);
                let e = self.expr(value);
                let n = self.expect_money(e, value.span, &format!("what layer `{layer}` pays"));
                self.ctx.paid = true;
                n.map(|n| Stmt::Pay(n, *span))
            }
            ast::Stmt::AccAdd { acc, value } => {
                let target = self.globals.get(&acc.name).map(|g| g.0);
                let e = self.expr(value);
                match target {
                    Some(Global::Acc(i, ty)) => {
                        *self.used.entry(acc.name.clone()).or_insert(0) += 1;
                        let (n, t) = self.expect_num(e, value.span, "an accumulator's addition")?;
                        if t.unify(ty).is_none() {
                            self.error(
                                Diagnostic::error(format!(
                                    "cannot add {} to accumulator `{}` of {ty}",
                                    t.article(),
                                    acc.name
                                ))
                                .at(value.span)
                                .label(format!("this is {}", t.article())),
                            );
                            return None;
                        }
                        Some(Stmt::AccAdd(i, n, acc.span.to(value.span)))
                    }
                    _ => {
                        let accs = self
                            .prog
                            .accumulators
                            .iter()
                            .map(|a| a.name.clone())
                            .collect::<Vec<_>>();
                        let mut d =
                            Diagnostic::error(format!("`{}` is not an accumulator", acc.name))
                                .at(acc.span)
                                .label("cannot `+=`");
                        d = match suggest(&acc.name, accs.iter().map(String::as_str)) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!(
                                "declare it: `accumulator {}: money per patient per year`",
                                acc.name
                            )),
                        };
                        self.error(d);
                        None
                    }
                }
            }
            ast::Stmt::OutputSet { output, value } => {
                let target = self.globals.get(&output.name).map(|g| g.0);
                let e = self.expr(value);
                match target {
                    Some(Global::Output(i, ty)) => {
                        *self.used.entry(output.name.clone()).or_insert(0) += 1;
                        let (n, t) = self.expect_num(e, value.span, "an output")?;
                        if t.unify(ty).is_none() {
                            self.error(
                                Diagnostic::error(format!(
                                    "output `{}` is {ty}, but this is {}",
                                    output.name,
                                    t.article()
                                ))
                                .at(value.span),
                            );
                            return None;
                        }
                        Some(Stmt::SetOutput(i, n, output.span.to(value.span)))
                    }
                    _ => {
                        self.error(
                            Diagnostic::error(format!("`{}` is not a declared output", output.name))
                                .at(output.span)
                                .label("cannot assign")
                                .help(format!(
                                    "for a local amount write `let {0} = ...`; to add a result column declare `output {0}: money`",
                                    output.name
                                )),
                        );
                        None
                    }
                }
            }
        }
    }

    fn unused(&mut self) {
        let mut warn = Vec::new();
        for (name, (g, span)) in &self.globals {
            if self.used.get(name).copied().unwrap_or(0) > 0 {
                continue;
            }
            let what = match g {
                Global::Param(..) => "parameter",
                Global::Table(_) => "table",
                Global::Schedule(_) => "schedule",
                Global::Acc(..) => "accumulator",
                Global::Output(..) => "output",
                Global::Layer(_) | Global::Ledger(..) | Global::Settle => continue,
            };
            warn.push(
                Diagnostic::warning(format!("{what} `{name}` is never used"))
                    .at(*span)
                    .label("unused")
                    .help("remove it, or use it in a rule"),
            );
        }
        for (name, (_, span)) in &self.top_lets {
            if self.used.get(name).copied().unwrap_or(0) == 0 {
                warn.push(
                    Diagnostic::warning(format!("`let {name}` is never used"))
                        .at(*span)
                        .label("unused"),
                );
            }
        }
        self.diags.extend(warn);
    }
}

/// `from 2002-01-01 until 2002-12-31`, as an author wrote it.
fn describe_period(p: &Period) -> String {
    match p.until {
        Some(u) => format!("from {} until {u}", p.from),
        None => format!("from {}", p.from),
    }
}

/// Where a field lives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FieldRef {
    Claim(crate::schema::ClaimField),
    Inst(crate::schema::InstField),
    ClaimExtra(u16),
    InstExtra(u16),
}

fn dense_index(key: &[KeyValue], sizes: &[usize]) -> usize {
    key.iter().zip(sizes).fold(0, |acc, (k, &n)| {
        acc * n
            + if let KeyValue::Code(c) = k {
                *c as usize
            } else {
                0
            }
    })
}

fn describe_key(mut i: usize, dims: &[Dim], sizes: &[usize]) -> String {
    let mut parts = vec![String::new(); dims.len()];
    for d in (0..dims.len()).rev() {
        let code = i % sizes[d];
        i /= sizes[d];
        parts[d] = match dims[d] {
            Dim::Enum(k) => format!(
                "\"{}\"",
                EnumKind::name_of(k, u8::try_from(code).unwrap_or(0))
            ),
            _ => "?".into(),
        };
    }
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(", "))
    }
}
