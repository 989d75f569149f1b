//! One diagnostic type for every stage, and its renderer.
//!
//! A diagnostic says what is wrong (lowercase, names in backticks), where
//! (`file:line:col`, the line with the offending text underlined) and, in a
//! help line, what to do. Carets are laid out by display width, so they sit
//! under Chinese text correctly.

use crate::source::{SourceFile, Span};
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// A short note printed beside the carets.
    pub label: Option<String>,
    pub help: Option<String>,
    /// A second place worth looking at, e.g. a first definition.
    pub note: Option<(Span, String)>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            note: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Points at a second place: rendered as `note: TEXT at file:line:col`.
    pub fn note(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.note = Some((span, text.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic against its source file, rustc style.
    pub fn render(&self, file: &SourceFile) -> String {
        let mut out = String::new();
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{kind}: {}", self.message);
        match self.span {
            Some(span) => {
                let (line, col) = file.line_col(span.start as usize);
                let text = file.line_text(line);
                let num = line.to_string();
                let pad = " ".repeat(num.len());
                let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name());
                let _ = writeln!(out, "{pad} |");
                let (shown, cut) = window(text, col);
                let _ = writeln!(out, "{num} | {shown}");
                let (lead, width) = underline(text, file, span, line);
                // Columns cut from the front, less the `…` shown in their place.
                let lead = lead.saturating_sub(cut);
                let width = width.min(WINDOW);
                let mut carets =
                    format!("{pad} | {}{}", " ".repeat(lead), "^".repeat(width.max(1)));
                if let Some(label) = &self.label {
                    let _ = write!(carets, " {label}");
                }
                let _ = writeln!(out, "{carets}");
                if self.help.is_some() || self.note.is_some() {
                    let _ = writeln!(out, "{pad} |");
                }
                if let Some((span, text)) = &self.note {
                    let (l, c) = file.line_col(span.start as usize);
                    let _ = writeln!(out, "{pad} = note: {text} at {}:{l}:{c}", file.name());
                }
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "{pad} = help: {help}");
                }
            }
            None => {
                let _ = writeln!(out, " --> {}", file.name());
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "  = help: {help}");
                }
            }
        }
        out
    }
}

/// Widest source line shown in full; longer ones are cut to a window around
/// the column pointed at, so a 1 MiB line prints as one screen line.
const WINDOW: usize = 100;

/// The line as shown (tabs as spaces, long lines windowed around `col`), and
/// how many display columns the window moved the text left by.
fn window(text: &str, col: usize) -> (String, usize) {
    let width = |c: char| if c == '\t' { 1 } else { c.width().unwrap_or(0) };
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let total: usize = chars.iter().map(|c| width(*c)).sum();
    if total <= WINDOW {
        return (chars.into_iter().collect(), 0);
    }
    // Start some 30 characters before the column, end WINDOW columns later.
    let start = col.saturating_sub(31).min(chars.len());
    let mut shown = String::new();
    let mut cut = 0;
    if start > 0 {
        shown.push('…');
        cut = chars[..start].iter().map(|c| width(*c)).sum::<usize>() - 1;
    }
    let mut w = 0;
    let mut end = start;
    while end < chars.len() && w + width(chars[end]) <= WINDOW {
        w += width(chars[end]);
        shown.push(chars[end]);
        end += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, cut)
}

/// Display columns before the span on its first line, and the span's width on it.
fn underline(text: &str, file: &SourceFile, span: Span, line: usize) -> (usize, usize) {
    let (_, col) = file.line_col(span.start as usize);
    let (end_line, end_col) = file.line_col(span.end as usize);
    let end_col = if end_line == line {
        end_col
    } else {
        text.chars().count() + 1
    };
    let width = |c: char| if c == '\t' { 1 } else { c.width().unwrap_or(0) };
    let lead = text.chars().take(col - 1).map(width).sum();
    let span_w = text
        .chars()
        .skip(col - 1)
        .take(end_col.saturating_sub(col))
        .map(width)
        .sum();
    (lead, span_w)
}

/// Renders many diagnostics, errors and warnings in source order, with a count line.
pub fn render_all(file: &SourceFile, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.render(file));
        out.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        let _ = writeln!(
            out,
            "{}: {} ({})",
            file.name(),
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    out
}

/// The closest candidate to `name` by edit distance, if close enough to be a
/// likely misspelling ("did you mean").
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, c)| d <= limit && c != name)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    /// The character shown above the first caret of a rendered diagnostic.
    fn under_caret(out: &str) -> Option<char> {
        let lines: Vec<&str> = out.lines().collect();
        let k = lines.iter().position(|l| l.contains('^'))?;
        let caret_col = lines[k].split('^').next()?.width();
        let mut w = 0;
        for c in lines[k - 1].chars() {
            if w == caret_col {
                return Some(c);
            }
            w += c.width().unwrap_or(0);
        }
        None
    }

    #[test]
    fn long_lines_are_windowed_around_the_caret() {
        for (prefix, n) in [("x = ", 500usize), ("起付线 = ", 2_000), ("", 40)] {
            let body: String = (0..n).map(|i| format!("a{i} + ")).collect();
            let text = format!("{prefix}{body}$ + b");
            let at = text.find('$').unwrap();
            let file = SourceFile::new("t.policy", text.as_str());
            let d = Diagnostic::error("bad")
                .at(Span::new(at, at + 1))
                .label("here");
            let out = d.render(&file);
            assert_eq!(under_caret(&out), Some('$'), "{out}");
            let widest = out.lines().map(|l| l.width()).max().unwrap_or(0);
            assert!(widest <= WINDOW + 10 || text.width() <= WINDOW, "{out}");
        }
    }

    #[test]
    fn carets_sit_under_chinese_text() {
        let f = SourceFile::new("p.policy", "let 金额 = 起付线 + 1\n");
        // `起付线` starts after "let 金额 = " (4 + 6 + 3 bytes).
        let d = Diagnostic::error("unknown name `起付线`")
            .at(Span::new(13, 22))
            .label("not defined");
        let r = d.render(&f);
        assert!(r.contains("p.policy:1:10"), "{r}");
        // "let " (4) + "金额" (4 columns) + " = " (3) = 11 columns before the name.
        assert!(
            r.contains(&format!("| {}^^^^^^ not defined", " ".repeat(11))),
            "{r}"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            suggest("total_cots", ["total_cost", "drug_cost"]),
            Some("total_cost")
        );
        assert_eq!(suggest("zzz", ["total_cost"]), None);
    }
}
