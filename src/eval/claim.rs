//! Settling claims: a patient's claims in order, each through the top-level
//! `let`s and every layer's first applicable rule, accumulators reset at
//! each new patient and year (whole-run ones at each new patient only, then
//! set from the opening state's memory).

use super::interp::{no_claim, Cur, Env, EvalError, Frame, R};
use super::trace::{Ev, RuleOutcome, Tracer};
use rust_decimal::Decimal;

impl<T: Tracer> Env<'_, T> {
    /// Settles the claims of `range` (whole patients), writing their results.
    pub(crate) fn settle_chunk(
        &self,
        range: std::ops::Range<usize>,
        (values, vals): (&mut [Decimal], &mut [super::value::Val]),
        rules: &mut [u16],
        periods: &super::Periods,
        plan: Option<&super::ledger::Plan>,
        part: &mut super::Partial,
    ) -> Result<(), (usize, Box<EvalError>)> {
        let p = self.prog;
        let mut f = Frame::new(p);
        let stride = p.stride();
        let n_applied = p.layers.len() + p.n_fee();
        let val_stride = super::val_stride(p);
        let mut scope: Option<(u32, i32)> = None;
        for (k, c) in self.claims.rows[range.clone()].iter().enumerate() {
            let ci = range.start + k;
            let (year, month) = c.discharge.year_month();
            if scope != Some((c.patient, year)) {
                let new_patient = scope.is_none_or(|(p0, _)| p0 != c.patient);
                if let (true, true, Some((p0, _))) = (new_patient, self.carry.keep, scope) {
                    let last = self.previous_values(ci - 1, &f).map_err(|e| (k, e))?;
                    part.memory.push((p0, f.memory(p), last));
                }
                f.reset_accs(p, new_patient);
                if new_patient {
                    self.open_patient(c.patient, &mut f);
                }
                scope = Some((c.patient, year));
            }
            let Some(inst) = self.insts.rows.get(c.institution as usize) else {
                return Err((
                    k,
                    EvalError::internal("claim refers to a missing institution"),
                ));
            };
            let cur = Cur {
                pm: None,
                c: Some(c),
                i: ci,
                inst: Some(inst),
                epoch: p.epoch(c.discharge),
                unit: None,
            };
            let with_claim = |mut e: Box<EvalError>| {
                e.claim = Some((self.claims.text(c.id).to_string(), c.line));
                (k, e)
            };
            let applied = &mut rules[k * n_applied..(k + 1) * n_applied];
            self.claim(&cur, &mut f, applied).map_err(with_claim)?;
            let out = &mut values[k * stride..(k + 1) * stride];
            let n = f.layers.len();
            out[..n].copy_from_slice(&f.layers);
            out[n] = f.remaining;
            out[n + 1] = f.borne;
            if p.fee.is_some() {
                out[n + 2] = f.fee;
            }
            out[n + 2 + p.n_fee()..].copy_from_slice(&f.outputs);
            if val_stride > 0 {
                vals[k * val_stride..(k + 1) * val_stride].copy_from_slice(&f.vals);
            }
            let outside = || with_claim(EvalError::internal("a claim outside the run's months"));
            let mi = periods.month_index((year, month)).ok_or_else(outside)?;
            part.tally
                .add(c.institution, mi, c.visit_type, c.total_cost_fen, out)
                .map_err(|m| with_claim(EvalError::internal(&m)))?;
            if let (Some(plan), Some(sums)) = (plan, part.sums.as_mut()) {
                let yi = periods.year_index(year).ok_or_else(outside)?;
                sums.add(self, plan, &cur, &f, yi, mi).map_err(with_claim)?;
            }
        }
        if let (true, Some((p0, _))) = (self.carry.keep, scope) {
            let last = self
                .previous_values(range.end - 1, &f)
                .map_err(|e| (0, e))?;
            part.memory.push((p0, f.memory(p), last));
        }
        Ok(())
    }

    /// Sets a new patient's remembered values from the opening state.
    fn open_patient(&self, patient: u32, f: &mut Frame) {
        let Some(o) = self.carry.opening else { return };
        let row = o.by_patient.get(patient as usize).copied().flatten();
        if let Some(values) = row.and_then(|r| o.values.get(r as usize)) {
            f.restore(values);
        }
    }

    fn claim(&self, cur: &Cur, f: &mut Frame, applied: &mut [u16]) -> R<()> {
        f.outputs.copy_from_slice(&f.outputs_init);
        f.vals
            .iter_mut()
            .for_each(|v| *v = super::value::Val::Absent);
        f.layers.iter_mut().for_each(|l| *l = Decimal::ZERO);
        let total_cost = cur.c.ok_or_else(no_claim)?.total_cost();
        f.remaining = total_cost;
        f.fee = Decimal::ZERO;
        f.borne = Decimal::ZERO;
        f.fee_applied = false;
        if T::ON {
            self.t.begin_claim(cur.i, f);
            self.t.open();
        }
        for s in &self.prog.lets {
            self.stmt(s, cur, f, None)?;
        }
        if T::ON {
            self.t.close(Ev::Lets);
        }
        let n_layers = self.prog.layers.len();
        // 解除协议: from the termination day the fund pays nothing there; the
        // patient pays the whole cost (the claim is flagged in claims.csv).
        let c = cur.c.ok_or_else(no_claim)?;
        let terminated = self.prog.has_agreements()
            && self.insts.agreement.terminated(c.institution, c.discharge);
        if let (true, Some(fee)) = (!terminated, &self.prog.fee) {
            if T::ON {
                self.t.open();
            }
            let hit = self.rules(n_layers, fee, cur, f)?;
            if let Some(a) = applied.get_mut(n_layers) {
                *a = hit;
            }
            if f.fee_applied {
                // Exact: the cost and the fee are whole fen of at most 16 + 2 digits
                // (the fee is checked whole fen, far inside 96 bits).
                f.borne = total_cost.checked_sub(f.fee).ok_or_else(|| {
                    EvalError::internal("arithmetic overflow in institution_borne")
                })?;
                f.remaining = f.fee;
            }
            if T::ON {
                self.t.close(Ev::Layer {
                    layer: n_layers,
                    paid: f.fee,
                    left: total_cost,
                });
            }
        }
        if terminated {
            applied.iter_mut().for_each(|a| *a = 0);
        }
        for (li, layer) in self.prog.layers.iter().enumerate() {
            if terminated {
                break;
            }
            let left = f.remaining;
            if T::ON {
                self.t.open();
            }
            applied[li] = self.rules(li, layer, cur, f)?;
            // Exact: the claim's cost has at most 16 digits before the point and 2 after
            // (src/data/money.rs), and a payment is whole fen between 0 and what is left,
            // so the difference needs at most 18 digits at scale 2, far inside 96 bits.
            f.remaining = f
                .remaining
                .checked_sub(f.layers[li])
                .ok_or_else(|| EvalError::internal("arithmetic overflow in patient_paid"))?;
            if T::ON {
                self.t.close(Ev::Layer {
                    layer: li,
                    paid: f.layers[li],
                    left,
                });
            }
        }
        if !self.prog.output_defs.is_empty() {
            if T::ON {
                self.t.open();
            }
            for s in &self.prog.output_defs {
                self.stmt(s, cur, f, None)?;
            }
            if T::ON {
                self.t.close(Ev::OutputDefs);
            }
        }
        if T::ON {
            self.t.end_claim(cur.i, f);
        }
        Ok(())
    }

    /// Runs the first rule of `layer` (payer `li`: a layer, or the fee block
    /// numbered after them) in force whose `when` holds; returns its 1-based
    /// index (0: none applied).
    fn rules(&self, li: usize, layer: &crate::ir::Layer, cur: &Cur, f: &mut Frame) -> R<u16> {
        for (ri, rule) in layer.rules.iter().enumerate() {
            let outcome = |outcome| Ev::Rule {
                layer: li,
                rule: ri,
                outcome,
            };
            if T::ON {
                self.t.open();
            }
            if let Some(epochs) = &rule.in_force {
                if !epochs.get(cur.epoch).copied().unwrap_or(false) {
                    if T::ON {
                        self.t.close(outcome(RuleOutcome::NotInForce));
                    }
                    continue;
                }
            }
            let hit = match &rule.when {
                None => true,
                Some(b) => self.boolean(b, cur, f)?,
            };
            if !hit {
                if T::ON {
                    self.t.close(outcome(RuleOutcome::NotMet));
                }
                continue;
            }
            for s in &rule.body {
                self.stmt(s, cur, f, Some(li)).map_err(|mut e| {
                    e.rule = Some(format!("rule `{}/{}`", layer.name, rule.name).into());
                    e
                })?;
            }
            if T::ON {
                self.t.close(outcome(RuleOutcome::Applied));
            }
            return Ok(u16::try_from(ri + 1).unwrap_or(u16::MAX));
        }
        Ok(0)
    }
}
