//! The check stage: AST → [`ir::Program`](crate::ir::Program).
//!
//! Resolves every name to a slot, checks types and units, checks tables for
//! missing keys and schedules for gaps, and rejects claim/institution fields
//! that the data contract does not have. Every error of a file is reported
//! at once; warnings (unused parameters, ...) do not stop a run.

mod agreement;
mod calls;
mod cond;
mod contrib;
mod dates;
mod decls;
mod enums;
mod exactness;
mod expr;
mod fee;
mod ledger_vals;
mod literal;
mod order;
mod outputs;
mod overrides;
mod patient;
mod precision;
mod previous;
mod rules;
mod settle;
pub mod types;

pub use overrides::apply_override;

use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, Period, Program, Ref};

use crate::source::Span;
use crate::syntax::ast::{self, Item};
pub use literal::literal_value;
use std::collections::HashMap;
use types::{Ty, TYPE_NAMES};

/// Names with a fixed meaning that a policy cannot define.
const RESERVED: &[&str] = &[
    "claim",
    "institution",
    "assessment",
    "agreement",
    "sum",
    "count",
    "claims",
    "institutions",
    "avg",
    "prior",
    "rate",
    "remaining",
    "patient_paid",
    "institution_borne",
    "min",
    "max",
    "clamp",
    "previous",
    "applied",
];

/// The functions every policy can call (schedules are called the same way).
const FUNCTIONS: &[&str] = &["min", "max", "clamp", "rate", "applied"];

