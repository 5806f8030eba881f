//! What a run produces: metric values aligned with a per-scenario [`Catalog`], objective
//! results, driver flags, per-tick series, per-link results and an optional timeline.
//!
//! The catalog is fixed for a scenario (and variant), so a batch writes one header and then
//! plain rows; metric ids are stable snake_case strings usable as CSV column names.

use crate::scenario::schema::CoreCapability;
use serde::{Deserialize, Serialize};

/// Definition of one scalar outcome metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDef {
    /// Stable id, e.g. `time_to_detection.ransomware` (CSV column name).
    pub id: String,
    /// Human label, e.g. "Time to detection: Ransomware at Colonial".
    pub label: String,
    /// Unit, e.g. "h", "share", "items", "trust".
    pub unit: String,
}

/// Definition of one objective as evaluated per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveDef {
    /// Objective id from the scenario.
    pub id: String,
    /// Objective text.
    pub description: String,
    /// Core capability.
    pub capability: CoreCapability,
    /// Target in words, e.g. "≤ 12 h" or "≥ 0.90".
    pub target: String,
    /// Id of the metric it is judged on (in `Catalog::metrics`).
    pub metric: String,
    /// Rating thresholds (P, S, M) on the share of runs meeting it, each in [0, 1].
    pub thresholds: [f64; 3],
}

/// Kind of a driver: an event that may or may not happen in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriverKind {
    /// An agency or channel failed (stochastic or scripted outage, degraded capacity).
    PartnerFailure,
    /// An insider acted.
    InsiderAction,
    /// A partnership was withdrawn or held.
    PartnershipLoss,
    /// A probabilistic inject fired.
    Inject,
    /// A contingency or metric-triggered inject fired: a symptom of play going wrong, not a
    /// cause; the report leaves it out of root causes.
    Consequence,
    /// A threat was real (not a false alarm).
    ThreatReal,
}

/// Definition of one driver flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverDef {
    /// Stable id, e.g. `outage.fc_va`.
    pub id: String,
    /// Label, e.g. "Virginia Fusion Center outage".
    pub label: String,
    /// Kind.
    pub kind: DriverKind,
}

/// Definition of a per-tick series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDef {
    /// Stable id, e.g. `agencies_informed`.
    pub id: String,
    /// Label.
    pub label: String,
    /// Unit.
    pub unit: String,
    /// Upper bound of the value, in its unit, when known (agencies, partnerships, 1.0 for trust).
    pub max: Option<f64>,
}

/// A directed partnership link (a mutual partnership gives two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkDef {
    /// Partnership id.
    pub partnership: String,
    /// Sending agency id.
    pub from: String,
    /// Receiving agency id.
    pub to: String,
}

/// Everything fixed for a scenario that a batch needs to interpret outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Scalar metrics, in column order.
    pub metrics: Vec<MetricDef>,
    /// Objectives, in scenario order.
    pub objectives: Vec<ObjectiveDef>,
    /// Driver flags.
    pub drivers: Vec<DriverDef>,
    /// Per-tick series.
    pub series: Vec<SeriesDef>,
    /// Scenario times \[h\] at which series are sampled.
    pub series_times: Vec<f64>,
    /// Directed links.
    pub links: Vec<LinkDef>,
    /// Scenario times \[h\] of time-triggered injects (for marking fan charts), with their ids.
    pub inject_times: Vec<(String, f64)>,
    /// Observed values of the real case (the scenario's `observed:` section), each tied to a
    /// metric column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<ObservedDef>,
}

impl Catalog {
    /// The unit of metric column `id` ("" when there is none).
    pub fn unit_of(&self, id: &str) -> &str {
        self.metrics
            .iter()
            .find(|m| m.id == id)
            .map_or("", |m| m.unit.as_str())
    }
}

/// How an observed value constrains the simulated metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservedKind {
    /// The real value was this.
    Value,
    /// The real value was at least this (censored: still rising, or not yet happened).
    AtLeast,
    /// The real value was at most this.
    AtMost,
    /// The event never happened (the metric has no value).
    Never,
}

/// One observed value of the real case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedDef {
    /// Id.
    pub id: String,
    /// What was observed.
    pub description: String,
    /// Id of the metric column it is compared with.
    pub metric: String,
    /// How it constrains the metric.
    pub kind: ObservedKind,
    /// The value in the metric's unit (hours for times); None for `never`.
    pub value: Option<f64>,
    /// Where it was read.
    pub source: String,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// An objective's result in one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveResult {
    /// Metric value, in the metric's unit (None when the event never happened).
    pub value: Option<f64>,
    /// Whether the target was met (false when not applicable).
    pub met: bool,
    /// Whether the objective applies to this run: false when it is about an insider who is
    /// not active in the run (or a threat tied to one). Such runs are counted apart, not as
    /// met or missed.
    #[serde(default = "applies")]
    pub applicable: bool,
}

