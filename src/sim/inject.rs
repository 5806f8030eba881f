//! MSEL injects: time-, inject-, metric- and contingency-triggered events with probabilities
//! and durations, applied to the model (outages, degraded capacity, withdrawals, legal holds,
//! compromises, insider acts, public warnings, signals and false reports).

use super::clock::{Clock, Static};
use super::compile::{Arrival, Compiled, Cond, Effect, MetricWatch, Mile, Trigger};
use super::hook::{Console, InjectCtl, TeamEffect};
use super::ids::ThreatIx;
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::rng::{RunSeed, chance};
use super::state::{
    ActNow, Agencies, Channels, InjectStates, Items, Links, ModsDue, ThreatStates, Tick,
    TrustSignal, agency_changed, change_gate, create_item, retract_false,
};
use crate::scenario::schema::ThreatKind;
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;

/// Add the MSEL's state to the world. Its phase runs in two steps: [`judge_objectives`], an
/// exclusive system, then [`fire`].
pub(crate) fn install(world: &mut World) {
    world.init_resource::<InjectStates>();
    world.init_resource::<Console>();
}

/// Whether some enabled inject waits for an objective's judgement (else
/// [`judge_objectives`] never has anything to do).
pub(crate) fn judges_objectives(st: &Compiled) -> bool {
    st.injects.iter().any(|s| {
        s.enabled
            && matches!(
                s.trigger,
                Trigger::Milestone {
                    on: Mile::Objective { .. },
                    ..
                }
            )
    })
}

/// Judge the objectives that `ObjectiveMet`/`ObjectiveMissed` triggers wait for, once each,
/// at the start of the tick containing their judging time, on the run so far.
pub(crate) fn judge_objectives(world: &mut World) {
    let st = world.resource::<Static>().0.clone();
    let clock = *world.resource::<Clock>();
    let mut due = Vec::new();
    {
        let inj = world.resource::<InjectStates>();
        for (i, s) in st.injects.iter().enumerate() {
            if let Trigger::Milestone {
                on: Mile::Objective {
                    objective, by_h, ..
                },
                ..
            } = s.trigger
                && s.enabled
                && !inj.done[i]
                && by_h < clock.end
                && objective < st.objectives.len()
                && !inj.judged.iter().any(|e| e.0 == i)
            {
                due.push((i, objective, by_h));
            }
        }
    }
    if due.is_empty() {
        return;
    }
    let (_, results) = super::metrics::measure(world, &st, clock.now);
    let mut inj = world.resource_mut::<InjectStates>();
    for (i, o, by_h) in due {
        let r = &results[o];
        inj.judged
            .push((i, by_h.max(clock.now), r.applicable.then_some(r.met)));
    }
}

/// Put the MSEL back to its start for run `seed`.
pub(crate) fn reset(world: &mut World, st: &Compiled, seed: RunSeed) {
    let n = st.injects.len();
    *world.resource_mut::<Console>() = Console::default();
    let mut inj = world.resource_mut::<InjectStates>();
    inj.fired_at.clear();
    inj.fired_at.resize(n, None);
    inj.done.clear();
    inj.done.resize(n, false);
    inj.ending.clear();
    inj.starting.clear();
    inj.tripped.clear();
    inj.judged.clear();
    inj.rng.clear();
    inj.rng
        .extend(st.keys.inject.iter().map(|&k| seed.keyed(k)));
}

/// [`fire`] as a system of its own (engine unit tests).
#[cfg(test)]
pub(crate) fn fire_injects(mut s: super::state::RunState) {
    fire(s.tick());
}

