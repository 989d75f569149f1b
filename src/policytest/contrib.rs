//! Policy tests of contribution rules: `[[test.month]]` rows (a person's
//! contribution month, with what the month must come to) and
//! `[[test.retirement]]` expectations, settled by the same stages as
//! `yibao run` (the rows written as CSV and read by the data loader).
//!
//! ```toml
//! [defaults.person]
//! sex = "male"
//! birth_date = 1990-06-15
//! [[test]]
//! name = "base below the floor"
//! [[test.month]]
//! month = "2024-01"
//! wage = 2500                  # → 3107 × 6% = 186.42
//! expect = { base = "3107.00", employer = "186.42" }
//! ```
//!
//! A month's person (`person_id`, default `P1`) is the test's `[[test.person]]`
//! or the file's `[[person]]` of that id, else a person of the defaults.

use super::{amount, csv_rows, field, CaseResult};
use crate::data::{load_contributions, load_persons, Input};
use crate::eval::contrib::settle_contributions_with;
use crate::eval::interp::Env;
use crate::ir::Program;
use crate::source::SourceFile;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

/// A retirement expected: `{ person = "P1", expect = { shortfall = 7 } }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetirementExpect {
    #[serde(default = "first_person")]
    person: String,
    expect: toml::Table,
}

fn first_person() -> String {
    "P1".into()
}

/// The contribution parts of a test file and a test.
pub(super) struct Parts<'a> {
    pub persons: &'a [Spanned<toml::Table>],
    pub case_persons: &'a [Spanned<toml::Table>],
    pub months: &'a [Spanned<toml::Table>],
    pub retirements: &'a [Spanned<RetirementExpect>],
    pub defaults_person: &'a toml::Table,
    pub defaults_month: &'a toml::Table,
}

const MONTH_RESULTS: &[&str] = &[
    "base",
    "employer",
    "employee",
    "to_pool",
    "to_account",
    "age",
    "band",
];

const RETIREMENT_RESULTS: &[&str] = &[
    "months_in_file",
    "required_months",
    "required_paid_months",
    "shortfall",
    "eligible",
    "lump_sum",
];

