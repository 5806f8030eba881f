//! Insiders: precursors arrive as a Poisson process and are detected with probability
//! report × monitoring; until detected an active insider acts (leak, exfiltration, sabotage,
//! disinformation, tip-off) as a second Poisson process. Vetting scales activation.

use super::compile::{Compiled, InsiderAct, TipOff};
use super::ids::{AgencyIx, LinkIx};
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::rng::{RunSeed, chance, exp_wait};
use super::state::{
    Agencies, EXPOSURE_HOPS, InFlight, InsiderState, Insiders, Items, Links, ModsDue, Tally,
    ThreatStates, Tick, TrustSignal, charge_upstream, create_item,
};
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;

/// Add the insiders' state to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<Insiders>();
}

/// Draw every insider's activation and first events for run `seed`.
pub(crate) fn reset(world: &mut World, st: &Compiled, seed: RunSeed) {
    let mut insiders = world.resource_mut::<Insiders>();
    insiders.0.clear();
    insiders
        .0
        .extend(st.insiders.iter().zip(&st.keys.insider).map(|(i, &key)| {
            let mut rng = seed.keyed(key);
            let active = chance(&mut rng, i.activation_p);
            let next_precursor = i.start + exp_wait(&mut rng, i.precursor_rate);
            let next_action = i.start + exp_wait(&mut rng, i.action_rate);
            InsiderState {
                active,
                detected_at: None,
                next_precursor,
                next_action,
                acts: 0,
                unreported: 0,
                rng,
            }
        }));
}

/// The Insiders phase as a system of its own (engine unit tests).
#[cfg(test)]
pub(crate) fn apply_insider_actions(mut s: super::state::RunState) {
    act(s.tick());
}

/// The Insiders phase: advance every insider through the window, then apply forced acts from
/// injects.
pub(crate) fn act(t: Tick) {
    let Tick {
        clock,
        st,
        rec,
        items,
        flight,
        threats,
        links,
        tally,
        agencies,
        due,
        insiders,
        signals,
        act_now,
        cursors,
        ..
    } = t;
    let mut w = Acts {
        st,
        items,
        flight,
        threats,
        links,
        tally,
        rec,
        signals,
        agencies,
        due,
    };
    for (i, ins) in st.insiders.iter().enumerate() {
        let s = &mut insiders.0[i];
        if !s.active {
            continue;
        }
        loop {
            if s.detected_at.is_some() {
                break;
            }
            let t = s.next_precursor.min(s.next_action);
            if t >= clock.end {
                break;
            }
            if s.next_precursor <= s.next_action {
                if chance(&mut s.rng, ins.detect_p) {
                    s.detected_at = Some(t);
                    w.detected(i, t, s.acts);
                } else {
                    s.unreported += 1;
                    let ag = &st.agencies[ins.agency.ix()];
                    w.rec.log(t, EventKind::Precursor, &ins.id, "", || {
                        format!(
                            "A precursor of insider {} at {} is seen but not reported",
                            ins.id, ag.name
                        )
                    });
                }
                s.next_precursor = t + exp_wait(&mut s.rng, ins.precursor_rate);
            } else {
                if w.act(i, t) {
                    s.acts += 1;
                }
                s.next_action = t + exp_wait(&mut s.rng, ins.action_rate);
            }
        }
    }
    for f in cursors.forced.read(act_now) {
        let s = &mut insiders.0[f.insider.ix()];
        if s.active && s.detected_at.is_none() && w.act(f.insider.ix(), f.t) {
            s.acts += 1;
        }
    }
}

/// The resources an insider act touches.
struct Acts<'a> {
    st: &'a Compiled,
    items: &'a mut Items,
    flight: &'a mut InFlight,
    threats: &'a mut ThreatStates,
    links: &'a mut Links,
    tally: &'a mut Tally,
    rec: &'a mut Recorder,
    signals: &'a mut Messages<TrustSignal>,
    agencies: &'a mut Agencies,
    due: &'a mut ModsDue,
}

