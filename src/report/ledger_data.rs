//! Pure data preparation for the partnership-ledger charts and report section: which players
//! are shown, in which order, with which labels and colours. No drawing here.

use super::data::{NetNode, network_nodes, node_index};
use crate::ledger::data::{Ledger, Measure, Player, Row};
use crate::scenario::schema::ScenarioSpec;

/// The six study recommendations, in the order the issue lists them: id and label.
pub(super) const RECOMMENDATIONS: [(&str, &str); 6] = [
    ("partner_vetting", "Partner vetting"),
    (
        "sharing_agreements",
        "Cybersecurity and data-sharing agreements",
    ),
    ("shared_benefits", "Shared benefits and transparency"),
    ("joint_training", "Joint training and exercises"),
    ("metrics_and_evaluation", "Metrics and evaluation"),
    ("technology_investment", "Technology investment"),
];

/// Index of a recommendation id in [`RECOMMENDATIONS`] (None for empty or unknown ids).
pub(super) fn recommendation_index(id: &str) -> Option<usize> {
    RECOMMENDATIONS.iter().position(|(r, _)| *r == id)
}

/// Readable label of a recommendation id; unknown ids are shown as written, empty as
/// "none identified".
pub(super) fn recommendation_label(id: &str) -> String {
    match recommendation_index(id) {
        Some(i) => RECOMMENDATIONS[i].1.to_string(),
        None if id.is_empty() => "none identified".to_string(),
        None => id.replace('_', " "),
    }
}

/// Most players labelled on the quadrant chart.
pub(super) const QUADRANT_LABELS: usize = 12;
/// Most bars on the top-value chart.
pub(super) const TOP_BARS: usize = 15;
/// Most bars on the alignment chart.
pub(super) const ALIGNMENT_BARS: usize = 15;
/// Most players on the Shapley chart.
pub(super) const SHAPLEY_PLAYERS: usize = 12;
/// Most bars (players × objectives) on the Shapley chart; fewer players when there are many
/// objectives, but at least four.
pub(super) const SHAPLEY_BARS: usize = 48;

/// Ids of the objective targets, in ledger order.
pub(super) fn objective_ids(l: &Ledger) -> Vec<&str> {
    l.targets
        .iter()
        .filter(|t| t.kind == "objective")
        .map(|t| t.id.as_str())
        .collect()
}

/// Display name of a target (its id when unknown).
pub(super) fn target_name<'a>(l: &'a Ledger, id: &'a str) -> &'a str {
    l.targets
        .iter()
        .find(|t| t.id == id)
        .map_or(id, |t| t.name.as_str())
}

/// Display name of a player (its id when unknown).
pub(super) fn player_name<'a>(l: &'a Ledger, id: &'a str) -> &'a str {
    l.players
        .iter()
        .find(|p| p.id == id)
        .map_or(id, |p| p.name.as_str())
}

/// A player's name without its parenthetical asides, for chart labels:
/// "Pipeline operator (Colonial-like) – FBI Atlanta (cyber squad)" → "Pipeline operator – FBI
/// Atlanta". Names that are only an aside stay as they are.
pub(super) fn short_name(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.is_empty() {
        name.to_string()
    } else {
        out
    }
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// Which quarter of the value–risk plane a player sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Quadrant {
    /// Worth something, risks little: keep.
    Keep,
    /// Worth something and risky: protect (vet, agree, train).
    Protect,
    /// Worth little and risky: review.
    Review,
    /// Worth little, risks little.
    Background,
}

impl Quadrant {
    /// Legend label.
    pub(super) fn label(self) -> &'static str {
        match self {
            Quadrant::Keep => "Valuable, low risk: keep",
            Quadrant::Protect => "Valuable, risky: protect",
            Quadrant::Review => "Little value, risky: review",
            Quadrant::Background => "Little value, low risk",
        }
    }

    /// The quadrant of a value and a risk: valuable when the value's interval lies above the
    /// negligible band (`value_low > negligible`), risky when the exposure is above the
    /// split (the median exposure) and above zero.
    pub(super) fn of(value_low: f64, negligible: f64, exposure: f64, split: f64) -> Quadrant {
        let valuable = value_low > negligible;
        let risky = exposure > split && exposure > 0.0;
        match (valuable, risky) {
            (true, false) => Quadrant::Keep,
            (true, true) => Quadrant::Protect,
            (false, true) => Quadrant::Review,
            (false, false) => Quadrant::Background,
        }
    }
}

