//! The yardstick: R1 (shared/bench-r1.md) written by hand in plain Rust, csv + rust_decimal, the
//! way a competent engineer would write exactly this one policy. It is benchmark code only —
//! the engine never uses it — and exists to say how close `yibao run policies/r1.policy` comes
//! to a program that knows its rules at compile time.
//!
//! ```text
//! r1_yardstick CLAIMS INSTITUTIONS OUT_DIR [--threads N]   settle; write claims.csv, institutions.csv
//! r1_yardstick --agree OUT_DIR YIBAO_OUT_DIR               compare with `yibao run --out` to the fen
//!                                                          (OUT_DIR: the yardstick's or r1-peer's)
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::io::Write;

struct Claim {
    /// Claim id as a range of `ids`.
    id: (u32, u32),
    patient: u32,
    institution: u32,
    employee: bool,
    retired: bool,
    visit: u8, // 0 inpatient, 1 chronic, 2 general
    /// YYYYMMDD.
    discharge: u32,
    total: Decimal,
    self_pay: Decimal,
}

struct Out {
    fund: Decimal,
    serious: Decimal,
}

fn money(b: &[u8]) -> Decimal {
    let d: Decimal = std::str::from_utf8(b).unwrap().parse().unwrap();
    assert!(d.scale() <= 2 && !d.is_sign_negative(), "bad amount");
    d
}

