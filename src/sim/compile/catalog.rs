//! The outcome [`Catalog`]: metric columns, objectives, driver flags, series and links, with
//! what each driver flag means to the engine.

use super::agencies::AgencyStatic;
use super::channels::ChannelStatic;
use super::injects::{Effect, InjectStatic, Trigger};
use super::insiders::InsiderStatic;
use super::objectives::{MetricColumns, MetricKind};
use super::partnerships::LinkStatic;
use super::threats::ThreatStatic;
use crate::ids::{AgencyIx, ChannelIx, InjectIx, InsiderIx, PartnershipIx, ThreatIx};
use crate::scenario::schema::PartnershipSpec;
use crate::sim::outcome::{Catalog, DriverDef, DriverKind, LinkDef, ObjectiveDef, SeriesDef};

/// Largest number of series samples per run.
const MAX_SAMPLES: u64 = 240;

/// What a driver flag records: whether this happened in the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DriverSource {
    /// The agency was down or degraded at some time.
    AgencyDown(AgencyIx),
    /// The channel was down or compromised at some time.
    ChannelDown(ChannelIx),
    /// The insider acted.
    InsiderActed(InsiderIx),
    /// A link of the partnership was withdrawn or held.
    PartnershipLost(PartnershipIx),
    /// The inject fired.
    InjectFired(InjectIx),
    /// The threat was real.
    ThreatReal(ThreatIx),
}

/// The driver flags: agencies and channels that can fail (stochastically or by inject),
/// insiders, partnerships, chance or consequence injects, and threats that may be false
/// alarms. Returns what each flag means and its definition, in flag order.
pub(super) fn drivers(
    agencies: &[AgencyStatic],
    channels: &[ChannelStatic],
    partnerships: &[PartnershipSpec],
    threats: &[ThreatStatic],
    injects: &[InjectStatic],
    insiders: &[InsiderStatic],
) -> (Vec<DriverSource>, Vec<DriverDef>) {
    let mut drivers = Vec::new();
    let mut driver_defs = Vec::new();
    let scripted_agency = |ai: AgencyIx| {
        injects.iter().any(|i| {
            i.enabled
                && matches!(i.effect, Effect::AgencyOutage(a) | Effect::Degraded { agency: a, .. } if a == ai)
        })
    };
    for (ai, a) in agencies.iter().enumerate() {
        let ai = AgencyIx::new(ai);
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
        let ci = ChannelIx::new(ci);
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
        drivers.push(DriverSource::InsiderActed(InsiderIx::new(ii)));
        driver_defs.push(DriverDef {
            id: format!("insider.{}", ins.id),
            label: format!("Insider {} acted", ins.id),
            kind: DriverKind::InsiderAction,
        });
    }
    for (pi, p) in partnerships.iter().enumerate() {
        drivers.push(DriverSource::PartnershipLost(PartnershipIx::new(pi)));
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
            Trigger::Contingency { .. } | Trigger::WhenMetric { .. }
        );
        if inj.enabled && (inj.p < 1.0 || consequence) {
            let short: String = inj.synopsis.chars().take(60).collect();
            let ell = if inj.synopsis.chars().count() > 60 {
                "…"
            } else {
                ""
            };
            drivers.push(DriverSource::InjectFired(InjectIx::new(ii)));
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
            drivers.push(DriverSource::ThreatReal(ThreatIx::new(ti)));
            driver_defs.push(DriverDef {
                id: format!("real.{}", t.id),
                label: format!("{} was real", t.name),
                kind: DriverKind::ThreatReal,
            });
        }
    }
    (drivers, driver_defs)
}

/// Ticks between series samples, so that a run records at most `MAX_SAMPLES`, ≥ 1.
pub(super) fn series_stride(ticks: u64) -> u64 {
    ticks.div_ceil(MAX_SAMPLES).max(1)
}

/// What the catalog is assembled from.
pub(super) struct Parts<'a> {
    /// Metric columns (standard and objectives').
    pub(super) metrics: MetricColumns,
    /// Objective definitions, in scenario order.
    pub(super) objectives: Vec<ObjectiveDef>,
    /// Driver definitions, in flag order.
    pub(super) drivers: Vec<DriverDef>,
    /// The agencies.
    pub(super) agencies: &'a [AgencyStatic],
    /// The directed links.
    pub(super) links: &'a [LinkStatic],
    /// The scenario's partnerships (for their ids).
    pub(super) partnerships: &'a [PartnershipSpec],
    /// The threats.
    pub(super) threats: &'a [ThreatStatic],
    /// The injects.
    pub(super) injects: &'a [InjectStatic],
    /// Tick length [h].
    pub(super) dt: f64,
    /// Ticks per run.
    pub(super) ticks: u64,
    /// Ticks between series samples.
    pub(super) series_stride: u64,
}

/// The catalog, and what each of its metric columns measures.
pub(super) fn catalog(p: Parts<'_>) -> (Catalog, Vec<MetricKind>) {
    let Parts {
        agencies,
        threats,
        dt,
        ticks,
        series_stride,
        ..
    } = p;
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
    let series_times: Vec<f64> = (0..ticks)
        .step_by(series_stride as usize)
        .map(|k| (k + 1) as f64 * dt)
        .collect();
    let inject_times = p
        .injects
        .iter()
        .filter_map(|i| match i.trigger {
            Trigger::At(t) if i.enabled => Some((i.id.clone(), t)),
            _ => None,
        })
        .collect();
    let MetricColumns { metrics, kinds } = p.metrics;
    let catalog = Catalog {
        metrics,
        objectives: p.objectives,
        drivers: p.drivers,
        series,
        series_times,
        links: p
            .links
            .iter()
            .map(|l| LinkDef {
                partnership: p.partnerships[l.partnership.ix()].id.clone(),
                from: agencies[l.from.ix()].id.clone(),
                to: agencies[l.to.ix()].id.clone(),
            })
            .collect(),
        inject_times,
        observed: Vec::new(),
    };
    (catalog, kinds)
}
