//! What explanations say of agreement management: a claim's standing under
//! its institution's agreement on the discharge day, and what each of an
//! institution's suspensions and terminations held, paid out or forfeited.

use super::{fact, Fact, Node};
use crate::data::{Claim, Institutions};
use crate::eval::Ledger;
use crate::ir::Program;
use crate::report::money;
use crate::source::SourceFile;

/// The claim's standing, for a policy with an agreement block.
pub(super) fn claim_fact(prog: &Program, insts: &Institutions, c: &Claim) -> Option<Fact> {
    if !prog.has_agreements() {
        return None;
    }
    let ia = insts.agreement.by_inst.get(c.institution as usize);
    let day = c.discharge;
    if let Some((t, line)) = ia.and_then(|a| a.terminated).filter(|(t, _)| day >= *t) {
        return Some(fact(
            "agreement",
            format!("terminated on {t} (agreement actions line {line}): care there is not paid by the fund from that day, so no layer pays and the patient pays the whole cost"),
        ));
    }
    let s = ia.and_then(|a| {
        a.suspensions
            .iter()
            .find(|s| s.from <= day && s.until.is_none_or(|u| day <= u))
    });
    Some(fact(
        "agreement",
        match s {
            Some(s) => format!(
                "payments suspended {} (agreement actions line {}): the patient's benefit is settled as usual; the institution's payment for the claim may be held (`held`)",
                period(s.from, s.until),
                s.line
            ),
            None => "in force on the discharge day".into(),
        },
    ))
}

fn period(from: crate::date::Date, until: Option<crate::date::Date>) -> String {
    match until {
        Some(u) => format!("from {from} to {u}"),
        None => format!("from {from}, open-ended"),
    }
}

/// The institution's interviews in the year and what came of its
/// suspensions and termination, as facts and a step.
pub(super) fn unit_steps(
    prog: &Program,
    file: &SourceFile,
    insts: &Institutions,
    ledger: &Ledger,
    inst: u32,
    year: i32,
) -> (Vec<Fact>, Option<Node>) {
    let Some(ia) = insts.agreement.by_inst.get(inst as usize) else {
        return (Vec::new(), None);
    };
    let days: Vec<String> = ia
        .interviews
        .iter()
        .filter(|d| d.year_month().0 == year)
        .map(|d| d.to_string())
        .collect();
    let mut facts = vec![fact(
        "agreement.interviews",
        if days.is_empty() {
            format!("0 in {year}")
        } else {
            format!("{} in {year} ({})", days.len(), days.join(", "))
        },
    )];
    let mut node = Node::new(
        format!(
            "agreement actions of {}",
            insts.rows.get(inst as usize).map_or("?", |i| i.id.as_str())
        ),
        None,
    );
    node.kind = "agreement";
    for o in ledger.agreements.iter().filter(|o| o.institution == inst) {
        let block = o.block.and_then(|b| prog.agreements.get(b as usize));
        let line = block.map(|b| file.line_col(b.span.start as usize).0);
        let mut n = if let Some(s) = ia.suspensions.iter().find(|s| s.line == o.line) {
            let paid = match o.release_month {
                Some((y, m)) => format!(
                    "released {} in {y}-{m:02} ({} months after the month it ends, `release_after` of {})",
                    money(o.released),
                    block.map_or(0, |b| b.release_after),
                    block.map_or("?", |b| b.name.as_str())
                ),
                None => "open-ended: never released".into(),
            };
            Node::new(
                format!(
                    "suspension {} (agreement actions line {}): carried in {}, held {}, {paid}, forfeited {}, still held {}",
                    period(s.from, s.until),
                    o.line,
                    money(o.carried_in),
                    money(o.held),
                    money(o.forfeited),
                    money(o.carried)
                ),
                None,
            )
        } else {
            Node::new(
                format!(
                    "termination from {} (agreement actions line {}): forfeited {} held and the deposit of {} withheld that year, may apply again from {} (`reapply_after` {} months)",
                    o.from,
                    o.line,
                    money(o.forfeited),
                    money(o.deposit_forfeited),
                    o.reapply_from.map_or("?".into(), |d| d.to_string()),
                    block.map_or(0, |b| b.reapply_after)
                ),
                None,
            )
        };
        n.kind = "agreement";
        n.line = line;
        node.children.push(n);
    }
    if node.children.is_empty() {
        facts.push(fact("agreement", "no suspension or termination"));
        return (facts, None);
    }
    (facts, Some(node))
}