/// One player on the value–risk quadrant.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QuadPoint {
    /// Display name.
    pub name: String,
    /// Exposure per run [SWD], ≥ 0.
    pub risk: f64,
    /// Value [P(met) lost on knock-out, mean over objectives].
    pub value: f64,
    /// Interval low.
    pub lo: f64,
    /// Interval high.
    pub hi: f64,
    /// Quadrant.
    pub quadrant: Quadrant,
    /// Whether the chart names it.
    pub labelled: bool,
}

/// Value–risk quadrant data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QuadrantData {
    /// Points, in ledger order.
    pub points: Vec<QuadPoint>,
    /// Vertical split: median exposure [SWD].
    pub risk_split: f64,
    /// Half-width of the negligible band [P(met)].
    pub negligible: f64,
    /// Whether the risk axis is drawn on a square-root scale (skewed exposures).
    pub sqrt_axis: bool,
}

/// Median of `v` (0 when empty); `v` need not be sorted.
pub(super) fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return 0.0;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Indices of the players to name on the quadrant: the most valuable first, then the
/// riskiest, up to `max` in all (two thirds by value, the rest by risk; ties by ledger order).
pub(super) fn quadrant_labels(players: &[Player], max: usize) -> Vec<usize> {
    let by_value = ranked(players, |p| finite(p.value));
    let by_risk = ranked(players, |p| finite(p.risk.exposure));
    let n_value = (max * 2).div_ceil(3);
    let mut out: Vec<usize> = by_value
        .iter()
        .copied()
        .filter(|&i| finite(players[i].value) > 0.0)
        .take(n_value)
        .collect();
    for i in by_risk {
        if out.len() >= max {
            break;
        }
        if finite(players[i].risk.exposure) > 0.0 && !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Player indices by `key`, largest first (ties in ledger order).
fn ranked(players: &[Player], key: impl Fn(&Player) -> f64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..players.len()).collect();
    idx.sort_by(|&a, &b| {
        key(&players[b])
            .total_cmp(&key(&players[a]))
            .then(a.cmp(&b))
    });
    idx
}

/// The value–risk quadrant: every player by exposure (x) and value (y).
pub(super) fn quadrant_data(l: &Ledger) -> QuadrantData {
    let risks: Vec<f64> = l
        .players
        .iter()
        .map(|p| finite(p.risk.exposure).max(0.0))
        .collect();
    let risk_split = median(&risks);
    let max = risks.iter().copied().fold(0.0, f64::max);
    // skewed: the largest is far beyond the typical one
    let sqrt_axis = max > 0.0 && max > 8.0 * risk_split.max(max / 1000.0);
    let labelled = quadrant_labels(&l.players, QUADRANT_LABELS);
    let negligible = finite(l.manifest.negligible).abs();
    let points = l
        .players
        .iter()
        .zip(&risks)
        .enumerate()
        .map(|(i, (p, &risk))| QuadPoint {
            name: short_name(&p.name),
            risk,
            value: finite(p.value),
            lo: finite(p.value_low),
            hi: finite(p.value_high),
            quadrant: Quadrant::of(finite(p.value_low), negligible, risk, risk_split),
            labelled: labelled.contains(&i),
        })
        .collect();
    QuadrantData {
        points,
        risk_split,
        negligible,
        sqrt_axis,
    }
}

/// A bar with a 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IntervalBar {
    /// Player id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Mean.
    pub value: f64,
    /// Interval low.
    pub lo: f64,
    /// Interval high.
    pub hi: f64,
    /// Objective concerned (alignment bars), display name; empty otherwise.
    pub objective: String,
    /// Recommendation id (alignment bars); empty otherwise or when none closes it.
    pub recommendation: String,
}

/// The `n` most valuable players, largest value first (ties by ledger order).
pub(super) fn top_value(l: &Ledger, n: usize) -> Vec<IntervalBar> {
    ranked(&l.players, |p| finite(p.value))
        .into_iter()
        .take(n)
        .map(|i| {
            let p = &l.players[i];
            IntervalBar {
                id: p.id.clone(),
                name: short_name(&p.name),
                value: finite(p.value),
                lo: finite(p.value_low),
                hi: finite(p.value_high),
                objective: String::new(),
                recommendation: String::new(),
            }
        })
        .collect()
}

/// Objective rows of `player` for `measure` with a difference.
fn objective_rows<'a>(l: &'a Ledger, player: &str, measure: Measure) -> Vec<&'a Row> {
    let objectives = objective_ids(l);
    l.rows
        .iter()
        .filter(|r| {
            r.player == player
                && r.measure == measure
                && objectives.contains(&r.target.as_str())
                && r.diff.is_some_and(f64::is_finite)
        })
        .collect()
}

