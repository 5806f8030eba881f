//! Batch statistics: mean and t interval, Wilson interval, percentiles, Welch half-width, ratings.
//!
//! Every function is a pure function of its input slice taken in order, so the same rows give
//! the same bits whatever the thread count.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Φ⁻¹(0.975): the two-sided 95% standard normal quantile used by the Wilson interval.
pub(crate) const Z_TWO_SIDED_95: f64 = 1.959_963_984_540_054;

/// The 0.975 quantile of Student's t with `df` degrees of freedom (> 0). Below 10⁴ degrees of
/// freedom it is `statrs::distribution::StudentsT::inverse_cdf`, which inverts the regularised
/// incomplete beta function numerically (checked against tables to 1e-9); from 10⁴ on, where
/// that inversion loses accuracy, the Cornish–Fisher expansion
/// z + (z³ + z)/4ν + (5z⁵ + 16z³ + 3z)/96ν² (error below 1e-12 there). None when `df` ≤ 0.
pub(crate) fn t975(df: f64) -> Option<f64> {
    if df.is_nan() || df <= 0.0 {
        return None;
    }
    if df >= 1e4 {
        let z = Z_TWO_SIDED_95;
        let (z3, z5) = (z.powi(3), z.powi(5));
        return Some(
            z + (z3 + z) / (4.0 * df) + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df * df),
        );
    }
    StudentsT::new(0.0, 1.0, df)
        .ok()
        .map(|t| t.inverse_cdf(0.975))
        .filter(|q| q.is_finite())
}

/// Mean, sample standard deviation (n − 1 denominator) and 95% Student t interval of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MeanCi {
    /// Values.
    pub n: u64,
    /// Arithmetic mean (None when n = 0).
    pub mean: Option<f64>,
    /// Sample standard deviation (None when n < 2).
    pub sd: Option<f64>,
    /// Half-width t₀.₉₇₅,ₙ₋₁ · sd / √n (None when n < 2).
    pub halfwidth: Option<f64>,
}

impl MeanCi {
    /// Interval low end.
    pub(crate) fn low(&self) -> Option<f64> {
        Some(self.mean? - self.halfwidth?)
    }
    /// Interval high end.
    pub(crate) fn high(&self) -> Option<f64> {
        Some(self.mean? + self.halfwidth?)
    }
}

/// Two-pass mean, standard deviation and t interval of `xs`, summed in slice order.
pub(crate) fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    if n == 0 {
        return MeanCi {
            n: 0,
            mean: None,
            sd: None,
            halfwidth: None,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return MeanCi {
            n: 1,
            mean: Some(mean),
            sd: None,
            halfwidth: None,
        };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let hw = t975((n - 1) as f64).map(|t| t * sd / (n as f64).sqrt());
    MeanCi {
        n: n as u64,
        mean: Some(mean),
        sd: Some(sd),
        halfwidth: hw,
    }
}

/// Running mean and variance (Welford), updated in a fixed order: used by `--until-ci` to test
/// the stopping rule after each chunk without keeping the values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Welford {
    /// Values seen.
    pub n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Add one value.
    pub(crate) fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Current 95% t half-width (None when n < 2).
    pub(crate) fn halfwidth(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let sd = (self.m2 / (self.n - 1) as f64).sqrt();
        t975((self.n - 1) as f64).map(|t| t * sd / (self.n as f64).sqrt())
    }

    /// Current mean (None when n = 0).
    pub(crate) fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }
}

/// 95% Wilson score interval for `k` successes in `n` trials:
/// centre (p̂ + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²), z = 1.96 (`Z_TWO_SIDED_95`).
/// Returns (0, 1) when n = 0.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = Z_TWO_SIDED_95 * Z_TWO_SIDED_95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z_TWO_SIDED_95 / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    // At k = 0 (k = n) the low (high) end is exactly 0 (1); rounding would leave ~1e-19.
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// Percentile `q` ∈ [0, 1] of ascending-sorted values by linear interpolation between order
/// statistics (Hyndman & Fan type 7, the default of R and NumPy): h = (n − 1)·q,
/// x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), 0-based. None when empty.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    percentile_by(sorted.len() as u64, q, |i| sorted[i as usize])
}

/// Type-7 percentile of `n` ascending values given by `nth(i)` (0-based order statistic).
pub(crate) fn percentile_by(n: u64, q: f64, mut nth: impl FnMut(u64) -> f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor();
    let i = lo as u64;
    let a = nth(i);
    if i + 1 >= n || h == lo {
        return Some(a);
    }
    let b = nth(i + 1);
    Some(a + (h - lo) * (b - a))
}

/// Percentile `q` ∈ [0, 1] of ascending-sorted values as an order statistic, with no
/// interpolation (Hyndman & Fan type 1, the inverse of the empirical CDF): x₍⌈n·q⌉₎, 1-based,
/// and x₍₁₎ for q = 0. Whole counts keep whole percentiles. None when empty.
pub fn percentile_inverse_cdf(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let k = ((n as f64) * q.clamp(0.0, 1.0)).ceil() as usize;
    Some(sorted[k.clamp(1, n) - 1])
}

