//! `orderboard session list | end`: the API's sign-in sessions, admin only. Ending one
//! refuses its next request (and its open event stream) at once.

use chrono::Utc;
use serde_json::json;

use super::args::SessionCommand;
use super::context::Context;
use super::exit::CliError;
use super::output::{print_json, rfc3339};
use crate::domain::text::display_safe;
use crate::store::OpenMode;

pub async fn run(context: &Context, command: &SessionCommand) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    match command {
        SessionCommand::List(flags) => {
            let sessions = backoffice.sessions(&actor, Utc::now()).await?;
            if flags.json {
                print_json(&json!(sessions));
                return Ok(());
            }
            for session in &sessions {
                println!(
                    "{:<8} {:<16} {:<9} from {:<16} signed in {}  last used {}  ends {}",
                    session.id,
                    display_safe(&session.user),
                    session.role,
                    session.source.as_deref().map_or("-".into(), display_safe),
                    rfc3339(session.created_at),
                    rfc3339(session.last_used_at),
                    rfc3339(session.expires_at),
                );
            }
            if sessions.is_empty() {
                eprintln!("no open sessions");
            }
        }
        SessionCommand::End { id: Some(id), .. } => {
            let id = id.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                CliError::bad_input(format!(
                    "\"{}\" is not a session id (a positive number)",
                    display_safe(id)
                ))
            })?;
            backoffice.end_session(&actor, id, Utc::now()).await?;
            println!("ended session {id}");
        }
        SessionCommand::End {
            user: Some(user), ..
        } => {
            let ended = backoffice.end_sessions_of(&actor, user, Utc::now()).await?;
            println!("ended {ended} session(s) of {}", display_safe(user));
        }
        SessionCommand::End { .. } => {
            return Err(CliError::bad_input(
                "name the session to end (its id) or --user NAME for all of a user's",
            ));
        }
    }
    Ok(())
}
