//! `compare --rules`: the rules of several policies side by side.
//!
//! Every parameter, table cell, schedule segment (including the bands of
//! retention and overspend-sharing schedules), layer rule and settle block
//! becomes a row keyed by (kind, name, cell), so the same name lines up
//! across policies. Dated versions of a name are shown in one cell, each
//! with the days it is in force. Values are written as a policy writes them
//! (`200元`, `95%`, `30天`), and table keys by their canonical spelling, so
//! `"职工"` in one file and `"employee"` in another line up.

use crate::check::types::Ty;
use crate::ir::{
    Dim, KeyValue, ParamValue, PeriodKind, Program, Rule, ScheduleKind, Settle, UnitKind,
};
use crate::ir::{Period, Table};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One compared item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// `policy`, `param`, `table`, `schedule`, `rule` or `settle`.
    pub kind: &'static str,
    pub name: String,
    /// The table cell (`[employee, 1]`), schedule segment (`#2`), or empty.
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
    pub fn only_in(&self) -> Vec<(usize, &'static str, &str)> {
        let mut seen: Vec<(usize, &'static str, &str)> = Vec::new();
        if self.labels.len() < 2 {
            return seen;
        }
        let mut names: Vec<(&'static str, &str)> = Vec::new();
        for r in &self.rows {
            if !names.contains(&(r.kind, r.name.as_str())) {
                names.push((r.kind, r.name.as_str()));
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

/// Lines up the rules of `progs` (label, program).
pub fn diff(progs: &[(&str, &Program)]) -> RulesDiff {
    let n = progs.len();
    let mut rows: Vec<RuleRow> = Vec::new();
    let mut index: HashMap<(&'static str, String, String), usize> = HashMap::new();
    for (p, (_, prog)) in progs.iter().enumerate() {
        for (kind, name, key, value) in items(prog) {
            let at = *index
                .entry((kind, name.clone(), key.clone()))
                .or_insert_with(|| {
                    rows.push(RuleRow {
                        kind,
                        name,
                        key,
                        values: vec![None; n],
                    });
                    rows.len() - 1
                });
            rows[at].values[p] = Some(value);
        }
    }
    // By kind, in the order a policy is written; within a kind, in order of first appearance.
    let rank = |k: &str| KINDS.iter().position(|x| *x == k).unwrap_or(KINDS.len());
    rows.sort_by_key(|r| rank(r.kind));
    RulesDiff {
        labels: progs.iter().map(|(l, _)| l.to_string()).collect(),
        rows,
    }
}

/// The kinds of item, in the order rows are listed.
pub const KINDS: [&str; 6] = ["policy", "param", "table", "schedule", "rule", "settle"];

type Item = (&'static str, String, String, String);

/// A program's items in file order; versions of one name merged into one value.
fn items(prog: &Program) -> Vec<Item> {
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
    for p in &prog.params {
        let v = match &p.value {
            ParamValue::Num(d) => value(p.ty, *d),
            ParamValue::Date(d) => d.to_string(),
            ParamValue::Text(t) => format!("\"{t}\""),
            ParamValue::Bool(b) => b.to_string(),
        };
        push("param", &p.name, String::new(), dated(v, p.in_force));
    }
    for t in &prog.tables {
        for (key, v) in cells(t) {
            push("table", &t.name, key, dated(value(t.ty, v), t.in_force));
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
    }
    for l in &prog.layers {
        for r in &l.rules {
            let name = format!("{}.{}", l.name, r.name);
            push("rule", &name, String::new(), rule_value(r));
        }
    }
    for s in &prog.settles {
        push("settle", &s.name, String::new(), settle_value(s));
    }
    out
}

fn rule_value(r: &Rule) -> String {
    dated("in force".into(), r.period)
}

fn settle_value(s: &Settle) -> String {
    let unit = match s.unit {
        UnitKind::Institution => "institution",
        UnitKind::Alliance => "alliance",
        UnitKind::Region => "region",
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
fn cells(t: &Table) -> Vec<(String, Decimal)> {
    let mut out = Vec::new();
    if let Some(dense) = &t.dense {
        let sizes: Vec<usize> = t
            .dims
            .iter()
            .map(|d| if let Dim::Enum(k) = d { k.count() } else { 1 })
            .collect();
        for (i, v) in dense.iter().enumerate() {
            let Some(v) = v else { continue };
            let mut rest = i;
            let mut parts = vec![String::new(); sizes.len()];
            for d in (0..sizes.len()).rev() {
                let code = rest % sizes[d];
                rest /= sizes[d];
                parts[d] = match t.dims[d] {
                    Dim::Enum(k) => k.name_of(u8::try_from(code).unwrap_or(u8::MAX)).to_string(),
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

    fn prog(src: &str) -> Program {
        let file = crate::source::SourceFile::new("t.policy", src);
        crate::compile(&file).map(|(p, _)| p).unwrap()
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
        let d = diff(&[("a", &a), ("b", &b)]);
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
        let rule = find("rule", "fund_paid.r", "");
        assert_eq!(
            rule.values,
            vec![
                Some("in force".into()),
                Some("in force (from 2025-01-01)".into())
            ]
        );
        assert_eq!(d.only_in(), vec![(1, "param", "新")]);
    }
}
