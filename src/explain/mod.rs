//! Explanations: how one claim's payments, or one institution's year-end
//! ledger row, were reached — every rule tried and why it applied or not,
//! every parameter, table row and schedule segment used (with its policy
//! line and version in force), every intermediate amount and rounding step,
//! and each accumulator before and after.
//!
//! The claim (or the unit's blocks) is settled by the same interpreter as
//! an ordinary run, watched by a `Recorder`; ordinary runs use the
//! no-op tracer, so they pay nothing for this. An explanation's results are
//! the run's results.

mod agreement;
mod label;
mod patient;
mod person;
pub(crate) mod record;
mod render;
mod show;

pub use patient::patient_year;
pub use person::person;
pub use render::{render_json, render_text};

use crate::check::types::Ty;
use crate::data::{Assessments, Claims, Institutions};
use crate::eval::interp::Env;
use crate::ir::{Program, UnitKind};
use crate::report::Field;
use crate::source::SourceFile;
use record::{Recorder, Target};
use serde::Serialize;

/// One step of an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// What the step is: `rule`, `layer`, `let`, `pay`, `param`, `table`,
    /// `schedule`, `segment`, `round`, `arithmetic`, `condition`, ….
    pub kind: &'static str,
    /// What was computed, e.g. `住院起付线[2]` or `11500.00 − 500.00`.
    pub what: String,
    /// The value as shown (money to the fen or exactly, ratios in percent,
    /// days with 天); in JSON a whole count is a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Field>,
    /// More about it: the version in force, the article cited, a rounding mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The policy line it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
    /// Shown in the parent's label only (constants).
    #[serde(skip)]
    pub(crate) hide: bool,
    /// For rules: (layer, rule); for segments: the segment index. Used by coverage.
    #[serde(skip)]
    pub(crate) rule: Option<(usize, usize)>,
    #[serde(skip)]
    pub(crate) segment: Option<usize>,
    /// A numeric node's value and type (`None`: a bare number), for the
    /// labels of the nodes around it.
    #[serde(skip)]
    pub(crate) num: Option<rust_decimal::Decimal>,
    #[serde(skip)]
    pub(crate) ty: Option<Ty>,
}

impl Node {
    pub(crate) fn new(what: String, value: Option<String>) -> Node {
        Node {
            kind: "value",
            what,
            value: value.map(Field::Text),
            note: None,
            line: None,
            children: Vec::new(),
            hide: false,
            rule: None,
            segment: None,
            num: None,
            ty: None,
        }
    }

    /// A node whose value is the number `v` of type `ty`.
    pub(crate) fn number(what: String, ty: Option<Ty>, v: rust_decimal::Decimal) -> Node {
        let mut n = Node::new(what, None);
        n.value = Some(show::field(ty, v));
        n.num = Some(v);
        n.ty = ty;
        n
    }

    /// The value as an operand of a parent's label: a number by its own type,
    /// or by `ctx` when it has none (a constant).
    pub(crate) fn shown(&self, ctx: Option<Ty>) -> String {
        match self.num {
            Some(v) => show::show(self.ty.or(ctx), v),
            None => self.value.as_ref().map(Field::text).unwrap_or_default(),
        }
    }
}

/// A name and a value, in the order shown; in JSON a count is a number,
/// an amount an exact string ([`Field`]).
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub name: String,
    pub value: Field,
}

/// A fact shown as text.
fn fact(name: impl Into<String>, value: impl ToString) -> Fact {
    typed(name, Field::Text(value.to_string()))
}

fn typed(name: impl Into<String>, value: Field) -> Fact {
    Fact {
        name: name.into(),
        value,
    }
}

/// How a figure was reached.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// `claim C0001` or `institution H001, 2025`.
    pub subject: String,
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The data the figure starts from.
    pub data: Vec<Fact>,
    /// Accumulators before and after the claim (claims only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accumulators: Vec<AccFact>,
    pub steps: Vec<Node>,
    /// The figures explained.
    pub result: Vec<Fact>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccFact {
    pub name: String,
    pub before: Field,
    pub after: Field,
}

