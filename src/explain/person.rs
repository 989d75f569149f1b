//! Explanations of contributions: how one person-month's base, parts and
//! account credit were reached, or one person's eligibility at retirement —
//! the same recorder over the same settlement as a run.

use super::record::{Recorder, Target};
use super::{fact, typed, Explanation, Node};
use crate::check::types::Ty;
use crate::data::{Contributions, Persons};
use crate::eval::interp::Env;
use crate::ir::Program;
use crate::report::Field;
use crate::source::SourceFile;

/// Explains person `id`'s contribution month `month` (`YYYY-MM`), or with
/// `month` `None` the person's retirement.
pub fn person(
    prog: &Program,
    file: &SourceFile,
    persons: &Persons,
    contribs: &Contributions,
    id: &str,
    month: Option<&str>,
) -> Result<Explanation, String> {
    if !prog.has_contributions() {
        return Err(format!(
            "`{}` has no contribute blocks: contributions are not settled by it",
            file.name()
        ));
    }
    let Some(pi) = persons.index_of(id) else {
        return Err(format!("no person `{id}` in the persons file"));
    };
    let months: Vec<&crate::data::PersonMonth> =
        contribs.rows.iter().filter(|r| r.person == pi).collect();
    if let Some(m) = month {
        if !months.iter().any(|r| r.month.to_string() == m) {
            let have: Vec<String> = months.iter().map(|r| r.month.to_string()).collect();
            return Err(format!(
                "person `{id}` has no contribution in {m}; their months are {}",
                if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                }
            ));
        }
    }
    let (claims, insts) = (
        crate::data::Claims::default(),
        crate::data::Institutions::default(),
    );
    let env = Env {
        prog,
        claims: &claims,
        insts: &insts,
        t: Recorder::new(
            prog,
            file,
            Target::Person {
                id: id.to_string(),
                month: month.map(String::from),
            },
        ),
        carry: Default::default(),
    };
    let s = crate::eval::contrib::settle_contributions_with(
        &env,
        persons,
        contribs,
        std::path::Path::new("contributions"),
    )
    .map_err(|e| e.one_line(file))?;
    let Some(p) = persons.rows.get(pi as usize) else {
        return Err("internal error: no person".into());
    };
    let mut data = vec![
        fact("person_id", id),
        fact("sex", crate::schema::EnumKind::Sex.name_of(p.sex)),
        fact("birth_date", p.birth),
        typed("deemed_months", Field::count(p.deemed_months)),
        typed("prior_paid_months", Field::count(p.prior_paid_months)),
    ];
    let mut result = Vec::new();
    let subject;
    match month {
        Some(m) => {
            subject = format!("person {id}, {m}");
            let res = s.months.iter().find(|r| {
                contribs
                    .rows
                    .get(r.row as usize)
                    .is_some_and(|c| c.person == pi && c.month.to_string() == m)
            });
            let Some(res) = res else {
                return Err(format!(
                    "{m} of person `{id}` was not settled (rejected: no block in force)"
                ));
            };
            if let Some(row) = contribs.rows.get(res.row as usize) {
                data.push(fact("month", m));
                data.push(fact(
                    "category",
                    crate::schema::EnumKind::Category.name_of(row.category),
                ));
                data.push(typed(
                    "wage",
                    Field::Money(rust_decimal::Decimal::new(row.wage_fen, 2)),
                ));
                data.push(fact("employer_id", contribs.text(row.employer)));
            }
            for (n, v) in [
                ("base", res.base),
                ("employer", res.employer),
                ("employee", res.employee),
                ("to_account", res.to_account),
                ("to_pool", res.to_pool),
            ] {
                result.push(typed(n, Field::Money(v)));
            }
            if let Some(a) = res.age {
                result.push(typed("age", Field::of(Ty::Count, a)));
            }
            if let Some(b) = crate::report::band_text(prog, persons, contribs, res) {
                result.push(fact("band", b));
            }
        }
        None => {
            subject = format!("person {id}, retirement");
            let Some(r) = s.retirements.iter().find(|r| r.person == pi) else {
                return Err(format!(
                    "person `{id}` has no retired month while an `at retirement` block is in force"
                ));
            };
            data.push(fact("retirement_month", r.month));
            data.push(typed("months_in_file", Field::count(r.months_in_file)));
            let paid = u64::from(p.prior_paid_months) + u64::from(r.months_in_file);
            data.push(typed("paid_months", Field::count(paid)));
            data.push(typed(
                "counted_months",
                Field::count(paid + u64::from(p.deemed_months)),
            ));
            result.push(typed(
                "required_months",
                Field::of(Ty::Months, r.required_months),
            ));
            result.push(typed(
                "required_paid_months",
                Field::of(Ty::Months, r.required_paid_months),
            ));
            let counted = paid + u64::from(p.deemed_months);
            result.push(fact(
                "shortfall from",
                format!(
                    "max({} − {counted} counted, {} − {paid} paid, 0)",
                    r.required_months, r.required_paid_months
                ),
            ));
            result.push(typed("shortfall", Field::of(Ty::Months, r.shortfall)));
            result.push(typed("eligible", Field::Bool(r.eligible())));
            result.push(typed("lump_sum", Field::Money(r.lump_sum)));
        }
    }
    let mut steps = Vec::new();
    for r in env.t.done.take() {
        let Some((b, ..)) = r.block else {
            continue;
        };
        let Some(block) = prog.contributes.get(b) else {
            continue;
        };
        let title = block
            .title
            .as_ref()
            .map(|t| format!(" \"{t}\""))
            .unwrap_or_default();
        let mut n = Node::new(
            format!("contribute {}{title} — {subject}", block.name),
            None,
        );
        n.kind = "contribute";
        n.line = Some(file.line_col(block.span.start as usize).0);
        n.note = match (block.in_force, &block.cite) {
            (Some(p), c) => Some(format!(
                "{}{}",
                match p.until {
                    Some(u) => format!("in force from {} until {u}", p.from),
                    None => format!("in force from {}", p.from),
                },
                c.as_ref().map(|c| format!("; {c}")).unwrap_or_default()
            )),
            (None, c) => c.clone(),
        };
        n.children = r.nodes;
        steps.push(n);
    }
    Ok(Explanation {
        subject,
        policy: file.name(),
        region: prog.region.clone(),
        notice: prog.notice.clone(),
        data,
        accumulators: Vec::new(),
        steps,
        result,
    })
}
