//! The shared backend: PostgreSQL, over TLS where the URL asks for it.

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};

use super::StoreError;
use super::shared::shared_store_impl;
use super::url::{redact, scrub};
use crate::domain::Visibility;
use crate::domain::search::{MATCHES_READ, MatchSet};

/// The channel that wakes the feed's listeners after commits (readers re-read by position).
pub const EVENTS_CHANNEL: &str = "orderboard_events";

/// How long a caller waits for a connection, opening included: a server that does not answer
/// is reported unreachable rather than leaving the user at a silent terminal.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Ids a search reads newest first before it judges how common its text is
/// (`PgStore::match_set_reading_first`): about 16 ms of reading on a million orders.
const NEWEST_READ_FIRST: i64 = 20_000;

/// What reading one match through the trigram index costs (a page visited out of order, its
/// row checked), in orders read newest first (in order, mostly from the same page): about
/// 2.4 µs against 0.8 µs on this machine (BENCHMARKS.md).
const INDEX_MATCH_COST: f64 = 3.0;

/// How many of the ids older than the newest `newest` a search reads newest first, if it
/// does, when `found` of the newest matched and `still` more are wanted (`older` ids are
/// left): twice the ids in which `still` are expected at that rate, if reading them costs
/// less than reading every older match through the trigram index at that rate; `None`
/// when it does not (a text the newest never hold among them).
fn newest_first_span(found: usize, newest: i64, older: i64, still: usize) -> Option<i64> {
    let rate = found as f64 / newest.max(1) as f64;
    let expected = still as f64 / rate;
    (found > 0 && expected <= INDEX_MATCH_COST * rate * older as f64)
        .then(|| (2.0 * expected).ceil().min(older as f64) as i64)
}

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

    /// The orders the visibility shows that match `text` and the query's filters (its
    /// workflow, state and paging are ignored), newest first: at most `MATCHES_READ` of
    /// them.
    pub async fn match_set(
        &self,
        visibility: &Visibility,
        text: &str,
        query: &super::OrderQuery,
    ) -> Result<MatchSet, StoreError> {
        self.match_set_reading_first(visibility, text, query, NEWEST_READ_FIRST)
            .await
    }

    /// `match_set`, judging the text by the newest `newest` ids (a parameter for the tests).
    ///
    /// The trigram index gives its matches in no order, so the newest ones are found either
    /// by reading orders newest first until enough match (cheap for a common text; through
    /// every order for one the newest orders never hold) or by reading every match and
    /// sorting them (cheap for a rare text; slow for a common one). The planner picks by
    /// the text's share of all the orders, as if it were the same among the newest, and a
    /// wrong guess costs seconds on a million orders (BENCHMARKS.md). So the store looks
    /// first: the matches among the newest ids, a bounded read whichever way the planner
    /// takes, and then, only if they are not enough, the older ones the way the rate it saw
    /// calls for (`newest_first_span`). Every read but the last through the index is bounded
    /// by ids.
    pub async fn match_set_reading_first(
        &self,
        visibility: &Visibility,
        text: &str,
        query: &super::OrderQuery,
        newest: i64,
    ) -> Result<MatchSet, StoreError> {
        let wanted = MATCHES_READ + 1;
        let newest_first = super::by_visibility(visibility, super::sql::PG_MATCH_SETS);
        let by_index = super::by_visibility(visibility, super::sql::PG_MATCH_SETS_BY_INDEX);
        let read = |sql, ids, limit| self.matches_in(sql, visibility, text, query, ids, limit);
        let newest = newest.max(1);
        let floor = self.max_order_id().await?.saturating_sub(newest) + 1;
        if floor <= 1 {
            // Few enough orders that any plan reads a bounded number.
            return Ok(MatchSet::new(
                read(newest_first, (None, None), wanted).await?,
            ));
        }
        let mut found = read(newest_first, (Some(floor), None), wanted).await?;
        // The older ones: newest first across the ids the rate seen calls for (twice that,
        // bounded, in case the rate was high by chance), then any still missing through the
        // index, so that a text common among the newest only is not read for through the
        // whole table.
        let mut below = floor;
        if found.len() < wanted
            && let Some(span) =
                newest_first_span(found.len(), newest, floor - 1, wanted - found.len())
        {
            let from = (below - span > 1).then_some(below - span);
            found.extend(read(newest_first, (from, Some(below)), wanted - found.len()).await?);
            below = from.unwrap_or(1);
        }
        if found.len() < wanted && below > 1 {
            found.extend(read(by_index, (None, Some(below)), wanted - found.len()).await?);
        }
        Ok(MatchSet::new(found))
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
        let mut probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| pg_connect_error(url, sqlx::Error::PoolTimedOut))?
            .map_err(|e| pg_connect_error(url, e))?;
        // The schema is set up on that connection, which waits for locks as long as it takes
        // (a migration may wait for a table); the pool's connections give up after
        // `LOCK_WAIT`, so that an order held by a stuck session fails a transition with a
        // sentence instead of hanging it.
        let migrated = MIGRATOR.run(&mut probe).await;
        let _ = probe.close().await;
        migrated.map_err(|e| {
            StoreError::Unusable(scrub(
                &format!("cannot set up the schema in {}: {e}", redact(url)),
                url,
            ))
        })?;
        // Set by a statement rather than a startup parameter, which connection poolers such
        // as PgBouncer refuse unless told to ignore it.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(CONNECT_TIMEOUT)
            .after_connect(|connection, _| {
                Box::pin(async move {
                    let set = format!("SET lock_timeout = '{}s'", super::LOCK_WAIT.as_secs());
                    sqlx::raw_sql(sqlx::AssertSqlSafe(set))
                        .execute(connection)
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| pg_connect_error(url, e))?;
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

    /// A connection for one statement that writes: any of the pool's.
    async fn write_connection(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        Ok(self.pool.acquire().await?)
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

#[cfg(test)]
mod tests {
    use super::newest_first_span;

    #[test]
    fn a_search_reads_older_orders_newest_first_only_where_that_is_cheaper() {
        // A text the newest orders never hold: through the index.
        assert_eq!(newest_first_span(0, 20_000, 980_000, 2_001), None);
        // A common one (1 in 20): twice the 20,020 ids it should take.
        assert_eq!(
            newest_first_span(1_000, 20_000, 980_000, 1_001),
            Some(40_040)
        );
        // A customer with 1.4 % of the orders: 123,000 ids to read against about 14,000
        // matches through the index, which costs less.
        assert_eq!(newest_first_span(280, 20_000, 980_000, 1_721), None);
        // Never more than the older ids.
        assert_eq!(newest_first_span(10_000, 20_000, 100, 40), Some(100));
        // A window of no ids reads as one.
        assert_eq!(newest_first_span(1, 0, 1_000_000, 1), Some(2));
    }
}