/// Explains the settlement of claim `id`. The patient's earlier claims of
/// the year are settled first (unobserved), so accumulators are as in a run.
pub fn claim(
    prog: &Program,
    file: &SourceFile,
    claims: &Claims,
    insts: &Institutions,
    id: &str,
) -> Result<Explanation, String> {
    let Some(k) = claims.rows.iter().position(|c| claims.text(c.id) == id) else {
        return Err(format!("no claim `{id}` among the claims settled"));
    };
    let c = &claims.rows[k];
    let (mut lo, mut hi) = (k, k + 1);
    while lo > 0 && claims.rows[lo - 1].patient == c.patient {
        lo -= 1;
    }
    while hi < claims.rows.len() && claims.rows[hi].patient == c.patient {
        hi += 1;
    }
    let mut rec = Recorder::new(prog, file, Target::Claim(k));
    let inst = insts.rows.get(c.institution as usize);
    rec.data = Some(record::TextData {
        claims,
        insts,
        inst,
    });
    let env = Env {
        prog,
        claims,
        insts,
        t: rec,
        carry: Default::default(),
    };
    let (values, vals) = crate::eval::settle_watched(&env, lo..hi).map_err(|e| e.one_line(file))?;
    let stride = prog.stride();
    let row = values
        .get((k - lo) * stride..(k - lo + 1) * stride)
        .ok_or("internal error: no result row")?;
    let rec = env
        .t
        .done
        .borrow_mut()
        .pop()
        .ok_or("internal error: the claim was not recorded")?;
    let (year, _) = c.discharge.year_month();
    let earlier = claims.rows[lo..k]
        .iter()
        .filter(|x| x.discharge.year_month().0 == year)
        .count();
    let name_of = |kind: crate::schema::EnumKind, code: u8| kind.name_of(code).to_string();
    use crate::schema::EnumKind as K;
    let mut data = vec![
        fact("claim_id", format!("{id} (claims file line {})", c.line)),
        fact(
            "patient_id",
            claims.text(claims.patients[c.patient as usize]),
        ),
        fact("insured_type", name_of(K::InsuredType, c.insured_type)),
        fact("retired", c.retired),
        typed("age", Field::count(c.age)),
        fact("visit_type", name_of(K::VisitType, c.visit_type)),
        fact("admit_date", c.admit),
        fact(
            "discharge_date",
            format!("{} (rules in force on this day apply)", c.discharge),
        ),
        typed("total_cost", Field::Money(c.total_cost())),
        typed("self_pay_cost", Field::Money(c.self_pay_cost())),
        typed("drug_cost", Field::Money(c.drug_cost())),
        fact("disease_code", claims.text(c.disease_code)),
        fact(
            "drg_code",
            match claims.text(c.drg_code) {
                "" => "(empty)",
                s => s,
            },
        ),
    ];
    if let Some(i) = inst {
        let mut s = format!(
            "{} ({}, level {}, grade {}",
            i.id,
            i.name,
            name_of(K::Level, i.level),
            name_of(K::Grade, i.grade)
        );
        if !i.alliance.is_empty() {
            s.push_str(&format!(", alliance {}", i.alliance));
        }
        s.push(')');
        data.push(fact("institution", s));
    }
    data.extend(agreement::claim_fact(prog, insts, c));
    data.push(fact(
        "earlier claims",
        format!("{earlier} of this patient in {year}, settled before this one"),
    ));
    if prog.accumulators.iter().any(|a| a.whole_run()) {
        data.push(fact(
            "patient memory",
            format!(
                "{} earlier claims of this patient in the whole file, settled before this one (no --state-in: memory starts empty)",
                k - lo
            ),
        ));
    }
    let accumulators = prog
        .accumulators
        .iter()
        .enumerate()
        .map(|(i, a)| AccFact {
            name: a.name.clone(),
            before: rec
                .accs_before
                .get(i)
                .cloned()
                .unwrap_or(Field::of(a.ty, rust_decimal::Decimal::ZERO)),
            after: rec
                .accs_after
                .get(i)
                .cloned()
                .unwrap_or(Field::of(a.ty, rust_decimal::Decimal::ZERO)),
        })
        .collect();
    let mut result: Vec<Fact> = prog
        .layers
        .iter()
        .zip(row)
        .map(|(l, v)| typed(&l.name, Field::Money(*v)))
        .collect();
    let n = prog.layers.len();
    result.push(typed("patient_paid", Field::Money(row[n])));
    if let Some(fee) = &prog.fee {
        result.push(typed("institution_borne", Field::Money(row[n + 1])));
        result.push(typed(&fee.name, Field::Money(row[n + 2])));
        // The identity every claim keeps, with this claim's figures.
        let mut terms: Vec<String> = prog
            .layers
            .iter()
            .zip(row)
            .map(|(l, v)| format!("{} {}", l.name, crate::report::money(*v)))
            .collect();
        terms.push(format!("patient_paid {}", crate::report::money(row[n])));
        terms.push(format!(
            "institution_borne {}",
            crate::report::money(row[n + 1])
        ));
        result.push(fact(
            "identity",
            format!(
                "total_cost {} = {}",
                crate::report::money(c.total_cost()),
                terms.join(" + ")
            ),
        ));
    }
    let n_vals = crate::eval::val_stride(prog);
    let vrow = vals
        .get((k - lo) * n_vals..(k - lo + 1) * n_vals)
        .unwrap_or(&[]);
    for (oi, (o, v)) in prog
        .outputs
        .iter()
        .zip(&row[n + 2 + prog.n_fee()..])
        .enumerate()
    {
        if o.is_numeric() {
            result.push(typed(&o.name, Field::of(o.ty, *v)));
        } else {
            let val = vrow.get(oi).copied().unwrap_or_default();
            let shown = crate::eval::value::shown(val, oi, prog, claims, insts, inst);
            result.push(typed(&o.name, Field::shown(shown)));
        }
    }

    Ok(Explanation {
        subject: format!("claim {id}"),
        policy: file.name(),
        region: prog.region.clone(),
        notice: prog.notice.clone(),
        data,
        accumulators,
        steps: rec.nodes,
        result,
    })
}

