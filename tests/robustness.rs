//! Policy text of any shape ends in a program or in diagnostics, never a
//! panic or a stack overflow: the deepest policy the limits accept checks and
//! settles (settlement runs on threads with the default stack); shipped
//! policies cut at every point, with CRLF line ends or a BOM, or with
//! full-width punctuation, behave as documented.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use std::path::Path;
use yibao::source::SourceFile;
use yibao::syntax::{MAX_DEPTH, MAX_NESTING};

fn shipped() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(common::root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "the shipped policies");
    out
}

fn compile(text: &str) -> Result<yibao::ir::Program, Vec<yibao::diagnostic::Diagnostic>> {
    yibao::compile(&SourceFile::new("t.policy", text)).map(|(p, _)| p)
}

#[test]
fn the_deepest_accepted_policy_checks_and_settles() {
    // Nesting at its limit (the layer's and the rule's braces and `min(` count:
    // 3 + 61 = 64) around a chain that makes the tree nearly MAX_DEPTH deep.
    let chain = MAX_DEPTH - 8;
    let open = "(".repeat(MAX_NESTING - 3);
    let close = ")".repeat(MAX_NESTING - 3);
    let deep = format!(
        "{open}{}claim.total_cost * 50%{close}",
        "0元 + ".repeat(chain)
    );
    let ifs = format!(
        "{}claim.total_cost",
        "if claim.age > 200 then 0元 else ".repeat(MAX_DEPTH - 8)
    );
    let text = format!("layer fund_paid {{ rule r {{ pay min({deep}, {ifs}) round }} }}\n");
    let prog = compile(&text).unwrap_or_else(|d| panic!("{:?}", d[0].message));
    let dir = common::root().join("tests/fixtures/compare/tiny");
    let insts = yibao::data::load_institutions(&dir.join("institutions.csv"), &[]).unwrap();
    let (claims, rejects) = yibao::data::load_claims(&dir.join("claims.csv"), &insts, &[]).unwrap();
    assert!(rejects.is_empty());
    let s = yibao::eval::settle(&prog, &claims, &insts, 2).unwrap();
    // Half of each claim's cost, rounded half away from zero (250.55 → 125.275 → 125.28).
    let mut fund: Vec<(String, String)> = (0..s.len())
        .map(|k| {
            let id = claims.text(claims.rows[k].id).to_string();
            (id, yibao::report::money(s.row(k)[0]))
        })
        .collect();
    fund.sort();
    let want = [
        ("C1", "500.00"),
        ("C2", "40.00"),
        ("C3", "1500.00"),
        ("C4", "250.00"),
        ("C5", "125.28"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(fund, want);
}

#[test]
fn shipped_policies_cut_anywhere_give_diagnostics() {
    let mut cuts = 0;
    for (name, text) in shipped() {
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(11).collect();
        for &at in &bounds {
            let cut = &text[..at];
            // Whatever the result, it is a result; errors point inside the text.
            if let Err(diags) = compile(cut) {
                assert!(!diags.is_empty(), "{name} cut at {at}");
                for d in &diags {
                    if let Some(s) = d.span {
                        assert!(s.start as usize <= cut.len(), "{name} cut at {at}: {d:?}");
                    }
                }
            }
            cuts += 1;
        }
    }
    assert!(cuts > 1_000, "{cuts}");
}

#[test]
fn crlf_line_ends_and_a_bom_change_nothing() {
    for (name, text) in shipped() {
        let plain = yibao::syntax::parse_policy(&SourceFile::new("a", text.as_str())).unwrap();
        let crlf = text.replace('\n', "\r\n");
        let bom = format!("\u{feff}{crlf}");
        for variant in [crlf, bom] {
            let other = yibao::syntax::parse_policy(&SourceFile::new("b", variant.as_str()))
                .unwrap_or_else(|d| panic!("{name}: {}", d.message));
            assert_eq!(plain, other, "{name}");
            assert!(compile(&variant).is_ok(), "{name}");
        }
    }
}

#[test]
fn full_width_punctuation_is_named_with_its_ascii() {
    let pairs = [
        ('(', '（'),
        (')', '）'),
        (':', '：'),
        (',', '，'),
        ('{', '｛'),
        ('=', '＝'),
        ('%', '％'),
    ];
    let mut checked = 0;
    for (name, text) in shipped() {
        for (ascii, wide) in pairs {
            // The first one outside comments and strings.
            let Some(at) = code_position(&text, ascii) else {
                continue;
            };
            let bad = format!("{}{wide}{}", &text[..at], &text[at + 1..]);
            let diags = compile(&bad)
                .err()
                .unwrap_or_else(|| panic!("{name}: {wide} accepted"));
            let d = &diags[0];
            let help = d.help.clone().unwrap_or_default();
            assert!(
                help.contains(&format!(
                    "`{wide}` is full-width; write the ASCII `{ascii}`"
                )),
                "{name} {wide}: {} / {help}",
                d.message
            );
            assert_eq!(d.span.map(|s| s.start as usize), Some(at), "{name} {wide}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

/// The byte offset of the first `c` outside comments and strings.
fn code_position(text: &str, c: char) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or("");
        let mut in_string = false;
        for (i, ch) in code.char_indices() {
            match ch {
                '"' => in_string = !in_string,
                _ if in_string => {}
                _ if ch == c => return Some(offset + i),
                _ => {}
            }
        }
        offset += line.len();
    }
    None
}

#[test]
fn files_that_are_not_policies_are_refused_clearly() {
    let dir = common::temp_dir("robustness-files");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "random.policy",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            "is not UTF-8 text",
        ),
        (
            "gbk.policy",
            b"region \"\xb0\xcd\xd6\xd0\xca\xd0\"\n".to_vec(),
            "is not UTF-8 text",
        ),
        ("empty.policy", vec![], "has no `layer`"),
        ("nul.policy", b"region \"a\"\0\n".to_vec(), "error"),
    ];
    for (name, bytes, want) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = common::yibao(&["check", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", common::stderr(&o));
        let err = common::stderr(&o) + &common::stdout(&o);
        assert!(err.contains(want), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

/// Claims exported from a Chinese spreadsheet: GBK is decoded and said so, and
/// settles exactly as the UTF-8 file does; a UTF-8 file with one stray byte
/// loses that row only (named); bytes in no known encoding are refused.
#[test]
fn claim_files_from_spreadsheets() {
    let dir = common::temp_dir("robustness-encodings");
    let tiny = common::root().join("tests/fixtures/compare/tiny");
    let text = std::fs::read_to_string(tiny.join("claims.csv"))
        .unwrap()
        .replace("J18", "肺炎")
        .replace("I63", "脑梗死");
    let utf8 = dir.join("utf8.csv");
    let gbk = dir.join("gbk.csv");
    std::fs::write(&utf8, &text).unwrap();
    std::fs::write(&gbk, encoding_rs::GBK.encode(&text).0).unwrap();
    let insts = tiny.join("institutions.csv");
    let run = |claims: &Path, out: &str| {
        let out = dir.join(out);
        common::yibao(&[
            "run",
            "tests/fixtures/compare/tiny/b.policy",
            "--claims",
            claims.to_str().unwrap(),
            "--institutions",
            insts.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let (a, b) = (run(&utf8, "out-utf8"), run(&gbk, "out-gbk"));
    assert!(
        a.status.success() && b.status.success(),
        "{}",
        common::stderr(&b)
    );
    assert!(
        common::stderr(&b).contains("is GB18030 (GBK)-encoded, not UTF-8"),
        "{}",
        common::stderr(&b)
    );
    assert!(!common::stderr(&a).contains("encoded"));
    let read = |d: &str| std::fs::read(dir.join(d).join("claims.csv")).unwrap();
    assert_eq!(read("out-utf8"), read("out-gbk"));
    assert_eq!(
        common::stdout(&a).replace("utf8.csv", "X"),
        common::stdout(&b).replace("gbk.csv", "X")
    );

    // One stray GBK byte pair in a UTF-8 file: that row is rejected, by line.
    let mut mixed = text.clone().into_bytes();
    mixed.extend(
        b"C9,P9,resident,false,60,H1,inpatient,2025-08-01,2025-08-02,100.00,0.00,10.00,\xb7\xce,\n",
    );
    let mixed_path = dir.join("mixed.csv");
    std::fs::write(&mixed_path, mixed).unwrap();
    let o = run(&mixed_path, "out-mixed");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        common::stderr(&o).contains("mixed.csv:7: disease_code: text is not UTF-8"),
        "{}",
        common::stderr(&o)
    );

    // Neither UTF-8 nor GB18030: refused as a whole, never read as garbage.
    let junk = dir.join("junk.csv");
    std::fs::write(&junk, [0xFFu8, 0x00, 0xFF, 0x80, 0xFF, b'\n'].repeat(100)).unwrap();
    let o = run(&junk, "out-junk");
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    assert!(
        common::stderr(&o).contains("text is not UTF-8"),
        "{}",
        common::stderr(&o)
    );
}

/// Found by the property tests: a patient whose scheme changes within the year
/// (employee, then resident) has used more of the shared pooled-fund
/// accumulator than the resident cap allows. Nothing more is paid — not a
/// negative payment. By hand (R1, level 1): employee (247,913.32 − 200) × 95%
/// = 235,327.654 → 235,327.65; then resident 1,000.00 with the 200,000 cap
/// already exceeded → fund 0.00; out of pocket 1,000 is below the 15,000
/// serious-illness threshold → serious 0.00; the patient pays 1,000.00.
#[test]
fn a_scheme_change_within_the_year_pays_nothing_beyond_the_cap() {
    let dir = common::temp_dir("robustness-scheme-change");
    let claims = dir.join("claims.csv");
    std::fs::write(
        &claims,
        "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n\
         A1,P1,employee,false,50,H1,inpatient,2025-02-01,2025-02-10,247913.32,0.00,0.00,C34,\n\
         A2,P1,resident,false,50,H1,inpatient,2025-09-01,2025-09-03,1000.00,0.00,0.00,J18,\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = common::yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(
        common::result_rows(&out.join("claims.csv")),
        [
            ["A1", "235327.65", "0.00", "12585.67"],
            ["A2", "0.00", "0.00", "1000.00"]
        ]
    );
}

/// An amount too large for exact arithmetic stops the run with the claim, the
/// rule and the policy position, never a panic.
#[test]
fn an_overflow_names_the_claim_and_the_rule() {
    let dir = common::temp_dir("robustness-overflow");
    let policy = dir.join("huge.policy");
    std::fs::write(
        &policy,
        "param 倍数: count = 100000000000000000000\n\
         layer fund_paid {\n  rule 放大 {\n    pay claim.total_cost * 倍数 * 倍数 round\n  }\n}\n",
    )
    .unwrap();
    let claims = dir.join("huge.csv");
    std::fs::write(
        &claims,
        "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n\
         BIG1,P1,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,9999999999999999.99,0.00,0.00,J18,\n",
    )
    .unwrap();
    let o = common::yibao(&[
        "run",
        policy.to_str().unwrap(),
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    for want in [
        "error: arithmetic overflow (9999999999999999.99 and 100000000000000000000)",
        "claim `BIG1` (",
        "huge.csv:2)",
        "in rule `fund_paid/放大`",
        "huge.policy:4:26: pay claim.total_cost * 倍数 * 倍数 round",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// The claims header of the data contract.
const CLAIMS_HEADER: &str = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";

/// A good R1 claim at the tiny fixture's H1, with this id and disease code.
fn claim_line(id: &str, disease: &str) -> String {
    format!("{id},P-{id},employee,false,50,H1,inpatient,2025-03-01,2025-03-05,1000.00,0.00,0.00,{disease},")
}

/// Runs R1 on `claims` (tiny institutions) with a reject file and results.
fn run_rejecting(dir: &Path, claims: &Path) -> std::process::Output {
    common::yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
        "--reject-file",
        dir.join("rejects.csv").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ])
}

/// `(line, reason)` of each row of a reject file.
fn rejects(dir: &Path) -> Vec<(String, String)> {
    common::csv_rows(&dir.join("rejects.csv"))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// Found in the field: one unclosed quote on line 10 of a 3,000-claim file
/// swallowed every later row into one field ("9 read = 8 settled + 1
/// rejected", exit 0). A record never spans lines: that line is rejected, the
/// 2,999 others settle.
#[test]
fn an_unclosed_quote_costs_only_its_own_line() {
    let dir = common::temp_dir("robustness-unclosed-quote");
    let o = common::yibao(&["gen", "--claims", "3000", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let claims = dir.join("claims.csv");
    let text = std::fs::read_to_string(&claims).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    assert_eq!(lines.len(), 3001);
    // Line 10 (the header is line 1): a quote opens disease_code, the 13th field.
    let mut fields: Vec<String> = lines[9].split(',').map(String::from).collect();
    fields[12] = format!("\"{}", fields[12]);
    lines[9] = fields.join(",");
    std::fs::write(&claims, lines.join("\n") + "\n").unwrap();
    let o = common::yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        dir.join("institutions.csv").to_str().unwrap(),
        "--reject-file",
        dir.join("rejects.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert!(
        out.contains("claims: 3000 read = 2999 settled + 1 rejected"),
        "{out}"
    );
    let r = rejects(&dir);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].0, "10");
    assert!(
        r[0].1
            .contains("a quote opened in disease_code is not closed on this line"),
        "{r:?}"
    );
}

/// Each way a record could span lines is an error of its own line, and
/// every physical line is counted: line 3 opens a quote that line 4 closes
/// (both rejected: 4 has 2 fields), line 6 is blank (skipped, said so), 7
/// holds a carriage return inside quotes and 8 one outside, 9 is exactly
/// 65,536 bytes long (the limit: settled) and 10 one byte longer (rejected);
/// line 2 ends in CRLF, line 11 has no line end. 9 rows read (lines 2–5 and
/// 7–11), 4 settled (2, 5, 9, 11), 5 rejected (3, 4, 7, 8, 10).
#[test]
fn records_never_span_lines() {
    let dir = common::temp_dir("robustness-lines");
    let long = |id: &str, len: usize| {
        let base = claim_line(id, "");
        let pad = "J".repeat(len - base.len());
        claim_line(id, &pad)
    };
    let at_limit = long("A6", 65_536);
    let over = long("A7", 65_537);
    assert_eq!((at_limit.len(), over.len()), (65_536, 65_537));
    let text = [
        format!("{CLAIMS_HEADER}\n"),
        format!("{}\r\n", claim_line("A1", "J18")),
        format!("{}\n", claim_line("A2", "\"J1")),
        "8\",\n".to_string(),
        format!("{}\n", claim_line("A3", "J18")),
        "\n".to_string(),
        format!("{}\n", claim_line("A4", "\"J1\r8\"")),
        format!("{}\n", claim_line("A5", "J1\r8")),
        format!("{at_limit}\n"),
        format!("{over}\n"),
        claim_line("A8", "J18"),
    ]
    .concat();
    let claims = dir.join("claims.csv");
    std::fs::write(&claims, text).unwrap();
    let o = run_rejecting(&dir, &claims);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert!(
        out.contains("claims: 9 read = 4 settled + 5 rejected"),
        "{out}"
    );
    let r = rejects(&dir);
    let lines: Vec<&str> = r.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(lines, ["3", "4", "7", "8", "10"], "{r:?}");
    for (k, want) in [
        (
            0,
            "a quote opened in disease_code is not closed on this line",
        ),
        (1, "has 2 fields, the header has 14"),
        (2, "a carriage return (`\\r`) inside the line"),
        (3, "a carriage return (`\\r`) inside the line"),
        (4, "the line is longer than 65,536 bytes"),
    ] {
        assert!(r[k].1.contains(want), "{want}: {r:?}");
    }
    let settled: Vec<String> = common::result_rows(&dir.join("out/claims.csv"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(settled, ["A1", "A3", "A6", "A8"]);
    assert!(
        common::stderr(&o).contains("1 blank line (line 6) skipped"),
        "{}",
        common::stderr(&o)
    );
}

/// Control bytes in a field (a NUL, an escape sequence, a bell) are shown
/// escaped wherever the field's text is printed — row errors, reject
/// reasons, an evaluation error's claim — so that a terminal shows what is
/// there and is not driven by it; the reject file keeps the row as read.
#[test]
fn control_bytes_in_fields_are_shown_escaped() {
    let dir = common::temp_dir("robustness-control-bytes");
    let claims = dir.join("claims.csv");
    let row = |id: &str, ty: &str, inst: &str| {
        format!(
            "{id},P1,{ty},false,50,{inst},inpatient,2025-03-01,2025-03-05,1000.00,0.00,0.00,J18,\n"
        )
    };
    std::fs::write(
        &claims,
        [
            format!("{CLAIMS_HEADER}\n"),
            row("C1", "employee", "H\x001"),
            row("C2", "stu\x1b[31mdent", "H1"),
            row("D\x07", "employee", "H1"),
            row("D\x07", "employee", "H1"),
            row("C5", "employee", "H1"),
        ]
        .concat(),
    )
    .unwrap();
    let o = common::yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    for want in [
        "claims.csv:2: institution_id `H\\u{0}1` is not in the institutions file",
        "claims.csv:3: unknown insured_type `stu\\u{1b}[31mdent`",
        "claims.csv:4: duplicate claim_id `D\\u{7}`: also on line 5",
        "claims.csv:5: duplicate claim_id `D\\u{7}`: also on line 4",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    let raw_controls = |s: &[u8]| s.iter().any(|&b| b < 0x20 && b != b'\n');
    assert!(!raw_controls(&o.stderr), "{err:?}");

    // The reject file: reasons escaped, fields as read.
    let o = run_rejecting(&dir, &claims);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let rows = common::csv_rows(&dir.join("rejects.csv"));
    assert_eq!(
        rows[0][1],
        "institution_id `H\\u{0}1` is not in the institutions file"
    );
    assert_eq!(rows[0][7], "H\u{0}1");
    assert_eq!(rows[2][2], "D\u{7}");

    // An evaluation error names its claim escaped.
    let policy = dir.join("huge.policy");
    std::fs::write(
        &policy,
        "param 倍数: count = 100000000000000000000\n\
         layer fund_paid {\n  rule 放大 {\n    pay claim.total_cost * 倍数 * 倍数 round\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        &claims,
        format!("{CLAIMS_HEADER}\nBIG\x1b[2J1,P1,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,9999999999999999.99,0.00,0.00,J18,\n"),
    )
    .unwrap();
    let o = common::yibao(&[
        "run",
        policy.to_str().unwrap(),
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/compare/tiny/institutions.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(err.contains("claim `BIG\\u{1b}[2J1` ("), "{err}");
    assert!(!raw_controls(&o.stderr), "{err:?}");
}

/// A policy with one table of `rows` rows keyed by disease code, then `extra` rows.
fn big_table_policy(rows: usize, extra: &str) -> String {
    let mut t = String::from("table 病种定额: money by claim.disease_code = {\n");
    for i in 0..rows {
        t.push_str(&format!("  \"D{i:06}\": {}元,\n", i % 1000 + 1));
    }
    t.push_str(extra);
    t.push_str(
        "  else: 300元,\n}\nlayer fund_paid \"统筹\" {\n  rule 全部 {\n    \
         pay min(claim.total_cost, 病种定额[claim.disease_code]) round\n  }\n}\n",
    );
    t
}

#[test]
fn a_table_of_100000_rows_checks_in_one_pass() {
    // Not a timing test: a size at which checking every row's key against the rows before it
    // (5 × 10⁹ comparisons) would take minutes, where hashing them takes a moment.
    let p = compile(&big_table_policy(100_000, "")).unwrap();
    assert_eq!(p.tables[0].rows.len(), 100_000);
    // A repeated key is still found, at the repeat: line 1 is the `table` line, rows 0–99,999
    // are lines 2–100,001, so the repeat of row 500 is line 100,002.
    let text = big_table_policy(100_000, "  \"D000500\": 1元,\n");
    let diags = compile(&text).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].message, "table `病种定额` has this key twice");
    let file = SourceFile::new("t.policy", &text);
    let (line, _) = file.line_col(diags[0].span.unwrap().start as usize);
    assert_eq!(line, 100_002);
}

#[test]
fn numeric_table_keys_written_with_different_scales_are_one_key() {
    let text =
        "table 天数比例: ratio by claim.age = {\n  60: 90%,\n  60.0: 80%,\n  else: 100%,\n}\n\
                layer fund_paid \"统筹\" {\n  rule 全部 {\n    \
                pay claim.total_cost * 天数比例[claim.age] round\n  }\n}\n";
    let diags = compile(text).unwrap_err();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].message, "table `天数比例` has this key twice");
}

/// 40 claims of 10 patients (P01…P10, 4 each, ids not in settlement order);
/// three claims have age 40, where the policy below divides by zero.
fn forty_claims() -> String {
    let mut csv = String::from("claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n");
    for p in 1..=10 {
        for d in 1..=4 {
            // The failing claims: P03's last (day 4), P07's third, P09's first.
            let age = if (p, d) == (3, 4) || (p, d) == (7, 3) || (p, d) == (9, 1) {
                40
            } else {
                50
            };
            let id = format!("X{}", (p * 37 + d * 11) % 97);
            csv.push_str(&format!(
                "{id},P{p:02},employee,false,{age},H1,outpatient_general,2025-03-0{d},2025-03-0{d},100.00,0.00,0.00,J06,\n"
            ));
        }
    }
    csv
}

/// The first claim that fails in settlement order is the one reported,
/// however the claims are cut into blocks and threads, and no block after it
/// is put; a `put` that fails stops the settlement there.
#[test]
fn a_streamed_settlement_stops_at_the_first_failure_in_order() {
    let prog = compile(
        "layer fund_paid {\n  rule r {\n    pay claim.total_cost / (claim.age - 40) round\n  }\n}\n",
    )
    .unwrap_or_else(|d| panic!("{:?}", d[0].message));
    let dir = common::root().join("tests/fixtures/compare/tiny");
    let insts = yibao::data::load_institutions(&dir.join("institutions.csv"), &[]).unwrap();
    let (claims, rejects) = yibao::data::load_claims_from(
        &yibao::data::Input::bytes("forty.csv", forty_claims().into_bytes()),
        &insts,
        &[],
    )
    .unwrap();
    assert!(rejects.is_empty());
    // P03 sorts first of the three patients; its failing claim is discharged on day 4,
    // (3·37 + 4·11) mod 97 = 155 mod 97 = 58. Before it: P01, P02 and P03's first
    // three claims, 11 claims.
    let no_carry = || yibao::eval::carry::Carry {
        opening: None,
        keep: false,
    };
    for block in 1..=6 {
        for threads in 1..=3 {
            let mut put = 0usize;
            let r = yibao::eval::settle_streamed(
                &prog,
                &claims,
                &insts,
                yibao::eval::Split { threads, block },
                yibao::eval::Periods::of(&claims),
                no_carry(),
                |b| b.len(),
                |n| {
                    put += n;
                    Ok(())
                },
            );
            let Err(yibao::eval::Halt::Eval(e)) = r else {
                panic!("block {block}, threads {threads}: no error");
            };
            let (id, line) = e.claim.clone().unwrap();
            assert_eq!(id, "X58", "block {block}, threads {threads}");
            // Line 1 is the header; P03 day 4 is row 3·4 = 12, line 13.
            assert_eq!(line, 13);
            assert!(e.message.contains("division by zero"), "{}", e.message);
            assert!(
                put <= 11,
                "block {block}, threads {threads}: {put} claims put"
            );
        }
    }
    // A put that fails (a full disk) at the second block stops there.
    let ok =
        compile("layer fund_paid {\n  rule r {\n    pay claim.total_cost * 50% round\n  }\n}\n")
            .unwrap_or_else(|d| panic!("{:?}", d[0].message));
    for threads in 1..=3 {
        let mut calls = 0;
        let r = yibao::eval::settle_streamed(
            &ok,
            &claims,
            &insts,
            yibao::eval::Split { threads, block: 4 },
            yibao::eval::Periods::of(&claims),
            no_carry(),
            |b| b.len(),
            |_| {
                calls += 1;
                if calls == 2 {
                    Err(std::io::Error::other("disk full"))
                } else {
                    Ok(())
                }
            },
        );
        assert!(
            matches!(r, Err(yibao::eval::Halt::Put(_))),
            "threads {threads}"
        );
        assert_eq!(calls, 2, "threads {threads}");
    }
}
