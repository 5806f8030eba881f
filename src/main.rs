//! `tabletop` binary: parse arguments, run the command, print the error, set the exit code.

use clap::Parser;
use tabletop::cli::Cli;

fn main() {
    let cli = Cli::parse();
    if let Err(err) = tabletop::app::run(&cli) {
        eprintln!("{err}");
        std::process::exit(err.exit_code());
    }
}
