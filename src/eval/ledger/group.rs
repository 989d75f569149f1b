//! One group of settle statements run for one unit and period, and the
//! aggregates its blocks read.

use super::*;

pub fn kind_name(k: UnitKind) -> &'static str {
    match k {
        UnitKind::Institution => "institution",
        UnitKind::Alliance => "alliance",
        UnitKind::Region => "region",
        UnitKind::Patient => "patient",
    }
}

/// Where a group runs: one unit in one period.
pub(super) struct Place<'a> {
    pub(super) units: &'a Units,
    pub(super) u: usize,
    /// The period's index (months or years, by the group's period).
    pub(super) p: usize,
    pub(super) year: i32,
    /// 1–12, or 0 for the year.
    pub(super) month: u32,
    pub(super) epoch: usize,
    /// The unit's row of the previous year, for `prior`.
    pub(super) prior: Option<&'a [Decimal]>,
}

/// Runs a group's statements, in their order, for one unit and period, on
/// its ledger row: those of blocks in force in the period.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_group<T: Tracer>(
    env: &Env<T>,
    plan: &Plan,
    aggs: &[Vec<Decimal>],
    group: &SettleGroup,
    at: &Place,
    assessments: Option<&Assessments>,
    f: &mut Frame,
    row: &mut Vec<Decimal>,
) -> Result<(), Box<EvalError>> {
    let prog = env.prog;
    let id = &at.units.ids[at.u];
    let n = at.units.ids.len();
    let score = assessments.and_then(|a| a.score(id, at.year));
    let inst = match group.unit {
        UnitKind::Institution => env.insts.rows.get(at.u),
        _ => None,
    };
    let (interviews, terminated) = match (group.unit, u32::try_from(at.u)) {
        (UnitKind::Institution, Ok(i)) if prog.has_agreements() => {
            let book = &env.insts.agreement;
            let end = if at.month == 0 {
                Date::month_end(at.year, 12)
            } else {
                Date::month_end(at.year, at.month)
            };
            (
                book.interviews_in(i, at.year),
                end.is_some_and(|d| book.terminated(i, d)),
            )
        }
        _ => (0, false),
    };
    let applies = |b: usize| plan.applies[b].get(at.p).copied().unwrap_or(false);
    if T::ON {
        for (b, s) in prog.settles.iter().enumerate() {
            if s.unit == group.unit && s.period == group.period && !applies(b) {
                env.t.skipped_block(b, id, at.year, at.month);
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
        let (Some(block), Some(block_aggs)) = (prog.settles.get(b), aggs.get(b)) else {
            continue;
        };
        let Some(stmt) = block.body.get(si) else {
            continue;
        };
        if T::ON && open != Some(b) {
            if open.is_some() {
                env.t.end_block(f);
            }
            env.t.begin_block(b, id, at.year, at.month, f);
        }
        open = Some(b);
        let na = block.aggregates.len();
        let unit = UnitCtx {
            aggs: block_aggs
                .get((at.p * n + at.u) * na..(at.p * n + at.u + 1) * na)
                .unwrap_or(&[]),
            prior: at.prior,
            score,
            interviews,
            terminated,
        };
        let cur = Cur {
            pm: None,
            c: None,
            i: 0,
            inst,
            epoch: at.epoch,
            unit: Some(&unit),
        };
        if let Err(mut e) = env.stmt(stmt, &cur, f, None) {
            e.rule = Some(format!("settle block `{}`", block.name).into());
            let period = if at.month == 0 {
                at.year.to_string()
            } else {
                format!("{}-{:02}", at.year, at.month)
            };
            e.unit = Some(
                match block.unit {
                    UnitKind::Region => format!("region, {period}"),
                    k => format!("{} {id}, {period}", kind_name(k)),
                }
                .into(),
            );
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

/// Every block's aggregates, laid out `[period][unit][aggregate]`: the sums
/// over claims made while settling them, plus the aggregates over
/// institutions, turned into values (a count, a sum, an average).
pub(super) fn aggregate_values<T: Tracer>(
    env: &Env<T>,
    plan: &Plan,
    periods: &Periods,
    claim_sums: &ClaimSums,
) -> Result<Vec<Vec<Decimal>>, Box<EvalError>> {
    let prog = env.prog;
    let (units, applies) = (&plan.units, &plan.applies);
    let (mut sums, mut counts) = (claim_sums.sums.clone(), claim_sums.counts.clone());
    let f = Frame::new(prog);

    // Aggregates over institutions.
    for (b, block) in prog.settles.iter().enumerate() {
        if block.unit == UnitKind::Patient {
            continue;
        }
        if !block
            .aggregates
            .iter()
            .any(|a| a.over == AggOver::Institutions)
        {
            continue;
        }
        let un = &units[kind_index(block.unit)];
        let na = block.aggregates.len();
        for (p, &on) in applies[b].iter().enumerate() {
            if !on {
                continue;
            }
            let epoch = prog.epoch(period_end(periods, block.period, p));
            for (ii, inst) in env.insts.rows.iter().enumerate() {
                let Some(u) = un.of_inst.get(ii).copied().flatten() else {
                    continue;
                };
                let cur = Cur {
                    pm: None,
                    c: None,
                    i: 0,
                    inst: Some(inst),
                    epoch,
                    unit: None,
                };
                let base = (p * un.ids.len() + u as usize) * na;
                for (a, agg) in block.aggregates.iter().enumerate() {
                    if agg.over != AggOver::Institutions {
                        continue;
                    }
                    if let Some(filter) = &agg.filter {
                        if !env.boolean(filter, &cur, &f)? {
                            continue;
                        }
                    }
                    let v = match &agg.arg {
                        Some(x) => env.num(x, &cur, &f)?,
                        None => Decimal::ONE,
                    };
                    let cell = &mut sums[b][base + a];
                    *cell = cell.checked_add(v).ok_or_else(|| {
                        EvalError::at("arithmetic overflow in an aggregate", agg.span)
                    })?;
                    counts[b][base + a] += 1;
                }
            }
        }
    }

    // Sums and counts → values.
    let mut out = Vec::with_capacity(prog.settles.len());
    for (b, block) in prog.settles.iter().enumerate() {
        if block.unit == UnitKind::Patient {
            out.push(Vec::new());
            continue;
        }
        let na = block.aggregates.len().max(1);
        let vals = sums[b]
            .iter()
            .zip(&counts[b])
            .enumerate()
            .map(|(i, (s, n))| {
                let agg = &block.aggregates[i % na];
                match agg.kind {
                    AggKind::Sum => Ok(*s),
                    AggKind::Count => Ok(Decimal::from(*n)),
                    AggKind::Avg if *n == 0 => Ok(Decimal::ZERO),
                    AggKind::Avg => s
                        .checked_div(Decimal::from(*n))
                        .ok_or_else(|| EvalError::at("arithmetic overflow in `avg`", agg.span)),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(vals);
    }
    Ok(out)
}
