//! The simulation engine: one bevy_ecs World per run, built from a validated scenario.
//!
//! [`Model::new`] compiles a scenario once; [`Model::run`] simulates one run from a
//! [`RunSeed`] and is cheap enough to call tens of thousands of times.

pub mod outcome;

pub use outcome::*;

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
    catalog: Catalog,
}

impl Model {
    /// Compile a validated scenario.
    pub fn new(scenario: &ValidScenario) -> Model {
        let _ = scenario;
        Model {
            catalog: Catalog {
                metrics: vec![],
                objectives: vec![],
                drivers: vec![],
                series: vec![],
                series_times: vec![],
                links: vec![],
                inject_times: vec![],
            },
        }
    }

    /// What every outcome of this model contains.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Simulate one run.
    pub fn run(&self, seed: RunSeed, options: RunOptions) -> RunOutcome {
        let _ = options;
        RunOutcome {
            run_index: seed.run_index,
            metrics: vec![],
            objectives: vec![],
            drivers: vec![],
            series: vec![],
            links: vec![],
            timeline: vec![],
        }
    }
}

/// `tabletop run`.
pub fn cmd_run(args: &crate::cli::RunArgs) -> crate::Result<()> {
    let _ = args;
    Err(crate::Error::Runtime(
        "`tabletop run` is not yet available".into(),
    ))
}
