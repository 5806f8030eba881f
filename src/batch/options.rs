//! What a batch, sweep or merge is asked to do, in domain terms: the app layer builds these
//! from the command line; nothing here knows about clap.

use super::runner::{DirMode, UntilCi};
use super::sweep::{Design, Param};
use std::path::PathBuf;
use std::str::FromStr;

/// Shard `k` of `n` (1 ≤ k ≤ n): the run indices i with i mod n == k − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard's number, 1-based, ≤ `n`.
    pub k: u64,
    /// Shard count, ≥ 1.
    pub n: u64,
}

impl Shard {
    /// Shard `k` of `n`; None unless 1 ≤ k ≤ n.
    pub fn new(k: u64, n: u64) -> Option<Shard> {
        (k >= 1 && k <= n).then_some(Shard { k, n })
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parse `K/N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| "expected K/N, e.g. 2/3".to_string())?;
        let num = |x: &str| {
            x.trim()
                .parse::<u64>()
                .map_err(|_| format!("expected K/N with whole numbers K and N, e.g. 2/3, not {s}"))
        };
        let (k, n) = (num(k)?, num(n)?);
        Shard::new(k, n).ok_or_else(|| {
            format!("K must be between 1 and N (there is no shard {k} of {n}), e.g. 2/3")
        })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// A precision target, `METRIC=HALFWIDTH`: run until the 95% interval of the baseline mean of
/// `metric` is at most `halfwidth` wide each side.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CiTarget {
    /// Metric id (baseline catalog), not empty.
    pub metric: String,
    /// Target half-width of the 95% interval of the mean, in the metric's unit, > 0.
    pub halfwidth: f64,
}

impl CiTarget {
    /// The stop rule with a cap of `max_runs` runs per variant.
    pub(crate) fn with_max_runs(self, max_runs: u64) -> UntilCi {
        UntilCi {
            metric: self.metric,
            halfwidth: self.halfwidth,
            max_runs,
        }
    }
}

impl FromStr for CiTarget {
    type Err = String;

    /// Parse `METRIC=HALFWIDTH`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            "expected METRIC=HALFWIDTH with a positive half-width, e.g. time_to_detection=0.5"
                .to_string()
        };
        let (m, h) = s.split_once('=').ok_or_else(bad)?;
        let h: f64 = h.trim().parse().map_err(|_| bad())?;
        if m.trim().is_empty() || !(h > 0.0 && h.is_finite()) {
            return Err(bad());
        }
        Ok(CiTarget {
            metric: m.trim().to_string(),
            halfwidth: h,
        })
    }
}

/// A Monte Carlo batch of one scenario.
#[derive(Debug, Clone)]
pub(crate) struct BatchOptions {
    /// Runs per variant (ignored under `until_ci`).
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (None: all cores), ≥ 1.
    pub jobs: Option<usize>,
    /// Variant ids to run beside the baseline.
    pub variants: Vec<String>,
    /// Run every variant of the scenario beside the baseline.
    pub all_variants: bool,
    /// Output directory (None: `output/<scenario>/batch-<seed>/`).
    pub out: Option<PathBuf>,
    /// Run only this shard.
    pub shard: Option<Shard>,
    /// Stop on precision instead of a fixed number of runs.
    pub until_ci: Option<UntilCi>,
    /// Fresh (directory must be empty), Force (overwrite) or Resume.
    pub mode: DirMode,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// The command line, recorded in the manifest.
    pub command: String,
    /// When `out` already holds this very batch, finished, keep it and run nothing
    /// (`--skip-finished`: re-running a cluster array skips finished shards).
    pub skip_finished: bool,
    /// Two-level Monte Carlo over the uncertain parameters after the batch
    /// (`--uncertainty`), if asked for.
    pub uncertainty: Option<super::uncertainty::UncertaintyOptions>,
}

/// A parameter sweep of one scenario.
#[derive(Debug, Clone)]
pub(crate) struct SweepOptions {
    /// Parameters to vary.
    pub params: Vec<Param>,
    /// How configurations are chosen.
    pub design: Design,
    /// Samples for [`Design::Lhs`], ≥ 1.
    pub samples: usize,
    /// Runs per configuration.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (None: all cores), ≥ 1.
    pub jobs: Option<usize>,
    /// Output directory (None: `output/<scenario>/sweep-<seed>/`).
    pub out: Option<PathBuf>,
    /// Overwrite a non-empty output directory.
    pub force: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// The command line, recorded in the manifest.
    pub command: String,
}

/// Merging shard directories into one batch directory.
#[derive(Debug, Clone)]
pub(crate) struct MergeOptions {
    /// Shard directories.
    pub dirs: Vec<PathBuf>,
    /// Output directory for the merged batch.
    pub out: PathBuf,
    /// Overwrite a non-empty output directory.
    pub force: bool,
    /// The command line, recorded in the manifest.
    pub command: String,
    /// What every shard's manifest must say (this batch, not a previous one).
    pub expect: MergeExpect,
}

/// What the shards of a merge must be: each given item is checked against every shard's
/// manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MergeExpect {
    /// Master seed.
    pub seed: Option<u64>,
    /// Runs per variant of the whole batch.
    pub runs: Option<u64>,
    /// The scenario file the batch ran (its sha256 must match).
    pub scenario: Option<PathBuf>,
    /// Variant ids beside the baseline, in order (empty: none given).
    pub variants: Vec<String>,
    /// Every variant of `scenario` beside the baseline.
    pub all_variants: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_k_above_n() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { k: 2, n: 3 }));
        assert!(
            "4/3"
                .parse::<Shard>()
                .unwrap_err()
                .contains("no shard 4 of 3")
        );
        assert!("0/3".parse::<Shard>().is_err());
        assert!("3".parse::<Shard>().is_err());
    }

    #[test]
    fn ci_targets_need_a_positive_halfwidth() {
        let t: CiTarget = "ttd=0.5".parse().unwrap();
        assert_eq!((t.metric.as_str(), t.halfwidth), ("ttd", 0.5));
        assert!("ttd=0".parse::<CiTarget>().is_err());
        assert!("ttd".parse::<CiTarget>().is_err());
        assert!("=1".parse::<CiTarget>().is_err());
    }
}