/// The Injects phase after objectives are judged: fire the injects whose trigger falls in this
/// window and end effects whose duration is over.
pub(crate) fn fire(t: Tick) {
    let Tick {
        clock,
        st,
        rec,
        watch,
        tally,
        inj,
        threats,
        items,
        flight,
        links,
        channels,
        agencies,
        due,
        signals,
        act_now,
        console,
        ..
    } = t;
    let mut ctx = Ctx {
        st,
        links,
        channels,
        rec,
        signals,
        agencies,
        due,
    };
    // Team actions from the console, in the order taken, at the start of the tick.
    if !console.queued.is_empty() {
        for e in std::mem::take(&mut console.queued) {
            let t = clock.now;
            match e {
                TeamEffect::CutOff {
                    partnership,
                    on,
                    who,
                } => {
                    ctx.toggle(&Effect::Withdrawal(partnership), t, on);
                    let name = &st.partnerships[partnership.ix()];
                    ctx.rec.log(t, EventKind::Decision, &who, "", || {
                        if on {
                            format!("{who} cuts off partnership {name}")
                        } else {
                            format!("{who} restores partnership {name}")
                        }
                    });
                }
                TeamEffect::Warn { threat, who } => {
                    public_warning(st, threats, items, threat, t);
                    let name = &st.threats[threat.ix()].name;
                    ctx.rec.log(t, EventKind::Decision, &who, "", || {
                        format!("{who} issues a public warning on {name}")
                    });
                }
            }
        }
    }
    // Start effects whose lead time is over (arrivals), in time order.
    inj.starting
        .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    while inj.starting.first().is_some_and(|e| e.0 < clock.end) {
        let (t, i) = inj.starting.remove(0);
        ctx.toggle(&st.injects[i].effect, t, true);
        let s = &st.injects[i];
        ctx.rec.log(t, EventKind::Inject, &s.id, "", || {
            format!("Arrival from inject {}: {}", s.number, s.synopsis)
        });
    }
    // End effects first, in time order.
    inj.ending
        .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    while inj.ending.first().is_some_and(|e| e.0 < clock.end) {
        let (t, i) = inj.ending.remove(0);
        ctx.toggle(&st.injects[i].effect, t, false);
        let s = &st.injects[i];
        ctx.rec.log(t, EventKind::Inject, &s.id, "", || {
            format!("End of inject {}: {}", s.number, s.synopsis)
        });
    }
    // Fire; repeat so that an inject triggered by one fired this tick fires in the same tick.
    loop {
        let mut fired_any = false;
        for (i, s) in st.injects.iter().enumerate() {
            if inj.done[i] || !s.enabled {
                continue;
            }
            let ctl = console.inject(i);
            match ctl {
                InjectCtl::Hold => continue,
                InjectCtl::Skip => {
                    inj.done[i] = true;
                    continue;
                }
                InjectCtl::Auto | InjectCtl::At(_) => {}
            }
            let when = match &s.trigger {
                Trigger::At(t) => (*t < clock.end).then_some(t.max(clock.now)),
                Trigger::AfterInject {
                    inject: j,
                    delay_h: d,
                } => inj
                    .fired_at
                    .get(j.ix())
                    .copied()
                    .flatten()
                    .map(|f| f + d)
                    .filter(|&t| t < clock.end)
                    .map(|t| t.max(clock.now)),
                Trigger::WhenMetric {
                    watch: w,
                    at_least: v,
                } => {
                    let x = match *w {
                        MetricWatch::AgenciesInformed(t) => {
                            watch.informed.get(t.ix()).copied().unwrap_or(0) as f64
                        }
                        MetricWatch::Backlog => watch.backlog as f64,
                        MetricWatch::HoursSinceDetection(t) => threats
                            .0
                            .get(t.ix())
                            .and_then(|s| s.detected_at)
                            .map(|d| clock.now - d)
                            .unwrap_or(f64::NEG_INFINITY),
                        MetricWatch::Withdrawals => ctx
                            .links
                            .0
                            .iter()
                            .filter(|l| l.withdrawn_at.is_some())
                            .count() as f64,
                        MetricWatch::LeakExposure => tally.exposure,
                    };
                    (x >= *v).then_some(clock.now)
                }
                // Tripped by the sharing loop in an earlier tick (effects it could not apply).
                Trigger::FirstOffer { .. } => inj.tripped.iter().find(|e| e.1 == i).map(|e| e.0),
                Trigger::Contingency {
                    unless: c,
                    by_h: by,
                } => {
                    if *by >= clock.end {
                        None
                    } else {
                        let happened = match *c {
                            Cond::Detected(t) => threats
                                .0
                                .get(t.ix())
                                .is_some_and(|s| s.detected_at.is_some()),
                            Cond::Shared(t) => threats
                                .0
                                .get(t.ix())
                                .is_some_and(|s| s.first_share_at.is_some()),
                            Cond::Acted(t) => threats
                                .0
                                .get(t.ix())
                                .is_some_and(|s| s.first_action_at.is_some()),
                            Cond::InjectFired(j) => {
                                inj.fired_at.get(j.ix()).copied().flatten().is_some()
                            }
                        };
                        if happened {
                            inj.done[i] = true;
                            None
                        } else {
                            Some(by.max(clock.now))
                        }
                    }
                }
                Trigger::Milestone { on, delay_h } => {
                    let at = match *on {
                        Mile::Harm(t) => threats.0.get(t.ix()).and_then(|s| s.harm_at),
                        Mile::Detected(t) => threats.0.get(t.ix()).and_then(|s| s.detected_at),
                        Mile::FirstShared(t) => {
                            threats.0.get(t.ix()).and_then(|s| s.first_share_at)
                        }
                        Mile::Acted(t) => threats.0.get(t.ix()).and_then(|s| s.first_action_at),
                        Mile::Resolved(t) => threats.0.get(t.ix()).and_then(|s| s.resolved_at),
                        Mile::AgencyFailed(a) => {
                            ctx.agencies.status.get(a.ix()).and_then(|s| s.failed_at)
                        }
                        Mile::AgencyRecovered(a) => {
                            ctx.agencies.status.get(a.ix()).and_then(|s| s.recovered_at)
                        }
                        Mile::PartnershipWithdrawn(p) => st
                            .links
                            .iter()
                            .zip(&ctx.links.0)
                            .filter(|(ls, _)| ls.partnership == p)
                            .filter_map(|(_, l)| l.withdrawn_at)
                            .reduce(f64::min),
                        // Judged by `judge_objectives` at the start of this tick.
                        Mile::Objective { met, .. } => inj
                            .judged
                            .iter()
                            .find(|e| e.0 == i)
                            .and_then(|e| (e.2 == Some(met)).then_some(e.1)),
                    };
                    // The milestone is recorded at its exact time, which may lie in the tick
                    // before this one (milestones are set by later phases of a tick).
                    match at.map(|m| m + delay_h) {
                        Some(t) if t < clock.end => Some(t),
                        _ => None,
                    }
                }
            };
            // Released or re-timed by the facilitator: delivered at that time, for certain.
            let when = match ctl {
                InjectCtl::At(at) => (at < clock.end).then_some(at.max(clock.now)),
                _ => when,
            };
            let Some(t) = when else { continue };
            inj.done[i] = true;
            if !matches!(ctl, InjectCtl::At(_)) && !chance(&mut inj.rng[i], s.p) {
                continue;
            }
            inj.fired_at[i] = Some(t);
            fired_any = true;
            ctx.rec.log(t, EventKind::Inject, &s.id, "", || {
                format!("Inject {}: {}", s.number, s.synopsis)
            });
            // An effect with a lead time (an arrival) lasts `duration` from its start.
            let lead = s.effect.lead();
            if let Some(d) = s.duration {
                inj.ending.push((t + lead + d, i));
            }
            match s.effect {
                // A scripted sighting of an insider's activity shows nothing when the insider
                // is not active in this run.
                Effect::Signal { threat, .. } if threats.0[threat.ix()].dormant => {}
                Effect::Signal { threat, at } => {
                    let real = threats.0[threat.ix()].real;
                    let first = threats.0[threat.ix()].detected_at.is_none();
                    create_item(items, flight, threats, threat, real, at, t);
                    if first {
                        let th = &st.threats[threat.ix()];
                        ctx.rec.log(t, EventKind::Signal, &th.id, "", || {
                            format!(
                                "First signal of {} is picked up (inject {})",
                                th.name, s.number
                            )
                        });
                    }
                }
                Effect::FalseReport { threat, at } => {
                    create_item(items, flight, threats, threat, false, at, t);
                }
                Effect::InsiderAction(k) => {
                    act_now.write(ActNow { insider: k, t });
                }
                Effect::PublicWarning { threat, .. } => {
                    public_warning(st, threats, items, threat, t);
                }
                Effect::AdvanceDeadline { threat, by } => {
                    if let Some(d) = threats.0[threat.ix()].deadline.as_mut() {
                        *d = (*d - by).max(t);
                    }
                }
                Effect::Note => {}
                Effect::Arrival(_) if lead > 0.0 => inj.starting.push((t + lead, i)),
                ref e => {
                    ctx.toggle(e, t, true);
                }
            }
        }
        if !fired_any {
            break;
        }
    }
}

