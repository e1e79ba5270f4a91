//! The `rampart` binary: parses the command line, runs one command, maps the
//! outcome to an exit code (0 clean, 1 found something at or above
//! `--fail-on`, 2 error) and prints errors without panicking.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;
mod progress;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            cmd::print_error(&err);
            ExitCode::from(2)
        }
    }
}
