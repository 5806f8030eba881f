//! tabletop: Monte Carlo simulator for homeland-security tabletop exercises.
//!
//! Data flows one way:
//! scenario file (RON) → [`scenario::load`] → [`scenario::ValidScenario`] →
//! [`sim::Model::run`] → [`sim::RunOutcome`] × N in [`batch`] → charts and report in [`report`].
//!
//! [`cli`] holds the clap types and [`app`] is the one place they become domain options
//! (`BatchOptions`, `NewOptions`, ...); the layers below never see clap.
//!
//! The public API is what the binary, the integration tests and the benches use: loading and
//! validating scenarios ([`scenario`]), running the engine ([`sim::Model`]), running and
//! merging batches ([`batch`]), pricing partnerships ([`ledger::compute`]), writing the report
//! ([`report::write_report`]) and the error type ([`Error`]). Everything else is `pub(crate)`.
//!
//! Feature `test-support` exposes test fixtures (`batch::synthetic`, `report::fixture`) to
//! the integration tests and benches; it is not part of the library proper.

#![warn(missing_docs, unreachable_pub)]

pub mod app;
pub mod batch;
pub mod cli;
pub mod console;
pub mod error;
#[cfg(feature = "test-support")]
pub mod fuzz;
pub(crate) mod ids;
pub mod ledger;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sensitivity;
pub mod sim;

pub use error::{Error, Result};
