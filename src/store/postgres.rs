//! The shared backend: PostgreSQL, over TLS where the URL asks for it.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};

use super::StoreError;
use super::shared::shared_store_impl;
use super::url::{redact, scrub};
use crate::domain::Visibility;

/// The channel that wakes the feed's listeners after commits (readers re-read by position).
pub const EVENTS_CHANNEL: &str = "orderboard_events";

/// How long a caller waits for a connection, opening included: a server that does not answer
/// is reported unreachable rather than leaving the user at a silent terminal.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    url: String,
    /// The process's one LISTEN connection, shared by every follower of the feed.
    pub(crate) wakes: super::live::SharedListener,
    /// Sends the notifications that wake the listeners, after commits.
    announcer: super::live::Announcer,
}

/// Debug shows the URL without its credentials, like every other place that prints it.
impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool is left out: its connect options hold the password in clear.
        f.debug_struct("PgStore")
            .field("url", &redact(&self.url))
            .finish_non_exhaustive()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/postgres");

impl PgStore {
    /// Rows another runner is claiming right now are skipped, not waited for: runners share
    /// the work without blocking each other, and never claim the same effect twice.
    const CLAIM_DUE_EFFECTS: &'static str =
        concat!(super::sql::claim_due_effects!(), " FOR UPDATE SKIP LOCKED");
    const CLAIM_ABANDONED_EFFECTS: &'static str = concat!(
        super::sql::claim_abandoned_effects!(),
        " FOR UPDATE SKIP LOCKED"
    );
    /// The orders a transaction moves together, locked in one statement; those another
    /// writer holds are skipped (`apply_together`). The lock is the one a plain `UPDATE` of
    /// an order takes, so that rows merely pointing at an order (an attempt, a delivery
    /// report) are written meanwhile without waiting, and do not make the order look held.
    const LOCK_ORDERS_TAIL: &'static str = ") FOR NO KEY UPDATE SKIP LOCKED";
    const FEED_AFTER: &'static str = super::sql::PG_FEED_AFTER;
    const FEED_HEAD: &'static str = super::sql::PG_FEED_HEAD;
    const CONTAINS: &'static super::sql::ListingSql = &super::sql::PG_CONTAINS;
    /// The trigram index is PostgreSQL's own, kept in step by every write.
    const INDEX_ORDER_TEXT: Option<&'static str> = None;

    /// The statement of a search's match set (`sql::PG_PARTY_MATCH_SETS` says why two).
    fn match_set_sql(text: &str, visibility: &Visibility) -> &'static str {
        let name = match visibility {
            Visibility::Everything => return super::sql::PG_MATCH_SETS[0],
            Visibility::CustomerIs(name) | Visibility::SellerIs(name) => name,
        };
        let sets = if name.to_lowercase().contains(&text.to_lowercase()) {
            super::sql::PG_MATCH_SETS
        } else {
            super::sql::PG_PARTY_MATCH_SETS
        };
        super::by_visibility(visibility, sets)
    }

    /// A search as the trigram index takes it: a LIKE pattern, lower case, wildcards escaped
    /// (the visibility is the statement's: the planner combines it with the index itself).
    fn search_text(text: &str, _visibility: &Visibility) -> String {
        super::contains_pattern(text)
    }

    pub async fn open(url: &str, max_connections: u32) -> Result<PgStore, StoreError> {
        // sqlx's own messages are scrubbed too: a driver that quotes the URL or a value from
        // it must not print a password.
        let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| {
            StoreError::Unusable(scrub(
                &format!("database URL {} is malformed: {e}", redact(url)),
                url,
            ))
        })?;
        // One plain connection first: the pool retries a refused or failing connection until
        // its timeout, so a wrong port or password would take the whole timeout to say only
        // "no answer"; a single attempt says at once what is wrong.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| pg_connect_error(url, sqlx::Error::PoolTimedOut))?
            .map_err(|e| pg_connect_error(url, e))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| pg_connect_error(url, e))?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Unusable(scrub(
                &format!("cannot set up the schema in {}: {e}", redact(url)),
                url,
            ))
        })?;
        // A dump restored into another server brings the old server's transaction ids, which
        // may lie ahead of this server's counter: the feed would sort every new event before
        // them, and count them as held back forever. No committed row can carry an id this
        // server has not handed out yet, so such rows are from a restore, long committed:
        // they go back to 0, as rows from before the column existed (migration 0010).
        sqlx::query(super::sql::PG_FORGET_FOREIGN_XIDS)
            .execute(&pool)
            .await
            .map_err(|e| StoreError::Unusable(scrub(&e.to_string(), url)))?;
        Ok(PgStore {
            pool,
            url: url.to_string(),
            wakes: super::live::SharedListener::default(),
            announcer: super::live::Announcer::default(),
        })
    }

    /// For the feed's LISTEN connection; callers must not print it.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Announces what committed (at most a second's wait), then closes the pool.
    pub async fn close(&self) {
        self.announcer.settle(Duration::from_secs(1)).await;
        self.pool.close().await;
    }

    /// Whether a committed event waits behind a transaction still in flight (the feed reads
    /// only below the oldest one).
    pub async fn feed_held_back(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(super::sql::PG_FEED_HELD_BACK)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn prepare_bulk(_tx: &mut Transaction<'static, Postgres>) -> Result<(), StoreError> {
        Ok(())
    }

    /// Bulk seeding numbers orders itself: move the id sequence past them, or the next
    /// order created the ordinary way would collide.
    async fn finish_bulk(tx: &mut Transaction<'static, Postgres>) -> Result<(), StoreError> {
        sqlx::query("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT COALESCE(MAX(id), 1) FROM orders))")
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The server's current snapshot as text (`Store::commits_marker`).
    pub async fn snapshot_text(&self) -> Result<String, StoreError> {
        Ok(
            sqlx::query_scalar::<Postgres, String>(super::sql::PG_SNAPSHOT_TEXT)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Wakes the feed's listeners in every process after a transition committed: after the
    /// commit rather than inside it (see `live::Announcer` for why).
    pub fn announce_committed(&self) {
        self.announcer.committed(&self.pool);
    }
}

shared_store_impl!(PgStore, Postgres);

/// One sentence for the usual ways a connection fails, never with the password.
fn pg_connect_error(url: &str, error: sqlx::Error) -> StoreError {
    let shown = redact(url);
    let message = match &error {
        sqlx::Error::Database(e)
            if e.code().as_deref() == Some("28P01") || e.code().as_deref() == Some("28000") =>
        {
            format!(
                "the database at {shown} refused the credentials: {}",
                e.message()
            )
        }
        sqlx::Error::Database(e) if e.code().as_deref() == Some("3D000") => {
            format!("the database at {shown} does not exist: {}", e.message())
        }
        sqlx::Error::Database(e) => format!(
            "the database at {shown} refused the connection: {}",
            e.message()
        ),
        sqlx::Error::PoolTimedOut => {
            format!(
                "cannot reach the database at {shown}: no answer within {} seconds",
                CONNECT_TIMEOUT.as_secs()
            )
        }
        sqlx::Error::Io(e) => format!("cannot reach the database at {shown}: {e}"),
        sqlx::Error::Tls(e) => format!("cannot set up TLS with the database at {shown}: {e}"),
        other => format!("cannot reach the database at {shown}: {other}"),
    };
    StoreError::Unreachable(scrub(&message, url))
}