fn round(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn seg(x: Decimal) -> Decimal {
    // 15,000 threshold; 50,000 at 0.60, 50,000 at 0.70, the rest at 0.80.
    let above = |lo: i64, hi: Option<i64>| -> Decimal {
        let lo = Decimal::from(lo);
        let top = hi.map_or(x, |h| x.min(Decimal::from(h)));
        (top - lo).max(Decimal::ZERO)
    };
    above(15_000, Some(65_000)) * Decimal::new(60, 2)
        + above(65_000, Some(115_000)) * Decimal::new(70, 2)
        + above(115_000, None) * Decimal::new(80, 2)
}

fn settle(claims: &[Claim], levels: &[u8], out: &mut [Out]) {
    let (mut pooled, mut gen_elig, mut gen_paid, mut oop) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut key: Option<(u32, u32)> = None;
    for (c, o) in claims.iter().zip(out.iter_mut()) {
        let year = c.discharge / 10_000;
        if key != Some((c.patient, year)) {
            key = Some((c.patient, year));
            (pooled, gen_elig, gen_paid, oop) =
                (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        }
        let eligible = c.total - c.self_pay;
        let level = levels[c.institution as usize];
        let cap = Decimal::from(if c.employee { 300_000 } else { 200_000 });
        let fund = match c.visit {
            0 => {
                let ded = Decimal::from([200, 500, 800][usize::from(level - 1)]);
                let mut ratio = if c.employee {
                    [
                        Decimal::new(95, 2),
                        Decimal::new(90, 2),
                        Decimal::new(85, 2),
                    ]
                } else {
                    [
                        Decimal::new(90, 2),
                        Decimal::new(80, 2),
                        Decimal::new(65, 2),
                    ]
                }[usize::from(level - 1)];
                if c.employee && c.retired {
                    ratio = (ratio + Decimal::new(5, 2)).min(Decimal::ONE);
                }
                let raw = round((eligible - ded).max(Decimal::ZERO) * ratio);
                let f = raw.min((cap - pooled).max(Decimal::ZERO));
                pooled += f;
                f
            }
            1 => {
                let ratio = if c.employee {
                    Decimal::new(80, 2)
                } else {
                    Decimal::new(70, 2)
                };
                let f = round(eligible * ratio).min((cap - pooled).max(Decimal::ZERO));
                pooled += f;
                f
            }
            _ => {
                let unmet = (Decimal::from(200) - gen_elig).max(Decimal::ZERO);
                gen_elig += eligible;
                let raw = round((eligible - unmet).max(Decimal::ZERO) * Decimal::new(50, 2));
                let f = raw.min(Decimal::from(2000) - gen_paid);
                gen_paid += f;
                f
            }
        };
        let serious = if !c.employee && c.visit < 2 {
            let before = oop;
            oop += eligible - fund;
            round(seg(oop) - seg(before))
        } else {
            Decimal::ZERO
        };
        *o = Out { fund, serious };
    }
}

fn run(claims_path: &str, insts_path: &str, out_dir: &str, threads: usize) {
    // Institutions.
    let mut rdr = csv::Reader::from_path(insts_path).unwrap();
    let h = rdr.byte_headers().unwrap().clone();
    let col = |h: &csv::ByteRecord, n: &str| h.iter().position(|x| x == n.as_bytes()).unwrap();
    let (i_id, i_level, i_budget) = (
        col(&h, "institution_id"),
        col(&h, "level"),
        col(&h, "annual_budget"),
    );
    let mut inst_index: HashMap<Vec<u8>, u32> = HashMap::new();
    let (mut inst_ids, mut levels, mut budgets) = (Vec::new(), Vec::new(), Vec::new());
    for r in rdr.byte_records() {
        let r = r.unwrap();
        inst_index.insert(r[i_id].to_vec(), inst_ids.len() as u32);
        inst_ids.push(String::from_utf8(r[i_id].to_vec()).unwrap());
        levels.push(r[i_level][0] - b'0');
        budgets.push(money(&r[i_budget]));
    }

    // Claims.
    let mut rdr = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(claims_path)
        .unwrap();
    let h = rdr.byte_headers().unwrap().clone();
    let c = [
        "claim_id",
        "patient_id",
        "insured_type",
        "retired",
        "institution_id",
        "visit_type",
        "discharge_date",
        "total_cost",
        "self_pay_cost",
    ]
    .map(|n| col(&h, n));
    let mut patient_index: HashMap<Box<[u8]>, u32> = HashMap::new();
    let mut patient_ids: Vec<Box<[u8]>> = Vec::new();
    let mut ids: Vec<u8> = Vec::new();
    let mut claims = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).unwrap() {
        let patient = match patient_index.get(&rec[c[1]]) {
            Some(&p) => p,
            None => {
                let p = patient_ids.len() as u32;
                patient_ids.push(rec[c[1]].into());
                patient_index.insert(rec[c[1]].into(), p);
                p
            }
        };
        let id = (ids.len() as u32, rec[c[0]].len() as u32);
        ids.extend_from_slice(&rec[c[0]]);
        let d = &rec[c[6]];
        assert!(d.len() == 10 && d[4] == b'-' && d[7] == b'-', "bad date");
        let digits = |r: &[u8]| r.iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
        claims.push(Claim {
            id,
            patient,
            employee: match &rec[c[2]] {
                b"employee" => true,
                b"resident" => false,
                t => panic!("unknown insured_type {t:?}"),
            },
            retired: &rec[c[3]] == b"true",
            institution: *inst_index.get(&rec[c[4]]).expect("unknown institution"),
            visit: match &rec[c[5]] {
                b"inpatient" => 0,
                b"outpatient_chronic" => 1,
                b"outpatient_general" => 2,
                t => panic!("unknown visit_type {t:?}"),
            },
            discharge: digits(&d[0..4]) * 10_000 + digits(&d[5..7]) * 100 + digits(&d[8..10]),
            total: money(&rec[c[7]]),
            self_pay: money(&rec[c[8]]),
        });
    }
    // Patients in id order, claims in (discharge_date, claim_id) order within a patient.
    let mut rank: Vec<u32> = (0..patient_ids.len() as u32).collect();
    rank.sort_unstable_by(|&a, &b| patient_ids[a as usize].cmp(&patient_ids[b as usize]));
    let mut by_rank = vec![0u32; rank.len()];
    for (r, &p) in rank.iter().enumerate() {
        by_rank[p as usize] = r as u32;
    }
    for cl in &mut claims {
        cl.patient = by_rank[cl.patient as usize];
    }
    let id = |c: &Claim| &ids[c.id.0 as usize..(c.id.0 + c.id.1) as usize];
    claims.sort_unstable_by(|a, b| {
        (a.patient, a.discharge)
            .cmp(&(b.patient, b.discharge))
            .then_with(|| id(a).cmp(id(b)))
    });

    let mut out: Vec<Out> = (0..claims.len())
        .map(|_| Out {
            fund: Decimal::ZERO,
            serious: Decimal::ZERO,
        })
        .collect();
    // Cut at patient boundaries, one chunk per thread.
    let mut cuts = vec![0];
    for t in 1..threads.max(1) {
        let mut i = (claims.len() * t / threads).max(*cuts.last().unwrap());
        while i > 0 && i < claims.len() && claims[i].patient == claims[i - 1].patient {
            i += 1;
        }
        cuts.push(i);
    }
    cuts.push(claims.len());
    std::thread::scope(|s| {
        let mut rest = out.as_mut_slice();
        for w in cuts.windows(2) {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
            rest = tail;
            let (cl, lv) = (&claims[w[0]..w[1]], &levels);
            s.spawn(move || settle(cl, lv, mine));
        }
    });

    std::fs::create_dir_all(out_dir).unwrap();
    let mut w = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(format!("{out_dir}/claims.csv")).unwrap(),
    );
    writeln!(w, "claim_id,fund,serious,patient_paid").unwrap();
    let n = inst_ids.len();
    let (mut count, mut total, mut actual) = (
        vec![0u64; n],
        vec![Decimal::ZERO; n],
        vec![Decimal::ZERO; n],
    );
    for (c, o) in claims.iter().zip(&out) {
        let i = c.institution as usize;
        count[i] += 1;
        total[i] += c.total;
        actual[i] += o.fund;
        w.write_all(id(c)).unwrap();
        writeln!(
            w,
            ",{:.2},{:.2},{:.2}",
            o.fund,
            o.serious,
            c.total - o.fund - o.serious
        )
        .unwrap();
    }
    w.flush().unwrap();
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(format!("{out_dir}/institutions.csv")).unwrap(),
    );
    writeln!(w, "institution_id,claims,total_cost,actual,surplus,reserve,retained,over,fund_share,institution_share").unwrap();
    for i in 0..n {
        let (b, a) = (budgets[i], actual[i]);
        let z = Decimal::ZERO;
        let (surplus, reserve, retained, over, fs, is) = if a <= b {
            let s = b - a;
            let r = round(s * Decimal::new(10, 2));
            (s, r, s - r, z, z, z)
        } else {
            let o = a - b;
            let f = round(o.min(b * Decimal::new(5, 2)));
            (z, z, z, o, f, o - f)
        };
        writeln!(
            w,
            "{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2}",
            inst_ids[i], count[i], total[i], a, surplus, reserve, retained, over, fs, is
        )
        .unwrap();
    }
    w.flush().unwrap();
}

