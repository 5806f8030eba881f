//! The application layer: turns the command line into domain options (`options`) and runs
//! the pipeline scenario → sim → batch → report, doing the printing and the process-level
//! plumbing (Ctrl-C, progress, verbosity). Below this module nothing imports [`crate::cli`],
//! and `batch` never calls `report`: this layer does, after the runs.

mod console;
mod options;

pub(crate) use options::{Request, RunRequest, Verbosity};

use crate::batch::{self, opt, result_table};
use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::ledger;
use crate::output::write_atomic;
use crate::scenario::{self, ValidScenario};
use crate::sim::narrative::{
    folded_narrative, narrative, outcome_table, outcomes_table, series_csv, timeline_csv,
};
use crate::sim::{Model, RunOptions, RunSeed};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Run the command the user asked for.
pub fn run(cli: &Cli) -> Result<()> {
    let (request, v) = Request::from_cli(cli)?;
    execute(&request, v)
}

/// Run one request.
pub(crate) fn execute(request: &Request, v: Verbosity) -> Result<()> {
    match request {
        Request::Validate { files } => validate(files, v),
        Request::New(opts) => {
            scenario::write_starter(opts)?;
            if !v.quiet {
                let p = opts.path.display();
                println!("wrote {p}; check it with `tabletop validate {p}`");
            }
            Ok(())
        }
        Request::Run(r) => run_one(r, v),
        Request::Batch {
            file,
            options,
            report,
        } => {
            let scenario = load(file, v)?;
            if options.uncertainty.is_some() && scenario.uncertain().is_empty() {
                return Err(batch::uncertainty::no_parameters(&scenario));
            }
            if v.verbose {
                eprintln!(
                    "batch of {}: seed {}, {} runs per variant, jobs {}, into {}",
                    file.display(),
                    options.seed,
                    options.runs,
                    options
                        .jobs
                        .map_or_else(|| "all cores".to_string(), |j| j.to_string()),
                    batch::batch_dir(&scenario, options).display()
                );
            }
            let t0 = Instant::now();
            let res = batch::run_scenario_batch(&scenario, options, Some(cancel_flag()))?;
            let dir = batch::batch_dir(&scenario, options);
            if res.skipped {
                if !v.quiet {
                    println!(
                        "{} already holds this batch, finished: nothing to run \
                         (--skip-finished)",
                        dir.display()
                    );
                }
                return Ok(());
            }
            if v.verbose {
                eprintln!("runs finished in {:.1} s", t0.elapsed().as_secs_f64());
            }
            let unc = batch::run_batch_uncertainty(
                &scenario,
                options,
                &res.summary,
                Some(cancel_flag()),
            )?;
            if *report {
                write_report(&dir, v)?;
            }
            if !v.quiet {
                print!("{}", result_table(&res.summary, &dir));
                if let Some(u) = &unc {
                    print!("{}", batch::uncertainty::table(u));
                }
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
            }
            Ok(())
        }
        Request::Sensitivity { file, options } => {
            let scenario = load(file, v)?;
            let res = batch::sensitivity::run_scenario_sensitivity(
                &scenario,
                options,
                Some(cancel_flag()),
            )?;
            if !v.quiet {
                match res.shard {
                    Some(sh) => println!(
                        "shard {sh}: {} of {} design points: {} (join the shards with \
                         `tabletop merge`)",
                        res.points,
                        res.total,
                        res.dir.display()
                    ),
                    None => println!("{} design points: {}", res.points, res.dir.display()),
                }
            }
            Ok(())
        }
        Request::Calibrate { file, options } => {
            let scenario = load(file, v)?;
            let res = batch::calibrate::run_calibration(&scenario, options, Some(cancel_flag()))?;
            if !v.quiet {
                let f = &res.file;
                println!(
                    "{} of {} draws accepted (tolerance {:.3}; the scenario as written: {:.3})",
                    f.accepted, f.draws, f.tolerance, f.nominal_distance
                );
                for p in &f.params {
                    println!(
                        "  {:<32} prior {:>10.4}–{:<10.4} accepted {:>10.4}–{:<10.4} ({:.0}% of the width)",
                        crate::output::display_safe(&p.label),
                        p.prior.0,
                        p.prior.1,
                        p.accepted.0,
                        p.accepted.2,
                        p.width_ratio * 100.0
                    );
                }
                for o in &f.observed {
                    let pct = |c: &batch::summary::ObservedCheck| {
                        c.percentile.map_or("–".to_string(), |p| format!("{p:.0}"))
                    };
                    println!(
                        "  {:<32} percentile as written {:>3}, after calibration {:>3}{}",
                        crate::output::display_safe(&o.id),
                        pct(&o.nominal),
                        pct(&o.posterior),
                        if o.posterior.inside {
                            ""
                        } else {
                            "  (outside 5–95%)"
                        }
                    );
                }
                println!("{}", res.dir.join("calibration.html").display());
                if let Some(p) = &res.written_back {
                    println!("calibrated scenario: {}", p.display());
                }
            }
            Ok(())
        }
        Request::Sweep { file, options } => {
            let scenario = load(file, v)?;
            let t0 = Instant::now();
            let res = batch::run_scenario_sweep(&scenario, options, Some(cancel_flag()))?;
            if v.verbose {
                eprintln!("sweep finished in {:.1} s", t0.elapsed().as_secs_f64());
            }
            if !v.quiet {
                println!(
                    "{} configurations × {} runs: {}",
                    res.configs,
                    options.runs,
                    res.dir.display()
                );
            }
            Ok(())
        }
        Request::Ledger {
            file,
            batch: batch_opts,
            options,
            report,
        } => {
            let scenario = load(file, v)?;
            let mut batch_opts = batch_opts.clone();
            let dir = batch_opts.out.clone().unwrap_or_else(|| {
                PathBuf::from("output")
                    .join(scenario.stem())
                    .join(format!("ledger-{}", options.seed))
            });
            batch_opts.out = Some(dir.clone());
            // One writer for the whole ledger directory (the batch below re-enters it).
            let _lock = batch::lock::DirLock::acquire(&dir, "--out")?;
            let t0 = Instant::now();
            // The scenario as written, as a batch: runs, summary and (later) the report the
            // ledger section joins. It also checks the output directory before the ledger.
            let res = batch::run_scenario_batch(&scenario, &batch_opts, Some(cancel_flag()))?;
            let l = ledger::compute(&scenario, options)?;
            ledger::write(&l, &dir)?;
            if v.verbose {
                eprintln!(
                    "ledger finished in {:.1} s ({} runs)",
                    t0.elapsed().as_secs_f64(),
                    l.manifest.total_runs
                );
            }
            if *report && options.shard.is_none() {
                write_report(&dir, v)?;
            }
            if !v.quiet {
                if options.shard.is_none() {
                    print!("{}", ledger::table(&l));
                    println!("{}", dir.join("report.html").display());
                } else {
                    print!("{}", result_table(&res.summary, &dir));
                    println!(
                        "ledger part {} of {} players: {}",
                        l.manifest.shard,
                        l.players.len(),
                        dir.join("ledger.json").display()
                    );
                }
            }
            Ok(())
        }
        Request::Merge {
            options,
            report,
            jobs,
            check,
        } => {
            if options
                .dirs
                .iter()
                .any(|d| batch::sensitivity::is_shard_dir(d))
            {
                let res = batch::sensitivity::merge_sensitivity_shards(options, *check)?;
                if !v.quiet {
                    if *check {
                        println!("sensitivity shards of one study, all finished: ready to merge");
                    } else {
                        println!("{} design points: {}", res.total, res.dir.display());
                    }
                }
                return Ok(());
            }
            if *check {
                let plan = batch::check_shards(options)?;
                if !v.quiet {
                    println!(
                        "{} shards of one batch, all finished: ready to merge",
                        plan.dirs.len()
                    );
                }
                return Ok(());
            }
            let summary = batch::merge_shards(options)?;
            let parts: Vec<&PathBuf> = options
                .dirs
                .iter()
                .filter(|d| ledger::is_ledger_dir(d))
                .collect();
            if !parts.is_empty() {
                if parts.len() != options.dirs.len() {
                    return Err(Error::usage(
                        "merge",
                        "some shard directories hold a ledger part and some do not",
                    ));
                }
                let scenario = crate::scenario::load(&options.out.join("scenario.ron"))?;
                let l = ledger::merge(&scenario, &options.dirs, *jobs, !v.quiet)?;
                ledger::write(&l, &options.out)?;
                if !v.quiet {
                    print!("{}", ledger::table(&l));
                }
            }
            if *report {
                write_report(&options.out, v)?;
            }
            if !v.quiet {
                print!("{}", result_table(&summary, &options.out));
            }
            Ok(())
        }
        Request::ImportMsel { csv, into, out } => {
            let (s, path) = scenario::import::import_file(csv, into, out.as_deref())?;
            if !v.quiet {
                println!(
                    "{}: {} injects updated, {} added, {} unchanged{}",
                    path.display(),
                    s.updated,
                    s.added,
                    s.unchanged,
                    if s.not_in_msel.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; kept {} not in the MSEL ({})",
                            s.not_in_msel.len(),
                            s.not_in_msel.join(", ")
                        )
                    }
                );
                if s.added > 0 {
                    println!(
                        "new injects have `effect: Note`: give each a model effect, then \
                         `tabletop validate {}`",
                        path.display()
                    );
                }
            }
            Ok(())
        }
        Request::Report { dir, session } => {
            // The session's section first: the report includes it.
            let page = match session {
                Some(log) => Some(console::session_report(dir, log, v)?),
                None => None,
            };
            write_report(dir, v)?;
            if !v.quiet {
                println!("{}", dir.join("report.html").display());
                if let Some(page) = page {
                    println!("{}", page.display());
                }
            }
            Ok(())
        }
        Request::Serve(r) => console::serve(r, v),
        Request::Replay { log, out, scenario } => console::replay(log, out, scenario.as_deref(), v),
    }
}

