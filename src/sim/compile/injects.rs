//! Injects: the scripted events of the master scenario events list, with their triggers and
//! effects resolved to indices.

use crate::ids::{AgencyIx, ChannelIx, InjectIx, InsiderIx, PartnershipIx, ThreatIx};
use crate::scenario::schema::{
    Condition, EffectSpec, InjectSpec, MilestoneSpec, TriggerMetric, TriggerSpec,
};
use crate::scenario::validate::InjectRefs;

/// When an inject fires.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Trigger {
    /// At this scenario time [h].
    At(f64),
    /// After another inject has fired.
    AfterInject {
        /// The inject waited for ([`InjectIx::NONE`] if it names none).
        inject: InjectIx,
        /// Delay after it fired [h], ≥ 0.
        delay_h: f64,
    },
    /// As soon as a per-tick metric reaches a value.
    WhenMetric {
        /// The metric watched.
        watch: MetricWatch,
        /// Fires when the metric is ≥ this value (in the metric's unit).
        at_least: f64,
    },
    /// The first time a partner is about to pass an item about `threat` over a link of
    /// `partnership` (the sharing loop trips it; see `flow::trip_first_offers`).
    FirstOffer {
        /// The partnership watched ([`PartnershipIx::NONE`] if it names none).
        partnership: PartnershipIx,
        /// The threat whose items are watched.
        threat: ThreatIx,
    },
    /// At `by_h`, unless `unless` has happened by then.
    Contingency {
        /// The expected player action.
        unless: Cond,
        /// Scenario time it is checked [h].
        by_h: f64,
    },
    /// At a milestone's time + `delay_h` (never if the milestone does not happen).
    Milestone {
        /// The milestone waited for.
        on: Mile,
        /// Delay after it [h], ≥ 0.
        delay_h: f64,
    },
}

/// A milestone of the run a trigger waits for. A target that resolves to nothing is its
/// type's `NONE` (or, for an objective, `usize::MAX`), which never happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mile {
    /// Harm from the threat occurred.
    Harm(ThreatIx),
    /// The threat was first detected.
    Detected(ThreatIx),
    /// An item about the threat was first shared.
    FirstShared(ThreatIx),
    /// A first action on the threat completed.
    Acted(ThreatIx),
    /// The threat was resolved.
    Resolved(ThreatIx),
    /// The agency first went down.
    AgencyFailed(AgencyIx),
    /// The agency first came back up.
    AgencyRecovered(AgencyIx),
    /// A link of the partnership was first withdrawn (trust or inject).
    PartnershipWithdrawn(PartnershipIx),
    /// The objective judged on the run so far at `by_h`.
    Objective {
        /// Index of the objective, in scenario order.
        objective: usize,
        /// Time it is judged [h].
        by_h: f64,
        /// Fires when met (`true`) or when missed (`false`).
        met: bool,
    },
}

/// A per-tick metric a trigger watches. A threat that resolves to nothing is
/// [`ThreatIx::NONE`], which never fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum MetricWatch {
    /// Agencies holding at least one item about the threat [agencies].
    AgenciesInformed(ThreatIx),
    /// Items waiting in all analyst queues [items].
    Backlog,
    /// Hours since the threat was first detected [h] (−∞ until then).
    HoursSinceDetection(ThreatIx),
    /// Directed links withdrawn so far, by trust or by inject [links].
    Withdrawals,
    /// Leak exposure so far (Σ sensitivity).
    LeakExposure,
}

/// An expected player action a contingency inject checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cond {
    /// Some agency detected the threat.
    Detected(ThreatIx),
    /// Some agency shared an item about the threat.
    Shared(ThreatIx),
    /// A responsible agency acted on the threat.
    Acted(ThreatIx),
    /// The inject fired.
    InjectFired(InjectIx),
}

