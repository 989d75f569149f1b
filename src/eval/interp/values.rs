//! What expressions read besides numbers: table cells, enumerated codes,
//! texts, dates and conditions.

use super::*;
use crate::check::types::Ty;
use crate::eval::value::{Txt, Val};

fn slot16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl<T: Tracer> Env<'_, T> {
    pub(super) fn lookup(
        &self,
        t: Ref,
        keys: &[Key],
        cur: &Cur,
        f: &Frame,
        span: Span,
    ) -> R<Decimal> {
        let slot = self.resolve(t, cur.epoch, Some(span))?;
        let table = &self.prog.tables[slot];
        if T::ON {
            self.t.slot(slot);
        }
        // For observers: which written row gave the value, and the keys as read.
        let seen = |row: Option<u16>| {
            if T::ON {
                self.t.cell(slot, row, self.keys_read(keys, cur, f));
            }
        };
        if let Some(cells) = &table.dense {
            let mut idx = 0usize;
            for (k, dim) in keys.iter().zip(&table.dims) {
                idx = match (k, dim) {
                    (Key::Code(e), Dim::Enum(kind)) => {
                        idx * kind.count() + self.enum_code(*e, cur) as usize
                    }
                    (Key::Bool(b), Dim::Bool) => idx * 2 + usize::from(self.boolean(b, cur, f)?),
                    (Key::Choice(x, id), Dim::Choice { n, .. }) => {
                        idx * usize::from(*n) + self.choice_code(x, *id, cur, f, span)?
                    }
                    _ => return Err(EvalError::internal("dense table with an open key")),
                };
            }
            if let Some(Some(v)) = cells.get(idx) {
                seen(table.dense_rows.get(idx).copied().flatten());
                return Ok(*v);
            }
        } else {
            'rows: for (r, (row, v)) in table.rows.iter().enumerate() {
                for (k, kv) in keys.iter().zip(row) {
                    let hit = match (k, kv) {
                        (Key::Code(e), KeyValue::Code(c)) => self.enum_code(*e, cur) == *c,
                        (Key::Text(x), KeyValue::Text(s)) => self.text(x, cur, f)? == s,
                        (Key::Num(n), KeyValue::Num(d)) => self.num(n, cur, f)? == *d,
                        (Key::Bool(b), KeyValue::Code(c)) => {
                            u8::from(self.boolean(b, cur, f)?) == *c
                        }
                        _ => false,
                    };
                    if !hit {
                        continue 'rows;
                    }
                }
                seen(table.open_rows.get(r).copied());
                return Ok(*v);
            }
        }
        if table.default.is_some() {
            seen(table.default_row);
        }
        table.default.ok_or_else(|| {
            let shown = self.keys_read(keys, cur, f);
            EvalError::at(
                format!(
                    "table `{}` has no row for ({}) and no `else` row",
                    table.name,
                    shown.join(", ")
                ),
                span,
            )
        })
    }

    /// A lookup's keys as read, for messages and observers.
    pub(super) fn keys_read(&self, keys: &[Key], cur: &Cur, f: &Frame) -> Vec<String> {
        keys.iter()
            .map(|k| match k {
                Key::Code(e) => self.enum_name(*e, cur).to_string(),
                Key::Text(x) | Key::Choice(x, _) => {
                    self.text(x, cur, f).unwrap_or_default().to_string()
                }
                Key::Num(n) => self
                    .num(n, cur, f)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                Key::Bool(b) => self
                    .boolean_raw(b, cur, f)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// The code of a text the checker proved one of enumeration `id`'s
    /// values (a short scan of the declared values, never of the data).
    fn choice_code<'s>(
        &'s self,
        x: &'s TextX,
        id: u16,
        cur: &Cur<'s>,
        f: &'s Frame,
        span: Span,
    ) -> R<usize> {
        let s = self.text(x, cur, f)?;
        let e = self
            .prog
            .enums
            .get(usize::from(id))
            .ok_or_else(|| EvalError::internal("unknown enumeration"))?;
        e.code_of(s).ok_or_else(|| {
            EvalError::at(
                format!("`{s}` is not a {}: its values are {}", e.name, e.describe()),
                span,
            )
        })
    }

    pub(super) fn enum_code(&self, e: EnumX, cur: &Cur) -> u8 {
        match e {
            EnumX::InsuredType => cur.c.map_or(0, |c| c.insured_type),
            EnumX::VisitType => cur.c.map_or(0, |c| c.visit_type),
            EnumX::Level => cur.inst.map_or(0, |i| i.level),
            EnumX::Grade => cur.inst.map_or(0, |i| i.grade),
            EnumX::Sex => cur.pm.map_or(0, |p| p.person.sex),
            EnumX::Category => cur.pm.and_then(|p| p.row).map_or(0, |r| r.category),
            EnumX::Const(c) => c,
        }
    }

    pub(super) fn enum_name(&self, e: EnumX, cur: &Cur) -> &'static str {
        use crate::schema::EnumKind as K;
        let code = self.enum_code(e, cur);
        match e {
            EnumX::InsuredType => K::InsuredType.name_of(code),
            EnumX::VisitType => K::VisitType.name_of(code),
            EnumX::Level => K::Level.name_of(code),
            EnumX::Grade => K::Grade.name_of(code),
            EnumX::Sex => K::Sex.name_of(code),
            EnumX::Category => K::Category.name_of(code),
            EnumX::Const(_) => "?",
        }
    }

    pub(crate) fn text<'s>(&'s self, x: &'s TextX, cur: &Cur<'s>, f: &'s Frame) -> R<&'s str> {
        let inst = cur.inst.ok_or_else(no_claim);
        Ok(match x {
            TextX::Claim(fld) => {
                let c = cur.c.ok_or_else(no_claim)?;
                match fld {
                    ClaimField::ClaimId => self.claims.text(c.id),
                    ClaimField::PatientId => {
                        self.claims.text(self.claims.patients[c.patient as usize])
                    }
                    ClaimField::InstitutionId => &inst?.id,
                    ClaimField::DiseaseCode => self.claims.text(c.disease_code),
                    ClaimField::DrgCode => self.claims.text(c.drg_code),
                    _ => "",
                }
            }
            TextX::Inst(fld) => match fld {
                InstField::InstitutionId => &inst?.id,
                InstField::Name => &inst?.name,
                InstField::AllianceId => &inst?.alliance,
                _ => "",
            },
            TextX::ClaimExtra(i) => match self.claims.extras[*i as usize][cur.i] {
                Extra::Text(r) => self.claims.text(r),
                _ => "",
            },
            TextX::InstExtra(i) => match inst?.extras.get(*i as usize) {
                Some(Extra::Text(r)) => self.insts.arena.get(*r),
                _ => "",
            },
            TextX::Param(i) => match self.param(*i, cur.epoch)? {
                ParamValue::Text(s) => s,
                _ => "",
            },
            TextX::Const(s) => s,
            TextX::Acc(i) => f.acc_texts[*i as usize].as_str(),
            TextX::Previous(p) => self.previous_text(p, cur, f)?,
            TextX::Person(fld) => cur.pm.ok_or_else(no_claim)?.text(*fld),
            TextX::Band => match f.band {
                Some(Txt::Person(p)) => cur.pm.ok_or_else(no_claim)?.text(p),
                Some(t) => t.resolve(self.prog, self.claims, self.insts, cur.inst),
                None => "",
            },
            TextX::Local(i) if matches!(f.texts[*i as usize], Txt::Person(_)) => {
                match (f.texts[*i as usize], cur.pm) {
                    (Txt::Person(p), Some(pm)) => pm.text(p),
                    _ => "",
                }
            }
            TextX::Pool(_)
            | TextX::Local(_)
            | TextX::Output(_)
            | TextX::If(_)
            | TextX::Prior(..)
            | TextX::Ledger(_) => {
                self.text_val(x, cur, f)?
                    .resolve(self.prog, self.claims, self.insts, cur.inst)
            }
        })
    }

    /// A text as a handle that can be kept (see [`super::super::value`]).
    pub(super) fn text_val(&self, x: &TextX, cur: &Cur, f: &Frame) -> R<Txt> {
        Ok(match x {
            TextX::Claim(fld) => {
                let c = cur.c.ok_or_else(no_claim)?;
                match fld {
                    ClaimField::ClaimId => Txt::Claims(c.id),
                    ClaimField::PatientId => Txt::Claims(
                        self.claims
                            .patients
                            .get(c.patient as usize)
                            .copied()
                            .unwrap_or_default(),
                    ),
                    ClaimField::InstitutionId => Txt::Inst(InstField::InstitutionId),
                    ClaimField::DiseaseCode => Txt::Claims(c.disease_code),
                    ClaimField::DrgCode => Txt::Claims(c.drg_code),
                    _ => Txt::Empty,
                }
            }
            TextX::Inst(fld) => Txt::Inst(*fld),
            TextX::ClaimExtra(i) => match self.claims.extras[*i as usize][cur.i] {
                Extra::Text(r) => Txt::Claims(r),
                _ => Txt::Empty,
            },
            TextX::InstExtra(i) => match cur.inst.and_then(|x| x.extras.get(*i as usize)) {
                Some(Extra::Text(r)) => Txt::InstArena(*r),
                _ => Txt::Empty,
            },
            TextX::Param(r) => Txt::Param(slot16(self.resolve(*r, cur.epoch, None)?)),
            TextX::Const(_) => {
                return Err(EvalError::internal("a text literal kept outside the pool"))
            }
            TextX::Acc(_) | TextX::Previous(_) => {
                return Err(EvalError::internal(
                    "a text accumulator or previous text kept in a let or an output",
                ))
            }
            TextX::Pool(i) => Txt::Pool(*i),
            TextX::Person(fld) => Txt::Person(*fld),
            TextX::Band => f.band.unwrap_or(Txt::Empty),
            TextX::Local(i) => f.texts[*i as usize],
            TextX::Output(i) => match f.vals[*i as usize] {
                Val::Text(t) => t,
                _ => Txt::Default(*i),
            },
            TextX::Prior(c, fallback) => match prior_val(cur, *c, Ty::Text) {
                Some(Val::Text(t)) => t,
                Some(_) => {
                    return Err(EvalError::internal(
                        "a text ledger amount without a default",
                    ))
                }
                None => self.text_val(fallback, cur, f)?,
            },
            TextX::Ledger(c) => match ledger_val(f, *c, Ty::Text) {
                Val::Text(t) => t,
                _ => {
                    return Err(EvalError::internal(
                        "a text ledger amount read without a default",
                    ))
                }
            },
            TextX::If(x) => {
                if self.boolean(&x.0, cur, f)? {
                    self.text_val(&x.1, cur, f)?
                } else {
                    self.text_val(&x.2, cur, f)?
                }
            }
        })
    }

    pub(crate) fn date(&self, d: &DateX, cur: &Cur, f: &Frame) -> R<Date> {
        Ok(match d {
            DateX::Claim(ClaimField::AdmitDate) => cur.c.ok_or_else(no_claim)?.admit,
            DateX::Claim(_) => cur.c.ok_or_else(no_claim)?.discharge,
            DateX::Person(fld) => cur.pm.ok_or_else(no_claim)?.date(*fld),
            DateX::ClaimExtra(i) => match self.claims.extras[*i as usize][cur.i] {
                Extra::Date(d) => d,
                _ => Date::default(),
            },
            DateX::InstExtra(i) => match cur.inst.and_then(|x| x.extras.get(*i as usize)) {
                Some(Extra::Date(d)) => *d,
                _ => Date::default(),
            },
            DateX::Param(i) => match self.param(*i, cur.epoch)? {
                ParamValue::Date(d) => *d,
                _ => Date::default(),
            },
            DateX::Local(i) => f.dates[*i as usize],
            DateX::Const(d) => *d,
            DateX::Output(i) => match (f.vals[*i as usize], self.output_default(*i)) {
                (Val::Date(d), _) | (_, Some(ParamValue::Date(d))) => d,
                _ => return Err(EvalError::internal("a date output read without a default")),
            },
            DateX::Acc(i) => f.acc_dates[*i as usize],
            DateX::Prior(c, fallback) => match prior_val(cur, *c, Ty::Date) {
                Some(Val::Date(d)) => d,
                Some(_) => {
                    return Err(EvalError::internal(
                        "a date ledger amount without a default",
                    ))
                }
                None => self.date(fallback, cur, f)?,
            },
            DateX::Ledger(c) => match ledger_val(f, *c, Ty::Date) {
                Val::Date(d) => d,
                _ => {
                    return Err(EvalError::internal(
                        "a date ledger amount read without a default",
                    ))
                }
            },
            DateX::Shift(s) => self.shift(s, cur, f)?,
            DateX::MonthStart(d) => self.date(d, cur, f)?.first_of_month(),
            DateX::MonthEnd(d) => self.date(d, cur, f)?.last_of_month(),
            DateX::Previous(x) => self.previous_date(x, cur, f)?,
        })
    }

    /// `d ± n天`, `d ± n个月`: `n` must be whole, the date within the years 1–9999.
    fn shift(&self, s: &DateShift, cur: &Cur, f: &Frame) -> R<Date> {
        let d = self.date(&s.date, cur, f)?;
        let n = self.num(&s.by, cur, f)?;
        let unit = if s.months { "个月" } else { "天" };
        if n.fract() != Decimal::ZERO {
            return Err(EvalError::at(
                format!(
                    "a date moves by whole {}, not {}{unit}",
                    if s.months { "months" } else { "days" },
                    n.normalize()
                ),
                s.span,
            ));
        }
        let whole = i64::try_from(n.trunc()).ok();
        let signed = whole.and_then(|w| if s.back { w.checked_neg() } else { Some(w) });
        let moved = signed.and_then(|w| {
            if s.months {
                d.add_months(w)
            } else {
                d.add_days(w)
            }
        });
        moved.ok_or_else(|| {
            EvalError::at(
                format!(
                    "{d} {} {}{unit} is outside the dates a policy can hold (years 1 to 9999)",
                    if s.back { "-" } else { "+" },
                    n.normalize()
                ),
                s.span,
            )
        })
    }

    pub(crate) fn boolean(&self, b: &Bool, cur: &Cur, f: &Frame) -> R<bool> {
        if !T::ON {
            return self.boolean_raw(b, cur, f);
        }
        self.t.open();
        let v = self.boolean_raw(b, cur, f)?;
        let detail = match b {
            Bool::Retired => Some(format!("claim.retired is {v}")),
            Bool::CmpEnum(_, e, _) | Bool::EnumIn(e, _) => {
                Some(format!("{} is {}", enum_field(*e), self.enum_name(*e, cur)))
            }
            Bool::TextEq(x, _) | Bool::TextIn(x, _) => {
                Some(format!("the value is \"{}\"", self.text(x, cur, f)?))
            }
            _ => None,
        };
        self.t.close(Ev::Bool(b, v, detail));
        Ok(v)
    }

    pub(super) fn boolean_raw(&self, b: &Bool, cur: &Cur, f: &Frame) -> R<bool> {
        Ok(match b {
            Bool::Const(v) => *v,
            Bool::Retired => cur.c.ok_or_else(no_claim)?.retired,
            Bool::Suspended => {
                let c = cur.c.ok_or_else(no_claim)?;
                self.insts.agreement.suspended(c.institution, c.discharge)
            }
            Bool::ClaimTerminated => {
                let c = cur.c.ok_or_else(no_claim)?;
                self.insts.agreement.terminated(c.institution, c.discharge)
            }
            Bool::UnitTerminated => cur.unit.is_some_and(|u| u.terminated),
            Bool::FeeApplied => f.fee_applied,
            Bool::Previous(x) => self.previous_bool(x, cur, f)?,
            Bool::ClaimExtra(i) => {
                matches!(self.claims.extras[*i as usize][cur.i], Extra::Bool(true))
            }
            Bool::InstExtra(i) => matches!(
                cur.inst.and_then(|x| x.extras.get(*i as usize)),
                Some(Extra::Bool(true))
            ),
            Bool::Param(i) => matches!(self.param(*i, cur.epoch)?, ParamValue::Bool(true)),
            Bool::Local(i) => f.bools[*i as usize],
            Bool::Not(x) => !self.boolean(x, cur, f)?,
            Bool::And(xs) => {
                for x in xs {
                    if !self.boolean(x, cur, f)? {
                        return Ok(false);
                    }
                }
                true
            }
            Bool::Or(xs) => {
                for x in xs {
                    if self.boolean(x, cur, f)? {
                        return Ok(true);
                    }
                }
                false
            }
            Bool::CmpNum(op, ab) => {
                cmp(*op, self.num(&ab.0, cur, f)?.cmp(&self.num(&ab.1, cur, f)?))
            }
            Bool::CmpDate(op, ab) => {
                let (a, b) = (self.date(&ab.0, cur, f)?, self.date(&ab.1, cur, f)?);
                if T::ON {
                    // Shown in the label; read once, so what they derive from is traced once.
                    self.t.dates(&[a, b]);
                }
                cmp(*op, a.cmp(&b))
            }
            Bool::CmpEnum(op, e, c) => cmp(*op, self.enum_code(*e, cur).cmp(c)),
            Bool::EnumIn(e, mask) => mask & (1 << self.enum_code(*e, cur)) != 0,
            Bool::TextEq(x, s) => self.text(x, cur, f)? == s,
            Bool::TextIn(x, list) => {
                let v = self.text(x, cur, f)?;
                list.iter().any(|s| s == v)
            }
            Bool::BoolEq(ab) => self.boolean(&ab.0, cur, f)? == self.boolean(&ab.1, cur, f)?,
            Bool::Output(i) => match (f.vals[*i as usize], self.output_default(*i)) {
                (Val::Bool(b), _) | (_, Some(ParamValue::Bool(b))) => b,
                _ => return Err(EvalError::internal("a bool output read without a default")),
            },
            Bool::TextCmp(op, ab) => cmp(
                *op,
                self.text(&ab.0, cur, f)?.cmp(self.text(&ab.1, cur, f)?),
            ),
            Bool::Acc(i) => f.acc_bools[*i as usize],
            Bool::Prior(c, fallback) => match prior_val(cur, *c, Ty::Bool) {
                Some(Val::Bool(b)) => b,
                Some(_) => {
                    return Err(EvalError::internal(
                        "a bool ledger amount without a default",
                    ))
                }
                None => self.boolean(fallback, cur, f)?,
            },
            Bool::Ledger(c) => match ledger_val(f, *c, Ty::Bool) {
                Val::Bool(b) => b,
                _ => {
                    return Err(EvalError::internal(
                        "a bool ledger amount read without a default",
                    ))
                }
            },
        })
    }

    /// The declared default of output `i`.
    fn output_default(&self, i: u16) -> Option<ParamValue> {
        self.prog
            .outputs
            .get(i as usize)
            .and_then(|o| o.default.clone())
    }
}

