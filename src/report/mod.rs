//! Results out: the column layout every policy shares, amounts written
//! exactly, aligned terminal tables (CJK-width aware), CSV and JSON.

pub mod compare;
pub mod html;
mod ledger;
mod results;
pub mod rules;
mod table;

pub use ledger::{ledger_table, write_ledger};
pub use results::{write_results, ResultColumns};
pub use table::Table;

use rust_decimal::Decimal;

/// An amount with exactly two decimals, '.' separator, no grouping, never "-0.00".
pub fn money(d: Decimal) -> String {
    let mut r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        return "0.00".into();
    }
    r.rescale(2);
    r.to_string()
}

/// A non-money number (a ratio output, a count): as precise as it is.
pub fn number(d: Decimal) -> String {
    d.normalize().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Csv,
    Json,
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
        assert_eq!(money(Decimal::new(12345, 3)), "12.35");
        assert_eq!(money(Decimal::new(-1, 3)), "0.00");
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
