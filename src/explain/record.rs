//! The recorder: a [`Tracer`] that turns the interpreter's events into a
//! tree of [`Node`]s, each saying what was computed, its value, and the
//! policy line it comes from.

use super::label::versions_note;
use super::show::show;
use super::Node;
use crate::check::types::Ty;
use crate::eval::interp::Frame;
use crate::eval::trace::{Ev, RuleOutcome, Tracer};
use crate::ir::{Program, Stmt};
use crate::source::{SourceFile, Span};
use rust_decimal::Decimal;
use std::cell::{Cell, RefCell};

/// What to record.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// One claim, by its index in settlement order.
    Claim(usize),
    /// A person's contribution month (`Some("2024-03")`) or retirement (`None`).
    Person { id: String, month: Option<String> },
    /// The blocks run for these units (`(kind, id)`) in one year.
    Units {
        year: i32,
        units: Vec<(crate::ir::UnitKind, String)>,
    },
}

/// A node being built: its children so far, and what the interpreter said
/// about it before it closed.
#[derive(Default)]
pub(super) struct Open {
    pub(super) children: Vec<Node>,
    pub(super) slot: Option<usize>,
    pub(super) cell: Option<(Option<u16>, Vec<String>)>,
    /// The dates the node read (date functions, days between).
    pub(super) dates: Vec<crate::date::Date>,
    /// For `previous(…)`: the previous claim read (`Some(None)`: none, the fallback).
    pub(super) prev: Option<Option<usize>>,
}

/// One recorded claim or block run.
pub(crate) struct Recorded {
    pub nodes: Vec<Node>,
    pub accs_before: Vec<crate::report::Field>,
    pub accs_after: Vec<crate::report::Field>,
    /// For blocks: the block, unit id, year, month, and the ledger row after.
    pub block: Option<(usize, String, i32, u32)>,
    pub ledger_after: Vec<Decimal>,
    /// A block not in force in the period: it did not run.
    pub skipped: bool,
}

pub(crate) struct Recorder<'a> {
    pub(super) prog: &'a Program,
    pub(super) file: &'a SourceFile,
    target: Target,
    active: Cell<bool>,
    stack: RefCell<Vec<Open>>,
    /// The name last given to each local slot, by kind (num, bool, date).
    pub(super) names: RefCell<[Vec<String>; 3]>,
    current: RefCell<Option<Recorded>>,
    /// The block running now, for naming its aggregates.
    pub(super) block: Cell<Option<usize>>,
    /// The type of each numeric local slot, as last set (`None`: a bare number).
    pub(super) local_types: RefCell<Vec<Option<Ty>>>,
    pub(crate) done: RefCell<Vec<Recorded>>,
    /// The data, to show texts a `let` or an output holds (the claim's own
    /// fields, its institution's).
    pub(crate) data: Option<TextData<'a>>,
}

