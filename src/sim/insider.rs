//! Insiders: precursors arrive as a Poisson process and are detected with probability
//! report × monitoring; until detected an active insider acts (leak, exfiltration, sabotage,
//! disinformation, tip-off) as a second Poisson process. Vetting scales activation.

use super::agency::{AgencyEntities, Holdings, Queue, Status};
use super::clock::{Clock, Static};
use super::compile::InsiderAct;
use super::flow::{InFlight, Items, create_item};
use super::metrics::Tally;
use super::outcome::EventKind;
use super::partnership::{Links, TrustSignal};
use super::recorder::Recorder;
use super::rng::{Stream, chance, exp_wait};
use super::threat::ThreatStates;
use bevy_ecs::prelude::*;

/// Run state of an insider.
#[derive(Debug, Clone)]
pub struct InsiderState {
    /// Active (malicious) in this run.
    pub active: bool,
    /// Detected at [h].
    pub detected_at: Option<f64>,
    /// Next precursor [h].
    pub next_precursor: f64,
    /// Next hostile act [h].
    pub next_action: f64,
    /// Hostile acts so far.
    pub acts: u32,
    /// Precursors observed but not reported.
    pub unreported: u32,
    /// Draws.
    pub rng: Stream,
}

/// All insiders, by index.
#[derive(Resource, Debug, Default)]
pub struct Insiders(pub Vec<InsiderState>);

/// An inject forcing an insider to act now.
#[derive(Message, Debug, Clone, Copy)]
pub struct ActNow {
    /// Insider index.
    pub insider: usize,
    /// Time [h].
    pub t: f64,
}

/// Advance every insider through the window, then apply forced acts from injects.
#[allow(clippy::too_many_arguments)]
pub fn apply_insider_actions(
    clock: Res<Clock>,
    st: Res<Static>,
    ents: Res<AgencyEntities>,
    mut insiders: ResMut<Insiders>,
    mut forced: MessageReader<ActNow>,
    mut items: ResMut<Items>,
    mut flight: ResMut<InFlight>,
    mut threats: ResMut<ThreatStates>,
    mut links: ResMut<Links>,
    mut tally: ResMut<Tally>,
    mut rec: ResMut<Recorder>,
    mut signals: MessageWriter<TrustSignal>,
    mut agencies: Query<(&Holdings, &mut Status, &mut Queue)>,
) {
    let mut w = World2 {
        st: &st,
        ents: &ents,
        items: &mut items,
        flight: &mut flight,
        threats: &mut threats,
        links: &mut links,
        tally: &mut tally,
        rec: &mut rec,
        signals: &mut signals,
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
                    w.detected(i, t, s.acts, &mut agencies);
                } else {
                    s.unreported += 1;
                    let ag = &st.agencies[ins.agency];
                    w.rec.log(t, EventKind::Precursor, &ins.id, "", || {
                        format!(
                            "A precursor of insider {} at {} is seen but not reported",
                            ins.id, ag.name
                        )
                    });
                }
                s.next_precursor = t + exp_wait(&mut s.rng, ins.precursor_rate);
            } else {
                s.acts += 1;
                w.act(i, t, &mut agencies);
                s.next_action = t + exp_wait(&mut s.rng, ins.action_rate);
            }
        }
    }
    for f in forced.read() {
        let s = &mut insiders.0[f.insider];
        if s.active && s.detected_at.is_none() {
            s.acts += 1;
            w.act(f.insider, f.t, &mut agencies);
        }
    }
}

/// The resources an insider act touches.
struct World2<'a, 'w> {
    st: &'a Static,
    ents: &'a AgencyEntities,
    items: &'a mut Items,
    flight: &'a mut InFlight,
    threats: &'a mut ThreatStates,
    links: &'a mut Links,
    tally: &'a mut Tally,
    rec: &'a mut Recorder,
    signals: &'a mut MessageWriter<'w, TrustSignal>,
}

impl World2<'_, '_> {
    fn originators_lose_trust(&mut self, agency: usize) {
        for (l, ls) in self.st.links.iter().enumerate() {
            if ls.to == agency && self.links.0[l].items > 0 {
                self.links.0[l].compromised = true;
                self.signals.write(TrustSignal { link: l, x: -1.0 });
            }
        }
    }

    fn detected(
        &mut self,
        i: usize,
        t: f64,
        acts: u32,
        _agencies: &mut Query<(&Holdings, &mut Status, &mut Queue)>,
    ) {
        let ins = &self.st.insiders[i];
        let ag = &self.st.agencies[ins.agency];
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
    }

    fn act(
        &mut self,
        i: usize,
        t: f64,
        agencies: &mut Query<(&Holdings, &mut Status, &mut Queue)>,
    ) {
        let st = self.st;
        let ins = &st.insiders[i];
        let ag = &st.agencies[ins.agency];
        let Ok((h, mut status, mut queue)) = agencies.get_mut(self.ents.0[ins.agency]) else {
            return;
        };
        let mean_sensitivity = if h.count > 0 {
            h.sensitivity_held / h.count as f64
        } else {
            1.0
        };
        match ins.act {
            InsiderAct::Leak | InsiderAct::Exfiltration => {
                let exposure = ins.access_mult * mean_sensitivity;
                self.tally.exposure += exposure;
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
                let dropped = queue.waiting.len();
                queue.waiting.clear();
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
                        ins.id, ag.name, st.threats[th].name
                    )
                });
            }
            InsiderAct::TipOff(th) => {
                let ts = &mut self.threats.0[th];
                let adv = st.threats[th].tipoff_advance;
                if let Some(d) = ts.deadline.as_mut()
                    && ts.real
                    && ts.resolved_at.is_none()
                {
                    *d = (*d - adv).max(t);
                }
                self.rec.log(t, EventKind::InsiderAction, &ins.id, "", || {
                    format!(
                        "{} tips off the subject of {}: the timeline advances by {:.0} h",
                        ag.name, st.threats[th].name, adv
                    )
                });
            }
        }
    }
}
