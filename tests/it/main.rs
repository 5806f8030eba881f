//! Integration tests, one binary: each module covers one area.

mod batch;
mod batch_cli;
mod calibrate;
mod console;
mod deploy;
mod end_to_end;
mod escaping;
mod fuzz;
mod golden;
mod landfall;
mod ledger;
mod mechanisms;
mod model;
mod msel_import;
mod report;
mod scenario_cli;
mod scenario_diagnostics;
mod scenario_files;
mod scenario_robustness;
mod uncertainty;