fn applies() -> bool {
    true
}

/// Ids of the handling-violation kinds, in the order of per-kind arrays
/// ([`LinkResult::violations`], the `violations.<kind>` columns).
pub const VIOLATION_KINDS: [&str; 5] = ["tlp", "agreement", "public", "criminal_intel", "pii"];

/// A directed link's result in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkResult {
    /// Items delivered over it.
    pub items: u32,
    /// Trust of the sending agency in the receiver at the end, [0, 1] (it governs the
    /// sender's willingness to share over this link).
    pub end_trust: f64,
    /// Whether it was withdrawn (by trust or inject, not by a legal hold) at some point.
    pub withdrawn: bool,
    /// Whether an item on it was leaked or it was compromised.
    pub compromised: bool,
    /// Unique items it delivered into the receiver, weighted by sensitivity [SWD].
    #[serde(default)]
    pub received: f64,
    /// Exposure attributed to it [SWD] (docs/model.md §5, §10).
    #[serde(default)]
    pub exposure: f64,
    /// The part of `exposure` that was the sender's own collection [SWD]: the originator's
    /// loss through this partnership (docs/model.md §5).
    #[serde(default)]
    pub origin_exposure: f64,
    /// Handling violations on it by kind (tlp, agreement, public, criminal_intel, pii).
    #[serde(default)]
    pub violations: [u32; 5],
    /// Offers on it passed in violation (each once, whatever its kinds).
    #[serde(default)]
    pub violating_offers: u32,
    /// Legal findings on it.
    #[serde(default)]
    pub legal_findings: u32,
    /// Equity of the exchange over the whole run from the sender's side (docs/model.md §7):
    /// ln((value received + 1) ÷ (value given + 1)) − ln(expected_equity) [SWD in both
    /// values]; 0 when it went as expected, < 0 when the sender gave more than it expected
    /// for what it got; 0 on one-way links (not evaluated).
    #[serde(default)]
    pub equity_log_ratio: f64,
    /// Whether the sender withdrew it through loss of trust (not by inject or hold).
    #[serde(default)]
    pub trust_withdrawn: bool,
}

/// Kind of a timeline event (the legend of the timeline chart groups them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    /// An inject fired (or a lasting inject ended).
    Inject,
    /// A threat's first signal was picked up.
    Signal,
    /// An agency observed a signal of a threat.
    Detection,
    /// An analyst finished an item. Reserved: the current engine does not log it.
    Analysis,
    /// An item arrived at a partner over a partnership (`via` names the channel).
    Share,
    /// An item a partner needed could not be passed on: clearance, channel, marking or
    /// agreement, or a withdrawn partnership.
    Blocked,
    /// A sender passed an item beyond what its marking or the agreement allows.
    HandlingViolation,
    /// An agency or channel went down.
    Failure,
    /// A failed agency or channel came back.
    Repair,
    /// An agency stopped sharing over a link: its trust fell below the partnership's threshold
    /// (a withdrawal by inject shows as that `Inject`).
    Withdrawal,
    /// Trust over a link changed notably. Reserved: the current engine does not log it.
    TrustChange,
    /// An insider's precursor behaviour was seen but not reported.
    Precursor,
    /// A coworker reported an insider, who is detected.
    InsiderDetected,
    /// An insider acted: sabotage, a planted false report or a tip-off.
    InsiderAction,
    /// Information was exposed: an item crossed a compromised channel, or an insider leaked or
    /// exfiltrated documents.
    Leak,
    /// An agency decided to act on a threat.
    Decision,
    /// An agency acted (interdiction, warning, mitigation, mass care, screening), in time or not.
    Action,
    /// A public warning was issued. Reserved: the current engine logs it as an `Action`.
    PublicWarning,
    /// An agency found its reporting false and retracted it.
    Retraction,
    /// A threat's deadline passed and harm occurred.
    Harm,
    /// A surge left another thousand people waiting without shelter.
    Surge,
    /// An item expired in an agency's queue before an analyst reached it.
    Expired,
    /// An exercise objective became met, stopped being met, or was not met when the exercise
    /// ended (logged only while a run is recorded).
    Objective,
}

