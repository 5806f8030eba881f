//! The static part of a model, compiled once per scenario (and variant): ids resolved to
//! indices, times converted to hours, distributions to samplers, and the outcome [`Catalog`].

use super::outcome::*;
use super::rng::Sampler;
use crate::scenario::ValidScenario;
use crate::scenario::schema::*;

/// Number of threat kinds (size of per-kind arrays).
pub const KINDS: usize = 6;

/// Index of a threat kind in per-kind arrays.
pub fn kind_index(k: ThreatKind) -> usize {
    match k {
        ThreatKind::Cyber => 0,
        ThreatKind::Plot => 1,
        ThreatKind::Migration => 2,
        ThreatKind::Insider => 3,
        ThreatKind::Hazard => 4,
        ThreatKind::Rumor => 5,
    }
}

/// Bit of a function in a lost-functions mask.
pub fn function_bit(f: Function) -> u8 {
    match f {
        Function::Collection => 1,
        Function::Analysis => 2,
        Function::Dissemination => 4,
        Function::Action => 8,
    }
}

/// Static agency data.
#[derive(Debug, Clone)]
pub struct AgencyStatic {
    pub id: String,
    pub name: String,
    pub kind: AgencyKind,
    pub clearance: Classification,
    pub analysts: u32,
    pub service: Sampler,
    /// Observation probability per threat kind.
    pub collection: [f64; KINDS],
    /// Needs-to-know bit per kind.
    pub needs: [bool; KINDS],
    /// Acts-on bit per kind.
    pub acts_on: [bool; KINDS],
    /// (MTBF h, MTTR h).
    pub reliability: Option<(f64, f64)>,
    /// Insider activation multiplier from vetting.
    pub vetting_mult: f64,
    pub monitoring: f64,
    pub compliance: f64,
    /// (per hour, shelter).
    pub processing: Option<(f64, f64)>,
    /// (partner index, function bit).
    pub depends: Vec<(usize, u8)>,
    /// Relays items it does not itself need (fusion centers, JTTFs, federal hubs, ISACs, EOCs).
    pub is_hub: bool,
    /// Outgoing directed links, in link order.
    pub out_links: Vec<usize>,
    /// Dependencies with the links from each partner to this agency:
    /// (partner, function bit, links partner → this agency).
    pub depends_links: Vec<(usize, u8, Vec<usize>)>,
}

/// A benefit flowing over a directed link to its receiver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Benefit {
    Collection {
        kind: usize,
        p: f64,
    },
    Technology {
        speedup: f64,
    },
    Regional {
        relief: u32,
        screening: f64,
    },
    Resources {
        analysts: u32,
        processing: f64,
        shelter: f64,
    },
}

/// Static data of a directed link (a mutual partnership compiles to two).
#[derive(Debug, Clone)]
pub struct LinkStatic {
    pub partnership: usize,
    pub from: usize,
    pub to: usize,
    /// The opposite link of a mutual partnership.
    pub reverse: Option<usize>,
    pub agreement: Agreement,
    /// Channel indices in preference order.
    pub channels: Vec<usize>,
    pub trust0: f64,
    pub p0: f64,
    pub max_tlp: Tlp,
    /// (block probability, delay h, minimum class).
    pub barriers: Vec<(f64, f64, Classification)>,
    pub expected_equity: f64,
    pub withdraw_below: f64,
    /// Benefits `from` gives `to` while this link works.
    pub benefits: Vec<Benefit>,
    pub mutual: bool,
}

/// Static channel data.
#[derive(Debug, Clone)]
pub struct ChannelStatic {
    pub id: String,
    pub name: String,
    pub max_class: Classification,
    pub latency: Sampler,
    pub reliability: Option<(f64, f64)>,
}

/// Static threat data.
#[derive(Debug, Clone)]
pub struct ThreatStatic {
    pub id: String,
    pub name: String,
    pub kind: ThreatKind,
    pub kind_ix: usize,
    pub truth_p: f64,
    pub start: f64,
    pub interval: Sampler,
    /// Per agency, its own probability of observing each signal directly (its collection on
    /// the kind if it may observe the threat, else 0).
    pub own_collection: Vec<f64>,
    pub class: Classification,
    pub tlp: Tlp,
    pub sensitivity: f64,
    pub perish: Option<f64>,
    pub deadline: Option<Sampler>,
    pub tipoff_advance: f64,
    pub action: ActionKind,
    pub corroboration: u32,
    pub time_to_act: Sampler,
    pub success_p: f64,
    /// (total, midpoint h, spread h, handoff h).
    pub surge: Option<(f64, f64, f64, f64)>,
    /// Need-to-know agencies.
    pub ntk: Vec<usize>,
    /// Agencies responsible for acting.
    pub responders: Vec<usize>,
    /// A false item about it can exist (truth < 1, false reports or disinformation).
    pub can_be_false: bool,
}

