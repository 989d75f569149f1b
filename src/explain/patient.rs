//! `explain --patient ID --year Y`: a patient-year in one view — each of the
//! patient's claims discharged in the year, in settlement order, with what
//! every layer and the patient paid and how each accumulator moved; then the
//! year's totals. Each claim is the same explanation `--claim` gives, so the
//! two cannot disagree.

use super::{claim, fact, typed, Explanation, Node};
use crate::data::{Claims, Institutions};
use crate::ir::Program;
use crate::report::Field;
use crate::source::SourceFile;
use rust_decimal::Decimal;

pub fn patient_year(
    prog: &Program,
    file: &SourceFile,
    claims: &Claims,
    insts: &Institutions,
    patient: &str,
    year: i32,
) -> Result<Explanation, String> {
    let mine: Vec<usize> = (0..claims.rows.len())
        .filter(|&k| claims.text(claims.patients[claims.rows[k].patient as usize]) == patient)
        .collect();
    if mine.is_empty() {
        return Err(format!(
            "no claim of patient `{patient}` among the claims settled"
        ));
    }
    let in_year: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|&k| claims.rows[k].discharge.year_month().0 == year)
        .collect();
    if in_year.is_empty() {
        let mut years: Vec<i32> = mine
            .iter()
            .map(|&k| claims.rows[k].discharge.year_month().0)
            .collect();
        years.dedup();
        let years: Vec<String> = years.iter().map(i32::to_string).collect();
        return Err(format!(
            "patient `{patient}` has no claim discharged in {year}; their claims are discharged in {}",
            years.join(", ")
        ));
    }
    let mut steps = Vec::with_capacity(in_year.len());
    let mut totals: Vec<(String, Decimal)> = Vec::new();
    let mut first: Option<Explanation> = None;
    let mut last: Option<Explanation> = None;
    for &k in &in_year {
        let c = &claims.rows[k];
        let id = claims.text(c.id);
        let e = claim(prog, file, claims, insts, id)?;
        let mut node = Node::new(
            format!("claim {id}"),
            Some(format!(
                "{} {}, total_cost {}",
                c.discharge,
                crate::schema::EnumKind::VisitType.name_of(c.visit_type),
                crate::report::money(c.total_cost())
            )),
        );
        node.kind = "claim";
        for f in &e.result {
            let Field::Money(v) = f.value else {
                continue;
            };
            let mut n = Node::new(f.name.clone(), None);
            n.value = Some(f.value.clone());
            node.children.push(n);
            match totals.iter_mut().find(|(name, _)| *name == f.name) {
                Some((_, t)) => {
                    *t = t
                        .checked_add(v)
                        .ok_or_else(|| format!("the year's {} overflows", f.name))?;
                }
                None => totals.push((f.name.clone(), v)),
            }
        }
        for a in &e.accumulators {
            if a.before == a.after {
                continue;
            }
            let mut n = Node::new(
                a.name.clone(),
                Some(format!("{} → {}", a.before.text(), a.after.text())),
            );
            n.kind = "accumulator";
            node.children.push(n);
        }
        steps.push(node);
        if first.is_none() {
            first = Some(e.clone());
        }
        last = Some(e);
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Err("internal error: no claim explained".into());
    };
    let c0 = &claims.rows[in_year[0]];
    let data = vec![
        fact("patient_id", patient),
        fact("year", year),
        fact(
            "insured_type",
            crate::schema::EnumKind::InsuredType.name_of(c0.insured_type),
        ),
        fact(
            "claims",
            format!(
                "{} discharged in {year} ({} in the file)",
                in_year.len(),
                mine.len()
            ),
        ),
    ];
    // Each accumulator before the year's first claim and after its last.
    let accumulators = first
        .accumulators
        .iter()
        .zip(&last.accumulators)
        .map(|(a, b)| super::AccFact {
            name: a.name.clone(),
            before: a.before.clone(),
            after: b.after.clone(),
        })
        .collect();
    Ok(Explanation {
        subject: format!("patient {patient}, {year}"),
        policy: first.policy,
        region: first.region,
        notice: first.notice,
        data,
        accumulators,
        steps,
        result: totals
            .into_iter()
            .map(|(n, v)| typed(n, Field::Money(v)))
            .collect(),
    })
}
