//! Races across processes and SIGKILLed writers, on both backends. Set ORDERBOARD_LONG=1 for
//! the full sizes of RELIABILITY.md; CI runs the reduced sizes below.

use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orderboard::domain::Visibility;
use orderboard::store::Store;
use orderboard::store::live::{LiveUpdate, follow};
use orderboard::workflow::Workflows;

use crate::db::{TestDb, both};
use crate::support::{bench, run_as, set_up_users};

/// What one race writer (`orderboard-bench race-writer`) reports.
#[derive(Debug, Default, serde::Deserialize)]
struct RaceOutcome {
    applied: usize,
    conflicts: usize,
    refused: usize,
    errors: Vec<String>,
}

fn long() -> bool {
    std::env::var_os("ORDERBOARD_LONG").is_some()
}

fn race_writer(db: &TestDb, first: i64, count: i64, transitions: usize, seed: u64) -> Child {
    bench(&db.url)
        .args(["--as", "ada", "race-writer"])
        .args(["--first", &first.to_string(), "--count", &count.to_string()])
        .args([
            "--transitions",
            &transitions.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .env("ORDERBOARD_PASSWORD", "correct horse")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Eight race writers at once on the orders `first..first + count`; what each reports.
fn eight_race_writers(
    db: &TestDb,
    (first, count): (i64, i64),
    transitions: usize,
    seed: u64,
) -> Vec<RaceOutcome> {
    let writers: Vec<Child> = (0..8)
        .map(|i| race_writer(db, first, count, transitions, seed + i))
        .collect();
    writers
        .into_iter()
        .map(|writer| {
            let output = writer.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_slice(&output.stdout).unwrap()
        })
        .collect()
}

/// 100 shared orders, 25 in the initial state of each workflow, between one customer and
/// one seller, so every writer's users can act on them.
fn shared_orders(db: &TestDb) -> (i64, i64) {
    set_up_users(db);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let backoffice = db.backoffice().await;
        let admin = orderboard::domain::Actor::new("ada", orderboard::domain::Role::Admin);
        let mut ids = Vec::new();
        for index in 0..100 {
            let workflow = ["marketplace", "checkout", "fulfilment", "artist-shop"][index % 4];
            let mut draft = crate::support::draft(workflow);
            draft.title = format!("Shared order {index}");
            ids.push(
                backoffice
                    .create_order(&admin, draft, crate::support::test_now())
                    .await
                    .unwrap(),
            );
        }
        backoffice.close().await;
        (ids[0], ids.len() as i64)
    })
}

async fn history_rows(store: &Store) -> i64 {
    history_ids(store).await.len() as i64
}

async fn history_ids(store: &Store) -> Vec<i64> {
    const IDS: &str = "SELECT id FROM history ORDER BY id";
    match store {
        Store::Sqlite(s) => sqlx::query_scalar(IDS).fetch_all(s.pool()).await,
        Store::Postgres(s) => sqlx::query_scalar(IDS).fetch_all(s.pool()).await,
    }
    .unwrap()
}

async fn assert_consistent(db: &TestDb, label: &str) {
    let store = db.store().await;
    let report = orderboard::verify::verify_all(&store, &Workflows::shipped().unwrap())
        .await
        .unwrap();
    assert!(
        report.violations.is_empty(),
        "{label}: {:?}",
        report.violations
    );
    if let Store::Sqlite(sqlite) = &store {
        assert_eq!(sqlite.integrity_check().await.unwrap(), "ok", "{label}");
    }
    store.close().await;
}

#[test]
fn eight_processes_race_on_shared_orders_on_both_backends() {
    let transitions = if long() { 500 } else { 200 };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        let (first, count) = shared_orders(&db);
        let before = runtime.block_on(async { history_rows(&db.store().await).await });
        let mut total = RaceOutcome::default();
        for outcome in eight_race_writers(&db, (first, count), transitions, 100) {
            total.applied += outcome.applied;
            total.conflicts += outcome.conflicts;
            total.refused += outcome.refused;
            total.errors.extend(outcome.errors);
        }
        assert!(
            total.errors.is_empty(),
            "{}: {:?}",
            db.backend,
            total.errors
        );
        assert_eq!(
            total.applied + total.conflicts + total.refused,
            8 * transitions
        );
        assert!(
            total.conflicts > 0,
            "{}: no race happened, so nothing was tested: {total:?}",
            db.backend
        );
        // No lost update: every applied transition is one history row.
        let after = runtime.block_on(async { history_rows(&db.store().await).await });
        assert_eq!((after - before) as usize, total.applied, "{}", db.backend);
        runtime.block_on(assert_consistent(&db, db.backend));
        eprintln!("{}: {total:?}", db.backend);
    }
}

