//! Reading data files: nothing read is lost. Every row is settled or
//! rejected with its line and reason, and every physical line is a row, a
//! blank line or the header — a record never spans lines; a rejected row of
//! any width reaches the reject file as read; every copy of a duplicated
//! claim_id is rejected, whatever the row order; a header that names a column
//! twice is refused. A property test throws rows with quotes, line breaks,
//! missing and extra fields and control bytes at the reader.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use common::{stderr, stdout, temp_dir, yibao};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;
use yibao::data::{Input, Institutions, Reading};

const HEADER: &str = "claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code";

/// An employee's inpatient claim at H1 (level 1 in the hand fixture), as a line.
fn claim(id: &str, patient: &str, total: &str) -> String {
    format!("{id},{patient},employee,false,50,H1,inpatient,2025-03-01,2025-03-05,{total},0.00,0.00,J18,")
}

/// Runs R1 on `claims` with the hand fixture's institutions, a reject file
/// and results in `dir`.
fn run(dir: &Path, claims: &Path) -> std::process::Output {
    yibao(&[
        "run",
        "policies/r1.policy",
        "--claims",
        claims.to_str().unwrap(),
        "--institutions",
        "tests/fixtures/hand/r1/institutions.csv",
        "--reject-file",
        dir.join("rejects.csv").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ])
}

/// A row with more fields than the header is the very row a reject file is
/// for: it used to stop the run (exit 2, "found record with 17 fields", a
/// half-written reject file). Rows of any width are written as read: extra
/// fields in columns `extra_1`…, missing ones left empty. By hand (R1, H1
/// level 1, employee inpatient: (cost − 200) × 95%): R1 (1,200.00 − 200) ×
/// 95% = 950.00, patient 250.00; R4 (700.00 − 200) × 95% = 475.00, patient 225.00.
#[test]
fn the_reject_file_holds_rows_of_any_width() {
    let dir = temp_dir("reading-widths");
    let claims = dir.join("claims.csv");
    let wide = format!("{},x,y,z", claim("R2", "P2", "100.00"));
    let narrow = "R3,P3,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,100.00";
    std::fs::write(
        &claims,
        format!(
            "{HEADER}\n{}\n{wide}\n{narrow}\n{}\n",
            claim("R1", "P1", "1200.00"),
            claim("R4", "P4", "700.00")
        ),
    )
    .unwrap();
    let o = run(&dir, &claims);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("claims: 4 read = 2 settled + 2 rejected"),
        "{}",
        stdout(&o)
    );
    let mut r = csv::Reader::from_path(dir.join("rejects.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut want: Vec<String> = ["line", "reason"].map(String::from).to_vec();
    want.extend(HEADER.split(',').map(String::from));
    want.extend(["extra_1", "extra_2", "extra_3"].map(String::from));
    assert_eq!(header, want);
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][..2], ["3", "has 17 fields, the header has 14"]);
    assert_eq!(rows[0][2..].join(","), wide);
    assert_eq!(rows[1][..2], ["4", "has 10 fields, the header has 14"]);
    assert_eq!(rows[1][2..12].join(","), narrow);
    assert!(rows[1][12..].iter().all(String::is_empty), "{:?}", rows[1]);
    assert_eq!(
        common::result_rows(&dir.join("out/claims.csv")),
        [
            ["R1", "950.00", "0.00", "250.00"],
            ["R4", "475.00", "0.00", "225.00"]
        ]
    );
}

/// The rows of `rows` in the order `seed` shuffles them into (a fixed
/// Fisher–Yates driven by a linear congruential generator; seed 0 keeps the
/// order, 1 reverses it).
fn shuffled<T: Clone>(rows: &[T], seed: u64) -> Vec<T> {
    let mut v = rows.to_vec();
    match seed {
        0 => {}
        1 => v.reverse(),
        _ => {
            let mut x = seed;
            for i in (1..v.len()).rev() {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                v.swap(i, (x >> 33) as usize % (i + 1));
            }
        }
    }
    v
}

