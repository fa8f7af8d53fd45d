//! What every command needs: the config, the workflows, the database, and who is acting.

use std::io::IsTerminal;

use super::args::GlobalArgs;
use super::exit::{CliError, ExitKind};
use crate::auth::Secret;
use crate::config::{Config, default_database_url};
use crate::domain::Actor;
use crate::office::{Office, RemoteOffice, SavedSessions, ServerAddress, http_client};
use crate::service::{Backoffice, SessionPolicy};
use crate::store::{DatabaseUrl, OpenMode, Store};
use crate::workflow::Workflows;

#[derive(Clone)]
pub struct Context {
    pub config: Config,
    pub workflows: Workflows,
    pub global: GlobalArgs,
    /// What `open` opened, for `close_opened` when the command ends (shared by clones).
    opened: std::sync::Arc<std::sync::Mutex<Vec<Backoffice>>>,
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
            opened: std::sync::Arc::default(),
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
        let backoffice = Backoffice::new(store, self.workflows.clone()).with_session_policy(policy);
        if let Ok(mut opened) = self.opened.lock() {
            opened.push(backoffice.clone());
        }
        Ok(backoffice)
    }

    /// Closes every database `open` opened (closing one twice is harmless).
    pub async fn close_opened(&self) {
        let opened = match self.opened.lock() {
            Ok(mut opened) => std::mem::take(&mut *opened),
            Err(_) => return,
        };
        for backoffice in opened {
            backoffice.close().await;
        }
    }

    /// The server to work through, if any (none means a database). A flag beats the
    /// environment, which beats the config file: `--server`, else `--database`, else
    /// `ORDERBOARD_SERVER`, else `ORDERBOARD_DATABASE`, else `server` or `database` in the
    /// file. Two of the same level are a mistake the user is told about.
    pub fn server(&self) -> Result<Option<ServerAddress>, CliError> {
        let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let database_flag = self.global.database.is_some() && self.global.database_typed;
        let database_from_variable = self.global.database.is_some() && !database_flag;
        let text = match (&self.global.server, database_flag) {
            (Some(_), true) => {
                return Err(CliError::bad_input(
                    "give --server or --database, not both: one place to work with",
                ));
            }
            (Some(server), false) => Some(server.clone()),
            (None, true) => None,
            (None, false) => match (variable("ORDERBOARD_SERVER"), database_from_variable) {
                (Some(_), true) => {
                    return Err(CliError::bad_input(
                        "ORDERBOARD_SERVER and ORDERBOARD_DATABASE are both set: unset the one not to use, or give --server or --database",
                    ));
                }
                (Some(server), false) => Some(server),
                (None, true) => None,
                (None, false) => self.configured_server()?,
            },
        };
        text.map(|text| ServerAddress::parse(&text, self.global.insecure))
            .transpose()
            .map_err(CliError::bad_input)
    }

    /// `server` of the config file, unless it also names a database.
    fn configured_server(&self) -> Result<Option<String>, CliError> {
        Ok(match (&self.config.server, &self.config.database) {
            (Some(_), Some(_)) => {
                let file = self
                    .config
                    .source
                    .as_ref()
                    .map_or("the config file".to_string(), |p| p.display().to_string());
                return Err(CliError::bad_input(format!(
                    "{file} names both a database and a server: keep the one to work with"
                )));
            }
            (server, _) => server.clone(),
        })
    }

    /// The HTTP client for the server, trusting `--ca` when given.
    pub fn http_client(&self) -> Result<reqwest::Client, CliError> {
        http_client(self.global.ca.as_deref()).map_err(CliError::bad_input)
    }

    /// Where the saved sessions of `login` are.
    pub fn saved_sessions_path(&self) -> Result<std::path::PathBuf, CliError> {
        SavedSessions::default_path().map_err(CliError::unexpected)
    }

    /// The service as this command reaches it: the database with `--as USER` signed in, or
    /// the server with `--as USER` signed in for this command, else the session `login` kept.
    pub async fn office(&self) -> Result<Office, CliError> {
        let Some(server) = self.server()? else {
            let backoffice = self.open(OpenMode::ExistingOnly).await?;
            let actor = self.actor(&backoffice).await?;
            return Ok(Office::Local { backoffice, actor });
        };
        let http = self.http_client()?;
        if let Some(name) = &self.global.as_user {
            let password = read_password(name)?;
            let (office, _) = RemoteOffice::sign_in(http, server, name, &password, true).await?;
            return Ok(Office::Remote(office));
        }
        let saved =
            SavedSessions::load(&self.saved_sessions_path()?).map_err(CliError::bad_input)?;
        match saved.find(&server.key()) {
            Some(session) => Ok(Office::Remote(RemoteOffice::resume(http, server, session))),
            None => Err(CliError::not_permitted(format!(
                "not signed in to {server}: run `orderboard login --server {server} --as USER`, or give --as USER"
            ))),
        }
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

pub fn read_password(name: &str) -> Result<Secret, CliError> {
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
