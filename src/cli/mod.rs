//! The command line face: parses arguments, runs one command, maps failures to exit codes.

pub mod args;
mod commands;
pub mod context;
mod effects_cmd;
pub mod exit;
mod login_cmd;
pub mod output;
mod serve_cmd;
mod session_cmd;
mod token_cmd;
mod tui_cmd;
mod user_cmd;
mod workflow_cmd;

pub use args::Cli;
pub use exit::{CliError, ExitKind};

use args::{Command, OrderCommand};
use context::Context;

/// Runs the parsed command line; the caller prints the error and exits with its code.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let logs = match &cli.command {
        // A server's logs are JSON lines, to stderr unless --log names a file.
        Some(Command::Serve(_)) => crate::logging::init_server(cli.global.log.as_deref()),
        _ => crate::logging::init(cli.global.log.as_deref()),
    };
    logs.map_err(|e| CliError::bad_input(e.to_string()))?;
    let context = Context::load(&cli.global)?;
    if let Some(server) = context.server()?
        && let Some(name) = needs_the_database(cli.command.as_ref())
    {
        return Err(CliError::bad_input(format!(
            "`{name}` does not work through a server yet ({server}): run it with --database where the database is reachable"
        )));
    }
    let outcome = dispatch(&context, &cli).await;
    // Every database a command opened is closed on every way out, error or not: on
    // PostgreSQL that is also where the process waits until its commits are announced to
    // the other processes (the notification is sent after the commit).
    context.close_opened().await;
    outcome
}

async fn dispatch(context: &Context, cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        None | Some(Command::Tui) => tui_cmd::tui(context).await,
        Some(Command::Demo { orders }) => tui_cmd::demo(context, *orders).await,
        Some(Command::Init(args)) => commands::init(context, args).await,
        Some(Command::User(command)) => user_cmd::user(context, command).await,
        Some(Command::Order(OrderCommand::Create(args))) => {
            commands::create_order(context, args).await
        }
        Some(Command::Order(OrderCommand::List(args))) => {
            commands::list_orders(context, args).await
        }
        Some(Command::Order(OrderCommand::Show { id, json })) => {
            commands::show_order(context, id, *json).await
        }
        Some(Command::Advance(args)) => commands::advance(context, args).await,
        Some(Command::History(args)) => commands::history(context, args).await,
        Some(Command::Bulk(args)) => commands::bulk(context, args).await,
        Some(Command::Workflow(command)) => workflow_cmd::run(command, &context.workflows),
        Some(Command::Tick(args)) => commands::tick(context, args).await,
        Some(Command::Verify(flags)) => commands::verify(context, flags.json).await,
        Some(Command::Seed(args)) => commands::seed(context, args).await,
        Some(Command::Serve(args)) => serve_cmd::serve(context, args).await,
        Some(Command::Effects(command)) => effects_cmd::run(context, command).await,
        Some(Command::Token(command)) => token_cmd::run(context, command).await,
        Some(Command::Session(command)) => session_cmd::run(context, command).await,
        Some(Command::Login) => login_cmd::login(context).await,
        Some(Command::Logout) => login_cmd::logout(context).await,
    }
}

/// The command's name when it works on a database only; none when it also works through
/// `--server` (the order and effects commands, `login` and `logout`).
fn needs_the_database(command: Option<&Command>) -> Option<&'static str> {
    match command {
        Some(
            Command::Order(_)
            | Command::Advance(_)
            | Command::Effects(_)
            | Command::Login
            | Command::Logout
            | Command::Tui,
        ) => None,
        None => None,
        Some(Command::History(args)) if !args.all => None,
        Some(Command::History(_)) => Some("history --all"),
        Some(Command::Demo { .. }) => Some("demo"),
        Some(Command::Init(_)) => Some("init"),
        Some(Command::User(_)) => Some("user"),
        Some(Command::Bulk(_)) => Some("bulk"),
        Some(Command::Workflow(_)) => None,
        Some(Command::Tick(_)) => Some("tick"),
        Some(Command::Verify(_)) => Some("verify"),
        Some(Command::Seed(_)) => Some("seed"),
        Some(Command::Serve(_)) => Some("serve"),
        Some(Command::Token(_)) => Some("token"),
        Some(Command::Session(_)) => Some("session"),
    }
}
