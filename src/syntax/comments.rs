//! Where the comments of a policy are. The grammar skips them (`COMMENT` is
//! silent), so the formatter and explanations find them here: a `//`
//! outside a text runs to the end of its line.

/// The byte ranges of the comments, `//` included, line end excluded.
pub fn comments(text: &str) -> Vec<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // A text: `\"` and `\\` escape; it cannot span lines.
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                let end = if end > i && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                out.push(i..end);
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// `text` without its comments.
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for c in comments(text) {
        out.push_str(&text[at..c.start]);
        at = c.end;
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_texts() {
        let t = "a // one\nb \"x // not\" // two\r\n\"\\\"//\" c";
        let found: Vec<&str> = comments(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(found, vec!["// one", "// two"]);
        assert_eq!(strip("x = 1 // c\ny"), "x = 1 \ny");
    }
}
