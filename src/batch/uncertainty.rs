//! Two-level Monte Carlo over the scenario's uncertain parameters (`batch --uncertainty`).
//!
//! The outer level draws `draws` points of the parameters' joint distribution (a Latin
//! hypercube of the unit cube, mapped through each parameter's quantile function; the
//! parameters are independent). The inner level runs `runs_per_draw` runs of the scenario at
//! each point, on common random numbers: run j of every draw (and of every variant) uses run
//! seed j of the batch. Each objective's P(met) then has two intervals: the nominal batch's
//! (Monte Carlo alone) and the 2.5–97.5% range of the per-draw estimates (Monte Carlo plus
//! parameter uncertainty). docs/model.md §"Parameter uncertainty" gives the equations.

use super::rows::field;
use super::runner::Control;
use super::simulator::ColumnMap;
use super::stats::{Welford, percentile_sorted, rating};
use super::summary::Summary;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::scenario::ValidScenario;
use crate::sim::{Model, RunOptions, RunOutcome, RunSeed};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Random stream of the outer Latin hypercube (the sweep's is `u64::MAX`).
pub(crate) const OUTER_STREAM: u64 = u64::MAX - 1;

/// Share of outer draws that may give another letter than the most common one before the
/// rating is called fragile: no single letter holds over 90% of the parameter range.
pub const FRAGILE_SHARE: f64 = 0.10;

/// How the two-level batch is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UncertaintyOptions {
    /// Outer draws of the parameters, ≥ 2.
    pub draws: u64,
    /// Inner runs per draw, ≥ 2.
    pub runs_per_draw: u64,
}

/// What `uncertainty.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertaintySummary {
    /// Outer draws of the parameters.
    pub draws: u64,
    /// Inner runs per draw (run seeds 0 .. runs_per_draw − 1 of the batch).
    pub runs_per_draw: u64,
    /// Master seed (of the batch; the outer design uses its own stream).
    pub master_seed: u64,
    /// The uncertain parameters.
    pub params: Vec<ParamInfo>,
    /// Baseline first, then the variants of the batch.
    pub variants: Vec<VariantUncertainty>,
}

/// One uncertain parameter, as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamInfo {
    /// Label.
    pub label: String,
    /// Variant path.
    pub path: String,
    /// Distribution, as written in the file.
    pub dist: String,
    /// Source of the range.
    pub source: String,
    /// Group, if any.
    pub group: Option<String>,
    /// Nominal value (the file's).
    pub nominal: f64,
    /// Low end of the range drawn (the distribution's end or its 0.1% quantile).
    pub low: f64,
    /// High end of the range drawn.
    pub high: f64,
}

/// The two-level results of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantUncertainty {
    /// Variant id ("baseline" first).
    pub id: String,
    /// Variant name.
    pub name: String,
    /// Parameters this variant sets itself (they keep the variant's value in every draw).
    pub fixed_by_variant: Vec<String>,
    /// One per objective, in catalog order.
    pub objectives: Vec<ObjectiveUncertainty>,
    /// One per metric, in catalog order.
    pub metrics: Vec<MetricUncertainty>,
}

/// P(met) of one objective with and without parameter uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveUncertainty {
    /// Objective id.
    pub id: String,
    /// P(met) of the nominal batch.
    pub nominal_p: f64,
    /// 95% interval of the nominal P(met), Monte Carlo alone (Wilson), low end.
    pub mc_low: f64,
    /// High end.
    pub mc_high: f64,
    /// Rating of the nominal batch.
    pub nominal_rating: String,
    /// P(met) averaged over the parameters: the nominal P(met) plus the mean effect Δ̄ of the
    /// draws (Δ_k: a draw's P(met) minus the reference's, on the same R seeds).
    pub mean_p: f64,
    /// Low end with parameter uncertainty: the Monte Carlo low end plus the 2.5% quantile of
    /// Δ_k where that is negative (Monte Carlo plus parameter uncertainty), in [0, 1].
    pub low: f64,
    /// High end: the Monte Carlo high end plus the 97.5% quantile of Δ_k where positive.
    pub high: f64,
    /// Standard deviation of P(met) due to the parameters: the spread of Δ_k (common random
    /// numbers cancel most of the Monte Carlo part).
    pub param_sd: f64,
    /// Mean Monte Carlo standard error of a per-draw estimate.
    pub mc_sd: f64,
    /// Share of draws rated P, S, M and U (in that order).
    pub ratings: [f64; 4],
    /// True when no letter holds in at least 1 − [`FRAGILE_SHARE`] of the draws: the rating
    /// changes across the parameter range.
    pub fragile: bool,
    /// Variants only: the paired change from the baseline across the draws.
    pub effect: Option<EffectUncertainty>,
}

