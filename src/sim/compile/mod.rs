//! The static part of a model, compiled once per scenario (and variant): references taken as
//! indices from validation, times converted to hours, distributions to samplers, and the
//! outcome [`Catalog`].
//!
//! [`compile`] reads as the order things are built in: agencies, channels, partnership links
//! (which then wire themselves into their agencies), threats, injects, insiders, metric
//! columns and objectives, the catalog, and finally the packed tables the hot loops read.

mod agencies;
mod catalog;
mod channels;
mod injects;
mod insiders;
mod objectives;
mod partnerships;
mod rules;
mod streams;
mod threats;

pub(crate) use agencies::{AgencyStatic, Processing, default_compliance};
pub(crate) use catalog::DriverSource;
pub(crate) use channels::ChannelStatic;
pub(crate) use injects::{Arrival, Cond, Effect, InjectStatic, MetricWatch, Mile, Trigger};
pub(crate) use insiders::{InsiderAct, InsiderStatic};
pub(crate) use objectives::{BlockReason, Judge, MetricKind, ObjectiveStatic, ViolationKind};
pub(crate) use partnerships::{Barrier, Benefit, LinkStatic, agreement_violation_mult};
#[cfg(test)]
pub(crate) use rules::violation_probability;
pub(crate) use rules::{broken_rules, is_legal_finding, reshare_breach};
pub(crate) use streams::{LinkSend, SendTables, StreamKeys};
pub(crate) use threats::{Marking, Outage, Surge, ThreatStatic, TipOff};

use super::outcome::Catalog;
use crate::ids::LinkIx;
use crate::scenario::ValidScenario;
use crate::scenario::schema::{Function, ModelSpec, ReliabilitySpec, ThreatKind};

/// Number of threat kinds (size of per-kind arrays).
pub(crate) const KINDS: usize = 6;

/// Index of a threat kind in per-kind arrays, `0..KINDS`.
pub(crate) fn kind_index(k: ThreatKind) -> usize {
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
pub(crate) fn function_bit(f: Function) -> u8 {
    match f {
        Function::Collection => 1,
        Function::Analysis => 2,
        Function::Dissemination => 4,
        Function::Action => 8,
    }
}

/// An alternating up/down failure process (an agency's or a channel's), both phases
/// exponentially distributed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reliability {
    /// Mean time between failures (mean up time) [h], > 0.
    pub(crate) mtbf_h: f64,
    /// Mean time to repair (mean down time) [h], > 0.
    pub(crate) mttr_h: f64,
}

impl Reliability {
    fn of(r: &ReliabilitySpec) -> Reliability {
        Reliability {
            mtbf_h: r.mtbf.hours(),
            mttr_h: r.mttr.hours(),
        }
    }
}

/// The compiled model: everything a run reads and never changes.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// Tick length [h], > 0.
    pub(crate) dt: f64,
    /// Ticks per run (the duration divided by the tick, rounded up).
    pub(crate) ticks: u64,
    /// Exercise duration [h], ≥ `dt`.
    pub(crate) duration: f64,
    /// The scenario's model parameters, as written.
    pub(crate) params: ModelSpec,
    /// Ticks in the review window over which partners judge the equity of an exchange and
    /// the usefulness of what they received: the model's `equity_window` (at least `dt`) over
    /// `dt`, rounded, ≥ 1 (the Trust phase reviews at the end of every such run of ticks).
    pub(crate) review_ticks: u64,
    /// Age beyond which a received item is stale [h], > 0.
    pub(crate) timely_within: f64,
    /// Agencies, in scenario order (indexed by [`crate::ids::AgencyIx`]).
    pub(crate) agencies: Vec<AgencyStatic>,
    /// Channels, in scenario order (indexed by [`crate::ids::ChannelIx`]).
    pub(crate) channels: Vec<ChannelStatic>,
    /// Directed links, in partnership order; a mutual partnership gives two adjacent links
    /// (indexed by [`LinkIx`]).
    pub(crate) links: Vec<LinkStatic>,
    /// Links that carry benefits, ascending.
    pub(crate) benefit_links: Vec<LinkIx>,
    /// Partnership ids, by [`crate::ids::PartnershipIx`].
    pub(crate) partnerships: Vec<String>,
    /// Threats and hazards, in scenario order (indexed by [`crate::ids::ThreatIx`]).
    pub(crate) threats: Vec<ThreatStatic>,
    /// Injects, in scenario order (indexed by [`crate::ids::InjectIx`]).
    pub(crate) injects: Vec<InjectStatic>,
    /// Insiders, in scenario order (indexed by [`crate::ids::InsiderIx`]).
    pub(crate) insiders: Vec<InsiderStatic>,
    /// Objectives, in scenario order.
    pub(crate) objectives: Vec<ObjectiveStatic>,
    /// What each metric column measures, parallel to `catalog.metrics` (indexed by
    /// [`crate::ids::MetricIx`]).
    pub(crate) metric_kinds: Vec<MetricKind>,
    /// What each driver flag means, parallel to `catalog.drivers`.
    pub(crate) drivers: Vec<DriverSource>,
    /// Record a series sample every this many ticks, ≥ 1.
    pub(crate) series_stride: u64,
    /// What every outcome of this model contains.
    pub(crate) catalog: Catalog,
    /// What the sharing loop reads, packed small (see [`SendTables`]).
    pub(crate) send: SendTables,
    /// The stream key of every random process (see [`StreamKeys`]).
    pub(crate) keys: StreamKeys,
    /// Enabled injects with a `FirstOffer` trigger, ascending (the sharing loop trips them).
    pub(crate) offer_trips: Vec<crate::ids::InjectIx>,
    /// Some metric reads a link's first delivery per threat ([`MetricKind::FirstItemCarried`]
    /// of a threat), so deliveries note it.
    pub(crate) first_by_threat: bool,
}

