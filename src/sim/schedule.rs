//! The run's World and Schedule: resources and agency entities built from the compiled model
//! and the run seed, and the systems in one explicitly chained sequence of phases.

use super::RunSeed;
use super::agency::{
    AgencyEntities, AgencyIx, AgencyStreams, Holdings, Queue, Status, analyse_items, count_analysed,
};
use super::clock::{Clock, Static};
use super::compile::Compiled;
use super::failure::{ChannelState, Channels, advance_reliability};
use super::flow::{Analysed, InFlight, Items, deliver_items, share_items};
use super::inject::{InjectStates, fire_injects};
use super::insider::{ActNow, InsiderState, Insiders, apply_insider_actions};
use super::metrics::{SeriesBuf, Tally, Watch, record_series};
use super::partnership::{
    LinkState, Links, Modifiers, Mods, TrustSignal, apply_benefits, update_trust,
};
use super::recorder::Recorder;
use super::response::{advance_surge, retract_false_items, take_actions};
use super::rng::{chance, exp_wait, stream};
use super::threat::{SurgeState, ThreatState, ThreatStates, emit_signals};
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleBuildSettings, SingleThreadedExecutor};
use std::sync::Arc;

/// The phases of a tick, run in this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// MSEL injects start and end.
    Injects,
    /// Reliability processes of agencies and channels.
    Failures,
    /// Availability, lost functions and partnership benefits.
    Benefits,
    /// Threat signals and their observation.
    Collection,
    /// Insider precursors and acts.
    Insiders,
    /// Deliveries due in this window.
    Delivery,
    /// Analyst queues.
    Analysis,
    /// Sharing over partnerships.
    Sharing,
    /// Trust, equity and withdrawals.
    Trust,
    /// Decisions, actions, deadlines, surge.
    Response,
    /// Watch values, series, message buffers.
    Metrics,
}

/// Swap the message buffers once per tick (no bevy_app here).
fn update_messages(
    mut a: ResMut<Messages<Analysed>>,
    mut b: ResMut<Messages<TrustSignal>>,
    mut c: ResMut<Messages<ActNow>>,
) {
    a.update();
    b.update();
    c.update();
}

/// Build the schedule: systems in chained phases, single-threaded executor.
pub fn build_schedule(ambiguity_is_error: bool) -> Schedule {
    let mut s = Schedule::default();
    s.set_executor(SingleThreadedExecutor::new());
    if ambiguity_is_error {
        s.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: bevy_ecs::schedule::LogLevel::Error,
            ..Default::default()
        });
    }
    s.configure_sets(
        (
            Phase::Injects,
            Phase::Failures,
            Phase::Benefits,
            Phase::Collection,
            Phase::Insiders,
            Phase::Delivery,
            Phase::Analysis,
            Phase::Sharing,
            Phase::Trust,
            Phase::Response,
            Phase::Metrics,
        )
            .chain(),
    );
    s.add_systems((
        fire_injects.in_set(Phase::Injects),
        advance_reliability.in_set(Phase::Failures),
        apply_benefits.in_set(Phase::Benefits),
        emit_signals.in_set(Phase::Collection),
        apply_insider_actions.in_set(Phase::Insiders),
        deliver_items.in_set(Phase::Delivery),
        (analyse_items, count_analysed)
            .chain()
            .in_set(Phase::Analysis),
        share_items.in_set(Phase::Sharing),
        update_trust.in_set(Phase::Trust),
        (retract_false_items, take_actions, advance_surge)
            .chain()
            .in_set(Phase::Response),
        (record_series, update_messages)
            .chain()
            .in_set(Phase::Metrics),
    ));
    s
}

