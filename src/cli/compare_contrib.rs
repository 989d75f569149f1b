//! `yibao compare` of policies of contribution rules alone: the same
//! persons and months settled by each, their totals side by side with the
//! baseline's, and who pays more and whose account gets more.

use super::contrib::{inputs, settle, ContribPlan, Into};
use super::stdout::{self, out, outln, Printed};
use super::Status;
use crate::compare::contrib::{compare, ContribComparison};
use crate::ir::Program;
use crate::report::{Field, Format, Table};
use std::path::Path;

pub(crate) fn run(
    policies: &[(&str, &Program)],
    (persons, contributions): (Option<&Path>, Option<&Path>),
    budget: &crate::data::Budget,
    top: usize,
    format: Format,
) -> Printed<Status> {
    if let Some((label, _)) = policies.iter().find(|(_, p)| !p.has_contributions()) {
        eprintln!("error: `{label}` has neither layers nor contribution rules: nothing to compare");
        return Ok(Status::Usage);
    }
    let mut settled = Vec::new();
    let mut loaded = None;
    for (label, prog) in policies {
        let plan = ContribPlan {
            policy: Path::new(label),
            persons,
            contributions,
            reject_file: None,
            encoding: crate::report::Encoding::default(),
            budget: Some(budget),
        };
        if let Err(e) = inputs(&plan) {
            eprintln!("error: {e}");
            return Ok(Status::Usage);
        }
        match settle(prog, &plan, Into::Persons) {
            Ok(run) => {
                settled.push((run.sums, run.totals));
                if loaded.is_none() {
                    loaded = Some(run.persons);
                }
            }
            Err(s) => {
                eprintln!("error: `{label}` cannot settle every month (above); compare needs every month settled by every policy");
                return Ok(s);
            }
        }
    }
    let Some(persons) = loaded else {
        return Ok(Status::Usage);
    };
    let labels = policies.iter().map(|(l, _)| l.to_string()).collect();
    let (sums, totals): (Vec<_>, Vec<_>) = settled.into_iter().unzip();
    let c = compare(labels, &persons, &sums, totals);
    match format {
        Format::Table => out!("{}", text(&c, top))?,
        Format::Csv => {
            let (header, rows) = c.total_rows();
            let texts = crate::report::text_rows(&rows);
            stdout::with(|o| crate::report::write_csv(o, &header, &texts))?;
        }
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json(&c, top)).unwrap_or_default()
        )?,
    }
    Ok(Status::Ok)
}

fn text(c: &ContribComparison, top: usize) -> String {
    let mut s = format!(
        "contribution rules compared on the same {} persons, baseline `{}`\n\n",
        c.persons.len(),
        c.labels[0]
    );
    let (header, rows) = c.total_rows();
    let mut t = Table::new(header);
    for r in rows {
        t.row(r.iter().map(Field::text).collect());
    }
    s.push_str(&t.render());
    for (i, k) in c.counts.iter().enumerate() {
        let label = &c.labels[i + 1];
        s.push_str(&format!(
            "\n`{label}` against `{}`: {} persons pay more, {} less, {} the same; {} accounts get more, {} less, {} the same\n",
            c.labels[0], k.pay_more, k.pay_less, k.pay_same, k.account_more, k.account_less, k.account_same
        ));
        for (account, what) in [
            (false, "contributed (employer + employee)"),
            (true, "credited to the account"),
        ] {
            let people = c.top_changes(i + 1, top, account);
            if people.is_empty() {
                continue;
            }
            s.push_str(&format!("  largest changes in what is {what}:\n"));
            let mut t = Table::new(vec![
                "person_id".into(),
                "months".into(),
                c.labels[0].clone(),
                label.clone(),
                "Δ".into(),
            ]);
            for p in people {
                let v = if account {
                    &p.to_account
                } else {
                    &p.contributed
                };
                t.row(vec![
                    p.person_id.clone(),
                    p.months.to_string(),
                    Field::Money(v[0]).text(),
                    Field::Money(v[i + 1]).text(),
                    Field::Money(v[i + 1].saturating_sub(v[0])).text(),
                ]);
            }
            for line in t.render().lines() {
                s.push_str(&format!("  {line}\n"));
            }
        }
    }
    s
}

fn json(c: &ContribComparison, top: usize) -> serde_json::Value {
    let (header, rows) = c.total_rows();
    let totals: Vec<serde_json::Value> = crate::report::json_rows(&header, &rows);
    let against: Vec<serde_json::Value> = c
        .counts
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let people = |account: bool| {
                c.top_changes(i + 1, top, account)
                    .iter()
                    .map(|p| {
                        let v = if account { &p.to_account } else { &p.contributed };
                        serde_json::json!({
                            "person_id": p.person_id,
                            "baseline": Field::Money(v[0]).json(),
                            "policy": Field::Money(v[i + 1]).json(),
                        })
                    })
                    .collect::<Vec<_>>()
            };
            serde_json::json!({
                "policy": c.labels[i + 1],
                "pay_more": k.pay_more, "pay_less": k.pay_less, "pay_same": k.pay_same,
                "account_more": k.account_more, "account_less": k.account_less, "account_same": k.account_same,
                "largest_contribution_changes": people(false),
                "largest_account_changes": people(true),
            })
        })
        .collect();
    serde_json::json!({
        "baseline": c.labels[0],
        "persons": c.persons.len(),
        "totals": totals,
        "against_baseline": against,
    })
}
