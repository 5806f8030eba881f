//! Pure data preparation for each chart: what is shown, in which order, with which labels.
//! No drawing here, so every function is unit-tested on plain values.

use super::text::{SECTORS, kind_label, kind_sector};
use crate::batch::summary::{Exemplar, SeriesBands, Summary, VariantSummary};
use crate::scenario::schema::ScenarioSpec;
use crate::sim::{Catalog, DriverKind, EventKind};
use std::collections::BTreeMap;

/// Chart footer: scenario name, hash prefix, runs, master seed, handling marking.
pub(super) fn footer(s: &Summary) -> String {
    let hash: String = s.scenario_hash.chars().take(8).collect();
    format!(
        "{} · scenario {} · {} runs per variant · master seed {} · {}",
        s.scenario_name, hash, s.runs, s.master_seed, s.marking
    )
}

/// One variant's P(met) for one objective.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ObjectivePoint {
    /// Variant display name.
    pub variant: String,
    /// Share of runs meeting the objective.
    pub p: f64,
    /// Wilson interval low end.
    pub lo: f64,
    /// Wilson interval high end.
    pub hi: f64,
    /// Rating "P", "S", "M" or "U".
    pub rating: String,
    /// The 2.5–97.5% range of P(met) across parameter draws (`batch --uncertainty`), if run.
    pub param: Option<(f64, f64)>,
}

/// One objective's row group in the objectives chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ObjectiveGroup {
    /// Objective id.
    pub id: String,
    /// Objective text.
    pub description: String,
    /// One point per variant, baseline first.
    pub points: Vec<ObjectivePoint>,
}

/// P(met) per objective and variant, objectives in baseline order (then any only in variants).
pub(super) fn objectives_data(s: &Summary) -> Vec<ObjectiveGroup> {
    let mut groups: Vec<ObjectiveGroup> = Vec::new();
    for v in &s.variants {
        for o in &v.objectives {
            let point = ObjectivePoint {
                variant: v.name.clone(),
                p: clamp01(o.p),
                lo: clamp01(o.ci_low),
                hi: clamp01(o.ci_high),
                rating: o.rating.clone(),
                param: None,
            };
            match groups.iter_mut().find(|g| g.id == o.id) {
                Some(g) => g.points.push(point),
                None => groups.push(ObjectiveGroup {
                    id: o.id.clone(),
                    description: o.description.clone(),
                    points: vec![point],
                }),
            }
        }
    }
    groups
}

/// Fill each point's range under parameter uncertainty from `uncertainty.json` (matched by
/// variant name and objective id).
pub(super) fn with_parameter_ranges(
    groups: &mut [ObjectiveGroup],
    u: &crate::batch::uncertainty::UncertaintySummary,
) {
    for g in groups.iter_mut() {
        for pt in &mut g.points {
            pt.param = u
                .variants
                .iter()
                .find(|v| v.name == pt.variant)
                .and_then(|v| v.objectives.iter().find(|o| o.id == g.id))
                .map(|o| (clamp01(o.low), clamp01(o.high)));
        }
    }
}

