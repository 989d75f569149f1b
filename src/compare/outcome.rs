//! Reducing one policy's settlement to an [`Outcome`]: sums by group, per
//! institution (and year) and per patient-year, from the claims every
//! policy is run on ([`Data`]).

use super::*;

/// The claims every policy is run on, and what is derived from them once.
#[derive(Debug)]
pub struct Data<'a> {
    pub claims: &'a Claims,
    pub insts: &'a Institutions,
    pub patient_years: PatientYears,
    /// The age bands' lower bounds (from 0).
    pub age_bands: Vec<u32>,
    /// Whether outcomes keep every claim's amounts.
    pub keep_claims: bool,
    /// The DRG groups present (sorted) and each claim's (`u32::MAX`: none),
    /// when asked for ([`Data::index_drgs`]).
    pub drg_codes: Vec<String>,
    pub drg_of_claim: Vec<u32>,
}

impl Data<'_> {
    /// Indexes the claims' non-empty `drg_code`s, for the DRG groups.
    pub fn index_drgs(&mut self) {
        let claims = self.claims;
        let mut codes: Vec<&str> = claims
            .rows
            .iter()
            .map(|c| claims.text(c.drg_code))
            .filter(|t| !t.is_empty())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        self.drg_of_claim = claims
            .rows
            .iter()
            .map(|c| {
                codes
                    .binary_search(&claims.text(c.drg_code))
                    .ok()
                    .and_then(|i| u32::try_from(i).ok())
                    .unwrap_or(u32::MAX)
            })
            .collect();
        self.drg_codes = codes.into_iter().map(String::from).collect();
    }
}

impl<'a> Data<'a> {
    pub fn new(claims: &'a Claims, insts: &'a Institutions) -> Data<'a> {
        Data {
            claims,
            insts,
            patient_years: PatientYears::of(claims),
            age_bands: groups::AGE_BANDS.to_vec(),
            keep_claims: false,
            drg_codes: Vec::new(),
            drg_of_claim: Vec::new(),
        }
    }
}

/// The (patient, year) groups of the claims, in settlement order: a patient's
/// claims are contiguous and in date order, so each patient-year is a run.
#[derive(Debug, Clone, Default)]
pub struct PatientYears {
    /// (patient index, year, claims).
    pub keys: Vec<(u32, i32, u32)>,
    /// Each patient-year's insured type (of its first claim), as a code.
    pub insured: Vec<u8>,
}

impl PatientYears {
    pub fn of(claims: &Claims) -> PatientYears {
        let mut keys: Vec<(u32, i32, u32)> = Vec::new();
        let mut insured = Vec::new();
        for c in &claims.rows {
            let y = c.discharge.year();
            match keys.last_mut() {
                Some((p, yy, n)) if *p == c.patient && *yy == y => *n += 1,
                _ => {
                    keys.push((c.patient, y, 1));
                    insured.push(c.insured_type);
                }
            }
        }
        PatientYears { keys, insured }
    }
}

