//! Text → AST. One function per grammar rule, named after the rule; pest's
//! own error messages are turned into words a policy author can act on.

use super::ast::*;
use crate::date::Date;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use pest::iterators::Pair;
use pest::Parser as _;
use pest_derive::Parser;
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Parser)]
#[grammar = "../grammar/policy.pest"]
struct PolicyParser;

/// Deepest nesting of `(`, `[`, `{` and `if` a policy may use. The parser
/// recurses once per level, so this bound keeps any input from overflowing its
/// stack (prefix `-` and `not`, operator chains and `else if` repeat instead).
pub const MAX_NESTING: usize = 64;

/// Deepest expression tree a policy may build: each operator, call, `round`,
/// prefix `-`, `not` and `if` is a level. The checker, the evaluator and
/// dropping a tree recurse once per level, so this bound (with [`MAX_NESTING`]
/// for the parser) keeps any input from overflowing the stack. Real policies
/// stay below 20.
pub const MAX_DEPTH: usize = 256;

type Node<'a> = Pair<'a, Rule>;

/// Parses a whole policy file. On failure, returns the first syntax error
/// (the grammar cannot recover past it).
pub fn parse_policy(file: &SourceFile) -> Result<Policy, Diagnostic> {
    check_nesting(&file.text)?;
    let mut pairs = parse_text(&file.text).map_err(|e| convert_error(file, e))?;
    let root = pairs
        .next()
        .ok_or_else(|| Diagnostic::error("empty parse"))?;
    policy(root)
}

/// pest's error detail (what was expected where) costs about half the parse
/// time, so a file is parsed without it, and only a file that fails is parsed
/// again with it for the message. The setting is process-wide: the lock keeps
/// parses on other threads from changing it mid-parse.
fn parse_text(text: &str) -> Result<pest::iterators::Pairs<'_, Rule>, pest::error::Error<Rule>> {
    static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = DETAIL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(false);
    PolicyParser::parse(Rule::policy, text).or_else(|_| {
        pest::set_error_detail(true);
        let detailed = PolicyParser::parse(Rule::policy, text);
        pest::set_error_detail(false);
        detailed
    })
}

/// Parses one literal, as written after `--set name=`.
pub fn parse_literal(text: &str) -> Result<Literal, String> {
    let mut pairs = PolicyParser::parse(Rule::literal, text.trim()).map_err(|_| {
        format!("`{text}` is not a value; write a number such as `200`, `1.5万元`, `95%`, a date or \"text\"")
    })?;
    let node = pairs.next().ok_or("empty value")?;
    if node.as_str().len() != text.trim().len() {
        return Err(format!("`{text}` has extra text after the value"));
    }
    literal(node).map_err(|d| d.message)
}

