//! Claim file bytes of any shape, in any encoding: loading must account for
//! every row (read = good + rejected) and every physical line (each is the
//! header, one row or blank: a record never spans lines), and settling the
//! good rows with R1 must reconcile every claim to the fen and keep the
//! ledger identity; never a panic.
//!
//! Half the inputs are read as they are; the other half (first byte odd)
//! drive edits of a good claims file — quotes, line breaks, carriage
//! returns, commas, control bytes put into its fields — so that the CSV
//! reader meets quotes and line breaks inside real rows, not only in noise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use yibao::data::{Input, Institutions};

const INSTITUTIONS: &str = "\
institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled
H1,一级卫生院,1,A,AL1,60000.00,4000.00,1200
H2,二级医院,2,B,AL1,250000.00,20000.00,5000
H3,三级医院,3,C,,900000.00,80000.00,20000
";

const CLAIMS: &str = "\
claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code
C1,P1,employee,false,50,H1,inpatient,2025-03-01,2025-03-05,1000.00,0.00,300.00,肺炎,
C2,P1,employee,false,50,H1,outpatient_general,2025-04-01,2025-04-01,80.00,0.00,20.00,J06,
C3,P2,resident,false,70,H3,inpatient,2025-05-01,2025-05-20,30000.00,500.00,9000.00,脑梗死,BR25
C4,P3,employee,true,66,H2,outpatient_chronic,2025-06-01,2025-06-01,500.00,0.00,100.00,I10,
C5,P2,resident,false,70,H2,outpatient_general,2025-07-01,2025-07-01,250.55,0.00,50.00,J18,
";

/// What an edit puts in.
const INSERTS: [&[u8]; 10] = [
    b"\"", b"\n", b"\r", b"\r\n", b",", b"\"\"", b"\0", b"\x1b", b"\xff", b"\"\n\"",
];

fn setup() -> &'static (Institutions, yibao::ir::Program) {
    static S: OnceLock<(Institutions, yibao::ir::Program)> = OnceLock::new();
    S.get_or_init(|| {
        let insts = yibao::data::load_institutions_from(
            &Input::bytes("institutions.csv", INSTITUTIONS.as_bytes().to_vec()),
            &[],
        )
        .expect("institutions");
        let src = include_str!("../../policies/r1.policy");
        let (prog, _) =
            yibao::compile(&yibao::source::SourceFile::new("r1.policy", src)).expect("r1 checks");
        (insts, prog)
    })
}

/// The claims file with the edits `data` describes, two bytes each: where
/// (past the header) and what.
fn edited(data: &[u8]) -> Vec<u8> {
    let mut out = CLAIMS.as_bytes().to_vec();
    let header = CLAIMS.find('\n').map_or(0, |i| i + 1);
    for pair in data.chunks_exact(2) {
        let body = out.len() - header;
        let at = header + usize::from(pair[0]) * body / 256;
        let what = INSERTS[usize::from(pair[1]) % INSERTS.len()];
        out.splice(at..at, what.iter().copied());
    }
    out
}

/// The physical lines of `b` (a final line end ends the last line) and the
/// blank ones: nothing but a line end (a CR before the LF, or at the end of
/// the file, is part of it), or on line 1 a BOM.
fn physical_lines(b: &[u8]) -> (u64, BTreeSet<u64>) {
    let mut lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let blank = lines
        .iter()
        .enumerate()
        .filter(|&(i, l)| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let l = if i == 0 {
                l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l)
            } else {
                l
            };
            l.is_empty()
        })
        .map(|(i, _)| i as u64 + 1)
        .collect();
    (lines.len() as u64, blank)
}

fuzz_target!(|data: &[u8]| {
    let (insts, prog) = setup();
    let bytes = match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 => edited(rest),
        _ => data.to_vec(),
    };
    let input = Input::bytes("claims.csv", bytes.clone());
    let Ok((claims, rejects)) = yibao::data::load_claims_from(&input, insts, &[]) else {
        return;
    };
    assert_eq!(
        claims.rows_read as usize,
        claims.rows.len() + rejects.len(),
        "every row is settled or rejected"
    );
    let count = claims.line_count;
    assert_eq!(
        count.lines,
        1 + claims.rows_read + count.blank,
        "no line vanishes"
    );
    let mut seen = BTreeSet::new();
    for line in claims
        .rows
        .iter()
        .map(|c| c.line)
        .chain(rejects.iter().map(|r| r.line))
    {
        assert!(seen.insert(line), "line {line} is one row only");
        assert!(
            (2..=count.lines).contains(&line),
            "line {line} is in the file"
        );
    }
    if claims.decoded_from.is_none() {
        // Read as it is: its lines can be counted here, independently.
        let (n, blank) = physical_lines(&bytes);
        assert_eq!(count.lines, n, "physical lines");
        assert_eq!(count.blank, blank.len() as u64, "blank lines");
        assert!(seen.is_disjoint(&blank));
    }
    for r in &rejects {
        assert!(
            !r.reason.bytes().any(|b| b < 0x20),
            "escaped: {:?}",
            r.reason
        );
    }
    let Ok(s) = yibao::eval::settle(prog, &claims, insts, 2) else {
        return;
    };
    assert!(s.summary.all.reconciles());
    for k in 0..s.len() {
        let row = s.row(k);
        let paid = row[..=s.shape.n_layers]
            .iter()
            .try_fold(rust_decimal::Decimal::ZERO, |a, v| a.checked_add(*v));
        assert_eq!(paid, Some(claims.rows[k].total_cost()));
    }
    let _ = yibao::eval::settle_institutions(prog, &claims, insts, &s, None);
});
