//! The command line, as `shared/spec/cli.md` gives it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "orderboard",
    version,
    about = "A terminal back-office for order workflows"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// Database: sqlite://PATH or postgres://... (default: config file, else a SQLite file in
    /// the user's data folder).
    #[arg(
        long,
        global = true,
        env = "ORDERBOARD_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Config file (default: ./config.toml if present, else the user's config folder).
    #[arg(long, global = true, env = "ORDERBOARD_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Who is acting; the password comes from ORDERBOARD_PASSWORD or a hidden prompt.
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate or draw workflow definitions.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
}

#[derive(Subcommand, Debug)]
pub enum WorkflowCommand {
    /// Validate a workflow file; errors as FILE:LINE:COL: message.
    Check { file: PathBuf },
    /// The state graph as text.
    Graph {
        /// A shipped workflow's name or a file path.
        name_or_file: String,
        #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
        format: GraphFormatArg,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormatArg {
    Mermaid,
    Dot,
}
