//! Monte Carlo batches through the library API with a synthetic simulator of known
//! distribution: determinism across threads, shards and merge, resume, statistics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tabletop::batch::accum::Accumulators;
use tabletop::batch::stats::{percentile_sorted, wilson};
use tabletop::batch::summary::{Manifest, Summary};
use tabletop::batch::synthetic::Synthetic;
use tabletop::batch::{
    BatchSpec, Control, DirMode, Simulator, UntilCi, VariantInfo, merge, run_batch, sweep,
};
use tabletop::output::read_json;

fn info(id: &str) -> VariantInfo {
    if id == "baseline" {
        return VariantInfo::baseline();
    }
    VariantInfo {
        id: id.into(),
        name: format!("Variant {id}"),
        recommendation: Some("JointTraining".into()),
        description: String::new(),
    }
}

fn spec(runs: u64, seed: u64, variants: &[&str], shard: Option<(u64, u64)>) -> BatchSpec {
    BatchSpec {
        scenario_name: "Synthetic".into(),
        scenario_file: "synthetic.ron".into(),
        scenario_hash: "00ab".into(),
        marking: "UNCLASSIFIED".into(),
        scenario_source: "(synthetic)".into(),
        master_seed: seed,
        runs,
        variants: variants.iter().map(|v| info(v)).collect(),
        shard,
        until_ci: None,
        command: "tabletop batch synthetic.ron".into(),
    }
}

/// Baseline rate 1/h and a variant twice as fast.
fn sims() -> Vec<Synthetic> {
    vec![Synthetic::new(1.0), Synthetic::new(2.0)]
}

fn ctl(jobs: usize, chunk: u64) -> Control<'static> {
    Control {
        jobs: Some(jobs),
        chunk,
        ..Control::default()
    }
}

/// Every file under `dir` by relative path; manifest.json with its run-dependent fields
/// (times, command, shard) blanked.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                let mut bytes = std::fs::read(&p).unwrap();
                if rel == "manifest.json" {
                    let mut m: Manifest = serde_json::from_slice(&bytes).unwrap();
                    assert!(!m.started.is_empty() && !m.finished.is_empty());
                    m.started.clear();
                    m.finished.clear();
                    m.command.clear();
                    m.shard = None;
                    bytes = serde_json::to_vec(&m).unwrap();
                }
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same_files(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "file lists differ"
    );
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs");
    }
}

fn summary(dir: &Path) -> Summary {
    read_json(&dir.join("summary.json")).unwrap()
}

#[test]
fn one_and_two_threads_write_identical_files() {
    let t = tempfile::tempdir().unwrap();
    let s = spec(700, 7, &["baseline", "fast"], None);
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    run_batch(&s, &sims(), &a, &ctl(1, 256)).unwrap();
    run_batch(&s, &sims(), &b, &ctl(2, 256)).unwrap();
    assert_same_files(&a, &b);
    for f in [
        "runs.csv",
        "summary.csv",
        "catalog.json",
        "accumulators.json",
        "exemplars/baseline/median.json",
        "exemplars/fast/worst.json",
    ] {
        assert!(a.join(f).exists(), "{f} missing");
    }
    assert!(!a.join("progress.json").exists());
    let csv = std::fs::read_to_string(a.join("runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 700);
    assert!(csv.starts_with("variant,run,delay,share,obj:fast,obj:resilient,drv:outage\n"));
}

#[test]
fn three_shards_merged_equal_the_whole_batch() {
    let t = tempfile::tempdir().unwrap();
    let whole = t.path().join("whole");
    run_batch(
        &spec(500, 3, &["baseline", "fast"], None),
        &sims(),
        &whole,
        &ctl(2, 64),
    )
    .unwrap();
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let d = t.path().join(format!("shard{k}"));
            let s = spec(500, 3, &["baseline", "fast"], Some((k, 3)));
            run_batch(&s, &sims(), &d, &ctl(2, 64)).unwrap();
            d
        })
        .collect();
    let m: Manifest = read_json(&shards[1].join("manifest.json")).unwrap();
    assert_eq!((m.shard, m.runs), (Some((2, 3)), 500));
    assert_eq!(summary(&shards[1]).runs, 167);
    // Given in any order.
    let order = vec![shards[2].clone(), shards[0].clone(), shards[1].clone()];
    let plan = merge::check(&order).unwrap();
    let merged = t.path().join("merged");
    merge::write(&plan, &sims(), &merged, false, "tabletop merge").unwrap();
    assert_same_files(&whole, &merged);
}

