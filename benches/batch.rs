//! Batch throughput with the synthetic simulator: cost per run of the runner itself
//! (parallel chunks, streamed rows, accumulators, summary, exemplars) at 1k and 10k runs.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tabletop::batch::synthetic::Synthetic;
use tabletop::batch::{BatchSpec, Control, DirMode, VariantInfo, run_batch};

fn spec(runs: u64) -> BatchSpec {
    BatchSpec {
        scenario_name: "Synthetic".into(),
        scenario_file: "synthetic.ron".into(),
        scenario_hash: "00".into(),
        marking: "UNCLASSIFIED".into(),
        scenario_source: String::new(),
        master_seed: 1,
        runs,
        variants: vec![VariantInfo::baseline()],
        shard: None,
        until_ci: None,
        command: "bench".into(),
    }
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sims = [Synthetic::new(1.0)];
    let ctl = Control {
        mode: DirMode::Force,
        ..Control::default()
    };
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    for runs in [1_000u64, 10_000] {
        g.throughput(Throughput::Elements(runs));
        g.bench_with_input(
            BenchmarkId::new("synthetic_runs", runs),
            &runs,
            |b, &runs| {
                let s = spec(runs);
                b.iter(|| run_batch(&s, &sims, dir.path(), &ctl).expect("batch"));
            },
        );
    }
    g.finish();
}

/// The reference scenario end to end (runs, streamed rows, summary, exemplars; no report):
/// the figure the README quotes per 1,000 runs.
fn reference(c: &mut Criterion) {
    let scn = tabletop::scenario::load(std::path::Path::new("scenarios/state-network.ron"))
        .expect("reference scenario");
    let sims = [tabletop::sim::Model::new(&scn)];
    let dir = tempfile::tempdir().expect("temporary directory");
    let ctl = Control {
        mode: DirMode::Force,
        ..Control::default()
    };
    let mut s = spec(1_000);
    s.scenario_name = scn.spec().exercise.name.clone();
    s.scenario_source = scn.source().to_string();
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("reference_1000_runs", |b| {
        b.iter(|| run_batch(&s, &sims, dir.path(), &ctl).expect("batch"))
    });
    g.finish();
}

criterion_group!(benches, throughput, reference);
criterion_main!(benches);