/// "Also on line 4", "also on lines 4 and 9", "also on lines 2, 4 and 9".
fn also_on(lines: &[usize]) -> String {
    let s: Vec<String> = lines.iter().map(usize::to_string).collect();
    match s.as_slice() {
        [one] => format!("also on line {one}"),
        [init @ .., last] => format!("also on lines {} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// Which copy of a duplicated claim_id was settled used to depend on row
/// order (the first one read). Every copy is rejected now, each naming the
/// lines of the others — a copy that is bad for another reason too (C's
/// second) counts — and the outcome is the same in every order. By hand
/// (R1, H1 level 1, employee inpatient): B (1,200.00 − 200) × 95% = 950.00,
/// patient 250.00; D (2,200.00 − 200) × 95% = 1,900.00, patient 300.00;
/// E (700.00 − 200) × 95% = 475.00, patient 225.00.
#[test]
fn every_copy_of_a_duplicated_claim_id_is_rejected_in_any_order() {
    let rows: Vec<(&str, String)> = vec![
        ("A", claim("A", "PA1", "1000.00")),
        ("A", claim("A", "PA2", "2000.00")),
        ("A", claim("A", "PA3", "3000.00")),
        ("B", claim("B", "PB", "1200.00")),
        ("C", claim("C", "PC1", "400.00")),
        (
            "C",
            claim("C", "PC2", "400.00").replace("2025-03-01", "2025-02-30"),
        ),
        ("D", claim("D", "PD", "2200.00")),
        ("E", claim("E", "PE", "700.00")),
    ];
    let dir = temp_dir("reading-duplicates");
    let mut outcomes = Vec::new();
    for seed in 0..6 {
        let order = shuffled(&rows, seed);
        let sub = dir.join(format!("order{seed}"));
        std::fs::create_dir_all(&sub).unwrap();
        let claims = sub.join("claims.csv");
        let body: Vec<&str> = order.iter().map(|(_, l)| l.as_str()).collect();
        std::fs::write(&claims, format!("{HEADER}\n{}\n", body.join("\n"))).unwrap();
        let o = run(&sub, &claims);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let settled = common::result_rows(&sub.join("out/claims.csv"));
        let rejects = common::csv_rows(&sub.join("rejects.csv"));
        let mut rejected: Vec<String> = rejects.iter().map(|r| r[2].clone()).collect();
        rejected.sort();
        outcomes.push((seed, order, settled, rejected, rejects, stdout(&o)));
    }
    for (seed, _, settled, rejected, _, _) in &outcomes[1..] {
        assert_eq!(
            (settled, rejected),
            (&outcomes[0].2, &outcomes[0].3),
            "order {seed} differs from the file order"
        );
    }
    let (_, _, settled, rejected, _, out) = &outcomes[0];
    assert!(
        out.contains("claims: 8 read = 3 settled + 5 rejected"),
        "{out}"
    );
    assert_eq!(
        settled,
        &[
            ["B", "950.00", "0.00", "250.00"],
            ["D", "1900.00", "0.00", "300.00"],
            ["E", "475.00", "0.00", "225.00"]
        ]
    );
    assert_eq!(rejected, &["A", "A", "A", "C", "C"]);
    // Each copy names the others' lines (the header is line 1).
    for (seed, order, _, _, rejects, _) in &outcomes {
        for r in rejects {
            let line: usize = r[0].parse().unwrap();
            let others: Vec<usize> = order
                .iter()
                .enumerate()
                .filter(|(i, (id, _))| *id == r[2] && i + 2 != line)
                .map(|(i, _)| i + 2)
                .collect();
            let want = format!("duplicate claim_id `{}`: {}", r[2], also_on(&others));
            assert!(r[1].ends_with(&want), "order {seed}: {want} / {r:?}");
        }
    }
}

/// A header that names a column twice used to be read with the first copy;
/// which one holds the data is anyone's guess, so the file is refused,
/// naming the column and both places — claims, institutions and assessments alike.
#[test]
fn a_header_that_names_a_column_twice_is_refused() {
    let dir = temp_dir("reading-header");
    let hand = "tests/fixtures/hand/r1";
    let claims = dir.join("claims.csv");
    std::fs::write(
        &claims,
        format!("{HEADER},claim_id\n{},X\n", claim("A", "P1", "1000.00")),
    )
    .unwrap();
    let insts = std::fs::read_to_string(format!("{hand}/institutions.csv")).unwrap();
    let mut lines = insts.lines();
    let bad_insts = dir.join("institutions.csv");
    std::fs::write(
        &bad_insts,
        format!(
            "{},level\n{}\n",
            lines.next().unwrap(),
            lines
                .map(|l| format!("{l},1"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .unwrap();
    let assessments = dir.join("assessments.csv");
    std::fs::write(
        &assessments,
        "institution_id,year,score,score\nH1,2025,90,80\nH2,2025,90,80\nH3,2025,90,80\nYGT01,2025,90,80\n",
    )
    .unwrap();
    let hand_claims = format!("{hand}/claims.csv");
    let hand_insts = format!("{hand}/institutions.csv");
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "claims",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                claims.to_str().unwrap(),
                "--institutions",
                &hand_insts,
            ],
            "claims.csv`: the header has `claim_id` twice (columns 1 and 15)",
        ),
        (
            "institutions",
            vec![
                "run",
                "policies/r1.policy",
                "--claims",
                &hand_claims,
                "--institutions",
                bad_insts.to_str().unwrap(),
            ],
            "institutions.csv`: the header has `level` twice (columns 3 and 9)",
        ),
        (
            "assessments",
            vec![
                "run",
                "policies/chengdu.policy",
                "--claims",
                &hand_claims,
                "--institutions",
                &hand_insts,
                "--assessments",
                assessments.to_str().unwrap(),
            ],
            "assessments.csv`: the header has `score` twice (columns 3 and 4)",
        ),
    ];
    for (what, args, want) in cases {
        let o = yibao(&args);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{what}: {}", stderr(&o));
    }
}

// ---- the property -------------------------------------------------------

const INSTITUTIONS: &str = "\
institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled
H1,一级卫生院,1,A,AL1,60000.00,4000.00,1200
H2,二级医院,2,B,AL1,250000.00,20000.00,5000
H3,三级医院,3,C,,900000.00,80000.00,20000
";

fn fixture() -> &'static (Institutions, yibao::ir::Program) {
    static F: OnceLock<(Institutions, yibao::ir::Program)> = OnceLock::new();
    F.get_or_init(|| {
        let insts = yibao::data::load_institutions_from(
            &Input::bytes("institutions.csv", INSTITUTIONS.as_bytes().to_vec()),
            &[],
        )
        .unwrap();
        let file =
            yibao::source::SourceFile::read(&common::root().join("policies/r1.policy")).unwrap();
        let (prog, _) = yibao::compile(&file).unwrap();
        (insts, prog)
    })
}

/// What an edit puts into a field: quotes, line breaks, control bytes, a
/// byte that is not UTF-8, a comma.
const INSERTS: [&[u8]; 12] = [
    b"\"", b"\"\"", b"\n", b"\r", b"\r\n", b"\0", b"\x1b[2J", b"\x07", b"\x7f", b"\xff", b",",
    b"\"\n\"",
];

/// One generated line: a good claim (id from a small set, so some repeat),
/// then edits (field, what, where), perhaps a field dropped, extra fields
/// added; or a blank line.
#[derive(Debug, Clone)]
struct Line {
    id: u8,
    inst: u8,
    total: u32,
    edits: Vec<(usize, usize, usize)>,
    quote_whole: Option<usize>,
    drop: Option<usize>,
    extra: usize,
    blank: bool,
    crlf: bool,
}

fn line() -> impl Strategy<Value = Line> {
    (
        (0u8..12, 0u8..4, 0u32..200_000),
        prop_oneof![
            3 => Just(vec![]),
            2 => proptest::collection::vec((0usize..16, 0usize..INSERTS.len(), 0usize..12), 1..3),
        ],
        (
            proptest::option::weighted(0.2, 0usize..14),
            proptest::option::weighted(0.1, 0usize..14),
            prop_oneof![8 => Just(0usize), 1 => 1usize..4],
        ),
        (proptest::bool::weighted(0.05), any::<bool>()),
    )
        .prop_map(
            |((id, inst, total), edits, (quote_whole, drop, extra), (blank, crlf))| Line {
                id,
                inst,
                total,
                edits,
                quote_whole,
                drop,
                extra,
                blank,
                crlf,
            },
        )
}

fn bytes_of(lines: &[Line], end: u8) -> Vec<u8> {
    let mut out = format!("{HEADER}\n").into_bytes();
    for (k, l) in lines.iter().enumerate() {
        if !l.blank {
            let total = format!("{}.{:02}", l.total / 100, l.total % 100);
            let text = format!(
                "C{},P{},employee,false,50,H{},outpatient_general,2025-03-01,2025-03-01,{total},0.00,0.00,肺炎,",
                l.id,
                l.id % 5,
                l.inst + 1
            );
            let mut fields: Vec<Vec<u8>> = text.split(',').map(|f| f.as_bytes().to_vec()).collect();
            if let Some(q) = l.quote_whole {
                let f = &mut fields[q];
                f.insert(0, b'"');
                f.push(b'"');
            }
            for &(f, what, at) in &l.edits {
                if let Some(field) = fields.get_mut(f) {
                    let at = at.min(field.len());
                    field.splice(at..at, INSERTS[what].iter().copied());
                }
            }
            if let Some(d) = l.drop {
                fields.remove(d);
            }
            for e in 0..l.extra {
                fields.push(format!("x{e}").into_bytes());
            }
            out.extend(fields.join(&b","[..]));
        }
        let last = k + 1 == lines.len();
        match (last, end, l.crlf) {
            (true, 0, _) => {}
            (_, _, true) => out.extend(b"\r\n"),
            _ => out.push(b'\n'),
        }
    }
    out
}

/// The physical lines of `bytes` (split at LF; a final line end ends the
/// last line rather than starting one) and which of them are blank.
fn physical_lines(bytes: &[u8]) -> (u64, BTreeSet<u64>) {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let blank = lines
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| l.is_empty() || **l == b"\r")
        .map(|(i, _)| i as u64 + 1)
        .collect();
    (lines.len() as u64, blank)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// For any claims file: rows read = settled + rejected, and every physical
    /// line after the header is exactly one of a settled row, a rejected row
    /// or a blank line.
    #[test]
    fn every_line_is_settled_rejected_or_blank(
        lines in proptest::collection::vec(line(), 0..30),
        end in 0u8..2,
    ) {
        let (insts, prog) = fixture();
        let bytes = bytes_of(&lines, end);
        let input = Input::bytes("claims.csv", bytes.clone());
        let (claims, rejects) = match yibao::data::load_claims_from(&input, insts, &[]) {
            Ok(x) => x,
            Err(e) => {
                // Only a file mostly not UTF-8 is refused whole.
                prop_assert!(e.to_string().contains("not UTF-8"), "{e}");
                return Ok(());
            }
        };
        let s = yibao::eval::settle(prog, &claims, insts, 1).unwrap();
        prop_assert_eq!(claims.rows_read as usize, s.len() + rejects.len());
        let (n, blank) = physical_lines(&bytes);
        prop_assert_eq!(claims.line_count.lines, n);
        prop_assert_eq!(claims.line_count.blank, blank.len() as u64);
        prop_assert_eq!(claims.line_count.first_blank, blank.first().copied());
        let mut seen = BTreeSet::new();
        for line in claims.rows.iter().map(|c| c.line).chain(rejects.iter().map(|r| r.line)) {
            prop_assert!(seen.insert(line), "line {} counted twice", line);
        }
        for r in &rejects {
            prop_assert!(!r.reason.is_empty());
            prop_assert!(!r.reason.bytes().any(|b| b < 0x20), "{:?}", r.reason);
        }
        let all: BTreeSet<u64> = (2..=n).collect();
        let accounted: BTreeSet<u64> = seen.union(&blank).copied().collect();
        prop_assert_eq!(&accounted, &all, "lines unaccounted for");
        prop_assert!(seen.is_disjoint(&blank));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() / 10))]

    /// However a claims file is cut into blocks, however many threads parse
    /// them and however small the buckets of the settlement sort, the claims (their order, text, lines, patients and
    /// counts) and the row errors are the same as read on one thread in one
    /// block.
    #[test]
    fn every_way_of_reading_gives_the_same_claims_and_errors(
        lines in proptest::collection::vec(line(), 0..30),
        end in 0u8..2,
        block in 1usize..400,
        threads in 2usize..5,
        bucket in 1usize..8,
    ) {
        let (insts, _) = fixture();
        let input = Input::bytes("claims.csv", bytes_of(&lines, end));
        let read = |threads, block, bucket| {
            yibao::data::load_claims_with(&input, insts, &[], &Reading { threads, block, bucket, ..Reading::default() })
                .map(|(c, r)| format!("{c:?}\n{r:?}"))
                .map_err(|e| e.to_string())
        };
        let whole = read(1, 1 << 30, usize::MAX);
        prop_assert_eq!(&read(1, block, usize::MAX), &whole);
        prop_assert_eq!(&read(threads, block, bucket), &whole);
    }
}

