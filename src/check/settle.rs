//! Settle blocks: institution settlement, checked.
//!
//! A settle block runs once per unit (institution, alliance or region) and
//! period (month or year). Outside an aggregate it sees the unit: ledger
//! amounts, `institution.x` (for institutions), `assessment.score`, earlier
//! region values, parameters and tables. Inside an aggregate (`sum`, `count`,
//! `avg`) it sees one claim at a time, as a rule does after every layer has
//! paid: claim fields, top-level `let`s, layers, outputs and `patient_paid`.
//! An aggregate that reads only `institution.x` ranges over the unit's
//! institutions instead of its claims.

use super::expr::TExpr;
use super::types::Ty;
use super::{slot, Checker, Ctx, Global};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, AggKind, AggOver, Num, Period, PeriodKind, Stmt, UnitKind};
use crate::schema::ledger;
use crate::source::Span;
use crate::syntax::ast::{self, Expr, ExprKind, Item};

pub(crate) struct SettleCtx {
    pub(crate) unit: UnitKind,
    pub(crate) period: PeriodKind,
    /// Checking an aggregate's argument or filter (claim context).
    pub(crate) in_agg: bool,
    pub(crate) touched_claim: bool,
    pub(crate) touched_inst: bool,
    pub(crate) aggs: Vec<ir::Aggregate>,
    /// The ledger amounts the statement being checked reads, where.
    pub(crate) reads: Vec<(u16, Span)>,
}

const UNITS: &[(&str, UnitKind)] = &[
    ("institution", UnitKind::Institution),
    ("机构", UnitKind::Institution),
    ("alliance", UnitKind::Alliance),
    ("医共体", UnitKind::Alliance),
    ("region", UnitKind::Region),
    ("统筹地区", UnitKind::Region),
    ("patient", UnitKind::Patient),
    ("参保人", UnitKind::Patient),
];

const PERIODS: &[(&str, PeriodKind)] = &[
    ("month", PeriodKind::Month),
    ("月", PeriodKind::Month),
    ("year", PeriodKind::Year),
    ("年", PeriodKind::Year),
];

impl Checker {
    /// A ledger amount by name: standard (English or Chinese) or declared.
    pub(crate) fn ledger_col(&self, name: &str) -> Option<(u16, Ty)> {
        if let Some(i) = ledger::COLUMNS
            .iter()
            .position(|c| c.0 == name || c.1 == name)
        {
            return Some((slot(i), Ty::Money));
        }
        match self.globals.get(name).map(|g| g.0) {
            Some(Global::Ledger(i, t)) => Some((i, t)),
            _ => None,
        }
    }

    /// Pass 1: a settle block's name (blocks may come in dated versions).
    pub(super) fn declare_settle(&mut self, s: &ast::SettleDecl) {
        let period = s.in_force.as_ref().map(Period::from);
        let seen = self.settle_names.get(&s.name.name).cloned();
        match seen {
            None => {
                self.define(&s.name, Global::Settle);
                self.settle_names.insert(s.name.name.clone(), vec![period]);
            }
            Some(prev) => {
                let clash = Period::clashes(&prev, period);
                if clash {
                    self.error(
                        Diagnostic::error(format!(
                            "two settle blocks named `{}` are in force on the same day",
                            s.name.name
                        ))
                        .at(s.in_force.as_ref().map_or(s.name.span, |f| f.span))
                        .label("overlapping dates")
                        .help("versions of a block each need `from DATE`, and must not overlap: end the earlier one with `until` the day before"),
                    );
                }
                if let Some(v) = self.settle_names.get_mut(&s.name.name) {
                    v.push(period);
                }
            }
        }
    }

    /// Pass 4: the settle blocks' bodies, in file order.
    pub(super) fn settles(&mut self, policy: &ast::Policy) {
        (self.n_num, self.n_bool, self.n_date) = self.lets_base;
        for item in &policy.items {
            if let Item::Settle(s) = item {
                self.settle_block(s);
            }
        }
        self.settle = None;
        self.ctx = Ctx::default();
        self.rule_lets.clear();
    }

