//! Patient clearing: `settle … per patient per year` blocks, run once per
//! patient and year over the patient's claims of the year, giving the
//! patient ledger (`patient_ledger.csv`).
//!
//! Claims are settled in patient order, one patient's year after another,
//! so a patient's year is a run of consecutive claims: the aggregates are
//! added up while the claims are settled, one row per run (no search, no
//! scan per patient). Each settling thread takes whole patients, in order,
//! so the threads' rows are put together by appending them.

use super::{period_end, Plan, RowStatus};
use crate::eval::interp::{Cur, Env, EvalError, Frame, UnitCtx};
use crate::eval::trace::Tracer;
use crate::eval::{Periods, Settlement};
use crate::ir::{AggKind, AggOver, PeriodKind, Program, UnitKind};
use crate::schema::ledger::COLUMNS;
use rust_decimal::Decimal;

/// Where each patient block's aggregates sit in a patient row.
#[derive(Debug)]
pub(crate) struct PatientPlan {
    /// `(block, first aggregate)` for each patient block.
    blocks: Vec<(usize, usize)>,
    /// Aggregates of every patient block together.
    width: usize,
}

impl PatientPlan {
    /// `None` when the policy has no patient blocks.
    pub(crate) fn new(prog: &Program) -> Option<PatientPlan> {
        let mut blocks = Vec::new();
        let mut width = 0;
        for (b, s) in prog.settles.iter().enumerate() {
            if s.unit == UnitKind::Patient {
                blocks.push((b, width));
                width += s.aggregates.len();
            }
        }
        (!blocks.is_empty()).then_some(PatientPlan { blocks, width })
    }
}

/// What settling adds up per patient and year, rows in settlement order.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatientSums {
    /// `(patient, year index)` of each row.
    rows: Vec<(u32, u32)>,
    claims: Vec<u64>,
    /// Per row: total cost, what the layers paid, `patient_paid`.
    money: Vec<[Decimal; 3]>,
    /// Per row, [`PatientPlan::width`] sums and counts.
    sums: Vec<Decimal>,
    counts: Vec<u64>,
}

impl PatientSums {
    /// Adds a settled claim (`f` holds its results) to its patient's year.
    pub(crate) fn add<T: Tracer>(
        &mut self,
        env: &Env<T>,
        plan: &Plan,
        pp: &PatientPlan,
        cur: &Cur,
        f: &Frame,
        yi: usize,
    ) -> Result<(), Box<EvalError>> {
        let Some(c) = cur.c else {
            return Err(EvalError::internal("aggregate without a claim"));
        };
        let key = (c.patient, yi as u32);
        if self.rows.last() != Some(&key) {
            self.rows.push(key);
            self.claims.push(0);
            self.money.push([Decimal::ZERO; 3]);
            self.sums.resize(self.sums.len() + pp.width, Decimal::ZERO);
            self.counts.resize(self.counts.len() + pp.width, 0);
        }
        let r = self.rows.len() - 1;
        let overflow = || EvalError::internal("the patient's totals are too large to add up");
        let paid = f
            .layers
            .iter()
            .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
            .ok_or_else(overflow)?;
        self.claims[r] += 1;
        let m = &mut self.money[r];
        for (x, v) in m.iter_mut().zip([c.total_cost(), paid, f.remaining]) {
            *x = x.checked_add(v).ok_or_else(overflow)?;
        }
        for &(b, base) in &pp.blocks {
            if !plan.applies[b].get(yi).copied().unwrap_or(false) {
                continue;
            }
            let block = &env.prog.settles[b];
            for (a, agg) in block.aggregates.iter().enumerate() {
                if agg.over != AggOver::Claims {
                    continue;
                }
                if let Some(filter) = &agg.filter {
                    if !env.boolean(filter, cur, f)? {
                        continue;
                    }
                }
                let v = match &agg.arg {
                    Some(x) => env.num(x, cur, f)?,
                    None => Decimal::ONE,
                };
                let i = r * pp.width + base + a;
                self.sums[i] = self.sums[i].checked_add(v).ok_or_else(|| {
                    EvalError::at("arithmetic overflow in an aggregate", agg.span)
                })?;
                self.counts[i] += 1;
            }
        }
        Ok(())
    }

