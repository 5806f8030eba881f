//! `tabletop sensitivity`: a Morris, Sobol' or PRIM study over the scenario's `uncertainty:`
//! parameters. Each design point runs R seeded runs of the scenario at that point; the runs of
//! points that share a common-random-numbers key (a Morris trajectory, a Sobol' base row) use
//! the same seeds: run r of key c is run index c·R + r under the master seed. Points are
//! evaluated in parallel and collected in design order, so the files are byte-identical for
//! any `--jobs`.

use super::stats::rating;
use crate::error::{Error, Result};
use crate::report::{SensMeta, SensitivityFile, write_sensitivity};
use crate::scenario::ValidScenario;
use crate::sensitivity::study::{Factor, Method, Output, OutputKind, Plan, StudyResult};
use crate::sim::{Catalog, Model, RunOptions, RunSeed};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// Options of `tabletop sensitivity`.
#[derive(Debug, Clone, PartialEq)]
pub struct SensOptions {
    /// Method and size.
    pub method: Method,
    /// Seeded runs per design point (≥ 1).
    pub runs: u64,
    /// Variant studied (None: the scenario as written).
    pub variant: Option<String>,
    /// Worker threads (None: all cores).
    pub jobs: Option<usize>,
    /// Master seed.
    pub seed: u64,
    /// Output directory (None: `output/<scenario>/sensitivity-<method>-<seed>/`).
    pub out: Option<PathBuf>,
    /// Show a progress bar.
    pub progress: bool,
}

/// Where a study went.
#[derive(Debug, Clone)]
pub struct SensRun {
    /// Output directory.
    pub dir: PathBuf,
    /// Design points.
    pub points: usize,
}

/// A Morris grid coordinate moved to the centre of its cell, u′ = (u (p − 1) + ½) / p, so that
/// an unbounded distribution's quantile is finite (p = 4: 1/8, 3/8, 5/8, 7/8). Other designs'
/// coordinates are kept inside (0, 1).
fn probability(u: f64, method: Method) -> f64 {
    match method {
        Method::Morris { .. } => {
            let p = crate::sensitivity::study::MORRIS_LEVELS as f64;
            (u * (p - 1.0) + 0.5) / p
        }
        _ => u.clamp(1e-9, 1.0 - 1e-9),
    }
}

/// The outputs measured at every point: per objective P(met), whether the rating is P or S,
/// whether it falls to M or U (PRIM); per metric an objective uses, its mean.
fn outputs(c: &Catalog) -> Vec<Output> {
    let mut v = Vec::new();
    for o in &c.objectives {
        v.push(Output {
            id: format!("obj:{}:p_met", o.id),
            label: format!("P(met) of {}", o.id),
            kind: OutputKind::Probability,
        });
        v.push(Output {
            id: format!("obj:{}:p_or_s", o.id),
            label: format!("rating P or S of {}", o.id),
            kind: OutputKind::Probability,
        });
        v.push(Output {
            id: format!("obj:{}:m_or_u", o.id),
            label: format!("{} falls to M or U", o.id),
            kind: OutputKind::Flag,
        });
    }
    for m in key_metrics(c) {
        let d = &c.metrics[m];
        v.push(Output {
            id: format!("{}:mean", d.id),
            label: format!("mean {}", d.label),
            kind: OutputKind::Mean,
        });
    }
    v
}

/// Indices of the metrics the objectives are about, in catalog order.
fn key_metrics(c: &Catalog) -> Vec<usize> {
    (0..c.metrics.len())
        .filter(|&i| c.objectives.iter().any(|o| o.metric == c.metrics[i].id))
        .collect()
}

