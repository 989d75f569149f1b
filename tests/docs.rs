//! The language reference stays true: every column of every output file is
//! documented in docs/language.md ("Output files"), and the unit algebra's
//! tables there are the checker's.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{root, stderr, temp_dir, yibao};
use yibao::check::types::Ty;
use yibao::syntax::ast::BinOp;

fn reference() -> String {
    std::fs::read_to_string(root().join("docs/language.md")).unwrap()
}

/// The text of a `###` section, up to the next heading.
fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/language.md has no `{heading}`"));
    let rest = &doc[start + heading.len()..];
    let end = rest.find("\n#").unwrap_or(rest.len());
    &rest[..end]
}

/// The names in backticks in the first cell of each table row.
fn documented(section: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap_or("");
        for part in cell.split('`').skip(1).step_by(2) {
            names.push(part.to_string());
        }
    }
    names
}

const POLICY: &str = r#"region "文档市" code "000002"
output 起付线自付: money
output 自付比例: ratio
ledger 考核扣款: money
layer fund_paid "统筹基金" {
  rule 全部 {
    起付线自付 = min(claim.total_cost, 100元)
    自付比例 = if claim.total_cost > 0 then 起付线自付 / claim.total_cost else 0%
    pay claim.total_cost * 50% round
  }
}
layer extra_paid "补充" {
  rule 全部 {
    pay 0
  }
}
settle 月度 per institution per month {
  routine_paid = sum(fund_paid)
}
settle 医共体 per alliance per year {
  routine_paid = sum(fund_paid)
  考核扣款 = 0
}
settle 全市 per region per year {
  budget = 1万元
}
ledger 二次补偿: money
settle 二次 per patient per year {
  二次补偿 = max(sum(patient_paid) - 1万元, 0) * 50% round
}
"#;

#[test]
fn every_output_column_is_documented() {
    let dir = temp_dir("docs-outputs");
    std::fs::write(dir.join("p.policy"), POLICY).unwrap();
    let doc = reference();
    // The policy's own columns, by the placeholder the reference uses.
    let own = |c: &str| match c {
        "extra_paid" => Some("<layer>"),
        "起付线自付" | "自付比例" => Some("<output>"),
        "考核扣款" => Some("<ledger amount>"),
        "二次补偿" => Some("<patient amount>"),
        _ => None,
    };
    let standard: Vec<&str> = yibao::schema::ledger::COLUMNS.iter().map(|c| c.0).collect();
    for format in ["csv", "json"] {
        let out = dir.join(format!("out-{format}"));
        let o = yibao(&[
            "run",
            dir.join("p.policy").to_str().unwrap(),
            "--claims",
            "tests/fixtures/settle/qingdao/claims.csv",
            "--institutions",
            "tests/fixtures/settle/qingdao/institutions.csv",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        for file in [
            "claims",
            "institution_months",
            "ledger",
            "ledger_months",
            "patient_ledger",
        ] {
            let path = out.join(format!("{file}.{format}"));
            let columns: Vec<String> = if format == "csv" {
                let mut r = csv::Reader::from_path(&path).unwrap();
                r.headers().unwrap().iter().map(String::from).collect()
            } else {
                let v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let first = v.as_array().and_then(|a| a.first()).expect("rows");
                first.as_object().unwrap().keys().cloned().collect()
            };
            let names = documented(section(&doc, &format!("### `{file}.csv`")));
            // `budget` … `institution_share` stands for the standard amounts between.
            let covers = |c: &str| {
                names.iter().any(|n| n == c)
                    || own(c).is_some_and(|p| names.iter().any(|n| n == p))
                    // A patient amount is a declared ledger amount too (0.00 in ledger.csv).
                    || (own(c) == Some("<patient amount>")
                        && names.iter().any(|n| n == "<ledger amount>"))
                    || (standard.contains(&c) && names.iter().any(|n| n == "budget"))
            };
            for c in &columns {
                assert!(
                    covers(c),
                    "{file}.{format}: column `{c}` is not in docs/language.md"
                );
            }
        }
    }
}

/// One of the reference's unit tables: `(a, b) → result`, `None` for `—`.
fn algebra(doc: &str, op: &str) -> Vec<(Ty, Ty, Option<Ty>)> {
    let start = doc.find(&format!("`a {op} b`:")).expect("table");
    let names = ["money", "ratio", "count", "days", "months", "number"];
    let ty = |n: &str| match n {
        "number" => Ty::Number,
        n => Ty::from_name(n).unwrap(),
    };
    let mut cells = Vec::new();
    for line in doc[start..].lines().skip(4).take(6) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let a = ty(cols[1]);
        for (i, b) in names.iter().enumerate() {
            let cell = cols[2 + i];
            cells.push((a, ty(b), (cell != "—").then(|| ty(cell))));
        }
    }
    assert_eq!(cells.len(), 36);
    cells
}

#[test]
fn the_unit_algebra_in_the_reference_is_the_checkers() {
    let doc = reference();
    for (op, bin) in [("×", BinOp::Mul), ("÷", BinOp::Div)] {
        for (a, b, want) in algebra(&doc, op) {
            assert_eq!(
                Ty::arith(bin, a, b).ok(),
                want,
                "{a} {op} {b}: docs/language.md says {want:?}"
            );
        }
    }
}

/// The reference's date tables under "Dates in the algebra": `(a, b) → result`.
fn date_algebra(doc: &str, op: &str) -> Vec<(Ty, Ty, Option<Ty>)> {
    let from = doc.find("#### Dates in the algebra").expect("date algebra");
    let start = from + doc[from..].find(&format!("`a {op} b`:")).expect("table");
    let names = ["date", "days", "months", "number"];
    let ty = |n: &str| match n {
        "number" => Ty::Number,
        n => Ty::from_name(n).unwrap(),
    };
    let mut cells = Vec::new();
    for line in doc[start..].lines().skip(4).take(4) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let a = ty(cols[1]);
        for (i, b) in names.iter().enumerate() {
            let cell = cols[2 + i];
            cells.push((a, ty(b), (cell != "—").then(|| ty(cell))));
        }
    }
    assert_eq!(cells.len(), 16);
    cells
}

