//! The batch runner: chunks of runs in parallel, rows streamed to runs.csv in (variant, run)
//! order, a checkpoint after every chunk, then the summary and exemplars.
//!
//! Run i of every variant uses `RunSeed { master, run_index: i }` (common random numbers), so
//! the files do not depend on the number of threads. Memory holds one chunk of outcomes and
//! the fixed-size [`Accumulators`], never all runs.

use super::accum::{Accumulators, Quantiser};
use super::rows::{Layout, header, push_row, scan};
use super::simulator::{ColumnMap, Simulator};
use super::stats::Welford;
use super::summarize::{VariantInfo, summarize, summary_csv};
use super::summary::{Exemplar, Manifest, Summary};
use crate::error::{Error, Result};
use crate::output::{read_json, safe_file_name, write_atomic, write_atomic_with};
use crate::sim::{Catalog, RunOptions, RunOutcome, RunSeed};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs per chunk by default: the unit of parallel work, of streaming and of checkpoints.
pub(super) const CHUNK: u64 = 256;

/// Memory for the outcomes held at once [bytes]: a chunk of runs of a large network is
/// computed in slices of at most this much, so memory does not grow with network × chunk.
const OUTCOME_BUDGET: usize = 4 << 20;

/// Runs computed at once within a chunk: as many outcomes as fit [`OUTCOME_BUDGET`], but at
/// least four per worker so the workers stay busy.
fn slice_runs(catalog: &Catalog, workers: usize) -> u64 {
    let per_run = std::mem::size_of::<RunOutcome>()
        + catalog.links.len() * std::mem::size_of::<crate::sim::LinkResult>()
        + catalog.series.len() * (catalog.series_times.len() * 4 + 24)
        + catalog.metrics.len() * 16
        + catalog.objectives.len() * 24
        + catalog.drivers.len();
    (OUTCOME_BUDGET / per_run.max(1)).max(4 * workers.max(1)) as u64
}

/// Least time between two checkpoints [s].
pub(super) const CHECKPOINT_SECS: f64 = 2.0;

/// The writer's lock file in an output directory (see `lock.rs`).
pub(super) const LOCK_FILE: &str = "tabletop.lock";

/// Files a batch writes (removed by `--force` before starting).
pub(super) const BATCH_FILES: &[&str] = &[
    "manifest.json",
    "scenario.ron",
    "catalog.json",
    "runs.csv",
    "accumulators.json",
    "summary.json",
    "summary.csv",
    "progress.json",
    "uncertainty.json",
    "uncertainty.csv",
];

/// `--until-ci METRIC=HALFWIDTH --max-runs M`.
#[derive(Debug, Clone, PartialEq)]
pub struct UntilCi {
    /// Metric id (baseline catalog).
    pub metric: String,
    /// Target half-width of the 95% interval of its mean, in the metric's unit, > 0.
    pub halfwidth: f64,
    /// Most runs per variant.
    pub max_runs: u64,
}

impl UntilCi {
    fn key(&self) -> String {
        format!("{}={};max={}", self.metric, self.halfwidth, self.max_runs)
    }
}

/// Everything that defines a batch's results (what the manifest records).
#[derive(Debug, Clone)]
pub struct BatchSpec {
    /// Exercise name.
    pub scenario_name: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// sha256 of the scenario file, lowercase hex.
    pub scenario_hash: String,
    /// Handling marking.
    pub marking: String,
    /// The scenario file's text (copied to scenario.ron).
    pub scenario_source: String,
    /// Master seed.
    pub master_seed: u64,
    /// Runs per variant (whole batch; ignored with `until_ci`).
    pub runs: u64,
    /// Variants, baseline first, aligned with the simulators.
    pub variants: Vec<VariantInfo>,
    /// Shard (k, n): this process runs part k of n, 1 ≤ k ≤ n.
    pub shard: Option<(u64, u64)>,
    /// Stop rule on precision instead of a fixed number of runs.
    pub until_ci: Option<UntilCi>,
    /// The command line, for the manifest.
    pub command: String,
}

/// How to treat the output directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirMode {
    /// It must be absent or empty.
    #[default]
    Fresh,
    /// Remove a previous batch's files first.
    Force,
    /// Complete the interrupted batch it holds.
    Resume,
}

