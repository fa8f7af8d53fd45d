//! Races across processes and SIGKILLed writers, on both backends. Set ORDERBOARD_LONG=1 for
//! the full sizes of RELIABILITY.md; CI runs the reduced sizes below.

use std::process::{Child, Stdio};
use std::time::Duration;

use orderboard::store::Store;
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
    store.latest_history_id().await.unwrap()
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
        let writers: Vec<Child> = (0..8)
            .map(|i| race_writer(&db, first, count, transitions, 100 + i))
            .collect();
        let mut total = RaceOutcome::default();
        for writer in writers {
            let output = writer.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let outcome: RaceOutcome = serde_json::from_slice(&output.stdout).unwrap();
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
