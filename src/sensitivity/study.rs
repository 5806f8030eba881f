//! A sensitivity study over named factors: the design of one method (Morris, Sobol' or a
//! PRIM sample), the key that pairs design points on common random numbers, and the analysis
//! of any number of outputs measured at every point. Knows nothing of scenarios: the caller
//! evaluates the points (in parallel, in any order) and hands back one row of outputs per
//! point, in design order.

use super::morris::{MorrisDesign, MorrisIndices};
use super::prim::{PrimOptions, PrimResult, prim};
use super::sobol::{SobolDesign, SobolResult, latin_hypercube};
use super::{rng, stream};
use crate::error::{Error, Result};

/// Grid levels of the Morris design.
pub const MORRIS_LEVELS: usize = 4;

/// The name of the seed factor among a Sobol' study's groups (`--seed-factor`).
pub const SEED_FACTOR: &str = "seed (Monte Carlo noise)";

/// Which method, with its size.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Morris screening with this many trajectories, factors grouped by their group.
    Morris {
        /// Trajectories r.
        trajectories: usize,
    },
    /// Sobol' indices per factor from this many base rows.
    Sobol {
        /// Base rows N.
        samples: usize,
    },
    /// PRIM over a Latin hypercube sample of this many points.
    Prim {
        /// Points.
        samples: usize,
    },
}

/// One uncertain factor.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Factor {
    /// Label a reader sees.
    pub label: String,
    /// Group name (Morris moves a group's factors together); None: a group of its own.
    pub group: Option<String>,
}

/// A design ready to evaluate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The method.
    pub method: Method,
    /// The factors, in order.
    pub factors: Vec<Factor>,
    /// Group names in order of first appearance (a factor without a group is named by its
    /// label).
    pub groups: Vec<String>,
    /// Group of each factor.
    pub group_of: Vec<usize>,
    /// Master seed.
    pub seed: u64,
    /// Whether the run seed is a factor of its own (Sobol' only): the last group, named
    /// [`SEED_FACTOR`], without a coordinate.
    pub seed_factor: bool,
    design: Design,
}

#[derive(Debug, Clone)]
enum Design {
    Morris(MorrisDesign),
    Sobol(SobolDesign),
    Prim(Vec<Vec<f64>>),
}

/// What kind of number an output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A probability (share of runs).
    Probability,
    /// A metric's mean.
    Mean,
    /// 1 when the point is a case of interest for PRIM (the objective's rating falls to M or
    /// U), else 0.
    Flag,
}

/// One output measured at every point.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Output {
    /// Stable id (file names, CSV columns).
    pub id: String,
    /// What a reader sees.
    pub label: String,
    /// Kind.
    pub kind: OutputKind,
}

/// The analysis of one output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputResult {
    /// The output.
    pub output: Output,
    /// Morris statistics per group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub morris: Option<Vec<MorrisIndices>>,
    /// Sobol' indices per factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sobol: Option<SobolResult>,
    /// PRIM over the points where the flag is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prim: Option<PrimResult>,
}

/// A whole study's analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StudyResult {
    /// Method and size.
    pub method: Method,
    /// Factors.
    pub factors: Vec<Factor>,
    /// Groups (the rows of Morris statistics).
    pub groups: Vec<String>,
    /// Group of each factor.
    pub group_of: Vec<usize>,
    /// Design points evaluated.
    pub points: usize,
    /// Master seed.
    pub seed: u64,
    /// Whether the last of `groups` is the run seed (`--seed-factor`, Sobol' only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seed_factor: bool,
    /// One analysis per output.
    pub outputs: Vec<OutputResult>,
}

impl Plan {
    /// Build the design of `method` over `factors`, deterministic from `seed`.
    pub fn new(method: Method, factors: Vec<Factor>, seed: u64) -> Result<Plan> {
        Self::with_seed_factor(method, factors, seed, false)
    }

