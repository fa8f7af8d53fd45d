//! The service boundary: the application's one door to orders, users and the feed. The CLI,
//! the TUI (and the benchmarks) call `Backoffice` and nothing below it, so every read is
//! filtered by what the actor may see and every change goes through the one apply path.
//!
//! The store stays private: a caller that could reach it could skip the checks.

mod board;
mod bulk;
mod calls;
mod effects;
mod error;
mod idempotency;
mod maintenance;
mod orders;
mod search;
mod sessions;
mod timeline;
mod tokens;
mod users;

pub use board::{BoardData, ColumnData, FEED_RECENT, MAX_FEED_PAGE};
pub use bulk::{BulkLine, BulkOutcome, MAX_BULK_ORDERS};
pub use calls::{
    Call, MAX_BULK_PER_CALL, MAX_DESK_PAGE, Reply, WorkflowSource, check_name, dispatch,
};
pub use effects::{DeliveryContext, MAX_EFFECT_PAGE};
pub use error::{ErrorKind, ServiceError};
pub use idempotency::{IdempotencyClaim, IdempotentResponse};
pub use orders::{
    ListedOrder, OrderDraft, OrderPage, OrderView, TIMERS_TOGETHER, TickReport, TimerFiring,
};
pub use sessions::{
    MAX_SESSIONS_PER_USER, NewSession, SESSION_PREFIX, SessionPolicy, SessionSummary,
};
pub use timeline::{MAX_EXPLORER_PAGE, TimelineEntry};
pub use tokens::{NewToken, TokenSummary};
pub use users::{UserSummary, validate_user_name};

use crate::auth::{self, Secret};
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::store::Store;
use crate::workflow::{Workflow, Workflows};

#[derive(Clone)]
pub struct Backoffice {
    store: Store,
    workflows: Workflows,
    /// How long API sessions live.
    sessions: SessionPolicy,
    /// The users of recently used API tokens (`advance_by_secret`).
    token_actors: std::sync::Arc<tokens::TokenActors>,
    /// The newest text searches' matches, shared by the calls of one keystroke.
    searches: std::sync::Arc<search::RecentSearches>,
}

impl Backoffice {
    pub fn new(store: Store, workflows: Workflows) -> Backoffice {
        Backoffice {
            store,
            workflows,
            sessions: SessionPolicy::default(),
            token_actors: Default::default(),
            searches: Default::default(),
        }
    }

    pub fn workflows(&self) -> &Workflows {
        &self.workflows
    }

    /// "sqlite" or "postgres", for reports.
    pub fn backend_name(&self) -> &'static str {
        self.store.backend_name()
    }

    /// Closes the database connections (tests and short-lived commands).
    pub async fn close(&self) {
        self.store.close().await
    }

    /// Signs in from the terminal (the CLI and the TUI): no source address.
    pub async fn sign_in(&self, name: &str, password: &Secret) -> Result<Actor, ServiceError> {
        self.sign_in_from(name, password, None).await
    }

    /// Signs in from a source (a client address, for the API): failures from it are limited
    /// as well as the user name's.
    pub async fn sign_in_from(
        &self,
        name: &str,
        password: &Secret,
        source: Option<&str>,
    ) -> Result<Actor, ServiceError> {
        Ok(auth::sign_in(&self.store, name, password, source).await?)
    }

    pub fn workflow(&self, name: &str) -> Result<&Workflow, ServiceError> {
        self.workflows.get(name).map(|w| w.as_ref()).ok_or_else(|| {
            ServiceError::BadInput(format!(
                "unknown workflow \"{name}\" (known: {})",
                self.workflows.names().join(", ")
            ))
        })
    }

    /// A state some workflow has (the named one, when given): an unknown state is a typo,
    /// not an empty list.
    pub fn check_state(&self, workflow: Option<&str>, state: &str) -> Result<(), ServiceError> {
        let known = self
            .workflows
            .iter()
            .filter(|w| workflow.is_none_or(|name| w.name == name))
            .any(|w| w.state(state).is_some());
        if known {
            return Ok(());
        }
        Err(ServiceError::BadInput(format!(
            "state \"{}\" is not a state of {}",
            crate::domain::text::display_safe(state),
            workflow.map_or("any workflow".to_string(), |w| format!("workflow \"{w}\""))
        )))
    }

    /// Whether the database answers now (a health check).
    pub async fn database_reachable(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// The one check of rights outside the workflows, for every face.
    pub fn require(actor: &Actor, permission: Permission) -> Result<(), ServiceError> {
        if permission.writes() {
            Self::writable(actor)?;
        }
        if permission.allows(actor.role) {
            Ok(())
        } else {
            Err(ServiceError::NotPermitted(permission.refusal().to_string()))
        }
    }

    /// Refuses every write by an actor seen read-only (an admin viewing as someone else).
    pub fn writable(actor: &Actor) -> Result<(), ServiceError> {
        match &actor.viewed_by {
            None => Ok(()),
            Some(_) => Err(ServiceError::NotPermitted(format!(
                "read-only: viewing as {}, nothing can be changed",
                crate::domain::text::display_safe(&actor.name)
            ))),
        }
    }
}

