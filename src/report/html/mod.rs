//! `compare --report`: one self-contained HTML file — no network, no
//! scripts, no external fonts; charts are inline SVG drawn here.
//!
//! Charts: who pays the total cost under each policy (stacked bars), the
//! distribution of patient_paid per patient-year (grouped histogram), and
//! institution outcomes, surplus against overspend (diverging bars). Then the
//! same tables as the terminal report, the top changes, and the rules side
//! by side. Every figure comes from [`super::compare`], so the page and the
//! terminal agree.

mod charts;

use super::compare::{sections, top_lists};
use crate::compare::rules::RulesDiff;
use crate::compare::Comparison;
use charts::{institutions_chart, oop_chart, totals_chart};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// Colours of the payers, in chart order: fund, serious illness, other layers, patient.
pub const PAYER_COLOURS: [&str; 4] = ["#1f77b4", "#ff7f0e", "#9467bd", "#2ca02c"];
/// Colours of the policies (cycled), for the histogram.
pub const POLICY_COLOURS: [&str; 6] = [
    "#4e79a7", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
];
pub const SURPLUS_COLOUR: &str = "#59a14f";
pub const OVERSPEND_COLOUR: &str = "#d62728";

/// Escapes text for HTML and SVG.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// An amount for a chart label: in 万元 with one decimal (exact figures are in the tables).
fn wan(d: Decimal) -> String {
    let w = (d / Decimal::from(10_000))
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{w}万")
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif;
       margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; background: #fff; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: .9em; }
th, td { padding: .2em .6em; border-bottom: 1px solid #eee; }
th { background: #f5f5f5; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: #b00; } td.down { color: #070; }
tr.differs td { background: #fff6e0; }
.note { color: #666; font-size: .9em; }
svg text { font-size: 12px; fill: #222; }
svg .axis { stroke: #999; stroke-width: 1; }
";

/// The whole report. Without a comparison (`compare --rules --report`), the rules alone.
pub fn report(c: Option<&Comparison>, rules: &RulesDiff, top: usize) -> String {
    let mut h = String::new();
    let title = format!("yibao compare: {}", rules.labels.join(" vs "));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    if let Some(c) = c {
        results(&mut h, c, top);
    }
    rules_section(&mut h, rules);
    h.push_str(
        "<p class=\"note\">Made by yibao. Amounts are exact yuan; charts are drawn to scale from the same figures.</p>\n</body>\n</html>\n",
    );
    h
}

fn results(h: &mut String, c: &Comparison, top: usize) {
    let settled = c.baseline().map_or(0, |o| o.all.claims);
    let _ = writeln!(
        h,
        "<p>{} claims read from <code>{}</code> = {settled} settled + {} rejected. \
         The first policy is the baseline; Δ is each policy minus the baseline.</p>",
        c.rows_read,
        esc(&c.claims_file),
        c.rejected
    );
    h.push_str("<table><tr><th></th><th>policy</th><th>region</th><th>file and overrides</th><th>totals reconcile</th></tr>\n");
    for (i, o) in c.outcomes.iter().enumerate() {
        let region = match (&o.region, &o.code) {
            (Some(r), Some(code)) => format!("{r} ({code})"),
            (Some(r), None) => r.clone(),
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            if i == 0 { "baseline" } else { "" },
            esc(&o.label),
            esc(&region),
            esc(&o.path),
            if o.all.reconciles() { "yes" } else { "NO" }
        );
    }
    h.push_str("</table>\n");

    h.push_str("<h2>Who pays the cost</h2>\n<p class=\"note\">Each bar is the total cost of the claims, split by who pays it.</p>\n");
    totals_chart(h, c);
    h.push_str("<h2>Out-of-pocket cost per patient-year</h2>\n<p class=\"note\">Patient-years by what the patient paid in the year (patient_paid, self-pay included), in yuan.</p>\n");
    oop_chart(h, c);
    h.push_str("<h2>Institution outcomes</h2>\n<p class=\"note\">Year-end clearing, summed over units (institutions and alliances) and years: surplus to the right, overspend to the left.</p>\n");
    institutions_chart(h, c);

    h.push_str("<h2>Figures</h2>\n");
    for sec in sections(c) {
        let _ = writeln!(h, "<h3>{}</h3>", esc(&sec.title));
        h.push_str("<table><tr>");
        if !sec.group_name.is_empty() {
            let _ = write!(h, "<th>{}</th>", esc(&sec.group_name));
        }
        h.push_str("<th>measure</th>");
        for (i, o) in c.outcomes.iter().enumerate() {
            let _ = write!(h, "<th>{}</th>", esc(&o.label));
            if i > 0 {
                h.push_str("<th>Δ</th><th>Δ%</th>");
            }
        }
        h.push_str("</tr>\n");
        for line in &sec.lines {
            h.push_str("<tr>");
            if !sec.group_name.is_empty() {
                let _ = write!(h, "<td>{}</td>", esc(&line.group));
            }
            let _ = write!(h, "<td>{}</td>", esc(&line.measure));
            for (i, cell) in line.cells.iter().enumerate() {
                let _ = write!(h, "<td class=\"n\">{}</td>", esc(&cell.show()));
                if i > 0 {
                    let (d, p) = cell.delta(&line.cells[0]);
                    let class = if d.starts_with('+') {
                        "n up"
                    } else if d.starts_with('-') {
                        "n down"
                    } else {
                        "n"
                    };
                    let _ = write!(
                        h,
                        "<td class=\"{class}\">{}</td><td class=\"{class}\">{}</td>",
                        esc(&d),
                        esc(&p)
                    );
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }

    for p in 1..c.outcomes.len() {
        let (b, o) = (&c.outcomes[0].label, &c.outcomes[p].label);
        let _ = writeln!(h, "<h2>{} vs {}: largest changes</h2>", esc(o), esc(b));
        for list in top_lists(c, p, top) {
            let _ = writeln!(h, "<h3>{}</h3>", esc(&list.title));
            if list.rows.is_empty() {
                let _ = writeln!(h, "<p>{}.</p>", esc(list.none));
                continue;
            }
            h.push_str("<table><tr>");
            for col in &list.header {
                let _ = write!(h, "<th>{}</th>", esc(col));
            }
            h.push_str("</tr>\n");
            for r in &list.rows {
                h.push_str("<tr>");
                for (k, v) in r.iter().enumerate() {
                    let class = if k < list.labels { "" } else { " class=\"n\"" };
                    let _ = write!(h, "<td{class}>{}</td>", esc(v));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        }
        // Who is better or worse off.
        let _ = writeln!(
            h,
            "<h3>{} vs {}: who is better or worse off</h3>",
            esc(o),
            esc(b)
        );
        h.push_str("<table><tr><th>unit</th><th>group</th><th>better off</th><th>gained</th><th>worse off</th><th>lost</th><th>unchanged</th></tr>\n");
        for l in crate::compare::winners_losers(c, p) {
            let unit = if l.unit == "patient_year" {
                "patient-years (pay less = better)"
            } else {
                "institutions (net more = better)"
            };
            let group = if l.breakdown == "all" {
                "all".to_string()
            } else {
                format!("{} {}", l.breakdown, l.value)
            };
            let t = l.tally;
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(unit),
                esc(&group),
                t.better,
                esc(&super::money(t.gained)),
                t.worse,
                esc(&super::money(t.lost)),
                t.same
            );
        }
        h.push_str("</table>\n");
    }
}

fn rules_section(h: &mut String, d: &RulesDiff) {
    let differing = d.rows.iter().filter(|r| r.differs()).count();
    let _ = writeln!(
        h,
        "<h2>Rules side by side</h2>\n<p>{differing} of {} items differ (highlighted); — marks an item a policy does not have.</p>",
        d.rows.len()
    );
    h.push_str("<table><tr><th>kind</th><th>name</th><th>key</th>");
    for l in &d.labels {
        let _ = write!(h, "<th>{}</th>", esc(l));
    }
    h.push_str("</tr>\n");
    for r in &d.rows {
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td>",
            if r.differs() {
                " class=\"differs\""
            } else {
                ""
            },
            r.kind,
            esc(&r.name),
            esc(&r.key)
        );
        for v in &r.values {
            let _ = write!(h, "<td>{}</td>", esc(v.as_deref().unwrap_or("—")));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(wan(Decimal::new(652_879_496, 2)), "652.9万");
    }
}
