//! tabletop: Monte Carlo simulator for homeland-security tabletop exercises.
//!
//! Data flows one way:
//! scenario file (RON) → [`scenario::load`] → [`scenario::ValidScenario`] →
//! [`sim::Model::run`] → [`sim::RunOutcome`] × N in [`batch`] → charts and report in [`report`].
//!
//! [`cli`] holds the clap types and [`app`] is the one place they become domain options
//! ([`batch::BatchOptions`], [`scenario::NewOptions`], ...); the layers below never see clap.
//!
//! Feature `test-support` exposes test fixtures (`batch::synthetic`, `report::fixture`) to
//! the integration tests and benches; it is not part of the library proper.

pub mod app;
pub mod batch;
pub mod cli;
pub mod error;
pub mod ids;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sim;

pub use error::{Error, Result};