/// A text filter is an order number or a search of at least `MIN_SEARCH_CHARS` characters,
/// for every face: a shorter search would read every order.
pub(crate) fn check_search(text: Option<&str>) -> Result<(), ServiceError> {
    match crate::domain::search::TextFilter::of(text).problem() {
        Some(problem) => Err(ServiceError::BadInput(problem)),
        None => Ok(()),
    }
}

/// The fields of a new order are bounded for every face: the title and the attributes
/// (as JSON) at most `MAX_TEXT_BYTES` each, names of parties and workflows short, so that
/// even written out as JSON with every character escaped an order fits an API request.
pub fn check_draft_size(draft: &OrderDraft) -> Result<(), ServiceError> {
    use crate::domain::note::MAX_TEXT_BYTES;
    const MAX_NAME_BYTES: usize = 200;
    if draft.title.len() > MAX_TEXT_BYTES {
        return Err(ServiceError::BadInput(format!(
            "the title is longer than {MAX_TEXT_BYTES} bytes"
        )));
    }
    let attrs = serde_json::to_string(&draft.attrs).map_or(usize::MAX, |json| json.len());
    if attrs > MAX_TEXT_BYTES {
        return Err(ServiceError::BadInput(format!(
            "the attributes are longer than {MAX_TEXT_BYTES} bytes together (as JSON)"
        )));
    }
    for (what, name) in [
        ("workflow", &draft.workflow),
        ("customer", &draft.customer),
        ("seller", &draft.seller),
        ("currency", &draft.currency),
    ] {
        if name.len() > MAX_NAME_BYTES {
            return Err(ServiceError::BadInput(format!(
                "the {what} is longer than {MAX_NAME_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

/// A typed note or text is bounded (`MAX_TEXT_BYTES`), for every face.
pub fn check_text_length(text: &str) -> Result<(), ServiceError> {
    use crate::domain::note::MAX_TEXT_BYTES;
    if text.len() > MAX_TEXT_BYTES {
        return Err(ServiceError::BadInput(format!(
            "the note is longer than {MAX_TEXT_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The longest event name asked for: a workflow's are short words.
const MAX_EVENT_CHARS: usize = 200;

/// An event is named by one word (as a workflow file must name it), so that it can travel
/// in a URL path: `.`, `..`, spaces, controls and endless names are refused before anything
/// is asked, the same way on the database and through a server.
pub fn check_event_name(event: &str) -> Result<(), ServiceError> {
    let one_word = !event.is_empty()
        && event.chars().count() <= MAX_EVENT_CHARS
        && !event
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        && event != "."
        && event != "..";
    if one_word {
        return Ok(());
    }
    Err(ServiceError::BadInput(format!(
        "\"{}\" is not an event name (one word of at most {MAX_EVENT_CHARS} characters, like order.accepted)",
        crate::domain::text::display_safe(&event.chars().take(MAX_EVENT_CHARS).collect::<String>())
    )))
}