/// The change of P(met) from the baseline, across the parameter draws (same draw, same seeds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectUncertainty {
    /// Mean change over the draws.
    pub mean: f64,
    /// 2.5% quantile of the per-draw changes.
    pub low: f64,
    /// 97.5% quantile.
    pub high: f64,
    /// Share of draws where the change does not go against the mean change (same sign, or
    /// no change; 1.0: the direction holds everywhere in the parameter range).
    pub same_sign: f64,
}

/// A metric's mean with and without parameter uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricUncertainty {
    /// Metric id.
    pub id: String,
    /// Mean of the nominal batch (None when the event never happened).
    pub nominal_mean: Option<f64>,
    /// 95% interval of the nominal mean, Monte Carlo alone.
    pub mc_low: Option<f64>,
    /// High end.
    pub mc_high: Option<f64>,
    /// The nominal mean plus the mean effect of the draws (as for P(met)).
    pub mean: Option<f64>,
    /// The Monte Carlo low end plus the 2.5% quantile of the draws' effects where negative.
    pub low: Option<f64>,
    /// The Monte Carlo high end plus the 97.5% quantile of the draws' effects where positive.
    pub high: Option<f64>,
}

/// The values of the baseline's uncertain parameters at unit point `u`.
fn values_at(base: &ValidScenario, u: &[f64]) -> Vec<f64> {
    base.uncertain()
        .iter()
        .zip(u)
        .map(|(p, &u)| {
            let x = p.dist.quantile(u);
            if p.whole { x.round() } else { x }
        })
        .collect()
}

/// `scenario` (a variant of `base`, or `base`) at the baseline values `values`; parameters the
/// variant sets to another value than the baseline's keep the variant's value. Returns the
/// scenario and the paths the variant keeps.
fn at_values(
    base: &ValidScenario,
    scenario: &ValidScenario,
    values: &[f64],
) -> Result<(ValidScenario, Vec<String>)> {
    let mut vals = Vec::with_capacity(scenario.uncertain().len());
    let mut fixed = Vec::new();
    for p in scenario.uncertain() {
        let i = base.uncertain().iter().position(|b| b.path == p.path);
        match i {
            Some(i) if base.uncertain()[i].nominal == p.nominal => vals.push(values[i]),
            _ => {
                vals.push(p.nominal);
                fixed.push(p.path.clone());
            }
        }
    }
    Ok((scenario.with_values(&vals)?, fixed))
}

/// Quantile (type 7) of unsorted values; None when empty.
fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    percentile_sorted(&v, q)
}

