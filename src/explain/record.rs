//! The recorder: a [`Tracer`] that turns the interpreter's events into a
//! tree of [`Node`]s, each saying what was computed, its value, and the
//! policy line it comes from.

use super::Node;
use crate::check::types::Ty;
use crate::eval::interp::{enum_field, Frame};
use crate::eval::trace::{Ev, RuleOutcome, Tracer};
use crate::ir::{Bool, EnumX, Num, Program, ScheduleKind, Stmt};
use crate::schema::{self, EnumKind};
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{BinOp, RoundMode};
use rust_decimal::Decimal;
use std::cell::{Cell, RefCell};

/// What to record.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// One claim, by its index in settlement order.
    Claim(usize),
    /// The blocks run for these units (`(kind, id)`) in one year.
    Units {
        year: i32,
        units: Vec<(crate::ir::UnitKind, String)>,
    },
}

/// A node being built: its children so far, and what the interpreter said
/// about it before it closed.
#[derive(Default)]
struct Open {
    children: Vec<Node>,
    slot: Option<usize>,
    cell: Option<(Option<u16>, Vec<String>)>,
}

/// One recorded claim or block run.
pub(crate) struct Recorded {
    pub nodes: Vec<Node>,
    pub accs_before: Vec<Decimal>,
    pub accs_after: Vec<Decimal>,
    /// For blocks: the block, unit id, year, month, and the ledger row after.
    pub block: Option<(usize, String, i32, u32)>,
    pub ledger_after: Vec<Decimal>,
}

