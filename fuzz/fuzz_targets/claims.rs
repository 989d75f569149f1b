//! Claim file bytes of any shape, in any encoding: loading must account for
//! every row (read = good + rejected), and settling the good rows with R1 must
//! reconcile every claim to the fen and keep the ledger identity; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use yibao::data::{Input, Institutions};

const INSTITUTIONS: &str = "\
institution_id,name,level,grade,alliance_id,annual_budget,prior_year_monthly_avg,enrolled
H1,一级卫生院,1,A,AL1,60000.00,4000.00,1200
H2,二级医院,2,B,AL1,250000.00,20000.00,5000
H3,三级医院,3,C,,900000.00,80000.00,20000
";

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

fuzz_target!(|data: &[u8]| {
    let (insts, prog) = setup();
    let input = Input::bytes("claims.csv", data.to_vec());
    let Ok((claims, rejects)) = yibao::data::load_claims_from(&input, insts, &[]) else {
        return;
    };
    assert_eq!(
        claims.rows_read as usize,
        claims.rows.len() + rejects.len(),
        "every row is settled or rejected"
    );
    let Ok(s) = yibao::eval::settle(prog, &claims, insts, 2) else {
        return;
    };
    assert!(s.summary.all.reconciles());
    for k in 0..s.len() {
        let row = s.row(k);
        let paid = row[..=s.n_layers]
            .iter()
            .try_fold(rust_decimal::Decimal::ZERO, |a, v| a.checked_add(*v));
        assert_eq!(paid, Some(claims.rows[k].total_cost));
    }
    let _ = yibao::eval::settle_institutions(prog, &claims, insts, &s, None);
});
