//! A comparison out: the terminal tables, CSV and JSON of `yibao compare`
//! (those of `yibao compare --rules` are in [`super::rules`]).
//!
//! Every figure goes through one intermediate form — [`Section`]s of
//! [`Line`]s with a [`Cell`] per policy — so the three formats (and the HTML
//! report, [`super::html`]) cannot disagree. Changes are against the first
//! policy, the baseline: Δ in yuan (or claims) and in percent of the
//! baseline; for shares, in percentage points.

use super::{money, Table};
use crate::compare::{yuan, Comparison, Sums, BREAKDOWNS};
use crate::eval::ledger::kind_name;
use crate::schema::ledger::COLUMNS;
use crate::schema::EnumKind;
use rust_decimal::{Decimal, RoundingStrategy};

/// One figure of one policy.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Money(Decimal),
    Count(u64),
    /// A share (0.25 is 25%); `None` when undefined (nothing to share).
    Share(Option<Decimal>),
    Text(String),
    /// The policy has no such figure (no ledger rows of that kind).
    Missing,
}

impl Cell {
    pub fn show(&self) -> String {
        match self {
            Cell::Money(d) => money(*d),
            Cell::Count(n) => n.to_string(),
            Cell::Share(Some(s)) => percent(*s),
            Cell::Share(None) | Cell::Missing => "—".into(),
            Cell::Text(t) => t.clone(),
        }
    }

    /// The figure in JSON: a count as a number, anything else as the text
    /// [`Cell::show`] writes (amounts exact); `null` where there is none.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Cell::Count(n) => serde_json::Value::from(*n),
            Cell::Share(None) | Cell::Missing => serde_json::Value::Null,
            _ => serde_json::Value::String(self.show()),
        }
    }

    /// [`Cell::delta`] in JSON: a change in a count as a number, the other
    /// changes as the text CSV writes; `null` where the change means nothing.
    pub fn delta_json(&self, base: &Cell) -> (serde_json::Value, serde_json::Value) {
        use serde_json::Value;
        let text = |s: String| match s.as_str() {
            "" | "—" => Value::Null,
            _ => Value::String(s),
        };
        let (d, p) = self.delta(base);
        let d = match (base, self) {
            (Cell::Count(b), Cell::Count(x)) => {
                i64::try_from(i128::from(*x) - i128::from(*b)).map_or(Value::Null, Value::from)
            }
            _ => text(d),
        };
        (d, text(p))
    }

    /// This figure minus the baseline's, and that in percent of the
    /// baseline's (percentage points for shares); empty where it means nothing.
    pub fn delta(&self, base: &Cell) -> (String, String) {
        match (base, self) {
            (Cell::Money(b), Cell::Money(x)) => match x.checked_sub(*b) {
                Some(d) => (signed_money(d), pct_of(d, *b)),
                None => ("—".into(), "—".into()),
            },
            (Cell::Count(b), Cell::Count(x)) => {
                let d = i128::from(*x) - i128::from(*b);
                let sign = if d > 0 { "+" } else { "" };
                (
                    format!("{sign}{d}"),
                    pct_of(Decimal::from(d), Decimal::from(*b)),
                )
            }
            (Cell::Share(Some(b)), Cell::Share(Some(x))) => {
                match x
                    .checked_sub(*b)
                    .and_then(|d| d.checked_mul(Decimal::ONE_HUNDRED))
                {
                    Some(pp) => (format!("{} pp", signed(round2(pp))), String::new()),
                    None => ("—".into(), String::new()),
                }
            }
            _ => (String::new(), String::new()),
        }
    }
}

fn round2(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.rescale(2);
    r
}

