//! tabletop: Monte Carlo simulator for homeland-security tabletop exercises.
//!
//! Data flows one way:
//! scenario file (RON) → [`scenario::load`] → [`scenario::ValidScenario`] →
//! [`sim::Model::run`] → [`sim::RunOutcome`] × N in [`batch`] → charts and report in [`report`].

pub mod batch;
pub mod cli;
pub mod commands;
pub mod error;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sim;

pub use error::{Error, Result};