/// Reads a CSV into rows of the named columns, sorted.
fn rows(path: &str, cols: &[&str]) -> Vec<Vec<String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let h = rdr.headers().unwrap().clone();
    let idx: Vec<usize> = cols
        .iter()
        .map(|c| {
            h.iter()
                .position(|x| x == *c)
                .unwrap_or_else(|| panic!("{path}: no column {c}"))
        })
        .collect();
    let mut v: Vec<Vec<String>> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            idx.iter().map(|&i| r[i].to_string()).collect()
        })
        .collect();
    v.sort();
    v
}

/// Compares the yardstick's outputs with `yibao run --out`'s, to the fen. Exits 1 on a difference.
fn agree(mine: &str, yibao: &str) {
    // r1-peer (../shared/bench) names its files claims_out.csv and institutions_out.csv,
    // with the same columns as the yardstick's: either can be compared.
    let file = |stem: &str| {
        let peer = format!("{mine}/{stem}_out.csv");
        if std::path::Path::new(&peer).exists() {
            peer
        } else {
            format!("{mine}/{stem}.csv")
        }
    };
    let a = rows(
        &file("claims"),
        &["claim_id", "fund", "serious", "patient_paid"],
    );
    let b = rows(
        &format!("{yibao}/claims.csv"),
        &["claim_id", "fund_paid", "serious_paid", "patient_paid"],
    );
    let ia = rows(
        &file("institutions"),
        &[
            "institution_id",
            "claims",
            "total_cost",
            "actual",
            "surplus",
            "reserve",
            "retained",
            "over",
            "fund_share",
            "institution_share",
        ],
    );
    let ib = rows(
        &format!("{yibao}/ledger.csv"),
        &[
            "unit_id",
            "claims",
            "total_cost",
            "routine_paid",
            "surplus",
            "reserve",
            "retained",
            "overspend",
            "fund_share",
            "institution_share",
        ],
    );
    let mut bad = 0;
    for (name, x, y) in [("claims", &a, &b), ("institutions", &ia, &ib)] {
        if x.len() != y.len() {
            eprintln!("{name}: {} rows vs {} rows", x.len(), y.len());
            bad += 1;
        }
        for (r, s) in x.iter().zip(y.iter()).filter(|(r, s)| r != s).take(5) {
            eprintln!("{name} differ: yardstick {r:?} yibao {s:?}");
            bad += 1;
        }
    }
    if bad > 0 {
        std::process::exit(1);
    }
    println!(
        "agree to the fen: {} claims, {} institutions",
        a.len(),
        ia.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--agree", mine, yibao] => agree(mine, yibao),
        [claims, insts, out] => run(claims, insts, out, 1),
        [claims, insts, out, "--threads", n] => run(claims, insts, out, n.parse().unwrap()),
        _ => {
            eprintln!("usage: r1_yardstick CLAIMS INSTITUTIONS OUT_DIR [--threads N]\n       r1_yardstick --agree OUT_DIR YIBAO_OUT_DIR");
            std::process::exit(2);
        }
    }
}
