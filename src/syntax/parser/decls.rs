//! Declarations and statements: one function per grammar rule.

use super::*;

pub(super) fn policy(p: Node) -> Result<Policy, Diagnostic> {
    let mut items = Vec::new();
    for item in p.into_inner() {
        items.push(match item.as_rule() {
            Rule::region_decl => region_decl(item)?,
            Rule::notice_decl => {
                let s = span(&item);
                Item::Notice(string(next(&mut item.into_inner().skip(1), s)?)?)
            }
            Rule::meta_decl => {
                let s = span(&item);
                let mut it = item.into_inner().skip(1);
                Item::Meta {
                    key: ident(next(&mut it, s)?),
                    value: string(next(&mut it, s)?)?,
                }
            }
            Rule::param_decl => Item::Param(param_decl(item)?),
            Rule::table_decl => Item::Table(table_decl(item)?),
            Rule::schedule_decl => Item::Schedule(schedule_decl(item)?),
            Rule::accumulator_decl => Item::Accumulator(accumulator_decl(item)?),
            Rule::field_decl => Item::Field(field_decl(item)?),
            Rule::output_decl => Item::Output(output_decl(item)?),
            Rule::let_decl => Item::Let(let_decl(item)?),
            Rule::layer_decl => Item::Layer(layer_decl(item)?),
            Rule::ledger_decl => Item::Ledger(output_decl(item)?),
            Rule::settle_decl => Item::Settle(settle_decl(item)?),
            Rule::fee_decl => Item::Fee(layer_decl(item)?),
            Rule::enum_decl => Item::Enum(enum_decl(item)?),
            Rule::contribute_decl => Item::Contribute(contribute_decl(item)?),
            Rule::agreement_decl => Item::Agreement(agreement_decl(item)?),
            Rule::EOI => break,
            _ => return Err(bad(&item, "item")),
        });
    }
    Ok(Policy { items })
}

pub(super) fn region_decl(p: Node) -> Result<Item, Diagnostic> {
    let s = span(&p);
    let mut name = None;
    let mut code = None;
    for c in p.into_inner() {
        if c.as_rule() == Rule::string {
            if name.is_none() {
                name = Some(string(c)?);
            } else {
                code = Some(string(c)?);
            }
        }
    }
    let name =
        name.ok_or_else(|| Diagnostic::error("internal parser error: region without name").at(s))?;
    Ok(Item::Region {
        name,
        code,
        span: s,
    })
}

pub(super) fn ident(p: Node) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(&p),
    }
}

pub(super) fn string(p: Node) -> Result<Text, Diagnostic> {
    let s = span(&p);
    let inner = next(&mut p.into_inner(), s)?;
    let value = inner.as_str().replace("\\\"", "\"").replace("\\\\", "\\");
    Ok(Text { value, span: s })
}

pub(super) fn param_decl(p: Node) -> Result<ParamDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    ParamDecl {
        name: ident(next(&mut it, s)?),
        ty: ident(next(&mut it, s)?),
        value: literal(next(&mut it, s)?)?,
        in_force: None,
        cite: None,
    }
    .with_tail(it)
}

impl ParamDecl {
    /// Reads the optional `from … until …` and `cite "…"` after the value.
    fn with_tail<'i>(
        mut self,
        it: impl Iterator<Item = Node<'i>>,
    ) -> Result<ParamDecl, Diagnostic> {
        for c in it {
            match c.as_rule() {
                Rule::in_force => self.in_force = Some(in_force(c)?),
                Rule::cite => self.cite = Some(cite(c)?),
                _ => return Err(bad(&c, "parameter part")),
            }
        }
        Ok(self)
    }
}

/// `cite "第十二条"`
pub(super) fn cite(p: Node) -> Result<Text, Diagnostic> {
    let s = span(&p);
    string(next(&mut p.into_inner().skip(1), s)?)
}

pub(super) fn in_force(p: Node) -> Result<InForce, Diagnostic> {
    let s = span(&p);
    let mut dates = p.into_inner().filter(|c| c.as_rule() == Rule::date);
    let day = |n: Node| -> Result<Date, Diagnostic> {
        match date(n)?.kind {
            LitKind::Date(d) => Ok(d),
            _ => Err(Diagnostic::error("internal parser error: date").at(s)),
        }
    };
    let from = day(next(&mut dates, s)?)?;
    let until = dates.next().map(day).transpose()?;
    Ok(InForce {
        from,
        until,
        span: s,
    })
}

