//! Held money under agreement management (协议管理), followed month by month
//! on the institutions' month rows after their month blocks have run:
//!
//! - `held` (the policy's, in a `per institution per month` block) belongs
//!   to the suspension in force in that month (the actions file allows at
//!   most one a month), and may not exceed the month's `routine_paid −
//!   withheld`;
//! - it is `released` in the month `release_after` months after the month
//!   the suspension ends (of the agreement block in force on its last day),
//!   or never, for an open-ended one;
//! - at a termination every held yuan not yet released, the termination
//!   month's own included, is `forfeited`; money due for release in the
//!   termination month or later is forfeited too (the monthly settlement
//!   comes after the termination);
//! - `held_closing` is what is still held at the month's (the year's) end.
//!
//! Every year row then keeps `held_closing` = the previous year's +
//! `held − released − forfeited`, checked with the rest of the invariant.

use super::*;
use crate::data::AgreementBook;

/// What came of one suspension or termination (by the action's line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    /// Index into the institutions.
    pub institution: u32,
    /// The action's first day.
    pub from: Date,
    /// Held money carried in from the opening state.
    pub carried_in: Decimal,
    /// The action's line in agreement_actions.csv.
    pub line: u64,
    pub held: Decimal,
    pub released: Decimal,
    /// The month a suspension's held money is paid (`None`: open-ended).
    pub release_month: Option<(i32, u32)>,
    pub forfeited: Decimal,
    /// Held at the run's end (carried on).
    pub carried: Decimal,
    /// A termination's first day the institution may apply again.
    pub reapply_from: Option<Date>,
    /// The agreement block that governed it.
    pub block: Option<u16>,
    /// A termination (else a suspension).
    pub termination: bool,
    /// A termination: the deposit withheld in its year and not returned.
    pub deposit_forfeited: Decimal,
}

