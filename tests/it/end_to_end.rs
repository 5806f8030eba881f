//! End to end on a shipped scenario with the real engine: batch files identical whatever
//! `--jobs` and however the batch is sharded, and common random numbers making the paired
//! what-if interval narrower than an unpaired one.

use assert_cmd::Command;
use std::path::Path;

const SCENARIO: &str = "scenarios/fuel-line.ron";

fn batch(out: &Path, extra: &[&str]) {
    let mut args = vec![
        "batch",
        SCENARIO,
        "--runs",
        "80",
        "--seed",
        "11",
        "--variant",
        "tsa-directive",
        "--no-report",
    ];
    args.extend_from_slice(extra);
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(&args)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// Every file of a batch directory except the manifest (which records times and the command).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "manifest.json" {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn assert_same(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb));
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(x == y, "{name} differs");
    }
}

#[test]
fn a_shipped_scenario_gives_identical_files_for_any_jobs_and_sharding() {
    let t = tempfile::tempdir().unwrap();
    let (one, two) = (t.path().join("j1"), t.path().join("j2"));
    batch(&one, &["--jobs", "1"]);
    batch(&two, &["--jobs", "2"]);
    assert_same(&one, &two);
    let (s1, s2, merged) = (t.path().join("s1"), t.path().join("s2"), t.path().join("m"));
    batch(&s1, &["--shard", "1/2"]);
    batch(&s2, &["--shard", "2/2"]);
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(["merge"])
        .arg(&s1)
        .arg(&s2)
        .arg("--no-report")
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert_same(&one, &merged);
}

#[test]
fn common_random_numbers_make_the_paired_interval_narrower_on_a_shipped_scenario() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("b");
    batch(&out, &[]);
    let s: tabletop::batch::summary::Summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let v = &s.variants[1];
    let mut compared = 0;
    for d in &v.paired {
        let (Some(lo), Some(hi), Some(unpaired)) = (d.ci_low, d.ci_high, d.unpaired_halfwidth)
        else {
            continue;
        };
        if unpaired <= 0.0 || !d.id.starts_with("time_to") {
            continue;
        }
        compared += 1;
        assert!(
            (hi - lo) / 2.0 < unpaired,
            "{}: paired half-width {} not below unpaired {}",
            d.id,
            (hi - lo) / 2.0,
            unpaired
        );
    }
    assert!(compared >= 2, "too few comparable metrics ({compared})");
}
