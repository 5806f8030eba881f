//! Morris elementary-effects screening (Morris 1991) with factor groups (Campolongo, Cariboni
//! & Saltelli 2007).
//!
//! A trajectory starts at a random point of a `levels`-level grid in [0, 1]^k and moves one
//! group at a time, in a random order, by Δ = levels / (2 (levels − 1)). All factors of a group
//! move together and in the same direction (up or down, drawn per group and trajectory), so a
//! group's elementary effect is (y(after) − y(before)) · direction / Δ: the change per unit of
//! moving the whole group up. With one factor per group this is Morris's design. A trajectory
//! has g + 1 points for g groups; the design has r (g + 1) points, each an independent
//! evaluation.
//!
//! Per group: μ (mean effect), μ* (mean absolute effect, Campolongo et al. 2007), σ (standard
//! deviation of the effects, n − 1 denominator) and a 95% percentile-bootstrap interval of μ*
//! over trajectories.

use super::{Interval, group_count, index, rng, stream, unit};
use crate::error::{Error, Result};

/// Bootstrap replicates used for the interval of μ*.
pub const BOOTSTRAP_REPLICATES: usize = 1000;

/// A Morris design: `trajectories` × (`groups` + 1) points in [0, 1]^k.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    /// Number of factors k.
    pub factors: usize,
    /// Group of each factor (0-based, no gaps).
    pub group_of: Vec<usize>,
    /// Number of groups g.
    pub groups: usize,
    /// Grid levels p (even, ≥ 2).
    pub levels: usize,
    /// Step Δ = p / (2 (p − 1)).
    pub delta: f64,
    /// The points, trajectory by trajectory: point `t·(g+1) + s` is step `s` of trajectory `t`.
    pub points: Vec<Vec<f64>>,
    /// For each trajectory and step s ≥ 1, the group moved to reach point s and its direction
    /// (+1 up, −1 down): `moves[t][s - 1]`.
    pub moves: Vec<Vec<(usize, f64)>>,
}

impl MorrisDesign {
    /// Build `trajectories` trajectories over factors grouped by `group_of` (one entry per
    /// factor, groups numbered 0.. without gaps; `(0..k).collect()` for no grouping) on a
    /// `levels`-level grid, deterministically from `seed`.
    pub fn new(
        group_of: &[usize],
        trajectories: usize,
        levels: usize,
        seed: u64,
    ) -> Result<MorrisDesign> {
        let k = group_of.len();
        if k == 0 {
            return Err(Error::usage(
                "factors",
                "Morris screening needs at least one factor",
            ));
        }
        if trajectories < 2 {
            return Err(Error::usage(
                format!("--trajectories {trajectories}"),
                "Morris screening needs at least 2 trajectories (σ and the interval need two effects)",
            ));
        }
        if levels < 2 || !levels.is_multiple_of(2) {
            return Err(Error::usage(
                format!("levels {levels}"),
                "Morris levels must be even and at least 2 (4 is usual)",
            ));
        }
        let g = group_count(group_of).map_err(|m| Error::usage("groups", m))?;
        let delta = levels as f64 / (2.0 * (levels as f64 - 1.0));
        let step = 1.0 / (levels as f64 - 1.0);
        // Start levels from which a move of Δ up stays in the cube: 0, 1/(p−1), …, 1 − Δ.
        let starts = levels / 2;
        let mut r = rng(seed, stream::MORRIS_DESIGN);
        let mut points = Vec::with_capacity(trajectories * (g + 1));
        let mut moves = Vec::with_capacity(trajectories);
        for _ in 0..trajectories {
            let dir: Vec<f64> = (0..g)
                .map(|_| if unit(&mut r) < 0.5 { 1.0 } else { -1.0 })
                .collect();
            // Lower end of each factor's move; a factor whose group moves down starts at
            // lower + Δ.
            let lower: Vec<f64> = (0..k)
                .map(|_| index(&mut r, starts) as f64 * step)
                .collect();
            let mut x: Vec<f64> = (0..k)
                .map(|i| {
                    if dir[group_of[i]] > 0.0 {
                        lower[i]
                    } else {
                        lower[i] + delta
                    }
                })
                .collect();
            // Random order of the groups (Fisher–Yates).
            let mut order: Vec<usize> = (0..g).collect();
            for i in (1..g).rev() {
                order.swap(i, index(&mut r, i + 1));
            }
            points.push(x.clone());
            let mut tm = Vec::with_capacity(g);
            for &grp in &order {
                for i in 0..k {
                    if group_of[i] == grp {
                        x[i] = (x[i] + dir[grp] * delta).clamp(0.0, 1.0);
                    }
                }
                points.push(x.clone());
                tm.push((grp, dir[grp]));
            }
            moves.push(tm);
        }
        Ok(MorrisDesign {
            factors: k,
            group_of: group_of.to_vec(),
            groups: g,
            levels,
            delta,
            points,
            moves,
        })
    }

