//! Paired differences on common random numbers: per-run target values, the running
//! accumulator of (changed − as written), its intervals, and the screening rule.

use super::data::{Better, Target, Verdict};
use crate::sim::{Catalog, RunOutcome};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Metric ids (suffix `.<main threat>` where marked) the ledger reports beside the
/// objectives: (id, threat-specific, better).
const KEY_METRICS: [(&str, bool, Better); 8] = [
    ("time_to_detection", true, Better::Lower),
    ("time_to_first_share", true, Better::Lower),
    ("coverage", true, Better::Higher),
    ("time_to_action", true, Better::Lower),
    ("leak_exposure", false, Better::Lower),
    ("handling_violations", false, Better::Lower),
    ("legal_findings", false, Better::Lower),
    ("withdrawals", false, Better::Lower),
];

/// The ledger's targets for a catalog: every objective, then the key metrics present.
pub(crate) fn targets(catalog: &Catalog, threat: &str) -> Vec<Target> {
    let mut out: Vec<Target> = catalog
        .objectives
        .iter()
        .map(|o| Target {
            id: o.id.clone(),
            kind: "objective".into(),
            name: o.description.clone(),
            unit: "P(met)".into(),
            better: Better::Higher,
        })
        .collect();
    for (id, per_threat, better) in KEY_METRICS {
        let id = if per_threat {
            format!("{id}.{threat}")
        } else {
            id.to_string()
        };
        if let Some(m) = catalog.metrics.iter().find(|m| m.id == id) {
            out.push(Target {
                id,
                kind: "metric".into(),
                name: m.label.clone(),
                unit: m.unit.clone(),
                better,
            });
        }
    }
    out
}

/// Where each target sits in one model's outcome.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    /// Per target: `Ok(objective index)` or `Err(metric index)`; None when absent.
    cols: Vec<Option<Result<usize, usize>>>,
    /// Per target: a time metric (a run where it never happened counts the whole exercise).
    censor: Vec<bool>,
    /// Exercise duration [h].
    duration: f64,
}

impl Columns {
    /// Locate `targets` in `catalog` (by id).
    pub(crate) fn new(targets: &[Target], catalog: &Catalog, duration: f64) -> Columns {
        Columns {
            cols: targets
                .iter()
                .map(|t| {
                    if t.kind == "objective" {
                        catalog.objectives.iter().position(|o| o.id == t.id).map(Ok)
                    } else {
                        catalog.metrics.iter().position(|m| m.id == t.id).map(Err)
                    }
                })
                .collect(),
            censor: targets.iter().map(|t| t.unit == "h").collect(),
            duration,
        }
    }

    /// One run's target values: 1/0 for a met/missed objective (None when it does not
    /// apply), the metric value (a time that never happened is the exercise duration;
    /// another missing value is None).
    pub(crate) fn values(&self, o: &RunOutcome) -> Vec<Option<f64>> {
        self.cols
            .iter()
            .zip(&self.censor)
            .map(|(c, &censor)| match *c {
                Some(Ok(i)) => o
                    .objectives
                    .get(i)
                    .filter(|r| r.applicable)
                    .map(|r| if r.met { 1.0 } else { 0.0 }),
                Some(Err(i)) => match o.metrics.get(i).copied().flatten() {
                    Some(v) if v.is_finite() => Some(v),
                    _ if censor => Some(self.duration),
                    _ => None,
                },
                None => None,
            })
            .collect()
    }
}

/// Below this many non-zero pairs, a binary difference's interval is bounded by the share of
/// discordant pairs rather than trusted to the t approximation.
pub(crate) const FEW_DISCORDANT: u64 = 10;

/// Running paired differences of one target (Welford), with the count of non-zero pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Paired {
    /// Pairs.
    pub(crate) n: u64,
    /// Pairs whose difference is not zero.
    pub(crate) nonzero: u64,
    /// Largest |difference| seen.
    max_abs: f64,
    mean: f64,
    m2: f64,
}

impl Paired {
    /// Add one pair's difference.
    pub(crate) fn push(&mut self, d: f64) {
        self.n += 1;
        if d != 0.0 {
            self.nonzero += 1;
            self.max_abs = self.max_abs.max(d.abs());
        }
        let delta = d - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (d - self.mean);
    }

    /// Mean difference (None without pairs).
    pub(crate) fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Half-width of the two-sided interval at level 1 − `alpha`: Student t on the
    /// differences. For differences of 0/1 outcomes (`binary`, |d| ≤ 1) with fewer than
    /// [`FEW_DISCORDANT`] non-zero pairs, where the t interval is unreliable, at least the
    /// Wilson upper bound of the discordant share times the largest |d| seen (1 when none
    /// was): a handful of discordant pairs, or none, cannot give a falsely narrow interval.
    /// None below 2 pairs.
    pub(crate) fn halfwidth(&self, alpha: f64, binary: bool) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        let sd = (self.m2 / (n - 1.0)).max(0.0).sqrt();
        let t = StudentsT::new(0.0, 1.0, n - 1.0)
            .ok()
            .map(|d| d.inverse_cdf(1.0 - alpha / 2.0))
            .filter(|q| q.is_finite())?;
        let mut hw = t * sd / n.sqrt();
        if binary && self.nonzero < FEW_DISCORDANT {
            let z = Normal::new(0.0, 1.0).ok()?.inverse_cdf(1.0 - alpha / 2.0);
            let p = self.nonzero as f64 / n;
            let z2 = z * z;
            let upper = (p + z2 / (2.0 * n) + z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt())
                / (1.0 + z2 / n);
            let scale = if self.nonzero == 0 { 1.0 } else { self.max_abs };
            hw = hw.max(upper * scale);
        }
        Some(hw)
    }

    /// The 95% interval (low, high).
    pub(crate) fn ci95(&self, binary: bool) -> (Option<f64>, Option<f64>) {
        match (self.mean(), self.halfwidth(0.05, binary)) {
            (Some(m), Some(h)) => (Some(m - h), Some(m + h)),
            _ => (None, None),
        }
    }

    /// The screening verdict at level 1 − `alpha` against the band ±`band`: negligible when
    /// the interval lies inside it, material when the interval excludes zero and the mean
    /// lies outside it, undecided otherwise.
    pub(crate) fn verdict(&self, alpha: f64, band: f64, binary: bool) -> Verdict {
        let (Some(m), Some(h)) = (self.mean(), self.halfwidth(alpha, binary)) else {
            return Verdict::Undecided;
        };
        if m - h >= -band && m + h <= band {
            Verdict::Negligible
        } else if (m - h > 0.0 || m + h < 0.0) && m.abs() > band {
            Verdict::Material
        } else {
            Verdict::Undecided
        }
    }
}

