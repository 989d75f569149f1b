//! Declarations: parameters, tables, schedules, accumulators and extra
//! fields, checked and laid out as the program's slots.

use super::literal::{self, literal_value};
use super::types::Ty;
use super::{slot, Checker, FieldRef, Global};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{self, Dim, KeyValue, ParamValue, Period, ScheduleKind};
use crate::schema::{EnumKind, CLAIM_FIELDS, INST_FIELDS};
use crate::syntax::ast::{self, KeyKind};

impl Checker {
    pub(super) fn param(&mut self, p: &ast::ParamDecl) {
        self.refuse(&p.name);
        let Some((ty, choice)) = self.ty(&p.ty, false) else {
            return;
        };
        if let Some(value) = self.value_of(&p.value, ty, choice, &p.name.name) {
            let i = slot(self.prog.params.len());
            self.broken.remove(&p.name.name);
            let make = move |r| Global::Param(r, ty);
            let sig = p.ty.name.clone();
            self.declare(&p.name, p.in_force.as_ref(), i, sig, make);
            let in_force = p.in_force.as_ref().map(Period::from);
            self.prog.params.push(ir::Param {
                name: p.name.name.clone(),
                in_force,
                cite: p.cite.as_ref().map(|c| c.value.clone()),
                ty,
                choice,
                value,
                span: p.name.span,
            });
        }
    }

    pub(super) fn table(&mut self, t: &ast::TableDecl) {
        self.refuse(&t.name);
        let ty = self.ty(&t.ty, true).map(|t| t.0);
        let dims: Vec<Option<Dim>> = t.keys.iter().map(|k| self.key_dim(k)).collect();
        let (Some(ty), Some(dims)) = (ty, dims.into_iter().collect::<Option<Vec<Dim>>>()) else {
            return;
        };
        let mut rows: Vec<(Vec<KeyValue>, rust_decimal::Decimal, u16)> = Vec::new();
        // The keys so far, hashed: a table of any size is checked in one pass.
        let mut keys: rustc_hash::FxHashSet<Vec<KeyValue>> = rustc_hash::FxHashSet::default();
        let mut default = None;
        let mut default_row = None;
        // A row already reported leaves its key uncovered: do not also call the table incomplete.
        let mut bad_rows = false;
        for (written, row) in t.rows.iter().enumerate() {
            let written = u16::try_from(written).unwrap_or(u16::MAX);
            let value = match literal_value(&row.value, ty, &t.name.name) {
                Ok(ParamValue::Num(v)) => v,
                Ok(_) => continue,
                Err(d) => {
                    self.error(d);
                    bad_rows = true;
                    continue;
                }
            };
            let Some(key) = &row.key else {
                if default.is_some() {
                    self.error(
                        Diagnostic::error("the table has two `else` rows")
                            .at(row.span)
                            .label("second `else`"),
                    );
                }
                default = Some(value);
                default_row = Some(written);
                continue;
            };
            if key.len() != dims.len() {
                self.error(
                    Diagnostic::error(format!(
                        "this row has {} key{}, the table is keyed by {}",
                        key.len(),
                        if key.len() == 1 { "" } else { "s" },
                        dims.len()
                    ))
                    .at(row.span)
                    .help(if dims.len() > 1 {
                        "write the keys in parentheses: `(\"employee\", 1): 95%`"
                    } else {
                        "write one key: `1: 200元`"
                    }),
                );
                bad_rows = true;
                continue;
            }
            let mut kv = Vec::with_capacity(dims.len());
            for (lit, dim) in key.iter().zip(&dims) {
                match literal::key_value(lit, *dim, &self.prog.enums) {
                    Ok(v) => kv.push(v),
                    Err(d) => self.error(d),
                }
            }
            if kv.len() != dims.len() {
                bad_rows = true;
                continue;
            }
            if !keys.insert(kv.clone()) {
                self.error(
                    Diagnostic::error(format!("table `{}` has this key twice", t.name.name))
                        .at(row.span)
                        .label("duplicate row")
                        .help("keep one row per key"),
                );
                continue;
            }
            rows.push((kv, value, written));
        }
        // Closed keys (coded fields, bools): dense cells, proved complete.
        let all_enum = dims.iter().all(|d| d.size().is_some());
        let mut dense_rows = Vec::new();
        let dense = if all_enum {
            let sizes: Vec<usize> = dims.iter().map(|d| d.size().unwrap_or(1)).collect();
            let mut cells = vec![None; sizes.iter().product()];
            dense_rows = vec![None; cells.len()];
            for (k, v, w) in &rows {
                cells[dense_index(k, &sizes)] = Some(*v);
                dense_rows[dense_index(k, &sizes)] = Some(*w);
            }
            if default.is_none() && !bad_rows {
                let missing: Vec<String> = (0..cells.len())
                    .filter(|&i| cells[i].is_none())
                    .map(|i| describe_key(i, &dims, &sizes, &self.prog.enums))
                    .collect();
                if !missing.is_empty() {
                    let shown = missing
                        .iter()
                        .take(6)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ");
                    let more = if missing.len() > 6 {
                        format!(" and {} more", missing.len() - 6)
                    } else {
                        String::new()
                    };
                    self.error(
                        Diagnostic::error(format!(
                            "table `{}` has no row for {shown}{more}",
                            t.name.name
                        ))
                        .at(t.name.span)
                        .label("incomplete")
                        .help("add the missing rows, or an `else: ...` row for every other key"),
                    );
                }
            }
            Some(cells)
        } else {
            None
        };
        let i = slot(self.prog.tables.len());
        self.broken.remove(&t.name.name);
        let sig = format!("{ty} by {dims:?}");
        self.declare(&t.name, t.in_force.as_ref(), i, sig, Global::Table);
        self.prog.tables.push(ir::Table {
            name: t.name.name.clone(),
            in_force: t.in_force.as_ref().map(Period::from),
            cite: t.cite.as_ref().map(|c| c.value.clone()),
            ty,
            dims,
            dense,
            open_rows: if all_enum {
                vec![]
            } else {
                rows.iter().map(|r| r.2).collect()
            },
            rows: if all_enum {
                vec![]
            } else {
                rows.into_iter().map(|(k, v, _)| (k, v)).collect()
            },
            default,
            default_row,
            dense_rows,
            row_spans: t.rows.iter().map(|r| r.span).collect(),
            span: t.name.span,
        });
    }

