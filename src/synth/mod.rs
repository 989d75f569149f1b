//! Synthetic claim data for trying a policy on a simulated population, and for benchmarks.
//!
//! Deterministic: the same options give the same bytes on every machine, because the random
//! numbers come from SplitMix64 (fixed, documented output) and every amount is computed in
//! exact integer fen or [`Decimal`] — no floating point anywhere.
//!
//! The shapes follow the data contract: visit mix ~15 % inpatient, 25 % chronic outpatient,
//! 60 % general outpatient; inpatient cost lognormal around 8,000 yuan with a long tail,
//! chronic outpatient around 400, general outpatient around 150; self-pay 0–15 % and drugs
//! 20–50 % of the total; ~40 % employees, 15 % of them retired. A few heavy users (2 % of the
//! patients draw 10 % of the claims) reach the caps and serious-illness segments. Budgets are
//! set around each institution's simulated pooled-fund spending (±15 %), so a year's clearing
//! shows both surpluses and overspends.
//!
//! Claims are written as they are drawn, in random patient order, so memory does not grow with
//! the number of claims: only patients and institutions are kept, a few bytes each
//! ([`Options::memory`]). Options that would keep more than [`MEMORY_CEILING`] are refused
//! before anything is allocated or written.

mod contributors;
pub use contributors::{generate_agreement_actions, generate_contributors};

use crate::date::Date;
use rust_decimal::{Decimal, MathematicalOps};
use std::io::{self, Write};

/// The most memory [`generate`] keeps (1 GiB): 357 million patients (three bytes each), or
/// some 22 million institutions (48 bytes each). A population beyond it is refused rather than
/// left to fail mid-allocation.
pub const MEMORY_CEILING: u64 = 1 << 30;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub claims: u64,
    pub patients: u64,
    pub institutions: u32,
    /// First settlement year.
    pub first_year: i32,
    /// Number of calendar years the discharge dates spread over.
    pub years: u32,
    pub seed: u64,
}

impl Options {
    /// The defaults for `claims` claims: one patient per 10 claims, one institution per 2,000
    /// claims (at least 5, at most 500), one year from 2025.
    pub fn for_claims(claims: u64) -> Options {
        Options {
            claims,
            patients: (claims / 10).max(1),
            institutions: (claims / 2000).clamp(5, 500) as u32,
            first_year: 2025,
            years: 1,
            seed: 1,
        }
    }

    /// The bytes [`generate`] keeps in memory: each patient's attributes, and per institution
    /// its running sums and its place in the three visit-type distributions. Claims are
    /// written as they are drawn and cost nothing.
    pub fn memory(&self) -> u128 {
        let per_patient = std::mem::size_of::<Patient>() as u128;
        let per_institution = (std::mem::size_of::<Institution>() + 3 * 8) as u128;
        u128::from(self.patients.max(1)) * per_patient
            + u128::from(self.institutions.max(1)) * per_institution
    }

    /// Whether the population fits under [`MEMORY_CEILING`]; if not, what it would need.
    pub fn fits(&self) -> Result<(), String> {
        let need = self.memory();
        if need <= u128::from(MEMORY_CEILING) {
            return Ok(());
        }
        Err(format!(
            "{} patients and {} institutions would need {} MiB of memory, more than the 1024 MiB \
             `yibao gen` keeps at most (3 bytes a patient, 48 an institution); ask for fewer \
             (--patients, --institutions, or fewer --claims: one patient per 10 by default)",
            self.patients,
            self.institutions,
            need.div_ceil(1 << 20)
        ))
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub claims: u64,
    pub patients: u64,
    pub institutions: u32,
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and its output is fixed by definition.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift (bias below 2⁻³²).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `permille / 1000`.
    pub fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    /// An approximately standard normal number (Irwin–Hall: the sum of twelve uniforms less
    /// six), as a Decimal with 9 decimals. Bounded at ±6, which keeps costs finite.
    pub fn normal(&mut self) -> Decimal {
        const UNIT: i64 = 1_000_000_000;
        let sum: i64 = (0..12).map(|_| self.below(UNIT as u64) as i64).sum();
        Decimal::new(sum - 6 * UNIT, 9)
    }
}

/// exp(x) for 0 ≤ x < 16, fast enough for millions of draws: exp(k/256) from a table times a
/// cubic Taylor polynomial of the remainder (relative error below 10⁻¹¹).
struct Exp {
    table: Vec<Decimal>,
}

impl Exp {
    const STEPS: i64 = 256;

