//! Enumerations: `enum 档次 { "高档", "中档", "低档" }`.
//!
//! An enumeration is a text type with a closed set of values. Its values
//! are kept as texts (so `let`s, outputs, accumulators, ledger amounts,
//! state files and every writer handle them as they handle any text); what
//! the type adds is proof. Wherever a value enters a slot of the type (an
//! output, accumulator, ledger amount or parameter, a default, a table key)
//! the checker proves it is one of the values, and a comparison with a
//! literal that is not one is an error with a suggestion. A table keyed by
//! an enumeration is proved complete like one keyed by a coded field.
//!
//! What a text expression may hold is worked out from its form
//! ([`Members`]): a literal holds itself, an `if` what either branch holds,
//! a read of a slot of the type the type's values. Nothing is inferred
//! across statements except through `let`s, whose members are recorded
//! where they are bound.

use super::expr::TExpr;
use super::literal::literal_value;
use super::types::Ty;
use super::{Checker, Global};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, Ref, TextX};
use crate::source::Span;
use crate::syntax::ast::{self, Item, LitKind, Literal};

/// The values a text expression can have, as far as the checker knows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Members {
    /// One of enumeration `id`'s values.
    Of(u16),
    /// One of these literals.
    Lits(Vec<String>),
    /// Any text (a field, an open parameter).
    Open,
}

impl Members {
    fn merge(self, other: Members, enums: &[ir::Enumeration]) -> Members {
        let within = |lits: &[String], id: u16| {
            enums
                .get(usize::from(id))
                .is_some_and(|e| lits.iter().all(|l| e.code_of(l).is_some()))
        };
        match (self, other) {
            (Members::Of(a), Members::Of(b)) if a == b => Members::Of(a),
            (Members::Lits(mut a), Members::Lits(b)) => {
                for l in b {
                    if !a.contains(&l) {
                        a.push(l);
                    }
                }
                Members::Lits(a)
            }
            (Members::Of(id), Members::Lits(l)) | (Members::Lits(l), Members::Of(id))
                if within(&l, id) =>
            {
                Members::Of(id)
            }
            _ => Members::Open,
        }
    }
}

impl Checker {
    /// Pass 0: every `enum`, so that declarations anywhere in the file may
    /// use it as a type.
    pub(super) fn enums(&mut self, policy: &ast::Policy) {
        for item in &policy.items {
            let Item::Enum(e) = item else { continue };
            if Ty::from_name(&e.name.name).is_some() {
                self.error(
                    Diagnostic::error(format!("`{}` is a built-in type", e.name.name))
                        .at(e.name.span)
                        .label("already a type")
                        .help("give the enumeration a name of its own, e.g. `档次`"),
                );
                continue;
            }
            let mut values: Vec<String> = Vec::with_capacity(e.values.len());
            let mut ok = true;
            for v in &e.values {
                if v.value.trim().is_empty() {
                    self.error(
                        Diagnostic::error("a value of an enumeration cannot be empty")
                            .at(v.span)
                            .label("empty")
                            .help("an empty cell in a file means absent, so it cannot be a value"),
                    );
                    ok = false;
                } else if values.contains(&v.value) {
                    self.error(
                        Diagnostic::error(format!("`{}` lists \"{}\" twice", e.name.name, v.value))
                            .at(v.span)
                            .label("again here")
                            .help("list each value once"),
                    );
                    ok = false;
                } else {
                    values.push(v.value.clone());
                }
            }
            if e.values.is_empty() {
                self.error(
                    Diagnostic::error(format!("enumeration `{}` has no values", e.name.name))
                        .at(e.span)
                        .help(format!(
                            "list them: `enum {} {{ \"高档\", \"低档\" }}`",
                            e.name.name
                        )),
                );
                ok = false;
            }
            if !ok {
                self.refuse(&e.name);
                continue;
            }
            let id = super::slot(self.prog.enums.len());
            self.define(&e.name, Global::Enum(id));
            self.prog.enums.push(ir::Enumeration {
                name: e.name.name.clone(),
                values,
                span: e.name.span,
            });
        }
    }

