//! Monte Carlo batches: parallel runs, streamed rows, summary, shards and merge, sweeps.
//!
//! The runner is generic over [`Simulator`], implemented by the engine's
//! [`crate::sim::Model`] and, for tests and benches, by `synthetic::Synthetic` (closed-form
//! distributions; feature `test-support`). See `docs/batch.md` for the files, statistics and
//! guarantees. Charts and the report are not made here: the app layer calls
//! [`crate::report`] on the directory a batch wrote.

pub mod abc;
pub mod accum;
pub mod calibrate;
pub mod lock;
pub mod merge;
mod observed;
mod options;
mod rows;
mod runner;
pub mod sensitivity;
mod simulator;
pub mod stats;
mod summarize;
pub mod summary;
pub mod sweep;
#[cfg(any(test, feature = "test-support"))]
pub mod synthetic;
pub mod uncertainty;

pub use options::Shard;
pub(crate) use options::{BatchOptions, CiTarget, MergeExpect, MergeOptions, SweepOptions};
pub use runner::{BatchResult, BatchSpec, Control, DirMode, UntilCi, run_batch};
pub use simulator::Simulator;
pub use summarize::VariantInfo;

use crate::error::{Error, Result};
use crate::scenario::ValidScenario;
use crate::scenario::schema::ChangeSpec;
use crate::sim::Model;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use summary::Summary;

/// Variant ids to run beside the baseline, in the order given (or scenario order for
/// `all`), each checked against the scenario.
pub(crate) fn resolve_variants(
    scenario: &ValidScenario,
    asked: &[String],
    all: bool,
) -> Result<Vec<String>> {
    let known: Vec<&str> = scenario
        .spec
        .variants
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    let mut out: Vec<String> = if all {
        known.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    for a in asked {
        if !known.contains(&a.as_str()) {
            let hint = runner::suggest(a, known.iter().copied());
            let list = if known.is_empty() {
                "the scenario defines no variants".to_string()
            } else {
                format!("known: {}", known.join(", "))
            };
            return Err(Error::usage(
                format!("--variant {a}"),
                format!("no such variant{hint}; {list}"),
            ));
        }
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    Ok(out)
}

/// Baseline and variant simulators and descriptions for a scenario.
fn build_variants(
    scenario: &ValidScenario,
    ids: &[String],
) -> Result<(Vec<Model>, Vec<VariantInfo>)> {
    let mut sims = vec![Model::new(scenario)];
    let mut infos = vec![VariantInfo::baseline()];
    for id in ids {
        let vs = scenario.with_variant(id)?;
        sims.push(Model::new(&vs));
        let spec = scenario.spec.variants.iter().find(|v| &v.id == id);
        infos.push(VariantInfo {
            id: id.clone(),
            name: spec.map(|v| v.name.clone()).unwrap_or_else(|| id.clone()),
            recommendation: spec
                .and_then(|v| v.recommendation)
                .map(|r| format!("{r:?}")),
            description: spec.map(|v| v.description.clone()).unwrap_or_default(),
        });
    }
    Ok((sims, infos))
}

/// A number with three decimals, or `—`.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into())
}

/// The short result table printed at the end of a batch or merge.
pub(crate) fn result_table(s: &Summary, dir: &Path) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    for v in &s.variants {
        let _ = writeln!(t, "{} ({} runs)", v.name, v.runs);
        for o in &v.objectives {
            let na = if o.not_applicable > 0 {
                format!(
                    "  (over {} runs; {} N/A: no active insider or threat not real)",
                    o.n, o.not_applicable
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                t,
                "  {:<32} P(met) {:.3} [{:.3}, {:.3}]  {}{na}",
                o.id, o.p, o.ci_low, o.ci_high, o.rating
            );
        }
        for p in v.paired.iter().filter(|p| p.id.starts_with("obj:")) {
            let _ = writeln!(
                t,
                "  {:<32} vs baseline {} [{}, {}]",
                p.id,
                opt(p.mean_diff),
                opt(p.ci_low),
                opt(p.ci_high)
            );
        }
    }
    if let Some(b) = s.variants.first() {
        let _ = writeln!(t, "Key metrics (baseline): mean [95% CI] (p5–p95)");
        // a metric with the same value in every run tells nothing here (the report's
        // distributions chart leaves such metrics out too)
        for m in b.metrics.iter().filter(|m| !m.is_constant()).take(8) {
            let _ = writeln!(
                t,
                "  {:<32} {} [{}, {}] ({}–{}) {}",
                m.id,
                opt(m.mean),
                opt(m.ci_low),
                opt(m.ci_high),
                opt(m.p5),
                opt(m.p95),
                m.unit
            );
        }
    }
    let _ = writeln!(t, "Files: {}", dir.display());
    t
}

/// The directory a batch writes: `opts.out`, or `output/<scenario>/batch-<seed>/`.
pub(crate) fn batch_dir(scenario: &ValidScenario, opts: &BatchOptions) -> PathBuf {
    opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("output")
            .join(scenario.stem())
            .join(format!("batch-{}", opts.seed))
    })
}

