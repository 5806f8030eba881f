//! Metric columns and objectives: what every run measures, and what each objective is
//! judged on.

use super::agencies::AgencyStatic;
use super::fmt_num;
use super::insiders::InsiderStatic;
use super::threats::ThreatStatic;
use crate::ids::{AgencyIx, InsiderIx, MetricIx, PartnershipIx, ThreatIx};
use crate::scenario::schema::{MetricSpec, ObjectiveSpec, TargetSpec};
use crate::scenario::validate::ObjectiveRefs;
use crate::sim::outcome::{MetricDef, ObjectiveDef};

/// What a metric column measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum MetricKind {
    /// From the threat's start to its first detection [h].
    TimeToDetection(ThreatIx),
    /// From the threat's first detection to its first share [h].
    TimeToFirstShare(ThreatIx),
    /// Share of need-to-know agencies informed within a window of detection, [0, 1].
    Coverage {
        /// The threat.
        threat: ThreatIx,
        /// The window after first detection [h].
        within_h: f64,
    },
    /// Share of need-to-know agencies informed by the end, [0, 1].
    FinalCoverage(ThreatIx),
    /// From the threat's start to its first completed action [h].
    TimeToAction(ThreatIx),
    /// 1 when the threat was resolved before harm, else 0.
    Resolved(ThreatIx),
    /// Share of surge arrivals processed within the hand-off deadline, [0, 1].
    ProcessedWithinHandoff(ThreatIx),
    /// Most people waiting without shelter at any time [people].
    PeakUnsheltered(ThreatIx),
    /// From the threat's start to the time the most people were waiting without shelter [h].
    PeakUnshelteredTime(ThreatIx),
    /// From a false item's first share to its retraction [h].
    RetractionTime(ThreatIx),
    /// 1 when a successful action was taken on the threat while it was not real, else 0.
    FalseAlarmActed(ThreatIx),
    /// From the threat's start to the first public warning [h].
    TimeToPublicWarning(ThreatIx),
    /// From the insider's activation to their detection [h].
    InsiderDetectionTime(InsiderIx),
    /// Share of the run the agency was up, [0, 1].
    Availability(AgencyIx),
    /// Hours the agency had at least one function lost through a dependency [h].
    FunctionLostHours(AgencyIx),
    /// Σ sensitivity of items exposed [SWD].
    LeakExposure,
    /// The part of it from insiders' leaks and exfiltration [SWD].
    InsiderExposure,
    /// Needed deliveries blocked, all reasons [deliveries].
    BlockedButNeeded,
    /// Needed deliveries blocked for this reason [deliveries].
    BlockedBy(BlockReason),
    /// Items passed beyond their marking or agreement [items].
    HandlingViolations,
    /// Handling violations of this kind [items] (one offer may break several rules).
    ViolationsOf(ViolationKind),
    /// Handling violations that break the law or an agreement [findings].
    LegalFindings,
    /// Lowest directed trust at the end, [0, 1].
    MinTrust,
    /// Mean directed trust at the end, [0, 1].
    MeanTrust,
    /// Directed links withdrawn at some time, by trust or by inject [links].
    Withdrawals,
    /// Mean analyst queue wait [h].
    MeanQueueWait,
    /// Most items waiting for analysts at once [items].
    PeakBacklog,
    /// Mean analyst utilisation, [0, 1].
    Utilisation,
    /// Perishable items expired before use [items].
    ExpiredItems,
    /// Items delivered between partners [items].
    ItemsDelivered,
    /// From the threat's start to its impact [h].
    ImpactTime(ThreatIx),
    /// Most people without shelter after the impact [people].
    ShelterPeak(ThreatIx),
    /// Σ people without shelter × hours after the impact [person-h].
    ShelterHours(ThreatIx),
    /// From the threat's start to the agency's first successful action [h].
    TimeToActionBy(ThreatIx, AgencyIx),
    /// Σ customers out × hours of outage `.1` of the threat's impact [customer-h].
    CustomerHours(ThreatIx, u16),
    /// Share of the outage's customers restored within a window of the impact, [0, 1].
    RestoredShare {
        /// The hazard.
        threat: ThreatIx,
        /// The outage, by position in its impact.
        outage: u16,
        /// The window after impact [h].
        within_h: f64,
    },
    /// Hours the service was out (to its first restoration or workaround) [h].
    HoursWithoutService(ThreatIx, u16),
    /// From the impact to the outage's first restored customers [h].
    TimeToFirstRestoration(ThreatIx, u16),
    /// Σ over an agency's dependencies of hours lost × degree [h].
    ServiceExposure(AgencyIx),
    /// Share of the run the partnership was in working order, [0, 1].
    PartnershipUptime(PartnershipIx),
    /// Unique items delivered over the partnership, both directions [items].
    ItemsCarried(PartnershipIx),
    /// From the start (of the exercise, or of `threat`) to the first unique item delivered
    /// over the partnership (about `threat`, unless it is [`ThreatIx::NONE`]) [h].
    FirstItemCarried {
        /// The partnership.
        partnership: PartnershipIx,
        /// The threat whose items count, or [`ThreatIx::NONE`] for any item.
        threat: ThreatIx,
    },
}

