//! An explanation as an indented tree of text, or as JSON.

use super::{Explanation, Node};
use unicode_width::UnicodeWidthStr;

/// The indented tree: a header with the data, the steps, and the result.
pub fn render_text(e: &Explanation) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} — policy {}", e.subject, e.policy));
    match (&e.region, &e.notice) {
        (Some(r), Some(n)) => out.push_str(&format!(" ({r}; {n})")),
        (Some(r), None) => out.push_str(&format!(" ({r})")),
        (None, Some(n)) => out.push_str(&format!(" ({n})")),
        (None, None) => {}
    }
    out.push('\n');
    let pad = |rows: &[(String, String)], out: &mut String| {
        let w = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
        for (k, v) in rows {
            out.push_str(&format!("  {k}{}  {v}\n", " ".repeat(w - k.width())));
        }
    };
    out.push_str("data:\n");
    let rows: Vec<(String, String)> = e
        .data
        .iter()
        .map(|f| (f.name.clone(), f.value.text()))
        .collect();
    pad(&rows, &mut out);
    if !e.accumulators.is_empty() {
        out.push_str(if e.subject.starts_with("patient ") {
            "accumulators (before the year's first claim → after its last):\n"
        } else {
            "accumulators (before → after this claim):\n"
        });
        let rows: Vec<(String, String)> = e
            .accumulators
            .iter()
            .map(|a| (a.name.clone(), format!("{} → {}", a.before, a.after)))
            .collect();
        pad(&rows, &mut out);
    }
    out.push_str("steps:\n");
    for n in &e.steps {
        node(n, 1, &mut out);
    }
    out.push_str("result:\n");
    let rows: Vec<(String, String)> = e
        .result
        .iter()
        .map(|f| (f.name.clone(), f.value.text()))
        .collect();
    pad(&rows, &mut out);
    out
}

fn node(n: &Node, depth: usize, out: &mut String) {
    out.push_str(&"  ".repeat(depth));
    out.push_str(&n.what);
    if let Some(v) = &n.value {
        if n.kind == "rule" {
            out.push_str(": ");
        } else {
            out.push_str(" = ");
        }
        out.push_str(&v.text());
    }
    if let Some(note) = &n.note {
        out.push_str("  · ");
        out.push_str(note);
    }
    if let Some(l) = n.line {
        out.push_str(&format!("  @ line {l}"));
    }
    out.push('\n');
    for c in &n.children {
        node(c, depth + 1, out);
    }
}

/// The same explanation as pretty JSON, amounts as exact strings.
pub fn render_json(e: &Explanation) -> String {
    serde_json::to_string_pretty(e).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"))
}
