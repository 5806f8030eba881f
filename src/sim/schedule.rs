//! The run's World and Schedule: the shared state, then each concept's state, installed once
//! per worker and reset at the start of every run so a worker reuses its buffers from run to
//! run. A tick is two systems: the MSEL's exclusive judging of objectives, then [`tick`], which
//! runs the phases in their fixed order (Injects, Failures, Benefits, Collection, Insiders,
//! Delivery, Analysis, Sharing, Trust, Response, Metrics), each a concept module's function over
//! the run state fetched once.

use super::clock::{Clock, Static};
use super::compile::Compiled;
use super::metrics::finish;
use super::outcome::RunOutcome;
use super::recorder::Recorder;
use super::rng::RunSeed;
use super::state::{ActNow, Analysed, Cursors, Delivery, RunState, TrustSignal};
use super::{agency, failure, flow, inject, insider, metrics, partnership, response, threat};
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleBuildSettings, SingleThreadedExecutor};
use std::sync::Arc;

/// An empty schedule with a single-threaded executor.
fn single_threaded() -> Schedule {
    let mut s = Schedule::default();
    s.set_executor(SingleThreadedExecutor::new());
    // No system defers work (no Commands; messages are written in place), so there is
    // nothing to apply after each run of the schedule.
    s.set_apply_final_deferred(false);
    s
}

/// The schedule of a tick.
fn phases(ambiguity_is_error: bool) -> Schedule {
    let mut s = single_threaded();
    if ambiguity_is_error {
        s.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: bevy_ecs::schedule::LogLevel::Error,
            ..Default::default()
        });
    }
    s.add_systems((inject::judge_objectives, tick, metrics::watch_objectives).chain());
    s
}

/// What the phases keep from tick to tick (a system's local state).
#[derive(Default)]
struct Kept {
    /// The Delivery phase's spare buffer of parked deliveries.
    spare: Vec<Delivery>,
    /// Who is at work in each agency (Analysis phase).
    staffing: agency::Staffing,
    /// The Trust phase's buffers.
    trust: partnership::TrustScratch,
    /// The Sharing phase's buffers.
    sharing: flow::Sharing,
}

/// One tick after the objectives are judged: every phase in order over the run state,
/// fetched from the World once.
fn tick(mut s: RunState, mut bufs: metrics::Bufs, mut kept: Local<Kept>) {
    phases_of_tick(&mut s, &mut bufs, &mut kept);
}

/// Every tick of a run in one system run, for a run that nothing looks at between ticks: no
/// timeline is recorded (so [`metrics::watch_objectives`] has nothing to do) and no inject
/// waits for an objective's judgement (so [`inject::judge_objectives`] has nothing to do).
/// The phases run in the same order on the same state as [`tick`] run tick after tick, so the
/// run is the same; bevy's cost of running a schedule and fetching its resources is paid
/// once per run instead of once per tick.
fn whole_run(mut s: RunState, mut bufs: metrics::Bufs, mut kept: Local<Kept>) {
    let (ticks, dt) = (s.compiled().ticks, s.compiled().dt);
    for k in 0..ticks {
        s.set_clock(Clock::at(k, dt));
        phases_of_tick(&mut s, &mut bufs, &mut kept);
    }
}

/// The phases of one tick, in their fixed order.
fn phases_of_tick(s: &mut RunState, bufs: &mut metrics::Bufs, kept: &mut Kept) {
    let mut t = s.tick();
    inject::fire(t.re());
    failure::reliability(t.re());
    partnership::benefits(t.re());
    threat::collect(t.re());
    insider::act(t.re());
    flow::deliver(t.re(), &mut kept.spare);
    agency::analyse(t.re(), &mut kept.staffing);
    flow::share(t.re(), &mut kept.sharing);
    partnership::trust(t.re(), &mut kept.trust);
    response::respond(t.re());
    metrics::record(t.re(), bufs);
    metrics::update_messages(t);
}

/// A World and Schedule for one compiled model, reused run after run.
pub(crate) struct Runner {
    compiled: Arc<Compiled>,
    world: World,
    schedule: Schedule,
    /// A whole run as one system run ([`whole_run`]).
    whole: Schedule,
    /// Whether some inject waits for an objective's judgement (the whole-run schedule cannot
    /// judge between ticks).
    judges: bool,
}

