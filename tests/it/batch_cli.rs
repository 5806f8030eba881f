//! `tabletop batch`, `merge` and `sweep` on the command line (a tiny fixture scenario). With
//! the engine still a stub these check the plumbing: files, refusals and exit codes.

use assert_cmd::Command;
use predicates::str::contains;

const TINY: &str = "tests/fixtures/batch-tiny.ron";

fn tabletop() -> Command {
    Command::cargo_bin("tabletop").unwrap()
}

#[test]
fn batch_writes_the_batch_directory() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("b");
    tabletop()
        .args([
            "batch",
            TINY,
            "--runs",
            "20",
            "--jobs",
            "2",
            "--no-report",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("Files:"));
    for f in [
        "manifest.json",
        "scenario.ron",
        "catalog.json",
        "runs.csv",
        "summary.json",
        "summary.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    assert_eq!(
        std::fs::read(out.join("scenario.ron")).unwrap(),
        std::fs::read(TINY).unwrap()
    );
    let m = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        m.contains("\"master_seed\": 1") && m.contains("--runs 20"),
        "{m}"
    );
}

#[test]
fn batch_refuses_a_non_empty_directory_before_running() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("x"), "keep").unwrap();
    tabletop()
        .args(["batch", TINY, "--runs", "5", "--no-report", "--out"])
        .arg(t.path())
        .assert()
        .code(2)
        .stderr(contains("--force"));
}

#[test]
fn batch_rejects_a_malformed_shard() {
    let t = tempfile::tempdir().unwrap();
    tabletop()
        .args(["batch", TINY, "--shard", "4/3", "--out"])
        .arg(t.path().join("o"))
        .assert()
        .code(2)
        .stderr(contains("'4/3' for '--shard <K/N>'"))
        .stderr(contains("there is no shard 4 of 3"));
}

#[test]
fn batch_rejects_a_shard_that_is_not_k_of_n() {
    for bad in ["0/3", "3", "a/b"] {
        tabletop()
            .args(["batch", TINY, "--shard", bad])
            .assert()
            .code(2)
            .stderr(contains(format!("'{bad}' for '--shard <K/N>'")));
    }
}

#[test]
fn batch_rejects_an_until_ci_without_a_positive_halfwidth() {
    for bad in ["time_to_detection", "time_to_detection=0", "=0.5", "x=-1"] {
        tabletop()
            .args(["batch", TINY, "--until-ci", bad])
            .assert()
            .code(2)
            .stderr(contains(format!(
                "'{bad}' for '--until-ci <METRIC=HALFWIDTH>'"
            )))
            .stderr(contains(
                "expected METRIC=HALFWIDTH with a positive half-width",
            ));
    }
}

#[test]
fn batch_until_ci_names_an_unknown_metric() {
    let t = tempfile::tempdir().unwrap();
    tabletop()
        .args([
            "batch",
            TINY,
            "--until-ci",
            "no_such_metric=0.5",
            "--no-report",
        ])
        .arg("--out")
        .arg(t.path().join("o"))
        .assert()
        .code(2)
        .stderr(contains(
            "--until-ci no_such_metric=0.5: no metric `no_such_metric`",
        ));
}

#[test]
fn resume_and_force_conflict_on_the_command_line() {
    let t = tempfile::tempdir().unwrap();
    tabletop()
        .args(["batch", TINY, "--resume", "--force", "--out"])
        .arg(t.path().join("o"))
        .assert()
        .code(2)
        .stderr(contains("'--resume' cannot be used with '--force'"));
    assert!(!t.path().join("o").exists(), "nothing may be written");
}

#[test]
fn sweep_design_is_one_of_full_or_lhs() {
    tabletop()
        .args(["sweep", TINY, "--param", "x=1,2", "--design", "random"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 'random' for '--design <DESIGN>'"))
        .stderr(contains("[possible values: full, lhs]"));
}

#[test]
fn quiet_batch_prints_nothing_but_still_writes_its_files() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("b");
    tabletop()
        .args([
            "-q",
            "batch",
            TINY,
            "--runs",
            "10",
            "--jobs",
            "1",
            "--no-report",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    assert!(out.join("summary.json").exists());
}

#[test]
fn verbose_batch_reports_its_settings_on_stderr() {
    let t = tempfile::tempdir().unwrap();
    tabletop()
        .args([
            "-v",
            "batch",
            TINY,
            "--runs",
            "10",
            "--seed",
            "5",
            "--no-report",
            "--out",
        ])
        .arg(t.path().join("b"))
        .assert()
        .success()
        .stdout(contains("Files:"))
        .stderr(contains("seed 5, 10 runs per variant"))
        .stderr(contains("runs finished in"));
}

#[test]
fn batch_names_an_unknown_variant_with_a_suggestion() {
    let t = tempfile::tempdir().unwrap();
    tabletop()
        .args(["batch", TINY, "--variant", "fastr", "--out"])
        .arg(t.path().join("o"))
        .assert()
        .code(2)
        .stderr(contains("did you mean `faster`"));
}

#[test]
fn merge_of_a_single_incomplete_set_names_the_missing_shard() {
    let t = tempfile::tempdir().unwrap();
    let s1 = t.path().join("s1");
    tabletop()
        .args([
            "batch",
            TINY,
            "--runs",
            "6",
            "--shard",
            "1/2",
            "--no-report",
            "--out",
        ])
        .arg(&s1)
        .assert()
        .success();
    tabletop()
        .args(["merge", "--no-report", "--out"])
        .arg(t.path().join("m"))
        .arg(&s1)
        .assert()
        .code(2)
        .stderr(contains("shard 2/2 is missing"));
}
