//! Integration tests, one binary: each module covers one area.

mod batch;
mod batch_cli;
mod end_to_end;
mod golden;
mod landfall;
mod ledger;
mod mechanisms;
mod model;
mod report;
mod scenario_cli;
mod scenario_diagnostics;
mod scenario_files;
mod scenario_robustness;