    /// Puts the rows of the next thread (the next patients) after these.
    pub(crate) fn append(&mut self, other: &PatientSums) {
        self.rows.extend_from_slice(&other.rows);
        self.claims.extend_from_slice(&other.claims);
        self.money.extend_from_slice(&other.money);
        self.sums.extend_from_slice(&other.sums);
        self.counts.extend_from_slice(&other.counts);
    }
}

/// The patient ledger: one row per patient and year with claims.
#[derive(Debug, Clone)]
pub struct PatientLedger {
    /// The amounts patient blocks set, in declaration order.
    pub columns: Vec<String>,
    /// Their ledger slots.
    pub slots: Vec<u16>,
    /// Sorted by patient id (bytes), then year.
    pub rows: Vec<PatientRow>,
}

#[derive(Debug, Clone)]
pub struct PatientRow {
    pub patient: String,
    pub year: i32,
    pub status: RowStatus,
    pub claims: u64,
    pub total_cost: Decimal,
    pub claims_paid: Decimal,
    pub patient_paid: Decimal,
    /// By [`PatientLedger::columns`].
    pub values: Vec<Decimal>,
}

impl PatientLedger {
    /// Per year of the run: each amount's total over the patients, and the
    /// patients with a row that year.
    pub fn totals(&self) -> Vec<(i32, usize, Vec<Decimal>)> {
        let mut out: Vec<(i32, usize, Vec<Decimal>)> = Vec::new();
        for r in &self.rows {
            let i = match out.binary_search_by_key(&r.year, |t| t.0) {
                Ok(i) => i,
                Err(i) => {
                    out.insert(i, (r.year, 0, vec![Decimal::ZERO; self.columns.len()]));
                    i
                }
            };
            out[i].1 += 1;
            for (t, v) in out[i].2.iter_mut().zip(&r.values) {
                *t = t.checked_add(*v).unwrap_or(*t);
            }
        }
        out
    }
}

/// Runs the policy's patient blocks; `None` when it has none.
pub fn settle_patients<R>(
    prog: &Program,
    claims: &crate::data::Claims,
    insts: &crate::data::Institutions,
    settlement: &Settlement<R>,
) -> Result<Option<PatientLedger>, Box<EvalError>> {
    let env = Env {
        prog,
        claims,
        insts,
        t: crate::eval::trace::NoTrace,
        carry: crate::eval::carry::Carry {
            opening: None,
            keep: false,
        },
    };
    settle_patients_with(&env, settlement)
}