    fn scope(&mut self, s: &ast::SettleDecl) -> Option<(UnitKind, PeriodKind)> {
        let help = "write `per institution per year`, `per institution per month`, `per alliance per year` (医共体), `per region per year` (统筹地区) or `per patient per year` (参保人)";
        let [u, p] = s.scope.as_slice() else {
            self.error(
                Diagnostic::error("a settle block needs a unit and a period")
                    .at(s.scope.first().map_or(s.name.span, |i| i.span))
                    .help(help),
            );
            return None;
        };
        let unit = UNITS.iter().find(|x| x.0 == u.name).map(|x| x.1);
        let period = PERIODS.iter().find(|x| x.0 == p.name).map(|x| x.1);
        if unit.is_none() {
            let mut d = Diagnostic::error(format!("unknown settlement unit `{}`", u.name))
                .at(u.span)
                .label("not a unit");
            d = match suggest(&u.name, UNITS.iter().map(|x| x.0)) {
                Some(x) => d.help(format!("did you mean `{x}`?")),
                None => d.help(help),
            };
            self.error(d);
        }
        if period.is_none() {
            let mut d = Diagnostic::error(format!("unknown settlement period `{}`", p.name))
                .at(p.span)
                .label("not a period");
            d = match suggest(&p.name, PERIODS.iter().map(|x| x.0)) {
                Some(x) => d.help(format!("did you mean `{x}`?")),
                None => d.help(help),
            };
            self.error(d);
        }
        let (unit, period) = (unit?, period?);
        if unit == UnitKind::Region && period == PeriodKind::Month {
            self.error(
                Diagnostic::error("region blocks run per year")
                    .at(p.span)
                    .help("write `per region per year`"),
            );
            return None;
        }
        if unit == UnitKind::Patient && period == PeriodKind::Month {
            self.error(
                Diagnostic::error("patient blocks run per year")
                    .at(p.span)
                    .label("not cleared monthly")
                    .help("a patient is cleared once a year (二次补偿, yearly totals): write `per patient per year`; to add up a patient's claims as they come, use an `accumulator … per patient per year`"),
            );
            return None;
        }
        Some((unit, period))
    }

    /// A block's dates must cover whole periods, so that "the rules in force
    /// in the period" is never ambiguous.
    fn check_alignment(&mut self, f: &ast::InForce, period: PeriodKind) {
        let (_, m, d) = f.from.ymd();
        let starts_ok = d == 1 && (period == PeriodKind::Month || m == 1);
        let ends_ok = f.until.is_none_or(|u| {
            let (uy, um, _) = u.ymd();
            let end = crate::date::Date::month_end(uy, um);
            end == Some(u) && (period == PeriodKind::Month || um == 12)
        });
        if !starts_ok || !ends_ok {
            let what = if period == PeriodKind::Year {
                "a year: `from YYYY-01-01`, `until YYYY-12-31`"
            } else {
                "a month: `from YYYY-MM-01`, `until` the month's last day"
            };
            self.error(
                Diagnostic::error(
                    "a settle block must come into and go out of force with its period",
                )
                .at(f.span)
                .label("not a period boundary")
                .help(format!(
                    "this block settles per {}; start and end it on {what}",
                    if period == PeriodKind::Year {
                        "year"
                    } else {
                        "month"
                    }
                )),
            );
        }
    }

    fn settle_block(&mut self, s: &ast::SettleDecl) {
        let Some((unit, period)) = self.scope(s) else {
            return;
        };
        let in_force = self.period(s.in_force.as_ref());
        if let Some(f) = &s.in_force {
            self.check_alignment(f, period);
        }
        // Blocks' locals keep slots of their own (never reset between
        // blocks): statements of several blocks may interleave when they run
        // in dependency order.
        self.rule_lets.clear();
        self.ctx = Ctx::default();
        self.settle = Some(SettleCtx {
            unit,
            period,
            in_agg: false,
            touched_claim: false,
            touched_inst: false,
            aggs: Vec::new(),
            reads: Vec::new(),
        });
        let mut body = Vec::new();
        let mut reads = Vec::new();
        for st in &s.body {
            self.settle_stmt(st, unit, &s.name.name, &mut body);
            let r = self
                .settle
                .as_mut()
                .map(|c| std::mem::take(&mut c.reads))
                .unwrap_or_default();
            // A region `let` is two statements (the local, then the region
            // value); a refused statement none.
            reads.resize(body.len(), r);
        }
        let aggregates = self.settle.take().map(|c| c.aggs).unwrap_or_default();
        self.prog.settles.push(ir::Settle {
            name: s.name.name.clone(),
            title: s.title.as_ref().map(|t| t.value.clone()),
            unit,
            period,
            in_force,
            aggregates,
            body,
            reads,
            cite: s.cite.as_ref().map(|c| c.value.clone()),
            span: s.name.span,
        });
    }

