//! The service as the terminal UI reaches it: `Desk::Local` runs each call on the database's
//! `Backoffice`; `Desk::Remote` sends it to `orderboard serve` (`POST /desk`) with a session
//! token, and follows the live feed over Server-Sent Events. Both run the same `dispatch`,
//! so the board behaves the same either way, refusals and reasons included.

mod remote;
mod stream;

pub use remote::{INSECURE_MARK, RemoteDesk};

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::auth::Secret;
use crate::domain::{Actor, Order, OrderId};
use crate::service::{
    Backoffice, BoardData, BulkLine, Call, MAX_BULK_PER_CALL, OrderView, Reply, ServiceError,
    TimelineEntry, UserSummary, dispatch,
};
use crate::store::live::LiveUpdate;
use crate::store::{
    Applied, EffectRecord, ExplorerCursor, ExplorerEntry, ExplorerFilter, FeedEvent, LedgerRow,
    OrderQuery,
};
use crate::workflow::Workflows;

/// A server's answer of another kind than the call asked for.
fn unexpected() -> ServiceError {
    ServiceError::Internal(
        "the server answered another call than the one asked; is it an orderboard server of the same version?"
            .to_string(),
    )
}

#[derive(Clone)]
pub enum Desk {
    Local(Backoffice),
    Remote(Arc<RemoteDesk>),
}

/// The answer a call expects, or the sentence for a server that answered another one.
macro_rules! expect {
    ($reply:expr, $pattern:pat => $value:expr) => {
        match $reply {
            $pattern => Ok($value),
            _ => Err(unexpected()),
        }
    };
}

impl Desk {
    pub fn workflows(&self) -> &Workflows {
        match self {
            Desk::Local(backoffice) => backoffice.workflows(),
            Desk::Remote(remote) => remote.workflows(),
        }
    }

    /// Where the orders are, for the header: the server's address (with "insecure" when
    /// plain HTTP was allowed to another host), none for a database.
    pub fn server_label(&self) -> Option<String> {
        match self {
            Desk::Local(_) => None,
            Desk::Remote(remote) => Some(remote.label()),
        }
    }

    pub async fn sign_in(&self, name: &str, password: &Secret) -> Result<Actor, ServiceError> {
        match self {
            Desk::Local(backoffice) => backoffice.sign_in(name, password).await,
            Desk::Remote(remote) => remote.sign_in(name, password).await,
        }
    }

    /// One call as the actor.
    pub async fn call(&self, actor: &Actor, call: Call) -> Result<Reply, ServiceError> {
        match self {
            Desk::Local(backoffice) => dispatch(backoffice, actor, call).await,
            Desk::Remote(remote) => remote.call(actor, call).await,
        }
    }

    pub async fn board(
        &self,
        actor: &Actor,
        workflow: Option<String>,
        query: OrderQuery,
        with_recent: bool,
    ) -> Result<BoardData, ServiceError> {
        let call = Call::Board {
            workflow,
            query,
            with_recent,
        };
        expect!(self.call(actor, call).await?, Reply::Board(board) => board)
    }

    pub async fn list(
        &self,
        actor: &Actor,
        query: &OrderQuery,
    ) -> Result<Vec<Order>, ServiceError> {
        let call = Call::List {
            query: query.clone(),
        };
        expect!(self.call(actor, call).await?, Reply::Orders(orders) => orders)
    }

    pub async fn list_with_ledger(
        &self,
        actor: &Actor,
        query: &OrderQuery,
    ) -> Result<Vec<(Order, Vec<LedgerRow>)>, ServiceError> {
        let call = Call::ListWithLedger {
            query: query.clone(),
        };
        expect!(self.call(actor, call).await?, Reply::Ledgered(orders) => orders)
    }

    pub async fn counts(
        &self,
        actor: &Actor,
        workflow: &str,
        query: &OrderQuery,
    ) -> Result<Vec<(String, i64)>, ServiceError> {
        let call = Call::Counts {
            workflow: workflow.to_string(),
            query: query.clone(),
        };
        expect!(self.call(actor, call).await?, Reply::Counts(counts) => counts)
    }

    pub async fn match_counts(
        &self,
        actor: &Actor,
        text: &str,
    ) -> Result<Vec<(String, i64)>, ServiceError> {
        let call = Call::MatchCounts {
            text: text.to_string(),
        };
        expect!(self.call(actor, call).await?, Reply::Counts(counts) => counts)
    }

    pub async fn order_snapshot(
        &self,
        actor: &Actor,
        order_id: OrderId,
    ) -> Result<Option<Order>, ServiceError> {
        let call = Call::Snapshot { order_id };
        expect!(self.call(actor, call).await?, Reply::Snapshot(order) => order)
    }

    pub async fn show(&self, actor: &Actor, order_id: OrderId) -> Result<OrderView, ServiceError> {
        let call = Call::Show { order_id };
        expect!(self.call(actor, call).await?, Reply::View(view) => view)
    }

    pub async fn timeline(
        &self,
        actor: &Actor,
        order_id: OrderId,
        attempts: bool,
    ) -> Result<Vec<TimelineEntry>, ServiceError> {
        let call = Call::Timeline { order_id, attempts };
        expect!(self.call(actor, call).await?, Reply::Timeline(timeline) => timeline)
    }