    /// Number of trajectories r.
    pub fn trajectories(&self) -> usize {
        self.moves.len()
    }

    /// Elementary effects per group, trajectory order: `effects[grp]` holds one value per
    /// trajectory whose two points both have a finite output.
    pub fn elementary_effects(&self, y: &[f64]) -> Result<Vec<Vec<f64>>> {
        if y.len() != self.points.len() {
            return Err(Error::Runtime(format!(
                "Morris analysis: {} outputs for {} design points",
                y.len(),
                self.points.len()
            )));
        }
        let g = self.groups;
        let mut ee = vec![Vec::with_capacity(self.trajectories()); g];
        for (t, tm) in self.moves.iter().enumerate() {
            let base = t * (g + 1);
            for (s, &(grp, dir)) in tm.iter().enumerate() {
                let (a, b) = (y[base + s], y[base + s + 1]);
                if a.is_finite() && b.is_finite() {
                    ee[grp].push((b - a) * dir / self.delta);
                }
            }
        }
        Ok(ee)
    }

    /// μ, μ*, σ and the bootstrap interval of μ* for every group, from the outputs `y` in
    /// design order (NaN for a point without an output: its effects are left out).
    pub fn analyze(&self, y: &[f64], seed: u64) -> Result<Vec<MorrisIndices>> {
        let ee = self.elementary_effects(y)?;
        let mut r = rng(seed, stream::MORRIS_BOOTSTRAP);
        Ok(ee
            .iter()
            .map(|e| {
                let n = e.len();
                let reps: Vec<f64> = if n == 0 {
                    Vec::new()
                } else {
                    (0..BOOTSTRAP_REPLICATES)
                        .map(|_| (0..n).map(|_| e[index(&mut r, n)].abs()).sum::<f64>() / n as f64)
                        .collect()
                };
                MorrisIndices::from_effects(e, Interval::from_replicates(reps))
            })
            .collect())
    }
}

/// Morris statistics of one group.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MorrisIndices {
    /// Mean elementary effect μ [output unit per unit of the factor's range].
    #[serde(with = "crate::sensitivity::nan_null")]
    pub mu: f64,
    /// Mean absolute elementary effect μ*.
    #[serde(with = "crate::sensitivity::nan_null")]
    pub mu_star: f64,
    /// Standard deviation of the elementary effects σ (interactions or non-linearity).
    #[serde(with = "crate::sensitivity::nan_null")]
    pub sigma: f64,
    /// 95% percentile-bootstrap interval of μ* over trajectories.
    pub mu_star_ci: Interval,
    /// Number of elementary effects behind the statistics.
    pub effects: usize,
}

