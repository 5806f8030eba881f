//! The run's timeline of events (recorded only when asked: formatting costs time).

use super::outcome::{Event, EventKind};
use bevy_ecs::prelude::*;

/// Timeline recorder.
#[derive(Resource, Debug, Default)]
pub(super) struct Recorder {
    /// Whether events are recorded.
    pub on: bool,
    /// Recorded events, in the order they happened within each tick.
    pub events: Vec<Event>,
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
            self.events.push(Event {
                t,
                kind,
                who: who.to_string(),
                via: via.to_string(),
                text: text(),
            });
        }
    }
}
