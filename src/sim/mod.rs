//! The simulation engine: one bevy_ecs World per run, built from a validated scenario.
//!
//! [`Model::new`] compiles a scenario once; [`Model::run`] simulates one run from a
//! [`RunSeed`] and is cheap enough to call tens of thousands of times.

// Engine internals: only the types re-exported below (`Model`, `RunOptions`, `RunSeed`, the
// outcome types) leave the crate; `narrative` is for the app layer.
mod agency;
mod clock;
mod compile;
mod failure;
mod flow;
mod hazard;
mod hook;
mod inject;
mod insider;
mod metrics;
pub(crate) mod narrative;
mod order;
mod outcome;
mod partnership;
mod recorder;
mod response;
mod rng;
mod schedule;
mod state;
mod step;
#[cfg(test)]
mod tests;
mod threat;

pub(crate) use crate::ids;
/// Handling defaults the ledger's aligned level compares against.
pub(crate) use compile::{agreement_violation_mult, default_compliance};
pub use outcome::*;
pub use rng::RunSeed;
pub use step::*;

use std::cell::RefCell;
use std::sync::{Arc, Weak};

/// Runners a thread keeps (one per model: a batch interleaves the baseline and its variants).
const RUNNERS_PER_THREAD: usize = 16;

thread_local! {
    /// This thread's runners, most recently used first. A `Weak` keeps its model's allocation,
    /// so a pointer match always means the same model.
    static RUNNERS: RefCell<Vec<(Weak<compile::Compiled>, schedule::Runner)>> =
        const { RefCell::new(Vec::new()) };
}

use crate::scenario::ValidScenario;

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

    /// Simulate one run. Each thread keeps the World of the models it ran last and resets it,
    /// so a worker allocates its run state once, not once per run; a run's result does not
    /// depend on what the World held before (the golden-hash test checks this across threads).
    pub fn run(&self, seed: RunSeed, options: RunOptions) -> RunOutcome {
        RUNNERS.with_borrow_mut(|cache| {
            let me = Arc::downgrade(&self.compiled);
            let mut entry = match cache.iter().position(|(w, _)| Weak::ptr_eq(w, &me)) {
                Some(i) => cache.remove(i),
                None => (me, schedule::Runner::new(&self.compiled, false)),
            };
            let out = entry.1.run(seed, options.timeline);
            // Most recently used first; runners of dropped models leave.
            cache.retain(|(w, _)| w.strong_count() > 0);
            cache.insert(0, entry);
            cache.truncate(RUNNERS_PER_THREAD);
            out
        })
    }
}
