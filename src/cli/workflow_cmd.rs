//! `orderboard workflow check|graph`.

use std::path::Path;

use super::args::{GraphFormatArg, WorkflowCommand};
use super::exit::CliError;
use crate::domain::text::display_safe;
use crate::workflow::graph::{GraphFormat, render};
use crate::workflow::registry::load_file;
use crate::workflow::{Workflow, Workflows};

pub fn run(command: &WorkflowCommand, workflows: &Workflows) -> Result<(), CliError> {
    match command {
        WorkflowCommand::Check { file } => {
            let workflow =
                load_file(file).map_err(|errors| CliError::bad_input(errors.to_string()))?;
            println!("{}", summary(&file.display().to_string(), &workflow));
            Ok(())
        }
        WorkflowCommand::Graph {
            name_or_file,
            format,
        } => {
            let workflow = match workflows.get(name_or_file) {
                Some(shipped) => (**shipped).clone(),
                None if Path::new(name_or_file).exists() => load_file(Path::new(name_or_file))
                    .map_err(|errors| CliError::bad_input(errors.to_string()))?,
                None => {
                    return Err(CliError::bad_input(format!(
                        "\"{name_or_file}\" is neither a workflow ({}) nor a file",
                        workflows.names().join(", ")
                    )));
                }
            };
            let format = match format {
                GraphFormatArg::Mermaid => GraphFormat::Mermaid,
                GraphFormatArg::Dot => GraphFormat::Dot,
            };
            print!("{}", render(&workflow, format));
            Ok(())
        }
    }
}

/// The one line `workflow check` prints for a valid file.
pub fn summary(file: &str, workflow: &Workflow) -> String {
    let terminal = workflow.states.iter().filter(|s| s.terminal).count();
    format!(
        "{}: ok: workflow \"{}\" with {} states ({terminal} terminal), {} events, {} transitions",
        display_safe(file),
        display_safe(&workflow.name),
        workflow.states.len(),
        workflow.events().len(),
        workflow.transitions.len()
    )
}
