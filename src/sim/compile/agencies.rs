//! Agencies: capacity, collection, needs, reliability, dependencies.

use super::{KINDS, Reliability, function_bit, kind_index};
use crate::ids::{AgencyIx, LinkIx};
use crate::scenario::schema::{AgencyKind, AgencySpec, Classification, Vetting};
use crate::scenario::validate::AgencyRefs;
use crate::sim::rng::Sampler;

/// Static agency data.
#[derive(Debug, Clone)]
pub(crate) struct AgencyStatic {
    /// Scenario id.
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// Kind of organisation.
    pub(crate) kind: AgencyKind,
    /// Highest classification it may hold.
    pub(crate) clearance: Classification,
    /// Its organisation for TLP:AMBER+STRICT: agencies with equal values are one
    /// organisation. The index of the first agency naming the same organisation, or its own
    /// index when it names none.
    pub(crate) org: u32,
    /// Analysts working its queue, ≥ 1.
    pub(crate) analysts: u32,
    /// Time one analyst takes to process an item [h].
    pub(crate) service: Sampler,
    /// Probability of observing a signal directly, per threat kind, [0, 1].
    pub(crate) collection: [f64; KINDS],
    /// Needs to know about each threat kind.
    pub(crate) needs: [bool; KINDS],
    /// Acts on each threat kind.
    pub(crate) acts_on: [bool; KINDS],
    /// Its own failure process, if it has one.
    pub(crate) reliability: Option<Reliability>,
    /// Insider activation multiplier from its vetting, (0, 1].
    pub(crate) vetting_mult: f64,
    /// Insider monitoring, [0, 1]: scales the chance a reported precursor is detected.
    pub(crate) monitoring: f64,
    /// Probability it respects an item's marking or agreement when passing it on, [0, 1],
    /// before its vetting, an agreement or joint training move it (the scenario's value or
    /// the default of its kind, [`default_compliance`]).
    pub(crate) compliance: f64,
    /// Multiplier of its non-compliance from its vetting, > 0 ([`vetting_violation_mult`]).
    pub(crate) vetting_violation_mult: f64,
    /// Discrimination d′ its analysts add to the model's base when judging items, [0, 10].
    pub(crate) analysis_quality: f64,
    /// Surge processing capacity, if it has some.
    pub(crate) processing: Option<Processing>,
    /// What it depends on partners for.
    pub(crate) depends: Vec<Dependency>,
    /// Relays items it does not itself need (fusion centers, JTTFs, federal hubs, ISACs, EOCs).
    pub(crate) is_hub: bool,
    /// Outgoing directed links, ascending.
    pub(crate) out_links: Vec<LinkIx>,
    /// Links into it (filled by `partnerships::wire`), ascending.
    pub(crate) in_links: Vec<LinkIx>,
    /// Its dependencies with the links from each partner to it, parallel to `depends`.
    pub(crate) depends_links: Vec<DependencyLinks>,
    /// Restoration crews it has on hand [workers], ≥ 0.
    pub(crate) crews: f64,
    /// Not in play until an `Arrival` inject brings it.
    pub(crate) arrives: bool,
}

/// Surge-processing capacity of an agency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Processing {
    /// People processed per hour once activated [people/h], ≥ 0.
    pub(crate) per_hour: f64,
    /// Shelter or holding places [people], ≥ 0.
    pub(crate) shelter: f64,
}

/// A function an agency loses while a partner is down or withdrawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dependency {
    /// The partner depended upon.
    pub(crate) partner: AgencyIx,
    /// The function lost, as a bit of a lost-functions mask (see [`function_bit`]).
    pub(crate) function: u8,
    /// Fraction of the function lost, (0, 1] (1: the whole function, the bit is set).
    pub(crate) degree: f64,
}

