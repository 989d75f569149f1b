//! The order settle statements run in.
//!
//! A ledger amount read in a settle block is its final value for the unit
//! and period: what every statement that sets it gives it, in whatever block
//! and wherever in the file. So statements run in dependency order, not file
//! order: each after the statements that set what it reads (the ledger
//! amounts, with `clearing_balance` and `reserve_closing` after everything
//! they are computed from; `reserve_opening` is known before any runs;
//! and the block's `let`s), and statements that set the same amount in file
//! order among themselves. Where nothing forces an order, file order is kept.
//! Only a genuine cycle — two amounts each computed from the other, or an
//! amount read in its own computation — is an error, at the read.
//!
//! Also checked here, since it needs every block: a declared ledger amount
//! read but never set (a standard one reads as 0), and a year block setting
//! an amount that month blocks in force in the same year pay month by month.

use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::ir::{Period, PeriodKind, SettleGroup, Slot, UnitKind};
use crate::schema::ledger::{self as L, COLUMNS};
use crate::source::Span;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What a statement waits for: another statement, and the read that needs
/// it (`None`: a `let` it uses, or an earlier setting of the same amount).
type Dep = (usize, Option<(u16, Span)>);

/// One statement of a group.
struct Node {
    block: u16,
    stmt: u16,
    writes: Option<u16>,
    sets: Option<Slot>,
    reads: Vec<(u16, Span)>,
    slots: Vec<Slot>,
}

impl Checker {
    /// Pass 5: every group's statement order, and the checks that need all blocks.
    pub(super) fn settle_order(&mut self) {
        let mut groups = Vec::new();
        for unit in [
            UnitKind::Region,
            UnitKind::Alliance,
            UnitKind::Institution,
            UnitKind::Patient,
        ] {
            for period in [PeriodKind::Month, PeriodKind::Year] {
                if let Some(g) = self.group(unit, period) {
                    groups.push(g);
                }
            }
        }
        self.never_set(&groups);
        self.monthly_cash_in_year_blocks();
        self.patient_amounts();
        self.prog.settle_order = groups;
    }

    fn group(&mut self, unit: UnitKind, period: PeriodKind) -> Option<SettleGroup> {
        let mut nodes = Vec::new();
        for (b, block) in self.prog.settles.iter().enumerate() {
            if block.unit != unit || block.period != period {
                continue;
            }
            for (s, st) in block.body.iter().enumerate() {
                let mut slots = Vec::new();
                st.slots_read(&mut slots);
                nodes.push(Node {
                    block: super::slot(b),
                    stmt: super::slot(s),
                    writes: st.ledger_write(),
                    sets: st.sets(),
                    reads: block.reads.get(s).cloned().unwrap_or_default(),
                    slots,
                });
            }
        }
        if nodes.is_empty() {
            return None;
        }
        // deps[j]: the statements j runs after, with the read that needs it.
        let n = nodes.len();
        let mut deps: Vec<Vec<Dep>> = vec![Vec::new(); n];
        for (j, node) in nodes.iter().enumerate() {
            for &(col, span) in &node.reads {
                let from: &[u16] = match L::computed_from(col) {
                    Some(inputs) => inputs,
                    None => std::slice::from_ref(&col),
                };
                for (i, other) in nodes.iter().enumerate() {
                    if other.writes.is_some_and(|w| from.contains(&w)) {
                        deps[j].push((i, Some((col, span))));
                    }
                }
            }
            for slot in &node.slots {
                if let Some(i) = nodes.iter().position(|o| o.sets == Some(*slot)) {
                    deps[j].push((i, None));
                }
            }
            if let Some(w) = node.writes {
                for (i, other) in nodes.iter().enumerate().take(j) {
                    if other.writes == Some(w) {
                        deps[j].push((i, None));
                    }
                }
            }
        }
        // Self-reads: an amount read in its own computation.
        let mut broken = false;
        for (j, d) in deps.iter().enumerate() {
            if let Some((col, span)) = d
                .iter()
                .find(|(i, r)| *i == j && r.is_some())
                .and_then(|x| x.1)
            {
                let name = self.ledger_name(col);
                let written = nodes[j]
                    .writes
                    .map(|w| self.ledger_name(w))
                    .unwrap_or_default();
                let help = if col == L::CLEARING_BALANCE {
                    format!("`clearing_balance` is computed from withhold_returned, retained, institution_share, deductions and prepaid, so it cannot be part of `{written}`")
                } else if col == L::RESERVE_CLOSING {
                    format!("`reserve_closing` is computed from reserve_opening, reserve and reserve_used, so it cannot be part of `{written}`; read `reserve_opening` (the reserve carried in) instead")
                } else if col == nodes[j].writes.unwrap_or(u16::MAX) {
                    format!("a ledger amount read in a settle block is its final value, which this statement changes; compute the step from other amounts (keep it in a `let`), and write `{name} += …` to add it")
                } else {
                    format!("a ledger amount read in a settle block is its final value, which this statement changes through `{written}`")
                };
                let message = if matches!(col, L::CLEARING_BALANCE | L::RESERVE_CLOSING) {
                    format!(
                        "`{written}` cannot be computed from `{name}`, which is computed from it"
                    )
                } else {
                    format!("`{name}` is read in its own computation")
                };
                self.error(
                    Diagnostic::error(message)
                        .at(span)
                        .label(format!("the final `{name}` depends on this statement"))
                        .help(help),
                );
                broken = true;
            }
        }
        if broken {
            return None;
        }
        // Kahn's algorithm, the earliest statement in the file first.
        let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut after: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, d) in deps.iter().enumerate() {
            for (i, _) in d {
                after[*i].push(j);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&j| waiting[j] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &j in &after[i] {
                waiting[j] -= 1;
                if waiting[j] == 0 {
                    ready.push(Reverse(j));
                }
            }
        }
        if order.len() < n {
            let writes: Vec<Option<u16>> = nodes.iter().map(|x| x.writes).collect();
            self.report_cycle(&deps, &waiting, &writes);
            return None;
        }
        let mut writes: Vec<u16> = nodes.iter().filter_map(|x| x.writes).collect();
        writes.sort_unstable();
        writes.dedup();
        Some(SettleGroup {
            unit,
            period,
            stmts: order
                .into_iter()
                .map(|i| (nodes[i].block, nodes[i].stmt))
                .collect(),
            writes,
        })
    }

