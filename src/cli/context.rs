//! What every command needs: the config, the workflows, the database, and who is acting.

use std::io::IsTerminal;

use super::args::GlobalArgs;
use super::exit::{CliError, ExitKind};
use crate::auth::Secret;
use crate::config::{Config, default_database_url};
use crate::domain::Actor;
use crate::service::{Backoffice, SessionPolicy};
use crate::store::{DatabaseUrl, OpenMode, Store};
use crate::workflow::Workflows;

#[derive(Clone)]
pub struct Context {
    pub config: Config,
    pub workflows: Workflows,
    pub global: GlobalArgs,
}

impl Context {
    pub fn load(global: &GlobalArgs) -> Result<Context, CliError> {
        let config = Config::load(global.config.as_deref())
            .map_err(|e| CliError::bad_input(e.to_string()))?;
        let workflows = Workflows::shipped_and_folder(config.workflow_dir().as_deref())
            .map_err(|e| CliError::bad_input(e.to_string()))?;
        Ok(Context {
            config,
            workflows,
            global: global.clone(),
        })
    }

    /// Flag or environment first, then the config file, then the data folder.
    pub fn database_url(&self) -> Result<DatabaseUrl, CliError> {
        let text = self
            .global
            .database
            .clone()
            .or_else(|| self.config.database())
            .unwrap_or_else(default_database_url);
        DatabaseUrl::parse(&text).map_err(|error| CliError::bad_input(error.to_string()))
    }

    pub async fn open(&self, mode: OpenMode) -> Result<Backoffice, CliError> {
        let url = self.database_url()?;
        if mode == OpenMode::CreateIfMissing
            && let DatabaseUrl::Sqlite { path } = &url
            && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && self.global.database.is_none()
            && !parent.exists()
        {
            // Only the default location's folder is created; a path the user typed must exist.
            std::fs::create_dir_all(parent).map_err(|e| {
                CliError::unexpected(format!(
                    "cannot create the data folder {}: {e}",
                    parent.display()
                ))
            })?;
        }
        let store = Store::open(&url, mode)
            .await
            .map_err(|e| CliError::new(ExitKind::Unexpected, e.to_string()))?;
        let mut policy = SessionPolicy::default();
        let (idle, absolute) = self.config.sessions.lifetimes();
        policy.idle = idle.unwrap_or(policy.idle);
        policy.absolute = absolute.unwrap_or(policy.absolute);
        Ok(Backoffice::new(store, self.workflows.clone()).with_session_policy(policy))
    }

    /// Signs in `--as USER` with ORDERBOARD_PASSWORD or a hidden prompt.
    pub async fn actor(&self, backoffice: &Backoffice) -> Result<Actor, CliError> {
        let Some(name) = &self.global.as_user else {
            return Err(CliError::not_permitted(
                "this command needs --as USER (who is acting)",
            ));
        };
        let password = read_password(name)?;
        Ok(backoffice.sign_in(name, &password).await?)
    }

    /// The actor when `--as` is given, else none (for the bootstrap `user add`).
    pub async fn optional_actor(&self, backoffice: &Backoffice) -> Result<Option<Actor>, CliError> {
        match &self.global.as_user {
            Some(_) => self.actor(backoffice).await.map(Some),
            None => Ok(None),
        }
    }
}

fn read_password(name: &str) -> Result<Secret, CliError> {
    if let Ok(password) = std::env::var("ORDERBOARD_PASSWORD") {
        return Ok(Secret::new(password));
    }
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("Password for {name}: "))
            .map_err(|e| CliError::bad_input(format!("cannot read the password: {e}")))?;
        return Ok(Secret::new(password));
    }
    Err(CliError::not_permitted(
        "--as needs a password: set ORDERBOARD_PASSWORD or run in a terminal",
    ))
}