#[derive(Debug, Clone, Copy)]
enum Global {
    Param(Ref, Ty),
    Table(Ref),
    Schedule(Ref),
    Acc(u16, Ty),
    Output(u16, Ty),
    Layer(u16),
    /// The `fee` block's name: the claim's fee.
    Fee,
    /// A ledger amount: standard ([`crate::schema::ledger`]) or declared.
    Ledger(u16, Ty),
    /// A settle block (its name, for `block.value` references).
    Settle,
    /// A contribute block's name.
    Contribute,
    /// An enumeration (`enum 档次 { … }`): a type, not a value.
    Enum(u16),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Local {
    Num(u16, Ty),
    Bool(u16),
    Date(u16),
    Text(u16),
    /// A `let` whose value had an error: its name is defined, its uses unchecked.
    Poison,
}

/// Checks a parsed policy. On success returns the program and its warnings;
/// on failure, every error and warning found.
pub fn check(policy: &ast::Policy) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut c = Checker::default();
    c.enums(policy);
    c.declarations(policy);
    c.top_level_lets(policy);
    c.layers(policy);
    c.output_defs(policy);
    c.settles(policy);
    c.contributes(policy);
    c.agreements(policy);
    c.settle_order();
    c.epochs();
    c.prog.quotient_ops = exactness::may_round(&c.prog);
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
    /// Outputs some rule sets (reading an output does not count).
    set_outputs: std::collections::HashSet<String>,
    pub(crate) prog: Program,
    /// Top-level lets, visible everywhere after their definition.
    top_lets: HashMap<String, (Local, Span)>,
    /// The current rule's lets.
    rule_lets: HashMap<String, (Local, Span)>,
    /// Accumulators the current rule has set so far (`NAME = …`).
    pub(crate) acc_set_in_rule: Vec<u16>,
    n_num: u16,
    n_bool: u16,
    n_date: u16,
    /// Where names are being resolved.
    pub(crate) ctx: Ctx,
    /// Names whose declaration was refused, with where: the name still
    /// counts as defined, so its uses are not reported again (as
    /// "unknown name" and the like) and a `let` cannot take it. Extra
    /// fields are kept as `claim.NAME` / `institution.NAME`.
    pub(crate) broken: HashMap<String, Span>,
    /// For each version group, what its versions must agree on, and where the first is.
    version_sig: HashMap<u16, (String, Span)>,
    /// Every `from … until …` seen, for the epoch bounds.
    periods: Vec<Period>,
    /// Dated rules: (layer, rule index, period), turned into epochs at the end.
    dated_rules: Vec<(usize, usize, Period)>,
    /// Settle-block state while one is being checked.
    pub(crate) settle: Option<settle::SettleCtx>,
    /// Contribute-block state while one is being checked.
    pub(crate) contrib: Option<contrib::ContribCtx>,
    /// Contribute blocks seen so far, by name, with when they are in force.
    contribute_names: HashMap<String, Vec<Option<Period>>>,
    /// Agreement blocks seen, with when they are in force.
    agreement_periods: Vec<Option<Period>>,
    /// `(region block, let name)` → region value slot.
    pub(crate) region_lets: HashMap<(String, String), (u16, Ty)>,
    /// Local slots in use after the top-level `let`s.
    lets_base: (u16, u16, u16),
    /// The decimal places each local and region value can have (see `precision`).
    pub(crate) local_places: Vec<u32>,
    pub(crate) region_places: Vec<u32>,
    /// Every ledger amount read in a settle block (`prior` included), where.
    pub(crate) ledger_reads: Vec<(u16, Span)>,
    /// Every ledger amount a settle statement assigns, its value checked or
    /// not: one whose value is an error is still set (no second error).
    pub(crate) ledger_assigned: Vec<u16>,
    /// Settle blocks seen so far, by name, with when they are in force.
    settle_names: HashMap<String, Vec<Option<Period>>>,
    /// Top-level outputs whose definition is checked (those before the current one).
    defs_done: std::collections::HashSet<u16>,
    n_text: u16,
    /// What each text `let` slot can hold, recorded where it is bound.
    pub(crate) local_members: HashMap<u16, enums::Members>,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Ctx {
    /// The layer whose rule is being checked; `None` at top level.
    pub(crate) layer: Option<u16>,
    /// The current rule has already said what it pays.
    pub(crate) paid: bool,
    /// A top-level output's definition: computed after the layers.
    pub(crate) after_layers: bool,
    /// The rule being checked is the fee block's (`layer` is then one past the layers).
    pub(crate) fee: bool,
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
            let n_layers = self.prog.layers.len();
            let payer = match self.prog.layers.get_mut(li) {
                Some(l) => Some(l),
                None if li == n_layers => self.prog.fee.as_mut(),
                None => None,
            };
            if let Some(r) = payer.and_then(|l| l.rules.get_mut(ri)) {
                r.in_force = Some(epochs);
            }
        }
    }

    /// Records a declaration that was refused. Its name stays defined for
    /// the rest of the check, as in rustc, so the mistake is reported once,
    /// where it is, and not again at every use.
    pub(crate) fn refuse(&mut self, name: &ast::Ident) {
        self.broken.entry(name.name.clone()).or_insert(name.span);
    }

    /// Whether `name` was declared but refused: its uses are not checked.
    pub(crate) fn is_broken(&self, name: &str) -> bool {
        self.broken.contains_key(name)
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
            self.refuse(name);
            return;
        }
        if RESERVED.contains(&name.name.as_str()) {
            self.error(
                Diagnostic::error(format!("`{}` is a reserved name", name.name))
                    .at(name.span)
                    .label("reserved")
                    .help("choose another name"),
            );
            self.refuse(name);
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

    /// Resolves a type name, reporting an unknown one: a built-in type, or
    /// an enumeration (a text, with its id).
    pub(crate) fn ty(
        &mut self,
        name: &ast::Ident,
        numeric_only: bool,
    ) -> Option<(Ty, Option<u16>)> {
        if let Some(id) = self.enum_named(&name.name) {
            if numeric_only {
                self.error(
                    Diagnostic::error(format!("`{}` is an enumeration, which cannot be used here", name.name))
                        .at(name.span)
                        .help("a table holds numbers: `money`, `ratio`, `count`, `days` or `months`; key it `by` the enumeration instead"),
                );
                return None;
            }
            return Some((Ty::Text, Some(id)));
        }
        match Ty::from_name(&name.name) {
            Some(t) if numeric_only && !t.is_numeric() => {
                self.error(
                    Diagnostic::error(format!("`{}` values cannot be used here", name.name))
                        .at(name.span)
                        .help("use `money`, `ratio`, `count`, `days` or `months`"),
                );
                None
            }
            Some(t) => Some((t, None)),
            // A refused declaration (an enumeration with an error): reported once.
            None if self.broken.contains_key(&name.name) => None,
            None => {
                let mut d = Diagnostic::error(format!("unknown type `{}`", name.name))
                    .at(name.span)
                    .label("not a type");
                let names: Vec<&str> = TYPE_NAMES
                    .iter()
                    .map(|t| t.0)
                    .chain(self.prog.enums.iter().map(|e| e.name.as_str()))
                    .collect();
                d = match suggest(&name.name, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "types are {}, or an enumeration the policy declares (`enum 档次 {{ \"高档\", \"低档\" }}`)",
                        names
                            .iter()
                            .map(|t| format!("`{t}`"))
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
                Item::Output(o) => self.output_decl(o),
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
                Item::Ledger(o) => self.ledger_decl(o),
                Item::Settle(sd) => self.declare_settle(sd),
                Item::Fee(l) => self.declare_fee(l, policy),
                Item::Enum(_) => {}
                Item::Contribute(c) => self.declare_contribute(c),
                Item::Agreement(a) => self.declare_agreement(a),
            }
        }
        if !policy
            .items
            .iter()
            .any(|i| matches!(i, Item::Layer(_) | Item::Contribute(_)))
        {
            self.error(
                Diagnostic::error("the policy has no `layer`, so nothing is ever paid")
                    .at(Span::new(0, 0))
                    .help("add `layer fund_paid \"统筹基金\" { rule ... { pay ... } }` (or, for contribution rules alone, a `contribute … per month { … }` block)"),
            );
        }
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
