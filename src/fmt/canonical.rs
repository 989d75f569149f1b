//! The canonical text of rules and settle blocks, for comparing policies
//! (`yibao compare --rules`): each condition and statement on one line,
//! printed by the formatter's own expression printer, so two policies that
//! differ only in spacing, line breaks, parentheses or comments read the
//! same, and enum values are written by their canonical names
//! (`"住院"` and `"inpatient"` alike as `"inpatient"`).

use super::Printer;
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{Item, Stmt};

/// A rule's condition and body, or a settle block's body, in canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockText {
    /// Where the rule's or block's name is in its file (the checker keeps it).
    pub name_at: u32,
    /// The `when` condition (rules only; `None`: the rule always applies).
    pub when: Option<String>,
    /// One line per statement.
    pub body: Vec<String>,
}

/// The rules and settle blocks of a policy file in canonical text.
#[derive(Debug, Clone, Default)]
pub struct PolicyText {
    blocks: Vec<BlockText>,
    /// The outputs defined at top level: name and canonical expression.
    pub outputs: Vec<(String, String)>,
}

impl PolicyText {
    /// The rule or settle block whose name is at `span` (the span the
    /// checker keeps for a rule or block).
    pub fn at(&self, span: Span) -> Option<&BlockText> {
        self.blocks.iter().find(|b| b.name_at == span.start)
    }
}

/// The canonical text of every rule and settle block of `file`; `None`
/// when it does not parse.
pub fn policy_text(file: &SourceFile) -> Option<PolicyText> {
    let ast = crate::syntax::parse_policy(file).ok()?;
    let mut p = Printer::new(&file.text);
    p.canonical_enums = true;
    let body = |p: &Printer<'_>, stmts: &[Stmt]| -> Vec<String> {
        stmts
            .iter()
            .map(|st| {
                let (_, _, head, value) = Printer::stmt_parts(st);
                format!("{head}{}", p.expr(value, 0))
            })
            .collect()
    };
    let mut blocks = Vec::new();
    let mut outputs = Vec::new();
    for item in &ast.items {
        match item {
            Item::Output(o) => {
                if let Some(v) = &o.value {
                    outputs.push((o.name.name.clone(), p.expr(v, 0)));
                }
            }
            Item::Layer(l) | Item::Fee(l) => {
                for r in &l.rules {
                    blocks.push(BlockText {
                        name_at: r.name.span.start,
                        when: r.when.as_ref().map(|w| p.expr(w, 0)),
                        body: body(&p, &r.body),
                    });
                }
            }
            Item::Settle(s) => blocks.push(BlockText {
                name_at: s.name.span.start,
                when: None,
                body: body(&p, &s.body),
            }),
            Item::Contribute(s) => blocks.push(BlockText {
                name_at: s.name.span.start,
                when: None,
                body: body(&p, &s.body),
            }),
            Item::Agreement(s) => blocks.push(BlockText {
                name_at: s.name.span.start,
                when: None,
                body: body(&p, &s.body),
            }),
            _ => {}
        }
    }
    Some(PolicyText { blocks, outputs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<BlockText> {
        let file = SourceFile::new("t.policy", src);
        policy_text(&file).map(|t| t.blocks).unwrap_or_default()
    }

    #[test]
    fn spacing_comments_and_aliases_are_not_differences() {
        let a = texts(
            "layer fund_paid {\n  rule r when claim.visit_type == \"住院\" {\n    pay max(claim.total_cost - 100, 0) * 80% round\n  }\n}\n",
        );
        let b = texts(
            "layer fund_paid {\n  rule r when claim.visit_type==\"inpatient\" { // note\n    pay (max(claim.total_cost-100,0)\n      * 80%) round\n  }\n}\n",
        );
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].when.as_deref(),
            Some("claim.visit_type == \"inpatient\"")
        );
        assert_eq!(
            a[0].body,
            ["pay max(claim.total_cost - 100, 0) * 80% round"]
        );
        assert_eq!((&a[0].when, &a[0].body), (&b[0].when, &b[0].body));
    }
}