impl MetricKind {
    /// The threat a per-threat metric measures.
    pub(crate) fn threat(self) -> Option<ThreatIx> {
        match self {
            MetricKind::TimeToDetection(t)
            | MetricKind::TimeToFirstShare(t)
            | MetricKind::Coverage { threat: t, .. }
            | MetricKind::FinalCoverage(t)
            | MetricKind::TimeToAction(t)
            | MetricKind::Resolved(t)
            | MetricKind::ProcessedWithinHandoff(t)
            | MetricKind::PeakUnsheltered(t)
            | MetricKind::PeakUnshelteredTime(t)
            | MetricKind::RetractionTime(t)
            | MetricKind::FalseAlarmActed(t)
            | MetricKind::TimeToPublicWarning(t)
            | MetricKind::ImpactTime(t)
            | MetricKind::ShelterPeak(t)
            | MetricKind::ShelterHours(t)
            | MetricKind::TimeToActionBy(t, _)
            | MetricKind::CustomerHours(t, _)
            | MetricKind::RestoredShare { threat: t, .. }
            | MetricKind::HoursWithoutService(t, _)
            | MetricKind::TimeToFirstRestoration(t, _) => Some(t),
            _ => None,
        }
    }
}

/// Why a needed delivery was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum BlockReason {
    /// Recipient's clearance below the item's classification.
    Clearance,
    /// No available channel on the partnership can carry the item.
    Channel,
    /// TLP or agreement does not allow it.
    Marking,
    /// Legal barrier or legal hold.
    Legal,
    /// Partnership withdrawn (by the sender's loss of trust or by an inject).
    Withdrawn,
}

impl BlockReason {
    /// All reasons, in column order.
    pub(crate) const ALL: [BlockReason; 5] = [
        BlockReason::Clearance,
        BlockReason::Channel,
        BlockReason::Marking,
        BlockReason::Legal,
        BlockReason::Withdrawn,
    ];

    /// Column id suffix.
    pub(crate) fn id(self) -> &'static str {
        match self {
            BlockReason::Clearance => "clearance",
            BlockReason::Channel => "channel",
            BlockReason::Marking => "marking",
            BlockReason::Legal => "legal",
            BlockReason::Withdrawn => "withdrawn",
        }
    }

    /// Index in per-reason arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The rule a handling violation breaks (docs/model.md §5). One offer may break several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ViolationKind {
    /// Beyond the TLP label: above the partnership's `max_tlp`, or a TLP:RED re-share, or a
    /// TLP:AMBER+STRICT re-share outside the organisation.
    Tlp,
    /// Beyond the agreement: above TLP:GREEN without an agreement.
    Agreement,
    /// To the public: a non-CLEAR item to a `Public` recipient.
    Public,
    /// Criminal intelligence to a non-party (28 CFR Part 23).
    CriminalIntel,
    /// Personally identifiable information without a formal agreement.
    Pii,
}

impl ViolationKind {
    /// All kinds, in column order.
    pub(crate) const ALL: [ViolationKind; 5] = [
        ViolationKind::Tlp,
        ViolationKind::Agreement,
        ViolationKind::Public,
        ViolationKind::CriminalIntel,
        ViolationKind::Pii,
    ];

