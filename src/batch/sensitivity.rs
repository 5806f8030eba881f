//! `tabletop sensitivity`: a Morris, Sobol' or PRIM study over the scenario's `uncertainty:`
//! parameters. Each design point runs R seeded runs of the scenario at that point; the runs of
//! points that share a common-random-numbers key (a Morris trajectory, a Sobol' base row) use
//! the same seeds: run r of key c is run index c·R + r under the master seed. Points are
//! evaluated in parallel and collected in design order, so the files are byte-identical for
//! any `--jobs`.
//!
//! With `--seed-factor` (Sobol' only) the key is the point's seed block instead (see
//! [`Plan::crn_key`]), so the seed is a factor of the design.
//!
//! `--shard K/N` evaluates only the points i with i mod N = K − 1 and writes a shard
//! directory: those points' rows of `points.csv`, a copy of the scenario (`scenario.ron`) and
//! `sensitivity-shard.json` (written last: a shard without it is unfinished).
//! [`merge_sensitivity_shards`] checks a set of shard directories and writes exactly the files
//! of the study run on one machine.

use super::stats::rating;
use super::{MergeOptions, Shard};
use crate::error::{Error, Result};
use crate::report::{SensMeta, SensitivityFile, write_sensitivity};
use crate::scenario::ValidScenario;
use crate::sensitivity::study::{Factor, Method, Output, OutputKind, Plan, StudyResult};
use crate::sim::{Catalog, Model, RunOptions, RunSeed};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
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
    /// The run seed as one more Sobol' factor (`--seed-factor`).
    pub seed_factor: bool,
    /// Evaluate only this shard's points and write a shard directory (`--shard K/N`).
    pub shard: Option<Shard>,
}

/// Where a study went.
#[derive(Debug, Clone)]
pub struct SensRun {
    /// Output directory.
    pub dir: PathBuf,
    /// Design points evaluated (this shard's only, with a shard).
    pub points: usize,
    /// Design points of the whole study.
    pub total: usize,
    /// The shard written, if any.
    pub shard: Option<Shard>,
}

/// The file that makes a directory a finished sensitivity shard.
pub const SHARD_MANIFEST: &str = "sensitivity-shard.json";

/// `sensitivity-shard.json`: what a shard of a study is, so that a merge can check that the
/// shards belong together.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SensShardManifest {
    /// Always `"tabletop sensitivity shard"`.
    pub kind: String,
    /// tabletop version that wrote it.
    pub version: String,
    /// Scenario name.
    pub scenario: String,
    /// The scenario file as given on the command line (a copy is `scenario.ron`).
    pub scenario_file: String,
    /// sha256 of the scenario file.
    pub scenario_hash: String,
    /// Variant studied (None: the scenario as written).
    pub variant: Option<String>,
    /// Method and size.
    pub method: Method,
    /// The seed as a Sobol' factor.
    pub seed_factor: bool,
    /// Seeded runs per point.
    pub runs_per_point: u64,
    /// Master seed.
    pub seed: u64,
    /// Design points of the whole study.
    pub points: usize,
    /// Factor labels, in order.
    pub factors: Vec<String>,
    /// This shard, (K, N).
    pub shard: (u64, u64),
}

const SHARD_KIND: &str = "tabletop sensitivity shard";

/// Whether `dir` holds a sensitivity shard: finished (its `sensitivity-shard.json`) or
/// begun (a `points.csv` and no batch `manifest.json`), so that `tabletop merge` can say which
/// shard is unfinished.
pub fn is_shard_dir(dir: &Path) -> bool {
    dir.join(SHARD_MANIFEST).exists()
        || (dir.join("points.csv").exists() && !dir.join("manifest.json").exists())
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
    // Anything not finite is a missing output (as `points.csv` writes it: empty), so that a
    // merge of shards reads back exactly what one machine analyses.
    for v in row.iter_mut() {
        if !v.is_finite() {
            *v = f64::NAN;
        }
    }
    row
}

/// A study ready to evaluate: the scenario (variant applied), its parameters, the plan and
/// the outputs.
struct Prepared {
    scenario: ValidScenario,
    params: Vec<crate::scenario::uncertainty::UncertainParam>,
    plan: Plan,
    outs: Vec<Output>,
    cat: Catalog,
}