/// Checks, before pest runs, that brackets and `if`s nest at most
/// [`MAX_NESTING`] deep: the grammar's only recursions. An `if` is open until
/// its `else`; strings and comments are skipped. (Unbalanced text is left to the
/// parser to report.)
fn check_nesting(text: &str) -> Result<(), Diagnostic> {
    // Per open bracket (the file itself first), the `if`s opened inside it and not yet closed.
    let mut open_ifs: Vec<usize> = vec![0];
    let mut ifs = 0usize;
    let too_deep = |at: usize, len: usize| {
        Diagnostic::error(format!("nesting deeper than {MAX_NESTING} levels"))
            .at(Span::new(at, at + len))
            .label("too deep")
            .help("brackets and `if`s count; split the expression into named steps with `let`")
    };
    let is_word = |c: char| c == '_' || c.is_alphanumeric();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                // A string: to its closing quote (or the end of the line).
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                open_ifs.push(0);
                if open_ifs.len() - 1 + ifs > MAX_NESTING {
                    return Err(too_deep(i, 1));
                }
            }
            ')' | ']' | '}' if open_ifs.len() > 1 => {
                ifs -= open_ifs.pop().unwrap_or(0);
            }
            c if is_word(c) => {
                let mut end = i + c.len_utf8();
                while let Some(&(k, c)) = chars.peek() {
                    if !is_word(c) {
                        break;
                    }
                    end = k + c.len_utf8();
                    chars.next();
                }
                let here = open_ifs.last_mut();
                match (&text[i..end], here) {
                    ("if", Some(n)) => {
                        *n += 1;
                        ifs += 1;
                        if open_ifs.len() - 1 + ifs > MAX_NESTING {
                            return Err(too_deep(i, 2));
                        }
                    }
                    ("else", Some(n)) if *n > 0 => {
                        *n -= 1;
                        ifs -= 1;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Words for the grammar's rules, as a user sees them in "expected ..." lists.
fn rule_words(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::ident | Rule::name => "a name",
        Rule::path => "a field such as `claim.total_cost`",
        Rule::quantity | Rule::number => "a number such as `200`, `1.5万元` or `95%`",
        Rule::literal | Rule::neg_literal => {
            "a value such as `200元`, `95%`, `2025-01-01` or \"text\""
        }
        Rule::string => "a text in double quotes",
        Rule::date => "a date such as `2025-01-01`",
        Rule::boolean | Rule::kw_true | Rule::kw_false => "`true` or `false`",
        Rule::expr
        | Rule::if_expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary
        | Rule::paren
        | Rule::call
        | Rule::lookup => "an expression",
        Rule::cmp_op => "a comparison (`==`, `<`, ...)",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::region_decl | Rule::kw_region => "`region`",
        Rule::notice_decl | Rule::kw_notice => "`notice`",
        Rule::meta_decl | Rule::kw_meta => "`meta`",
        Rule::param_decl | Rule::kw_param => "`param`",
        Rule::table_decl | Rule::kw_table => "`table`",
        Rule::schedule_decl | Rule::kw_schedule => "`schedule`",
        Rule::accumulator_decl | Rule::kw_accumulator => "`accumulator`",
        Rule::field_decl | Rule::kw_field => "`field`",
        Rule::output_decl | Rule::kw_output => "`output`",
        Rule::let_decl | Rule::kw_let => "`let`",
        Rule::layer_decl | Rule::kw_layer => "`layer`",
        Rule::rule_decl | Rule::kw_rule => "`rule`",
        Rule::pay_stmt | Rule::kw_pay => "`pay`",
        Rule::acc_add => "`name += ...`",
        Rule::output_set => "`name = ...`",
        Rule::in_force | Rule::kw_from => "`from YYYY-MM-DD`",
        Rule::kw_until => "`until`",
        Rule::cite | Rule::kw_cite => "`cite \"第X条\"`",
        Rule::ledger_decl | Rule::kw_ledger => "`ledger`",
        Rule::settle_decl | Rule::kw_settle => "`settle`",
        Rule::kw_code => "`code`",
        Rule::kw_by => "`by`",
        Rule::kw_per | Rule::scope => "`per`",
        Rule::scope_word => "a unit or period such as `institution` or `year`",
        Rule::kw_when => "`when`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_in => "`in`",
        Rule::kw_round | Rule::round_suffix => "`round`",
        Rule::kw_to => "`to`",
        Rule::round_mode => "a rounding mode (`half_up`, `half_even`, `down`, `up`)",
        Rule::table_row | Rule::table_rows => "a table row such as `1: 200元`",
        Rule::key_tuple | Rule::key_atom => "a table key",
        Rule::segment | Rule::segments => "a segment such as `0 .. 5万元: 60%`",
        Rule::table_keys | Rule::table_key_kind => "a key such as `institution.level`",
        Rule::args => "arguments",
        Rule::list => "a list such as `[\"inpatient\", \"outpatient_chronic\"]`",
        _ => return None,
    })
}

/// ASCII punctuation to use instead of a full-width character.
fn ascii_for(c: char) -> Option<char> {
    Some(match c {
        '，' => ',',
        '：' => ':',
        '（' => '(',
        '）' => ')',
        '；' => ';',
        '“' | '”' => '"',
        '【' => '[',
        '】' => ']',
        '｛' => '{',
        '｝' => '}',
        '＝' => '=',
        '＋' => '+',
        '－' => '-',
        '＊' => '*',
        '／' => '/',
        '＜' => '<',
        '＞' => '>',
        '．' | '。' => '.',
        '％' => '%',
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32)?,
        _ => return None,
    })
}

