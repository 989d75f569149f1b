//! Expectations compared with what a test's settlement gave: text, bool
//! and date outputs and ledger amounts, and patient ledger rows.

use super::*;

/// A text, bool or date output compared with what is expected: a TOML
/// string, bool or date (`""` expects an absent value); the failure, if any.
pub(super) fn val_failure(
    prog: &Program,
    claims: &crate::data::Claims,
    insts: &crate::data::Institutions,
    s: &crate::eval::Settlement,
    k: usize,
    o: usize,
    want: &toml::Value,
) -> Option<String> {
    let v = s.vals_row(k).get(o).copied().unwrap_or_default();
    let inst = claims
        .rows
        .get(k)
        .and_then(|c| insts.rows.get(c.institution as usize));
    let got = crate::eval::value::shown(v, o, prog, claims, insts, inst)
        .map_or(String::new(), |x| x.text());
    shown_failure(want, &got)
}

/// A value as written (empty: absent) against a TOML string, bool or date
/// (`""` expects an absent value); the failure, if any.
fn shown_failure(want: &toml::Value, got: &str) -> Option<String> {
    let want = match want {
        toml::Value::String(t) => t.clone(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        other => return Some(format!("expected {other}: not a text, bool or date")),
    };
    let show = |t: &str| {
        if t.is_empty() {
            "(absent)".to_string()
        } else {
            format!("\"{t}\"")
        }
    };
    (got != want).then(|| format!("expected {}, got {}", show(&want), show(got)))
}

/// A `[[test.ledger]]` row with `patient = "P1"`: the patient ledger's row
/// for the patient and year.
pub(super) fn patient_expect(
    r: &mut CaseResult,
    ledger: Option<&crate::eval::PatientLedger>,
    patient: &str,
    l: &LedgerExpect,
    at: usize,
) {
    let who = format!("patient {patient} {}", l.year);
    if l.institution.is_some() || l.alliance.is_some() || l.region || l.month.is_some() {
        r.failures.push(format!(
            "line {at}: a patient ledger expectation names the patient and the year only"
        ));
        return;
    }
    let Some(ledger) = ledger else {
        r.failures.push(format!(
            "ledger {who} (line {at}): the policy has no `per patient per year` blocks"
        ));
        return;
    };
    let Some(row) = ledger
        .rows
        .iter()
        .find(|x| x.patient == patient && x.year == l.year)
    else {
        r.failures.push(format!(
            "ledger {who} (line {at}): no such row (the patient has no claim that year)"
        ));
        return;
    };
    for (name, want) in &l.expect {
        r.checks += 1;
        let got = match name.as_str() {
            "total_cost" => Some(row.total_cost),
            "claims_paid" => Some(row.claims_paid),
            "patient_paid" => Some(row.patient_paid),
            "claims" => Some(rust_decimal::Decimal::from(row.claims)),
            _ => ledger
                .columns
                .iter()
                .position(|c| c == name)
                .and_then(|i| row.values.get(i).copied()),
        };
        let Some(got) = got else {
            r.failures.push(format!(
                "ledger {who} (line {at}): `{name}` is not a patient ledger amount; they are claims, total_cost, claims_paid, patient_paid, {}",
                ledger.columns.join(", ")
            ));
            continue;
        };
        let Some(want) = amount(want) else {
            r.failures.push(format!(
                "ledger {who} (line {at}): expected {name} is not an amount: {want}"
            ));
            continue;
        };
        if got != want {
            r.failures.push(format!(
                "ledger {who} (line {at}): {name} expected {want}, got {got}"
            ));
        }
    }
}

/// A text, bool or date ledger amount compared with what is expected, as
/// for outputs (`""` expects an absent value); the failure, if any.
pub(super) fn ledger_val_failure(
    prog: &Program,
    col: usize,
    code: Decimal,
    want: &toml::Value,
) -> Option<String> {
    let got =
        crate::eval::ledger::typed::shown(prog, col, code).map_or(String::new(), |x| x.text());
    shown_failure(want, &got)
}