/// Paired accumulators of one (player, change): per target, plus the mean over the
/// objectives that apply in both runs (the player's value).
#[derive(Debug, Clone, Default)]
pub(crate) struct PairedSet {
    /// Per target.
    pub(crate) targets: Vec<Paired>,
    /// Mean objective difference per run.
    pub(crate) objectives_mean: Paired,
}

impl PairedSet {
    /// Empty accumulators for `n` targets.
    pub(crate) fn new(n: usize) -> PairedSet {
        PairedSet {
            targets: vec![Paired::default(); n],
            objectives_mean: Paired::default(),
        }
    }

    /// Add one run: `base` and `changed` are the run's target values; the first
    /// `objectives` targets are objectives.
    pub(crate) fn push(
        &mut self,
        base: &[Option<f64>],
        changed: &[Option<f64>],
        objectives: usize,
    ) {
        let (mut sum, mut k) = (0.0, 0usize);
        for (i, (b, c)) in base.iter().zip(changed).enumerate() {
            if let (Some(b), Some(c)) = (b, c) {
                self.targets[i].push(c - b);
                if i < objectives {
                    sum += c - b;
                    k += 1;
                }
            }
        }
        if k > 0 {
            self.objectives_mean.push(sum / k as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(ds: &[f64]) -> Paired {
        let mut p = Paired::default();
        ds.iter().for_each(|&d| p.push(d));
        p
    }

    #[test]
    fn all_zero_differences_are_negligible_only_with_enough_pairs() {
        // Wilson upper bound of 0 of n at 95%: z²/(n + z²) ≈ 3.84/(n + 3.84).
        let small = of(&[0.0; 50]);
        let h = small.halfwidth(0.05, true).unwrap();
        assert!((h - 3.8415 / (50.0 + 3.8415)).abs() < 1e-3, "{h}");
        // Two discordant pairs of ±1 in 50: at least the Wilson upper bound of 2 of 50.
        let mut two = vec![0.0; 48];
        two.extend([1.0, -1.0]);
        let w = of(&two).halfwidth(0.05, true).unwrap();
        let (z, p, n) = (1.959_964_f64, 0.04, 50.0);
        let upper =
            (p + z * z / (2.0 * n) + z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt())
                / (1.0 + z * z / n);
        assert!((w - upper).abs() < 1e-6, "{w} vs {upper}");
        assert_eq!(small.verdict(0.05, 0.02, true), Verdict::Undecided);
        let big = of(&[0.0; 400]);
        assert_eq!(big.verdict(0.05, 0.02, true), Verdict::Negligible);
    }

    #[test]
    fn many_balanced_discordant_pairs_use_the_t_interval_and_can_be_negligible() {
        // 10% of 200 pairs differ by ±1/6, balanced: mean 0, t half-width ≈ 0.0099.
        let mut ds = vec![0.0; 180];
        for k in 0..20 {
            ds.push(if k % 2 == 0 { 1.0 / 6.0 } else { -1.0 / 6.0 });
        }
        let p = of(&ds);
        let sd = ((20.0 / 36.0) / 199.0_f64).sqrt();
        let t = StudentsT::new(0.0, 1.0, 199.0).unwrap().inverse_cdf(0.975);
        assert!((p.halfwidth(0.05, true).unwrap() - t * sd / 200f64.sqrt()).abs() < 1e-12);
        assert_eq!(p.verdict(0.05, 0.02, true), Verdict::Negligible);
    }

    #[test]
    fn a_clear_loss_is_material_and_its_interval_follows_the_t_formula() {
        let mut ds = vec![-1.0; 30];
        ds.extend(vec![0.0; 70]);
        let p = of(&ds);
        assert!((p.mean().unwrap() + 0.3).abs() < 1e-12);
        let sd = (0.21_f64 * 100.0 / 99.0).sqrt();
        let t = StudentsT::new(0.0, 1.0, 99.0).unwrap().inverse_cdf(0.975);
        assert!((p.halfwidth(0.05, false).unwrap() - t * sd / 10.0).abs() < 1e-12);
        assert_eq!(p.verdict(0.05, 0.02, true), Verdict::Material);
    }

    #[test]
    fn the_objectives_mean_averages_only_objectives_that_apply_in_both_runs() {
        let mut s = PairedSet::new(3);
        s.push(
            &[Some(1.0), None, Some(5.0)],
            &[Some(0.0), Some(1.0), Some(9.0)],
            2,
        );
        assert_eq!(s.objectives_mean.mean(), Some(-1.0));
        assert_eq!(s.targets[1].n, 0);
        assert_eq!(s.targets[2].mean(), Some(4.0));
    }
}
