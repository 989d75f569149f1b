//! `compare --rules`: the rules of several policies side by side.
//!
//! Every parameter, accumulator (type, scope, default), table cell,
//! schedule segment (including the bands of retention and
//! overspend-sharing schedules), layer rule and settle block
//! becomes rows keyed by (kind, name, key), so the same name lines up
//! across policies. Dated versions of a name are shown in one cell, each
//! with the days it is in force. Values are written as a policy writes them
//! (`200元`, `95%`, `30天`), and table keys by their canonical spelling, so
//! `"职工"` in one file and `"employee"` in another line up.
//!
//! A rule is compared by its position in its layer (the first rule whose
//! `when` holds applies, so order matters), its condition and each statement
//! of its body, in the canonical text of [`crate::fmt::policy_text`]: spacing,
//! line breaks, comments and enum aliases are not differences. A name that is
//! a parameter in one policy and a table (or schedule) in another is one row,
//! marked as differing in kind. Every `cite` is a row of its own.

use crate::check::types::Ty;
use crate::fmt::PolicyText;
use crate::ir::{AccScope, Period, Table};
use crate::ir::{Dim, KeyValue, ParamValue, PeriodKind, Program, ScheduleKind, Settle, UnitKind};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One compared item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// `policy`, `param`, `table`, `schedule`, `accumulator`, `rule` or `settle`; for a name
    /// declared as different kinds, each policy's kind, as `param ≠ table`.
    pub kind: String,
    pub name: String,
    /// The table cell (`[employee, 1]`), schedule segment (`#2`), a rule's
    /// `order`, `when` or statement (`body #1`), a `cite`, or empty.
    pub key: String,
    /// Per policy; `None` where the policy has no such item.
    pub values: Vec<Option<String>>,
}

impl RuleRow {
    /// Whether the policies disagree (an item missing from one counts).
    pub fn differs(&self) -> bool {
        self.values.windows(2).any(|w| w[0] != w[1])
    }
}

/// The rules of several policies, aligned.
#[derive(Debug, Clone)]
pub struct RulesDiff {
    pub labels: Vec<String>,
    pub rows: Vec<RuleRow>,
}

impl RulesDiff {
    /// Names (kind and name) that only one policy has, with that policy's index.
    pub fn only_in(&self) -> Vec<(usize, &str, &str)> {
        let mut seen: Vec<(usize, &str, &str)> = Vec::new();
        if self.labels.len() < 2 {
            return seen;
        }
        let mut names: Vec<(&str, &str)> = Vec::new();
        for r in &self.rows {
            if !names.contains(&(r.kind.as_str(), r.name.as_str())) {
                names.push((r.kind.as_str(), r.name.as_str()));
            }
        }
        for (kind, name) in names {
            let mut has = vec![false; self.labels.len()];
            for r in self
                .rows
                .iter()
                .filter(|r| r.kind == kind && r.name == name)
            {
                for (h, v) in has.iter_mut().zip(&r.values) {
                    *h |= v.is_some();
                }
            }
            if has.iter().filter(|h| **h).count() == 1 {
                if let Some(p) = has.iter().position(|h| *h) {
                    seen.push((p, kind, name));
                }
            }
        }
        seen
    }
}

/// One policy to compare: its label, its checked program, and the canonical
/// text of its rules and settle blocks (`None`: rules compared by position only).
pub type Side<'a> = (&'a str, &'a Program, Option<&'a PolicyText>);

