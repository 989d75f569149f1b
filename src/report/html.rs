//! `compare --report`: one self-contained HTML file — no network, no
//! scripts, no external fonts; charts are inline SVG drawn here.
//!
//! Charts: who pays the total cost under each policy (stacked bars), the
//! distribution of patient_paid per patient-year (grouped histogram), and
//! institution outcomes, surplus against overspend (diverging bars). Then the
//! same tables as the terminal report, the top changes, and the rules side
//! by side. Every figure comes from [`super::compare`], so the page and the
//! terminal agree.

use super::compare::{oop_bin_labels, sections, top_lists};
use super::money;
use crate::compare::rules::RulesDiff;
use crate::compare::{yuan, Comparison};
use crate::schema::ledger as L;
use rust_decimal::prelude::ToPrimitive;
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

/// A coordinate in SVG user units, held in tenths of a unit: chart geometry is
/// integer arithmetic, so `src/` holds no floating point at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct U(i64);

impl U {
    const fn px(whole: i64) -> U {
        U(whole * 10)
    }
}

impl std::ops::Add for U {
    type Output = U;
    fn add(self, o: U) -> U {
        U(self.0.saturating_add(o.0))
    }
}

impl std::ops::Sub for U {
    type Output = U;
    fn sub(self, o: U) -> U {
        U(self.0.saturating_sub(o.0))
    }
}

impl std::ops::Mul<i64> for U {
    type Output = U;
    fn mul(self, k: i64) -> U {
        U(self.0.saturating_mul(k))
    }
}

impl std::fmt::Display for U {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", a / 10, a % 10)
    }
}

/// `part / whole` of `width`, clamped to [0, width] (0 for an empty whole).
fn scaled(part: Decimal, whole: Decimal, width: U) -> U {
    if whole <= Decimal::ZERO || part <= Decimal::ZERO {
        return U(0);
    }
    let share = part
        .checked_div(whole)
        .unwrap_or(Decimal::ONE)
        .min(Decimal::ONE);
    let w = share
        .checked_mul(Decimal::from(width.0))
        .map_or(0, |w| w.round().to_i64().unwrap_or(0));
    U(w.clamp(0, width.0))
}

/// A policy's name at the left of its bar, ending just before `left`.
fn row_label(h: &mut String, left: U, y: U, label: &str) {
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
        left - U::px(8),
        esc(label)
    );
}

/// Stacked horizontal bars: the total cost split into fund, serious, other, patient.
fn totals_chart(h: &mut String, c: &Comparison) {
    let (left, width, bar, gap) = (U::px(150), U::px(600), U::px(26), U::px(14));
    let n = c.outcomes.len() as i64;
    let height = U::px(40) + (bar + gap) * n;
    let full = left + width + U::px(20);
    let max = c
        .outcomes
        .iter()
        .map(|o| yuan(o.all.total_cost))
        .max()
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<svg id=\"chart-totals\" role=\"img\" aria-label=\"who pays the cost, per policy\" width=\"{full}\" height=\"{height}\" viewBox=\"0 0 {full} {height}\">"
    );
    let names = ["fund_paid", "serious_paid", "other_paid", "patient_paid"];
    for (k, name) in names.iter().enumerate() {
        let x = left + U::px(130) * k as i64;
        let _ = writeln!(
            h,
            "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"14\">{name}</text>",
            PAYER_COLOURS[k],
            x + U::px(16)
        );
    }
    let text_y = |y: U| y + U(bar.0 * 65 / 100);
    for (i, o) in c.outcomes.iter().enumerate() {
        let y = U::px(30) + (bar + gap) * i as i64;
        row_label(h, left, text_y(y), &o.label);
        let parts = [o.all.fund, o.all.serious, o.all.other, o.all.patient];
        let mut x = left;
        for (k, part) in parts.iter().enumerate() {
            let w = scaled(yuan(*part), max, width);
            if w.0 <= 0 {
                continue;
            }
            let pct = yuan(*part)
                .checked_div(yuan(o.all.total_cost))
                .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
                .map_or_else(String::new, |r| format!(" ({}%)", r.round_dp(1)));
            let share = format!("{}: {}{pct}", names[k], money(yuan(*part)));
            let _ = writeln!(
                h,
                "<rect class=\"bar\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{bar}\" fill=\"{}\"><title>{}</title></rect>",
                PAYER_COLOURS[k],
                esc(&share)
            );
            if w > U::px(60) {
                let _ = writeln!(
                    h,
                    "<text x=\"{}\" y=\"{}\" style=\"fill:#fff\">{}</text>",
                    x + U::px(4),
                    text_y(y),
                    wan(yuan(*part))
                );
            }
            x = x + w;
        }
    }
    h.push_str("</svg>\n");
}