pub(super) fn clamp01(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Metric id prefixes shown as key outcomes, in display order.
pub(super) const KEY_PREFIXES: [&str; 5] = [
    "time_to_detection.",
    "time_to_action.",
    "coverage.",
    "leak_exposure",
    "time_to_first_share.",
];

/// Most key metrics shown.
pub(super) const MAX_KEY_METRICS: usize = 6;

/// Ids of the key metrics in the catalog, round-robin over [`KEY_PREFIXES`] (the first metric
/// of each prefix, then the second of each, ...) in catalog order, at most
/// [`MAX_KEY_METRICS`].
pub(super) fn key_metric_ids(c: &Catalog) -> Vec<String> {
    key_metric_candidates(c, MAX_KEY_METRICS)
}

/// Ids of the key metrics in the catalog, round-robin over [`KEY_PREFIXES`], at most `limit`.
fn key_metric_candidates(c: &Catalog, limit: usize) -> Vec<String> {
    let per_prefix: Vec<Vec<&str>> = KEY_PREFIXES
        .iter()
        .map(|p| {
            c.metrics
                .iter()
                .filter(|m| m.id.starts_with(p))
                .map(|m| m.id.as_str())
                .collect()
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let deepest = per_prefix.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..deepest {
        for ids in &per_prefix {
            if let Some(id) = ids.get(round)
                && !out.iter().any(|x| x == id)
                && out.len() < limit
            {
                out.push(id.to_string());
            }
        }
    }
    out
}

/// A box (p5, p50, p95) with mean and its interval, for one variant.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MetricBox {
    /// Variant display name.
    pub variant: String,
    /// Runs with a value.
    pub n: u64,
    /// 5th, 50th and 95th percentiles.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Mean and its 95% interval.
    pub mean: f64,
    /// Interval low end.
    pub mean_lo: f64,
    /// Interval high end.
    pub mean_hi: f64,
}

/// One panel of the distributions chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MetricPanel {
    /// Metric id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Unit.
    pub unit: String,
    /// Boxes per variant with data (variants where n = 0 are left out).
    pub boxes: Vec<MetricBox>,
}

/// Whether a panel shows nothing: every variant's runs have one and the same value (a detection
/// time that is always 0, an exposure that is always 0).
fn degenerate(p: &MetricPanel) -> bool {
    let Some(first) = p.boxes.first() else {
        return true;
    };
    let same = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
    p.boxes
        .iter()
        .all(|b| same(b.p5, first.p50) && same(b.p95, first.p50) && same(b.p50, first.p50))
}

/// Key-outcome distributions, baseline vs variants: the scenario's `key_metrics` first (those
/// in the catalog), then metrics chosen by kind ([`KEY_PREFIXES`]), at most
/// [`MAX_KEY_METRICS`] panels. Panels without any data, or whose value never varies, are
/// dropped and the next candidate takes their place.
pub(super) fn distributions_data(
    s: &Summary,
    c: &Catalog,
    preferred: &[String],
) -> Vec<MetricPanel> {
    let mut candidates: Vec<String> = preferred
        .iter()
        .filter(|id| c.metrics.iter().any(|m| &m.id == *id))
        .cloned()
        .collect();
    for id in key_metric_candidates(c, usize::MAX) {
        if !candidates.contains(&id) {
            candidates.push(id);
        }
    }
    let mut panels = Vec::new();
    for id in candidates {
        if panels.len() >= MAX_KEY_METRICS {
            break;
        }
        let def = c.metrics.iter().find(|m| m.id == id);
        let mut panel = MetricPanel {
            id: id.clone(),
            label: def.map(|d| d.label.clone()).unwrap_or_else(|| id.clone()),
            unit: def.map(|d| d.unit.clone()).unwrap_or_default(),
            boxes: Vec::new(),
        };
        for v in &s.variants {
            let Some(m) = v.metrics.iter().find(|m| m.id == id) else {
                continue;
            };
            // A yes/no metric has no percentiles: its box is the share of runs, its whisker
            // the Wilson interval.
            let (p5, p50, p95) = if m.unit == "0/1" {
                (m.mean, m.mean, m.mean)
            } else {
                (m.p5, m.p50, m.p95)
            };
            if let (Some(p5), Some(p50), Some(p95), Some(mean)) = (p5, p50, p95, m.mean)
                && m.n > 0
            {
                panel.boxes.push(MetricBox {
                    variant: v.name.clone(),
                    n: m.n,
                    p5,
                    p50,
                    p95,
                    mean,
                    mean_lo: m.ci_low.unwrap_or(mean),
                    mean_hi: m.ci_high.unwrap_or(mean),
                });
            }
        }
        if !degenerate(&panel) {
            panels.push(panel);
        }
    }
    panels
}

/// A fan chart: baseline bands plus each variant's median.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Fan {
    /// The baseline's bands (id, label, unit, times, p5…p95), as summarised.
    pub bands: SeriesBands,
    /// Known upper bound of the value.
    pub max: Option<f64>,
    /// Variant medians `(name, values)`, aligned with `bands.times`.
    pub variant_medians: Vec<(String, Vec<f64>)>,
    /// Inject markers `(id, time)` within the time range.
    pub injects: Vec<(String, f64)>,
}

/// Fan charts of the baseline series (those with consistent, non-empty bands).
pub(super) fn fan_data(s: &Summary, c: &Catalog) -> Vec<Fan> {
    let Some(base) = s.variants.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for b in &base.series {
        let n = b.times.len();
        if n < 2
            || [&b.p5, &b.p25, &b.p50, &b.p75, &b.p95]
                .iter()
                .any(|v| v.len() != n)
        {
            continue;
        }
        let (t0, t1) = (b.times[0], b.times[n - 1]);
        let injects = s
            .inject_times
            .iter()
            .filter(|(_, t)| *t >= t0 && *t <= t1)
            .cloned()
            .collect();
        let variant_medians = s.variants[1..]
            .iter()
            .filter_map(|v| {
                let vb = v.series.iter().find(|x| x.id == b.id)?;
                (vb.times == b.times && vb.p50.len() == n).then(|| (v.name.clone(), vb.p50.clone()))
            })
            .collect();
        out.push(Fan {
            bands: b.clone(),
            max: c.series.iter().find(|d| d.id == b.id).and_then(|d| d.max),
            variant_medians,
            injects,
        });
    }
    out
}

