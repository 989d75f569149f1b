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
                "action at line {at}: an interview moves no money; it has nothing to expect"
            ));
            continue;
        };
        let inst = insts
            .rows
            .get(o.institution as usize)
            .map_or("?", |i| i.id.as_str());
        for (name, v) in want {
            r.checks += 1;
            let got: String = match name.as_str() {
                "held" => o.held.to_string(),
                "released" => o.released.to_string(),
                "forfeited" => o.forfeited.to_string(),
                "carried" => o.carried.to_string(),
                "carried_in" => o.carried_in.to_string(),
                "release_month" => o
                    .release_month
                    .map_or(String::new(), |(y, m)| format!("{y}-{m:02}")),
                "reapply_from" => o.reapply_from.map_or(String::new(), |d| d.to_string()),
                _ => {
                    r.failures.push(format!(
                        "action at line {at}: `{name}` is not expected of an action (held, released, release_month, forfeited, carried, carried_in, reapply_from)"
                    ));
                    continue;
                }
            };
            let ok = match name.as_str() {
                "release_month" | "reapply_from" => {
                    let want = match v {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    want == got
                }
                _ => {
                    amount(v).is_some_and(|w| got.parse::<rust_decimal::Decimal>().ok() == Some(w))
                }
            };
            if !ok {
                r.failures.push(format!(
                    "action at line {at} ({inst}): {name} expected {v}, got {}",
                    if got.is_empty() {
                        "(none)"
                    } else {
                        got.as_str()
                    }
                ));
            }
        }
    }
}