fn prepare(base: &ValidScenario, opts: &SensOptions) -> Result<Prepared> {
    let scenario = match &opts.variant {
        Some(v) => base.with_variant(v)?,
        None => base.clone(),
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
    let plan = Plan::with_seed_factor(opts.method, factors, opts.seed, opts.seed_factor)?;
    let cat = Model::new(&scenario).catalog().clone();
    let outs = outputs(&cat);
    Ok(Prepared {
        scenario,
        params,
        plan,
        outs,
        cat,
    })
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Morris { .. } => "morris",
        Method::Sobol { .. } => "sobol",
        Method::Prim { .. } => "prim",
    }
}

/// Run the study `opts` describes on `scenario` and write its files (with `opts.shard`,
/// only that shard's points, into a shard directory).
pub fn run_scenario_sensitivity(
    scenario: &ValidScenario,
    opts: &SensOptions,
    cancel: Option<&AtomicBool>,
) -> Result<SensRun> {
    let p = prepare(scenario, opts)?;
    let name = method_name(opts.method);
    let dir = opts.out.clone().unwrap_or_else(|| {
        let leaf = match opts.shard {
            Some(sh) => format!(
                "sensitivity-{name}-{}-shard-{}-of-{}",
                opts.seed, sh.k, sh.n
            ),
            None => format!("sensitivity-{name}-{}", opts.seed),
        };
        PathBuf::from("output").join(p.scenario.stem()).join(leaf)
    });
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let total = p.plan.points().len();
    let todo: Vec<usize> = match opts.shard {
        Some(sh) => ((sh.k - 1) as usize..total)
            .step_by(sh.n as usize)
            .collect(),
        None => (0..total).collect(),
    };
    if let Some(sh) = opts.shard {
        // An older shard's manifest must not vouch for the rows written below.
        let m = dir.join(SHARD_MANIFEST);
        if m.exists() {
            std::fs::remove_file(&m).map_err(|e| Error::io(&m, e))?;
        }
        if todo.is_empty() {
            return Err(Error::usage(
                format!("--shard {sh}"),
                format!("the study has only {total} design points: use at most {total} shards"),
            ));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;
    let pts = p.plan.points();
    let pb = if opts.progress {
        indicatif::ProgressBar::new(todo.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let rows: Vec<Result<Vec<f64>>> = pool.install(|| {
        todo.par_iter()
            .map(|&i| {
                if cancel.is_some_and(|f| f.load(Ordering::SeqCst)) {
                    return Err(Error::Runtime("sensitivity study interrupted".into()));
                }
                let u: Vec<f64> = pts[i]
                    .iter()
                    .map(|&u| probability(u, opts.method))
                    .collect();
                let s = p.scenario.at_unit_point(&u)?;
                let row = evaluate(&s, opts.seed, p.plan.crn_key(i), opts.runs, &p.cat);
                pb.inc(1);
                Ok(row)
            })
            .collect()
    });
    pb.finish_and_clear();
    let y: Vec<Vec<f64>> = rows.into_iter().collect::<Result<_>>()?;
    match opts.shard {
        Some(sh) => write_shard(&dir, &p, opts, sh, &todo, &y)?,
        None => finish(&dir, &p, opts, &y)?,
    }
    Ok(SensRun {
        dir,
        points: todo.len(),
        total,
        shard: opts.shard,
    })
}

/// Analyse the outputs `y` of every point and write the study's files into `dir`.
fn finish(dir: &Path, p: &Prepared, opts: &SensOptions, y: &[Vec<f64>]) -> Result<()> {
    let study = p.plan.analyze(&p.outs, y)?;
    let meta = meta(&p.scenario, opts, &p.params, &study);
    let all: Vec<usize> = (0..y.len()).collect();
    let csv = points_csv(&p.plan, opts.method, &p.params, &p.outs, &all, y);
    crate::output::write_atomic(&dir.join("points.csv"), csv.as_bytes())?;
    write_sensitivity(dir, &SensitivityFile { meta, study })
}

/// A shard directory: `scenario.ron`, the shard's rows of `points.csv`, then its manifest.
fn write_shard(
    dir: &Path,
    p: &Prepared,
    opts: &SensOptions,
    sh: Shard,
    todo: &[usize],
    y: &[Vec<f64>],
) -> Result<()> {
    use crate::output::write_atomic;
    write_atomic(&dir.join("scenario.ron"), p.scenario.source().as_bytes())?;
    let csv = points_csv(&p.plan, opts.method, &p.params, &p.outs, todo, y);
    write_atomic(&dir.join("points.csv"), csv.as_bytes())?;
    let m = SensShardManifest {
        kind: SHARD_KIND.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: p.scenario.spec.exercise.name.clone(),
        scenario_file: p.scenario.path.display().to_string(),
        scenario_hash: p.scenario.hash().to_string(),
        variant: opts.variant.clone(),
        method: opts.method,
        seed_factor: opts.seed_factor,
        runs_per_point: opts.runs,
        seed: opts.seed,
        points: p.plan.points().len(),
        factors: p.plan.factors.iter().map(|f| f.label.clone()).collect(),
        shard: (sh.k, sh.n),
    };
    let json = serde_json::to_vec_pretty(&m)
        .map_err(|e| Error::Runtime(format!("{SHARD_MANIFEST}: {e}")))?;
    write_atomic(&dir.join(SHARD_MANIFEST), &json)
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

/// The header of `points.csv`.
fn points_header(
    params: &[crate::scenario::uncertainty::UncertainParam],
    outs: &[Output],
) -> String {
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
    s
}

/// A number as `points.csv` writes it: the shortest text that reads back as the same `f64`,
/// empty when not finite.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// Line `i` of `points.csv` (with its newline): coordinates, values, outputs `row`.
fn point_line(
    plan: &Plan,
    method: Method,
    params: &[crate::scenario::uncertainty::UncertainParam],
    i: usize,
    row: &[f64],
) -> String {
    let x = &plan.points()[i];
    let mut s = format!("{i},{}", plan.crn_key(i));
    for &u in x {
        s.push(',');
        s.push_str(&num(probability(u, method)));
    }
    for (p, &u) in params.iter().zip(x) {
        s.push(',');
        s.push_str(&num(p.dist.quantile(probability(u, method))));
    }
    for &v in row {
        s.push(',');
        s.push_str(&num(v));
    }
    s.push('\n');
    s
}

/// `points.csv`: the coordinates, values and outputs of the design points `which` (in
/// design order; `y[n]` is the outputs of point `which[n]`).
fn points_csv(
    plan: &Plan,
    method: Method,
    params: &[crate::scenario::uncertainty::UncertainParam],
    outs: &[Output],
    which: &[usize],
    y: &[Vec<f64>],
) -> String {
    let mut s = points_header(params, outs);
    for (&i, row) in which.iter().zip(y) {
        s.push_str(&point_line(plan, method, params, i, row));
    }
    s
}

fn bad_shards(problems: Vec<String>) -> Error {
    Error::usage(
        "DIRS",
        format!(
            "cannot merge these sensitivity shards:\n  - {}",
            problems.join("\n  - ")
        ),
    )
}

/// Sensitivity shards checked, with every point's outputs read back, ready to analyse.
struct SensMergePlan {
    prepared: Prepared,
    opts: SensOptions,
    y: Vec<Vec<f64>>,
}

fn check_sensitivity_shards(opts: &MergeOptions) -> Result<SensMergePlan> {
    let dirs = &opts.dirs;
    if dirs.is_empty() {
        return Err(Error::usage(
            "DIRS",
            "merge needs at least one shard directory",
        ));
    }
    let mut problems = Vec::new();
    let mut shards: Vec<(PathBuf, SensShardManifest)> = Vec::new();
    for d in dirs {
        let path = d.join(SHARD_MANIFEST);
        if !path.exists() {
            problems.push(if d.join("manifest.json").exists() {
                format!(
                    "{} is a batch directory, not a sensitivity shard: merge batch shards and \
                     sensitivity shards separately",
                    d.display()
                )
            } else {
                format!(
                    "{} holds no finished sensitivity shard (no {SHARD_MANIFEST}): has its \
                     `tabletop sensitivity --shard K/N` job run to the end?",
                    d.display()
                )
            });
            continue;
        }
        match crate::output::read_json::<SensShardManifest>(&path) {
            Ok(m) if m.kind == SHARD_KIND => shards.push((d.clone(), m)),
            Ok(_) => problems.push(format!(
                "{} is not a sensitivity shard manifest",
                path.display()
            )),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    if !problems.is_empty() {
        return Err(bad_shards(problems));
    }
    let (d0, first) = (&shards[0].0, shards[0].1.clone());
    for (d, m) in &shards[1..] {
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                problems.push(format!(
                    "{} has {what} {b}, but {} has {a}: it is a shard of another study",
                    d.display(),
                    d0.display()
                ));
            }
        };
        differ("version", first.version.clone(), m.version.clone());
        differ(
            "scenario hash",
            first.scenario_hash.clone(),
            m.scenario_hash.clone(),
        );
        differ(
            "variant",
            format!("{:?}", first.variant),
            format!("{:?}", m.variant),
        );
        differ(
            "method",
            format!("{:?}", first.method),
            format!("{:?}", m.method),
        );
        differ(
            "--seed-factor",
            first.seed_factor.to_string(),
            m.seed_factor.to_string(),
        );
        differ(
            "runs per point",
            first.runs_per_point.to_string(),
            m.runs_per_point.to_string(),
        );
        differ("seed", first.seed.to_string(), m.seed.to_string());
        differ(
            "design points",
            first.points.to_string(),
            m.points.to_string(),
        );
        differ("factors", first.factors.join(","), m.factors.join(","));
        differ(
            "shard count",
            first.shard.1.to_string(),
            m.shard.1.to_string(),
        );
    }
    // What the caller says the study must be (`--seed`, `--runs`, `--scenario`, `--variant`).
    let e = &opts.expect;
    let want_hash = match &e.scenario {
        Some(f) => Some(crate::scenario::load(f)?.hash().to_string()),
        None => None,
    };
    if e.all_variants {
        return Err(Error::usage(
            "--all-variants",
            "a sensitivity study is of one variant: name it with --variant ID",
        ));
    }
    for (d, m) in &shards {
        let mut differ = |what: &str, want: String, got: String| {
            if want != got {
                problems.push(format!(
                    "{} has {what} {got}, not {want}: it is a shard of another study; run \
                     this shard again",
                    d.display()
                ));
            }
        };
        if let Some(seed) = e.seed {
            differ("seed", seed.to_string(), m.seed.to_string());
        }
        if let Some(runs) = e.runs {
            differ(
                "runs per point",
                runs.to_string(),
                m.runs_per_point.to_string(),
            );
        }
        if let (Some(f), Some(h)) = (&e.scenario, &want_hash) {
            differ(
                &format!("scenario hash (of {})", f.display()),
                h.clone(),
                m.scenario_hash.clone(),
            );
        }
        if !e.variants.is_empty() {
            differ(
                "variant",
                e.variants.join(","),
                m.variant.clone().unwrap_or_else(|| "none".into()),
            );
        }
    }
    if !problems.is_empty() {
        return Err(bad_shards(problems));
    }
    let n = first.shard.1;
    for k in 1..=n {
        let holders: Vec<String> = shards
            .iter()
            .filter(|s| s.1.shard.0 == k)
            .map(|s| s.0.display().to_string())
            .collect();
        match holders.len() {
            0 => problems.push(format!("shard {k}/{n} is missing")),
            1 => {}
            _ => problems.push(format!(
                "shard {k}/{n} is given more than once ({})",
                holders.join(", ")
            )),
        }
    }
    for (d, m) in &shards {
        if m.shard.0 == 0 || m.shard.0 > n {
            problems.push(format!("{} claims shard {}/{n}", d.display(), m.shard.0));
        }
    }
    if first.version != env!("CARGO_PKG_VERSION") {
        problems.push(format!(
            "the shards were written by tabletop {}, this is {}: merge them with the version \
             that ran them",
            first.version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    if !problems.is_empty() {
        return Err(bad_shards(problems));
    }
    shards.sort_by_key(|s| s.1.shard.0);

    // The scenario as the shards ran it, from the first shard's copy.
    let src_path = shards[0].0.join("scenario.ron");
    let source = std::fs::read_to_string(&src_path).map_err(|e| Error::io(&src_path, e))?;
    for (d, _) in &shards[1..] {
        let p = d.join("scenario.ron");
        if std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))? != source {
            problems.push(format!(
                "{} has a different scenario.ron than {}",
                p.display(),
                src_path.display()
            ));
        }
    }
    let base = crate::scenario::load_str(Path::new(&first.scenario_file), &source)?;
    if base.hash() != first.scenario_hash {
        problems.push(format!(
            "{} is not the scenario its manifest names (sha256 {}, not {})",
            src_path.display(),
            base.hash(),
            first.scenario_hash
        ));
    }
    if !problems.is_empty() {
        return Err(bad_shards(problems));
    }
    let sopts = SensOptions {
        method: first.method,
        runs: first.runs_per_point,
        variant: first.variant.clone(),
        jobs: None,
        seed: first.seed,
        out: Some(opts.out.clone()),
        progress: false,
        seed_factor: first.seed_factor,
        shard: None,
    };
    let p = prepare(&base, &sopts)?;
    let total = p.plan.points().len();
    let labels: Vec<String> = p.plan.factors.iter().map(|f| f.label.clone()).collect();
    if total != first.points || labels != first.factors {
        return Err(bad_shards(vec![format!(
            "the shards' design ({} points over {}) is not what this tabletop builds from \
             their scenario.ron ({total} points over {})",
            first.points,
            first.factors.join(", "),
            labels.join(", ")
        )]));
    }

    // Every point's row, exactly once, from the shard that owns it; each line must be the
    // one this design writes for the outputs it holds.
    let head = points_header(&p.params, &p.outs);
    let width = 2 + 2 * p.params.len() + p.outs.len();
    let mut y: Vec<Option<Vec<f64>>> = vec![None; total];
    for (d, m) in &shards {
        let path = d.join("points.csv");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let Some(body) = text.strip_prefix(head.as_str()) else {
            problems.push(format!(
                "{}: the header is not that of this study's points.csv",
                path.display()
            ));
            continue;
        };
        let mut want = ((m.shard.0 - 1) as usize..total).step_by(n as usize);
        let mut local = Vec::new();
        for (ln, line) in body.split_inclusive('\n').enumerate() {
            let cells: Vec<&str> = line.trim_end_matches('\n').split(',').collect();
            let Some(i) = want.next() else {
                local.push(format!(
                    "{}: line {}: more rows than shard {}/{n} has points",
                    path.display(),
                    ln + 2,
                    m.shard.0
                ));
                break;
            };
            let row: Option<Vec<f64>> = (cells.len() == width)
                .then(|| {
                    cells[2 + 2 * p.params.len()..]
                        .iter()
                        .map(|c| {
                            if c.is_empty() {
                                Some(f64::NAN)
                            } else {
                                c.parse::<f64>().ok()
                            }
                        })
                        .collect()
                })
                .flatten();
            match row {
                Some(r) if point_line(&p.plan, first.method, &p.params, i, &r) == line => {
                    y[i] = Some(r)
                }
                _ => local.push(format!(
                    "{}: line {}: not the row of design point {i} (a truncated or edited file?)",
                    path.display(),
                    ln + 2
                )),
            }
        }
        let missing = want.count();
        if missing > 0 && local.is_empty() {
            local.push(format!(
                "{}: {missing} rows of shard {}/{n} are missing (an interrupted shard?)",
                path.display(),
                m.shard.0
            ));
        }
        local.truncate(5);
        problems.extend(local);
    }
    if !problems.is_empty() {
        return Err(bad_shards(problems));
    }
    let y: Vec<Vec<f64>> = y
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.ok_or_else(|| Error::Runtime(format!("design point {i} was not read"))))
        .collect::<Result<_>>()?;
    Ok(SensMergePlan {
        prepared: p,
        opts: sopts,
        y,
    })
}

/// `tabletop merge` of sensitivity shard directories: check that `opts.dirs` are the N shards
/// of one study, each present once and finished, of the same scenario, options and version
/// (and of what `opts.expect` says), then, unless `check_only`, analyse all points and write
/// into `opts.out` the very files the study writes on one machine. Every problem is named,
/// with its directory (exit code 2).
pub(crate) fn merge_sensitivity_shards(opts: &MergeOptions, check_only: bool) -> Result<SensRun> {
    let plan = check_sensitivity_shards(opts)?;
    let total = plan.y.len();
    let run = SensRun {
        dir: opts.out.clone(),
        points: total,
        total,
        shard: None,
    };
    if check_only {
        return Ok(run);
    }
    let same = |d: &PathBuf| {
        d == &opts.out
            || matches!((d.canonicalize(), opts.out.canonicalize()), (Ok(a), Ok(b)) if a == b)
    };
    if opts.dirs.iter().any(same) {
        return Err(Error::usage(
            "--out",
            "the merged study would overwrite a shard's points.csv: choose another directory",
        ));
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    finish(&opts.out, &plan.prepared, &plan.opts, &plan.y)?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::MergeExpect;
    use crate::sensitivity::study::SEED_FACTOR;

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
            seed_factor: false,
            shard: None,
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

    /// Every file under `dir` (relative path, bytes), sorted.
    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().display().to_string();
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    fn merge_opts(dirs: &[PathBuf], out: PathBuf) -> MergeOptions {
        MergeOptions {
            dirs: dirs.to_vec(),
            out,
            force: false,
            command: String::new(),
            expect: Default::default(),
        }
    }

    #[test]
    fn three_seed_factor_shards_merge_into_the_very_files_of_the_whole_study() {
        let s = bridge();
        let t = tempfile::tempdir().unwrap();
        let mut o = opts(1, t.path().join("whole"));
        o.method = Method::Sobol { samples: 4 };
        o.runs = 2;
        o.seed_factor = true;
        let whole = run_scenario_sensitivity(&s, &o, None).unwrap();
        let nk = s.uncertain().len();
        assert_eq!(whole.total, 4 * (nk + 3), "k parameters, the seed, A and B");
        let mut dirs = Vec::new();
        for k in [3, 1, 2] {
            let mut o = o.clone();
            o.jobs = Some(2);
            o.shard = Shard::new(k, 3);
            o.out = Some(t.path().join(format!("shard{k}")));
            let r = run_scenario_sensitivity(&s, &o, None).unwrap();
            assert_eq!(r.points, (k as usize - 1..whole.total).step_by(3).count());
            assert!(
                !r.dir.join("sensitivity.json").exists(),
                "a shard analyses nothing"
            );
            dirs.push(r.dir);
        }
        let merged = t.path().join("merged");
        merge_sensitivity_shards(&merge_opts(&dirs, merged.clone()), false).unwrap();
        let (a, b) = (tree(&whole.dir), tree(&merged));
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        for f in [
            "sensitivity.json",
            "sobol.csv",
            "points.csv",
            "sensitivity.md",
            "sensitivity.html",
        ] {
            assert!(names(&a).contains(&f.to_string()), "{f} not written");
        }
        assert!(names(&a).iter().any(|n| n.ends_with(".png")), "no chart");
        for ((n, x), (_, y)) in a.iter().zip(&b) {
            assert!(
                x == y,
                "{n} differs between the study and its merged shards"
            );
        }

        // The seed is the last group; with 2 runs per point, part of every varying output's
        // variance is Monte Carlo noise.
        let f: crate::report::SensitivityFile =
            crate::output::read_json(&whole.dir.join("sensitivity.json")).unwrap();
        assert!(f.study.seed_factor);
        assert_eq!(f.study.groups.last().unwrap(), SEED_FACTOR);
        let mut noisy = 0;
        for out in &f.study.outputs {
            let Some(sob) = &out.sobol else { continue };
            let seed = sob.indices.last().unwrap();
            assert!(seed.st >= 0.0, "{}", out.output.id);
            if sob.variance > 0.0 && out.output.kind == OutputKind::Probability {
                noisy += usize::from(seed.st > 0.0);
            }
        }
        assert!(
            noisy > 0,
            "no output has a seed total index above 0 at 2 runs per point"
        );
        let md = std::fs::read_to_string(whole.dir.join("sensitivity.md")).unwrap();
        assert!(md.contains("Monte Carlo noise"), "{md}");
    }

    #[test]
    fn missing_duplicate_foreign_and_edited_shards_are_refused_by_name() {
        let s = bridge();
        let t = tempfile::tempdir().unwrap();
        let mut o = opts(2, t.path().join("x"));
        o.method = Method::Morris { trajectories: 2 };
        o.runs = 1;
        let shard = |k: u64, seed: u64, name: &str| {
            let mut o = o.clone();
            o.shard = Shard::new(k, 3);
            o.seed = seed;
            o.out = Some(t.path().join(name));
            run_scenario_sensitivity(&s, &o, None).unwrap().dir
        };
        let (s1, s2, s3) = (shard(1, 5, "s1"), shard(2, 5, "s2"), shard(3, 5, "s3"));
        let other = shard(2, 6, "other");
        let out = t.path().join("m");
        let err = |dirs: &[PathBuf], e: MergeExpect| {
            let mut m = merge_opts(dirs, out.clone());
            m.expect = e;
            let r = merge_sensitivity_shards(&m, true);
            let e = r.expect_err("merged a bad set of shards");
            assert!(matches!(e, Error::Usage { .. }), "{e:?}");
            e.to_string()
        };
        let none = MergeExpect::default;
        let e = err(&[s1.clone(), s2.clone()], none());
        assert!(e.contains("shard 3/3 is missing"), "{e}");
        let e = err(&[s1.clone(), s2.clone(), s2.clone(), s3.clone()], none());
        assert!(e.contains("shard 2/3 is given more than once"), "{e}");
        let e = err(&[s1.clone(), other.clone(), s3.clone()], none());
        assert!(
            e.contains(&other.display().to_string()) && e.contains("seed"),
            "{e}"
        );
        let e = err(
            &[s1.clone(), s2.clone(), s3.clone()],
            MergeExpect {
                seed: Some(4),
                ..none()
            },
        );
        assert!(e.contains("has seed 5, not 4"), "{e}");
        // Unfinished: no manifest yet.
        let unfinished = t.path().join("u");
        std::fs::create_dir_all(&unfinished).unwrap();
        std::fs::copy(s3.join("points.csv"), unfinished.join("points.csv")).unwrap();
        let e = err(&[s1.clone(), s2.clone(), unfinished.clone()], none());
        assert!(e.contains("holds no finished sensitivity shard"), "{e}");
        // A row edited by hand.
        let edited = t.path().join("e");
        std::fs::create_dir_all(&edited).unwrap();
        for f in [SHARD_MANIFEST, "scenario.ron", "points.csv"] {
            std::fs::copy(s3.join(f), edited.join(f)).unwrap();
        }
        let text = std::fs::read_to_string(edited.join("points.csv")).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        // Change the row's common-random-number key, a column the design fixes (an edited
        // output value that is still a number in canonical form cannot be told from a real one).
        let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
        cells[1].push('9');
        lines[1] = cells.join(",");
        std::fs::write(edited.join("points.csv"), lines.join("\n") + "\n").unwrap();
        let e = err(&[s1.clone(), s2.clone(), edited], none());
        assert!(e.contains("not the row of design point 2"), "{e}");
        assert!(is_shard_dir(&unfinished) && !is_shard_dir(t.path()));
        // The good set passes the check, and merges into the Morris study of one machine.
        let good = [s1, s2, s3];
        merge_sensitivity_shards(&merge_opts(&good, out.clone()), true).unwrap();
        assert!(!out.exists(), "--check writes nothing");
        let e = merge_sensitivity_shards(&merge_opts(&good, good[0].clone()), false);
        assert!(e.unwrap_err().to_string().contains("overwrite a shard"));
        merge_sensitivity_shards(&merge_opts(&good, out.clone()), false).unwrap();
        let whole = run_scenario_sensitivity(&s, &o, None).unwrap();
        assert_eq!(tree(&whole.dir), tree(&out));
    }

    #[test]
    fn the_seed_factor_is_for_sobol_only_and_a_shard_needs_points() {
        let s = bridge();
        let t = tempfile::tempdir().unwrap();
        let mut o = opts(1, t.path().join("a"));
        o.seed_factor = true;
        assert!(run_scenario_sensitivity(&s, &o, None).is_err());
        o.seed_factor = false;
        let points = run_scenario_sensitivity(&s, &o, None).unwrap().total;
        o.shard = Shard::new(points as u64 + 1, points as u64 + 1);
        let e = run_scenario_sensitivity(&s, &o, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("at most {points} shards")), "{e}");
    }

    #[test]
    fn morris_grid_points_map_to_cell_centres() {
        let m = Method::Morris { trajectories: 2 };
        assert_eq!(probability(0.0, m), 0.125);
        assert_eq!(probability(1.0, m), 0.875);
        assert!(probability(0.0, Method::Sobol { samples: 2 }) > 0.0);
    }
}