/// One paired difference row of the what-if chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DiffPoint {
    /// Variant display name.
    pub variant: String,
    /// Index of the variant among the non-baseline variants (for colour).
    pub variant_index: usize,
    /// Mean difference, in the panel's unit.
    pub mean: f64,
    /// Interval low end.
    pub lo: f64,
    /// Interval high end.
    pub hi: f64,
    /// The difference in the metric's own unit, for the label (e.g. "−1.8 h").
    pub absolute: String,
}

/// One item (objective or metric) of the what-if chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DiffGroup {
    /// Label.
    pub label: String,
    /// Short label, drawn where the label does not fit (an objective's id, the report's key).
    pub short: String,
    /// One point per variant that has a difference.
    pub points: Vec<DiffPoint>,
}

/// What-if data: objectives as change in P(met) [percentage points], key metrics as change
/// relative to the baseline mean [%]. Items with no difference in any variant are dropped, as
/// are metrics whose baseline mean is zero or missing (no relative scale).
pub(super) fn whatif_data(s: &Summary, c: &Catalog) -> (Vec<DiffGroup>, Vec<DiffGroup>) {
    let Some(base) = s.variants.first() else {
        return (Vec::new(), Vec::new());
    };
    let variants: Vec<&VariantSummary> = s.variants.iter().skip(1).collect();
    let mut objectives = Vec::new();
    for o in &base.objectives {
        let key = format!("obj:{}", o.id);
        let mut g = DiffGroup {
            label: format!("{}: {}", o.id, o.description),
            short: o.id.clone(),
            points: Vec::new(),
        };
        for (i, v) in variants.iter().enumerate() {
            if let Some(d) = v.paired.iter().find(|d| d.id == key)
                && let (Some(m), Some(lo), Some(hi)) = (d.mean_diff, d.ci_low, d.ci_high)
                && d.n > 0
            {
                g.points.push(DiffPoint {
                    variant: v.name.clone(),
                    variant_index: i,
                    mean: m * 100.0,
                    lo: lo * 100.0,
                    hi: hi * 100.0,
                    absolute: format!("{} pp", super::text::signed(m * 100.0, 1)),
                });
            }
        }
        if !g.points.is_empty() {
            objectives.push(g);
        }
    }
    let mut metrics = Vec::new();
    for id in key_metric_ids(c) {
        let Some(bm) = base.metrics.iter().find(|m| m.id == id) else {
            continue;
        };
        let Some(bmean) = bm.mean.filter(|m| m.abs() > 1e-9) else {
            continue;
        };
        let mut g = DiffGroup {
            label: bm.label.clone(),
            short: bm.label.clone(),
            points: Vec::new(),
        };
        for (i, v) in variants.iter().enumerate() {
            if let Some(d) = v.paired.iter().find(|d| d.id == id)
                && let (Some(m), Some(lo), Some(hi)) = (d.mean_diff, d.ci_low, d.ci_high)
                && d.n > 0
            {
                let scale = 100.0 / bmean.abs();
                g.points.push(DiffPoint {
                    variant: v.name.clone(),
                    variant_index: i,
                    mean: m * scale,
                    lo: lo * scale,
                    hi: hi * scale,
                    absolute: format!("{} {}", super::text::signed(m, 2), bm.unit),
                });
            }
        }
        if !g.points.is_empty() {
            metrics.push(g);
        }
    }
    (objectives, metrics)
}

/// One driver bar of a tornado chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DriverBar {
    /// Driver label.
    pub label: String,
    /// Driver kind.
    pub kind: DriverKind,
    /// P(met) in runs where it happened.
    pub p_with: f64,
    /// P(met) in runs where it did not.
    pub p_without: f64,
    /// Runs where it happened.
    pub runs_with: u64,
}

/// A tornado chart for one objective.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tornado {
    /// Objective id.
    pub objective: String,
    /// Objective text.
    pub description: String,
    /// Overall P(met) in the variant.
    pub p: f64,
    /// Bars, largest effect first.
    pub bars: Vec<DriverBar>,
}

/// Fewest runs on each side (happened / did not) for a driver to be shown.
pub(super) const MIN_SIDE: u64 = 5;

/// Most drivers shown per tornado.
pub(super) const MAX_DRIVERS: usize = 8;

