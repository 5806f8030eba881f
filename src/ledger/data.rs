//! What a ledger directory holds: `ledger.json` (this module's [`Ledger`], serialised) and
//! `ledger.csv` (its rows flattened). The report layer reads these types back; nothing here
//! runs a simulation.

use serde::{Deserialize, Serialize};

/// Which players a ledger prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerOf {
    /// Each partnership of the scenario.
    Partnerships,
    /// Each partner agency (all of its partnerships at once).
    Agencies,
}

/// A paired measure: how the scenario changes when one player is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The player is absent from the start.
    Knockout,
    /// The player fails when the first item about the main threat would cross it.
    Failure,
    /// The player is raised to the aligned level.
    Aligned,
}

impl Measure {
    /// The id used in `ledger.csv`.
    pub fn id(self) -> &'static str {
        match self {
            Measure::Knockout => "knockout",
            Measure::Failure => "failure",
            Measure::Aligned => "aligned",
        }
    }
}

/// Whether larger values of a target are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Larger is better (P(met), coverage).
    Higher,
    /// Smaller is better (times, exposure, violations).
    Lower,
}

/// What a ledger row measures the difference of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Objective or metric id (as in `summary.json`).
    pub id: String,
    /// `objective` (the difference is of P(met), in [−1, 1]) or `metric` (of its mean).
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Unit of the difference (`P(met)` for objectives).
    pub unit: String,
    /// Direction of improvement.
    pub better: Better,
}

/// The scenario as written, on the ledger's runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineValue {
    /// Target id.
    pub target: String,
    /// Mean over the baseline runs (P(met) for objectives).
    pub mean: Option<f64>,
    /// 95% interval low.
    pub ci_low: Option<f64>,
    /// 95% interval high.
    pub ci_high: Option<f64>,
    /// Runs with a value.
    pub n: u64,
}

/// Risk a player carries in the scenario as written (baseline runs; sums over its links).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskColumns {
    /// Mean exposure attributed to it per run [sensitivity-weighted documents].
    pub exposure: f64,
    /// The part of `exposure` that was its senders' own collection: what the originators lost
    /// through it, mean per run [SWD] (docs/model.md §5).
    #[serde(default)]
    pub origin_exposure: f64,
    /// Mean handling violations per run, by kind (`tlp`, `agreement`, `public`,
    /// `criminal_intel`, `pii`), in that order.
    pub violations: Vec<(String, f64)>,
    /// Mean legal findings per run.
    pub legal_findings: f64,
    /// Equity ratio of the worse-off side: the geometric mean over runs of (value received ÷
    /// value given ÷ expected equity) of its link that fared worst (1 balanced as expected,
    /// below 1 short-changed; docs/model.md §7); None without links.
    pub equity_ratio: Option<f64>,
    /// Share of runs in which a link of it was withdrawn through loss of trust (not by an
    /// inject), [0, 1].
    pub p_withdrawal: f64,
    /// Mean hours per run that agencies depending on a partner across it lost a function
    /// (× the dependency's degree where the scenario has degrees or shared-service outages).
    pub dependants_lost_hours: f64,
}

/// One player (partnership, or partner agency with `--of agencies`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Player {
    /// Partnership id (or agency id).
    pub id: String,
    /// Display name.
    pub name: String,
    /// One end (agency id; for an agency player, the agency itself).
    pub from: String,
    /// The other end (agency id; empty for an agency player).
    pub to: String,
    /// Edge (or node) betweenness in the partnership graph, normalised to [0, 1].
    pub betweenness: f64,
    /// Rank of the betweenness among players, 1 = most central.
    pub betweenness_rank: usize,
    /// Value: mean knock-out loss of P(met) over the objectives (positive = the partnership
    /// helps), with its 95% interval.
    pub value: f64,
    /// Interval of `value`, low.
    pub value_low: f64,
    /// Interval of `value`, high.
    pub value_high: f64,
    /// Rank of `value` among players, 1 = most valuable.
    pub value_rank: usize,
    /// Risk in the scenario as written.
    pub risk: RiskColumns,
    /// Paired runs spent on each measure, in [`Measure`] order (knockout, failure, aligned).
    pub runs: Vec<(Measure, u64)>,
    /// Where structure and behaviour disagree: `central_but_little`, `quiet_carrier`, or empty.
    pub disagreement: String,
}

/// Sequential screening verdict of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval lies inside the negligible band: the change does not matter.
    Negligible,
    /// The interval lies outside the band: the change matters.
    Material,
    /// The run budget ran out first.
    Undecided,
}

