//! `tabletop calibrate`: rejection ABC over the scenario's uncertain parameters against its
//! observed values (docs/model.md §"Calibration").
//!
//! The prior draws are a Latin hypercube of the parameters' distributions on their own random
//! stream. Each draw runs R seeded runs on common random numbers (run j of every draw uses run
//! seed j of the master seed), and reduces each observed value's metric to one statistic: its
//! median over the runs, where a time that never happened counts as the end of the exercise;
//! for an observed `never`, the share of runs where the event did happen. The [`abc`] functions
//! then accept the fraction of draws closest to the observed values. Draws are evaluated in
//! parallel and collected in draw order, so every file is byte-identical for any `--jobs`.

use super::abc::{self, Target};
use super::rows::field;
use super::stats::percentile_sorted;
use super::summary::ObservedCheck;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::scenario::ValidScenario;
use crate::scenario::uncertainty::{Dist, ParamEdit, UncertainParam};
use crate::sim::{Model, ObservedDef, ObservedKind, RunOptions, RunSeed};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Random stream of the prior design (the sweep's is `u64::MAX`, the two-level batch's
/// `u64::MAX − 1`).
pub(crate) const PRIOR_STREAM: u64 = u64::MAX - 2;

/// Fewest accepted draws from which a calibrated distribution is written back.
pub const MIN_ACCEPTED_FOR_WRITE_BACK: usize = 5;

/// Options of `tabletop calibrate`.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrateOptions {
    /// Prior draws (≥ 2).
    pub draws: u64,
    /// Seeded runs per draw (≥ 1).
    pub runs_per_draw: u64,
    /// Share of the draws accepted, in (0, 1].
    pub accept: f64,
    /// Calibrate this variant instead of the scenario as written.
    pub variant: Option<String>,
    /// Worker threads (None: all cores).
    pub jobs: Option<usize>,
    /// Master seed.
    pub seed: u64,
    /// Output directory (None: `output/<scenario>/calibrate-<seed>/`).
    pub out: Option<PathBuf>,
    /// Write the scenario with the calibrated distributions to this file.
    pub write_back: Option<PathBuf>,
    /// With `write_back`, also set each parameter's nominal value to its accepted median.
    pub set_nominal: bool,
    /// Show a progress bar.
    pub progress: bool,
}

/// What `calibration.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFile {
    /// Scenario name.
    pub scenario: String,
    /// Hash of the scenario file.
    pub scenario_hash: String,
    /// Version of tabletop.
    pub version: String,
    /// Variant calibrated ("baseline": the scenario as written).
    pub variant: String,
    /// Master seed.
    pub master_seed: u64,
    /// Prior draws.
    pub draws: u64,
    /// Runs per draw.
    pub runs_per_draw: u64,
    /// Share of draws accepted (asked).
    pub accept_fraction: f64,
    /// Draws accepted.
    pub accepted: usize,
    /// Largest distance among the accepted draws (the ABC tolerance ε).
    pub tolerance: f64,
    /// Distance of the scenario as written (same seeds).
    pub nominal_distance: f64,
    /// One per uncertain parameter.
    pub params: Vec<CalibratedParam>,
    /// One per observed value.
    pub observed: Vec<CalibratedObserved>,
}

/// What the observed values say about one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedParam {
    /// Label.
    pub label: String,
    /// Variant path.
    pub path: String,
    /// Prior distribution, as written.
    pub prior_dist: String,
    /// Source of the prior.
    pub source: String,
    /// Value written in the scenario.
    pub nominal: f64,
    /// Prior p5 and p95 (over the draws).
    pub prior: (f64, f64),
    /// Accepted p5, median and p95.
    pub accepted: (f64, f64, f64),
    /// Accepted mean and standard deviation.
    pub accepted_mean: f64,
    /// Standard deviation.
    pub accepted_sd: f64,
    /// Accepted p5–p95 width over the prior's: near 1, the observed values say nothing about
    /// this parameter; near 0, they pin it down.
    pub width_ratio: f64,
    /// The distribution a write-back gives it: a normal with the accepted mean and standard
    /// deviation, cut to the prior's range (None with too few accepted draws).
    pub posterior_dist: Option<String>,
}

