//! The embedded backend: one SQLite file in WAL mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool, Transaction};

use super::StoreError;
use super::shared::shared_store_impl;
use crate::domain::Visibility;
use crate::domain::search::{MATCHES_READ, MatchSet};

#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Reads, and the few single-statement writes (sessions, tokens, users).
    pub(crate) pool: SqlitePool,
    /// The one connection every write transaction takes: see `connect`.
    writer: SqlitePool,
    path: PathBuf,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");

/// Page cache per connection: 8 MB, where SQLite's default is 2 MB.
const PAGE_CACHE_KIB: u32 = 8000;

/// All of SQLite's memory in this process, page caches, sorters and statements of every
/// connection together, above which it reuses cache pages instead of allocating more
/// (`PRAGMA soft_heap_limit`, process-wide): without it each of the pool's connections grows
/// its own allocator arena to its high-water mark over a long session.
const SOFT_HEAP_LIMIT_BYTES: u64 = 48 * 1024 * 1024;

/// A bulk write's page cache, 256 MiB: see `prepare_bulk`.
const BULK_PAGE_CACHE_KIB: u32 = 262_144;

impl SqliteStore {
    /// One writer at a time (`BEGIN IMMEDIATE`): a claim's reads cannot race another's.
    const CLAIM_DUE_EFFECTS: &'static str = super::sql::claim_due_effects!();
    const CLAIM_ABANDONED_EFFECTS: &'static str = super::sql::claim_abandoned_effects!();
    /// The write transaction (`BEGIN IMMEDIATE`) already holds every order.
    const LOCK_ORDERS_TAIL: &'static str = ")";
    const FEED_AFTER: &'static str = super::sql::FEED_AFTER;
    const FEED_HEAD: &'static str = super::sql::LATEST_HISTORY_ID;
    const CONTAINS: &'static super::sql::ListingSql = &super::sql::SQLITE_CONTAINS;
    const INDEX_ORDER_TEXT: Option<&'static str> = Some(super::sql::SQLITE_INDEX_ORDER_TEXT);

    /// The orders the visibility shows that match `text` and the query's filters (its
    /// workflow, state and paging are ignored), newest first: at most `MATCHES_READ` of
    /// them, in one lookup of the text index (FTS5 reads its matches newest first, so the
    /// lookup stops at the limit whatever the text).
    pub async fn match_set(
        &self,
        visibility: &Visibility,
        text: &str,
        query: &super::OrderQuery,
    ) -> Result<MatchSet, StoreError> {
        let sql = super::by_visibility(visibility, super::sql::SQLITE_MATCH_SETS);
        let found = self
            .matches_in(sql, visibility, text, query, (None, None), MATCHES_READ + 1)
            .await?;
        Ok(MatchSet::new(found))
    }

    /// A search as the trigram index takes it: one quoted phrase (its quotes doubled), which
    /// matches the text anywhere in one column, ignoring case. A seller's or customer's search
    /// also asks for their name in that column, so the index narrows the matches to theirs
    /// (a name contained in a longer one too: the statement's exact condition decides) and
    /// no match of somebody else's is read. A name under three characters has no trigram.
    fn search_text(text: &str, visibility: &Visibility) -> String {
        let phrase = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
        let party = match visibility {
            Visibility::SellerIs(name) => Some(("seller", name)),
            Visibility::CustomerIs(name) => Some(("customer", name)),
            Visibility::Everything => None,
        };
        match party {
            Some((column, name)) if name.chars().count() >= 3 => {
                format!("{column} : {} AND {}", phrase(name), phrase(text))
            }
            _ => phrase(text),
        }
    }

    /// Opens the file, creating it (owner-only permissions) when `create` is set. A file this
    /// call created is removed again if it cannot be set up, so a failure leaves nothing behind.
    pub async fn open(path: &Path, create: bool) -> Result<SqliteStore, StoreError> {
        if !path.exists() && !create {
            return Err(StoreError::MissingDatabase(format!(
                "sqlite://{} does not exist (run `orderboard init` to create it)",
                path.display()
            )));
        }
        // Several processes may create the same new file at once: only the one whose
        // create_new won made it, and only that one removes it again on failure.
        let created = create && create_owner_only(path)?;
        match Self::connect(path).await {
            Ok(store) => Ok(store),
            Err(error) => {
                if created {
                    for suffix in ["", "-wal", "-shm"] {
                        let mut file = path.as_os_str().to_owned();
                        file.push(suffix);
                        let _ = std::fs::remove_file(PathBuf::from(file));
                    }
                }
                Err(error)
            }
        }
    }