    pub(super) fn key_dim(&mut self, k: &KeyKind) -> Option<Dim> {
        match k {
            KeyKind::Field { object, field } => {
                let (ty, _) = self.field_type(object, field)?;
                match ty {
                    Ty::Enum(e) => Some(Dim::Enum(e)),
                    Ty::Bool => Some(Dim::Bool),
                    Ty::Text => Some(Dim::Text),
                    t if t.is_numeric() => Some(Dim::Num),
                    _ => {
                        self.error(
                            Diagnostic::error(format!("a table cannot be keyed by {}", ty.article()))
                                .at(field.span)
                                .help("key tables by a coded field such as `institution.level`, or by `text`"),
                        );
                        None
                    }
                }
            }
            KeyKind::Type(name) => match self.ty(name, false)? {
                (Ty::Text, Some(id)) => {
                    let n = self.enumeration(id).map_or(0, |e| e.values.len());
                    Some(Dim::Choice {
                        id,
                        n: u16::try_from(n).unwrap_or(u16::MAX),
                    })
                }
                (t, _) => match t {
                    Ty::Text => Some(Dim::Text),
                    Ty::Bool => Some(Dim::Bool),
                    t if t.is_numeric() => Some(Dim::Num),
                    t => {
                        self.error(
                            Diagnostic::error(format!(
                                "a table cannot be keyed by {}",
                                t.article()
                            ))
                            .at(name.span),
                        );
                        None
                    }
                },
            },
        }
    }

