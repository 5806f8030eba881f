//! Data types of a batch directory's `summary.json` and `manifest.json`: the contract between
//! the batch runner (which writes them) and the report (which reads them).
//!
//! Batch directory layout:
//! - `manifest.json` ([`Manifest`]), `scenario.ron` (byte copy of the scenario file),
//!   `catalog.json` (the baseline [`crate::sim::Catalog`]);
//! - `runs.csv`: one row per (variant, run), columns `variant,run,<metric ids>,obj:<id>...,
//!   drv:<id>...`, empty cell for a metric that did not happen;
//! - `summary.json` ([`Summary`]) and `summary.csv` (the same, flattened);
//! - `exemplars/<variant>/{median,worst}.json`: [`Exemplar`] runs re-simulated with timelines;
//! - charts and `report.html`, `report.md`, `msel.csv` (written by the report).

use crate::sim::{DriverKind, RunOutcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What was run, by whom, on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always "tabletop".
    pub tool: String,
    /// Crate version.
    pub version: String,
    /// Scenario exercise name.
    pub scenario_name: String,
    /// Scenario file path as given.
    pub scenario_file: String,
    /// sha256 of the scenario file, lowercase hex.
    pub scenario_hash: String,
    /// Handling marking of the scenario.
    pub marking: String,
    /// Master seed.
    pub master_seed: u64,
    /// Runs per variant (the whole batch, not the shard).
    pub runs: u64,
    /// Variant ids, "baseline" first.
    pub variants: Vec<String>,
    /// `Some((k, n))` for shard k of n (1-based), None for a whole batch.
    pub shard: Option<(u64, u64)>,
    /// The exact command line.
    pub command: String,
    /// Start time, RFC 3339 UTC (informational; excluded from determinism comparisons).
    pub started: String,
    /// End time, RFC 3339 UTC, empty while running.
    pub finished: String,
}

/// Distribution summary of one scalar metric over the runs where it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Metric id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Unit.
    pub unit: String,
    /// Runs with a value.
    pub n: u64,
    /// Runs where it did not happen (empty cell).
    pub missing: u64,
    /// Mean, in the metric's `unit` (None when n = 0). For a yes/no metric (unit `0/1`),
    /// the share of runs where it was 1.
    pub mean: Option<f64>,
    /// Sample standard deviation, in the metric's `unit`.
    pub sd: Option<f64>,
    /// 95% confidence interval of the mean (Student t), low end; for a yes/no metric, the
    /// 95% Wilson score interval of the share.
    pub ci_low: Option<f64>,
    /// 95% confidence interval of the mean, high end.
    pub ci_high: Option<f64>,
    /// 5th percentile, in the metric's `unit` (so are the median and p95). Whole counts
    /// (people, items, links, deliveries, findings) take the order statistic, never an
    /// interpolation; a yes/no metric (unit `0/1`) has none (its share is `mean`).
    pub p5: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

impl MetricSummary {
    /// Whether every run gave the metric one and the same value: none missing, and its 5th
    /// and 95th percentiles and its 95% interval all collapse to that value (a detection time
    /// that is always 0). A yes/no metric, which has no percentiles, is never constant here.
    pub fn is_constant(&self) -> bool {
        self.missing == 0
            && self.p5.is_some()
            && self.p5 == self.p95
            && self.ci_low == self.p5
            && self.ci_high == self.p5
    }
}

/// P(objective met) over the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveSummary {
    /// Objective id.
    pub id: String,
    /// Objective text.
    pub description: String,
    /// Core capability (its Rust name, e.g. "IntelligenceAndInformationSharing").
    pub capability: String,
    /// Target in words.
    pub target: String,
    /// Runs it applied to (all runs, except those about an insider not active in the run).
    pub n: u64,
    /// Runs meeting it.
    pub met: u64,
    /// Runs it did not apply to (no active insider, or for coverage and hand-off objectives a
    /// threat that was not real), counted apart from `n`.
    #[serde(default)]
    pub not_applicable: u64,
    /// Share of the runs it applied to that met it, in [0, 1] (for an insider objective,
    /// P(met | insider active)).
    pub p: f64,
    /// 95% Wilson interval of the share, low end, in [0, 1].
    pub ci_low: f64,
    /// 95% Wilson interval of the share, high end, in [0, 1].
    pub ci_high: f64,
    /// HSEEP rating from the thresholds: "P", "S", "M" or "U".
    pub rating: String,
}

