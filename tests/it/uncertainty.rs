//! Uncertain parameters (`uncertainty:`) and two-level Monte Carlo (`batch --uncertainty`).

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tabletop::batch::uncertainty::UncertaintySummary;
use tabletop::scenario::schema::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bridge scenario with its `uncertainty:` section replaced by `section` (RON entries).
fn bridge_with(section: &str) -> String {
    let src = std::fs::read_to_string(root().join("scenarios/bridge.ron")).unwrap();
    let cut = src
        .find("\n    uncertainty: [")
        .unwrap_or_else(|| src.trim_end().len() - 1);
    format!(
        "{}\n    uncertainty: [\n{section}\n    ],\n)\n",
        &src[..cut]
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn values_are_set_in_their_units_and_validated_again() {
    let text = bridge_with(
        r#"        (path: "model.counter_messaging", dist: uniform(0.0, 0.6), source: "test"),
        (path: "model.equity_window", dist: triangular(12, 24, 72), source: "test", label: "window"),
        (path: "model.default_corroboration", dist: uniform(1, 3), source: "test"),"#,
    );
    let s = tabletop::scenario::load_str(Path::new("bridge-u.ron"), &text).unwrap();
    let u = s.uncertain();
    assert_eq!(u.len(), 3);
    // The value bridge.ron writes (its calibrated counter-messaging effect).
    assert_eq!(u[0].nominal, 0.1);
    assert_eq!(u[0].label, "model.counter_messaging");
    assert_eq!(u[1].label, "window");
    assert_eq!(u[1].nominal, 24.0);
    assert!(u[2].whole && !u[0].whole);
    let at = s.with_values(&[0.25, 36.5, 2.4]).unwrap();
    assert_eq!(at.spec().model.counter_messaging, 0.25);
    assert_eq!(at.spec().model.equity_window, Duration::Hours(36.5));
    assert_eq!(at.spec().model.default_corroboration, 2);
    // The unit point maps through each quantile function: the median of uniform(0, 0.6) and
    // of triangular(12, 24, 72) (F(m) = 1/2 at 72 − √(60·48/2)).
    let mid = s.at_unit_point(&[0.5, 0.5, 0.5]).unwrap();
    assert!((mid.spec().model.counter_messaging - 0.3).abs() < 1e-12);
    let tri_median = 72.0 - (60.0f64 * 48.0 / 2.0).sqrt();
    match mid.spec().model.equity_window {
        Duration::Hours(h) => assert!((h - tri_median).abs() < 1e-9, "{h}"),
        other => panic!("unit changed: {other:?}"),
    }
    // A value the field refuses is refused again after validation.
    assert!(s.with_values(&[1.5, 24.0, 1.0]).is_err());
    assert!(s.with_values(&[0.1]).is_err());
}

#[test]
fn bad_entries_are_placed_at_their_line_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = bridge_with(
        r#"        (path: "model.counter_messaging", dist: uniform(0.5, 1.5), source: "test"),
        (path: "model.counter_mesaging", dist: uniform(0.1, 0.2), source: "test"),
        (path: "exercise.name", dist: uniform(0.1, 0.2), source: "test"),
        (path: "model.trust_gain", dist: triangular(0.1, 0.05, 0.2), source: "test"),"#,
    );
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let f = write(dir.path(), "bad.ron", &text);
    let out = Command::cargo_bin("tabletop")
        .unwrap()
        .args(["validate"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("at the high end of its range (1.5)"), "{err}");
    assert!(
        err.contains(&format!("bad.ron:{}:", line_of("uniform(0.5, 1.5)"))),
        "{err}"
    );
    assert!(
        err.contains("counter_messaging"),
        "did-you-mean missing: {err}"
    );
    assert!(
        err.contains(&format!("bad.ron:{}:", line_of("counter_mesaging"))),
        "{err}"
    );
    assert!(err.contains("`exercise.name` is not a number"), "{err}");
    assert!(err.contains("low ≤ mode ≤ high"), "{err}");
}

fn batch(file: &Path, out: &Path, jobs: &str, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("tabletop")
        .unwrap()
        .arg("batch")
        .arg(file)
        .args([
            "--runs",
            "40",
            "--uncertainty",
            "--draws",
            "6",
            "--runs-per-draw",
            "30",
            "--seed",
            "3",
            "--no-report",
            "--jobs",
            jobs,
            "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn two_level_batch_is_identical_across_jobs_and_widens_only_what_matters() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "b.ron",
        &bridge_with(
            r#"        (path: "model.counter_messaging", dist: uniform(0.0, 0.6), source: "test"),
        (path: "ledger.aligned.trust", dist: uniform(0.5, 0.9), source: "read by `tabletop ledger` only"),"#,
        ),
    );
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (d, j) in [(&a, "1"), (&b, "2")] {
        let o = batch(&f, d, j, &["--variant", "interpreter-pool"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for name in ["uncertainty.json", "uncertainty.csv"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name} differs between --jobs 1 and 2"
        );
    }
    let u: UncertaintySummary =
        serde_json::from_slice(&std::fs::read(a.join("uncertainty.json")).unwrap()).unwrap();
    assert_eq!((u.draws, u.runs_per_draw, u.params.len()), (6, 30, 2));
    assert_eq!(u.variants.len(), 2);
    let csv = std::fs::read_to_string(a.join("uncertainty.csv")).unwrap();
    // Per variant: the reference at the file's values, then the 6 draws.
    assert_eq!(csv.lines().count(), 1 + 2 * (1 + 6));
    assert_eq!(csv.lines().filter(|l| l.contains(",nominal,")).count(), 2);
    // The counter-messaging constant moves the hand-off objective across its range (the
    // reviewer's finding in issue 11): the range with parameters is wider than Monte Carlo's.
    let o1 = u.variants[0]
        .objectives
        .iter()
        .find(|o| o.id == "O1-handoff")
        .unwrap();
    assert!(
        o1.high - o1.low > o1.mc_high - o1.mc_low,
        "with parameters [{}, {}] vs Monte Carlo [{}, {}]",
        o1.low,
        o1.high,
        o1.mc_low,
        o1.mc_high
    );
    assert!(o1.param_sd > 0.0);
    // Every ratings row sums to 1.
    for v in &u.variants {
        for o in &v.objectives {
            assert!((o.ratings.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn a_parameter_that_affects_nothing_leaves_every_draw_identical() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "d.ron",
        &bridge_with(
            r#"        (path: "ledger.aligned.trust", dist: uniform(0.5, 0.9), source: "read by `tabletop ledger` only"),"#,
        ),
    );
    let out = dir.path().join("d");
    let o = batch(&f, &out, "2", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let u: UncertaintySummary =
        serde_json::from_slice(&std::fs::read(out.join("uncertainty.json")).unwrap()).unwrap();
    for o in &u.variants[0].objectives {
        assert_eq!(
            (o.low, o.high),
            (o.mc_low, o.mc_high),
            "{}: common random numbers, no effect beyond Monte Carlo",
            o.id
        );
        assert_eq!(o.mean_p, o.nominal_p, "{}", o.id);
        assert_eq!(o.param_sd, 0.0, "{}", o.id);
        assert!(!o.fragile, "{}", o.id);
    }
}

#[test]
fn uncertainty_needs_declared_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "starter.ron", tabletop::scenario::STARTER);
    let o = batch(&f, &dir.path().join("c"), "1", &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("declares no uncertain parameters"), "{err}");
    assert!(
        !dir.path().join("c").join("runs.csv").exists(),
        "ran anyway"
    );
}

#[test]
fn a_value_can_be_declared_uncertain_in_place() {
    let src = bridge_with("");
    let i = src.find("share_probability: 0.85,").unwrap();
    let with = |dist: &str| {
        format!(
            "{}share_probability: uncertain(0.85, {dist}, \"workshop\"),{}",
            &src[..i],
            &src[i + "share_probability: 0.85,".len()..]
        )
    };
    let s = tabletop::scenario::load_str(Path::new("inplace.ron"), &with("uniform(0.3, 0.95)"))
        .unwrap();
    let u = s.uncertain();
    assert_eq!(u.len(), 1);
    assert!(u[0].path.starts_with("partnerships[") && !u[0].path.starts_with("partnerships[0"));
    assert!(u[0].path.ends_with("].share_probability"), "{}", u[0].path);
    assert_eq!((u[0].nominal, u[0].source.as_str()), (0.85, "workshop"));
    // The nominal run is the file's value: the same scenario as without the declaration.
    let plain = tabletop::scenario::load_str(Path::new("plain.ron"), &src).unwrap();
    let mut a = s.spec().clone();
    a.uncertainty.clear();
    assert_eq!(&a, plain.spec());
    assert_eq!(
        s.with_values(&[0.4]).unwrap().spec().partnerships[0].share_probability,
        0.4
    );
    // Mistakes are placed on the declaration's line.
    let line = src[..i].lines().count();
    for (dist, says) in [
        ("uniform(0.3, 1.95)", "at the high end of its range (1.95)"),
        ("unifrm(0.3, 0.9)", "not a distribution"),
    ] {
        let e = tabletop::scenario::load_str(Path::new("inplace.ron"), &with(dist))
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
        assert!(e.contains(&format!("inplace.ron:{line}:")), "{e}");
    }
}

#[test]
fn validate_warns_about_an_unknown_key_metric_with_a_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(root().join("scenarios/bridge.ron")).unwrap();
    let text = src.replacen(
        "exercise: (",
        "exercise: (\n        key_metrics: [\"time_to_acton.surge\", \"time_to_action.surge\"],",
        1,
    );
    assert_ne!(text, src);
    let f = write(dir.path(), "km.ron", &text);
    let out = Command::cargo_bin("tabletop")
        .unwrap()
        .arg("validate")
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success(), "a warning must not fail validation");
    let all =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(all.contains("key metric \"time_to_acton.surge\""), "{all}");
    assert!(all.contains("time_to_action.surge"), "{all}");
    assert_eq!(
        all.matches("key metric \"").count(),
        1,
        "only the misspelt id: {all}"
    );
}

#[test]
fn morris_gives_a_parameter_that_affects_nothing_zero_mu_star() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "m.ron",
        &bridge_with(
            r#"        (path: "model.counter_messaging", dist: uniform(0.0, 0.6), source: "test"),
        (path: "ledger.aligned.trust", dist: uniform(0.5, 0.9), source: "read by `tabletop ledger` only"),"#,
        ),
    );
    let out = dir.path().join("m");
    let o = Command::cargo_bin("tabletop")
        .unwrap()
        .arg("sensitivity")
        .arg(&f)
        .args([
            "--method",
            "morris",
            "--trajectories",
            "4",
            "--runs",
            "20",
            "--jobs",
            "2",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("sensitivity.json")).unwrap()).unwrap();
    let v = &v["study"];
    let groups: Vec<String> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect();
    let inert = groups
        .iter()
        .position(|g| g.contains("ledger.aligned.trust"))
        .unwrap();
    let active = groups
        .iter()
        .position(|g| g.contains("counter_messaging"))
        .unwrap();
    let mut checked = 0;
    let mut moved = false;
    for out in v["outputs"].as_array().unwrap() {
        let Some(m) = out["morris"].as_array() else {
            continue;
        };
        // Every elementary effect of the inert parameter is exactly 0 (common random
        // numbers: the two runs of a step are the same runs).
        if let Some(mu) = m[inert]["mu_star"].as_f64() {
            assert_eq!(mu, 0.0, "{}", out["output"]["id"]);
            checked += 1;
        }
        moved |= m[active]["mu_star"].as_f64().is_some_and(|x| x > 0.0);
    }
    assert!(checked > 0, "no Morris output was read");
    assert!(moved, "counter-messaging moved nothing");
}

#[test]
fn sensitivity_shards_merge_on_the_command_line_and_a_missing_shard_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "s.ron",
        &bridge_with(
            r#"        (path: "model.counter_messaging", dist: uniform(0.0, 0.6), source: "test"),
        (path: "model.discrimination", dist: uniform(1.0, 3.0), source: "test"),"#,
        ),
    );
    let study = |extra: &[&str], out: &Path| {
        Command::cargo_bin("tabletop")
            .unwrap()
            .arg("sensitivity")
            .arg(&f)
            .args([
                "--method",
                "sobol",
                "--samples",
                "3",
                "--runs",
                "2",
                "--seed-factor",
                "-q",
                "--out",
            ])
            .arg(out)
            .args(extra)
            .output()
            .unwrap()
    };
    let whole = dir.path().join("whole");
    let o = study(&["--jobs", "2"], &whole);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shards: Vec<PathBuf> = (1..=2).map(|k| dir.path().join(format!("s{k}"))).collect();
    for (k, s) in shards.iter().enumerate() {
        let o = study(&["--jobs", "1", "--shard", &format!("{}/2", k + 1)], s);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = dir.path().join("merged");
    let merge = |dirs: &[PathBuf], out: &Path| {
        Command::cargo_bin("tabletop")
            .unwrap()
            .arg("merge")
            .args(dirs)
            .args(["-q", "--seed", "1", "--scenario"])
            .arg(&f)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let o = merge(&shards, &merged);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "sensitivity.json",
        "sobol.csv",
        "points.csv",
        "sensitivity.md",
    ] {
        assert!(
            std::fs::read(whole.join(name)).unwrap() == std::fs::read(merged.join(name)).unwrap(),
            "{name} differs"
        );
    }
    let o = merge(&shards[..1], &dir.path().join("half"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("shard 2/2 is missing"), "{err}");
    assert!(!dir.path().join("half").exists());
}