/// Run the R runs at one point and measure every output.
fn evaluate(s: &ValidScenario, seed: u64, key: u64, runs: u64, cat: &Catalog) -> Vec<f64> {
    let model = Model::new(s);
    let mc = model.catalog();
    let nobj = cat.objectives.len();
    let keys = key_metrics(cat);
    let mut met = vec![0u64; nobj];
    let mut applies = vec![0u64; nobj];
    let mut sums = vec![(0.0, 0u64); keys.len()];
    for r in 0..runs {
        let o = model.run(
            RunSeed {
                master: seed,
                run_index: key * runs + r,
            },
            RunOptions::default(),
        );
        for (k, def) in cat.objectives.iter().enumerate() {
            if let Some(j) = mc.objectives.iter().position(|x| x.id == def.id) {
                let res = &o.objectives[j];
                if res.applicable {
                    applies[k] += 1;
                    met[k] += u64::from(res.met);
                }
            }
        }
        for (slot, &m) in sums.iter_mut().zip(&keys) {
            let id = &cat.metrics[m].id;
            if let Some(j) = mc.metrics.iter().position(|x| &x.id == id)
                && let Some(v) = o.metrics[j]
            {
                slot.0 += v;
                slot.1 += 1;
            }
        }
    }
    let mut row = Vec::with_capacity(nobj * 3 + keys.len());
    for (k, def) in cat.objectives.iter().enumerate() {
        if applies[k] == 0 {
            row.extend([f64::NAN; 3]);
            continue;
        }
        let p = met[k] as f64 / applies[k] as f64;
        let r = rating(p, def.thresholds);
        row.push(p);
        row.push(f64::from(matches!(r, "P" | "S")));
        row.push(f64::from(matches!(r, "M" | "U")));
    }
    for (sum, n) in sums {
        row.push(if n > 0 { sum / n as f64 } else { f64::NAN });
    }
    row
}

