//! Global sensitivity analysis and scenario discovery over the unit cube: Morris screening
//! ([`morris`]), Sobol' indices ([`sobol`]) and PRIM boxes ([`prim`]).
//!
//! The estimators know nothing about scenarios or the engine: a design is a list of points in
//! [0, 1]^k, each an independent evaluation the caller may run in any order, in parallel or on
//! another machine, and the analysis takes the outputs back in design order. Every random draw
//! (design, bootstrap) comes from a `ChaCha8Rng` seeded by the caller, so the same seed gives
//! the same design and the same intervals.

pub mod morris;
pub mod prim;
pub mod sobol;
pub mod study;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Stream numbers that keep the random draws of each use apart under one seed.
pub(crate) mod stream {
    /// Morris trajectories.
    pub(crate) const MORRIS_DESIGN: u64 = 1;
    /// Morris bootstrap of μ*.
    pub(crate) const MORRIS_BOOTSTRAP: u64 = 2;
    /// Sobol' base sample (matrices A and B).
    pub(crate) const SOBOL_DESIGN: u64 = 3;
    /// Sobol' bootstrap over base rows.
    pub(crate) const SOBOL_BOOTSTRAP: u64 = 4;
    /// PRIM sample.
    pub(crate) const PRIM_DESIGN: u64 = 5;
}

/// A generator for `seed` on `stream`.
pub(crate) fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// A uniform draw in [0, 1).
pub(crate) fn unit(rng: &mut ChaCha8Rng) -> f64 {
    rng.random::<f64>()
}

/// A uniform index in `0..n` (`n` > 0).
pub(crate) fn index(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.random_range(0..n)
}

/// The `q`-quantile (q in [0, 1]) of `sorted` (ascending, finite), linear between order
/// statistics (Hyndman & Fan type 7, as numpy's default); NaN when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Serde for an `f64` that may be NaN: written as `null` (JSON has no NaN), read back as NaN.
pub(crate) mod nan_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Write a finite value as a number, anything else as `null`.
    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// Read a number, or `null` as NaN.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// A percentile-bootstrap interval and the bootstrap standard error of one estimate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// Lower end (2.5th percentile of the bootstrap replicates).
    #[serde(with = "crate::sensitivity::nan_null")]
    pub lo: f64,
    /// Upper end (97.5th percentile).
    #[serde(with = "crate::sensitivity::nan_null")]
    pub hi: f64,
    /// Standard deviation of the bootstrap replicates (the estimate's standard error).
    #[serde(with = "crate::sensitivity::nan_null")]
    pub se: f64,
}

impl Interval {
    /// The 95% percentile interval and standard error of `reps` (non-finite replicates are
    /// dropped; all NaN when none is left).
    pub fn from_replicates(mut reps: Vec<f64>) -> Interval {
        reps.retain(|v| v.is_finite());
        if reps.is_empty() {
            return Interval {
                lo: f64::NAN,
                hi: f64::NAN,
                se: f64::NAN,
            };
        }
        reps.sort_by(f64::total_cmp);
        let n = reps.len() as f64;
        let mean = reps.iter().sum::<f64>() / n;
        let var = if reps.len() > 1 {
            reps.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Interval {
            lo: quantile_sorted(&reps, 0.025),
            hi: quantile_sorted(&reps, 0.975),
            se: var.sqrt(),
        }
    }

    /// Whether `x` lies in [lo, hi].
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// Number of groups in a group index list (`max + 1`, 0 when empty), after checking that
/// every group from 0 to max has at least one factor.
pub(crate) fn group_count(groups: &[usize]) -> Result<usize, String> {
    let Some(&max) = groups.iter().max() else {
        return Ok(0);
    };
    let n = max + 1;
    for g in 0..n {
        if !groups.contains(&g) {
            return Err(format!(
                "group {g} has no factor: groups must be numbered 0.. without gaps"
            ));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_seven_quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }

    #[test]
    fn an_undefined_interval_survives_json_as_null() {
        let i = Interval::from_replicates(vec![f64::NAN]);
        let j = serde_json::to_string(&i).unwrap();
        assert_eq!(j, r#"{"lo":null,"hi":null,"se":null}"#);
        let back: Interval = serde_json::from_str(&j).unwrap();
        assert!(back.lo.is_nan() && back.se.is_nan());
        let k: Interval = serde_json::from_str(r#"{"lo":0.5,"hi":1.0,"se":0.1}"#).unwrap();
        assert_eq!(k.hi, 1.0);
    }

    #[test]
    fn groups_must_be_numbered_without_gaps() {
        assert_eq!(group_count(&[0, 1, 1, 2]), Ok(3));
        assert!(group_count(&[0, 2]).is_err());
        assert_eq!(group_count(&[]), Ok(0));
    }
}