/// Paired difference (variant − baseline) of a metric or objective over common random numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedDiff {
    /// Metric id, or `obj:<id>` for an objective (difference of met indicators).
    pub id: String,
    /// Pairs where both runs have a value.
    pub n: u64,
    /// Mean difference, in the metric's unit (in [−1, 1] for an objective).
    pub mean_diff: Option<f64>,
    /// 95% interval of the mean difference, low end.
    pub ci_low: Option<f64>,
    /// 95% interval, high end.
    pub ci_high: Option<f64>,
    /// Half-width an unpaired (Welch) interval would have had, for comparison.
    pub unpaired_halfwidth: Option<f64>,
}

/// Per-sample percentile bands of a series across runs (for fan charts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesBands {
    /// Series id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Unit.
    pub unit: String,
    /// Scenario times \[h\].
    pub times: Vec<f64>,
    /// 5th percentile per time, in the series' `unit` (so are the other bands).
    pub p5: Vec<f64>,
    /// 25th percentile.
    pub p25: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 75th percentile.
    pub p75: Vec<f64>,
    /// 95th percentile.
    pub p95: Vec<f64>,
}

/// How much a driver event moves an objective: P(met | happened) vs P(met | not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverEffect {
    /// Driver id.
    pub driver: String,
    /// Driver label.
    pub label: String,
    /// Driver kind.
    pub kind: DriverKind,
    /// Objective id.
    pub objective: String,
    /// Runs where the driver happened.
    pub runs_with: u64,
    /// P(met) in those runs, in [0, 1] (None if none).
    pub p_with: Option<f64>,
    /// Runs where it did not.
    pub runs_without: u64,
    /// P(met) in those runs, in [0, 1] (None if none).
    pub p_without: Option<f64>,
}

/// Mean results of a directed partnership link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// Partnership id.
    pub partnership: String,
    /// Sender id.
    pub from: String,
    /// Receiver id.
    pub to: String,
    /// Mean items delivered per run.
    pub mean_items: f64,
    /// Mean end-of-run trust of the sender in the receiver, in [0, 1].
    pub mean_end_trust: f64,
    /// Share of runs where it was withdrawn, in [0, 1].
    pub p_withdrawn: f64,
    /// Share of runs where it was compromised or leaked from, in [0, 1].
    pub p_compromised: f64,
    /// Mean unique items delivered per run, weighted by sensitivity [SWD].
    #[serde(default)]
    pub mean_received: f64,
    /// Mean exposure attributed to it per run [SWD] (docs/model.md §5, §10).
    #[serde(default)]
    pub mean_exposure: f64,
    /// Share of runs with exposure attributed to it, in [0, 1].
    #[serde(default)]
    pub p_exposed: f64,
    /// Mean part of the exposure that was the sender's own collection [SWD per run]: what
    /// the sender, as originator, lost through this partnership.
    #[serde(default)]
    pub mean_origin_exposure: f64,
    /// Mean handling violations per run, by kind (`tlp`, `agreement`, `public`,
    /// `criminal_intel`, `pii`).
    #[serde(default)]
    pub mean_violations: BTreeMap<String, f64>,
    /// Mean offers passed in violation per run (each once, whatever its kinds).
    #[serde(default)]
    pub mean_violating_offers: f64,
    /// Share of runs with at least one violation on it, in [0, 1].
    #[serde(default)]
    pub p_violation: f64,
    /// Mean legal findings per run.
    #[serde(default)]
    pub mean_legal_findings: f64,
    /// Mean end-of-run equity log ratio from the sender's side (docs/model.md §7): 0 as
    /// expected, < 0 when it gives more than it expects; 0 on one-way links.
    #[serde(default)]
    pub mean_equity_log_ratio: f64,
    /// Share of runs where the sender withdrew it through loss of trust (not by inject or
    /// hold), in [0, 1].
    #[serde(default)]
    pub p_trust_withdrawn: f64,
}

/// Everything summarised for one variant ("baseline" included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    /// Variant id ("baseline" for the unmodified scenario).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Recommendation tested (Rust name, e.g. "PartnerVetting"), if any.
    pub recommendation: Option<String>,
    /// Description.
    pub description: String,
    /// Runs summarised.
    pub runs: u64,
    /// Metric summaries, in catalog order.
    pub metrics: Vec<MetricSummary>,
    /// Objective summaries, in scenario order.
    pub objectives: Vec<ObjectiveSummary>,
    /// Paired differences against the baseline (empty for the baseline).
    pub paired: Vec<PairedDiff>,
    /// Series bands.
    pub series: Vec<SeriesBands>,
    /// Driver effects (every driver × objective with runs on both sides).
    pub drivers: Vec<DriverEffect>,
    /// Link summaries.
    pub links: Vec<LinkSummary>,
    /// Per originating agency id: the mean exposure of its own collection through its
    /// partnerships [SWD per run], the sum of `mean_origin_exposure` over its outbound links
    /// (agencies whose collection was never exposed by a partner are left out).
    #[serde(default)]
    pub originated_exposure: BTreeMap<String, f64>,
    /// Where each observed value of the real case falls in this variant's simulated
    /// distribution, in the scenario's `observed:` order (empty when it has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<ObservedCheck>,
}