/// The field an enumerated value is read from, as written in a policy.
pub(crate) fn enum_field(e: EnumX) -> &'static str {
    match e {
        EnumX::InsuredType => "claim.insured_type",
        EnumX::VisitType => "claim.visit_type",
        EnumX::Level => "institution.level",
        EnumX::Grade => "institution.grade",
        EnumX::Sex => "person.sex",
        EnumX::Category => "contribution.category",
        EnumX::Const(_) => "a constant",
    }
}

pub(super) fn claim_num(c: &Claim, fld: ClaimField) -> Decimal {
    match fld {
        ClaimField::TotalCost => c.total_cost(),
        ClaimField::SelfPayCost => c.self_pay_cost(),
        ClaimField::DrugCost => c.drug_cost(),
        ClaimField::Age => Decimal::from(c.age),
        ClaimField::LengthOfStay => Decimal::from(c.discharge.0 - c.admit.0),
        _ => Decimal::ZERO,
    }
}

pub(super) fn cmp(op: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
    }
}

/// The text, bool or date ledger amount in column `c` of the current row.
/// Column `c` of the unit's previous-year row, `None` where the run has no
/// such row (its first year): then `prior` gives its fallback.
fn prior_val(cur: &Cur, c: u16, ty: Ty) -> Option<Val> {
    let row = cur.unit.and_then(|u| u.prior)?;
    Some(
        row.get(c as usize)
            .map_or(Val::Absent, |d| super::super::ledger::typed::decode(*d, ty)),
    )
}

fn ledger_val(f: &Frame, c: u16, ty: Ty) -> Val {
    f.ledger
        .get(c as usize)
        .map_or(Val::Absent, |d| super::super::ledger::typed::decode(*d, ty))
}
