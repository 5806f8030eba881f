//! Sobol' indices from a Saltelli design: first-order indices by the Saltelli et al. (2010)
//! estimator, total indices by the Jansen (1999) estimator, each with a 95%
//! percentile-bootstrap interval over base rows.
//!
//! Design (Saltelli 2002; Saltelli et al. 2010): two independent base matrices A and B of N
//! rows in [0, 1]^k and, for each group i, AB_i = A with the columns of group i taken from B.
//! Base row j gives g + 2 points, A_j, B_j, AB_1j … AB_gj, in that order, so a caller can give
//! all points of row j the same random-number seed (common random numbers: the difference
//! f(AB_ij) − f(A_j) then holds the factor's effect and not Monte Carlo noise) or add the seed
//! as one more factor. N (g + 2) evaluations in all.
//!
//! A and B are Latin hypercube samples (McKay, Beckman & Conover 1979), drawn independently.
//! Stratifying each margin reduces the variance of the estimators' additive parts, and Owen
//! (1997) showed the variance of an LHS mean never exceeds N/(N − 1) times that of a simple
//! random sample, so the bootstrap over base rows (which treats rows as independent) stays a
//! valid, slightly conservative, error estimate. A Sobol' sequence would converge faster but
//! would make the row bootstrap meaningless without scrambling, and the simulation's own noise
//! dominates the error here anyway.
//!
//! With V̂ the variance of all outputs of A and B:
//! - first order: S_i = (1/N) Σ_j f(B)_j (f(AB_i)_j − f(A)_j) / V̂
//! - total: ST_i = (1/2N) Σ_j (f(A)_j − f(AB_i)_j)² / V̂
//!
//! The seed as a factor ([`SobolDesign::with_seed_factor`]): the random-number seed block ω
//! of a stochastic model becomes one more group, without a column in [0, 1]^k. Base row j
//! draws two seed blocks, ω_A = 2j and ω_B = 2j + 1: A_j and every AB_ij run on ω_A, B_j and
//! one extra point AB_ω,j (A_j's parameters on ω_B) run on ω_B. The estimators above then
//! apportion the variance of f(x, ω) over the parameters and the seed alike.

use super::{Interval, group_count, index, rng, stream, unit};
use crate::error::{Error, Result};

/// Bootstrap replicates used for the intervals.
pub const BOOTSTRAP_REPLICATES: usize = 1000;

/// A Saltelli design over `groups` groups of factors.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolDesign {
    /// Number of factors k.
    pub factors: usize,
    /// Group of each factor (0-based, no gaps).
    pub group_of: Vec<usize>,
    /// Number of groups g.
    pub groups: usize,
    /// Base rows N.
    pub base_rows: usize,
    /// The points, base row by base row: point `j·(g+2) + s` is A_j (s = 0), B_j (s = 1) or
    /// AB_(s−2),j.
    pub points: Vec<Vec<f64>>,
    /// Whether the last group is the seed block (it has no column; see
    /// [`SobolDesign::with_seed_factor`]).
    pub seed_factor: bool,
}

/// A Latin hypercube sample of `n` rows in [0, 1]^k: in every column, exactly one value in
/// each interval [m/n, (m+1)/n), placed uniformly within it.
pub fn latin_hypercube(n: usize, k: usize, r: &mut rand_chacha::ChaCha8Rng) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; k]; n];
    for c in 0..k {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            perm.swap(i, index(r, i + 1));
        }
        for (row, &m) in out.iter_mut().zip(&perm) {
            row[c] = (m as f64 + unit(r)) / n as f64;
        }
    }
    out
}

impl SobolDesign {
    /// A design of `base_rows` base rows over factors grouped by `group_of` (one entry per
    /// factor; `(0..k).collect()` for no grouping), deterministic from `seed`.
    pub fn new(group_of: &[usize], base_rows: usize, seed: u64) -> Result<SobolDesign> {
        Self::build(group_of, base_rows, seed, false)
    }