/// Build the World of one run.
pub fn build_world(st: &Arc<Compiled>, seed: RunSeed, timeline: bool) -> World {
    let (m, r) = (seed.master, seed.run_index);
    let mut w = World::new();
    w.insert_resource(Static(st.clone()));
    w.insert_resource(Clock::at(0, st.dt));
    w.insert_resource(Recorder {
        on: timeline,
        events: Vec::new(),
    });
    w.init_resource::<Messages<Analysed>>();
    w.init_resource::<Messages<TrustSignal>>();
    w.init_resource::<Messages<ActNow>>();
    w.insert_resource(Items::default());
    w.insert_resource(InFlight::default());
    w.insert_resource(Tally::default());
    w.insert_resource(Watch {
        informed: vec![0; st.threats.len()],
        informed_any: 0,
        backlog: 0,
    });
    w.insert_resource(SeriesBuf(vec![
        Vec::with_capacity(
            st.catalog.series_times.len()
        );
        st.catalog.series.len()
    ]));
    w.insert_resource(Modifiers(vec![Mods::default(); st.agencies.len()]));

    let mut ents = Vec::with_capacity(st.agencies.len());
    for (i, a) in st.agencies.iter().enumerate() {
        let mut failure = stream(m, r, &format!("agency/{}/failure", a.id));
        let next = match a.reliability {
            Some((mtbf, _)) => exp_wait(&mut failure, 1.0 / mtbf),
            None => f64::INFINITY,
        };
        let e = w
            .spawn((
                AgencyIx(i),
                Status::new(next),
                Queue::default(),
                Holdings::new(st.threats.len()),
                AgencyStreams {
                    collect: stream(m, r, &format!("agency/{}/collect", a.id)),
                    service: stream(m, r, &format!("agency/{}/service", a.id)),
                    failure,
                },
            ))
            .id();
        ents.push(e);
    }
    w.insert_resource(AgencyEntities(ents));

    w.insert_resource(Channels(
        st.channels
            .iter()
            .map(|c| {
                let mut rng = stream(m, r, &format!("channel/{}", c.id));
                let next = match c.reliability {
                    Some((mtbf, _)) => exp_wait(&mut rng, 1.0 / mtbf),
                    None => f64::INFINITY,
                };
                ChannelState {
                    stoch_up: true,
                    next_transition: next,
                    scripted_down: 0,
                    compromised: 0,
                    ever_down: false,
                    rng,
                }
            })
            .collect(),
    ));
    w.insert_resource(Links(
        st.links
            .iter()
            .map(|l| LinkState {
                trust: l.trust0,
                damage: 0.0,
                withdrawn: false,
                inject_withdrawn: 0,
                held: 0,
                ever_lost: false,
                compromised: false,
                items: 0,
                given: 0.0,
                rng: stream(
                    m,
                    r,
                    &format!(
                        "link/{}/{}/{}",
                        st.partnerships[l.partnership],
                        st.agencies[l.from].id,
                        st.agencies[l.to].id
                    ),
                ),
            })
            .collect(),
    ));
    w.insert_resource(ThreatStates(
        st.threats
            .iter()
            .map(|t| {
                let mut rng = stream(m, r, &format!("threat/{}/signals", t.id));
                let mut act_rng = stream(m, r, &format!("threat/{}/response", t.id));
                let real = chance(&mut rng, t.truth_p);
                let deadline = t.deadline.map(|d| t.start + d.sample(&mut act_rng));
                // The threat begins at `start`; its first observable signal comes one interval
                // later (the dwell before anything can be seen).
                let first_signal = t.start + t.interval.sample(&mut rng);
                ThreatState {
                    real,
                    next_signal: first_signal,
                    deadline,
                    detected_at: None,
                    first_share_at: None,
                    first_false_share_at: None,
                    retracted_at: None,
                    first_action_at: None,
                    resolved_at: None,
                    false_alarm_acted: false,
                    harm_at: None,
                    public_warning_at: None,
                    over: false,
                    pending: Vec::new(),
                    rng,
                    act_rng,
                    surge: t.surge.map(|_| SurgeState::default()),
                }
            })
            .collect(),
    ));
    w.insert_resource(Insiders(
        st.insiders
            .iter()
            .map(|i| {
                let mut rng = stream(m, r, &format!("insider/{}", i.id));
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
            })
            .collect(),
    ));
    w.insert_resource(InjectStates {
        fired_at: vec![None; st.injects.len()],
        done: vec![false; st.injects.len()],
        ending: Vec::new(),
        rng: st
            .injects
            .iter()
            .map(|i| stream(m, r, &format!("inject/{}", i.id)))
            .collect(),
    });
    w
}