#[test]
fn merge_names_a_missing_and_a_duplicated_shard() {
    let t = tempfile::tempdir().unwrap();
    let shard = |k: u64, name: &str| {
        let d = t.path().join(name);
        run_batch(
            &spec(50, 3, &["baseline"], Some((k, 3))),
            &sims()[..1],
            &d,
            &ctl(1, 16),
        )
        .unwrap();
        d
    };
    let (s1, s2, s2b) = (shard(1, "s1"), shard(2, "s2"), shard(2, "s2-again"));
    let err = merge::check(&[s1.clone(), s2.clone()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("shard 3/3 is missing"), "{err}");
    let err = merge::check(&[s1, s2, s2b]).unwrap_err().to_string();
    assert!(err.contains("shard 2/3 is given more than once"), "{err}");
    assert!(err.contains("s2-again"), "{err}");
    assert!(err.contains("shard 3/3 is missing"), "{err}");
}

#[test]
fn merge_names_runs_missing_from_a_tampered_shard() {
    let t = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = (1..=2)
        .map(|k| {
            let d = t.path().join(format!("s{k}"));
            run_batch(
                &spec(20, 3, &["baseline"], Some((k, 2))),
                &sims()[..1],
                &d,
                &ctl(1, 8),
            )
            .unwrap();
            d
        })
        .collect();
    let p = dirs[1].join("runs.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("baseline,7,"))
        .collect();
    std::fs::write(&p, kept.join("\n") + "\n").unwrap();
    let err = merge::check(&dirs).unwrap_err().to_string();
    assert!(
        err.contains("runs of baseline are missing (run 7)"),
        "{err}"
    );
}

#[test]
fn an_interrupted_then_resumed_batch_equals_an_uninterrupted_one() {
    let t = tempfile::tempdir().unwrap();
    let s = spec(300, 11, &["baseline", "fast"], None);
    let whole = t.path().join("whole");
    run_batch(&s, &sims(), &whole, &ctl(2, 64)).unwrap();

    let part = t.path().join("part");
    let stop = Control {
        stop_after_chunks: Some(6),
        ..ctl(2, 64)
    };
    let err = run_batch(&s, &sims(), &part, &stop)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--resume"), "{err}");
    assert!(part.join("progress.json").exists());
    assert!(!part.join("summary.json").exists());
    // A crash mid-chunk leaves rows past the checkpoint: resume must drop them.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(part.join("runs.csv"))
        .unwrap();
    f.write_all(b"fast,999,0.5,,1,0\nfast,1000,0.").unwrap();
    drop(f);
    // Refused without --resume, then completed with it (in two more sessions).
    assert!(run_batch(&s, &sims(), &part, &ctl(1, 64)).is_err());
    let again = Control {
        stop_after_chunks: Some(1),
        mode: DirMode::Resume,
        ..ctl(1, 64)
    };
    assert!(run_batch(&s, &sims(), &part, &again).is_err());
    let resume = Control {
        mode: DirMode::Resume,
        ..ctl(1, 64)
    };
    run_batch(&s, &sims(), &part, &resume).unwrap();
    assert_same_files(&whole, &part);
}

#[test]
fn resume_refuses_a_different_seed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    let stop = Control {
        stop_after_chunks: Some(1),
        ..ctl(1, 16)
    };
    assert!(run_batch(&spec(100, 1, &["baseline"], None), &sims()[..1], &d, &stop).is_err());
    let resume = Control {
        mode: DirMode::Resume,
        ..ctl(1, 16)
    };
    let err = run_batch(
        &spec(100, 2, &["baseline"], None),
        &sims()[..1],
        &d,
        &resume,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("seed 1, not 2"), "{err}");
}

#[test]
fn until_ci_stops_at_the_first_chunk_reaching_the_precision_and_resumes_exactly() {
    let t = tempfile::tempdir().unwrap();
    let mut s = spec(0, 5, &["baseline", "fast"], None);
    s.until_ci = Some(UntilCi {
        metric: "delay".into(),
        halfwidth: 0.1,
        max_runs: 5000,
    });
    let a = t.path().join("a");
    let res = run_batch(&s, &sims(), &a, &ctl(2, 64)).unwrap();
    let p = res.precision.unwrap();
    let n = p.runs;
    assert!(p.halfwidth.unwrap() <= 0.1);
    assert_eq!(n % 64, 0);
    // Delay ~ Exponential(1): sd 1, so about (1.96/0.1)² ≈ 384 runs are needed.
    assert!((256..=640).contains(&n), "{n}");
    let sum = summary(&a);
    assert_eq!(sum.runs, n);
    assert_eq!(sum.variants[1].runs, n);
    let m: Manifest = read_json(&a.join("manifest.json")).unwrap();
    assert_eq!(m.runs, n);
    // One chunk fewer would not have been enough.
    let fewer = t.path().join("fewer");
    let r = run_batch(
        &spec(n - 64, 5, &["baseline"], None),
        &sims()[..1],
        &fewer,
        &ctl(1, 64),
    )
    .unwrap();
    let d = &r.summary.variants[0].metrics[0];
    assert!(d.ci_high.unwrap() - d.mean.unwrap() > 0.1);
    // Interrupted while still searching, then resumed: the same files.
    let b = t.path().join("b");
    let stop = Control {
        stop_after_chunks: Some(2),
        ..ctl(2, 64)
    };
    assert!(run_batch(&s, &sims(), &b, &stop).is_err());
    let resume = Control {
        mode: DirMode::Resume,
        ..ctl(1, 64)
    };
    run_batch(&s, &sims(), &b, &resume).unwrap();
    assert_same_files(&a, &b);
}

/// The 95% t interval of the mean of `share` ~ Uniform(0, 1) (mean 0.5) covers the mean in
/// 95% of R = 400 independent batches; the band is 3 binomial standard errors,
/// 3·√(0.95·0.05/400) ≈ 0.033.
#[test]
fn the_t_interval_covers_a_known_mean_in_95_percent_of_batches() {
    let t = tempfile::tempdir().unwrap();
    let r = 400u64;
    let mut covered = 0u64;
    for i in 0..r {
        let d = t.path().join(format!("b{i}"));
        let res = run_batch(
            &spec(40, 1000 + i, &["baseline"], None),
            &sims()[..1],
            &d,
            &ctl(1, 256),
        )
        .unwrap();
        let m = &res.summary.variants[0].metrics[1];
        assert_eq!(m.id, "share");
        if m.ci_low.unwrap() <= 0.5 && 0.5 <= m.ci_high.unwrap() {
            covered += 1;
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
    let rate = covered as f64 / r as f64;
    let band = 3.0 * (0.95f64 * 0.05 / r as f64).sqrt();
    assert!((rate - 0.95).abs() <= band, "coverage {rate}");
}

#[test]
fn wilson_intervals_match_hand_computed_values() {
    // 8/10: centre (0.8 + z²/20)/(1 + z²/10), z = 1.959964.
    let (lo, hi) = wilson(8, 10);
    assert!(
        (lo - 0.490_16).abs() < 1e-4 && (hi - 0.943_32).abs() < 1e-4,
        "{lo} {hi}"
    );
    let (lo, hi) = wilson(0, 10);
    assert!(lo == 0.0 && (hi - 0.277_53).abs() < 1e-4, "{hi}");
    let (lo, hi) = wilson(50, 100);
    assert!((lo - 0.403_83).abs() < 1e-4 && (hi - 0.596_17).abs() < 1e-4);
    assert_eq!(wilson(0, 0), (0.0, 1.0));
}

#[test]
fn percentiles_interpolate_between_order_statistics() {
    let xs = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(percentile_sorted(&xs, 0.25), Some(1.75));
    assert_eq!(percentile_sorted(&xs, 0.5), Some(2.5));
    assert!((percentile_sorted(&xs, 0.95).unwrap() - 3.85).abs() < 1e-12);
    assert_eq!(percentile_sorted(&xs, 0.0), Some(1.0));
    assert_eq!(percentile_sorted(&xs, 1.0), Some(4.0));
    assert_eq!(percentile_sorted(&[], 0.5), None);
}

#[test]
fn paired_intervals_are_narrower_than_unpaired_under_common_random_numbers() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    let sims = vec![Synthetic::new(1.0), Synthetic::new(1.25)];
    let res = run_batch(
        &spec(1000, 2, &["baseline", "v"], None),
        &sims,
        &d,
        &ctl(2, 256),
    )
    .unwrap();
    let p = &res.summary.variants[1].paired[0];
    assert_eq!((p.id.as_str(), p.n), ("delay", 1000));
    let paired_hw = (p.ci_high.unwrap() - p.ci_low.unwrap()) / 2.0;
    // delay' = 0.8·delay exactly, so the paired sd is 0.2 against √(1 + 0.64) unpaired.
    assert!(paired_hw * 3.0 < p.unpaired_halfwidth.unwrap(), "{p:?}");
    assert!(p.mean_diff.unwrap() < 0.0);
}

#[test]
fn objectives_drivers_links_and_bands_match_their_closed_forms() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    let n = 4000u64;
    let res = run_batch(
        &spec(n, 9, &["baseline"], None),
        &sims()[..1],
        &d,
        &ctl(2, 256),
    )
    .unwrap();
    let v = &res.summary.variants[0];
    let se = |p: f64, n: u64| (p * (1.0 - p) / n as f64).sqrt();
    // P(fast) = 1 − e^(−1).
    let p_fast = 1.0 - (-1.0f64).exp();
    let o = &v.objectives[0];
    assert!((o.p - p_fast).abs() <= 3.0 * se(p_fast, n), "{o:?}");
    assert_eq!(o.rating, "M"); // 0.632 ≥ m = 0.5
    // resilient: P(met | outage) = 0.5, P(met | no outage) = 1.
    let e = v
        .drivers
        .iter()
        .find(|e| e.driver == "outage" && e.objective == "resilient")
        .unwrap();
    assert_eq!(e.p_without, Some(1.0));
    assert!((e.p_with.unwrap() - 0.5).abs() <= 3.0 * se(0.5, e.runs_with));
    assert_eq!(e.runs_with + e.runs_without, n);
    // Links: withdrawn with probability 0.1, mean trust 0.5.
    let l = &v.links[0];
    assert!((l.p_withdrawn - 0.1).abs() <= 3.0 * se(0.1, n));
    assert!((l.mean_end_trust - 0.5).abs() <= 3.0 * (1.0 / 12.0 / n as f64).sqrt());
    // Count series bands are whole numbers; at t = 8 h nearly all 10 agencies are informed.
    let b = &v.series[0];
    assert_eq!(b.id, "informed");
    for x in b.p5.iter().chain(&b.p50).chain(&b.p95) {
        assert_eq!(x.fract(), 0.0);
    }
    assert_eq!(b.p50[0], 0.0);
    assert_eq!(b.p50[8], 10.0);
    // Missing share values are counted as missing (probability 0.2).
    let share = &v.metrics[1];
    assert_eq!(share.n + share.missing, n);
    assert!((share.missing as f64 / n as f64 - 0.2).abs() <= 3.0 * se(0.2, n));
}

#[test]
fn a_variant_without_a_metric_leaves_its_cells_empty() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    let sims = vec![
        Synthetic::new(1.0),
        Synthetic::new(1.0).without_metric("share"),
    ];
    let res = run_batch(
        &spec(30, 1, &["baseline", "noshare"], None),
        &sims,
        &d,
        &ctl(1, 256),
    )
    .unwrap();
    let m = &res.summary.variants[1].metrics[1];
    assert_eq!((m.id.as_str(), m.n, m.missing), ("share", 0, 30));
    let csv = std::fs::read_to_string(d.join("runs.csv")).unwrap();
    let row = csv.lines().find(|l| l.starts_with("noshare,0,")).unwrap();
    assert_eq!(row.split(',').nth(3), Some(""));
    // The delay column still pairs with the baseline (same seeds, same rate): difference 0.
    assert_eq!(res.summary.variants[1].paired[0].mean_diff, Some(0.0));
}