impl Runner {
    /// Install every concept's state and systems. With `ambiguity_is_error`, the schedule
    /// fails to initialise on any pair of systems whose order is not fixed (used by a test).
    pub(crate) fn new(st: &Arc<Compiled>, ambiguity_is_error: bool) -> Runner {
        let mut w = World::new();
        let s = phases(ambiguity_is_error);
        w.insert_resource(Static(st.clone()));
        w.insert_resource(Clock::at(0, st.dt));
        w.init_resource::<Recorder>();
        w.init_resource::<Messages<Analysed>>();
        w.init_resource::<Messages<TrustSignal>>();
        w.init_resource::<Messages<ActNow>>();
        w.init_resource::<Cursors>();
        inject::install(&mut w);
        failure::install(&mut w);
        partnership::install(&mut w);
        threat::install(&mut w);
        insider::install(&mut w);
        flow::install(&mut w);
        agency::install(&mut w);
        metrics::install(&mut w);
        let mut whole = single_threaded();
        whole.add_systems(whole_run);
        Runner {
            compiled: st.clone(),
            world: w,
            schedule: s,
            whole,
            judges: inject::judges_objectives(st),
        }
    }

    #[cfg(test)]
    /// Initialise the schedule (checks ambiguities when asked at construction).
    pub(crate) fn initialize(&mut self) -> Result<(), String> {
        self.schedule
            .initialize(&mut self.world)
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    /// Test hook: the World at the start of run `seed` (timeline off), for engine unit tests
    /// that run one system at a time.
    #[cfg(test)]
    pub(crate) fn into_world_at(mut self, seed: RunSeed) -> World {
        self.reset(seed, false);
        self.world
    }

    /// Put every resource to the start of run `seed`.
    fn reset(&mut self, seed: RunSeed, timeline: bool) {
        let st = self.compiled.clone();
        let w = &mut self.world;
        *w.resource_mut::<Clock>() = Clock::at(0, st.dt);
        let mut rec = w.resource_mut::<Recorder>();
        rec.events.clear();
        rec.objectives.clear();
        rec.on = timeline;
        w.resource_mut::<Messages<Analysed>>().clear();
        w.resource_mut::<Messages<TrustSignal>>().clear();
        w.resource_mut::<Messages<ActNow>>().clear();
        metrics::reset(w, &st);
        inject::reset(w, &st, seed);
        failure::reset(w, &st, seed);
        partnership::reset(w, &st, seed);
        threat::reset(w, &st, seed);
        insider::reset(w, &st, seed);
        flow::reset(w, &st);
        agency::reset(w, &st, seed);
    }

    /// Step API (`step.rs`): put the World to the start of run `seed` without running.
    pub(crate) fn begin(&mut self, seed: RunSeed, timeline: bool) {
        self.reset(seed, timeline);
    }

    /// Step API: run tick `k` (ticks run in order from 0, as [`Runner::run`] does).
    pub(crate) fn run_tick(&mut self, k: u64) {
        let dt = self.compiled.dt;
        *self.world.resource_mut::<Clock>() = Clock::at(k, dt);
        self.schedule.run(&mut self.world);
        self.world.clear_trackers();
    }

    /// Step API: the run's World, read-only.
    pub(crate) fn world(&self) -> &World {
        &self.world
    }

    /// Step API: the run's World, to read its state and set the console hook.
    pub(crate) fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// Step API: the outcome once every tick has run.
    pub(crate) fn end(&mut self, run_index: u64) -> RunOutcome {
        finish(&mut self.world, run_index)
    }

    /// Simulate run `seed` from its start to the end of the exercise.
    pub(crate) fn run(&mut self, seed: RunSeed, timeline: bool) -> RunOutcome {
        self.reset(seed, timeline);
        if !timeline && !self.judges {
            self.whole.run(&mut self.world);
            self.world.clear_trackers();
            return finish(&mut self.world, seed.run_index);
        }
        let (ticks, dt) = (self.compiled.ticks, self.compiled.dt);
        for k in 0..ticks {
            *self.world.resource_mut::<Clock>() = Clock::at(k, dt);
            self.schedule.run(&mut self.world);
            self.world.clear_trackers();
        }
        finish(&mut self.world, seed.run_index)
    }
}