/// One observed value against the simulation before and after calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedObserved {
    /// Observed value id.
    pub id: String,
    /// What the distance compares: `median` of the metric, or `share happened` for `never`.
    pub statistic: String,
    /// The scenario as written, on the same R seeds.
    pub nominal: ObservedCheck,
    /// All runs of all prior draws (the prior predictive distribution).
    pub prior: ObservedCheck,
    /// All runs of the accepted draws (the posterior predictive distribution).
    pub posterior: ObservedCheck,
}

/// Where a calibration went.
#[derive(Debug, Clone)]
pub struct CalibrateRun {
    /// Output directory.
    pub dir: PathBuf,
    /// What was written to `calibration.json`.
    pub file: CalibrationFile,
    /// The scenario written back, if asked.
    pub written_back: Option<PathBuf>,
}

/// The per-run values of each observed value's metric in one draw (None: no value in that
/// run; the metric missing from the draw's catalog gives all None).
fn observed_values(
    model: &Model,
    obs: &[ObservedDef],
    seed: u64,
    runs: u64,
) -> Vec<Vec<Option<f64>>> {
    let cat = model.catalog();
    let cols: Vec<Option<usize>> = obs
        .iter()
        .map(|o| cat.metrics.iter().position(|m| m.id == o.metric))
        .collect();
    let mut out = vec![Vec::with_capacity(runs as usize); obs.len()];
    for j in 0..runs {
        let o = model.run(
            RunSeed {
                master: seed,
                run_index: j,
            },
            RunOptions::default(),
        );
        for (k, c) in cols.iter().enumerate() {
            out[k].push(c.and_then(|c| o.metrics.get(c).copied().flatten()));
        }
    }
    out
}

/// One draw's statistic for an observed value (see the module docs); None when no run gives
/// the metric a value (a metric other than a time).
fn statistic(def: &ObservedDef, time: bool, horizon: f64, vals: &[Option<f64>]) -> Option<f64> {
    if def.kind == ObservedKind::Never {
        if vals.is_empty() {
            return None;
        }
        let happened = vals.iter().filter(|v| v.is_some()).count();
        return Some(happened as f64 / vals.len() as f64);
    }
    let mut xs: Vec<f64> = vals
        .iter()
        .filter_map(|v| match v {
            Some(x) => Some(*x),
            None if time => Some(horizon),
            None => None,
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    percentile_sorted(&xs, 0.5)
}

/// The target of an observed value's statistic.
fn target(def: &ObservedDef) -> Target {
    let v = def.value.unwrap_or(0.0);
    match def.kind {
        ObservedKind::Value => Target::Value(v),
        ObservedKind::AtLeast => Target::AtLeast(v),
        ObservedKind::AtMost => Target::AtMost(v),
        // The share of runs where it happened should be 0.
        ObservedKind::Never => Target::AtMost(0.0),
    }
}

/// Round to 4 significant digits, for distributions a planner reads.
fn sig4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let mag = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * mag).round() / mag
}

/// A normal with the accepted mean and standard deviation, cut to the prior's range.
fn posterior_dist(prior: &Dist, mean: f64, sd: f64) -> Option<Dist> {
    let (lo, hi) = prior.range();
    let (lo, hi) = (sig4(lo), sig4(hi));
    let sd = sig4(sd);
    (sd > 0.0 && lo < hi).then_some(Dist::Normal {
        mean: sig4(mean.clamp(lo, hi)),
        sd,
        lo,
        hi,
    })
}

/// One draw's result.
struct Draw {
    values: Vec<f64>,
    /// `[observed][run]`.
    runs: Vec<Vec<Option<f64>>>,
    stats: Vec<Option<f64>>,
}