/// Grouped histogram of patient_paid per patient-year, one colour per policy.
fn oop_chart(h: &mut String, c: &Comparison) {
    let bins = oop_bin_labels();
    let hists: Vec<Vec<u64>> = (0..c.outcomes.len()).map(|p| c.oop_histogram(p)).collect();
    let max = nice_ceiling(hists.iter().flatten().copied().max().unwrap_or(0));
    let (left, top, plot_h, group_w) = (U::px(50), U::px(30), U::px(220), U::px(70));
    let width = left + group_w * bins.len() as i64 + U::px(20);
    let height = top + plot_h + U::px(50);
    let base = top + plot_h;
    // The height of `v` patient-years.
    let tall = |v: u64| scaled(Decimal::from(v), Decimal::from(max), plot_h);
    let _ = writeln!(
        h,
        "<svg id=\"chart-oop\" role=\"img\" aria-label=\"patient-years by out-of-pocket cost\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    for (p, o) in c.outcomes.iter().enumerate() {
        let x = left + U::px(120) * p as i64;
        let _ = writeln!(
            h,
            "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"14\">{}</text>",
            POLICY_COLOURS[p % POLICY_COLOURS.len()],
            x + U::px(16),
            esc(&o.label)
        );
    }
    let _ = writeln!(
        h,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/><line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{base}\"/>",
        width - U::px(20)
    );
    for t in 0..=4u64 {
        let v = max * t / 4;
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            left - U::px(6),
            base - tall(v) + U::px(4)
        );
    }
    let n = c.outcomes.len().max(1) as i64;
    let inner = group_w - U::px(10);
    let bw = U((inner.0 / n).max(10));
    for (b, label) in bins.iter().enumerate() {
        let gx = left + group_w * b as i64 + U::px(5);
        for (p, hist) in hists.iter().enumerate() {
            let v = hist[b];
            if v == 0 {
                continue;
            }
            let bh = tall(v);
            let _ = writeln!(
                h,
                "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{bw}\" height=\"{bh}\" fill=\"{}\"><title>{}: {v} patient-years at {} yuan</title></rect>",
                gx + bw * p as i64,
                base - bh,
                POLICY_COLOURS[p % POLICY_COLOURS.len()],
                esc(&c.outcomes[p].label),
                esc(label)
            );
        }
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            gx + U(inner.0 / 2),
            base + U::px(16),
            esc(label)
        );
    }
    let _ = writeln!(
        h,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">patient_paid per patient-year (yuan)</text>",
        left + U(group_w.0 * bins.len() as i64 / 2),
        base + U::px(36)
    );
    h.push_str("</svg>\n");
}

/// The smallest of 4, 8, 10, 20, 40 × 10^k that is at least `v`: divisible by
/// 4, so the four axis ticks fall on round numbers.
fn nice_ceiling(v: u64) -> u64 {
    let mut scale = 1u64;
    loop {
        for m in [4u64, 8, 10, 20, 40] {
            let c = m.saturating_mul(scale);
            if c >= v {
                return c;
            }
        }
        scale = match scale.checked_mul(10) {
            Some(s) => s,
            None => return v.max(1),
        };
    }
}