    fn settle_stmt(&mut self, st: &ast::Stmt, unit: UnitKind, block: &str, body: &mut Vec<Stmt>) {
        match st {
            ast::Stmt::Let(l) => {
                let Some(stmt) = self.let_stmt(l, false) else {
                    return;
                };
                let local = match &stmt {
                    Stmt::SetNum(i, _, span) => Some((*i, *span)),
                    _ => None,
                };
                body.push(stmt);
                if unit == UnitKind::Region {
                    if let (Some((i, span)), Some((super::Local::Num(_, ty), _))) =
                        (local, self.rule_lets.get(&l.name.name).copied())
                    {
                        let key = (block.to_string(), l.name.name.clone());
                        let r = match self.region_lets.get(&key) {
                            Some((r, _)) => *r,
                            None => {
                                let r = slot(self.prog.region_values.len());
                                self.prog
                                    .region_values
                                    .push(format!("{block}.{}", l.name.name));
                                self.region_lets.insert(key, (r, ty));
                                r
                            }
                        };
                        let n = Num::Local(i);
                        self.set_places(true, r, &n);
                        body.push(Stmt::SetRegion(r, n, span));
                    }
                }
            }
            ast::Stmt::OutputSet {
                output: name,
                value,
            }
            | ast::Stmt::AccAdd { acc: name, value } => {
                let add = matches!(st, ast::Stmt::AccAdd { .. });
                let e = self.expr(value);
                // A refused declaration was reported where it is.
                if self.is_broken(&name.name) {
                    return;
                }
                let Some((col, ty)) = self.ledger_col(&name.name) else {
                    let mut names: Vec<&str> = ledger::COLUMNS.iter().map(|c| c.0).collect();
                    let extras: Vec<String> = self
                        .prog
                        .ledger_extras
                        .iter()
                        .map(|o| o.name.clone())
                        .collect();
                    names.extend(extras.iter().map(String::as_str));
                    let mut d =
                        Diagnostic::error(format!("`{}` is not a ledger amount", name.name))
                            .at(name.span)
                            .label("cannot assign");
                    d = match suggest(&name.name, names) {
                        Some(x) => d.help(format!("did you mean `{x}`?")),
                        None => d.help(format!(
                            "for a value of this block write `let {0} = ...`; to add a ledger column declare `ledger {0}: money`",
                            name.name
                        )),
                    };
                    self.error(d);
                    return;
                };
                self.ledger_assigned.push(col);
                if col == ledger::HELD {
                    let period = self.settle.as_ref().map_or(PeriodKind::Year, |c| c.period);
                    if !self.check_held_set(unit, period, name.span) {
                        return;
                    }
                }
                if unit == UnitKind::Patient && (col as usize) < ledger::COLUMNS.len() {
                    self.error(
                        Diagnostic::error(format!(
                            "`{}` is an amount of an institution's ledger, not of a patient's",
                            name.name
                        ))
                        .at(name.span)
                        .label("set in a patient block")
                        .help(format!(
                            "a patient block sets the patient ledger's own amounts: declare one, e.g. `ledger 二次补偿: money`, and set it; `{}` belongs in a `per institution`, `per alliance` or `per region` block",
                            name.name
                        )),
                    );
                    return;
                }
                if ledger::COMPUTED.contains(&col) {
                    let help = match col {
                        ledger::CLEARING_BALANCE => "it is withhold_returned + retained − institution_share − deductions − prepaid; set those instead",
                        ledger::RESERVE_OPENING => "it is the unit's `reserve_closing` of the previous year (0 in the run's first year); set `reserve` (set aside) or `reserve_used` (drawn on) instead",
                        ledger::RELEASED | ledger::FORFEITED | ledger::HELD_CLOSING => "yibao follows held money from the months that hold it (`held`) to the month the agreement block releases it, or to a termination",
                        _ => "it is reserve_opening + reserve − reserve_used; set `reserve` (set aside) or `reserve_used` (drawn on) instead",
                    };
                    self.error(
                        Diagnostic::error(format!(
                            "`{}` is computed by yibao",
                            ledger::COLUMNS[col as usize].0
                        ))
                        .at(name.span)
                        .label("cannot assign")
                        .help(help),
                    );
                    return;
                }
                if !ty.is_numeric() {
                    body.extend(self.ledger_set_val(name, (col, ty), value, e, add));
                    return;
                }
                let Some((n, t)) = self.expect_num(e, value.span, "a ledger amount") else {
                    return;
                };
                if t.unify(ty).is_none() {
                    self.error(
                        Diagnostic::error(format!(
                            "ledger amount `{}` is {ty}, but this is {}",
                            name.name,
                            t.article()
                        ))
                        .at(value.span)
                        .label(format!("this is {}", t.article())),
                    );
                    return;
                }
                let what = format!("ledger amount `{}`", name.name);
                self.require_places(&n, ty, value.span, &what);
                let span = name.span.to(value.span);
                body.push(if add {
                    Stmt::AddLedger(col, n, span)
                } else {
                    Stmt::SetLedger(col, n, span)
                });
            }
            ast::Stmt::Pay { span, .. } => self.error(
                Diagnostic::error("a settle block does not pay claims")
                    .at(*span)
                    .help("set a ledger amount, e.g. `routine_paid = sum(fund_paid)`"),
            ),
        }
    }

