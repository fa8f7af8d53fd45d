//! The live feed: every committed transition an actor may see, as it happens, in commit order.
//!
//! PostgreSQL wakes the reader with LISTEN/NOTIFY (the payload is only a wake-up); SQLite
//! polls `PRAGMA data_version` on a dedicated connection, which changes when another
//! connection commits. Either way the reader then reads the feed after its last event, so a
//! lost notification or a reconnect never loses an event.
//!
//! SQLite has one writer at a time, so events commit in id order. PostgreSQL's writers commit
//! in any order and take no lock for the feed; instead the feed is read only below the oldest
//! transaction still in flight (migration 0009 explains the design). An event that committed
//! behind such a transaction is held back until it ends, and that transaction may end without
//! a notification (a rollback, or a write that is not a transition), so while anything is held
//! back the reader looks again on a short backoff rather than waiting to be woken.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::mpsc::UnboundedSender;

use super::postgres::EVENTS_CHANNEL;
use super::types::FeedEvent;
use super::{PgStore, SqliteStore, Store, StoreError};
use crate::domain::Visibility;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveUpdate {
    /// New transitions, oldest first.
    Events(Vec<FeedEvent>),
    /// The database answers again after being lost.
    Online,
    /// The database stopped answering; the reader keeps retrying.
    Lost(String),
}

/// One read's worth of events: bounds a message after a long outage, and `catch_up` reads
/// again at once while reads come back full.
const EVENTS_PER_READ: i64 = 500;

/// Between attempts to reach a lost database: soon enough that the UI shows it online within
/// a second of its return, slow enough not to spin on refused connections.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// PostgreSQL's reader also reads when no notification came for this many polls: the read
/// doubles as a heartbeat that notices a dead server, which a silent socket would not.
const POLLS_PER_HEARTBEAT: u32 = 4;

/// The poll interval is SQLite's; notifications wake PostgreSQL, so its heartbeat keeps a
/// floor rather than reading as often as a tiny poll would.
const MIN_HEARTBEAT_POLL: Duration = Duration::from_millis(250);

/// The first look again at events held back behind a transaction in flight; it doubles up to
/// the heartbeat. Transitions are short, so the first look usually finds them.
const HELD_BACK_FIRST_RETRY: Duration = Duration::from_millis(5);

/// How one connection's loop ended.
enum Ended {
    ReceiverDropped,
    ConnectionLost,
}

/// Follows the feed after `after_id` until the receiver is dropped.
pub async fn follow(
    store: Store,
    visibility: Visibility,
    after_id: i64,
    poll: Duration,
    sink: UnboundedSender<LiveUpdate>,
) {
    let reader = Reader {
        store,
        visibility,
        last: after_id,
        sink,
        lost: false,
        held_back: false,
    };
    match reader.store.clone() {
        Store::Postgres(pg) => follow_postgres(reader, &pg, poll).await,
        Store::Sqlite(sqlite) => follow_sqlite(reader, &sqlite, poll).await,
    }
}

