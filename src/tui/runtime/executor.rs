//! Carries out the effects `update` returns, each on its own task, through the service
//! boundary only; every result comes back as a message.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::domain::{Actor, OrderId};
use crate::office::desk::Desk;
use crate::service::{ErrorKind, FEED_RECENT, ServiceError};
use crate::store::ApplyError;
use crate::store::live::LiveUpdate;
use crate::tui::msg::{ApplyFailure, ConnectionState, Detail, Effect, Msg, ScreenIo, Settlement};

/// Reads that fail because the database just came back are retried this often, this long
/// apart (about five seconds in all): the pool replaces dead connections on the next try.
const READ_RETRIES: u32 = 20;
const READ_RETRY_PAUSE: Duration = Duration::from_millis(250);

pub struct Executor {
    desk: Desk,
    tx: UnboundedSender<Msg>,
    feed_interval: Duration,
    /// The live feed that runs now: one at a time, replaced when the user's rights change.
    feed: Mutex<Option<JoinHandle<()>>>,
}

impl Executor {
    pub fn new(desk: Desk, tx: UnboundedSender<Msg>, feed_interval: Duration) -> Self {
        Executor {
            desk,
            tx,
            feed_interval,
            feed: Mutex::new(None),
        }
    }

    pub fn spawn(&self, effect: Effect) {
        let desk = self.desk.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::Quit => {}
            Effect::StopFeed => self.replace_feed(None),
            Effect::StartFeed { actor, after_id } => {
                let poll = self.feed_interval;
                let feed = tokio::spawn(async move {
                    follow_feed(&desk, &tx, actor, after_id, poll).await;
                });
                self.replace_feed(Some(feed));
            }
            effect
            @ (Effect::MarkColumn { .. } | Effect::BulkPreview(_) | Effect::BulkApply(_)) => {
                tokio::spawn(super::bulk::carry_out(desk, tx, effect));
            }
            effect => {
                tokio::spawn(async move {
                    if let Some(msg) = carry_out(&desk, effect).await {
                        let _ = tx.send(msg);
                    }
                });
            }
        }
    }

    fn replace_feed(&self, next: Option<JoinHandle<()>>) {
        let mut running = self.feed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(previous) = std::mem::replace(&mut *running, next) {
            previous.abort();
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.replace_feed(None);
    }
}

/// One effect's IO, and the message that reports it (none for the effects that are not IO).
async fn carry_out(desk: &Desk, effect: Effect) -> Option<Msg> {
    let text = |error: ServiceError| error.to_string();
    let msg = match effect {
        Effect::SignIn { name, password } => {
            Msg::SignedIn(desk.sign_in(&name, &password).await.map_err(text))
        }
        Effect::LoadBoard {
            actor,
            workflow,
            query,
            with_recent,
        } => Msg::BoardLoaded(
            desk.board(&actor, workflow, query, with_recent)
                .await
                .map_err(text),
        ),
        Effect::LoadMore { actor, query } => Msg::MoreCards {
            state: query.state.clone().unwrap_or_default(),
            cards: desk.list(&actor, &query).await.map_err(text),
        },
        Effect::LoadDetail { actor, order_id } => {
            Msg::DetailLoaded(load_detail(desk, &actor, order_id).await.map_err(text))
        }
        apply @ Effect::Apply { .. } => advance(desk, apply).await?,
        Effect::SettleEffect(settlement) => settle_effect(desk, settlement).await,
        effect @ (Effect::FollowEvent { .. }
        | Effect::RefreshOrder { .. }
        | Effect::GoToOrder { .. }) => return snapshot_effect(desk, effect).await,
        Effect::RefreshCounts {
            actor,
            workflow,
            query,
        } => {
            let counts = retrying(|| desk.counts(&actor, &workflow, &query)).await;
            Msg::CountsRefreshed {
                workflow,
                counts: counts.map_err(text),
            }
        }
        Effect::LoadOlderFeed { actor, before } => Msg::OlderFeed(
            desk.older_feed(&actor, Some(before), FEED_RECENT)
                .await
                .map_err(text_of),
        ),
        Effect::CountMatches { actor, text } => {
            let counts = desk.match_counts(&actor, &text).await.map_err(text_of);
            Msg::MatchCounts { text, counts }
        }
        // A lost database shows as "reconnecting" through the feed; counted again later.
        Effect::CountAttention { actor } => {
            Msg::AttentionCounted(desk.effects_needing_attention(&actor).await.ok()?)
        }
        Effect::CheckAccount { actor } => match desk.standing(&actor).await {
            Err(error) if error.kind() == ErrorKind::Unauthenticated => {
                Msg::SessionEnded(error.to_string())
            }
            standing => Msg::AccountChecked(standing.map_err(text)),
        },
        Effect::Screen(io) => screen_io(desk, io).await,
        Effect::Export(request) => Msg::Exported(super::export::export(desk, request).await),
        Effect::SaveView { path, view } => save_view(path, view),
        // The terminal's own (`Copy`, `SetTheme`): the runtime carries them out where it
        // writes to the terminal; bulk effects have their own module.
        Effect::Copy { .. }
        | Effect::SetTheme(_)
        | Effect::StartFeed { .. }
        | Effect::StopFeed
        | Effect::Quit
        | Effect::MarkColumn { .. }
        | Effect::BulkPreview(_)
        | Effect::BulkApply(_) => return None,
    };
    Some(msg)
}