/// Run the calibration `opts` describes and write its files.
pub fn run_calibration(
    scenario: &ValidScenario,
    opts: &CalibrateOptions,
    cancel: Option<&AtomicBool>,
) -> Result<CalibrateRun> {
    let scenario = match &opts.variant {
        Some(v) => scenario.with_variant(v)?,
        None => scenario.clone(),
    };
    let params: Vec<UncertainParam> = scenario.uncertain().to_vec();
    if params.is_empty() {
        return Err(Error::usage(
            "calibrate",
            "the scenario declares no uncertain parameters: add an `uncertainty:` section or \
             in-place uncertain(NOMINAL, DIST, \"SOURCE\") values (docs/scenario-format.md)",
        ));
    }
    let nominal_model = Model::new(&scenario);
    let obs: Vec<ObservedDef> = nominal_model.catalog().observed.clone();
    if obs.is_empty() {
        return Err(Error::usage(
            "calibrate",
            "the scenario records no observed values of the real case: add an `observed:` \
             section (docs/scenario-format.md)",
        ));
    }
    if opts.draws < 2 {
        return Err(Error::usage("--draws", "must be at least 2"));
    }
    if opts.runs_per_draw == 0 {
        return Err(Error::usage("--runs-per-draw 0", "must be at least 1"));
    }
    if !(opts.accept > 0.0 && opts.accept <= 1.0) {
        return Err(Error::usage(
            "--accept",
            "must be a share in (0, 1], e.g. 0.1",
        ));
    }
    if opts.jobs == Some(0) {
        return Err(Error::usage("--jobs 0", "must be at least 1"));
    }
    let units: Vec<String> = obs
        .iter()
        .map(|o| {
            nominal_model
                .catalog()
                .metrics
                .iter()
                .find(|m| m.id == o.metric)
                .map(|m| m.unit.clone())
                .unwrap_or_default()
        })
        .collect();
    let horizon = scenario.spec.exercise.duration.hours();
    let dir = opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("output")
            .join(scenario.stem())
            .join(format!("calibrate-{}", opts.seed))
    });
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let _lock = super::lock::DirLock::acquire(&dir, "--out")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;
    let points = crate::sensitivity::sobol::latin_hypercube(
        opts.draws as usize,
        params.len(),
        &mut crate::sensitivity::rng(opts.seed, PRIOR_STREAM),
    );
    let pb = if opts.progress {
        indicatif::ProgressBar::new(opts.draws + 1)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let reduce = |runs: Vec<Vec<Option<f64>>>, values: Vec<f64>| {
        let stats = obs
            .iter()
            .zip(&units)
            .zip(&runs)
            .map(|((o, u), v)| statistic(o, u == "h", horizon, v))
            .collect();
        Draw {
            values,
            runs,
            stats,
        }
    };
    // Draw "nominal": the scenario as written, on the same seeds.
    let nominal = reduce(
        observed_values(&nominal_model, &obs, opts.seed, opts.runs_per_draw),
        params.iter().map(|p| p.nominal).collect(),
    );
    pb.inc(1);
    let draws: Vec<Result<Draw>> = pool.install(|| {
        points
            .par_iter()
            .map(|u| {
                if cancel.is_some_and(|f| f.load(Ordering::SeqCst)) {
                    return Err(Error::Runtime("calibration interrupted".into()));
                }
                let at = scenario.at_unit_point(u)?;
                let values = at.uncertain().iter().map(|p| p.nominal).collect();
                let model = Model::new(&at);
                let d = reduce(
                    observed_values(&model, &obs, opts.seed, opts.runs_per_draw),
                    values,
                );
                pb.inc(1);
                Ok(d)
            })
            .collect()
    });
    pb.finish_and_clear();
    let draws: Vec<Draw> = draws.into_iter().collect::<Result<_>>()?;

    let targets: Vec<Target> = obs.iter().map(target).collect();
    let mut with_nominal: Vec<Vec<Option<f64>>> = draws.iter().map(|d| d.stats.clone()).collect();
    with_nominal.push(nominal.stats.clone());
    // Scales from the prior draws (and the nominal one, so its distance is comparable).
    let dist_all = abc::distances(&with_nominal, &targets);
    let (dist, nominal_distance) = (&dist_all[..draws.len()], dist_all[draws.len()]);
    let accepted = abc::accept(dist, opts.accept);
    let tolerance = accepted.iter().map(|&d| dist[d]).fold(0.0f64, f64::max);
    let values: Vec<Vec<f64>> = draws.iter().map(|d| d.values.clone()).collect();
    let narrowing = abc::narrowing(&values, &accepted)
        .ok_or_else(|| Error::Runtime("calibration without draws".into()))?;
    let params_out: Vec<CalibratedParam> = params
        .iter()
        .enumerate()
        .zip(&narrowing)
        .map(|((j, p), n)| {
            let acc: Vec<f64> = accepted.iter().map(|&d| values[d][j]).collect();
            let mean = acc.iter().sum::<f64>() / acc.len() as f64;
            let sd = if acc.len() > 1 {
                (acc.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (acc.len() - 1) as f64)
                    .sqrt()
            } else {
                0.0
            };
            let post = (accepted.len() >= MIN_ACCEPTED_FOR_WRITE_BACK)
                .then(|| posterior_dist(&p.dist, mean, sd))
                .flatten();
            CalibratedParam {
                label: p.label.clone(),
                path: p.path.clone(),
                prior_dist: p.dist.describe(),
                source: p.source.clone(),
                nominal: p.nominal,
                prior: n.prior,
                accepted: n.accepted,
                accepted_mean: mean,
                accepted_sd: sd,
                width_ratio: n.width_ratio,
                posterior_dist: post.map(|d| d.describe()),
            }
        })
        .collect();
    let pooled = |which: &mut dyn Iterator<Item = &Draw>, k: usize| -> Vec<Option<f64>> {
        which.flat_map(|d| d.runs[k].iter().copied()).collect()
    };
    let observed_out: Vec<CalibratedObserved> = obs
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let u = &units[k];
            CalibratedObserved {
                id: o.id.clone(),
                statistic: if o.kind == ObservedKind::Never {
                    "share happened".into()
                } else {
                    "median".into()
                },
                nominal: super::observed::check(o, u, &nominal.runs[k]),
                prior: super::observed::check(o, u, &pooled(&mut draws.iter(), k)),
                posterior: super::observed::check(
                    o,
                    u,
                    &pooled(&mut accepted.iter().map(|&d| &draws[d]), k),
                ),
            }
        })
        .collect();
    let file = CalibrationFile {
        scenario: scenario.spec.exercise.name.clone(),
        scenario_hash: scenario.hash().to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
        variant: opts.variant.clone().unwrap_or_else(|| "baseline".into()),
        master_seed: opts.seed,
        draws: opts.draws,
        runs_per_draw: opts.runs_per_draw,
        accept_fraction: opts.accept,
        accepted: accepted.len(),
        tolerance,
        nominal_distance,
        params: params_out,
        observed: observed_out,
    };
    write_draws_csv(&dir, &params, &obs, &draws, dist, &accepted)?;
    let section = uncertainty_section(&file, &obs);
    write_atomic(&dir.join("uncertainty.ron"), section.as_bytes())?;
    crate::report::write_calibration(&dir, &file)?;
    let written_back = match &opts.write_back {
        Some(path) => Some(write_back(&scenario, &file, &obs, opts.set_nominal, path)?),
        None => None,
    };
    Ok(CalibrateRun {
        dir,
        file,
        written_back,
    })
}

