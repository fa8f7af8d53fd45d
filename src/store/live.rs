//! The live feed: every committed transition an actor may see, as it happens, in commit order.
//!
//! PostgreSQL wakes the reader with LISTEN/NOTIFY, sent after the commit and coalesced (see
//! `Announcer`; the payload is only a wake-up); SQLite
//! polls `PRAGMA data_version` on a dedicated connection, which changes when another
//! connection commits. Either way the reader then reads the feed after its last event, so a
//! lost notification or a reconnect never loses an event.
//!
//! SQLite has one writer at a time, so events commit in id order. PostgreSQL's writers commit
//! in any order and take no lock for the feed; instead the feed is read only below the oldest
//! transaction still in flight (migration 0009 explains the design). An event that committed
//! behind such a transaction is held back until it ends, and that transaction may end without
//! a notification (a rollback, or a write that is not a transition), so while anything is held
//! back the process's listener wakes its followers again on a short backoff.
//!
//! PostgreSQL connections are a bounded resource: a process has one LISTEN connection however
//! many followers it runs (board panes, event streams), and that one connection also does the
//! held-back checks, so each follower costs one read per wake-up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
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
/// the longest. Transitions are short, so the first look usually finds them; a long one (a
/// bulk seed) is looked at once a second.
const HELD_BACK_FIRST_RETRY: Duration = Duration::from_millis(5);
const HELD_BACK_LONGEST_RETRY: Duration = Duration::from_secs(1);

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
    };
    match reader.store.clone() {
        Store::Postgres(pg) => follow_postgres(reader, &pg, poll).await,
        Store::Sqlite(sqlite) => follow_sqlite(reader, &sqlite, poll).await,
    }
}

