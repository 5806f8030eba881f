//! The phases of a tick: every system sits in one, and the phases run in this order.

use bevy_ecs::prelude::*;

/// The phases of a tick, run in this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Phase {
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
