//! The labels of an explanation's value and condition nodes: what each
//! expression computed, written with its operands' values, and the segments
//! a schedule used.

use super::record::{Open, Recorder};
use super::show::{show, Types};
use super::Node;
use crate::check::types::Ty;
use crate::eval::interp::enum_field;
use crate::ir::{Bool, EnumX, Num, Program, ScheduleKind};
use crate::schema::{self, EnumKind};
use crate::syntax::ast::{BinOp, RoundMode};
use rust_decimal::Decimal;

impl Recorder<'_> {
    /// The type of `n` where it is evaluated now.
    pub(super) fn type_of(&self, n: &Num) -> Option<Ty> {
        let locals = self.local_types.borrow();
        Types {
            prog: self.prog,
            locals: &locals,
            block: self.block.get(),
        }
        .of(n)
    }

    pub(super) fn num_node(&self, n: &Num, v: Decimal, o: Open) -> Node {
        let p = self.prog;
        let ty = self.type_of(n);
        // Operands are written by their own types; a constant by the type of
        // what it meets, but as a bare number in a product or a quotient.
        let ctx = match n {
            Num::Bin(BinOp::Mul | BinOp::Div, ..) => None,
            _ => ty,
        };
        let vals: Vec<String> = o.children.iter().map(|c| c.shown(ctx)).collect();
        let val = |i: usize| vals.get(i).cloned().unwrap_or_default();
        let first = o.children.first().and_then(|c| c.num);
        let mut node = Node::number(String::new(), ty, v);
        node.children = o.children;
        match n {
            Num::Const(_) => {
                node.what = show(ty, v);
                node.hide = true;
            }
            Num::Param(_) => {
                if let Some(par) = o.slot.and_then(|s| p.params.get(s)) {
                    node.what = par.name.clone();
                    node.line = self.line(par.span);
                    node.note = versions_note(par.in_force, par.cite.as_deref());
                    node.kind = "param";
                }
            }
            Num::Claim(fld) => {
                node.what = format!("claim.{}", claim_field_name(*fld));
                node.kind = "data";
            }
            Num::Inst(fld) => {
                node.what = format!(
                    "institution.{}",
                    schema::INST_FIELDS
                        .iter()
                        .find(|x| x.1 == *fld)
                        .map_or("?", |x| x.0)
                );
                node.kind = "data";
            }
            Num::ClaimExtra(i) => {
                node.what = extra_name("claim", &p.claim_extras, *i);
                node.kind = "data";
            }
            Num::InstExtra(i) => {
                node.what = extra_name("institution", &p.inst_extras, *i);
                node.kind = "data";
            }
            Num::Local(i) => node.what = self.name(0, *i),
            Num::Acc(i) => {
                node.what = p
                    .accumulators
                    .get(*i as usize)
                    .map_or("?".into(), |a| a.name.clone());
                node.note = Some("accumulator".into());
                node.kind = "accumulator";
            }
            Num::Layer(i) => {
                node.what = p
                    .layers
                    .get(*i as usize)
                    .map_or("?".into(), |l| l.name.clone());
                node.note = Some("paid by the layer on this claim".into());
            }
            Num::Output(i) => {
                node.what = p
                    .outputs
                    .get(*i as usize)
                    .map_or("?".into(), |x| x.name.clone())
            }
            Num::Remaining => node.what = "what the claim has left to pay".into(),
            Num::Person(fld) => {
                node.what = person_field_name(*fld);
                node.kind = "data";
            }
            Num::Contrib(i) => {
                node.what = schema::contrib::AMOUNTS
                    .get(*i as usize)
                    .map_or("?".into(), |a| a.0.to_string());
                node.note = match *i {
                    schema::contrib::SHORTFALL => Some("max(required_months − counted_months, required_paid_months − paid_months, 0)".into()),
                    schema::contrib::TO_POOL => Some("employer + employee − to_account".into()),
                    _ => None,
                };
            }
            Num::Age(_) => {
                node.what = match o.dates.as_slice() {
                    [b, d] => format!("age({b}, {d})"),
                    _ => "age".into(),
                };
                node.note = Some("whole years completed on the day (周岁)".into());
            }
            Num::Fee => {
                node.what = p.fee.as_ref().map_or("?".into(), |l| l.name.clone());
                node.note = Some("the fee this claim is paid at".into());
            }
            Num::Borne => {
                node.what = "institution_borne".into();
                node.note = Some("total_cost − the fee: what the institution bears".into());
            }
            Num::Bin(op, _, _) => {
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "−",
                    BinOp::Mul => "×",
                    BinOp::Div => "÷",
                };
                node.what = format!("{} {sym} {}", val(0), val(1));
                node.kind = "arithmetic";
            }
            Num::Neg(_) => node.what = format!("−{}", val(0)),
            Num::Min(_) => node.what = format!("min({})", vals.join(", ")),
            Num::Max(_) => node.what = format!("max({})", vals.join(", ")),
            Num::Clamp(..) => node.what = format!("clamp({})", vals.join(", ")),
            Num::If(_) => {
                let branch = if val(0) == "true" { "then" } else { "else" };
                node.what = format!("if … {branch}");
            }
            Num::Round(_, r, _) => {
                node.what = format!("round {} to {}", val(0), r.step.normalize());
                node.note = Some(
                    match r.mode {
                        RoundMode::HalfUp => "四舍五入 (half away from zero)",
                        RoundMode::HalfEven => "half_even (to the even neighbour)",
                        RoundMode::Down => "down (toward zero)",
                        RoundMode::Up => "up (away from zero)",
                    }
                    .into(),
                );
                node.kind = "round";
            }
            Num::Lookup(..) => {
                if let Some(t) = o.slot.and_then(|s| p.tables.get(s)) {
                    let (row, keys) = o.cell.clone().unwrap_or((None, Vec::new()));
                    node.what = format!("{}[{}]", t.name, keys.join(", "));
                    let row_span = row.and_then(|r| t.row_spans.get(r as usize).copied());
                    node.line = row_span.and_then(|s| self.line(s)).or(self.line(t.span));
                    let is_else = row.is_some() && row == t.default_row;
                    let mut note = versions_note(t.in_force, t.cite.as_deref()).unwrap_or_default();
                    if is_else {
                        note = join_note("the `else` row", &note);
                    }
                    node.note = (!note.is_empty()).then_some(note);
                    node.kind = "table";
                    // Numeric keys were evaluated as children; the keys are shown in the label.
                    node.children.clear();
                }
            }
            Num::Schedule(..) | Num::Rate(..) => {
                if let Some(s) = o.slot.and_then(|s| p.schedules.get(s)) {
                    let x = first.unwrap_or_default();
                    let rate = matches!(n, Num::Rate(..));
                    node.what = if rate {
                        format!("rate({}, {})", s.name, val(0))
                    } else {
                        format!("{}({})", s.name, val(0))
                    };
                    node.line = self.line(s.span);
                    node.note = versions_note(s.in_force, s.cite.as_deref());
                    node.kind = "schedule";
                    node.children.extend(self.segments(
                        s,
                        x,
                        rate || s.kind == ScheduleKind::Whole,
                    ));
                }
            }
            Num::DateDiff(_) => {
                node.what = match o.dates.as_slice() {
                    [b, a] => format!("{b} − {a}"),
                    _ => "days between".into(),
                };
                node.note = Some("days between".into());
            }
            Num::DatePart(part, _) => {
                let d = o.dates.first().map_or("?".into(), |d| d.to_string());
                node.what = format!("{}({d})", part.name());
            }
            Num::Ledger(i) => node.what = ledger_column(p, *i),
            Num::Agg(i) => {
                let agg = self
                    .block
                    .get()
                    .and_then(|b| p.settles.get(b))
                    .and_then(|b| b.aggregates.get(*i as usize));
                node.what = agg.map_or("aggregate".into(), |a| self.text(a.span));
                node.note = Some(
                    match agg.map(|a| a.over) {
                        Some(crate::ir::AggOver::Institutions) => "over the unit's institutions",
                        _ => "over the unit's claims in the period",
                    }
                    .into(),
                );
                node.kind = "aggregate";
            }
            Num::Region(i) => {
                node.what = p
                    .region_values
                    .get(*i as usize)
                    .cloned()
                    .unwrap_or_default()
            }
            Num::Prior(col, _) => {
                node.what = format!("prior({})", ledger_column(p, *col));
                node.note = Some("the unit's previous year".into());
            }
            Num::Score(_) => {
                node.what = "assessment.score".into();
                node.kind = "data";
            }
            Num::Interviews => {
                node.what = "agreement.interviews".into();
                node.kind = "data";
            }
            Num::Previous(x) => {
                node.what = self.previous_what(x.slot);
                node.note = self.previous_note(o.prev);
                node.line = self.line(x.span);
                node.kind = "data";
            }
        }
        node
    }

    /// `previous(claim.x, …)` as shown.
    pub(super) fn previous_what(&self, slot: u16) -> String {
        let name = self.prog.previous.get(usize::from(slot));
        format!(
            "previous(claim.{}, …)",
            name.map_or("?", |f| f.name.as_str())
        )
    }

    /// Which claim a `previous(…)` read: `claim C1`, or the fallback.
    pub(super) fn previous_note(&self, prev: Option<Option<usize>>) -> Option<String> {
        match prev? {
            Some(i) => {
                let id = self.data.and_then(|d| {
                    let c = d.claims.rows.get(i)?;
                    Some(d.claims.text(c.id).to_string())
                });
                Some(format!(
                    "claim {}",
                    id.unwrap_or_else(|| format!("#{}", i + 1))
                ))
            }
            None => Some("the patient's first claim: the fallback".into()),
        }
    }

    /// The segments a schedule used on `x`: for marginal schedules every
    /// segment the amount reaches, with its part; for whole ones (and `rate`)
    /// the band. An amount on a segment's lower bound is said to be at its
    /// threshold; ranges are written as in the policy (`1.5万元 .. 6.5万元`).
    fn segments(&self, s: &crate::ir::Schedule, x: Decimal, band: bool) -> Vec<Node> {
        let money = |d: Decimal| show(Some(s.input), d);
        let mut out = Vec::new();
        for (i, &(from, to, rate)) in s.segments.iter().enumerate() {
            let span = s.segment_spans.get(i).copied();
            let line = span.and_then(|sp| self.line(sp));
            let written = span.map(|sp| self.text(sp)).unwrap_or_default();
            let range = match written.rsplit_once(':') {
                Some((r, _)) if !r.trim().is_empty() => r.trim().to_string(),
                _ => format!("{} .. {}", money(from), to.map_or(String::new(), &money)),
            };
            let rate_s = show(Some(Ty::Ratio), rate);
            if band {
                if x >= from && to.is_none_or(|t| x < t) {
                    let mut n = Node::new(format!("segment {range}: {rate_s}"), None);
                    n.note = Some(if x == from {
                        format!(
                            "{} is at the threshold of this band: it starts there",
                            money(x)
                        )
                    } else {
                        format!("{} falls in this band", money(x))
                    });
                    n.line = line;
                    n.kind = "segment";
                    n.segment = Some(i);
                    out.push(n);
                }
                continue;
            }
            if x <= from {
                if x == from {
                    let mut n = Node::new(
                        format!(
                            "{} is at the threshold of segment {range}: nothing inside it",
                            money(x)
                        ),
                        None,
                    );
                    n.line = line;
                    n.kind = "segment";
                    out.push(n);
                }
                break;
            }
            let top = to.map_or(x, |t| x.min(t));
            let part = top - from;
            let amount = part.checked_mul(rate).unwrap_or_default();
            let mut n = Node::number(
                format!("segment {range}: {} × {rate_s}", money(part)),
                Some(s.input),
                amount,
            );
            n.line = line;
            n.kind = "segment";
            n.segment = Some(i);
            out.push(n);
        }
        if out.is_empty() {
            out.push(Node::new(
                format!("{} is below every segment", money(x)),
                None,
            ));
        }
        out
    }

    pub(super) fn bool_node(&self, b: &Bool, v: bool, detail: Option<String>, o: Open) -> Node {
        // The two sides of a comparison share a type: a constant takes the other's.
        let ctx = o.children.iter().find_map(|c| c.ty);
        let vals: Vec<String> = o.children.iter().map(|c| c.shown(ctx)).collect();
        let val = |i: usize| vals.get(i).cloned().unwrap_or_default();
        let mut node = Node::new(String::new(), Some(v.to_string()));
        node.children = o.children;
        node.note = detail;
        node.kind = "condition";
        node.what = match b {
            Bool::Const(_) => {
                node.hide = true;
                v.to_string()
            }
            Bool::Retired => "claim.retired".into(),
            Bool::Suspended => "claim.suspended".into(),
            Bool::ClaimTerminated => "claim.terminated".into(),
            Bool::UnitTerminated => "agreement.terminated".into(),
            Bool::FeeApplied => match &self.prog.fee {
                Some(fee) => format!("applied({})", fee.name),
                None => "applied(fee)".into(),
            },
            Bool::ClaimExtra(i) => extra_name("claim", &self.prog.claim_extras, *i),
            Bool::InstExtra(i) => extra_name("institution", &self.prog.inst_extras, *i),
            Bool::Param(_) => o
                .slot
                .and_then(|s| self.prog.params.get(s))
                .map_or("parameter".into(), |p| p.name.clone()),
            Bool::Local(i) => self.name(1, *i),
            Bool::Not(_) => "not".into(),
            Bool::And(_) => "and".into(),
            Bool::Or(_) => "or".into(),
            Bool::CmpNum(op, _) => format!("{} {} {}", val(0), op.symbol(), val(1)),
            Bool::CmpDate(op, _) => match o.dates.as_slice() {
                [a, b] => format!("{a} {} {b}", op.symbol()),
                _ => format!("date {} date", op.symbol()),
            },
            Bool::CmpEnum(op, e, c) => {
                format!("{} {} {}", enum_field(*e), op.symbol(), enum_value(*e, *c))
            }
            Bool::EnumIn(e, mask) => {
                let names: Vec<String> = (0..32u8)
                    .filter(|i| mask & (1u32 << i) != 0)
                    .map(|i| enum_value(*e, i))
                    .collect();
                format!("{} in [{}]", enum_field(*e), names.join(", "))
            }
            Bool::Output(i) => self
                .prog
                .outputs
                .get(*i as usize)
                .map_or("output".into(), |o| o.name.clone()),
            Bool::Ledger(i) => ledger_column(self.prog, *i),
            Bool::Prior(i, _) => {
                node.note =
                    Some("the unit's previous year, or the fallback in the run's first".into());
                format!("prior({})", ledger_column(self.prog, *i))
            }
            Bool::TextCmp(op, _) => format!("text {} text", op.symbol()),
            Bool::Previous(x) => {
                node.note = self.previous_note(o.prev);
                self.previous_what(x.slot)
            }
            Bool::TextEq(_, s) => format!("== \"{s}\""),
            Bool::TextIn(_, list) => format!("in [{}]", list.join(", ")),
            Bool::BoolEq(_) => format!("{} == {}", val(0), val(1)),
            Bool::Acc(i) => self
                .prog
                .accumulators
                .get(*i as usize)
                .map_or("accumulator".into(), |a| a.name.clone()),
        };
        node
    }
}

