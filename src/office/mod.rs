//! The service boundary as a face reaches it, in one of two ways:
//! - `Office::Local`: the database's `Backoffice` and the actor signed in to it;
//! - `Office::Remote`: `orderboard serve` over HTTP, with a session token, so that the user
//!   holds no database credentials.
//!
//! Inputs are bounded here, before either is asked, so that what a request could not carry
//! (the API takes bodies of at most 64 KiB) is refused alike on both.
//!
//! Both answer in the contract's JSON shapes (`crate::shapes`, what the API sends) and fail
//! with the same `ServiceError` kinds and sentences, so a command prints the same lines, JSON
//! and exit codes whichever way it reaches the orders.

pub mod desk;
mod remote;
mod saved;
mod server;

pub use remote::{RemoteOffice, SignedIn};
pub use saved::{SavedSession, SavedSessions};
pub use server::{ServerAddress, http_client};

use chrono::Utc;

use crate::domain::{Actor, OrderId};
use crate::service::{Backoffice, OrderDraft, ServiceError, check_event_name};
use crate::shapes::{AppliedJson, EffectJson, OrderJson, OrderPageJson, TimelineJson};
use crate::store::{EffectQuery, OrderQuery};

/// The largest page of orders either way (the API's limit).
pub const MAX_ORDER_PAGE: i64 = 500;

/// What a person does with an effect that needs one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    Retry,
    Resolve,
}

/// Which orders a list asks for.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    /// Only orders past their due date in a state where that counts.
    pub late: bool,
    /// An order number, or text in the title, customer or seller.
    pub search: Option<String>,
}

pub enum Office {
    Local {
        backoffice: Backoffice,
        actor: Actor,
    },
    Remote(RemoteOffice),
}

impl Office {
    /// One order with the transitions the user may take now and the blocked ones.
    pub async fn show(&self, id: OrderId) -> Result<OrderJson, ServiceError> {
        match self {
            Office::Local { backoffice, actor } => {
                let view = backoffice.show(actor, id, Utc::now()).await?;
                Ok(OrderJson::of_view(&view))
            }
            Office::Remote(remote) => remote.show(id).await,
        }
    }

    /// A keyset page of the orders the user may see, by id, after `after`.
    pub async fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<OrderId>,
        limit: i64,
    ) -> Result<OrderPageJson, ServiceError> {
        let limit = limit.clamp(1, MAX_ORDER_PAGE);
        match self {
            Office::Local { backoffice, actor } => {
                let now = Utc::now();
                let query = OrderQuery {
                    workflow: filter.workflow.clone(),
                    state: filter.state.clone(),
                    due_before: filter.late.then_some(now),
                    text: filter.search.clone(),
                    after_id: after,
                    limit,
                    ..OrderQuery::default()
                };
                let page = backoffice
                    .order_page(actor, &query, filter.late, now)
                    .await?;
                Ok(OrderPageJson::from(&page))
            }
            Office::Remote(remote) => remote.orders(filter, after, limit).await,
        }
    }

    /// One transition as the user, at `expect_version` when given.
    pub async fn advance(
        &self,
        id: OrderId,
        event: &str,
        note: Option<&str>,
        expect_version: Option<i64>,
    ) -> Result<AppliedJson, ServiceError> {
        check_event_name(event)?;
        note.map(crate::service::check_text_length).transpose()?;
        match self {
            Office::Local { backoffice, actor } => {
                let applied = backoffice
                    .advance(actor, id, event, note, expect_version, Utc::now())
                    .await?;
                Ok(AppliedJson::from(&applied))
            }
            Office::Remote(remote) => remote.advance(id, event, note, expect_version).await,
        }
    }

    /// The order's transitions, oldest first; with `attempts` (support and admin) the
    /// refused attempts and hand actions on its effects too.
    pub async fn timeline(
        &self,
        id: OrderId,
        attempts: bool,
    ) -> Result<Vec<TimelineJson>, ServiceError> {
        match self {
            Office::Local { backoffice, actor } => {
                let timeline = backoffice.timeline(actor, id, attempts).await?;
                Ok(timeline.iter().map(TimelineJson::from).collect())
            }
            Office::Remote(remote) => remote.timeline(id, attempts).await,
        }
    }

    /// A new order in its workflow's initial state (admin or system), as the user sees it.
    pub async fn create_order(&self, draft: OrderDraft) -> Result<OrderJson, ServiceError> {
        crate::service::check_draft_size(&draft)?;
        match self {
            Office::Local { backoffice, actor } => {
                let now = Utc::now();
                let id = backoffice.create_order(actor, draft, now).await?;
                Ok(OrderJson::of_view(&backoffice.show(actor, id, now).await?))
            }
            Office::Remote(remote) => remote.create_order(&draft).await,
        }
    }

    /// Effects of the outbox by status and order, oldest first (support and admin).
    pub async fn effects(&self, query: &EffectQuery) -> Result<Vec<EffectJson>, ServiceError> {
        match self {
            Office::Local { backoffice, actor } => {
                let effects = backoffice.effects(actor, query).await?;
                Ok(effects.iter().map(EffectJson::from).collect())
            }
            Office::Remote(remote) => remote.effects(query).await,
        }
    }

    /// Sends a failed or unrouted effect for another delivery (`Settle::Retry`, note
    /// optional) or marks it handled by hand (`Settle::Resolve`, note required).
    pub async fn settle_effect(
        &self,
        id: i64,
        settle: Settle,
        note: Option<&str>,
    ) -> Result<EffectJson, ServiceError> {
        note.map(crate::service::check_text_length).transpose()?;
        match self {
            Office::Local { backoffice, actor } => {
                let now = Utc::now();
                let effect = match settle {
                    Settle::Retry => backoffice.retry_effect(actor, id, note, now).await?,
                    Settle::Resolve => {
                        let note = note.unwrap_or_default();
                        backoffice.resolve_effect(actor, id, note, now).await?
                    }
                };
                Ok(EffectJson::from(&effect))
            }
            Office::Remote(remote) => remote.settle_effect(id, settle, note).await,
        }
    }

    /// Ends what this command opened: the database's connections, or a session signed in
    /// for this one command (a saved `login` session stays).
    pub async fn close(self) {
        match self {
            Office::Local { backoffice, .. } => backoffice.close().await,
            Office::Remote(remote) => remote.close().await,
        }
    }
}
