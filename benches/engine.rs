//! Engine benchmarks: one run of each shipped scenario, and how the cost of a run grows with
//! the number of agencies, partnerships and ticks (generated scenarios).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::path::Path;
use tabletop::scenario::{ValidScenario, load, load_str};
use tabletop::sim::{Model, RunOptions, RunSeed};

fn shipped(c: &mut Criterion) {
    let mut g = c.benchmark_group("run");
    // Small samples keep the whole bench to a few minutes (national-exercise has ~360 agencies).
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(3));
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .expect("scenarios/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    for f in files {
        let scn = load(&f).unwrap_or_else(|e| panic!("{e}"));
        let model = Model::new(&scn);
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new("one_run", name), |b| {
            b.iter(|| {
                i += 1;
                model.run(
                    RunSeed {
                        master: 1,
                        run_index: i,
                    },
                    RunOptions::default(),
                )
            })
        });
    }
    g.finish();
}

/// A generated network: `n` agencies in a ring of regions around hubs, `p` partnerships,
/// two threats, an insider, an outage and a contingency inject, over `hours` of play.
pub fn generated(n: usize, p: usize, hours: u32) -> ValidScenario {
    let kinds = [
        "FusionCenter",
        "SlttLawEnforcement",
        "CriticalInfrastructure",
        "Eoc",
        "FederalComponent",
        "PrivateSector",
    ];
    let mut a = String::new();
    for i in 0..n {
        let k = kinds[i % kinds.len()];
        let _ = writeln!(
            a,
            "(id: \"a{i}\", name: \"Agency {i}\", kind: {k}, analysts: {}, needs: [Cyber, Plot], acts_on: [{}], collection: {{Cyber: 0.2, Plot: 0.1}}),",
            2 + i % 4,
            if i % 7 == 0 { "Cyber, Plot" } else { "" }
        );
    }
    let mut ps = String::new();
    let mut made = 0;
    let mut step = 1;
    'outer: loop {
        for i in 0..n {
            if made == p {
                break 'outer;
            }
            let j = (i + step) % n;
            if j != i {
                let _ = writeln!(
                    ps,
                    "(id: \"p{made}\", from: \"a{i}\", to: \"a{j}\", agreement: Mou, channels: [\"hsin\", \"phone\"], trust: 0.7, share_probability: 0.7),"
                );
                made += 1;
            }
        }
        step += 1;
    }
    let text = format!(
        r#"(
  exercise: (name: "Generated", duration: hours({hours}), tick: minutes(15)),
  agencies: [{a}],
  channels: [
    (id: "phone", name: "Phone", max_class: Cui, latency: LogNormal(median: minutes(20), p95: hours(2))),
    (id: "hsin", name: "HSIN", max_class: Cui, latency: LogNormal(median: minutes(40), p95: hours(3)),
     reliability: (mtbf: hours(2000), mttr: hours(8))),
  ],
  partnerships: [{ps}],
  threats: [
    (id: "cyber", name: "Ransomware", kind: Cyber, signal_interval: Exponential(mean: hours(3)),
     marking: (class: Cui, tlp: Amber), deadline: Fixed(hours(60)),
     response: (action: Mitigate, corroboration: 2, time_to_act: Fixed(hours(4)))),
    (id: "plot", name: "Plot", kind: Plot, signal_interval: Exponential(mean: hours(8)),
     marking: (class: Cui, tlp: Amber), deadline: Fixed(hours(80)),
     response: (action: Interdict, corroboration: 3, time_to_act: Fixed(hours(6)))),
  ],
  injects: [
    (id: "I1", number: 1, trigger: At(hours(6)), synopsis: "Hub outage", effect: AgencyOutage("a0"), duration: hours(12)),
    (id: "I2", number: 2, trigger: Contingency(unless: Acted("cyber"), by: hours(24)), synopsis: "Prompt", effect: Signal(threat: "cyber", at: "a4")),
  ],
  insiders: [(id: "x", agency: "a1", access: Analyst, action: Leak, precursors_per_month: 2, report_probability: 0.3, actions_per_month: 4)],
  objectives: [
    (id: "o1", description: "Coverage", capability: IntelligenceAndInformationSharing, metric: Coverage(threat: "cyber", within: hours(12)), target: AtLeast(0.8)),
    (id: "o2", description: "Interdict", capability: InterdictionAndDisruption, metric: Resolved("plot"), target: AtLeast(1.0)),
  ],
)"#
    );
    load_str(Path::new("generated.ron"), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// New items delivered over links in one run of `model` (the `items_delivered` metric).
fn deliveries(model: &Model) -> u64 {
    let col = model
        .catalog()
        .metrics
        .iter()
        .position(|m| m.id == "items_delivered")
        .expect("the catalog lists items_delivered");
    let out = model.run(
        RunSeed {
            master: 3,
            run_index: 0,
        },
        RunOptions::default(),
    );
    let n = out.metrics[col].expect("items_delivered is always present");
    // A count: a whole number, at least one so the throughput is defined.
    (n.round() as u64).max(1)
}

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    // Ten samples (criterion's minimum) and short windows: 800 agencies take about 0.7 s a run.
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.measurement_time(std::time::Duration::from_secs(3));
    // `per_delivery`: the throughput is the number of items one run delivers (counted once,
    // on run 0), so criterion reports time per delivered item and deliveries per second.
    let bench = |g: &mut criterion::BenchmarkGroup<'_, _>,
                 label: &str,
                 x: usize,
                 scn: ValidScenario,
                 per_delivery: bool| {
        let model = Model::new(&scn);
        let elements = if per_delivery { deliveries(&model) } else { 1 };
        let mut i = 0u64;
        g.throughput(Throughput::Elements(elements));
        g.bench_with_input(BenchmarkId::new(label, x), &x, |b, _| {
            b.iter(|| {
                i += 1;
                model.run(
                    RunSeed {
                        master: 3,
                        run_index: i,
                    },
                    RunOptions::default(),
                )
            })
        });
    };
    // About 3.2 partnerships per agency, as in the national scenario.
    for n in [50, 100, 200, 400, 800] {
        bench(
            &mut g,
            "agencies(3.2n partnerships, per delivery)",
            n,
            generated(n, 16 * n / 5, 96),
            true,
        );
    }
    for p in [50, 100, 200, 400] {
        bench(
            &mut g,
            "partnerships(50 agencies)",
            p,
            generated(50, p, 96),
            false,
        );
    }
    for h in [24, 48, 96, 192] {
        bench(
            &mut g,
            "hours(50 agencies)",
            h as usize,
            generated(50, 200, h),
            false,
        );
    }
    g.finish();
}

criterion_group!(benches, shipped, scaling);
criterion_main!(benches);
