//! Regression guard for refactors: a fixed batch (all variants) of every shipped scenario must
//! reproduce the recorded sha256 of `runs.csv` and `summary.json`. A model change re-records the
//! hashes on purpose with `TABLETOP_RECORD_GOLDEN=1 cargo test golden` and says so in its commit.
//! This is also where every shipped scenario is simulated end to end.

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const HASHES: &str = "tests/golden/hashes.txt";
const RUNS: &str = "40";
const SEED: &str = "7";

fn sha256_file(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    format!("{:x}", Sha256::digest(&bytes))
}

/// Every shipped scenario file, in name order.
pub(crate) fn shipped_scenarios() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    v.sort();
    v
}

/// `file -> hash` lines, `scenario/file sha256`.
fn current_hashes(out: &Path) -> BTreeMap<String, String> {
    let mut got = BTreeMap::new();
    for s in shipped_scenarios() {
        let name = s.file_stem().unwrap().to_string_lossy().to_string();
        let dir = out.join(&name);
        Command::cargo_bin("tabletop")
            .unwrap()
            .args(["batch"])
            .arg(&s)
            .args([
                "--runs",
                RUNS,
                "--seed",
                SEED,
                "--jobs",
                "2",
                "--all-variants",
            ])
            .args(["--no-report", "-q", "--out"])
            .arg(&dir)
            .assert()
            .success();
        for f in ["runs.csv", "summary.json"] {
            got.insert(format!("{name}/{f}"), sha256_file(&dir.join(f)));
        }
    }
    got
}

#[test]
fn every_shipped_scenario_reproduces_its_recorded_batch_hashes() {
    let t = tempfile::tempdir().unwrap();
    let got = current_hashes(t.path());
    let text: String = got.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    if std::env::var_os("TABLETOP_RECORD_GOLDEN").is_some() {
        std::fs::write(HASHES, &text).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(HASHES).expect("tests/golden/hashes.txt is missing");
    let want: BTreeMap<String, String> = recorded
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "the set of shipped scenarios changed: re-record the hashes"
    );
    let differ: Vec<_> = want
        .iter()
        .filter(|(k, v)| got[*k] != **v)
        .map(|(k, _)| k)
        .collect();
    assert!(
        differ.is_empty(),
        "outputs changed for {differ:?}: a refactor must keep them byte-identical; a model change \
         re-records with TABLETOP_RECORD_GOLDEN=1 and says so in its commit"
    );
}
