//! What the interpreter tells an observer while it works: the hooks behind
//! `yibao explain` (a tree of every value) and `yibao test`'s coverage (which
//! rules, table rows and segments were used).
//!
//! The interpreter is generic over a [`Tracer`]. Ordinary runs use
//! [`NoTrace`], whose `ON` is `false`: every hook call sits behind
//! `if T::ON`, so it compiles away and settlement pays nothing for it.
//!
//! Events nest: [`Tracer::open`] starts a node (an expression, a statement, a
//! rule, a layer), the values computed inside it are its children, and
//! [`Tracer::close`] ends it with what it was ([`Ev`]).

use super::interp::Frame;
use crate::ir::{Bool, Num, Stmt};
use rust_decimal::Decimal;

pub(crate) trait Tracer {
    /// Whether the hooks are called at all.
    const ON: bool;
    fn open(&self) {}
    fn close(&self, _ev: Ev<'_>) {}
    /// The version of a parameter, table or schedule the open node uses.
    fn slot(&self, _slot: usize) {}
    /// The row of table `table` the open lookup used (`None`: no row, a
    /// missing key), and its keys as read.
    fn cell(&self, _table: usize, _row: Option<u16>, _keys: Vec<String>) {}
    /// The dates the open node read (`year(d)`: d; `b - a`: b and a).
    fn dates(&self, _dates: &[crate::date::Date]) {}
    /// The previous claim the open `previous(…)` read: its index in
    /// settlement order (`None`: the patient's first claim of the run).
    fn previous(&self, _claim: Option<usize>) {}
    /// Schedule `slot` applied to `x` (`rate`: only the band `x` falls in is used).
    fn schedule(&self, _slot: usize, _x: Decimal, _rate: bool) {}
    /// Claim `i` (in settlement order) is about to be settled.
    fn begin_claim(&self, _i: usize, _f: &Frame) {}
    fn end_claim(&self, _i: usize, _f: &Frame) {}
    /// Settle block `block` is about to run for a unit and period (`month` 0: the year).
    fn begin_block(&self, _block: usize, _unit: &str, _year: i32, _month: u32, _f: &Frame) {}
    fn end_block(&self, _f: &Frame) {}
    /// Settle block `block` is not in force in the unit's period, so it does not run.
    /// A contribute block (its index in `Program::contributes`) begins for
    /// a person-month (`month` Some) or a retirement.
    fn begin_contribute(&self, _block: usize, _person: &str, _month: Option<&str>, _f: &Frame) {}
    fn end_contribute(&self, _f: &Frame) {}
    fn skipped_block(&self, _block: usize, _unit: &str, _year: i32, _month: u32) {}
}

/// The tracer of ordinary runs: nothing is observed.
pub(crate) struct NoTrace;

impl Tracer for NoTrace {
    const ON: bool = false;
}

/// What a node was, given when it closes.
pub(crate) enum Ev<'a> {
    /// A numeric expression and its value.
    Num(&'a Num, Decimal),
    /// A condition and its value; `detail` shows the data a leaf compared.
    Bool(&'a Bool, bool, Option<String>),
    /// A statement, with the frame after it ran, the value it replaced (for
    /// `+=`), and the layer a `pay` pays.
    Stmt {
        stmt: &'a Stmt,
        before: Option<Decimal>,
        frame: &'a Frame,
        layer: Option<usize>,
    },
    /// A rule of a layer: not in force that day, its condition not met, or applied.
    Rule {
        layer: usize,
        rule: usize,
        outcome: RuleOutcome,
    },
    /// A layer, with what it paid and what the claim had left before it.
    Layer {
        layer: usize,
        paid: Decimal,
        left: Decimal,
    },
    /// A date or text `previous(…)` and its value as shown.
    Previous {
        slot: u16,
        value: String,
        line: crate::source::Span,
    },
    /// The policy's top-level `let`s.
    Lets,
    /// The outputs defined at top level, computed after the layers.
    OutputDefs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleOutcome {
    NotInForce,
    NotMet,
    Applied,
}
