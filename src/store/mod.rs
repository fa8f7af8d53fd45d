//! Persistence on an embedded SQLite file or a shared PostgreSQL: one interface, two
//! implementations sharing their SQL. Knows the domain and the engine, not the terminal.

pub mod live;
pub mod postgres;
pub mod rows;
mod shared;
pub mod sql;
pub mod sqlite;
pub mod types;
pub mod url;

use chrono::{DateTime, SubsecRound, Utc};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use types::*;
pub use url::DatabaseUrl;

use crate::domain::{Order, OrderId, Role, Visibility};
use crate::workflow::Workflows;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    MissingDatabase(String),
    #[error("{0}")]
    CannotCreate(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Unusable(String),
    #[error("{0}")]
    Duplicate(String),
    #[error("the database holds unreadable data: {0}")]
    Corrupt(String),
    #[error("{}", busy_message())]
    Busy,
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether the database went away (the UI then shows "reconnecting" and retries).
    pub fn is_connection_lost(&self) -> bool {
        match self {
            StoreError::Unreachable(_) => true,
            StoreError::Database(error) => {
                matches!(
                    error,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::WorkerCrashed
                        | sqlx::Error::Protocol(_)
                ) || matches!(error, sqlx::Error::Database(e) if e.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
            }
            _ => false,
        }
    }
}

/// The longest a statement waits for a row or the database another writer holds (SQLite's
/// busy timeout, PostgreSQL's `lock_timeout`): a stuck session elsewhere (a `psql` left in a
/// transaction) makes a transition fail with a sentence, not hang.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl StoreError {
    /// Whether another writer held what the statement needed for longer than `LOCK_WAIT`:
    /// nothing was written, and trying again later may work.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Busy => true,
            StoreError::Database(error) => is_busy(error),
            _ => false,
        }
    }
}

/// PostgreSQL's `lock_not_available` (a `lock_timeout`), SQLite's BUSY once its busy
/// timeout is over (plain, or `SQLITE_BUSY_TIMEOUT`). Each backend's codes only: PostgreSQL's
/// numeric SQLSTATEs are no SQLite codes.
fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = error else {
        return false;
    };
    let code = e.code();
    if e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        code.as_deref() == Some("55P03")
    } else if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        matches!(code.as_deref(), Some("5" | "773"))
    } else {
        false
    }
}

/// What a failed statement says: a wait given up is no fault, and says so (short enough for
/// an 80-column status line); anything else is a database error.
fn database_message(error: &sqlx::Error) -> String {
    match error {
        _ if is_busy(error) => busy_message(),
        sqlx::Error::Database(e) => format!("database error: {}", e.message()),
        other => format!("database error: {other}"),
    }
}

fn busy_message() -> String {
    format!(
        "another writer held it for over {} s; nothing was changed, try again",
        LOCK_WAIT.as_secs()
    )
}

/// SQLite keeps nanoseconds, Postgres microseconds: truncate so both round-trip the same.
pub fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// Later than any time the database holds: the cursor of a newest-first first page.
pub fn end_of_time() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Longest user name a sign-in counter keeps: longer names are no user's anyway.
const MAX_SIGN_IN_SUBJECT: usize = 128;

/// The sign-in counter's key for a typed user name: lower-cased like the unique index on
/// names (which are ASCII), so `SAM` and `sam` share one counter.
pub fn sign_in_subject(name: &str) -> String {
    name.chars()
        .take(MAX_SIGN_IN_SUBJECT)
        .collect::<String>()
        .to_ascii_lowercase()
}

pub(crate) fn visibility_binds(visibility: &Visibility) -> (Option<&str>, Option<&str>) {
    match visibility {
        Visibility::Everything => (None, None),
        Visibility::CustomerIs(name) => (Some(name), None),
        Visibility::SellerIs(name) => (None, Some(name)),
    }
}

/// The query variant for a visibility: [everything, a customer's, a seller's].
pub(crate) fn by_visibility(
    visibility: &Visibility,
    [all, customer, seller]: [&'static str; 3],
) -> &'static str {
    match visibility {
        Visibility::Everything => all,
        Visibility::CustomerIs(_) => customer,
        Visibility::SellerIs(_) => seller,
    }
}

/// A case-insensitive LIKE pattern for `text` anywhere (its wildcards escaped).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Connections per process to PostgreSQL: sqlx's default, so that ten back-office processes
/// at full pool stay within the server's default `max_connections` of 100.
const POSTGRES_POOL_SIZE: u32 = 10;

/// Whether opening may create a new, empty database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    CreateIfMissing,
    ExistingOnly,
}