fn signed(d: Decimal) -> String {
    if d > Decimal::ZERO {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

fn signed_money(d: Decimal) -> String {
    let m = money(d);
    if d > Decimal::ZERO && m != "0.00" {
        format!("+{m}")
    } else {
        m
    }
}

/// A share as a percentage with two decimals.
pub fn percent(s: Decimal) -> String {
    s.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| "—".into(), |p| format!("{}%", round2(p)))
}

/// `d` in percent of the size of `base` (so the sign is the sign of `d`, also
/// for a negative base such as a claw-back); `—` when the base is zero and `d` is not.
fn pct_of(d: Decimal, base: Decimal) -> String {
    if d.is_zero() {
        return "0.00%".into();
    }
    match d
        .checked_div(base.abs())
        .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
    {
        Some(r) if !base.is_zero() => format!("{}%", signed(round2(r))),
        _ => "—".into(),
    }
}

/// One row of figures: a group (`inpatient`, `institution`, …), a measure
/// (`fund_paid`, …) and a cell per policy.
#[derive(Debug, Clone)]
pub struct Line {
    pub group: String,
    pub measure: String,
    pub cells: Vec<Cell>,
}

/// A block of lines under a title; `id` names it in CSV and JSON.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// What the group column holds (`visit_type`, `unit`, …); empty when there is no group.
    pub group_name: String,
    pub lines: Vec<Line>,
}

/// The measures shown for a group of claims.
fn sums_lines(group: &str, sums: &[&Sums], full: bool, other: bool) -> Vec<Line> {
    let m = |f: fn(&Sums) -> i128| sums.iter().map(|s| Cell::Money(yuan(f(s)))).collect();
    let mut lines = Vec::new();
    let mut line = |measure: &str, cells: Vec<Cell>| {
        lines.push(Line {
            group: group.to_string(),
            measure: measure.to_string(),
            cells,
        })
    };
    line(
        "claims",
        sums.iter().map(|s| Cell::Count(s.claims)).collect(),
    );
    line("total_cost", m(|s| s.total_cost));
    if full {
        line("eligible_cost", m(|s| s.eligible()));
    }
    line("fund_paid", m(|s| s.fund));
    line("serious_paid", m(|s| s.serious));
    if other {
        line("other_paid", m(|s| s.other));
    }
    line("patient_paid", m(|s| s.patient));
    line(
        "patient_share",
        sums.iter()
            .map(|s| Cell::Share(s.patient_share()))
            .collect(),
    );
    lines
}

/// Percentiles of out-of-pocket cost per patient-year shown in reports.
pub const OOP_PERCENTILES: [(u32, &str); 4] = [(50, "p50"), (90, "p90"), (99, "p99"), (100, "max")];

