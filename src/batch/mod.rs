//! Monte Carlo batches: parallel runs, streamed rows, summary, shards and merge, sweeps.
//!
//! The runner is generic over [`Simulator`], implemented by the engine's
//! [`crate::sim::Model`] and by [`synthetic::Synthetic`] (closed-form distributions for tests
//! and benches). See `docs/batch.md` for the files, statistics and guarantees.

pub mod accum;
pub mod merge;
pub mod rows;
pub mod runner;
pub mod simulator;
pub mod stats;
pub mod summarize;
pub mod summary;
pub mod sweep;
pub mod synthetic;

pub use runner::{BatchResult, BatchSpec, Control, DirMode, Precision, UntilCi, run_batch};
pub use simulator::Simulator;
pub use summarize::VariantInfo;

use crate::cli::{BatchArgs, MergeArgs, SweepArgs};
use crate::error::{Error, Result};
use crate::scenario::ValidScenario;
use crate::scenario::schema::ChangeSpec;
use crate::sim::Model;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use summary::Summary;

/// Parse `--shard K/N` (1 ≤ K ≤ N).
pub fn parse_shard(s: &str) -> Result<(u64, u64)> {
    let bad = || {
        Error::Usage(format!(
            "--shard {s}: expected K/N with 1 ≤ K ≤ N, e.g. 2/3"
        ))
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Parse `--until-ci METRIC=HALFWIDTH` with the `--max-runs` cap.
pub fn parse_until_ci(s: &str, max_runs: u64) -> Result<UntilCi> {
    let bad = || {
        Error::Usage(format!(
            "--until-ci {s}: expected METRIC=HALFWIDTH with a positive half-width, e.g. \
             time_to_detection=0.5"
        ))
    };
    let (m, h) = s.split_once('=').ok_or_else(bad)?;
    let h: f64 = h.trim().parse().map_err(|_| bad())?;
    if m.trim().is_empty() || !(h > 0.0 && h.is_finite()) {
        return Err(bad());
    }
    Ok(UntilCi {
        metric: m.trim().to_string(),
        halfwidth: h,
        max_runs,
    })
}

/// The process's command line, shell-quoted where needed (for manifests).
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

static CANCEL: AtomicBool = AtomicBool::new(false);

/// Install the Ctrl-C handler once: the first Ctrl-C stops after the current chunk, the
/// second exits at once (the checkpoint is still consistent).
fn cancel_flag() -> &'static AtomicBool {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if CANCEL.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nstopping after the current chunk (Ctrl-C again to quit now)…");
        });
    });
    &CANCEL
}

/// Variant ids to run beside the baseline, in the order given (or scenario order for
/// `--all-variants`), each checked against the scenario.
pub fn resolve_variants(
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
            return Err(Error::Usage(format!(
                "--variant {a}: no such variant{hint}; {list}"
            )));
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

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into())
}

/// The short result table printed at the end of a batch or merge.
pub fn result_table(s: &Summary, dir: &Path) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    for v in &s.variants {
        let _ = writeln!(t, "{} ({} runs)", v.name, v.runs);
        for o in &v.objectives {
            let _ = writeln!(
                t,
                "  {:<32} P(met) {:.3} [{:.3}, {:.3}]  {}",
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
        for m in b.metrics.iter().take(8) {
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

/// `tabletop batch`.
pub fn cmd_batch(args: &BatchArgs) -> Result<()> {
    if args.resume && args.force {
        return Err(Error::Usage(
            "--resume and --force exclude each other".into(),
        ));
    }
    let scenario = crate::scenario::load(&args.file)?;
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let until_ci = args
        .until_ci
        .as_deref()
        .map(|s| parse_until_ci(s, args.max_runs))
        .transpose()?;
    let ids = resolve_variants(&scenario, &args.variants, args.all_variants)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output")
            .join(scenario.stem())
            .join(format!("batch-{}", args.seed))
    });
    // Fail on a bad output directory before building variants or running anything.
    if !args.resume {
        runner::prepare_dir(&dir, args.force)?;
    }
    let (sims, infos) = build_variants(&scenario, &ids)?;
    let spec = BatchSpec {
        scenario_name: scenario.spec.exercise.name.clone(),
        scenario_file: scenario.path.display().to_string(),
        scenario_hash: scenario.hash.clone(),
        marking: scenario.spec.exercise.marking.clone(),
        scenario_source: scenario.source.clone(),
        master_seed: args.seed,
        runs: args.runs,
        variants: infos,
        shard,
        until_ci,
        command: command_line(),
    };
    let ctl = Control {
        jobs: args.jobs,
        progress: true,
        cancel: Some(cancel_flag()),
        mode: if args.resume {
            DirMode::Resume
        } else {
            DirMode::Force
        },
        ..Control::default()
    };
    let res = run_batch(&spec, &sims, &dir, &ctl)?;
    if !args.no_report {
        crate::report::write_report(&dir)?;
    }
    print!("{}", result_table(&res.summary, &dir));
    if let Some(p) = res.precision {
        let reached = p.halfwidth.is_some_and(|h| h <= p.target);
        println!(
            "--until-ci: 95% half-width of {} is {} after {} runs ({} the target {})",
            p.metric,
            opt(p.halfwidth),
            p.runs,
            if reached {
                "within"
            } else {
                "NOT within, --max-runs reached;"
            },
            p.target
        );
    }
    Ok(())
}

/// `tabletop merge`.
pub fn cmd_merge(args: &MergeArgs) -> Result<()> {
    let plan = merge::check(&args.dirs)?;
    let scenario = crate::scenario::load_str(
        Path::new(&plan.manifest.scenario_file),
        &plan.scenario_source,
    )?;
    let ids: Vec<String> = plan.variants.iter().skip(1).map(|v| v.id.clone()).collect();
    let (sims, _) = build_variants(&scenario, &ids)?;
    let summary = merge::write(&plan, &sims, &args.out, args.force, &command_line())?;
    if !args.no_report {
        crate::report::write_report(&args.out)?;
    }
    print!("{}", result_table(&summary, &args.out));
    Ok(())
}

/// `tabletop sweep`.
pub fn cmd_sweep(args: &SweepArgs) -> Result<()> {
    let scenario = crate::scenario::load(&args.file)?;
    let params: Vec<sweep::Param> = args
        .params
        .iter()
        .map(|p| sweep::parse_param(p))
        .collect::<Result<_>>()?;
    let configs = sweep::design(&params, &args.design, args.samples, args.seed)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output")
            .join(scenario.stem())
            .join(format!("sweep-{}", args.seed))
    });
    runner::prepare_dir(&dir, args.force)?;
    let mut sims = Vec::with_capacity(configs.len());
    for c in &configs {
        let changes: Vec<ChangeSpec> = params
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
            master_seed: args.seed,
            runs: args.runs,
            variants: Vec::new(),
            shard: None,
            command: command_line(),
            started: String::new(),
            finished: String::new(),
        },
        scenario_source: scenario.source.clone(),
        paths: params.iter().map(|p| p.path.clone()).collect(),
        configs,
        runs: args.runs,
    };
    let ctl = Control {
        jobs: args.jobs,
        progress: true,
        cancel: Some(cancel_flag()),
        mode: DirMode::Force,
        ..Control::default()
    };
    sweep::run_sweep(&spec, &sims, &dir, &ctl)?;
    println!(
        "{} configurations × {} runs: {}",
        spec.configs.len(),
        args.runs,
        dir.display()
    );
    Ok(())
}
