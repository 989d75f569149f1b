use super::*;

fn parse(text: &str) -> Result<Policy, Diagnostic> {
    parse_policy(&SourceFile::new("t.policy", text))
}

#[test]
fn precedence_and_round_suffix() {
    let p = parse("let x = 1 + 2 * 3 round").map_err(|d| d.message);
    let Ok(Policy { items }) = p else {
        panic!("{p:?}")
    };
    let Item::Let(l) = &items[0] else { panic!() };
    let ExprKind::Round { value, .. } = &l.value.kind else {
        panic!("{:?}", l.value)
    };
    let ExprKind::Binary {
        op: BinOp::Add,
        rhs,
        ..
    } = &value.kind
    else {
        panic!()
    };
    assert!(matches!(rhs.kind, ExprKind::Binary { op: BinOp::Mul, .. }));
}

#[test]
fn units_scale_values() {
    let lit = |s: &str| parse_literal(s).map(|l| l.kind);
    assert_eq!(
        lit("1.5万元"),
        Ok(LitKind::Number {
            value: Decimal::from(15_000),
            unit: Some(Unit::WanYuan)
        })
    );
    assert_eq!(
        lit("95%"),
        Ok(LitKind::Number {
            value: Decimal::new(95, 2),
            unit: Some(Unit::Percent)
        })
    );
    assert!(lit("95%x").is_err());
}

#[test]
fn spans_do_not_affect_equality() {
    let a = parse("param a: money = 1");
    let b = parse("param   a :money=\n  1 // same");
    assert!(a.is_ok());
    assert_eq!(a, b);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("let x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = parse(&text).err().map(|d| d.message);
    assert_eq!(e.as_deref(), Some("nesting deeper than 64 levels"));
}

/// Every way to build a deep tree ends in a diagnostic at the token that
/// crosses the limit, never a stack overflow (this runs on a test thread's
/// 2 MiB stack, in debug builds too).
#[test]
fn deep_chains_are_an_error_not_a_crash() {
    let pay = |e: String| format!("layer fund_paid {{ rule r {{ pay {e} }} }}");
    let deep = format!("expression nested deeper than {MAX_DEPTH} levels");
    let nest = format!("nesting deeper than {MAX_NESTING} levels");
    let cases = [
        (pay(format!("{}1", "-".repeat(100_000))), &deep),
        (
            pay(format!("if {} true then 1 else 0", "not ".repeat(100_000))),
            &deep,
        ),
        (pay(format!("{}1", "1 + ".repeat(200_000))), &deep),
        (pay(format!("1{}", " round".repeat(100_000))), &deep),
        (
            pay(format!(
                "{}1{}",
                "if true then ".repeat(10_000),
                " else 0".repeat(10_000)
            )),
            &nest,
        ),
        (
            pay(format!("{}1", "if true then 1 else ".repeat(10_000))),
            &deep,
        ),
        (
            pay(format!("{}1{}", "max(".repeat(10_000), ")".repeat(10_000))),
            &nest,
        ),
        (
            pay(format!("{}1{}", "t[".repeat(10_000), "]".repeat(10_000))),
            &nest,
        ),
        (
            format!("table t: money by text = {}", "{".repeat(10_000)),
            &nest,
        ),
    ];
    for (text, want) in cases {
        let e = parse(&text).err().map(|d| d.message);
        assert_eq!(e.as_deref(), Some(want.as_str()), "{}", &text[..60]);
    }
}

#[test]
fn the_depth_error_points_at_the_operator_that_crosses_the_limit() {
    let text = format!("let x = {}1", "1 + ".repeat(1_000));
    let d = parse(&text).unwrap_err();
    let f = SourceFile::new("t.policy", text.as_str());
    // `1` is one level and each `+` one more: the 256th `+` makes 257.
    let col = "let x = ".len() + 4 * (MAX_DEPTH - 1) + 3;
    assert_eq!(f.line_col(d.span.map_or(0, |s| s.start as usize)), (1, col));
    assert_eq!(f.slice(d.span.unwrap()), "+");
}

#[test]
fn trees_up_to_the_limit_parse() {
    // 255 `+` and the leaf: 256 levels exactly.
    let text = format!("let x = {}1", "1 + ".repeat(MAX_DEPTH - 1));
    assert!(parse(&text).is_ok());
    let text = format!("let x = {}1", "-".repeat(MAX_DEPTH - 1));
    assert!(parse(&text).is_ok());
    let text = format!(
        "let x = {}1{}",
        "(".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn else_if_chains_nest_to_the_right() {
    let a = parse("let x = if a then 1 else if b then 2 else if c then 3 else 4");
    let b = parse("let x = if a then 1 else (if b then 2 else (if c then 3 else 4))");
    assert!(a.is_ok());
    assert_eq!(a, b);
    let a = parse("let x = not not - - 1 > 0");
    let b = parse("let x = not (not ((-(-1)) > 0))");
    assert!(a.is_ok());
    assert_eq!(a, b);
}

#[test]
fn strings_and_comments_do_not_count_as_nesting() {
    let text = format!(
        "notice \"{}\" // {}\nmeta m \"say \\\" ((( if\"",
        "(".repeat(1_000),
        "if (".repeat(1_000)
    );
    assert!(
        parse(&text).is_ok(),
        "{:?}",
        parse(&text).err().map(|d| d.message)
    );
}

#[test]
fn full_width_punctuation_gets_a_hint() {
    let e = parse("param a： money = 1").err();
    assert!(e
        .and_then(|d| d.help)
        .is_some_and(|h| h.contains("`：` is full-width")));
}
