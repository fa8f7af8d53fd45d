//! Lost races are clean conflicts: 16 racers from one version, in one process and across
//! OS processes, and a writer killed mid-stream leaves a database that replays cleanly.

use std::time::Duration;

use orderboard::service::{IdempotencyClaim, IdempotentResponse, ServiceError};
use orderboard::store::{ApplyError, Store, StoreError};

use crate::db::{TestDb, both};
use crate::support::test_now;
use crate::support::{draft, people};
use crate::support::{orderboard, run_as};

async fn sixteen_racers(db: &TestDb) {
    let (backoffice, store) = db.parts().await;
    let (admin, seller, _, _) = people(&backoffice).await;
    let id = backoffice
        .create_order(&admin, draft("marketplace"), test_now())
        .await
        .unwrap();
    let mut racers = Vec::new();
    for _ in 0..16 {
        let backoffice = backoffice.clone();
        let seller = seller.clone();
        racers.push(tokio::spawn(async move {
            backoffice
                .advance(&seller, id, "order.accepted", None, Some(1), test_now())
                .await
        }));
    }
    let (mut won, mut conflicts, mut errors) = (0, 0, Vec::new());
    for racer in racers {
        match racer.await.unwrap() {
            Ok(_) => won += 1,
            Err(ServiceError::Apply(ApplyError::Conflict { state, version, .. })) => {
                assert_eq!((state.as_str(), version), ("inprogress", 2));
                conflicts += 1;
            }
            Err(other) => errors.push(other.to_string()),
        }
    }
    assert_eq!(
        (won, conflicts, errors),
        (1, 15, Vec::<String>::new()),
        "{}",
        db.backend
    );
    let history = store.history(id).await.unwrap();
    assert_eq!(history.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_racers_one_winner_on_both_backends() {
    for db in both().await {
        sixteen_racers(&db).await;
    }
}

/// On SQLite a process's write transactions take turns on one connection instead of racing
/// for the file's lock: sixteen writers on sixteen orders all commit. A transition or a
/// one-statement write that waits for that connection past the lock wait (held here by a
/// transaction left open on it) is refused as busy, with its sentence, and changes nothing:
/// the file is local, so it is no lost database (which the TUI would show as
/// "reconnecting").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_writers_in_one_process_take_turns() {
    let db = crate::db::sqlite();
    let (backoffice, store) = db.parts().await;
    let (admin, seller, _, _) = people(&backoffice).await;
    let mut ids = Vec::new();
    for _ in 0..17 {
        let id = backoffice
            .create_order(&admin, draft("marketplace"), test_now())
            .await
            .unwrap();
        ids.push(id);
    }
    let held_back = ids.pop().unwrap();
    let accept = |id| {
        let (backoffice, seller) = (backoffice.clone(), seller.clone());
        async move {
            backoffice
                .advance(&seller, id, "order.accepted", None, Some(1), test_now())
                .await
        }
    };
    let writers: Vec<_> = ids.iter().map(|id| tokio::spawn(accept(*id))).collect();
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    for id in &ids {
        assert_eq!(store.history(*id).await.unwrap().len(), 1);
    }
    let Store::Sqlite(sqlite) = &store else {
        unreachable!("crate::db::sqlite() is a SQLite file")
    };
    assert_eq!(sqlite.writer().options().get_max_connections(), 1);
    let holder = sqlite.writer().begin_with("BEGIN IMMEDIATE").await.unwrap();
    // A transition and a one-statement write (a new token) both wait for the writer.
    let (moved, token) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(
            accept(held_back),
            backoffice.add_token(&admin, "waits-its-turn", "sam", test_now())
        )
    })
    .await
    .expect("the writer is waited for a bounded time");
    let error = moved.unwrap_err();
    assert!(
        matches!(
            error,
            ServiceError::Apply(ApplyError::Store(StoreError::Busy))
        ),
        "{error:?}"
    );
    assert!(error.is_busy() && !error.is_connection_lost(), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("another writer held it for over 10 s; nothing was changed, try again"),
        "{error}"
    );
    let error = token.unwrap_err();
    assert!(
        matches!(error, ServiceError::Store(StoreError::Busy)),
        "{error:?}"
    );
    assert!(store.history(held_back).await.unwrap().is_empty());
    holder.rollback().await.unwrap();
    accept(held_back).await.unwrap();
    backoffice
        .add_token(&admin, "waits-its-turn", "sam", test_now())
        .await
        .unwrap();
    assert_eq!(store.history(held_back).await.unwrap().len(), 1);
}