fn month_key((y, m): (i32, u32)) -> i64 {
    i64::from(y) * 12 + i64::from(m)
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, Box<EvalError>> {
    a.checked_add(b)
        .ok_or_else(|| EvalError::internal("held money too large to add up"))
}

/// Follows held money on the institutions' month rows (`rows`, laid out
/// `[month][institution]`, `n` institutions); returns each suspension's and
/// termination's outcome.
pub(super) fn follow_held(
    prog: &Program,
    book: &AgreementBook,
    insts: &Institutions,
    periods: &Periods,
    rows: &mut [Vec<Decimal>],
    opening: &[(String, Date, Decimal)],
) -> Result<Vec<ActionOutcome>, Box<EvalError>> {
    let n = insts.rows.len();
    // Errors about held money point at the statement that sets it; those
    // about release and re-application at the agreement block.
    let held_at = prog
        .settles
        .iter()
        .filter(|s| s.unit == crate::ir::UnitKind::Institution && s.period == PeriodKind::Month)
        .flat_map(|s| &s.body)
        .find(|st| st.ledger_write() == Some(L::HELD))
        .map(|st| st.span());
    let held_fail = |m: String| match held_at {
        Some(s) => EvalError::at(m, s),
        None => EvalError::internal(&m),
    };
    let span = prog.agreements.first().map(|a| a.span);
    let fail = |m: String| match span {
        Some(s) => EvalError::at(m, s),
        None => EvalError::internal(&m),
    };
    let block_on = |d: Date| {
        prog.agreements
            .iter()
            .position(|a| a.in_force.is_none_or(|p| p.contains(d)))
            .and_then(|i| u16::try_from(i).ok())
    };
    let mut out = Vec::new();
    for u in 0..n {
        let id = &insts.rows[u].id;
        let empty = crate::data::InstAgreement::default();
        let ia = book.by_inst.get(u).unwrap_or(&empty);
        let mut sus: Vec<ActionOutcome> = Vec::with_capacity(ia.suspensions.len());
        for s in &ia.suspensions {
            let (release_month, block) = match s.until {
                None => (None, block_on(s.from)),
                Some(last) => {
                    let b = block_on(last).ok_or_else(|| {
                        fail(format!(
                            "no agreement block is in force on {last}, the last day of {id}'s suspension (line {} of the actions file), to say when its held money is paid",
                            s.line
                        ))
                    })?;
                    let after = prog.agreements[b as usize].release_after;
                    let released = last
                        .first_of_month()
                        .add_months(i64::from(after))
                        .ok_or_else(|| {
                            fail(format!("{id}'s release month is outside the years 1–9999"))
                        })?;
                    (Some(released.year_month()), Some(b))
                }
            };
            sus.push(ActionOutcome {
                institution: u as u32,
                from: s.from,
                carried_in: Decimal::ZERO,
                line: s.line,
                held: Decimal::ZERO,
                released: Decimal::ZERO,
                release_month,
                forfeited: Decimal::ZERO,
                carried: Decimal::ZERO,
                reapply_from: None,
                block,
                termination: false,
                deposit_forfeited: Decimal::ZERO,
            });
        }
        let mut term = match ia.terminated {
            Some((t, line)) => {
                let b = block_on(t).ok_or_else(|| {
                    fail(format!(
                        "no agreement block is in force on {t}, the day {id}'s agreement is terminated (line {line} of the actions file)"
                    ))
                })?;
                let after = prog.agreements[b as usize].reapply_after;
                Some(ActionOutcome {
                    institution: u as u32,
                    from: t,
                    carried_in: Decimal::ZERO,
                    line,
                    held: Decimal::ZERO,
                    released: Decimal::ZERO,
                    release_month: None,
                    forfeited: Decimal::ZERO,
                    carried: Decimal::ZERO,
                    reapply_from: t.add_months(i64::from(after)),
                    block: Some(b),
                    termination: true,
                    deposit_forfeited: Decimal::ZERO,
                })
            }
            None => None,
        };
        let term_key = ia.terminated.map(|(t, _)| month_key(t.year_month()));
        let mut balance = vec![Decimal::ZERO; sus.len()];
        // Held money carried in belongs to its suspension, which the
        // (cumulative) actions file still lists.
        let first = periods.months.first().map(|&m| month_key(m));
        for (_, from, amount) in opening.iter().filter(|(i, ..)| i == id) {
            let Some(s) = ia.suspensions.iter().position(|s| s.from == *from) else {
                return Err(fail(format!(
                    "the opening state holds {amount} of {id}'s suspension from {from}, but the actions file has no such suspension; give the whole actions file, earlier years included"
                )));
            };
            if let (Some(r), Some(f)) = (sus[s].release_month, first) {
                if month_key(r) < f {
                    let (y, m) = r;
                    return Err(fail(format!(
                        "the opening state holds {amount} of {id}'s suspension from {from}, due in {y}-{m:02}, before this run's first month"
                    )));
                }
            }
            balance[s] = add(balance[s], *amount)?;
            sus[s].carried_in = add(sus[s].carried_in, *amount)?;
        }
        for (p, &(y, m)) in periods.months.iter().enumerate() {
            let Some(row) = rows.get_mut(p * n + u) else {
                continue;
            };
            let key = month_key((y, m));
            let held = row[L::HELD as usize];
            if held > Decimal::ZERO {
                let (start, end) = (
                    Date::from_ymd(y, m, 1).unwrap_or_default(),
                    Date::month_end(y, m).unwrap_or_default(),
                );
                if term_key.is_some_and(|t| key > t) {
                    return Err(held_fail(format!(
                        "{id} {y}-{m:02}: held {held}, after the termination of its agreement"
                    )));
                }
                let Some(s) = ia
                    .suspensions
                    .iter()
                    .position(|s| s.from <= end && s.until.is_none_or(|x| x >= start))
                else {
                    return Err(held_fail(format!(
                        "{id} {y}-{m:02}: held {held}, but no suspension of {id} is in force in {y}-{m:02}"
                    )));
                };
                let due = row[L::ROUTINE_PAID as usize]
                    .checked_sub(row[L::WITHHELD as usize])
                    .ok_or_else(|| EvalError::internal("ledger overflow"))?;
                if held > due {
                    return Err(held_fail(format!(
                        "{id} {y}-{m:02}: held {held} is more than the month's payment, routine_paid − withheld = {due}"
                    )));
                }
                balance[s] = add(balance[s], held)?;
                sus[s].held = add(sus[s].held, held)?;
            }
            if term_key == Some(key) {
                let mut lost = Decimal::ZERO;
                for (b, s) in balance.iter_mut().zip(sus.iter_mut()) {
                    s.forfeited = add(s.forfeited, *b)?;
                    lost = add(lost, *b)?;
                    *b = Decimal::ZERO;
                }
                row[L::FORFEITED as usize] = lost;
                if let Some(t) = term.as_mut() {
                    t.forfeited = add(t.forfeited, lost)?;
                }
            } else if term_key.is_none_or(|t| key < t) {
                let mut paid = Decimal::ZERO;
                for (b, s) in balance.iter_mut().zip(sus.iter_mut()) {
                    if s.release_month.map(month_key) == Some(key) {
                        s.released = add(s.released, *b)?;
                        paid = add(paid, *b)?;
                        *b = Decimal::ZERO;
                    }
                }
                row[L::RELEASED as usize] = paid;
            }
            row[L::HELD_CLOSING as usize] = balance
                .iter()
                .try_fold(Decimal::ZERO, |a, b| a.checked_add(*b))
                .ok_or_else(|| EvalError::internal("held money too large to add up"))?;
        }
        for (b, s) in balance.iter().zip(sus.iter_mut()) {
            s.carried = *b;
        }
        out.extend(sus);
        out.extend(term.take());
    }
    out.sort_by_key(|o| o.line);
    Ok(out)
}

/// Each termination's forfeited deposit: what its year's row withheld and
/// did not return (`rows`: the institutions' year rows, `[year][institution]`).
pub(super) fn deposits_forfeited(
    outcomes: &mut [ActionOutcome],
    periods: &Periods,
    rows: &[Vec<Decimal>],
    n: usize,
) -> Result<(), Box<EvalError>> {
    for o in outcomes.iter_mut().filter(|o| o.termination) {
        let Some(yi) = periods.year_index(o.from.year_month().0) else {
            continue;
        };
        if let Some(r) = rows.get(yi * n + o.institution as usize) {
            o.deposit_forfeited = r[L::WITHHELD as usize]
                .checked_sub(r[L::WITHHOLD_RETURNED as usize])
                .ok_or_else(|| EvalError::internal("ledger overflow"))?;
        }
    }
    Ok(())
}

/// A year row's held balance: its last month's, and the identities it
/// keeps (`opening` is the previous year's closing): `held_closing =
/// opening + held − released − forfeited`; a terminated institution gets
/// no withheld money back.
pub(super) fn check_year(
    row: &[Decimal],
    opening: Decimal,
    terminated: Option<Date>,
    year: i32,
) -> Vec<String> {
    let v = |c: u16| row.get(c as usize).copied().unwrap_or_default();
    let mut out = Vec::new();
    let expected = opening
        .checked_add(v(L::HELD))
        .and_then(|x| x.checked_sub(v(L::RELEASED)))
        .and_then(|x| x.checked_sub(v(L::FORFEITED)));
    if expected != Some(v(L::HELD_CLOSING)) {
        out.push(format!(
            "held_closing {} is not the held money carried in {opening} + held {} − released {} − forfeited {}",
            v(L::HELD_CLOSING),
            v(L::HELD),
            v(L::RELEASED),
            v(L::FORFEITED)
        ));
    }
    if let Some(t) = terminated.filter(|t| t.year_month().0 <= year) {
        if v(L::WITHHOLD_RETURNED) > Decimal::ZERO {
            out.push(format!(
                "withhold_returned {}, but the agreement was terminated on {t}: withheld money is forfeited (set `withhold_returned = if agreement.terminated then 0元 else …`)",
                v(L::WITHHOLD_RETURNED)
            ));
        }
    }
    out
}