    pub async fn older_feed(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, ServiceError> {
        let call = Call::OlderFeed { before, limit };
        expect!(self.call(actor, call).await?, Reply::Feed(events) => events)
    }

    pub async fn effects_needing_attention(&self, actor: &Actor) -> Result<i64, ServiceError> {
        expect!(self.call(actor, Call::Attention {}).await?, Reply::Count(count) => count)
    }

    /// The user as they stand now: `None` when disabled (through a server, a session that
    /// was ended or expired is an `Unauthenticated` error).
    pub async fn standing(&self, actor: &Actor) -> Result<Option<Actor>, ServiceError> {
        expect!(self.call(actor, Call::Standing {}).await?, Reply::Standing(actor) => actor)
    }

    pub async fn explore_history(
        &self,
        actor: &Actor,
        filter: &ExplorerFilter,
        after: Option<ExplorerCursor>,
        limit: i64,
    ) -> Result<Vec<ExplorerEntry>, ServiceError> {
        let call = Call::ExploreHistory {
            filter: filter.clone(),
            after,
            limit,
        };
        let (mut entries, sources) = expect!(
            self.call(actor, call).await?,
            Reply::History { entries, sources } => (entries, sources)
        )?;
        for (entry, source) in entries.iter_mut().zip(sources) {
            entry.source = source;
        }
        Ok(entries)
    }

    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>, ServiceError> {
        expect!(self.call(actor, Call::Users {}).await?, Reply::Users(users) => users)
    }

    pub async fn actor_to_view_as(&self, admin: &Actor, name: &str) -> Result<Actor, ServiceError> {
        let call = Call::ViewAs {
            name: name.to_string(),
        };
        expect!(self.call(admin, call).await?, Reply::Actor(actor) => actor)
    }

    pub async fn advance(
        &self,
        actor: &Actor,
        order_id: OrderId,
        event: &str,
        note: Option<&str>,
        version: Option<i64>,
    ) -> Result<Applied, ServiceError> {
        let call = Call::Advance {
            order_id,
            event: event.to_string(),
            note: note.map(str::to_string),
            version,
        };
        expect!(
            self.call(actor, call).await?,
            Reply::Applied { applied, history_id } => Applied { history_id, ..applied }
        )
    }

    pub async fn retry_effect(
        &self,
        actor: &Actor,
        effect_id: i64,
        note: Option<&str>,
    ) -> Result<EffectRecord, ServiceError> {
        let call = Call::RetryEffect {
            effect_id,
            note: note.map(str::to_string),
        };
        expect!(self.call(actor, call).await?, Reply::Effect(effect) => effect)
    }

    pub async fn resolve_effect(
        &self,
        actor: &Actor,
        effect_id: i64,
        note: &str,
    ) -> Result<EffectRecord, ServiceError> {
        let call = Call::ResolveEffect {
            effect_id,
            note: note.to_string(),
        };
        expect!(self.call(actor, call).await?, Reply::Effect(effect) => effect)
    }

    /// `event` on each order: previewed with `dry_run`, else applied one by one.
    pub async fn bulk(
        &self,
        actor: &Actor,
        ids: &[OrderId],
        event: &str,
        note: Option<&str>,
        dry_run: bool,
    ) -> Result<Vec<BulkLine>, ServiceError> {
        let mut lines = Vec::with_capacity(ids.len());
        // Each order stands alone, so a long list goes in parts that fit a request body.
        for part in ids.chunks(MAX_BULK_PER_CALL) {
            let call = Call::Bulk {
                ids: part.to_vec(),
                event: event.to_string(),
                note: note.map(str::to_string),
                dry_run,
            };
            lines.extend(expect!(self.call(actor, call).await?, Reply::Bulk(lines) => lines)?);
        }
        Ok(lines)
    }

    pub async fn bulk_as_previewed(
        &self,
        actor: &Actor,
        previewed: &[(OrderId, i64)],
        event: &str,
        note: Option<&str>,
    ) -> Result<Vec<BulkLine>, ServiceError> {
        let mut lines = Vec::with_capacity(previewed.len());
        for part in previewed.chunks(MAX_BULK_PER_CALL) {
            let call = Call::BulkAsPreviewed {
                previewed: part.to_vec(),
                event: event.to_string(),
                note: note.map(str::to_string),
            };
            lines.extend(expect!(self.call(actor, call).await?, Reply::Bulk(lines) => lines)?);
        }
        Ok(lines)
    }

    /// Sends the actor's feed after `after_id` to `sink` until the sink is dropped; a lost
    /// database or server is reported, then followed again from the last event seen.
    pub async fn follow_feed(
        &self,
        actor: &Actor,
        after_id: i64,
        poll: Duration,
        sink: UnboundedSender<LiveUpdate>,
    ) {
        match self {
            Desk::Local(backoffice) => backoffice.follow_feed(actor, after_id, poll, sink).await,
            Desk::Remote(remote) => {
                stream::follow(remote.clone(), actor.clone(), after_id, sink).await
            }
        }
    }

    /// Ends a session this UI opened on a server (the database's connections are their
    /// opener's: the demo's runner goes on using them for a moment).
    pub async fn close(&self) {
        if let Desk::Remote(remote) = self {
            remote.close().await;
        }
    }
}
