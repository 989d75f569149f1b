//! The report's charts: inline SVG drawn with integer geometry.

use super::{esc, wan, OVERSPEND_COLOUR, PAYER_COLOURS, POLICY_COLOURS, SURPLUS_COLOUR};
use crate::compare::{yuan, Comparison};
use crate::lang::Lang;
use crate::report::compare::oop_bin_labels;
use crate::report::money;
use crate::schema::ledger as L;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt::Write as _;

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

/// About how wide `s` is drawn at 12px: a CJK character a full em, other
/// characters a bit over half of one (for laying out legends).
fn text_width(s: &str) -> U {
    let w: i64 = s
        .chars()
        .map(|c| if c >= '\u{2e80}' { 120 } else { 70 })
        .sum();
    U(w)
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
pub(super) fn totals_chart(h: &mut String, c: &Comparison, lang: Lang) {
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
        "<svg id=\"chart-totals\" role=\"img\" aria-label=\"{}\" width=\"{full}\" height=\"{height}\" viewBox=\"0 0 {full} {height}\">",
        lang.pick("who pays the cost, per policy", "各政策下费用由谁支付")
    );
    let names = ["fund_paid", "serious_paid", "other_paid", "patient_paid"]
        .map(|n| super::words::measure(lang, n, &c.outcomes));
    let mut x = left;
    for (k, name) in names.iter().enumerate() {
        let _ = writeln!(
            h,
            "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"14\">{}</text>",
            PAYER_COLOURS[k],
            x + U::px(16),
            esc(name)
        );
        x = x + U::px(30) + text_width(name);
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

/// How a histogram's heights are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Linear,
    /// Height ∝ log10(1 + count): a bin of a few patient-years stays
    /// visible beside one of thousands.
    Log,
}

/// A histogram to draw: bins along the bottom, a series (a colour) per
/// policy, or one series with a colour per bin.
struct Histogram<'a> {
    id: &'a str,
    aria: &'a str,
    bins: &'a [String],
    /// (legend, colour per bin, counts per bin).
    series: Vec<(String, Vec<&'static str>, Vec<u64>)>,
    scale: Scale,
    /// Bins from this one on are shaded and labelled (the tail).
    shade_from: Option<(usize, &'a str)>,
    x_title: &'a str,
    /// The noun of a bar's tooltip: "patient-years".
    unit: &'a str,
    /// The width of a bin, in px.
    bin_px: i64,
}

/// log10(1 + v) × 10⁶, as an integer (exact enough for pixels).
fn log_units(v: u64) -> i64 {
    use rust_decimal::MathematicalOps;
    Decimal::from(v.saturating_add(1))
        .checked_log10()
        .and_then(|l| l.checked_mul(Decimal::from(1_000_000)))
        .and_then(|l| l.round().to_i64())
        .unwrap_or(0)
}

fn histogram(h: &mut String, g: &Histogram<'_>) {
    let nbins = g.bins.len() as i64;
    let peak = g
        .series
        .iter()
        .flat_map(|s| s.2.iter().copied())
        .max()
        .unwrap_or(0);
    let (left, top, plot_h, group_w) = (U::px(60), U::px(30), U::px(220), U::px(g.bin_px));
    let width = left + group_w * nbins + U::px(20);
    let height = top + plot_h + U::px(50);
    let base = top + plot_h;
    // The top of the axis and the height of `v`.
    let (max, ticks): (u64, Vec<u64>) = match g.scale {
        Scale::Linear => {
            let m = nice_ceiling(peak);
            (m, (0..=4u64).map(|t| m * t / 4).collect())
        }
        Scale::Log => {
            let mut m = 1u64;
            let mut ticks = vec![0, 1];
            while m < peak {
                m = m.saturating_mul(10);
                ticks.push(m);
            }
            (m, ticks)
        }
    };
    let tall = |v: u64| match g.scale {
        Scale::Linear => scaled(Decimal::from(v), Decimal::from(max), plot_h),
        Scale::Log => scaled(
            Decimal::from(log_units(v)),
            Decimal::from(log_units(max)),
            plot_h,
        ),
    };
    let _ = writeln!(
        h,
        "<svg id=\"{}\" role=\"img\" aria-label=\"{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">",
        g.id,
        esc(g.aria)
    );
    if let Some((from, label)) = g.shade_from {
        let x = left + group_w * from as i64;
        let _ = writeln!(
            h,
            "<rect class=\"tail\" x=\"{x}\" y=\"{top}\" width=\"{}\" height=\"{plot_h}\" fill=\"#fdecea\"/><text x=\"{}\" y=\"{}\" style=\"fill:#b00\">{}</text>",
            group_w * (nbins - from as i64),
            x + U::px(4),
            top + U::px(14),
            esc(label)
        );
    }
    let mut x = left;
    for (legend, colours, _) in &g.series {
        if legend.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"14\">{}</text>",
            colours.first().copied().unwrap_or("#888"),
            x + U::px(16),
            esc(legend)
        );
        x = x + U::px(30) + text_width(legend);
    }
    let _ = writeln!(
        h,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/><line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{base}\"/>",
        width - U::px(20)
    );
    for v in ticks {
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - U::px(6),
            base - tall(v) + U::px(4),
            super::display::count(v)
        );
    }
    let n = g.series.len().max(1) as i64;
    let inner = group_w - U::px(10);
    let bw = U((inner.0 / n).max(10));
    for (b, label) in g.bins.iter().enumerate() {
        let gx = left + group_w * b as i64 + U::px(5);
        for (p, (legend, colours, counts)) in g.series.iter().enumerate() {
            let v = counts.get(b).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let bh = tall(v).max(U(10));
            let colour = colours
                .get(b)
                .or(colours.first())
                .copied()
                .unwrap_or("#888");
            let who = if legend.is_empty() {
                String::new()
            } else {
                format!("{legend}: ")
            };
            let _ = writeln!(
                h,
                "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{bw}\" height=\"{bh}\" fill=\"{colour}\"><title>{}{} {} · {}</title></rect>",
                gx + bw * p as i64,
                base - bh,
                esc(&who),
                super::display::count(v),
                esc(g.unit),
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
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        left + U(group_w.0 * nbins / 2),
        base + U::px(36),
        esc(g.x_title)
    );
    h.push_str("</svg>\n");
}

fn policy_series(c: &Comparison) -> Vec<(String, Vec<&'static str>, Vec<u64>)> {
    c.outcomes
        .iter()
        .enumerate()
        .map(|(p, o)| {
            (
                o.label.clone(),
                vec![POLICY_COLOURS[p % POLICY_COLOURS.len()]],
                c.oop_histogram(p),
            )
        })
        .collect()
}

/// Grouped histogram of patient_paid per patient-year, one colour per policy.
pub(super) fn oop_chart(h: &mut String, c: &Comparison, lang: Lang) {
    let bins = oop_bin_labels();
    histogram(
        h,
        &Histogram {
            id: "chart-oop",
            aria: lang.pick(
                "patient-years by out-of-pocket cost",
                "按个人负担分组的患者年数",
            ),
            bins: &bins,
            series: policy_series(c),
            scale: Scale::Linear,
            shade_from: None,
            x_title: lang.pick(
                "patient_paid per patient-year (yuan)",
                "每患者年个人负担（元）",
            ),
            unit: lang.pick("patient-years", "个患者年"),
            bin_px: 70,
        },
    );
}

/// The same histogram on a logarithmic scale, the high-cost tail shaded: the
/// few patient-years paying 50,000 yuan or more stay visible.
pub(super) fn tail_chart(h: &mut String, c: &Comparison, lang: Lang) {
    let bins = oop_bin_labels();
    let from = crate::compare::OOP_BINS
        .iter()
        .position(|&b| b >= super::summary::TAIL_FROM)
        .map_or(bins.len().saturating_sub(1), |i| i + 1);
    histogram(
        h,
        &Histogram {
            id: "chart-tail",
            aria: lang.pick(
                "patient-years by out-of-pocket cost, logarithmic scale",
                "按个人负担分组的患者年数（对数刻度）",
            ),
            bins: &bins,
            series: policy_series(c),
            scale: Scale::Log,
            shade_from: Some((
                from,
                lang.pick("high-cost tail (≥ 50k)", "高额负担（5万元及以上）"),
            )),
            x_title: lang.pick(
                "patient_paid per patient-year (yuan); patient-years on a logarithmic scale",
                "每患者年个人负担（元）；患者年数为对数刻度",
            ),
            unit: lang.pick("patient-years", "个患者年"),
            bin_px: 70,
        },
    );
}

/// The bins of a change in patient_paid (yuan): four of less, one of none,
/// four of more.
pub const CHANGE_BINS: [&str; 9] = [
    "< −10k",
    "−10k…−1k",
    "−1k…−100",
    "−100…0",
    "0",
    "0…100",
    "100…1k",
    "1k…10k",
    "> 10k",
];

/// Patient-years per [`CHANGE_BINS`] bin of Δ patient_paid, policy `p`
/// against the baseline: less is `[-∞,-10k) [-10k,-1k) [-1k,-100) [-100,0)`,
/// more is `(0,100] (100,1k] (1k,10k] (10k,∞)`.
pub fn change_histogram(c: &Comparison, p: usize) -> [u64; 9] {
    let mut h = [0u64; 9];
    let (Some(b), Some(o)) = (c.outcomes.first(), c.outcomes.get(p)) else {
        return h;
    };
    for (x, y) in b.patient_paid.iter().zip(&o.patient_paid) {
        let d = i128::from(*y) - i128::from(*x);
        let bin = match d {
            d if d < -1_000_000 => 0,
            d if d < -100_000 => 1,
            d if d < -10_000 => 2,
            d if d < 0 => 3,
            0 => 4,
            d if d <= 10_000 => 5,
            d if d <= 100_000 => 6,
            d if d <= 1_000_000 => 7,
            _ => 8,
        };
        h[bin] += 1;
    }
    h
}

/// How each patient-year's out-of-pocket cost changes under policy `p`:
/// green bars pay less, grey unchanged, red pay more (logarithmic scale).
pub(super) fn change_chart(h: &mut String, c: &Comparison, p: usize, lang: Lang) {
    let bins: Vec<String> = CHANGE_BINS.iter().map(|s| (*s).to_string()).collect();
    let colours = [
        SURPLUS_COLOUR,
        SURPLUS_COLOUR,
        SURPLUS_COLOUR,
        SURPLUS_COLOUR,
        "#999999",
        OVERSPEND_COLOUR,
        OVERSPEND_COLOUR,
        OVERSPEND_COLOUR,
        OVERSPEND_COLOUR,
    ];
    let id = format!("chart-change-{p}");
    histogram(
        h,
        &Histogram {
            id: &id,
            aria: lang.pick(
                "patient-years by the change in what they pay",
                "按个人负担变化分组的患者年数",
            ),
            bins: &bins,
            series: vec![(String::new(), colours.to_vec(), change_histogram(c, p).to_vec())],
            scale: Scale::Log,
            shade_from: None,
            x_title: lang.pick(
                "change in patient_paid per patient-year (yuan); patient-years on a logarithmic scale",
                "每患者年个人负担的变化（元）；患者年数为对数刻度",
            ),
            unit: lang.pick("patient-years", "个患者年"),
            bin_px: 84,
        },
    );
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
pub(super) fn institutions_chart(h: &mut String, c: &Comparison, lang: Lang) {
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
        let _ = writeln!(
            h,
            "<p>{}</p>",
            lang.pick(
                "No policy has settle blocks, so there is no institution clearing to show.",
                "各政策均无清算规则（settle），没有机构清算结果可列。"
            )
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
        "<svg id=\"chart-institutions\" role=\"img\" aria-label=\"{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">",
        lang.pick("institution surplus and overspend per policy", "各政策下机构结余与超支")
    );
    let _ = writeln!(
        h,
        "<rect x=\"{left}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{OVERSPEND_COLOUR}\"/><text x=\"{}\" y=\"14\">{}</text>\
         <rect x=\"{}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{SURPLUS_COLOUR}\"/><text x=\"{}\" y=\"14\">{}</text>",
        left + U::px(16),
        lang.pick("overspend", "超支"),
        left + U::px(120),
        left + U::px(136),
        lang.pick("surplus", "结余")
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
                "<text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" style=\"fill:#888\">{}</text>",
                text_y(y),
                lang.pick("no settle blocks", "无清算规则")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_is_integer_arithmetic() {
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
