//! Constructs the language does not have, recognised where the parse stopped.
//!
//! pest can only say which token it wanted ("expected an operator, found
//! `.`"). When the text around the failure is a construct an author could
//! reasonably expect to exist — a value on an output declaration, an output
//! set outside a rule, a field of a field — the error says that the language
//! has no such thing, and what to write instead. The error stays at the token
//! where the parse stopped.

use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// A diagnostic for a construct the language does not have, if the parse
/// stopped at one. `pos` is where pest stopped.
pub(super) fn unsupported(text: &str, pos: usize) -> Option<Diagnostic> {
    value_on_declaration(text, pos)
        .or_else(|| statement_outside_rule(text, pos))
        .or_else(|| field_of_field(text, pos))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The word starting at `at`, if one does.
fn word_at(text: &str, at: usize) -> Option<&str> {
    let rest = text.get(at..)?;
    let len = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
    (len > 0).then(|| &rest[..len])
}

/// The word ending at `at`, if one does: (its start, the word).
fn word_before(text: &str, at: usize) -> Option<(usize, &str)> {
    let head = text.get(..at)?;
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map(|(i, _)| i)?;
    Some((start, &head[start..]))
}

/// `=` alone (not `==`) at `at`.
fn single_equals(text: &str, at: usize) -> bool {
    let rest = text.get(at..).unwrap_or("");
    rest.starts_with('=') && !rest.starts_with("==")
}

/// The end of the line `at` is on, less trailing blanks and a comment.
fn line_end(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let code = line.find("//").map_or(line, |c| &line[..c]);
    at + code.trim_end().len()
}

/// `output X: money = …`: a value on a declaration that takes none.
fn value_on_declaration(text: &str, pos: usize) -> Option<Diagnostic> {
    if !single_equals(text, pos) {
        return None;
    }
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let mut words = text[line_start..pos].split_whitespace();
    let keyword = words.next()?;
    let name = words.next()?.split(':').next()?;
    let (message, help) = match keyword {
        "output" => (
            "an output is declared without a value".to_string(),
            format!("set it in a rule with `{name} = ...`; for an amount computed once per claim, write `let {name} = ...` instead"),
        ),
        "ledger" => (
            "a ledger amount is declared without a value".to_string(),
            format!("set it in a settle block with `{name} = ...`"),
        ),
        "accumulator" => (
            "an accumulator is declared without a value".to_string(),
            format!("it starts at 0 for each patient (and year), or at its `default` (`... per patient default 2000-01-01`); rules add to it with `{name} += ...` or set it with `{name} = ...`"),
        ),
        "field" => (
            "a field is declared without a value".to_string(),
            format!("its value on each row comes from the data file's column `{}`", name.rsplit('.').next().unwrap_or(name)),
        ),
        _ => return None,
    };
    Some(
        Diagnostic::error(message)
            .at(Span::new(pos, line_end(text, pos).max(pos + 1)))
            .label("no value here")
            .help(help),
    )
}

/// Whether `pos` lies outside every `{ … }` (strings and comments skipped).
fn at_top_level(text: &str, pos: usize) -> bool {
    let mut depth = 0usize;
    let mut chars = text[..pos].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth == 0
}

/// `X = …` or `X += …` on a line of its own at the top level of the file,
/// outside any rule.
fn statement_outside_rule(text: &str, pos: usize) -> Option<Diagnostic> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..pos].trim().is_empty() {
        return None;
    }
    let name = word_at(text, pos)?;
    let after = pos + name.len();
    let op_at = after + (text[after..].len() - text[after..].trim_start_matches([' ', '\t']).len());
    let adds = text[op_at..].starts_with("+=");
    if !(adds || single_equals(text, op_at)) || !at_top_level(text, pos) {
        return None;
    }
    let (message, label, help) = if adds {
        (
            "an accumulator grows inside a rule, not at the top level",
            "outside any rule",
            format!("move it into a rule, after the `pay` if it adds what the layer paid: `rule NAME {{ pay ... {name} += ... }}`"),
        )
    } else {
        (
            "an output is set inside a rule, not at the top level",
            "outside any rule",
            format!("move it into a rule: `rule NAME {{ {name} = ... pay ... }}`; for an amount computed once per claim, write `let {name} = ...`, or define the output: `output {name}: money = ...`"),
        )
    };
    Some(
        Diagnostic::error(message)
            .at(Span::new(pos, after))
            .label(label)
            .help(help),
    )
}

/// `claim.discharge_date.year`: a field of a field.
fn field_of_field(text: &str, pos: usize) -> Option<Diagnostic> {
    if !text[pos..].starts_with('.') {
        return None;
    }
    let (field_start, field) = word_before(text, pos)?;
    if !text[..field_start].ends_with('.') {
        return None;
    }
    let (_, object) = word_before(text, field_start - 1)?;
    if object.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let member = word_at(text, pos + 1).unwrap_or("");
    let path = format!("{object}.{field}");
    let help = if (field.contains("date") || field.contains("日期"))
        && ["year", "month", "day"].contains(&member)
    {
        format!("dates have no fields; the {member} of a date is a function: `{member}({path})`")
    } else if field.contains("date") || field.contains("日期") {
        format!("dates have no fields; a date's parts are functions: `year({path})`, `month({path})`, `day({path})`")
    } else {
        format!("records have fields (`claim.total_cost`, `institution.level`); `{path}` is a value, and values have none")
    };
    Some(
        Diagnostic::error(format!("`{path}` has no fields"))
            .at(Span::new(pos, pos + 1 + member.len()))
            .label(if member.is_empty() {
                "no fields".to_string()
            } else {
                format!("no field `{member}`")
            })
            .help(help),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, token: &str) -> Option<Diagnostic> {
        let pos = text.find(token).unwrap_or(0);
        unsupported(text, pos)
    }

    #[test]
    fn values_on_declarations() {
        let d = at("output 结余: money = claim.total_cost // note\n", "= claim");
        let d = d.map(|d| (d.message, d.span.map(Span::range)));
        let want = "an output is declared without a value".to_string();
        // From `=` to the end of the value, before the comment.
        assert_eq!(d, Some((want, Some(21..39))));
        assert!(at("param a: money = 1\n", "= 1").is_none());
        assert!(at("output a: money == 1\n", "==").is_none());
    }

    #[test]
    fn statements_outside_rules() {
        let top = at("output 结余: money\n结余 = claim.total_cost\n", "结余 =");
        assert!(top.is_some_and(|d| d.message.starts_with("an output is set inside a rule")));
        let acc = at("x\n累计 += 1\n", "累计");
        assert!(acc.is_some_and(|d| d.message.starts_with("an accumulator grows")));
        // Inside a block, or a comparison: not this mistake.
        assert!(at("layer a { 结余 = 1 }", "结余").is_none());
        assert!(at("结余 == 1", "结余").is_none());
        // Not the start of a statement: `param 比例 ratio = 80%` lacks its `:`.
        assert!(at("param 比例 ratio = 80%", "ratio").is_none());
        assert!(at("// {\n结余 = 1", "结余").is_some());
    }

    #[test]
    fn fields_of_fields() {
        let d = at("when claim.discharge_date.year == 2025", ".year");
        assert!(
            d.is_some_and(|d| d.message == "`claim.discharge_date` has no fields"
                && d.help
                    .is_some_and(|h| h.contains("`year(claim.discharge_date)`")))
        );
        assert!(at("pay 1.5.x", ".x").is_none());
        assert!(at("pay a.", ".").is_none());
        assert!(at("pay ，a.", ".").is_none());
    }
}