    /// The type of `claim.x` / `institution.x` (a data-contract column or a declared extra).
    pub(crate) fn field_type(
        &mut self,
        object: &ast::Ident,
        field: &ast::Ident,
    ) -> Option<(Ty, FieldRef)> {
        if self.is_broken(&format!("{}.{}", object.name, field.name)) {
            return None;
        }
        let (fixed, extras, what): (Vec<&str>, &[ir::ExtraField], &str) = match object.name.as_str()
        {
            "claim" => (
                CLAIM_FIELDS.iter().map(|f| f.0).collect(),
                &self.prog.claim_extras,
                "claim",
            ),
            "institution" => (
                INST_FIELDS.iter().map(|f| f.0).collect(),
                &self.prog.inst_extras,
                "institution",
            ),
            // A settle block or other name whose declaration was refused.
            other if self.broken.contains_key(other) => return None,
            other => {
                let d = Diagnostic::error(format!("unknown record `{other}`"))
                    .at(object.span)
                    .label("not a record")
                    .help("fields belong to `claim` or `institution`, e.g. `claim.total_cost`");
                self.error(d);
                return None;
            }
        };
        if what == "claim" {
            if let Some((_, f, t)) = CLAIM_FIELDS.iter().find(|f| f.0 == field.name) {
                return Some((*t, FieldRef::Claim(*f)));
            }
        } else if let Some((_, f, t)) = INST_FIELDS.iter().find(|f| f.0 == field.name) {
            return Some((*t, FieldRef::Inst(*f)));
        }
        if let Some(i) = extras.iter().position(|e| e.name == field.name) {
            let ty = extras[i].ty;
            return Some((
                ty,
                if what == "claim" {
                    FieldRef::ClaimExtra(slot(i))
                } else {
                    FieldRef::InstExtra(slot(i))
                },
            ));
        }
        let names: Vec<&str> = fixed
            .iter()
            .copied()
            .chain(extras.iter().map(|e| e.name.as_str()))
            .collect();
        let mut d = Diagnostic::error(format!("unknown {what} field `{}`", field.name))
            .at(field.span)
            .label("no such field");
        d = match suggest(&field.name, names) {
            Some(s) => d.help(format!("did you mean `{s}`? (a column beyond the data contract is declared with `field {what}.{}: text`)", field.name)),
            None => d.help(format!("a column beyond the data contract is declared with `field {what}.{}: text`", field.name)),
        };
        self.error(d);
        None
    }

