//! Agencies: capacity, collection, needs, reliability, dependencies.

use super::{KINDS, Reliability, function_bit, kind_index};
use crate::ids::{AgencyIx, LinkIx};
use crate::scenario::schema::{AgencyKind, AgencySpec, Classification, Vetting};
use crate::scenario::validate::AgencyRefs;
use crate::sim::rng::Sampler;

/// Static agency data.
#[derive(Debug, Clone)]
pub struct AgencyStatic {
    /// Scenario id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of organisation.
    pub kind: AgencyKind,
    /// Highest classification it may hold.
    pub clearance: Classification,
    /// Analysts working its queue, ≥ 1.
    pub analysts: u32,
    /// Time one analyst takes to process an item [h].
    pub service: Sampler,
    /// Probability of observing a signal directly, per threat kind, [0, 1].
    pub collection: [f64; KINDS],
    /// Needs to know about each threat kind.
    pub needs: [bool; KINDS],
    /// Acts on each threat kind.
    pub acts_on: [bool; KINDS],
    /// Its own failure process, if it has one.
    pub reliability: Option<Reliability>,
    /// Insider activation multiplier from its vetting, (0, 1].
    pub vetting_mult: f64,
    /// Insider monitoring, [0, 1]: scales the chance a reported precursor is detected.
    pub monitoring: f64,
    /// Probability it respects an item's marking or agreement when passing it on, [0, 1].
    pub compliance: f64,
    /// Discrimination d′ its analysts add to the model's base when judging items, [0, 10].
    pub analysis_quality: f64,
    /// Surge processing capacity, if it has some.
    pub processing: Option<Processing>,
    /// What it depends on partners for.
    pub depends: Vec<Dependency>,
    /// Relays items it does not itself need (fusion centers, JTTFs, federal hubs, ISACs, EOCs).
    pub is_hub: bool,
    /// Outgoing directed links, ascending.
    pub out_links: Vec<LinkIx>,
    /// Its dependencies with the links from each partner to it, parallel to `depends`.
    pub depends_links: Vec<DependencyLinks>,
}

/// Surge-processing capacity of an agency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Processing {
    /// People processed per hour once activated [people/h], ≥ 0.
    pub per_hour: f64,
    /// Shelter or holding places [people], ≥ 0.
    pub shelter: f64,
}

/// A function an agency loses while a partner is down or withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    /// The partner depended upon.
    pub partner: AgencyIx,
    /// The function lost, as a bit of a lost-functions mask (see [`function_bit`]).
    pub function: u8,
}

/// A [`Dependency`] with the links that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyLinks {
    /// The partner depended upon.
    pub partner: AgencyIx,
    /// The function lost, as a bit of a lost-functions mask (see [`function_bit`]).
    pub function: u8,
    /// The links from the partner to the dependent agency, ascending.
    pub links: Vec<LinkIx>,
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
/// links are wired in ([`super::partnerships::wire`]).
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
                analysts: a.analysts.max(1),
                service: Sampler::from_time(&a.service_time),
                collection,
                needs,
                acts_on,
                reliability: a.reliability.as_ref().map(Reliability::of),
                vetting_mult: vetting_mult(a.vetting),
                monitoring: a.monitoring,
                compliance: a.handling_compliance,
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
                        })
                    })
                    .collect(),
                is_hub: is_hub(a.kind),
                out_links: vec![],
                depends_links: vec![],
            }
        })
        .collect()
}