impl Outcome {
    /// Reduces a settlement (and its ledger) to the sums a comparison needs.
    pub fn of(
        label: &str,
        path: &str,
        prog: &Program,
        s: &Settlement,
        ledger: Option<&Ledger>,
        data: &Data,
    ) -> R<Outcome> {
        let (claims, insts, pys) = (data.claims, data.insts, &data.patient_years);
        if s.len() != claims.rows.len() {
            return Err(CompareError(format!(
                "{label}: {} results for {} claims",
                s.len(),
                claims.rows.len()
            )));
        }
        let cols = ResultColumns::of(prog);
        let fund_i = cols.layers.first().and_then(|l| l.1);
        let serious_i = cols.layers.get(1).and_then(|l| l.1);
        let mut all = Sums::default();
        let mut groups: Vec<Vec<Sums>> = BREAKDOWNS
            .iter()
            .map(|k| vec![Sums::default(); k.count()])
            .collect();
        let mut claim_amounts = Vec::with_capacity(if data.keep_claims {
            claims.rows.len()
        } else {
            0
        });
        let mut age_groups = vec![Sums::default(); data.age_bands.len()];
        let mut drg_groups = vec![Sums::default(); data.drg_codes.len()];
        let mut chapter_groups = vec![Sums::default(); groups::CHAPTERS.len() + 1];
        let mut inst_paid = vec![0i128; insts.rows.len()];
        let years = s.periods.years.clone();
        let n_inst = insts.rows.len();
        let mut inst_year_paid = vec![0i128; years.len() * n_inst];
        let mut inst_year_clearing = vec![Decimal::ZERO; years.len() * n_inst];
        let year_slot = |y: i32, i: usize| {
            s.periods
                .year_index(y)
                .map(|yi| yi * n_inst + i)
                .ok_or_else(|| CompareError(format!("{label}: {y} is not a year of the run")))
        };
        let mut patient_paid = vec![0i64; pys.keys.len()];
        // The patient-year of the current claim: claims of one patient-year are a run.
        let mut py = 0usize;
        let mut prev: Option<(u32, i32)> = None;
        for (k, c) in claims.rows.iter().enumerate() {
            let key = (c.patient, c.discharge.year());
            if prev.is_some_and(|p| p != key) {
                py += 1;
            }
            prev = Some(key);
            let row = s.row(k);
            let layer = |i: Option<usize>| i.map_or(Ok(0), |i| fen_of(row[i]));
            let fund = layer(fund_i)?;
            let serious = layer(serious_i)?;
            let mut paid = 0i128;
            for v in &row[..s.shape.n_layers] {
                add(&mut paid, fen_of(*v)?)?;
            }
            let patient = fen_of(row[s.shape.patient_col()])?;
            let borne = fen_of(row[s.shape.borne_col()])?;
            let cf = ClaimFen {
                total_cost: i128::from(c.total_cost_fen),
                self_pay: i128::from(c.self_pay_cost_fen),
                fund,
                serious,
                other: paid - fund - serious,
                patient,
                borne,
            };
            all.add_claim(&cf)?;
            let level = insts
                .rows
                .get(c.institution as usize)
                .map_or(0, |i| i.level);
            for (g, code) in groups.iter_mut().zip([c.visit_type, level, c.insured_type]) {
                if let Some(sums) = g.get_mut(code as usize) {
                    sums.add_claim(&cf)?;
                }
            }
            if data.keep_claims {
                let f = |x: i128| i64::try_from(x).map_err(|_| overflow());
                claim_amounts.push([
                    f(cf.fund)?,
                    f(cf.serious)?,
                    f(cf.other)?,
                    f(cf.patient)?,
                    f(cf.borne)?,
                ]);
            }
            if let Some(g) = data
                .drg_of_claim
                .get(k)
                .and_then(|&d| drg_groups.get_mut(d as usize))
            {
                g.add_claim(&cf)?;
            }
            if let Some(g) = age_groups.get_mut(groups::age_band(&data.age_bands, c.age)) {
                g.add_claim(&cf)?;
            }
            let ch = groups::chapter(claims.text(c.disease_code).as_bytes());
            if let Some(g) = chapter_groups.get_mut(ch) {
                g.add_claim(&cf)?;
            }
            if let Some(p) = inst_paid.get_mut(c.institution as usize) {
                add(p, paid)?;
            }
            let slot = year_slot(c.discharge.year(), c.institution as usize)?;
            if let Some(p) = inst_year_paid.get_mut(slot) {
                add(p, paid)?;
            }
            let pp = patient_paid
                .get_mut(py)
                .ok_or_else(|| CompareError("a claim outside the patient-years".into()))?;
            *pp = pp
                .checked_add(i64::try_from(patient).map_err(|_| overflow())?)
                .ok_or_else(overflow)?;
        }
        let mut inst_clearing = vec![Decimal::ZERO; insts.rows.len()];
        let mut totals: Vec<LedgerTotals> = Vec::new();
        if let Some(l) = ledger {
            for r in &l.years {
                let t = match totals.iter_mut().position(|t| t.kind == r.kind) {
                    Some(i) => &mut totals[i],
                    None => {
                        totals.push(LedgerTotals {
                            kind: r.kind,
                            rows: 0,
                            values: vec![Decimal::ZERO; L::COLUMNS.len()],
                            in_surplus: 0,
                            in_overspend: 0,
                        });
                        let last = totals.len() - 1;
                        &mut totals[last]
                    }
                };
                t.rows += 1;
                for (a, v) in t.values.iter_mut().zip(&r.values) {
                    *a = a.checked_add(*v).ok_or_else(overflow)?;
                }
                let col = |c: u16| r.values.get(c as usize).copied().unwrap_or_default();
                if col(L::SURPLUS) > Decimal::ZERO {
                    t.in_surplus += 1;
                }
                if col(L::OVERSPEND) > Decimal::ZERO {
                    t.in_overspend += 1;
                }
                if r.kind == UnitKind::Institution {
                    if let Some(&i) = insts.by_id.get(&r.unit) {
                        let effect = [
                            (L::RETAINED, true),
                            (L::INSTITUTION_SHARE, false),
                            (L::DEDUCTIONS, false),
                            (L::WITHHELD, false),
                            (L::WITHHOLD_RETURNED, true),
                            // Held agreement money is paid when released.
                            (L::HELD, false),
                            (L::RELEASED, true),
                        ]
                        .iter()
                        .try_fold(Decimal::ZERO, |acc, &(c, plus)| {
                            if plus {
                                acc.checked_add(col(c))
                            } else {
                                acc.checked_sub(col(c))
                            }
                        })
                        .ok_or_else(overflow)?;
                        let slot = &mut inst_clearing[i as usize];
                        *slot = slot.checked_add(effect).ok_or_else(overflow)?;
                        let ys = year_slot(r.year, i as usize)?;
                        if let Some(slot) = inst_year_clearing.get_mut(ys) {
                            *slot = slot.checked_add(effect).ok_or_else(overflow)?;
                        }
                    }
                }
            }
        }
        totals.sort_by_key(|t| match t.kind {
            UnitKind::Institution => 0,
            UnitKind::Alliance => 1,
            UnitKind::Region => 2,
            UnitKind::Patient => 3,
        });
        Ok(Outcome {
            label: label.to_string(),
            path: path.to_string(),
            region: prog.region.clone(),
            code: prog.code.clone(),
            layer_titles: ["fund_paid", "serious_paid"].map(|name| {
                prog.layers
                    .iter()
                    .find(|l| l.name == name)
                    .and_then(|l| l.source.clone())
            }),
            all,
            groups,
            age_groups,
            chapter_groups,
            claim_amounts,
            drg_groups,
            inst_paid,
            inst_clearing,
            patient_paid,
            years,
            inst_year_paid,
            inst_year_clearing,
            ledger: totals,
        })
    }
}
