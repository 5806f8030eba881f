//! Parameter sweeps: a full factorial or Latin hypercube design over scenario paths, each
//! configuration run as a small batch with common random numbers, rows streamed.

use super::rows::{field, header, push_row};
use super::runner::{Control, json, prepare_dir, rfc3339_now};
use super::simulator::{ColumnMap, Simulator};
use super::stats::{Welford, wilson};
use super::summary::Manifest;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::sim::{RunOptions, RunOutcome, RunSeed};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Random stream of the Latin hypercube draw (run streams are run indices, far below it).
pub(crate) const LHS_STREAM: u64 = u64::MAX;

/// The values one `--param` takes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    /// Explicit RON values (full factorial).
    List(Vec<String>),
    /// A numeric range `MIN..MAX` (Latin hypercube).
    Range(f64, f64),
}

/// One `--param PATH=VALUES`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    /// Variant path, e.g. `partnerships[fc_jttf].share_probability`.
    pub path: String,
    /// Values.
    pub values: Values,
}

/// Split on commas outside brackets and quotes (RON values may hold commas).
fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// Parse `PATH=V1,V2,...` or `PATH=MIN..MAX`.
pub(crate) fn parse_param(s: &str) -> Result<Param> {
    let Some((path, vals)) = s.split_once('=') else {
        return Err(Error::usage(
            format!("--param {s}"),
            "expected PATH=V1,V2,... or PATH=MIN..MAX",
        ));
    };
    let path = path.trim().to_string();
    if path.is_empty() {
        return Err(Error::usage(format!("--param {s}"), "the path is empty"));
    }
    if let Some((a, b)) = vals.split_once("..")
        && let (Ok(lo), Ok(hi)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>())
    {
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::usage(
                format!("--param {s}"),
                "the range needs finite MIN ≤ MAX",
            ));
        }
        return Ok(Param {
            path,
            values: Values::Range(lo, hi),
        });
    }
    let list = split_top(vals);
    if list.iter().any(|v| v.is_empty()) {
        return Err(Error::usage(
            format!("--param {s}"),
            "empty value in the list",
        ));
    }
    Ok(Param {
        path,
        values: Values::List(list),
    })
}

/// How a sweep chooses its configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Design {
    /// Full factorial: every combination of the listed values.
    #[default]
    Full,
    /// Latin hypercube: `samples` points over `MIN..MAX` ranges.
    Lhs,
}

/// The configurations of a design: one value (RON text) per parameter each.
/// `full`: every combination of list values, the first parameter varying slowest.
/// `lhs`: `samples` points; each parameter's range cut into `samples` equal strata, one
/// uniform draw per stratum, strata shuffled independently per parameter, all from
/// `ChaCha8Rng::seed_from_u64(seed)` on stream [`LHS_STREAM`].
pub(crate) fn design(
    params: &[Param],
    kind: Design,
    samples: usize,
    seed: u64,
) -> Result<Vec<Vec<String>>> {
    match kind {
        Design::Full => {
            let mut configs = vec![Vec::new()];
            for p in params {
                let Values::List(vals) = &p.values else {
                    return Err(Error::usage(
                        format!("--param {}", p.path),
                        "a MIN..MAX range needs --design lhs",
                    ));
                };
                configs = configs
                    .into_iter()
                    .flat_map(|c| {
                        vals.iter().map(move |v| {
                            let mut c = c.clone();
                            c.push(v.clone());
                            c
                        })
                    })
                    .collect();
            }
            Ok(configs)
        }
        Design::Lhs => {
            if samples == 0 {
                return Err(Error::usage("--samples 0", "must be at least 1"));
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(LHS_STREAM);
            let mut cols = Vec::new();
            for p in params {
                let Values::Range(lo, hi) = p.values else {
                    return Err(Error::usage(
                        format!("--param {}", p.path),
                        "--design lhs needs a MIN..MAX range",
                    ));
                };
                let mut strata: Vec<usize> = (0..samples).collect();
                for i in (1..samples).rev() {
                    let j = rng.random_range(0..=i);
                    strata.swap(i, j);
                }
                let col: Vec<String> = strata
                    .iter()
                    .map(|&s| {
                        let u: f64 = rng.random();
                        let x = lo + (hi - lo) * (s as f64 + u) / samples as f64;
                        let x = x.clamp(lo, hi);
                        if x.fract() == 0.0 {
                            format!("{x:.1}")
                        } else {
                            format!("{x}")
                        }
                    })
                    .collect();
                cols.push(col);
            }
            Ok((0..samples)
                .map(|s| cols.iter().map(|c| c[s].clone()).collect())
                .collect())
        }
    }
}

/// A sweep's definition.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// Manifest template (variants are set to the configuration indices, shard None).
    pub manifest: Manifest,
    /// The scenario file's text.
    pub scenario_source: String,
    /// Parameter paths.
    pub paths: Vec<String>,
    /// Values per configuration, aligned with `paths`.
    pub configs: Vec<Vec<String>>,
    /// Runs per configuration.
    pub runs: u64,
}