    /// [`Plan::new`], with the run seed as one more factor when `seed_factor` (Sobol' only;
    /// see [`SobolDesign::with_seed_factor`]): the parameters' design points are the same, each
    /// base row gains one point, and [`Plan::crn_key`] gives the points their seed blocks.
    pub fn with_seed_factor(
        method: Method,
        factors: Vec<Factor>,
        seed: u64,
        seed_factor: bool,
    ) -> Result<Plan> {
        if seed_factor && !matches!(method, Method::Sobol { .. }) {
            return Err(Error::usage(
                "--seed-factor",
                "the seed is a factor of Sobol' studies only: add --method sobol",
            ));
        }
        if factors.is_empty() {
            return Err(Error::usage(
                "uncertainty",
                "the scenario declares no uncertain parameter: add an `uncertainty:` section",
            ));
        }
        let mut groups: Vec<String> = Vec::new();
        let mut group_of = Vec::with_capacity(factors.len());
        for f in &factors {
            let name = f.group.clone().unwrap_or_else(|| f.label.clone());
            let g = match groups.iter().position(|x| *x == name) {
                Some(g) => g,
                None => {
                    groups.push(name);
                    groups.len() - 1
                }
            };
            group_of.push(g);
        }
        let each: Vec<usize> = (0..factors.len()).collect();
        let design = match method {
            Method::Morris { trajectories } => Design::Morris(MorrisDesign::new(
                &group_of,
                trajectories,
                MORRIS_LEVELS,
                seed,
            )?),
            Method::Sobol { samples } if seed_factor => {
                Design::Sobol(SobolDesign::with_seed_factor(&each, samples, seed)?)
            }
            Method::Sobol { samples } => Design::Sobol(SobolDesign::new(&each, samples, seed)?),
            Method::Prim { samples } => {
                if samples < 20 {
                    return Err(Error::usage(
                        format!("--samples {samples}"),
                        "PRIM needs at least 20 points (a few hundred for useful boxes)",
                    ));
                }
                let mut r = rng(seed, stream::PRIM_DESIGN);
                Design::Prim(latin_hypercube(samples, factors.len(), &mut r))
            }
        };
        if matches!(method, Method::Sobol { .. }) {
            groups = factors.iter().map(|f| f.label.clone()).collect();
            group_of = each;
            if seed_factor {
                groups.push(SEED_FACTOR.to_string());
            }
        }
        Ok(Plan {
            method,
            factors,
            groups,
            group_of,
            seed,
            seed_factor,
            design,
        })
    }

    /// The design points in [0, 1]^k, in evaluation order.
    pub fn points(&self) -> &[Vec<f64>] {
        match &self.design {
            Design::Morris(d) => &d.points,
            Design::Sobol(d) => &d.points,
            Design::Prim(p) => p,
        }
    }

    /// The common-random-numbers key of point `i`: points with the same key should run on the
    /// same seeds. Sobol': the base row (A_j, B_j and every AB_ij share it), or with the seed
    /// as a factor the seed block (2j for A_j and the AB_ij, 2j + 1 for B_j and AB_seed,j);
    /// Morris: the trajectory (each elementary effect is a difference along it); PRIM: the
    /// point itself.
    pub fn crn_key(&self, i: usize) -> u64 {
        match &self.design {
            Design::Morris(d) => (i / (d.groups + 1)) as u64,
            Design::Sobol(d) => d.seed_block(i),
            Design::Prim(_) => i as u64,
        }
    }