/// [`settle_patients`] watched by a tracer.
pub(crate) fn settle_patients_with<T: Tracer, R>(
    env: &Env<T>,
    settlement: &Settlement<R>,
) -> Result<Option<PatientLedger>, Box<EvalError>> {
    let prog = env.prog;
    let Some((plan, sums)) = &settlement.clearing else {
        return Ok(None);
    };
    let (Some(pp), Some(ps)) = (plan.patient.as_ref(), sums.patient.as_ref()) else {
        return Ok(None);
    };
    let Some(group) = prog
        .settle_order
        .iter()
        .find(|g| g.unit == UnitKind::Patient && g.period == PeriodKind::Year)
    else {
        return Ok(None);
    };
    let periods: &Periods = &settlement.periods;
    let width = COLUMNS.len() + prog.ledger_extras.len();
    let slots: Vec<u16> = (COLUMNS.len()..width)
        .filter_map(|c| u16::try_from(c).ok())
        .filter(|c| group.writes.contains(c))
        .collect();
    let columns = slots
        .iter()
        .map(|&c| prog.ledger_extras[c as usize - COLUMNS.len()].name.clone())
        .collect();
    let mut f = Frame::new(prog);
    let mut row = vec![Decimal::ZERO; width];
    let mut aggs = vec![Decimal::ZERO; pp.width];
    let mut out = Vec::with_capacity(ps.rows.len());
    for (r, &(patient, yi)) in ps.rows.iter().enumerate() {
        let yi = yi as usize;
        let year = periods.years.get(yi).copied().unwrap_or_default();
        let id = env
            .claims
            .patients
            .get(patient as usize)
            .map_or("", |t| env.claims.text(*t));
        let complete = periods.complete.get(yi).copied().unwrap_or(false);
        row.iter_mut().for_each(|v| *v = Decimal::ZERO);
        if complete || periods.provisional {
            // Sums and counts → values, for every patient block at once.
            for &(b, base) in &pp.blocks {
                for (a, agg) in prog.settles[b].aggregates.iter().enumerate() {
                    let i = r * pp.width + base + a;
                    let (s, n) = (ps.sums[i], ps.counts[i]);
                    aggs[base + a] = match agg.kind {
                        AggKind::Sum => s,
                        AggKind::Count => Decimal::from(n),
                        AggKind::Avg if n == 0 => Decimal::ZERO,
                        AggKind::Avg => s.checked_div(Decimal::from(n)).ok_or_else(|| {
                            EvalError::at("arithmetic overflow in `avg`", agg.span)
                        })?,
                    };
                }
            }
            let epoch = prog.epoch(period_end(periods, PeriodKind::Year, yi));
            run_patient(
                env,
                plan,
                pp,
                group,
                (id, year, yi, epoch),
                &aggs,
                &mut f,
                &mut row,
            )?;
        }
        let [total_cost, claims_paid, patient_paid] = ps.money[r];
        out.push(PatientRow {
            patient: id.to_string(),
            year,
            status: match (complete, periods.provisional) {
                (true, _) => RowStatus::Final,
                (false, true) => RowStatus::Provisional,
                (false, false) => RowStatus::Partial,
            },
            claims: ps.claims[r],
            total_cost,
            claims_paid,
            patient_paid,
            values: slots.iter().map(|&c| row[c as usize]).collect(),
        });
    }
    // Settlement order is patient id order (bytes), then discharge date:
    // already sorted; kept stable should that ever change.
    out.sort_by(|a, b| {
        a.patient
            .as_bytes()
            .cmp(b.patient.as_bytes())
            .then(a.year.cmp(&b.year))
    });
    Ok(Some(PatientLedger {
        columns,
        slots,
        rows: out,
    }))
}

/// Runs the patient group's statements for one patient's year on `row`.
#[allow(clippy::too_many_arguments)]
fn run_patient<T: Tracer>(
    env: &Env<T>,
    plan: &Plan,
    pp: &PatientPlan,
    group: &crate::ir::SettleGroup,
    (id, year, yi, epoch): (&str, i32, usize, usize),
    aggs: &[Decimal],
    f: &mut Frame,
    row: &mut Vec<Decimal>,
) -> Result<(), Box<EvalError>> {
    let prog = env.prog;
    let applies = |b: usize| plan.applies[b].get(yi).copied().unwrap_or(false);
    if T::ON {
        for &(b, _) in &pp.blocks {
            if !applies(b) {
                env.t.skipped_block(b, id, year, 0);
            }
        }
    }
    std::mem::swap(&mut f.ledger, row);
    let mut open: Option<usize> = None;
    let mut result = Ok(());
    for &(b, si) in &group.stmts {
        let (b, si) = (b as usize, si as usize);
        if !applies(b) {
            continue;
        }
        let (Some(block), Some(&(_, base))) =
            (prog.settles.get(b), pp.blocks.iter().find(|x| x.0 == b))
        else {
            continue;
        };
        let Some(stmt) = block.body.get(si) else {
            continue;
        };
        if T::ON && open != Some(b) {
            if open.is_some() {
                env.t.end_block(f);
            }
            env.t.begin_block(b, id, year, 0, f);
        }
        open = Some(b);
        let unit = UnitCtx {
            aggs: aggs.get(base..base + block.aggregates.len()).unwrap_or(&[]),
            prior: None,
            score: None,
            interviews: 0,
            terminated: false,
        };
        let cur = Cur {
            pm: None,
            c: None,
            i: 0,
            inst: None,
            epoch,
            unit: Some(&unit),
        };
        if let Err(mut e) = env.stmt(stmt, &cur, f, None) {
            e.rule = Some(format!("settle block `{}`", block.name).into());
            e.unit = Some(format!("patient {id}, {year}").into());
            result = Err(e);
            break;
        }
    }
    if T::ON && open.is_some() {
        env.t.end_block(f);
    }
    std::mem::swap(&mut f.ledger, row);
    result
}
