//! The run's World and Schedule: the shared state, then each concept's state and systems,
//! installed in the phases of one explicitly chained sequence.

use super::clock::{Clock, Static};
use super::compile::Compiled;
use super::phase::Phase;
use super::recorder::Recorder;
use super::rng::RunSeed;
use super::state::{ActNow, Analysed, TrustSignal};
use super::{agency, failure, flow, inject, insider, metrics, partnership, response, threat};
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleBuildSettings, SingleThreadedExecutor};
use std::sync::Arc;

/// An empty schedule with the phases chained and a single-threaded executor.
fn phases(ambiguity_is_error: bool) -> Schedule {
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
    s
}

/// Build the World and Schedule of one run. With `ambiguity_is_error`, building the schedule
/// fails on any pair of systems whose order is not fixed (used by a test).
pub fn build(
    st: &Arc<Compiled>,
    seed: RunSeed,
    timeline: bool,
    ambiguity_is_error: bool,
) -> (World, Schedule) {
    let mut w = World::new();
    let mut s = phases(ambiguity_is_error);
    w.insert_resource(Static(st.clone()));
    w.insert_resource(Clock::at(0, st.dt));
    w.insert_resource(Recorder {
        on: timeline,
        events: Vec::new(),
    });
    w.init_resource::<Messages<Analysed>>();
    w.init_resource::<Messages<TrustSignal>>();
    w.init_resource::<Messages<ActNow>>();
    inject::install(&mut w, &mut s, st, seed);
    failure::install(&mut w, &mut s, st, seed);
    partnership::install(&mut w, &mut s, st, seed);
    threat::install(&mut w, &mut s, st, seed);
    insider::install(&mut w, &mut s, st, seed);
    flow::install(&mut w, &mut s, st);
    agency::install(&mut w, &mut s, st, seed);
    response::install(&mut s);
    metrics::install(&mut w, &mut s, st);
    (w, s)
}