/// Tornado data per objective of `variant` (drivers with runs on both sides, sorted by
/// |P(met | happened) − P(met | not)|, ties by label). Objectives without drivers are dropped.
pub(super) fn drivers_data(v: &VariantSummary) -> Vec<Tornado> {
    let mut out = Vec::new();
    for o in &v.objectives {
        let mut bars: Vec<DriverBar> = v
            .drivers
            .iter()
            .filter(|d| {
                d.objective == o.id
                    && d.kind != DriverKind::Consequence
                    && d.runs_with >= MIN_SIDE
                    && d.runs_without >= MIN_SIDE
            })
            .filter_map(|d| {
                Some(DriverBar {
                    label: d.label.clone(),
                    kind: d.kind,
                    p_with: d.p_with?,
                    p_without: d.p_without?,
                    runs_with: d.runs_with,
                })
            })
            .collect();
        bars.sort_by(|a, b| {
            let ea = (a.p_with - a.p_without).abs();
            let eb = (b.p_with - b.p_without).abs();
            eb.total_cmp(&ea).then_with(|| a.label.cmp(&b.label))
        });
        bars.truncate(MAX_DRIVERS);
        if !bars.is_empty() {
            out.push(Tornado {
                objective: o.id.clone(),
                description: o.description.clone(),
                p: o.p,
                bars,
            });
        }
    }
    out
}

/// A node of the partnership network.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NetNode {
    /// Agency id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Sector index into [`SECTORS`].
    pub sector: usize,
    /// Kind label ("Fusion center"), empty when unknown.
    pub kind: String,
    /// Layout position in [−1, 1]².
    pub x: f64,
    /// Layout position.
    pub y: f64,
}

/// A directed edge of the partnership network.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NetEdge {
    /// Index of the sending node.
    pub from: usize,
    /// Index of the receiving node.
    pub to: usize,
    /// Mean items delivered per run.
    pub items: f64,
    /// Mean end-of-run trust.
    pub trust: f64,
    /// Share of runs where it was withdrawn.
    pub p_withdrawn: f64,
    /// Share of runs where it was compromised or leaked from.
    pub p_compromised: f64,
}

/// Most agencies drawn one node each on the network chart; a larger network is drawn as an
/// adjacency matrix and a grouped layout (see `netscale`), where single nodes and their
/// labels would no longer read.
pub(super) const NETWORK_DETAIL_MAX: usize = 30;

/// Share of runs above which a link is drawn dashed as withdrawn.
pub(super) const WITHDRAWN_MARK: f64 = 0.10;
/// Share of runs above which a link is marked compromised.
pub(super) const COMPROMISED_MARK: f64 = 0.05;

/// Position of node `i` of `n` on the unit circle, split into a right half (the first
/// ⌈n/2⌉ nodes, top to bottom) and a left half (the rest, bottom to top), with the nodes of a
/// half evenly spaced in height rather than angle. Labels placed level with their node and
/// outside the circle then never overlap: they are all a row apart on each side.
pub(super) fn side_layout(i: usize, n: usize) -> (f64, f64) {
    let right = n.div_ceil(2);
    let (k, m, sign) = if i < right {
        (i, right, 1.0)
    } else {
        (n - 1 - i, n - right, -1.0)
    };
    // rows at the centres of m equal bands within [−0.96, 0.96]; a single node sits level
    let y = if m <= 1 {
        0.0
    } else {
        0.96 * (1.0 - 2.0 * (k as f64 + 0.5) / m as f64)
    };
    let y = y.clamp(-1.0, 1.0);
    (sign * (1.0 - y * y).sqrt(), y)
}

/// Nodes of the partnership network: the scenario's agencies, then any other id in `ids`
/// (sector "Unknown", named by its id), on a circle grouped by sector then kind then id
/// (deterministic; see [`side_layout`]). Shared by the network and the ledger network.
pub(super) fn network_nodes<'a>(
    scenario: Option<&ScenarioSpec>,
    ids: impl IntoIterator<Item = &'a str>,
) -> Vec<NetNode> {
    let mut nodes: Vec<NetNode> = Vec::new();
    if let Some(sc) = scenario {
        for a in &sc.agencies {
            nodes.push(NetNode {
                id: a.id.clone(),
                name: a.name.clone(),
                sector: kind_sector(a.kind),
                kind: kind_label(a.kind).to_string(),
                x: 0.0,
                y: 0.0,
            });
        }
    }
    for id in ids {
        if !nodes.iter().any(|n| n.id == id) {
            nodes.push(NetNode {
                id: id.to_string(),
                name: id.to_string(),
                sector: SECTORS.len() - 1,
                kind: String::new(),
                x: 0.0,
                y: 0.0,
            });
        }
    }
    nodes.sort_by(|a, b| (a.sector, &a.kind, &a.id).cmp(&(b.sector, &b.kind, &b.id)));
    let n = nodes.len();
    for (i, node) in nodes.iter_mut().enumerate() {
        (node.x, node.y) = side_layout(i, n);
    }
    nodes
}

/// Index of each node id in `nodes`.
pub(super) fn node_index(nodes: &[NetNode]) -> BTreeMap<&str, usize> {
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect()
}

