//! Contribute blocks: contribution and personal-account rules, checked.
//!
//! A `contribute NAME per month` block runs once per person and
//! contribution month; it sees `person.x` (persons.csv), `contribution.x`
//! (the month's row), parameters, tables and schedules (the versions in
//! force on the month's first day), and sets the standard amounts of
//! [`crate::schema::contrib`]: `base`, `employer`, `employee`, `to_account`
//! (and, if it wants them in the output, `age` and `band`); `to_pool` is
//! computed. A `contribute NAME at retirement` block runs once per person,
//! at the retirement month; it sees `person.x` and `retirement.x`, sets
//! `required_months`, `required_paid_months` and `lump_sum`, and may read
//! the computed `shortfall` and `eligible`.

use super::expr::TExpr;
use super::types::Ty;
use super::{Checker, Global};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, Bool, DateX, EnumX, Num, Period, Stmt, TextX};
use crate::schema::contrib::{self as C, Block, AMOUNTS};
use crate::schema::{EnumKind, CONTRIBUTION_FIELDS, PERSON_FIELDS, RETIREMENT_FIELDS};
use crate::source::Span;
use crate::syntax::ast::{self, CmpOp, Item};

pub(crate) struct ContribCtx {
    pub(crate) block: Block,
    /// The standard amounts the block has set so far, in order.
    pub(crate) set: Vec<u16>,
}

/// `per month` / `at retirement`, as written (English or Chinese).
fn kind(c: &ast::ContributeDecl) -> Option<Block> {
    match (c.at, c.when.name.as_str()) {
        (false, "month" | "月") => Some(Block::Month),
        (true, "retirement" | "退休") => Some(Block::Retirement),
        _ => None,
    }
}

fn block_words(b: Block) -> &'static str {
    match b {
        Block::Month => "per month",
        Block::Retirement => "at retirement",
    }
}

impl Checker {
    /// Pass 1: a contribute block's name; blocks of one kind must not be in
    /// force on the same day (a month is settled by one block).
    pub(super) fn declare_contribute(&mut self, c: &ast::ContributeDecl) {
        let period = c.in_force.as_ref().map(Period::from);
        let key = format!("{:?}", kind(c));
        let seen = self.contribute_names.get(&key).cloned().unwrap_or_default();
        if !seen.is_empty() && Period::clashes(&seen, period) {
            self.error(
                Diagnostic::error(format!(
                    "two `contribute … {}` blocks are in force on the same day",
                    kind(c).map_or("", block_words)
                ))
                .at(c.in_force.as_ref().map_or(c.name.span, |f| f.span))
                .label("overlapping dates")
                .help("one block settles a month: give each version `from DATE`, and end the earlier one with `until` the day before the next starts"),
            );
        }
        self.contribute_names.entry(key).or_default().push(period);
        if !self.globals.contains_key(&c.name.name) {
            self.define(&c.name, Global::Contribute);
        }
    }

    /// Pass 4b: the contribute blocks' bodies, in file order.
    pub(super) fn contributes(&mut self, policy: &ast::Policy) {
        if !policy
            .items
            .iter()
            .any(|i| matches!(i, Item::Contribute(_)))
        {
            return;
        }
        // In a contribute block a standard amount's name means the amount:
        // a declaration of that name would be shadowed there, so it is refused.
        let mut clashes: Vec<(String, Span)> = self
            .globals
            .iter()
            .filter(|(n, g)| C::by_name(n).is_some() && !matches!(g.0, Global::Contribute))
            .map(|(n, g)| (n.clone(), g.1))
            .collect();
        clashes.sort_by_key(|c| c.1.start);
        for (name, span) in clashes {
            let a = C::by_name(&name).map_or("", |i| AMOUNTS[usize::from(i)].0);
            self.error(
                Diagnostic::error(format!("`{name}` is a standard amount of contribute blocks"))
                    .at(span)
                    .label("reserved")
                    .help(if a == name {
                        "in a contribute block this name is the block's amount: give the declaration another name".to_string()
                    } else {
                        format!("in a contribute block `{name}` is the amount `{a}`: give this declaration another name")
                    }),
            );
            // Its uses are not reported again (as amounts read before set).
            self.broken.entry(name).or_insert(span);
        }
        (self.n_num, self.n_bool, self.n_date) = self.lets_base;
        for item in &policy.items {
            if let Item::Contribute(c) = item {
                self.contribute_block(c);
            }
        }
        self.contrib = None;
        self.ctx = super::Ctx::default();
        self.rule_lets.clear();
    }