/// Run the outer draws of the batch `summary` came from (its baseline and variants, in order)
/// into `dir`: `uncertainty.csv` (one row per variant and draw, streamed) and
/// `uncertainty.json`. `variants` are the ids of `summary.variants[1..]`.
pub(crate) fn run(
    scenario: &ValidScenario,
    variants: &[String],
    summary: &Summary,
    opts: UncertaintyOptions,
    ctl: &Control<'_>,
    dir: &Path,
) -> Result<UncertaintySummary> {
    let params = scenario.uncertain();
    if params.is_empty() {
        return Err(no_parameters(scenario));
    }
    if opts.draws < 2 || opts.runs_per_draw < 2 {
        return Err(Error::usage(
            "--draws/--runs-per-draw",
            "two-level Monte Carlo needs at least 2 draws and 2 runs per draw",
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctl.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;
    let seed = summary.master_seed;
    // The outer design: the sensitivity module's Latin hypercube, on its own stream.
    let points = crate::sensitivity::sobol::latin_hypercube(
        opts.draws as usize,
        params.len(),
        &mut crate::sensitivity::rng(seed, OUTER_STREAM),
    );
    let base_model = Model::new(scenario);
    let catalog = base_model.catalog().clone();
    let (n_obj, n_met) = (catalog.objectives.len(), catalog.metrics.len());

    let csv_path = dir.join("uncertainty.csv");
    let tmp = crate::output::tmp_path(&csv_path);
    let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut head = String::from("variant,draw");
    for p in params {
        let _ = write!(head, ",{}", field(&p.path));
    }
    for o in &catalog.objectives {
        let _ = write!(head, ",{}", field(&format!("obj:{}:p", o.id)));
    }
    for m in &catalog.metrics {
        let _ = write!(head, ",{}", field(&format!("{}:mean", m.id)));
    }
    head.push('\n');
    file.write_all(head.as_bytes())
        .map_err(|e| Error::io(&tmp, e))?;

    let pb = if ctl.progress {
        indicatif::ProgressBar::new(opts.draws * opts.runs_per_draw * (1 + variants.len() as u64))
    } else {
        indicatif::ProgressBar::hidden()
    };
    // Per-draw P(met) of the baseline, for the paired effects of the variants.
    let mut base_p: Vec<Vec<Option<f64>>> = Vec::new();
    let mut out = Vec::new();
    for (vi, vs) in summary.variants.iter().enumerate() {
        let scen = if vi == 0 {
            scenario.clone()
        } else {
            let id = variants.get(vi - 1).ok_or_else(|| {
                Error::Runtime("the batch's variants and the summary disagree".into())
            })?;
            scenario.with_variant(id)?
        };
        let mut draw_p: Vec<Vec<Option<f64>>> = Vec::with_capacity(points.len());
        let mut draw_m: Vec<Vec<Option<f64>>> = Vec::with_capacity(points.len());
        let mut draw_sd: Vec<Vec<f64>> = Vec::with_capacity(points.len());
        let mut fixed_paths = Vec::new();
        // Draw 0 is the reference: the scenario as written, on the same R seeds. Each draw's
        // change from it is the parameters' effect, free of the noise the R seeds share.
        let (mut ref_p, mut ref_m) = (Vec::new(), Vec::new());
        for k in 0..=points.len() {
            if ctl
                .cancel
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst))
            {
                return Err(Error::Runtime("interrupted".into()));
            }
            let (values, at) = if k == 0 {
                let nominal: Vec<f64> = scenario.uncertain().iter().map(|p| p.nominal).collect();
                (nominal, scen.clone())
            } else {
                let values = values_at(scenario, &points[k - 1]);
                let (at, fixed) = at_values(scenario, &scen, &values)?;
                fixed_paths = fixed;
                (values, at)
            };
            let model = Model::new(&at);
            let map = ColumnMap::new(&catalog, model.catalog());
            let outs: Vec<RunOutcome> = pool.install(|| {
                (0..opts.runs_per_draw)
                    .into_par_iter()
                    .map(|j| {
                        model.run(
                            RunSeed {
                                master: seed,
                                run_index: j,
                            },
                            RunOptions::default(),
                        )
                    })
                    .collect()
            });
            let (mut met, mut n) = (vec![0u64; n_obj], vec![0u64; n_obj]);
            let mut means = vec![Welford::default(); n_met];
            for o in &outs {
                let row = map.row(o);
                for (i, m) in row.objectives.iter().enumerate() {
                    if let Some(m) = m {
                        n[i] += 1;
                        met[i] += u64::from(*m);
                    }
                }
                for (w, x) in means.iter_mut().zip(&row.metrics) {
                    if let Some(x) = x {
                        w.push(*x);
                    }
                }
            }
            let p: Vec<Option<f64>> = met
                .iter()
                .zip(&n)
                .map(|(&k, &n)| (n > 0).then(|| k as f64 / n as f64))
                .collect();
            let sd: Vec<f64> = p
                .iter()
                .zip(&n)
                .map(|(p, &n)| match p {
                    Some(p) if n > 1 => (p * (1.0 - p) / (n - 1) as f64).sqrt(),
                    _ => 0.0,
                })
                .collect();
            let m: Vec<Option<f64>> = means.iter().map(Welford::mean).collect();
            let draw = if k == 0 {
                "nominal".to_string()
            } else {
                (k - 1).to_string()
            };
            let mut line = format!("{},{draw}", field(&vs.id));
            for x in &values {
                let _ = write!(line, ",{x}");
            }
            for x in p.iter().chain(&m) {
                match x {
                    Some(x) => {
                        let _ = write!(line, ",{x}");
                    }
                    None => line.push(','),
                }
            }
            line.push('\n');
            file.write_all(line.as_bytes())
                .map_err(|e| Error::io(&tmp, e))?;
            pb.inc(opts.runs_per_draw);
            if k == 0 {
                (ref_p, ref_m) = (p, m);
                continue;
            }
            draw_p.push(p);
            draw_m.push(m);
            draw_sd.push(sd);
        }
        let objectives = catalog
            .objectives
            .iter()
            .enumerate()
            .map(|(i, def)| {
                let nominal = vs.objectives.iter().find(|o| o.id == def.id);
                let p_nom = nominal.map_or(0.0, |o| o.p);
                // The parameters' effect per draw (same seeds as the reference), applied to the
                // nominal batch's estimate.
                let deltas: Vec<f64> = draw_p
                    .iter()
                    .filter_map(|d| Some(d[i]? - ref_p.get(i).copied().flatten()?))
                    .collect();
                let ps: Vec<f64> = deltas.iter().map(|d| (p_nom + d).clamp(0.0, 1.0)).collect();
                let mean_d = deltas.iter().sum::<f64>() / deltas.len().max(1) as f64;
                let var = deltas.iter().map(|d| (d - mean_d).powi(2)).sum::<f64>()
                    / (deltas.len().max(2) - 1) as f64;
                let noise =
                    draw_sd.iter().map(|d| d[i] * d[i]).sum::<f64>() / draw_sd.len().max(1) as f64;
                let mut ratings = [0.0; 4];
                for p in &ps {
                    let r = rating(*p, def.thresholds);
                    let slot = ["P", "S", "M", "U"]
                        .iter()
                        .position(|l| *l == r)
                        .unwrap_or(3);
                    ratings[slot] += 1.0 / ps.len() as f64;
                }
                let nominal_rating = nominal.map(|o| o.rating.clone()).unwrap_or_default();
                let effect = (vi > 0).then(|| {
                    let d: Vec<f64> = draw_p
                        .iter()
                        .zip(&base_p)
                        .filter_map(|(v, b)| Some(v[i]? - b[i]?))
                        .collect();
                    let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
                    // Draws where the change does not go the other way (ties at 0 agree).
                    let agree = d.iter().filter(|x| **x * mean >= 0.0).count();
                    let same_sign = agree as f64 / d.len().max(1) as f64;
                    EffectUncertainty {
                        mean,
                        low: quantile(&d, 0.025).unwrap_or(0.0),
                        high: quantile(&d, 0.975).unwrap_or(0.0),
                        same_sign,
                    }
                });
                let (mc_low, mc_high) = nominal.map_or((0.0, 0.0), |o| (o.ci_low, o.ci_high));
                let mut o = ObjectiveUncertainty {
                    id: def.id.clone(),
                    nominal_p: p_nom,
                    mc_low,
                    mc_high,
                    nominal_rating,
                    mean_p: (p_nom + mean_d).clamp(0.0, 1.0),
                    low: (mc_low + quantile(&deltas, 0.025).unwrap_or(0.0).min(0.0))
                        .clamp(0.0, 1.0),
                    high: (mc_high + quantile(&deltas, 0.975).unwrap_or(0.0).max(0.0))
                        .clamp(0.0, 1.0),
                    param_sd: var.max(0.0).sqrt(),
                    mc_sd: noise.sqrt(),
                    ratings,
                    fragile: false,
                    effect,
                };
                o.fragile = o.ratings.iter().all(|&s| s < 1.0 - FRAGILE_SHARE);
                o
            })
            .collect();
        let metrics = catalog
            .metrics
            .iter()
            .enumerate()
            .map(|(i, def)| {
                let nominal = vs.metrics.iter().find(|m| m.id == def.id);
                let ds: Vec<f64> = draw_m
                    .iter()
                    .filter_map(|d| Some(d[i]? - ref_m.get(i).copied().flatten()?))
                    .collect();
                let mean = nominal.and_then(|m| m.mean);
                let (mc_low, mc_high) = (
                    nominal.and_then(|m| m.ci_low),
                    nominal.and_then(|m| m.ci_high),
                );
                MetricUncertainty {
                    id: def.id.clone(),
                    nominal_mean: mean,
                    mc_low,
                    mc_high,
                    mean: mean
                        .filter(|_| !ds.is_empty())
                        .map(|m| m + ds.iter().sum::<f64>() / ds.len() as f64),
                    low: mc_low
                        .zip(quantile(&ds, 0.025))
                        .map(|(l, d)| l + d.min(0.0)),
                    high: mc_high
                        .zip(quantile(&ds, 0.975))
                        .map(|(h, d)| h + d.max(0.0)),
                }
            })
            .collect();
        if vi == 0 {
            base_p = draw_p;
        }
        out.push(VariantUncertainty {
            id: vs.id.clone(),
            name: vs.name.clone(),
            fixed_by_variant: fixed_paths,
            objectives,
            metrics,
        });
    }
    pb.finish_and_clear();
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, &csv_path).map_err(|e| Error::io(&csv_path, e))?;
    let result = UncertaintySummary {
        draws: opts.draws,
        runs_per_draw: opts.runs_per_draw,
        master_seed: seed,
        params: params
            .iter()
            .map(|p| {
                let (low, high) = p.dist.range();
                ParamInfo {
                    label: p.label.clone(),
                    path: p.path.clone(),
                    dist: p.dist.describe(),
                    source: p.source.clone(),
                    group: p.group.clone(),
                    nominal: p.nominal,
                    low,
                    high,
                }
            })
            .collect(),
        variants: out,
    };
    write_atomic(
        &dir.join("uncertainty.json"),
        &super::runner::json(&result)?,
    )?;
    Ok(result)
}