/// Partnership network of the baseline: nodes from [`network_nodes`], edges from the
/// baseline link summaries.
pub(super) fn network_data(
    s: &Summary,
    scenario: Option<&ScenarioSpec>,
) -> (Vec<NetNode>, Vec<NetEdge>) {
    let links = s
        .variants
        .first()
        .map(|v| v.links.as_slice())
        .unwrap_or(&[]);
    let nodes = network_nodes(
        scenario,
        links.iter().flat_map(|l| [l.from.as_str(), l.to.as_str()]),
    );
    let index = node_index(&nodes);
    let edges = links
        .iter()
        .filter_map(|l| {
            Some(NetEdge {
                from: *index.get(l.from.as_str())?,
                to: *index.get(l.to.as_str())?,
                items: l.mean_items.max(0.0),
                trust: clamp01(l.mean_end_trust),
                p_withdrawn: clamp01(l.p_withdrawn),
                p_compromised: clamp01(l.p_compromised),
            })
        })
        .collect();
    (nodes, edges)
}

/// Broad class of a timeline event, for colour and legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum EventClass {
    /// MSEL inject fired.
    Inject,
    /// Signal, detection or analysis.
    Detection,
    /// Item shared.
    Share,
    /// Failure, withdrawal, blocked or expired item.
    Failure,
    /// Insider act, leak or handling violation.
    Insider,
    /// Decision, action, public warning.
    Action,
    /// Harm or surge.
    Harm,
    /// Repair, trust change, retraction and the rest.
    Other,
}

impl EventClass {
    /// Legend label.
    pub(super) fn label(self) -> &'static str {
        match self {
            EventClass::Inject => "Inject",
            EventClass::Detection => "Signal, detection, analysis",
            EventClass::Share => "Share",
            EventClass::Failure => "Failure, withdrawal, blocked",
            EventClass::Insider => "Insider act, leak",
            EventClass::Action => "Decision, action, warning",
            EventClass::Harm => "Harm, surge",
            EventClass::Other => "Repair, trust change, other",
        }
    }

    /// Class of an event kind.
    pub(super) fn of(k: EventKind) -> EventClass {
        use EventKind as K;
        match k {
            K::Inject => EventClass::Inject,
            K::Signal | K::Detection | K::Analysis | K::Precursor | K::InsiderDetected => {
                EventClass::Detection
            }
            K::Share => EventClass::Share,
            K::Failure | K::Withdrawal | K::Blocked | K::Expired => EventClass::Failure,
            K::InsiderAction | K::Leak | K::HandlingViolation => EventClass::Insider,
            K::Decision | K::Action | K::PublicWarning => EventClass::Action,
            K::Harm | K::Surge => EventClass::Harm,
            K::Repair | K::TrustChange | K::Retraction | K::Objective => EventClass::Other,
        }
    }
}

/// One event on the timeline chart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TimelinePoint {
    /// Time [h].
    pub t: f64,
    /// Lane index.
    pub lane: usize,
    /// Class.
    pub class: EventClass,
}

/// Timeline chart data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TimelineData {
    /// Lane labels, top to bottom.
    pub lanes: Vec<String>,
    /// Events.
    pub points: Vec<TimelinePoint>,
    /// Last event time [h] (at least 1).
    pub t_max: f64,
    /// Classes present, legend order.
    pub classes: Vec<EventClass>,
    /// Shares not drawn: repeat deliveries to an agency already informed of that threat.
    pub repeat_shares: usize,
}

/// Lane of an event's `who`: "MSEL injects" for inject ids, the agency kind for agencies (an
/// insider counts for their agency), "Threats" for threat ids, "Other" otherwise.
pub(super) fn lane_of(who: &str, kind: EventKind, scenario: Option<&ScenarioSpec>) -> String {
    if kind == EventKind::Inject {
        return "MSEL injects".into();
    }
    let Some(sc) = scenario else {
        return "Agencies".into();
    };
    let agency = sc.agencies.iter().find(|a| a.id == who).or_else(|| {
        let ins = sc.insiders.iter().find(|i| i.id == who)?;
        sc.agencies.iter().find(|a| a.id == ins.agency)
    });
    if let Some(a) = agency {
        return kind_label(a.kind).to_string();
    }
    if sc.threats.iter().any(|t| t.id == who) {
        return "Threats".into();
    }
    if sc.injects.iter().any(|i| i.id == who) {
        return "MSEL injects".into();
    }
    "Other".into()
}