pub(super) fn contribute_decl(p: Node) -> Result<ContributeDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let mut title = None;
    let mut when = None;
    let mut force = None;
    let mut cited = None;
    let mut body = Vec::new();
    for c in it {
        match c.as_rule() {
            Rule::cite => cited = Some(cite(c)?),
            Rule::string => title = Some(string(c)?),
            Rule::contribute_when => {
                let cs = span(&c);
                let mut w = c.into_inner();
                let at = next(&mut w, cs)?.as_rule() == Rule::kw_at;
                when = Some((at, ident(next(&mut w, cs)?)));
            }
            Rule::in_force => force = Some(in_force(c)?),
            _ => body.push(stmt(c)?),
        }
    }
    let (at, when) = when.ok_or_else(|| {
        Diagnostic::error("internal: a contribute block without `per` or `at`").at(s)
    })?;
    Ok(ContributeDecl {
        name,
        title,
        at,
        when,
        in_force: force,
        cite: cited,
        body,
        span: s,
    })
}

pub(super) fn agreement_decl(p: Node) -> Result<AgreementDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let (mut title, mut force, mut cited, mut body) = (None, None, None, Vec::new());
    for c in it {
        match c.as_rule() {
            Rule::cite => cited = Some(cite(c)?),
            Rule::string => title = Some(string(c)?),
            Rule::in_force => force = Some(in_force(c)?),
            _ => body.push(stmt(c)?),
        }
    }
    Ok(AgreementDecl {
        name,
        title,
        in_force: force,
        cite: cited,
        body,
        span: s,
    })
}

pub(super) fn settle_decl(p: Node) -> Result<SettleDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let mut title = None;
    let mut scope = Vec::new();
    let mut force = None;
    let mut cited = None;
    let mut body = Vec::new();
    for c in it {
        match c.as_rule() {
            Rule::cite => cited = Some(cite(c)?),
            Rule::string => title = Some(string(c)?),
            Rule::scope => {
                scope = c
                    .into_inner()
                    .filter(|x| x.as_rule() == Rule::scope_word)
                    .map(ident)
                    .collect()
            }
            Rule::in_force => force = Some(in_force(c)?),
            _ => body.push(stmt(c)?),
        }
    }
    Ok(SettleDecl {
        name,
        title,
        scope,
        in_force: force,
        cite: cited,
        body,
        span: s,
    })
}

pub(super) fn literal(p: Node) -> Result<Literal, Diagnostic> {
    let s = span(&p);
    let inner = if p.as_rule() == Rule::literal {
        next(&mut p.into_inner(), s)?
    } else {
        p
    };
    match inner.as_rule() {
        Rule::date => date(inner),
        Rule::quantity => quantity(inner),
        Rule::string => {
            let t = string(inner)?;
            Ok(Literal {
                kind: LitKind::Text(t.value),
                span: s,
            })
        }
        Rule::boolean => Ok(Literal {
            kind: LitKind::Bool(boolean(&inner)),
            span: s,
        }),
        Rule::neg_literal => {
            let q = quantity(next(&mut inner.into_inner(), s)?)?;
            match q.kind {
                LitKind::Number { value, unit } => Ok(Literal {
                    kind: LitKind::Number {
                        value: -value,
                        unit,
                    },
                    span: s,
                }),
                _ => Err(Diagnostic::error("internal parser error: negative non-number").at(s)),
            }
        }
        _ => Err(bad(&inner, "literal")),
    }
}

pub(super) fn boolean(p: &Node) -> bool {
    p.as_str() == "true"
}

pub(super) fn date(p: Node) -> Result<Literal, Diagnostic> {
    let s = span(&p);
    let d = Date::parse(p.as_str().as_bytes()).ok_or_else(|| {
        Diagnostic::error(format!("`{}` is not a calendar date", p.as_str()))
            .at(s)
            .label("no such day")
            .help("dates are written YYYY-MM-DD, e.g. `2025-01-01`")
    })?;
    Ok(Literal {
        kind: LitKind::Date(d),
        span: s,
    })
}

