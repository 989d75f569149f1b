//! Syntax errors in an author's words: the nesting bound checked before
//! pest runs, and pest's "expected …" turned into what to write.

use super::*;

pub(super) fn check_nesting(text: &str) -> Result<(), Diagnostic> {
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
pub(super) fn rule_words(rule: &Rule) -> Option<&'static str> {
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
        Rule::default_value | Rule::kw_default => "`default VALUE`",
        Rule::ledger_decl | Rule::kw_ledger => "`ledger`",
        Rule::settle_decl | Rule::kw_settle => "`settle`",
        Rule::fee_decl | Rule::kw_fee => "`fee`",
        Rule::enum_decl | Rule::kw_enum => "`enum`",
        Rule::contribute_decl | Rule::kw_contribute => "`contribute`",
        Rule::agreement_decl | Rule::kw_agreement => "`agreement`",
        Rule::contribute_when => "`per month` or `at retirement`",
        Rule::kw_at => "`at`",
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
pub(super) fn ascii_for(c: char) -> Option<char> {
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

pub(super) fn convert_error(file: &SourceFile, e: pest::error::Error<Rule>) -> Diagnostic {
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
    if let Some(d) = crate::syntax::unsupported::unsupported(text, pos) {
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
            // `15年`, `60岁`: a number with a word that is not a unit.
            let unit = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '_');
            if unit.len() < w.len() && !unit.is_empty() {
                let years = if unit.starts_with('年') {
                    " (15 years: `180个月`)"
                } else {
                    ""
                };
                return Diagnostic::error(format!("`{unit}` after a number is not a unit"))
                    .at(Span::new(start, back))
                    .label("not a unit")
                    .help(format!(
                        "the units are `元`, `万元`, `%`, `天` and `个月`{years}; an age or a count is a bare number"
                    ));
            }
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
pub(super) fn describe(expected: &[String]) -> String {
    match expected.split_last() {
        None => "something else".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Whether `word` is a keyword of the grammar (its one table of keywords).
pub(super) fn is_keyword(word: &str) -> bool {
    PolicyParser::parse(Rule::keyword, word)
        .ok()
        .and_then(|mut p| p.next())
        .is_some_and(|k| k.as_str().len() == word.len())
}

/// Drops tokens a user never needs to hear about and folds operator lists.
pub(super) fn tidy_expected(expected: &mut Vec<String>) {
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
pub(super) fn is_declaration(r: Rule) -> bool {
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
            | Rule::kw_fee
            | Rule::fee_decl
            | Rule::kw_enum
            | Rule::enum_decl
            | Rule::kw_contribute
            | Rule::contribute_decl
            | Rule::kw_agreement
            | Rule::agreement_decl
    )
}
