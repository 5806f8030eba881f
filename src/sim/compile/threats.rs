//! Threats and hazards: signals, markings, deadlines, responses and surges.

use super::agencies::AgencyStatic;
use super::kind_index;
use crate::ids::{AgencyIx, InsiderIx, ThreatIx};
use crate::scenario::schema::{
    ActionKind, Classification, EffectSpec, InsiderActionSpec, MarkingSpec, ResponseSpec,
    ScenarioSpec, ThreatKind, TipOffSpec, Tlp,
};
use crate::scenario::validate::Resolved;
use crate::sim::rng::Sampler;

/// Sensitivity of a tearline item as a share of the full item's, when the scenario gives none
/// [G]: a releasable version drops sources and methods.
pub(crate) const TEARLINE_SENSITIVITY: f64 = 0.25;

/// How an item is marked, and what exposing it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Marking {
    /// Classification or control level.
    pub(crate) class: Classification,
    /// TLP label.
    pub(crate) tlp: Tlp,
    /// Criminal intelligence (28 CFR Part 23).
    pub(crate) criminal_intel: bool,
    /// Holds personally identifiable information.
    pub(crate) pii: bool,
    /// Sensitivity weight (leak exposure = Σ sensitivity) [SWD per item], > 0.
    pub(crate) sensitivity: f64,
}

impl Marking {
    fn new(m: &MarkingSpec, sensitivity: f64) -> Marking {
        Marking {
            class: m.class,
            tlp: m.tlp,
            criminal_intel: m.criminal_intel,
            pii: m.pii,
            sensitivity,
        }
    }
}

impl ThreatStatic {
    /// The marking of an item about this threat: its tearline's for a tearline item.
    pub(crate) fn marking_of(&self, tearline: bool) -> &Marking {
        match (&self.tearline, tearline) {
            (Some(t), true) => t,
            _ => &self.marking,
        }
    }
}

/// Static threat data.
#[derive(Debug, Clone)]
pub(crate) struct ThreatStatic {
    /// Scenario id.
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// Kind (decides who collects on it, needs it and acts on it).
    pub(crate) kind: ThreatKind,
    /// Index of `kind` in per-kind arrays, `0..KINDS`.
    pub(crate) kind_ix: usize,
    /// Probability it is real in a run, [0, 1].
    pub(crate) truth_p: f64,
    /// When it begins emitting signals [h].
    pub(crate) start: f64,
    /// Time between signals [h].
    pub(crate) interval: Sampler,
    /// Per agency, its own probability of observing each signal directly, [0, 1] (its
    /// collection on the kind if it may observe the threat, else 0).
    pub(crate) own_collection: Vec<f64>,
    /// Marking and sensitivity of its items.
    pub(crate) marking: Marking,
    /// Marking and sensitivity of its tearline items (the releasable version a holder writes
    /// for a partner who may not receive the full item), if it has a tearline.
    pub(crate) tearline: Option<Marking>,
    /// Its items expire this long after creation [h], if they perish.
    pub(crate) perish: Option<f64>,
    /// Time from `start` to harm unless resolved first [h], if it has a deadline.
    pub(crate) deadline: Option<Sampler>,
    /// What a tip-off does to the deadline.
    pub(crate) tipoff: TipOff,
    /// The insider tied to it: the threat is real only when they are active.
    pub(crate) insider: Option<InsiderIx>,
    /// Its arrival curve, for migration surges.
    pub(crate) surge: Option<Surge>,
    /// Agencies that need to know about it, ascending.
    pub(crate) ntk: Vec<AgencyIx>,
    /// Agencies responsible for acting on it, ascending.
    pub(crate) responders: Vec<AgencyIx>,
    /// A false item about it can exist (truth < 1, false reports or disinformation).
    pub(crate) can_be_false: bool,
    /// The role of each responder, parallel to `responders` (the threat's `response` for an
    /// agency that acts on its kind without a role of its own).
    pub(crate) roles: Vec<Role>,
    /// Whether each agency acts on it (by kind or by role), by agency.
    pub(crate) acts: Vec<bool>,
    /// Its impact, for a hazard that strikes whatever the players do.
    pub(crate) impact: Option<Impact>,
}

impl ThreatStatic {
    /// The role of responder `a`, if it is one.
    pub(crate) fn role_of(&self, a: AgencyIx) -> Option<&Role> {
        self.responders
            .binary_search(&a)
            .ok()
            .map(|i| &self.roles[i])
    }
}