/// The effects that read one order as the actor may see it now.
async fn snapshot_effect(desk: &Desk, effect: Effect) -> Option<Msg> {
    Some(match effect {
        Effect::FollowEvent { actor, event } => {
            let order_id = event.entry.order_id;
            snapshot(desk, &actor, order_id, |order| Msg::OrderChanged {
                event,
                order,
            })
            .await
        }
        Effect::RefreshOrder { actor, order_id } => {
            snapshot(desk, &actor, order_id, Msg::OrderRefreshed).await
        }
        Effect::GoToOrder { actor, order_id } => {
            snapshot(desk, &actor, order_id, |order| Msg::OrderFound {
                order_id,
                order,
            })
            .await
        }
        _ => return None,
    })
}

/// The IO of the screens over the board: the history explorer's pages, and "view as".
async fn screen_io(desk: &Desk, io: ScreenIo) -> Msg {
    let text = |error: ServiceError| error.to_string();
    match io {
        ScreenIo::ExploreHistory {
            actor,
            filter,
            after,
        } => {
            let entries = retrying(|| {
                desk.explore_history(&actor, &filter, after, crate::tui::explorer::PAGE)
            })
            .await
            .map_err(text);
            Msg::HistoryPage {
                filter,
                after,
                entries,
            }
        }
        ScreenIo::LoadUsers { actor } => Msg::UsersLoaded(desk.users(&actor).await.map_err(text)),
        ScreenIo::ViewAs { actor, name } => {
            Msg::ViewAs(desk.actor_to_view_as(&actor, &name).await.map_err(text))
        }
    }
}

/// A transition, applied at the version the user saw.
async fn advance(desk: &Desk, effect: Effect) -> Option<Msg> {
    let Effect::Apply {
        actor,
        order_id,
        event,
        note,
        version,
    } = effect
    else {
        return None;
    };
    let applied = desk
        .advance(&actor, order_id, &event, note.as_deref(), Some(version))
        .await;
    Some(Msg::Applied(
        applied.map_err(|error| apply_failure(error, order_id)),
    ))
}

/// Appends a view to the config file (small: read and written whole on this task).
fn save_view(path: std::path::PathBuf, view: crate::config::ViewConfig) -> Msg {
    let saved = crate::config::save_view(&path, &view);
    Msg::ViewSaved(
        saved
            .map(|()| (view, path))
            .map_err(|e| format!("view not saved: {e}")),
    )
}