/// One paired difference: player × measure × target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Player id.
    pub player: String,
    /// Measure.
    pub measure: Measure,
    /// Target id.
    pub target: String,
    /// Mean paired difference (changed − as written), in the target's unit.
    pub diff: Option<f64>,
    /// 95% interval low.
    pub ci_low: Option<f64>,
    /// 95% interval high.
    pub ci_high: Option<f64>,
    /// Paired runs behind it.
    pub n: u64,
    /// Screening verdict.
    pub verdict: Verdict,
    /// For `aligned` rows: the study recommendation whose part of the alignment closes the
    /// largest share of the gap (`partner_vetting`, `sharing_agreements`, `shared_benefits`,
    /// `joint_training`, `metrics_and_evaluation`, `technology_investment`); empty otherwise
    /// or when nothing closes it.
    pub recommendation: String,
}

/// One part of an alignment, priced alone (decomposes the alignment gap).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapPart {
    /// Player id.
    pub player: String,
    /// Recommendation id (see [`Row::recommendation`]).
    pub recommendation: String,
    /// What the part changes, in a planner's words.
    pub change: String,
    /// Target id (objectives only).
    pub target: String,
    /// Mean paired difference of P(met) with only this part applied.
    pub diff: f64,
    /// 95% interval low.
    pub ci_low: f64,
    /// 95% interval high.
    pub ci_high: f64,
}

/// Shapley values of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapleyTarget {
    /// Target id (an objective).
    pub target: String,
    /// v(all players present) − v(none present), the total the values share out.
    pub total: f64,
    /// Per player (in [`Shapley::players`] order): value.
    pub values: Vec<f64>,
    /// Per player: standard error (0 when exact).
    pub se: Vec<f64>,
}

/// Shapley values over a set of players, the others held present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shapley {
    /// Player ids.
    pub players: Vec<String>,
    /// Exact (all coalitions) or sampled (antithetic permutations).
    pub exact: bool,
    /// Permutations sampled (each walked forwards and in reverse); 0 when exact.
    pub permutations: u64,
    /// Runs per coalition.
    pub runs_per_coalition: u64,
    /// Largest standard error requested.
    pub precision_target: f64,
    /// Largest standard error reached.
    pub precision_reached: f64,
    /// Per objective.
    pub targets: Vec<ShapleyTarget>,
}

/// A recommended improvement: which recommendation, for which player, moving which objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanItem {
    /// Recommendation id.
    pub recommendation: String,
    /// Player id.
    pub player: String,
    /// Objective id.
    pub target: String,
    /// Change of P(met) the alignment brings.
    pub diff: f64,
    /// 95% interval low.
    pub ci_low: f64,
    /// 95% interval high.
    pub ci_high: f64,
}

/// How the ledger was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerManifest {
    /// tabletop version.
    pub tabletop_version: String,
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the scenario source.
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Players priced.
    pub of: LedgerOf,
    /// The main threat (failure measure, channel alignment).
    pub main_threat: String,
    /// Largest number of paired runs per player and measure.
    pub max_runs: u64,
    /// Runs per screening block.
    pub block: u64,
    /// Half-width of the negligible band, in P(met) (objectives) — a difference inside
    /// ±band does not matter.
    pub negligible: f64,
    /// Error rate of each screening decision (Bonferroni over the looks).
    pub alpha: f64,
    /// Shard `K/N` this directory holds, or empty for a whole ledger.
    pub shard: String,
    /// Total paired runs made (all measures, Shapley included).
    pub total_runs: u64,
    /// Shapley values asked for on the top this many players (0: none).
    #[serde(default)]
    pub shapley_k: usize,
    /// Runs per coalition of the Shapley estimate.
    #[serde(default)]
    pub shapley_runs: u64,
    /// Standard error the Shapley estimate stops at.
    #[serde(default)]
    pub shapley_precision: f64,
    /// Antithetic permutation pairs of the Shapley estimate, at most.
    #[serde(default)]
    pub shapley_max_pairs: u64,
}

/// Everything a ledger holds (`ledger.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// How it was made.
    pub manifest: LedgerManifest,
    /// What differences are reported on: the objectives, then key metrics.
    pub targets: Vec<Target>,
    /// The scenario as written.
    pub baseline: Vec<BaselineValue>,
    /// The players, in scenario order.
    pub players: Vec<Player>,
    /// The paired differences, by player (scenario order), measure, target.
    pub rows: Vec<Row>,
    /// Alignment gaps decomposed by recommendation (material aligned gaps only).
    pub gap_parts: Vec<GapPart>,
    /// Shapley values, when asked for.
    pub shapley: Option<Shapley>,
    /// Improvement-plan items, largest gain first.
    pub plan: Vec<PlanItem>,
}