pub(super) fn quantity(p: Node) -> Result<Literal, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner();
    let num = next(&mut it, s)?;
    let digits = num.as_str().replace('_', "");
    let value = Decimal::from_str(&digits).map_err(|_| {
        Diagnostic::error(format!(
            "`{}` is too large or too precise for a number",
            num.as_str()
        ))
        .at(s)
        .help("numbers may have at most 28 significant digits")
    })?;
    let unit = it.next().map(|u| match u.as_str() {
        "万元" => Unit::WanYuan,
        "元" => Unit::Yuan,
        "%" => Unit::Percent,
        "天" => Unit::Days,
        _ => Unit::Months,
    });
    let scaled = match unit {
        Some(Unit::WanYuan) => value.checked_mul(Decimal::from(10_000)),
        Some(Unit::Percent) => value.checked_div(Decimal::from(100)),
        _ => Some(value),
    }
    .ok_or_else(|| Diagnostic::error(format!("`{}` is too large", num.as_str())).at(s))?;
    Ok(Literal {
        kind: LitKind::Number {
            value: scaled,
            unit,
        },
        span: s,
    })
}

pub(super) fn table_decl(p: Node) -> Result<TableDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let ty = ident(next(&mut it, s)?);
    let _by = next(&mut it, s)?;
    let keys_node = next(&mut it, s)?;
    let mut keys = Vec::new();
    for k in keys_node.into_inner() {
        let ks = span(&k);
        let inner = next(&mut k.into_inner(), ks)?;
        keys.push(match inner.as_rule() {
            Rule::path => {
                let mut parts = inner.into_inner();
                KeyKind::Field {
                    object: ident(next(&mut parts, ks)?),
                    field: ident(next(&mut parts, ks)?),
                }
            }
            _ => KeyKind::Type(ident(inner)),
        });
    }
    let mut rows_node = next(&mut it, s)?;
    let mut force = None;
    if rows_node.as_rule() == Rule::in_force {
        force = Some(in_force(rows_node)?);
        rows_node = next(&mut it, s)?;
    }
    let mut cited = None;
    if rows_node.as_rule() == Rule::cite {
        cited = Some(cite(rows_node)?);
        rows_node = next(&mut it, s)?;
    }
    let mut rows = Vec::new();
    for row in rows_node.into_inner() {
        rows.push(table_row(row)?);
    }
    Ok(TableDecl {
        name,
        ty,
        keys,
        rows,
        in_force: force,
        cite: cited,
        span: s,
    })
}

pub(super) fn table_row(p: Node) -> Result<TableRow, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner();
    let k = next(&mut it, s)?;
    let key = match k.as_rule() {
        Rule::kw_else => None,
        Rule::key_tuple => Some(
            k.into_inner()
                .map(key_atom)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => Some(vec![key_atom(k)?]),
    };
    let value = literal(next(&mut it, s)?)?;
    Ok(TableRow {
        key,
        value,
        span: s,
    })
}

pub(super) fn key_atom(p: Node) -> Result<Literal, Diagnostic> {
    let s = span(&p);
    literal(next(&mut p.into_inner(), s)?)
}

pub(super) fn schedule_decl(p: Node) -> Result<ScheduleDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let mut kind = None;
    let mut segments = Vec::new();
    let mut force = None;
    let mut cited = None;
    for c in it {
        match c.as_rule() {
            Rule::ident => kind = Some(ident(c)),
            Rule::in_force => force = Some(in_force(c)?),
            Rule::cite => cited = Some(cite(c)?),
            Rule::segments => {
                for seg in c.into_inner() {
                    segments.push(segment(seg)?);
                }
            }
            _ => return Err(bad(&c, "schedule part")),
        }
    }
    Ok(ScheduleDecl {
        name,
        kind,
        segments,
        in_force: force,
        cite: cited,
        span: s,
    })
}

