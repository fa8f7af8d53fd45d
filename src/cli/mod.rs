//! The command line face: parses arguments, runs one command, maps failures to exit codes.

pub mod args;
pub mod exit;
mod workflow_cmd;

pub use args::Cli;
pub use exit::{CliError, ExitKind};

use crate::workflow::Workflows;

/// Runs the parsed command line; the caller prints the error and exits with its code.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let workflows = Workflows::shipped().map_err(|e| CliError::unexpected(e.to_string()))?;
    match &cli.command {
        Some(args::Command::Workflow(command)) => workflow_cmd::run(command, &workflows),
        None => Err(CliError::bad_input("no command given (try --help)")),
    }
}
