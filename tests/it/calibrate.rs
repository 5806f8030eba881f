//! `tabletop calibrate`: rejection ABC against observed values, on a toy scenario whose true
//! parameter is known.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tabletop::batch::calibrate::{CalibrateOptions, run_calibration};

/// The true median time to act of the toy's responder.
const TRUTH: f64 = 10.0;

/// A one-threat scenario: the fusion center sees the ransomware and shares it with the FBI,
/// which acts after a log-normal delay whose median is uncertain (in place, 1–20 h). The false
/// item recognition is declared uncertain too, in the section, and affects nothing (there are
/// no false items). `observed` is the observed section's body.
fn toy(median: &str, observed: &str) -> String {
    format!(
        r#"// Toy for calibration tests.
(
    exercise: (name: "Calibration toy", duration: hours(96), tick: minutes(30)),
    agencies: [
        (id: "fc", name: "State Fusion Center", kind: FusionCenter, collection: {{Cyber: 0.8}}),
        (id: "fbi", name: "FBI Field Office", kind: FederalLawEnforcement, acts_on: [Cyber]),
    ],
    channels: [
        (id: "phone", name: "Telephone", max_class: Unclassified, latency: Fixed(minutes(10))),
    ],
    partnerships: [
        (id: "fc_fbi", from: "fc", to: "fbi", direction: Mutual, agreement: Mou,
         channels: ["phone"], trust: 0.8, share_probability: 0.95),
    ],
    threats: [
        (
            id: "ransom",
            name: "Ransomware",
            kind: Cyber,
            signal_interval: Exponential(mean: hours(1)),
            observed_by: ["fc"],
            marking: (class: Unclassified, tlp: Amber),
            response: (
                action: Mitigate,
                // keep this comment
                time_to_act: LogNormal(median: hours({median}), p95: hours(40)),
            ),
        ),
    ],
    objectives: [
        (
            id: "act",
            description: "The FBI acts within 24 hours.",
            capability: IntelligenceAndInformationSharing,
            metric: TimeToAction("ransom"),
            target: Within(hours(24)),
        ),
    ],
    model: (false_recognition: 0.5),
    observed: [{observed}],
    uncertainty: [
        (path: "model.false_recognition", dist: uniform(0.3, 0.7), source: "dummy: no false items"),
    ],
)
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs that simulate the observed value.
const OBSERVED_RUNS: usize = 400;

/// The toy's times to action (never: the exercise's end), sorted, over `OBSERVED_RUNS` runs of
/// master seed 99, with the act delay's median at `median` hours.
fn times_at(median: f64) -> Vec<f64> {
    let text = toy(&format!("{median}"), "");
    let s = tabletop::scenario::load_str(Path::new("truth.ron"), &text).unwrap();
    let model = tabletop::sim::Model::new(&s);
    let col = model
        .catalog()
        .metrics
        .iter()
        .position(|m| m.id == "time_to_action.ransom")
        .unwrap();
    let mut xs: Vec<f64> = (0..OBSERVED_RUNS as u64)
        .map(|j| {
            let o = model.run(
                tabletop::sim::RunSeed {
                    master: 99,
                    run_index: j,
                },
                tabletop::sim::RunOptions::default(),
            );
            o.metrics[col].unwrap_or(96.0)
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    xs
}

/// The median of sorted values.
fn median_of(xs: &[f64]) -> f64 {
    let n = xs.len();
    (xs[(n - 1) / 2] + xs[n / 2]) / 2.0
}

/// The toy with its observed time to action simulated at the truth (on other seeds).
fn toy_observed_at_truth() -> String {
    let median = median_of(&times_at(TRUTH));
    toy(
        r#"uncertain(5, uniform(1, 20), "test prior")"#,
        &format!(
            r#"(id: "fbi-acted", description: "The FBI acted", metric: "time_to_action.ransom",
                value: Time(hours({median:.2})), source: "simulated at the truth")"#
        ),
    )
}

fn opts(out: PathBuf, jobs: usize) -> CalibrateOptions {
    CalibrateOptions {
        draws: 150,
        runs_per_draw: 60,
        accept: 0.1,
        variant: None,
        jobs: Some(jobs),
        seed: 3,
        out: Some(out),
        write_back: None,
        set_nominal: false,
        progress: false,
    }
}

#[test]
fn calibration_finds_the_true_parameter_and_leaves_an_inert_one_wide() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "toy.ron", &toy_observed_at_truth());
    let s = tabletop::scenario::load(&f).unwrap();
    let r = run_calibration(&s, &opts(dir.path().join("c"), 2), None).unwrap();
    let file = &r.file;
    assert_eq!(file.accepted, 15);
    let p = file
        .params
        .iter()
        .find(|p| p.path.ends_with("time_to_act.median"))
        .expect("the in-place parameter");
    let (lo, med, hi) = p.accepted;
    assert!(lo <= med && med <= hi, "accepted {lo}–{med}–{hi}");
    // How far the accepted median may sit from the truth: the calibration compares the median
    // of 60 runs (the same 60 seeds for every draw) with an observed median of 400 runs, each
    // off by Monte Carlo error. The standard error of a median of n runs is estimated without
    // assuming a distribution, from the order statistics bracketing the median of 400 runs
    // at the truth (a 95% interval is ±1.96·√n/2 ranks wide), scaled by √(400/n); it maps
    // to the parameter through the slope of the median in the parameter (common random
    // numbers, truth ± 2 h).
    let xs = times_at(TRUTH);
    let n = OBSERVED_RUNS as f64;
    let k = (1.96 * n.sqrt() / 2.0).ceil() as usize;
    let se_observed = (xs[OBSERVED_RUNS / 2 + k] - xs[OBSERVED_RUNS / 2 - 1 - k]) / (2.0 * 1.96);
    let se_draw = se_observed * (n / 60.0).sqrt();
    let slope = (median_of(&times_at(TRUTH + 2.0)) - median_of(&times_at(TRUTH - 2.0))) / 4.0;
    assert!(
        slope > 0.2,
        "the median barely moves with the parameter: {slope}"
    );
    let tol = 4.0 * (se_draw.powi(2) + se_observed.powi(2)).sqrt() / slope;
    assert!(
        (med - TRUTH).abs() < tol,
        "accepted median {med} (range {lo}–{hi}) is {:.2} h from the truth {TRUTH}, over 4 \
         standard errors ({tol:.2} h)",
        (med - TRUTH).abs()
    );
    // The prior's p5–p95 is about 2–19 h wide; the accepted median lies within a quarter of it.
    let width = p.prior.1 - p.prior.0;
    assert!((med - TRUTH).abs() < 0.25 * width, "median {med}");
    assert!(p.width_ratio < 0.6, "narrowed only to {}", p.width_ratio);
    let dummy = file
        .params
        .iter()
        .find(|p| p.path == "model.false_recognition")
        .unwrap();
    assert!(
        dummy.width_ratio > 0.6,
        "inert parameter narrowed to {}",
        dummy.width_ratio
    );
    // The scenario as written (median 5 h) puts the observed value high; after calibration it
    // sits inside the band.
    let o = &file.observed[0];
    assert!(o.posterior.inside, "{:?}", o.posterior);
    let before = o.nominal.percentile.unwrap();
    let after = o.posterior.percentile.unwrap();
    assert!(
        (after - 50.0).abs() < (before - 50.0).abs(),
        "percentile {before} → {after}"
    );
    for f in [
        "calibration.json",
        "calibration.md",
        "calibration.html",
        "draws.csv",
        "uncertainty.ron",
        "charts/calibration-params.png",
        "charts/calibration-observed.svg",
    ] {
        assert!(r.dir.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(r.dir.join("draws.csv")).unwrap();
    assert_eq!(csv.lines().count(), 151);
    let accepted = csv.lines().skip(1).filter(|l| l.ends_with(",1")).count();
    assert_eq!(accepted, 15);
}

#[test]
fn calibration_files_are_byte_identical_for_any_number_of_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "toy.ron", &toy_observed_at_truth());
    let run = |jobs: &str, out: &Path| {
        let o = Command::cargo_bin("tabletop")
            .unwrap()
            .arg("calibrate")
            .arg(&f)
            .args([
                "--draws",
                "40",
                "--runs-per-draw",
                "10",
                "--jobs",
                jobs,
                "-q",
                "--out",
            ])
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run("1", &a);
    run("2", &b);
    let mut n = 0;
    for e in walk(&a) {
        let rel = e.strip_prefix(&a).unwrap();
        let other = b.join(rel);
        assert!(
            std::fs::read(&e).unwrap() == std::fs::read(&other).unwrap(),
            "{} differs between --jobs 1 and 2",
            rel.display()
        );
        n += 1;
    }
    assert_eq!(n, walk(&b).len());
    assert!(n >= 9, "only {n} files");
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn write_back_replaces_the_distributions_keeps_comments_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "toy.ron", &toy_observed_at_truth());
    let s = tabletop::scenario::load(&f).unwrap();
    let back = dir.path().join("toy.calibrated.ron");
    let mut o = opts(dir.path().join("c"), 2);
    o.draws = 60;
    o.runs_per_draw = 20;
    o.write_back = Some(back.clone());
    o.set_nominal = true;
    let r = run_calibration(&s, &o, None).unwrap();
    assert_eq!(r.written_back.as_deref(), Some(back.as_path()));
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(text.contains("// keep this comment"));
    assert!(text.contains("// Toy for calibration tests."));
    assert!(!text.contains(r#"uniform(1, 20), "test prior""#), "{text}");
    assert!(!text.contains("dist: uniform(0.3, 0.7)"), "{text}");
    assert_eq!(text.matches("truncated_normal(").count(), 2, "{text}");
    assert!(text.contains("calibrated by tabletop calibrate"));
    let c = tabletop::scenario::load(&back).unwrap();
    for (p, cp) in c.uncertain().iter().zip(&r.file.params) {
        let median = cp.accepted.1;
        assert!(
            (p.nominal - median).abs() <= 1e-3 * median.abs().max(1.0),
            "{}: nominal {} vs accepted median {median}",
            p.path,
            p.nominal
        );
        assert_eq!(Some(p.dist.describe()), cp.posterior_dist, "{}", p.path);
    }
}

#[test]
fn calibrating_without_observed_values_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "toy.ron", &toy("5", ""));
    let o = Command::cargo_bin("tabletop")
        .unwrap()
        .arg("calibrate")
        .arg(&f)
        .args(["--draws", "4", "--runs-per-draw", "2", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("observed"), "{err}");
    assert!(!dir.path().join("out").join("calibration.json").exists());
}