/// Whether a metric of this unit is a whole count (people, items, links, ...).
pub fn count_unit(unit: &str) -> bool {
    matches!(
        unit,
        "people" | "items" | "links" | "deliveries" | "findings" | "runs"
    )
}

/// Whether a metric of this unit is yes/no per run (`0/1`): summarised as a proportion of
/// runs with a Wilson interval, not by percentiles.
pub fn yes_no_unit(unit: &str) -> bool {
    unit == "0/1"
}

/// Half-width of the 95% Welch interval of a difference of two independent means:
/// t₀.₉₇₅,ν · √(s₁²/n₁ + s₂²/n₂), ν from Welch–Satterthwaite. None when either n < 2.
pub(crate) fn welch_halfwidth(a: &MeanCi, b: &MeanCi) -> Option<f64> {
    let (sa, sb) = (a.sd?, b.sd?);
    let (va, vb) = (sa * sa / a.n as f64, sb * sb / b.n as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        return Some(0.0);
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    t975(df).map(|t| t * se2.sqrt())
}

/// HSEEP rating from the share of runs meeting an objective and thresholds [p, s, m]:
/// "P" if share ≥ p, "S" if ≥ s, "M" if ≥ m, else "U".
pub(crate) fn rating(share: f64, thresholds: [f64; 3]) -> &'static str {
    if share >= thresholds[0] {
        "P"
    } else if share >= thresholds[1] {
        "S"
    } else if share >= thresholds[2] {
        "M"
    } else {
        "U"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn t_quantile_matches_tables() {
        assert_abs_diff_eq!(t975(1.0).unwrap(), 12.706_204_736, epsilon = 1e-6);
        assert_abs_diff_eq!(t975(9.0).unwrap(), 2.262_157_163, epsilon = 1e-8);
        assert_abs_diff_eq!(t975(30.0).unwrap(), 2.042_272_456, epsilon = 1e-8);
        assert_abs_diff_eq!(t975(1000.0).unwrap(), 1.962_339_081, epsilon = 1e-8);
        // Both branches agree where they meet, and the large-df branch tends to z.
        assert_abs_diff_eq!(t975(9999.0).unwrap(), t975(1e4).unwrap(), epsilon = 1e-7);
        assert_abs_diff_eq!(t975(1e12).unwrap(), Z_TWO_SIDED_95, epsilon = 1e-10);
        assert_eq!(t975(0.0), None);
    }

    #[test]
    fn mean_ci_of_a_small_sample_matches_hand_computation() {
        // 1..=5: mean 3, s² = 2.5, hw = 2.776445 · √2.5/√5
        let m = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m.mean, Some(3.0));
        assert_abs_diff_eq!(m.sd.unwrap(), 2.5f64.sqrt(), epsilon = 1e-12);
        assert_abs_diff_eq!(
            m.halfwidth.unwrap(),
            2.776_445_105 * (0.5f64).sqrt(),
            epsilon = 1e-8
        );
    }

    #[test]
    fn welford_agrees_with_two_pass() {
        let xs = [0.3, 1.7, 2.2, 9.0, 4.4, 0.01];
        let mut w = Welford::default();
        xs.iter().for_each(|&x| w.push(x));
        let m = mean_ci(&xs);
        assert_abs_diff_eq!(
            w.halfwidth().unwrap(),
            m.halfwidth.unwrap(),
            epsilon = 1e-12
        );
    }

    #[test]
    fn ratings_follow_thresholds() {
        let t = [0.9, 0.75, 0.5];
        assert_eq!(rating(0.9, t), "P");
        assert_eq!(rating(0.8, t), "S");
        assert_eq!(rating(0.5, t), "M");
        assert_eq!(rating(0.49, t), "U");
    }

    #[test]
    fn inverse_cdf_percentiles_of_counts_are_order_statistics() {
        // 10 whole counts: type 1 picks x₍⌈10q⌉₎; type 7 would give 1.45 at q = 0.05.
        let xs = [1.0, 10.0, 11.0, 12.0, 12.0, 13.0, 14.0, 15.0, 16.0, 40.0];
        assert_eq!(percentile_inverse_cdf(&xs, 0.05), Some(1.0));
        assert_eq!(percentile_inverse_cdf(&xs, 0.5), Some(12.0));
        assert_eq!(percentile_inverse_cdf(&xs, 0.95), Some(40.0));
        assert_eq!(percentile_inverse_cdf(&xs, 0.0), Some(1.0));
        assert_eq!(percentile_inverse_cdf(&[], 0.5), None);
        assert_abs_diff_eq!(percentile_sorted(&xs, 0.05).unwrap(), 5.05, epsilon = 1e-12);
        assert!(count_unit("people") && !count_unit("h") && yes_no_unit("0/1"));
    }

    #[test]
    fn wilson_ends_are_exact_at_none_and_all() {
        assert_eq!(wilson(0, 300).0, 0.0);
        assert_eq!(wilson(300, 300).1, 1.0);
        assert!(wilson(0, 300).1 > 0.0 && wilson(300, 300).0 < 1.0);
    }
}