/// What an inject does. A target that resolves to nothing is its type's `NONE`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// A signal of the threat appears at an agency.
    Signal {
        /// The threat signalled.
        threat: ThreatIx,
        /// The agency that receives it.
        at: AgencyIx,
    },
    /// The agency is down.
    AgencyOutage(AgencyIx),
    /// The channel is down.
    ChannelOutage(ChannelIx),
    /// The agency works with a fraction of its analysts.
    Degraded {
        /// The agency degraded.
        agency: AgencyIx,
        /// Remaining fraction of capacity, (0, 1].
        factor: f64,
    },
    /// The partnership is withdrawn.
    Withdrawal(PartnershipIx),
    /// A legal hold blocks items on the partnership.
    LegalHold(PartnershipIx),
    /// Items crossing the channel are exposed.
    ChannelCompromise(ChannelIx),
    /// The insider acts now.
    InsiderAction(InsiderIx),
    /// A public warning about the threat is issued.
    PublicWarning {
        /// The threat warned about.
        threat: ThreatIx,
        /// The agency that issues it.
        by: AgencyIx,
    },
    /// A false report about the threat appears at an agency.
    FalseReport {
        /// The threat it claims.
        threat: ThreatIx,
        /// The agency that receives it.
        at: AgencyIx,
    },
    /// The threat's deadline comes forward.
    AdvanceDeadline {
        /// The threat whose deadline moves.
        threat: ThreatIx,
        /// How far it moves [h], ≥ 0.
        by: f64,
    },
    /// Resources arrive at an agency after a lead time.
    Arrival(Arrival),
    /// Nothing in the model (a note for the players).
    Note,
}

/// Resources an `Arrival` inject brings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arrival {
    /// The agency receiving them (brought into play if it `arrives`).
    pub(crate) agency: AgencyIx,
    /// Analysts added, ≥ 0.
    pub(crate) analysts: u32,
    /// Processing added [people/h], ≥ 0.
    pub(crate) processing: f64,
    /// Shelter places added [people], ≥ 0.
    pub(crate) shelter: f64,
    /// Restoration crews added [workers], ≥ 0.
    pub(crate) crews: f64,
    /// Time from the inject firing to the arrival [h], ≥ 0.
    pub(crate) lead: f64,
}

impl Effect {
    /// Time from firing to the effect starting [h] (0 except for arrivals).
    pub(crate) fn lead(&self) -> f64 {
        match self {
            Effect::Arrival(a) => a.lead,
            _ => 0.0,
        }
    }
}

/// Static inject data.
#[derive(Debug, Clone)]
pub(crate) struct InjectStatic {
    /// Scenario id.
    pub(crate) id: String,
    /// MSEL number.
    pub(crate) number: u32,
    /// One-line synopsis.
    pub(crate) synopsis: String,
    /// When it fires.
    pub(crate) trigger: Trigger,
    /// What it does.
    pub(crate) effect: Effect,
    /// Probability it fires when triggered, [0, 1].
    pub(crate) p: f64,
    /// How long a reversible effect lasts [h]; `None` for the rest of the run.
    pub(crate) duration: Option<f64>,
    /// It takes part in runs.
    pub(crate) enabled: bool,
}