/// Load a scenario; under `-v`, print its warnings.
fn load(file: &Path, v: Verbosity) -> Result<ValidScenario> {
    let scenario = scenario::load(file)?;
    let max = v
        .max_work
        .map_or(scenario::budget::DEFAULT_MAX_WORK, |m| m as f64);
    let e = scenario::budget::check(&scenario, max)?;
    if v.verbose {
        eprintln!(
            "estimated per run: {:.0} work units, {:.1} MiB",
            e.work,
            e.memory / 1048576.0
        );
    }
    if v.verbose {
        for w in scenario.warnings() {
            eprint!("{w}");
        }
    }
    Ok(scenario)
}

fn write_report(dir: &Path, v: Verbosity) -> Result<()> {
    let t0 = Instant::now();
    crate::report::write_report(dir)?;
    if v.verbose {
        eprintln!("report written in {:.1} s", t0.elapsed().as_secs_f64());
    }
    Ok(())
}

/// `tabletop validate`: print every file's diagnostics and a summary line per file; exit 2
/// when any file is invalid or over the work or memory budget that every command running it
/// applies (`--max-work` raises it here too).
fn validate(files: &[PathBuf], v: Verbosity) -> Result<()> {
    let (report, ok) = scenario::validate_files(files);
    if !ok {
        return Err(Error::Invalid(report));
    }
    let max = v
        .max_work
        .map_or(scenario::budget::DEFAULT_MAX_WORK, |m| m as f64);
    let mut over = Vec::new();
    for f in files {
        match scenario::load(f).and_then(|s| scenario::budget::check(&s, max)) {
            Ok(e) if v.verbose => eprintln!(
                "{}: estimated per run: {:.0} work units, {:.1} MiB",
                f.display(),
                e.work,
                e.memory / 1048576.0
            ),
            Ok(_) => {}
            Err(e) => over.push(e),
        }
    }
    match over.pop() {
        Some(last) => {
            for e in over {
                eprintln!("error: {e}");
            }
            Err(last)
        }
        None => {
            if !v.quiet {
                println!("{report}");
            }
            Ok(())
        }
    }
}

