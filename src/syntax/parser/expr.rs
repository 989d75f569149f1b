//! Expressions, built in loops so that chains never deepen the stack.

use super::*;

pub(super) fn expr(p: Node) -> Result<Expr, Diagnostic> {
    deep(p).map(|(e, _)| e)
}

/// One level deeper than `depth`, or the error that says the expression at
/// `at` is too deep (see [`MAX_DEPTH`]).
pub(super) fn level(depth: usize, at: Span) -> Result<usize, Diagnostic> {
    if depth >= MAX_DEPTH {
        return Err(Diagnostic::error(format!(
            "expression nested deeper than {MAX_DEPTH} levels"
        ))
        .at(at)
        .label("too deep")
        .help("each operator, call, `round`, `-`, `not` and `if` is a level; split the expression into named steps with `let`"));
    }
    Ok(depth + 1)
}

/// Descends, in a loop, through the precedence levels that hold a single
/// operand (`expr` → `or_expr` → … → `unary` → `paren`): most of the grammar's
/// nodes, which would otherwise each cost a recursion.
pub(super) fn through_single(mut p: Node) -> Node {
    loop {
        let passes = matches!(
            p.as_rule(),
            Rule::expr
                | Rule::or_expr
                | Rule::and_expr
                | Rule::not_expr
                | Rule::cmp_expr
                | Rule::add_expr
                | Rule::mul_expr
                | Rule::unary
                | Rule::paren
        );
        if !passes {
            return p;
        }
        let mut inner = p.clone().into_inner();
        match (inner.next(), inner.next()) {
            (Some(only), None) => p = only,
            _ => return p,
        }
    }
}

/// Expressions and the depth of the deepest.
pub(super) fn deep_all<'a>(
    nodes: impl Iterator<Item = Node<'a>>,
) -> Result<(Vec<Expr>, usize), Diagnostic> {
    let mut out = Vec::new();
    let mut depth = 0;
    for n in nodes {
        let (e, d) = deep(n)?;
        depth = depth.max(d);
        out.push(e);
    }
    Ok((out, depth))
}

