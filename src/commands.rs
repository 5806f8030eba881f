//! Dispatch of each subcommand to the module that implements it.

use crate::cli::{Cli, Command};
use crate::error::Result;

/// Run the command the user asked for.
pub fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Validate(a) => crate::scenario::cmd_validate(a),
        Command::New(a) => crate::scenario::cmd_new(a),
        Command::Run(a) => crate::sim::cmd_run(a),
        Command::Batch(a) => crate::batch::cmd_batch(a),
        Command::Sweep(a) => crate::batch::cmd_sweep(a),
        Command::Merge(a) => crate::batch::cmd_merge(a),
        Command::Report(a) => crate::report::cmd_report(a),
    }
}