fn convert_error(file: &SourceFile, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let mut pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(rule_words)
            .map(String::from)
            .collect(),
        ErrorVariant::CustomError { .. } => vec![],
    };
    // With error detail on, pest knows the furthest position reached and the
    // tokens (`:`, `{`, ...) and rules it wanted there: far more precise.
    if let Some(pa) = e.parse_attempts() {
        if pa.max_position >= pos {
            pos = pa.max_position;
            expected.clear();
            let mut keywords = 0;
            for cs in pa.call_stacks() {
                let rule = cs.deepest.get_rule().copied().or(cs.parent);
                if let Some(r) = rule {
                    if is_declaration(r) {
                        keywords += 1;
                        continue;
                    }
                    if let Some(w) = rule_words(&r) {
                        expected.push(w.to_string());
                    }
                }
            }
            // Literal tokens print as themselves; keep the punctuation ones
            // (keywords are named through their rules above).
            for t in pa.expected_tokens() {
                let token = t.to_string();
                if !token.is_empty()
                    && token.chars().all(|c| c.is_ascii_punctuation())
                    && !token.contains("..")
                {
                    expected.push(format!("`{token}`"));
                }
            }
            if keywords > 2 {
                expected.push("a declaration (`param`, `table`, `schedule`, `accumulator`, `let`, `layer`, ...)".into());
            } else if keywords > 0 && expected.is_empty() {
                // One or two declarations named alone only when nothing else
                // was wanted here; beside other alternatives they are noise
                // (`expected `=` or `param``).
                for cs in pa.call_stacks() {
                    if let Some(r) = cs
                        .deepest
                        .get_rule()
                        .copied()
                        .or(cs.parent)
                        .filter(|r| is_declaration(*r))
                    {
                        if let Some(w) = rule_words(&r) {
                            expected.push(w.to_string());
                        }
                    }
                }
            }
        }
    }
    tidy_expected(&mut expected);
    let text = file.text.as_str();
    if let Some(d) = super::unsupported::unsupported(text, pos) {
        return d;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    // The word that ends at `at`, if any: (start, word).
    let word_before = |at: usize| {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(at, |(i, _)| i);
        (start < at).then(|| (start, &text[start..at]))
    };
    let at_word_end = text
        .get(pos..)
        .and_then(|s| s.chars().next())
        .is_none_or(|c| !is_word(c));
    // pest's furthest attempt can lie just past a keyword (its `!keyword`
    // check) or inside a token; the offending token starts earlier.
    if at_word_end {
        if let Some((start, w)) = word_before(pos).filter(|(_, w)| is_keyword(w)) {
            let expected = describe(&expected);
            let mut d = Diagnostic::error(format!("expected {expected}, found the keyword `{w}`"))
                .at(Span::new(start, pos))
                .label("a keyword");
            let starts_line = text[..start].trim_end_matches([' ', '\t']).ends_with('\n');
            d = d.help(if w == "pay" {
                "`pay` belongs in a rule of a layer; a settle block sets ledger amounts (`budget = ...`)".to_string()
            } else if starts_line {
                format!("the line before looks unfinished: `{w}` starts something new")
            } else {
                format!("`{w}` is a keyword and cannot be used as a name; choose another name")
            });
            return d;
        }
    }
    if expected.iter().any(|w| w.starts_with("a date")) {
        let start = text[..pos]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit() || *c == '-')
            .last()
            .map_or(pos, |(i, _)| i);
        // Only a run that looks like a date gone wrong (`2025-1-1`), not any number.
        if start < pos && text[start..pos].contains('-') {
            let end = pos
                + text[pos..]
                    .char_indices()
                    .take_while(|(_, c)| c.is_ascii_digit() || *c == '-')
                    .last()
                    .map_or(0, |(i, c)| i + c.len_utf8());
            return Diagnostic::error(format!(
                "expected a date such as `2025-01-01`, found `{}`",
                &text[start..end]
            ))
            .at(Span::new(start, end))
            .label("not a date")
            .help("write dates as YYYY-MM-DD, with two-digit months and days: `2025-01-01`");
        }
    }
    // A name alone where a statement must go on (`NAME = ...`, `NAME += ...`).
    let statement_goes_on = !expected.is_empty()
        && expected.iter().all(|w| {
            matches!(
                w.as_str(),
                "`+=`" | "`=`" | "`name += ...`" | "`name = ...`"
            )
        });
    // Only when the name is followed by the end of its line or of the block:
    // `x + = 1` is a mistake in the operator, not a lone name.
    let name_then_nothing = statement_goes_on && {
        let back = text[..pos].trim_end().len();
        text[back..pos].contains('\n') || text[pos..].starts_with('}')
    };
    if name_then_nothing {
        let back = text[..pos].trim_end().len();
        if let Some((start, w)) = word_before(back) {
            let mut help = "a rule's statements are `pay AMOUNT`, `let NAME = ...`, `NAME = ...` (an output) and `NAME += ...` (an accumulator)".to_string();
            if w.starts_with("half") || w.contains("round") {
                help.push_str(
                    "; the rounding modes are `half_up` (四舍五入), `half_even`, `down` and `up`",
                );
            }
            return Diagnostic::error(format!("`{w}` alone is not a statement"))
                .at(Span::new(start, back))
                .label("not a statement")
                .help(help);
        }
    }
    // A text not closed on its line.
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let at_line_end = text
        .get(pos..)
        .is_none_or(|s| s.is_empty() || s.starts_with(['\n', '\r']));
    if at_line_end {
        let line = &text[line_start..pos];
        let mut open = None;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            match c {
                '\\' if open.is_some() && !escaped => {
                    escaped = true;
                    continue;
                }
                '"' if !escaped => open = if open.is_some() { None } else { Some(i) },
                _ => {}
            }
            escaped = false;
        }
        if let Some(q) = open {
            let start = line_start + q;
            return Diagnostic::error("this text is not closed")
                .at(Span::new(start, start + 1))
                .label("opened here")
                .help("close it with `\"` before the end of the line (a text cannot span lines)");
        }
    }
    let found = file.text.get(pos..).and_then(|s| s.chars().next());
    let found_len = match found {
        None => 0,
        Some(c) if c.is_alphanumeric() || c == '_' => file.text[pos..]
            .char_indices()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .take(24)
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8()),
        Some(c) => c.len_utf8(),
    };
    let found_text = match found {
        None => "the end of the file".to_string(),
        Some('\n' | '\r') => "the end of the line".to_string(),
        Some(_) => {
            let t = &file.text[pos..pos + found_len];
            if is_keyword(t) {
                format!("the keyword `{t}`")
            } else {
                format!("`{t}`")
            }
        }
    };
    let message = if expected.is_empty() {
        match found {
            None => "unexpected end of the file".to_string(),
            Some(_) => format!(
                "unexpected {}",
                found_text.replace("the keyword", "keyword")
            ),
        }
    } else {
        format!("expected {}, found {found_text}", describe(&expected))
    };
    let mut d = Diagnostic::error(message)
        .at(Span::new(pos, pos + found_len))
        .label("here");
    if let Some(c) = found {
        if let Some(ascii) = ascii_for(c) {
            d = d.help(format!(
                "`{c}` is full-width; write the ASCII `{ascii}` instead"
            ));
        } else if !c.is_ascii()
            && expected.iter().any(|w| w == "`%`")
            && text[..pos].ends_with(|p: char| p.is_ascii_digit())
        {
            d = d.help("a number's unit is one of `元`, `万元`, `%`, `天`, `个月`");
        } else if c == '+' && expected.iter().any(|w| w == "`+=`") {
            d = d.help("write `+=` without a space");
        } else if c == '\'' {
            d = d.help("texts are written in double quotes: \"...\"");
        } else if c == '='
            && expected
                .iter()
                .any(|w| w == "an operator" || w.contains("comparison"))
        {
            d = d.help("compare with `==`; a single `=` gives a name a value");
        } else if expected.iter().any(|w| w == "`,`") && expected.iter().any(|w| w == "`}`") {
            d = d.help("separate rows with commas");
        } else if file.text[pos..].starts_with("rule") || file.text[pos..].starts_with("pay") {
            d = d.help("rules belong inside a layer: `layer fund_paid \"统筹基金\" { rule NAME { pay ... } }`");
        }
    }
    if d.help.is_none() && found.is_none() {
        d = d.help("the file ended early: is a `}` or `)` missing?");
    }
    d
}