/// Run a sweep into `dir`: configs.csv, runs.csv (streamed), sweep-summary.csv, manifest.json,
/// scenario.ron, catalog.json (of configuration 0, the layout of every row).
pub fn run_sweep<S: Simulator>(
    spec: &SweepSpec,
    sims: &[S],
    dir: &Path,
    ctl: &Control<'_>,
) -> Result<()> {
    if sims.is_empty() || sims.len() != spec.configs.len() {
        return Err(Error::Runtime(
            "a sweep needs one simulator per configuration".into(),
        ));
    }
    if ctl.jobs == Some(0) || ctl.chunk == 0 {
        return Err(Error::usage(
            "--jobs",
            "--jobs and the chunk size must be at least 1",
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(ctl.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Runtime(format!("thread pool: {e}")))?;
    prepare_dir(dir, ctl.mode == super::runner::DirMode::Force)?;
    let catalog = sims[0].catalog().clone();
    let mut man = spec.manifest.clone();
    man.runs = spec.runs;
    man.variants = (0..spec.configs.len()).map(|c| c.to_string()).collect();
    man.shard = None;
    man.started = rfc3339_now();
    man.finished = String::new();
    write_atomic(&dir.join("scenario.ron"), spec.scenario_source.as_bytes())?;
    write_atomic(&dir.join("catalog.json"), &json(&catalog)?)?;
    write_atomic(&dir.join("manifest.json"), &json(&man)?)?;

    let mut configs = String::from("config");
    for p in &spec.paths {
        configs.push(',');
        configs.push_str(&field(p));
    }
    configs.push('\n');
    for (c, vals) in spec.configs.iter().enumerate() {
        let _ = write!(configs, "{c}");
        for v in vals {
            configs.push(',');
            configs.push_str(&field(v));
        }
        configs.push('\n');
    }
    write_atomic(&dir.join("configs.csv"), configs.as_bytes())?;

    let mut sum = configs.lines().next().unwrap_or("config").to_string();
    for o in &catalog.objectives {
        for s in ["p", "ci_low", "ci_high"] {
            sum.push(',');
            sum.push_str(&field(&format!("obj:{}:{s}", o.id)));
        }
    }
    for m in &catalog.metrics {
        for s in ["mean", "ci_low", "ci_high"] {
            sum.push(',');
            sum.push_str(&field(&format!("{}:{s}", m.id)));
        }
    }
    sum.push('\n');

    let runs_path = dir.join("runs.csv");
    let tmp = crate::output::tmp_path(&runs_path);
    let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(header("config", &catalog).as_bytes())
        .map_err(|e| Error::io(&tmp, e))?;
    let pb = if ctl.progress {
        indicatif::ProgressBar::new(spec.runs * sims.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    for (c, sim) in sims.iter().enumerate() {
        let map = ColumnMap::new(&catalog, sim.catalog());
        let mut met = vec![0u64; catalog.objectives.len()];
        let mut na = vec![0u64; catalog.objectives.len()];
        let mut stats = vec![Welford::default(); catalog.metrics.len()];
        let key = c.to_string();
        let mut j0 = 0;
        while j0 < spec.runs {
            if ctl
                .cancel
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst))
            {
                return Err(Error::Runtime("sweep interrupted".into()));
            }
            let j1 = (j0 + ctl.chunk).min(spec.runs);
            let outs: Vec<RunOutcome> = pool.install(|| {
                (j0..j1)
                    .into_par_iter()
                    .map(|j| {
                        sim.run(
                            RunSeed {
                                master: man.master_seed,
                                run_index: j,
                            },
                            RunOptions::default(),
                        )
                    })
                    .collect()
            });
            let mut buf = String::new();
            for (j, o) in (j0..j1).zip(&outs) {
                let mut row = map.row(o);
                row.run = j;
                push_row(&mut buf, &key, &row);
                for (k, &m) in row.objectives.iter().enumerate() {
                    match m {
                        Some(m) => met[k] += u64::from(m),
                        None => na[k] += 1,
                    }
                }
                for (w, x) in stats.iter_mut().zip(&row.metrics) {
                    if let Some(x) = x {
                        w.push(*x);
                    }
                }
            }
            file.write_all(buf.as_bytes())
                .and_then(|_| file.flush())
                .map_err(|e| Error::io(&tmp, e))?;
            pb.inc(j1 - j0);
            j0 = j1;
        }
        let _ = write!(sum, "{c}");
        for v in &spec.configs[c] {
            sum.push(',');
            sum.push_str(&field(v));
        }
        // P(met) over the runs each objective applied to.
        for (&k, &skip) in met.iter().zip(&na) {
            let n = spec.runs - skip;
            let (lo, hi) = wilson(k, n);
            let p = if n > 0 { k as f64 / n as f64 } else { 0.0 };
            let _ = write!(sum, ",{p},{lo},{hi}");
        }
        for w in &stats {
            let f = |x: Option<f64>| x.map(|v| format!("{v}")).unwrap_or_default();
            let (m, h) = (w.mean(), w.halfwidth());
            let lo = m.zip(h).map(|(m, h)| m - h);
            let hi = m.zip(h).map(|(m, h)| m + h);
            let _ = write!(sum, ",{},{},{}", f(m), f(lo), f(hi));
        }
        sum.push('\n');
    }
    pb.finish_and_clear();
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, &runs_path).map_err(|e| Error::io(&runs_path, e))?;
    write_atomic(&dir.join("sweep-summary.csv"), sum.as_bytes())?;
    man.finished = rfc3339_now();
    write_atomic(&dir.join("manifest.json"), &json(&man)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_outside_parentheses() {
        let p = parse_param(
            "threats[t].signal_interval=Fixed(hours(1)),Uniform(min: hours(1), max: hours(2))",
        )
        .unwrap();
        assert_eq!(
            p.values,
            Values::List(vec![
                "Fixed(hours(1))".into(),
                "Uniform(min: hours(1), max: hours(2))".into()
            ])
        );
    }

    #[test]
    fn full_factorial_varies_the_first_parameter_slowest() {
        let ps = [
            parse_param("a=1,2").unwrap(),
            parse_param("b=x,y,z").unwrap(),
        ];
        let d = design(&ps, Design::Full, 0, 1).unwrap();
        assert_eq!(d.len(), 6);
        assert_eq!(d[0], vec!["1", "x"]);
        assert_eq!(d[1], vec!["1", "y"]);
        assert_eq!(d[3], vec!["2", "x"]);
    }

    #[test]
    fn latin_hypercube_puts_one_sample_in_every_stratum() {
        let ps = [
            parse_param("a=0..1").unwrap(),
            parse_param("b=10..20").unwrap(),
        ];
        let d = design(&ps, Design::Lhs, 8, 7).unwrap();
        assert_eq!(d, design(&ps, Design::Lhs, 8, 7).unwrap());
        for (p, (lo, hi)) in [(0, (0.0, 1.0)), (1, (10.0, 20.0))] {
            let mut strata: Vec<usize> = d
                .iter()
                .map(|c| {
                    let x: f64 = c[p].parse().unwrap();
                    (((x - lo) / (hi - lo) * 8.0).floor() as usize).min(7)
                })
                .collect();
            strata.sort();
            assert_eq!(strata, (0..8).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ranges_need_the_lhs_design() {
        let ps = [parse_param("a=0..1").unwrap()];
        assert!(matches!(
            design(&ps, Design::Full, 4, 1),
            Err(Error::Usage { .. })
        ));
    }
}