/// Resolved trigger.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    At(f64),
    AfterInject(usize, f64),
    WhenMetric(MetricWatch, f64),
    Contingency(Cond, f64),
}

/// A watched per-tick metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricWatch {
    AgenciesInformed(usize),
    Backlog,
    HoursSinceDetection(usize),
    Withdrawals,
    LeakExposure,
}

/// A resolved condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cond {
    Detected(usize),
    Shared(usize),
    Acted(usize),
    InjectFired(usize),
}

/// A resolved inject effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Signal { threat: usize, at: usize },
    AgencyOutage(usize),
    ChannelOutage(usize),
    Degraded { agency: usize, factor: f64 },
    Withdrawal(usize),
    LegalHold(usize),
    ChannelCompromise(usize),
    InsiderAction(usize),
    PublicWarning { threat: usize, by: usize },
    FalseReport { threat: usize, at: usize },
    AdvanceDeadline { threat: usize, by: f64 },
    Note,
}

/// Static inject data.
#[derive(Debug, Clone)]
pub struct InjectStatic {
    pub id: String,
    pub number: u32,
    pub synopsis: String,
    pub trigger: Trigger,
    pub effect: Effect,
    pub p: f64,
    pub duration: Option<f64>,
    pub enabled: bool,
}

/// Resolved insider action.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InsiderAct {
    Leak,
    Exfiltration,
    Sabotage(f64),
    Disinformation(usize),
    TipOff(usize),
}

/// Static insider data.
#[derive(Debug, Clone)]
pub struct InsiderStatic {
    pub id: String,
    pub agency: usize,
    pub access_mult: f64,
    pub act: InsiderAct,
    /// Activation probability after vetting.
    pub activation_p: f64,
    pub start: f64,
    /// Precursors per hour.
    pub precursor_rate: f64,
    /// Probability a precursor is detected (report × monitoring).
    pub detect_p: f64,
    /// Hostile acts per hour.
    pub action_rate: f64,
}

/// How an objective is judged, resolved to a metric column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judge {
    Within(f64),
    AtLeast(f64),
    AtMost(f64),
}

/// Static objective data.
#[derive(Debug, Clone)]
pub struct ObjectiveStatic {
    pub metric: usize,
    pub judge: Judge,
}

/// What a metric column measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricKind {
    TimeToDetection(usize),
    TimeToFirstShare(usize),
    Coverage(usize, f64),
    FinalCoverage(usize),
    TimeToAction(usize),
    Resolved(usize),
    ProcessedWithinHandoff(usize),
    PeakUnsheltered(usize),
    RetractionTime(usize),
    TimeToPublicWarning(usize),
    InsiderDetectionTime(usize),
    Availability(usize),
    LeakExposure,
    BlockedButNeeded,
    BlockedBy(BlockReason),
    HandlingViolations,
    MinTrust,
    MeanTrust,
    Withdrawals,
    MeanQueueWait,
    PeakBacklog,
    Utilisation,
    ExpiredItems,
    ItemsDelivered,
}

/// Why a needed delivery was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BlockReason {
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
    pub const ALL: [BlockReason; 5] = [
        BlockReason::Clearance,
        BlockReason::Channel,
        BlockReason::Marking,
        BlockReason::Legal,
        BlockReason::Withdrawn,
    ];

    /// Column id suffix.
    pub fn id(self) -> &'static str {
        match self {
            BlockReason::Clearance => "clearance",
            BlockReason::Channel => "channel",
            BlockReason::Marking => "marking",
            BlockReason::Legal => "legal",
            BlockReason::Withdrawn => "withdrawn",
        }
    }

    /// Index in per-reason arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A driver flag's meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DriverSource {
    AgencyDown(usize),
    ChannelDown(usize),
    InsiderActed(usize),
    PartnershipLost(usize),
    InjectFired(usize),
    ThreatReal(usize),
}

/// The compiled model.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub dt: f64,
    pub ticks: u64,
    pub duration: f64,
    pub params: ModelSpec,
    pub equity_window: f64,
    pub agencies: Vec<AgencyStatic>,
    pub channels: Vec<ChannelStatic>,
    pub links: Vec<LinkStatic>,
    /// Links that carry benefits.
    pub benefit_links: Vec<usize>,
    /// Partnership ids, by partnership index.
    pub partnerships: Vec<String>,
    pub threats: Vec<ThreatStatic>,
    pub injects: Vec<InjectStatic>,
    pub insiders: Vec<InsiderStatic>,
    pub objectives: Vec<ObjectiveStatic>,
    pub metric_kinds: Vec<MetricKind>,
    pub drivers: Vec<DriverSource>,
    /// Record a series sample every this many ticks.
    pub series_stride: u64,
    pub catalog: Catalog,
    /// What the sharing loop reads per link, packed small (same order as `links`).
    pub hot_links: Vec<LinkHot>,
    /// The stream key of every random process (see [`StreamKeys`]).
    pub keys: StreamKeys,
}

