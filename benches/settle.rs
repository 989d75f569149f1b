//! Per-claim evaluation, measured with criterion: `cargo bench`.
//!
//! A synthetic population (`yibao gen`'s generator, fixed seed) is loaded once;
//! the benchmarks then time loading it and settling it with R1 on one thread,
//! reported as claims per second. End-to-end timings of the binary against the
//! hand-written yardstick are in `benches/e2e.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;
use yibao::data::{load_claims, load_institutions};
use yibao::source::SourceFile;

const CLAIMS: u64 = 50_000;

fn data() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("yibao-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, i) = (dir.join("claims.csv"), dir.join("institutions.csv"));
    let mut opts = yibao::synth::Options::for_claims(CLAIMS);
    opts.institutions = 50;
    yibao::synth::generate(
        &opts,
        &mut std::fs::File::create(&c).unwrap(),
        &mut std::fs::File::create(&i).unwrap(),
        &mut |_| {},
    )
    .unwrap();
    (c, i)
}

fn bench(c: &mut Criterion) {
    let (claims_path, insts_path) = data();
    let file = SourceFile::read(std::path::Path::new("policies/r1.policy")).unwrap();
    let (prog, _) = yibao::compile(&file).expect("r1.policy checks");
    let insts = load_institutions(&insts_path, &prog.inst_extras).unwrap();
    let (claims, rejects) = load_claims(&claims_path, &insts, &prog.claim_extras).unwrap();
    assert!(rejects.is_empty());

    let mut g = c.benchmark_group("r1");
    g.throughput(Throughput::Elements(CLAIMS));
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(8));
    g.bench_function("load claims", |b| {
        b.iter(|| load_claims(&claims_path, &insts, &prog.claim_extras).unwrap())
    });
    g.bench_function("settle claims, 1 thread", |b| {
        b.iter(|| yibao::eval::settle(&prog, &claims, &insts, 1).unwrap())
    });
    g.bench_function("settle claims and institutions, 1 thread", |b| {
        b.iter(|| {
            let s = yibao::eval::settle(&prog, &claims, &insts, 1).unwrap();
            yibao::eval::settle_institutions(&prog, &claims, &insts, &s, None).unwrap()
        })
    });
    g.finish();
    if let Some(dir) = claims_path.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