/// Timeline of an exemplar: lanes ordered injects, agency kinds (scenario order), threats,
/// other.
pub(super) fn timeline_data(ex: &Exemplar, scenario: Option<&ScenarioSpec>) -> TimelineData {
    let mut lanes: Vec<String> = Vec::new();
    let mut order: Vec<String> = vec!["MSEL injects".into()];
    if let Some(sc) = scenario {
        let mut kinds: Vec<_> = sc.agencies.iter().map(|a| a.kind).collect();
        kinds.sort();
        kinds.dedup();
        order.extend(kinds.into_iter().map(|k| kind_label(k).to_string()));
    }
    order.extend(["Agencies".into(), "Threats".into(), "Other".into()]);
    // a share is drawn only when it first informs an agency of a threat ("agency informed");
    // the threat is the scenario threat whose name the event text carries (longest first)
    let mut threat_names: Vec<&str> = scenario
        .map(|sc| sc.threats.iter().map(|t| t.name.as_str()).collect())
        .unwrap_or_default();
    threat_names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut informed: std::collections::BTreeSet<(&str, &str)> = Default::default();
    let mut repeat_shares = 0;
    let labelled: Vec<(String, f64, EventClass)> = ex
        .outcome
        .timeline
        .iter()
        .filter(|e| e.t.is_finite())
        // the chart shows what players and the network did; the objectives have their own
        .filter(|e| e.kind != EventKind::Objective)
        .filter(|e| {
            if e.kind != EventKind::Share {
                return true;
            }
            let threat = threat_names
                .iter()
                .find(|n| !n.is_empty() && e.text.contains(*n))
                .copied()
                .unwrap_or("");
            let first = informed.insert((e.who, threat));
            if !first {
                repeat_shares += 1;
            }
            first
        })
        .map(|e| {
            (
                lane_of(e.who, e.kind, scenario),
                e.t,
                EventClass::of(e.kind),
            )
        })
        .collect();
    for l in &order {
        if labelled.iter().any(|(x, _, _)| x == l) {
            lanes.push(l.clone());
        }
    }
    let mut classes: Vec<EventClass> = labelled.iter().map(|x| x.2).collect();
    classes.sort();
    classes.dedup();
    let points = labelled
        .iter()
        .filter_map(|(l, t, c)| {
            Some(TimelinePoint {
                t: *t,
                lane: lanes.iter().position(|x| x == l)?,
                class: *c,
            })
        })
        .collect();
    let t_max = labelled.iter().map(|x| x.1).fold(1.0, f64::max);
    TimelineData {
        lanes,
        points,
        t_max,
        classes,
        repeat_shares,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn spec() -> ScenarioSpec {
        ron::from_str(fixture::SCENARIO_RON).unwrap()
    }

    #[test]
    fn objectives_are_grouped_with_one_point_per_variant() {
        let g = objectives_data(&fixture::summary("x"));
        assert_eq!(g.len(), 4);
        assert_eq!(g[0].id, "detect");
        assert_eq!(g[1].points.len(), 3);
        assert_eq!(g[1].points[0].variant, "Baseline");
        assert_eq!(g[1].points[0].rating, "M");
        assert!(g[1].points[0].lo < g[1].points[0].p && g[1].points[0].p < g[1].points[0].hi);
    }

    #[test]
    fn key_metrics_follow_the_prefix_order_and_skip_empty_ones() {
        let c = fixture::catalog();
        let ids = key_metric_ids(&c);
        assert_eq!(ids[0], "time_to_detection.ransomware");
        assert_eq!(ids[1], "time_to_action.ransomware");
        assert_eq!(ids.last().unwrap(), "time_to_first_share.ransomware");
        assert!(!ids.contains(&"retraction_time.rumor".to_string()));
        let panels = distributions_data(&fixture::summary("x"), &c, &[]);
        assert_eq!(panels.len(), 5);
        assert!(panels.iter().all(|p| p.boxes.len() == 3));
    }

    #[test]
    fn key_metrics_take_one_of_each_kind_before_a_second_of_any() {
        let mut c = fixture::catalog();
        let extra = |id: &str| crate::sim::MetricDef {
            id: id.into(),
            label: id.into(),
            unit: "h".into(),
        };
        c.metrics.push(extra("time_to_detection.rumor"));
        c.metrics.push(extra("time_to_detection.third"));
        c.metrics.push(extra("coverage.rumor"));
        let ids = key_metric_ids(&c);
        assert_eq!(ids.len(), MAX_KEY_METRICS);
        assert_eq!(ids[5], "time_to_detection.rumor");
        assert!(!ids.contains(&"coverage.rumor".to_string()));
    }

    #[test]
    fn metrics_with_no_values_give_no_panel() {
        let mut s = fixture::summary("x");
        for v in &mut s.variants {
            for m in &mut v.metrics {
                m.n = 0;
            }
        }
        assert!(distributions_data(&s, &fixture::catalog(), &[]).is_empty());
    }

    #[test]
    fn constant_metrics_give_no_panel_and_the_scenario_may_choose_key_metrics() {
        let c = fixture::catalog();
        let mut s = fixture::summary("x");
        let all = distributions_data(&s, &c, &[]);
        let first = all[0].id.clone();
        // The first key metric never varies in any variant: it is skipped.
        for v in &mut s.variants {
            for m in v.metrics.iter_mut().filter(|m| m.id == first) {
                (m.p5, m.p50, m.p95, m.mean) = (Some(0.0), Some(0.0), Some(0.0), Some(0.0));
            }
        }
        let panels = distributions_data(&s, &c, &[]);
        assert!(panels.iter().all(|p| p.id != first), "{first} kept");
        assert_eq!(panels[0].id, all[1].id);
        // A chosen key metric comes first; an unknown id is ignored.
        let chosen = all.last().unwrap().id.clone();
        let panels =
            distributions_data(&fixture::summary("x"), &c, &["nope".into(), chosen.clone()]);
        assert_eq!(panels[0].id, chosen);
        assert_eq!(panels.len(), all.len());
    }

    #[test]
    fn fans_carry_variant_medians_and_inject_marks() {
        let f = fan_data(&fixture::summary("x"), &fixture::catalog());
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].variant_medians.len(), 2);
        assert_eq!(f[0].injects.len(), 2);
        assert_eq!(f[0].max, Some(6.0));
    }

    #[test]
    fn fans_with_ragged_bands_are_skipped() {
        let mut s = fixture::summary("x");
        s.variants[0].series[0].p95.pop();
        assert_eq!(fan_data(&s, &fixture::catalog()).len(), 2);
    }

    #[test]
    fn whatif_scales_objectives_to_points_and_metrics_to_percent() {
        let (o, m) = whatif_data(&fixture::summary("x"), &fixture::catalog());
        let warn = o.iter().find(|g| g.label.starts_with("warn")).unwrap();
        let red = &warn.points[1];
        assert!((red.mean - 19.0).abs() < 1e-9, "{}", red.mean);
        assert_eq!(red.absolute, "+19.0 pp");
        // time to action: −4 h on a 26.5 h baseline mean.
        let act = m
            .iter()
            .find(|g| g.label.starts_with("Time to action"))
            .unwrap();
        assert!((act.points[1].mean + 400.0 / 26.5).abs() < 1e-9);
    }

    #[test]
    fn whatif_is_empty_without_variants() {
        let mut s = fixture::summary("x");
        s.variants.truncate(1);
        let (o, m) = whatif_data(&s, &fixture::catalog());
        assert!(o.is_empty() && m.is_empty());
    }

    #[test]
    fn tornado_bars_are_sorted_by_effect_size() {
        let t = drivers_data(&fixture::summary("x").variants[0]);
        let warn = t.iter().find(|t| t.objective == "warn").unwrap();
        assert_eq!(warn.bars[0].label, "Virginia Fusion Center outage");
        let eff: Vec<f64> = warn
            .bars
            .iter()
            .map(|b| (b.p_with - b.p_without).abs())
            .collect();
        assert!(eff.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn network_layout_is_on_the_unit_circle_grouped_by_sector() {
        let sc = spec();
        let (nodes, edges) = network_data(&fixture::summary("x"), Some(&sc));
        assert_eq!(nodes.len(), 6);
        assert_eq!(edges.len(), 10);
        assert!(nodes.windows(2).all(|w| w[0].sector <= w[1].sector));
        for n in &nodes {
            assert!(((n.x * n.x + n.y * n.y).sqrt() - 1.0).abs() < 1e-9);
        }
        // first half on the right going down, second half on the left going up
        assert!(nodes[..3].iter().all(|n| n.x > 0.0));
        assert!(nodes[3..].iter().all(|n| n.x < 0.0));
        assert!(nodes[..3].windows(2).all(|w| w[0].y > w[1].y));
        assert!(nodes[3..].windows(2).all(|w| w[0].y < w[1].y));
        // without the scenario, nodes come from the links
        let (nodes, _) = network_data(&fixture::summary("x"), None);
        assert_eq!(nodes.len(), 6);
        assert!(nodes.iter().all(|n| n.sector == SECTORS.len() - 1));
    }

    #[test]
    fn network_nodes_on_one_side_are_evenly_spaced_in_height() {
        for n in [1, 2, 7, 50] {
            let pts: Vec<(f64, f64)> = (0..n).map(|i| side_layout(i, n)).collect();
            let right: Vec<f64> = pts.iter().filter(|p| p.0 >= 0.0).map(|p| p.1).collect();
            assert_eq!(right.len(), n.div_ceil(2));
            let gaps: Vec<f64> = right.windows(2).map(|w| w[0] - w[1]).collect();
            assert!(
                gaps.windows(2).all(|g| (g[0] - g[1]).abs() < 1e-9),
                "{n}: {gaps:?}"
            );
        }
    }

    #[test]
    fn timeline_lanes_follow_agency_kinds_and_insiders_join_their_agency() {
        let sc = spec();
        let ex = &fixture::exemplars()[1];
        let d = timeline_data(ex, Some(&sc));
        assert_eq!(d.lanes[0], "MSEL injects");
        assert!(d.lanes.contains(&"ISAC / ISAO".to_string()));
        assert!(d.lanes.contains(&"Threats".to_string()));
        assert_eq!(
            lane_of("ins_isac", EventKind::InsiderAction, Some(&sc)),
            "ISAC / ISAO"
        );
        assert_eq!(d.points.len() + d.repeat_shares, ex.outcome.timeline.len());
        assert!(d.classes.contains(&EventClass::Insider));
    }

    #[test]
    fn timeline_draws_only_the_first_share_that_informs_an_agency_of_a_threat() {
        let sc = spec();
        let mut ex = fixture::exemplars()[0].clone();
        let threat = sc.threats[0].name.clone();
        let share = |t: f64, who: &str| crate::sim::Event {
            t,
            kind: EventKind::Share,
            who: who.into(),
            via: String::new(),
            text: format!("{who} receives an item on {threat}"),
        };
        ex.outcome.timeline = vec![share(1.0, "fbi"), share(2.0, "fbi"), share(3.0, "cisa")].into();
        let d = timeline_data(&ex, Some(&sc));
        assert_eq!(d.points.len(), 2);
        assert_eq!(d.repeat_shares, 1);
        assert_eq!(d.points[0].t, 1.0);
        assert_eq!(d.points[1].t, 3.0);
    }

    #[test]
    fn footer_names_scenario_hash_runs_seed_and_marking() {
        let f = footer(&fixture::summary("Fuel"));
        assert_eq!(
            f,
            "Fuel · scenario 3f9a1c27 · 1000 runs per variant · master seed 20210507 · TLP:AMBER"
        );
    }
}

/// One row of the "Does the model reproduce the case?" table (text, escaped by the template).
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct ObservedRow {
    /// Observed value id.
    pub id: String,
    /// What was observed.
    pub description: String,
    /// Metric it is compared with.
    pub metric: String,
    /// The observed value with its unit ("≥ 96 h", "never").
    pub observed: String,
    /// Simulated p5 / p50 / p95 with the unit.
    pub simulated: String,
    /// Percentile of the observed value ("p62", "≥ p97").
    pub percentile: String,
    /// Whether it is inside the simulated 5–95% band.
    pub inside: bool,
    /// Source and note.
    pub source: String,
}

/// A metric value with its unit: hours beyond 72 also in days; "never" for None.
fn observed_text(v: Option<f64>, unit: &str) -> String {
    let Some(v) = v else {
        return "never".into();
    };
    let num = |x: f64| {
        if x.abs() >= 100.0 {
            format!("{x:.0}")
        } else if x.abs() >= 10.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.2}")
        }
    };
    match unit {
        "h" if v >= 72.0 => format!("{} h ({} d)", num(v), num(v / 24.0)),
        "h" => format!("{} h", num(v)),
        "" => num(v),
        u => format!("{} {u}", num(v)),
    }
}