/// `tabletop run`: simulate one run, print its narrative and tables, write `timeline.csv`,
/// `series.csv` and `outcome.json`.
fn run_one(r: &RunRequest, v: Verbosity) -> Result<()> {
    let base = load(&r.file, v)?;
    let scn = match &r.variant {
        Some(id) => base.with_variant(id)?,
        None => base,
    };
    let out: PathBuf = r.out.clone().unwrap_or_else(|| {
        let mut p = PathBuf::from("output");
        p.push(scn.stem());
        let mut leaf = format!("run-{}", r.seed);
        if r.run_index != 0 {
            leaf.push_str(&format!("-{}", r.run_index));
        }
        if let Some(id) = &r.variant {
            leaf.push('-');
            leaf.push_str(&crate::output::safe_file_name(id));
        }
        p.push(leaf);
        p
    });
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let model = Model::new(&scn);
    let outcome = model.run(
        RunSeed {
            master: r.seed,
            run_index: r.run_index,
        },
        RunOptions { timeline: true },
    );
    let cat = model.catalog();
    let spec = scn.spec();
    if !v.quiet {
        println!(
            "{} — seed {}, run {}{}",
            spec.exercise.name,
            r.seed,
            r.run_index,
            r.variant
                .as_ref()
                .map(|id| format!(", variant {id}"))
                .unwrap_or_default()
        );
        println!("Handling: {}\n", spec.exercise.marking);
        if r.full {
            print!("{}", narrative(&outcome, &spec.exercise.start_label));
            print!("{}", outcome_table(cat, &outcome));
        } else {
            print!(
                "{}",
                folded_narrative(cat, &outcome, &spec.exercise.start_label)
            );
            print!("{}", outcomes_table(cat, &outcome));
        }
    }
    write_run_files(&out, &scn, &model, &outcome, r.seed, r.variant.as_deref())?;
    if !v.quiet {
        println!("\nWrote {}", out.display());
    }
    Ok(())
}

/// Write a run's `timeline.csv`, `series.csv` and `outcome.json` into `out` (`tabletop run`
/// and `tabletop replay` write the same files).
pub(crate) fn write_run_files(
    out: &Path,
    scn: &ValidScenario,
    model: &Model,
    outcome: &crate::sim::RunOutcome,
    seed: u64,
    variant: Option<&str>,
) -> Result<()> {
    let cat = model.catalog();
    write_atomic(&out.join("timeline.csv"), &timeline_csv(outcome)?)?;
    write_atomic(&out.join("series.csv"), &series_csv(cat, outcome)?)?;
    let json = serde_json::to_vec_pretty(&serde_json::json!({
        "scenario": scn.spec().exercise.name,
        "scenario_hash": scn.hash(),
        "seed": seed,
        "run_index": outcome.run_index,
        "variant": variant,
        "version": env!("CARGO_PKG_VERSION"),
        "catalog": cat,
        "outcome": outcome,
    }))
    .map_err(|e| Error::Runtime(format!("writing outcome.json: {e}")))?;
    write_atomic(&out.join("outcome.json"), &json)
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