/// Where an observed value of the real case falls in the simulated distribution of its
/// metric (pattern-oriented validation). For a time metric (unit `h`) a run where the event
/// never happened counts as later than any time; for other metrics such runs are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedCheck {
    /// Observed value id.
    pub id: String,
    /// What was observed.
    pub description: String,
    /// Metric id it is compared with.
    pub metric: String,
    /// The metric's unit.
    pub unit: String,
    /// How the value constrains the metric.
    pub kind: crate::sim::ObservedKind,
    /// The observed value in the metric's unit (None for `never`).
    pub value: Option<f64>,
    /// Where the value was read.
    pub source: String,
    /// Notes from the scenario.
    #[serde(default)]
    pub note: String,
    /// Runs compared (with a value, or for a time metric also those where it never happened).
    pub n: u64,
    /// Share of the compared runs where the event never happened (time metrics; 0 otherwise).
    pub never_share: f64,
    /// Percentile of the observed value in the simulated distribution, in [0, 100]: the
    /// mid-rank `100 × (P(X < v) + P(X = v) / 2)` for a value or `never`; for `at_least`, the
    /// least percentile the real value can have, `100 × P(X < v)`; for `at_most`, the most,
    /// `100 × P(X ≤ v)`. None without runs.
    pub percentile: Option<f64>,
    /// 5th percentile of the simulated metric (type 7); None when it falls among runs where
    /// the event never happened (or without runs).
    pub p5: Option<f64>,
    /// Median, as `p5`.
    pub p50: Option<f64>,
    /// 95th percentile, as `p5`.
    pub p95: Option<f64>,
    /// Whether the observed value is consistent with the simulated 5–95% band: a value (or
    /// `never`) with P(X ≤ v) ≥ 0.05 and P(X < v) ≤ 0.95; `at_least` with P(X ≥ v) ≥ 0.05;
    /// `at_most` with P(X ≤ v) ≥ 0.05. False without runs.
    pub inside: bool,
}

/// The whole `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Exercise name.
    pub scenario_name: String,
    /// sha256 of the scenario file, lowercase hex.
    pub scenario_hash: String,
    /// Handling marking.
    pub marking: String,
    /// Master seed.
    pub master_seed: u64,
    /// Runs per variant.
    pub runs: u64,
    /// Crate version.
    pub version: String,
    /// Inject times \[h\] with ids (for marking charts).
    pub inject_times: Vec<(String, f64)>,
    /// Baseline first, then variants in the order run.
    pub variants: Vec<VariantSummary>,
}

/// An exemplar run kept with its timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exemplar {
    /// Variant id.
    pub variant: String,
    /// "median" or "worst".
    pub role: String,
    /// Why it was chosen, in words (e.g. "median time to action").
    pub reason: String,
    /// The outcome, with timeline.
    pub outcome: RunOutcome,
}

#[cfg(test)]
mod tests {
    use super::MetricSummary;

    fn metric(missing: u64, ci: (f64, f64), p5: Option<f64>, p95: Option<f64>) -> MetricSummary {
        MetricSummary {
            id: "m".into(),
            label: "m".into(),
            unit: "h".into(),
            n: 10,
            missing,
            mean: Some(ci.0),
            sd: Some(0.0),
            ci_low: Some(ci.0),
            ci_high: Some(ci.1),
            p5,
            p50: p5,
            p95,
        }
    }

    #[test]
    fn a_metric_is_constant_only_when_every_run_gave_one_value() {
        assert!(metric(0, (0.0, 0.0), Some(0.0), Some(0.0)).is_constant());
        // some runs without it, a spread, an interval, or a yes/no metric: not constant
        assert!(!metric(2, (0.0, 0.0), Some(0.0), Some(0.0)).is_constant());
        assert!(!metric(0, (1.0, 1.0), Some(1.0), Some(2.0)).is_constant());
        assert!(!metric(0, (0.9, 1.1), Some(1.0), Some(1.0)).is_constant());
        assert!(!metric(0, (1.0, 1.0), None, None).is_constant());
    }
}
