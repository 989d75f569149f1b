//! `compare --report`: a report a director can be handed — one
//! self-contained HTML file (no network, no scripts, no external fonts;
//! charts are inline SVG drawn here) that prints on A4.
//!
//! In order: a summary paragraph written from the figures ([`summary`]), the
//! policies, who pays the total cost (stacked bars), out-of-pocket cost per
//! patient-year (a histogram, and the same on a log scale with the high-cost
//! tail shaded), how each patient-year's cost changes, institution outcomes
//! (diverging bars), who is better or worse off, the figures tables, every
//! institution ordered by its change, the largest changes, and the rules
//! side by side. Prose follows `--lang`; labels are Chinese where the policy
//! or the data contract gives them. Every figure comes from
//! [`super::compare`], so the page and the terminal agree; the page shows
//! them rounded for reading ([`display`]) and says so in its footer.

mod charts;
pub mod display;
mod summary;
mod tables;
mod words;

use crate::compare::rules::RulesDiff;
use crate::compare::Comparison;
use crate::lang::Lang;
use charts::{change_chart, institutions_chart, oop_chart, tail_chart, totals_chart};
use rust_decimal::Decimal;
use std::fmt::Write as _;

pub use charts::{change_histogram, CHANGE_BINS};
pub use summary::TAIL_FROM;

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
body { font-family: system-ui, -apple-system, 'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Zen Hei', sans-serif;
       margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; background: #fff; line-height: 1.5; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
p.summary { font-size: 1.05em; background: #f4f8fb; border-left: 4px solid #4e79a7; padding: .6em 1em; margin: .6em 0; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: .9em; }
th, td { padding: .2em .6em; border-bottom: 1px solid #eee; }
th { background: #f5f5f5; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: #b00; } td.down { color: #070; }
tr.differs td { background: #fff6e0; }
.note { color: #666; font-size: .9em; }
p.warning { background: #fff3cd; border-left: 4px solid #d39e00; padding: .5em 1em; }
footer { margin-top: 3em; border-top: 1px solid #ddd; padding-top: .5em; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: #222; }
svg .axis { stroke: #999; stroke-width: 1; }
@media print {
  @page { size: A4; margin: 15mm 12mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.2em; }
  h2, h3, h2 + p.note { break-after: avoid; page-break-after: avoid; }
  svg, tr, p.summary { break-inside: avoid; page-break-inside: avoid; }
  table { font-size: 8pt; width: 100%; }
  thead { display: table-header-group; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .screen-only { display: none; }
}
";

/// The report's settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub lang: Lang,
    /// How many of the largest changes to list.
    pub top: usize,
    /// Set when the policies' institution outcomes compare unlike things.
    pub lopsided: Option<Lopsided>,
}

/// Some policies clear institutions at the year end and others do not, so
/// an institution's net under one holds a clearing and under the other only
/// routine payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lopsided {
    pub clearing: Vec<String>,
    pub not_clearing: Vec<String>,
}

impl Lopsided {
    /// The warning, in `lang`.
    pub fn say(&self, lang: Lang) -> String {
        let names = |v: &[String], sep: &str| {
            v.iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(sep)
        };
        match lang {
            Lang::En => format!(
                "{} clear{} institutions at the year end and {} do{} not: their institution net compares a year-end clearing with none (compare the `paid` columns, or give every policy its year-end blocks)",
                names(&self.clearing, ", "),
                if self.clearing.len() == 1 { "s" } else { "" },
                names(&self.not_clearing, ", "),
                if self.not_clearing.len() == 1 { "es" } else { "" },
            ),
            Lang::Zh => format!(
                "{}有机构年终清算，{}没有：两者的机构所得一个含年终清算、一个不含，不可直接比较（请比较医保支付一栏，或为每个政策写年终清算规则）",
                names(&self.clearing, "、"),
                names(&self.not_clearing, "、"),
            ),
        }
    }
}

/// At most this many institutions in the drill-down table (all of them are
/// in `compare --out`'s institution_years.csv).
pub const DRILL_DOWN_ROWS: usize = 500;

/// The whole report. Without a comparison (`compare --rules --report`), the rules alone.
pub fn report(c: Option<&Comparison>, rules: &RulesDiff, opt: Options) -> String {
    let opt = &opt;
    let lang = opt.lang;
    let mut h = String::new();
    let regions: Vec<String> = c.map_or_else(Vec::new, |c| {
        c.outcomes
            .iter()
            .map(|o| o.region.clone().unwrap_or_else(|| o.label.clone()))
            .collect()
    });
    let title = match lang {
        Lang::Zh => format!("医保支付政策测算报告：{}", rules.labels.join(" 对比 ")),
        Lang::En => format!(
            "Medical insurance policy comparison: {}",
            rules.labels.join(" vs ")
        ),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1 id=\"title\">{}</h1>\n",
        lang.html(),
        esc(&title),
        esc(&title)
    );
    if !regions.is_empty() {
        let mut seen: Vec<&str> = Vec::new();
        for r in &regions {
            if !seen.contains(&r.as_str()) {
                seen.push(r);
            }
        }
        let _ = writeln!(
            h,
            "<p class=\"note\">{}{}</p>",
            lang.pick("Regions: ", "统筹地区："),
            esc(&seen.join(lang.pick(", ", "、")))
        );
    }
    if let Some(c) = c {
        h.push_str(&format!(
            "<h2 id=\"summary\">{}</h2>\n",
            lang.pick("Summary", "摘要")
        ));
        for para in summary::summary(c, lang, opt.lopsided.is_some()) {
            let _ = writeln!(h, "<p class=\"summary\">{}</p>", esc(&para));
        }
        if let Some(w) = &opt.lopsided {
            let _ = writeln!(
                h,
                "<p class=\"warning\">{}{}</p>",
                lang.pick("Warning: ", "注意："),
                esc(&w.say(lang))
            );
        }
        results(&mut h, c, opt);
    }
    rules_section(&mut h, rules, lang);
    let _ = writeln!(
        h,
        "<footer class=\"note\">{}</footer>\n</body>\n</html>",
        lang.pick(
            "Made by yibao. Figures on this page are rounded for reading: amounts to the fen with thousands separators, and from 100,000 yuan on in 万 (10,000 yuan) to two decimals; percentages to one decimal; charts in 万 to one decimal. Rounding is half away from zero and is display only: every file yibao writes (compare --out, --format csv/json) keeps the exact values. Charts are drawn to scale from the same figures.",
            "本报告由 yibao 生成。页面上的数字为便于阅读已作显示取整：金额精确到分并加千位分隔，10万元及以上以“万”（万元）为单位保留两位小数；百分比保留一位小数；图中金额以万元保留一位小数。取整方式为四舍五入，仅用于显示：yibao 写出的所有文件（compare --out、--format csv/json）均保留精确值。图形按同一组数字等比例绘制。"
        )
    );
    h
}

fn results(h: &mut String, c: &Comparison, opt: &Options) {
    let lang = opt.lang;
    let settled = c.baseline().map_or(0, |o| o.all.claims);
    let _ = writeln!(
        h,
        "<p>{}</p>",
        match lang {
            Lang::Zh => format!(
                "从 <code>{}</code> 读入 {} 笔 = 结算 {} 笔 + 拒收 {} 笔。第一个政策为基线；Δ 为各政策减基线。",
                esc(&c.claims_file),
                display::count(c.rows_read),
                display::count(settled),
                display::count(c.rejected as u64)
            ),
            Lang::En => format!(
                "{} claims read from <code>{}</code> = {} settled + {} rejected. The first policy is the baseline; Δ is each policy minus the baseline.",
                display::count(c.rows_read),
                esc(&c.claims_file),
                display::count(settled),
                display::count(c.rejected as u64)
            ),
        }
    );
    let _ = writeln!(
        h,
        "<table><tr><th></th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        lang.pick("policy", "政策"),
        lang.pick("region", "统筹地区"),
        lang.pick("file and overrides", "文件与参数调整"),
        lang.pick("totals reconcile", "收支核对")
    );
    for (i, o) in c.outcomes.iter().enumerate() {
        let region = match (&o.region, &o.code) {
            (Some(r), Some(code)) => format!("{r} ({code})"),
            (Some(r), None) => r.clone(),
            _ => String::new(),
        };
        let _ =
            writeln!(
            h,
            "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            if i == 0 { lang.pick("baseline", "基线") } else { "" },
            esc(&o.label),
            esc(&region),
            esc(&o.path),
            if o.all.reconciles() {
                lang.pick("yes", "平衡")
            } else {
                lang.pick("NO", "不平衡")
            }
        );
    }
    h.push_str("</table>\n");

    let section = |h: &mut String, id: &str, title: &str, note: &str| {
        let _ = writeln!(
            h,
            "<h2 id=\"{id}\">{}</h2>\n<p class=\"note\">{}</p>",
            esc(title),
            esc(note)
        );
    };
    section(
        h,
        "who-pays",
        lang.pick("Who pays the cost", "费用由谁支付"),
        lang.pick(
            "Each bar is the total cost of the claims, split by who pays it.",
            "每条为全部结算的医疗总费用，按支付方分段。",
        ),
    );
    totals_chart(h, c, lang);
    section(
        h,
        "out-of-pocket",
        lang.pick("Out-of-pocket cost per patient-year", "每患者年个人负担"),
        lang.pick(
            "Patient-years by what the patient paid in the year (patient_paid, self-pay included), in yuan.",
            "按患者一年内个人负担（含自费）分组的患者年数，单位元。",
        ),
    );
    oop_chart(h, c, lang);
    section(
        h,
        "tail",
        lang.pick("The high-cost tail", "高额个人负担"),
        lang.pick(
            "The same patient-years on a logarithmic scale, so that the few who pay most stay visible; the shaded bins pay 50,000 yuan or more in a year.",
            "同一分布，患者年数取对数刻度，使负担最重的少数患者年清晰可见；阴影部分为一年负担5万元及以上。",
        ),
    );
    tail_chart(h, c, lang);
    tables::tail_table(h, c, lang);
    for p in 1..c.outcomes.len() {
        let (b, o) = (&c.outcomes[0].label, &c.outcomes[p].label);
        let title = match lang {
            Lang::Zh => format!("{o} 对比 {b}：每患者年个人负担的变化"),
            Lang::En => format!("{o} vs {b}: change in out-of-pocket cost per patient-year"),
        };
        section(
            h,
            &format!("change-{p}"),
            &title,
            lang.pick(
                "Patient-years by how much more (red) or less (green) they pay; grey: unchanged. Logarithmic scale.",
                "按个人负担增加（红）或减少（绿）的幅度分组的患者年数；灰色为不变。对数刻度。",
            ),
        );
        change_chart(h, c, p, lang);
    }
    section(
        h,
        "institutions",
        lang.pick("Institution outcomes", "机构清算结果"),
        lang.pick(
            "Year-end clearing, summed over units (institutions and alliances) and years: surplus to the right, overspend to the left.",
            "年终清算，按单位（定点机构与医共体）和年度合计：右为结余，左为超支。",
        ),
    );
    institutions_chart(h, c, lang);
    if let Some(w) = &opt.lopsided {
        let _ = writeln!(
            h,
            "<p class=\"warning\">{}{}</p>",
            lang.pick("Warning: ", "注意："),
            esc(&w.say(lang))
        );
    }
    tables::winners(h, c, lang);
    tables::figures(h, c, lang);
    tables::groups(h, c, lang);
    tables::drill_down(h, c, lang);
    tables::top_changes(h, c, opt);
}

fn rules_section(h: &mut String, d: &RulesDiff, lang: Lang) {
    let differing = d.rows.iter().filter(|r| r.differs()).count();
    let _ = writeln!(
        h,
        "<h2 id=\"rules\">{}</h2>\n<p>{}</p>",
        lang.pick("Rules side by side", "规则对照"),
        match lang {
            Lang::Zh => format!(
                "共 {} 项，其中 {differing} 项不同（高亮）；— 表示该政策无此项。",
                d.rows.len()
            ),
            Lang::En => format!(
                "{differing} of {} items differ (highlighted); — marks an item a policy does not have.",
                d.rows.len()
            ),
        }
    );
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th>",
        lang.pick("kind", "类别"),
        lang.pick("name", "名称"),
        lang.pick("key", "键")
    );
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