    /// `sum(x [when c])`, `count([when c])`, `avg(x [when c])`.
    pub(crate) fn aggregate(
        &mut self,
        func: &ast::Ident,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
    ) -> TExpr {
        let kind = match func.name.as_str() {
            "sum" => AggKind::Sum,
            "count" => AggKind::Count,
            _ => AggKind::Avg,
        };
        let Some(ctx) = self.settle.as_mut() else {
            self.error(
                Diagnostic::error(format!("`{}` is an aggregate over claims; it belongs in a settle block", func.name))
                    .at(func.span)
                    .help("a rule sees one claim; to carry amounts across a patient's claims use an `accumulator`"),
            );
            return TExpr::Poison;
        };
        if ctx.in_agg {
            self.error(
                Diagnostic::error("aggregates cannot be nested")
                    .at(func.span)
                    .help("an aggregate's argument is a value of one claim"),
            );
            return TExpr::Poison;
        }
        // An explicit range first: `count(institutions when …)`, `sum(claims, x)`.
        let range = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Name(id)) if id.name == "claims" || id.name == "institutions" => {
                Some(if id.name == "claims" {
                    AggOver::Claims
                } else {
                    AggOver::Institutions
                })
            }
            _ => None,
        };
        let args = if range.is_some() { &args[1..] } else { args };
        let want = if kind == AggKind::Count { 0 } else { 1 };
        if args.len() != want {
            let example = match kind {
                AggKind::Count => "`count()`, `count(when claim.visit_type == \"inpatient\")` or `count(institutions when institution.level == 1)`",
                AggKind::Sum => "`sum(claim.total_cost)`, `sum(fund_paid when ...)` or `sum(institutions, institution.enrolled)`",
                AggKind::Avg => "`avg(claim.length_of_stay when ...)`",
            };
            self.error(
                Diagnostic::error(format!(
                    "`{}` takes {}",
                    func.name,
                    if want == 0 {
                        "no value, only an optional `when`"
                    } else {
                        "one value"
                    }
                ))
                .at(span)
                .help(format!("write {example}")),
            );
            return TExpr::Poison;
        }
        let Some(ctx) = self.settle.as_mut() else {
            return TExpr::Poison;
        };
        ctx.in_agg = true;
        ctx.touched_claim = false;
        ctx.touched_inst = false;
        let arg = args.first().map(|a| {
            let e = self.expr(a);
            (
                self.expect_num(e, a.span, &format!("what `{}` adds up", func.name)),
                a.span,
            )
        });
        let filter = filter.map(|f| {
            let e = self.expr(f);
            self.expect_bool(e, f.span, "an aggregate's `when`")
        });
        let Some(ctx) = self.settle.as_mut() else {
            return TExpr::Poison;
        };
        ctx.in_agg = false;
        let (touched_claim, touched_inst) = (ctx.touched_claim, ctx.touched_inst);
        let patient = ctx.unit == UnitKind::Patient;
        let over = match range {
            Some(AggOver::Institutions) if touched_claim => {
                self.error(
                    Diagnostic::error(format!(
                        "`{}(institutions, …)` ranges over institutions, but this reads a value of a claim",
                        func.name
                    ))
                    .at(span)
                    .help("over institutions an aggregate reads `institution.x` only; to add up the claims, leave out `institutions`"),
                );
                return TExpr::Poison;
            }
            Some(AggOver::Institutions) if patient => {
                self.error(
                    Diagnostic::error("a patient block ranges over the patient's claims, not over institutions")
                        .at(span)
                        .help("leave out `institutions`: `sum(claim.total_cost when institution.level == 3)` adds up the patient's claims at level-3 institutions"),
                );
                return TExpr::Poison;
            }
            Some(r) => r,
            // Without a range an aggregate is over claims; one that reads
            // institutions only could mean either, so it must say.
            None if patient => AggOver::Claims,
            None if touched_inst && !touched_claim => {
                let (what, inst, claims) = match kind {
                    AggKind::Count => (
                        "count",
                        "count(institutions when …)",
                        "count(claims when …)",
                    ),
                    AggKind::Sum => ("sum", "sum(institutions, …)", "sum(claims, …)"),
                    AggKind::Avg => ("avg", "avg(institutions, …)", "avg(claims, …)"),
                };
                self.error(
                    Diagnostic::error(format!(
                        "say what this `{what}` ranges over: the unit's claims or its institutions"
                    ))
                    .at(span)
                    .label("reads only institution values")
                    .help(format!(
                        "`{inst}` takes each institution once (e.g. `sum(institutions, institution.enrolled)`); `{claims}` each of their claims"
                    )),
                );
                return TExpr::Poison;
            }
            None => AggOver::Claims,
        };
        let Some(ctx) = self.settle.as_mut() else {
            return TExpr::Poison;
        };
        let (arg, ty) = match arg {
            None => (None, Ty::Count),
            Some((Some((n, t)), _)) => (Some(n), t),
            Some((None, _)) => return TExpr::Poison,
        };
        let filter = match filter {
            None => None,
            Some(Some(b)) => Some(b),
            Some(None) => return TExpr::Poison,
        };
        let ty = if kind == AggKind::Count {
            Ty::Count
        } else {
            ty
        };
        let i = slot(ctx.aggs.len());
        ctx.aggs.push(ir::Aggregate {
            kind,
            over,
            arg,
            filter,
            span,
        });
        TExpr::Num(Num::Agg(i), ty)
    }

    /// `prior(ledger_amount, fallback)`: the unit's previous year.
    pub(crate) fn prior(&mut self, args: &[Expr], span: Span) -> TExpr {
        if matches!(&self.settle, Some(c) if c.unit == UnitKind::Patient) {
            self.error(
                Diagnostic::error("`prior` reads a unit's ledger of last year; a patient block has none")
                    .at(span)
                    .help("a patient block sees the patient's claims of the year through aggregates; to carry an amount across years keep an `accumulator … per patient` (whole run)"),
            );
            return TExpr::Poison;
        }
        let in_year_block =
            matches!(&self.settle, Some(c) if !c.in_agg && c.period == PeriodKind::Year);
        let help = "write `prior(routine_paid, institution.prior_year_monthly_avg * 12)`: the amount in the unit's previous year, or the fallback when the data has no previous year";
        if !in_year_block {
            self.error(
                Diagnostic::error(
                    "`prior` reads last year's ledger; it belongs in a `per year` settle block",
                )
                .at(span)
                .help(help),
            );
            return TExpr::Poison;
        }
        let [what, fallback] = args else {
            self.error(
                Diagnostic::error("`prior` takes a ledger amount and a fallback")
                    .at(span)
                    .help(help),
            );
            return TExpr::Poison;
        };
        let col = match &what.kind {
            ExprKind::Name(id) => self.ledger_col(&id.name),
            _ => None,
        };
        if let Some((c, _)) = col {
            self.ledger_reads.push((c, what.span));
        }
        let Some((col, ty)) = col else {
            self.error(
                Diagnostic::error("the first argument of `prior` must name a ledger amount")
                    .at(what.span)
                    .help(help),
            );
            return TExpr::Poison;
        };
        if !ty.is_numeric() {
            return self.prior_of_val(&what_name(what), (col, ty), fallback, what.span);
        }
        let e = self.expr(fallback);
        let Some((n, t)) = self.expect_num(e, fallback.span, "the fallback of `prior`") else {
            return TExpr::Poison;
        };
        if t.unify(ty).is_none() {
            self.error(
                Diagnostic::error(format!(
                    "the fallback is {}, the ledger amount {ty}",
                    t.article()
                ))
                .at(fallback.span),
            );
            return TExpr::Poison;
        }
        TExpr::Num(Num::Prior(col, Box::new(n)), ty)
    }

    /// `assessment.score`, or a region value `block.name`; `None` when the
    /// object is neither (an ordinary field).
    pub(crate) fn unit_field(&mut self, object: &ast::Ident, field: &ast::Ident) -> Option<TExpr> {
        if object.name == "assessment" {
            let ok = matches!(&self.settle, Some(c) if !c.in_agg && !matches!(c.unit, UnitKind::Region | UnitKind::Patient));
            if field.name != "score" {
                self.error(
                    Diagnostic::error(format!("an assessment has no `{}`", field.name))
                        .at(field.span)
                        .help("the assessment file gives `assessment.score` (0–100) per unit and year"),
                );
                return Some(TExpr::Poison);
            }
            if !ok {
                self.error(
                    Diagnostic::error("`assessment.score` is a unit's score for a year; it belongs in an institution or alliance settle block")
                        .at(object.span.to(field.span)),
                );
                return Some(TExpr::Poison);
            }
            return Some(TExpr::Num(
                Num::Score(object.span.to(field.span)),
                Ty::Number,
            ));
        }
        let Some(Global::Settle) = self.globals.get(&object.name).map(|g| g.0) else {
            return None;
        };
        *self.used.entry(object.name.clone()).or_insert(0) += 1;
        let key = (object.name.clone(), field.name.clone());
        let found = self.region_lets.get(&key).copied();
        let ok = matches!(&self.settle, Some(c) if !c.in_agg && c.period == PeriodKind::Year);
        if found.is_some() && matches!(&self.settle, Some(c) if c.unit == UnitKind::Patient) {
            self.error(
                Diagnostic::error(format!(
                    "`{}.{}` is a region value; a patient block cannot read it",
                    object.name, field.name
                ))
                .at(object.span.to(field.span))
                .help("patients are cleared apart from the units' ledger: compute the value from parameters, or declare it as a parameter"),
            );
            return Some(TExpr::Poison);
        }
        match found {
            Some((r, ty)) if ok => Some(TExpr::Num(Num::Region(r), ty)),
            Some(_) => {
                self.error(
                    Diagnostic::error(format!(
                        "`{}.{}` is a yearly region value",
                        object.name, field.name
                    ))
                    .at(object.span.to(field.span))
                    .help("use it in a `per year` settle block, outside aggregates"),
                );
                Some(TExpr::Poison)
            }
            None => {
                let names: Vec<String> = self
                    .region_lets
                    .keys()
                    .filter(|(b, _)| *b == object.name)
                    .map(|(_, n)| n.clone())
                    .collect();
                let mut d = Diagnostic::error(format!(
                    "`{}` has no region value `{}` computed before this block",
                    object.name, field.name
                ))
                .at(field.span)
                .label("unknown");
                d = match suggest(&field.name, names.iter().map(String::as_str)) {
                    Some(x) => d.help(format!("did you mean `{x}`?")),
                    None => d.help("a `per region per year` block defines values with `let`; blocks that use them must come after it"),
                };
                self.error(d);
                Some(TExpr::Poison)
            }
        }
    }
}

/// The name `prior`'s first argument gives.
fn what_name(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Name(id) => id.name.clone(),
        _ => String::new(),
    }
}