pub(super) fn join_note(a: &str, b: &str) -> String {
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}; {b}")
    }
}

/// "in force 2002-01-01 to 2002-12-31; 第十条" for dated or cited declarations.
pub(super) fn versions_note(p: Option<crate::ir::Period>, cite: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p) = p {
        parts.push(match p.until {
            Some(u) => format!("version in force {} to {u}", p.from),
            None => format!("version in force from {}", p.from),
        });
    }
    if let Some(c) = cite {
        parts.push(c.to_string());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn enum_value(e: EnumX, code: u8) -> String {
    let kind = match e {
        EnumX::InsuredType => EnumKind::InsuredType,
        EnumX::VisitType => EnumKind::VisitType,
        EnumX::Level => EnumKind::Level,
        EnumX::Grade => EnumKind::Grade,
        EnumX::Sex => EnumKind::Sex,
        EnumX::Category => EnumKind::Category,
        EnumX::Const(_) => return code.to_string(),
    };
    kind.name_of(code).to_string()
}

/// `claim.ward`: an extra column as written in the policy.
pub(super) fn extra_name(object: &str, extras: &[crate::ir::ExtraField], i: u16) -> String {
    let name = extras.get(i as usize).map_or("?", |x| x.name.as_str());
    format!("{object}.{name}")
}

/// `person.birth_date`, `contribution.wage`, `retirement.paid_months`.
pub(crate) fn person_field_name(f: schema::PersonField) -> String {
    let tables = [
        ("person", schema::PERSON_FIELDS),
        ("contribution", schema::CONTRIBUTION_FIELDS),
        ("retirement", schema::RETIREMENT_FIELDS),
    ];
    tables
        .iter()
        .find_map(|(o, t)| t.iter().find(|x| x.1 == f).map(|x| format!("{o}.{}", x.0)))
        .unwrap_or_else(|| "?".into())
}

pub(crate) fn claim_field_name(f: schema::ClaimField) -> &'static str {
    schema::CLAIM_FIELDS
        .iter()
        .find(|x| x.1 == f)
        .map_or("?", |x| x.0)
}

pub(crate) fn ledger_column(p: &Program, i: u16) -> String {
    let cols = schema::ledger::COLUMNS;
    match cols.get(i as usize) {
        Some(c) => c.0.to_string(),
        None => p
            .ledger_extras
            .get(i as usize - cols.len())
            .map_or("?".into(), |o| o.name.clone()),
    }
}