impl Acts<'_> {
    fn originators_lose_trust(&mut self, agency: AgencyIx) {
        for (l, ls) in self.st.links.iter().enumerate() {
            if ls.to == agency && self.links.0[l].items > 0 {
                self.links.0[l].compromised = true;
                self.signals.write(TrustSignal {
                    link: LinkIx::new(l),
                    x: -1.0,
                });
            }
        }
    }

    fn detected(&mut self, i: usize, t: f64, acts: u32) {
        let ins = &self.st.insiders[i];
        let ag = &self.st.agencies[ins.agency.ix()];
        self.rec
            .log(t, EventKind::InsiderDetected, &ins.id, "", || {
                format!(
                    "A coworker reports insider {} at {}; the insider is detected after {} act(s)",
                    ins.id, ag.name, acts
                )
            });
        if ins.act == InsiderAct::Exfiltration && acts > 0 {
            self.originators_lose_trust(ins.agency);
        }
        // Removal stops the activity investigators were chasing: the tied threat is resolved
        // if it is still open.
        if let Some(th) = ins.threat {
            let ts = &mut self.threats.0[th.ix()];
            if ts.real
                && ts.resolved_at.is_none()
                && ts.harm_at.is_none()
                && ts.deadline.is_none_or(|d| t <= d)
            {
                ts.resolved_at = Some(t);
                ts.over = true;
            }
        }
    }

    /// Insider `i` acts at `t`; false when there was nothing to act on (a tip-off about a
    /// threat their agency does not know of).
    fn act(&mut self, i: usize, t: f64) -> bool {
        let st = self.st;
        let ins = &st.insiders[i];
        let ag = &st.agencies[ins.agency.ix()];
        let Agencies {
            holdings,
            status,
            queue,
            backlog,
            ..
        } = &mut *self.agencies;
        let (h, status, queue) = (
            &holdings[ins.agency.ix()],
            &mut status[ins.agency.ix()],
            &mut queue[ins.agency.ix()],
        );
        let mean_sensitivity = if h.count > 0 {
            h.sensitivity_held / h.count as f64
        } else {
            1.0
        };
        match ins.act {
            InsiderAct::Leak | InsiderAct::Exfiltration => {
                let exposure = ins.access_mult * mean_sensitivity;
                self.tally.exposure += exposure;
                self.tally.insider_exposure += exposure;
                // The documents taken are drawn from the holdings: each link into the agency
                // carries the share of held sensitivity it delivered (the rest is the agency's
                // own collection), and so on back along the way they came.
                charge_upstream(
                    st,
                    &mut self.links.0,
                    holdings,
                    (ins.agency, AgencyIx::NONE, LinkIx::NONE),
                    exposure,
                    EXPOSURE_HOPS,
                );
                let public = ins.act == InsiderAct::Leak;
                self.rec.log(t, EventKind::Leak, &ins.id, "", || {
                    if public {
                        format!(
                            "Insider {} at {} posts documents publicly (exposure {:.1})",
                            ins.id, ag.name, exposure
                        )
                    } else {
                        format!(
                            "Insider {} at {} passes documents to a foreign service (exposure {:.1})",
                            ins.id, ag.name, exposure
                        )
                    }
                });
                if public {
                    self.originators_lose_trust(ins.agency);
                }
            }
            InsiderAct::Sabotage(outage) => {
                status.stalled_until = status.stalled_until.max(t + outage);
                self.due.mark();
                let dropped = queue.waiting.len();
                queue.waiting.clear();
                *backlog -= dropped as u64;
                self.tally.expired += dropped as u64;
                self.rec.log(t, EventKind::InsiderAction, &ins.id, "", || {
                    format!(
                        "Insider {} sabotages {}: {} queued item(s) lost, work stalls for {:.0} h",
                        ins.id, ag.name, dropped, outage
                    )
                });
            }
            InsiderAct::Disinformation(th) => {
                create_item(
                    self.items,
                    self.flight,
                    self.threats,
                    th,
                    false,
                    ins.agency,
                    t,
                );
                self.rec.log(t, EventKind::InsiderAction, &ins.id, "", || {
                    format!(
                        "Insider {} at {} plants a false report on {}",
                        ins.id,
                        ag.name,
                        st.threats[th.ix()].name
                    )
                });
            }
            // An insider can only tip off what their agency knows: nothing happens before an
            // item on the threat reaches it (what its partners share with it is the risk).
            InsiderAct::TipOff(th) if h.informed_at[th.ix()].is_finite() => {
                let ts = &mut self.threats.0[th.ix()];
                let effect = st.threats[th.ix()].tipoff;
                let open = ts.real && ts.resolved_at.is_none() && ts.harm_at.is_none();
                if open && ts.deadline.is_some() {
                    match effect {
                        TipOff::Accelerate(adv) => {
                            if let Some(d) = ts.deadline.as_mut() {
                                *d = (*d - adv).max(t);
                            }
                        }
                        TipOff::Delay(by) => {
                            if let Some(d) = ts.deadline.as_mut() {
                                *d += by;
                            }
                        }
                        TipOff::Abort => {
                            ts.deadline = None;
                            ts.aborted_at = Some(t);
                        }
                    }
                }
                self.rec.log(t, EventKind::InsiderAction, &ins.id, "", || {
                    let name = &st.threats[th.ix()].name;
                    match effect {
                        TipOff::Accelerate(adv) => format!(
                            "{} tips off the subject of {name}: the timeline advances by {adv:.0} h",
                            ag.name
                        ),
                        TipOff::Delay(by) => format!(
                            "{} tips off the subject of {name}: the plotters lie low for {by:.0} h",
                            ag.name
                        ),
                        TipOff::Abort => format!(
                            "{} tips off the subject of {name}: the plotters abandon the plot",
                            ag.name
                        ),
                    }
                });
            }
            // Nothing to tell yet: no act.
            InsiderAct::TipOff(_) => return false,
        }
        true
    }
}