/// The injects, in scenario order.
pub(super) fn injects(specs: &[InjectSpec], refs: &[InjectRefs]) -> Vec<InjectStatic> {
    specs
        .iter()
        .zip(refs)
        .map(|(inj, r)| {
            let trigger_threat = r.trigger_threat.unwrap_or(ThreatIx::NONE);
            let trigger_inject = r.trigger_inject.unwrap_or(InjectIx::NONE);
            let trigger = match &inj.trigger {
                TriggerSpec::At(d) => Trigger::At(d.hours()),
                TriggerSpec::AfterInject { delay, .. } => Trigger::AfterInject {
                    inject: trigger_inject,
                    delay_h: delay.hours(),
                },
                TriggerSpec::WhenMetric { metric, at_least } => Trigger::WhenMetric {
                    watch: match metric {
                        TriggerMetric::AgenciesInformed(_) => {
                            MetricWatch::AgenciesInformed(trigger_threat)
                        }
                        TriggerMetric::Backlog => MetricWatch::Backlog,
                        TriggerMetric::HoursSinceDetection(_) => {
                            MetricWatch::HoursSinceDetection(trigger_threat)
                        }
                        TriggerMetric::Withdrawals => MetricWatch::Withdrawals,
                        TriggerMetric::LeakExposure => MetricWatch::LeakExposure,
                    },
                    at_least: *at_least,
                },
                TriggerSpec::FirstOffer { .. } => Trigger::FirstOffer {
                    partnership: r.trigger_partnership.unwrap_or(PartnershipIx::NONE),
                    threat: trigger_threat,
                },
                TriggerSpec::Contingency { unless, by } => Trigger::Contingency {
                    unless: match unless {
                        Condition::Detected(_) => Cond::Detected(trigger_threat),
                        Condition::Shared(_) => Cond::Shared(trigger_threat),
                        Condition::Acted(_) => Cond::Acted(trigger_threat),
                        Condition::InjectFired(_) => Cond::InjectFired(trigger_inject),
                    },
                    by_h: by.hours(),
                },
                TriggerSpec::Milestone { on, delay } => {
                    let agency = r.trigger_agency.unwrap_or(AgencyIx::NONE);
                    let objective = r.trigger_objective.unwrap_or(usize::MAX);
                    Trigger::Milestone {
                        on: match on {
                            MilestoneSpec::Harm(_) => Mile::Harm(trigger_threat),
                            MilestoneSpec::Detected(_) => Mile::Detected(trigger_threat),
                            MilestoneSpec::FirstShared(_) => Mile::FirstShared(trigger_threat),
                            MilestoneSpec::Acted(_) => Mile::Acted(trigger_threat),
                            MilestoneSpec::Resolved(_) => Mile::Resolved(trigger_threat),
                            MilestoneSpec::AgencyFailed(_) => Mile::AgencyFailed(agency),
                            MilestoneSpec::AgencyRecovered(_) => Mile::AgencyRecovered(agency),
                            MilestoneSpec::PartnershipWithdrawn(_) => Mile::PartnershipWithdrawn(
                                r.trigger_partnership.unwrap_or(PartnershipIx::NONE),
                            ),
                            MilestoneSpec::ObjectiveMet { by, .. } => Mile::Objective {
                                objective,
                                by_h: by.hours(),
                                met: true,
                            },
                            MilestoneSpec::ObjectiveMissed { by, .. } => Mile::Objective {
                                objective,
                                by_h: by.hours(),
                                met: false,
                            },
                        },
                        delay_h: delay.hours(),
                    }
                }
            };
            let threat = r.threat.unwrap_or(ThreatIx::NONE);
            let agency = r.agency.unwrap_or(AgencyIx::NONE);
            let channel = r.channel.unwrap_or(ChannelIx::NONE);
            let partnership = r.partnership.unwrap_or(PartnershipIx::NONE);
            let effect = match &inj.effect {
                EffectSpec::Signal { .. } => Effect::Signal { threat, at: agency },
                EffectSpec::AgencyOutage(_) => Effect::AgencyOutage(agency),
                EffectSpec::ChannelOutage(_) => Effect::ChannelOutage(channel),
                EffectSpec::DegradedCapacity { factor, .. } => Effect::Degraded {
                    agency,
                    factor: *factor,
                },
                EffectSpec::Withdrawal(_) => Effect::Withdrawal(partnership),
                EffectSpec::LegalHold(_) => Effect::LegalHold(partnership),
                EffectSpec::ChannelCompromise(_) => Effect::ChannelCompromise(channel),
                EffectSpec::InsiderAction(_) => {
                    Effect::InsiderAction(r.insider.unwrap_or(InsiderIx::NONE))
                }
                EffectSpec::PublicWarning { .. } => Effect::PublicWarning { threat, by: agency },
                EffectSpec::FalseReport { .. } => Effect::FalseReport { threat, at: agency },
                EffectSpec::AdvanceDeadline { by, .. } => Effect::AdvanceDeadline {
                    threat,
                    by: by.hours(),
                },
                EffectSpec::Arrival {
                    analysts,
                    processing_per_hour,
                    shelter,
                    crews,
                    lead,
                    ..
                } => Effect::Arrival(Arrival {
                    agency,
                    analysts: *analysts,
                    processing: *processing_per_hour,
                    shelter: *shelter,
                    crews: f64::from(*crews),
                    lead: lead.hours().max(0.0),
                }),
                EffectSpec::Note => Effect::Note,
            };
            InjectStatic {
                id: inj.id.clone(),
                number: inj.number,
                synopsis: inj.synopsis.clone(),
                trigger,
                effect,
                p: inj.probability,
                duration: inj.duration.map(|d| d.hours()),
                enabled: inj.enabled,
            }
        })
        .collect()
}
