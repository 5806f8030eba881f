//! Rejection ABC (approximate Bayesian computation) against a scenario's observed values, as
//! pure functions: prior draws of the uncertain parameters and the summary statistics each
//! draw simulated → normalised distances to the observed values → the closest fraction
//! accepted → accepted ranges per parameter, how much they narrow the prior, and the posterior
//! predictive percentile of each observed value.
//!
//! The statistics of one draw are, per observed value, the median of its metric over the
//! draw's inner runs (a time metric that never happened counts as the end of the exercise).
//! Everything here is a function of its inputs in draw order, so the result does not depend on
//! how the draws were scheduled over threads.

use super::stats::percentile_sorted;

/// What an observed value asks of a draw's statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The statistic should equal this.
    Value(f64),
    /// The statistic should be at least this (a censored observation): no distance above it.
    AtLeast(f64),
    /// The statistic should be at most this: no distance below it.
    AtMost(f64),
}

impl Target {
    /// The number the target names.
    pub fn point(self) -> f64 {
        match self {
            Target::Value(x) | Target::AtLeast(x) | Target::AtMost(x) => x,
        }
    }

    /// How far `x` is from the target, before scaling (0 inside a censored target).
    pub fn gap(self, x: f64) -> f64 {
        match self {
            Target::Value(o) => x - o,
            Target::AtLeast(o) => (o - x).max(0.0),
            Target::AtMost(o) => (x - o).max(0.0),
        }
    }
}

/// Distance of each draw's statistics to the observed values: the root mean square of
/// `gap(stat) / scale` over the observed values, where `gap` is the signed difference for a
/// value and the shortfall for a censored bound ([`Target::gap`]), and `scale` is the spread of
/// that statistic across all draws (its p5–p95 width, or the observed value's magnitude, or 1
/// when both are 0). A draw missing a statistic is infinitely far. `stats[d][k]` is draw `d`'s
/// statistic for observed value `k`.
pub fn distances(stats: &[Vec<Option<f64>>], targets: &[Target]) -> Vec<f64> {
    let scales: Vec<f64> = targets
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let mut xs: Vec<f64> = stats
                .iter()
                .filter_map(|s| s.get(k).copied().flatten())
                .collect();
            xs.sort_by(f64::total_cmp);
            let w = match (percentile_sorted(&xs, 0.05), percentile_sorted(&xs, 0.95)) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0,
            };
            if w > 0.0 {
                w
            } else if t.point().abs() > 0.0 {
                t.point().abs()
            } else {
                1.0
            }
        })
        .collect();
    stats
        .iter()
        .map(|s| {
            if targets.is_empty() {
                return 0.0;
            }
            let mut sum = 0.0;
            for (k, (&t, &sc)) in targets.iter().zip(&scales).enumerate() {
                match s.get(k).copied().flatten() {
                    Some(x) => sum += (t.gap(x) / sc).powi(2),
                    None => return f64::INFINITY,
                }
            }
            (sum / targets.len() as f64).sqrt()
        })
        .collect()
}

/// The draws accepted: the `fraction` (in (0, 1]) of draws closest to the observed values, at
/// least one; ties broken by draw index, so the choice is deterministic. Sorted by index.
pub fn accept(distances: &[f64], fraction: f64) -> Vec<usize> {
    let n = distances.len();
    if n == 0 {
        return Vec::new();
    }
    let k = ((n as f64 * fraction.clamp(0.0, 1.0)).round() as usize).clamp(1, n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(a.cmp(&b)));
    let mut out: Vec<usize> = order.into_iter().take(k).collect();
    out.sort_unstable();
    out
}

/// The accepted range of one parameter against its prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Narrowing {
    /// Prior 5th and 95th percentiles (over all draws).
    pub prior: (f64, f64),
    /// Accepted 5th percentile, median and 95th percentile.
    pub accepted: (f64, f64, f64),
    /// Width of the accepted p5–p95 over the prior's, in [0, 1] usually: 1 means the observed
    /// values say nothing about this parameter.
    pub width_ratio: f64,
}

