//! Contribution file bytes of any shape: loading must account for every
//! row (read = settled + rejected), settling with the shipped contribution
//! policies must keep the totals' identities, and reading in parts must give
//! what reading whole gives; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use yibao::data::{Input, Persons};

const PERSONS: &str = "\
person_id,sex,birth_date,deemed_months,prior_paid_months
A,male,1960-02-29,120,100
B,female,1990-12-31,0,0
C,男,1950-01-01,0,10
";

fn setup() -> &'static (Persons, Vec<yibao::ir::Program>) {
    static S: OnceLock<(Persons, Vec<yibao::ir::Program>)> = OnceLock::new();
    S.get_or_init(|| {
        let (persons, _) =
            yibao::data::load_persons(&Input::bytes("persons.csv", PERSONS.as_bytes().to_vec()))
                .expect("persons");
        let progs = [
            include_str!("../../policies/kunming.policy"),
            include_str!("../../policies/beijing.policy"),
        ]
        .iter()
        .map(|src| {
            yibao::compile(&yibao::source::SourceFile::new("p.policy", *src))
                .expect("checks")
                .0
        })
        .collect();
        (persons, progs)
    })
}

fuzz_target!(|data: &[u8]| {
    let (persons, progs) = setup();
    let mut bytes = b"person_id,month,category,wage,employer_id\n".to_vec();
    bytes.extend_from_slice(data);
    let input = Input::bytes("contributions.csv", bytes);
    let Ok((contribs, rejects)) = yibao::data::load_contributions(&input, persons) else {
        return;
    };
    for prog in progs {
        let path = std::path::Path::new("contributions.csv");
        let Ok(s) = yibao::eval::contrib::settle_contributions(prog, persons, &contribs, path)
        else {
            continue;
        };
        assert_eq!(
            contribs.rows_read as usize,
            s.months.len() + s.rejected.len() + rejects.len()
        );
        for t in &s.totals {
            assert_eq!(t.contributed, t.to_pool + t.to_account);
            assert_eq!(t.to_pool, t.pool_in - t.retiree_credits);
        }
    }
});
