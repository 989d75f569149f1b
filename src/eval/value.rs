//! What a text, bool or date output (or text `let`) holds at run time: a
//! small `Copy` value, so that settling a claim allocates nothing. A text is
//! a handle to a string that outlives the run — one of the program's own
//! texts, a parameter, or a field of the claim or of its institution — and
//! is turned into characters only when it is written or compared.

use crate::data::{Claims, Institution, TextRef};
use crate::date::Date;
use crate::ir::{ParamValue, Program};
use crate::schema::InstField;

/// A text, bool or date output of one claim.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Val {
    /// No rule set it (and it has no default): empty in CSV, `null` in JSON.
    #[default]
    Absent,
    Bool(bool),
    Date(Date),
    Text(Txt),
}

/// Where a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Txt {
    /// [`Program::texts`].
    Pool(u32),
    /// A text parameter, by slot.
    Param(u16),
    /// The claims' text arena (ids, codes, extra columns).
    Claims(TextRef),
    /// The institutions' text arena (extra columns).
    InstArena(TextRef),
    /// A field of the claim's institution (or the unit's, in a settle block).
    Inst(InstField),
    /// The default of a text output, by output slot.
    Default(u16),
    /// A text of the person (or month) a contribute block is run for,
    /// resolved with the person ([`crate::eval::interp`]'s `text`).
    Person(crate::schema::PersonField),
    Empty,
}

impl Txt {
    /// The characters, for the claim whose institution is `inst`.
    pub fn resolve<'a>(
        self,
        prog: &'a Program,
        claims: &'a Claims,
        insts: &'a crate::data::Institutions,
        inst: Option<&'a Institution>,
    ) -> &'a str {
        match self {
            Txt::Pool(i) => prog.texts.get(i as usize).map_or("", String::as_str),
            Txt::Param(i) => match prog.params.get(i as usize).map(|p| &p.value) {
                Some(ParamValue::Text(s)) => s,
                _ => "",
            },
            Txt::Claims(r) => claims.text(r),
            Txt::InstArena(r) => insts.arena.get(r),
            Txt::Inst(f) => match (inst, f) {
                (Some(i), InstField::InstitutionId) => &i.id,
                (Some(i), InstField::Name) => &i.name,
                (Some(i), InstField::AllianceId) => &i.alliance,
                _ => "",
            },
            Txt::Default(o) => match prog
                .outputs
                .get(o as usize)
                .and_then(|o| o.default.as_ref())
            {
                Some(ParamValue::Text(s)) => s,
                _ => "",
            },
            Txt::Empty | Txt::Person(_) => "",
        }
    }
}

/// A value as written in a result, resolved: `None` where absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown<'a> {
    Bool(bool),
    Date(Date),
    Text(&'a str),
}

/// What output `o` of a claim shows: its value, else its default, else nothing.
pub fn shown<'a>(
    v: Val,
    o: usize,
    prog: &'a Program,
    claims: &'a Claims,
    insts: &'a crate::data::Institutions,
    inst: Option<&'a Institution>,
) -> Option<Shown<'a>> {
    Some(match v {
        Val::Bool(b) => Shown::Bool(b),
        Val::Date(d) => Shown::Date(d),
        Val::Text(t) => Shown::Text(t.resolve(prog, claims, insts, inst)),
        Val::Absent => match prog.outputs.get(o).and_then(|o| o.default.as_ref())? {
            ParamValue::Bool(b) => Shown::Bool(*b),
            ParamValue::Date(d) => Shown::Date(*d),
            ParamValue::Text(s) => Shown::Text(s),
            ParamValue::Num(_) => return None,
        },
    })
}

impl Shown<'_> {
    /// As CSV writes it (and `yibao test` compares it): `true`, the text, `YYYY-MM-DD`.
    pub fn text(&self) -> String {
        match self {
            Shown::Bool(b) => b.to_string(),
            Shown::Date(d) => d.to_string(),
            Shown::Text(s) => (*s).to_string(),
        }
    }
}
