//! The groups of claims the change tables break down by beyond the coded
//! fields: age bands (at admission) and ICD-10 chapters of `disease_code`.

/// The default age bands' lower bounds: 0–17, 18–44, 45–59, 60–74, 75+.
pub const AGE_BANDS: [u32; 5] = [0, 18, 45, 60, 75];

/// The band of `age` among lower bounds `bounds` (ascending, from 0).
pub fn age_band(bounds: &[u32], age: u32) -> usize {
    bounds.partition_point(|&b| b <= age).saturating_sub(1)
}

/// The label of band `i`: `18–44`, or `75+` for the last.
pub fn age_label(bounds: &[u32], i: usize) -> String {
    match (bounds.get(i), bounds.get(i + 1)) {
        (Some(lo), Some(hi)) => format!("{lo}–{}", hi - 1),
        (Some(lo), None) => format!("{lo}+"),
        _ => String::new(),
    }
}

/// `--age-bands 18,45,60,75`: the lower bounds after 0, ascending.
pub fn parse_age_bands(s: &str) -> Result<Vec<u32>, String> {
    let mut bounds = vec![0u32];
    for part in s.split(',') {
        let b: u32 = part.trim().parse().map_err(|_| {
            format!("--age-bands `{s}`: `{}` is not a whole age; write the bands' lower bounds after 0, e.g. 18,45,60,75", part.trim())
        })?;
        if b <= *bounds.last().unwrap_or(&0) || b > 150 {
            return Err(format!(
                "--age-bands `{s}`: the bounds must rise from above 0 to at most 150"
            ));
        }
        bounds.push(b);
    }
    Ok(bounds)
}

/// The chapters of ICD-10 (WHO, 2019): (chapter, first code, last code).
pub const CHAPTERS: [(&str, &str, &str); 22] = [
    ("I", "A00", "B99"),
    ("II", "C00", "D48"),
    ("III", "D50", "D89"),
    ("IV", "E00", "E90"),
    ("V", "F00", "F99"),
    ("VI", "G00", "G99"),
    ("VII", "H00", "H59"),
    ("VIII", "H60", "H95"),
    ("IX", "I00", "I99"),
    ("X", "J00", "J99"),
    ("XI", "K00", "K93"),
    ("XII", "L00", "L99"),
    ("XIII", "M00", "M99"),
    ("XIV", "N00", "N99"),
    ("XV", "O00", "O99"),
    ("XVI", "P00", "P96"),
    ("XVII", "Q00", "Q99"),
    ("XVIII", "R00", "R99"),
    ("XIX", "S00", "T98"),
    ("XX", "V01", "Y98"),
    ("XXI", "Z00", "Z99"),
    ("XXII", "U00", "U85"),
];

/// The chapter of a code (`J18.9` → X) by its letter and first two digits;
/// `CHAPTERS.len()` (shown `unknown`) for a code that is in none.
pub fn chapter(code: &[u8]) -> usize {
    let head = match code {
        [l, a, b, ..] if l.is_ascii_alphabetic() && a.is_ascii_digit() && b.is_ascii_digit() => {
            [l.to_ascii_uppercase(), *a, *b]
        }
        _ => return CHAPTERS.len(),
    };
    CHAPTERS
        .iter()
        .position(|(_, lo, hi)| lo.as_bytes() <= &head[..] && &head[..] <= hi.as_bytes())
        .unwrap_or(CHAPTERS.len())
}

/// The label of chapter `i`: `X (J00–J99)`, or `unknown`.
pub fn chapter_label(i: usize) -> String {
    CHAPTERS
        .get(i)
        .map_or("unknown".to_string(), |(c, lo, hi)| {
            format!("{c} ({lo}–{hi})")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fall_in_their_chapters() {
        // From the WHO ICD-10 chapter table.
        for (code, ch) in [
            ("A09", "I"),
            ("B99", "I"),
            ("C34.1", "II"),
            ("D48.9", "II"),
            ("D50", "III"),
            ("E11.9", "IV"),
            ("H59", "VII"),
            ("H60", "VIII"),
            ("I63.9", "IX"),
            ("j18.9", "X"),
            ("K35.8", "XI"),
            ("O80", "XV"),
            ("S72.0", "XIX"),
            ("T98", "XIX"),
            ("V01", "XX"),
            ("Z51.1", "XXI"),
            ("U07.1", "XXII"),
        ] {
            assert_eq!(CHAPTERS[chapter(code.as_bytes())].0, ch, "{code}");
        }
        for bad in ["", "J1", "18.9", "U99", "K94"] {
            assert_eq!(chapter(bad.as_bytes()), CHAPTERS.len(), "{bad}");
        }
    }

    #[test]
    fn ages_fall_in_their_bands() {
        let b = AGE_BANDS;
        let got: Vec<String> = [0, 17, 18, 44, 45, 59, 60, 74, 75, 120]
            .iter()
            .map(|&a| age_label(&b, age_band(&b, a)))
            .collect();
        assert_eq!(
            got,
            [
                "0–17", "0–17", "18–44", "18–44", "45–59", "45–59", "60–74", "60–74", "75+", "75+"
            ]
        );
        assert_eq!(parse_age_bands("18, 65").unwrap(), [0, 18, 65]);
        assert!(parse_age_bands("65,18").is_err());
        assert!(parse_age_bands("0").is_err());
        assert!(parse_age_bands("x").is_err());
    }
}