/// The part of a link the sharing loop reads for every offer, packed into 16 bytes so that
/// offers the receiver does not want cost one cache line, not two structs.
#[derive(Debug, Clone, Copy)]
pub struct LinkHot {
    /// Base probability of offering an item, [0, 1].
    pub p0: f64,
    /// Receiving agency.
    pub to: u32,
    /// Threat kinds the receiver wants (needs, acts on, or relays as a hub), one bit per kind.
    pub relevant: u8,
    /// Threat kinds the receiver needs or acts on, one bit per kind.
    pub needed: u8,
}

/// FNV-1a keys of every random process's label (`"agency/<id>/collect"`, `"link/<p>/<a>/<b>"`,
/// …), computed once per scenario so a run seeds its streams without formatting labels.
#[derive(Debug, Clone, Default)]
pub struct StreamKeys {
    /// `agency/<id>/collect`, by agency.
    pub agency_collect: Vec<u64>,
    /// `agency/<id>/service`, by agency.
    pub agency_service: Vec<u64>,
    /// `agency/<id>/failure`, by agency.
    pub agency_failure: Vec<u64>,
    /// `channel/<id>`, by channel.
    pub channel: Vec<u64>,
    /// `link/<partnership>/<from>/<to>`, by link.
    pub link: Vec<u64>,
    /// `threat/<id>/signals`, by threat.
    pub threat_signals: Vec<u64>,
    /// `threat/<id>/response`, by threat.
    pub threat_response: Vec<u64>,
    /// `insider/<id>`, by insider.
    pub insider: Vec<u64>,
    /// `inject/<id>`, by inject.
    pub inject: Vec<u64>,
}

impl StreamKeys {
    fn of(c: &Compiled) -> StreamKeys {
        use super::rng::fnv1a;
        let per = |f: &dyn Fn(&AgencyStatic) -> String| -> Vec<u64> {
            c.agencies.iter().map(|a| fnv1a(&f(a))).collect()
        };
        StreamKeys {
            agency_collect: per(&|a| format!("agency/{}/collect", a.id)),
            agency_service: per(&|a| format!("agency/{}/service", a.id)),
            agency_failure: per(&|a| format!("agency/{}/failure", a.id)),
            channel: c
                .channels
                .iter()
                .map(|ch| fnv1a(&format!("channel/{}", ch.id)))
                .collect(),
            link: c
                .links
                .iter()
                .map(|l| {
                    fnv1a(&format!(
                        "link/{}/{}/{}",
                        c.partnerships[l.partnership], c.agencies[l.from].id, c.agencies[l.to].id
                    ))
                })
                .collect(),
            threat_signals: c
                .threats
                .iter()
                .map(|t| fnv1a(&format!("threat/{}/signals", t.id)))
                .collect(),
            threat_response: c
                .threats
                .iter()
                .map(|t| fnv1a(&format!("threat/{}/response", t.id)))
                .collect(),
            insider: c
                .insiders
                .iter()
                .map(|i| fnv1a(&format!("insider/{}", i.id)))
                .collect(),
            inject: c
                .injects
                .iter()
                .map(|i| fnv1a(&format!("inject/{}", i.id)))
                .collect(),
        }
    }
}

/// The packed per-link table the sharing loop reads.
fn hot_links(agencies: &[AgencyStatic], links: &[LinkStatic]) -> Vec<LinkHot> {
    links
        .iter()
        .map(|l| {
            let a = &agencies[l.to];
            let (mut relevant, mut needed) = (0u8, 0u8);
            for k in 0..KINDS {
                if a.needs[k] || a.acts_on[k] {
                    needed |= 1 << k;
                }
                if a.needs[k] || a.acts_on[k] || a.is_hub {
                    relevant |= 1 << k;
                }
            }
            LinkHot {
                p0: l.p0,
                to: l.to as u32,
                relevant,
                needed,
            }
        })
        .collect()
}

fn index_of<'a>(ids: impl Iterator<Item = &'a String>, id: &str) -> Option<usize> {
    ids.into_iter().position(|x| x == id)
}

fn vetting_mult(v: Vetting) -> f64 {
    match v {
        Vetting::None => 1.0,
        Vetting::Basic => 0.8,
        Vetting::Standard => 0.6,
        Vetting::Rigorous => 0.3,
    }
}

fn access_mult(a: Access) -> f64 {
    match a {
        Access::Clerk => 1.0,
        Access::Analyst => 5.0,
        Access::Privileged => 20.0,
        Access::Sysadmin => 100.0,
    }
}