/// The sections of a comparison, in report order.
pub fn sections(c: &Comparison) -> Vec<Section> {
    let mut out = Vec::new();
    let other = c.outcomes.iter().any(|o| o.all.other != 0);
    let all: Vec<&Sums> = c.outcomes.iter().map(|o| &o.all).collect();
    let mut totals = sums_lines("", &all, true, other);
    totals.push(Line {
        group: String::new(),
        measure: "reconciles".into(),
        cells: all
            .iter()
            .map(|s| Cell::Text(if s.reconciles() { "holds" } else { "BROKEN" }.into()))
            .collect(),
    });
    out.push(Section {
        id: "totals".into(),
        title: "totals".into(),
        group_name: String::new(),
        lines: totals,
    });
    for (g, kind) in BREAKDOWNS.iter().enumerate() {
        let mut lines = Vec::new();
        for code in 0..kind.count() {
            let sums: Vec<&Sums> = c.outcomes.iter().map(|o| &o.groups[g][code]).collect();
            if sums.iter().all(|s| s.claims == 0) {
                continue;
            }
            let name = kind.name_of(u8::try_from(code).unwrap_or(u8::MAX));
            lines.extend(sums_lines(name, &sums, false, other));
        }
        out.push(Section {
            id: format!("by_{}", kind.field_name()),
            title: format!("by {}", group_title(*kind)),
            group_name: kind.field_name().into(),
            lines,
        });
    }
    let kinds: Vec<crate::ir::UnitKind> = {
        let mut k: Vec<_> = c
            .outcomes
            .iter()
            .flat_map(|o| o.ledger.iter().map(|t| t.kind))
            .collect();
        k.sort_by_key(|k| kind_name(*k));
        k.dedup();
        k
    };
    if !kinds.is_empty() {
        let mut lines = Vec::new();
        for kind in kinds {
            let of =
                |o: &crate::compare::Outcome| o.ledger.iter().find(|t| t.kind == kind).cloned();
            let ts: Vec<_> = c.outcomes.iter().map(of).collect();
            let count = |f: fn(&crate::compare::LedgerTotals) -> u64| {
                ts.iter()
                    .map(|t| t.as_ref().map_or(Cell::Missing, |t| Cell::Count(f(t))))
                    .collect::<Vec<_>>()
            };
            let group = kind_name(kind).to_string();
            lines.push(Line {
                group: group.clone(),
                measure: "unit_years".into(),
                cells: count(|t| t.rows),
            });
            lines.push(Line {
                group: group.clone(),
                measure: "in_surplus".into(),
                cells: count(|t| t.in_surplus),
            });
            lines.push(Line {
                group: group.clone(),
                measure: "in_overspend".into(),
                cells: count(|t| t.in_overspend),
            });
            for (col, (name, _, _)) in COLUMNS.iter().enumerate() {
                // Balances carried from year to year do not add up over
                // unit-years (each year's closing is the next one's opening).
                if matches!(
                    *name,
                    "reserve_opening" | "reserve_closing" | "held_closing"
                ) {
                    continue;
                }
                let cells: Vec<Cell> = ts
                    .iter()
                    .map(|t| {
                        t.as_ref().map_or(Cell::Missing, |t| {
                            Cell::Money(t.values.get(col).copied().unwrap_or_default())
                        })
                    })
                    .collect();
                let zero = cells
                    .iter()
                    .all(|c| matches!(c, Cell::Missing) || *c == Cell::Money(Decimal::ZERO));
                if zero && *name != "clearing_balance" {
                    continue;
                }
                lines.push(Line {
                    group: group.clone(),
                    measure: (*name).to_string(),
                    cells,
                });
            }
        }
        out.push(Section {
            id: "ledger".into(),
            title: "institution ledger (sums over unit-years; amounts zero under every policy left out)"
                .into(),
            group_name: "unit".into(),
            lines,
        });
    }
    let pcts: Vec<u32> = OOP_PERCENTILES.iter().map(|p| p.0).collect();
    let per: Vec<Vec<Decimal>> = (0..c.outcomes.len())
        .map(|p| c.oop_percentiles(p, &pcts))
        .collect();
    let mut lines = vec![Line {
        group: String::new(),
        measure: "patient_years".into(),
        cells: c
            .outcomes
            .iter()
            .map(|o| Cell::Count(o.patient_paid.len() as u64))
            .collect(),
    }];
    for (k, (_, name)) in OOP_PERCENTILES.iter().enumerate() {
        lines.push(Line {
            group: String::new(),
            measure: (*name).to_string(),
            cells: per.iter().map(|v| Cell::Money(v[k])).collect(),
        });
    }
    out.push(Section {
        id: "out_of_pocket".into(),
        title: "patient_paid per patient-year".into(),
        group_name: String::new(),
        lines,
    });
    out
}

fn group_title(k: EnumKind) -> &'static str {
    match k {
        EnumKind::VisitType => "visit type",
        EnumKind::Level => "institution level",
        EnumKind::InsuredType => "insured type",
        EnumKind::Grade => "grade",
        EnumKind::Sex => "sex",
        EnumKind::Category => "contribution category",
        EnumKind::AgreementAction => "agreement action",
    }
}