/// A hand retry or resolution, and the sentence that reports it.
async fn settle_effect(desk: &Desk, settlement: Settlement) -> Msg {
    let Settlement {
        actor,
        order_id,
        effect_id,
        resolve,
        note,
    } = settlement;
    let settled = if resolve {
        let note = note.as_deref().unwrap_or_default();
        desk.resolve_effect(&actor, effect_id, note).await
    } else {
        desk.retry_effect(&actor, effect_id, note.as_deref()).await
    };
    let result = settled
        .map(|effect| {
            let done = if resolve {
                "resolved"
            } else {
                "will be retried"
            };
            format!(
                "effect #{} {} {done}",
                effect.id,
                display_safe(&effect.payload)
            )
        })
        .map_err(|error| error.to_string());
    Msg::EffectSettled { order_id, result }
}

fn text_of(error: ServiceError) -> String {
    error.to_string()
}

/// The order as the actor may see it now (`None` when gone or not theirs), or the
/// connection lost.
async fn snapshot(
    desk: &Desk,
    actor: &Actor,
    order_id: OrderId,
    message: impl FnOnce(Option<crate::domain::Order>) -> Msg,
) -> Msg {
    match retrying(|| desk.order_snapshot(actor, order_id)).await {
        Ok(order) => message(order),
        Err(error) => Msg::Connection(ConnectionState::Reconnecting(error.to_string())),
    }
}

fn apply_failure(error: ServiceError, order_id: OrderId) -> ApplyFailure {
    match error {
        // Through a server: the same lost race, told by its status.
        ServiceError::Remote {
            kind: ErrorKind::Conflict,
            ..
        } => ApplyFailure::Conflict {
            order_id,
            message: error.to_string(),
        },
        ServiceError::Apply(ApplyError::Conflict { order_id, .. }) => ApplyFailure::Conflict {
            order_id,
            message: error.to_string(),
        },
        ServiceError::Apply(ApplyError::ActorChanged { role, .. }) => ApplyFailure::ActorChanged {
            role,
            message: error.to_string(),
        },
        // Through a server the sentence names the server; on a database, the database.
        ServiceError::Unreachable(text) => ApplyFailure::ConnectionLost(text),
        error if error.is_connection_lost() => {
            ApplyFailure::ConnectionLost(format!("the database is unreachable: {error}"))
        }
        other => ApplyFailure::Refused(other.to_string()),
    }
}

/// Follows the live feed for the actor until the UI goes away.
async fn follow_feed(
    desk: &Desk,
    tx: &UnboundedSender<Msg>,
    actor: Actor,
    after_id: i64,
    poll: Duration,
) {
    let (live_tx, mut live_rx) = unbounded_channel();
    let follower = desk.clone();
    tokio::spawn(async move { follower.follow_feed(&actor, after_id, poll, live_tx).await });
    while let Some(update) = live_rx.recv().await {
        let msg = match update {
            LiveUpdate::Events(events) => Msg::Feed(events),
            LiveUpdate::Online => Msg::Connection(ConnectionState::Online),
            LiveUpdate::Lost(reason) => Msg::Connection(ConnectionState::Reconnecting(reason)),
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// Reads that fail because the database just came back are retried for a few seconds.
async fn retrying<T, F, Fut>(mut read: F) -> Result<T, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ServiceError>>,
{
    let mut attempt = 0;
    loop {
        match read().await {
            Err(error) if error.is_connection_lost() && attempt < READ_RETRIES => {
                attempt += 1;
                tokio::time::sleep(READ_RETRY_PAUSE).await;
            }
            other => return other,
        }
    }
}

async fn load_detail(
    desk: &Desk,
    actor: &Actor,
    order_id: OrderId,
) -> Result<Detail, ServiceError> {
    let view = desk.show(actor, order_id).await?;
    let with_attempts = Permission::SeeAttempts.allows(actor.role);
    let timeline = desk.timeline(actor, order_id, with_attempts).await?;
    Ok(Detail { view, timeline })
}