    fn contribute_block(&mut self, c: &ast::ContributeDecl) {
        let Some(block) = kind(c) else {
            let mut d = Diagnostic::error(format!(
                "a contribute block runs `per month` or `at retirement`, not `{} {}`",
                if c.at { "at" } else { "per" },
                c.when.name
            ))
            .at(c.when.span)
            .label("not a contribution period");
            d = match suggest(&c.when.name, ["month", "retirement"]) {
                Some(x) => d.help(format!("did you mean `{}`?", if x == "month" { "per month" } else { "at retirement" })),
                None => d.help("write `contribute 缴费 per month { … }` (each person's every contribution month) or `contribute 终身待遇 at retirement { … }` (once, at the retirement month)"),
            };
            self.error(d);
            return;
        };
        let in_force = self.period(c.in_force.as_ref());
        if let Some(f) = &c.in_force {
            self.check_month_alignment(f);
        }
        self.rule_lets.clear();
        self.ctx = super::Ctx::default();
        self.contrib = Some(ContribCtx {
            block,
            set: Vec::new(),
        });
        let mut body = Vec::new();
        for st in &c.body {
            match st {
                ast::Stmt::Let(l) => {
                    if let Some(i) = C::by_name(&l.name.name) {
                        self.error(
                            Diagnostic::error(format!(
                                "`{}` is a standard amount of a contribute block",
                                l.name.name
                            ))
                            .at(l.name.span)
                            .label("reserved here")
                            .help(format!(
                                "set it with `{} = …`, or give the `let` another name",
                                AMOUNTS[usize::from(i)].0
                            )),
                        );
                        continue;
                    }
                    if let Some(s) = self.let_stmt(l, false) {
                        body.push(s);
                    }
                }
                ast::Stmt::OutputSet { output, value } => {
                    if let Some(s) = self.contrib_set(output, value, block) {
                        body.push(s);
                    }
                }
                ast::Stmt::AccAdd { acc, value } => self.error(
                    Diagnostic::error("a contribute block sets each amount once")
                        .at(acc.span.to(value.span))
                        .label("`+=` here")
                        .help(format!("write `{} = …` with the whole amount", acc.name)),
                ),
                ast::Stmt::Pay { span, .. } => self.error(
                    Diagnostic::error("a contribute block does not pay claims")
                        .at(*span)
                        .help(
                            "set the contribution amounts, e.g. `employer = base * 单位费率 round`",
                        ),
                ),
            }
        }
        let set = self.contrib.take().map(|x| x.set).unwrap_or_default();
        let missing: Vec<&str> = AMOUNTS
            .iter()
            .enumerate()
            .filter(|(i, a)| a.3 == block && a.4 && !set.contains(&(*i as u16)))
            .map(|(_, a)| a.0)
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(
                Diagnostic::error(format!(
                    "contribute block `{}` does not set {list}",
                    c.name.name
                ))
                .at(c.name.span)
                .label("incomplete")
                .help(match block {
                    Block::Month => "a `per month` block says every amount of the month, even where it is 0: `base`, `employer`, `employee` and `to_account` (yibao computes `to_pool` from them)",
                    Block::Retirement => "an `at retirement` block says `required_months`, `required_paid_months` and `lump_sum` (write `lump_sum = 0元` where the region has no 一次性补缴)",
                }),
            );
        }
        self.prog.contributes.push(ir::Contribute {
            name: c.name.name.clone(),
            title: c.title.as_ref().map(|t| t.value.clone()),
            at_retirement: block == Block::Retirement,
            in_force,
            body,
            sets_age: set.contains(&C::AGE),
            cite: c.cite.as_ref().map(|x| x.value.clone()),
            span: c.name.span,
        });
    }

    /// Contribution months are whole months: a block comes into force on a
    /// month's first day and goes out of force on a month's last.
    fn check_month_alignment(&mut self, f: &ast::InForce) {
        let (_, _, d) = f.from.ymd();
        let ends_ok = f.until.is_none_or(|u| {
            let (uy, um, _) = u.ymd();
            crate::date::Date::month_end(uy, um) == Some(u)
        });
        if d != 1 || !ends_ok {
            self.error(
                Diagnostic::error("a contribute block must come into and go out of force with a month")
                    .at(f.span)
                    .label("not a month boundary")
                    .help("contributions are monthly: start the block on a month's first day (`from 2024-01-01`) and end it on a month's last (`until 2024-12-31`)"),
            );
        }
    }

    /// `base = …` and the other standard amounts.
    fn contrib_set(&mut self, name: &ast::Ident, value: &ast::Expr, block: Block) -> Option<Stmt> {
        let e = self.expr(value);
        let span = name.span.to(value.span);
        let Some(i) = C::by_name(&name.name) else {
            let names: Vec<&str> = AMOUNTS
                .iter()
                .filter(|a| a.3 == block && !a.5)
                .map(|a| a.0)
                .collect();
            let mut d = Diagnostic::error(format!(
                "`{}` is not an amount of a contribute block",
                name.name
            ))
            .at(name.span)
            .label("cannot assign");
            d = match suggest(&name.name, names.iter().copied()) {
                Some(x) => d.help(format!("did you mean `{x}`?")),
                None => d.help(format!(
                    "a `{}` block sets {}; for a value of its own write `let {} = …`",
                    block_words(block),
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    name.name
                )),
            };
            self.error(d);
            return None;
        };
        let a = AMOUNTS[usize::from(i)];
        if a.3 != block {
            self.error(
                Diagnostic::error(format!(
                    "`{}` is an amount of a `contribute … {}` block",
                    a.0,
                    block_words(a.3)
                ))
                .at(name.span)
                .label(format!("this block runs {}", block_words(block))),
            );
            return None;
        }
        if a.5 {
            let how = match i {
                C::TO_POOL => "it is employer + employee − to_account: set those instead",
                C::SHORTFALL => "it is the larger of required_months − retirement.counted_months and required_paid_months − retirement.paid_months, and at least 0: set the two requirements instead",
                _ => "it is `shortfall == 0`: set the two requirements instead",
            };
            self.error(
                Diagnostic::error(format!("`{}` is computed by yibao", a.0))
                    .at(name.span)
                    .label("cannot assign")
                    .help(how),
            );
            return None;
        }
        if self.contrib.as_ref().is_some_and(|c| c.set.contains(&i)) {
            self.error(
                Diagnostic::error(format!("`{}` is set twice in this block", a.0))
                    .at(name.span)
                    .label("again here")
                    .help("a contribute block sets each amount once: choose with `if … then … else …`"),
            );
            return None;
        }
        if let Some(c) = self.contrib.as_mut() {
            c.set.push(i);
        }
        if i == C::BAND {
            return match e {
                TExpr::Text(_) | TExpr::TextLit(..) => self
                    .keep_text(e, value.span)
                    .map(|t| Stmt::SetBand(t, span)),
                TExpr::Poison => None,
                other => {
                    let t = other.ty().map_or("this".into(), |t| t.article());
                    self.error(
                        Diagnostic::error(format!("`band` is a text, but this is {t}"))
                            .at(value.span)
                            .help("name the band: `band = if age < 35 then \"35岁以下\" else \"35岁及以上\"`"),
                    );
                    None
                }
            };
        }
        let what = format!("`{}`", a.0);
        let (n, t) = self.expect_num(e, value.span, &what)?;
        if t.unify(a.2).is_none() {
            self.error(
                Diagnostic::error(format!(
                    "`{}` is {}, but this is {}",
                    a.0,
                    a.2.article(),
                    t.article()
                ))
                .at(value.span)
                .label(format!("this is {}", t.article())),
            );
            return None;
        }
        // Months are checked whole when the block runs (a months
        // parameter may be written with decimals).
        if a.2 != Ty::Months {
            self.require_places(&n, a.2, value.span, &what);
        }
        Some(Stmt::SetContrib(i, n, span))
    }

    /// A standard amount read in a contribute block; `None` when `name` is
    /// not one (or no contribute block is being checked).
    pub(crate) fn contrib_read(&mut self, name: &str, span: Span) -> Option<TExpr> {
        let ctx = self.contrib.as_ref()?;
        if self.rule_lets.contains_key(name) {
            return None;
        }
        let i = C::by_name(name)?;
        let a = AMOUNTS[usize::from(i)];
        if a.3 != ctx.block {
            self.error(
                Diagnostic::error(format!(
                    "`{}` is an amount of a `contribute … {}` block",
                    a.0,
                    block_words(a.3)
                ))
                .at(span)
                .label(format!("this block runs {}", block_words(ctx.block))),
            );
            return Some(TExpr::Poison);
        }
        let needs: &[u16] = match i {
            C::TO_POOL => &[C::EMPLOYER, C::EMPLOYEE, C::TO_ACCOUNT],
            C::SHORTFALL | C::ELIGIBLE => &[C::REQUIRED_MONTHS, C::REQUIRED_PAID_MONTHS],
            _ => std::slice::from_ref(&AMOUNTS_SLOTS[usize::from(i)]),
        };
        let unset: Vec<&str> = needs
            .iter()
            .filter(|n| !ctx.set.contains(n))
            .map(|n| AMOUNTS[usize::from(*n)].0)
            .collect();
        if !unset.is_empty() {
            let list = unset
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(
                Diagnostic::error(format!("`{}` is read before this block sets {list}", a.0))
                    .at(span)
                    .label("not known yet")
                    .help("statements run in order: set the amounts first, then read them"),
            );
            return Some(TExpr::Poison);
        }
        Some(match i {
            C::BAND => TExpr::Text(TextX::Band),
            C::ELIGIBLE => TExpr::Bool(Bool::CmpNum(
                CmpOp::Eq,
                Box::new((
                    Num::Contrib(C::SHORTFALL),
                    Num::Const(rust_decimal::Decimal::ZERO),
                )),
            )),
            _ => TExpr::Num(Num::Contrib(i), a.2),
        })
    }

    /// A name a contribute block cannot read: a claim's value (a top-level
    /// `let`, a layer, an output, an accumulator, the fee).
    pub(crate) fn not_in_contrib(&mut self, name: &str, span: Span) -> Option<TExpr> {
        if self.rule_lets.contains_key(name) {
            return None;
        }
        let what = if self.top_lets.contains_key(name) {
            "a top-level `let`, computed for each claim"
        } else {
            match self.globals.get(name).map(|g| g.0) {
                Some(Global::Layer(_)) => "a layer, what a claim is paid",
                Some(Global::Output(..)) => "an output of each claim",
                Some(Global::Acc(..)) => "an accumulator over a patient's claims",
                Some(Global::Fee) => "the fee of a claim",
                _ => return None,
            }
        };
        self.error(
            Diagnostic::error(format!("`{name}` is {what}; a contribute block sees a person and a month"))
                .at(span)
                .label("not known here")
                .help("contribution rules read `person.x`, `contribution.x`, parameters, tables and schedules, and the block's own `let`s and amounts"),
        );
        Some(TExpr::Poison)
    }

    /// `person.x`, `contribution.x`, `retirement.x`; in a contribute block,
    /// any other `object.x` is refused here. `None`: not a person's value,
    /// and not in a contribute block.
    pub(crate) fn person_field(
        &mut self,
        object: &ast::Ident,
        field: &ast::Ident,
    ) -> Option<TExpr> {
        let fields = match object.name.as_str() {
            "person" | "参保人" => Some(("person", PERSON_FIELDS)),
            "contribution" | "缴费" => Some(("contribution", CONTRIBUTION_FIELDS)),
            "retirement" | "退休" => Some(("retirement", RETIREMENT_FIELDS)),
            _ => None,
        };
        let span = object.span.to(field.span);
        let Some(ctx) = self.contrib.as_ref() else {
            let (what, _) = fields?;
            self.error(
                Diagnostic::error(format!("`{what}.{}` is a value of an insured person, for contribution rules", field.name))
                    .at(span)
                    .label("not known here")
                    .help("read it in a `contribute … per month { … }` block (or `at retirement`); a rule sees a claim: `claim.age`, `claim.retired`"),
            );
            return Some(TExpr::Poison);
        };
        let block = ctx.block;
        let Some((what, fields)) = fields else {
            self.error(
                Diagnostic::error(format!("a contribute block has no `{}`", object.name))
                    .at(object.span)
                    .label("not known here")
                    .help(match block {
                        Block::Month => "a `per month` block sees `person.x` (persons.csv) and `contribution.x` (the month's row of contributions.csv)",
                        Block::Retirement => "an `at retirement` block sees `person.x` (persons.csv) and `retirement.x` (the retirement month and the months counted)",
                    }),
            );
            return Some(TExpr::Poison);
        };
        let wrong = match (what, block) {
            ("contribution", Block::Retirement) => Some("at retirement there is no one contribution month: read `retirement.month`, `retirement.paid_months` or `retirement.counted_months`"),
            ("retirement", Block::Month) => Some("`retirement.x` is known in an `at retirement` block; a month's category says whether the person is retired: `contribution.category == \"retired\"`"),
            _ => None,
        };
        if let Some(help) = wrong {
            self.error(
                Diagnostic::error(format!(
                    "`{what}.{}` is not known in a `{}` block",
                    field.name,
                    block_words(block)
                ))
                .at(span)
                .help(help),
            );
            return Some(TExpr::Poison);
        }
        let Some((_, f, ty)) = fields.iter().find(|x| x.0 == field.name) else {
            let mut d = Diagnostic::error(format!("`{what}` has no field `{}`", field.name))
                .at(field.span)
                .label("unknown field");
            d = match suggest(&field.name, fields.iter().map(|x| x.0)) {
                Some(x) => d.help(format!("did you mean `{what}.{x}`?")),
                None => d.help(format!(
                    "`{what}` has {}",
                    fields
                        .iter()
                        .map(|x| format!("`{}`", x.0))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.error(d);
            return Some(TExpr::Poison);
        };
        Some(match ty {
            Ty::Enum(k @ EnumKind::Sex) => TExpr::Enum(EnumX::Sex, *k),
            Ty::Enum(k) => TExpr::Enum(EnumX::Category, *k),
            Ty::Date => TExpr::Date(DateX::Person(*f)),
            Ty::Text => TExpr::Text(TextX::Person(*f)),
            t => TExpr::Num(Num::Person(*f), *t),
        })
    }
}

/// Each amount's own slot, for "is it set yet".
const AMOUNTS_SLOTS: [u16; C::SLOTS] = {
    let mut s = [0u16; C::SLOTS];
    let mut i = 0;
    while i < C::SLOTS {
        s[i] = i as u16;
        i += 1;
    }
    s
};