/// How to run (nothing here changes the results).
#[derive(Debug, Clone)]
pub struct Control<'a> {
    /// Worker threads (None: all cores).
    pub jobs: Option<usize>,
    /// Show a progress bar on stderr (drawn only when stderr is a terminal).
    pub progress: bool,
    /// Runs per chunk (> 0); fixes the `--until-ci` stopping points, so it is recorded in the
    /// checkpoint.
    pub chunk: u64,
    /// Set to stop cleanly after the current chunk (Ctrl-C).
    pub cancel: Option<&'a AtomicBool>,
    /// Testing hook: behave as if cancelled after this many chunks of this session.
    pub stop_after_chunks: Option<u64>,
    /// Output directory treatment.
    pub mode: DirMode,
}

impl Default for Control<'_> {
    fn default() -> Self {
        Control {
            jobs: None,
            progress: false,
            chunk: CHUNK,
            cancel: None,
            stop_after_chunks: None,
            mode: DirMode::Fresh,
        }
    }
}

/// Precision reached under `--until-ci`.
#[derive(Debug, Clone, PartialEq)]
pub struct Precision {
    /// Metric id.
    pub metric: String,
    /// Target half-width, in the metric's unit.
    pub target: f64,
    /// Half-width reached, in the metric's unit (None with fewer than 2 values).
    pub halfwidth: Option<f64>,
    /// Runs per variant.
    pub runs: u64,
}

/// What a finished batch returns.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// The summary written.
    pub summary: Summary,
    /// Precision reached, with `until_ci`.
    pub precision: Option<Precision>,
    /// The directory already held this batch, finished: nothing was run.
    pub skipped: bool,
}

/// The checkpoint, `progress.json`, rewritten atomically after every chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Progress {
    scenario_hash: String,
    master_seed: u64,
    runs: u64,
    variants: Vec<String>,
    shard: Option<(u64, u64)>,
    until_ci: Option<String>,
    chunk: u64,
    /// Data rows of runs.csv covered.
    rows_done: u64,
    /// Byte length of runs.csv at the checkpoint.
    bytes: u64,
    /// Runs per variant once known (always, unless `until_ci` is still searching).
    runs_target: Option<u64>,
    accumulators: Accumulators,
}

/// Run indices i < runs with i mod stride == offset.
pub(super) fn share_runs(runs: u64, offset: u64, stride: u64) -> u64 {
    if runs > offset {
        (runs - offset - 1) / stride + 1
    } else {
        0
    }
}

