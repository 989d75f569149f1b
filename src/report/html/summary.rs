//! The report's opening paragraph, written from the figures: what changes,
//! for whom, how much, and what the fund saves or spends. Every number in it
//! is one the tables below show too.

use super::display::{amount, count, share, signed_amount};
use crate::compare::{winners_losers, yuan, Comparison, Outcome};
use crate::lang::Lang;
use rust_decimal::Decimal;

/// Patient-years paying at least this much (yuan) are "the tail".
pub const TAIL_FROM: i64 = 50_000;

/// An amount in prose: `652.88万元`, `1,234.50 yuan`.
fn yuan_words(lang: Lang, d: Decimal) -> String {
    match lang {
        Lang::Zh => format!("{}元", amount(d)),
        Lang::En => format!("{} yuan", amount(d)),
    }
}

fn signed_words(lang: Lang, d: Decimal) -> String {
    match lang {
        Lang::Zh => format!("{}元", signed_amount(d)),
        Lang::En => format!("{} yuan", signed_amount(d)),
    }
}

/// What the insurance layers pay in all (fund + serious illness + other), yuan.
pub fn layers_paid(o: &Outcome) -> Decimal {
    yuan(
        o.all
            .fund
            .saturating_add(o.all.serious)
            .saturating_add(o.all.other),
    )
}

/// What the institutions receive in all: the layers' payments on their
/// claims and their own ledger rows' effect (year-end clearing).
pub fn institutions_net(o: &Outcome) -> Decimal {
    let paid = o.inst_paid.iter().fold(0i128, |a, b| a.saturating_add(*b));
    o.inst_clearing
        .iter()
        .fold(yuan(paid), |a, b| a.saturating_add(*b))
}

/// Patient-years paying [`TAIL_FROM`] or more under `o`.
pub fn tail_count(o: &Outcome) -> usize {
    o.patient_paid
        .iter()
        .filter(|&&v| v >= TAIL_FROM * 100)
        .count()
}

/// The paragraphs: one on the data, then one per policy against the baseline
/// (or, with one policy, one on what it does).
pub fn summary(c: &Comparison, lang: Lang, lopsided: bool) -> Vec<String> {
    let Some(b) = c.baseline() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let reconcile = c.outcomes.iter().all(|o| o.all.reconciles());
    let pys = c.patient_years.len() as u64;
    out.push(match lang {
        Lang::Zh => format!(
            "本报告用同一批数据测算{}个政策：{}笔结算（{}个患者年，{}家机构）。{}",
            c.outcomes.len(),
            count(b.all.claims),
            count(pys),
            count(c.institutions.len() as u64),
            if reconcile {
                "每个政策下，医保支付与个人负担之和均等于医疗总费用。"
            } else {
                "注意：有政策的支付合计与医疗总费用不符，见下方“收支核对”。"
            }
        ),
        Lang::En => format!(
            "This report settles the same claims under {} policies: {} claims ({} patient-years, {} institutions). {}",
            c.outcomes.len(),
            count(b.all.claims),
            count(pys),
            count(c.institutions.len() as u64),
            if reconcile {
                "Under every policy the insurance's payments and the patients' add up to the total cost."
            } else {
                "Warning: under some policy the payments do not add up to the total cost; see \"reconciles\" below."
            }
        ),
    });
    if c.outcomes.len() == 1 {
        let total = yuan(b.all.total_cost);
        out.push(match lang {
            Lang::Zh => format!(
                "{}下，医疗总费用{}，医保各项共支付{}，个人负担{}（政策范围内个人负担比例{}）。",
                b.label,
                yuan_words(lang, total),
                yuan_words(lang, layers_paid(b)),
                yuan_words(lang, yuan(b.all.patient)),
                b.all.patient_share().map_or_else(|| "—".into(), share)
            ),
            Lang::En => format!(
                "Under {}, of a total cost of {}, the insurance pays {} and patients pay {} ({} of the eligible cost).",
                b.label,
                yuan_words(lang, total),
                yuan_words(lang, layers_paid(b)),
                yuan_words(lang, yuan(b.all.patient)),
                b.all.patient_share().map_or_else(|| "—".into(), share)
            ),
        });
        return out;
    }
    for p in 1..c.outcomes.len() {
        out.push(against(c, p, lang, lopsided));
    }
    out
}