    fn new() -> Exp {
        let table = (0..16 * Exp::STEPS)
            .map(|k| {
                Decimal::new(k, 0)
                    .checked_div(Decimal::new(Exp::STEPS, 0))
                    .and_then(|x| x.checked_exp())
                    .unwrap_or(Decimal::ZERO)
            })
            .collect();
        Exp { table }
    }

    fn exp(&self, x: Decimal) -> Decimal {
        let x = x.clamp(Decimal::ZERO, Decimal::new(15_999, 3));
        let scaled = x * Decimal::new(Exp::STEPS, 0);
        let k = scaled.trunc();
        let r = (scaled - k) / Decimal::new(Exp::STEPS, 0);
        let k: usize = k.try_into().unwrap_or(0);
        let poly = Decimal::ONE
            + r * (Decimal::ONE + r / Decimal::TWO * (Decimal::ONE + r / Decimal::from(3)));
        self.table.get(k).copied().unwrap_or(Decimal::ZERO) * poly
    }

    /// A lognormal amount in fen: exp(ln(median) + sigma × Z) yuan, at least `floor` fen.
    fn lognormal_fen(&self, rng: &mut Rng, ln_median: Decimal, sigma: Decimal, floor: i64) -> i64 {
        let yuan = self.exp(ln_median + sigma * rng.normal());
        let fen = (yuan * Decimal::ONE_HUNDRED)
            .round()
            .try_into()
            .unwrap_or(floor);
        i64::max(fen, floor)
    }
}

struct Patient {
    employee: bool,
    retired: bool,
    age: u8,
}

struct Institution {
    level: u8,
    /// Σ eligible cost of its inpatient and chronic claims, and of its general claims, in fen.
    eligible_pooled: i64,
    eligible_general: i64,
}

const DISEASES: &[&str] = &[
    "I10", "E11.9", "J18.9", "I63.9", "K80.2", "N18.5", "C34.9", "I25.1", "J44.1", "M17.9",
    "K35.8", "O80", "S72.0", "C50.9", "E78.5", "J06.9", "K29.7", "N39.0", "R51", "Z00.0",
];
const DRGS: &[&str] = &[
    "ES23", "GB25", "BR25", "FM19", "RE19", "HC25", "JJ19", "IC29", "KD19", "OB21",
];

/// Writes `claims.csv` and `institutions.csv` (and returns counts). `progress` is called with
/// the number of claims written so far, every 65,536 claims and at the end.
pub fn generate(
    opts: &Options,
    claims_out: &mut dyn Write,
    institutions_out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Written> {
    opts.fits()
        .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
    let mut rng = Rng::new(opts.seed);
    let n_inst = opts.institutions.max(1);
    let n_pat = opts.patients.max(1);
    let years = opts.years.max(1) as i32;

    // Institutions: 10 % tertiary, 30 % secondary, 60 % primary, spread through the list.
    let mut insts: Vec<Institution> = reserve(n_inst.into())?;
    insts.extend((0..n_inst).map(|i| Institution {
        level: level_of(i),
        eligible_pooled: 0,
        eligible_general: 0,
    }));
    // Where each visit type goes: inpatient care mostly to higher levels, general outpatient
    // mostly to primary care. Cumulative weights, searched per claim.
    let cumulative = |w: [u64; 3]| -> Vec<u64> {
        insts
            .iter()
            .scan(0u64, |acc, inst| {
                *acc += w[usize::from(inst.level) - 1];
                Some(*acc)
            })
            .collect()
    };
    let to_inpatient = cumulative([1, 4, 12]);
    let to_chronic = cumulative([2, 3, 4]);
    let to_general = cumulative([6, 3, 1]);

    let mut patients: Vec<Patient> = reserve(n_pat)?;
    patients.extend((0..n_pat).map(|_| draw_patient(&mut rng)));
    let heavy = (n_pat / 50).max(1);

    let exp = Exp::new();
    let ln = |yuan: i64| Decimal::from(yuan).checked_ln().unwrap_or(Decimal::ZERO);
    let (ln_inpatient, ln_chronic, ln_general) = (ln(8_000), ln(400), ln(150));
    let (sd_inpatient, sd_chronic, sd_general) =
        (Decimal::new(8, 1), Decimal::new(5, 1), Decimal::new(6, 1));
    let year_starts: Vec<(Date, i64)> = (0..years)
        .filter_map(|k| {
            let y = opts.first_year + k;
            let start = Date::from_ymd(y, 1, 1)?;
            let end = Date::from_ymd(y, 12, 31)?;
            Some((start, i64::from(end.0 - start.0)))
        })
        .collect();
    if year_starts.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the years are outside 1–9999",
        ));
    }

    let mut w = io::BufWriter::with_capacity(1 << 20, claims_out);
    w.write_all(
        b"claim_id,patient_id,insured_type,retired,age,institution_id,visit_type,admit_date,\
          discharge_date,total_cost,self_pay_cost,drug_cost,disease_code,drg_code\n",
    )?;
    let id_width = opts.claims.max(1).to_string().len().max(7);
    let pat_width = n_pat.to_string().len().max(6);
    let inst_width = n_inst.to_string().len().max(4);
    for n in 1..=opts.claims {
        let p = if rng.chance(100) {
            rng.below(heavy)
        } else {
            rng.below(n_pat)
        };
        let pat = &patients[p as usize];
        let r = rng.below(100);
        let (visit, to, total) = if r < 15 {
            let t = exp.lognormal_fen(&mut rng, ln_inpatient, sd_inpatient, 30_000);
            ("inpatient", &to_inpatient, t)
        } else if r < 40 {
            let t = exp.lognormal_fen(&mut rng, ln_chronic, sd_chronic, 1_000);
            ("outpatient_chronic", &to_chronic, t)
        } else {
            let t = exp.lognormal_fen(&mut rng, ln_general, sd_general, 500);
            ("outpatient_general", &to_general, t)
        };
        let pick = rng.below(to.last().copied().unwrap_or(1));
        let inst = to.partition_point(|&c| c <= pick).min(insts.len() - 1);
        let self_pay = total * rng.range(0, 150) / 1000;
        let drug = total * rng.range(200, 500) / 1000;
        let (start, days) = year_starts[rng.below(year_starts.len() as u64) as usize];
        let discharge = Date(start.0 + rng.range(0, days) as i32);
        let admit = if visit == "inpatient" {
            Date(discharge.0 - rng.range(1, 20) as i32)
        } else {
            discharge
        };
        let disease = DISEASES[rng.below(DISEASES.len() as u64) as usize];
        let drg = if visit == "inpatient" {
            DRGS[rng.below(DRGS.len() as u64) as usize]
        } else {
            ""
        };
        let i = &mut insts[inst];
        if visit == "outpatient_general" {
            i.eligible_general += total - self_pay;
        } else {
            i.eligible_pooled += total - self_pay;
        }
        writeln!(
            w,
            "C{n:0id_width$},P{p:0pat_width$},{},{},{},H{inst:0inst_width$},{visit},{admit},{discharge},{},{},{},{disease},{drg}",
            if pat.employee { "employee" } else { "resident" },
            pat.retired,
            pat.age,
            Fen(total),
            Fen(self_pay),
            Fen(drug),
            p = p + 1,
            inst = inst + 1,
        )?;
        if n % 65_536 == 0 {
            progress(n);
        }
    }
    w.flush()?;
    drop(w);
    progress(opts.claims);

    let mut w = io::BufWriter::new(institutions_out);
    w.write_all(b"institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled\n")?;
    for (k, inst) in insts.iter().enumerate() {
        // The pooled fund pays roughly 90 % (primary), 82 % (secondary) or 68 %
        // (tertiary care, higher deductibles and lower ratios) of eligible inpatient and
        // chronic cost, and 35 % of general outpatient cost; the budget is that per year,
        // give or take 15 %, in whole yuan.
        let share = [90, 82, 68][usize::from(inst.level) - 1];
        let spend =
            (inst.eligible_pooled * share + inst.eligible_general * 35) / 100 / i64::from(years);
        let budget = spend * rng.range(850, 1150) / 1000 / 100 * 100;
        let monthly = budget * rng.range(850, 1100) / 1000 / 12;
        let name = match inst.level {
            3 => format!("第{}人民医院", k + 1),
            2 => format!("第{}县区医院", k + 1),
            _ => format!("第{}社区卫生服务中心", k + 1),
        };
        // Every fifth secondary or primary institution forms an alliance (医共体) with the
        // ones around it.
        let alliance = alliance_of(inst.level, k).map_or(String::new(), |a| format!("YGT{a:03}"));
        writeln!(
            w,
            "H{:0inst_width$},{name},{},{},{alliance},{},{},{}",
            k + 1,
            inst.level,
            ["A", "A", "B", "B", "C"][rng.below(5) as usize],
            Fen(budget),
            Fen(monthly),
            rng.range(5_000, 80_000),
        )?;
    }
    w.flush()?;
    Ok(Written {
        claims: opts.claims,
        patients: n_pat,
        institutions: n_inst,
    })
}

