//! Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database created
//! through DATABASE_URL. Without DATABASE_URL the Postgres tests skip locally, but under CI
//! (the CI variable set) they fail: CI must run them.

use orderboard::service::Backoffice;
use orderboard::store::{DatabaseUrl, OpenMode, Store};
use orderboard::workflow::Workflows;
use sqlx::Connection;

pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// A per-test PostgreSQL database: (admin URL, name), dropped with the TestDb.
    owned_database: Option<(String, String)>,
}

impl Drop for TestDb {
    /// Per-test PostgreSQL databases go away with the test, connections still open or not.
    fn drop(&mut self) {
        let Some((admin, name)) = self.owned_database.take() else {
            return;
        };
        // Drop runs inside a test's runtime or none: a thread of its own has neither.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&admin).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut connection)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {}", self.url);
        }
    }
}

impl TestDb {
    pub async fn store(&self) -> Store {
        Store::open(
            &DatabaseUrl::parse(&self.url).unwrap(),
            OpenMode::CreateIfMissing,
        )
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", self.backend))
    }

    pub async fn backoffice(&self) -> Backoffice {
        Backoffice::new(self.store().await, Workflows::shipped().unwrap())
    }

    /// The service and, for assertions on what was stored, the store under it.
    pub async fn parts(&self) -> (Backoffice, Store) {
        let store = self.store().await;
        (
            Backoffice::new(store.clone(), Workflows::shipped().unwrap()),
            store,
        )
    }

    /// Runs SQL on the database behind the service's back: for a test that must change
    /// what no command changes.
    pub async fn execute_raw(&self, sql: &'static str) {
        let outcome = match self.backend {
            "sqlite" => {
                let mut connection = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut connection).await.map(drop)
            }
            _ => {
                let mut connection = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut connection).await.map(drop)
            }
        };
        outcome.unwrap_or_else(|e| panic!("{sql} on {}: {e}", self.backend));
    }
}

impl TestDb {
    /// A database some other helper created (a private PostgreSQL cluster, say).
    pub fn at(url: String, backend: &'static str) -> TestDb {
        TestDb {
            url,
            backend,
            _dir: None,
            owned_database: None,
        }
    }
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    TestDb {
        url: format!("sqlite://{}", path.display()),
        backend: "sqlite",
        _dir: Some(dir),
        owned_database: None,
    }
}

/// The admin URL for Postgres tests, or None to skip (never under CI).
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but DATABASE_URL is not: the PostgreSQL tests must run in CI");
            }
            eprintln!("skipping a PostgreSQL test: DATABASE_URL is not set");
            None
        }
    }
}

/// A fresh, empty PostgreSQL database for one test.
pub async fn postgres() -> Option<TestDb> {
    let admin = postgres_admin_url()?;
    let name = format!(
        "orderboard_test_{}_{}",
        std::process::id(),
        fastrand::u64(..)
    );
    let mut connection = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but PostgreSQL does not answer: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .unwrap();
    Some(TestDb {
        url: with_database(&admin, &name),
        backend: "postgres",
        _dir: None,
        owned_database: Some((admin, name)),
    })
}

/// The same server URL pointing at another database.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..host_end])
}

/// Both backends, for tests that must hold on each: SQLite always, Postgres when available.
pub async fn both() -> Vec<TestDb> {
    let mut dbs = vec![sqlite()];
    if let Some(pg) = postgres().await {
        dbs.push(pg);
    }
    dbs
}

/// The feed's head once no committed event waits behind a write still in flight (on
/// PostgreSQL other tests write to the same server, and their transactions hold the feed
/// back for a moment).
pub async fn settled_feed_head(store: &Store) -> i64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.feed_held_back().await.unwrap() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    store.latest_history_id().await.unwrap()
}
