//! Workbooks out and in.
//!
//! Out: `run --xlsx` and `compare --xlsx` write every CSV file of the set as a
//! sheet; read back by calamine (here) and by openpyxl and pandas
//! (tests/fixtures/xlsx/check.py), every number cell is the CSV's exact
//! decimal and every text cell its text. Python with openpyxl and pandas is
//! installed by `.ci/run`, which sets `YIBAO_REQUIRE_PYTHON_XLSX=1`: there the
//! Python check never skips.
//!
//! In: claims and institutions as xlsx workbooks (numbers as numbers, dates as
//! date cells) settle exactly as the same rows in CSV; a number that is not
//! a whole number of fen, a date with a time of day and files of other kinds
//! are refused with where and what they are.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use calamine::{Data, Reader};
use common::{stderr, temp_dir, yibao};
use std::path::Path;

/// The CSV file's rows, header included (UTF-8).
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    r.records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect()
}

/// Every sheet of `book` against the CSV file of its name in `dir`.
fn same_as_csv(book: &Path, dir: &Path) -> Vec<String> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(book).unwrap();
    let names = wb.sheet_names();
    for name in &names {
        let range = wb.worksheet_range(name).unwrap();
        let rows = csv_rows(&dir.join(format!("{name}.csv")));
        assert_eq!(range.height(), rows.len(), "sheet {name}: rows");
        for (r, (sheet_row, csv_row)) in range.rows().zip(&rows).enumerate() {
            for (c, want) in csv_row.iter().enumerate() {
                let got = sheet_row.get(c).unwrap_or(&Data::Empty);
                let ok = match got {
                    Data::Empty => want.is_empty(),
                    Data::String(s) => s == want,
                    // The float's shortest decimal is the exact CSV value.
                    Data::Float(f) => {
                        let want: rust_decimal::Decimal = want.parse().unwrap();
                        format!("{f}").parse::<rust_decimal::Decimal>().unwrap() == want
                    }
                    Data::Int(i) => i.to_string() == *want,
                    other => panic!("sheet {name} row {r}: unexpected cell {other:?}"),
                };
                assert!(
                    ok,
                    "sheet {name} row {} column {}: {got:?} is not {want:?}",
                    r + 1,
                    c + 1
                );
            }
        }
    }
    names
}

/// The Python readers, mandatory where `.ci/run` installed them.
fn python_check(book: &Path, dir: &Path, encoding: &str) {
    let have = std::process::Command::new("python3")
        .args(["-c", "import openpyxl, pandas"])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var("YIBAO_REQUIRE_PYTHON_XLSX").is_err(),
            "YIBAO_REQUIRE_PYTHON_XLSX is set but python3 with openpyxl and pandas is not there"
        );
        eprintln!("SKIPPED the openpyxl/pandas check: no python3 with openpyxl and pandas (.ci/run installs them)");
        return;
    }
    let o = std::process::Command::new("python3")
        .arg(common::root().join("tests/fixtures/xlsx/check.py"))
        .arg(book)
        .arg(dir)
        .arg(encoding)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn run_writes_a_workbook_that_reads_back_exactly() {
    let dir = temp_dir("xlsx-run");
    let out = dir.join("out");
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        "examples/claims.csv",
        "--institutions",
        "examples/institutions.csv",
        "--out",
        out.to_str().unwrap(),
        "--xlsx",
        "--keep-columns",
        "all",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let book = out.join("results.xlsx");
    let names = same_as_csv(&book, &out);
    assert_eq!(names, ["claims", "institution_months", "ledger"]);
    // The manifest lists the workbook with the rest of the set.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"results.xlsx\""), "{manifest}");
    python_check(&book, &out, "utf-8");

    // Ids stay text even where they look like numbers; amounts are numbers.
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let claims = wb.worksheet_range("claims").unwrap();
    assert!(matches!(claims.get((1, 0)), Some(Data::String(_))));
    assert!(
        matches!(claims.get((1, 7)), Some(Data::Float(_))),
        "{:?}",
        claims.get((1, 7))
    );
}