/// The next patient: ~40 % employees, 15 % of them retired (aged 60–90),
/// the others 22–59; residents 0–89. The patients are the first draws of the
/// seed's stream, so [`contributors`] draws the same ones again.
fn draw_patient(rng: &mut Rng) -> Patient {
    let employee = rng.chance(400);
    let retired = employee && rng.chance(150);
    let age = if retired {
        rng.range(60, 90)
    } else if employee {
        rng.range(22, 59)
    } else {
        rng.range(0, 89)
    };
    Patient {
        employee,
        retired,
        age: age as u8,
    }
}

/// Institution `i`'s level: 10 % tertiary, 30 % secondary, 60 % primary,
/// spread through the list.
fn level_of(i: u32) -> u8 {
    match i % 10 {
        0 => 3,
        1 | 4 | 7 => 2,
        _ => 1,
    }
}

/// The alliance (医共体) number of institution `k` of `level`: every fifth
/// secondary or primary institution forms one with the ones around it.
fn alliance_of(level: u8, k: usize) -> Option<usize> {
    (level < 3 && k % 5 != 0).then_some(k / 20 + 1)
}

/// Writes `assessments.csv` for the population [`generate`] writes with the
/// same options: a score (考核得分) for every institution and every alliance
/// in every year, with one decimal, the mean of two uniform draws from 60.0
/// to 100.0 (so most scores are near 80, few near 60 or 100). Drawn from
/// its own stream of the seed, so claims.csv and institutions.csv are the
/// same bytes with or without it.
pub fn generate_assessments(opts: &Options, out: &mut dyn Write) -> io::Result<u64> {
    let mut rng = Rng::new(opts.seed ^ 0xA55E_55ED_5C0E_0001);
    let n_inst = opts.institutions.max(1);
    let inst_width = n_inst.to_string().len().max(4);
    let mut units: Vec<String> = (0..n_inst)
        .map(|k| format!("H{:0inst_width$}", k + 1))
        .collect();
    let mut alliances: Vec<usize> = (0..n_inst)
        .filter_map(|i| alliance_of(level_of(i), i as usize))
        .collect();
    alliances.dedup();
    units.extend(alliances.iter().map(|a| format!("YGT{a:03}")));
    let mut w = io::BufWriter::new(out);
    w.write_all(b"institution_id,year,score\n")?;
    let mut rows = 0;
    for k in 0..opts.years.max(1) {
        let year = opts.first_year.saturating_add_unsigned(k);
        for u in &units {
            let tenths = (rng.range(600, 1000) + rng.range(600, 1000)) / 2;
            writeln!(w, "{u},{year},{}.{}", tenths / 10, tenths % 10)?;
            rows += 1;
        }
    }
    w.flush()?;
    Ok(rows)
}