#[test]
fn the_date_algebra_in_the_reference_is_the_checkers() {
    let doc = reference();
    for (op, bin) in [("+", BinOp::Add), ("−", BinOp::Sub)] {
        for (a, b, want) in date_algebra(&doc, op) {
            assert_eq!(
                Ty::arith(bin, a, b).ok(),
                want,
                "{a} {op} {b}: docs/language.md says {want:?}"
            );
        }
    }
}

/// docs/scale.md names the tests that hold its promises: each exists.
#[test]
fn the_scale_notes_name_tests_that_exist() {
    let doc = std::fs::read_to_string(root().join("docs/scale.md")).unwrap();
    let named: Vec<(&str, &str)> = doc
        .split("`tests/")
        .skip(1)
        .flat_map(|after| {
            let file = after.split('`').next().unwrap_or("");
            // The test names in backticks after the file's closing one, up to a `)`.
            let rest = after.get(file.len() + 1..).unwrap_or("");
            let span = rest.split(')').next().unwrap_or("");
            span.split('`')
                .skip(1)
                .step_by(2)
                .filter(|n| !n.starts_with("tests/"))
                .map(move |n| (file, n))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(named.len() >= 3, "{named:?}");
    for (file, test) in named {
        let text = std::fs::read_to_string(root().join("tests").join(file)).unwrap();
        assert!(
            text.contains(&format!("fn {test}(")),
            "docs/scale.md names {test} in tests/{file}"
        );
    }
}

#[test]
fn every_contribution_column_is_documented() {
    let doc = reference();
    let dir = temp_dir("docs-contrib");
    for format in ["csv", "json"] {
        let out = dir.join(format!("out-{format}"));
        let o = yibao(&[
            "run",
            "policies/kunming.policy",
            "--persons",
            "tests/fixtures/contrib/kunming/persons.csv",
            "--contributions",
            "tests/fixtures/contrib/kunming/contributions.csv",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        for file in yibao::report::CONTRIBUTION_FILES {
            let path = out.join(format!("{file}.{format}"));
            let columns: Vec<String> = if format == "csv" {
                let mut r = csv::Reader::from_path(&path).unwrap();
                r.headers().unwrap().iter().map(String::from).collect()
            } else {
                let v: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let first = v.as_array().and_then(|a| a.first()).expect("rows");
                first.as_object().unwrap().keys().cloned().collect()
            };
            let names = documented(section(&doc, &format!("### `{file}.csv`")));
            for c in &columns {
                assert!(
                    names.contains(c),
                    "{file}: column `{c}` is not in docs/language.md"
                );
            }
            for n in &names {
                assert!(
                    columns.contains(n),
                    "{file}: docs/language.md has `{n}`, which is not written"
                );
            }
        }
    }
}

/// The example of "Contributions and personal accounts" checks and runs.
#[test]
fn the_contribution_example_runs() {
    let doc = reference();
    let s = section(&doc, "## Contributions and personal accounts");
    let start = s.find("```text").expect("example") + "```text".len();
    let end = start + s[start..].find("```").expect("end");
    let dir = temp_dir("docs-contrib-example");
    let p = dir.join("p.policy");
    std::fs::write(&p, format!("region \"文档\"\n{}", &s[start..end])).unwrap();
    let o = yibao(&[
        "run",
        p.to_str().unwrap(),
        "--persons",
        "tests/fixtures/contrib/beijing/persons.csv",
        "--contributions",
        "tests/fixtures/contrib/beijing/contributions.csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The input tables of docs/language.md list exactly the columns the
/// loaders read.
#[test]
fn every_input_column_is_documented() {
    let doc = reference();
    let inputs = section(&doc, "## Input files");
    let tables: Vec<Vec<String>> = inputs
        .split("\n\n")
        .filter(|b| b.contains("| column |"))
        .map(documented)
        .collect();
    let want: Vec<Vec<String>> = [
        yibao::data::CLAIM_COLUMNS,
        yibao::data::INSTITUTION_COLUMNS,
        yibao::data::ASSESSMENT_COLUMNS,
        yibao::data::AGREEMENT_COLUMNS,
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(tables, want);
}

/// agreements.csv, and the agreement columns of claims.csv and the ledgers,
/// are documented, and nothing documented is left unwritten.
#[test]
fn every_agreement_column_is_documented() {
    let doc = reference();
    let out = temp_dir("docs-agreements");
    let o = yibao(&[
        "run",
        "policies/agreement.policy",
        "--claims",
        "tests/fixtures/settle/agreement/claims.csv",
        "--institutions",
        "tests/fixtures/settle/agreement/institutions.csv",
        "--agreements",
        "tests/fixtures/settle/agreement/agreement_actions.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let header = |f: &str| -> Vec<String> {
        let mut r = csv::Reader::from_path(out.join(f)).unwrap();
        r.headers().unwrap().iter().map(String::from).collect()
    };
    let names = documented(section(&doc, "### `agreements.csv`"));
    assert_eq!(header("agreements.csv"), names);
    assert!(documented(section(&doc, "### `claims.csv`")).contains(&"agreement".to_string()));
    let ledger = documented(section(&doc, "### `ledger.csv`"));
    for c in ["held", "released", "forfeited", "held_closing"] {
        assert!(header("ledger.csv").contains(&c.to_string()));
        assert!(ledger.contains(&c.to_string()), "{c}");
    }
}