/// An expression and the depth of its tree. Chains (`a + b + c`, `x round
/// round`, `- - x`, `not not c`, `else if`) are folded in loops here and the
/// grammar's recursion is bounded by [`MAX_NESTING`], so building never
/// recurses deeper than the text nests; the depth it returns bounds every later
/// pass.
pub(super) fn deep(p: Node) -> Result<(Expr, usize), Diagnostic> {
    let p = through_single(p);
    let s = span(&p);
    match p.as_rule() {
        Rule::expr => {
            let mut it = p.into_inner();
            let (mut value, mut depth) = deep(next(&mut it, s)?)?;
            for suffix in it {
                let suffix_span = span(&suffix);
                depth = level(depth, suffix_span)?;
                let mut step = None;
                let mut mode = RoundMode::HalfUp;
                for c in suffix.into_inner() {
                    match c.as_rule() {
                        Rule::literal => step = Some(literal(c)?),
                        Rule::round_mode => {
                            mode = match c.as_str() {
                                "half_even" => RoundMode::HalfEven,
                                "down" => RoundMode::Down,
                                "up" => RoundMode::Up,
                                _ => RoundMode::HalfUp,
                            }
                        }
                        _ => {}
                    }
                }
                let span = value.span.to(suffix_span);
                value = Expr {
                    kind: ExprKind::Round {
                        value: Box::new(value),
                        step,
                        mode,
                        suffix: suffix_span,
                    },
                    span,
                };
            }
            Ok((value, depth))
        }
        Rule::if_expr => {
            // if c1 then t1 (else if c_i then t_i)* else e, nested to the right.
            let mut starts = Vec::new();
            let mut parts = Vec::new();
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::kw_if => starts.push(span(&c).start),
                    Rule::expr => parts.push(c),
                    _ => {}
                }
            }
            let mut parts = parts.into_iter().rev();
            let (mut acc, mut depth) = deep(next(&mut parts, s)?)?;
            for start in starts.into_iter().rev() {
                let (then, dt) = deep(next(&mut parts, s)?)?;
                let (cond, dc) = deep(next(&mut parts, s)?)?;
                let at = Span { start, end: s.end };
                depth = level(depth.max(dt).max(dc), at)?;
                acc = Expr {
                    kind: ExprKind::If {
                        cond: Box::new(cond),
                        then: Box::new(then),
                        otherwise: Box::new(acc),
                    },
                    span: at,
                };
            }
            Ok((acc, depth))
        }
        Rule::or_expr | Rule::and_expr => {
            let is_or = p.as_rule() == Rule::or_expr;
            let (mut parts, depth) = deep_all(
                p.into_inner()
                    .filter(|c| !matches!(c.as_rule(), Rule::kw_or | Rule::kw_and)),
            )?;
            if parts.len() == 1 {
                return parts
                    .pop()
                    .map(|e| (e, depth))
                    .ok_or_else(|| Diagnostic::error("internal parser error").at(s));
            }
            let kind = if is_or {
                ExprKind::Or(parts)
            } else {
                ExprKind::And(parts)
            };
            Ok((Expr { kind, span: s }, level(depth, s)?))
        }
        Rule::not_expr | Rule::unary => {
            // `not`* then a comparison, or `-`* then a primary: prefixes fold inside out.
            let mut prefixes = Vec::new();
            let mut operand = None;
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::kw_not => prefixes.push((span(&c).start, true)),
                    Rule::neg => prefixes.push((span(&c).start, false)),
                    _ => operand = Some(c),
                }
            }
            let operand =
                operand.ok_or_else(|| Diagnostic::error("internal parser error").at(s))?;
            let (mut acc, mut depth) = deep(operand)?;
            for (start, is_not) in prefixes.into_iter().rev() {
                let at = Span { start, end: s.end };
                depth = level(depth, at)?;
                let inner = Box::new(acc);
                acc = Expr {
                    kind: if is_not {
                        ExprKind::Not(inner)
                    } else {
                        ExprKind::Neg(inner)
                    },
                    span: at,
                };
            }
            Ok((acc, depth))
        }
        Rule::cmp_expr => {
            let mut it = p.into_inner();
            let (lhs, dl) = deep(next(&mut it, s)?)?;
            let Some(op) = it.next() else {
                return Ok((lhs, dl));
            };
            if op.as_rule() == Rule::kw_in {
                let list_node = next(&mut it, s)?;
                let ls = span(&list_node);
                let args_node = next(&mut list_node.into_inner(), ls)?;
                let (list, dr) = deep_all(args_node.into_inner())?;
                let e = Expr {
                    kind: ExprKind::In {
                        value: Box::new(lhs),
                        list,
                    },
                    span: s,
                };
                return Ok((e, level(dl.max(dr), s)?));
            }
            let op_span = span(&op);
            let cmp = match op.as_str() {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<=" => CmpOp::Le,
                ">=" => CmpOp::Ge,
                "<" => CmpOp::Lt,
                _ => CmpOp::Gt,
            };
            let (rhs, dr) = deep(next(&mut it, s)?)?;
            let e = Expr {
                kind: ExprKind::Cmp {
                    op: cmp,
                    op_span,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span: s,
            };
            Ok((e, level(dl.max(dr), op_span)?))
        }
        Rule::add_expr | Rule::mul_expr => {
            let mut it = p.into_inner();
            // The operands' own text, parentheses included: `a - (b round)`
            // spans to its `)`, though the inner expression does not.
            let first = next(&mut it, s)?;
            let mut whole = span(&first);
            let (mut lhs, mut depth) = deep(first)?;
            while let Some(op) = it.next() {
                let op_span = span(&op);
                let bin = match op.as_str() {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    _ => BinOp::Div,
                };
                let right = next(&mut it, s)?;
                whole = whole.to(span(&right));
                let (rhs, dr) = deep(right)?;
                depth = level(depth.max(dr), op_span)?;
                let span = whole;
                lhs = Expr {
                    kind: ExprKind::Binary {
                        op: bin,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                };
            }
            Ok((lhs, depth))
        }
        Rule::paren => deep(next(&mut p.into_inner(), s)?),
        Rule::call | Rule::lookup => {
            let is_call = p.as_rule() == Rule::call;
            let mut it = p.into_inner();
            let name = ident(next(&mut it, s)?);
            let (args, da) = deep_all(next(&mut it, s)?.into_inner())?;
            let (filter, df) = match it.find(|c| c.as_rule() == Rule::expr) {
                Some(f) => {
                    let (e, d) = deep(f)?;
                    (Some(Box::new(e)), d)
                }
                None => (None, 0),
            };
            let kind = if is_call {
                ExprKind::Call {
                    func: name,
                    args,
                    filter,
                }
            } else {
                ExprKind::Lookup { table: name, args }
            };
            Ok((Expr { kind, span: s }, level(da.max(df), s)?))
        }
        Rule::path => {
            let mut it = p.into_inner();
            let e = Expr {
                kind: ExprKind::Field {
                    object: ident(next(&mut it, s)?),
                    field: ident(next(&mut it, s)?),
                },
                span: s,
            };
            Ok((e, 1))
        }
        Rule::name => Ok((
            Expr {
                kind: ExprKind::Name(ident(next(&mut p.into_inner(), s)?)),
                span: s,
            },
            1,
        )),
        Rule::date | Rule::quantity | Rule::string => Ok((
            Expr {
                kind: ExprKind::Lit(literal(p)?),
                span: s,
            },
            1,
        )),
        Rule::boolean => Ok((
            Expr {
                kind: ExprKind::Lit(Literal {
                    kind: LitKind::Bool(boolean(&p)),
                    span: s,
                }),
                span: s,
            },
            1,
        )),
        _ => Err(bad(&p, "expression")),
    }
}