/// Settles a test's contribution months; failures go to `r`.
pub(super) fn run(
    prog: &Program,
    file: &SourceFile,
    parts: &Parts,
    line: &dyn Fn(std::ops::Range<usize>) -> usize,
    r: &mut CaseResult,
    used: &mut super::coverage::Used,
) -> Result<(), String> {
    // The persons: the test's, then the file's, then one of the defaults for
    // every other person a month names.
    let id_of = |t: &toml::Table| t.get("person_id").map(field).unwrap_or_else(first_person);
    let mut people: Vec<toml::Table> = Vec::new();
    for t in parts.case_persons.iter().chain(parts.persons) {
        let id = id_of(t.get_ref());
        if !people.iter().any(|p| id_of(p) == id) {
            let mut p = t.get_ref().clone();
            p.insert("person_id".into(), toml::Value::String(id));
            people.push(p);
        }
    }
    for m in parts.months {
        let id = id_of(m.get_ref());
        if !people.iter().any(|p| id_of(p) == id) {
            let mut p = toml::Table::new();
            p.insert("person_id".into(), toml::Value::String(id));
            people.push(p);
        }
    }
    let builtin_person = [
        ("sex", "male"),
        ("birth_date", "1980-01-01"),
        ("deemed_months", "0"),
        ("prior_paid_months", "0"),
    ];
    let bytes = csv_rows(
        &people,
        parts.defaults_person,
        crate::data::PERSON_COLUMNS,
        &builtin_person,
    )?;
    let (persons, bad) =
        load_persons(&Input::bytes("persons", bytes)).map_err(|e| e.to_string())?;
    if let Some(b) = bad.first() {
        return Err(format!("a person cannot be read: {}", b.reason));
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for m in parts.months {
        let mut t = m.get_ref().clone();
        t.insert("person_id".into(), toml::Value::String(id_of(&t)));
        t.remove("expect");
        rows.push(t);
        lines.push(line(m.span()));
    }
    let builtin_month = [("category", "employee"), ("wage", "0"), ("employer_id", "")];
    let bytes = csv_rows(
        &rows,
        parts.defaults_month,
        crate::data::CONTRIBUTION_COLUMNS,
        &builtin_month,
    )?;
    let (contribs, rejects) = load_contributions(&Input::bytes("contributions", bytes), &persons)
        .map_err(|e| e.to_string())?;
    let at_line = |l: u64| {
        (l as usize)
            .checked_sub(2)
            .and_then(|i| lines.get(i))
            .copied()
            .unwrap_or(0)
    };
    for row in &rejects {
        r.failures.push(format!(
            "the month at line {} cannot be settled: {}",
            at_line(row.line),
            row.reason
        ));
    }
    if !rejects.is_empty() {
        return Ok(());
    }
    let (claims, insts) = (
        crate::data::Claims::default(),
        crate::data::Institutions::default(),
    );
    let env = Env {
        prog,
        claims: &claims,
        insts: &insts,
        t: super::coverage::Coverage::new(prog),
        carry: Default::default(),
    };
    let s = settle_contributions_with(
        &env,
        &persons,
        &contribs,
        std::path::Path::new("contributions"),
    )
    .map_err(|e| e.one_line(file))?;
    used.merge(&env.t.used.borrow());
    for row in &s.rejected {
        r.failures.push(format!(
            "the month at line {} cannot be settled: {}",
            at_line(row.line),
            row.reason
        ));
    }

    for (k, (m, at)) in parts.months.iter().zip(&lines).enumerate() {
        let Some(expect) = m.get_ref().get("expect") else {
            continue;
        };
        let Some(expect) = expect.as_table() else {
            r.failures.push(format!(
                "line {at}: `expect` must be a table, e.g. expect = {{ base = \"3107.00\" }}"
            ));
            continue;
        };
        // The k-th month is the file's row k + 2 (after the header).
        let Some(res) = s.months.iter().find(|x| {
            contribs
                .rows
                .get(x.row as usize)
                .is_some_and(|c| c.line == k as u64 + 2)
        }) else {
            r.failures
                .push(format!("line {at}: the month was not settled"));
            continue;
        };
        for (name, want) in expect {
            r.checks += 1;
            let got = match name.as_str() {
                "base" => Some(res.base.to_string()),
                "employer" => Some(res.employer.to_string()),
                "employee" => Some(res.employee.to_string()),
                "to_pool" => Some(res.to_pool.to_string()),
                "to_account" => Some(res.to_account.to_string()),
                "age" => Some(res.age.map_or("(not set)".into(), |a| a.to_string())),
                "band" => Some(
                    crate::report::band_text(prog, &persons, &contribs, res)
                        .unwrap_or("(not set)")
                        .to_string(),
                ),
                _ => None,
            };
            let Some(got) = got else {
                r.failures.push(format!(
                    "line {at}: `{name}` is not a result of a month; the results are {}",
                    MONTH_RESULTS.join(", ")
                ));
                continue;
            };
            if let Some(f) = differs(name, &got, want) {
                r.failures.push(format!("month at line {at}: {f}"));
            }
        }
    }
    for e in parts.retirements {
        let at = line(e.span());
        let e = e.get_ref();
        let found = persons
            .index_of(&e.person)
            .and_then(|i| s.retirements.iter().find(|x| x.person == i));
        let Some(res) = found else {
            r.failures.push(format!("line {at}: person {} did not retire in the test's months (a retirement is the first `retired` month)", e.person));
            continue;
        };
        for (name, want) in &e.expect {
            r.checks += 1;
            let got = match name.as_str() {
                "months_in_file" => Some(res.months_in_file.to_string()),
                "required_months" => Some(res.required_months.to_string()),
                "required_paid_months" => Some(res.required_paid_months.to_string()),
                "shortfall" => Some(res.shortfall.to_string()),
                "eligible" => Some(res.eligible().to_string()),
                "lump_sum" => Some(res.lump_sum.to_string()),
                _ => None,
            };
            let Some(got) = got else {
                r.failures.push(format!(
                    "line {at}: `{name}` is not a result of a retirement; the results are {}",
                    RETIREMENT_RESULTS.join(", ")
                ));
                continue;
            };
            if let Some(f) = differs(name, &got, want) {
                r.failures
                    .push(format!("retirement of {} (line {at}): {f}", e.person));
            }
        }
    }
    Ok(())
}

/// The failure when `got` is not what the test wants: numbers compare as
/// numbers (`"186.42"` and `186.42` alike), the rest as text.
fn differs(name: &str, got: &str, want: &toml::Value) -> Option<String> {
    let same = match (got.parse::<Decimal>().ok(), amount(want)) {
        (Some(g), Some(w)) => g == w,
        _ => match want {
            toml::Value::String(s) => s == got,
            toml::Value::Boolean(b) => b.to_string() == got,
            other => other.to_string() == got,
        },
    };
    (!same).then(|| format!("{name} is {got}, expected {}", field(want)))
}
