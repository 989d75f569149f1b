//! The formatter: one canonical layout for policy files.
//!
//! The tree is printed back with two-space indentation, one declaration or
//! statement per line, single spaces around operators, tables and schedules
//! one row per line with their values aligned, and at most one blank line
//! where the source had blank lines. Literals are kept as written (`1.5万元`,
//! `1_000`), so are texts and rounding suffixes. Parentheses are printed
//! where precedence needs them and nowhere else.
//!
//! Comments are not in the tree, so they are placed by position: a comment
//! before a node is printed on its own line before it, a comment after a
//! node on the same source line stays at the end of its line. Comments
//! inside an expression move to the line before the next statement.
//!
//! [`format()`] re-parses what it printed and refuses it unless the tree is
//! equal (spans are ignored by `==`) and every comment is there, in order.

use crate::source::{SourceFile, Span};
use crate::syntax::ast::*;
use crate::syntax::comments;
use unicode_width::UnicodeWidthStr;

mod canonical;
mod expr;

pub use canonical::{policy_text, BlockText, PolicyText};

const INDENT: &str = "  ";
/// A rule header longer than this breaks its `when` before each `and`/`or`.
const WIDTH: usize = 100;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FmtError {
    /// The file does not parse: the diagnostic, rendered.
    Parse(String),
    /// The printed text is not the same policy (a bug in the formatter).
    Mismatch(String),
}

