//! `--xlsx`: the CSV files of an `--out` set as one workbook, a sheet per
//! file, for analysts who live in Excel.
//!
//! Each sheet has the file's header (bold, frozen) and its rows. A column is
//! written as numbers when every value in it is a plain decimal (`-12.30`,
//! `7`; no leading zeros, no sign or exponent games) and it is not an id, a
//! code or a label; else as text, exactly as in the CSV. Numbers are floats in
//! xlsx: each is the float nearest its decimal, which reads back (by shortest
//! round-trip decimal, as Excel, calamine and pandas read it) as the same
//! decimal — checked here for every cell. A column any of whose values would
//! not read back the same (more digits than a float holds) is kept as text,
//! and said so. Money columns (values with at most two decimals) have the
//! format `0.00`. A file with more rows than a sheet holds is an error, not a
//! truncated sheet.

use rust_xlsxwriter::{Format, Workbook};
use std::path::{Path, PathBuf};

/// Rows a sheet holds, its header included.
pub const MAX_ROWS: u64 = 1_048_576;

#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    #[error("`{file}` has {rows} rows besides its header; an xlsx sheet holds at most {max}: leave out --xlsx and open the CSV, or narrow the run (--year, --through)", max = MAX_ROWS - 1)]
    TooManyRows { file: String, rows: u64 },
    #[error("`{file}`: {message}")]
    Read { file: String, message: String },
    #[error("the workbook cannot be written: {0}")]
    Write(String),
}

/// Whether a column holds identifiers or labels, never numbers, whatever
/// its values look like (`claim_id` 10001 stays text).
fn is_label(name: &str) -> bool {
    name.ends_with("_id")
        || name.ends_with("code")
        || name == "id"
        || matches!(
            name,
            "policy"
                | "group"
                | "value"
                | "measure"
                | "section"
                | "breakdown"
                | "unit"
                | "label"
                | "level"
                | "grade"
                | "name"
                | "rule"
                | "path"
                | "region"
        )
}

/// A plain decimal as yibao writes it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
fn is_plain_decimal(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let int_ok =
        !int.is_empty() && int.iter().all(u8::is_ascii_digit) && (int.len() == 1 || int[0] != b'0');
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit));
    int_ok && frac_ok
}

/// The float of a plain decimal, when it reads back as the same decimal.
pub fn exact_float(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    let back = format!("{v}");
    // The decimal without trailing zeros after its point, as a float prints.
    let canon = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    let canon = if canon == "-0" { "0" } else { canon };
    let back = if back == "-0" { "0" } else { back.as_str() };
    (back == canon).then_some(v)
}

/// What a pass over a column found.
#[derive(Debug, Clone, Copy, Default)]
struct Column {
    text: bool,
    /// Some value does not read back the same as a float.
    inexact: bool,
    max_decimals: usize,
    width: usize,
}

fn open_csv(path: &Path) -> Result<csv::Reader<Box<dyn std::io::Read + Send>>, String> {
    let opened = crate::data::Input::file(path)
        .open()
        .map_err(|e| e.to_string())?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(opened.reader))
}

/// Writes `files` (sheet name, CSV path) into one workbook at `out`, in
/// `tempdir` for its working files. Returns notes for the user (columns
/// kept as text).
pub fn write_workbook(
    files: &[(String, PathBuf)],
    out: &Path,
    tempdir: &Path,
) -> Result<Vec<String>, XlsxError> {
    let mut book = Workbook::new();
    book.set_tempdir(tempdir)
        .map_err(|e| XlsxError::Write(e.to_string()))?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    let w = |e: rust_xlsxwriter::XlsxError| XlsxError::Write(e.to_string());
    let mut notes = Vec::new();
    for (sheet, path) in files {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let read = |message: String| XlsxError::Read {
            file: file.clone(),
            message,
        };
        // Pass 1: the rows, and each column's kind.
        let mut r = open_csv(path).map_err(read)?;
        let header: Vec<String> = r
            .headers()
            .map_err(|e| read(e.to_string()))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        let mut cols: Vec<Column> = header
            .iter()
            .map(|h| Column {
                text: is_label(h),
                width: h.chars().count(),
                ..Column::default()
            })
            .collect();
        let mut rows = 0u64;
        let mut rec = csv::StringRecord::new();
        while r.read_record(&mut rec).map_err(|e| read(e.to_string()))? {
            rows += 1;
            for (k, v) in rec.iter().enumerate() {
                if k >= cols.len() {
                    cols.push(Column {
                        text: true,
                        ..Column::default()
                    });
                }
                let c = &mut cols[k];
                c.width = c.width.max(v.chars().count());
                if c.text || v.is_empty() {
                    continue;
                }
                if !is_plain_decimal(v) {
                    c.text = true;
                } else if exact_float(v).is_none() {
                    c.inexact = true;
                } else {
                    let d = v.split_once('.').map_or(0, |(_, f)| f.len());
                    c.max_decimals = c.max_decimals.max(d);
                }
            }
        }
        if rows >= MAX_ROWS {
            return Err(XlsxError::TooManyRows { file, rows });
        }
        for (k, c) in cols.iter_mut().enumerate() {
            if c.inexact && !c.text {
                c.text = true;
                notes.push(format!(
                    "note: column `{}` of {file} is text in the workbook: some of its values have more digits than a spreadsheet number holds",
                    header.get(k).map_or("", String::as_str)
                ));
            }
        }
        // Pass 2: the sheet, row by row.
        let ws = book.add_worksheet_with_constant_memory().map_err(w)?;
        ws.set_name(sheet.as_str()).map_err(w)?;
        for (k, c) in cols.iter().enumerate() {
            let width = (c.width.clamp(6, 40) + 2) as f64;
            ws.set_column_width(k as u16, width).map_err(w)?;
        }
        ws.set_freeze_panes(1, 0).map_err(w)?;
        for (k, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, k as u16, h, &bold)
                .map_err(w)?;
        }
        let mut r = open_csv(path).map_err(read)?;
        let mut row: u32 = 0;
        while r.read_record(&mut rec).map_err(|e| read(e.to_string()))? {
            row += 1;
            for (k, v) in rec.iter().enumerate() {
                let col = k as u16;
                if v.is_empty() {
                    continue;
                }
                let c = cols.get(k).copied().unwrap_or_default();
                match (c.text, exact_float(v)) {
                    (false, Some(x)) if (1..=2).contains(&c.max_decimals) => {
                        ws.write_number_with_format(row, col, x, &money)
                            .map_err(w)?;
                    }
                    (false, Some(x)) => {
                        ws.write_number(row, col, x).map_err(w)?;
                    }
                    _ => {
                        ws.write_string(row, col, v).map_err(w)?;
                    }
                }
            }
        }
    }
    book.save(out).map_err(w)?;
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_and_exact_floats() {
        for s in ["0", "7", "-12.30", "0.05", "123456789012.34"] {
            assert!(is_plain_decimal(s), "{s}");
            assert!(exact_float(s).is_some(), "{s}");
        }
        for s in ["007", "+1", "1e5", "1.", ".5", "", "-", "12a", "P001"] {
            assert!(!is_plain_decimal(s), "{s}");
        }
        // 17 significant digits: no float reads back as this decimal.
        assert_eq!(exact_float("1234567890123456.78"), None);
        assert_eq!(exact_float("-0.00"), Some(-0.0));
        assert_eq!(exact_float("100.10"), Some(100.1));
        assert!(is_label("claim_id") && is_label("drg_code") && !is_label("fund_paid"));
    }
}