/// An empty vector with room for `n`, or an error if the memory cannot be had (below the
/// ceiling, a small machine may still say no).
fn reserve<T>(n: u64) -> io::Result<Vec<T>> {
    let oom = || {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            "not enough memory for the population",
        )
    };
    let mut v = Vec::new();
    v.try_reserve_exact(usize::try_from(n).map_err(|_| oom())?)
        .map_err(|_| oom())?;
    Ok(v)
}

/// Fen written as yuan with two decimals.
struct Fen(i64);

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn gen(opts: &Options) -> (String, String) {
        let (mut c, mut i) = (Vec::new(), Vec::new());
        generate(opts, &mut c, &mut i, &mut |_| {}).unwrap();
        (String::from_utf8(c).unwrap(), String::from_utf8(i).unwrap())
    }

    #[test]
    fn memory_is_three_bytes_a_patient_and_48_an_institution() {
        // What the ceiling's message and `yibao gen --help` say.
        assert_eq!(std::mem::size_of::<Patient>(), 3);
        assert_eq!(std::mem::size_of::<Institution>() + 3 * 8, 48);
        let mut o = Options::for_claims(1_000);
        o.institutions = 7;
        // 100 patients × 3 + 7 institutions × 48 = 300 + 336 = 636 bytes
        assert_eq!(o.memory(), 636);
        assert!(o.fits().is_ok());
    }

    #[test]
    fn a_population_beyond_the_ceiling_is_refused_before_anything_is_written() {
        // 10¹¹ claims: 10¹⁰ patients × 3 bytes = 30 GB (28,610.3 MiB), plus 500 institutions
        // × 48 = 24,000 bytes: 30,000,024,000 bytes, 28,611 MiB rounded up.
        let o = Options::for_claims(100_000_000_000);
        assert_eq!(o.memory(), 30_000_024_000);
        let (mut c, mut i) = (Vec::new(), Vec::new());
        let e = generate(&o, &mut c, &mut i, &mut |_| {}).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::OutOfMemory);
        assert!(
            e.to_string()
                .starts_with("10000000000 patients and 500 institutions would need 28611 MiB"),
            "{e}"
        );
        assert!(c.is_empty() && i.is_empty());
        // At the edge, with one institution (48 bytes): (2³⁰ − 48) / 3 = 357,913,925.3 patients.
        let mut edge = Options::for_claims(10);
        edge.institutions = 1;
        // (2³⁰ − 48) / 3 = 357,913,925.33: 357,913,925 patients × 3 + 48 = 1,073,741,823 ≤ 2³⁰
        edge.patients = 357_913_925;
        assert!(edge.fits().is_ok());
        edge.patients += 1; // 1,073,741,826 > 2³⁰
        assert!(edge.fits().is_err());
    }

    #[test]
    fn splitmix64_reference_values() {
        // First outputs for seed 1234567, computed independently (the reference algorithm in
        // Python with 64-bit masking).
        let mut r = Rng::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn table_exp_matches_exact_exp() {
        let e = Exp::new();
        for x in ["0", "1.4", "5.0106", "8.987197", "13.8", "15.99"] {
            let x: Decimal = x.parse().unwrap();
            let exact = x.checked_exp().unwrap();
            let rel = ((e.exp(x) - exact) / exact).abs();
            assert!(
                rel < Decimal::new(1, 10),
                "exp({x}): {} vs {exact}",
                e.exp(x)
            );
        }
    }

    #[test]
    fn assessments_score_every_institution_and_alliance_every_year() {
        // 20,000 claims: 10 institutions H0001–H0010. Levels by i % 10: i = 0
        // tertiary, 1, 4, 7 secondary, the rest primary; alliances of the
        // non-tertiary ones with k % 5 != 0 (k = 1–4, 6–9): all YGT001. So 11
        // units a year, 22 rows over two years.
        let mut o = Options::for_claims(20_000);
        o.years = 2;
        let mut a = Vec::new();
        assert_eq!(generate_assessments(&o, &mut a).unwrap(), 22);
        let text = String::from_utf8(a).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(text.lines().next(), Some("institution_id,year,score"));
        assert_eq!(rows.len(), 22);
        assert_eq!((rows[0][0], rows[0][1]), ("H0001", "2025"));
        assert_eq!(
            (rows[10][0], rows[21][0], rows[21][1]),
            ("YGT001", "YGT001", "2026")
        );
        for r in &rows {
            let s: Decimal = r[2].parse().unwrap();
            assert!(s >= Decimal::from(60) && s <= Decimal::from(100), "{s}");
            assert_eq!(s.scale(), 1);
        }
        // Deterministic.
        let mut b = Vec::new();
        generate_assessments(&o, &mut b).unwrap();
        assert_eq!(text.as_bytes(), b.as_slice());
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let mut o = Options::for_claims(500);
        assert_eq!(gen(&o), gen(&o));
        let a = gen(&o);
        o.seed = 2;
        assert_ne!(a, gen(&o));
    }

    #[test]
    fn shapes_follow_the_contract() {
        let o = Options::for_claims(20_000);
        let (claims, insts) = gen(&o);
        let rows: Vec<Vec<&str>> = claims
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), 20_000);
        assert_eq!(insts.lines().count(), 1 + 10);
        let share = |f: &dyn Fn(&Vec<&str>) -> bool| {
            rows.iter().filter(|r| f(r)).count() * 100 / rows.len()
        };
        let inpatient = share(&|r| r[6] == "inpatient");
        let chronic = share(&|r| r[6] == "outpatient_chronic");
        assert!((13..=17).contains(&inpatient), "inpatient {inpatient}%");
        assert!((23..=27).contains(&chronic), "chronic {chronic}%");
        let median = |visit: &str| {
            let mut v: Vec<Decimal> = rows
                .iter()
                .filter(|r| r[6] == visit)
                .map(|r| r[9].parse().unwrap())
                .collect();
            v.sort();
            v[v.len() / 2]
        };
        let m = median("inpatient");
        assert!(
            m > Decimal::from(7_000) && m < Decimal::from(9_000),
            "inpatient median {m}"
        );
        let m = median("outpatient_general");
        assert!(
            m > Decimal::from(120) && m < Decimal::from(180),
            "general median {m}"
        );
        for r in &rows {
            let (total, self_pay, drug): (Decimal, Decimal, Decimal) = (
                r[9].parse().unwrap(),
                r[10].parse().unwrap(),
                r[11].parse().unwrap(),
            );
            assert!(self_pay <= total * Decimal::new(15, 2) && drug <= total / Decimal::TWO);
            assert!(r[7] <= r[8] && r[8].starts_with("2025-"));
        }
    }
}