    /// Analyse `y` (one row per point in design order, one value per output; NaN where the
    /// output is missing at that point).
    pub fn analyze(&self, outputs: &[Output], y: &[Vec<f64>]) -> Result<StudyResult> {
        if y.len() != self.points().len() || y.iter().any(|r| r.len() != outputs.len()) {
            return Err(Error::Runtime(format!(
                "sensitivity analysis: {} rows of outputs for {} points and {} outputs",
                y.len(),
                self.points().len(),
                outputs.len()
            )));
        }
        let mut res = Vec::with_capacity(outputs.len());
        for (o, out) in outputs.iter().enumerate() {
            let col: Vec<f64> = y.iter().map(|r| r[o]).collect();
            let mut r = OutputResult {
                output: out.clone(),
                morris: None,
                sobol: None,
                prim: None,
            };
            match &self.design {
                Design::Morris(d) if out.kind != OutputKind::Flag => {
                    r.morris = Some(d.analyze(&col, self.seed)?)
                }
                Design::Sobol(d) if out.kind != OutputKind::Flag => {
                    r.sobol = Some(d.analyze(&col, self.seed)?)
                }
                Design::Prim(x) if out.kind == OutputKind::Flag => {
                    let keep: Vec<usize> = (0..x.len()).filter(|&i| col[i].is_finite()).collect();
                    let xs: Vec<Vec<f64>> = keep.iter().map(|&i| x[i].clone()).collect();
                    let flags: Vec<bool> = keep.iter().map(|&i| col[i] > 0.5).collect();
                    if !xs.is_empty() {
                        r.prim = Some(prim(&xs, &flags, PrimOptions::default())?);
                    }
                }
                _ => continue,
            }
            res.push(r);
        }
        Ok(StudyResult {
            method: self.method,
            factors: self.factors.clone(),
            groups: self.groups.clone(),
            group_of: self.group_of.clone(),
            points: self.points().len(),
            seed: self.seed,
            seed_factor: self.seed_factor,
            outputs: res,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors(n: usize) -> Vec<Factor> {
        (0..n)
            .map(|i| Factor {
                label: format!("f{i}"),
                group: (i >= 2).then(|| "tail".to_string()),
            })
            .collect()
    }

    fn outs() -> Vec<Output> {
        vec![
            Output {
                id: "y".into(),
                label: "y".into(),
                kind: OutputKind::Mean,
            },
            Output {
                id: "bad".into(),
                label: "bad".into(),
                kind: OutputKind::Flag,
            },
        ]
    }

    fn eval(p: &Plan) -> Vec<Vec<f64>> {
        p.points()
            .iter()
            .map(|x| {
                let y = 2.0 * x[0] + x[2] + x[3];
                vec![y, f64::from(x[0] > 0.7 && x[1] < 0.3)]
            })
            .collect()
    }

    #[test]
    fn morris_groups_factors_by_name_and_keys_points_by_trajectory() {
        let p = Plan::new(Method::Morris { trajectories: 5 }, factors(4), 1).unwrap();
        assert_eq!(p.groups, vec!["f0", "f1", "tail"]);
        assert_eq!(p.points().len(), 5 * 4);
        assert_eq!((p.crn_key(3), p.crn_key(4)), (0, 1));
        let r = p.analyze(&outs(), &eval(&p)).unwrap();
        assert_eq!(r.outputs.len(), 1, "flags are for PRIM only");
        let m = r.outputs[0].morris.as_ref().unwrap();
        assert!((m[0].mu - 2.0).abs() < 1e-9);
        assert_eq!(m[1].mu_star, 0.0, "an inert factor gets μ* = 0");
        assert!(
            (m[2].mu - 2.0).abs() < 1e-9,
            "the group moves f2 and f3 together"
        );
    }

    #[test]
    fn sobol_is_per_factor_and_keys_points_by_base_row() {
        let p = Plan::new(Method::Sobol { samples: 64 }, factors(4), 1).unwrap();
        assert_eq!(p.groups.len(), 4);
        assert_eq!(p.points().len(), 64 * 6);
        assert_eq!((p.crn_key(5), p.crn_key(6)), (0, 1));
        let r = p.analyze(&outs(), &eval(&p)).unwrap();
        let s = r.outputs[0].sobol.as_ref().unwrap();
        assert_eq!(s.indices[1].st, 0.0);
    }

    #[test]
    fn the_seed_factor_is_the_last_sobol_group_and_gives_the_seed_blocks() {
        let p = Plan::with_seed_factor(Method::Sobol { samples: 64 }, factors(4), 1, true).unwrap();
        assert_eq!(p.groups.len(), 5);
        assert_eq!(p.groups[4], SEED_FACTOR);
        assert_eq!(p.points().len(), 64 * 7);
        assert!(
            p.points().iter().all(|x| x.len() == 4),
            "no seed coordinate"
        );
        let keys: Vec<u64> = (7..14).map(|i| p.crn_key(i)).collect();
        assert_eq!(keys, vec![2, 3, 2, 2, 2, 2, 3]);
        let r = p.analyze(&outs(), &eval(&p)).unwrap();
        assert!(r.seed_factor);
        let s = r.outputs[0].sobol.as_ref().unwrap();
        assert_eq!(s.indices.len(), 5);
        assert_eq!(
            s.indices[4].st, 0.0,
            "a deterministic model has no seed effect"
        );
        let back: StudyResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert!(back.seed_factor);
        assert!(
            Plan::with_seed_factor(Method::Morris { trajectories: 4 }, factors(2), 1, true)
                .is_err()
        );
        let plain = Plan::new(Method::Sobol { samples: 8 }, factors(4), 1).unwrap();
        let j = serde_json::to_string(&plain.analyze(&outs(), &eval(&plain)).unwrap()).unwrap();
        assert!(
            !j.contains("seed_factor"),
            "files without the seed factor are unchanged"
        );
    }

    #[test]
    fn prim_finds_the_flagged_region() {
        let p = Plan::new(Method::Prim { samples: 800 }, factors(4), 3).unwrap();
        let r = p.analyze(&outs(), &eval(&p)).unwrap();
        assert_eq!(r.outputs.len(), 1);
        let b = r.outputs[0].prim.as_ref().unwrap().chosen_box().clone();
        assert_eq!(b.restricted, vec![0, 1]);
        let json = serde_json::to_string(&r).unwrap();
        let back: StudyResult = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.outputs[0].prim.as_ref().unwrap().chosen,
            r.outputs[0].prim.as_ref().unwrap().chosen
        );
    }

    #[test]
    fn a_study_needs_factors_and_matching_outputs() {
        assert!(Plan::new(Method::Morris { trajectories: 4 }, vec![], 1).is_err());
        let p = Plan::new(Method::Morris { trajectories: 4 }, factors(2), 1).unwrap();
        assert!(p.analyze(&outs(), &[]).is_err());
    }
}
