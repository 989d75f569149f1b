//! Properties of settlement over generated claims and every shipped policy,
//! checked here independently of the engine's own checks:
//! - every claim reconciles: Σ layers + patient_paid + institution_borne =
//!   total_cost, exactly (also on random fees of a `fee` block);
//! - every ledger row keeps the cash identity (prepaid + routine_paid −
//!   withheld + clearing_balance = routine_paid − withheld + withhold_returned +
//!   retained − institution_share − deductions), and its shares add up
//!   (fund_share + institution_share + reserve_used = overspend);
//! - the risk reserve carries: each year's reserve_opening is the unit's
//!   previous reserve_closing (0 in the run's first year), and
//!   reserve_closing = reserve_opening + reserve − reserve_used, on the
//!   shipped policies' ledgers and on random multi-year ledgers;
//! - the results do not depend on the order of the rows in the file;
//! - settling twice, with one thread or three, gives the same figures to the digit;
//! - settling in blocks of any size on any number of threads writes the same
//!   claims.csv bytes, sums, ledgers and closing memory as one block on one.
//!
//! And, for policy text, that any token soup ends in a program or diagnostics.
//!
//! 10,000 cases per property by default; `PROPTEST_CASES=100000 cargo test
//! --test properties` for more.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: a failed expectation should stop the test

mod common;

use proptest::prelude::*;
use rust_decimal::Decimal;
use std::sync::OnceLock;
use yibao::data::{Assessments, Input, Institutions};
use yibao::ir::Program;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

const INSTITUTIONS: &str = "\
institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled
H1,一级卫生院,1,A,AL1,60000.00,4000.00,1200
H2,二级医院,2,B,AL1,250000.00,20000.00,5000
H3,三级医院,3,C,,900000.00,80000.00,20000
";
const ASSESSMENTS: &str = "institution_id,year,score\nH1,2024,95\nH2,2024,72\nH3,2024,55\nH1,2025,88\nH2,2025,59.5\nH3,2025,100\nAL1,2024,90\nAL1,2025,80\n";

struct Fixture {
    insts: Institutions,
    assessments: Assessments,
    policies: Vec<(String, Program)>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = common::temp_dir("properties");
        std::fs::write(dir.join("institutions.csv"), INSTITUTIONS).unwrap();
        std::fs::write(dir.join("assessments.csv"), ASSESSMENTS).unwrap();
        let insts = yibao::data::load_institutions(&dir.join("institutions.csv"), &[]).unwrap();
        let assessments = yibao::data::load_assessments(&dir.join("assessments.csv")).unwrap();
        let mut policies = Vec::new();
        for e in std::fs::read_dir(common::root().join("policies")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "policy") {
                let file = yibao::source::SourceFile::read(&p).unwrap();
                let (prog, _) = yibao::compile(&file).unwrap();
                assert!(prog.claim_extras.is_empty() && prog.inst_extras.is_empty());
                policies.push((p.file_stem().unwrap().to_string_lossy().into_owned(), prog));
            }
        }
        policies.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(policies.len() >= 10);
        Fixture {
            insts,
            assessments,
            policies,
        }
    })
}

/// One generated claim row.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    patient: u8,
    resident: bool,
    retired: bool,
    age: u8,
    inst: u8,
    visit: u8,
    discharge: u16,
    stay: u8,
    total: u64,
    self_pay: u64,
    drug: u64,
    disease: u8,
}

fn row() -> impl Strategy<Value = Row> {
    (
        (
            0u8..6,
            any::<bool>(),
            any::<bool>(),
            0u8..100,
            0u8..3,
            0u8..3,
        ),
        // Discharge within 2024-01-01 + 0..730 days (two years, so accumulators reset).
        (0u16..730, 0u8..30),
        // Costs in fen, mostly small with a long tail up to a million yuan.
        prop_oneof![
            4 => 0u64..50_000,
            4 => 0u64..2_000_000,
            1 => 0u64..100_000_000,
        ],
        (0u32..=100, 0u32..=100, 0u8..6),
    )
        .prop_map(
            |(
                (patient, resident, retired, age, inst, visit),
                (discharge, stay),
                total,
                (sp, dp, disease),
            )| {
                Row {
                    id: String::new(),
                    patient,
                    resident,
                    retired,
                    age,
                    inst,
                    visit,
                    discharge,
                    stay,
                    total,
                    self_pay: total * u64::from(sp) / 100,
                    drug: total * u64::from(dp) / 100,
                    disease,
                }
            },
        )
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(row(), 1..40).prop_map(|mut v| {
        // Unique ids whose byte order differs from their number order (C-10 < C-9).
        for (i, r) in v.iter_mut().enumerate() {
            r.id = format!("C-{}", (i * 7919) % 1000);
        }
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.dedup_by(|a, b| a.id == b.id);
        v
    })
}

