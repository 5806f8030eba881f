//! The live exercise console: `tabletop serve` (a local web application for the facilitator
//! and the teams), its append-only session log, and `tabletop replay`.
//!
//! The engine side is [`crate::sim::Stepper`]: a run stepped tick by tick, taking actions
//! between ticks. A session is the seed plus its logged actions, so replay, resume and
//! fork-and-forecast are all replays of the log.

pub mod aar;
pub mod log;
pub mod server;
pub mod session;