    /// The design of [`SobolDesign::new`] (the same A and B, drawn from the same seed) with the
    /// random-number seed block as one more group, the last: each base row gets one more
    /// point, AB_ω = A_j's coordinates, and [`SobolDesign::seed_block`] gives A_j and the
    /// AB_ij block 2j, B_j and AB_ω,j block 2j + 1. `groups` counts the seed group.
    pub fn with_seed_factor(
        group_of: &[usize],
        base_rows: usize,
        seed: u64,
    ) -> Result<SobolDesign> {
        Self::build(group_of, base_rows, seed, true)
    }

    fn build(
        group_of: &[usize],
        base_rows: usize,
        seed: u64,
        seed_factor: bool,
    ) -> Result<SobolDesign> {
        let k = group_of.len();
        if k == 0 {
            return Err(Error::usage(
                "factors",
                "Sobol' indices need at least one factor",
            ));
        }
        if base_rows < 2 {
            return Err(Error::usage(
                format!("--samples {base_rows}"),
                "Sobol' indices need at least 2 base rows (64 or more for useful intervals)",
            ));
        }
        let g = group_count(group_of).map_err(|m| Error::usage("groups", m))?;
        let mut r = rng(seed, stream::SOBOL_DESIGN);
        let a = latin_hypercube(base_rows, k, &mut r);
        let b = latin_hypercube(base_rows, k, &mut r);
        let groups = g + usize::from(seed_factor);
        let mut points = Vec::with_capacity(base_rows * (groups + 2));
        for (aj, bj) in a.iter().zip(&b) {
            points.push(aj.clone());
            points.push(bj.clone());
            for grp in 0..g {
                let mut p = aj.clone();
                for (i, v) in p.iter_mut().enumerate() {
                    if group_of[i] == grp {
                        *v = bj[i];
                    }
                }
                points.push(p);
            }
            if seed_factor {
                points.push(aj.clone());
            }
        }
        Ok(SobolDesign {
            factors: k,
            group_of: group_of.to_vec(),
            groups,
            base_rows,
            points,
            seed_factor,
        })
    }

    /// Points per base row (g + 2).
    pub fn row_len(&self) -> usize {
        self.groups + 2
    }

    /// The base row of point `i` (the key for common random numbers).
    pub fn base_row(&self, i: usize) -> usize {
        i / self.row_len()
    }

    /// The random-number seed block point `i` runs on: its base row j (every point of a row
    /// shares it), or with the seed as a factor 2j for A_j and the AB_ij, 2j + 1 for B_j and
    /// AB_ω,j (the last point of the row).
    pub fn seed_block(&self, i: usize) -> u64 {
        let j = self.base_row(i) as u64;
        if !self.seed_factor {
            return j;
        }
        let s = i % self.row_len();
        if s == 1 || s == self.row_len() - 1 {
            2 * j + 1
        } else {
            2 * j
        }
    }

    /// First-order and total indices of every group, with bootstrap intervals, from the
    /// outputs `y` in design order. A base row with a non-finite output is left out whole.
    pub fn analyze(&self, y: &[f64], seed: u64) -> Result<SobolResult> {
        if y.len() != self.points.len() {
            return Err(Error::Runtime(format!(
                "Sobol' analysis: {} outputs for {} design points",
                y.len(),
                self.points.len()
            )));
        }
        let w = self.row_len();
        let rows: Vec<&[f64]> = y
            .chunks(w)
            .filter(|c| c.iter().all(|v| v.is_finite()))
            .collect();
        let n = rows.len();
        let all: Vec<usize> = (0..n).collect();
        let point = estimate(&rows, &all, self.groups);
        let mut r = rng(seed, stream::SOBOL_BOOTSTRAP);
        let mut s1_reps = vec![Vec::with_capacity(BOOTSTRAP_REPLICATES); self.groups];
        let mut st_reps = vec![Vec::with_capacity(BOOTSTRAP_REPLICATES); self.groups];
        if n > 0 {
            let mut pick = vec![0usize; n];
            for _ in 0..BOOTSTRAP_REPLICATES {
                for p in pick.iter_mut() {
                    *p = index(&mut r, n);
                }
                let e = estimate(&rows, &pick, self.groups);
                for grp in 0..self.groups {
                    s1_reps[grp].push(e.s1[grp]);
                    st_reps[grp].push(e.st[grp]);
                }
            }
        }
        let indices = (0..self.groups)
            .map(|grp| SobolIndices {
                s1: point.s1[grp],
                s1_ci: Interval::from_replicates(std::mem::take(&mut s1_reps[grp])),
                st: point.st[grp],
                st_ci: Interval::from_replicates(std::mem::take(&mut st_reps[grp])),
            })
            .collect();
        Ok(SobolResult {
            variance: point.variance,
            mean: point.mean,
            rows_used: n,
            indices,
        })
    }
}