/// The header line of a comparison: the claims and the policies.
fn preamble(c: &Comparison) -> String {
    let settled = c.baseline().map_or(0, |o| o.all.claims);
    let mut s = format!(
        "compare {} policies on {}: {} claims read = {settled} settled + {} rejected\n",
        c.outcomes.len(),
        c.claims_file,
        c.rows_read,
        c.rejected
    );
    let mut t = Table::new(vec![
        "".into(),
        "policy".into(),
        "region".into(),
        "file".into(),
    ])
    .left_aligned(4);
    for (i, o) in c.outcomes.iter().enumerate() {
        let region = match (&o.region, &o.code) {
            (Some(r), Some(c)) => format!("{r} ({c})"),
            (Some(r), None) => r.clone(),
            _ => String::new(),
        };
        let role = if i == 0 { "baseline" } else { "" };
        t.row(vec![role.into(), o.label.clone(), region, o.path.clone()]);
    }
    // Without the header rule: the first two lines of a rendered table.
    let rendered = t.render();
    for line in rendered.lines().skip(2) {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// The comparison as terminal tables.
pub fn compare_text(c: &Comparison, top: usize) -> String {
    let mut s = preamble(c);
    let labels: Vec<&str> = c.outcomes.iter().map(|o| o.label.as_str()).collect();
    for sec in sections(c) {
        s.push('\n');
        s.push_str(&sec.title);
        s.push('\n');
        let grouped = !sec.group_name.is_empty();
        let mut h: Vec<String> = Vec::new();
        if grouped {
            h.push(sec.group_name.clone());
        }
        h.push("measure".into());
        for (i, l) in labels.iter().enumerate() {
            h.push((*l).to_string());
            if i > 0 {
                h.push("Δ".into());
                h.push("Δ%".into());
            }
        }
        let mut t = Table::new(h).left_aligned(if grouped { 2 } else { 1 });
        let mut last_group = None;
        for line in &sec.lines {
            let mut r = Vec::new();
            if grouped {
                let shown = if last_group == Some(&line.group) {
                    String::new()
                } else {
                    line.group.clone()
                };
                last_group = Some(&line.group);
                r.push(shown);
            }
            r.push(line.measure.clone());
            for (i, cell) in line.cells.iter().enumerate() {
                r.push(cell.show());
                if i > 0 {
                    let (d, p) = cell.delta(&line.cells[0]);
                    r.push(d);
                    r.push(p);
                }
            }
            t.row(r);
        }
        s.push_str(&t.render());
    }
    for p in 1..c.outcomes.len() {
        s.push_str(&top_text(c, p, top));
        s.push_str(&super::compare_files::winners_text(c, p));
    }
    s
}

/// A list of the largest changes under one policy, laid out once for the
/// terminal and the HTML report.
#[derive(Debug, Clone)]
pub struct TopList {
    pub title: String,
    /// Said when nothing changes.
    pub none: &'static str,
    pub header: Vec<String>,
    /// Columns before this one are labels, the rest figures.
    pub labels: usize,
    pub rows: Vec<Vec<String>>,
}

/// The institutions and the patient-years that change most under policy `p`.
pub fn top_lists(c: &Comparison, p: usize, top: usize) -> [TopList; 2] {
    let (b, o) = (&c.outcomes[0].label, &c.outcomes[p].label);
    let insts = TopList {
        title: format!(
            "{o} vs {b}: institutions whose outcome changes most (net = layers paid on its claims + clearing: retained − institution_share − deductions − withheld + withhold_returned − held + released)"
        ),
        none: "no institution's outcome changes",
        header: [
            "institution_id".to_string(),
            "name".into(),
            "level".into(),
            format!("{b} net"),
            format!("{o} net"),
            "Δ paid".into(),
            "Δ clearing".into(),
            "Δ net".into(),
            "Δ%".into(),
        ]
        .to_vec(),
        labels: 2,
        rows: c
            .top_institutions(p, top)
            .iter()
            .map(|i| {
                vec![
                    i.id.clone(),
                    i.name.clone(),
                    EnumKind::Level.name_of(i.level).into(),
                    money(i.base.net),
                    money(i.policy.net),
                    signed_money(i.delta_paid),
                    signed_money(i.delta_clearing),
                    signed_money(i.delta),
                    pct_of(i.delta, i.base.net),
                ]
            })
            .collect(),
    };
    let pats = TopList {
        title: format!("{o} vs {b}: patient-years whose patient_paid changes most"),
        none: "no patient's out-of-pocket cost changes",
        header: [
            "patient_id".to_string(),
            "year".into(),
            "claims".into(),
            format!("{b} paid"),
            format!("{o} paid"),
            "Δ".into(),
            "Δ%".into(),
        ]
        .to_vec(),
        labels: 1,
        rows: c
            .top_patients(p, top)
            .iter()
            .map(|x| {
                vec![
                    x.patient_id.clone(),
                    x.year.to_string(),
                    x.claims.to_string(),
                    money(x.base),
                    money(x.policy),
                    signed_money(x.delta),
                    pct_of(x.delta, x.base),
                ]
            })
            .collect(),
    };
    [insts, pats]
}

fn top_text(c: &Comparison, p: usize, top: usize) -> String {
    let mut s = String::new();
    for list in top_lists(c, p, top) {
        s.push('\n');
        s.push_str(&list.title);
        s.push('\n');
        if list.rows.is_empty() {
            s.push_str(&format!("  {}\n", list.none));
            continue;
        }
        let mut t = Table::new(list.header).left_aligned(list.labels);
        for r in list.rows {
            t.row(r);
        }
        s.push_str(&t.render());
    }
    s
}

/// The comparison as one long CSV table: every figure of every policy a row
/// (`section,group,measure,policy,value,baseline,delta,delta_pct`), then the
/// top changes (section `top_institutions` / `top_patients`).
pub fn compare_csv(c: &Comparison, top: usize) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "section",
        "group",
        "measure",
        "policy",
        "value",
        "baseline",
        "delta",
        "delta_pct",
    ]
    .map(String::from)
    .to_vec()];
    for sec in sections(c) {
        for line in &sec.lines {
            for (i, cell) in line.cells.iter().enumerate() {
                let (d, p) = if i == 0 {
                    (String::new(), String::new())
                } else {
                    cell.delta(&line.cells[0])
                };
                rows.push(vec![
                    sec.id.clone(),
                    line.group.clone(),
                    line.measure.clone(),
                    c.outcomes[i].label.clone(),
                    cell.show(),
                    line.cells[0].show(),
                    d,
                    p,
                ]);
            }
        }
    }
    for p in 1..c.outcomes.len() {
        let label = &c.outcomes[p].label;
        for i in c.top_institutions(p, top) {
            for (measure, v, b) in [
                ("paid", i.policy.paid, i.base.paid),
                ("clearing", i.policy.clearing, i.base.clearing),
                ("net", i.policy.net, i.base.net),
            ] {
                let d = v.saturating_sub(b);
                rows.push(vec![
                    "top_institutions".into(),
                    i.id.clone(),
                    measure.into(),
                    label.clone(),
                    money(v),
                    money(b),
                    signed_money(d),
                    pct_of(d, b),
                ]);
            }
        }
        for x in c.top_patients(p, top) {
            rows.push(vec![
                "top_patients".into(),
                format!("{} {}", x.patient_id, x.year),
                "patient_paid".into(),
                label.clone(),
                money(x.policy),
                money(x.base),
                signed_money(x.delta),
                pct_of(x.delta, x.base),
            ]);
        }
    }
    rows
}

