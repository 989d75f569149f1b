//! `persons.csv`, `contributions.csv` and `agreement_actions.csv` for the
//! population [`super::generate`] writes with the same options, for trying
//! contribution and agreement rules. Deterministic as the claims are; each
//! drawn from its own stream of the seed, so claims.csv and
//! institutions.csv are the same bytes with or without them.
//!
//! Persons are the employee patients of claims.csv (the same ids, drawn
//! again from the seed): half men, half women, born so that they are the
//! claims' age on 1 January of the first year. They started work at 22;
//! months before 1999 (when personal accounts began) are deemed paid
//! (视同缴费), months from then to the first year paid 85–100 % of the time.
//! Each person has a month per month of the run:
//! - the claims' retirees are `retired` throughout, wage 0.00;
//! - a working man turns `retired` the month after he turns 60, a woman
//!   after 55 (a retirement within the run for some);
//! - of the others, 10 % are `flexible` (no employer) and declare a whole
//!   base of 3,000–8,000 yuan a month; the rest are `employee`s of one of
//!   one employer per 100 patients, with a wage lognormal around 6,500 yuan
//!   (so some are below a floor near 3,100 and some above a cap near
//!   15,500), varying ±5 % month to month;
//! - 2 % of working months are missing (not contributed).

use super::{draw_patient, Exp, Fen, Rng};
use crate::date::Date;
use rust_decimal::{Decimal, MathematicalOps};
use std::io::{self, Write};

/// Retirement ages, men and women.
const RETIRE_AT: [i32; 2] = [60, 55];

/// Writes persons.csv and contributions.csv; returns (persons, months).
pub fn generate_contributors(
    opts: &super::Options,
    persons_out: &mut dyn Write,
    contributions_out: &mut dyn Write,
) -> io::Result<(u64, u64)> {
    opts.fits()
        .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
    let mut patients = Rng::new(opts.seed);
    let mut rng = Rng::new(opts.seed ^ 0xC047_21B0_7E00_0001);
    let exp = Exp::new();
    let ln_wage = Decimal::from(6_500).checked_ln().unwrap_or(Decimal::ZERO);
    let n_pat = opts.patients.max(1);
    let pat_width = n_pat.to_string().len().max(6);
    let employers = (n_pat / 100).max(3);
    let emp_width = employers.to_string().len().max(4);
    let first = opts.first_year;
    let years = i32::try_from(opts.years.max(1)).unwrap_or(1);
    let bad_year = || io::Error::new(io::ErrorKind::InvalidInput, "the years are outside 1–9999");
    let mut people = io::BufWriter::with_capacity(1 << 16, persons_out);
    let mut months = io::BufWriter::with_capacity(1 << 20, contributions_out);
    people.write_all(b"person_id,sex,birth_date,deemed_months,prior_paid_months\n")?;
    months.write_all(b"person_id,month,category,wage,employer_id\n")?;
    let (mut n_persons, mut n_months) = (0u64, 0u64);
    for p in 1..=n_pat {
        let pat = draw_patient(&mut patients);
        if !pat.employee {
            continue;
        }
        let male = rng.chance(500);
        let age = i32::from(pat.age);
        let turns = Date::from_ymd(first - age, 1, 1).ok_or_else(bad_year)?;
        let birth = Date(turns.0 - rng.range(0, 363) as i32);
        let (by, bm, _) = birth.ymd();
        let started = by + 22;
        let deemed = (1999 - started).clamp(0, 60) * 12;
        let paid_span = (first - started.max(1999)).max(0) * 12;
        let prior = i64::from(paid_span) * rng.range(850, 1000) / 1000;
        let id = format!("P{p:0pat_width$}");
        writeln!(
            people,
            "{id},{},{birth},{deemed},{prior}",
            if male { "male" } else { "female" }
        )?;
        n_persons += 1;

        // The first month retired: the month after the birthday that
        // reaches the retirement age (as months from year 0).
        let retire_age = RETIRE_AT[usize::from(!male)];
        let retires = (by + retire_age) * 12 + bm as i32;
        let flexible = !pat.retired && rng.chance(100);
        let employer = rng.below(employers) + 1;
        let base = if flexible {
            rng.range(3_000, 8_000) * 100
        } else {
            exp.lognormal_fen(&mut rng, ln_wage, Decimal::new(5, 1), 150_000)
        };
        for y in first..first + years {
            for m in 1..=12 {
                let at = y * 12 + m - 1;
                if pat.retired || at >= retires {
                    writeln!(months, "{id},{y:04}-{m:02},retired,0.00,")?;
                } else if rng.chance(20) {
                    continue;
                } else if flexible {
                    writeln!(months, "{id},{y:04}-{m:02},flexible,{},", Fen(base))?;
                } else {
                    let wage = base * rng.range(950, 1050) / 1000;
                    writeln!(
                        months,
                        "{id},{y:04}-{m:02},employee,{},E{employer:0emp_width$}",
                        Fen(wage)
                    )?;
                }
                n_months += 1;
            }
        }
    }
    people.flush()?;
    months.flush()?;
    Ok((n_persons, n_months))
}