/// The baseline's observed-value checks as table rows (empty when the scenario has none).
pub(super) fn observed_rows(s: &Summary) -> Vec<ObservedRow> {
    use crate::sim::ObservedKind as K;
    let Some(base) = s.variants.first() else {
        return Vec::new();
    };
    base.observed
        .iter()
        .map(|c| {
            let value = match c.kind {
                K::Never => "never".to_string(),
                K::Value => observed_text(c.value, &c.unit),
                K::AtLeast => format!("≥ {}", observed_text(c.value, &c.unit)),
                K::AtMost => format!("≤ {}", observed_text(c.value, &c.unit)),
            };
            let simulated = if c.n == 0 {
                "no runs with a value".to_string()
            } else {
                let mut t = format!(
                    "{} / {} / {}",
                    observed_text(c.p5, &c.unit),
                    observed_text(c.p50, &c.unit),
                    observed_text(c.p95, &c.unit)
                );
                if c.never_share > 0.0 {
                    t.push_str(&format!("; never in {:.0}% of runs", 100.0 * c.never_share));
                }
                t
            };
            let percentile = match (c.percentile, c.kind) {
                (None, _) => "—".to_string(),
                (Some(p), K::AtLeast) => format!("≥ p{p:.0}"),
                (Some(p), K::AtMost) => format!("≤ p{p:.0}"),
                (Some(p), _) => format!("p{p:.0}"),
            };
            let mut source = c.source.clone();
            if !c.note.is_empty() {
                source.push_str(". ");
                source.push_str(&c.note);
            }
            ObservedRow {
                id: c.id.clone(),
                description: c.description.clone(),
                metric: c.metric.clone(),
                observed: value,
                simulated,
                percentile,
                inside: c.inside,
                source,
            }
        })
        .collect()
}
