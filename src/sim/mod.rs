//! The simulation engine: one bevy_ecs World per run, built from a validated scenario.
//!
//! [`Model::new`] compiles a scenario once; [`Model::run`] simulates one run from a
//! [`RunSeed`] and is cheap enough to call tens of thousands of times.

pub mod agency;
pub mod clock;
pub mod compile;
pub mod failure;
pub mod flow;
pub mod inject;
pub mod insider;
pub mod metrics;
pub mod narrative;
pub mod outcome;
pub mod partnership;
pub mod recorder;
pub mod response;
pub mod rng;
pub mod schedule;
pub mod threat;

pub use outcome::*;

use std::sync::Arc;

use crate::scenario::ValidScenario;

/// Identifies a run's random streams: `ChaCha8Rng::seed_from_u64(master)` with
/// `set_stream(run_index)`. The same pair always gives the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSeed {
    /// Master seed of the batch.
    pub master: u64,
    /// Run index within the batch.
    pub run_index: u64,
}

/// What a run records beyond its scalar outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Record the event timeline (slower; used by `run` and exemplar runs).
    pub timeline: bool,
}

/// A scenario compiled for simulation.
#[derive(Debug, Clone)]
pub struct Model {
    compiled: Arc<compile::Compiled>,
}

impl Model {
    /// Compile a validated scenario.
    pub fn new(scenario: &ValidScenario) -> Model {
        Model {
            compiled: Arc::new(compile::compile(scenario)),
        }
    }

    /// What every outcome of this model contains.
    pub fn catalog(&self) -> &Catalog {
        &self.compiled.catalog
    }

    /// Simulate one run.
    pub fn run(&self, seed: RunSeed, options: RunOptions) -> RunOutcome {
        let mut world = schedule::build_world(&self.compiled, seed, options.timeline);
        let mut sched = schedule::build_schedule(false);
        for k in 0..self.compiled.ticks {
            *world.resource_mut::<clock::Clock>() = clock::Clock::at(k, self.compiled.dt);
            sched.run(&mut world);
            world.clear_trackers();
        }
        metrics::finish(&mut world, seed.run_index)
    }
}
