//! `orderboard user add|list|disable|enable|set-role|unlock`.

use std::io::{BufRead, IsTerminal};

use serde_json::json;

use super::args::UserCommand;
use super::commands::now;
use super::context::Context;
use super::exit::CliError;
use super::output::print_json;
use crate::auth::Secret;
use crate::domain::Role;
use crate::store::OpenMode;

pub async fn user(context: &Context, command: &UserCommand) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let role = parse_role(role)?;
            let actor = context.optional_actor(&backoffice).await?;
            let password = new_password(*password_stdin)?;
            backoffice
                .add_user(actor.as_ref(), name, role, &password, now())
                .await?;
            println!("added {role} {name}");
            Ok(())
        }
        UserCommand::List(flags) => {
            let actor = context.actor(&backoffice).await?;
            let users = backoffice.users(&actor).await?;
            if flags.json {
                print_json(&json!(users));
            } else {
                for user in users {
                    let locked = user
                        .locked_until
                        .map(|until| format!(" (locked until {} UTC)", until.format("%H:%M")))
                        .unwrap_or_default();
                    println!(
                        "{:<16} {:<9}{}{locked}",
                        user.name,
                        user.role,
                        if user.disabled { " (disabled)" } else { "" }
                    );
                }
            }
            Ok(())
        }
        UserCommand::Disable { name } => {
            let actor = context.actor(&backoffice).await?;
            backoffice.disable_user(&actor, name).await?;
            println!("disabled {name}");
            Ok(())
        }
        UserCommand::Enable { name } => {
            let actor = context.actor(&backoffice).await?;
            backoffice.enable_user(&actor, name).await?;
            println!("enabled {name}");
            Ok(())
        }
        UserCommand::SetRole { name, role } => {
            let role = parse_role(role)?;
            let actor = context.actor(&backoffice).await?;
            backoffice.set_user_role(&actor, name, role).await?;
            println!("{name} is now {role}");
            Ok(())
        }
        UserCommand::Unlock { name } => {
            let actor = context.actor(&backoffice).await?;
            backoffice.unlock_user(&actor, name).await?;
            println!("unlocked {name}");
            Ok(())
        }
    }
}

fn parse_role(text: &str) -> Result<Role, CliError> {
    text.parse()
        .map_err(|e: crate::domain::role::UnknownRole| CliError::bad_input(e.to_string()))
}

fn new_password(from_stdin: bool) -> Result<Secret, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::bad_input(format!("cannot read the password from stdin: {e}"))
        })?;
        return Ok(Secret::new(line.trim_end_matches(['\n', '\r'])));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::bad_input(
            "no password: use --password-stdin or run in a terminal",
        ));
    }
    let first = rpassword::prompt_password("New password: ")
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    let second = rpassword::prompt_password("Repeat it: ")
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    if first != second {
        return Err(CliError::bad_input(
            "the two passwords differ; nothing was changed",
        ));
    }
    Ok(Secret::new(first))
}
