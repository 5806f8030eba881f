//! Integration tests, one binary: each module covers one area.

mod batch;
mod batch_cli;
mod mechanisms;
mod model;
mod report;