/// What a kept text may point into.
#[derive(Clone, Copy)]
pub(crate) struct TextData<'a> {
    pub claims: &'a crate::data::Claims,
    pub insts: &'a crate::data::Institutions,
    pub inst: Option<&'a crate::data::Institution>,
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(prog: &'a Program, file: &'a SourceFile, target: Target) -> Recorder<'a> {
        Recorder {
            prog,
            file,
            target,
            active: Cell::new(false),
            stack: RefCell::new(Vec::new()),
            names: RefCell::new([Vec::new(), Vec::new(), Vec::new()]),
            current: RefCell::new(None),
            block: Cell::new(None),
            local_types: RefCell::new(Vec::new()),
            done: RefCell::new(Vec::new()),
            data: None,
        }
    }

    /// A kept text, as its characters.
    fn txt(&self, t: crate::eval::value::Txt) -> String {
        match self.data {
            Some(d) => t.resolve(self.prog, d.claims, d.insts, d.inst).to_string(),
            // The policy's own texts need no data.
            None => {
                let (claims, insts) = (
                    crate::data::Claims::default(),
                    crate::data::Institutions::default(),
                );
                t.resolve(self.prog, &claims, &insts, None).to_string()
            }
        }
    }

    /// What output `o` holds now: its value, its default, or "(absent)".
    pub(super) fn val_text(&self, v: crate::eval::value::Val, o: usize) -> String {
        use crate::eval::value::{shown, Shown, Val};
        if let (Val::Text(t), None) = (v, self.data) {
            return format!("{t:?}");
        }
        let Some(d) = self.data else {
            return String::new();
        };
        match shown(v, o, self.prog, d.claims, d.insts, d.inst) {
            Some(Shown::Text(s)) => format!("\"{s}\""),
            Some(x) => x.text(),
            None => "(absent)".into(),
        }
    }

    pub(super) fn line(&self, span: Span) -> Option<usize> {
        (span.end > 0).then(|| self.file.line_col(span.start as usize).0)
    }

    /// A span's text on one line (runs of whitespace, newlines included, become one space).
    pub(super) fn text(&self, span: Span) -> String {
        crate::syntax::comments::strip(self.file.slice(span))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether block `block` for `unit` in `year` is what is explained.
    fn hits(&self, block: usize, unit: &str, year: i32) -> bool {
        let Target::Units { year: y, units } = &self.target else {
            return false;
        };
        let Some(b) = self.prog.settles.get(block) else {
            return false;
        };
        *y == year
            && units.iter().any(|(k, id)| {
                *k == b.unit && (b.unit == crate::ir::UnitKind::Region || id == unit)
            })
    }

    fn start(&self, f: &Frame) {
        self.active.set(true);
        self.stack.replace(vec![Open::default()]);
        self.current.replace(Some(Recorded {
            nodes: Vec::new(),
            accs_before: acc_fields(self.prog, f),
            accs_after: Vec::new(),
            block: None,
            ledger_after: Vec::new(),
            skipped: false,
        }));
    }

    fn finish(&self, f: &Frame) {
        if !self.active.get() {
            return;
        }
        self.active.set(false);
        let mut nodes = self
            .stack
            .take()
            .into_iter()
            .next()
            .map(|o| o.children)
            .unwrap_or_default();
        // As below the top: nothing hidden (no top-level lets) is shown.
        nodes.retain(|n| !n.hide);
        if let Some(mut r) = self.current.take() {
            r.nodes = nodes;
            r.accs_after = acc_fields(self.prog, f);
            r.ledger_after = f.ledger.clone();
            self.done.borrow_mut().push(r);
        }
    }

    fn set_name(&self, kind: usize, slot: u16, span: Span) {
        let text = self.file.slice(span);
        let name = text.split('=').next().unwrap_or("").trim().to_string();
        let mut names = self.names.borrow_mut();
        let v = &mut names[kind];
        let i = slot as usize;
        if v.len() <= i {
            v.resize(i + 1, String::new());
        }
        v[i] = name;
    }

    pub(super) fn name(&self, kind: usize, slot: u16) -> String {
        self.names.borrow()[kind]
            .get(slot as usize)
            .cloned()
            .unwrap_or_else(|| format!("local {slot}"))
    }

    fn stmt_node(
        &self,
        s: &Stmt,
        before: Option<Decimal>,
        f: &Frame,
        layer: Option<usize>,
        o: Open,
    ) -> Node {
        // A numeric statement: its value after, and the type it is written in.
        let num = |v: Option<&Decimal>, ty: Option<Ty>| v.map(|v| (*v, ty));
        let (span, value, kind) = match s {
            Stmt::SetNum(i, e, span) => {
                self.set_name(0, *i, *span);
                let ty = self.type_of(e);
                let mut types = self.local_types.borrow_mut();
                if types.len() <= *i as usize {
                    types.resize(*i as usize + 1, None);
                }
                types[*i as usize] = ty;
                (*span, num(f.nums.get(*i as usize), ty), "let")
            }
            Stmt::SetBool(i, _, span) | Stmt::SetDate(i, _, span) => {
                let date = matches!(s, Stmt::SetDate(..));
                self.set_name(if date { 2 } else { 1 }, *i, *span);
                let text = if date {
                    f.dates.get(*i as usize).map(|v| v.to_string())
                } else {
                    f.bools.get(*i as usize).map(|v| v.to_string())
                };
                let mut node = Node::new(format!("let {}", self.text(*span)), text);
                node.line = self.line(*span);
                node.kind = "let";
                node.children = o.children;
                return node;
            }
            Stmt::Pay(_, span) => (
                *span,
                num(
                    layer.and_then(|l| {
                        if l == self.prog.layers.len() {
                            Some(&f.fee)
                        } else {
                            f.layers.get(l)
                        }
                    }),
                    Some(Ty::Money),
                ),
                "pay",
            ),
            Stmt::AccAdd(i, _, span) => (
                *span,
                num(
                    f.accs.get(*i as usize),
                    self.prog.accumulators.get(*i as usize).map(|a| a.ty),
                ),
                "accumulate",
            ),
            Stmt::AccSet(i, v, span) => {
                let i = *i as usize;
                let shown = match v {
                    crate::ir::AccExpr::Num(_) => None,
                    crate::ir::AccExpr::Bool(_) => f.acc_bools.get(i).map(|b| b.to_string()),
                    crate::ir::AccExpr::Date(_) => f.acc_dates.get(i).map(|d| d.to_string()),
                    crate::ir::AccExpr::Text(_) => f.acc_texts.get(i).map(|t| format!("\"{t}\"")),
                };
                if let Some(text) = shown {
                    let mut node = Node::new(self.text(*span), Some(text));
                    node.line = self.line(*span);
                    node.kind = "accumulate";
                    node.children = o.children;
                    return node;
                }
                (
                    *span,
                    num(f.accs.get(i), self.prog.accumulators.get(i).map(|a| a.ty)),
                    "accumulate",
                )
            }
            Stmt::SetOutput(i, _, span) => (
                *span,
                num(
                    f.outputs.get(*i as usize),
                    self.prog.outputs.get(*i as usize).map(|o| o.ty),
                ),
                "output",
            ),
            Stmt::SetLedger(i, _, span) | Stmt::AddLedger(i, _, span) => (
                *span,
                num(
                    f.ledger.get(*i as usize),
                    Some(crate::report::ledger_column_type(self.prog, *i as usize)),
                ),
                "ledger",
            ),
            Stmt::SetContrib(i, _, span) => (
                *span,
                num(
                    f.contrib.get(*i as usize),
                    crate::schema::contrib::AMOUNTS
                        .get(*i as usize)
                        .map(|a| a.2),
                ),
                "contribution",
            ),
            Stmt::SetBand(_, span) => {
                let v = f.band.map(|t| format!("\"{}\"", self.txt(t)));
                let mut node = Node::new(self.text(*span), v);
                node.line = self.line(*span);
                node.kind = "contribution";
                node.children = o.children;
                return node;
            }
            Stmt::SetRegion(_, _, span) => {
                let mut n = Node::new(self.text(*span), None);
                n.hide = true;
                return n;
            }
            Stmt::SetText(i, _, span) => {
                let v = f
                    .texts
                    .get(*i as usize)
                    .map(|t| format!("\"{}\"", self.txt(*t)));
                let mut node = Node::new(format!("let {}", self.text(*span)), v);
                node.line = self.line(*span);
                node.kind = "let";
                node.children = o.children;
                return node;
            }
            Stmt::SetOutputVal(i, _, span) => {
                let v = f
                    .vals
                    .get(*i as usize)
                    .map(|v| self.val_text(*v, *i as usize));
                let mut node = Node::new(self.text(*span), v);
                node.line = self.line(*span);
                node.kind = "output";
                node.children = o.children;
                return node;
            }
            Stmt::SetLedgerVal(i, _, span) => {
                let v = f.ledger.get(*i as usize).and_then(|d| {
                    crate::eval::ledger::typed::show_text(self.prog, *i as usize, *d)
                });
                let mut node = Node::new(self.text(*span), v);
                node.line = self.line(*span);
                node.kind = "ledger";
                node.children = o.children;
                return node;
            }
        };
        let text = self.text(span);
        let what = if kind == "let" {
            format!("let {text}")
        } else {
            text
        };
        let mut node = match value {
            Some((v, ty)) => Node::number(what, ty, v),
            None => Node::new(what, None),
        };
        node.line = self.line(span);
        node.kind = kind;
        node.children = o.children;
        if let (Some(b), Some((a, ty))) = (before, value) {
            if matches!(s, Stmt::AccAdd(..) | Stmt::AddLedger(..)) {
                node.note = Some(format!("before {}, after {}", show(ty, b), show(ty, a)));
            } else if matches!(s, Stmt::SetLedger(..)) && !b.is_zero() {
                node.note = Some(format!("was {}", show(ty, b)));
            }
        }
        node
    }
}