/// How the accepted draws narrow each parameter. `params[d][j]` is draw `d`'s value of
/// parameter `j`; None when there are no draws.
pub fn narrowing(params: &[Vec<f64>], accepted: &[usize]) -> Option<Vec<Narrowing>> {
    let np = params.first()?.len();
    if accepted.is_empty() {
        return None;
    }
    let col = |j: usize, idx: &mut dyn Iterator<Item = usize>| -> Vec<f64> {
        let mut v: Vec<f64> = idx.map(|d| params[d][j]).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let mut out = Vec::with_capacity(np);
    for j in 0..np {
        let prior = col(j, &mut (0..params.len()));
        let acc = col(j, &mut accepted.iter().copied());
        let q = |v: &[f64], p: f64| percentile_sorted(v, p).unwrap_or(f64::NAN);
        let (pl, ph) = (q(&prior, 0.05), q(&prior, 0.95));
        let (al, am, ah) = (q(&acc, 0.05), q(&acc, 0.5), q(&acc, 0.95));
        let pw = ph - pl;
        out.push(Narrowing {
            prior: (pl, ph),
            accepted: (al, am, ah),
            width_ratio: if pw > 0.0 { (ah - al) / pw } else { 1.0 },
        });
    }
    Some(out)
}

/// The posterior predictive percentile of each observed value: the mid-rank percentile, in
/// [0, 100], of `observed[k]` among the accepted draws' statistics (None without values).
pub fn predictive_percentiles(
    stats: &[Vec<Option<f64>>],
    accepted: &[usize],
    observed: &[f64],
) -> Vec<Option<f64>> {
    observed
        .iter()
        .enumerate()
        .map(|(k, &o)| {
            let xs: Vec<f64> = accepted
                .iter()
                .filter_map(|&d| stats[d].get(k).copied().flatten())
                .collect();
            if xs.is_empty() {
                return None;
            }
            let lt = xs.iter().filter(|&&x| x < o).count() as f64;
            let eq = xs.iter().filter(|&&x| x == o).count() as f64;
            Some(100.0 * (lt + eq / 2.0) / xs.len() as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A toy model with a known truth: θ₁ ~ U(0, 10) sets the statistic (θ₁ + noise), θ₂ ~
    /// U(0, 1) does nothing. Observed: the statistic at θ₁ = 3.
    fn toy(n: usize) -> (Vec<Vec<f64>>, Vec<Vec<Option<f64>>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut params = Vec::new();
        let mut stats = Vec::new();
        for _ in 0..n {
            let t1: f64 = rng.random_range(0.0..10.0);
            let t2: f64 = rng.random_range(0.0..1.0);
            let noise: f64 = rng.random_range(-0.5..0.5);
            params.push(vec![t1, t2]);
            stats.push(vec![Some(t1 + noise)]);
        }
        (params, stats)
    }

    #[test]
    fn abc_narrows_towards_the_truth_and_leaves_a_dummy_parameter_wide() {
        let (params, stats) = toy(2000);
        let d = distances(&stats, &[Target::Value(3.0)]);
        let acc = accept(&d, 0.05);
        assert_eq!(acc.len(), 100);
        let nar = narrowing(&params, &acc).expect("draws");
        let (lo, med, hi) = nar[0].accepted;
        // The noise is ±0.5 and the acceptance window about ±0.25: θ₁ within ±0.75 of 3.
        assert!((med - 3.0).abs() < 0.2, "{med}");
        assert!(lo > 2.25 && hi < 3.75, "{lo} {hi}");
        assert!(nar[0].width_ratio < 0.2, "{}", nar[0].width_ratio);
        // The dummy keeps most of its prior width (a 100-draw p5–p95 of U(0,1) is ~0.9 ± 0.03).
        assert!(nar[1].width_ratio > 0.75, "{}", nar[1].width_ratio);
        let pp = predictive_percentiles(&stats, &acc, &[3.0]);
        let p = pp[0].expect("values");
        assert!((20.0..=80.0).contains(&p), "{p}");
    }

    #[test]
    fn acceptance_is_deterministic_and_a_missing_statistic_is_never_accepted_first() {
        let stats = vec![
            vec![None],
            vec![Some(1.0)],
            vec![Some(1.0)],
            vec![Some(5.0)],
        ];
        let d = distances(&stats, &[Target::Value(1.0)]);
        assert!(d[0].is_infinite());
        assert_eq!(accept(&d, 0.5), vec![1, 2]);
        assert_eq!(accept(&d, 0.01), vec![1]);
    }

    #[test]
    fn a_censored_target_is_met_by_every_value_beyond_it() {
        let stats = vec![
            vec![Some(10.0)],
            vec![Some(20.0)],
            vec![Some(30.0)],
            vec![Some(40.0)],
        ];
        let d = distances(&stats, &[Target::AtLeast(25.0)]);
        assert_eq!(d[2], 0.0);
        assert_eq!(d[3], 0.0);
        assert!(d[0] > d[1] && d[1] > 0.0, "{d:?}");
        let d = distances(&stats, &[Target::AtMost(25.0)]);
        assert_eq!((d[0], d[1]), (0.0, 0.0));
        assert!(d[3] > d[2] && d[2] > 0.0, "{d:?}");
    }
}