async fn follow_postgres(mut reader: Reader, pg: &PgStore, poll: Duration) {
    let heartbeat = poll.max(MIN_HEARTBEAT_POLL) * POLLS_PER_HEARTBEAT;
    let mut wakes = pg.wakes.subscribe(pg);
    // Anything committed before listening began is read now.
    let mut read_now = true;
    loop {
        if reader.sink.is_closed() {
            return;
        }
        if read_now {
            let answered = reader.catch_up().await;
            if !answered {
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        }
        read_now = match tokio::time::timeout(heartbeat, wakes.recv()).await {
            // The read doubles as a heartbeat that notices a dead server.
            Err(_) => true,
            Ok(first) => match latest_wake(first, &mut wakes) {
                Next::Read => true,
                Next::Lost(reason) => {
                    reader.lost(&StoreError::Unreachable(reason));
                    false
                }
                Next::Resubscribe => {
                    wakes = pg.wakes.subscribe(pg);
                    true
                }
            },
        };
    }
}

enum Next {
    Read,
    Lost(String),
    Resubscribe,
}

/// Every wake-up already here, answered by one step: the latest decides (a loss followed by
/// "listening" is over; a lag may hide anything, so it reads).
fn latest_wake(first: Result<Wake, RecvError>, wakes: &mut broadcast::Receiver<Wake>) -> Next {
    let mut next = match first {
        Ok(Wake::Lost(reason)) => Next::Lost(reason),
        Ok(Wake::Notified | Wake::Listening) | Err(RecvError::Lagged(_)) => Next::Read,
        Err(RecvError::Closed) => return Next::Resubscribe,
    };
    loop {
        next = match wakes.try_recv() {
            Ok(Wake::Lost(reason)) => Next::Lost(reason),
            Ok(Wake::Notified | Wake::Listening) | Err(TryRecvError::Lagged(_)) => Next::Read,
            Err(TryRecvError::Empty) => return next,
            Err(TryRecvError::Closed) => return Next::Resubscribe,
        };
    }
}

/// What the process's listening connection tells each follower.
#[derive(Clone, Debug)]
enum Wake {
    /// (Re)connected and listening: anything may have committed while it was not.
    Listening,
    /// A transition committed.
    Notified,
    /// The listening connection was lost; it is being re-established.
    Lost(String),
}

/// Wake-ups a follower has not taken yet: beyond this it lags, which only means it reads
/// once for all of them.
const WAKES_BUFFERED: usize = 64;

/// One LISTEN connection per process, however many followers (board panes, event streams):
/// PostgreSQL connections are a bounded resource, and every follower reads the same channel.
/// It is opened by the first follower and closed when the last one has gone.
#[derive(Clone, Default)]
pub(crate) struct SharedListener {
    sender: Arc<Mutex<Option<broadcast::Sender<Wake>>>>,
}

impl SharedListener {
    fn subscribe(&self, pg: &PgStore) -> broadcast::Receiver<Wake> {
        let mut sender = lock(&self.sender);
        if let Some(sender) = sender.as_ref() {
            return sender.subscribe();
        }
        let (tx, rx) = broadcast::channel(WAKES_BUFFERED);
        *sender = Some(tx.clone());
        tokio::spawn(listen(pg.clone(), self.clone(), tx));
        rx
    }

    /// Under the lock, so that no follower subscribes to a listener that is going away.
    fn close_if_unused(&self, tx: &broadcast::Sender<Wake>) -> bool {
        let mut sender = lock(&self.sender);
        if tx.receiver_count() == 0 {
            *sender = None;
            return true;
        }
        false
    }
}

/// A poisoned lock only means a follower panicked while subscribing; the slot is still sound.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The listening connection's life: connect, listen, pass every notification on, and on a
/// lost connection say so and connect again, until no follower is left.
async fn listen(pg: PgStore, shared: SharedListener, tx: broadcast::Sender<Wake>) {
    loop {
        if shared.close_if_unused(&tx) {
            return;
        }
        let mut listener = match connect_listener(&pg).await {
            Ok(listener) => listener,
            Err(error) => {
                // Followers report a loss once, however often it is repeated.
                let _ = tx.send(Wake::Lost(error.to_string()));
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        let mut alive = wake(&pg, &tx, &mut listener, Wake::Listening).await;
        while alive {
            alive = match tokio::time::timeout(LISTENER_CHECK, listener.try_recv()).await {
                Ok(Ok(Some(_))) => wake(&pg, &tx, &mut listener, Wake::Notified).await,
                Err(_) => true,
                Ok(Ok(None)) | Ok(Err(_)) => false,
            };
            if shared.close_if_unused(&tx) {
                return;
            }
        }
        let reason = "the connection to PostgreSQL was lost".to_string();
        let _ = tx.send(Wake::Lost(reason));
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// Wakes the followers, and again on a backoff while committed events are held back behind a
/// transaction in flight. Each wake-up follows a check, so the last one, after a check that
/// found nothing held back, lets the followers read everything committed before it; whatever
/// commits later notifies anew. A notification during the backoff wakes them at once and
/// starts the backoff again, so a busy database never waits the longest retry. False when
/// the listening connection was lost.
async fn wake(
    pg: &PgStore,
    tx: &broadcast::Sender<Wake>,
    listener: &mut PgListener,
    first: Wake,
) -> bool {
    let mut retry = HELD_BACK_FIRST_RETRY;
    let mut wake = first;
    loop {
        // A failed check wakes them anyway: their own reads find out what is wrong.
        let held_back = pg.feed_held_back().await.unwrap_or(false);
        let _ = tx.send(wake);
        if !held_back || tx.receiver_count() == 0 {
            return true;
        }
        match tokio::time::timeout(retry, listener.try_recv()).await {
            Ok(Ok(Some(_))) => retry = HELD_BACK_FIRST_RETRY,
            Err(_) => retry = (retry * 2).min(HELD_BACK_LONGEST_RETRY),
            Ok(Ok(None)) | Ok(Err(_)) => return false,
        }
        wake = Wake::Notified;
    }
}

/// Wakes every process's followers after transitions commit, with at most one notification
/// in flight per process.
///
/// Why not NOTIFY inside the writing transaction, as before: PostgreSQL serialises every
/// committing transaction that queued a notification (it takes a database-wide lock when it
/// queues it and holds it until after the commit's WAL flush), so a NOTIFY per transition
/// made one global lock of the notification queue, the very thing the feed's design avoids.
/// Measured with pgbench at 8 clients on this machine: 6,600 one-insert transactions a second
/// with an extra statement, 3,500 with a NOTIFY instead. So a transition commits without it
/// and then calls `committed`; one notification (its own small transaction, sent after the
/// commit, so a woken reader finds the row) then covers every commit since the last one. The
/// payload was only ever a wake-up (readers re-read from their position), so coalescing loses
/// nothing; a notification lost with its connection is covered by each listener's heartbeat.
#[derive(Clone, Debug, Default)]
pub(crate) struct Announcer {
    state: Arc<AnnouncerState>,
}

#[derive(Debug, Default)]
struct AnnouncerState {
    /// A commit happened since the last notification was sent.
    pending: AtomicBool,
    /// A task is sending notifications; it sends again while `pending` is set.
    sending: AtomicBool,
}

impl Announcer {
    /// After a transition committed: wakes the followers of every process soon, without
    /// waiting for it here.
    pub(crate) fn committed(&self, pool: &sqlx::PgPool) {
        self.state.pending.store(true, Ordering::SeqCst);
        if !self.state.start_sending() {
            return; // the task sending now sees `pending` and sends again
        }
        // The guard is made before the task: a runtime shutting down may drop the task
        // without running it, and dropping it then still clears `sending`.
        let sending = ClearOnDrop(self.state.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(send_while_pending(sending, pool.clone()));
        }
    }
}

impl Announcer {
    /// Waits (at most `limit`) until every commit so far has been announced: a command that
    /// commits and then exits must not take its notification with it.
    pub(crate) async fn settle(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.state.pending.load(Ordering::SeqCst) || self.state.sending.load(Ordering::SeqCst)
        {
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl AnnouncerState {
    fn start_sending(&self) -> bool {
        self.sending
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

/// Clears `sending` when dropped, however the sending task ends (or is never run).
struct ClearOnDrop(Arc<AnnouncerState>);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.sending.store(false, Ordering::SeqCst);
    }
}

/// A notification that takes longer is given up: the listeners' heartbeat reads find the
/// events, and a stuck connection must not stop this process's notifications.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(2);

async fn send_while_pending(mut sending: ClearOnDrop, pool: sqlx::PgPool) {
    loop {
        let state = sending.0.clone();
        while state.pending.swap(false, Ordering::SeqCst) {
            let notify = sqlx::query("SELECT pg_notify($1, '')")
                .bind(EVENTS_CHANNEL)
                .execute(&pool);
            match tokio::time::timeout(NOTIFY_TIMEOUT, notify).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::debug!(%error, "could not notify the feed's listeners")
                }
                Err(_) => tracing::debug!("notifying the feed's listeners timed out"),
            }
        }
        drop(sending);
        // A commit that came between the last swap and clearing `sending` found the task
        // still sending and left `pending` set: take it over.
        if !state.pending.load(Ordering::SeqCst) || !state.start_sending() {
            return;
        }
        sending = ClearOnDrop(state);
    }
}

/// How often an idle listener looks whether any follower is left.
const LISTENER_CHECK: Duration = Duration::from_secs(1);

async fn connect_listener(pg: &PgStore) -> Result<PgListener, StoreError> {
    let mut listener = PgListener::connect_with(pg.pool()).await?;
    listener.listen(EVENTS_CHANNEL).await?;
    Ok(listener)
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
}

impl Reader {
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

    fn lost(&mut self, error: &StoreError) {
        if !self.lost {
            self.lost = true;
            tracing::warn!(%error, after = self.last, "feed lost the database; reconnecting");
            let _ = self.sink.send(LiveUpdate::Lost(error.to_string()));
        }
    }
}