fn is_hub(k: AgencyKind) -> bool {
    matches!(
        k,
        AgencyKind::FusionCenter
            | AgencyKind::RissCenter
            | AgencyKind::Jttf
            | AgencyKind::FederalComponent
            | AgencyKind::FederalLawEnforcement
            | AgencyKind::Isac
            | AgencyKind::Eoc
            | AgencyKind::IntelligenceCommunity
    )
}

/// Hours in a month of 30 days.
pub const MONTH_H: f64 = 720.0;

/// Largest number of series samples per run.
const MAX_SAMPLES: u64 = 240;

/// Compile a validated scenario. References are resolved by id; the validator guarantees they
/// exist, and an unresolvable one (impossible after validation) is dropped rather than
/// panicking.
pub fn compile(scn: &ValidScenario) -> Compiled {
    let s = &scn.spec;
    let dt = s.exercise.tick.hours().max(1e-6);
    let duration = s.exercise.duration.hours().max(dt);
    let ticks = (duration / dt).ceil() as u64;
    let agency_ix = |id: &str| index_of(s.agencies.iter().map(|a| &a.id), id);
    let channel_ix = |id: &str| index_of(s.channels.iter().map(|c| &c.id), id);
    let threat_ix = |id: &str| index_of(s.threats.iter().map(|t| &t.id), id);
    let inject_ix = |id: &str| index_of(s.injects.iter().map(|t| &t.id), id);
    let insider_ix = |id: &str| index_of(s.insiders.iter().map(|t| &t.id), id);
    let partnership_ix = |id: &str| index_of(s.partnerships.iter().map(|t| &t.id), id);

    let mut agencies: Vec<AgencyStatic> = s
        .agencies
        .iter()
        .map(|a| {
            let mut collection = [0.0; KINDS];
            for (k, p) in &a.collection {
                collection[kind_index(*k)] = *p;
            }
            let mut needs = [false; KINDS];
            for k in &a.needs {
                needs[kind_index(*k)] = true;
            }
            let mut acts_on = [false; KINDS];
            for k in &a.acts_on {
                acts_on[kind_index(*k)] = true;
            }
            AgencyStatic {
                id: a.id.clone(),
                name: a.name.clone(),
                kind: a.kind,
                clearance: a.clearance,
                analysts: a.analysts.max(1),
                service: Sampler::from_time(&a.service_time),
                collection,
                needs,
                acts_on,
                reliability: a.reliability.map(|r| (r.mtbf.hours(), r.mttr.hours())),
                vetting_mult: vetting_mult(a.vetting),
                monitoring: a.monitoring,
                compliance: a.handling_compliance,
                processing: a.processing.map(|p| (p.per_hour, p.shelter)),
                depends: a
                    .depends_on
                    .iter()
                    .filter_map(|d| Some((agency_ix(&d.partner)?, function_bit(d.function))))
                    .collect(),
                is_hub: is_hub(a.kind),
                out_links: vec![],
                depends_links: vec![],
            }
        })
        .collect();

    let channels: Vec<ChannelStatic> = s
        .channels
        .iter()
        .map(|c| ChannelStatic {
            id: c.id.clone(),
            name: c.name.clone(),
            max_class: c.max_class,
            latency: Sampler::from_time(&c.latency),
            reliability: c.reliability.map(|r| (r.mtbf.hours(), r.mttr.hours())),
        })
        .collect();

    let mut links: Vec<LinkStatic> = Vec::new();
    for (pi, p) in s.partnerships.iter().enumerate() {
        let (Some(a), Some(b)) = (agency_ix(&p.from), agency_ix(&p.to)) else {
            continue;
        };
        let benefits: Vec<Benefit> = p
            .benefits
            .iter()
            .map(|b| match b {
                BenefitSpec::ExtendedCollection {
                    threat,
                    probability,
                } => Benefit::Collection {
                    kind: kind_index(*threat),
                    p: *probability,
                },
                BenefitSpec::Technology { speedup } => Benefit::Technology {
                    speedup: speedup.clamp(0.0, 0.95),
                },
                BenefitSpec::RegionalKnowledge {
                    corroboration_relief,
                    screening_bonus,
                } => Benefit::Regional {
                    relief: *corroboration_relief,
                    screening: *screening_bonus,
                },
                BenefitSpec::ResourceAugmentation {
                    analysts,
                    processing_per_hour,
                    shelter,
                } => Benefit::Resources {
                    analysts: *analysts,
                    processing: *processing_per_hour,
                    shelter: *shelter,
                },
            })
            .collect();
        let mutual = p.direction == Direction::Mutual;
        let make = |from: usize, to: usize| LinkStatic {
            partnership: pi,
            from,
            to,
            reverse: None,
            agreement: p.agreement,
            channels: p.channels.iter().filter_map(|c| channel_ix(c)).collect(),
            trust0: p.trust,
            p0: p.share_probability,
            max_tlp: p.max_tlp,
            barriers: p
                .legal_barriers
                .iter()
                .map(|b| (b.block_probability, b.delay.hours(), b.min_class))
                .collect(),
            expected_equity: p.expected_equity.max(1e-6),
            withdraw_below: p.withdraw_below,
            benefits: benefits.clone(),
            mutual,
        };
        let i = links.len();
        links.push(make(a, b));
        if mutual {
            links.push(make(b, a));
            links[i].reverse = Some(i + 1);
            links[i + 1].reverse = Some(i);
        }
    }
    for (li, l) in links.iter().enumerate() {
        agencies[l.from].out_links.push(li);
    }
    for (a, agency) in agencies.iter_mut().enumerate() {
        let deps: Vec<(usize, u8, Vec<usize>)> = agency
            .depends
            .iter()
            .map(|&(p, bit)| {
                let ls = links
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.from == p && l.to == a)
                    .map(|(i, _)| i)
                    .collect();
                (p, bit, ls)
            })
            .collect();
        agency.depends_links = deps;
    }
    let benefit_links: Vec<usize> = (0..links.len())
        .filter(|&i| !links[i].benefits.is_empty())
        .collect();

    let threats: Vec<ThreatStatic> = s
        .threats
        .iter()
        .map(|t| {
            let k = kind_index(t.kind);
            let observers: Vec<usize> = if t.observed_by.is_empty() {
                (0..agencies.len())
                    .filter(|&i| agencies[i].collection[k] > 0.0)
                    .collect()
            } else {
                t.observed_by.iter().filter_map(|id| agency_ix(id)).collect()
            };
            let mut own_collection = vec![0.0; agencies.len()];
            for &a in &observers {
                own_collection[a] = agencies[a].collection[k];
            }
            let can_be_false = t.truth_probability < 1.0
                || s.injects.iter().any(|inj| {
                    matches!(&inj.effect, EffectSpec::FalseReport { threat, .. } if *threat == t.id)
                })
                || s.insiders.iter().any(
                    |ins| matches!(&ins.action, InsiderActionSpec::Disinformation(th) if *th == t.id),
                );
            ThreatStatic {
                id: t.id.clone(),
                name: t.name.clone(),
                kind: t.kind,
                kind_ix: k,
                truth_p: t.truth_probability,
                start: t.start.hours(),
                interval: Sampler::from_time(&t.signal_interval),
                own_collection,
                class: t.marking.class,
                tlp: t.marking.tlp,
                sensitivity: t.sensitivity,
                perish: t.perishability.map(|d| d.hours()),
                deadline: t.deadline.as_ref().map(Sampler::from_time),
                tipoff_advance: t.tipoff_advance.hours(),
                action: t.response.action,
                corroboration: t
                    .response
                    .corroboration
                    .unwrap_or(s.model.default_corroboration)
                    .max(1),
                time_to_act: Sampler::from_time(&t.response.time_to_act),
                success_p: t.response.success_probability,
                surge: t.surge.map(|g| {
                    (
                        g.total,
                        g.midpoint.hours(),
                        g.spread.hours().max(1e-6),
                        g.handoff.hours(),
                    )
                }),
                ntk: (0..agencies.len()).filter(|&i| agencies[i].needs[k]).collect(),
                responders: (0..agencies.len())
                    .filter(|&i| agencies[i].acts_on[k])
                    .collect(),
                can_be_false,
            }
        })
        .collect();

    let injects: Vec<InjectStatic> = s
        .injects
        .iter()
        .map(|inj| {
            let trigger = match &inj.trigger {
                TriggerSpec::At(d) => Trigger::At(d.hours()),
                TriggerSpec::AfterInject { inject, delay } => {
                    Trigger::AfterInject(inject_ix(inject).unwrap_or(usize::MAX), delay.hours())
                }
                TriggerSpec::WhenMetric { metric, at_least } => {
                    let w = match metric {
                        TriggerMetric::AgenciesInformed(t) => {
                            MetricWatch::AgenciesInformed(threat_ix(t).unwrap_or(usize::MAX))
                        }
                        TriggerMetric::Backlog => MetricWatch::Backlog,
                        TriggerMetric::HoursSinceDetection(t) => {
                            MetricWatch::HoursSinceDetection(threat_ix(t).unwrap_or(usize::MAX))
                        }
                        TriggerMetric::Withdrawals => MetricWatch::Withdrawals,
                        TriggerMetric::LeakExposure => MetricWatch::LeakExposure,
                    };
                    Trigger::WhenMetric(w, *at_least)
                }
                TriggerSpec::Contingency { unless, by } => {
                    let c = match unless {
                        Condition::Detected(t) => {
                            Cond::Detected(threat_ix(t).unwrap_or(usize::MAX))
                        }
                        Condition::Shared(t) => Cond::Shared(threat_ix(t).unwrap_or(usize::MAX)),
                        Condition::Acted(t) => Cond::Acted(threat_ix(t).unwrap_or(usize::MAX)),
                        Condition::InjectFired(i) => {
                            Cond::InjectFired(inject_ix(i).unwrap_or(usize::MAX))
                        }
                    };
                    Trigger::Contingency(c, by.hours())
                }
            };
            let ag = |id: &str| agency_ix(id).unwrap_or(usize::MAX);
            let effect = match &inj.effect {
                EffectSpec::Signal { threat, at } => Effect::Signal {
                    threat: threat_ix(threat).unwrap_or(usize::MAX),
                    at: ag(at),
                },
                EffectSpec::AgencyOutage(a) => Effect::AgencyOutage(ag(a)),
                EffectSpec::ChannelOutage(c) => {
                    Effect::ChannelOutage(channel_ix(c).unwrap_or(usize::MAX))
                }
                EffectSpec::DegradedCapacity { agency, factor } => Effect::Degraded {
                    agency: ag(agency),
                    factor: *factor,
                },
                EffectSpec::Withdrawal(p) => {
                    Effect::Withdrawal(partnership_ix(p).unwrap_or(usize::MAX))
                }
                EffectSpec::LegalHold(p) => {
                    Effect::LegalHold(partnership_ix(p).unwrap_or(usize::MAX))
                }
                EffectSpec::ChannelCompromise(c) => {
                    Effect::ChannelCompromise(channel_ix(c).unwrap_or(usize::MAX))
                }
                EffectSpec::InsiderAction(i) => {
                    Effect::InsiderAction(insider_ix(i).unwrap_or(usize::MAX))
                }
                EffectSpec::PublicWarning { threat, by } => Effect::PublicWarning {
                    threat: threat_ix(threat).unwrap_or(usize::MAX),
                    by: ag(by),
                },
                EffectSpec::FalseReport { threat, at } => Effect::FalseReport {
                    threat: threat_ix(threat).unwrap_or(usize::MAX),
                    at: ag(at),
                },
                EffectSpec::AdvanceDeadline { threat, by } => Effect::AdvanceDeadline {
                    threat: threat_ix(threat).unwrap_or(usize::MAX),
                    by: by.hours(),
                },
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
        .collect();

    let insiders: Vec<InsiderStatic> = s
        .insiders
        .iter()
        .filter_map(|i| {
            let agency = agency_ix(&i.agency)?;
            let act = match &i.action {
                InsiderActionSpec::Leak => InsiderAct::Leak,
                InsiderActionSpec::Exfiltration => InsiderAct::Exfiltration,
                InsiderActionSpec::Sabotage { outage } => InsiderAct::Sabotage(outage.hours()),
                InsiderActionSpec::Disinformation(t) => InsiderAct::Disinformation(threat_ix(t)?),
                InsiderActionSpec::TipOff(t) => InsiderAct::TipOff(threat_ix(t)?),
            };
            Some(InsiderStatic {
                id: i.id.clone(),
                agency,
                access_mult: access_mult(i.access),
                act,
                activation_p: i.activation_probability * agencies[agency].vetting_mult,
                start: i.start.hours(),
                precursor_rate: i.precursors_per_month / MONTH_H,
                detect_p: i.report_probability * agencies[agency].monitoring,
                action_rate: i.actions_per_month / MONTH_H,
            })
        })
        .collect();

    // ---- catalog -------------------------------------------------------------------------
    let mut cat = CatalogBuilder::default();
    for (ti, t) in threats.iter().enumerate() {
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
        cat.push(
            format!("resolved.{id}"),
            format!("Resolved before harm: {name}"),
            "0/1",
            MetricKind::Resolved(ti),
        );
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
        }
        if t.can_be_false {
            cat.push(
                format!("retraction_time.{id}"),
                format!("Time from first false share to retraction: {name}"),
                "h",
                MetricKind::RetractionTime(ti),
            );
        }
    }
    for (ii, ins) in insiders.iter().enumerate() {
        cat.push(
            format!("insider_detection_time.{}", ins.id),
            format!("Time from activation to detection: insider {}", ins.id),
            "h",
            MetricKind::InsiderDetectionTime(ii),
        );
    }
    cat.push(
        "leak_exposure".into(),
        "Leak exposure (Σ sensitivity × documents)".into(),
        "exposure",
        MetricKind::LeakExposure,
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
                MetricKind::Availability(ai),
            );
        }
    }

    let mut objectives = Vec::new();
    let mut objective_defs = Vec::new();
    for o in &s.objectives {
        let th = |id: &str| threat_ix(id).unwrap_or(0);
        let (metric, what) = match &o.metric {
            MetricSpec::TimeToDetection(t) => (
                cat.push(
                    format!("time_to_detection.{t}"),
                    String::new(),
                    "h",
                    MetricKind::TimeToDetection(th(t)),
                ),
                "time to detection",
            ),
            MetricSpec::TimeToFirstShare(t) => (
                cat.push(
                    format!("time_to_first_share.{t}"),
                    String::new(),
                    "h",
                    MetricKind::TimeToFirstShare(th(t)),
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
                            threats
                                .get(th(threat))
                                .map(|t| t.name.as_str())
                                .unwrap_or("")
                        ),
                        "share",
                        MetricKind::Coverage(th(threat), w),
                    ),
                    "coverage",
                )
            }
            MetricSpec::TimeToAction(t) => (
                cat.push(
                    format!("time_to_action.{t}"),
                    String::new(),
                    "h",
                    MetricKind::TimeToAction(th(t)),
                ),
                "time to action",
            ),
            MetricSpec::Resolved(t) => (
                cat.push(
                    format!("resolved.{t}"),
                    String::new(),
                    "0/1",
                    MetricKind::Resolved(th(t)),
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
                    MetricKind::ProcessedWithinHandoff(th(t)),
                ),
                "processed within hand-off",
            ),
            MetricSpec::PeakUnsheltered(t) => (
                cat.push(
                    format!("peak_unsheltered.{t}"),
                    String::new(),
                    "people",
                    MetricKind::PeakUnsheltered(th(t)),
                ),
                "peak unsheltered",
            ),
            MetricSpec::RetractionTime(t) => (
                cat.push(
                    format!("retraction_time.{t}"),
                    String::new(),
                    "h",
                    MetricKind::RetractionTime(th(t)),
                ),
                "retraction time",
            ),
            MetricSpec::TimeToPublicWarning(t) => (
                cat.push(
                    format!("time_to_public_warning.{t}"),
                    format!(
                        "Time to public warning: {}",
                        threats.get(th(t)).map(|x| x.name.as_str()).unwrap_or("")
                    ),
                    "h",
                    MetricKind::TimeToPublicWarning(th(t)),
                ),
                "time to public warning",
            ),
            MetricSpec::InsiderDetectionTime(i) => (
                cat.push(
                    format!("insider_detection_time.{i}"),
                    String::new(),
                    "h",
                    MetricKind::InsiderDetectionTime(insider_ix(i).unwrap_or(0)),
                ),
                "insider detection time",
            ),
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
            metric: cat.metrics[metric].id.clone(),
            thresholds: [o.ratings.p, o.ratings.s, o.ratings.m],
        });
    }

    // ---- drivers ---------------------------------------------------------------------------
    let mut drivers = Vec::new();
    let mut driver_defs = Vec::new();
    let scripted_agency = |ai: usize| {
        injects.iter().any(|i| {
            i.enabled
                && matches!(i.effect, Effect::AgencyOutage(a) | Effect::Degraded { agency: a, .. } if a == ai)
        })
    };
    for (ai, a) in agencies.iter().enumerate() {
        if a.reliability.is_some() || scripted_agency(ai) {
            drivers.push(DriverSource::AgencyDown(ai));
            driver_defs.push(DriverDef {
                id: format!("outage.{}", a.id),
                label: format!("{} down or degraded", a.name),
                kind: DriverKind::PartnerFailure,
            });
        }
    }
    for (ci, c) in channels.iter().enumerate() {
        let scripted = injects.iter().any(|i| {
            i.enabled
                && matches!(i.effect, Effect::ChannelOutage(x) | Effect::ChannelCompromise(x) if x == ci)
        });
        if c.reliability.is_some() || scripted {
            drivers.push(DriverSource::ChannelDown(ci));
            driver_defs.push(DriverDef {
                id: format!("channel.{}", c.id),
                label: format!("{} down or compromised", c.name),
                kind: DriverKind::PartnerFailure,
            });
        }
    }
    for (ii, ins) in insiders.iter().enumerate() {
        drivers.push(DriverSource::InsiderActed(ii));
        driver_defs.push(DriverDef {
            id: format!("insider.{}", ins.id),
            label: format!("Insider {} acted", ins.id),
            kind: DriverKind::InsiderAction,
        });
    }
    for (pi, p) in s.partnerships.iter().enumerate() {
        drivers.push(DriverSource::PartnershipLost(pi));
        driver_defs.push(DriverDef {
            id: format!("partnership.{}", p.id),
            label: format!("Partnership {} withdrawn or held", p.id),
            kind: DriverKind::PartnershipLoss,
        });
    }
    for (ii, inj) in injects.iter().enumerate() {
        // A contingency or metric-triggered inject fires *because* play went wrong: it is
        // flagged as a consequence (kept out of root causes), not as a driver.
        let consequence = matches!(
            inj.trigger,
            Trigger::Contingency(..) | Trigger::WhenMetric(..)
        );
        if inj.enabled && (inj.p < 1.0 || consequence) {
            let short: String = inj.synopsis.chars().take(60).collect();
            let ell = if inj.synopsis.chars().count() > 60 {
                "…"
            } else {
                ""
            };
            drivers.push(DriverSource::InjectFired(ii));
            driver_defs.push(DriverDef {
                id: format!("inject.{}", inj.id),
                label: format!("Inject {} ({short}{ell})", inj.number),
                kind: if consequence {
                    DriverKind::Consequence
                } else {
                    DriverKind::Inject
                },
            });
        }
    }
    for (ti, t) in threats.iter().enumerate() {
        if t.truth_p > 0.0 && t.truth_p < 1.0 {
            drivers.push(DriverSource::ThreatReal(ti));
            driver_defs.push(DriverDef {
                id: format!("real.{}", t.id),
                label: format!("{} was real", t.name),
                kind: DriverKind::ThreatReal,
            });
        }
    }

    // ---- series ----------------------------------------------------------------------------
    let n_agencies = agencies.len() as f64;
    let mut series = vec![
        SeriesDef {
            id: "agencies_informed".into(),
            label: "Agencies informed".into(),
            unit: "agencies".into(),
            max: Some(n_agencies),
        },
        SeriesDef {
            id: "items_in_flight".into(),
            label: "Items in flight".into(),
            unit: "items".into(),
            max: None,
        },
        SeriesDef {
            id: "backlog".into(),
            label: "Analyst backlog".into(),
            unit: "items".into(),
            max: None,
        },
        SeriesDef {
            id: "mean_trust".into(),
            label: "Mean partner trust".into(),
            unit: "trust".into(),
            max: Some(1.0),
        },
        SeriesDef {
            id: "agencies_up".into(),
            label: "Partners up".into(),
            unit: "agencies".into(),
            max: Some(n_agencies),
        },
    ];
    if threats.iter().any(|t| t.surge.is_some()) {
        series.push(SeriesDef {
            id: "people_waiting".into(),
            label: "People waiting to be processed".into(),
            unit: "people".into(),
            max: None,
        });
    }
    let series_stride = ticks.div_ceil(MAX_SAMPLES).max(1);
    let series_times: Vec<f64> = (0..ticks)
        .step_by(series_stride as usize)
        .map(|k| (k + 1) as f64 * dt)
        .collect();
    let inject_times = injects
        .iter()
        .filter_map(|i| match i.trigger {
            Trigger::At(t) if i.enabled => Some((i.id.clone(), t)),
            _ => None,
        })
        .collect();
    let CatalogBuilder { metrics, kinds } = cat;
    let catalog = Catalog {
        metrics,
        objectives: objective_defs,
        drivers: driver_defs,
        series,
        series_times,
        links: links
            .iter()
            .map(|l| LinkDef {
                partnership: s.partnerships[l.partnership].id.clone(),
                from: agencies[l.from].id.clone(),
                to: agencies[l.to].id.clone(),
            })
            .collect(),
        inject_times,
    };
    let mut compiled = Compiled {
        hot_links: hot_links(&agencies, &links),
        keys: StreamKeys::default(),
        dt,
        ticks,
        duration,
        equity_window: s.model.equity_window.hours().max(dt),
        params: s.model.clone(),
        agencies,
        channels,
        links,
        benefit_links,
        partnerships: s.partnerships.iter().map(|p| p.id.clone()).collect(),
        threats,
        injects,
        insiders,
        objectives,
        metric_kinds: kinds,
        drivers,
        series_stride,
        catalog,
    };
    compiled.keys = StreamKeys::of(&compiled);
    compiled
}

/// Metric definitions being collected, with what each measures.
#[derive(Default)]
struct CatalogBuilder {
    metrics: Vec<MetricDef>,
    kinds: Vec<MetricKind>,
}

impl CatalogBuilder {
    /// Add a metric (or find the one with this id) and return its column.
    fn push(&mut self, id: String, label: String, unit: &str, k: MetricKind) -> usize {
        if let Some(i) = self.metrics.iter().position(|m| m.id == id) {
            return i;
        }
        self.metrics.push(MetricDef {
            id,
            label,
            unit: unit.to_string(),
        });
        self.kinds.push(k);
        self.metrics.len() - 1
    }
}

/// A number as short text: `12`, `0.5`, `1.25`.
pub fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