/// Lines up the rules of several policies.
pub fn diff(sides: &[Side<'_>]) -> RulesDiff {
    let n = sides.len();
    let mut rows: Vec<RuleRow> = Vec::new();
    let mut index: HashMap<(&'static str, String, String), usize> = HashMap::new();
    for (p, (_, prog, text)) in sides.iter().enumerate() {
        for (kind, name, key, value) in items(prog, *text) {
            let at = *index
                .entry((kind, name.clone(), key.clone()))
                .or_insert_with(|| {
                    rows.push(RuleRow {
                        kind: kind.to_string(),
                        name,
                        key,
                        values: vec![None; n],
                    });
                    rows.len() - 1
                });
            rows[at].values[p] = Some(value);
        }
    }
    let mut rows = merge_kinds(rows);
    // By kind, in the order a policy is written; within a kind, by name in order
    // of first appearance; a rule's rows as written (order, when, body, cite).
    let rank = |k: &str| {
        let first = k.split(" ≠ ").next().unwrap_or(k);
        KINDS
            .iter()
            .position(|x| *x == first)
            .unwrap_or(KINDS.len())
    };
    let mut first: HashMap<(String, String), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        first.entry((r.kind.clone(), r.name.clone())).or_insert(i);
    }
    let mut keyed: Vec<(usize, usize, usize, usize, RuleRow)> = rows
        .drain(..)
        .enumerate()
        .map(|(i, r)| {
            let name_at = first
                .get(&(r.kind.clone(), r.name.clone()))
                .copied()
                .unwrap_or(i);
            (rank(&r.kind), name_at, key_rank(&r.key), i, r)
        })
        .collect();
    keyed.sort_by_key(|k| (k.0, k.1, k.2, k.3));
    RulesDiff {
        labels: sides.iter().map(|(l, _, _)| l.to_string()).collect(),
        rows: keyed.into_iter().map(|k| k.4).collect(),
    }
}

/// Where a key sorts among the rows of one name: the item itself (a settle
/// block's unit and period) or a rule's `order` first, then `when`, the
/// statements in body order, other keys as first seen, and `cite` last.
fn key_rank(key: &str) -> usize {
    match key {
        "" | "order" => 0,
        "when" => 1,
        "cite" => usize::MAX,
        k => k
            .strip_prefix("body #")
            .and_then(|n| n.parse::<usize>().ok())
            .map_or(usize::MAX - 1, |n| n + 1),
    }
}

/// The declaration kinds a name can be in one policy and another.
const DECLS: [&str; 3] = ["param", "table", "schedule"];

/// A name declared as a parameter in one policy and a table or schedule in
/// another becomes one row, its kind `param ≠ table`, each policy's value its
/// kind and its rows (`table [1] 200元; [2] 500元`).
fn merge_kinds(rows: Vec<RuleRow>) -> Vec<RuleRow> {
    let n = rows.first().map_or(0, |r| r.values.len());
    let mut names: Vec<String> = Vec::new();
    for r in rows.iter().filter(|r| DECLS.contains(&r.kind.as_str())) {
        if !names.contains(&r.name) {
            names.push(r.name.clone());
        }
    }
    let mut out = rows;
    for name in names {
        let of_name = |r: &RuleRow| r.name == name && DECLS.contains(&r.kind.as_str());
        // The kind each policy declares the name as.
        let kinds: Vec<Option<String>> = (0..n)
            .map(|p| {
                out.iter()
                    .find(|r| of_name(r) && r.values[p].is_some())
                    .map(|r| r.kind.clone())
            })
            .collect();
        let mut distinct: Vec<&String> = Vec::new();
        for k in kinds.iter().flatten() {
            if !distinct.contains(&k) {
                distinct.push(k);
            }
        }
        if distinct.len() < 2 {
            continue;
        }
        let kind = distinct
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(" ≠ ");
        let values = (0..n)
            .map(|p| {
                let k = kinds[p].as_ref()?;
                let parts: Vec<String> = out
                    .iter()
                    .filter(|r| of_name(r))
                    .filter_map(|r| {
                        let v = r.values[p].as_ref()?;
                        Some(if r.key.is_empty() {
                            v.clone()
                        } else {
                            format!("{} {v}", r.key)
                        })
                    })
                    .collect();
                Some(format!("{k} {}", parts.join("; ")))
            })
            .collect();
        let at = out.iter().position(of_name).unwrap_or(out.len());
        let merged = RuleRow {
            kind,
            name: name.clone(),
            key: String::new(),
            values,
        };
        out.retain(|r| !of_name(r));
        out.insert(at.min(out.len()), merged);
    }
    out
}

/// The kinds of item, in the order rows are listed.
pub const KINDS: [&str; 8] = [
    "policy",
    "param",
    "table",
    "schedule",
    "accumulator",
    "rule",
    "settle",
    "output",
];

type Item = (&'static str, String, String, String);

/// A program's items in file order; versions of one name merged into one value.
fn items(prog: &Program, text: Option<&PolicyText>) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    let mut push = |kind: &'static str, name: &str, key: String, value: String| match out
        .iter_mut()
        .find(|(k, n, kk, _)| *k == kind && n == name && *kk == key)
    {
        Some(item) => {
            item.3.push_str("; ");
            item.3.push_str(&value);
        }
        None => out.push((kind, name.to_string(), key, value)),
    };
    let cite = |c: &Option<String>| c.as_ref().map(|c| format!("\"{c}\""));
    if let Some(r) = &prog.region {
        let v = match &prog.code {
            Some(c) => format!("{r} ({c})"),
            None => r.clone(),
        };
        push("policy", "region", String::new(), v);
    }
    if let Some(notice) = &prog.notice {
        push("policy", "notice", String::new(), notice.clone());
    }
    // An enumeration's values, in order: adding, removing or reordering one
    // is a change of the policy.
    for e in &prog.enums {
        push("enum", &e.name, String::new(), e.describe());
    }
    let ty_name = |ty: crate::check::types::Ty, choice: Option<u16>| {
        choice
            .and_then(|id| prog.enums.get(usize::from(id)))
            .map_or_else(|| ty.to_string(), |e| e.name.clone())
    };
    for p in &prog.params {
        let v = match &p.value {
            ParamValue::Num(d) => value(p.ty, *d),
            ParamValue::Date(d) => d.to_string(),
            ParamValue::Text(t) => format!("\"{t}\""),
            ParamValue::Bool(b) => b.to_string(),
        };
        push("param", &p.name, String::new(), dated(v, p.in_force));
        if let Some(c) = cite(&p.cite) {
            push("param", &p.name, "cite".into(), dated(c, p.in_force));
        }
    }
    for a in &prog.accumulators {
        let scope = match a.scope {
            AccScope::PatientYear => "per patient per year",
            AccScope::Patient => "per patient",
        };
        let default = match &a.default {
            None => String::new(),
            Some(ParamValue::Num(d)) => format!(" default {}", value(a.ty, *d)),
            Some(ParamValue::Date(d)) => format!(" default {d}"),
            Some(ParamValue::Text(t)) => format!(" default \"{t}\""),
            Some(ParamValue::Bool(b)) => format!(" default {b}"),
        };
        push(
            "accumulator",
            &a.name,
            String::new(),
            format!("{} {scope}{default}", ty_name(a.ty, a.choice)),
        );
    }
    for t in &prog.tables {
        for (key, v) in cells(t, &prog.enums) {
            push("table", &t.name, key, dated(value(t.ty, v), t.in_force));
        }
        if let Some(c) = cite(&t.cite) {
            push("table", &t.name, "cite".into(), dated(c, t.in_force));
        }
    }
    for s in &prog.schedules {
        let kind = match s.kind {
            ScheduleKind::Marginal => "marginal",
            ScheduleKind::Whole => "whole",
        };
        push(
            "schedule",
            &s.name,
            "kind".into(),
            dated(kind.into(), s.in_force),
        );
        for (i, (from, to, rate)) in s.segments.iter().enumerate() {
            let to = to.map_or(String::new(), |t| value(s.input, t));
            let v = format!(
                "{} .. {to}: {}",
                value(s.input, *from),
                value(Ty::Ratio, *rate)
            );
            push(
                "schedule",
                &s.name,
                format!("#{}", i + 1),
                dated(v, s.in_force),
            );
        }
        if let Some(c) = cite(&s.cite) {
            push("schedule", &s.name, "cite".into(), dated(c, s.in_force));
        }
    }
    // The fee block's rules are compared like a layer's, as kind `fee rule`.
    for (li, l) in prog.payers().enumerate() {
        let kind = if li == prog.layers.len() {
            "fee rule"
        } else {
            "rule"
        };
        for (i, r) in l.rules.iter().enumerate() {
            let name = format!("{}.{}", l.name, r.name);
            let d = |v: String| dated(v, r.period);
            push(kind, &name, "order".into(), d(format!("#{}", i + 1)));
            match text.and_then(|t| t.at(r.span)) {
                Some(t) => {
                    let when = t.when.clone().unwrap_or_else(|| "always".into());
                    push(kind, &name, "when".into(), d(when));
                    for (k, st) in t.body.iter().enumerate() {
                        push(kind, &name, format!("body #{}", k + 1), d(st.clone()));
                    }
                }
                None => {
                    let when = if r.when.is_some() {
                        "a condition"
                    } else {
                        "always"
                    };
                    push(kind, &name, "when".into(), d(when.into()));
                }
            }
            if let Some(c) = cite(&r.cite) {
                push(kind, &name, "cite".into(), d(c));
            }
        }
    }
    for s in &prog.settles {
        push("settle", &s.name, String::new(), settle_value(s));
        if let Some(t) = text.and_then(|t| t.at(s.span)) {
            for (k, st) in t.body.iter().enumerate() {
                push(
                    "settle",
                    &s.name,
                    format!("body #{}", k + 1),
                    dated(st.clone(), s.in_force),
                );
            }
        }
        if let Some(c) = cite(&s.cite) {
            push("settle", &s.name, "cite".into(), dated(c, s.in_force));
        }
    }
    // Outputs: the type (and default) of each, and a top-level definition.
    for o in &prog.outputs {
        let mut ty = ty_name(o.ty, o.choice);
        if let Some(d) = &o.default {
            let shown = match d {
                ParamValue::Num(n) => value(o.ty, *n),
                ParamValue::Text(t) => format!("\"{t}\""),
                ParamValue::Date(d) => d.to_string(),
                ParamValue::Bool(b) => b.to_string(),
            };
            ty.push_str(&format!(" default {shown}"));
        }
        push("output", &o.name, "type".into(), ty);
        if o.defined {
            let v = text
                .and_then(|t| t.outputs.iter().find(|(n, _)| *n == o.name))
                .map_or_else(|| "an expression".into(), |(_, e)| e.clone());
            push("output", &o.name, "value".into(), v);
        }
    }
    out
}

fn settle_value(s: &Settle) -> String {
    let unit = match s.unit {
        UnitKind::Institution => "institution",
        UnitKind::Alliance => "alliance",
        UnitKind::Region => "region",
        UnitKind::Patient => "patient",
    };
    let period = match s.period {
        PeriodKind::Month => "month",
        PeriodKind::Year => "year",
    };
    let title = s
        .title
        .as_ref()
        .map_or(String::new(), |t| format!(" \"{t}\""));
    dated(format!("per {unit} per {period}{title}"), s.in_force)
}

/// A value with the days it is in force, when dated.
fn dated(v: String, p: Option<Period>) -> String {
    match p {
        None => v,
        Some(Period { from, until: None }) => format!("{v} (from {from})"),
        Some(Period {
            from,
            until: Some(u),
        }) => format!("{v} ({from} – {u})"),
    }
}

/// A number written as a policy writes it: `200元`, `95%`, `30天`, `2个月`.
pub fn value(ty: Ty, d: Decimal) -> String {
    let n = |d: Decimal| {
        let s = d.normalize().to_string();
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    };
    match ty {
        Ty::Money => format!("{}元", n(d)),
        Ty::Ratio => match d.checked_mul(Decimal::ONE_HUNDRED) {
            Some(p) => format!("{}%", n(p)),
            None => n(d),
        },
        Ty::Days => format!("{}天", n(d)),
        Ty::Months => format!("{}个月", n(d)),
        _ => n(d),
    }
}

/// A table's cells as (key, value), in key order, `else` last.
fn cells(t: &Table, enums: &[crate::ir::Enumeration]) -> Vec<(String, Decimal)> {
    let mut out = Vec::new();
    if let Some(dense) = &t.dense {
        let sizes: Vec<usize> = t.dims.iter().map(|d| d.size().unwrap_or(1)).collect();
        for (i, v) in dense.iter().enumerate() {
            let Some(v) = v else { continue };
            let mut rest = i;
            let mut parts = vec![String::new(); sizes.len()];
            for d in (0..sizes.len()).rev() {
                let code = rest % sizes[d];
                rest /= sizes[d];
                parts[d] = match t.dims[d] {
                    Dim::Enum(k) => k.name_of(u8::try_from(code).unwrap_or(u8::MAX)).to_string(),
                    Dim::Bool | Dim::Choice { .. } => t.dims[d].code_name(code, enums),
                    _ => "?".into(),
                };
            }
            out.push((format!("[{}]", parts.join(", ")), *v));
        }
    } else {
        for (key, v) in &t.rows {
            let parts: Vec<String> = key
                .iter()
                .zip(&t.dims)
                .map(|(k, d)| match (k, d) {
                    (KeyValue::Code(c), Dim::Enum(kind)) => kind.name_of(*c).to_string(),
                    (KeyValue::Code(c), Dim::Bool) => (*c == 1).to_string(),
                    (KeyValue::Code(c), d @ Dim::Choice { .. }) => {
                        d.code_name(usize::from(*c), enums)
                    }
                    (KeyValue::Text(s), _) => format!("\"{s}\""),
                    (KeyValue::Num(n), _) => n.normalize().to_string(),
                    (KeyValue::Code(c), _) => c.to_string(),
                })
                .collect();
            out.push((format!("[{}]", parts.join(", ")), *v));
        }
    }
    if let Some(d) = t.default {
        out.push(("[else]".into(), d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(src: &str) -> (Program, PolicyText) {
        let file = crate::source::SourceFile::new("t.policy", src);
        let text = crate::fmt::policy_text(&file).unwrap();
        (crate::compile(&file).map(|(p, _)| p).unwrap(), text)
    }

    #[test]
    fn values_are_written_as_in_a_policy() {
        assert_eq!(value(Ty::Money, Decimal::new(20000, 2)), "200元");
        assert_eq!(value(Ty::Ratio, Decimal::new(95, 2)), "95%");
        assert_eq!(value(Ty::Ratio, Decimal::new(125, 3)), "12.5%");
        assert_eq!(value(Ty::Days, Decimal::from(30)), "30天");
        assert_eq!(value(Ty::Months, Decimal::from(2)), "2个月");
    }

    #[test]
    fn aligns_by_name_and_canonical_key() {
        let a = prog(
            "param 门诊比例: ratio = 50%\n\
             table 比例: ratio by claim.insured_type = { \"employee\": 90%, \"resident\": 80% }\n\
             layer fund_paid { rule r { pay 0 } }",
        );
        let b = prog(
            "param 门诊比例: ratio = 50%\n\
             param 新: money = 1万元 from 2025-01-01\n\
             table 比例: ratio by claim.insured_type = { \"职工\": 90%, \"居民\": 85% }\n\
             layer fund_paid { rule r from 2025-01-01 { pay 0 } }",
        );
        let d = diff(&[("a", &a.0, Some(&a.1)), ("b", &b.0, Some(&b.1))]);
        let find = |kind: &str, name: &str, key: &str| {
            d.rows
                .iter()
                .find(|r| r.kind == kind && r.name == name && r.key == key)
                .unwrap()
                .clone()
        };
        let same = find("param", "门诊比例", "");
        assert!(!same.differs());
        let emp = find("table", "比例", "[employee]");
        assert_eq!(emp.values, vec![Some("90%".into()), Some("90%".into())]);
        let res = find("table", "比例", "[resident]");
        assert!(res.differs());
        let new = find("param", "新", "");
        assert_eq!(
            new.values,
            vec![None, Some("10000元 (from 2025-01-01)".into())]
        );
        let order = find("rule", "fund_paid.r", "order");
        assert_eq!(
            order.values,
            vec![Some("#1".into()), Some("#1 (from 2025-01-01)".into())]
        );
        let body = find("rule", "fund_paid.r", "body #1");
        assert_eq!(
            body.values,
            vec![Some("pay 0".into()), Some("pay 0 (from 2025-01-01)".into())]
        );
        assert_eq!(d.only_in(), vec![(1, "param", "新")]);
    }

    #[test]
    fn a_name_of_two_kinds_is_one_row_and_cites_are_rows() {
        let a = prog(
            "param 比例: ratio = 80% cite \"第三条\"\n\
             layer fund_paid { rule r cite \"第五条\" { pay claim.total_cost * 比例 round } }",
        );
        let b = prog(
            "table 比例: ratio by claim.insured_type = { \"employee\": 90%, \"resident\": 80% }\n\
             layer fund_paid { rule r { pay claim.total_cost * 比例[claim.insured_type] round } }",
        );
        let d = diff(&[("a", &a.0, Some(&a.1)), ("b", &b.0, Some(&b.1))]);
        let rows: Vec<&RuleRow> = d.rows.iter().filter(|r| r.name == "比例").collect();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].kind, "param ≠ table");
        assert!(rows[0].differs());
        assert_eq!(
            rows[0].values,
            vec![
                Some("param 80%; cite \"第三条\"".into()),
                Some("table [employee] 90%; [resident] 80%".into())
            ]
        );
        let cite = d
            .rows
            .iter()
            .find(|r| r.name == "fund_paid.r" && r.key == "cite")
            .unwrap();
        assert_eq!(cite.values, vec![Some("\"第五条\"".into()), None]);
        assert!(d.only_in().is_empty(), "{:?}", d.only_in());
    }
}