/// A public warning on `threat` at `t`: recorded; a warning on a rumour puts it to rest
/// (false items retracted, the rumour resolved when real).
fn public_warning(
    st: &Compiled,
    threats: &mut ThreatStates,
    items: &mut Items,
    threat: ThreatIx,
    t: f64,
) {
    let ts = &mut threats.0[threat.ix()];
    ts.public_warning_at.get_or_insert(t);
    if st.threats[threat.ix()].kind == ThreatKind::Rumor {
        ts.over = true;
        retract_false(items, threat);
        ts.retracted_at.get_or_insert(t);
        if ts.real {
            ts.resolved_at.get_or_insert(t);
        }
    }
}

/// What a reversible effect touches.
struct Ctx<'a> {
    st: &'a Compiled,
    links: &'a mut Links,
    channels: &'a mut Channels,
    rec: &'a mut Recorder,
    signals: &'a mut Messages<TrustSignal>,
    agencies: &'a mut Agencies,
    due: &'a mut ModsDue,
}

impl Ctx<'_> {
    /// Start (`on`) or end a reversible effect.
    fn toggle(&mut self, e: &Effect, t: f64, on: bool) {
        let step = |x: &mut u32| {
            if on {
                *x += 1
            } else {
                *x = x.saturating_sub(1)
            }
        };
        match *e {
            Effect::AgencyOutage(a) => {
                let s = &mut self.agencies.status[a.ix()];
                step(&mut s.scripted_down);
                if let Some(up) = s.refresh(t) {
                    self.due.mark();
                    agency_changed(self.st, a, up, t, self.rec, self.signals);
                }
            }
            Effect::Degraded { agency, factor } => {
                let s = &mut self.agencies.status[agency.ix()];
                self.due.mark();
                if on {
                    s.factor *= factor;
                    s.ever_down = true;
                } else {
                    s.factor = (s.factor / factor).min(1.0);
                }
            }
            Effect::ChannelOutage(c) => {
                let ch = &mut self.channels.0[c.ix()];
                step(&mut ch.scripted_down);
                ch.ever_down = true;
            }
            Effect::ChannelCompromise(c) => {
                let ch = &mut self.channels.0[c.ix()];
                step(&mut ch.compromised);
                ch.ever_down = true;
            }
            Effect::Withdrawal(p) | Effect::LegalHold(p) => {
                let hold = matches!(e, Effect::LegalHold(_));
                for (l, ls) in self.st.links.iter().enumerate() {
                    if ls.partnership == p {
                        let Links(states, side) = &mut *self.links;
                        change_gate(&mut states[l], &mut side.closed, |s| {
                            if hold {
                                step(&mut s.held);
                            } else {
                                step(&mut s.inject_withdrawn);
                                if on {
                                    s.mark_withdrawn(t);
                                }
                            }
                            s.ever_lost = true;
                        });
                        self.due.mark();
                    }
                }
            }
            Effect::Arrival(Arrival {
                agency,
                analysts,
                processing,
                shelter,
                crews,
                ..
            }) => {
                let s = &mut self.agencies.status[agency.ix()];
                let sign = if on { 1.0 } else { -1.0 };
                if on {
                    s.arrived_analysts += analysts;
                } else {
                    s.arrived_analysts = s.arrived_analysts.saturating_sub(analysts);
                }
                s.arrived_processing = (s.arrived_processing + sign * processing).max(0.0);
                s.arrived_shelter = (s.arrived_shelter + sign * shelter).max(0.0);
                s.arrived_crews = (s.arrived_crews + sign * crews).max(0.0);
                let before = s.arrivals;
                step(&mut s.arrivals);
                if self.st.agencies[agency.ix()].arrives && (before == 0) != (s.arrivals == 0) {
                    // In play while an arrival is in force: the first brings it in, the
                    // last to end takes it out.
                    if on {
                        s.scripted_down = s.scripted_down.saturating_sub(1);
                    } else {
                        s.scripted_down += 1;
                    }
                    if let Some(up) = s.refresh(t) {
                        agency_changed(self.st, agency, up, t, self.rec, self.signals);
                    }
                }
                self.due.mark();
            }
            _ => {}
        }
    }
}
