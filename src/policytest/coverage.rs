//! Rule coverage: which rules, settle blocks, table rows and schedule
//! segments a policy's tests used, watched by a `Tracer` while the tests'
//! claims and ledgers are settled.

use crate::eval::interp::Frame;
use crate::eval::trace::{Ev, RuleOutcome, Tracer};
use crate::ir::{Program, ScheduleKind};
use crate::source::SourceFile;
use rust_decimal::Decimal;
use std::cell::RefCell;

/// What was used, by slot.
#[derive(Debug, Clone)]
pub struct Used {
    /// `[layer][rule]`
    pub rules: Vec<Vec<bool>>,
    pub blocks: Vec<bool>,
    /// Contribute blocks, by index in `Program::contributes`.
    pub contributes: Vec<bool>,
    /// Agreement blocks, by index in `Program::agreements`: used when one
    /// governed a suspension or termination.
    pub agreements: Vec<bool>,
    /// `[table][written row]`
    pub rows: Vec<Vec<bool>>,
    /// `[schedule][segment]`
    pub segments: Vec<Vec<bool>>,
}

impl Used {
    pub fn new(p: &Program) -> Used {
        Used {
            rules: p.payers().map(|l| vec![false; l.rules.len()]).collect(),
            blocks: vec![false; p.settles.len()],
            contributes: vec![false; p.contributes.len()],
            agreements: vec![false; p.agreements.len()],
            rows: p
                .tables
                .iter()
                .map(|t| vec![false; t.row_spans.len()])
                .collect(),
            segments: p
                .schedules
                .iter()
                .map(|s| vec![false; s.segments.len()])
                .collect(),
        }
    }

    pub fn merge(&mut self, o: &Used) {
        let or = |a: &mut Vec<bool>, b: &Vec<bool>| a.iter_mut().zip(b).for_each(|(x, y)| *x |= *y);
        self.rules
            .iter_mut()
            .zip(&o.rules)
            .for_each(|(a, b)| or(a, b));
        or(&mut self.blocks, &o.blocks);
        or(&mut self.contributes, &o.contributes);
        or(&mut self.agreements, &o.agreements);
        self.rows
            .iter_mut()
            .zip(&o.rows)
            .for_each(|(a, b)| or(a, b));
        self.segments
            .iter_mut()
            .zip(&o.segments)
            .for_each(|(a, b)| or(a, b));
    }
}

/// The tracer that fills a [`Used`].
pub(crate) struct Coverage<'a> {
    prog: &'a Program,
    pub(crate) used: RefCell<Used>,
}

impl<'a> Coverage<'a> {
    pub(crate) fn new(prog: &'a Program) -> Coverage<'a> {
        Coverage {
            prog,
            used: RefCell::new(Used::new(prog)),
        }
    }
}

impl Tracer for Coverage<'_> {
    const ON: bool = true;

    fn close(&self, ev: Ev<'_>) {
        if let Ev::Rule {
            layer,
            rule,
            outcome: RuleOutcome::Applied,
        } = ev
        {
            if let Some(r) = self
                .used
                .borrow_mut()
                .rules
                .get_mut(layer)
                .and_then(|l| l.get_mut(rule))
            {
                *r = true;
            }
        }
    }

    fn cell(&self, table: usize, row: Option<u16>, _keys: Vec<String>) {
        if let Some(r) = row {
            if let Some(x) = self
                .used
                .borrow_mut()
                .rows
                .get_mut(table)
                .and_then(|t| t.get_mut(r as usize))
            {
                *x = true;
            }
        }
    }

    fn schedule(&self, slot: usize, x: Decimal, rate: bool) {
        let Some(s) = self.prog.schedules.get(slot) else {
            return;
        };
        let mut used = self.used.borrow_mut();
        let Some(marks) = used.segments.get_mut(slot) else {
            return;
        };
        let band = rate || s.kind == ScheduleKind::Whole;
        for (i, &(from, to, _)) in s.segments.iter().enumerate() {
            let hit = if band {
                x >= from && to.is_none_or(|t| x < t)
            } else {
                // A marginal segment is used when part of the amount lies in it.
                x > from
            };
            if hit {
                marks[i] = true;
            }
        }
    }

    fn begin_contribute(&self, block: usize, _person: &str, _month: Option<&str>, _f: &Frame) {
        if let Some(b) = self.used.borrow_mut().contributes.get_mut(block) {
            *b = true;
        }
    }

    fn begin_block(&self, block: usize, _unit: &str, _year: i32, _month: u32, _f: &Frame) {
        if let Some(b) = self.used.borrow_mut().blocks.get_mut(block) {
            *b = true;
        }
    }
}

/// One thing a policy has that tests can exercise.
#[derive(Debug, Clone)]
pub struct Item {
    pub what: String,
    pub line: usize,
    pub used: bool,
}

/// Every coverable item of the policy, in file order, with whether it was used.
pub fn items(p: &Program, file: &SourceFile, used: &Used) -> Vec<Item> {
    let line = |s: crate::source::Span| file.line_col(s.start as usize).0;
    let mut out = Vec::new();
    for (li, l) in p.payers().enumerate() {
        let kind = if li == p.layers.len() {
            "fee rule"
        } else {
            "rule"
        };
        for (ri, r) in l.rules.iter().enumerate() {
            out.push(Item {
                what: format!("{kind} {}/{}", l.name, r.name),
                line: line(r.span),
                used: used
                    .rules
                    .get(li)
                    .and_then(|x| x.get(ri))
                    .copied()
                    .unwrap_or(false),
            });
        }
    }
    for (b, s) in p.settles.iter().enumerate() {
        out.push(Item {
            what: format!("settle block {}", s.name),
            line: line(s.span),
            used: used.blocks.get(b).copied().unwrap_or(false),
        });
    }
    for (b, c) in p.contributes.iter().enumerate() {
        out.push(Item {
            what: format!("contribute block {}", c.name),
            line: line(c.span),
            used: used.contributes.get(b).copied().unwrap_or(false),
        });
    }
    for (b, a) in p.agreements.iter().enumerate() {
        out.push(Item {
            what: format!("agreement block {}", a.name),
            line: line(a.span),
            used: used.agreements.get(b).copied().unwrap_or(false),
        });
    }
    for (ti, t) in p.tables.iter().enumerate() {
        for (ri, sp) in t.row_spans.iter().enumerate() {
            out.push(Item {
                what: format!(
                    "table {} row {}",
                    t.name,
                    crate::syntax::comments::strip(file.slice(*sp))
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                line: line(*sp),
                used: used
                    .rows
                    .get(ti)
                    .and_then(|x| x.get(ri))
                    .copied()
                    .unwrap_or(false),
            });
        }
    }
    for (si, s) in p.schedules.iter().enumerate() {
        for (gi, sp) in s.segment_spans.iter().enumerate() {
            let kind = if s.kind == ScheduleKind::Whole {
                "band"
            } else {
                "segment"
            };
            out.push(Item {
                what: format!(
                    "schedule {} {kind} {}",
                    s.name,
                    file.slice(*sp)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                line: line(*sp),
                used: used
                    .segments
                    .get(si)
                    .and_then(|x| x.get(gi))
                    .copied()
                    .unwrap_or(false),
            });
        }
    }
    out.sort_by_key(|i| i.line);
    out
}