/// `a`, `a or b`, `a, b or c`.
fn describe(expected: &[String]) -> String {
    match expected.split_last() {
        None => "something else".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Whether `word` is a keyword of the grammar (its one table of keywords).
fn is_keyword(word: &str) -> bool {
    PolicyParser::parse(Rule::keyword, word)
        .ok()
        .and_then(|mut p| p.next())
        .is_some_and(|k| k.as_str().len() == word.len())
}

/// Drops tokens a user never needs to hear about and folds operator lists.
fn tidy_expected(expected: &mut Vec<String>) {
    const OPERATORS: &[&str] = &[
        "`!=`", "`*`", "`+`", "`-`", "`/`", "`<=`", "`<`", "`==`", "`>=`", "`>`",
    ];
    let has_value = expected.iter().any(|w| {
        w.starts_with("an expression") || w.starts_with("a value") || w.starts_with("a text")
    });
    let operators = expected
        .iter()
        .filter(|w| OPERATORS.contains(&w.as_str()))
        .count();
    let noise = |w: &str| {
        matches!(w, "`//`" | "`_`" | "`\"`")
            || (has_value && matches!(w, "`(`" | "`-`"))
            || (operators > 2 && OPERATORS.contains(&w))
    };
    expected.retain(|w| !noise(w));
    if operators > 2 {
        expected.retain(|w| {
            !w.starts_with("an expression") && w != "an operator" && !w.starts_with("a comparison")
        });
        expected.push("an operator".into());
    }
    expected.sort_unstable();
    expected.dedup();
}

/// Keyword rules that start a declaration: listed together, not one by one.
fn is_declaration(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_region
            | Rule::kw_notice
            | Rule::kw_meta
            | Rule::kw_param
            | Rule::kw_table
            | Rule::kw_schedule
            | Rule::kw_accumulator
            | Rule::kw_field
            | Rule::kw_output
            | Rule::kw_let
            | Rule::kw_layer
            | Rule::kw_ledger
            | Rule::kw_settle
            | Rule::ledger_decl
            | Rule::settle_decl
            | Rule::region_decl
            | Rule::notice_decl
            | Rule::meta_decl
            | Rule::param_decl
            | Rule::table_decl
            | Rule::schedule_decl
            | Rule::accumulator_decl
            | Rule::field_decl
            | Rule::output_decl
            | Rule::let_decl
            | Rule::layer_decl
    )
}

fn span(p: &Node) -> Span {
    p.as_span().into()
}

fn bad(p: &Node, what: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "internal parser error: unexpected {what} `{}`",
        p.as_str()
    ))
    .at(span(p))
}