    async fn connect(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(super::LOCK_WAIT)
            .foreign_keys(true)
            .pragma("cache_size", cache_size(PAGE_CACHE_KIB))
            .pragma("soft_heap_limit", SOFT_HEAP_LIMIT_BYTES.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(|e| sqlite_open_error(path, e))?;
        // SQLite lets one connection write at a time. Four connections racing for that lock
        // would meet SQLite's busy handler, which sleeps 1, 2, 5, 10, 20 ms… between tries,
        // so a loser waited tens of milliseconds while the lock was free (measured: the API's
        // p99 at half load 26–72 ms with four, 7.4 ms with one). Write transactions queue
        // for this one connection instead, in turn, and wake the moment it is free; the busy
        // handler is left to other processes' writers.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(super::LOCK_WAIT)
            .connect_lazy_with(options);
        // sqlx takes no lock around SQLite migrations: eight processes initialising one new
        // file at once would each create the tables ("table already exists"). An exclusive
        // flock makes them take turns; the later ones find the migrations applied. It is
        // taken on the file's folder, never on the file: closing any descriptor of the file
        // drops every POSIX lock this process holds on it, SQLite's shared lock of WAL mode
        // included, and another process closing its last connection would then take the
        // file for its own, checkpoint, and delete the WAL this process still writes to.
        let target = migration_lock_target(path);
        let lock = std::fs::File::open(&target).map_err(|e| {
            StoreError::Unusable(format!(
                "cannot open {} to lock sqlite://{}: {e}",
                target.display(),
                path.display()
            ))
        })?;
        let locked = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
            .await
            .map_err(|e| {
                StoreError::Unusable(format!("cannot lock sqlite://{}: {e}", path.display()))
            })?
            .map_err(|e| {
                StoreError::Unusable(format!("cannot lock sqlite://{}: {e}", path.display()))
            })?;
        let migrated = MIGRATOR.run(&pool).await;
        drop(locked);
        migrated.map_err(|e| sqlite_open_error(path, sqlx::Error::Migrate(Box::new(e))))?;
        Ok(SqliteStore {
            pool,
            writer,
            path: path.to_path_buf(),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The connection write transactions take in turn.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Every write starts with `BEGIN IMMEDIATE`: a deferred transaction that reads and then
    /// writes fails at once with "database is locked" under contention, busy timeout or not.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(writer_wait)
    }

    /// A connection for one statement that writes (a session, a token, a user): the writer,
    /// so that it takes its turn with the write transactions instead of meeting the busy
    /// handler's sleeps.
    async fn write_connection(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.writer.acquire().await.map_err(writer_wait)
    }

    /// Bulk writes touch index pages all over the file: a large page cache for this one
    /// connection keeps them in memory instead of re-reading them for every batch.
    async fn prepare_bulk(tx: &mut Transaction<'static, Sqlite>) -> Result<(), StoreError> {
        // The heap limit would recycle the bulk cache's pages as fast as they fill (measured:
        // a 1 M-order seed took 151 s under it instead of about 60).
        set_memory(tx, BULK_PAGE_CACHE_KIB, 0).await
    }

    /// The connection goes back to the pool: back to the ordinary cache and heap limit.
    async fn finish_bulk(tx: &mut Transaction<'static, Sqlite>) -> Result<(), StoreError> {
        set_memory(tx, PAGE_CACHE_KIB, SOFT_HEAP_LIMIT_BYTES).await
    }

    /// Other processes notice commits through `PRAGMA data_version`; nothing to send.
    /// SQLite's readers poll `PRAGMA data_version`: nothing to announce.
    pub fn announce_committed(&self) {}

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(
            sqlx::query_scalar::<Sqlite, String>("PRAGMA integrity_check")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

shared_store_impl!(SqliteStore, Sqlite);

/// What the migration lock is taken on: the database's folder on Unix, where a descriptor
/// of the file itself must not be closed while SQLite holds locks on it (see `connect`).
#[cfg(unix)]
fn migration_lock_target(path: &Path) -> PathBuf {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Elsewhere locks belong to handles, not processes: the file itself is fine.
#[cfg(not(unix))]
fn migration_lock_target(path: &Path) -> PathBuf {
    path.to_path_buf()
}

/// `PRAGMA cache_size` counts pages when positive and KiB when negative.
fn cache_size(kib: u32) -> String {
    format!("-{kib}")
}

/// The connection's page cache, and the process's soft heap limit (0: none).
async fn set_memory(
    tx: &mut Transaction<'static, Sqlite>,
    cache_kib: u32,
    heap_limit_bytes: u64,
) -> Result<(), StoreError> {
    // PRAGMA takes no bind parameters; the values are numbers formatted here.
    for statement in [
        format!("PRAGMA cache_size = {}", cache_size(cache_kib)),
        format!("PRAGMA soft_heap_limit = {heap_limit_bytes}"),
    ] {
        sqlx::query(AssertSqlSafe(statement))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(unix)]
/// Creates the file with owner-only permissions; false when it exists already.
fn create_owner_only(path: &Path) -> Result<bool, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(StoreError::CannotCreate(format!(
            "cannot create sqlite://{}: {e}",
            path.display()
        ))),
    }
}

#[cfg(not(unix))]
fn create_owner_only(path: &Path) -> Result<bool, StoreError> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(StoreError::CannotCreate(format!(
            "cannot create sqlite://{}: {e}",
            path.display()
        ))),
    }
}

/// Waiting for the writer connection longer than the lock wait is the same refusal as
/// waiting for another process's lock: the file is local, so it is no lost connection.
fn writer_wait(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::PoolTimedOut => StoreError::Busy,
        other => other.into(),
    }
}

fn sqlite_open_error(path: &Path, error: sqlx::Error) -> StoreError {
    let cause = match &error {
        sqlx::Error::Database(e) => e.message().to_string(),
        sqlx::Error::Migrate(e) => e.to_string(),
        other => other.to_string(),
    };
    StoreError::Unusable(format!(
        "cannot open sqlite://{} as an orderboard database: {cause}",
        path.display()
    ))
}