/// `draws.csv`: each prior draw's parameter values, statistics, distance and whether it was
/// accepted, in draw order.
fn write_draws_csv(
    dir: &Path,
    params: &[UncertainParam],
    obs: &[ObservedDef],
    draws: &[Draw],
    dist: &[f64],
    accepted: &[usize],
) -> Result<()> {
    let mut s = String::from("draw");
    for p in params {
        let _ = write!(s, ",{}", field(&p.path));
    }
    for o in obs {
        let _ = write!(s, ",{}", field(&format!("stat:{}", o.id)));
    }
    s.push_str(",distance,accepted\n");
    for (i, d) in draws.iter().enumerate() {
        let _ = write!(s, "{i}");
        for v in &d.values {
            let _ = write!(s, ",{v}");
        }
        for x in &d.stats {
            match x {
                Some(x) => {
                    let _ = write!(s, ",{x}");
                }
                None => s.push(','),
            }
        }
        let acc = accepted.binary_search(&i).is_ok();
        let _ = writeln!(s, ",{},{}", dist[i], u8::from(acc));
    }
    write_atomic(&dir.join("draws.csv"), s.as_bytes())
}

/// The source a calibrated distribution cites.
fn calibrated_source(file: &CalibrationFile, p: &CalibratedParam, obs: &[ObservedDef]) -> String {
    let ids: Vec<&str> = obs.iter().map(|o| o.id.as_str()).collect();
    format!(
        "calibrated by tabletop calibrate (rejection ABC, {} of {} draws × {} runs, seed {}) \
         against observed {}; prior {} from: {}",
        file.accepted,
        file.draws,
        file.runs_per_draw,
        file.master_seed,
        ids.join(", "),
        p.prior_dist,
        p.source
    )
}

