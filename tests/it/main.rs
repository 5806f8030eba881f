//! Integration tests, one binary: each module covers one area.

mod scenario_cli;
mod scenario_diagnostics;
mod scenario_files;
mod scenario_robustness;