struct Estimate {
    mean: f64,
    variance: f64,
    s1: Vec<f64>,
    st: Vec<f64>,
}

/// The estimators over the base rows `pick` (with repetition) of `rows`.
fn estimate(rows: &[&[f64]], pick: &[usize], groups: usize) -> Estimate {
    let n = pick.len() as f64;
    let mut sum = 0.0;
    for &j in pick {
        sum += rows[j][0] + rows[j][1];
    }
    let mean = sum / (2.0 * n);
    let mut var = 0.0;
    for &j in pick {
        var += (rows[j][0] - mean).powi(2) + (rows[j][1] - mean).powi(2);
    }
    let variance = var / (2.0 * n);
    let mut s1 = vec![0.0; groups];
    let mut st = vec![0.0; groups];
    for &j in pick {
        let (fa, fb) = (rows[j][0], rows[j][1]);
        for grp in 0..groups {
            let fab = rows[j][2 + grp];
            s1[grp] += fb * (fab - fa);
            st[grp] += (fa - fab).powi(2);
        }
    }
    for grp in 0..groups {
        s1[grp] /= n * variance;
        st[grp] /= 2.0 * n * variance;
    }
    if variance <= 0.0 {
        // A constant output: nothing to apportion.
        s1.iter_mut().for_each(|v| *v = 0.0);
        st.iter_mut().for_each(|v| *v = 0.0);
    }
    Estimate {
        mean,
        variance,
        s1,
        st,
    }
}

/// Sobol' indices of one output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SobolResult {
    /// Mean of the output over A and B.
    #[serde(with = "crate::sensitivity::nan_null")]
    pub mean: f64,
    /// Variance of the output over A and B (the denominator of every index).
    #[serde(with = "crate::sensitivity::nan_null")]
    pub variance: f64,
    /// Base rows with finite outputs at all their points.
    pub rows_used: usize,
    /// Indices per group, in group order.
    pub indices: Vec<SobolIndices>,
}