/// Takes the next child or reports a grammar/parser mismatch (never expected).
fn next<'a>(it: &mut impl Iterator<Item = Node<'a>>, parent: Span) -> Result<Node<'a>, Diagnostic> {
    it.next()
        .ok_or_else(|| Diagnostic::error("internal parser error: missing node").at(parent))
}

fn policy(p: Node) -> Result<Policy, Diagnostic> {
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
            Rule::EOI => break,
            _ => return Err(bad(&item, "item")),
        });
    }
    Ok(Policy { items })
}

fn region_decl(p: Node) -> Result<Item, Diagnostic> {
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

fn ident(p: Node) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(&p),
    }
}

fn string(p: Node) -> Result<Text, Diagnostic> {
    let s = span(&p);
    let inner = next(&mut p.into_inner(), s)?;
    let value = inner.as_str().replace("\\\"", "\"").replace("\\\\", "\\");
    Ok(Text { value, span: s })
}

fn param_decl(p: Node) -> Result<ParamDecl, Diagnostic> {
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
fn cite(p: Node) -> Result<Text, Diagnostic> {
    let s = span(&p);
    string(next(&mut p.into_inner().skip(1), s)?)
}

fn in_force(p: Node) -> Result<InForce, Diagnostic> {
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

fn settle_decl(p: Node) -> Result<SettleDecl, Diagnostic> {
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

fn literal(p: Node) -> Result<Literal, Diagnostic> {
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

fn boolean(p: &Node) -> bool {
    p.as_str() == "true"
}

fn date(p: Node) -> Result<Literal, Diagnostic> {
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

fn quantity(p: Node) -> Result<Literal, Diagnostic> {
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

fn table_decl(p: Node) -> Result<TableDecl, Diagnostic> {
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

fn table_row(p: Node) -> Result<TableRow, Diagnostic> {
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

fn key_atom(p: Node) -> Result<Literal, Diagnostic> {
    let s = span(&p);
    literal(next(&mut p.into_inner(), s)?)
}

fn schedule_decl(p: Node) -> Result<ScheduleDecl, Diagnostic> {
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

fn segment(p: Node) -> Result<Segment, Diagnostic> {
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

fn accumulator_decl(p: Node) -> Result<AccumulatorDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let ty = ident(next(&mut it, s)?);
    let scope = next(&mut it, s)?
        .into_inner()
        .filter(|c| c.as_rule() == Rule::scope_word)
        .map(ident)
        .collect();
    Ok(AccumulatorDecl { name, ty, scope })
}

fn field_decl(p: Node) -> Result<FieldDecl, Diagnostic> {
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

fn output_decl(p: Node) -> Result<OutputDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    Ok(OutputDecl {
        name: ident(next(&mut it, s)?),
        ty: ident(next(&mut it, s)?),
    })
}

fn let_decl(p: Node) -> Result<LetDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    Ok(LetDecl {
        name: ident(next(&mut it, s)?),
        value: expr(next(&mut it, s)?)?,
    })
}

fn layer_decl(p: Node) -> Result<LayerDecl, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner().skip(1);
    let name = ident(next(&mut it, s)?);
    let mut source = None;
    let mut rules = Vec::new();
    for c in it {
        match c.as_rule() {
            Rule::string => source = Some(string(c)?),
            Rule::rule_decl => rules.push(rule_decl(c)?),
            _ => return Err(bad(&c, "layer part")),
        }
    }
    Ok(LayerDecl {
        name,
        source,
        rules,
    })
}

fn rule_decl(p: Node) -> Result<RuleDecl, Diagnostic> {
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
fn stmt(c: Node) -> Result<Stmt, Diagnostic> {
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

fn expr(p: Node) -> Result<Expr, Diagnostic> {
    deep(p).map(|(e, _)| e)
}

/// One level deeper than `depth`, or the error that says the expression at
/// `at` is too deep (see [`MAX_DEPTH`]).
fn level(depth: usize, at: Span) -> Result<usize, Diagnostic> {
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
fn through_single(mut p: Node) -> Node {
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
fn deep_all<'a>(nodes: impl Iterator<Item = Node<'a>>) -> Result<(Vec<Expr>, usize), Diagnostic> {
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
fn deep(p: Node) -> Result<(Expr, usize), Diagnostic> {
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
            let (mut lhs, mut depth) = deep(next(&mut it, s)?)?;
            while let Some(op) = it.next() {
                let op_span = span(&op);
                let bin = match op.as_str() {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    _ => BinOp::Div,
                };
                let (rhs, dr) = deep(next(&mut it, s)?)?;
                depth = level(depth.max(dr), op_span)?;
                let span = lhs.span.to(rhs.span);
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

#[cfg(test)]
mod tests {
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
}