#[test]
fn accumulator_size_is_bounded_by_the_catalog_not_the_runs() {
    let t = tempfile::tempdir().unwrap();
    let sim = Synthetic::new(1.0);
    let cap = Accumulators::capacity(sim.catalog(), 1);
    for runs in [300u64, 3000] {
        let d = t.path().join(format!("r{runs}"));
        run_batch(
            &spec(runs, 1, &["baseline"], None),
            std::slice::from_ref(&sim),
            &d,
            &ctl(2, 256),
        )
        .unwrap();
        let acc: Accumulators = read_json(&d.join("accumulators.json")).unwrap();
        assert!(acc.footprint() <= cap);
        // The count series has at most 11 values (0..=10 agencies) per sample time.
        let informed = &acc.variants[0].series[0];
        assert!(informed.samples.iter().all(|h| h.len() <= 11));
    }
}

#[test]
fn a_non_empty_output_directory_is_refused_without_force() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("notes.txt"), "mine").unwrap();
    let err = run_batch(
        &spec(10, 1, &["baseline"], None),
        &sims()[..1],
        t.path(),
        &ctl(1, 256),
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let force = Control {
        mode: DirMode::Force,
        ..ctl(1, 256)
    };
    run_batch(
        &spec(10, 1, &["baseline"], None),
        &sims()[..1],
        t.path(),
        &force,
    )
    .unwrap();
    assert!(t.path().join("notes.txt").exists());
}

