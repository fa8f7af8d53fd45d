//! `orderboard token add | list | revoke`: API tokens, admin only. The secret is printed once,
//! to stdout, and never again: the database keeps only its hash.

use chrono::Utc;
use serde_json::json;

use super::args::TokenCommand;
use super::context::Context;
use super::exit::CliError;
use super::output::{print_json, rfc3339};
use crate::store::OpenMode;

pub async fn run(context: &Context, command: &TokenCommand) -> Result<(), CliError> {
    let backoffice = context.open(OpenMode::ExistingOnly).await?;
    let actor = context.actor(&backoffice).await?;
    match command {
        TokenCommand::Add { name, user, json } => {
            let token = backoffice.add_token(&actor, name, user, Utc::now()).await?;
            if *json {
                print_json(&json!({
                    "name": token.name,
                    "user": token.user,
                    "token": token.secret.expose(),
                }));
            } else {
                println!("added token {} for {}", token.name, token.user);
                println!("The secret is shown only now; keep it safe:");
                println!("{}", token.secret.expose());
            }
        }
        TokenCommand::List(flags) => {
            let tokens = backoffice.tokens(&actor).await?;
            if flags.json {
                print_json(&json!(tokens));
            } else {
                for token in &tokens {
                    let when = |at: Option<chrono::DateTime<Utc>>| at.map_or("-".into(), rfc3339);
                    println!(
                        "{:<24} {:<16} created {}  last used {}{}",
                        token.name,
                        token.user,
                        rfc3339(token.created_at),
                        when(token.last_used_at),
                        token
                            .revoked_at
                            .map(|at| format!("  REVOKED {}", rfc3339(at)))
                            .unwrap_or_default()
                    );
                }
                if tokens.is_empty() {
                    eprintln!("no API tokens");
                }
            }
        }
        TokenCommand::Revoke { name } => {
            backoffice.revoke_token(&actor, name, Utc::now()).await?;
            println!("revoked token {name}");
        }
    }
    Ok(())
}