/// First-order and total index of one group.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SobolIndices {
    /// First-order index S_i: share of the variance the group explains alone.
    #[serde(with = "crate::sensitivity::nan_null")]
    pub s1: f64,
    /// 95% bootstrap interval of S_i.
    pub s1_ci: Interval,
    /// Total index ST_i: share of the variance that involves the group, alone or in
    /// interaction.
    #[serde(with = "crate::sensitivity::nan_null")]
    pub st: f64,
    /// 95% bootstrap interval of ST_i.
    pub st_ci: Interval,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// The Sobol' G-function on [0, 1]^k: Π (|4x − 2| + a_i) / (1 + a_i).
    pub(crate) fn g_function(a: &[f64], x: &[f64]) -> f64 {
        a.iter()
            .zip(x)
            .map(|(a, x)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
            .product()
    }

    /// Analytic (S1, ST) of the G-function: V_i = 1 / (3 (1 + a_i)²), V = Π (1 + V_i) − 1.
    fn g_indices(a: &[f64]) -> Vec<(f64, f64)> {
        let vi: Vec<f64> = a.iter().map(|a| 1.0 / (3.0 * (1.0 + a).powi(2))).collect();
        let v = vi.iter().map(|v| 1.0 + v).product::<f64>() - 1.0;
        vi.iter()
            .enumerate()
            .map(|(i, &x)| {
                let others: f64 = vi
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, v)| 1.0 + v)
                    .product();
                (x / v, x * others / v)
            })
            .collect()
    }

    /// The Ishigami function with a = 7, b = 0.1, on [−π, π]³ mapped from [0, 1]³ (extra
    /// coordinates are ignored: dummy factors).
    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    /// Analytic (S1, ST) of Ishigami (a = 7, b = 0.1), Sobol' & Levitan (1999).
    fn ishigami_indices() -> [(f64, f64); 3] {
        let (a, b) = (7.0f64, 0.1f64);
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = 8.0 * b * b * PI.powi(8) / 225.0;
        let v = v1 + v2 + v13;
        [(v1 / v, (v1 + v13) / v), (v2 / v, v2 / v), (0.0, v13 / v)]
    }

    /// The critical value for the whole family of index checks in one test: Bonferroni over
    /// `m` two-sided comparisons at a family error of 1%.
    fn z_family(m: usize) -> f64 {
        use statrs::distribution::{ContinuousCDF, Normal};
        let n = Normal::new(0.0, 1.0).unwrap();
        n.inverse_cdf(1.0 - 0.01 / (2.0 * m as f64))
    }

    fn check(name: &str, est: f64, se: f64, truth: f64, z: f64) {
        assert!(
            (est - truth).abs() <= z * se,
            "{name}: estimate {est:.4} vs analytic {truth:.4}, |error| {:.4} > {z:.2} × se {se:.4}",
            (est - truth).abs()
        );
    }

    #[test]
    fn ishigami_indices_match_the_analytic_values_within_their_error() {
        // Four factors: the fourth does nothing.
        let d = SobolDesign::new(&[0, 1, 2, 3], 4096, 2024).unwrap();
        assert_eq!(d.points.len(), 4096 * 6);
        let y: Vec<f64> = d.points.iter().map(|x| ishigami(x)).collect();
        let r = d.analyze(&y, 9).unwrap();
        let z = z_family(6);
        for (i, &(s1, st)) in ishigami_indices().iter().enumerate() {
            let e = &r.indices[i];
            check(&format!("S{}", i + 1), e.s1, e.s1_ci.se, s1, z);
            check(&format!("ST{}", i + 1), e.st, e.st_ci.se, st, z);
            assert!(
                e.s1_ci.se < 0.05 && e.st_ci.se < 0.05,
                "se too large to test anything"
            );
        }
        let dummy = &r.indices[3];
        assert!(dummy.st_ci.contains(0.0), "{:?}", dummy.st_ci);
        assert!(dummy.s1_ci.contains(0.0), "{:?}", dummy.s1_ci);
    }

    #[test]
    fn g_function_indices_match_the_analytic_values_within_their_error() {
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];
        // The Jansen estimator of ST1 has slightly heavy tails here (a1 = 0): over design
        // seeds 0..300 this check of ST1 failed once (|z| > 3.42 in 1 of 300, rms z 0.93), so
        // the check is calibrated; the design seed is fixed at 2026.
        let d = SobolDesign::new(&(0..8).collect::<Vec<_>>(), 4096, 2026).unwrap();
        let y: Vec<f64> = d.points.iter().map(|x| g_function(&a, x)).collect();
        let r = d.analyze(&y, 5).unwrap();
        let z = z_family(16);
        for (i, &(s1, st)) in g_indices(&a).iter().enumerate() {
            let e = &r.indices[i];
            check(&format!("S{}", i + 1), e.s1, e.s1_ci.se, s1, z);
            check(&format!("ST{}", i + 1), e.st, e.st_ci.se, st, z);
        }
        // The analytic values themselves (Saltelli et al. 2008, table 4.5 order of magnitude).
        let g = g_indices(&a);
        assert!((g[0].0 - 0.716).abs() < 0.001, "{}", g[0].0);
    }

    #[test]
    fn grouped_indices_treat_the_group_as_one_factor() {
        // y = x0 + x1 + x2: the group {0, 1} holds 2/3 of the variance, additive.
        let d = SobolDesign::new(&[0, 0, 1], 2048, 3).unwrap();
        let y: Vec<f64> = d.points.iter().map(|x| x.iter().sum()).collect();
        let r = d.analyze(&y, 1).unwrap();
        let z = z_family(4);
        check(
            "S{0,1}",
            r.indices[0].s1,
            r.indices[0].s1_ci.se,
            2.0 / 3.0,
            z,
        );
        check(
            "ST{0,1}",
            r.indices[0].st,
            r.indices[0].st_ci.se,
            2.0 / 3.0,
            z,
        );
        check("S2", r.indices[1].s1, r.indices[1].s1_ci.se, 1.0 / 3.0, z);
        check("ST2", r.indices[1].st, r.indices[1].st_ci.se, 1.0 / 3.0, z);
    }

    /// A stochastic model: the share of R runs in which the event happens, each run with
    /// probability p(x) = 0.2 + 0.6 x0 (x1 does nothing), run r of seed block ω drawing its
    /// uniform U_ω,r from its own stream (common random numbers: the same block gives the
    /// same U's at every x).
    pub(crate) fn bernoulli_share(x: &[f64], block: u64, runs: usize) -> f64 {
        let p = 0.2 + 0.6 * x[0];
        let mut r = rng(block, 77);
        (0..runs).filter(|_| unit(&mut r) < p).count() as f64 / runs as f64
    }

    /// Analytic (S1, ST) of [`bernoulli_share`] for x0 and the seed ω, with R runs.
    /// Var_x p = 0.6²/12 = 0.03; E_x[p(1 − p)] = E p − E p² = 0.5 − 0.28 = 0.22, so the
    /// noise variance at fixed x averages 0.22/R and V = 0.03 + 0.22/R. E_x[f | ω] =
    /// (1/R) Σ_r h(U_r) with h(u) = P_x(p(x) > u), Var h(U) = E h² − ¼ = (0.2 + 0.6/3) − ¼ =
    /// 0.15, so V_ω = 0.15/R. Then S_x0 = 0.03/V, ST_x0 = 1 − V_ω/V, S_ω = V_ω/V and
    /// ST_ω = (0.22/R)/V; the x0–ω interaction is 1 − S_x0 − S_ω.
    pub(crate) fn bernoulli_indices(runs: usize) -> [(f64, f64); 2] {
        let r = runs as f64;
        let v = 0.03 + 0.22 / r;
        let vw = 0.15 / r;
        [(0.03 / v, 1.0 - vw / v), (vw / v, 0.22 / r / v)]
    }

    #[test]
    fn the_seed_as_a_factor_gets_the_analytic_share_of_monte_carlo_noise() {
        let runs = 4;
        let d = SobolDesign::with_seed_factor(&[0, 1], 4096, 11).unwrap();
        assert_eq!(d.groups, 3, "x0, x1 and the seed");
        assert_eq!(d.points.len(), 4096 * 5);
        // The parameter coordinates are those of the design without the seed factor.
        let plain = SobolDesign::new(&[0, 1], 4096, 11).unwrap();
        assert_eq!(d.points[5..9], plain.points[4..8]);
        assert_eq!(
            (0..5).map(|i| d.seed_block(5 + i)).collect::<Vec<_>>(),
            vec![2, 3, 2, 2, 3],
            "A, AB_x0, AB_x1 on block 2j; B and AB_seed on 2j + 1 (row j = 1)"
        );
        let y: Vec<f64> = (0..d.points.len())
            .map(|i| bernoulli_share(&d.points[i], d.seed_block(i), runs))
            .collect();
        let r = d.analyze(&y, 4).unwrap();
        let z = z_family(6);
        let [x0, seed] = bernoulli_indices(runs);
        let (e0, e1, es) = (&r.indices[0], &r.indices[1], &r.indices[2]);
        check("S_x0", e0.s1, e0.s1_ci.se, x0.0, z);
        check("ST_x0", e0.st, e0.st_ci.se, x0.1, z);
        check("S_seed", es.s1, es.s1_ci.se, seed.0, z);
        check("ST_seed", es.st, es.st_ci.se, seed.1, z);
        // x1 does nothing and shares A's seed block on AB_x1: exactly 0.
        assert_eq!((e1.s1, e1.st), (0.0, 0.0));
        assert!(
            es.st_ci.lo > 0.3,
            "the noise share is large at R = 4: {es:?}"
        );
        // The first-order shares leave room for the interaction (≈ 0.21); the totals
        // count it twice.
        let s1: f64 = r.indices.iter().map(|i| i.s1).sum();
        let st: f64 = r.indices.iter().map(|i| i.st).sum();
        let interaction = 1.0 - x0.0 - seed.0;
        let se = (e0.s1_ci.se.powi(2) + es.s1_ci.se.powi(2)).sqrt();
        check("1 − ΣS", 1.0 - s1, se, interaction, z);
        let se = (e0.st_ci.se.powi(2) + es.st_ci.se.powi(2)).sqrt();
        check("ΣST − 1", st - 1.0, se, interaction, z);
    }

    #[test]
    fn more_runs_per_point_shrink_the_seed_total_index_as_one_over_r() {
        let d = SobolDesign::with_seed_factor(&[0], 2048, 12).unwrap();
        let mut st = Vec::new();
        for runs in [2, 32] {
            let y: Vec<f64> = (0..d.points.len())
                .map(|i| bernoulli_share(&d.points[i], d.seed_block(i), runs))
                .collect();
            let r = d.analyze(&y, 4).unwrap();
            let e = &r.indices[1];
            check(
                &format!("ST_seed at R = {runs}"),
                e.st,
                e.st_ci.se,
                bernoulli_indices(runs)[1].1,
                z_family(2),
            );
            st.push(e.st);
        }
        // Analytic ratio 0.786 / 0.186 = 4.2; each estimate is checked above.
        assert!(st[1] < st[0] / 3.0, "{st:?}");
    }

    #[test]
    fn latin_hypercube_columns_have_one_point_per_stratum() {
        let mut r = rng(1, 99);
        let s = latin_hypercube(50, 3, &mut r);
        for c in 0..3 {
            let mut strata: Vec<usize> = s.iter().map(|row| (row[c] * 50.0) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..50).collect::<Vec<_>>());
        }
    }

    #[test]
    fn common_random_numbers_leave_no_noise_on_an_inert_factor() {
        // A noisy model whose noise depends only on the base row (the shared seed).
        let d = SobolDesign::new(&[0, 1], 256, 8).unwrap();
        let y: Vec<f64> = d
            .points
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let noise = ((d.base_row(i) as f64) * 12.9898).sin().fract();
                x[0] + 0.3 * noise
            })
            .collect();
        let r = d.analyze(&y, 2).unwrap();
        assert_eq!(r.indices[1].st, 0.0);
        assert_eq!(r.indices[1].st_ci.hi, 0.0);
    }

    #[test]
    fn a_constant_output_has_zero_indices_and_a_missing_row_is_left_out() {
        let d = SobolDesign::new(&[0, 1], 16, 8).unwrap();
        let mut y = vec![1.0; d.points.len()];
        y[5] = f64::NAN;
        let r = d.analyze(&y, 2).unwrap();
        assert_eq!(r.rows_used, 15);
        assert_eq!(r.indices[0].s1, 0.0);
        assert!(d.analyze(&y[1..], 2).is_err());
    }
}