    pub(super) fn schedule(&mut self, s: &ast::ScheduleDecl) {
        self.refuse(&s.name);
        let kind = match &s.kind {
            None => {
                self.error(
                    Diagnostic::error(format!("schedule `{}` does not say how its segments apply", s.name.name))
                        .at(s.name.span)
                        .label("marginal or whole?")
                        .help("write `schedule NAME: marginal { ... }` (超额累进, each rate on the part inside its segment) or `: whole { ... }` (全额, one rate on the whole amount)"),
                );
                None
            }
            Some(k) => match k.name.as_str() {
                "marginal" | "超额累进" => Some(ScheduleKind::Marginal),
                "whole" | "全额" => Some(ScheduleKind::Whole),
                other => {
                    let mut d =
                        Diagnostic::error(format!("unknown schedule kind `{other}`")).at(k.span);
                    d = match suggest(other, ["marginal", "whole"]) {
                        Some(x) => d.help(format!("did you mean `{x}`?")),
                        None => d.help("a schedule is `marginal` (超额累进) or `whole` (全额)"),
                    };
                    self.error(d);
                    None
                }
            },
        };
        if s.segments.is_empty() {
            self.error(
                Diagnostic::error(format!("schedule `{}` has no segments", s.name.name))
                    .at(s.name.span),
            );
            return;
        }
        let mut input = Ty::Number;
        let mut segs: Vec<(
            rust_decimal::Decimal,
            Option<rust_decimal::Decimal>,
            rust_decimal::Decimal,
        )> = Vec::new();
        let mut ok = true;
        for (i, seg) in s.segments.iter().enumerate() {
            let mut bound = |lit: &ast::Literal,
                             c: &mut Checker|
             -> Option<rust_decimal::Decimal> {
                let t = literal::literal_type(lit);
                match t.and_then(|t| input.unify(t)) {
                    Some(u) if u.is_numeric() => {
                        input = u;
                        literal::number(lit)
                    }
                    _ => {
                        c.error(
                            Diagnostic::error(format!(
                                "segment bounds must all be the same kind of number; found {}",
                                t.map_or("a non-number".into(), Ty::article)
                            ))
                            .at(lit.span)
                            .help("write every bound in the same unit, e.g. `1.5万元 .. 6.5万元`"),
                        );
                        None
                    }
                }
            };
            let from = bound(&seg.from, self);
            let to = match &seg.to {
                Some(t) => bound(t, self).map(Some),
                None if i + 1 == s.segments.len() => Some(None),
                None => {
                    self.error(
                        Diagnostic::error("only the last segment may be open-ended")
                            .at(seg.span)
                            .help("give this segment an upper bound: `a .. b: rate`"),
                    );
                    None
                }
            };
            let rate = match literal_value(&seg.rate, Ty::Ratio, &s.name.name) {
                Ok(ParamValue::Num(r)) => Some(r),
                Ok(_) => None,
                Err(d) => {
                    self.error(d);
                    None
                }
            };
            let (Some(from), Some(to), Some(rate)) = (from, to, rate) else {
                ok = false;
                continue;
            };
            if let Some(t) = to {
                if t <= from {
                    self.error(
                        Diagnostic::error(format!(
                            "segment ends at {t}, not above its start {from}"
                        ))
                        .at(seg.span),
                    );
                    ok = false;
                }
            }
            if let Some((_, prev_to, _)) = segs.last() {
                if *prev_to != Some(from) {
                    let prev = prev_to.map_or("∞".to_string(), |p: rust_decimal::Decimal| {
                        p.normalize().to_string()
                    });
                    self.error(
                        Diagnostic::error(format!(
                            "segment starts at {}, but the previous one ends at {prev}",
                            from.normalize()
                        ))
                        .at(seg.from.span)
                        .label("gap or overlap")
                        .help("segments must follow one another without gaps or overlaps"),
                    );
                    ok = false;
                }
            }
            segs.push((from, to, rate));
        }
        if let (true, Some(kind)) = (ok, kind) {
            let i = slot(self.prog.schedules.len());
            self.broken.remove(&s.name.name);
            let sig = format!("a schedule over {input}");
            self.declare(&s.name, s.in_force.as_ref(), i, sig, Global::Schedule);
            self.prog.schedules.push(ir::Schedule {
                name: s.name.name.clone(),
                in_force: s.in_force.as_ref().map(Period::from),
                cite: s.cite.as_ref().map(|c| c.value.clone()),
                kind,
                segments: segs,
                segment_spans: s.segments.iter().map(|g| g.span).collect(),
                input,
                span: s.name.span,
            });
        }
    }