    /// Column id suffix (one of [`VIOLATION_KINDS`](crate::sim::VIOLATION_KINDS)).
    pub(crate) fn id(self) -> &'static str {
        crate::sim::VIOLATION_KINDS[self as usize]
    }

    /// Index in per-kind arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Bit in a kinds mask.
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// How an objective's metric is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Judge {
    /// Met when the time metric happened within this time [h] (never happening misses it).
    Within(f64),
    /// Met when the metric is ≥ the value (in the metric's unit).
    AtLeast(f64),
    /// Met when the metric is ≤ the value (in the metric's unit).
    AtMost(f64),
}

/// Static objective data.
#[derive(Debug, Clone)]
pub(crate) struct ObjectiveStatic {
    /// The metric column it is judged on.
    pub(crate) metric: MetricIx,
    /// How that metric is judged.
    pub(crate) judge: Judge,
}

/// Metric columns being collected, with what each measures.
#[derive(Debug, Default)]
pub(super) struct MetricColumns {
    /// Column definitions, in column order.
    pub(super) metrics: Vec<MetricDef>,
    /// What each column measures, parallel to `metrics`.
    pub(super) kinds: Vec<MetricKind>,
}

impl MetricColumns {
    /// Add a metric (or find the one with this id) and return its column.
    fn push(&mut self, id: String, label: String, unit: &str, k: MetricKind) -> MetricIx {
        if let Some(i) = self.metrics.iter().position(|m| m.id == id) {
            return MetricIx::new(i);
        }
        self.metrics.push(MetricDef {
            id,
            label,
            unit: unit.to_string(),
        });
        self.kinds.push(k);
        MetricIx::new(self.metrics.len() - 1)
    }
}

