//! Policy text of any bytes: parsing, checking and rendering the diagnostics
//! must end in a program or diagnostics whose spans lie inside the text;
//! never a panic, an overflow or a hang. A `--set` value from the same bytes
//! is parsed too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = yibao::source::SourceFile::new("fuzz.policy", text);
    match yibao::compile(&file) {
        Ok((mut prog, warnings)) => {
            for w in &warnings {
                let _ = w.render(&file);
            }
            // Overrides and the rules comparison on whatever checked.
            let _ = yibao::check::apply_override(&mut prog, "x", text);
            let text = yibao::fmt::policy_text(&file);
            let _ = yibao::compare::rules::diff(&[("a", &prog, text.as_ref()), ("b", &prog, None)]);
        }
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in &diags {
                if let Some(s) = d.span {
                    assert!(s.end as usize <= text.len(), "span past the end");
                    assert!(
                        text.is_char_boundary(s.start as usize),
                        "span inside a character"
                    );
                }
                let _ = d.render(&file);
            }
        }
    }
    let _ = yibao::syntax::parse_literal(text);
});