/// The calibrated `uncertainty:` section, as RON a planner can paste into the scenario.
fn uncertainty_section(file: &CalibrationFile, obs: &[ObservedDef]) -> String {
    let q = |s: &str| ron::to_string(&s.to_string()).unwrap_or_else(|_| "\"\"".into());
    let mut s = format!(
        "// Calibrated uncertainty section of {} ({} of {} prior draws accepted; see\n\
         // calibration.md). Parameters the observed values do not narrow keep their prior.\n\
         uncertainty: [\n",
        file.scenario.replace('\n', " "),
        file.accepted,
        file.draws
    );
    for p in &file.params {
        let (dist, source) = match &p.posterior_dist {
            Some(d) => (d.clone(), calibrated_source(file, p, obs)),
            None => (p.prior_dist.clone(), p.source.clone()),
        };
        let _ = writeln!(
            s,
            "    (\n        path: {},\n        dist: {dist},\n        source: {},\n        label: {},\n    ),",
            q(&p.path),
            q(&source),
            q(&p.label)
        );
    }
    s.push_str("],\n");
    s
}

/// Write the scenario with its uncertain parameters' distributions (and sources, and with
/// `set_nominal` their values) replaced by the calibrated ones, keeping every comment; the
/// result is validated before it is put in place.
fn write_back(
    scenario: &ValidScenario,
    file: &CalibrationFile,
    obs: &[ObservedDef],
    set_nominal: bool,
    path: &Path,
) -> Result<PathBuf> {
    if file.accepted < MIN_ACCEPTED_FOR_WRITE_BACK {
        return Err(Error::usage(
            "--write-back",
            format!(
                "only {} draws were accepted; a calibrated distribution needs at least {} \
                 (raise --draws or --accept)",
                file.accepted, MIN_ACCEPTED_FOR_WRITE_BACK
            ),
        ));
    }
    let edits: Vec<ParamEdit> = file
        .params
        .iter()
        .filter_map(|p| {
            let dist = p.posterior_dist.clone()?;
            Some(ParamEdit {
                path: p.path.clone(),
                dist,
                source: calibrated_source(file, p, obs),
                nominal: set_nominal.then_some(sig4(p.accepted.1)),
            })
        })
        .collect();
    let text = crate::scenario::uncertainty::rewrite(&scenario.source, &edits)
        .map_err(|e| Error::Runtime(format!("--write-back: {e}")))?;
    // The result must be a valid scenario before it replaces anything.
    crate::scenario::load_str(path, &text)?;
    write_atomic(path, text.as_bytes())?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: ObservedKind, value: Option<f64>) -> ObservedDef {
        ObservedDef {
            id: "o".into(),
            description: "d".into(),
            metric: "m".into(),
            kind,
            value,
            source: "s".into(),
            note: String::new(),
        }
    }

    #[test]
    fn a_time_that_never_happened_counts_as_the_end_of_the_exercise() {
        let v = [Some(1.0), None, None];
        let d = def(ObservedKind::Value, Some(5.0));
        assert_eq!(statistic(&d, true, 48.0, &v), Some(48.0));
        // Other metrics leave such runs out.
        assert_eq!(statistic(&d, false, 48.0, &v), Some(1.0));
        assert_eq!(statistic(&d, false, 48.0, &[None, None]), None);
        // `never`: the share of runs where it happened, which should be 0.
        let n = def(ObservedKind::Never, None);
        assert_eq!(statistic(&n, true, 48.0, &v), Some(1.0 / 3.0));
        assert_eq!(target(&n), Target::AtMost(0.0));
    }

    #[test]
    fn a_posterior_is_a_normal_cut_to_the_prior_range() {
        let prior = Dist::Uniform { lo: 0.5, hi: 0.9 };
        let d = posterior_dist(&prior, 0.612_345, 0.031_234).unwrap();
        assert_eq!(
            d,
            Dist::Normal {
                mean: 0.6123,
                sd: 0.03123,
                lo: 0.5,
                hi: 0.9
            }
        );
        assert!(posterior_dist(&prior, 0.6, 0.0).is_none());
        assert_eq!(sig4(123_456.0), 123_500.0);
    }
}