    pub(super) fn accumulator(&mut self, a: &ast::AccumulatorDecl) {
        self.refuse(&a.name);
        let ty = self.ty(&a.ty, false);
        let choice = ty.and_then(|t| t.1);
        let ty = ty.map(|t| t.0);
        let scope: Vec<&str> = a.scope.iter().map(|s| s.name.as_str()).collect();
        let acc_scope = match scope.as_slice() {
            ["patient", "year"] | ["year", "patient"] => ir::AccScope::PatientYear,
            ["patient"] => ir::AccScope::Patient,
            _ => {
                let span = a.scope.first().map_or(a.name.span, |f| {
                    a.scope.iter().fold(f.span, |s, x| s.to(x.span))
                });
                self.error(
                    Diagnostic::error(format!(
                        "unsupported accumulator scope `per {}`",
                        scope.join(" per ")
                    ))
                    .at(span)
                    .help("accumulators are kept `per patient per year` (the year of discharge_date) or `per patient` (the whole run)"),
                );
                return;
            }
        };
        let Some(ty) = ty else { return };
        if matches!(ty, Ty::Enum(_) | Ty::Number) {
            return;
        }
        let default = match &a.default {
            None => None,
            Some(lit) => match self.value_of(lit, ty, choice, &a.name.name) {
                Some(v) => Some(v),
                None => return,
            },
        };
        let i = slot(self.prog.accumulators.len());
        self.broken.remove(&a.name.name);
        self.define(&a.name, Global::Acc(i, ty));
        self.prog.accumulators.push(ir::Accumulator {
            name: a.name.name.clone(),
            ty,
            scope: acc_scope,
            default,
            choice,
            span: a.name.span,
        });
    }

    pub(super) fn field(&mut self, f: &ast::FieldDecl) {
        // Refused declarations keep their column known: `claim.ward` is then
        // not reported again as an unknown field.
        let key = format!("{}.{}", f.object.name, f.field.name);
        let Some((ty, choice)) = self.ty(&f.ty, false) else {
            self.broken.entry(key).or_insert(f.field.span);
            return;
        };
        let values = choice
            .and_then(|id| self.enumeration(id))
            .map(|e| e.values.clone());
        let (fixed, extras): (Vec<&str>, &mut Vec<ir::ExtraField>) = match f.object.name.as_str() {
            "claim" => (
                CLAIM_FIELDS.iter().map(|x| x.0).collect(),
                &mut self.prog.claim_extras,
            ),
            "institution" => (
                INST_FIELDS.iter().map(|x| x.0).collect(),
                &mut self.prog.inst_extras,
            ),
            other => {
                let d = Diagnostic::error(format!("unknown record `{other}`"))
                    .at(f.object.span)
                    .help("extra columns belong to `claim` or `institution`");
                self.error(d);
                self.broken.entry(key).or_insert(f.field.span);
                return;
            }
        };
        if fixed.contains(&f.field.name.as_str()) {
            let d = Diagnostic::error(format!(
                "`{}.{}` is already a column of the data contract",
                f.object.name, f.field.name
            ))
            .at(f.field.span)
            .help("remove this declaration");
            self.error(d);
            return;
        }
        if extras.iter().any(|e| e.name == f.field.name) {
            let d = Diagnostic::error(format!(
                "`{}.{}` is declared twice",
                f.object.name, f.field.name
            ))
            .at(f.field.span);
            self.error(d);
            return;
        }
        extras.push(ir::ExtraField {
            name: f.field.name.clone(),
            ty,
            values,
            choice,
            span: f.field.span,
        });
    }
}

fn dense_index(key: &[KeyValue], sizes: &[usize]) -> usize {
    key.iter().zip(sizes).fold(0, |acc, (k, &n)| {
        acc * n
            + if let KeyValue::Code(c) = k {
                *c as usize
            } else {
                0
            }
    })
}

fn describe_key(mut i: usize, dims: &[Dim], sizes: &[usize], enums: &[ir::Enumeration]) -> String {
    let mut parts = vec![String::new(); dims.len()];
    for d in (0..dims.len()).rev() {
        let code = i % sizes[d];
        i /= sizes[d];
        parts[d] = match dims[d] {
            Dim::Enum(k) => format!(
                "\"{}\"",
                EnumKind::name_of(k, u8::try_from(code).unwrap_or(0))
            ),
            Dim::Bool => (code == 1).to_string(),
            d @ Dim::Choice { .. } => format!("\"{}\"", d.code_name(code, enums)),
            _ => "?".into(),
        };
    }
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(", "))
    }
}
