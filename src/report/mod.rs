//! Results out: the column layout every policy shares, amounts written
//! exactly, aligned terminal tables (CJK-width aware), CSV and JSON.

mod agreements;
pub mod compare;
pub(crate) mod compare_files;
mod contrib;
mod encoding;
mod field;
pub mod html;
mod kept;
mod ledger;
mod patient;
mod results;
pub mod rules;
mod table;
pub mod xlsx;

pub use agreements::{write_agreements, AGREEMENT_COLUMNS};
pub use compare_files::{write_change_tables, COMPARE_FILES};
pub use contrib::{
    band_text, contribution_lines, ContribWriter, CONTRIBUTION_FILES, CONTRIBUTION_TOTAL_COLUMNS,
};
pub use encoding::{Encoded, Encoding};
pub use field::Field;
pub use kept::{resolve_kept, Kept};
pub use ledger::{
    column_type as ledger_column_type, field as ledger_field, ledger_table, write_ledger,
};
pub use patient::{patient_totals, write_patient_ledger, PATIENT_FIXED};
pub use results::{write_institution_months, ClaimLines, ClaimsFile, ResultColumns};
pub use table::Table;

use crate::check::types::Ty;
use rust_decimal::Decimal;

/// An amount exactly as computed, never rounded: two decimals for a whole
/// number of fen (every payment is one), and every further digit an amount
/// holds beyond the fen (`500.55005`), trailing zeros past the fen dropped;
/// '.' separator, no grouping, never "-0.00".
pub fn money(d: Decimal) -> String {
    let mut r = d.normalize();
    if r.is_zero() {
        return "0.00".into();
    }
    if r.scale() < 2 {
        r.rescale(2);
    }
    r.to_string()
}

/// A non-money number (a ratio, a count, days): exactly as computed, every
/// significant digit and no trailing zeros (`0.5`, `0.1998001998…`, `3`), never "-0".
pub fn number(d: Decimal) -> String {
    if d.is_zero() {
        return "0".into();
    }
    d.normalize().to_string()
}

/// A value of type `ty` as every output file writes it: money by [`money`],
/// anything else by [`number`]; exact either way.
pub fn exact(ty: Ty, d: Decimal) -> String {
    if ty == Ty::Money {
        money(d)
    } else {
        number(d)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Rows of fields as JSON objects keyed by the header: what `--format json`
/// prints of a table.
pub fn json_rows(header: &[String], rows: &[Vec<Field>]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            serde_json::Value::Object(
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(Field::json))
                    .collect(),
            )
        })
        .collect()
}

/// Rows of fields as their texts (CSV cells).
pub fn text_rows(rows: &[Vec<Field>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(Field::text).collect())
        .collect()
}

/// Writes a header and rows as CSV.
pub fn write_csv(
    out: &mut impl std::io::Write,
    header: &[String],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    results::write_csv_line(out, header)?;
    for r in rows {
        results::write_csv_line(out, r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_format() {
        assert_eq!(money(Decimal::new(-0, 2)), "0.00");
        assert_eq!(money(Decimal::new(5, 0)), "5.00");
        assert_eq!(money(Decimal::new(1230, 3)), "1.23");
        assert_eq!(money(Decimal::new(-7050, 3)), "-7.05");
        // Never rounded: the digits past the fen are all kept.
        assert_eq!(money(Decimal::new(12345, 3)), "12.345");
        assert_eq!(money(Decimal::new(-1, 3)), "-0.001");
        // 500.50 × 1.0001 = 500.550050 (scale 2 + 4): the trailing zero goes.
        assert_eq!(money(Decimal::new(500550050, 6)), "500.55005");
    }

    #[test]
    fn number_format() {
        assert_eq!(number(Decimal::new(-0, 3)), "0");
        assert_eq!(number(Decimal::new(500, 3)), "0.5");
        assert_eq!(number(Decimal::new(3, 0)), "3");
        assert_eq!(number(Decimal::new(300, 2)), "3");
        // 2 ÷ 3 to 28 decimals: the 29th is 6, so the 28th rounds up to 7.
        let two_thirds = Decimal::TWO / Decimal::from(3);
        assert_eq!(number(two_thirds), "0.6666666666666666666666666667");
        assert_eq!(exact(Ty::Ratio, two_thirds), number(two_thirds));
        assert_eq!(exact(Ty::Money, Decimal::new(5, 1)), "0.50");
    }

    #[test]
    fn push_money_is_money() {
        for d in [
            "0",
            "-0.00",
            "5",
            "12.3",
            "-7.05",
            "1234567.89",
            "0.005",
            "-0.004",
            "79228162514264337593543950.335",
        ] {
            let d: Decimal = d.parse().unwrap();
            let mut buf = Vec::new();
            results::push_money(&mut buf, d);
            assert_eq!(String::from_utf8(buf).unwrap(), money(d), "{d}");
        }
    }
}