/// The columns every run of the scenario records: per threat, per insider, the whole
/// exercise, and the availability of agencies that can fail.
pub(super) fn standard_metrics(
    agencies: &[AgencyStatic],
    threats: &[ThreatStatic],
    insiders: &[InsiderStatic],
) -> MetricColumns {
    let mut cat = MetricColumns::default();
    for (ti, t) in threats.iter().enumerate() {
        let ti = ThreatIx::new(ti);
        let id = &t.id;
        let name = &t.name;
        cat.push(
            format!("time_to_detection.{id}"),
            format!("Time to detection: {name}"),
            "h",
            MetricKind::TimeToDetection(ti),
        );
        cat.push(
            format!("time_to_first_share.{id}"),
            format!("Time from detection to first share: {name}"),
            "h",
            MetricKind::TimeToFirstShare(ti),
        );
        if !t.ntk.is_empty() {
            cat.push(
                format!("coverage.{id}"),
                format!("Need-to-know agencies informed by the end: {name}"),
                "share",
                MetricKind::FinalCoverage(ti),
            );
        }
        cat.push(
            format!("time_to_action.{id}"),
            format!("Time to action: {name}"),
            "h",
            MetricKind::TimeToAction(ti),
        );
        // A hazard with an impact is never resolved: no column that always reads 0.
        if t.impact.is_none() {
            cat.push(
                format!("resolved.{id}"),
                format!("Resolved before harm: {name}"),
                "0/1",
                MetricKind::Resolved(ti),
            );
        }
        if t.surge.is_some() {
            cat.push(
                format!("processed_within_handoff.{id}"),
                format!("Arrivals processed within the hand-off deadline: {name}"),
                "share",
                MetricKind::ProcessedWithinHandoff(ti),
            );
            cat.push(
                format!("peak_unsheltered.{id}"),
                format!("Peak people without shelter: {name}"),
                "people",
                MetricKind::PeakUnsheltered(ti),
            );
            cat.push(
                format!("peak_unsheltered_time.{id}"),
                format!("Time of the peak of people without shelter: {name}"),
                "h",
                MetricKind::PeakUnshelteredTime(ti),
            );
        }
        if let Some(im) = &t.impact {
            cat.push(
                format!("impact_time.{id}"),
                format!("Time of impact: {name}"),
                "h",
                MetricKind::ImpactTime(ti),
            );
            if im.displaced > 0.0 {
                cat.push(
                    format!("people_without_shelter_peak.{id}"),
                    format!("Peak people without shelter: {name}"),
                    "people",
                    MetricKind::ShelterPeak(ti),
                );
                cat.push(
                    format!("people_without_shelter_hours.{id}"),
                    format!("People without shelter × hours: {name}"),
                    "person-h",
                    MetricKind::ShelterHours(ti),
                );
            }
            for (j, o) in im.outages.iter().enumerate() {
                let svc = &agencies[o.service.ix()];
                cat.push(
                    format!("hours_without_service.{}", svc.id),
                    format!("Hours without the service of {}", svc.name),
                    "h",
                    MetricKind::HoursWithoutService(ti, j as u16),
                );
                if o.customers > 0.0 {
                    cat.push(
                        format!("time_to_first_restoration.{}", svc.id),
                        format!("Time from impact to first customers restored: {}", svc.name),
                        "h",
                        MetricKind::TimeToFirstRestoration(ti, j as u16),
                    );
                    cat.push(
                        format!("customer_hours_out.{}", svc.id),
                        format!("Customers out × hours: {}", svc.name),
                        "customer-h",
                        MetricKind::CustomerHours(ti, j as u16),
                    );
                }
            }
        }
        if t.can_be_false {
            cat.push(
                format!("retraction_time.{id}"),
                format!("Time from first false share to retraction: {name}"),
                "h",
                MetricKind::RetractionTime(ti),
            );
            cat.push(
                format!("false_alarm_acted.{id}"),
                format!("False alarm acted on: {name}"),
                "0/1",
                MetricKind::FalseAlarmActed(ti),
            );
        }
    }
    for (ii, ins) in insiders.iter().enumerate() {
        let ii = InsiderIx::new(ii);
        cat.push(
            format!("insider_detection_time.{}", ins.id),
            format!("Time from activation to detection: insider {}", ins.id),
            "h",
            MetricKind::InsiderDetectionTime(ii),
        );
    }
    cat.push(
        "leak_exposure".into(),
        "Leak exposure (sensitivity-weighted documents)".into(),
        "exposure",
        MetricKind::LeakExposure,
    );
    cat.push(
        "insider_exposure".into(),
        "Exposure from insiders' leaks and exfiltration (sensitivity-weighted documents)".into(),
        "exposure",
        MetricKind::InsiderExposure,
    );
    cat.push(
        "blocked_but_needed".into(),
        "Needed deliveries blocked".into(),
        "deliveries",
        MetricKind::BlockedButNeeded,
    );
    for r in BlockReason::ALL {
        cat.push(
            format!("blocked.{}", r.id()),
            format!("Needed deliveries blocked by {}", r.id()),
            "deliveries",
            MetricKind::BlockedBy(r),
        );
    }
    cat.push(
        "handling_violations".into(),
        "Items passed beyond their marking or agreement".into(),
        "items",
        MetricKind::HandlingViolations,
    );
    for k in ViolationKind::ALL {
        cat.push(
            format!("violations.{}", k.id()),
            format!("Handling violations: {}", k.id().replace('_', " ")),
            "items",
            MetricKind::ViolationsOf(k),
        );
    }
    cat.push(
        "legal_findings".into(),
        "Legal findings (violations of law or agreement)".into(),
        "findings",
        MetricKind::LegalFindings,
    );
    cat.push(
        "min_trust".into(),
        "Lowest partner trust at the end".into(),
        "trust",
        MetricKind::MinTrust,
    );
    cat.push(
        "mean_trust".into(),
        "Mean partner trust at the end".into(),
        "trust",
        MetricKind::MeanTrust,
    );
    cat.push(
        "withdrawals".into(),
        "Partnership links withdrawn".into(),
        "links",
        MetricKind::Withdrawals,
    );
    cat.push(
        "mean_queue_wait".into(),
        "Mean analyst queue wait".into(),
        "h",
        MetricKind::MeanQueueWait,
    );
    cat.push(
        "peak_backlog".into(),
        "Peak items waiting for analysts".into(),
        "items",
        MetricKind::PeakBacklog,
    );
    cat.push(
        "utilisation".into(),
        "Mean analyst utilisation".into(),
        "share",
        MetricKind::Utilisation,
    );
    cat.push(
        "expired_items".into(),
        "Perishable items expired before use".into(),
        "items",
        MetricKind::ExpiredItems,
    );
    cat.push(
        "items_delivered".into(),
        "Items delivered between partners".into(),
        "items",
        MetricKind::ItemsDelivered,
    );
    for (ai, a) in agencies.iter().enumerate() {
        if a.reliability.is_some() {
            cat.push(
                format!("availability.{}", a.id),
                format!("Availability of {}", a.name),
                "share",
                MetricKind::Availability(AgencyIx::new(ai)),
            );
        }
    }
    for (ai, a) in agencies.iter().enumerate() {
        if !a.depends.is_empty() {
            cat.push(
                format!("function_lost_hours.{}", a.id),
                format!("Hours {} lost a function to a partner's loss", a.name),
                "h",
                MetricKind::FunctionLostHours(AgencyIx::new(ai)),
            );
        }
    }
    // Exposure to lost services, for agencies that depend on a service some hazard knocks
    // out or that lose only part of a function (scenarios without either keep their columns).
    for (ai, a) in agencies.iter().enumerate() {
        let on_service = a.depends.iter().any(|d| {
            d.degree < 1.0
                || threats
                    .iter()
                    .flat_map(|t| t.impact.iter())
                    .flat_map(|i| &i.outages)
                    .any(|o| o.service == d.partner)
        });
        if on_service {
            cat.push(
                format!("service_exposure.{}", a.id),
                format!(
                    "Exposure of {} to lost partners and services (hours × degree)",
                    a.name
                ),
                "h",
                MetricKind::ServiceExposure(AgencyIx::new(ai)),
            );
        }
    }
    cat
}