    /// The enumeration a type name names, counting the use.
    pub(super) fn enum_named(&mut self, name: &str) -> Option<u16> {
        match self.globals.get(name).map(|g| g.0) {
            Some(Global::Enum(id)) => {
                *self.used.entry(name.to_string()).or_insert(0) += 1;
                Some(id)
            }
            _ => None,
        }
    }

    pub(crate) fn enumeration(&self, id: u16) -> Option<&ir::Enumeration> {
        self.prog.enums.get(usize::from(id))
    }

    /// What a text expression can hold.
    pub(crate) fn members(&self, e: &TExpr) -> Members {
        match e {
            TExpr::TextLit(s, _) => Members::Lits(vec![s.clone()]),
            TExpr::Text(x) => self.text_members(x),
            _ => Members::Open,
        }
    }

    pub(crate) fn text_members(&self, x: &TextX) -> Members {
        let of = |c: Option<u16>| c.map_or(Members::Open, Members::Of);
        let ledger = |col: u16| {
            let i = usize::from(col).checked_sub(crate::schema::ledger::COLUMNS.len());
            of(i.and_then(|i| self.prog.ledger_extras.get(i))
                .and_then(|o| o.choice))
        };
        match x {
            TextX::Const(s) => Members::Lits(vec![s.clone()]),
            TextX::Pool(p) => self
                .prog
                .texts
                .get(*p as usize)
                .map_or(Members::Open, |s| Members::Lits(vec![s.clone()])),
            TextX::Acc(i) => of(self
                .prog
                .accumulators
                .get(usize::from(*i))
                .and_then(|a| a.choice)),
            TextX::ClaimExtra(i) => of(self
                .prog
                .claim_extras
                .get(usize::from(*i))
                .and_then(|f| f.choice)),
            TextX::InstExtra(i) => of(self
                .prog
                .inst_extras
                .get(usize::from(*i))
                .and_then(|f| f.choice)),
            TextX::Param(r) => of(self.param_choice(*r)),
            TextX::Output(i) => of(self
                .prog
                .outputs
                .get(usize::from(*i))
                .and_then(|o| o.choice)),
            TextX::Local(s) => self.local_members.get(s).cloned().unwrap_or(Members::Open),
            TextX::Ledger(col) => ledger(*col),
            TextX::Prior(col, fallback) => {
                ledger(*col).merge(self.text_members(fallback), &self.prog.enums)
            }
            TextX::If(b) => self
                .text_members(&b.1)
                .merge(self.text_members(&b.2), &self.prog.enums),
            TextX::Previous(p) => self
                .text_members(&p.field)
                .merge(self.text_members(&p.fallback), &self.prog.enums),
            TextX::Claim(_) | TextX::Inst(_) | TextX::Person(_) | TextX::Band => Members::Open,
        }
    }

    fn param_choice(&self, r: Ref) -> Option<u16> {
        self.prog
            .params
            .get(self.ref_slot(r))
            .and_then(|p| p.choice)
    }

    /// Proves that `e`, which goes into `what` (of enumeration `id`), is one
    /// of the values; reports it otherwise.
    pub(crate) fn fits_choice(&mut self, id: u16, e: &TExpr, span: Span, what: &str) -> bool {
        let Some(en) = self.enumeration(id).cloned() else {
            return false;
        };
        match self.members(e) {
            Members::Of(x) if x == id => true,
            Members::Of(x) => {
                let other = self.enumeration(x).map_or("?".into(), |o| o.name.clone());
                self.error(
                    Diagnostic::error(format!("{what} is a {}, but this is a {other}", en.name))
                        .at(span)
                        .label(format!("a {other}"))
                        .help(format!("the values of {} are {}", en.name, en.describe())),
                );
                false
            }
            Members::Lits(lits) => {
                for l in lits {
                    if en.code_of(&l).is_none() {
                        self.error(not_a_value(&en, &l, span));
                        return false;
                    }
                }
                true
            }
            Members::Open => {
                self.error(
                    Diagnostic::error(format!(
                        "{what} is a {}, but this text may be any value",
                        en.name
                    ))
                    .at(span)
                    .label("not proved one of the values")
                    .help(format!(
                        "set it from the values ({}), an `if` whose branches are values, or another {}",
                        en.describe(),
                        en.name
                    )),
                );
                false
            }
        }
    }