impl Tracer for Recorder<'_> {
    const ON: bool = true;

    fn open(&self) {
        if self.active.get() {
            self.stack.borrow_mut().push(Open::default());
        }
    }

    fn close(&self, ev: Ev<'_>) {
        if !self.active.get() {
            return;
        }
        let Some(mut o) = self.stack.borrow_mut().pop() else {
            return;
        };
        let mut node = match ev {
            Ev::Num(n, v) => self.num_node(n, v, o),
            Ev::Bool(b, v, d) => self.bool_node(b, v, d, o),
            Ev::Previous { slot, value, line } => {
                let mut n = Node::new(self.previous_what(slot), Some(value));
                n.note = self.previous_note(o.prev);
                n.line = self.line(line);
                n.kind = "data";
                n
            }
            Ev::Stmt {
                stmt,
                before,
                frame,
                layer,
            } => self.stmt_node(stmt, before, frame, layer, o),
            Ev::Rule {
                layer,
                rule,
                outcome,
            } => {
                let r = self.prog.payer(layer).and_then(|l| l.rules.get(rule));
                let mut n = Node::new(
                    format!("rule {}", r.map_or("?", |r| r.name.as_str())),
                    Some(
                        match outcome {
                            RuleOutcome::NotInForce => "not in force on this date",
                            RuleOutcome::NotMet => "condition not met",
                            RuleOutcome::Applied => "applied",
                        }
                        .into(),
                    ),
                );
                n.kind = "rule";
                n.rule = Some((layer, rule));
                n.line = r.and_then(|r| self.line(r.span));
                n.note = r.and_then(|r| versions_note(r.period, r.cite.as_deref()));
                n.children = std::mem::take(&mut o.children);
                n
            }
            Ev::Layer { layer, paid, left } => {
                let is_fee = layer == self.prog.layers.len();
                let kw = if is_fee { "fee" } else { "layer" };
                let l = self.prog.payer(layer);
                let left = show(Some(Ty::Money), left);
                let mut n = Node::number(
                    match l {
                        Some(l) => match &l.source {
                            Some(s) => format!("{kw} {} \"{s}\"", l.name),
                            None => format!("{kw} {}", l.name),
                        },
                        None => kw.into(),
                    },
                    Some(Ty::Money),
                    paid,
                );
                n.kind = if is_fee { "fee" } else { "layer" };
                n.note = Some(if is_fee {
                    format!("the case is paid at this fee (its cost is {left}); the layers share it, the institution bears the cost − the fee")
                } else {
                    format!("the claim had {left} left to pay")
                });
                if l.is_some_and(|l| l.rules.is_empty()) {
                    n.note = Some("no rules".into());
                }
                n.children = std::mem::take(&mut o.children);
                if !n
                    .children
                    .iter()
                    .any(|c| c.value.as_ref().is_some_and(|v| v.text() == "applied"))
                {
                    n.note = Some(if is_fee {
                        format!("no rule applied: no fee, the claim is paid as billed ({left})")
                    } else {
                        format!("no rule applied; the claim had {left} left to pay")
                    });
                }
                n
            }
            Ev::OutputDefs => {
                let mut n = Node::new("outputs computed after the layers".into(), None);
                n.kind = "outputs";
                n.children = std::mem::take(&mut o.children);
                n
            }
            Ev::Lets => {
                let mut n = Node::new("top-level lets".into(), None);
                n.kind = "lets";
                n.children = std::mem::take(&mut o.children);
                if n.children.is_empty() {
                    n.hide = true;
                }
                n
            }
        };
        // Constants are shown in their parent's label, not as lines of their own.
        node.children.retain(|c| !c.hide);
        if let Some(parent) = self.stack.borrow_mut().last_mut() {
            parent.children.push(node);
        }
    }

    fn slot(&self, slot: usize) {
        if self.active.get() {
            if let Some(top) = self.stack.borrow_mut().last_mut() {
                top.slot = Some(slot);
            }
        }
    }

    fn cell(&self, _table: usize, row: Option<u16>, keys: Vec<String>) {
        if self.active.get() {
            if let Some(top) = self.stack.borrow_mut().last_mut() {
                top.cell = Some((row, keys));
            }
        }
    }

    fn previous(&self, claim: Option<usize>) {
        if self.active.get() {
            if let Some(top) = self.stack.borrow_mut().last_mut() {
                top.prev = Some(claim);
            }
        }
    }

    fn dates(&self, dates: &[crate::date::Date]) {
        if self.active.get() {
            if let Some(top) = self.stack.borrow_mut().last_mut() {
                top.dates = dates.to_vec();
            }
        }
    }

    fn begin_claim(&self, i: usize, f: &Frame) {
        if matches!(self.target, Target::Claim(k) if k == i) {
            self.start(f);
        }
    }

    fn end_claim(&self, _i: usize, f: &Frame) {
        self.finish(f);
    }

    fn begin_block(&self, block: usize, unit: &str, year: i32, month: u32, f: &Frame) {
        if self.hits(block, unit, year) {
            self.start(f);
            self.block.set(Some(block));
            if let Some(r) = self.current.borrow_mut().as_mut() {
                r.block = Some((block, unit.to_string(), year, month));
            }
        }
    }

    fn end_block(&self, f: &Frame) {
        self.finish(f);
        self.block.set(None);
    }

    fn begin_contribute(&self, block: usize, person: &str, month: Option<&str>, f: &Frame) {
        if matches!(&self.target, Target::Person { id, month: m } if id == person && m.as_deref() == month)
        {
            self.start(f);
            if let Some(r) = self.current.borrow_mut().as_mut() {
                r.block = Some((block, person.to_string(), 0, 0));
            }
        }
    }

    fn end_contribute(&self, f: &Frame) {
        self.finish(f);
    }

    fn skipped_block(&self, block: usize, unit: &str, year: i32, month: u32) {
        if self.hits(block, unit, year) {
            self.done.borrow_mut().push(Recorded {
                nodes: Vec::new(),
                accs_before: Vec::new(),
                accs_after: Vec::new(),
                block: Some((block, unit.to_string(), year, month)),
                ledger_after: Vec::new(),
                skipped: true,
            });
        }
    }
}

/// Every accumulator's value now, as shown: numbers by their type, texts,
/// dates and conditions as text.
pub(super) fn acc_fields(p: &Program, f: &Frame) -> Vec<crate::report::Field> {
    use crate::report::Field;
    p.accumulators
        .iter()
        .enumerate()
        .map(|(i, a)| match a.ty {
            Ty::Bool => Field::Text(f.acc_bools[i].to_string()),
            Ty::Date => Field::Text(f.acc_dates[i].to_string()),
            Ty::Text => Field::Text(f.acc_texts[i].clone()),
            t => Field::of(t, f.accs[i]),
        })
        .collect()
}
