//! The rules compared out: the terminal table, CSV and JSON of
//! `yibao compare --rules`.

use super::Table;
use crate::compare::rules::RulesDiff;

/// The rules side by side: `≠` marks rows whose values differ.
pub fn rules_text(d: &RulesDiff) -> String {
    let mut s = format!(
        "rules of {} policies side by side ({} items; ≠ marks values that differ, — an item the policy lacks; rules by order, condition and statement, in canonical layout; dated versions one per line)\n\n",
        d.labels.len(),
        d.rows.len()
    );
    let mut h: Vec<String> = ["", "kind", "name", "key"].map(String::from).to_vec();
    h.extend(d.labels.iter().cloned());
    let mut t = Table::new(h).left_aligned(4 + d.labels.len());
    let mut last: Option<(&str, &str)> = None;
    for r in &d.rows {
        // A name's kind and name on its first row only.
        let same = last == Some((r.kind.as_str(), r.name.as_str()));
        last = Some((r.kind.as_str(), r.name.as_str()));
        // Dated versions, one per line.
        let cells: Vec<Vec<&str>> = r
            .values
            .iter()
            .map(|v| v.as_deref().map_or(vec!["—"], |v| v.split("; ").collect()))
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..lines {
            let mut row = if k == 0 {
                vec![
                    if r.differs() { "≠" } else { "" }.to_string(),
                    if same { String::new() } else { r.kind.clone() },
                    if same { String::new() } else { r.name.clone() },
                    r.key.clone(),
                ]
            } else {
                vec![String::new(); 4]
            };
            row.extend(
                cells
                    .iter()
                    .map(|c| c.get(k).copied().unwrap_or("").to_string()),
            );
            t.row(row);
        }
    }
    s.push_str(&t.render());
    let differing = d.rows.iter().filter(|r| r.differs()).count();
    s.push_str(&format!("\n{differing} of {} items differ\n", d.rows.len()));
    let only = d.only_in();
    for (i, label) in d.labels.iter().enumerate() {
        let names: Vec<String> = only
            .iter()
            .filter(|(p, _, _)| *p == i)
            .map(|(_, k, n)| format!("{k} {n}"))
            .collect();
        if !names.is_empty() {
            s.push_str(&format!("only in {label}: {}\n", names.join(", ")));
        }
    }
    s
}

/// The rules as CSV: `kind,name,key,differs,<label>...`.
pub fn rules_csv(d: &RulesDiff) -> Vec<Vec<String>> {
    let mut h: Vec<String> = ["kind", "name", "key", "differs"]
        .map(String::from)
        .to_vec();
    h.extend(d.labels.iter().cloned());
    let mut rows = vec![h];
    for r in &d.rows {
        let mut row = vec![
            r.kind.to_string(),
            r.name.clone(),
            r.key.clone(),
            r.differs().to_string(),
        ];
        row.extend(r.values.iter().map(|v| v.clone().unwrap_or_default()));
        rows.push(row);
    }
    rows
}

/// The rules as JSON: absent values are `null`.
pub fn rules_json(d: &RulesDiff) -> serde_json::Value {
    use serde_json::{json, Value};
    let rows: Vec<Value> = d
        .rows
        .iter()
        .map(|r| {
            let values: serde_json::Map<String, Value> = d
                .labels
                .iter()
                .zip(&r.values)
                .map(|(l, v)| (l.clone(), v.clone().map_or(Value::Null, Value::String)))
                .collect();
            json!({"kind": r.kind, "name": r.name, "key": r.key, "differs": r.differs(), "values": values})
        })
        .collect();
    let only: Vec<Value> = d
        .only_in()
        .iter()
        .map(|(p, k, n)| json!({"policy": d.labels[*p], "kind": k, "name": n}))
        .collect();
    json!({"policies": d.labels, "rows": rows, "only_in_one": only})
}