    /// `e` going into the text slot read as `slot` (an output, accumulator,
    /// ledger amount or field): when the slot is of an enumeration, `e` must
    /// be proved one of its values (see [`Checker::fits_choice`]).
    pub(crate) fn fits_slot(
        &mut self,
        slot: &TextX,
        e: &TExpr,
        span: Span,
        what: impl FnOnce() -> String,
    ) -> bool {
        match self.text_members(slot) {
            Members::Of(id) => self.fits_choice(id, e, span, &what()),
            _ => true,
        }
    }

    /// A literal given for a slot of enumeration `id` (a default, a
    /// parameter's value): it must be one of the values.
    pub(crate) fn choice_literal(&mut self, id: u16, lit: &Literal, name: &str) -> bool {
        let Some(en) = self.enumeration(id).cloned() else {
            return false;
        };
        match &lit.kind {
            LitKind::Text(s) if en.code_of(s).is_some() => true,
            LitKind::Text(s) => {
                self.error(not_a_value(&en, s, lit.span));
                false
            }
            _ => {
                self.error(
                    Diagnostic::error(format!("`{name}` is a {}, but this is not a text", en.name))
                        .at(lit.span)
                        .help(format!("write one of {}", en.describe())),
                );
                false
            }
        }
    }

    /// A literal of type `ty` (of enumeration `choice`, if given) for
    /// `name`: a parameter's value or a default. Reports and gives `None`
    /// when it does not fit.
    pub(crate) fn value_of(
        &mut self,
        lit: &Literal,
        ty: Ty,
        choice: Option<u16>,
        name: &str,
    ) -> Option<ir::ParamValue> {
        if let Some(id) = choice {
            return self
                .choice_literal(id, lit, name)
                .then(|| literal_value(lit, ty, name).ok())
                .flatten();
        }
        match literal_value(lit, ty, name) {
            Ok(v) => Some(v),
            Err(d) => {
                self.error(d);
                None
            }
        }
    }

    /// `x == "lit"` where `x` is of an enumeration: the literal must be one
    /// of its values (returns false, reported, when it is not).
    pub(crate) fn compared_literal(&mut self, x: &TextX, lit: &str, span: Span) -> bool {
        let Members::Of(id) = self.text_members(x) else {
            return true;
        };
        let Some(en) = self.enumeration(id).cloned() else {
            return true;
        };
        if en.code_of(lit).is_some() {
            return true;
        }
        self.error(not_a_value(&en, lit, span));
        false
    }

    /// `x == y` of two texts: two enumerations never compare.
    pub(crate) fn compared_texts(&mut self, x: &TextX, y: &TextX, span: Span) -> bool {
        match (self.text_members(x), self.text_members(y)) {
            (Members::Of(a), Members::Of(b)) if a != b => {
                let name = |c: &Checker, i| c.enumeration(i).map_or("?".into(), |e| e.name.clone());
                let (na, nb) = (name(self, a), name(self, b));
                self.error(
                    Diagnostic::error(format!("a {na} is compared with a {nb}"))
                        .at(span)
                        .label("never equal as meant")
                        .help("two enumerations are different types: compare each with its own values"),
                );
                false
            }
            _ => true,
        }
    }
}

pub(crate) fn not_a_value(en: &ir::Enumeration, text: &str, span: Span) -> Diagnostic {
    let d = Diagnostic::error(format!("\"{text}\" is not a {}", en.name))
        .at(span)
        .label("not one of the values");
    match suggest(text, en.values.iter().map(String::as_str)) {
        Some(s) => d.help(format!("did you mean \"{s}\"?")),
        None => d.help(format!("the values of {} are {}", en.name, en.describe())),
    }
}
