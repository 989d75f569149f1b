//! `previous(claim.x, fallback)` at run time: the preceding row of the same
//! patient in the sorted claims (an index, nothing looked up or allocated),
//! or, for the patient's first claim of the run, the opening state's values
//! of the patient's last claim; else the fallback.

use super::carry::MemValue;
use super::interp::{Cur, Env, Frame, R};
use super::trace::{Ev, Tracer};
use crate::date::Date;
use crate::ir::{Bool, DateX, Num, Prev, TextX};
use rust_decimal::Decimal;

/// Where a previous claim's value comes from.
pub(crate) enum From<'a> {
    /// The claim before, in this run: a context to read its fields in.
    Row(Cur<'a>),
    /// The opening state's value of the patient's last claim.
    State(&'a MemValue),
    /// The patient's first claim: the fallback.
    First,
}

impl<'a, T: Tracer> Env<'a, T> {
    /// The patient's previous claim for the claim of `cur`, and slot `slot`.
    pub(crate) fn previous_of(&self, cur: &Cur, slot: u16) -> From<'a> {
        let claims: &'a crate::data::Claims = self.claims;
        let Some(c) = cur.c else { return From::First };
        let before = cur
            .i
            .checked_sub(1)
            .and_then(|j| claims.rows.get(j).map(|r| (j, r)))
            .filter(|(_, r)| r.patient == c.patient);
        if let Some((j, r)) = before {
            if T::ON {
                self.t.previous(Some(j));
            }
            return From::Row(Cur {
                pm: None,
                c: Some(r),
                i: j,
                inst: self.insts.rows.get(r.institution as usize),
                epoch: self.prog.epoch(r.discharge),
                unit: None,
            });
        }
        if T::ON {
            self.t.previous(None);
        }
        let carried = self.carry.opening.and_then(|o| {
            let row = o.by_patient.get(c.patient as usize).copied().flatten()?;
            o.previous
                .get(row as usize)?
                .get(usize::from(slot))?
                .as_ref()
        });
        match carried {
            Some(v) => From::State(v),
            None => From::First,
        }
    }

    pub(crate) fn previous_num(&self, x: &Prev<Num>, cur: &Cur, f: &Frame) -> R<Decimal> {
        match self.previous_of(cur, x.slot) {
            From::Row(p) => self.num(&x.field, &p, f),
            From::State(MemValue::Num(v)) => Ok(*v),
            From::State(_) | From::First => self.num(&x.fallback, cur, f),
        }
    }

    pub(crate) fn previous_date(&self, x: &Prev<DateX>, cur: &Cur, f: &Frame) -> R<Date> {
        if T::ON {
            self.t.open();
        }
        let v = match self.previous_of(cur, x.slot) {
            From::Row(p) => self.date(&x.field, &p, f),
            From::State(MemValue::Date(v)) => Ok(*v),
            From::State(_) | From::First => self.date(&x.fallback, cur, f),
        }?;
        if T::ON {
            self.t.close(Ev::Previous {
                slot: x.slot,
                value: v.to_string(),
                line: x.span,
            });
        }
        Ok(v)
    }

    pub(crate) fn previous_bool(&self, x: &Prev<Bool>, cur: &Cur, f: &Frame) -> R<bool> {
        match self.previous_of(cur, x.slot) {
            From::Row(p) => self.boolean(&x.field, &p, f),
            From::State(MemValue::Bool(v)) => Ok(*v),
            From::State(_) | From::First => self.boolean(&x.fallback, cur, f),
        }
    }

    pub(crate) fn previous_text<'s>(
        &'s self,
        x: &'s Prev<TextX>,
        cur: &Cur<'s>,
        f: &'s Frame,
    ) -> R<&'s str> {
        if T::ON {
            self.t.open();
        }
        let v = match self.previous_of(cur, x.slot) {
            From::Row(p) => self.text(&x.field, &p, f),
            From::State(MemValue::Text(v)) => Ok(v.as_str()),
            From::State(_) | From::First => self.text(&x.fallback, cur, f),
        }?;
        if T::ON {
            self.t.close(Ev::Previous {
                slot: x.slot,
                value: format!("\"{v}\""),
                line: x.span,
            });
        }
        Ok(v)
    }

    /// The values `previous` reads of claim `i` (the patient's last), by
    /// slot: what the closing state carries.
    pub(crate) fn previous_values(&self, i: usize, f: &Frame) -> R<Vec<Option<MemValue>>> {
        use crate::check::types::Ty;
        use crate::schema::CLAIM_FIELDS;
        let Some(c) = self.claims.rows.get(i) else {
            return Ok(Vec::new());
        };
        let cur = Cur {
            pm: None,
            c: Some(c),
            i,
            inst: self.insts.rows.get(c.institution as usize),
            epoch: self.prog.epoch(c.discharge),
            unit: None,
        };
        let mut out = Vec::with_capacity(self.prog.previous.len());
        for pf in &self.prog.previous {
            let fixed = CLAIM_FIELDS.iter().find(|x| x.0 == pf.name).map(|x| x.1);
            let extra = self
                .prog
                .claim_extras
                .iter()
                .position(|e| e.name == pf.name);
            let extra = extra.and_then(|e| u16::try_from(e).ok());
            let v = match (pf.ty, fixed, extra) {
                (Ty::Date, Some(fl), _) => {
                    Some(MemValue::Date(self.date(&DateX::Claim(fl), &cur, f)?))
                }
                (Ty::Date, None, Some(e)) => {
                    Some(MemValue::Date(self.date(&DateX::ClaimExtra(e), &cur, f)?))
                }
                (Ty::Text, Some(fl), _) => Some(MemValue::Text(
                    self.text(&TextX::Claim(fl), &cur, f)?.to_string(),
                )),
                (Ty::Text, None, Some(e)) => Some(MemValue::Text(
                    self.text(&TextX::ClaimExtra(e), &cur, f)?.to_string(),
                )),
                (Ty::Bool, Some(_), _) => {
                    Some(MemValue::Bool(self.boolean(&Bool::Retired, &cur, f)?))
                }
                (Ty::Bool, None, Some(e)) => Some(MemValue::Bool(self.boolean(
                    &Bool::ClaimExtra(e),
                    &cur,
                    f,
                )?)),
                (_, Some(fl), _) => Some(MemValue::Num(self.num(&Num::Claim(fl), &cur, f)?)),
                (_, None, Some(e)) => {
                    Some(MemValue::Num(self.num(&Num::ClaimExtra(e), &cur, f)?))
                }
                _ => None,
            };
            out.push(v);
        }
        Ok(out)
    }
}