#[test]
fn writers_killed_at_random_moments_leave_a_consistent_database_on_both_backends() {
    let rounds = if long() { 200 } else { 40 };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        let (first, count) = shared_orders(&db);
        let before = runtime.block_on(async { history_rows(&db.store().await).await });
        let mut rng = fastrand::Rng::with_seed(42);
        for round in 0..rounds {
            let mut writer = race_writer(&db, first, count, 1_000_000, round);
            std::thread::sleep(Duration::from_millis(rng.u64(50..400)));
            // SIGKILL: no destructor, no rollback by us; the database must cope.
            writer.kill().unwrap();
            writer.wait().unwrap();
            runtime.block_on(assert_consistent(
                &db,
                &format!("{} round {round}", db.backend),
            ));
        }
        let after = runtime.block_on(async { history_rows(&db.store().await).await });
        assert!(
            after > before,
            "{}: the killed writers committed nothing, so nothing was tested",
            db.backend
        );
        let (code, stdout, _) = run_as(&db.url, "ada", &["verify"]);
        assert_eq!(code, 0, "{stdout}");
        eprintln!(
            "{}: {rounds} kills, {} transitions committed between them",
            db.backend,
            after - before
        );
    }
}

/// PostgreSQL's writers take no lock for the feed and commit out of id order: a follower must
/// still deliver every event once, never skipping one that commits after it read past its id.
/// Eight writer processes race while a ninth connection keeps opening write transactions that
/// never write history and roll back (so they hold the feed back and never announce anything).
#[test]
fn a_follower_misses_no_event_while_eight_writers_commit_out_of_order_on_postgres() {
    let transitions = if long() { 500 } else { 200 };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(crate::db::postgres()) else {
        return;
    };
    let (first, count) = shared_orders(&db);
    let store = runtime.block_on(db.store());
    let Store::Postgres(pg) = store.clone() else {
        unreachable!("a PostgreSQL test database")
    };
    let before = runtime.block_on(history_ids(&store));
    let start = runtime.block_on(crate::db::settled_feed_head(&store));

    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    runtime.spawn(follow(
        store.clone(),
        Visibility::Everything,
        start,
        Duration::from_millis(100),
        tx,
    ));
    let collector = seen.clone();
    runtime.spawn(async move {
        while let Some(update) = rx.recv().await {
            if let LiveUpdate::Events(events) = update {
                collector
                    .lock()
                    .unwrap()
                    .extend(events.iter().map(|e| e.entry.id));
            }
        }
    });
    let writing = Arc::new(AtomicBool::new(true));
    let blocker = runtime.spawn(hold_back_the_feed(pg.pool().clone(), writing.clone()));

    eight_race_writers(&db, (first, count), transitions, 300);
    writing.store(false, Ordering::SeqCst);
    let held_back = runtime.block_on(blocker).unwrap();

    let after = runtime.block_on(history_ids(&store));
    let new: Vec<i64> = after
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert!(
        new.len() > 100,
        "too few transitions to test: {}",
        new.len()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().len() < new.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // A moment more, so a duplicate would show.
    std::thread::sleep(Duration::from_millis(300));
    let seen = seen.lock().unwrap().clone();
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "an event was delivered twice");
    assert_eq!(sorted, new, "the follower skipped events");
    // The same order as a reader paging from the start.
    let paged: Vec<i64> = runtime
        .block_on(store.feed_after(start, &Visibility::Everything, 100_000))
        .unwrap()
        .iter()
        .map(|e| e.entry.id)
        .collect();
    assert_eq!(seen, paged);
    let out_of_order = seen.windows(2).filter(|w| w[1] < w[0]).count();
    eprintln!(
        "{} events, {out_of_order} delivered after a larger id, {held_back} transactions held the feed back",
        seen.len()
    );
}

/// The notification that wakes other processes is sent after the commit (a NOTIFY inside
/// the transaction serialises every commit): a command that commits and exits at once still
/// sends it before it closes its connections.
#[tokio::test]
async fn a_command_that_commits_and_exits_wakes_the_listeners_on_postgres() {
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    set_up_users(&db);
    let mut listener = sqlx::postgres::PgListener::connect(&db.url).await.unwrap();
    listener
        .listen(orderboard::store::postgres::EVENTS_CHANNEL)
        .await
        .unwrap();
    let args = crate::support::order_create_args("marketplace", "carol", "sam", "Lamp", "10.00");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = run_as(&db.url, "ada", &args);
    assert_eq!(code, 0, "{stderr}");
    // The command has exited: what it announced is already on the server.
    let woken = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await;
    assert!(
        matches!(woken, Ok(Ok(_))),
        "no notification from a command that committed: {woken:?}"
    );
}

