//! What `yibao run` prints when it is done: the region, the claims read,
//! settled and rejected, the totals by visit type, the invariants, and the
//! ledger and patient-clearing lines (as a table, CSV or JSON).

use super::super::stdout::{self, out, outln, Printed};
use super::Plan;
use crate::data::RowError;
use crate::eval::{Ledger, Settlement, Totals};
use crate::report::{ledger_table, Field, Format, ResultColumns, Table};
use crate::schema::EnumKind;
/// The note that a run whose policy reads carried state (`per patient`
/// accumulators, `prior`) starts from nothing, without --state-in.
pub(super) fn fresh_state_note(plan: &Plan, prog: &crate::ir::Program) -> Option<&'static str> {
    (plan.state_in.is_none() && crate::eval::carry::reads_carried_state(prog)).then_some(
        "note: no --state-in: patient memory (`per patient` accumulators), the ledger rows `prior` reads and the risk reserve carried in start from nothing in the first year",
    )
}

pub(super) fn print_summary<R>(
    plan: &Plan,
    prog: &crate::ir::Program,
    claims: &crate::data::Claims,
    rejects: &[RowError],
    outside: usize,
    s: &Settlement<R>,
    (ledger, patients): (Option<&Ledger>, Option<&crate::eval::PatientLedger>),
) -> Printed {
    let summary = &s.summary;
    let cols = ResultColumns::of(prog);
    let settled = s.len();
    let region = match (&prog.region, &prog.code) {
        (Some(r), Some(c)) => format!("{r} ({c})"),
        (Some(r), None) => r.clone(),
        _ => plan.policy.display().to_string(),
    };
    let reconciles = summary.all.reconciles();
    let mut header: Vec<String> = vec!["visit_type".into(), "claims".into(), "total_cost".into()];
    header.extend(cols.layers.iter().map(|(n, _)| n.clone()));
    header.push("patient_paid".into());
    // Only a policy with a fee block has claims an institution bears part of.
    let fee = prog.fee.is_some();
    if fee {
        header.push("institution_borne".into());
    }
    let row = |label: &str, t: &Totals| {
        let mut r = vec![
            Field::from(label),
            Field::count(t.claims),
            Field::Money(t.total_cost),
        ];
        r.extend(cols.layer_fields(t));
        r.push(Field::Money(t.patient_paid));
        if fee {
            r.push(Field::Money(t.institution_borne));
        }
        r
    };
    let mut rows: Vec<Vec<Field>> = Vec::new();
    for (code, t) in summary.by_visit.iter().enumerate() {
        rows.push(row(EnumKind::VisitType.name_of(code as u8), t));
    }
    rows.push(row("total", &summary.all));
    let texts = || -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(Field::text).collect())
            .collect()
    };

    match plan.format {
        Format::Table => {
            outln!("{region} — {}", plan.policy.display())?;
            let rejected = match &plan.reject_file {
                Some(p) if !rejects.is_empty() => {
                    format!("{} rejected (written to {})", rejects.len(), p.display())
                }
                _ => format!("{} rejected", rejects.len()),
            };
            let outside = if outside > 0 {
                format!(" + {outside} outside the run ({})", s.periods.describe())
            } else {
                String::new()
            };
            outln!(
                "claims: {} read = {settled} settled + {rejected}{outside}",
                claims.rows_read
            )?;
            if let Some(note) = fresh_state_note(plan, prog) {
                outln!("{note}")?;
            }
            outln!()?;
            let mut t = Table::new(header);
            for r in texts() {
                t.row(r);
            }
            out!("{}", t.render())?;
            outln!()?;
            let layers: Vec<&str> = cols.layers.iter().map(|(n, _)| n.as_str()).collect();
            outln!(
                "invariant: total_cost = {} + patient_paid{}, to the fen: {}",
                layers.join(" + "),
                if fee { " + institution_borne" } else { "" },
                if reconciles { "holds" } else { "BROKEN" }
            )?;
            if let Some(l) = ledger {
                outln!()?;
                outln!("ledger (per unit and year; all-zero columns left out):")?;
                out!("{}", ledger_table(prog, l).render())?;
                outln!()?;
                outln!("ledger invariant: prepaid + routine_paid − withheld + clearing_balance = routine_paid − withheld + withhold_returned + retained − institution_share − deductions, on every row: holds")?;
            }
            if let Some(l) = patients {
                outln!()?;
                for line in crate::report::patient_totals(prog, l) {
                    outln!("{line}")?;
                }
            }
        }
        Format::Csv => {
            if let Some(note) = fresh_state_note(plan, prog) {
                eprintln!("{note}");
            }
            stdout::with(|out| crate::report::write_csv(out, &header, &texts()))?;
        }
        Format::Json => {
            if let Some(note) = fresh_state_note(plan, prog) {
                eprintln!("{note}");
            }
            let table: Vec<serde_json::Value> = crate::report::json_rows(&header, &rows);
            let doc = serde_json::json!({
                "region": prog.region,
                "code": prog.code,
                "policy": plan.policy.display().to_string(),
                "rows_read": claims.rows_read,
                "settled": settled,
                "rejected": rejects.len(),
                "outside_run": outside,
                "months": s.periods.describe(),
                "reconciles": reconciles,
                "by_visit_type": table,
                "ledger_rows": ledger.map_or(0, |l| l.years.len()),
            });
            let mut doc = doc;
            if let (Some(l), Some(o)) = (patients, doc.as_object_mut()) {
                o.insert("patient_ledger_rows".into(), l.rows.len().into());
            }
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        }
    }
    Ok(())
}