/// Run the batch `opts` describes of `scenario` (baseline and the variants asked for) into
/// [`batch_dir`]: runs, summary, manifest and exemplars, but not the report. A bad variant or
/// output directory fails before any run.
pub(crate) fn run_scenario_batch(
    scenario: &ValidScenario,
    opts: &BatchOptions,
    cancel: Option<&AtomicBool>,
) -> Result<BatchResult> {
    let ids = resolve_variants(scenario, &opts.variants, opts.all_variants)?;
    let dir = batch_dir(scenario, opts);
    let _lock = lock::DirLock::acquire(&dir, "--out")?;
    if opts.skip_finished
        && let Some(summary) = finished_batch(scenario, opts, &ids, &dir)?
    {
        return Ok(BatchResult {
            summary,
            precision: None,
            skipped: true,
        });
    }
    // Fail on a bad output directory before building variants or running anything.
    if opts.mode != DirMode::Resume {
        runner::prepare_dir(&dir, opts.mode == DirMode::Force)?;
    }
    let (sims, infos) = build_variants(scenario, &ids)?;
    let spec = BatchSpec {
        scenario_name: scenario.spec.exercise.name.clone(),
        scenario_file: scenario.path.display().to_string(),
        scenario_hash: scenario.hash.clone(),
        marking: scenario.spec.exercise.marking.clone(),
        scenario_source: scenario.source.clone(),
        master_seed: opts.seed,
        runs: opts.runs,
        variants: infos,
        shard: opts.shard.map(|s| (s.k, s.n)),
        until_ci: opts.until_ci.clone(),
        command: opts.command.clone(),
    };
    let ctl = Control {
        jobs: opts.jobs,
        progress: opts.progress,
        cancel,
        mode: if opts.mode == DirMode::Resume {
            DirMode::Resume
        } else {
            DirMode::Force
        },
        ..Control::default()
    };
    run_batch(&spec, &sims, &dir, &ctl)
}

/// Two-level Monte Carlo over the uncertain parameters of the batch `summary` summarises
/// (`batch --uncertainty`), into the batch's directory; None when `opts` does not ask for it.
pub(crate) fn run_batch_uncertainty(
    scenario: &ValidScenario,
    opts: &BatchOptions,
    summary: &Summary,
    cancel: Option<&AtomicBool>,
) -> Result<Option<uncertainty::UncertaintySummary>> {
    let Some(u) = opts.uncertainty else {
        return Ok(None);
    };
    let ids: Vec<String> = summary
        .variants
        .iter()
        .skip(1)
        .map(|v| v.id.clone())
        .collect();
    let ctl = Control {
        jobs: opts.jobs,
        progress: opts.progress,
        cancel,
        ..Control::default()
    };
    let dir = batch_dir(scenario, opts);
    uncertainty::run(scenario, &ids, summary, u, &ctl, &dir).map(Some)
}

/// The summary of the finished batch in `dir`, when it is exactly the batch `opts` asks for
/// (same scenario bytes, seed, runs, variants, shard and tool version; no checkpoint left);
/// None when `dir` holds nothing finished or something else (which is then overwritten).
fn finished_batch(
    scenario: &ValidScenario,
    opts: &BatchOptions,
    ids: &[String],
    dir: &Path,
) -> Result<Option<Summary>> {
    let (man, sum) = (dir.join("manifest.json"), dir.join("summary.json"));
    if opts.until_ci.is_some()
        || dir.join("progress.json").exists()
        || !man.exists()
        || !sum.exists()
    {
        return Ok(None);
    }
    let Ok(m) = crate::output::read_json::<summary::Manifest>(&man) else {
        return Ok(None);
    };
    let mut variants = vec!["baseline".to_string()];
    variants.extend(ids.iter().cloned());
    let same = m.scenario_hash == scenario.hash
        && m.master_seed == opts.seed
        && m.runs == opts.runs
        && m.variants == variants
        && m.shard == opts.shard.map(|s| (s.k, s.n))
        && m.version == env!("CARGO_PKG_VERSION")
        && !m.finished.is_empty();
    if !same {
        return Ok(None);
    }
    Ok(crate::output::read_json::<Summary>(&sum).ok())
}