#[test]
fn sweeps_are_identical_across_thread_counts_and_ordered_by_configuration() {
    let t = tempfile::tempdir().unwrap();
    let sims = vec![
        Synthetic::new(0.5),
        Synthetic::new(1.0),
        Synthetic::new(2.0),
    ];
    let s = sweep::SweepSpec {
        manifest: read_json_manifest_template(),
        scenario_source: "(synthetic)".into(),
        paths: vec!["model.rate".into()],
        configs: vec![vec!["0.5".into()], vec!["1.0".into()], vec!["2.0".into()]],
        runs: 300,
    };
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    sweep::run_sweep(&s, &sims, &a, &ctl(1, 64)).unwrap();
    sweep::run_sweep(&s, &sims, &b, &ctl(2, 64)).unwrap();
    assert_same_files(&a, &b);
    let sum = std::fs::read_to_string(a.join("sweep-summary.csv")).unwrap();
    let rows: Vec<&str> = sum.lines().collect();
    assert_eq!(rows.len(), 4);
    assert!(rows[0].starts_with("config,model.rate,obj:fast:p,obj:fast:ci_low"));
    let p: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(p[0] < p[1] && p[1] < p[2], "{p:?}");
    let configs = std::fs::read_to_string(a.join("configs.csv")).unwrap();
    assert_eq!(configs, "config,model.rate\n0,0.5\n1,1.0\n2,2.0\n");
    let runs = std::fs::read_to_string(a.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 900);
    assert!(runs.lines().nth(301).unwrap().starts_with("1,0,"));
}

fn read_json_manifest_template() -> Manifest {
    Manifest {
        tool: "tabletop".into(),
        version: "0".into(),
        scenario_name: "Synthetic".into(),
        scenario_file: "synthetic.ron".into(),
        scenario_hash: "00ab".into(),
        marking: "UNCLASSIFIED".into(),
        master_seed: 4,
        runs: 0,
        variants: vec![],
        shard: None,
        command: String::new(),
        started: String::new(),
        finished: String::new(),
    }
}