#[test]
fn compare_writes_the_change_tables_as_a_workbook() {
    let dir = temp_dir("xlsx-compare");
    let out = dir.join("out");
    let o = yibao(&[
        "compare",
        "tests/fixtures/compare/tiny/a.policy",
        "tests/fixtures/compare/tiny/b.policy",
        "--claims",
        "tests/fixtures/compare/tiny/claims.csv",
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
        "--out",
        out.to_str().unwrap(),
        "--xlsx",
        "--encoding",
        "gb18030",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let book = out.join("comparison.xlsx");
    // calamine against the GB18030 files, decoded to compare.
    let utf8 = dir.join("utf8");
    std::fs::create_dir_all(&utf8).unwrap();
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let bytes = std::fs::read(&p).unwrap();
            let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
            assert!(!bad);
            std::fs::write(utf8.join(p.file_name().unwrap()), text.as_bytes()).unwrap();
        }
    }
    let names = same_as_csv(&book, &utf8);
    assert!(names.contains(&"patient_years".to_string()), "{names:?}");
    // The hand figures (tests/fixtures/compare/tiny/README.md): P2 pays
    // 840.00 under a and 895.00 under b.
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let py = wb.worksheet_range("patient_years").unwrap();
    let header: Vec<String> = py
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let p2: Vec<&[Data]> = py
        .rows()
        .filter(|r| r[col("patient_id")] == Data::String("P2".into()))
        .collect();
    let paid: Vec<f64> = p2
        .iter()
        .map(|r| match r[col("patient_paid")] {
            Data::Float(f) => f,
            ref other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(paid, [840.0, 895.0]);
    python_check(&book, &out, "gb18030");

    // Without --out there is nothing to write a workbook of.
    let o = yibao(&[
        "compare",
        "tests/fixtures/compare/tiny/a.policy",
        "tests/fixtures/compare/tiny/b.policy",
        "--claims",
        "tests/fixtures/compare/tiny/claims.csv",
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
        "--xlsx",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give --out DIR"), "{}", stderr(&o));
}

/// Writes a CSV file as a workbook the way a spreadsheet would hold it:
/// numbers as numbers, dates as date cells, the rest as text. `tamper`
/// changes a cell (row, column) first.
fn csv_as_xlsx(csv: &Path, xlsx: &Path, tamper: &[(u32, u16, Cell)]) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let rows = csv_rows(csv);
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if let Some((_, _, t)) = tamper.iter().find(|(tr, tc, _)| (*tr, *tc) == (r, c)) {
                match t {
                    Cell::Number(x) => ws.write_number(r, c, *x).unwrap(),
                    Cell::DateTime(y, m, d, h) => ws
                        .write_datetime_with_format(
                            r,
                            c,
                            ExcelDateTime::from_ymd(*y, *m, *d)
                                .unwrap()
                                .and_hms(*h, 0, 0)
                                .unwrap(),
                            &datetime,
                        )
                        .unwrap(),
                };
                continue;
            }
            let is_id =
                rows[0][c as usize].ends_with("_id") || rows[0][c as usize].ends_with("code");
            if r > 0 && v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-' {
                let (y, m, d) = (
                    v[..4].parse().unwrap(),
                    v[5..7].parse().unwrap(),
                    v[8..].parse().unwrap(),
                );
                ws.write_datetime_with_format(
                    r,
                    c,
                    ExcelDateTime::from_ymd(y, m, d).unwrap(),
                    &date,
                )
                .unwrap();
            } else if let (false, true, Ok(x)) = (is_id, r > 0, v.parse::<f64>()) {
                ws.write_number(r, c, x).unwrap();
            } else if !v.is_empty() {
                ws.write_string(r, c, v).unwrap();
            }
        }
    }
    book.save(xlsx).unwrap();
}

enum Cell {
    Number(f64),
    DateTime(u16, u8, u8, u16),
}

#[test]
fn claims_and_institutions_read_from_xlsx_settle_as_from_csv() {
    let dir = temp_dir("xlsx-in");
    let (claims, insts) = (dir.join("claims.xlsx"), dir.join("institutions.xlsx"));
    csv_as_xlsx(Path::new("examples/claims.csv"), &claims, &[]);
    csv_as_xlsx(Path::new("examples/institutions.csv"), &insts, &[]);
    let run = |c: &str, i: &str, out: &Path| {
        yibao(&[
            "run",
            "policies/r1.policy",
            "--claims",
            c,
            "--institutions",
            i,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (a, b) = (dir.join("from-csv"), dir.join("from-xlsx"));
    let o = run("examples/claims.csv", "examples/institutions.csv", &a);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(claims.to_str().unwrap(), insts.to_str().unwrap(), &b);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is an xlsx workbook; its first sheet was read"),
        "{}",
        stderr(&o)
    );
    for f in ["claims.csv", "institution_months.csv", "ledger.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between CSV and xlsx input"
        );
    }
}

#[test]
fn cells_that_are_not_whole_fen_or_whole_days_are_refused_with_their_place() {
    let dir = temp_dir("xlsx-bad");
    let claims = dir.join("claims.xlsx");
    // Row 3 (the second claim): total_cost (column J) 189.125 yuan; row 5:
    // discharge_date (column I) 2025-10-28 08:00.
    csv_as_xlsx(
        Path::new("examples/claims.csv"),
        &claims,
        &[
            (2, 9, Cell::Number(189.125)),
            (4, 8, Cell::DateTime(2025, 10, 28, 8)),
        ],
    );
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "examples/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("2 cells of sheet `Sheet1` cannot be read"),
        "{e}"
    );
    assert!(
        e.contains(
            "sheet `Sheet1`, row 3, column J (total_cost): 189.125 is not a whole number of fen"
        ),
        "{e}"
    );
    assert!(
        e.contains("sheet `Sheet1`, row 5, column I (discharge_date): 2025-10-28 08:00:00 has a time of day"),
        "{e}"
    );

    // Other kinds are named as what they are, whatever the file is called.
    let parquet = dir.join("claims.csv");
    std::fs::write(&parquet, b"PAR1\x15\x04\x15\x10").unwrap();
    let o = yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        parquet.to_str().unwrap(),
        "--institutions",
        "examples/institutions.csv",
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("not a CSV file: it is a Parquet file"),
        "{}",
        stderr(&o)
    );
}
