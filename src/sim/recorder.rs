//! The run's timeline of events (recorded only when asked: formatting costs time).

use super::outcome::{EventKind, Timeline};
use bevy_ecs::prelude::*;

/// Timeline recorder.
#[derive(Resource, Debug, Default)]
pub(super) struct Recorder {
    /// Whether events are recorded.
    pub on: bool,
    /// Recorded events, in the order they happened within each tick.
    pub events: Timeline,
    /// Each objective's status at the end of the last tick watched (`Some(met)`, `None` when
    /// not applicable) and whether a change of it was logged; empty before the first tick
    /// watched (see `metrics::watch_objectives`).
    pub objectives: Vec<(Option<bool>, bool)>,
}

impl Recorder {
    /// Record an event; the text is only built when recording is on.
    pub(super) fn log(
        &mut self,
        t: f64,
        kind: EventKind,
        who: &str,
        via: &str,
        text: impl FnOnce() -> String,
    ) {
        if self.on {
            self.events
                .push_with(t, kind, who, via, |s| s.push_str(&text()));
        }
    }
}
