//! The report's charts: inline SVG drawn with integer geometry.

use super::{esc, wan, OVERSPEND_COLOUR, PAYER_COLOURS, POLICY_COLOURS, SURPLUS_COLOUR};
use crate::compare::{yuan, Comparison};
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
pub(super) fn totals_chart(h: &mut String, c: &Comparison) {
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
pub(super) fn oop_chart(h: &mut String, c: &Comparison) {
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
pub(super) fn institutions_chart(h: &mut String, c: &Comparison) {
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
