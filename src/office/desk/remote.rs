//! The desk over `orderboard serve`: each call is `POST /desk` with the session's token;
//! the workflows are the server's own, loaded here through the same validation as a file.

use std::sync::{Arc, RwLock};

use super::unexpected;
use crate::auth::Secret;
use crate::domain::Actor;
use crate::office::{RemoteOffice, SavedSession, ServerAddress};
use crate::service::{Call, Reply, ServiceError, WorkflowSource};
use crate::workflow::{Workflows, load_workflow};

/// How the header's server label starts for plain HTTP to another machine (`--insecure`).
pub const INSECURE_MARK: &str = "insecure ";

pub struct RemoteDesk {
    http: reqwest::Client,
    server: ServerAddress,
    /// The session in use: replaced when the user signs in again from the sign-in screen.
    office: RwLock<Arc<RemoteOffice>>,
    workflows: Workflows,
}

impl RemoteDesk {
    /// Signs in (`one_off`: the session ends when the UI quits) or resumes a saved
    /// session, then loads the server's workflows; also answers who is signed in.
    pub async fn open(
        http: reqwest::Client,
        server: ServerAddress,
        sign_in: Result<(&str, &Secret), &SavedSession>,
    ) -> Result<(RemoteDesk, Option<Actor>), ServiceError> {
        let office = match sign_in {
            Ok((name, password)) => {
                RemoteOffice::sign_in(http.clone(), server.clone(), name, password, true)
                    .await?
                    .0
            }
            Err(saved) => RemoteOffice::resume(http.clone(), server.clone(), saved),
        };
        let loaded = load_desk(&office, &server).await;
        let (workflows, standing) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                // A session opened here and not used ends here.
                office.close().await;
                return Err(error);
            }
        };
        let desk = RemoteDesk {
            http,
            server,
            office: RwLock::new(Arc::new(office)),
            workflows,
        };
        Ok((desk, standing))
    }

    pub fn workflows(&self) -> &Workflows {
        &self.workflows
    }

    /// The server as the header shows it.
    pub fn label(&self) -> String {
        if self.server.is_insecure() {
            // First, so that a narrow header cuts the address, not the warning.
            format!("{INSECURE_MARK}{}", self.server)
        } else {
            self.server.to_string()
        }
    }

    fn office(&self) -> Arc<RemoteOffice> {
        self.office
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Opens a new session for the sign-in screen; the session it replaces is ended.
    pub async fn sign_in(&self, name: &str, password: &Secret) -> Result<Actor, ServiceError> {
        let (office, _) =
            RemoteOffice::sign_in(self.http.clone(), self.server.clone(), name, password, true)
                .await?;
        let actor = match office.desk(None, &Call::Standing {}).await? {
            Reply::Standing(Some(actor)) => actor,
            Reply::Standing(None) => {
                return Err(ServiceError::NotPermitted(
                    "this user is disabled".to_string(),
                ));
            }
            _ => return Err(unexpected()),
        };
        let previous = std::mem::replace(
            &mut *self.office.write().unwrap_or_else(|e| e.into_inner()),
            Arc::new(office),
        );
        previous.close().await;
        Ok(actor)
    }

    pub async fn call(&self, actor: &Actor, call: Call) -> Result<Reply, ServiceError> {
        call.check()?;
        // An admin viewing the board as someone names them; the server checks it again.
        let view_as = actor.viewed_by.as_ref().map(|_| actor.name.as_str());
        self.office().desk(view_as, &call).await
    }

    /// The session the feed follows with (the one in use when it connects).
    pub(super) fn session(&self) -> Arc<RemoteOffice> {
        self.office()
    }

    /// Ends a session this UI opened; one kept by `orderboard login` stays.
    pub async fn close(&self) {
        self.office().close().await;
    }
}

/// The server's workflows, and who the session is for.
async fn load_desk(
    office: &RemoteOffice,
    server: &ServerAddress,
) -> Result<(Workflows, Option<Actor>), ServiceError> {
    let workflows = match office.desk(None, &Call::Workflows {}).await? {
        Reply::Workflows(sources) => load_all(server, sources)?,
        _ => return Err(unexpected()),
    };
    match office.desk(None, &Call::Standing {}).await? {
        Reply::Standing(actor) => Ok((workflows, actor)),
        _ => Err(unexpected()),
    }
}

/// The server's workflow files, each validated here as a local file would be: a server
/// cannot give this client a definition its own loader would refuse.
fn load_all(
    server: &ServerAddress,
    sources: Vec<WorkflowSource>,
) -> Result<Workflows, ServiceError> {
    let mut workflows = Workflows::default();
    for source in sources {
        let file = format!(
            "{server}: workflow {}",
            crate::domain::text::display_safe(&source.name)
        );
        let workflow = load_workflow(&file, &source.text).map_err(|errors| {
            ServiceError::Internal(format!("the server's workflows do not load here: {errors}"))
        })?;
        workflows.insert(workflow);
    }
    if workflows.iter().next().is_none() {
        return Err(ServiceError::Internal(format!(
            "{server} has no workflows to show"
        )));
    }
    Ok(workflows)
}