pub(super) fn segment(p: Node) -> Result<Segment, Diagnostic> {
    let s = span(&p);
    let lits = p.into_inner().map(literal).collect::<Result<Vec<_>, _>>()?;
    let mut lits = lits.into_iter();
    match (lits.next(), lits.next(), lits.next()) {
        (Some(from), Some(to), Some(rate)) => Ok(Segment {
            from,
            to: Some(to),
            rate,
            span: s,
        }),
        (Some(from), Some(rate), None) => Ok(Segment {
            from,
            to: None,
            rate,
            span: s,
        }),
        _ => Err(Diagnostic::error("internal parser error: segment").at(s)),
    }
}

pub(super) fn accumulator_decl(p: Node) -> Result<AccumulatorDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let ty = ident(next(&mut it, s)?);
    let scope = next(&mut it, s)?
        .into_inner()
        .filter(|c| c.as_rule() == Rule::scope_word)
        .map(ident)
        .collect();
    let default = match it.next() {
        Some(d) => Some(literal(next(&mut d.into_inner().skip(1), s)?)?),
        None => None,
    };
    Ok(AccumulatorDecl {
        name,
        ty,
        scope,
        default,
    })
}

pub(super) fn field_decl(p: Node) -> Result<FieldDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let path = next(&mut it, s)?;
    let ps = span(&path);
    let mut parts = path.into_inner();
    Ok(FieldDecl {
        object: ident(next(&mut parts, ps)?),
        field: ident(next(&mut parts, ps)?),
        ty: ident(next(&mut it, s)?),
    })
}

pub(super) fn enum_decl(p: Node) -> Result<EnumDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let values = it.map(string).collect::<Result<Vec<_>, _>>()?;
    Ok(EnumDecl {
        name,
        values,
        span: s,
    })
}

pub(super) fn output_decl(p: Node) -> Result<OutputDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let mut o = OutputDecl {
        name: ident(next(&mut it, s)?),
        ty: ident(next(&mut it, s)?),
        default: None,
        value: None,
    };
    for c in it {
        match c.as_rule() {
            Rule::default_value => {
                let cs = span(&c);
                o.default = Some(literal(next(&mut c.into_inner().skip(1), cs)?)?);
            }
            Rule::expr => o.value = Some(expr(c)?),
            _ => return Err(bad(&c, "output part")),
        }
    }
    Ok(o)
}

pub(super) fn let_decl(p: Node) -> Result<LetDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    Ok(LetDecl {
        name: ident(next(&mut it, s)?),
        value: expr(next(&mut it, s)?)?,
    })
}

pub(super) fn layer_decl(p: Node) -> Result<LayerDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let mut source = None;
    let mut rules = Vec::new();
    for c in it {
        match c.as_rule() {
            Rule::string => source = Some(string(c)?),
            Rule::rule_decl => rules.push(rule_decl(c)?),
            _ => return Err(bad(&c, "layer or fee part")),
        }
    }
    Ok(LayerDecl {
        name,
        source,
        rules,
    })
}

pub(super) fn rule_decl(p: Node) -> Result<RuleDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let mut when = None;
    let mut force = None;
    let mut cited = None;
    let mut body = Vec::new();
    for c in it {
        match c.as_rule() {
            Rule::kw_when => {}
            Rule::cite => cited = Some(cite(c)?),
            Rule::in_force => force = Some(in_force(c)?),
            Rule::expr => when = Some(expr(c)?),
            _ => body.push(stmt(c)?),
        }
    }
    Ok(RuleDecl {
        name,
        in_force: force,
        cite: cited,
        when,
        body,
        span: s,
    })
}

/// A statement of a rule or a settle block.
pub(super) fn stmt(c: Node) -> Result<Stmt, Diagnostic> {
    let cs = span(&c);
    Ok(match c.as_rule() {
        Rule::let_decl => Stmt::Let(let_decl(c)?),
        Rule::pay_stmt => Stmt::Pay {
            value: expr(next(&mut c.into_inner().skip(1), cs)?)?,
            span: cs,
        },
        Rule::acc_add => {
            let mut parts = c.into_inner();
            Stmt::AccAdd {
                acc: ident(next(&mut parts, cs)?),
                value: expr(next(&mut parts, cs)?)?,
            }
        }
        Rule::output_set => {
            let mut parts = c.into_inner();
            Stmt::OutputSet {
                output: ident(next(&mut parts, cs)?),
                value: expr(next(&mut parts, cs)?)?,
            }
        }
        _ => return Err(bad(&c, "statement")),
    })
}