/// A [`Dependency`] with the links that carry it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DependencyLinks {
    /// The partner depended upon.
    pub(crate) partner: AgencyIx,
    /// The function lost, as a bit of a lost-functions mask (see [`function_bit`]).
    pub(crate) function: u8,
    /// Fraction of the function lost, (0, 1].
    pub(crate) degree: f64,
    /// The links from the partner to the dependent agency, ascending.
    pub(crate) links: Vec<LinkIx>,
}

/// Insider activation multiplier of a vetting level.
fn vetting_mult(v: Vetting) -> f64 {
    match v {
        Vetting::None => 1.0,
        Vetting::Basic => 0.8,
        Vetting::Standard => 0.6,
        Vetting::Rigorous => 0.3,
    }
}

/// Default handling compliance of an agency kind, [0, 1] [G] (docs/model.md §5): the
/// probability it honours a marking or agreement an item carries when passing it on.
pub(crate) fn default_compliance(k: AgencyKind) -> f64 {
    match k {
        AgencyKind::IntelligenceCommunity => 0.99,
        AgencyKind::Jttf | AgencyKind::FederalLawEnforcement | AgencyKind::Military => 0.98,
        AgencyKind::FederalComponent | AgencyKind::RissCenter => 0.97,
        AgencyKind::FusionCenter | AgencyKind::Isac | AgencyKind::International => 0.95,
        AgencyKind::Eoc | AgencyKind::SlttLawEnforcement | AgencyKind::CriticalInfrastructure => {
            0.93
        }
        AgencyKind::SlttGovernment | AgencyKind::PrivateSector | AgencyKind::Academia => 0.90,
        AgencyKind::Ngo => 0.85,
        AgencyKind::Public => 0.5,
    }
}

/// Multiplier of the non-compliance (1 − compliance) of an agency's people from its vetting
/// [G]: vetted, continuously evaluated staff mishandle less.
pub(crate) fn vetting_violation_mult(v: Vetting) -> f64 {
    match v {
        Vetting::None => 1.5,
        Vetting::Basic => 1.2,
        Vetting::Standard => 1.0,
        Vetting::Rigorous => 0.6,
    }
}

/// Kinds that relay items they do not themselves need.
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

/// The agencies, in scenario order; `out_links` and `depends_links` stay empty until the
/// links are wired in later, by the partnership step of `compile`.
pub(super) fn agencies(specs: &[AgencySpec], refs: &[AgencyRefs]) -> Vec<AgencyStatic> {
    specs
        .iter()
        .zip(refs)
        .map(|(a, r)| {
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
                org: 0,
                analysts: a.analysts.max(1),
                service: Sampler::from_time(&a.service_time),
                collection,
                needs,
                acts_on,
                reliability: a.reliability.as_ref().map(Reliability::of),
                vetting_mult: vetting_mult(a.vetting),
                monitoring: a.monitoring,
                compliance: a
                    .handling_compliance
                    .unwrap_or_else(|| default_compliance(a.kind)),
                vetting_violation_mult: vetting_violation_mult(a.vetting),
                analysis_quality: a.analysis_quality,
                processing: a.processing.map(|p| Processing {
                    per_hour: p.per_hour,
                    shelter: p.shelter,
                }),
                depends: a
                    .depends_on
                    .iter()
                    .zip(&r.depends_on)
                    .filter_map(|(d, &partner)| {
                        Some(Dependency {
                            partner: partner?,
                            function: function_bit(d.function),
                            degree: d.degree.clamp(0.0, 1.0),
                        })
                    })
                    .collect(),
                is_hub: is_hub(a.kind),
                out_links: vec![],
                in_links: vec![],
                depends_links: vec![],
                crews: f64::from(a.crews),
                arrives: a.arrives,
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, mut ag)| {
            let o = specs[i].organisation.as_ref();
            ag.org = o
                .and_then(|o| {
                    specs
                        .iter()
                        .position(|x| x.organisation.as_ref() == Some(o))
                })
                .unwrap_or(i) as u32;
            ag
        })
        .collect()
}