fn day(offset: i64) -> String {
    // 2024-01-01 plus `offset` days (2024 is a leap year).
    let mut y = 2024;
    let mut d = offset;
    loop {
        let len = if y == 2024 { 366 } else { 365 };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let months = [
        31,
        if y == 2024 { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("{y:04}-{:02}-{:02}", m + 1, d + 1)
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn csv_of(rows: &[Row]) -> String {
    let mut s = String::from("claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n");
    let visits = ["inpatient", "outpatient_chronic", "outpatient_general"];
    let diseases = ["K35.8", "O80", "I63.9", "J18.9", "E11.9", "C34.1"];
    for r in rows {
        let discharge = i64::from(r.discharge);
        let admit = (discharge - i64::from(r.stay)).max(0);
        s.push_str(&format!(
            "{},P{},{},{},{},H{},{},{},{},{},{},{},{},\n",
            r.id,
            r.patient,
            if r.resident { "resident" } else { "employee" },
            r.retired,
            r.age,
            r.inst + 1,
            visits[r.visit as usize],
            day(admit),
            day(discharge),
            yuan(r.total),
            yuan(r.self_pay),
            yuan(r.drug),
            diseases[r.disease as usize],
        ));
    }
    s
}

/// Everything a settlement says, as text: per claim (by id) its values, and the ledger.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    claims: Vec<(String, Vec<String>)>,
    ledger: Vec<String>,
}

impl Outcome {
    /// The same figures with trailing zeros dropped: `0.00` and `0` are one
    /// value. (Sums merged from several threads may carry another scale of
    /// zero; the files yibao writes format every amount the same way.)
    fn normalized(&self) -> Outcome {
        let norm = |s: &str| {
            s.parse::<Decimal>()
                .map_or_else(|_| s.to_string(), |d| d.normalize().to_string())
        };
        Outcome {
            claims: self
                .claims
                .iter()
                .map(|(id, v)| (id.clone(), v.iter().map(|x| norm(x)).collect()))
                .collect(),
            ledger: self
                .ledger
                .iter()
                .map(|l| {
                    l.split(['[', ']', ',', ' ', '"'])
                        .map(norm)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect(),
        }
    }
}

/// Settles `csv` with policy `p`, checking the per-claim and ledger identities on the way.
fn settle(csv: &str, p: usize, threads: usize) -> Result<Outcome, TestCaseError> {
    let f = fixture();
    let (name, prog) = &f.policies[p];
    let (claims, rejects) = yibao::data::load_claims_from(
        &Input::bytes("gen.csv", csv.as_bytes().to_vec()),
        &f.insts,
        &[],
    )
    .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
    prop_assert!(rejects.is_empty(), "{name}: {:?}", rejects.first());
    prop_assert_eq!(claims.rows_read as usize, claims.rows.len());
    let s = yibao::eval::settle(prog, &claims, &f.insts, threads)
        .map_err(|e| TestCaseError::fail(format!("{name}: {}", e.message)))?;
    let ledger =
        yibao::eval::settle_institutions(prog, &claims, &f.insts, &s, Some(&f.assessments))
            .map_err(|e| TestCaseError::fail(format!("{name}: {}", e.message)))?;
    let mut out = Outcome {
        claims: Vec::new(),
        ledger: Vec::new(),
    };
    for (k, c) in claims.rows.iter().enumerate() {
        let row = s.row(k);
        // The layers, patient_paid and institution_borne.
        let paid = row[..s.shape.n_layers + 2]
            .iter()
            .try_fold(Decimal::ZERO, |a, v| a.checked_add(*v))
            .unwrap();
        prop_assert_eq!(
            paid,
            c.total_cost(),
            "{}: claim {}",
            name,
            claims.text(c.id)
        );
        for v in row {
            prop_assert!(v.scale() <= 28);
        }
        out.claims.push((
            claims.text(c.id).to_string(),
            row.iter().map(|v| v.to_string()).collect(),
        ));
    }
    out.claims.sort();
    if let Some(l) = ledger {
        use yibao::schema::ledger as L;
        for r in l.years.iter().chain(&l.months) {
            let v = |c: u16| r.values[c as usize];
            if r.month == 0 {
                let cash =
                    v(L::PREPAID) + v(L::ROUTINE_PAID) - v(L::WITHHELD) + v(L::CLEARING_BALANCE);
                let due =
                    v(L::ROUTINE_PAID) - v(L::WITHHELD) + v(L::WITHHOLD_RETURNED) + v(L::RETAINED)
                        - v(L::INSTITUTION_SHARE)
                        - v(L::DEDUCTIONS);
                prop_assert_eq!(
                    cash,
                    due,
                    "{}: {} {} {}",
                    name,
                    r.unit,
                    r.year,
                    "cash identity"
                );
                prop_assert_eq!(
                    v(L::FUND_SHARE) + v(L::INSTITUTION_SHARE) + v(L::RESERVE_USED),
                    v(L::OVERSPEND),
                    "{}: shares",
                    name
                );
                // The reserve: carried from the unit's previous year (0 in the
                // run's first year), drawn on no more than was carried in.
                prop_assert_eq!(
                    v(L::RESERVE_CLOSING),
                    v(L::RESERVE_OPENING) + v(L::RESERVE) - v(L::RESERVE_USED),
                    "{}: reserve balance",
                    name
                );
                prop_assert!(
                    v(L::RESERVE_USED) <= v(L::RESERVE_OPENING),
                    "{}: reserve used",
                    name
                );
                let carried = l
                    .years
                    .iter()
                    .find(|p| p.kind == r.kind && p.unit == r.unit && p.year == r.year - 1)
                    .map_or(Decimal::ZERO, |p| p.values[L::RESERVE_CLOSING as usize]);
                prop_assert_eq!(v(L::RESERVE_OPENING), carried, "{}: reserve carried", name);
                prop_assert!(
                    v(L::RESERVE) + v(L::RETAINED) <= v(L::SURPLUS),
                    "{}: retention",
                    name
                );
            }
            out.ledger.push(format!(
                "{:?} {} {} {} {} {} {:?}",
                r.kind,
                r.unit,
                r.year,
                r.month,
                r.counts.claims,
                r.counts.total_cost,
                r.values.iter().map(|d| d.to_string()).collect::<Vec<_>>()
            ));
        }
    }
    Ok(out)
}

/// Settles `csv` with policy `p` cut up as `split`, claims.csv formatted
/// block by block: its bytes, then the sums, the closing memory, the ledger
/// and the patient ledger as text (every number with trailing zeros dropped).
fn streamed(
    csv: &str,
    p: usize,
    split: yibao::eval::Split,
) -> Result<(String, String), TestCaseError> {
    let f = fixture();
    let (name, prog) = &f.policies[p];
    let fail = |e: &yibao::eval::EvalError| TestCaseError::fail(format!("{name}: {}", e.message));
    let (claims, _) = yibao::data::load_claims_from(
        &Input::bytes("gen.csv", csv.as_bytes().to_vec()),
        &f.insts,
        &[],
    )
    .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
    let lines = yibao::report::ClaimLines::new(prog, &claims, &f.insts, yibao::report::Format::Csv);
    let mut bytes = Vec::new();
    let carry = yibao::eval::carry::Carry {
        opening: None,
        keep: true,
    };
    let s = yibao::eval::settle_streamed(
        prog,
        &claims,
        &f.insts,
        split,
        yibao::eval::Periods::of(&claims),
        carry,
        |b| lines.lines(b),
        |l| {
            bytes.extend(l);
            Ok(())
        },
    )
    .map_err(|h| match h {
        yibao::eval::Halt::Eval(e) => fail(&e),
        yibao::eval::Halt::Put(e) => TestCaseError::fail(e.to_string()),
        yibao::eval::Halt::Load(e) => TestCaseError::fail(e.to_string()),
    })?;
    let ledger =
        yibao::eval::settle_institutions(prog, &claims, &f.insts, &s, Some(&f.assessments))
            .map_err(|e| fail(&e))?;
    let patients =
        yibao::eval::settle_patients(prog, &claims, &f.insts, &s).map_err(|e| fail(&e))?;
    Ok((
        String::from_utf8(bytes).unwrap(),
        normalized(format!(
            "{} {:?}\n{:?}\n{:?}\n{:?}",
            s.len(),
            s.summary,
            s.memory,
            ledger,
            patients
        )),
    ))
}

/// Sums merged from several threads may carry another scale of zero (`0`
/// for `0.00`); the files yibao writes format every amount the same way.
/// So every number in `t` is written with its trailing zeros dropped.
fn normalized(t: String) -> String {
    const SEPS: [char; 10] = ['[', ']', ',', ' ', '"', '(', ')', '{', '}', ':'];
    t.split_inclusive(SEPS)
        .map(|tok| {
            let sep = tok.chars().last().filter(|c| SEPS.contains(c));
            let (v, sep) = tok.split_at(tok.len() - sep.map_or(0, char::len_utf8));
            v.parse::<Decimal>()
                .map_or_else(|_| v.to_string(), |d| d.normalize().to_string())
                + sep
        })
        .collect::<String>()
}

/// Settles `csv` with policy `p` within a memory budget of `budget` bytes
/// (`u64::MAX`: read whole), read in blocks of `block` bytes with the first
/// cuts after `sample` rows, a claim set at a time: claims.csv's bytes,
/// then the sums and the ledger as text (numbers normalized), and how many
/// sets there were.
fn within(
    csv: &str,
    p: usize,
    (budget, block, sample): (u64, usize, usize),
) -> Result<(String, String, usize), TestCaseError> {
    use yibao::data::{Budget, Loaded, Reading};
    let f = fixture();
    let (name, prog) = &f.policies[p];
    let fail = |e: String| TestCaseError::fail(format!("{name}: {e}"));
    let how = Reading {
        threads: 2,
        block,
        sample,
        ..Reading::default()
    };
    let budget = Budget {
        bytes: budget,
        dir: common::temp_dir("properties-spill"),
    };
    let input = Input::bytes("gen.csv", csv.as_bytes().to_vec());
    let (loaded, _) = yibao::data::load_claims_within(&input, &f.insts, &[], &how, &budget)
        .map_err(|e| fail(e.to_string()))?;
    let years = |c: &yibao::data::Claims| {
        let y = c.rows.iter().map(|c| c.discharge.year());
        y.clone().min().zip(y.max())
    };
    let (sets, years) = match &loaded {
        Loaded::Whole(c) => (1, years(c)),
        Loaded::Spilled(s) => (s.len(), s.years),
    };
    let periods =
        yibao::eval::Periods::of_years(years, &yibao::eval::Scope::default()).map_err(fail)?;
    let mut run = yibao::eval::Streamed::new(prog, &f.insts, periods);
    let mut bytes = Vec::new();
    for k in 0..sets {
        let part = match &loaded {
            Loaded::Whole(_) => None,
            Loaded::Spilled(s) => Some(s.load(k).map_err(|e| fail(e.to_string()))?),
        };
        let claims = match (&loaded, &part) {
            (_, Some(part)) => part,
            (Loaded::Whole(c), None) => c,
            (Loaded::Spilled(_), None) => unreachable!(),
        };
        let lines =
            yibao::report::ClaimLines::new(prog, claims, &f.insts, yibao::report::Format::Csv);
        run.settle(
            claims,
            yibao::eval::Split {
                threads: 2,
                block: 5,
            },
            yibao::eval::carry::Carry::default(),
            |b| lines.lines(b),
            |l| {
                bytes.extend(l);
                Ok(())
            },
        )
        .map_err(|h| fail(format!("{h:?}")))?;
    }
    let s = run.finish().map_err(|h| fail(format!("{h:?}")))?;
    let none = yibao::data::Claims::default();
    let ledger = yibao::eval::settle_institutions(prog, &none, &f.insts, &s, Some(&f.assessments))
        .map_err(|e| fail(e.message.clone()))?;
    Ok((
        String::from_utf8(bytes).unwrap(),
        normalized(format!("{} {:?}\n{:?}", s.len(), s.summary, ledger)),
        sets,
    ))
}

proptest! {
    // A tenth of the cases: each spills to a few dozen files.
    #![proptest_config(ProptestConfig::with_cases(cases().div_ceil(10)))]

    /// A claims file spilled to partitions by patient (budgets of 256 bytes
    /// to 8 KB, the first cuts after 1 to 40 rows, so that some partitions
    /// are split again) gives the same claims.csv bytes, sums and ledger as
    /// the file read whole, under every shipped policy. Fails if a
    /// partition is settled out of order, if a patient is split between
    /// partitions, or if a partition's sums are lost.
    #[test]
    fn spilling_does_not_change_a_byte(rows in rows(), p in 0usize..64, budget in 256u64..8192, block in 64usize..2048, sample in 1usize..40) {
        let csv = csv_of(&rows);
        let p = p % fixture().policies.len();
        let whole = within(&csv, p, (u64::MAX, 1 << 20, 1 << 16))?;
        let spilled = within(&csv, p, (budget, block, sample))?;
        prop_assert_eq!(whole.2, 1);
        prop_assert!(spilled.2 >= 1);
        prop_assert_eq!(&whole.0, &spilled.0);
        prop_assert_eq!(&whole.1, &spilled.1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]


    /// Blocks of 1 to 11 claims (whole patients) on 1 to 3 threads: the same
    /// claims.csv bytes, sums, ledgers and closing memory as one block on one
    /// thread. Fails if blocks are put out of order, if a block is cut inside
    /// a patient, or if a thread's memory or sums are lost.
    #[test]
    fn blocks_and_threads_do_not_change_a_byte(rows in rows(), p in 0usize..64, block in 1usize..12, threads in 1usize..4) {
        let csv = csv_of(&rows);
        let p = p % fixture().policies.len();
        let whole = streamed(&csv, p, yibao::eval::Split { threads: 1, block: usize::MAX })?;
        let cut = streamed(&csv, p, yibao::eval::Split { threads, block })?;
        prop_assert_eq!(&whole.0, &cut.0);
        prop_assert_eq!(&whole.1, &cut.1);
        prop_assert_eq!(whole.0.lines().count(), rows.len());
    }

    /// Every claim reconciles and every ledger row keeps its identity, under
    /// every shipped policy; settling twice gives the same figures to the digit,
    /// and two or three threads the same values.
    #[test]
    fn settlement_reconciles_and_is_deterministic(rows in rows(), p in 0usize..64, threads in 2usize..4) {
        let csv = csv_of(&rows);
        let p = p % fixture().policies.len();
        let once = settle(&csv, p, 1)?;
        prop_assert_eq!(&once, &settle(&csv, p, 1)?);
        prop_assert_eq!(once.normalized(), settle(&csv, p, threads)?.normalized());
    }

    /// The same rows in another order give the same results.
    #[test]
    fn row_order_does_not_matter(rows in rows(), p in 0usize..64, seed in any::<u64>()) {
        let p = p % fixture().policies.len();
        let mut shuffled = rows.clone();
        // Fisher–Yates with a SplitMix64 stream from the seed.
        let mut x = seed;
        for i in (1..shuffled.len()).rev() {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            shuffled.swap(i, (z % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(settle(&csv_of(&rows), p, 1)?, settle(&csv_of(&shuffled), p, 1)?);
    }

    /// On random claims and random fees (a fixed fee per listed disease, 0 to
    /// 50,000 yuan, above or below the cost), every claim keeps
    /// Σ layers + patient_paid + institution_borne = total_cost exactly, its
    /// fee column is the fee of its disease where the fee applies, and
    /// institution_borne is total_cost − that fee (0 where none applies).
    #[test]
    fn fees_reconcile(rows in rows(), fees in proptest::collection::vec(0u64..5_000_000, 3), ratio in 0u32..=100) {
        fees_reconcile_case(&rows, &fees, ratio)?;
    }

    /// Random multi-year ledgers of one unit, each year a surplus (part set
    /// aside as reserve) or an overspend (drawn on the reserve first, the rest
    /// split between fund and unit): every row holds the invariant, the reserve
    /// carries year to year, and drawing more than was carried in is caught.
    #[test]
    fn the_reserve_identity_holds_on_random_ledgers(
        years in proptest::collection::vec((any::<bool>(), 0u64..10_000_000, 0u64..=100, 0u64..=100, 0u64..=100), 1..8),
        overdraw in 1u64..1_000,
    ) {
        use yibao::eval::ledger::{check_row, set_computed};
        use yibao::schema::ledger as L;
        let fen = |n: u64| Decimal::new(n as i64, 2);
        let pct = |x: Decimal, p: u64| (x * Decimal::new(p as i64, 2)).round_dp(2);
        let mut closing = Decimal::ZERO;
        let mut set_aside = Decimal::ZERO;
        let mut used = Decimal::ZERO;
        for (surplus_year, amount, reserve_pct, keep_pct, fund_pct) in years {
            let mut row = vec![Decimal::ZERO; L::COLUMNS.len()];
            let c = |i: u16| i as usize;
            row[c(L::RESERVE_OPENING)] = closing;
            let x = fen(amount);
            if surplus_year {
                row[c(L::SURPLUS)] = x;
                row[c(L::RESERVE)] = pct(x, reserve_pct);
                row[c(L::RETAINED)] = pct(x - row[c(L::RESERVE)], keep_pct);
            } else {
                row[c(L::OVERSPEND)] = x;
                row[c(L::RESERVE_USED)] = x.min(closing);
                let rest = x - row[c(L::RESERVE_USED)];
                row[c(L::FUND_SHARE)] = pct(rest, fund_pct);
                row[c(L::INSTITUTION_SHARE)] = rest - row[c(L::FUND_SHARE)];
            }
            set_computed(&mut row).unwrap();
            prop_assert_eq!(check_row(&row, None), Vec::<String>::new());
            let want = closing + row[c(L::RESERVE)] - row[c(L::RESERVE_USED)];
            prop_assert_eq!(row[c(L::RESERVE_CLOSING)], want);
            prop_assert!(row[c(L::RESERVE_CLOSING)] >= Decimal::ZERO);
            set_aside += row[c(L::RESERVE)];
            used += row[c(L::RESERVE_USED)];
            // Over the years: what is left is what was set aside less what was used.
            prop_assert_eq!(row[c(L::RESERVE_CLOSING)], set_aside - used);
            // Drawing more than was carried in (the unit bearing less) breaks it.
            let mut bad = row.clone();
            bad[c(L::RESERVE_USED)] = closing + fen(overdraw);
            set_computed(&mut bad).unwrap();
            prop_assert!(!check_row(&bad, None).is_empty());
            closing = row[c(L::RESERVE_CLOSING)];
        }
    }

    /// Any sequence of the language's tokens (and some that are not) ends in a
    /// program or in diagnostics that point inside the text.
    #[test]
    fn any_token_soup_gets_an_answer(tokens in proptest::collection::vec(token(), 0..80)) {
        let text = tokens.concat();
        let file = yibao::source::SourceFile::new("soup.policy", text.as_str());
        if let Err(diags) = yibao::compile(&file) {
            prop_assert!(!diags.is_empty());
            for d in diags {
                if let Some(s) = d.span {
                    prop_assert!(s.start as usize <= text.len() && s.end as usize <= text.len());
                    prop_assert!(text.is_char_boundary(s.start as usize));
                }
                let _ = d.render(&file);
            }
        }
    }
}

fn token() -> impl Strategy<Value = String> {
    let words = [
        "region ",
        "\"测试\" ",
        "code ",
        "param ",
        "table ",
        "schedule ",
        "layer ",
        "rule ",
        "pay ",
        "let ",
        "when ",
        "if ",
        "then ",
        "else ",
        "and ",
        "or ",
        "not ",
        "in ",
        "round ",
        "to ",
        "from ",
        "until ",
        "settle ",
        "per ",
        "institution ",
        "year ",
        "accumulator ",
        "claim.total_cost ",
        "institution.level ",
        "fund_paid ",
        "比例 ",
        "起付线 ",
        "x ",
        ": ",
        "= ",
        "== ",
        "+ ",
        "- ",
        "* ",
        "/ ",
        "+= ",
        "( ",
        ") ",
        "[ ",
        "] ",
        "{ ",
        "} ",
        ", ",
        ".. ",
        "200元 ",
        "95% ",
        "1.5万元 ",
        "30天 ",
        "2个月 ",
        "0 ",
        "2025-01-01 ",
        "true ",
        "money ",
        "ratio ",
        "marginal ",
        "whole ",
        "\n",
        "// c\n",
        "\"",
        "：",
        "（",
        "，",
        "１",
        "\u{feff}",
        "\r\n",
        "😀",
        "\\",
        "'",
        "$",
        "..",
        "%",
    ];
    prop_oneof![
        9 => proptest::sample::select(words.to_vec()).prop_map(String::from),
        1 => "[\\PC]{0,4}",
    ]
}

const FEE_POLICY: &str = r#"
table 定额: money by claim.disease_code = { "K35.8": 6000元, "O80": 3000元, "I63.9": 20000元, else: 0元 }
param 比例: ratio = 80%
fee 定额付费 {
  rule 住院 when claim.visit_type == "inpatient" and claim.disease_code in ["K35.8", "O80", "I63.9"] {
    pay 定额[claim.disease_code]
  }
}
layer fund_paid {
  rule 报销 { pay min(remaining, max(claim.total_cost - claim.self_pay_cost - 500元, 0) * 比例 round) }
}
layer serious_paid {
  rule 大病 when claim.insured_type == "resident" { pay max(remaining - 1000元, 0) * 50% round }
}
"#;

fn fees_reconcile_case(rows: &[Row], fees: &[u64], ratio: u32) -> Result<(), TestCaseError> {
    let f = fixture();
    let file = yibao::source::SourceFile::new("fee.policy", FEE_POLICY);
    let (mut prog, _) = yibao::compile(&file).unwrap();
    let listed = ["K35.8", "O80", "I63.9"];
    for (code, fee) in listed.iter().zip(fees) {
        yibao::check::apply_override(
            &mut prog,
            &format!("定额[{code}]"),
            &format!("{}元", yuan(*fee)),
        )
        .unwrap();
    }
    yibao::check::apply_override(&mut prog, "比例", &format!("{ratio}%")).unwrap();
    let csv = csv_of(rows);
    let (claims, _) =
        yibao::data::load_claims_from(&Input::bytes("gen.csv", csv.into_bytes()), &f.insts, &[])
            .unwrap();
    let s = yibao::eval::settle(&prog, &claims, &f.insts, 2)
        .map_err(|e| TestCaseError::fail(e.message))?;
    let fee_col = s.shape.fee_col().unwrap();
    for (k, c) in claims.rows.iter().enumerate() {
        let row = s.row(k);
        let code = claims.text(c.disease_code);
        let applies = c.visit_type == 0 && listed.contains(&code);
        let fee = listed
            .iter()
            .position(|l| *l == code)
            .filter(|_| applies)
            .map_or(Decimal::ZERO, |i| Decimal::new(fees[i] as i64, 2));
        let total: Decimal = row[..s.shape.n_layers + 2].iter().sum();
        prop_assert_eq!(total, c.total_cost(), "claim {}", claims.text(c.id));
        prop_assert_eq!(row[fee_col], fee);
        let borne = if applies {
            c.total_cost() - fee
        } else {
            Decimal::ZERO
        };
        prop_assert_eq!(row[s.shape.borne_col()], borne);
        prop_assert!(row[s.shape.patient_col()] >= Decimal::ZERO);
    }
    prop_assert!(s.summary.all.reconciles());
    Ok(())
}