pub(crate) struct Recorder<'a> {
    prog: &'a Program,
    file: &'a SourceFile,
    target: Target,
    active: Cell<bool>,
    stack: RefCell<Vec<Open>>,
    /// The name last given to each local slot, by kind (num, bool, date).
    names: RefCell<[Vec<String>; 3]>,
    current: RefCell<Option<Recorded>>,
    /// The block running now, for naming its aggregates.
    block: Cell<Option<usize>>,
    pub(crate) done: RefCell<Vec<Recorded>>,
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
            done: RefCell::new(Vec::new()),
        }
    }

    fn line(&self, span: Span) -> Option<usize> {
        (span.end > 0).then(|| self.file.line_col(span.start as usize).0)
    }

    /// A span's text on one line (runs of whitespace, newlines included, become one space).
    fn text(&self, span: Span) -> String {
        crate::syntax::comments::strip(self.file.slice(span))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn start(&self, f: &Frame) {
        self.active.set(true);
        self.stack.replace(vec![Open::default()]);
        self.current.replace(Some(Recorded {
            nodes: Vec::new(),
            accs_before: f.accs.clone(),
            accs_after: Vec::new(),
            block: None,
            ledger_after: Vec::new(),
        }));
    }

    fn finish(&self, f: &Frame) {
        if !self.active.get() {
            return;
        }
        self.active.set(false);
        let nodes = self
            .stack
            .take()
            .into_iter()
            .next()
            .map(|o| o.children)
            .unwrap_or_default();
        if let Some(mut r) = self.current.take() {
            r.nodes = nodes;
            r.accs_after = f.accs.clone();
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

    fn name(&self, kind: usize, slot: u16) -> String {
        self.names.borrow()[kind]
            .get(slot as usize)
            .cloned()
            .unwrap_or_else(|| format!("local {slot}"))
    }

    fn num_node(&self, n: &Num, v: Decimal, o: Open) -> Node {
        let p = self.prog;
        let vals: Vec<String> = o
            .children
            .iter()
            .map(|c| c.value.clone().unwrap_or_default())
            .collect();
        let val = |i: usize| vals.get(i).cloned().unwrap_or_default();
        let mut node = Node::new(String::new(), Some(v.to_string()));
        node.children = o.children;
        match n {
            Num::Const(_) => {
                node.what = v.to_string();
                node.hide = true;
            }
            Num::Param(_) => {
                if let Some(par) = o.slot.and_then(|s| p.params.get(s)) {
                    node.what = par.name.clone();
                    node.value = Some(crate::compare::rules::value(par.ty, v));
                    node.line = self.line(par.span);
                    node.note = versions_note(par.in_force, par.cite.as_deref());
                    node.kind = "param";
                }
            }
            Num::Claim(fld) => {
                node.what = format!("claim.{}", claim_field_name(*fld));
                node.kind = "data";
            }
            Num::Inst(fld) => {
                node.what = format!(
                    "institution.{}",
                    schema::INST_FIELDS
                        .iter()
                        .find(|x| x.1 == *fld)
                        .map_or("?", |x| x.0)
                );
                node.kind = "data";
            }
            Num::ClaimExtra(i) => {
                node.what = extra_name("claim", &p.claim_extras, *i);
                node.kind = "data";
            }
            Num::InstExtra(i) => {
                node.what = extra_name("institution", &p.inst_extras, *i);
                node.kind = "data";
            }
            Num::Local(i) => node.what = self.name(0, *i),
            Num::Acc(i) => {
                node.what = p
                    .accumulators
                    .get(*i as usize)
                    .map_or("?".into(), |a| a.name.clone());
                node.note = Some("accumulator".into());
                node.kind = "accumulator";
            }
            Num::Layer(i) => {
                node.what = p
                    .layers
                    .get(*i as usize)
                    .map_or("?".into(), |l| l.name.clone());
                node.note = Some("paid by the layer on this claim".into());
            }
            Num::Output(i) => {
                node.what = p
                    .outputs
                    .get(*i as usize)
                    .map_or("?".into(), |x| x.name.clone())
            }
            Num::Remaining => node.what = "what the claim has left to pay".into(),
            Num::Bin(op, _, _) => {
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "−",
                    BinOp::Mul => "×",
                    BinOp::Div => "÷",
                };
                node.what = format!("{} {sym} {}", val(0), val(1));
                node.kind = "arithmetic";
            }
            Num::Neg(_) => node.what = format!("−{}", val(0)),
            Num::Min(_) => node.what = format!("min({})", vals.join(", ")),
            Num::Max(_) => node.what = format!("max({})", vals.join(", ")),
            Num::Clamp(..) => node.what = format!("clamp({})", vals.join(", ")),
            Num::If(_) => {
                let branch = if val(0) == "true" { "then" } else { "else" };
                node.what = format!("if … {branch}");
            }
            Num::Round(_, r, _) => {
                node.what = format!("round {} to {}", val(0), r.step.normalize());
                node.note = Some(
                    match r.mode {
                        RoundMode::HalfUp => "四舍五入 (half away from zero)",
                        RoundMode::HalfEven => "half_even (to the even neighbour)",
                        RoundMode::Down => "down (toward zero)",
                        RoundMode::Up => "up (away from zero)",
                    }
                    .into(),
                );
                node.kind = "round";
            }
            Num::Lookup(..) => {
                if let Some(t) = o.slot.and_then(|s| p.tables.get(s)) {
                    let (row, keys) = o.cell.clone().unwrap_or((None, Vec::new()));
                    node.what = format!("{}[{}]", t.name, keys.join(", "));
                    node.value = Some(crate::compare::rules::value(t.ty, v));
                    let row_span = row.and_then(|r| t.row_spans.get(r as usize).copied());
                    node.line = row_span.and_then(|s| self.line(s)).or(self.line(t.span));
                    let is_else = row.is_some() && row == t.default_row;
                    let mut note = versions_note(t.in_force, t.cite.as_deref()).unwrap_or_default();
                    if is_else {
                        note = join_note("the `else` row", &note);
                    }
                    node.note = (!note.is_empty()).then_some(note);
                    node.kind = "table";
                    // Numeric keys were evaluated as children; the keys are shown in the label.
                    node.children.clear();
                }
            }
            Num::Schedule(..) | Num::Rate(..) => {
                if let Some(s) = o.slot.and_then(|s| p.schedules.get(s)) {
                    let x: Decimal = val(0).parse().unwrap_or_default();
                    let rate = matches!(n, Num::Rate(..));
                    node.what = if rate {
                        format!("rate({}, {})", s.name, val(0))
                    } else {
                        format!("{}({})", s.name, val(0))
                    };
                    node.line = self.line(s.span);
                    node.note = versions_note(s.in_force, s.cite.as_deref());
                    node.kind = "schedule";
                    node.children.extend(self.segments(
                        s,
                        x,
                        rate || s.kind == ScheduleKind::Whole,
                    ));
                }
            }
            Num::DateDiff(_) => node.what = "days between".into(),
            Num::Ledger(i) => node.what = ledger_column(p, *i),
            Num::Agg(i) => {
                let agg = self
                    .block
                    .get()
                    .and_then(|b| p.settles.get(b))
                    .and_then(|b| b.aggregates.get(*i as usize));
                node.what = agg.map_or("aggregate".into(), |a| self.text(a.span));
                node.note = Some(
                    match agg.map(|a| a.over) {
                        Some(crate::ir::AggOver::Institutions) => "over the unit's institutions",
                        _ => "over the unit's claims in the period",
                    }
                    .into(),
                );
                node.kind = "aggregate";
            }
            Num::Region(i) => {
                node.what = p
                    .region_values
                    .get(*i as usize)
                    .cloned()
                    .unwrap_or_default()
            }
            Num::Prior(col, _) => {
                node.what = format!("prior({})", ledger_column(p, *col));
                node.note = Some("the unit's previous year".into());
            }
            Num::Score(_) => {
                node.what = "assessment.score".into();
                node.kind = "data";
            }
        }
        node
    }

    /// The segments a schedule used on `x`: for marginal schedules every
    /// segment the amount reaches, with its part; for whole ones (and `rate`) the band.
    fn segments(&self, s: &crate::ir::Schedule, x: Decimal, band: bool) -> Vec<Node> {
        let mut out = Vec::new();
        for (i, &(from, to, rate)) in s.segments.iter().enumerate() {
            let line = s.segment_spans.get(i).and_then(|sp| self.line(*sp));
            let range = format!(
                "{} .. {}",
                crate::compare::rules::value(s.input, from),
                to.map_or(String::new(), |t| crate::compare::rules::value(s.input, t))
            );
            let rate_s = crate::compare::rules::value(Ty::Ratio, rate);
            if band {
                if x >= from && to.is_none_or(|t| x < t) {
                    let mut n = Node::new(format!("segment {range}: {rate_s}"), None);
                    n.note = Some(format!("{x} falls in this band"));
                    n.line = line;
                    n.kind = "segment";
                    n.segment = Some(i);
                    out.push(n);
                }
                continue;
            }
            if x <= from {
                break;
            }
            let top = to.map_or(x, |t| x.min(t));
            let part = top - from;
            let amount = part.checked_mul(rate).unwrap_or_default();
            let mut n = Node::new(
                format!("segment {range}: {part} × {rate_s}"),
                Some(amount.to_string()),
            );
            n.line = line;
            n.kind = "segment";
            n.segment = Some(i);
            out.push(n);
        }
        if out.is_empty() {
            out.push(Node::new(format!("{x} is below every segment"), None));
        }
        out
    }

    fn bool_node(&self, b: &Bool, v: bool, detail: Option<String>, o: Open) -> Node {
        let vals: Vec<String> = o
            .children
            .iter()
            .map(|c| c.value.clone().unwrap_or_default())
            .collect();
        let val = |i: usize| vals.get(i).cloned().unwrap_or_default();
        let mut node = Node::new(String::new(), Some(v.to_string()));
        node.children = o.children;
        node.note = detail;
        node.kind = "condition";
        node.what = match b {
            Bool::Const(_) => {
                node.hide = true;
                v.to_string()
            }
            Bool::Retired => "claim.retired".into(),
            Bool::ClaimExtra(i) => extra_name("claim", &self.prog.claim_extras, *i),
            Bool::InstExtra(i) => extra_name("institution", &self.prog.inst_extras, *i),
            Bool::Param(_) => o
                .slot
                .and_then(|s| self.prog.params.get(s))
                .map_or("parameter".into(), |p| p.name.clone()),
            Bool::Local(i) => self.name(1, *i),
            Bool::Not(_) => "not".into(),
            Bool::And(_) => "and".into(),
            Bool::Or(_) => "or".into(),
            Bool::CmpNum(op, _) => format!("{} {} {}", val(0), op.symbol(), val(1)),
            Bool::CmpDate(op, _) => format!("date {} date", op.symbol()),
            Bool::CmpEnum(op, e, c) => {
                format!("{} {} {}", enum_field(*e), op.symbol(), enum_value(*e, *c))
            }
            Bool::EnumIn(e, mask) => {
                let names: Vec<String> = (0..32u8)
                    .filter(|i| mask & (1u32 << i) != 0)
                    .map(|i| enum_value(*e, i))
                    .collect();
                format!("{} in [{}]", enum_field(*e), names.join(", "))
            }
            Bool::TextEq(_, s) => format!("== \"{s}\""),
            Bool::TextIn(_, list) => format!("in [{}]", list.join(", ")),
            Bool::BoolEq(_) => format!("{} == {}", val(0), val(1)),
        };
        node
    }

    fn stmt_node(
        &self,
        s: &Stmt,
        before: Option<Decimal>,
        f: &Frame,
        layer: Option<usize>,
        o: Open,
    ) -> Node {
        let (span, value, kind) = match s {
            Stmt::SetNum(i, _, span) => {
                self.set_name(0, *i, *span);
                (*span, f.nums.get(*i as usize).map(|v| v.to_string()), "let")
            }
            Stmt::SetBool(i, _, span) => {
                self.set_name(1, *i, *span);
                (
                    *span,
                    f.bools.get(*i as usize).map(|v| v.to_string()),
                    "let",
                )
            }
            Stmt::SetDate(i, _, span) => {
                self.set_name(2, *i, *span);
                (
                    *span,
                    f.dates.get(*i as usize).map(|v| v.to_string()),
                    "let",
                )
            }
            Stmt::Pay(_, span) => (
                *span,
                layer.and_then(|l| f.layers.get(l)).map(|v| v.to_string()),
                "pay",
            ),
            Stmt::AccAdd(i, _, span) => (
                *span,
                f.accs.get(*i as usize).map(|v| v.to_string()),
                "accumulate",
            ),
            Stmt::SetOutput(i, _, span) => (
                *span,
                f.outputs.get(*i as usize).map(|v| v.to_string()),
                "output",
            ),
            Stmt::SetLedger(i, _, span) | Stmt::AddLedger(i, _, span) => (
                *span,
                f.ledger.get(*i as usize).map(|v| v.to_string()),
                "ledger",
            ),
            Stmt::SetRegion(_, _, span) => {
                let mut n = Node::new(self.text(*span), None);
                n.hide = true;
                return n;
            }
        };
        let text = self.text(span);
        let what = if kind == "let" {
            format!("let {text}")
        } else {
            text
        };
        let mut node = Node::new(what, value.clone());
        node.line = self.line(span);
        node.kind = kind;
        node.children = o.children;
        if let (Some(b), Some(a)) = (before, value) {
            if matches!(s, Stmt::AccAdd(..) | Stmt::AddLedger(..)) {
                node.note = Some(format!("before {b}, after {a}"));
            } else if matches!(s, Stmt::SetLedger(..)) && !b.is_zero() {
                node.note = Some(format!("was {b}"));
            }
        }
        node
    }
}

fn join_note(a: &str, b: &str) -> String {
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}; {b}")
    }
}