/// Run the study `opts` describes on `scenario` and write its files.
pub fn run_scenario_sensitivity(
    scenario: &ValidScenario,
    opts: &SensOptions,
    cancel: Option<&AtomicBool>,
) -> Result<SensRun> {
    let scenario = match &opts.variant {
        Some(v) => scenario.with_variant(v)?,
        None => scenario.clone(),
    };
    if opts.runs == 0 {
        return Err(Error::usage("--runs 0", "must be at least 1"));
    }
    if opts.jobs == Some(0) {
        return Err(Error::usage("--jobs 0", "must be at least 1"));
    }
    let params = scenario.uncertain().to_vec();
    let factors: Vec<Factor> = params
        .iter()
        .map(|p| Factor {
            label: p.label.clone(),
            group: p.group.clone(),
        })
        .collect();
    let plan = Plan::new(opts.method, factors, opts.seed)?;
    let name = match opts.method {
        Method::Morris { .. } => "morris",
        Method::Sobol { .. } => "sobol",
        Method::Prim { .. } => "prim",
    };
    let dir = opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("output")
            .join(scenario.stem())
            .join(format!("sensitivity-{name}-{}", opts.seed))
    });
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let cat = Model::new(&scenario).catalog().clone();
    let outs = outputs(&cat);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;
    let pts = plan.points();
    let pb = if opts.progress {
        indicatif::ProgressBar::new(pts.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let rows: Vec<Result<Vec<f64>>> = pool.install(|| {
        (0..pts.len())
            .into_par_iter()
            .map(|i| {
                if cancel.is_some_and(|f| f.load(Ordering::SeqCst)) {
                    return Err(Error::Runtime("sensitivity study interrupted".into()));
                }
                let u: Vec<f64> = pts[i]
                    .iter()
                    .map(|&u| probability(u, opts.method))
                    .collect();
                let s = scenario.at_unit_point(&u)?;
                let row = evaluate(&s, opts.seed, plan.crn_key(i), opts.runs, &cat);
                pb.inc(1);
                Ok(row)
            })
            .collect()
    });
    pb.finish_and_clear();
    let y: Vec<Vec<f64>> = rows.into_iter().collect::<Result<_>>()?;
    let study = plan.analyze(&outs, &y)?;
    let meta = meta(&scenario, opts, &params, &study);
    write_points_csv(&dir, &plan, opts.method, &params, &outs, &y)?;
    write_sensitivity(&dir, &SensitivityFile { meta, study })?;
    Ok(SensRun {
        dir,
        points: pts.len(),
    })
}

fn meta(
    s: &ValidScenario,
    opts: &SensOptions,
    params: &[crate::scenario::uncertainty::UncertainParam],
    study: &StudyResult,
) -> SensMeta {
    SensMeta {
        scenario: s.spec.exercise.name.clone(),
        scenario_hash: s.hash().to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
        runs_per_point: opts.runs,
        variant: opts.variant.clone().unwrap_or_else(|| "baseline".into()),
        factor_ranges: params
            .iter()
            .map(|p| (p.dist.quantile(0.001), p.dist.quantile(0.999)))
            .collect(),
        box_natural: study
            .outputs
            .iter()
            .map(|o| match &o.prim {
                Some(p) if p.cases > 0 => {
                    let b = p.chosen_box();
                    b.restricted
                        .iter()
                        .map(|&d| {
                            let q = |u: f64| params[d].dist.quantile(probability(u, opts.method));
                            (d, q(b.limits[d].0), q(b.limits[d].1))
                        })
                        .collect()
                }
                _ => Vec::new(),
            })
            .collect(),
    }
}

/// `points.csv`: every design point's coordinates, values and outputs, in design order.
fn write_points_csv(
    dir: &std::path::Path,
    plan: &Plan,
    method: Method,
    params: &[crate::scenario::uncertainty::UncertainParam],
    outs: &[Output],
    y: &[Vec<f64>],
) -> Result<()> {
    use super::rows::field;
    let mut s = String::from("point,crn_key");
    for p in params {
        s.push(',');
        s.push_str(&field(&format!("u:{}", p.label)));
    }
    for p in params {
        s.push(',');
        s.push_str(&field(&p.label));
    }
    for o in outs {
        s.push(',');
        s.push_str(&field(&o.id));
    }
    s.push('\n');
    let f = |v: f64| {
        if v.is_finite() {
            format!("{v}")
        } else {
            String::new()
        }
    };
    for (i, (x, row)) in plan.points().iter().zip(y).enumerate() {
        s.push_str(&format!("{i},{}", plan.crn_key(i)));
        for &u in x {
            s.push(',');
            s.push_str(&f(probability(u, method)));
        }
        for (p, &u) in params.iter().zip(x) {
            s.push(',');
            s.push_str(&f(p.dist.quantile(probability(u, method))));
        }
        for &v in row {
            s.push(',');
            s.push_str(&f(v));
        }
        s.push('\n');
    }
    crate::output::write_atomic(&dir.join("points.csv"), s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge() -> ValidScenario {
        crate::scenario::load(std::path::Path::new("scenarios/bridge.ron")).unwrap()
    }

    fn opts(jobs: usize, out: PathBuf) -> SensOptions {
        SensOptions {
            method: Method::Morris { trajectories: 2 },
            runs: 3,
            variant: None,
            jobs: Some(jobs),
            seed: 5,
            out: Some(out),
            progress: false,
        }
    }

    #[test]
    fn a_study_is_byte_identical_for_any_number_of_jobs() {
        let s = bridge();
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        run_scenario_sensitivity(&s, &opts(1, a.clone()), None).unwrap();
        run_scenario_sensitivity(&s, &opts(2, b.clone()), None).unwrap();
        for f in [
            "sensitivity.json",
            "morris.csv",
            "points.csv",
            "sensitivity.md",
        ] {
            let x = std::fs::read(a.join(f)).unwrap();
            let y = std::fs::read(b.join(f)).unwrap();
            assert!(x == y, "{f} differs between --jobs 1 and 2");
        }
    }

    #[test]
    fn morris_grid_points_map_to_cell_centres() {
        let m = Method::Morris { trajectories: 2 };
        assert_eq!(probability(0.0, m), 0.125);
        assert_eq!(probability(1.0, m), 0.875);
        assert!(probability(0.0, Method::Sobol { samples: 2 }) > 0.0);
    }
}
