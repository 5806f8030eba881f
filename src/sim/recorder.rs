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