/// What one responder does on a threat, and when it decides.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    /// The action taken.
    pub(crate) action: ActionKind,
    /// Distinct items it must hold before acting, ≥ 1.
    pub(crate) corroboration: u32,
    /// Time from decision to effect [h].
    pub(crate) time_to_act: Sampler,
    /// Probability an action succeeds, [0, 1].
    pub(crate) success_p: f64,
    /// A failed action is tried again this long after the failure [h]; `None` never.
    pub(crate) retry_after: Option<f64>,
    /// It assesses or works around an outage of the threat's impact: it cannot decide
    /// before the impact.
    pub(crate) after_impact: bool,
}

/// A hazard's impact and its consequences.
#[derive(Debug, Clone)]
pub(crate) struct Impact {
    /// Time of impact from the threat's start [h].
    pub(crate) at: Sampler,
    /// People needing shelter from the impact [people].
    pub(crate) displaced: f64,
    /// Share of them a public warning completed before the impact evacuates, [0, 1].
    pub(crate) evacuation: f64,
    /// Shared services knocked out.
    pub(crate) outages: Vec<Outage>,
}

/// A shared service's outage and its crew-driven restoration (docs/model.md §18).
#[derive(Debug, Clone)]
pub(crate) struct Outage {
    /// The service provider.
    pub(crate) service: AgencyIx,
    /// Customers out at impact [customers], ≥ 0.
    pub(crate) customers: f64,
    /// Crew-hours of work before the first customers come back [worker-h], ≥ 0.
    pub(crate) first_restore: f64,
    /// Customers restored per crew-hour after that, ≥ 0.
    pub(crate) per_crew_hour: f64,
    /// Agency whose successful action must come before crews work.
    pub(crate) assessed_by: Option<AgencyIx>,
    /// Agency whose successful action works around the outage.
    pub(crate) workaround_by: Option<AgencyIx>,
    /// Windows after the impact at which the restored share is recorded [h], ascending
    /// (filled by the objectives step).
    pub(crate) checkpoints: Vec<f64>,
}

/// A logistic arrival curve: N(t) = total / (1 + e^{−(t − midpoint)/spread}), t from the
/// threat's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Surge {
    /// Total arrivals over the surge [people], > 0.
    pub(crate) total: f64,
    /// Time from the threat's start at which half have arrived [h].
    pub(crate) midpoint_h: f64,
    /// Logistic spread [h], > 0.
    pub(crate) spread_h: f64,
    /// People should be processed within this time of arrival [h].
    pub(crate) handoff_h: f64,
    /// Mean group size [people], ≥ 1: arrivals are `group_size` × Poisson(expected / size).
    pub(crate) group_size: f64,
}

/// What a tip-off does to the adversary's deadline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TipOff {
    /// No harm at the deadline any more (the plot is abandoned).
    Abort,
    /// The deadline moves later by this much [h], ≥ 0.
    Delay(f64),
    /// The deadline comes forward by this much [h], ≥ 0, never before the tip-off.
    Accelerate(f64),
}

