//! Text from data files as messages show it. A field may hold anything — a
//! NUL, an escape sequence that clears or recolours a terminal, a byte that
//! is not UTF-8, a character that reverses the text after it — and a message
//! must show what is there without being driven by it: such characters are
//! written as escapes (`\u{0}`, `\u{1b}`, `\xFF`), everything else as it is.
//! Backslashes are left alone, so escaping twice changes nothing.

use std::fmt::Write;

/// Bytes of a field as a message shows them: invalid UTF-8 as `\xNN`, hidden
/// characters as `\u{N}` (see [`escape`]).
pub fn shown(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02X}");
        }
    }
    out
}

/// Text as a message shows it: control characters, and the invisible ones
/// that hide or reorder text (zero-width characters, bidirectional
/// controls, a BOM), as `\u{N}` in hexadecimal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(shown(b"H\x001"), "H\\u{0}1");
        assert_eq!(shown(b"a\x1b[2Jb\x07\x7f"), "a\\u{1b}[2Jb\\u{7}\\u{7f}");
        assert_eq!(shown(b"\xB7\xCE!"), "\\xB7\\xCE!");
        assert_eq!(shown("肺炎\u{202e}cba".as_bytes()), "肺炎\\u{202e}cba");
        assert_eq!(shown(b"tab\there\r\n"), "tab\\u{9}here\\u{d}\\u{a}");
        assert_eq!(escape("C\\u{0}1 ok"), "C\\u{0}1 ok");
        let once = shown(b"x\x00\xFF");
        assert_eq!(escape(&once), once);
    }
}