/// Diverging bars per policy: overspend to the left, surplus to the right.
fn institutions_chart(h: &mut String, c: &Comparison) {
    let sums: Vec<Option<(Decimal, Decimal, u64, u64)>> = c
        .outcomes
        .iter()
        .map(|o| {
            let rows: Vec<_> = o
                .ledger
                .iter()
                .filter(|t| t.kind != crate::ir::UnitKind::Region)
                .collect();
            if rows.is_empty() {
                return None;
            }
            let col = |k: u16| -> Decimal {
                rows.iter()
                    .map(|t| t.values.get(k as usize).copied().unwrap_or_default())
                    .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
            };
            Some((
                col(L::SURPLUS),
                col(L::OVERSPEND),
                rows.iter().map(|t| t.in_surplus).sum(),
                rows.iter().map(|t| t.in_overspend).sum(),
            ))
        })
        .collect();
    if sums.iter().all(Option::is_none) {
        h.push_str(
            "<p>No policy has settle blocks, so there is no institution clearing to show.</p>\n",
        );
        return;
    }
    let max = sums
        .iter()
        .flatten()
        .map(|(s, o, _, _)| (*s).max(*o))
        .max()
        .unwrap_or_default();
    let (left, half, bar, gap, margin) = (U::px(150), U::px(260), U::px(26), U::px(14), U::px(110));
    let mid = left + margin + half;
    let n = c.outcomes.len() as i64;
    let height = U::px(40) + (bar + gap) * n;
    let width = mid + half + margin;
    let text_y = |y: U| y + U(bar.0 * 65 / 100);
    let _ = writeln!(
        h,
        "<svg id=\"chart-institutions\" role=\"img\" aria-label=\"institution surplus and overspend per policy\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    let _ = writeln!(
        h,
        "<rect x=\"{left}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{OVERSPEND_COLOUR}\"/><text x=\"{}\" y=\"14\">overspend</text>\
         <rect x=\"{}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{SURPLUS_COLOUR}\"/><text x=\"{}\" y=\"14\">surplus</text>",
        left + U::px(16),
        left + U::px(120),
        left + U::px(136)
    );
    let _ = writeln!(
        h,
        "<line class=\"axis\" x1=\"{mid}\" y1=\"24\" x2=\"{mid}\" y2=\"{}\"/>",
        height - U::px(4)
    );
    for (i, (o, s)) in c.outcomes.iter().zip(&sums).enumerate() {
        let y = U::px(30) + (bar + gap) * i as i64;
        row_label(h, left, text_y(y), &o.label);
        let Some((surplus, over, n_s, n_o)) = s else {
            let _ = writeln!(
                h,
                "<text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" style=\"fill:#888\">no settle blocks</text>",
                text_y(y)
            );
            continue;
        };
        let ws = scaled(*surplus, max, half);
        let wo = scaled(*over, max, half);
        let _ = writeln!(
            h,
            "<rect class=\"bar\" x=\"{mid}\" y=\"{y}\" width=\"{ws}\" height=\"{bar}\" fill=\"{SURPLUS_COLOUR}\"><title>surplus {} over {n_s} unit-years</title></rect>\
             <rect class=\"bar\" x=\"{}\" y=\"{y}\" width=\"{wo}\" height=\"{bar}\" fill=\"{OVERSPEND_COLOUR}\"><title>overspend {} over {n_o} unit-years</title></rect>",
            money(*surplus),
            mid - wo,
            money(*over)
        );
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\">{n_s} · {}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{n_o} · {}</text>",
            mid + ws + U::px(4),
            text_y(y),
            wan(*surplus),
            mid - wo - U::px(4),
            text_y(y),
            wan(*over)
        );
    }
    h.push_str("</svg>\n");
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
        assert_eq!(nice_ceiling(0), 4);
        assert_eq!(nice_ceiling(5), 8);
        assert_eq!(nice_ceiling(106), 200);
        assert_eq!(nice_ceiling(81), 100);
        assert_eq!(nice_ceiling(3_001), 4_000);
        assert_eq!(U(1234).to_string(), "123.4");
        assert_eq!(U(-5).to_string(), "-0.5");
        let (d, w) = (Decimal::from, U::px(600));
        assert_eq!(scaled(d(1), d(3), w), U(2000));
        assert_eq!(scaled(d(5), d(3), w), w);
        assert_eq!(scaled(d(-1), d(3), w), U(0));
        assert_eq!(scaled(d(1), d(0), w), U(0));
    }
}