/// Found while writing the property below: in a file with CRLF line ends
/// (what spreadsheets on Windows save) every row error named the line
/// before its own. B is on line 3 and C on line 4.
#[test]
fn row_errors_in_a_crlf_file_name_their_own_lines() {
    let dir = temp_dir("reading-crlf");
    let claims = dir.join("claims.csv");
    let lines = [
        HEADER.to_string(),
        claim("A", "PA", "1000.00"),
        claim("B", "PB", "1000.00").replace("employee", "student"),
        claim("C", "PC", "1000.00").replace("H1", "H9"),
    ];
    std::fs::write(&claims, lines.join("\r\n") + "\r\n").unwrap();
    let o = run(&dir, &claims);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rejects = common::csv_rows(&dir.join("rejects.csv"));
    let got: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(got, [("3", "B"), ("4", "C")]);
}

/// The settlement order, found in buckets of patient-id ranges, is the order
/// of an independent sort by (patient id bytes, discharge date, claim id
/// bytes), for any bucket size: ids that share their first 16 bytes, ids of
/// exactly 15, 16 and 17 bytes, ids that are prefixes of others, Chinese
/// ids, one patient's claims on one day.
#[test]
fn the_settlement_order_is_the_sorted_order_for_any_bucket_size() {
    let (insts, _) = fixture();
    let patients = [
        "P1",
        "P10",
        "P2",
        "110101199001011234",
        "110101199001011299",
        "1101011990010112",
        "ABCDEFGHIJKLMNO",
        "ABCDEFGHIJKLMNOP",
        "ABCDEFGHIJKLMNOPQ",
        "患者甲",
        "患者乙",
        "Z",
    ];
    let n = 3000usize;
    let mut text = format!("{HEADER}\n");
    let mut want = Vec::new();
    for k in 0..n {
        let patient = patients[(k * 31 + k / 7) % patients.len()];
        // Few days, so that one patient often has two claims on a day.
        let day = format!("2025-03-{:02}", 1 + (k * 13) % 9);
        let id = format!("C{}", (k * 7919) % n);
        text.push_str(&format!(
            "{id},{patient},employee,false,50,H1,inpatient,2025-03-01,{day},100.00,0.00,0.00,J18,\n"
        ));
        want.push((patient.to_string(), day, id));
    }
    want.sort_by(|a, b| {
        (a.0.as_bytes(), &a.1, a.2.as_bytes()).cmp(&(b.0.as_bytes(), &b.1, b.2.as_bytes()))
    });
    let input = Input::bytes("claims.csv", text.into_bytes());
    for bucket in [1, 2, 3, 50, 700, 1 << 14] {
        for threads in [1, 2, 3] {
            let how = Reading {
                threads,
                block: 4096,
                bucket,
                ..Reading::default()
            };
            let (claims, errors) = yibao::data::load_claims_with(&input, insts, &[], &how).unwrap();
            assert!(errors.is_empty());
            let got: Vec<(String, String, String)> = claims
                .rows
                .iter()
                .map(|c| {
                    (
                        claims.text(claims.patients[c.patient as usize]).to_string(),
                        c.discharge.to_string(),
                        claims.text(c.id).to_string(),
                    )
                })
                .collect();
            assert_eq!(got, want, "bucket {bucket}, threads {threads}");
            // The patients numbered in id order, each once.
            let ids: Vec<&str> = claims.patients.iter().map(|&p| claims.text(p)).collect();
            let mut sorted = patients.to_vec();
            sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            assert_eq!(ids, sorted, "bucket {bucket}, threads {threads}");
        }
    }
    // Spilled to partitions by patient-id range (the first cuts after 1 or
    // 40 rows, so most are split again): the partitions one after another
    // are the same order.
    for (budget, sample) in [(300, 1), (2000, 40), (20_000, 1)] {
        let how = Reading {
            threads: 2,
            block: 512,
            sample,
            ..Reading::default()
        };
        let budget = yibao::data::Budget {
            bytes: budget,
            dir: common::temp_dir("reading-spill-order"),
        };
        let (loaded, errors) =
            yibao::data::load_claims_within(&input, insts, &[], &how, &budget).unwrap();
        assert!(errors.is_empty());
        let yibao::data::Loaded::Spilled(spill) = loaded else {
            panic!("budget {} did not spill", budget.bytes)
        };
        assert!(spill.len() > 1);
        let mut got = Vec::new();
        for k in 0..spill.len() {
            let part = spill.load(k).unwrap();
            got.extend(part.rows.iter().map(|c| {
                (
                    part.text(part.patients[c.patient as usize]).to_string(),
                    c.discharge.to_string(),
                    part.text(c.id).to_string(),
                )
            }));
        }
        assert_eq!(got, want, "budget {}, sample {sample}", budget.bytes);
    }
}
