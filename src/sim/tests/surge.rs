//! Surge arrivals: groups arriving as a Poisson process around the logistic curve.

use crate::sim::response::{group_arrivals, surge_share};
use crate::sim::rng::RunSeed;

/// Mean and unbiased variance of `n` draws of the arrivals in one window.
fn moments(expected: f64, group: f64, n: usize) -> (f64, f64) {
    let mut rng = RunSeed {
        master: 7,
        run_index: 0,
    }
    .keyed(42);
    let xs: Vec<f64> = (0..n)
        .map(|_| group_arrivals(&mut rng, expected, group))
        .collect();
    let m = xs.iter().sum::<f64>() / n as f64;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    (m, v)
}

#[test]
fn arrivals_have_the_curves_mean_and_group_size_times_its_variance() {
    let n = 20_000;
    for (expected, group) in [(40.0, 1.0), (40.0, 10.0), (3.0, 1.0)] {
        let (m, v) = moments(expected, group, n);
        let var = group * expected;
        // Mean: within 4 standard errors of the closed form.
        let se_mean = (var / n as f64).sqrt();
        assert!(
            (m - expected).abs() < 4.0 * se_mean,
            "mean {m} vs {expected} ± {se_mean} (group {group})"
        );
        // Variance of a compound Poisson: SE of the sample variance is about
        // var·sqrt((κ − 1)/n) with excess kurtosis 1/λ groups small here; 2/n is generous.
        let se_var = var * (2.0 / n as f64 + 1.0 / (n as f64 * expected / group)).sqrt();
        assert!(
            (v - var).abs() < 4.0 * se_var,
            "variance {v} vs {var} ± {se_var} (group {group})"
        );
    }
}

#[test]
fn arrivals_come_in_whole_groups_and_none_without_expectation() {
    let mut rng = RunSeed {
        master: 1,
        run_index: 3,
    }
    .keyed(9);
    for _ in 0..1000 {
        let x = group_arrivals(&mut rng, 25.0, 5.0);
        assert_eq!(x % 5.0, 0.0);
    }
    assert_eq!(group_arrivals(&mut rng, 0.0, 5.0), 0.0);
}

#[test]
fn the_arrival_curve_starts_at_zero_and_reaches_half_at_the_normalised_midpoint() {
    assert_eq!(surge_share(0.0, 36.0, 8.0), 0.0);
    let s0 = 1.0 / (1.0 + (36.0f64 / 8.0).exp());
    let half = (0.5 - s0) / (1.0 - s0);
    assert!((surge_share(36.0, 36.0, 8.0) - half).abs() < 1e-12);
    assert!(surge_share(1e6, 36.0, 8.0) == 1.0);
}