/// The comparison as JSON: amounts as exact strings.
pub fn compare_json(c: &Comparison, top: usize) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let labels: Vec<&str> = c.outcomes.iter().map(|o| o.label.as_str()).collect();
    let by_label = |f: &dyn Fn(usize) -> Value| -> Value {
        Value::Object(
            labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.to_string(), f(i)))
                .collect(),
        )
    };
    let sections: Vec<Value> = sections(c)
        .iter()
        .map(|sec| {
            let rows: Vec<Value> = sec
                .lines
                .iter()
                .map(|line| {
                    let mut m = Map::new();
                    if !sec.group_name.is_empty() {
                        m.insert(sec.group_name.clone(), json!(line.group));
                    }
                    m.insert("measure".into(), json!(line.measure));
                    m.insert("values".into(), by_label(&|i| line.cells[i].json()));
                    let d: Vec<(Value, Value)> = (0..line.cells.len())
                        .map(|i| line.cells[i].delta_json(&line.cells[0]))
                        .collect();
                    m.insert("delta".into(), by_label(&|i| d[i].0.clone()));
                    m.insert("delta_pct".into(), by_label(&|i| d[i].1.clone()));
                    Value::Object(m)
                })
                .collect();
            json!({"id": sec.id, "title": sec.title, "rows": rows})
        })
        .collect();
    let mut tops = Map::new();
    for (p, label) in labels.iter().enumerate().skip(1) {
        let insts: Vec<Value> = c
            .top_institutions(p, top)
            .iter()
            .map(|i| {
                json!({
                    "institution_id": i.id,
                    "name": i.name,
                    "level": EnumKind::Level.name_of(i.level),
                    "baseline_paid": money(i.base.paid),
                    "baseline_clearing": money(i.base.clearing),
                    "paid": money(i.policy.paid),
                    "clearing": money(i.policy.clearing),
                    "delta_net": money(i.delta),
                })
            })
            .collect();
        let pats: Vec<Value> = c
            .top_patients(p, top)
            .iter()
            .map(|x| {
                json!({
                    "patient_id": x.patient_id,
                    "year": x.year,
                    "claims": x.claims,
                    "baseline_patient_paid": money(x.base),
                    "patient_paid": money(x.policy),
                    "delta": money(x.delta),
                })
            })
            .collect();
        tops.insert(
            label.to_string(),
            json!({"institutions": insts, "patient_years": pats, "winners_losers": super::compare_files::winners_json(c, p)}),
        );
    }
    let policies: Vec<Value> = c
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            json!({
                "label": o.label,
                "path": o.path,
                "region": o.region,
                "code": o.code,
                "baseline": i == 0,
                "reconciles": o.all.reconciles(),
            })
        })
        .collect();
    let bins: Vec<String> = oop_bin_labels();
    let hist = Value::Object(
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.to_string(), json!(c.oop_histogram(i))))
            .collect(),
    );
    json!({
        "claims_file": c.claims_file,
        "rows_read": c.rows_read,
        "settled": c.baseline().map_or(0, |o| o.all.claims),
        "rejected": c.rejected,
        "policies": policies,
        "sections": sections,
        "top_changes": Value::Object(tops),
        "patient_paid_histogram": {"bins": bins, "patient_years": hist},
    })
}