/// Compile a validated scenario. Every reference comes resolved from validation
/// (`ValidScenario::refs`); one that names nothing (impossible after validation) is dropped
/// rather than panicking.
pub(crate) fn compile(scn: &ValidScenario) -> Compiled {
    let s = &scn.spec;
    let refs = &scn.refs;
    let dt = s.exercise.tick.hours().max(1e-6);
    let duration = s.exercise.duration.hours().max(dt);
    let ticks = (duration / dt).ceil() as u64;

    let mut agencies = agencies::agencies(&s.agencies, &refs.agencies);
    let channels = channels::channels(&s.channels);
    let links = partnerships::links(&s.partnerships, &refs.partnerships);
    partnerships::wire(&mut agencies, &links);
    let benefit_links = partnerships::benefit_links(&links);
    let mut threats = threats::threats(s, refs, &agencies);
    let injects = injects::injects(&s.injects, &refs.injects);
    let insiders = insiders::insiders(&s.insiders, &refs.insiders, &agencies);

    let mut metrics = objectives::standard_metrics(&agencies, &threats, &insiders);
    let objectives =
        objectives::objectives(&s.objectives, &refs.objectives, &mut threats, &mut metrics);
    let (drivers, driver_defs) = catalog::drivers(
        &agencies,
        &channels,
        &s.partnerships,
        &threats,
        &injects,
        &insiders,
    );
    let series_stride = catalog::series_stride(ticks);
    let (catalog, metric_kinds) = catalog::catalog(catalog::Parts {
        metrics,
        objectives: objectives.defs,
        drivers: driver_defs,
        agencies: &agencies,
        links: &links,
        partnerships: &s.partnerships,
        threats: &threats,
        injects: &injects,
        dt,
        ticks,
        series_stride,
    });

    let mut catalog = catalog;
    catalog.observed = observed_defs(&s.observed);
    let offer_trips = injects
        .iter()
        .enumerate()
        .filter(|(_, x)| x.enabled && matches!(x.trigger, Trigger::FirstOffer { .. }))
        .map(|(i, _)| crate::ids::InjectIx::new(i))
        .collect();
    let mut compiled = Compiled {
        offer_trips,
        send: streams::send_tables(&agencies, &links, &threats),
        keys: StreamKeys::default(),
        dt,
        ticks,
        duration,
        review_ticks: (s.model.equity_window.hours().max(dt) / dt)
            .round()
            .max(1.0) as u64,
        timely_within: s.model.timely_within.hours(),
        params: s.model.clone(),
        agencies,
        channels,
        links,
        benefit_links,
        partnerships: s.partnerships.iter().map(|p| p.id.clone()).collect(),
        threats,
        injects,
        insiders,
        objectives: objectives.statics,
        first_by_threat: metric_kinds.iter().any(
            |m| matches!(m, MetricKind::FirstItemCarried { threat, .. } if threat.get().is_some()),
        ),
        metric_kinds,
        drivers,
        series_stride,
        catalog,
    };
    compiled.keys = StreamKeys::of(&compiled);
    compiled
}

/// The scenario's observed values, for the catalog.
fn observed_defs(specs: &[crate::scenario::schema::ObservedSpec]) -> Vec<crate::sim::ObservedDef> {
    use crate::scenario::schema::ObservedValue as V;
    use crate::sim::ObservedKind as K;
    specs
        .iter()
        .map(|o| crate::sim::ObservedDef {
            id: o.id.clone(),
            description: o.description.clone(),
            metric: o.metric.clone(),
            kind: match o.value {
                V::Value(_) | V::Time(_) => K::Value,
                V::AtLeast(_) | V::AtLeastTime(_) => K::AtLeast,
                V::AtMost(_) | V::AtMostTime(_) => K::AtMost,
                V::Never => K::Never,
            },
            value: o.value.number(),
            source: o.source.clone(),
            note: o.note.clone(),
        })
        .collect()
}

/// A number as short text: `12`, `0.5`, `1.25`.
pub(crate) fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
