//! Calls: functions (`min`, `max`, `clamp`, `rate`), schedules applied
//! to an amount, and table lookups.

use super::expr::TExpr;
use super::literal::enum_error;
use super::types::Ty;
use super::{Checker, Global, FUNCTIONS};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{Dim, EnumX, Key, Num, TextX};
use crate::source::Span;
use crate::syntax::ast::{Expr, ExprKind};

impl Checker {
    pub(super) fn call(&mut self, func: &str, fspan: Span, args: &[Expr], span: Span) -> TExpr {
        let vals: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
        if self.is_broken(func) {
            return TExpr::Poison;
        }
        if let Some(Global::Schedule(i)) = self.globals.get(func).map(|g| g.0) {
            *self.used.entry(func.to_string()).or_insert(0) += 1;
            if vals.len() != 1 {
                self.error(
                    Diagnostic::error(format!(
                        "schedule `{func}` takes one amount, not {}",
                        vals.len()
                    ))
                    .at(span),
                );
                return TExpr::Poison;
            }
            let input = self
                .prog
                .schedules
                .get(self.ref_slot(i))
                .map_or(Ty::Number, |s| s.input);
            let Some(v) = vals.into_iter().next() else {
                return TExpr::Poison;
            };
            let Some((n, t)) = self.expect_num(v, args[0].span, "a schedule's amount") else {
                return TExpr::Poison;
            };
            let Some(t) = t.unify(input) else {
                self.error(
                    Diagnostic::error(format!(
                        "schedule `{func}` is over {}, but this is {}",
                        input.article(),
                        t.article()
                    ))
                    .at(args[0].span),
                );
                return TExpr::Poison;
            };
            return TExpr::Num(Num::Schedule(i, Box::new(n), span), t);
        }
        if super::dates::DATE_FUNCTIONS.contains(&func) {
            return self
                .date_call(func, args, vals, span)
                .unwrap_or(TExpr::Poison);
        }
        if func == "applied" {
            return self.applied_call(args, vals, span);
        }
        let arity_ok = match func {
            "min" | "max" => vals.len() >= 2,
            "clamp" => vals.len() == 3,
            _ if self.days_between_call(func, fspan) => return TExpr::Poison,
            _ => {
                let mut names: Vec<&str> = FUNCTIONS.to_vec();
                names.extend(super::dates::DATE_FUNCTIONS);
                let scheds: Vec<String> =
                    self.prog.schedules.iter().map(|s| s.name.clone()).collect();
                names.extend(scheds.iter().map(String::as_str));
                let mut d = Diagnostic::error(format!("unknown function `{func}`"))
                    .at(fspan)
                    .label("not a function");
                d = match suggest(func, names) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if matches!(
                        self.globals.get(func).map(|g| g.0),
                        Some(Global::Table(_))
                    ) =>
                    {
                        d.help(format!(
                            "`{func}` is a table: look up a cell with `{func}[...]`"
                        ))
                    }
                    None => {
                        d.help("the functions are `min`, `max`, `clamp`, `rate`, `applied`, the date functions `year`, `month`, `day`, `month_start`, `month_end`, and the policy's schedules")
                    }
                };
                self.error(d);
                return TExpr::Poison;
            }
        };
        if !arity_ok {
            let need = if func == "clamp" {
                "three values: `clamp(x, low, high)`"
            } else {
                "at least two values"
            };
            self.error(Diagnostic::error(format!("`{func}` takes {need}")).at(span));
            return TExpr::Poison;
        }
        let mut nums = Vec::new();
        let mut ty = Ty::Number;
        for (v, a) in vals.into_iter().zip(args) {
            let (n, t) = match self.expect_num(v, a.span, &format!("an argument of `{func}`")) {
                Some(x) => x,
                None => return TExpr::Poison,
            };
            match ty.unify(t) {
                Some(u) => ty = u,
                None => {
                    self.error(
                        Diagnostic::error(format!(
                            "`{func}` compares {} with {}",
                            ty.article(),
                            t.article()
                        ))
                        .at(a.span)
                        .label(format!("this is {}", t.article()))
                        .help("all arguments must be the same kind of number"),
                    );
                    return TExpr::Poison;
                }
            }
            nums.push(n);
        }
        let n = match func {
            "min" => Num::Min(nums),
            "max" => Num::Max(nums),
            _ => {
                let mut it = nums.into_iter();
                match (it.next(), it.next(), it.next()) {
                    (Some(x), Some(lo), Some(hi)) => Num::Clamp(Box::new((x, lo, hi)), span),
                    _ => return TExpr::Poison,
                }
            }
        };
        TExpr::Num(n, ty)
    }

    /// `applied(FEE)`: whether a rule of the fee block applied to the claim
    /// (a fee of 0.00 may apply; `FEE > 0` is not the same question).
    fn applied_call(&mut self, args: &[Expr], vals: Vec<TExpr>, span: Span) -> TExpr {
        let fee = self.prog.fee.as_ref().map(|f| f.name.clone());
        let help = match &fee {
            Some(f) => format!("write `applied({f})`: true where a rule of the fee block `{f}` set the claim's fee"),
            None => "`applied` names the policy's `fee` block, and this policy has none".to_string(),
        };
        let is_name = matches!(args, [a] if matches!(a.kind, ExprKind::Name(_)));
        match vals.as_slice() {
            [TExpr::Poison] => TExpr::Poison,
            [TExpr::Num(Num::Fee, _)] if is_name => {
                if self.settle.is_some() {
                    let f = fee.unwrap_or_default();
                    self.error(
                        Diagnostic::error("`applied` is a claim's, known while the claim is settled")
                            .at(span)
                            .help(format!("keep it per claim in a top-level output and count that: `output 按{f}: bool = applied({f})`, then `count(when 按{f})`")),
                    );
                    return TExpr::Poison;
                }
                TExpr::Bool(crate::ir::Bool::FeeApplied)
            }
            _ => {
                self.error(
                    Diagnostic::error("`applied` takes the name of the fee block")
                        .at(span)
                        .help(help),
                );
                TExpr::Poison
            }
        }
    }

    pub(super) fn lookup(&mut self, table: &str, tspan: Span, args: &[Expr], span: Span) -> TExpr {
        let vals: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
        if self.is_broken(table) {
            return TExpr::Poison;
        }
        let Some(Global::Table(i)) = self.globals.get(table).map(|g| g.0) else {
            let tables: Vec<String> = self.prog.tables.iter().map(|t| t.name.clone()).collect();
            let mut d = Diagnostic::error(format!("unknown table `{table}`"))
                .at(tspan)
                .label("not a table");
            if let Some(s) = suggest(table, tables.iter().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return TExpr::Poison;
        };
        *self.used.entry(table.to_string()).or_insert(0) += 1;
        let Some(t) = self.prog.tables.get(self.ref_slot(i)) else {
            return TExpr::Poison;
        };
        let (dims, ty) = (t.dims.clone(), t.ty);
        if vals.len() != dims.len() {
            self.error(
                Diagnostic::error(format!(
                    "table `{table}` takes {} key{}, not {}",
                    dims.len(),
                    if dims.len() == 1 { "" } else { "s" },
                    vals.len()
                ))
                .at(span),
            );
            return TExpr::Poison;
        }
        let mut keys = Vec::new();
        for ((v, dim), a) in vals.into_iter().zip(dims).zip(args) {
            let key = match (dim, v) {
                (_, TExpr::Poison) => return TExpr::Poison,
                (Dim::Enum(k), TExpr::Enum(x, k2)) if k == k2 => Key::Code(x),
                (Dim::Enum(k), TExpr::TextLit(s, lit)) => match k.code_of(&s) {
                    Some(c) => Key::Code(EnumX::Const(c)),
                    None => {
                        self.error(enum_error(&lit, &s, k));
                        return TExpr::Poison;
                    }
                },
                (Dim::Choice { id, .. }, v @ (TExpr::Text(_) | TExpr::TextLit(..))) => {
                    let what = format!("the key of table `{table}`");
                    if !self.fits_choice(id, &v, a.span, &what) {
                        return TExpr::Poison;
                    }
                    match v {
                        TExpr::Text(x) => Key::Choice(x, id),
                        TExpr::TextLit(s, _) => Key::Choice(TextX::Const(s), id),
                        _ => return TExpr::Poison,
                    }
                }
                (Dim::Text, TExpr::Text(x)) => Key::Text(x),
                (Dim::Text, TExpr::TextLit(s, _)) => Key::Text(TextX::Const(s)),
                (Dim::Num, TExpr::Num(n, _)) => Key::Num(n),
                (Dim::Bool, TExpr::Bool(b)) => Key::Bool(b),
                (dim, other) => {
                    let want = match dim {
                        Dim::Enum(k) => format!("{} ({})", Ty::Enum(k), k.describe()),
                        Dim::Text => "text".into(),
                        Dim::Num => "a number".into(),
                        Dim::Bool => "a condition (`true` or `false`)".into(),
                        Dim::Choice { id, .. } => self
                            .enumeration(id)
                            .map_or("?".into(), |e| format!("a {} ({})", e.name, e.describe())),
                    };
                    let got = other.ty().map_or("?".into(), |t| t.article());
                    self.error(
                        Diagnostic::error(format!(
                            "table `{table}` is keyed here by {want}, not {got}"
                        ))
                        .at(a.span)
                        .label("wrong key"),
                    );
                    return TExpr::Poison;
                }
            };
            keys.push(key);
        }
        TExpr::Num(Num::Lookup(i, keys, span), ty)
    }

    /// The slot of a name's first version (versions share type and keys).
    pub(super) fn rate(&mut self, args: &[Expr], span: Span) -> TExpr {
        let sched = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Name(id)) if self.is_broken(&id.name) => {
                if let Some(a) = args.get(1) {
                    self.expr(a);
                }
                return TExpr::Poison;
            }
            Some(ExprKind::Name(id)) => match self.globals.get(&id.name).map(|g| g.0) {
                Some(Global::Schedule(r)) => {
                    *self.used.entry(id.name.clone()).or_insert(0) += 1;
                    Some(r)
                }
                _ => None,
            },
            _ => None,
        };
        let (Some(r), 2) = (sched, args.len()) else {
            self.error(
                Diagnostic::error("`rate` takes a schedule and an amount")
                    .at(span)
                    .help("write `rate(返还档, assessment.score)`: the rate of the segment the amount falls in"),
            );
            return TExpr::Poison;
        };
        let input = self
            .prog
            .schedules
            .get(self.ref_slot(r))
            .map_or(Ty::Number, |s| s.input);
        let v = self.expr(&args[1]);
        let Some((n, t)) = self.expect_num(v, args[1].span, "the amount of `rate`") else {
            return TExpr::Poison;
        };
        if t.unify(input).is_none() {
            self.error(
                Diagnostic::error(format!(
                    "the schedule is over {}, but this is {}",
                    input.article(),
                    t.article()
                ))
                .at(args[1].span),
            );
            return TExpr::Poison;
        }
        TExpr::Num(Num::Rate(r, Box::new(n), span), Ty::Ratio)
    }
}
