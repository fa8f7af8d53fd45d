//! The live feed: every committed transition an actor may see, as it happens, in commit order.
//!
//! PostgreSQL wakes the reader with LISTEN/NOTIFY (the payload is only a wake-up); SQLite
//! polls `PRAGMA data_version` on a dedicated connection, which changes when another
//! connection commits. Either way the reader then reads `history WHERE id > last`, so a lost
//! notification or a reconnect never loses an event, and ids commit in order on both backends
//! (see `PgStore::serialise_event_ids`).

use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgListener;
use sqlx::sqlite::SqliteConnectOptions;
use tokio::sync::mpsc::UnboundedSender;

use super::postgres::EVENTS_CHANNEL;
use super::types::FeedEvent;
use super::{Store, StoreError};
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

const BATCH: i64 = 500;
const RETRY: Duration = Duration::from_millis(500);

/// Follows the feed after `after_id` until the receiver is dropped.
pub async fn follow(
    store: Store,
    visibility: Visibility,
    after_id: i64,
    poll: Duration,
    sink: UnboundedSender<LiveUpdate>,
) {
    let mut reader = Reader {
        store,
        visibility,
        last: after_id,
        sink,
        lost: false,
    };
    match reader.store.clone() {
        Store::Postgres(pg) => loop {
            if reader.sink.is_closed() {
                return;
            }
            let mut listener = match PgListener::connect_with(pg.pool()).await {
                Ok(listener) => listener,
                Err(error) => {
                    reader.lost(&StoreError::from(error));
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen(EVENTS_CHANNEL).await {
                reader.lost(&StoreError::from(error));
                tokio::time::sleep(RETRY).await;
                continue;
            }
            // Anything committed while not listening is read now.
            if !reader.catch_up().await {
                tokio::time::sleep(RETRY).await;
                continue;
            }
            loop {
                if reader.sink.is_closed() {
                    return;
                }
                // The poll doubles as a heartbeat that notices a dead server.
                match tokio::time::timeout(
                    poll.max(Duration::from_millis(250)) * 4,
                    listener.try_recv(),
                )
                .await
                {
                    Ok(Ok(Some(_))) | Err(_) => {
                        if !reader.catch_up().await {
                            break;
                        }
                    }
                    Ok(Ok(None)) | Ok(Err(_)) => {
                        reader.lost(&StoreError::Unreachable(
                            "the connection to PostgreSQL was lost".into(),
                        ));
                        break;
                    }
                }
            }
            tokio::time::sleep(RETRY).await;
        },
        Store::Sqlite(sqlite) => {
            let options = SqliteConnectOptions::new()
                .filename(sqlite.path())
                .read_only(true);
            let mut last_version: Option<i64> = None;
            loop {
                if reader.sink.is_closed() {
                    return;
                }
                let mut connection = match sqlx::SqliteConnection::connect_with(&options).await {
                    Ok(connection) => connection,
                    Err(error) => {
                        reader.lost(&StoreError::from(error));
                        tokio::time::sleep(RETRY).await;
                        continue;
                    }
                };
                loop {
                    if reader.sink.is_closed() {
                        return;
                    }
                    let version = sqlx::query_scalar::<_, i64>("PRAGMA data_version")
                        .fetch_one(&mut connection)
                        .await;
                    match version {
                        Ok(version) => {
                            if last_version != Some(version) {
                                last_version = Some(version);
                                if !reader.catch_up().await {
                                    break;
                                }
                            }
                        }
                        Err(error) => {
                            reader.lost(&StoreError::from(error));
                            break;
                        }
                    }
                    tokio::time::sleep(poll).await;
                }
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

struct Reader {
    store: Store,
    visibility: Visibility,
    last: i64,
    sink: UnboundedSender<LiveUpdate>,
    lost: bool,
}

impl Reader {
    /// Reads everything after the last id; false when the database did not answer.
    async fn catch_up(&mut self) -> bool {
        loop {
            match self
                .store
                .feed_after(self.last, &self.visibility, BATCH)
                .await
            {
                Ok(events) => {
                    if self.lost {
                        self.lost = false;
                        let _ = self.sink.send(LiveUpdate::Online);
                    }
                    let Some(newest) = events.last() else {
                        return true;
                    };
                    self.last = newest.entry.id;
                    let full = events.len() as i64 == BATCH;
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

    fn lost(&mut self, error: &StoreError) {
        if !self.lost {
            self.lost = true;
            let _ = self.sink.send(LiveUpdate::Lost(error.to_string()));
        }
    }
}