/// The objective a knock-out of `player` hurts most: the knock-out row with the most
/// negative difference (None when no knock-out lowers any objective).
pub(super) fn most_affected<'a>(l: &'a Ledger, player: &str) -> Option<&'a Row> {
    objective_rows(l, player, Measure::Knockout)
        .into_iter()
        .filter(|r| r.diff.unwrap_or(0.0) < 0.0)
        .min_by(|a, b| {
            a.diff
                .unwrap_or(0.0)
                .total_cmp(&b.diff.unwrap_or(0.0))
                .then(a.target.cmp(&b.target))
        })
}

/// The alignment gap of `player`: its aligned row with the largest gain of P(met) over the
/// objectives (None when alignment raises no objective).
pub(super) fn alignment_gap<'a>(l: &'a Ledger, player: &str) -> Option<&'a Row> {
    objective_rows(l, player, Measure::Aligned)
        .into_iter()
        .filter(|r| r.diff.unwrap_or(0.0) > 0.0)
        .max_by(|a, b| {
            a.diff
                .unwrap_or(0.0)
                .total_cmp(&b.diff.unwrap_or(0.0))
                .then(b.target.cmp(&a.target))
        })
}

/// The `n` largest alignment gaps, largest first (ties by ledger order): per player the
/// objective alignment raises most, coloured by the recommendation that closes it.
pub(super) fn alignment_bars(l: &Ledger, n: usize) -> Vec<IntervalBar> {
    let mut bars: Vec<(usize, IntervalBar)> = l
        .players
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let r = alignment_gap(l, &p.id)?;
            let d = r.diff?;
            Some((
                i,
                IntervalBar {
                    id: p.id.clone(),
                    name: short_name(&p.name),
                    value: d,
                    lo: r.ci_low.map_or(d, finite),
                    hi: r.ci_high.map_or(d, finite),
                    objective: target_name(l, &r.target).to_string(),
                    recommendation: r.recommendation.clone(),
                },
            ))
        })
        .collect();
    bars.sort_by(|a, b| b.1.value.total_cmp(&a.1.value).then(a.0.cmp(&b.0)));
    bars.into_iter().take(n).map(|(_, b)| b).collect()
}

/// One player's Shapley values, one per objective.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ShapleyRow {
    /// Display name.
    pub name: String,
    /// (value, standard error) per objective, in [`ShapleyData::objectives`] order.
    pub values: Vec<(f64, f64)>,
}

/// Shapley chart data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ShapleyData {
    /// Objective display names.
    pub objectives: Vec<String>,
    /// Players, largest sum of values first, at most [`SHAPLEY_PLAYERS`] and
    /// [`SHAPLEY_BARS`] bars (at least four players).
    pub rows: Vec<ShapleyRow>,
    /// Players left out.
    pub omitted: usize,
    /// Exact or sampled.
    pub exact: bool,
}

/// Shapley values per player and objective; None without Shapley values.
pub(super) fn shapley_data(l: &Ledger) -> Option<ShapleyData> {
    let sh = l.shapley.as_ref()?;
    if sh.players.is_empty() || sh.targets.is_empty() {
        return None;
    }
    let objectives = sh
        .targets
        .iter()
        .map(|t| target_name(l, &t.target).to_string())
        .collect();
    let mut rows: Vec<(f64, usize, ShapleyRow)> = sh
        .players
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let values: Vec<(f64, f64)> = sh
                .targets
                .iter()
                .map(|t| {
                    (
                        finite(t.values.get(i).copied().unwrap_or(0.0)),
                        finite(t.se.get(i).copied().unwrap_or(0.0)).abs(),
                    )
                })
                .collect();
            let total: f64 = values.iter().map(|v| v.0).sum();
            (
                total,
                i,
                ShapleyRow {
                    name: short_name(player_name(l, id)),
                    values,
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let cap = (SHAPLEY_BARS / sh.targets.len()).clamp(4, SHAPLEY_PLAYERS);
    let omitted = rows.len().saturating_sub(cap);
    Some(ShapleyData {
        objectives,
        rows: rows.into_iter().take(cap).map(|r| r.2).collect(),
        omitted,
        exact: sh.exact,
    })
}

/// A link of the ledger network: one partnership player.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LedgerLink {
    /// Node index of one end.
    pub from: usize,
    /// Node index of the other end.
    pub to: usize,
    /// Value [P(met)].
    pub value: f64,
    /// Whether the value's interval lies above the negligible band.
    pub material: bool,
    /// Exposure per run [SWD].
    pub risk: f64,
}

/// A node halo of the ledger network: one agency player.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LedgerHalo {
    /// Node index.
    pub node: usize,
    /// Value [P(met)].
    pub value: f64,
    /// Whether the value's interval lies above the negligible band.
    pub material: bool,
    /// Exposure per run [SWD].
    pub risk: f64,
}