/// Merge the shard directories of `opts` into `opts.out` (no report); the merged summary.
pub(crate) fn merge_shards(opts: &MergeOptions) -> Result<Summary> {
    let _lock = lock::DirLock::acquire(&opts.out, "--out")?;
    let plan = check_shards(opts)?;
    let scenario = crate::scenario::load_str(
        Path::new(&plan.manifest.scenario_file),
        &plan.scenario_source,
    )?;
    let ids: Vec<String> = plan.variants.iter().skip(1).map(|v| v.id.clone()).collect();
    let (sims, _) = build_variants(&scenario, &ids)?;
    merge::write(&plan, &sims, &opts.out, opts.force, &opts.command)
}

/// Check the shards of `opts` as [`merge_shards`] would, and against `opts.expect`, without
/// writing anything (`tabletop merge --check`).
pub(crate) fn check_shards(opts: &MergeOptions) -> Result<merge::MergePlan> {
    let plan = merge::check(&opts.dirs)?;
    let e = &opts.expect;
    let scenario = match &e.scenario {
        Some(f) => Some(crate::scenario::load(f)?),
        None => None,
    };
    let variants = match (&scenario, e.all_variants) {
        (Some(s), true) => Some(resolve_variants(s, &[], true)?),
        (None, true) => {
            return Err(Error::usage(
                "--all-variants",
                "needs --scenario FILE to know the variants",
            ));
        }
        (_, false) if !e.variants.is_empty() => Some(e.variants.clone()),
        _ => None,
    };
    merge::check_expected(
        &plan,
        e,
        scenario.as_ref().map(|s| s.hash.as_str()),
        variants.as_deref(),
    )?;
    Ok(plan)
}

/// What a sweep wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SweepResult {
    /// The sweep directory.
    pub dir: PathBuf,
    /// Configurations run.
    pub configs: usize,
}

/// Run the sweep `opts` describes of `scenario` into `opts.out` (or
/// `output/<scenario>/sweep-<seed>/`).
pub(crate) fn run_scenario_sweep(
    scenario: &ValidScenario,
    opts: &SweepOptions,
    cancel: Option<&AtomicBool>,
) -> Result<SweepResult> {
    let configs = sweep::design(&opts.params, opts.design, opts.samples, opts.seed)?;
    let dir = opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("output")
            .join(scenario.stem())
            .join(format!("sweep-{}", opts.seed))
    });
    let _lock = lock::DirLock::acquire(&dir, "--out")?;
    runner::prepare_dir(&dir, opts.force)?;
    let mut sims = Vec::with_capacity(configs.len());
    for c in &configs {
        let changes: Vec<ChangeSpec> = opts
            .params
            .iter()
            .zip(c)
            .map(|(p, v)| ChangeSpec::Set(p.path.clone(), v.clone()))
            .collect();
        sims.push(Model::new(&scenario.with_changes(&changes)?));
    }
    let spec = sweep::SweepSpec {
        manifest: summary::Manifest {
            tool: "tabletop".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_name: scenario.spec.exercise.name.clone(),
            scenario_file: scenario.path.display().to_string(),
            scenario_hash: scenario.hash.clone(),
            marking: scenario.spec.exercise.marking.clone(),
            master_seed: opts.seed,
            runs: opts.runs,
            variants: Vec::new(),
            shard: None,
            command: opts.command.clone(),
            started: String::new(),
            finished: String::new(),
        },
        scenario_source: scenario.source.clone(),
        paths: opts.params.iter().map(|p| p.path.clone()).collect(),
        configs,
        runs: opts.runs,
    };
    let ctl = Control {
        jobs: opts.jobs,
        progress: opts.progress,
        cancel,
        mode: DirMode::Force,
        ..Control::default()
    };
    sweep::run_sweep(&spec, &sims, &dir, &ctl)?;
    Ok(SweepResult {
        dir,
        configs: spec.configs.len(),
    })
}