impl MorrisIndices {
    fn from_effects(e: &[f64], mu_star_ci: Interval) -> MorrisIndices {
        let n = e.len() as f64;
        if e.is_empty() {
            return MorrisIndices {
                mu: f64::NAN,
                mu_star: f64::NAN,
                sigma: f64::NAN,
                mu_star_ci,
                effects: 0,
            };
        }
        let mu = e.iter().sum::<f64>() / n;
        let mu_star = e.iter().map(|v| v.abs()).sum::<f64>() / n;
        let sigma = if e.len() > 1 {
            (e.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        MorrisIndices {
            mu,
            mu_star,
            sigma,
            mu_star_ci,
            effects: e.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::sobol::tests::g_function;

    fn run(d: &MorrisDesign, f: impl Fn(&[f64]) -> f64) -> Vec<MorrisIndices> {
        let y: Vec<f64> = d.points.iter().map(|x| f(x)).collect();
        d.analyze(&y, 7).unwrap()
    }

    #[test]
    fn linear_function_effects_are_its_coefficients_exactly() {
        let c = [3.0, -2.0, 0.5, 0.0];
        let d = MorrisDesign::new(&[0, 1, 2, 3], 10, 4, 1).unwrap();
        let m = run(&d, |x| c.iter().zip(x).map(|(c, x)| c * x).sum());
        for (i, s) in m.iter().enumerate() {
            assert!((s.mu - c[i]).abs() < 1e-9, "μ {i}: {} vs {}", s.mu, c[i]);
            assert!((s.mu_star - c[i].abs()).abs() < 1e-9);
            assert!(s.sigma < 1e-9);
            assert_eq!(s.effects, 10);
        }
    }

    #[test]
    fn a_group_moves_together_and_its_effect_is_the_sum_of_its_coefficients() {
        let c = [3.0, -2.0, 0.5];
        let d = MorrisDesign::new(&[0, 0, 1], 8, 6, 3).unwrap();
        assert_eq!(d.points.len(), 8 * 3);
        let m = run(&d, |x| c.iter().zip(x).map(|(c, x)| c * x).sum());
        assert!((m[0].mu - 1.0).abs() < 1e-9, "{}", m[0].mu);
        assert!((m[1].mu - 0.5).abs() < 1e-9);
        // Every point stays in the unit cube and on the grid.
        for p in &d.points {
            for &v in p {
                assert!((0.0..=1.0).contains(&v));
                // Δ is three grid steps of 1/5, so every point stays on the grid.
                let l = v * 5.0;
                assert!((l - l.round()).abs() < 1e-9, "{v} is off the grid");
            }
        }
    }

    #[test]
    fn g_function_factors_rank_in_order_of_importance() {
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];
        let d = MorrisDesign::new(&(0..8).collect::<Vec<_>>(), 50, 4, 11).unwrap();
        let m = run(&d, |x| g_function(&a, x));
        for i in 0..3 {
            assert!(
                m[i].mu_star > m[i + 1].mu_star,
                "μ*[{i}] = {} ≤ μ*[{}] = {}",
                m[i].mu_star,
                i + 1,
                m[i + 1].mu_star
            );
            // Intervals of the first four do not overlap the next one's estimate.
            assert!(m[i].mu_star_ci.lo > m[i + 1].mu_star);
        }
        for i in 4..8 {
            assert!(m[i].mu_star < m[3].mu_star);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_design() {
        let a = MorrisDesign::new(&[0, 1, 2], 5, 4, 42).unwrap();
        let b = MorrisDesign::new(&[0, 1, 2], 5, 4, 42).unwrap();
        let c = MorrisDesign::new(&[0, 1, 2], 5, 4, 43).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bad_options_are_usage_errors() {
        assert!(MorrisDesign::new(&[0, 1], 1, 4, 0).is_err());
        assert!(MorrisDesign::new(&[0, 1], 4, 3, 0).is_err());
        assert!(MorrisDesign::new(&[0, 2], 4, 4, 0).is_err());
        assert!(MorrisDesign::new(&[], 4, 4, 0).is_err());
    }

    #[test]
    fn a_factor_that_does_nothing_gets_zero() {
        let d = MorrisDesign::new(&[0, 1], 6, 4, 5).unwrap();
        let m = run(&d, |x| (3.0 * x[0]).sin());
        assert_eq!(m[1].mu_star, 0.0);
        assert_eq!(m[1].mu_star_ci.hi, 0.0);
    }
}