/// The store the application talks to, whichever database is behind it.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    pub async fn open(url: &DatabaseUrl, mode: OpenMode) -> Result<Store, StoreError> {
        match url {
            DatabaseUrl::Sqlite { path } => Ok(Store::Sqlite(
                SqliteStore::open(path, mode == OpenMode::CreateIfMissing).await?,
            )),
            DatabaseUrl::Postgres { url } => Ok(Store::Postgres(
                PgStore::open(url, POSTGRES_POOL_SIZE).await?,
            )),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    pub async fn create_order(&self, new: &NewOrder) -> Result<OrderId, StoreError> {
        dispatch!(self, s => s.create_order(new).await)
    }

    pub async fn orders_by_ids(&self, ids: &[OrderId]) -> Result<Vec<Order>, StoreError> {
        dispatch!(self, s => s.orders_by_ids(ids).await)
    }

    pub async fn order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        dispatch!(self, s => s.order(id).await)
    }

    pub async fn list_orders(
        &self,
        visibility: &Visibility,
        query: &OrderQuery,
    ) -> Result<Vec<Order>, StoreError> {
        dispatch!(self, s => s.list_orders(visibility, query).await)
    }

    pub async fn count_by_state(
        &self,
        workflow: &str,
        visibility: &Visibility,
        query: &OrderQuery,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        dispatch!(self, s => s.count_by_state(workflow, visibility, query).await)
    }

    pub async fn recent_feed(
        &self,
        visibility: &Visibility,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, StoreError> {
        dispatch!(self, s => s.recent_feed(visibility, before, limit).await)
    }

    pub async fn workflows_with_orders(
        &self,
        names: &[String],
        visibility: &Visibility,
    ) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.workflows_with_orders(names, visibility).await)
    }

    pub async fn history(&self, order_id: OrderId) -> Result<Vec<HistoryEntry>, StoreError> {
        dispatch!(self, s => s.history(order_id).await)
    }

    pub async fn explore(
        &self,
        filter: &ExplorerFilter,
        cursor: Option<ExplorerCursor>,
        limit: i64,
    ) -> Result<Vec<ExplorerEntry>, StoreError> {
        dispatch!(self, s => s.explore(filter, cursor, limit).await)
    }

    pub async fn attempts(&self, order_id: OrderId) -> Result<Vec<Attempt>, StoreError> {
        dispatch!(self, s => s.attempts(order_id).await)
    }

    pub async fn ledger(&self, order_id: OrderId) -> Result<Vec<LedgerRow>, StoreError> {
        dispatch!(self, s => s.ledger(order_id).await)
    }

    pub async fn effects(&self, order_id: OrderId) -> Result<Vec<EffectRecord>, StoreError> {
        dispatch!(self, s => s.effects(order_id).await)
    }

    pub async fn claim_effects(
        &self,
        runner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClaimedEffect>, StoreError> {
        dispatch!(self, s => s.claim_effects(runner, now, lease_until, limit).await)
    }

    pub async fn finish_effects(
        &self,
        reports: &[(&ClaimedEffect, &AttemptReport)],
    ) -> Result<Vec<bool>, StoreError> {
        dispatch!(self, s => s.finish_effects(reports).await)
    }

    pub async fn settle_effect(
        &self,
        id: i64,
        retry: bool,
        actor: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<EffectRecord>, StoreError> {
        dispatch!(self, s => s.settle_effect(id, retry, actor, note, now).await)
    }

    pub async fn effect(&self, id: i64) -> Result<Option<EffectRecord>, StoreError> {
        dispatch!(self, s => s.effect(id).await)
    }

    pub async fn list_effects(&self, query: &EffectQuery) -> Result<Vec<EffectRecord>, StoreError> {
        dispatch!(self, s => s.list_effects(query).await)
    }

    pub async fn count_effects_needing_attention(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.count_effects_needing_attention().await)
    }

    pub async fn effect_attempts(
        &self,
        order_id: OrderId,
    ) -> Result<Vec<EffectAttempt>, StoreError> {
        dispatch!(self, s => s.effect_attempts(order_id).await)
    }

    pub async fn transition_at(
        &self,
        order_id: OrderId,
        version: i64,
    ) -> Result<Option<HistoryEntry>, StoreError> {
        dispatch!(self, s => s.transition_at(order_id, version).await)
    }

    pub async fn feed_after(
        &self,
        after_id: i64,
        visibility: &Visibility,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, StoreError> {
        dispatch!(self, s => s.feed_after(after_id, visibility, limit).await)
    }

    /// Whether committed events wait to be read behind a transaction still in flight: only
    /// PostgreSQL's writers commit out of order.
    pub async fn feed_held_back(&self) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(false),
            Store::Postgres(pg) => pg.feed_held_back().await,
        }
    }

    pub async fn latest_history_id(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.latest_history_id().await)
    }

    /// What tells, with the feed's position, that nothing committed since: on PostgreSQL the
    /// server's snapshot (the transactions in flight and the next to begin), since there
    /// the position waits for every transaction in flight, on any database of the server,
    /// and a change committed meanwhile, in any order, moves only this. SQLite commits in
    /// order, one writer at a time: the position alone tells.
    pub async fn commits_marker(&self) -> Result<String, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(String::new()),
            Store::Postgres(pg) => pg.snapshot_text().await,
        }
    }

    pub async fn due_timers(
        &self,
        now: DateTime<Utc>,
        after: Option<TimerPosition>,
        limit: i64,
    ) -> Result<Vec<DueTimer>, StoreError> {
        dispatch!(self, s => s.due_timers(now, after, limit).await)
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.user_count().await)
    }

    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.add_user(name, role, password_hash, now).await)
    }

    pub async fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        dispatch!(self, s => s.user(name).await)
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        dispatch!(self, s => s.users().await)
    }

    pub async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_user_disabled(name, disabled).await)
    }

    /// The first user, atomically: `false` when another user exists or won the race.
    pub async fn add_first_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.add_first_user(name, role, password_hash, now).await)
    }

    pub async fn change_user(
        &self,
        name: &str,
        change: UserChange,
    ) -> Result<UserChangeOutcome, StoreError> {
        dispatch!(self, s => s.change_user(name, change).await)
    }

    pub async fn record_sign_in_attempt(
        &self,
        subject: &str,
        source: Option<&str>,
        now: DateTime<Utc>,
        limits: &SignInLimits,
    ) -> Result<Option<SignInCounts>, StoreError> {
        dispatch!(self, s => s.record_sign_in_attempt(subject, source, now, limits).await)
    }

    pub async fn release_sign_in_lease(&self, subject: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.release_sign_in_lease(subject).await)
    }

    pub async fn clear_sign_in_failures(
        &self,
        subject: &str,
        source: Option<&str>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.clear_sign_in_failures(subject, source).await)
    }

    pub async fn ledger_between(
        &self,
        first: i64,
        last: i64,
    ) -> Result<Vec<(i64, LedgerRow)>, StoreError> {
        dispatch!(self, s => s.ledger_between(first, last).await)
    }

    pub async fn ledger_of(&self, ids: &[i64]) -> Result<Vec<(i64, LedgerRow)>, StoreError> {
        dispatch!(self, s => s.ledger_of(ids).await)
    }

    pub async fn audit_batch(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditedOrder>, StoreError> {
        dispatch!(self, s => s.audit_batch(after_id, limit).await)
    }

    pub async fn max_order_id(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.max_order_id().await)
    }

    pub async fn match_set(
        &self,
        visibility: &Visibility,
        text: &str,
        query: &OrderQuery,
    ) -> Result<crate::domain::search::MatchSet, StoreError> {
        dispatch!(self, s => s.match_set(visibility, text, query).await)
    }

    pub async fn matches_per_workflow(
        &self,
        visibility: &Visibility,
        text: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        dispatch!(self, s => s.matches_per_workflow(visibility, text).await)
    }

    pub async fn insert_parties(
        &self,
        parties: &[(String, crate::domain::Role)],
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_parties(parties, password_hash, at).await)
    }

    pub async fn bulk_insert(&self, orders: &[SeededOrder]) -> Result<(), StoreError> {
        dispatch!(self, s => s.bulk_insert(orders).await)
    }

    pub async fn add_token(
        &self,
        name: &str,
        user: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.add_token(name, user, token_hash, now).await)
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        dispatch!(self, s => s.tokens().await)
    }

    pub async fn token_exists(&self, name: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.token_exists(name).await)
    }

    pub async fn revoke_token(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        dispatch!(self, s => s.revoke_token(name, now).await)
    }

    pub async fn use_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenUse>, StoreError> {
        dispatch!(self, s => s.use_token(token_hash, now).await)
    }

    pub async fn add_session(
        &self,
        user: &str,
        token_hash: &str,
        source: Option<&str>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.add_session(user, token_hash, source, now, expires_at).await)
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        dispatch!(self, s => s.session(token_hash).await)
    }

    pub async fn touch_session(
        &self,
        session: &SessionRecord,
        now: DateTime<Utc>,
        every: chrono::Duration,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch_session(session, now, every).await)
    }

    pub async fn end_sessions_beyond(
        &self,
        user: &str,
        keep: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.end_sessions_beyond(user, keep, now).await)
    }

    pub async fn end_session(
        &self,
        id: i64,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.end_session(id, by, now).await)
    }

    pub async fn end_sessions_of(
        &self,
        user: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.end_sessions_of(user, by, now).await)
    }

    pub async fn live_sessions(
        &self,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        dispatch!(self, s => s.live_sessions(now, idle_since, limit).await)
    }

    pub async fn claim_idempotency_key(
        &self,
        user: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredResponse>, StoreError> {
        dispatch!(self, s => s.claim_idempotency_key(user, key, now).await)
    }

    pub async fn complete_idempotency_key(
        &self,
        user: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.complete_idempotency_key(user, key, response).await)
    }

    pub async fn release_idempotency_key(&self, user: &str, key: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.release_idempotency_key(user, key).await)
    }

    pub async fn apply(
        &self,
        workflows: &Workflows,
        request: &ApplyRequest,
    ) -> Result<Applied, ApplyError> {
        dispatch!(self, s => s.apply(workflows, request).await)
    }

    pub async fn apply_together(
        &self,
        workflows: &Workflows,
        requests: &[ApplyRequest],
    ) -> Result<Vec<Together>, ApplyError> {
        dispatch!(self, s => s.apply_together(workflows, requests).await)
    }
}
