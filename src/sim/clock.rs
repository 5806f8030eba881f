//! Scenario time: the tick window every system works in, and the run's static model.

use super::compile::Compiled;
use bevy_ecs::prelude::*;
use std::sync::Arc;

/// The current tick's window [now, end) in hours.
#[derive(Resource, Debug, Clone, Copy)]
pub(super) struct Clock {
    /// Tick number, from 0.
    pub tick: u64,
    /// Start of the window [h].
    pub now: f64,
    /// End of the window [h].
    pub end: f64,
    /// Tick length [h].
    pub dt: f64,
}

impl Clock {
    /// The window of tick `k`.
    pub(super) fn at(k: u64, dt: f64) -> Clock {
        Clock {
            tick: k,
            now: k as f64 * dt,
            end: (k + 1) as f64 * dt,
            dt,
        }
    }
}

/// The compiled scenario, shared read-only by every system.
#[derive(Resource, Clone)]
pub(super) struct Static(pub Arc<Compiled>);

impl std::ops::Deref for Static {
    type Target = Compiled;
    fn deref(&self) -> &Compiled {
        &self.0
    }
}