async fn follow_postgres(mut reader: Reader, pg: &PgStore, poll: Duration) {
    loop {
        if reader.sink.is_closed() {
            return;
        }
        if let Some(mut listener) = reader.listen(pg).await
            // Anything committed while not listening is read now.
            && reader.catch_up().await
            && let Ended::ReceiverDropped = reader.follow_notifications(&mut listener, poll).await
        {
            return;
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

async fn follow_sqlite(mut reader: Reader, sqlite: &SqliteStore, poll: Duration) {
    let options = SqliteConnectOptions::new()
        .filename(sqlite.path())
        .read_only(true);
    let mut last_version: Option<i64> = None;
    loop {
        if reader.sink.is_closed() {
            return;
        }
        match SqliteConnection::connect_with(&options).await {
            Ok(mut connection) => {
                let ended = reader
                    .poll_data_version(&mut connection, &mut last_version, poll)
                    .await;
                if let Ended::ReceiverDropped = ended {
                    return;
                }
            }
            Err(error) => reader.lost(&StoreError::from(error)),
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

struct Reader {
    store: Store,
    visibility: Visibility,
    last: i64,
    sink: UnboundedSender<LiveUpdate>,
    lost: bool,
    /// The last read left committed events behind a transaction in flight (PostgreSQL).
    held_back: bool,
}

impl Reader {
    /// A listener on the events channel, or `None` (reported as lost) when there is none.
    async fn listen(&mut self, pg: &PgStore) -> Option<PgListener> {
        let mut listener = match PgListener::connect_with(pg.pool()).await {
            Ok(listener) => listener,
            Err(error) => {
                self.lost(&StoreError::from(error));
                return None;
            }
        };
        if let Err(error) = listener.listen(EVENTS_CHANNEL).await {
            self.lost(&StoreError::from(error));
            return None;
        }
        Some(listener)
    }

    async fn follow_notifications(&mut self, listener: &mut PgListener, poll: Duration) -> Ended {
        let heartbeat = poll.max(MIN_HEARTBEAT_POLL) * POLLS_PER_HEARTBEAT;
        let mut retry = HELD_BACK_FIRST_RETRY;
        loop {
            if self.sink.is_closed() {
                return Ended::ReceiverDropped;
            }
            let wait = if self.held_back {
                let wait = retry;
                retry = (retry * 2).min(heartbeat);
                wait
            } else {
                retry = HELD_BACK_FIRST_RETRY;
                heartbeat
            };
            match tokio::time::timeout(wait, listener.try_recv()).await {
                Ok(Ok(Some(_))) | Err(_) => {
                    // One read answers every notification already here.
                    while listener.next_buffered().is_some() {}
                    if !self.catch_up().await {
                        return Ended::ConnectionLost;
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) => {
                    self.lost(&StoreError::Unreachable(
                        "the connection to PostgreSQL was lost".into(),
                    ));
                    return Ended::ConnectionLost;
                }
            }
        }
    }

    /// `PRAGMA data_version` changes when another connection commits: then read the feed.
    async fn poll_data_version(
        &mut self,
        connection: &mut SqliteConnection,
        last_version: &mut Option<i64>,
        poll: Duration,
    ) -> Ended {
        loop {
            if self.sink.is_closed() {
                return Ended::ReceiverDropped;
            }
            let version = sqlx::query_scalar::<_, i64>("PRAGMA data_version")
                .fetch_one(&mut *connection)
                .await;
            match version {
                Ok(version) => {
                    if *last_version != Some(version) {
                        *last_version = Some(version);
                        if !self.catch_up().await {
                            return Ended::ConnectionLost;
                        }
                    }
                }
                Err(error) => {
                    self.lost(&StoreError::from(error));
                    return Ended::ConnectionLost;
                }
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Reads everything after the last event; false when the database did not answer.
    async fn catch_up(&mut self) -> bool {
        // Asked before reading: an event that commits after this question announces itself,
        // so a "no" can never leave an event unread with nothing left to wake the reader.
        if !self.check_held_back().await {
            return false;
        }
        loop {
            match self
                .store
                .feed_after(self.last, &self.visibility, EVENTS_PER_READ)
                .await
            {
                Ok(events) => {
                    if self.lost {
                        self.lost = false;
                        tracing::info!(after = self.last, "feed reconnected");
                        let _ = self.sink.send(LiveUpdate::Online);
                    }
                    let Some(newest) = events.last() else {
                        return true;
                    };
                    tracing::debug!(after = self.last, events = events.len(), "feed woke up");
                    self.last = newest.entry.id;
                    let full = events.len() as i64 == EVENTS_PER_READ;
                    let _ = self.sink.send(LiveUpdate::Events(events));
                    if !full {
                        return true;
                    }
                }
                Err(error) => {
                    self.lost(&error);
                    return false;
                }
            }
        }
    }

    /// False when the database did not answer.
    async fn check_held_back(&mut self) -> bool {
        match self.store.feed_held_back().await {
            Ok(held_back) => {
                self.held_back = held_back;
                true
            }
            Err(error) => {
                self.lost(&error);
                false
            }
        }
    }

    fn lost(&mut self, error: &StoreError) {
        if !self.lost {
            self.lost = true;
            tracing::warn!(%error, after = self.last, "feed lost the database; reconnecting");
            let _ = self.sink.send(LiveUpdate::Lost(error.to_string()));
        }
    }
}