/// The first outage whose service is agency `a`: (hazard, position in its impact).
fn outage_of(threats: &[ThreatStatic], a: Option<AgencyIx>) -> (ThreatIx, u16) {
    for (ti, t) in threats.iter().enumerate() {
        if let Some(im) = &t.impact
            && let Some(j) = im.outages.iter().position(|o| Some(o.service) == a)
        {
            return (ThreatIx::new(ti), j as u16);
        }
    }
    (ThreatIx::NONE, 0)
}

/// The objectives compiled, and their definitions for the catalog.
pub(super) struct Objectives {
    /// What the engine judges, in scenario order.
    pub(super) statics: Vec<ObjectiveStatic>,
    /// Their definitions, in scenario order.
    pub(super) defs: Vec<ObjectiveDef>,
}

/// The objectives, in scenario order; a metric an objective needs that is not yet a column
/// becomes one.
pub(super) fn objectives(
    specs: &[ObjectiveSpec],
    refs: &[ObjectiveRefs],
    threats: &mut [ThreatStatic],
    cat: &mut MetricColumns,
) -> Objectives {
    let mut objectives = Vec::new();
    let mut objective_defs = Vec::new();
    for (o, r) in specs.iter().zip(refs) {
        let th = r.threat.unwrap_or(ThreatIx::new(0));
        let (metric, what) = match &o.metric {
            MetricSpec::TimeToDetection(t) => (
                cat.push(
                    format!("time_to_detection.{t}"),
                    String::new(),
                    "h",
                    MetricKind::TimeToDetection(th),
                ),
                "time to detection",
            ),
            MetricSpec::TimeToFirstShare(t) => (
                cat.push(
                    format!("time_to_first_share.{t}"),
                    String::new(),
                    "h",
                    MetricKind::TimeToFirstShare(th),
                ),
                "time to first share",
            ),
            MetricSpec::Coverage { threat, within } => {
                let w = within.hours();
                (
                    cat.push(
                        format!("coverage_{}h.{threat}", fmt_num(w)),
                        format!(
                            "Need-to-know agencies informed within {} h of detection: {}",
                            fmt_num(w),
                            threats.get(th.ix()).map(|t| t.name.as_str()).unwrap_or("")
                        ),
                        "share",
                        MetricKind::Coverage {
                            threat: th,
                            within_h: w,
                        },
                    ),
                    "coverage",
                )
            }
            MetricSpec::TimeToAction(t) => (
                cat.push(
                    format!("time_to_action.{t}"),
                    String::new(),
                    "h",
                    MetricKind::TimeToAction(th),
                ),
                "time to action",
            ),
            MetricSpec::Resolved(t) => (
                cat.push(
                    format!("resolved.{t}"),
                    String::new(),
                    "0/1",
                    MetricKind::Resolved(th),
                ),
                "resolved",
            ),
            MetricSpec::LeakExposure => (
                cat.push(
                    "leak_exposure".into(),
                    String::new(),
                    "",
                    MetricKind::LeakExposure,
                ),
                "leak exposure",
            ),
            MetricSpec::InsiderExposure => (
                cat.push(
                    "insider_exposure".into(),
                    String::new(),
                    "",
                    MetricKind::InsiderExposure,
                ),
                "insider exposure",
            ),
            MetricSpec::BlockedButNeeded => (
                cat.push(
                    "blocked_but_needed".into(),
                    String::new(),
                    "",
                    MetricKind::BlockedButNeeded,
                ),
                "blocked deliveries",
            ),
            MetricSpec::HandlingViolations => (
                cat.push(
                    "handling_violations".into(),
                    String::new(),
                    "",
                    MetricKind::HandlingViolations,
                ),
                "handling violations",
            ),
            MetricSpec::MinTrust => (
                cat.push("min_trust".into(), String::new(), "", MetricKind::MinTrust),
                "minimum trust",
            ),
            MetricSpec::MeanTrust => (
                cat.push(
                    "mean_trust".into(),
                    String::new(),
                    "",
                    MetricKind::MeanTrust,
                ),
                "mean trust",
            ),
            MetricSpec::Withdrawals => (
                cat.push(
                    "withdrawals".into(),
                    String::new(),
                    "",
                    MetricKind::Withdrawals,
                ),
                "withdrawals",
            ),
            MetricSpec::ProcessedWithinHandoff(t) => (
                cat.push(
                    format!("processed_within_handoff.{t}"),
                    String::new(),
                    "share",
                    MetricKind::ProcessedWithinHandoff(th),
                ),
                "processed within hand-off",
            ),
            MetricSpec::PeakUnsheltered(t) => (
                cat.push(
                    format!("peak_unsheltered.{t}"),
                    String::new(),
                    "people",
                    MetricKind::PeakUnsheltered(th),
                ),
                "peak unsheltered",
            ),
            MetricSpec::FalseAlarmActed(t) => (
                cat.push(
                    format!("false_alarm_acted.{t}"),
                    String::new(),
                    "0/1",
                    MetricKind::FalseAlarmActed(th),
                ),
                "false alarm acted on",
            ),
            MetricSpec::RetractionTime(t) => (
                cat.push(
                    format!("retraction_time.{t}"),
                    String::new(),
                    "h",
                    MetricKind::RetractionTime(th),
                ),
                "retraction time",
            ),
            MetricSpec::TimeToPublicWarning(t) => (
                cat.push(
                    format!("time_to_public_warning.{t}"),
                    format!(
                        "Time to public warning: {}",
                        threats.get(th.ix()).map(|x| x.name.as_str()).unwrap_or("")
                    ),
                    "h",
                    MetricKind::TimeToPublicWarning(th),
                ),
                "time to public warning",
            ),
            MetricSpec::InsiderDetectionTime(i) => (
                cat.push(
                    format!("insider_detection_time.{i}"),
                    String::new(),
                    "h",
                    MetricKind::InsiderDetectionTime(r.insider.unwrap_or(InsiderIx::new(0))),
                ),
                "insider detection time",
            ),
            MetricSpec::FunctionLostHours(a) => (
                cat.push(
                    format!("function_lost_hours.{a}"),
                    String::new(),
                    "h",
                    MetricKind::FunctionLostHours(r.agency.unwrap_or(AgencyIx::new(0))),
                ),
                "hours with a function lost",
            ),
            MetricSpec::ServiceExposure(a) => (
                cat.push(
                    format!("service_exposure.{a}"),
                    format!("Exposure of {a} to lost partners and services (hours × degree)"),
                    "h",
                    MetricKind::ServiceExposure(r.agency.unwrap_or(AgencyIx::new(0))),
                ),
                "exposure to lost services",
            ),
            MetricSpec::TimeToActionBy { threat, agency } => (
                cat.push(
                    format!("time_to_action.{threat}.{agency}"),
                    format!(
                        "Time to first successful action by {agency}: {}",
                        threats.get(th.ix()).map(|x| x.name.as_str()).unwrap_or("")
                    ),
                    "h",
                    MetricKind::TimeToActionBy(th, r.agency.unwrap_or(AgencyIx::NONE)),
                ),
                "time to action",
            ),
            MetricSpec::PeopleWithoutShelterPeak(t) => (
                cat.push(
                    format!("people_without_shelter_peak.{t}"),
                    String::new(),
                    "people",
                    MetricKind::ShelterPeak(th),
                ),
                "peak people without shelter",
            ),
            MetricSpec::PeopleWithoutShelterHours(t) => (
                cat.push(
                    format!("people_without_shelter_hours.{t}"),
                    String::new(),
                    "person-h",
                    MetricKind::ShelterHours(th),
                ),
                "people without shelter × hours",
            ),
            MetricSpec::CustomersWithoutPowerHours(a) => {
                let (t, j) = outage_of(threats, r.agency);
                (
                    cat.push(
                        format!("customer_hours_out.{a}"),
                        String::new(),
                        "customer-h",
                        MetricKind::CustomerHours(t, j),
                    ),
                    "customers out × hours",
                )
            }
            MetricSpec::HoursWithoutService(a) => {
                let (t, j) = outage_of(threats, r.agency);
                (
                    cat.push(
                        format!("hours_without_service.{a}"),
                        String::new(),
                        "h",
                        MetricKind::HoursWithoutService(t, j),
                    ),
                    "hours without the service",
                )
            }
            MetricSpec::TimeToFirstRestoration(a) => {
                let (t, j) = outage_of(threats, r.agency);
                (
                    cat.push(
                        format!("time_to_first_restoration.{a}"),
                        String::new(),
                        "h",
                        MetricKind::TimeToFirstRestoration(t, j),
                    ),
                    "time to first restoration",
                )
            }
            MetricSpec::CustomersRestoredShare { service, within } => {
                let (t, j) = outage_of(threats, r.agency);
                let w = within.hours();
                if let Some(o) = threats
                    .get_mut(t.ix())
                    .and_then(|x| x.impact.as_mut())
                    .and_then(|i| i.outages.get_mut(usize::from(j)))
                    && !o.checkpoints.contains(&w)
                {
                    o.checkpoints.push(w);
                    o.checkpoints.sort_by(f64::total_cmp);
                }
                (
                    cat.push(
                        format!("restored_share_{}h.{service}", fmt_num(w)),
                        format!(
                            "Share of customers restored within {} h of impact: {service}",
                            fmt_num(w)
                        ),
                        "share",
                        MetricKind::RestoredShare {
                            threat: t,
                            outage: j,
                            within_h: w,
                        },
                    ),
                    "share restored",
                )
            }
            MetricSpec::PartnershipUptime(p) => (
                cat.push(
                    format!("uptime.{p}"),
                    format!("Share of the run partnership {p} worked"),
                    "share",
                    MetricKind::PartnershipUptime(r.partnership.unwrap_or(PartnershipIx::NONE)),
                ),
                "partnership up-time",
            ),
            MetricSpec::ItemsCarried(p) => (
                cat.push(
                    format!("items_carried.{p}"),
                    format!("Unique items carried over partnership {p}"),
                    "items",
                    MetricKind::ItemsCarried(r.partnership.unwrap_or(PartnershipIx::NONE)),
                ),
                "items carried",
            ),
            MetricSpec::FirstItemCarried {
                partnership,
                threat,
            } => {
                let (id, label) = match threat {
                    Some(t) => (
                        format!("first_item_carried.{partnership}.{t}"),
                        format!("Time to the first item on {t} over partnership {partnership}"),
                    ),
                    None => (
                        format!("first_item_carried.{partnership}"),
                        format!("Time to the first item over partnership {partnership}"),
                    ),
                };
                (
                    cat.push(
                        id,
                        label,
                        "h",
                        MetricKind::FirstItemCarried {
                            partnership: r.partnership.unwrap_or(PartnershipIx::NONE),
                            threat: if threat.is_some() {
                                r.threat.unwrap_or(ThreatIx::NONE)
                            } else {
                                ThreatIx::NONE
                            },
                        },
                    ),
                    "time to the first item carried",
                )
            }
        };
        let (judge, target) = match o.target {
            TargetSpec::Within(d) => (
                Judge::Within(d.hours()),
                format!("{what} ≤ {} h", fmt_num(d.hours())),
            ),
            TargetSpec::AtLeast(v) => (Judge::AtLeast(v), format!("{what} ≥ {}", fmt_num(v))),
            TargetSpec::AtMost(v) => (Judge::AtMost(v), format!("{what} ≤ {}", fmt_num(v))),
        };
        objectives.push(ObjectiveStatic { metric, judge });
        objective_defs.push(ObjectiveDef {
            id: o.id.clone(),
            description: o.description.clone(),
            capability: o.capability,
            target,
            metric: cat.metrics[metric.ix()].id.clone(),
            thresholds: [o.ratings.p, o.ratings.s, o.ratings.m],
        });
    }
    Objectives {
        statics: objectives,
        defs: objective_defs,
    }
}
