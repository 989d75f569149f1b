//! A data file's kind, told by its content, and xlsx workbooks read as CSV.
//!
//! A claims or institutions file may be CSV or an xlsx workbook, whatever its
//! name ends with. A workbook's first sheet becomes CSV text with one line per
//! sheet row, so that every check, message and line number of the CSV reader
//! holds for it (line N is the sheet's row N). Its cells become text as a
//! CSV would hold them:
//! - a number is a float: it becomes its shortest round-trip decimal, and is
//!   refused when that is not a whole number of fen (more than two decimals),
//!   or when it is a whole number too large for a float to hold exactly
//!   (an id typed as a number);
//! - a date is a serial number: it becomes YYYY-MM-DD (either epoch), and is
//!   refused when it has a time of day or is Excel's 1900-02-29;
//! - `TRUE`/`FALSE` become `true`/`false`; text is kept as it is;
//! - an error cell (`#DIV/0!`) or a duration is refused.
//!
//! Every refused cell is listed, with its sheet, row and column, and the file
//! is not read. Files of other kinds (Parquet, .xls, zip, gzip, PDF, SQLite)
//! are named as what they are.

use calamine::{Data, Reader};
use std::io::Cursor;

/// What a file's first bytes say it is, when it is not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An Office Open XML workbook (a zip holding `xl/`).
    Xlsx,
    /// Any other binary kind, named for messages.
    Other(&'static str),
    /// Text (CSV, in some encoding).
    Text,
}

/// The kind of a file from its first bytes.
pub fn kind_of(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") {
        // An xlsx zip names its parts in the local headers near the start.
        let window = &head[..head.len().min(1 << 16)];
        let has = |needle: &[u8]| window.windows(needle.len()).any(|w| w == needle);
        if has(b"xl/") || has(b"[Content_Types].xml") {
            return Kind::Xlsx;
        }
        return Kind::Other("a zip archive but not an xlsx workbook: unpack it first");
    }
    let named = [
        (
            &b"PAR1"[..],
            "a Parquet file, which yibao does not read yet: export it as CSV",
        ),
        (
            &b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"[..],
            "an Excel 97–2003 workbook (.xls): save it as .xlsx or as CSV UTF-8",
        ),
        (&b"\x1F\x8B"[..], "gzip-compressed: decompress it first"),
        (&b"%PDF"[..], "a PDF document, not a data file"),
        (
            &b"SQLite format 3\0"[..],
            "an SQLite database: export the table as CSV",
        ),
        (
            &b"\x28\xB5\x2F\xFD"[..],
            "zstd-compressed: decompress it first",
        ),
    ];
    for (magic, what) in named {
        if head.starts_with(magic) {
            return Kind::Other(what);
        }
    }
    Kind::Text
}

/// A cell that cannot be read, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub sheet: String,
    /// 1-based, as Excel numbers rows.
    pub row: u32,
    /// Excel's column letters (`A`, `AB`).
    pub column: String,
    pub header: String,
    pub reason: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sheet `{}`, row {}, column {}",
            self.sheet, self.row, self.column
        )?;
        if !self.header.is_empty() {
            write!(f, " ({})", self.header)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Excel's letters for a 0-based column index.
pub fn column_letters(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The largest whole number every float up to which is exact (2^53).
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// A number cell as text: its shortest round-trip decimal, when that is a
/// whole number of fen.
pub fn number_text(v: f64) -> Result<String, String> {
    if !v.is_finite() {
        return Err("not a number".into());
    }
    if v.fract() == 0.0 && v.abs() >= EXACT_INT {
        return Err(format!(
            "{v} is a whole number too large for a spreadsheet number to hold exactly; if it is an id, format the column as text"
        ));
    }
    // Rust prints a float by its shortest decimal that reads back the same.
    let s = format!("{v}");
    let decimals = s.split_once('.').map_or(0, |(_, f)| f.len());
    if decimals > 2 {
        return Err(format!(
            "{s} is not a whole number of fen (more than two decimals); round it to the fen in the sheet"
        ));
    }
    Ok(if s == "-0" { "0".into() } else { s })
}

fn cell_text(cell: &Data) -> Result<String, String> {
    match cell {
        Data::Empty => Ok(String::new()),
        Data::String(s) if s.contains(['\n', '\r']) => {
            Err("a line break inside the cell; a value is one line".into())
        }
        Data::String(s) => Ok(s.clone()),
        Data::Int(i) => Ok(i.to_string()),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => Ok(if *b { "true" } else { "false" }.into()),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                return Err("a duration, not a date".into());
            }
            let (y, m, d, hh, mm, ss, ms) = dt.to_ymd_hms_milli();
            if (hh, mm, ss, ms) != (0, 0, 0, 0) {
                return Err(format!(
                    "{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} has a time of day; a date is a whole day"
                ));
            }
            crate::date::Date::from_ymd(i32::from(y), u32::from(m), u32::from(d))
                .map(|date| String::from_utf8_lossy(&date.iso_bytes()).into_owned())
                .ok_or_else(|| {
                    format!(
                        "{y:04}-{m:02}-{d:02} is not a date (Excel's serial number {})",
                        dt.as_f64()
                    )
                })
        }
        Data::DateTimeIso(s) => {
            let date = s.strip_suffix("T00:00:00").unwrap_or(s);
            if crate::date::Date::parse(date.as_bytes()).is_some() {
                Ok(date.to_string())
            } else {
                Err(format!("{s} is not a date without a time of day"))
            }
        }
        Data::DurationIso(s) => Err(format!("{s} is a duration, not a value")),
        Data::Error(e) => Err(format!("the cell holds the error {e}")),
    }
}

