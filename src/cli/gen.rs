//! `yibao gen`: write a synthetic population's claims and institutions (see [`crate::synth`]).

use super::Status;
use crate::synth::{
    generate, generate_agreement_actions, generate_assessments, generate_contributors, Options,
};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "Claims are written as they are drawn, so their number costs no memory; \
    patients (3 bytes each) and institutions (48 bytes each) are kept while writing, at most 1 GiB \
    of them (some 357 million patients): a larger population is refused before anything is written."
)]
pub struct GenArgs {
    /// Number of claims
    #[arg(long, value_name = "N")]
    pub claims: u64,
    /// Number of patients (default: one per 10 claims)
    #[arg(long, value_name = "M")]
    pub patients: Option<u64>,
    /// Number of institutions (default: one per 2,000 claims, 5 to 500)
    #[arg(long, value_name = "K")]
    pub institutions: Option<u32>,
    /// Calendar years the discharge dates spread over, from --first-year
    #[arg(long, value_name = "Y", default_value_t = 1)]
    pub years: u32,
    /// First calendar year
    #[arg(long, value_name = "YYYY", default_value_t = 2025)]
    pub first_year: i32,
    /// Random seed: the same seed and options give the same bytes
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Directory to write claims.csv, institutions.csv and assessments.csv into (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write persons.csv (the employee patients) and contributions.csv (a month per
    /// person and month of the run), for contribution rules
    #[arg(long)]
    pub contributions: bool,
    /// Also write agreement_actions.csv (interviews, suspensions, terminations of institutions)
    #[arg(long)]
    pub agreements: bool,
}

pub fn run(a: &GenArgs) -> Status {
    let mut opts = Options::for_claims(a.claims);
    if let Some(p) = a.patients {
        opts.patients = p;
    }
    if let Some(k) = a.institutions {
        opts.institutions = k;
    }
    opts.years = a.years;
    opts.first_year = a.first_year;
    opts.seed = a.seed;
    if opts.patients == 0 || opts.institutions == 0 || opts.years == 0 {
        eprintln!("error: --patients, --institutions and --years must be at least 1");
        return Status::Usage;
    }
    if let Err(e) = opts.fits() {
        eprintln!("error: {e}");
        return Status::Usage;
    }
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        eprintln!("error: cannot create `{}`: {e}", a.out.display());
        return Status::Usage;
    }
    let create = |name: &str| {
        let path = a.out.join(name);
        std::fs::File::create(&path).map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            Status::Usage
        })
    };
    let (mut claims, mut insts) = match (create("claims.csv"), create("institutions.csv")) {
        (Ok(c), Ok(i)) => (c, i),
        _ => return Status::Usage,
    };
    let bar = super::progress_bar(a.claims, "generating");
    let written = generate(&opts, &mut claims, &mut insts, &mut |n| bar.set_position(n));
    bar.finish_and_clear();
    let written = written.and_then(|w| {
        let mut file = std::fs::File::create(a.out.join("assessments.csv"))?;
        generate_assessments(&opts, &mut file).map(|_| w)
    });
    let written = written.and_then(|w| {
        let mut more = Vec::new();
        if a.contributions {
            let mut persons = std::fs::File::create(a.out.join("persons.csv"))?;
            let mut months = std::fs::File::create(a.out.join("contributions.csv"))?;
            let (p, m) = generate_contributors(&opts, &mut persons, &mut months)?;
            more.push(format!("{p} persons' {m} contribution months"));
        }
        if a.agreements {
            let mut file = std::fs::File::create(a.out.join("agreement_actions.csv"))?;
            let n = generate_agreement_actions(&opts, &mut file)?;
            more.push(format!("{n} agreement actions"));
        }
        Ok((w, more))
    });
    match written {
        Ok((w, more)) => {
            let more: String = more.iter().map(|m| format!(", {m}")).collect();
            eprintln!(
                "wrote {} claims of {} patients and {} institutions (and their assessment scores{more}) to {}",
                w.claims,
                w.patients,
                w.institutions,
                a.out.display()
            );
            Status::Ok
        }
        Err(e) => {
            eprintln!("error: cannot write to `{}`: {e}", a.out.display());
            Status::Usage
        }
    }
}