/// One line of a run's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Scenario time \[h\].
    pub t: f64,
    /// What happened.
    pub kind: EventKind,
    /// Agency (or insider, threat) id most concerned.
    pub who: String,
    /// Partnership or channel id involved, if any.
    pub via: String,
    /// A readable sentence.
    pub text: String,
}

/// One line of a timeline, borrowed from a [`Timeline`]; serialises exactly as an [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EventRef<'a> {
    /// Scenario time \[h\].
    pub t: f64,
    /// What happened.
    pub kind: EventKind,
    /// Agency (or insider, threat) id most concerned.
    pub who: &'a str,
    /// Partnership or channel id involved, if any.
    pub via: &'a str,
    /// A readable sentence.
    pub text: &'a str,
}

impl EventRef<'_> {
    /// An owned copy.
    pub fn to_event(&self) -> Event {
        Event {
            t: self.t,
            kind: self.kind,
            who: self.who.to_string(),
            via: self.via.to_string(),
            text: self.text.to_string(),
        }
    }
}

/// One entry of a [`Timeline`]: the event's time and kind, its ids as indices into the
/// timeline's names and its text as a range of the text arena.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    t: f64,
    text: (usize, usize),
    who: u32,
    via: u32,
    kind: EventKind,
}

/// A run's events in time order, stored compactly: one small entry per event, the ids it
/// names interned once and the texts in one arena (a large network's exemplar runs to
/// hundreds of thousands of events). Serialises as a list of [`Event`]s.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    entries: Vec<Entry>,
    names: Vec<String>,
    text: String,
    /// Interned names while recording (not part of the value).
    index: std::collections::HashMap<String, u32>,
}

impl Timeline {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The events, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = EventRef<'_>> + ExactSizeIterator {
        self.entries.iter().map(|e| EventRef {
            t: e.t,
            kind: e.kind,
            who: &self.names[e.who as usize],
            via: &self.names[e.via as usize],
            text: &self.text[e.text.0..e.text.1],
        })
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    /// Append an event; `text` writes its sentence into the arena.
    pub(crate) fn push_with(
        &mut self,
        t: f64,
        kind: EventKind,
        who: &str,
        via: &str,
        text: impl FnOnce(&mut String),
    ) {
        let (who, via) = (self.intern(who), self.intern(via));
        let start = self.text.len();
        text(&mut self.text);
        self.entries.push(Entry {
            t,
            text: (start, self.text.len()),
            who,
            via,
            kind,
        });
    }

    /// Append an event.
    pub fn push(&mut self, e: &Event) {
        self.push_with(e.t, e.kind, &e.who, &e.via, |s| s.push_str(&e.text));
    }

    /// Order the events by time, keeping the recorded order of simultaneous ones.
    pub(crate) fn sort_by_time(&mut self) {
        self.entries.sort_by(|a, b| a.t.total_cmp(&b.t));
    }

    /// Empty it, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.names.clear();
        self.text.clear();
        self.index.clear();
    }
}

impl PartialEq for Timeline {
    fn eq(&self, other: &Timeline) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl From<Vec<Event>> for Timeline {
    fn from(events: Vec<Event>) -> Timeline {
        let mut tl = Timeline::default();
        for e in &events {
            tl.push(e);
        }
        tl
    }
}

impl<'a> IntoIterator for &'a Timeline {
    type Item = EventRef<'a>;
    type IntoIter = Box<dyn Iterator<Item = EventRef<'a>> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Serialize for Timeline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Timeline {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timeline, D::Error> {
        Vec::<Event>::deserialize(d).map(Timeline::from)
    }
}

/// The outcome of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Run index within the batch.
    pub run_index: u64,
    /// Metric values aligned with `Catalog::metrics`, each in its metric's unit (None: did not
    /// happen, e.g. never detected).
    pub metrics: Vec<Option<f64>>,
    /// Objective results aligned with `Catalog::objectives`.
    pub objectives: Vec<ObjectiveResult>,
    /// Driver flags aligned with `Catalog::drivers`.
    pub drivers: Vec<bool>,
    /// Series values `[series][sample]`, aligned with `Catalog::series` × `series_times`, each
    /// in its series' unit.
    pub series: Vec<Vec<f32>>,
    /// Link results aligned with `Catalog::links`.
    pub links: Vec<LinkResult>,
    /// Timeline (empty unless requested in [`super::RunOptions`]).
    pub timeline: Timeline,
}
