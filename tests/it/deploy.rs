//! The cluster recipes in deploy/ run for real, locally: `deploy/slurm-array.sh` against stub
//! `sbatch`, `sinfo` and `squeue` (first on PATH) that capture the job scripts and run them
//! here, and the shell snippets of `deploy/k8s-indexed-job.yaml` extracted and run with the
//! environment the Job gives them. The merged directory must hold the bytes one machine
//! writes.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/batch-tiny.ron");

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/slurm-array.sh")
}

/// Stub Slurm: `sbatch` records its arguments in `$STUB/calls`, runs the `--wrap` script of
/// every array task at once (in order), and runs a dependent job only when its dependency
/// succeeded; when it did not, the job is recorded as cancelled with
/// `--kill-on-invalid-dep=yes` and as pending forever without it.
const SBATCH: &str = r#"#!/usr/bin/env bash
set -u
n=$(( $(cat "$STUB/next" 2>/dev/null || echo 100) + 1 )); echo "$n" > "$STUB/next"
printf '%s\n' "$*" >> "$STUB/calls"
wrap=""; array=""; out=""; dep=""; kill=no; cpus=1
for a in "$@"; do
  case $a in
    --wrap=*) wrap=${a#--wrap=} ;;
    --array=*) array=${a#--array=} ;;
    --output=*) out=${a#--output=} ;;
    --dependency=afterok:*) dep=${a#--dependency=afterok:} ;;
    --kill-on-invalid-dep=yes) kill=yes ;;
    --cpus-per-task=*) cpus=${a#--cpus-per-task=} ;;
  esac
done
printf '%s\n' "$wrap" > "$STUB/job-$n.sh"
if [ -n "$dep" ] && [ "$(cat "$STUB/state-$dep")" != ok ]; then
  if [ $kill = yes ]; then echo cancelled > "$STUB/state-$n"; else echo pending-forever > "$STUB/state-$n"; fi
  echo "$n"; exit 0
fi
state=ok
if [ -n "$array" ]; then
  for i in $(seq ${array%-*} ${array#*-}); do
    SLURM_ARRAY_JOB_ID=$n SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=$cpus \
      bash -c "$wrap" > "${out//%a/$i}" 2>&1 || state=failed
  done
else
  bash -c "$wrap" > "$out" 2>&1 || state=failed
fi
echo $state > "$STUB/state-$n"
echo "$n"
"#;

struct Stub {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
}

impl Stub {
    fn new(cpus: &str) -> Stub {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let tool = PathBuf::from(env!("CARGO_BIN_EXE_tabletop"));
        write_exec(&bin.join("sbatch"), SBATCH);
        write_exec(
            &bin.join("sinfo"),
            &format!("#!/bin/sh\nprintf '%s\\n' {cpus}\n"),
        );
        write_exec(&bin.join("squeue"), "#!/bin/sh\nexit 0\n");
        std::os::unix::fs::symlink(&tool, bin.join("tabletop")).unwrap();
        Stub {
            _tmp: tmp,
            root,
            bin,
        }
    }

    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// Run the Slurm script from the stub's directory (a default OUT lands there).
    fn slurm(&self, args: &[&str]) -> std::process::Output {
        Proc::new("bash")
            .arg(script())
            .args(args)
            .current_dir(&self.root)
            .env("PATH", self.path())
            .env("STUB", &self.root)
            .env_remove("CPUS")
            .env_remove("PARTITION")
            .output()
            .unwrap()
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.root.join("calls")).unwrap_or_default()
    }

    fn state(&self, job: &str) -> String {
        std::fs::read_to_string(self.root.join(format!("state-{job}")))
            .unwrap()
            .trim()
            .to_string()
    }
}

fn write_exec(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The same batch on one machine.
fn single(out: &Path, runs: &str, seed: &str, extra: &[&str]) {
    Command::cargo_bin("tabletop")
        .unwrap()
        .args([
            "-q",
            "batch",
            TINY,
            "--runs",
            runs,
            "--seed",
            seed,
            "--no-report",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn same_files(a: &Path, b: &Path) {
    for f in [
        "runs.csv",
        "summary.json",
        "accumulators.json",
        "catalog.json",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn slurm_plain_form_merges_to_the_single_machine_bytes_and_reruns_skip_finished_shards() {
    let s = Stub::new("2");
    let out = s.root.join("out");
    let o = s.slurm(&[TINY, "24", "5", "3", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let calls = s.calls();
    assert!(!calls.contains("''"), "empty argument passed: {calls}");
    assert!(calls.contains("--kill-on-invalid-dep=yes"), "{calls}");
    assert!(
        calls.contains("--cpus-per-task=2"),
        "CPUS from sinfo: {calls}"
    );
    assert_eq!(s.state("101"), "ok", "shards: {}", text(&o));
    assert_eq!(s.state("102"), "ok", "merge");
    let one = s.root.join("one");
    single(&one, "24", "5", &[]);
    same_files(&out.join("merged"), &one);

    // Submitted again: every shard is already finished and is kept, not recomputed.
    let before = std::fs::metadata(out.join("shards/2/runs.csv"))
        .unwrap()
        .modified()
        .unwrap();
    let o = s.slurm(&[TINY, "24", "5", "3", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let log = std::fs::read_to_string(out.join("logs/shard-1.out")).unwrap();
    assert!(log.contains("already holds this batch"), "{log}");
    let after = std::fs::metadata(out.join("shards/2/runs.csv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(s.state("104"), "ok");
    same_files(&out.join("merged"), &one);
}

#[test]
fn slurm_double_dash_before_positionals_and_extra_flags() {
    let s = Stub::new("4");
    let out = s.root.join("o2");
    // `--` first, then positionals, then `--` and batch flags.
    let o = s.slurm(&[
        "--",
        TINY,
        "12",
        "2",
        "2",
        out.to_str().unwrap(),
        "--",
        "--variant",
        "faster",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!s.root.join("--").exists());
    assert_eq!(s.state("102"), "ok");
    // The merge checks the shards ran the variants given after `--`.
    let calls = s.calls();
    let merge = calls.lines().find(|l| l.contains(" merge ")).unwrap_or("");
    assert!(merge.contains("--variant faster"), "{calls}");
    let one = s.root.join("one");
    single(&one, "12", "2", &["--variant", "faster"]);
    same_files(&out.join("merged"), &one);

    // `--` after fewer than five positionals: the rest are batch flags, defaults apply.
    let s = Stub::new("4");
    let o = s.slurm(&[TINY, "12", "--", "--variant", "faster"]);
    assert!(o.status.success(), "{}", text(&o));
    let calls = s.calls();
    assert!(
        calls.contains("--seed 1") && calls.contains("--variant faster"),
        "{calls}"
    );
    assert!(calls.contains("--array=0-7"), "{calls}");
}

#[test]
fn slurm_refusals_are_loud_and_a_failed_shard_cancels_the_merge() {
    // More CPUs than any node: refused before anything is submitted.
    let s = Stub::new("2");
    let o = Proc::new("bash")
        .arg(script())
        .args([TINY, "10", "1", "2", s.root.join("x").to_str().unwrap()])
        .env("PATH", s.path())
        .env("STUB", &s.root)
        .env("CPUS", "8")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("pending forever"), "{}", text(&o));
    assert!(s.calls().is_empty());

    // A flag before the positionals without `--`.
    let o = s.slurm(&["--all-variants", TINY]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("after '--'"), "{}", text(&o));

    // A shard that fails (bad batch flag): the merge is cancelled, never left pending.
    let out = s.root.join("bad");
    let o = s.slurm(&[TINY, "10", "1", "2", out.to_str().unwrap(), "--", "--bogus"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(s.state("101"), "failed");
    assert_eq!(s.state("102"), "cancelled");
}

/// The `args: - |` shell snippets of the k8s manifest, in order (shard, wait, merge).
fn k8s_snippets() -> Vec<String> {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/k8s-indexed-job.yaml"
    ))
    .unwrap();
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "- |" && i > 0 && lines[i - 1].trim() == "args:" {
            let indent = lines[i].len() - lines[i].trim_start().len();
            let mut body = String::new();
            i += 1;
            while i < lines.len()
                && (lines[i].trim().is_empty()
                    || lines[i].len() - lines[i].trim_start().len() > indent)
            {
                body.push_str(lines[i].trim_start_matches(' '));
                body.push('\n');
                i += 1;
            }
            // Keep the snippet's own relative indentation irrelevant: sh ignores it.
            out.push(body);
        } else {
            i += 1;
        }
    }
    out
}

fn sh(s: &Stub, script: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Proc::new("timeout");
    c.arg("20").arg("sh").arg("-c").arg(script);
    c.env("PATH", s.path());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn k8s_snippets_run_the_shards_wait_for_this_batch_only_and_merge() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/k8s-indexed-job.yaml"
    ))
    .unwrap();
    assert!(yaml.contains("podReplacementPolicy: Failed"));
    assert!(yaml.contains("activeDeadlineSeconds:"));
    assert!(yaml.contains("1.29"));
    let snips = k8s_snippets();
    assert_eq!(snips.len(), 3, "{snips:?}");
    let (shard, wait, merge) = (&snips[0], &snips[1], &snips[2]);
    let s = Stub::new("2");
    let data = s.root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(TINY, data.join("scenario.ron")).unwrap();
    let d = data.to_str().unwrap();
    let base = [
        ("N", "3"),
        ("RUNS", "18"),
        ("SEED", "4"),
        ("DATA", d),
        ("POLL", "0.2"),
        ("JOB_UID", "u-1"),
    ];

    // A stale shard 1 of another batch (seed 9): the wait loop must not accept it.
    let old = Proc::new(env!("CARGO_BIN_EXE_tabletop"))
        .args([
            "-q", "batch", TINY, "--runs", "18", "--seed", "9", "--shard", "1/3",
        ])
        .args(["--no-report", "--out"])
        .arg(data.join("shards/1"))
        .output()
        .unwrap();
    assert!(old.status.success());
    for k in 1..3 {
        let idx = k.to_string();
        let mut env = base.to_vec();
        env.push(("JOB_COMPLETION_INDEX", &idx));
        let o = sh(&s, shard, &env);
        assert!(o.status.success(), "shard {k}: {}", text(&o));
    }
    let mut short = base.to_vec();
    short.retain(|(k, _)| *k != "POLL");
    short.push(("POLL", "0.2"));
    let o = Proc::new("timeout")
        .args(["3", "sh", "-c", wait])
        .env("PATH", s.path())
        .envs(short.iter().copied())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(124),
        "wait accepted a stale shard: {}",
        text(&o)
    );
    assert!(text(&o).contains("seed"), "{}", text(&o));

    // Shard 1 of this batch (the stale one is overwritten), then wait and merge.
    let mut env = base.to_vec();
    env.push(("JOB_COMPLETION_INDEX", "0"));
    let o = sh(&s, shard, &env);
    assert!(o.status.success(), "{}", text(&o));
    let o = sh(&s, wait, &base);
    assert!(o.status.success(), "{}", text(&o));
    let o = sh(&s, merge, &base);
    assert!(o.status.success(), "{}", text(&o));
    let one = s.root.join("one");
    single(&one, "18", "4", &[]);
    same_files(&data.join("merged"), &one);
}

#[test]
fn a_second_writer_on_one_output_directory_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("b");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("tabletop.lock"),
        "host=some-other-node\npid=12345\nstarted=2026-12-05T10:00:00Z\nowner=\n",
    )
    .unwrap();
    Command::cargo_bin("tabletop")
        .unwrap()
        .args([
            "batch",
            TINY,
            "--runs",
            "4",
            "--no-report",
            "--force",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("some-other-node"))
        .stderr(predicates::str::contains("12345"));
    assert!(!out.join("runs.csv").exists());
}

#[test]
fn merge_refuses_shards_of_another_batch() {
    let t = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for k in 1..=2 {
        let d = t.path().join(format!("s{k}"));
        single(&d, "8", "3", &["--shard", &format!("{k}/2")]);
        dirs.push(d);
    }
    let merge = |extra: &[&str]| {
        let mut c = Command::cargo_bin("tabletop").unwrap();
        c.arg("merge").args(&dirs).args(["--check"]).args(extra);
        c.assert()
    };
    merge(&["--seed", "3", "--runs", "8", "--scenario", TINY]).success();
    merge(&["--seed", "4"])
        .code(2)
        .stderr(predicates::str::contains("seed 3, not 4"));
    merge(&["--runs", "9"])
        .code(2)
        .stderr(predicates::str::contains("runs 8, not 9"));
    merge(&["--variant", "faster"])
        .code(2)
        .stderr(predicates::str::contains("variants"));
    let other = t.path().join("other.ron");
    let mut src = std::fs::read_to_string(TINY).unwrap();
    src.push_str("\n// changed\n");
    std::fs::write(&other, src).unwrap();
    merge(&["--scenario", other.to_str().unwrap()])
        .code(2)
        .stderr(predicates::str::contains("scenario hash"));
}
