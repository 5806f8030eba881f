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

criterion_group!(benches, throughput);
criterion_main!(benches);