/// The threats, in scenario order.
pub(super) fn threats(
    s: &ScenarioSpec,
    refs: &Resolved,
    agencies: &[AgencyStatic],
) -> Vec<ThreatStatic> {
    s.threats
        .iter()
        .zip(&refs.threats)
        .enumerate()
        .map(|(ti, (t, r))| {
            let ti = ThreatIx::new(ti);
            let k = kind_index(t.kind);
            let observers: Vec<usize> = if t.observed_by.is_empty() {
                (0..agencies.len())
                    .filter(|&i| agencies[i].collection[k] > 0.0)
                    .collect()
            } else {
                r.observed_by
                    .iter()
                    .filter_map(|&a| Some(a?.ix()))
                    .collect()
            };
            let mut own_collection = vec![0.0; agencies.len()];
            for &a in &observers {
                own_collection[a] = agencies[a].collection[k];
            }
            let can_be_false = t.truth_probability < 1.0
                || s.injects.iter().zip(&refs.injects).any(|(inj, ir)| {
                    matches!(inj.effect, EffectSpec::FalseReport { .. }) && ir.threat == Some(ti)
                })
                || s.insiders.iter().zip(&refs.insiders).any(|(ins, ir)| {
                    matches!(ins.action, InsiderActionSpec::Disinformation(_))
                        && ir.threat == Some(ti)
                });
            let agencies_where = |f: &dyn Fn(&AgencyStatic) -> bool| -> Vec<AgencyIx> {
                (0..agencies.len())
                    .filter(|&i| f(&agencies[i]))
                    .map(AgencyIx::new)
                    .collect()
            };
            // Responders: agencies acting on the kind (with `response`) and agencies with a
            // role (with theirs), ascending.
            let mut responders = agencies_where(&|a| a.acts_on[k]);
            for ra in r.roles.iter().flatten() {
                if let Err(pos) = responders.binary_search(ra) {
                    responders.insert(pos, *ra);
                }
            }
            let role = |rs: &ResponseSpec| Role {
                action: rs.action,
                corroboration: rs
                    .corroboration
                    .unwrap_or(s.model.default_corroboration)
                    .max(1),
                time_to_act: Sampler::from_time(&rs.time_to_act),
                success_p: rs.success_probability,
                retry_after: rs.retry_after.map(|d| d.hours().max(1e-6)),
                after_impact: false,
            };
            let default_role = role(&t.response);
            let mut roles: Vec<Role> = responders
                .iter()
                .map(|a| {
                    match t
                        .roles
                        .iter()
                        .zip(&r.roles)
                        .find(|(_, ra)| **ra == Some(*a))
                    {
                        Some((rs, _)) => role(&rs.response()),
                        None => default_role.clone(),
                    }
                })
                .collect();
            let mut acts = vec![false; agencies.len()];
            for a in &responders {
                acts[a.ix()] = true;
            }
            let impact = t.impact.as_ref().map(|im| Impact {
                at: Sampler::from_time(&im.at),
                displaced: f64::from(im.displaced),
                evacuation: im.evacuation,
                outages: im
                    .outages
                    .iter()
                    .zip(&r.outages)
                    .filter_map(|(o, or)| {
                        Some(Outage {
                            service: or.service?,
                            customers: f64::from(o.customers),
                            first_restore: o.first_restore.max(0.0),
                            per_crew_hour: o.per_crew_hour.max(0.0),
                            assessed_by: or.assessed_by,
                            workaround_by: or.workaround_by,
                            checkpoints: Vec::new(),
                        })
                    })
                    .collect(),
            });
            if let Some(im) = &impact {
                for o in &im.outages {
                    for a in [o.assessed_by, o.workaround_by].into_iter().flatten() {
                        if let Ok(i) = responders.binary_search(&a) {
                            roles[i].after_impact = true;
                        }
                    }
                }
            }
            ThreatStatic {
                roles,
                acts,
                impact,
                id: t.id.clone(),
                name: t.name.clone(),
                kind: t.kind,
                kind_ix: k,
                truth_p: t.truth_probability,
                start: t.start.hours(),
                interval: Sampler::from_time(&t.signal_interval),
                own_collection,
                marking: Marking::new(&t.marking, t.sensitivity),
                tearline: t.tearline.as_ref().map(|tl| {
                    Marking::new(
                        &tl.marking,
                        tl.sensitivity
                            .unwrap_or(t.sensitivity * TEARLINE_SENSITIVITY),
                    )
                }),
                perish: t.perishability.map(|d| d.hours()),
                deadline: t.deadline.as_ref().map(Sampler::from_time),
                tipoff: match t.tipoff {
                    None => TipOff::Accelerate(t.tipoff_advance.hours()),
                    Some(TipOffSpec::Accelerate(d)) => TipOff::Accelerate(d.hours()),
                    Some(TipOffSpec::Delay(d)) => TipOff::Delay(d.hours()),
                    Some(TipOffSpec::Abort) => TipOff::Abort,
                },
                insider: refs
                    .insiders
                    .iter()
                    .position(|r| r.tied == Some(ti))
                    .map(InsiderIx::new),
                surge: t.surge.map(|g| Surge {
                    total: g.total,
                    midpoint_h: g.midpoint.hours(),
                    spread_h: g.spread.hours().max(1e-6),
                    handoff_h: g.handoff.hours(),
                    group_size: g.group_size.max(1.0),
                }),
                ntk: agencies_where(&|a| a.needs[k]),
                responders,
                can_be_false,
            }
        })
        .collect()
}
