//! Agreement blocks: what agreement actions (agreement_actions.csv) do to
//! payment, checked; and the values they make readable:
//! `claim.suspended`, `claim.terminated` (a claim's standing under its
//! institution's agreement) and `agreement.interviews`,
//! `agreement.terminated` (an institution's, in its settle blocks).
//!
//! An agreement block sets two whole numbers of months, written out:
//! `release_after` (held money is paid that many months after the month a
//! suspension ends) and `reapply_after` (how long after a termination the
//! institution may apply again). What is held is the policy's to say, in a
//! `per institution per month` block setting `held`; so a policy with an
//! agreement block must have one, and `held` is set nowhere else.

use super::expr::TExpr;
use super::types::Ty;
use super::{Checker, Global};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, Bool, Num, Period, PeriodKind, UnitKind};
use crate::schema::ledger as L;
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind, Item, LitKind, Unit};

/// The settings of an agreement block: (name, 中文, what it says).
pub(crate) const SETTINGS: &[(&str, &str, &str)] = &[
    (
        "release_after",
        "返还间隔",
        "held money is paid this many months after the month a suspension ends",
    ),
    (
        "reapply_after",
        "重新申请间隔",
        "a terminated institution may apply again this many months after the termination day",
    ),
];

const HELD_HELP: &str = "say what a suspension holds back in the monthly settlement, e.g. `settle 月结 per institution per month { routine_paid = sum(fund_paid)  held = sum(fund_paid when claim.suspended) }`";

impl Checker {
    /// Pass 1: an agreement block's name; no two in force on one day.
    pub(super) fn declare_agreement(&mut self, a: &ast::AgreementDecl) {
        let period = a.in_force.as_ref().map(Period::from);
        if !self.agreement_periods.is_empty() && Period::clashes(&self.agreement_periods, period) {
            self.error(
                Diagnostic::error("two `agreement` blocks are in force on the same day")
                    .at(a.in_force.as_ref().map_or(a.name.span, |f| f.span))
                    .label("overlapping dates")
                    .help("give each version `from DATE`, and end the earlier one with `until` the day before the next starts"),
            );
        }
        self.agreement_periods.push(period);
        if !self.globals.contains_key(&a.name.name) {
            self.define(&a.name, Global::Contribute);
        }
    }

    /// Pass 4c (after the settle blocks): the agreement blocks' settings,
    /// and that some institution month block says what is held.
    pub(super) fn agreements(&mut self, policy: &ast::Policy) {
        for item in &policy.items {
            if let Item::Agreement(a) = item {
                self.agreement_block(a);
            }
        }
        let Some(first) = self.prog.agreements.first().map(|a| a.span) else {
            return;
        };
        let holds = self.prog.settles.iter().any(|s| {
            s.unit == UnitKind::Institution
                && s.period == PeriodKind::Month
                && s.body.iter().any(|st| st.ledger_write() == Some(L::HELD))
        });
        if !holds {
            self.error(
                Diagnostic::error("an `agreement` block, but no settle block sets `held`, so a suspension would hold back nothing")
                    .at(first)
                    .label("suspensions are governed here")
                    .help(HELD_HELP),
            );
        }
    }

    fn agreement_block(&mut self, a: &ast::AgreementDecl) {
        let in_force = self.period(a.in_force.as_ref());
        let mut values: [Option<u32>; 2] = [None, None];
        for st in &a.body {
            let ast::Stmt::OutputSet { output, value } = st else {
                self.error(
                    Diagnostic::error("an agreement block holds settings, `NAME = N个月`")
                        .at(stmt_span(st))
                        .help("write `release_after = 1个月` and `reapply_after = 36个月`"),
                );
                continue;
            };
            let Some(i) = SETTINGS
                .iter()
                .position(|s| s.0 == output.name || s.1 == output.name)
            else {
                let mut d = Diagnostic::error(format!(
                    "`{}` is not a setting of an agreement block",
                    output.name
                ))
                .at(output.span)
                .label("unknown setting");
                d = match suggest(&output.name, SETTINGS.iter().map(|s| s.0)) {
                    Some(x) => d.help(format!("did you mean `{x}`?")),
                    None => d.help("an agreement block sets `release_after` (返还间隔) and `reapply_after` (重新申请间隔)"),
                };
                self.error(d);
                continue;
            };
            if values[i].is_some() {
                self.error(
                    Diagnostic::error(format!("`{}` is set twice", SETTINGS[i].0))
                        .at(output.span)
                        .label("again here"),
                );
                continue;
            }
            match months(value) {
                Some(n) => values[i] = Some(n),
                None => self.error(
                    Diagnostic::error(format!(
                        "`{}` is a whole number of months, written out",
                        SETTINGS[i].0
                    ))
                    .at(value.span)
                    .label("not a number of months")
                    .help(format!(
                        "e.g. `{} = {}`",
                        SETTINGS[i].0,
                        if i == 0 { "1个月" } else { "36个月" }
                    )),
                ),
            }
        }
        for (i, v) in values.iter().enumerate() {
            if v.is_none() && !a.body.iter().any(|st| matches!(st, ast::Stmt::OutputSet { output, .. } if output.name == SETTINGS[i].0 || output.name == SETTINGS[i].1)) {
                self.error(
                    Diagnostic::error(format!(
                        "the agreement block does not set `{}`",
                        SETTINGS[i].0
                    ))
                    .at(a.name.span)
                    .label("incomplete")
                    .help(format!("{}: e.g. `{} = {}`", SETTINGS[i].2, SETTINGS[i].0, if i == 0 { "1个月" } else { "36个月" })),
                );
            }
        }
        self.prog.agreements.push(ir::Agreement {
            name: a.name.name.clone(),
            title: a.title.as_ref().map(|t| t.value.clone()),
            in_force,
            release_after: values[0].unwrap_or(0),
            reapply_after: values[1].unwrap_or(0),
            cite: a.cite.as_ref().map(|c| c.value.clone()),
            span: a.name.span,
        });
    }