/// Many followers in one process (board panes, event streams) share one LISTEN connection,
/// each still gets every event, and the connection closes when the last follower has gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_in_one_process_share_one_listening_connection_on_postgres() {
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    let (backoffice, store) = db.parts().await;
    let Store::Postgres(pg) = store.clone() else {
        unreachable!("a PostgreSQL test database")
    };
    let listening = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_one(pg.pool())
        .await
        .unwrap()
    };
    let start = crate::db::settled_feed_head(&store).await;
    let mut receivers = Vec::new();
    for _ in 0..20 {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(follow(
            store.clone(),
            Visibility::Everything,
            start,
            Duration::from_millis(100),
            tx,
        ));
        receivers.push(rx);
    }
    let admin = orderboard::domain::Actor::new("ada", orderboard::domain::Role::Admin);
    crate::support::set_up_users(&db);
    let mut created = Vec::new();
    for _ in 0..5 {
        let draft = crate::support::draft("marketplace");
        let id = backoffice
            .create_order(&admin, draft, crate::support::test_now())
            .await
            .unwrap();
        created.push(id);
    }
    for rx in &mut receivers {
        let mut orders = Vec::new();
        while orders.len() < created.len() {
            let update = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("every follower is woken")
                .unwrap();
            if let LiveUpdate::Events(events) = update {
                orders.extend(events.iter().map(|e| e.entry.order_id));
            }
        }
        assert_eq!(orders, created);
    }
    assert_eq!(
        listening().await,
        1,
        "one LISTEN connection for 20 followers"
    );
    drop(receivers);
    let deadline = Instant::now() + Duration::from_secs(10);
    while listening().await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        listening().await,
        0,
        "the last follower gone, the connection closes"
    );
}

/// A dump restored into another server keeps the old server's transaction ids, which may lie
/// ahead of the new one's: opening the store sets them back, so the feed neither holds
/// everything back nor sorts new events before the restored ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_restored_from_another_server_keeps_the_feed_moving_on_postgres() {
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    crate::support::set_up_users(&db);
    let admin = orderboard::domain::Actor::new("ada", orderboard::domain::Role::Admin);
    let (backoffice, store) = db.parts().await;
    let draft = || crate::support::draft("marketplace");
    let now = crate::support::test_now();
    let restored = backoffice.create_order(&admin, draft(), now).await.unwrap();
    let Store::Postgres(pg) = &store else {
        unreachable!("a PostgreSQL test database")
    };
    // What a restore into a younger server looks like: ids from far ahead of its counter
    // (written past the append-only trigger, as a restore's COPY writes rows).
    sqlx::raw_sql(
        "ALTER TABLE history DISABLE TRIGGER history_append_only; \
         UPDATE history SET xid = '9000000000'; \
         ALTER TABLE history ENABLE TRIGGER history_append_only",
    )
    .execute(pg.pool())
    .await
    .unwrap();
    assert!(store.feed_held_back().await.unwrap());
    backoffice.close().await;

    let (backoffice, store) = db.parts().await;
    assert!(!store.feed_held_back().await.unwrap());
    let head = crate::db::settled_feed_head(&store).await;
    let fresh = backoffice.create_order(&admin, draft(), now).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let orders = loop {
        let events = store
            .feed_after(head, &Visibility::Everything, 100)
            .await
            .unwrap();
        if !events.is_empty() || Instant::now() > deadline {
            break events.iter().map(|e| e.entry.order_id).collect::<Vec<_>>();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(orders, [fresh], "after the restored order {restored}");
}

/// Write transactions that hold a transaction id for a while, write no history and roll
/// back, until told to stop; returns how many there were.
async fn hold_back_the_feed(pool: sqlx::PgPool, writing: Arc<AtomicBool>) -> usize {
    let mut held = 0;
    while writing.load(Ordering::SeqCst) {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("SELECT pg_current_xact_id()")
            .execute(&mut *tx)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(fastrand::u64(20..150))).await;
        tx.rollback().await.unwrap();
        held += 1;
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..50))).await;
    }
    held
}

/// An open SQLite store keeps SQLite's shared lock on the file (WAL mode holds it for the
/// connection's life). Opening used to flock the file through a descriptor of its own and
/// close it: POSIX drops every lock a process holds on a file when any of its descriptors
/// closes, so the next process to close its last connection (`sqlite3` in a backup script,
/// say) took the file as unused, checkpointed and deleted the WAL under the running store:
/// its writes went to a deleted file and were lost, its reads went stale or "malformed".
#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_open_sqlite_store_keeps_its_shared_lock_so_no_other_process_deletes_its_wal() {
    use std::os::unix::fs::MetadataExt;

    let db = crate::db::sqlite();
    let store = db.store().await;
    let Store::Sqlite(sqlite) = &store else {
        unreachable!("a sqlite:// URL opens SQLite")
    };
    // A read on each pooled connection, so every one is open and has read the WAL.
    for _ in 0..4 {
        sqlx::query("SELECT COUNT(*) FROM orders")
            .execute(sqlite.pool())
            .await
            .unwrap();
    }
    let inode = std::fs::metadata(sqlite.path()).unwrap().ino();
    let pid = std::process::id().to_string();
    let locks = std::fs::read_to_string("/proc/locks").unwrap();
    let held = locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"POSIX")
            && fields.get(4) == Some(&pid.as_str())
            && fields
                .get(5)
                .is_some_and(|file| file.ends_with(&format!(":{inode}")))
    });
    assert!(
        held,
        "this process holds no POSIX lock on the database file (inode {inode}):\n{locks}"
    );
    store.close().await;
}
