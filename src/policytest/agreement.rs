//! Agreement actions in policy tests: `[[test.action]]` rows (the columns
//! of agreement_actions.csv), each with what is expected to come of it:
//!
//! ```toml
//! [[test.action]]
//! institution_id = "H1"
//! action = "suspend"
//! from = 2025-03-01
//! until = 2025-04-30
//! expect = { held = "950.00", released = "950.00", release_month = "2025-05", forfeited = 0 }
//! ```

use super::{amount, csv_rows, CaseResult};
use crate::data::{load_agreement_actions, AgreementActions, AgreementBook, Input, Institutions};
use crate::eval::ledger::ActionOutcome;
use crate::ir::Program;
use toml::Spanned;

/// Loads the test's actions into the institutions; `None` when the policy
/// has no agreement block (and the test gives no actions).
pub(super) fn actions(
    prog: &Program,
    rows: &[Spanned<toml::Table>],
    insts: &mut Institutions,
) -> Result<Option<AgreementActions>, String> {
    if !prog.has_agreements() {
        if rows.is_empty() {
            return Ok(None);
        }
        return Err("the test gives `[[test.action]]` rows, but the policy has no `agreement` block, so they would change nothing".into());
    }
    let tables: Vec<toml::Table> = rows.iter().map(|t| t.get_ref().clone()).collect();
    let bytes = csv_rows(
        &tables,
        &toml::Table::new(),
        crate::data::AGREEMENT_COLUMNS,
        &[("until", ""), ("reason", "")],
    )?;
    let a =
        load_agreement_actions(&Input::bytes("actions", bytes), insts).map_err(|(e, rows)| {
            let mut m = vec![e.to_string()];
            m.extend(
                rows.into_iter()
                    .map(|r| format!("action {}: {}", r.line.saturating_sub(1), r.reason)),
            );
            m.join("; ")
        })?;
    insts.agreement = AgreementBook::new(&a, insts.rows.len());
    Ok(Some(a))
}

/// Compares each action's `expect` with what came of it.
pub(super) fn expect(
    r: &mut CaseResult,
    insts: &Institutions,
    _actions: &AgreementActions,
    outcomes: &[ActionOutcome],
    rows: &[Spanned<toml::Table>],
    line: impl Fn(std::ops::Range<usize>) -> usize,
) {
    for (k, t) in rows.iter().enumerate() {
        let at = line(t.span());
        let Some(toml::Value::Table(want)) = t.get_ref().get("expect") else {
            continue;
        };
        let csv_line = k as u64 + 2;
        let Some(o) = outcomes.iter().find(|o| o.line == csv_line) else {
            r.failures.push(format!(
                "action at line {at}: an interview moves no money, so it has nothing to expect; read `agreement.interviews` in a year block and expect what that block sets"
            ));
            continue;
        };
        let inst = insts
            .rows
            .get(o.institution as usize)
            .map_or("?", |i| i.id.as_str());
        const SUSPENSION: &[&str] = &[
            "carried_in",
            "held",
            "released",
            "release_month",
            "forfeited",
            "carried",
        ];
        const TERMINATION: &[&str] = &["forfeited", "deposit_forfeited", "reapply_from"];
        let (kind, keys) = if o.termination {
            ("a termination", TERMINATION)
        } else {
            ("a suspension", SUSPENSION)
        };
        for (name, v) in want {
            r.checks += 1;
            if !keys.contains(&name.as_str()) {
                r.failures.push(format!(
                    "action at line {at}: `{name}` is not expected of {kind} (expect {})",
                    keys.join(", ")
                ));
                continue;
            }
            let money = |d: rust_decimal::Decimal| crate::report::money(d);
            let got: String = match name.as_str() {
                "held" => money(o.held),
                "released" => money(o.released),
                "forfeited" => money(o.forfeited),
                "deposit_forfeited" => money(o.deposit_forfeited),
                "carried" => money(o.carried),
                "carried_in" => money(o.carried_in),
                "release_month" => o
                    .release_month
                    .map_or(String::new(), |(y, m)| format!("{y}-{m:02}")),
                _ => o.reapply_from.map_or(String::new(), |d| d.to_string()),
            };
            // A month or a day as a string (or a TOML date); amounts as for ledgers.
            let wanted = match (name.as_str(), v) {
                ("release_month" | "reapply_from", toml::Value::String(s)) => Some(s.clone()),
                ("release_month" | "reapply_from", toml::Value::Datetime(d)) => Some(d.to_string()),
                ("release_month" | "reapply_from", _) => None,
                (_, v) => amount(v).map(money),
            };
            let Some(wanted) = wanted else {
                r.failures.push(format!(
                    "action at line {at}: expected {name} is not {}: {v}",
                    if name == "release_month" {
                        "a month, \"YYYY-MM\""
                    } else if name == "reapply_from" {
                        "a date"
                    } else {
                        "an amount"
                    }
                ));
                continue;
            };
            if wanted != got {
                let shown = |x: &str| {
                    if x.is_empty() {
                        "(none)".to_string()
                    } else {
                        x.to_string()
                    }
                };
                r.failures.push(format!(
                    "action at line {at} ({inst}): {name} expected {}, got {}",
                    shown(&wanted),
                    shown(&got)
                ));
            }
        }
    }
}