/// The canonical text of a policy file.
pub fn format(file: &SourceFile) -> Result<String, FmtError> {
    let ast = crate::syntax::parse_policy(file)
        .map_err(|d| FmtError::Parse(crate::diagnostic::render_all(file, &[d])))?;
    let mut p = Printer::new(&file.text);
    p.policy(&ast);
    let out = p.finish();
    // The round trip: the same tree, the same comments.
    let again = SourceFile::new(file.path.clone(), out.clone());
    match crate::syntax::parse_policy(&again) {
        Ok(tree) if tree == ast => {}
        Ok(_) => {
            return Err(FmtError::Mismatch(
                "the formatted text parses to a different policy".into(),
            ))
        }
        Err(d) => {
            return Err(FmtError::Mismatch(format!(
                "the formatted text does not parse:\n{}",
                crate::diagnostic::render_all(&again, &[d])
            )))
        }
    }
    let texts = |t: &str| -> Vec<String> {
        comments::comments(t)
            .into_iter()
            .map(|r| t[r].trim_end().to_string())
            .collect()
    };
    if texts(&file.text) != texts(&out) {
        return Err(FmtError::Mismatch(
            "a comment would be lost or moved out of order".into(),
        ));
    }
    Ok(out)
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<std::ops::Range<usize>>,
    /// The next comment to print.
    next: usize,
    out: String,
    depth: usize,
    /// Where in the source the last printed thing ended.
    last: usize,
    /// Nothing printed yet in the current block: no blank line.
    fresh: bool,
    /// The column end-of-line comments line up at (in a table or schedule).
    comment_col: Option<usize>,
    /// Enum values compared with a field written by their canonical name
    /// (`"住院"` as `"inpatient"`), for comparing policies; off for `yibao fmt`,
    /// which keeps literals as written.
    canonical_enums: bool,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str) -> Printer<'s> {
        Printer {
            src,
            comments: comments::comments(src),
            next: 0,
            out: String::new(),
            depth: 0,
            last: 0,
            fresh: true,
            comment_col: None,
            canonical_enums: false,
        }
    }

    fn finish(mut self) -> String {
        self.depth = 0;
        self.leading(usize::MAX);
        let mut out = self.out.trim_end().to_string();
        out.push('\n');
        if out.trim().is_empty() {
            return String::new();
        }
        out
    }

    /// Where the code before `end` ends: pest spans of optional or repeated tails can take
    /// in the whitespace and comments after them.
    fn tight(&self, end: usize) -> usize {
        let b = self.src.as_bytes();
        let mut i = end.min(b.len());
        loop {
            while i > 0 && b[i - 1].is_ascii_whitespace() {
                i -= 1;
            }
            match self.comments.iter().find(|c| c.end == i) {
                Some(c) if c.start < i => i = c.start,
                _ => return i,
            }
        }
    }

    fn text(&self, span: Span) -> String {
        let t = self.src.get(span.range()).unwrap_or("");
        comments::strip(t)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the source has a blank line between `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let gap = self
            .src
            .get(from.min(to)..to.min(self.src.len()))
            .unwrap_or("");
        let lines: Vec<&str> = gap.split('\n').collect();
        // The pieces strictly between two line ends are whole lines.
        lines.len() > 2
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }

    /// Starts a line for something at source offset `pos`: a blank line first if the source had one.
    fn line_start(&mut self, pos: usize) {
        if !self.fresh && self.blank_between(self.last, pos) {
            self.out.push('\n');
        }
        self.fresh = false;
        for _ in 0..self.depth {
            self.out.push_str(INDENT);
        }
    }

    /// Prints the comments that start before `pos`, each on its own line.
    fn leading(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next).cloned() {
            if c.start >= pos {
                break;
            }
            self.next += 1;
            self.line_start(c.start);
            self.out.push_str(self.src[c.clone()].trim_end());
            self.out.push('\n');
            self.last = c.end;
        }
    }

    /// Ends a line whose source ended at `end`, keeping a comment that followed on the same line.
    fn line_end(&mut self, end: usize) {
        self.last = self.last.max(end);
        if let Some(c) = self.comments.get(self.next).cloned() {
            // Only punctuation between: the comment belongs to this line, not to code after it.
            let between = self.src.get(end..c.start).unwrap_or("\n");
            let alone = between
                .chars()
                .all(|ch| matches!(ch, ' ' | '\t' | '\u{3000}' | ',' | '{' | '}'));
            if c.start >= end && alone {
                self.next += 1;
                let line = self.out.rsplit('\n').next().unwrap_or("").width();
                let pad = self
                    .comment_col
                    .map_or(1, |col| col.saturating_sub(line).max(1));
                self.out.push_str(&" ".repeat(pad));
                self.out.push_str(self.src[c.clone()].trim_end());
                self.last = c.end;
            }
        }
        self.out.push('\n');
    }

    /// The offset just after the `{` or `}` that follows `from`, skipping whitespace and comments.
    fn after(&self, from: usize, ch: u8) -> usize {
        let b = self.src.as_bytes();
        let mut i = from;
        while i < b.len() {
            match b[i] {
                c if c == ch => return i + 1,
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        b.len()
    }

    /// One line: leading comments, the text, a trailing comment.
    fn line(&mut self, start: usize, end: usize, text: &str) {
        let end = self.tight(end);
        self.leading(start);
        self.line_start(start);
        self.out.push_str(text);
        self.line_end(end);
    }

    /// Opens a block whose header starts at `start` and whose `{` follows `header_end`.
    fn open(&mut self, start: usize, header_end: usize, header: &str) {
        let brace = self.after(header_end, b'{');
        self.line(start, brace, &format!("{header} {{"));
        self.depth += 1;
        self.fresh = true;
    }

    /// Closes a block whose `}` follows `inner_end`.
    fn close(&mut self, inner_end: usize) -> usize {
        let brace = self.after(inner_end, b'}');
        self.leading(brace.saturating_sub(1));
        self.depth -= 1;
        self.fresh = false;
        self.last = self.last.max(brace.saturating_sub(1));
        for _ in 0..self.depth {
            self.out.push_str(INDENT);
        }
        self.out.push('}');
        self.line_end(brace);
        brace
    }

    fn policy(&mut self, p: &Policy) {
        for item in &p.items {
            self.item(item);
        }
    }

    fn in_force(f: &Option<InForce>) -> String {
        match f {
            None => String::new(),
            Some(f) => match f.until {
                Some(u) => format!(" from {} until {u}", f.from),
                None => format!(" from {}", f.from),
            },
        }
    }

    fn cite(&self, c: &Option<Text>) -> String {
        c.as_ref()
            .map_or(String::new(), |c| format!(" cite {}", self.text(c.span)))
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Region { name, code, span } => {
                let mut t = format!("region {}", self.text(name.span));
                if let Some(c) = code {
                    t.push_str(&format!(" code {}", self.text(c.span)));
                }
                self.line(span.start as usize, span.end as usize, &t);
            }
            Item::Notice(t) => {
                let s = format!("notice {}", self.text(t.span));
                self.line(t.span.start as usize, t.span.end as usize, &s);
            }
            Item::Meta { key, value } => {
                let s = format!("meta {} {}", key.name, self.text(value.span));
                self.line(key.span.start as usize, value.span.end as usize, &s);
            }
            Item::Param(p) => {
                let s = format!(
                    "param {}: {} = {}{}{}",
                    p.name.name,
                    p.ty.name,
                    self.text(p.value.span),
                    Self::in_force(&p.in_force),
                    self.cite(&p.cite)
                );
                let end = [
                    Some(p.value.span.end),
                    p.in_force.as_ref().map(|f| f.span.end),
                    p.cite.as_ref().map(|c| c.span.end),
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(0);
                self.line(p.name.span.start as usize, end as usize, &s);
            }
            Item::Table(t) => self.table(t),
            Item::Schedule(s) => self.schedule(s),
            Item::Accumulator(a) => {
                let scope: Vec<String> =
                    a.scope.iter().map(|s| format!(" per {}", s.name)).collect();
                let mut end = a.scope.last().map_or(a.ty.span.end, |s| s.span.end);
                let default = match &a.default {
                    Some(d) => {
                        end = d.span.end;
                        format!(" default {}", self.text(d.span))
                    }
                    None => String::new(),
                };
                let s = format!(
                    "accumulator {}: {}{}{default}",
                    a.name.name,
                    a.ty.name,
                    scope.concat()
                );
                self.line(a.name.span.start as usize, end as usize, &s);
            }
            Item::Field(f) => {
                let s = format!("field {}.{}: {}", f.object.name, f.field.name, f.ty.name);
                self.line(f.object.span.start as usize, f.ty.span.end as usize, &s);
            }
            Item::Enum(e) => self.enumeration(e),
            Item::Output(o) => self.decl("output", o),
            Item::Ledger(o) => self.decl("ledger", o),
            Item::Let(l) => {
                let s = self.with_expr(&format!("let {} = ", l.name.name), &l.value);
                self.line(l.name.span.start as usize, l.value.span.end as usize, &s);
            }
            Item::Layer(l) | Item::Fee(l) => {
                let kw = if matches!(item, Item::Fee(_)) {
                    "fee"
                } else {
                    "layer"
                };
                let mut header = format!("{kw} {}", l.name.name);
                let mut header_end = l.name.span.end;
                if let Some(s) = &l.source {
                    header.push_str(&format!(" {}", self.text(s.span)));
                    header_end = s.span.end;
                }
                self.open(l.name.span.start as usize, header_end as usize, &header);
                let mut end = self.after(header_end as usize, b'{');
                for r in &l.rules {
                    self.rule(r);
                    end = self.tight(r.span.end as usize);
                }
                self.close(end);
            }
            Item::Contribute(s) => {
                let title = s
                    .title
                    .as_ref()
                    .map_or(String::new(), |t| format!(" {}", self.text(t.span)));
                let header = format!(
                    "contribute {}{title} {} {}{}{}",
                    s.name.name,
                    if s.at { "at" } else { "per" },
                    s.when.name,
                    Self::in_force(&s.in_force),
                    self.cite(&s.cite)
                );
                let header_end = [
                    Some(s.when.span.end),
                    s.in_force.as_ref().map(|f| f.span.end),
                    s.cite.as_ref().map(|c| c.span.end),
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(0);
                self.open(s.span.start as usize, header_end as usize, &header);
                let end = self.stmts(&s.body, self.after(header_end as usize, b'{'));
                self.close(end);
            }
            Item::Agreement(s) => {
                let title = s
                    .title
                    .as_ref()
                    .map_or(String::new(), |t| format!(" {}", self.text(t.span)));
                let header = format!(
                    "agreement {}{title}{}{}",
                    s.name.name,
                    Self::in_force(&s.in_force),
                    self.cite(&s.cite)
                );
                let header_end = [
                    Some(s.name.span.end),
                    s.title.as_ref().map(|t| t.span.end),
                    s.in_force.as_ref().map(|f| f.span.end),
                    s.cite.as_ref().map(|c| c.span.end),
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(0);
                self.open(s.span.start as usize, header_end as usize, &header);
                let end = self.stmts(&s.body, self.after(header_end as usize, b'{'));
                self.close(end);
            }
            Item::Settle(s) => {
                let scope: Vec<String> =
                    s.scope.iter().map(|x| format!(" per {}", x.name)).collect();
                let title = s
                    .title
                    .as_ref()
                    .map_or(String::new(), |t| format!(" {}", self.text(t.span)));
                let header = format!(
                    "settle {}{title}{}{}{}",
                    s.name.name,
                    scope.concat(),
                    Self::in_force(&s.in_force),
                    self.cite(&s.cite)
                );
                let header_end = [
                    Some(s.name.span.end),
                    s.scope.last().map(|x| x.span.end),
                    s.in_force.as_ref().map(|f| f.span.end),
                    s.cite.as_ref().map(|c| c.span.end),
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(0);
                self.open(s.span.start as usize, header_end as usize, &header);
                let end = self.stmts(&s.body, self.after(header_end as usize, b'{'));
                self.close(end);
            }
        }
    }

    fn decl(&mut self, kw: &str, o: &OutputDecl) {
        let mut s = format!("{kw} {}: {}", o.name.name, o.ty.name);
        let mut end = o.ty.span.end;
        if let Some(d) = &o.default {
            s.push_str(&format!(" default {}", self.text(d.span)));
            end = d.span.end;
        }
        if let Some(v) = &o.value {
            s = self.with_expr(&format!("{s} = "), v);
            end = v.span.end;
        }
        self.line(o.name.span.start as usize, end as usize, &s);
    }

    fn table(&mut self, t: &TableDecl) {
        let keys: Vec<String> = t
            .keys
            .iter()
            .map(|k| match k {
                KeyKind::Field { object, field } => format!("{}.{}", object.name, field.name),
                KeyKind::Type(i) => i.name.clone(),
            })
            .collect();
        let header = format!(
            "table {}: {} by {}{}{} =",
            t.name.name,
            t.ty.name,
            keys.join(", "),
            Self::in_force(&t.in_force),
            self.cite(&t.cite)
        );
        let rows: Vec<(String, String, &TableRow)> = t
            .rows
            .iter()
            .map(|r| {
                let key = match &r.key {
                    None => "else".to_string(),
                    Some(k) if k.len() == 1 => self.text(k[0].span),
                    Some(k) => format!(
                        "({})",
                        k.iter()
                            .map(|l| self.text(l.span))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                (key, self.text(r.value.span), r)
            })
            .collect();
        self.block_rows(t.span.start as usize, &header, &rows, t.span.end as usize);
    }

    /// `enum 档次 { "高档", "低档" }` on one line; one value per line when
    /// the source has it so (room for comments) or it is too wide.
    fn enumeration(&mut self, e: &EnumDecl) {
        let vals: Vec<String> = e.values.iter().map(|v| self.text(v.span)).collect();
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        let one = if vals.is_empty() {
            format!("enum {} {{}}", e.name.name)
        } else {
            format!("enum {} {{ {} }}", e.name.name, vals.join(", "))
        };
        let multiline = self.src.get(start..end).is_some_and(|s| s.contains('\n'));
        if vals.is_empty() || (!multiline && one.width() + self.depth * INDENT.len() <= WIDTH) {
            self.line(start, end, &one);
            return;
        }
        let header_end = e.name.span.end as usize;
        self.open(start, header_end, &format!("enum {}", e.name.name));
        let mut last = self.after(header_end, b'{');
        for (v, t) in e.values.iter().zip(vals) {
            self.line(v.span.start as usize, v.span.end as usize, &format!("{t},"));
            last = self.tight(v.span.end as usize);
        }
        self.close(last);
    }

    fn schedule(&mut self, s: &ScheduleDecl) {
        let header = format!(
            "schedule {}{}{}{}",
            s.name.name,
            s.kind
                .as_ref()
                .map_or(String::new(), |k| format!(": {}", k.name)),
            Self::in_force(&s.in_force),
            self.cite(&s.cite)
        );
        let rows: Vec<(String, String, &Segment)> = s
            .segments
            .iter()
            .map(|g| {
                let range = match &g.to {
                    Some(to) => format!("{} .. {}", self.text(g.from.span), self.text(to.span)),
                    None => format!("{} ..", self.text(g.from.span)),
                };
                (range, self.text(g.rate.span), g)
            })
            .collect();
        self.block_rows(s.span.start as usize, &header, &rows, s.span.end as usize);
    }

    /// A `{ key: value, … }` block, one row a line, values aligned.
    fn block_rows<T: HasSpan>(
        &mut self,
        start: usize,
        header: &str,
        rows: &[(String, String, &T)],
        end: usize,
    ) {
        if rows.is_empty() {
            // `{}` on the header line; comments inside come before it.
            self.leading(end);
            self.line(start, end, &format!("{header} {{}}"));
            return;
        }
        // The header ends at the `{` before the first row.
        let first = rows.first().map_or(end, |r| r.2.span().start as usize);
        let brace = self.src[..first.min(self.src.len())]
            .rfind('{')
            .unwrap_or(0);
        self.open(start, brace, header);
        let w = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
        let texts: Vec<String> = rows
            .iter()
            .map(|(key, value, _)| format!("{key}:{} {value},", " ".repeat(w - key.width())))
            .collect();
        let widest = texts.iter().map(|t| t.width()).max().unwrap_or(0);
        self.comment_col = Some(self.depth * INDENT.len() + widest + 1);
        let mut last_end = brace + 1;
        for (text, (_, _, node)) in texts.iter().zip(rows) {
            let sp = node.span();
            self.line(sp.start as usize, sp.end as usize, text);
            last_end = self.tight(sp.end as usize);
        }
        self.comment_col = None;
        self.close(last_end);
    }

    fn rule(&mut self, r: &RuleDecl) {
        let mut header = format!(
            "rule {}{}{}",
            r.name.name,
            Self::in_force(&r.in_force),
            self.cite(&r.cite)
        );
        let mut header_end = [
            Some(r.name.span.end),
            r.in_force.as_ref().map(|f| f.span.end),
            r.cite.as_ref().map(|c| c.span.end),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
        if let Some(w) = &r.when {
            let one = format!("{header} when {}", self.expr(w, 0));
            let indent = self.depth * INDENT.len();
            header = match (&w.kind, one.width() + indent + 2 > WIDTH) {
                (ExprKind::And(xs), true) => self.broken(&header, "and", xs, 3),
                (ExprKind::Or(xs), true) => self.broken(&header, "or", xs, 2),
                _ => one,
            };
            header_end = w.span.end;
        }
        self.open(r.span.start as usize, header_end as usize, &header);
        let end = self.stmts(&r.body, self.after(header_end as usize, b'{'));
        self.close(end);
    }

    /// Where a statement starts and ends in the source, what precedes its
    /// expression (`let x = `, `pay `, …), and the expression.
    fn stmt_parts(st: &Stmt) -> (u32, u32, String, &Expr) {
        match st {
            Stmt::Let(l) => (
                l.name.span.start,
                l.value.span.end,
                format!("let {} = ", l.name.name),
                &l.value,
            ),
            Stmt::Pay { value, span } => (span.start, value.span.end, "pay ".into(), value),
            Stmt::AccAdd { acc, value } => (
                acc.span.start,
                value.span.end,
                format!("{} += ", acc.name),
                value,
            ),
            Stmt::OutputSet { output, value } => (
                output.span.start,
                value.span.end,
                format!("{} = ", output.name),
                value,
            ),
        }
    }

    fn stmts(&mut self, body: &[Stmt], mut end: usize) -> usize {
        for st in body {
            let (start, stop, head, value) = Self::stmt_parts(st);
            let text = self.with_expr(&head, value);
            self.line(start as usize, stop as usize, &text);
            end = self.tight(stop as usize);
        }
        end
    }
}

trait HasSpan {
    fn span(&self) -> Span;
}

impl HasSpan for TableRow {
    fn span(&self) -> Span {
        self.span
    }
}

impl HasSpan for Segment {
    fn span(&self) -> Span {
        self.span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        match format(&SourceFile::new("t.policy", src)) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn parentheses_only_where_needed() {
        let out = fmt("let a = (1 + 2) * 3 - (4 - 5) + -(6 * 7)\nlet b = (if true then 1 else 2) round\nlet c = max(if true then 1 else 2, 3) + 1\n");
        assert_eq!(
            out,
            "let a = (1 + 2) * 3 - (4 - 5) + -(6 * 7)\nlet b = (if true then 1 else 2) round\nlet c = max(if true then 1 else 2, 3) + 1\n"
        );
        let out = fmt("let d = ((1))   +  ( 2 * 3 )\nlet e = not (1 < 2 and 2 < 3) or false\n");
        assert_eq!(
            out,
            "let d = 1 + 2 * 3\nlet e = not (1 < 2 and 2 < 3) or false\n"
        );
    }
}