/// Current UTC time as RFC 3339 (`2024-05-01T12:34:56Z`).
pub(super) fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (civil-from-days, H. Hinnant).
pub(super) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Pretty JSON with a trailing newline.
pub(super) fn json<T: Serialize>(x: &T) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(x).map_err(|e| Error::Runtime(e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

/// Make `dir` ready for a new batch: create it, refuse it when it holds anything unless
/// `force`, in which case a previous batch's files (and `exemplars/`) are removed.
pub(super) fn prepare_dir(dir: &Path, force: bool) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    // The writer's own lock file (`tabletop.lock`) does not make the directory non-empty.
    if !entries.any(|e| e.is_ok_and(|e| e.file_name() != LOCK_FILE)) {
        return Ok(());
    }
    if !force {
        return Err(Error::usage(
            format!("--out {}", dir.display()),
            "the directory is not empty: pass --force to overwrite it, --resume to complete \
             an interrupted batch there, or choose another --out",
        ));
    }
    for f in BATCH_FILES {
        for p in [dir.join(f), crate::output::tmp_path(&dir.join(f))] {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    let ex = dir.join("exemplars");
    if ex.exists() {
        std::fs::remove_dir_all(&ex).map_err(|e| Error::io(&ex, e))?;
    }
    Ok(())
}

fn manifest(spec: &BatchSpec, runs: u64, started: &str, finished: &str) -> Manifest {
    Manifest {
        tool: "tabletop".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_name: spec.scenario_name.clone(),
        scenario_file: spec.scenario_file.clone(),
        scenario_hash: spec.scenario_hash.clone(),
        marking: spec.marking.clone(),
        master_seed: spec.master_seed,
        runs,
        variants: spec.variants.iter().map(|v| v.id.clone()).collect(),
        shard: spec.shard,
        command: spec.command.clone(),
        started: started.into(),
        finished: finished.into(),
    }
}

/// A did-you-mean suffix for an unknown id.
pub(super) fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let best = candidates
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

/// Run (or resume) a batch into `dir` and write every file but the report.
pub fn run_batch<S: Simulator>(
    spec: &BatchSpec,
    sims: &[S],
    dir: &Path,
    ctl: &Control<'_>,
) -> Result<BatchResult> {
    if sims.is_empty() || sims.len() != spec.variants.len() {
        return Err(Error::Runtime(
            "a batch needs one simulator per variant, baseline first".into(),
        ));
    }
    if ctl.chunk == 0 {
        return Err(Error::Runtime("the chunk size must be at least 1".into()));
    }
    if ctl.jobs == Some(0) {
        return Err(Error::usage("--jobs 0", "must be at least 1"));
    }
    let (offset, stride) = match spec.shard {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => (k - 1, n),
        Some((k, n)) => {
            return Err(Error::usage(
                format!("--shard {k}/{n}"),
                "K must be between 1 and N",
            ));
        }
        None => (0, 1),
    };
    if spec.until_ci.is_some() && spec.shard.is_some() {
        return Err(Error::usage(
            "--until-ci",
            "cannot be combined with --shard: the number of runs must be known before a \
             batch is split",
        ));
    }
    let catalog: Catalog = sims[0].catalog().clone();
    let maps: Vec<ColumnMap> = sims
        .iter()
        .map(|s| ColumnMap::new(&catalog, s.catalog()))
        .collect();
    let quant: Vec<Quantiser> = catalog.series.iter().map(Quantiser::for_series).collect();
    let ci_metric = match &spec.until_ci {
        Some(u) => {
            if !(u.halfwidth > 0.0 && u.halfwidth.is_finite()) {
                return Err(Error::usage(
                    format!("--until-ci {}={}", u.metric, u.halfwidth),
                    "the half-width must be a positive number",
                ));
            }
            Some(
                catalog
                    .metrics
                    .iter()
                    .position(|m| m.id == u.metric)
                    .ok_or_else(|| {
                        Error::usage(
                            format!("--until-ci {}={}", u.metric, u.halfwidth),
                            format!(
                                "no metric `{}` in this scenario{}",
                                u.metric,
                                suggest(&u.metric, catalog.metrics.iter().map(|m| m.id.as_str()))
                            ),
                        )
                    })?,
            )
        }
        None => None,
    };
    let ids: Vec<String> = spec.variants.iter().map(|v| v.id.clone()).collect();
    let keys: Vec<String> = ids.iter().map(|id| super::rows::field(id)).collect();
    let nv = ids.len() as u64;
    let head = header("variant", &catalog);
    let runs_path = dir.join("runs.csv");
    let prog_path = dir.join("progress.json");
    let man_path = dir.join("manifest.json");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctl.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;

    let fresh_target = match &spec.until_ci {
        Some(u) if u.max_runs > 0 => None,
        Some(_) => Some(0),
        None => Some(share_runs(spec.runs, offset, stride)),
    };
    let expect = Progress {
        scenario_hash: spec.scenario_hash.clone(),
        master_seed: spec.master_seed,
        runs: spec.runs,
        variants: ids.clone(),
        shard: spec.shard,
        until_ci: spec.until_ci.as_ref().map(UntilCi::key),
        chunk: ctl.chunk,
        rows_done: 0,
        bytes: head.len() as u64,
        runs_target: fresh_target,
        accumulators: Accumulators::new(&catalog, &ids),
    };
    let manifest_runs = |target: Option<u64>| match (&spec.until_ci, target) {
        (_, Some(t)) if spec.until_ci.is_some() => t,
        (Some(u), None) => u.max_runs,
        _ => spec.runs,
    };

    let (mut prog, started) = if ctl.mode == DirMode::Resume {
        if !prog_path.exists() {
            return Err(Error::usage(
                "--resume",
                format!(
                    "{} holds no interrupted batch (no progress.json)",
                    dir.display()
                ),
            ));
        }
        let p: Progress = read_json(&prog_path)?;
        let mismatch = |what: &str, a: String, b: String| {
            Error::usage(
                "--resume",
                format!(
                    "the batch in {} has {what} {a}, not {b}; repeat its original command \
                     with --resume",
                    dir.display()
                ),
            )
        };
        if p.scenario_hash != expect.scenario_hash {
            return Err(mismatch(
                "scenario hash",
                p.scenario_hash,
                expect.scenario_hash.clone(),
            ));
        }
        if p.master_seed != expect.master_seed {
            return Err(mismatch(
                "seed",
                p.master_seed.to_string(),
                spec.master_seed.to_string(),
            ));
        }
        if p.variants != expect.variants {
            return Err(mismatch("variants", p.variants.join(","), ids.join(",")));
        }
        if p.shard != expect.shard {
            return Err(mismatch(
                "shard",
                format!("{:?}", p.shard),
                format!("{:?}", spec.shard),
            ));
        }
        if p.until_ci != expect.until_ci {
            return Err(mismatch(
                "--until-ci",
                format!("{:?}", p.until_ci),
                format!("{:?}", expect.until_ci),
            ));
        }
        if spec.until_ci.is_none() && p.runs != expect.runs {
            return Err(mismatch("runs", p.runs.to_string(), spec.runs.to_string()));
        }
        if p.chunk != expect.chunk || p.accumulators.variants.len() != ids.len() {
            return Err(mismatch(
                "chunk size",
                p.chunk.to_string(),
                ctl.chunk.to_string(),
            ));
        }
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&runs_path)
            .map_err(|e| Error::io(&runs_path, e))?;
        let len = f.metadata().map_err(|e| Error::io(&runs_path, e))?.len();
        if len < p.bytes {
            return Err(Error::Runtime(format!(
                "{}: shorter than its checkpoint; start afresh with --force",
                runs_path.display()
            )));
        }
        f.set_len(p.bytes).map_err(|e| Error::io(&runs_path, e))?;
        f.sync_all().map_err(|e| Error::io(&runs_path, e))?;
        let started = read_json::<Manifest>(&man_path)
            .map(|m| m.started)
            .unwrap_or_else(|_| rfc3339_now());
        (p, started)
    } else {
        prepare_dir(dir, ctl.mode == DirMode::Force)?;
        let started = rfc3339_now();
        write_atomic(&dir.join("scenario.ron"), spec.scenario_source.as_bytes())?;
        write_atomic(&dir.join("catalog.json"), &json(&catalog)?)?;
        write_atomic(
            &man_path,
            &json(&manifest(spec, manifest_runs(fresh_target), &started, ""))?,
        )?;
        write_atomic(&runs_path, head.as_bytes())?;
        write_atomic(&prog_path, &json(&expect)?)?;
        (expect, started)
    };

    // The running precision of the --until-ci metric, rebuilt from the rows on resume.
    let mut welford = Welford::default();
    if let (Some(m), None) = (ci_metric, prog.runs_target)
        && prog.rows_done > 0
    {
        let col = Layout::of(&catalog).metric(m);
        scan(&runs_path, &head, |r| {
            if let Some(x) = r.num(col)? {
                welford.push(x);
            }
            Ok(())
        })?;
    }

    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&runs_path)
        .map_err(|e| Error::io(&runs_path, e))?;
    let total =
        |t: Option<u64>| nv * t.unwrap_or_else(|| spec.until_ci.as_ref().map_or(0, |u| u.max_runs));
    let pb = if ctl.progress {
        let pb = indicatif::ProgressBar::new(total(prog.runs_target));
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} runs  {per_sec}  ETA {eta}",
        ) {
            pb.set_style(style);
        }
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    pb.set_position(prog.rows_done);
    let mut chunks = 0u64;
    let slice = slice_runs(&catalog, pool.current_num_threads());
    // The checkpoint is rewritten at most every CHECKPOINT_SECS (and before stopping): rows
    // written after it are truncated and recomputed on resume, so a lagging checkpoint is
    // still exact, and big batches do not spend their time rewriting accumulators.
    let mut last_checkpoint = std::time::Instant::now();
    loop {
        let (v, j0, m) = match prog.runs_target {
            Some(m) => {
                if prog.rows_done >= nv * m {
                    break;
                }
                (prog.rows_done / m, prog.rows_done % m, m)
            }
            None => (
                0,
                prog.rows_done,
                spec.until_ci.as_ref().map_or(0, |u| u.max_runs),
            ),
        };
        let cancelled = ctl.cancel.is_some_and(|c| c.load(Ordering::SeqCst))
            || ctl.stop_after_chunks.is_some_and(|k| chunks >= k);
        if cancelled {
            write_atomic(&prog_path, &json(&prog)?)?;
            pb.abandon();
            return Err(Error::Runtime(format!(
                "interrupted after {} of {} rows; the directory is consistent: run the same \
                 command with --resume to complete it",
                prog.rows_done,
                total(prog.runs_target)
            )));
        }
        let j1 = (j0 + ctl.chunk).min(m);
        let sim = &sims[v as usize];
        let mut buf = String::with_capacity((j1 - j0) as usize * 64);
        let mut s0 = j0;
        while s0 < j1 {
            let s1 = (s0 + slice).min(j1);
            let outs: Vec<RunOutcome> = pool.install(|| {
                (s0..s1)
                    .into_par_iter()
                    .map(|j| {
                        let seed = RunSeed {
                            master: spec.master_seed,
                            run_index: offset + j * stride,
                        };
                        sim.run(seed, RunOptions::default())
                    })
                    .collect()
            });
            for (j, o) in (s0..s1).zip(&outs) {
                let mut row = maps[v as usize].row(o);
                row.run = offset + j * stride;
                push_row(&mut buf, &keys[v as usize], &row);
                prog.accumulators
                    .add(&quant, v as usize, &row.series, &row.links);
                if let (Some(mi), None) = (ci_metric, prog.runs_target)
                    && let Some(x) = row.metrics[mi]
                {
                    welford.push(x);
                }
            }
            s0 = s1;
        }
        file.write_all(buf.as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(|e| Error::io(&runs_path, e))?;
        prog.bytes += buf.len() as u64;
        prog.rows_done += j1 - j0;
        let mut target_set = false;
        if prog.runs_target.is_none()
            && let Some(u) = &spec.until_ci
            && (j1 >= u.max_runs || welford.halfwidth().is_some_and(|h| h <= u.halfwidth))
        {
            prog.runs_target = Some(j1);
            pb.set_length(total(prog.runs_target));
            target_set = true;
        }
        if target_set || last_checkpoint.elapsed().as_secs_f64() >= CHECKPOINT_SECS {
            write_atomic(&prog_path, &json(&prog)?)?;
            last_checkpoint = std::time::Instant::now();
        }
        pb.set_position(prog.rows_done);
        chunks += 1;
    }
    pb.finish_and_clear();
    drop(file);
    write_atomic(&prog_path, &json(&prog)?)?;

    let runs = manifest_runs(prog.runs_target);
    let man = manifest(spec, runs, &started, "");
    let summary = finish(
        dir,
        &man,
        &catalog,
        &spec.variants,
        &prog.accumulators,
        sims,
        &maps,
    )?;
    write_atomic(
        &man_path,
        &json(&manifest(spec, runs, &started, &rfc3339_now()))?,
    )?;
    std::fs::remove_file(&prog_path).map_err(|e| Error::io(&prog_path, e))?;

    let precision = match (&spec.until_ci, ci_metric) {
        (Some(u), Some(m)) => {
            let ms = &summary.variants[0].metrics[m];
            Some(Precision {
                metric: u.metric.clone(),
                target: u.halfwidth,
                halfwidth: ms.ci_high.zip(ms.mean).map(|(h, m)| h - m),
                runs,
            })
        }
        _ => None,
    };
    Ok(BatchResult {
        summary,
        precision,
        skipped: false,
    })
}

/// Write accumulators.json, summary.json, summary.csv and the exemplars of a directory whose
/// runs.csv is complete. Shared by batch, resume and merge so all three write the same bytes.
pub(super) fn finish<S: Simulator>(
    dir: &Path,
    man: &Manifest,
    catalog: &Catalog,
    variants: &[VariantInfo],
    acc: &Accumulators,
    sims: &[S],
    maps: &[ColumnMap],
) -> Result<Summary> {
    write_atomic(&dir.join("accumulators.json"), &json(acc)?)?;
    let (summary, picks) = summarize(man, catalog, variants, &dir.join("runs.csv"), acc)?;
    write_atomic(&dir.join("summary.json"), &json(&summary)?)?;
    write_atomic(&dir.join("summary.csv"), summary_csv(&summary).as_bytes())?;
    let key_metric = catalog
        .objectives
        .first()
        .map(|o| o.metric.clone())
        .unwrap_or_else(|| "none".into());
    let nobj = catalog.objectives.len();
    for (v, p) in picks.iter().enumerate() {
        let vdir: PathBuf = dir.join("exemplars").join(safe_file_name(&variants[v].id));
        for (role, pick, what) in [
            ("median", p.median, "median run"),
            (
                "worst",
                p.worst,
                "typical worst-decile run (rank ⌊(n−1)/20⌋)",
            ),
        ] {
            let Some(pick) = pick else { continue };
            let o = sims[v].run(
                RunSeed {
                    master: man.master_seed,
                    run_index: pick.run,
                },
                RunOptions { timeline: true },
            );
            let ex = Exemplar {
                variant: variants[v].id.clone(),
                role: role.into(),
                reason: format!(
                    "{what} of {} ranked by objectives met ({} of {nobj} here), then by {}; \
                     run {}",
                    summary.variants[v].runs, pick.met, key_metric, pick.run
                ),
                outcome: maps[v].outcome(o),
            };
            // Streamed: an exemplar's timeline of a large network runs to tens of megabytes.
            write_atomic_with(&vdir.join(format!("{role}.json")), |w| {
                serde_json::to_writer_pretty(&mut *w, &ex).map_err(std::io::Error::other)?;
                w.write_all(b"\n")
            })?;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn shards_split_run_indices_exactly() {
        let total: u64 = (0..3).map(|k| share_runs(10, k, 3)).sum();
        assert_eq!(total, 10);
        assert_eq!(share_runs(10, 0, 3), 4);
        assert_eq!(share_runs(2, 2, 3), 0);
    }
}