/// The lines `batch --uncertainty` prints: per variant and objective, P(met) with its Monte
/// Carlo interval and its interval with parameter uncertainty, and fragile ratings.
pub(crate) fn table(u: &UncertaintySummary) -> String {
    let mut t = format!(
        "with parameter uncertainty ({} parameters, {} draws × {} runs):\n",
        u.params.len(),
        u.draws,
        u.runs_per_draw
    );
    for v in &u.variants {
        let _ = writeln!(t, "{}", crate::output::display_safe(&v.name));
        for o in &v.objectives {
            let _ = writeln!(
                t,
                "  {:<12} P(met) {:.2} [{:.2}, {:.2}] Monte Carlo; [{:.2}, {:.2}] with parameters{}",
                crate::output::display_safe(&o.id),
                o.nominal_p,
                o.mc_low,
                o.mc_high,
                o.low,
                o.high,
                if o.fragile {
                    format!("  FRAGILE: {}", letters(o))
                } else {
                    String::new()
                }
            );
        }
    }
    t
}

/// The letters of the draws in words: `P 40%, S 35%, M 25%`.
pub fn letters(o: &ObjectiveUncertainty) -> String {
    ["P", "S", "M", "U"]
        .iter()
        .zip(o.ratings)
        .filter(|(_, s)| *s > 0.0)
        .map(|(l, s)| format!("{l} {:.0}%", 100.0 * s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Share of the draws rated `letter`.
pub fn share_of(o: &ObjectiveUncertainty, letter: &str) -> f64 {
    ["P", "S", "M", "U"]
        .iter()
        .position(|l| *l == letter)
        .map_or(0.0, |i| o.ratings[i])
}

/// The error of `--uncertainty` on a scenario without an `uncertainty:` section.
pub(crate) fn no_parameters(scenario: &ValidScenario) -> Error {
    Error::usage(
        "--uncertainty",
        format!(
            "{} declares no uncertain parameters: add an `uncertainty:` section \
             (docs/scenario-format.md, \"Uncertain parameters\")",
            scenario.path().display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_ignore_missing_values() {
        assert_eq!(quantile(&[3.0, f64::NAN, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