/// "in force 2002-01-01 to 2002-12-31; 第十条" for dated or cited declarations.
fn versions_note(p: Option<crate::ir::Period>, cite: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p) = p {
        parts.push(match p.until {
            Some(u) => format!("version in force {} to {u}", p.from),
            None => format!("version in force from {}", p.from),
        });
    }
    if let Some(c) = cite {
        parts.push(c.to_string());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn enum_value(e: EnumX, code: u8) -> String {
    let kind = match e {
        EnumX::InsuredType => EnumKind::InsuredType,
        EnumX::VisitType => EnumKind::VisitType,
        EnumX::Level => EnumKind::Level,
        EnumX::Grade => EnumKind::Grade,
        EnumX::Const(_) => return code.to_string(),
    };
    kind.name_of(code).to_string()
}

/// `claim.ward`: an extra column as written in the policy.
fn extra_name(object: &str, extras: &[crate::ir::ExtraField], i: u16) -> String {
    let name = extras.get(i as usize).map_or("?", |x| x.name.as_str());
    format!("{object}.{name}")
}

pub(crate) fn claim_field_name(f: schema::ClaimField) -> &'static str {
    schema::CLAIM_FIELDS
        .iter()
        .find(|x| x.1 == f)
        .map_or("?", |x| x.0)
}

