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

mod decls;
mod errors;
mod expr;
#[cfg(test)]
mod tests;

use decls::*;
use errors::*;
use expr::*;

#[derive(Parser)]
#[grammar = "../grammar/policy.pest"]
pub(super) struct PolicyParser;

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

pub(super) type Node<'a> = Pair<'a, Rule>;

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
pub(super) fn span(p: &Node) -> Span {
    p.as_span().into()
}

pub(super) fn bad(p: &Node, what: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "internal parser error: unexpected {what} `{}`",
        p.as_str()
    ))
    .at(span(p))
}

/// Takes the next child or reports a grammar/parser mismatch (never expected).
pub(super) fn next<'a>(
    it: &mut impl Iterator<Item = Node<'a>>,
    parent: Span,
) -> Result<Node<'a>, Diagnostic> {
    it.next()
        .ok_or_else(|| Diagnostic::error("internal parser error: missing node").at(parent))
}
