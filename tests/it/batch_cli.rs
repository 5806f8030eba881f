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
        .stderr(contains("--shard 4/3"));
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