/// An idempotency key whose settling meets a held database is not left claimed for good:
/// once the database is let go, the key of a created order replays its first response, and
/// the key of a failed request is given back, so its retry is tried afresh (SQLite's writer
/// held here by a transaction left open on it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_held_at_settling_is_settled_once_let_go() {
    let db = crate::db::sqlite();
    let (backoffice, store) = db.parts().await;
    let (admin, ..) = people(&backoffice).await;
    let claim = async |key: &str| {
        backoffice
            .claim_idempotency_key(&admin, key, test_now())
            .await
            .unwrap()
    };
    assert_eq!(claim("created").await, IdempotencyClaim::First);
    assert_eq!(claim("failed").await, IdempotencyClaim::First);
    let response = IdempotentResponse {
        status: 201,
        body: r#"{"id":1}"#.into(),
        location: Some("/orders/1".into()),
    };
    let Store::Sqlite(sqlite) = &store else {
        unreachable!("crate::db::sqlite() is a SQLite file")
    };
    let holder = sqlite.writer().begin_with("BEGIN IMMEDIATE").await.unwrap();
    // Each waits out the lock wait, then leaves the settling to a task that tries again.
    tokio::join!(
        backoffice.settle_idempotency_key(&admin, "created", Some(&response)),
        backoffice.settle_idempotency_key(&admin, "failed", None),
    );
    holder.rollback().await.unwrap();
    let settled = tokio::time::timeout(Duration::from_secs(30), async {
        let (mut replayed, mut given_back) = (false, false);
        while !(replayed && given_back) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if !replayed {
                match claim("created").await {
                    IdempotencyClaim::Replay(first) => {
                        assert_eq!(first, response);
                        replayed = true;
                    }
                    other => assert_eq!(other, IdempotencyClaim::InProgress),
                }
            }
            if !given_back {
                // Claimed afresh once given back; in progress until then.
                given_back = claim("failed").await == IdempotencyClaim::First;
            }
        }
    })
    .await;
    assert!(settled.is_ok(), "the keys were not settled once let go");
}

/// The same race across 16 OS processes of the real binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_processes_one_winner_on_both_backends() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        let (admin, _, _, _) = people(&backoffice).await;
        let id = backoffice
            .create_order(&admin, draft("marketplace"), test_now())
            .await
            .unwrap();
        backoffice.close().await;
        let children: Vec<_> = (0..16)
            .map(|_| {
                orderboard(&db.url)
                    .args([
                        "--as",
                        "sam",
                        "advance",
                        &id.to_string(),
                        "order.accepted",
                        "--expect-version",
                        "1",
                    ])
                    .env("ORDERBOARD_PASSWORD", "correct horse")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut codes: Vec<i32> = Vec::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let code = output.status.code().unwrap_or(-1);
            if code == 5 {
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(
                    stderr.contains("it is now \"inprogress\" at version 2"),
                    "{stderr}"
                );
            }
            codes.push(code);
        }
        codes.sort();
        let mut expected = vec![5; 15];
        expected.insert(0, 0);
        assert_eq!(codes, expected, "{}", db.backend);
    }
}

/// A writer killed with SIGKILL in the middle of a stream of transitions: every order still
/// equals the replay of its history, and SQLite's file is intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_writer_leaves_a_consistent_database_on_both_backends() {
    for db in both().await {
        let backoffice = db.backoffice().await;
        people(&backoffice).await;
        for round in 0..3 {
            let before = backoffice.latest_event_id().await.unwrap();
            let mut child = orderboard(&db.url)
                .args(["--as", "ada", "seed", "--orders", "400", "--one-by-one"])
                .env("ORDERBOARD_PASSWORD", "correct horse")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // Kill it once it is writing (however slow a loaded machine makes its start),
            // at a different point of its stream each round.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while backoffice.latest_event_id().await.unwrap() == before
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(50 + 100 * round)).await;
            child.kill().unwrap();
            child.wait().unwrap();
        }
        backoffice.close().await;
        let (code, stdout, stderr) = run_as(&db.url, "ada", &["verify"]);
        assert_eq!(code, 0, "{}: {stdout}{stderr}", db.backend);
        assert!(stdout.contains(": 0 violations"), "{stdout}");
        let orders: u64 = stdout
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            orders > 0,
            "the killed writers wrote nothing, so nothing was tested: {stdout}"
        );
        if let orderboard::store::Store::Sqlite(store) = db.store().await {
            assert_eq!(store.integrity_check().await.unwrap(), "ok");
        }
    }
}