    /// Some statements wait on each other: find one cycle among them and
    /// report it at a read.
    fn report_cycle(&mut self, deps: &[Vec<Dep>], waiting: &[usize], writes: &[Option<u16>]) {
        let stuck = |i: usize| waiting[i] > 0;
        let Some(start) = (0..deps.len()).find(|&i| stuck(i)) else {
            return;
        };
        // Walk back along unmet dependencies until a statement repeats.
        let mut path: Vec<Dep> = vec![(start, None)];
        let mut at = start;
        loop {
            let Some(&(next, why)) = deps[at].iter().find(|(i, _)| stuck(*i)) else {
                return;
            };
            if let Some(k) = path.iter().position(|(p, _)| *p == next) {
                path.push((next, why));
                path.drain(..=k);
                break;
            }
            path.push((next, why));
            at = next;
        }
        // `path[j]`: a statement, and the read in `path[j - 1]` (cyclically)
        // that makes that one wait for it.
        let mut steps = Vec::new();
        for j in 0..path.len() {
            let reader = path[(j + path.len() - 1) % path.len()].0;
            if let (Some((col, span)), Some(w)) = (path[j].1, writes.get(reader).copied().flatten())
            {
                steps.push((self.ledger_name(w), self.ledger_name(col), span));
            }
        }
        let Some((w0, r0, span)) = steps.first().cloned() else {
            return;
        };
        let mut names: Vec<String> = steps.iter().map(|s| format!("`{}`", s.0)).collect();
        names.dedup();
        let mut d = Diagnostic::error(format!(
            "{} are computed from each other",
            names.join(" and ")
        ))
        .at(span)
        .label(format!("`{r0}` is read here, to compute `{w0}`"));
        for (w, r, s) in steps.iter().skip(1) {
            d = d.note(*s, format!("`{r}` is read here, to compute `{w}`"));
        }
        self.error(d.help(
            "a ledger amount read in a settle block is its final value for the unit and period, so one of them must be computed without the other (from aggregates, parameters or the data)",
        ));
    }

    /// A declared ledger amount that is read but set by no statement.
    fn never_set(&mut self, groups: &[SettleGroup]) {
        let assigned = std::mem::take(&mut self.ledger_assigned);
        let set = |c: u16| assigned.contains(&c) || groups.iter().any(|g| g.writes.contains(&c));
        let mut seen = Vec::new();
        for (col, span) in self.ledger_reads.clone() {
            if (col as usize) < COLUMNS.len() || set(col) || seen.contains(&col) {
                continue;
            }
            seen.push(col);
            let name = self.ledger_name(col);
            self.error(
                Diagnostic::error(format!("ledger amount `{name}` is read but never set"))
                    .at(span)
                    .label("no statement sets it")
                    .help(format!(
                        "set it in a settle block (`{name} = …`); only the standard amounts (budget, prepaid, …) read as 0 when no statement sets them"
                    )),
            );
        }
    }

    /// `routine_paid` and `withheld` are paid month by month where a month
    /// block sets them; a year block in force in the same year may not set
    /// them too, or the year would not be the sum of its months.
    fn monthly_cash_in_year_blocks(&mut self) {
        let mut found = Vec::new();
        for year in self
            .prog
            .settles
            .iter()
            .filter(|b| b.period == PeriodKind::Year)
        {
            for month in self
                .prog
                .settles
                .iter()
                .filter(|b| b.period == PeriodKind::Month && b.unit == year.unit)
            {
                let overlap = match (year.in_force, month.in_force) {
                    (Some(a), Some(b)) => Period::overlaps(&a, &b),
                    _ => true,
                };
                if !overlap {
                    continue;
                }
                for col in L::MONTHLY_CASH {
                    let at = |b: &crate::ir::Settle| {
                        b.body
                            .iter()
                            .find(|s| s.ledger_write() == Some(col))
                            .map(|s| s.span())
                    };
                    if let (Some(y), Some(m)) = (at(year), at(month)) {
                        found.push((col, y, m, year.name.clone(), month.name.clone()));
                    }
                }
            }
        }
        for (col, y, m, yname, mname) in found {
            let name = COLUMNS[col as usize].0;
            self.error(
                Diagnostic::error(format!(
                    "`{name}` is paid month by month by block `{mname}`, in force in the same years as `{yname}`"
                ))
                .at(y)
                .label("set again for the year")
                .note(m, "set per month here")
                .help(format!(
                    "a year's `{name}` is the sum of its months; set it in one place, or date the blocks so that they are not in force in the same year (a year-end adjustment belongs in `deductions` or a declared amount)"
                )),
            );
        }
    }

    pub(super) fn ledger_name(&self, col: u16) -> String {
        match COLUMNS.get(col as usize) {
            Some(c) => c.0.to_string(),
            None => self
                .prog
                .ledger_extras
                .get(col as usize - COLUMNS.len())
                .map_or_else(|| "?".to_string(), |o| o.name.clone()),
        }
    }
}