fn against(c: &Comparison, p: usize, lang: Lang, lopsided: bool) -> String {
    let (b, o) = (&c.outcomes[0], &c.outcomes[p]);
    let (lb, lo) = (layers_paid(b), layers_paid(o));
    let d_layers = lo.saturating_sub(lb);
    let pct = super::display::pct_change(d_layers, lb);
    let (fb, fo) = (yuan(b.all.fund), yuan(o.all.fund));
    let (pb, po) = (yuan(b.all.patient), yuan(o.all.patient));
    let shares = |x: &Outcome| x.all.patient_share().map_or_else(|| "—".into(), share);
    let lines = winners_losers(c, p);
    let tally = |unit: &str| {
        lines
            .iter()
            .find(|l| l.unit == unit && l.breakdown == "all")
            .map(|l| l.tally)
            .unwrap_or_default()
    };
    let (pt, it) = (tally("patient_year"), tally("institution"));
    let p99 = |k: usize| {
        c.oop_percentiles(k, &[99])
            .first()
            .copied()
            .unwrap_or_default()
    };
    let (tb, to) = (tail_count(b) as u64, tail_count(o) as u64);
    // The fund's outlay counts the institutions' year-end clearing when the
    // policies clear alike; when only some clear, the layers' payments alone.
    let clears = !lopsided && c.outcomes.iter().any(|x| !x.ledger.is_empty());
    let d_net = institutions_net(o).saturating_sub(institutions_net(b));
    let fund_name = o.layer_titles[0]
        .clone()
        .or_else(|| b.layer_titles[0].clone());
    match lang {
        Lang::Zh => {
            let mut s = format!(
                "{}与{}相比：医保各项共支付{}（{}，{}），其中{}支付{}（{}）。个人负担{}（{}），政策范围内个人负担比例由{}变为{}。",
                o.label,
                b.label,
                yuan_words(lang, lo),
                signed_words(lang, d_layers),
                pct,
                fund_name.unwrap_or_else(|| "统筹基金".into()),
                yuan_words(lang, fo),
                signed_words(lang, fo.saturating_sub(fb)),
                yuan_words(lang, po),
                signed_words(lang, po.saturating_sub(pb)),
                shares(b),
                shares(o),
            );
            s.push_str(&format!(
                "{}个患者年负担减轻，共减少{}；{}个加重，共增加{}；{}个不变。",
                count(pt.better),
                yuan_words(lang, pt.gained),
                count(pt.worse),
                yuan_words(lang, pt.lost),
                count(pt.same)
            ));
            s.push_str(&format!(
                "负担最重的1%患者年（P99）至少负担{}（基线{}）；负担5万元及以上的患者年{}个（基线{}个）。",
                yuan_words(lang, p99(p)),
                yuan_words(lang, p99(0)),
                count(to),
                count(tb)
            ));
            s.push_str(&format!(
                "{}家机构所得增加，{}家减少，{}家不变。",
                count(it.better),
                count(it.worse),
                count(it.same)
            ));
            let basis = if clears {
                "计入年终清算，"
            } else if lopsided {
                "不计年终清算（各政策清算口径不一），"
            } else {
                ""
            };
            let spend = if clears { d_net } else { d_layers };
            s.push_str(&if spend > Decimal::ZERO {
                format!("{basis}医保基金多支出{}。", yuan_words(lang, spend))
            } else if spend < Decimal::ZERO {
                format!("{basis}医保基金节省{}。", yuan_words(lang, -spend))
            } else {
                format!("{basis}医保基金支出不变。")
            });
            s
        }
        Lang::En => {
            let mut s = format!(
                "{} against {}: the insurance pays {} in all ({}, {}), of it {} {} ({}). Patients pay {} ({}); their share of the eligible cost goes from {} to {}. ",
                o.label,
                b.label,
                yuan_words(lang, lo),
                signed_words(lang, d_layers),
                pct,
                fund_name.map_or_else(|| "the pooled fund".to_string(), |t| format!("the pooled fund ({t})")),
                yuan_words(lang, fo),
                signed_words(lang, fo.saturating_sub(fb)),
                yuan_words(lang, po),
                signed_words(lang, po.saturating_sub(pb)),
                shares(b),
                shares(o),
            );
            s.push_str(&format!(
                "Patient-years paying less: {} (together {}); paying more: {} (together {}); unchanged: {}. ",
                count(pt.better),
                yuan_words(lang, pt.gained),
                count(pt.worse),
                yuan_words(lang, pt.lost),
                count(pt.same)
            ));
            s.push_str(&format!(
                "The 1% of patient-years paying most (p99) pay at least {} (baseline {}); {} patient-years pay 50,000 yuan or more (baseline {}). ",
                yuan_words(lang, p99(p)),
                yuan_words(lang, p99(0)),
                count(to),
                count(tb)
            ));
            s.push_str(&format!(
                "Institutions receiving more: {}; less: {}; the same: {}. ",
                count(it.better),
                count(it.worse),
                count(it.same)
            ));
            let basis = if clears {
                "Counting the institutions' year-end clearing, the"
            } else if lopsided {
                "Leaving out the year-end clearing (the policies do not all clear institutions), the"
            } else {
                "The"
            };
            let spend = if clears { d_net } else { d_layers };
            s.push_str(&if spend > Decimal::ZERO {
                format!("{basis} fund spends {} more.", yuan_words(lang, spend))
            } else if spend < Decimal::ZERO {
                format!("{basis} fund saves {}.", yuan_words(lang, -spend))
            } else {
                format!("{basis} fund spends the same.")
            });
            s
        }
    }
}