pub(crate) fn ledger_column(p: &Program, i: u16) -> String {
    let cols = schema::ledger::COLUMNS;
    match cols.get(i as usize) {
        Some(c) => c.0.to_string(),
        None => p
            .ledger_extras
            .get(i as usize - cols.len())
            .map_or("?".into(), |o| o.name.clone()),
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
                let r = self.prog.layers.get(layer).and_then(|l| l.rules.get(rule));
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
                let l = self.prog.layers.get(layer);
                let mut n = Node::new(
                    match l {
                        Some(l) => match &l.source {
                            Some(s) => format!("layer {} \"{s}\"", l.name),
                            None => format!("layer {}", l.name),
                        },
                        None => "layer".into(),
                    },
                    Some(paid.to_string()),
                );
                n.kind = "layer";
                n.note = Some(format!("the claim had {left} left to pay"));
                if l.is_some_and(|l| l.rules.is_empty()) {
                    n.note = Some("no rules".into());
                }
                n.children = std::mem::take(&mut o.children);
                if !n
                    .children
                    .iter()
                    .any(|c| c.value.as_deref() == Some("applied"))
                {
                    n.note = Some(format!("no rule applied; the claim had {left} left to pay"));
                }
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

    fn begin_claim(&self, i: usize, f: &Frame) {
        if matches!(self.target, Target::Claim(k) if k == i) {
            self.start(f);
        }
    }

    fn end_claim(&self, _i: usize, f: &Frame) {
        self.finish(f);
    }

    fn begin_block(&self, block: usize, unit: &str, year: i32, month: u32, f: &Frame) {
        let Target::Units { year: y, units } = &self.target else {
            return;
        };
        let Some(b) = self.prog.settles.get(block) else {
            return;
        };
        let hit = *y == year
            && units.iter().any(|(k, id)| {
                *k == b.unit && (b.unit == crate::ir::UnitKind::Region || id == unit)
            });
        if hit {
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
}
