//! `tabletop validate` and `tabletop new` from the command line: output, exit codes, files.

use assert_cmd::Command;
use predicates::prelude::*;

fn tabletop() -> Command {
    Command::cargo_bin("tabletop").expect("binary built")
}

#[test]
fn new_writes_a_starter_that_validate_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    tabletop()
        .current_dir(dir.path())
        .args(["new", "Harbor Watch"])
        .assert()
        .success();
    let file = dir.path().join("Harbor_Watch.ron");
    let text = std::fs::read_to_string(&file).expect("written");
    assert!(text.contains("name: \"Harbor Watch\""));
    tabletop()
        .arg("validate")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Harbor_Watch.ron: ok — 5 agencies, 5 partnerships, 4 injects, 2 objectives, 1 variant",
        ));
}

#[test]
fn new_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.ron");
    std::fs::write(&out, "keep me").expect("write");
    tabletop()
        .args(["new", "x", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists; pass --force"));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "keep me");
    tabletop()
        .args(["new", "x", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&out)
            .expect("read")
            .contains("name: \"x\"")
    );
}

#[test]
fn validate_reports_every_file_and_exits_2_when_one_is_invalid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.ron");
    std::fs::write(&good, tabletop::scenario::STARTER).expect("write");
    let bad = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken/unknown_agency.ron");
    tabletop()
        .arg("validate")
        .arg(&good)
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown_agency.ron:15:31"))
        .stderr(predicate::str::contains("good.ron: ok — 5 agencies"))
        .stderr(predicate::str::contains(
            "unknown_agency.ron: invalid — 1 error",
        ));
}

#[test]
fn quiet_validate_and_new_print_nothing_on_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("q.ron");
    tabletop()
        .args(["new", "q", "-q", "--out"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    tabletop()
        .args(["validate", "--quiet"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn quiet_still_reports_errors() {
    let bad = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken/unknown_agency.ron");
    tabletop()
        .args(["-q", "validate"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown_agency.ron:15:31"));
}

#[test]
fn validate_applies_the_work_budget_and_max_work_moves_it() {
    // fuel-line estimates about 20,000 work units per run, well under the default limit
    tabletop()
        .args(["validate", "scenarios/fuel-line.ron"])
        .assert()
        .success();
    tabletop()
        .args(["validate", "scenarios/fuel-line.ron", "--max-work", "1000"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ok —").not())
        .stderr(
            predicate::str::contains("above the limit of 1000")
                .and(predicate::str::contains(
                    "`threats[fuel_panic].signal_interval`",
                ))
                .and(predicate::str::contains("pass --max-work")),
        );
    tabletop()
        .args(["validate", "scenarios/fuel-line.ron", "--max-work", "30000"])
        .assert()
        .success();
}