/// Writes agreement_actions.csv: per institution and year, an interview
/// (约谈) on a random day with chance 20 %, a suspension (暂停拨付) of 1–3
/// whole months with chance 5 %, and a termination (解除协议) from the 1st
/// of a random month, open-ended, with chance 1 % (nothing after it). So
/// that a small population has one of each, with three institutions or
/// more: the first is also interviewed on 10 March of the first year, the
/// second suspended for April and May of it, the last terminated from 1 July
/// of the last year. Returns the rows written.
pub fn generate_agreement_actions(opts: &super::Options, out: &mut dyn Write) -> io::Result<u64> {
    let mut rng = Rng::new(opts.seed ^ 0xA9EE_3E47_0000_0001);
    let n_inst = opts.institutions.max(1);
    let inst_width = n_inst.to_string().len().max(4);
    let years = opts.years.max(1);
    let last_year = opts.first_year.saturating_add_unsigned(years - 1);
    let bad_year = || io::Error::new(io::ErrorKind::InvalidInput, "the years are outside 1–9999");
    let date = |y: i32, m: u32, d: u32| Date::from_ymd(y, m, d).ok_or_else(bad_year);
    let mut w = io::BufWriter::new(out);
    w.write_all(b"institution_id,action,from,until,reason\n")?;
    let mut rows = 0;
    for k in 1..=n_inst {
        let id = format!("H{k:0inst_width$}");
        let few = n_inst >= 3;
        if few && k == 1 {
            let day = date(opts.first_year, 3, 10)?;
            writeln!(w, "{id},interview,{day},{day},费用增长过快")?;
            rows += 1;
        }
        if few && k == 2 {
            let (from, until) = (date(opts.first_year, 4, 1)?, date(opts.first_year, 5, 31)?);
            writeln!(w, "{id},suspend,{from},{until},违规使用医保基金")?;
            rows += 1;
        }
        for y in 0..years {
            let year = opts.first_year.saturating_add_unsigned(y);
            if rng.chance(200) {
                let day = Date(date(year, 1, 1)?.0 + rng.range(0, 364) as i32);
                writeln!(w, "{id},interview,{day},{day},费用增长过快")?;
                rows += 1;
            }
            // The second institution's first year has its April–May suspension.
            let mut suspended_from = None;
            if rng.chance(50) && !(few && k == 2 && y == 0) {
                let from = rng.range(1, 10) as u32;
                suspended_from = Some(from);
                let to = from + rng.range(0, 2) as u32;
                let end = date(year, to + 1, 1)?;
                writeln!(
                    w,
                    "{id},suspend,{},{},违规使用医保基金",
                    date(year, from, 1)?,
                    Date(end.0 - 1)
                )?;
                rows += 1;
            }
            let forced = few && k == n_inst && year == last_year;
            if forced || rng.chance(10) {
                let m = if forced { 7 } else { rng.range(1, 12) as u32 };
                // Nothing is suspended from a termination on: it comes after
                // the start of the year's suspension.
                let m = suspended_from.map_or(m, |s| m.max(s + 1));
                writeln!(w, "{id},terminate,{},,欺诈骗保", date(year, m, 1)?)?;
                rows += 1;
                break;
            }
        }
    }
    w.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::{generate, Options};
    use super::*;
    use crate::data::{
        load_agreement_actions, load_claims_from, load_contributions, load_institutions_from,
        load_persons, Contributions, Input, Month,
    };
    use crate::schema::EnumKind;

    fn gen(opts: &Options) -> [Vec<u8>; 5] {
        let (mut c, mut i, mut p, mut m, mut a) = (vec![], vec![], vec![], vec![], vec![]);
        generate(opts, &mut c, &mut i, &mut |_| {}).unwrap();
        generate_contributors(opts, &mut p, &mut m).unwrap();
        generate_agreement_actions(opts, &mut a).unwrap();
        [c, i, p, m, a]
    }

    /// What is written loads without a bad row, and matches the claims:
    /// persons are the employee patients, the claims' retirees are retired
    /// in every month, every working man retires the month after he turns 60.
    #[test]
    fn contributors_load_cleanly_and_match_the_claims() {
        let opts = Options {
            years: 2,
            ..Options::for_claims(20_000)
        };
        let [c, i, p, m, a] = gen(&opts);
        let bytes = |name: &str, b: &[u8]| Input::bytes(name, b.to_vec());
        let insts = load_institutions_from(&bytes("i.csv", &i), &[]).unwrap();
        let (claims, bad) = load_claims_from(&bytes("c.csv", &c), &insts, &[]).unwrap();
        assert!(bad.is_empty());
        let (persons, bad) = load_persons(&bytes("p.csv", &p)).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        let (months, bad) = load_contributions(&bytes("m.csv", &m), &persons).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        let actions = load_agreement_actions(&bytes("a.csv", &a), &insts).unwrap();
        for kind in ["interview", "suspend", "terminate"] {
            let code = EnumKind::AgreementAction.code_of_data(kind.as_bytes());
            assert!(
                actions.rows.iter().any(|r| Some(r.action) == code),
                "{kind}"
            );
        }

        // Each claim's patient: employee or not, retired or not.
        let mut kind = std::collections::HashMap::new();
        for r in &claims.rows {
            let id = claims.text(claims.patients[r.patient as usize]).to_string();
            kind.insert(id, (r.insured_type == 0, r.retired, r.age));
        }
        let retired = EnumKind::Category.code_of_data(b"retired").unwrap();
        let (mut retire_within, mut below, mut above) = (0, 0, 0);
        for (k, rows) in months.by_person() {
            let person = &persons.rows[k as usize];
            let id = persons.text(person.id);
            if let Some(&(employee, was_retired, age)) = kind.get(id) {
                assert!(employee, "{id} is a resident in claims.csv");
                // The claims' age on 1 January of the first year.
                let jan1 = Date::from_ymd(opts.first_year, 1, 1).unwrap();
                let (by, bm, bd) = person.birth.ymd();
                let (y, m, d) = jan1.ymd();
                let years = y - by - i32::from((m, d) < (bm, bd));
                assert_eq!(i64::from(years), i64::from(age), "{id}");
                if was_retired {
                    assert!(rows.iter().all(|r| r.category == retired));
                }
            }
            let at = Contributions::retirement(rows);
            let first = Month::new(opts.first_year, 1).unwrap();
            if at.is_some_and(|m| m > first) {
                retire_within += 1;
                let (by, bm, _) = person.birth.ymd();
                let age = [60, 55][usize::from(person.sex == 1)];
                assert_eq!(at, Month::new(by + age, bm).map(|m| Month(m.0 + 1)), "{id}");
            }
            below += rows
                .iter()
                .filter(|r| r.category != retired && r.wage_fen < 310_700)
                .count();
            above += rows.iter().filter(|r| r.wage_fen > 1_553_700).count();
        }
        assert!(persons.rows.len() > 500, "{}", persons.rows.len());
        assert!(
            retire_within > 0 && below > 0 && above > 0,
            "{retire_within} {below} {above}"
        );
    }

    #[test]
    fn same_seed_same_bytes_and_claims_unchanged() {
        let opts = Options::for_claims(3_000);
        assert_eq!(gen(&opts), gen(&opts));
        let other = gen(&Options {
            seed: 2,
            ..opts.clone()
        });
        assert_ne!(gen(&opts)[2], other[2]);
        assert_ne!(gen(&opts)[3], other[3]);
    }
}
