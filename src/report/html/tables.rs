//! The report's tables: the tail, who is better or worse off, the figures,
//! every institution ordered by its change, and the largest changes.

use super::display::{amount, count, pct_change, pp_change, share, signed_amount};
use super::{esc, words, Options, DRILL_DOWN_ROWS};
use crate::compare::{winners_losers, Comparison};
use crate::lang::Lang;
use crate::report::compare::{sections, Cell};
use crate::schema::EnumKind;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// A signed figure's cell, red when it grows and green when it shrinks.
fn delta_td(h: &mut String, text: &str, sign: Decimal) {
    let class = if sign > Decimal::ZERO {
        "n up"
    } else if sign < Decimal::ZERO {
        "n down"
    } else {
        "n"
    };
    let _ = write!(h, "<td class=\"{class}\">{}</td>", esc(text));
}

fn num_td(h: &mut String, text: &str) {
    let _ = write!(h, "<td class=\"n\">{}</td>", esc(text));
}

/// Patient-years paying at least 10k, 20k, 50k and 100k yuan, per policy.
pub(super) fn tail_table(h: &mut String, c: &Comparison, lang: Lang) {
    let from = [10_000i64, 20_000, 50_000, 100_000];
    let _ = write!(
        h,
        "<table id=\"tail-table\"><tr><th>{}</th>",
        lang.pick("patient-years paying at least", "个人负担不低于")
    );
    for (i, o) in c.outcomes.iter().enumerate() {
        let _ = write!(h, "<th>{}</th>", esc(&o.label));
        if i > 0 {
            h.push_str("<th>Δ</th>");
        }
    }
    h.push_str("</tr>\n");
    for f in from {
        let n: Vec<u64> = c
            .outcomes
            .iter()
            .map(|o| o.patient_paid.iter().filter(|&&v| v >= f * 100).count() as u64)
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td>",
            match lang {
                Lang::Zh => format!("{}元", count(f as u64)),
                Lang::En => format!("{} yuan", count(f as u64)),
            }
        );
        for (i, v) in n.iter().enumerate() {
            num_td(h, &count(*v));
            if i > 0 {
                let d = i128::from(*v) - i128::from(n[0]);
                let text = if d > 0 {
                    format!("+{}", count(d as u64))
                } else if d < 0 {
                    format!("-{}", count(d.unsigned_abs() as u64))
                } else {
                    "0".into()
                };
                delta_td(h, &text, Decimal::from(d.signum() as i64));
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// Patient-years and institutions better off, worse off, unchanged.
pub(super) fn winners(h: &mut String, c: &Comparison, lang: Lang) {
    for p in 1..c.outcomes.len() {
        let (b, o) = (&c.outcomes[0].label, &c.outcomes[p].label);
        let _ = writeln!(
            h,
            "<h2 id=\"winners-{p}\">{}</h2>",
            esc(&match lang {
                Lang::Zh => format!("{o} 对比 {b}：谁受益，谁受损"),
                Lang::En => format!("{o} vs {b}: who is better or worse off"),
            })
        );
        let _ = writeln!(
            h,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            lang.pick("unit", "对象"),
            lang.pick("group", "分组"),
            lang.pick("better off", "受益"),
            lang.pick("gained", "受益金额"),
            lang.pick("worse off", "受损"),
            lang.pick("lost", "受损金额"),
            lang.pick("unchanged", "不变")
        );
        for l in winners_losers(c, p) {
            let unit = if l.unit == "patient_year" {
                lang.pick(
                    "patient-years (pay less = better)",
                    "患者年（负担减少为受益）",
                )
            } else {
                lang.pick(
                    "institutions (net more = better)",
                    "定点机构（所得增加为受益）",
                )
            };
            let group = if l.breakdown == "all" {
                lang.pick("all", "全部").to_string()
            } else {
                format!(
                    "{} {}",
                    words::group_column(lang, l.breakdown),
                    words::group_value(lang, l.breakdown, &l.value)
                )
            };
            let t = l.tally;
            let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(unit), esc(&group));
            num_td(h, &count(t.better));
            num_td(h, &amount(t.gained));
            num_td(h, &count(t.worse));
            num_td(h, &amount(t.lost));
            num_td(h, &count(t.same));
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// A figure of the figures tables, for reading.
fn show(cell: &Cell, lang: Lang) -> String {
    match cell {
        Cell::Money(d) => amount(*d),
        Cell::Count(n) => count(*n),
        Cell::Share(Some(s)) => share(*s),
        Cell::Share(None) | Cell::Missing => "—".into(),
        Cell::Text(t) => match (lang, t.as_str()) {
            (Lang::Zh, "holds") => "平衡".into(),
            (Lang::Zh, "BROKEN") => "不平衡".into(),
            _ => t.clone(),
        },
    }
}

/// A figure's change against the baseline's, for reading, and its sign.
fn change(cell: &Cell, base: &Cell) -> Option<(String, String, Decimal)> {
    match (base, cell) {
        (Cell::Money(b), Cell::Money(x)) => {
            let d = x.checked_sub(*b)?;
            Some((signed_amount(d), pct_change(d, *b), d))
        }
        (Cell::Count(b), Cell::Count(x)) => {
            let d = Decimal::from(i128::from(*x) - i128::from(*b));
            let text = if d > Decimal::ZERO {
                format!("+{}", super::display::grouped(d, 0))
            } else {
                super::display::grouped(d, 0)
            };
            Some((text, pct_change(d, Decimal::from(*b)), d))
        }
        (Cell::Share(Some(b)), Cell::Share(Some(x))) => {
            let d = x.checked_sub(*b)?;
            Some((pp_change(d), String::new(), d))
        }
        _ => None,
    }
}

/// The figures tables: totals, by visit type, level, insured type, the
/// institution ledger and out-of-pocket percentiles.
pub(super) fn figures(h: &mut String, c: &Comparison, lang: Lang) {
    let _ = writeln!(
        h,
        "<h2 id=\"figures\">{}</h2>",
        lang.pick("Figures", "数据表")
    );
    for sec in sections(c) {
        let _ = writeln!(
            h,
            "<h3>{}</h3>",
            esc(&words::section(lang, &sec.id, &sec.title))
        );
        h.push_str("<table><thead><tr>");
        if !sec.group_name.is_empty() {
            let _ = write!(
                h,
                "<th>{}</th>",
                esc(&words::group_column(lang, &sec.group_name))
            );
        }
        let _ = write!(h, "<th>{}</th>", lang.pick("measure", "指标"));
        for (i, o) in c.outcomes.iter().enumerate() {
            let _ = write!(h, "<th>{}</th>", esc(&o.label));
            if i > 0 {
                h.push_str("<th>Δ</th><th>Δ%</th>");
            }
        }
        h.push_str("</tr></thead>\n");
        for line in &sec.lines {
            h.push_str("<tr>");
            if !sec.group_name.is_empty() {
                let _ = write!(
                    h,
                    "<td>{}</td>",
                    esc(&words::group_value(lang, &sec.group_name, &line.group))
                );
            }
            let _ = write!(
                h,
                "<td>{}</td>",
                esc(&words::measure(lang, &line.measure, &c.outcomes))
            );
            for (i, cell) in line.cells.iter().enumerate() {
                num_td(h, &show(cell, lang));
                if i > 0 {
                    match change(cell, &line.cells[0]) {
                        Some((d, p, sign)) => {
                            delta_td(h, &d, sign);
                            delta_td(h, &p, sign);
                        }
                        None => h.push_str("<td></td><td></td>"),
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// Every institution (up to [`DRILL_DOWN_ROWS`]): what it is paid under each
/// policy and its change, ordered by the change under the first policy
/// after the baseline (largest gain first), or by what it is paid.
pub(super) fn drill_down(h: &mut String, c: &Comparison, lang: Lang) {
    if c.institutions.is_empty() {
        return;
    }
    let per: Vec<Vec<crate::compare::InstChange>> = (0..c.outcomes.len())
        .map(|p| c.institution_changes(p))
        .collect();
    let mut order: Vec<usize> = (0..c.institutions.len()).collect();
    let key = |i: usize| -> Decimal {
        per.get(1).and_then(|v| v.get(i)).map_or_else(
            || per[0].get(i).map_or(Decimal::ZERO, |x| x.base.net),
            |x| x.delta,
        )
    };
    order.sort_by(|&x, &y| {
        key(y)
            .cmp(&key(x))
            .then_with(|| c.institutions[x].0.cmp(&c.institutions[y].0))
    });
    let _ = writeln!(
        h,
        "<h2 id=\"drill-down\">{}</h2>\n<p class=\"note\">{}</p>",
        lang.pick("Institution by institution", "分机构明细"),
        esc(&match lang {
            Lang::Zh => format!(
                "每家机构所得 = 其结算的医保支付 + 年终清算（结余留用 − 机构分担 − 扣款 − 质量保证金 + 保证金返还 − 暂停拨付 + 恢复拨付），按{}排序。{}",
                if c.outcomes.len() > 1 { "第一个对比政策下的变化从大到小" } else { "所得从多到少" },
                if c.institutions.len() > DRILL_DOWN_ROWS {
                    format!("共{}家，列前{DRILL_DOWN_ROWS}家；全部见 compare --out 的 institution_years.csv。", count(c.institutions.len() as u64))
                } else {
                    String::new()
                }
            ),
            Lang::En => format!(
                "What each institution receives = the layers' payments on its claims + its year-end clearing (retained − institution_share − deductions − withheld + withhold_returned − held + released), ordered by {}. {}",
                if c.outcomes.len() > 1 { "its change under the first policy after the baseline, largest gain first" } else { "what it receives, most first" },
                if c.institutions.len() > DRILL_DOWN_ROWS {
                    format!("{} institutions, the first {DRILL_DOWN_ROWS} shown; all are in compare --out's institution_years.csv.", count(c.institutions.len() as u64))
                } else {
                    String::new()
                }
            ),
        })
    );
    let _ = write!(
        h,
        "<table id=\"drill-down-table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th>",
        lang.pick("institution", "机构编码"),
        lang.pick("name", "名称"),
        lang.pick("level", "等级")
    );
    for (p, o) in c.outcomes.iter().enumerate() {
        let _ = write!(h, "<th>{} {}</th>", esc(&o.label), lang.pick("net", "所得"));
        if p > 0 {
            h.push_str("<th>Δ</th><th>Δ%</th>");
        }
    }
    h.push_str("</tr></thead>\n");
    for &i in order.iter().take(DRILL_DOWN_ROWS) {
        let (id, name, level) = &c.institutions[i];
        let level = EnumKind::Level.name_of(*level);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            esc(id),
            esc(name),
            esc(&words::group_value(lang, "level", level))
        );
        for (p, v) in per.iter().enumerate() {
            let Some(x) = v.get(i) else {
                h.push_str("<td></td>");
                continue;
            };
            num_td(h, &amount(if p == 0 { x.base.net } else { x.policy.net }));
            if p > 0 {
                delta_td(h, &signed_amount(x.delta), x.delta);
                delta_td(h, &pct_change(x.delta, x.base.net), x.delta);
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// The institutions and the patient-years that change most.
pub(super) fn top_changes(h: &mut String, c: &Comparison, opt: &Options) {
    let lang = opt.lang;
    for p in 1..c.outcomes.len() {
        let (b, o) = (&c.outcomes[0].label, &c.outcomes[p].label);
        let _ = writeln!(
            h,
            "<h2 id=\"top-{p}\">{}</h2>",
            esc(&match lang {
                Lang::Zh => format!("{o} 对比 {b}：个人负担变化最大的患者年"),
                Lang::En =>
                    format!("{o} vs {b}: patient-years whose out-of-pocket cost changes most"),
            })
        );
        let rows = c.top_patients(p, opt.top);
        if rows.is_empty() {
            let _ = writeln!(
                h,
                "<p>{}</p>",
                lang.pick(
                    "No patient's out-of-pocket cost changes.",
                    "没有患者的个人负担发生变化。"
                )
            );
            continue;
        }
        let _ = writeln!(
            h,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{b}</th><th>{o}</th><th>Δ</th><th>Δ%</th></tr></thead>",
            lang.pick("patient", "患者"),
            lang.pick("year", "年度"),
            lang.pick("claims", "结算次数"),
            b = esc(b),
            o = esc(o)
        );
        for x in rows {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(&x.patient_id), x.year);
            num_td(h, &count(u64::from(x.claims)));
            num_td(h, &amount(x.base));
            num_td(h, &amount(x.policy));
            delta_td(h, &signed_amount(x.delta), x.delta);
            delta_td(h, &pct_change(x.delta, x.base), x.delta);
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}

/// What each age band and each ICD-10 chapter pays under each policy:
/// claims, the fund's and the patients' payments, and the change in what
/// patients pay. Groups with no claims under any policy are left out.
pub(super) fn groups(h: &mut String, c: &Comparison, lang: Lang) {
    let bands: Vec<(String, Vec<crate::compare::Sums>)> = (0..c.age_bands.len())
        .map(|i| {
            (
                crate::compare::groups::age_label(&c.age_bands, i),
                c.outcomes
                    .iter()
                    .map(|o| o.age_groups.get(i).copied().unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    let chapters: Vec<(String, Vec<crate::compare::Sums>)> = (0..=crate::compare::groups::CHAPTERS
        .len())
        .map(|i| {
            (
                words::chapter(lang, i),
                c.outcomes
                    .iter()
                    .map(|o| o.chapter_groups.get(i).copied().unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    for (id, title, column, rows) in [
        (
            "by-age",
            lang.pick("By age band", "按年龄段"),
            lang.pick("age", "年龄"),
            bands,
        ),
        (
            "by-chapter",
            lang.pick("By ICD-10 chapter of the diagnosis", "按诊断的 ICD-10 章"),
            lang.pick("chapter", "章"),
            chapters,
        ),
    ] {
        let _ = writeln!(h, "<h3 id=\"{id}\">{}</h3>", esc(title));
        let _ = write!(
            h,
            "<table id=\"{id}-table\"><thead><tr><th>{}</th><th>{}</th>",
            esc(column),
            lang.pick("claims", "结算人次")
        );
        let (fund, patient) = (
            words::measure(lang, "fund_paid", &c.outcomes),
            words::measure(lang, "patient_paid", &c.outcomes),
        );
        for (p, o) in c.outcomes.iter().enumerate() {
            let _ = write!(
                h,
                "<th>{} {}</th><th>{} {}</th>",
                esc(&o.label),
                esc(&fund),
                esc(&o.label),
                esc(&patient)
            );
            if p > 0 {
                let _ = write!(h, "<th>Δ {}</th><th>Δ%</th>", esc(&patient));
            }
        }
        h.push_str("</tr></thead>\n");
        for (label, sums) in rows {
            if sums.iter().all(|s| s.claims == 0) {
                continue;
            }
            let _ = write!(h, "<tr><td>{}</td>", esc(&label));
            num_td(h, &count(sums[0].claims));
            let base = crate::compare::yuan(sums[0].patient);
            for (p, s) in sums.iter().enumerate() {
                num_td(h, &amount(crate::compare::yuan(s.fund)));
                let paid = crate::compare::yuan(s.patient);
                num_td(h, &amount(paid));
                if p > 0 {
                    match paid.checked_sub(base) {
                        Some(d) => {
                            delta_td(h, &signed_amount(d), d);
                            delta_td(h, &pct_change(d, base), d);
                        }
                        None => h.push_str("<td class=\"n\">—</td><td class=\"n\">—</td>"),
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
}
