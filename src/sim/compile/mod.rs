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
mod streams;
mod threats;

pub use agencies::{AgencyStatic, Processing};
pub use catalog::DriverSource;
pub use channels::ChannelStatic;
pub use injects::{Cond, Effect, InjectStatic, MetricWatch, Trigger};
pub use insiders::{InsiderAct, InsiderStatic};
pub use objectives::{BlockReason, Judge, MetricKind, ObjectiveStatic, ViolationKind};
pub use partnerships::{Barrier, Benefit, LinkStatic};
pub use streams::{LinkHot, StreamKeys};
pub use threats::{Surge, ThreatStatic, TipOff};

use super::outcome::Catalog;
use crate::ids::LinkIx;
use crate::scenario::ValidScenario;
use crate::scenario::schema::{Function, ModelSpec, ReliabilitySpec, ThreatKind};

/// Number of threat kinds (size of per-kind arrays).
pub const KINDS: usize = 6;

/// Index of a threat kind in per-kind arrays, `0..KINDS`.
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

/// An alternating up/down failure process (an agency's or a channel's), both phases
/// exponentially distributed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reliability {
    /// Mean time between failures (mean up time) [h], > 0.
    pub mtbf_h: f64,
    /// Mean time to repair (mean down time) [h], > 0.
    pub mttr_h: f64,
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
pub struct Compiled {
    /// Tick length [h], > 0.
    pub dt: f64,
    /// Ticks per run (the duration divided by the tick, rounded up).
    pub ticks: u64,
    /// Exercise duration [h], ≥ `dt`.
    pub duration: f64,
    /// The scenario's model parameters, as written.
    pub params: ModelSpec,
    /// Window over which partners judge the equity of an exchange [h], ≥ `dt`.
    pub equity_window: f64,
    /// Agencies, in scenario order (indexed by [`crate::ids::AgencyIx`]).
    pub agencies: Vec<AgencyStatic>,
    /// Channels, in scenario order (indexed by [`crate::ids::ChannelIx`]).
    pub channels: Vec<ChannelStatic>,
    /// Directed links, in partnership order; a mutual partnership gives two adjacent links
    /// (indexed by [`LinkIx`]).
    pub links: Vec<LinkStatic>,
    /// Links that carry benefits, ascending.
    pub benefit_links: Vec<LinkIx>,
    /// Partnership ids, by [`crate::ids::PartnershipIx`].
    pub partnerships: Vec<String>,
    /// Threats and hazards, in scenario order (indexed by [`crate::ids::ThreatIx`]).
    pub threats: Vec<ThreatStatic>,
    /// Injects, in scenario order (indexed by [`crate::ids::InjectIx`]).
    pub injects: Vec<InjectStatic>,
    /// Insiders, in scenario order (indexed by [`crate::ids::InsiderIx`]).
    pub insiders: Vec<InsiderStatic>,
    /// Objectives, in scenario order.
    pub objectives: Vec<ObjectiveStatic>,
    /// What each metric column measures, parallel to `catalog.metrics` (indexed by
    /// [`crate::ids::MetricIx`]).
    pub metric_kinds: Vec<MetricKind>,
    /// What each driver flag means, parallel to `catalog.drivers`.
    pub drivers: Vec<DriverSource>,
    /// Record a series sample every this many ticks, ≥ 1.
    pub series_stride: u64,
    /// What every outcome of this model contains.
    pub catalog: Catalog,
    /// What the sharing loop reads per link, packed small (same order as `links`).
    pub hot_links: Vec<LinkHot>,
    /// The stream key of every random process (see [`StreamKeys`]).
    pub keys: StreamKeys,
}

/// Compile a validated scenario. Every reference comes resolved from validation
/// (`ValidScenario::refs`); one that names nothing (impossible after validation) is dropped
/// rather than panicking.
pub fn compile(scn: &ValidScenario) -> Compiled {
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
    let threats = threats::threats(s, refs, &agencies);
    let injects = injects::injects(&s.injects, &refs.injects);
    let insiders = insiders::insiders(&s.insiders, &refs.insiders, &agencies);

    let mut metrics = objectives::standard_metrics(&agencies, &threats, &insiders);
    let objectives =
        objectives::objectives(&s.objectives, &refs.objectives, &threats, &mut metrics);
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

    let mut compiled = Compiled {
        hot_links: streams::hot_links(&agencies, &links),
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
        objectives: objectives.statics,
        metric_kinds,
        drivers,
        series_stride,
        catalog,
    };
    compiled.keys = StreamKeys::of(&compiled);
    compiled
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