/// Ledger network: the scenario's agencies laid out as in the network chart; partnership
/// players as links, agency players as halos around their node.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LedgerNet {
    /// Nodes.
    pub nodes: Vec<NetNode>,
    /// Partnership players whose ends are both known.
    pub links: Vec<LedgerLink>,
    /// Agency players.
    pub halos: Vec<LedgerHalo>,
    /// The scenario's partnerships as context when the players are agencies (node pairs).
    pub context: Vec<(usize, usize)>,
    /// Largest |value| (scale of widths), > 0.
    pub max_value: f64,
    /// Largest exposure (scale of colours), ≥ 0.
    pub max_risk: f64,
}

/// Ledger network data (see [`LedgerNet`]).
pub(super) fn network(l: &Ledger, scenario: Option<&ScenarioSpec>) -> LedgerNet {
    let ids = l
        .players
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .filter(|id| !id.is_empty());
    let nodes = network_nodes(scenario, ids);
    let index = node_index(&nodes);
    let band = finite(l.manifest.negligible).abs();
    let mut links = Vec::new();
    let mut halos = Vec::new();
    for p in &l.players {
        let value = finite(p.value);
        let material = finite(p.value_low) > band;
        let risk = finite(p.risk.exposure).max(0.0);
        match (index.get(p.from.as_str()), index.get(p.to.as_str())) {
            (Some(&a), Some(&b)) if a != b => links.push(LedgerLink {
                from: a,
                to: b,
                value,
                material,
                risk,
            }),
            (Some(&a), _) if p.to.is_empty() => halos.push(LedgerHalo {
                node: a,
                value,
                material,
                risk,
            }),
            _ => {}
        }
    }
    let max_value = l
        .players
        .iter()
        .map(|p| finite(p.value).abs())
        .fold(0.0, f64::max)
        .max(1e-9);
    let max_risk = l
        .players
        .iter()
        .map(|p| finite(p.risk.exposure))
        .fold(0.0, f64::max);
    let context = if halos.is_empty() {
        Vec::new()
    } else {
        scenario
            .map(|sc| {
                sc.partnerships
                    .iter()
                    .filter_map(|p| {
                        let (a, b) = (*index.get(p.from.as_str())?, *index.get(p.to.as_str())?);
                        (a != b).then_some((a, b))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    LedgerNet {
        nodes,
        links,
        halos,
        context,
        max_value,
        max_risk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn quadrants_split_at_the_negligible_band_and_the_median_risk() {
        assert_eq!(Quadrant::of(0.05, 0.01, 0.1, 1.0), Quadrant::Keep);
        assert_eq!(Quadrant::of(0.05, 0.01, 2.0, 1.0), Quadrant::Protect);
        assert_eq!(Quadrant::of(0.0, 0.01, 2.0, 1.0), Quadrant::Review);
        assert_eq!(Quadrant::of(0.005, 0.01, 0.5, 1.0), Quadrant::Background);
        // no exposure is never risky, even when the median is zero
        assert_eq!(Quadrant::of(0.05, 0.01, 0.0, 0.0), Quadrant::Keep);
    }

    #[test]
    fn chart_names_drop_their_asides() {
        assert_eq!(
            short_name("Pipeline operator (Colonial-like) – FBI Atlanta (cyber squad)"),
            "Pipeline operator – FBI Atlanta"
        );
        assert_eq!(short_name("(only an aside)"), "(only an aside)");
        assert_eq!(short_name("unbalanced) (x"), "unbalanced)");
    }

    #[test]
    fn medians_of_odd_and_even_lists() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn fixture_players_fall_in_their_quadrants() {
        let l = fixture::ledger();
        let q = quadrant_data(&l);
        let of = |id: &str| {
            let i = l.players.iter().position(|p| p.id == id).unwrap();
            q.points[i].quadrant
        };
        // median exposure of (0.4, 0.1, 0.0, 0.05, 2.5, 0.8) is 0.25
        assert!((q.risk_split - 0.25).abs() < 1e-12, "{}", q.risk_split);
        assert_eq!(of("cisa_fc"), Quadrant::Keep);
        assert_eq!(of("col_fbi"), Quadrant::Protect);
        assert_eq!(of("isac_col"), Quadrant::Review);
        assert_eq!(of("fc_eoc"), Quadrant::Background);
    }

    #[test]
    fn quadrant_labels_take_top_values_then_top_risks() {
        let l = fixture::ledger();
        let names = |idx: Vec<usize>| -> Vec<String> {
            idx.into_iter().map(|i| l.players[i].id.clone()).collect()
        };
        // 3 labels: two by value (cisa_fc 0.21, col_fbi 0.12), one by risk (isac_col 2.5)
        assert_eq!(
            names(quadrant_labels(&l.players, 3)),
            ["cisa_fc", "col_fbi", "isac_col"]
        );
        // all players with a positive value or exposure, none twice
        let all = quadrant_labels(&l.players, 12);
        let mut d = all.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), all.len());
    }

    #[test]
    fn top_value_is_sorted_largest_first_and_capped() {
        let l = fixture::ledger();
        let t = top_value(&l, 3);
        let ids: Vec<&str> = t.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["cisa_fc", "col_fbi", "fbi_cisa"]);
        assert!(t.windows(2).all(|w| w[0].value >= w[1].value));
        assert!(t.iter().all(|b| b.lo <= b.value && b.value <= b.hi));
    }

    #[test]
    fn the_most_affected_objective_is_the_largest_knockout_loss() {
        let l = fixture::ledger();
        let r = most_affected(&l, "cisa_fc").unwrap();
        assert_eq!(r.target, "warn");
        assert!(most_affected(&l, "hostile").is_none());
    }

    #[test]
    fn alignment_bars_carry_the_closing_recommendation() {
        let l = fixture::ledger();
        let a = alignment_bars(&l, 10);
        assert_eq!(a[0].id, "isac_col");
        assert_eq!(a[0].recommendation, "partner_vetting");
        assert_eq!(a[1].id, "cisa_fc");
        assert_eq!(a[1].recommendation, "technology_investment");
        assert!(a.windows(2).all(|w| w[0].value >= w[1].value));
        assert!(
            a.iter().all(|b| b.recommendation.is_empty()
                || recommendation_index(&b.recommendation).is_some())
        );
        assert_eq!(alignment_bars(&l, 1).len(), 1);
    }

    #[test]
    fn recommendations_have_labels_and_unknown_ones_show_as_written() {
        assert_eq!(recommendation_index("joint_training"), Some(3));
        assert_eq!(
            recommendation_label("joint_training"),
            "Joint training and exercises"
        );
        assert_eq!(recommendation_label(""), "none identified");
        assert_eq!(recommendation_label("new_thing"), "new thing");
    }

    #[test]
    fn shapley_rows_are_sorted_by_their_sum_and_absent_without_shapley() {
        let mut l = fixture::ledger();
        let s = shapley_data(&l).unwrap();
        assert_eq!(s.objectives.len(), 2);
        assert_eq!(s.rows[0].name, player_name(&l, "cisa_fc"));
        let sums: Vec<f64> = s
            .rows
            .iter()
            .map(|r| r.values.iter().map(|v| v.0).sum())
            .collect();
        assert!(sums.windows(2).all(|w| w[0] >= w[1]));
        l.shapley = None;
        assert!(shapley_data(&l).is_none());
    }

    #[test]
    fn the_ledger_network_has_one_link_per_partnership_player() {
        let l = fixture::ledger();
        let sc: ScenarioSpec = ron::from_str(fixture::SCENARIO_RON).unwrap();
        let n = network(&l, Some(&sc));
        assert_eq!(n.nodes.len(), 6);
        // the hostile player joins two agencies of the scenario too
        assert_eq!(n.links.len(), l.players.len());
        assert!(n.halos.is_empty());
        assert!(n.context.is_empty());
        assert!((n.max_value - 0.21).abs() < 1e-12);
        assert!((n.max_risk - 2.5).abs() < 1e-12);
        let cisa = &n.nodes[n.links[2].from];
        assert_eq!(cisa.id, "cisa");
        // agency players become halos
        let mut l = l;
        for p in &mut l.players {
            p.to.clear();
        }
        let n = network(&l, Some(&sc));
        assert!(n.links.is_empty());
        assert_eq!(n.halos.len(), l.players.len());
        // the scenario's five partnerships drawn as context
        assert_eq!(n.context.len(), 5);
    }
}