/// Explains a unit's ledger row for a year: every settle block run for it
/// (and for the alliance and region it belongs to) in that year.
#[allow(clippy::too_many_arguments)]
pub fn unit(
    prog: &Program,
    file: &SourceFile,
    claims: &Claims,
    insts: &Institutions,
    assessments: Option<&Assessments>,
    kind: UnitKind,
    id: &str,
    year: i32,
) -> Result<Explanation, String> {
    if prog.settles.is_empty() {
        return Err(format!(
            "`{}` has no settle blocks: institutions are not settled by it",
            file.name()
        ));
    }
    let mut units = vec![(kind, id.to_string())];
    match kind {
        UnitKind::Institution => {
            let Some(inst) = insts.rows.iter().find(|i| i.id == id) else {
                return Err(format!("no institution `{id}` in the institutions file"));
            };
            if !inst.alliance.is_empty() {
                units.push((UnitKind::Alliance, inst.alliance.clone()));
            }
        }
        UnitKind::Alliance => {
            if !insts.rows.iter().any(|i| i.alliance == id) {
                return Err(format!("no institution belongs to alliance `{id}`"));
            }
        }
        UnitKind::Region | UnitKind::Patient => {}
    }
    units.push((UnitKind::Region, String::new()));
    let settlement = crate::eval::settle(prog, claims, insts, 0).map_err(|e| e.one_line(file))?;
    if !settlement.periods.years.contains(&year) {
        let years: Vec<String> = settlement
            .periods
            .years
            .iter()
            .map(|y| y.to_string())
            .collect();
        return Err(format!(
            "no claims were settled in {year}; the claims' years are {}",
            if years.is_empty() {
                "none".into()
            } else {
                years.join(", ")
            }
        ));
    }
    let env = Env {
        prog,
        claims,
        insts,
        t: Recorder::new(
            prog,
            file,
            Target::Units {
                year,
                units: units.clone(),
            },
        ),
        carry: Default::default(),
    };
    let ledger = crate::eval::ledger::settle_institutions_with(&env, &settlement, assessments)
        .map_err(|e| e.one_line(file))?
        .ok_or("internal error: no ledger")?;
    let runs = env.t.done.take();
    let mut steps = Vec::new();
    for r in runs {
        let Some((b, unit, y, m)) = r.block else {
            continue;
        };
        let Some(block) = prog.settles.get(b) else {
            continue;
        };
        let period = if m == 0 {
            y.to_string()
        } else {
            format!("{y}-{m:02}")
        };
        let who = match block.unit {
            UnitKind::Region => "region".to_string(),
            k => format!("{} {unit}", crate::eval::ledger::kind_name(k)),
        };
        let title = block
            .title
            .as_ref()
            .map(|t| format!(" \"{t}\""))
            .unwrap_or_default();
        if r.skipped {
            // Once per block and year, not once per month.
            let text = format!("settle {}{title} — {who}: not in force in {y}", block.name);
            if steps.iter().any(|s: &Node| s.what == text) {
                continue;
            }
            let mut n = Node::new(text, None);
            n.kind = "settle";
            n.line = Some(file.line_col(block.span.start as usize).0);
            n.note = block.in_force.map(|p| match p.until {
                Some(u) => format!("in force from {} until {u}", p.from),
                None => format!("in force from {}", p.from),
            });
            steps.push(n);
            continue;
        }
        let mut n = Node::new(
            format!("settle {}{title} — {who}, {period}", block.name),
            None,
        );
        n.kind = "settle";
        n.line = Some(file.line_col(block.span.start as usize).0);
        n.note = block.cite.clone();
        n.children = r.nodes;
        steps.push(n);
    }
    let mut data = Vec::new();
    let mut result = Vec::new();
    for (k, uid) in &units {
        let Some(row) = ledger
            .years
            .iter()
            .find(|r| r.kind == *k && r.unit == *uid && r.year == year)
        else {
            continue;
        };
        let who = format!("{} {uid}", crate::eval::ledger::kind_name(*k));
        data.push(fact(
            who.clone(),
            format!(
                "{} claim{} settled in {year}, total cost {}",
                row.counts.claims,
                if row.counts.claims == 1 { "" } else { "s" },
                crate::report::money(row.counts.total_cost)
            ),
        ));
        if let (UnitKind::Institution, true, Some(i)) =
            (k, prog.has_agreements(), insts.by_id.get(uid.as_str()))
        {
            let (facts, node) = agreement::unit_steps(prog, file, insts, &ledger, *i, year);
            data.extend(facts);
            steps.extend(node);
        }
        if let (UnitKind::Institution, Some(i)) = (k, insts.rows.iter().find(|i| i.id == *uid)) {
            data.push(typed("annual_budget", Field::Money(i.annual_budget)));
            data.push(typed(
                "prior_year_monthly_avg",
                Field::Money(i.prior_year_monthly_avg),
            ));
            data.push(typed("enrolled", Field::of(Ty::Count, i.enrolled)));
        }
        for (i, (c, v)) in ledger.columns.iter().zip(&row.values).enumerate() {
            if !ledger.unit_amount.get(i).copied().unwrap_or(true) {
                continue; // a patient amount: not on unit rows
            }
            let name = if (*k, uid.as_str()) == (kind, id) {
                c.clone()
            } else {
                format!("{who}: {c}")
            };
            result.push(typed(name, crate::report::ledger_field(prog, i, *v)));
        }
    }
    let subject = match kind {
        UnitKind::Region => format!("region, {year}"),
        k => format!("{} {id}, {year}", crate::eval::ledger::kind_name(k)),
    };
    Ok(Explanation {
        subject,
        policy: file.name(),
        region: prog.region.clone(),
        notice: prog.notice.clone(),
        data,
        accumulators: Vec::new(),
        steps,
        result,
    })
}