    /// `held = …` set in a settle block of `unit` and `period`: only an
    /// institution's month, and only with an agreement block.
    pub(crate) fn check_held_set(
        &mut self,
        unit: UnitKind,
        period: PeriodKind,
        span: Span,
    ) -> bool {
        if self.agreement_periods.is_empty() {
            self.error(
                Diagnostic::error("`held` is money held back under a suspension, but the policy has no `agreement` block")
                    .at(span)
                    .label("held for how long?")
                    .help("say when held money is paid and what a termination does: `agreement 协议管理 { release_after = 1个月  reapply_after = 36个月 }`"),
            );
            return false;
        }
        if unit != UnitKind::Institution || period != PeriodKind::Month {
            self.error(
                Diagnostic::error("`held` is set per institution and month")
                    .at(span)
                    .label("not an institution's month")
                    .help(HELD_HELP),
            );
            return false;
        }
        true
    }

    /// Whether reading ledger column `col` here is refused: what yibao
    /// computes of held money is known only after the month blocks run.
    pub(crate) fn held_read_refused(&mut self, col: u16, name: &str, span: Span) -> bool {
        let in_month = self
            .settle
            .as_ref()
            .is_some_and(|c| c.period == PeriodKind::Month);
        if !(in_month && matches!(col, L::RELEASED | L::FORFEITED | L::HELD_CLOSING)) {
            return false;
        }
        self.error(
            Diagnostic::error(format!(
                "`{name}` is computed after the month blocks run; a month block cannot read it"
            ))
            .at(span)
            .label("read in a `per month` block")
            .help("read it in a `per year` settle block, where the year's held money is known"),
        );
        true
    }

    /// `claim.suspended`, `claim.terminated`, `agreement.interviews`,
    /// `agreement.terminated`; `None` when the field is none of them.
    pub(crate) fn agreement_field(
        &mut self,
        object: &ast::Ident,
        field: &ast::Ident,
    ) -> Option<TExpr> {
        let span = object.span.to(field.span);
        let claim = match (object.name.as_str(), field.name.as_str()) {
            ("claim", "suspended") => Some(Bool::Suspended),
            ("claim", "terminated") => Some(Bool::ClaimTerminated),
            ("claim", _) => return None,
            ("agreement", _) => None,
            _ => return None,
        };
        if self.agreement_periods.is_empty() {
            self.error(
                Diagnostic::error(format!(
                    "`{}.{}` is a value of agreement management, but the policy has no `agreement` block",
                    object.name, field.name
                ))
                .at(span)
                .label("no agreement rules")
                .help("add `agreement 协议管理 { release_after = 1个月  reapply_after = 36个月 }`; the run then reads agreement_actions.csv (`--agreements`)"),
            );
            return Some(TExpr::Poison);
        }
        if let Some(b) = claim {
            if !self.field_allowed(
                super::FieldRef::Claim(crate::schema::ClaimField::TotalCost),
                span,
            ) {
                return Some(TExpr::Poison);
            }
            return Some(TExpr::Bool(b));
        }
        let (value, year_only) = match field.name.as_str() {
            "interviews" => (TExpr::Num(Num::Interviews, Ty::Count), true),
            "terminated" => (TExpr::Bool(Bool::UnitTerminated), false),
            _ => {
                let mut d = Diagnostic::error(format!("an agreement has no `{}`", field.name))
                    .at(field.span);
                d = match suggest(&field.name, ["interviews", "terminated"]) {
                    Some(x) => d.help(format!("did you mean `agreement.{x}`?")),
                    None => d.help("an institution's settle blocks read `agreement.interviews` (约谈 in the year) and `agreement.terminated`"),
                };
                self.error(d);
                return Some(TExpr::Poison);
            }
        };
        let ok = match &self.settle {
            Some(c) => {
                !c.in_agg
                    && c.unit == UnitKind::Institution
                    && (!year_only || c.period == PeriodKind::Year)
            }
            None => false,
        };
        if !ok {
            self.error(
                Diagnostic::error(format!(
                    "`agreement.{}` is an institution's, {}; read it in a `per institution per {}` settle block",
                    field.name,
                    if year_only { "counted per year" } else { "for a month or a year" },
                    if year_only { "year" } else { "month` or `per year" },
                ))
                .at(span)
                .label("not known here"),
            );
            return Some(TExpr::Poison);
        }
        Some(value)
    }
}

/// A whole, non-negative number of months written out: `1个月`.
fn months(e: &ast::Expr) -> Option<u32> {
    let ExprKind::Lit(l) = &e.kind else {
        return None;
    };
    let LitKind::Number {
        value,
        unit: Some(Unit::Months),
    } = &l.kind
    else {
        return None;
    };
    if !value.fract().is_zero() || value.is_sign_negative() {
        return None;
    }
    u32::try_from(value.mantissa() / 10i128.pow(value.scale())).ok()
}

fn stmt_span(st: &ast::Stmt) -> Span {
    match st {
        ast::Stmt::Let(l) => l.name.span,
        ast::Stmt::Pay { span, .. } => *span,
        ast::Stmt::AccAdd { acc, value } => acc.span.to(value.span),
        ast::Stmt::OutputSet { output, value } => output.span.to(value.span),
    }
}