/// One CSV record (without its line end): a field holding a comma or a
/// quote is quoted, its quotes doubled (cells with line breaks are refused
/// before, so that line N stays row N).
fn write_record(w: &mut Vec<u8>, fields: &[String]) {
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            w.push(b',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            w.push(b'"');
            w.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            w.push(b'"');
        } else {
            w.extend_from_slice(f.as_bytes());
        }
    }
}

/// At most this many refused cells are listed.
const MAX_LISTED: usize = 20;

/// The first sheet of an xlsx workbook as CSV text, and the sheet's name; or
/// every cell that cannot be read (at most [`MAX_LISTED`] listed).
pub fn sheet_as_csv(bytes: Vec<u8>) -> Result<(Vec<u8>, String), String> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable xlsx workbook: {e}"))?;
    let names = book.sheet_names();
    let Some(sheet) = names.first().cloned() else {
        return Err("the workbook has no sheets".into());
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| format!("sheet `{sheet}` cannot be read: {e}"))?;
    // Rows and columns before the range's start are empty in the sheet.
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut w: Vec<u8> = Vec::new();
    let width = range.width();
    let mut errors = Vec::new();
    let mut count = 0usize;
    let mut header: Vec<String> = Vec::new();
    // Rows before the range's first and rows of empty cells are blank lines,
    // which the CSV reader skips and counts.
    w.extend(std::iter::repeat_n(b'\n', row0 as usize));
    for (r, row) in range.rows().enumerate() {
        let mut fields: Vec<String> = vec![String::new(); col0 as usize];
        for (c, cell) in row.iter().enumerate() {
            match cell_text(cell) {
                Ok(t) => fields.push(t),
                Err(reason) => {
                    count += 1;
                    if errors.len() < MAX_LISTED {
                        let col = col0 + c as u32;
                        errors.push(CellError {
                            sheet: sheet.clone(),
                            row: row0 + r as u32 + 1,
                            column: column_letters(col),
                            header: header.get(col as usize).cloned().unwrap_or_default(),
                            reason,
                        });
                    }
                    fields.push(String::new());
                }
            }
        }
        fields.resize(col0 as usize + width, String::new());
        if r == 0 {
            // The header: trailing empty cells are no columns.
            while fields.last().is_some_and(String::is_empty) {
                fields.pop();
            }
            header = fields.clone();
        } else {
            // Empty cells past the header are no values, as a CSV export drops them.
            while fields.len() > header.len() && fields.last().is_some_and(String::is_empty) {
                fields.pop();
            }
        }
        if !fields.iter().all(String::is_empty) {
            write_record(&mut w, &fields);
        }
        w.push(b'\n');
    }
    if count > 0 {
        let mut msg = format!(
            "{count} cell{} of sheet `{sheet}` cannot be read:",
            if count == 1 { "" } else { "s" }
        );
        for e in &errors {
            msg.push_str(&format!("\n  {e}"));
        }
        if count > errors.len() {
            msg.push_str(&format!("\n  … and {} more", count - errors.len()));
        }
        return Err(msg);
    }
    Ok((w, sheet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_by_their_shortest_decimal() {
        assert_eq!(number_text(1234.5).as_deref(), Ok("1234.5"));
        assert_eq!(
            number_text(0.1 + 0.2).map_err(|e| e.contains("0.30000000000000004")),
            Err(true)
        );
        assert_eq!(number_text(100.05).as_deref(), Ok("100.05"));
        assert_eq!(number_text(-0.0).as_deref(), Ok("0"));
        assert!(number_text(1.005e-1).is_err());
        assert!(number_text(9_007_199_254_740_992.0).is_err());
        assert_eq!(
            number_text(9_007_199_254_740_991.0).as_deref(),
            Ok("9007199254740991")
        );
        assert!(number_text(f64::NAN).is_err());
    }

    #[test]
    fn kinds_by_content() {
        assert_eq!(
            kind_of(b"PAR1\x15\x04"),
            Kind::Other("a Parquet file, which yibao does not read yet: export it as CSV")
        );
        assert!(
            matches!(kind_of(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), Kind::Other(m) if m.contains(".xls"))
        );
        assert!(matches!(kind_of(b"PK\x03\x04....docProps"), Kind::Other(m) if m.contains("zip")));
        assert_eq!(kind_of(b"PK\x03\x04....[Content_Types].xml"), Kind::Xlsx);
        assert_eq!(kind_of(b"claim_id,patient_id\n"), Kind::Text);
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