/// The bins in yuan, short: `0–100`, `100–500`, `500–1k`, …, `≥100k`
/// (lower bound included, upper excluded).
pub fn oop_bin_labels() -> Vec<String> {
    let short = |v: i64| {
        if v >= 1000 && v % 1000 == 0 {
            format!("{}k", v / 1000)
        } else {
            v.to_string()
        }
    };
    let mut out = Vec::new();
    let mut lo = 0;
    for hi in crate::compare::OOP_BINS {
        out.push(format!("{}–{}", short(lo), short(hi)));
        lo = hi;
    }
    out.push(format!("≥{}", short(lo)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas() {
        let m = |s: &str| Cell::Money(s.parse().unwrap());
        assert_eq!(
            m("110.00").delta(&m("100.00")),
            ("+10.00".into(), "+10.00%".into())
        );
        assert_eq!(
            m("90.00").delta(&m("100.00")),
            ("-10.00".into(), "-10.00%".into())
        );
        assert_eq!(
            m("100.00").delta(&m("100.00")),
            ("0.00".into(), "0.00%".into())
        );
        assert_eq!(m("5.00").delta(&m("0.00")), ("+5.00".into(), "—".into()));
        // 1/3 of a percent, rounded half away from zero.
        assert_eq!(
            m("100.01").delta(&m("3.00")),
            ("+97.01".into(), "+3233.67%".into())
        );
        let s = |x: &str| Cell::Share(Some(x.parse().unwrap()));
        assert_eq!(
            s("0.3012").delta(&s("0.2500")),
            ("+5.12 pp".into(), String::new())
        );
        assert_eq!(
            Cell::Count(3).delta(&Cell::Count(4)),
            ("-1".into(), "-25.00%".into())
        );
        assert_eq!(
            Cell::Missing.delta(&m("1.00")),
            (String::new(), String::new())
        );
        assert_eq!(s("0.123456").show(), "12.35%");
    }
}
