//! The real binary end to end: every exit code, JSON shapes, timers, and bad database URLs.

use std::process::Stdio;

use crate::db::{TestDb, both, postgres_admin_url, sqlite};
use crate::support::{create, create_as, create_titled, orderboard, run, run_as, set_up_users};

fn every_exit_code(db: &TestDb) {
    set_up_users(db);
    let id = create(db, "marketplace", &["--due", "2020-01-01T00:00:00Z"]);

    // 0, with the JSON shapes of the contract.
    let (code, stdout, _) = run_as(&db.url, "sam", &["order", "show", &id, "--json"]);
    assert_eq!(code, 0);
    let order: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "id",
        "workflow",
        "state",
        "version",
        "customer",
        "seller",
        "title",
        "amount_cents",
        "currency",
        "placed_at",
        "due_at",
        "late",
        "attrs",
        "counters",
        "ledger",
        "available",
        "blocked",
    ] {
        assert!(order.get(key).is_some(), "order JSON lacks {key}: {stdout}");
    }
    assert_eq!(order["amount_cents"], 12_500);
    assert_eq!(order["late"], true);
    assert_eq!(
        order["available"][0],
        serde_json::json!({"event": "order.accepted", "to": "inprogress", "note_required": false})
    );

    let (code, stdout, _) = run_as(&db.url, "sam", &["order", "list", "--late", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // 3: wrong password, another seller, a customer doing the seller's part.
    let output = orderboard(&db.url)
        .args(["--as", "sam", "order", "list"])
        .env("ORDERBOARD_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "invalid username or password"
    );
    let output = orderboard(&db.url)
        .args(["--as", "nobody", "order", "list"])
        .env("ORDERBOARD_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "invalid username or password"
    );
    let (code, _, stderr) = run_as(&db.url, "zoe", &["order", "show", &id]);
    assert_eq!(code, 3, "{}: {stderr}", db.backend);
    assert_eq!(
        run_as(&db.url, "zoe", &["advance", &id, "order.accepted"]).0,
        3
    );
    let (code, _, stderr) = run_as(&db.url, "carol", &["advance", &id, "order.accepted"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        create_as(db, "sam", ["marketplace", "carol", "sam", "1"]).0,
        3
    );

    // 2: unknown order (for staff, who see every order), unknown event, missing note,
    // malformed values, unknown flag.
    assert_eq!(
        run_as(&db.url, "ada", &["advance", "999999", "order.accepted"]).0,
        2
    );
    assert_eq!(
        run_as(&db.url, "sam", &["advance", &id, "order.teleported"]).0,
        2
    );
    let (code, _, stderr) = run_as(&db.url, "sam", &["advance", &id, "order.rejected"]);
    assert_eq!((code, stderr.trim()), (2, "order.rejected needs a note"));
    assert_eq!(
        create_as(db, "ada", ["marketplace", "carol", "sam", "12.345"]).0,
        2
    );
    assert_eq!(create_as(db, "ada", ["nope", "carol", "sam", "1"]).0, 2);
    assert_eq!(
        create_as(db, "ada", ["marketplace", "sam", "sam", "1"]).0,
        2
    );
    assert_eq!(run_as(&db.url, "sam", &["order", "list", "--colour"]).0, 2);
    assert_eq!(run_as(&db.url, "sam", &["order", "show", "abc"]).0, 2);

    // 0 then 4 (wrong state) and 5 (stale version).
    let (code, stdout, stderr) = run_as(
        &db.url,
        "sam",
        &[
            "advance",
            &id,
            "order.accepted",
            "--expect-version",
            "1",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let applied: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        applied,
        serde_json::json!({"id": id.parse::<i64>().unwrap(), "event": "order.accepted", "from": "paid", "to": "inprogress", "version": 2, "effects": ["notify(customer)"]})
    );
    let (code, _, stderr) = run_as(&db.url, "sam", &["advance", &id, "order.accepted"]);
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("needs the order in paid (it is in inprogress)"),
        "{stderr}"
    );
    let (code, _, stderr) = run_as(
        &db.url,
        "sam",
        &["advance", &id, "order.delivered", "--expect-version", "1"],
    );
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("it is now \"inprogress\" at version 2"),
        "{stderr}"
    );

    // History: oldest first; attempts only for support and admin.
    let (code, stdout, _) = run_as(&db.url, "sue", &["history", &id, "--attempts", "--json"]);
    assert_eq!(code, 0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert!(
        rows.iter().any(|r| r["event"] == "order.accepted"
            && r["actor"] == "sam"
            && r["role"] == "seller")
    );
    assert!(
        rows.iter()
            .any(|r| r["attempt"] == true && r["actor"] == "carol")
    );
    assert_eq!(
        run_as(&db.url, "carol", &["history", &id, "--attempts"]).0,
        3
    );

    // Timers: delivered → auto-completed 72 h later, exactly once.
    assert_eq!(
        run_as(&db.url, "sam", &["advance", &id, "order.delivered"]).0,
        0
    );
    let (code, stdout, _) = run_as(
        &db.url,
        "clock",
        &["tick", "--now", "2999-01-01T00:00:00Z", "--json"],
    );
    assert_eq!(code, 0);
    let tick: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(tick["fired"].as_array().unwrap().len(), 1, "{stdout}");
    let (_, stdout, _) = run_as(
        &db.url,
        "clock",
        &["tick", "--now", "2999-01-01T00:00:00Z", "--json"],
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["fired"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(run_as(&db.url, "sam", &["tick"]).0, 3);
    let (_, stdout, _) = run_as(&db.url, "ada", &["history", &id, "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let last = rows.last().unwrap();
    assert_eq!(
        (&last["event"], &last["actor"], &last["role"]),
        (
            &serde_json::json!("order.auto_completed"),
            &serde_json::json!("system"),
            &serde_json::json!("system")
        )
    );
    assert_eq!(last["at"], "2999-01-01T00:00:00Z");

    let (code, stdout, _) = run_as(&db.url, "ada", &["verify"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(run_as(&db.url, "sam", &["verify"]).0, 3);
}

#[test]
fn every_exit_code_on_both_backends() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        every_exit_code(&db);
    }
}

#[test]
fn two_ticks_at_once_fire_each_timer_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        set_up_users(&db);
        let ids: Vec<String> = (0..6).map(|_| create(&db, "fulfilment", &[])).collect();
        for id in &ids {
            for event in ["validate", "reserve_inventory", "process_payment"] {
                assert_eq!(run_as(&db.url, "ada", &["advance", id, event]).0, 0);
            }
        }
        let ticks: Vec<_> = (0..2)
            .map(|_| {
                orderboard(&db.url)
                    .args([
                        "--as",
                        "clock",
                        "tick",
                        "--now",
                        "2999-01-01T00:00:00Z",
                        "--json",
                    ])
                    .env("ORDERBOARD_PASSWORD", "correct horse")
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut fired = 0;
        for tick in ticks {
            let output = tick.wait_with_output().unwrap();
            assert!(output.status.success());
            let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            fired += report["fired"].as_array().unwrap().len();
        }
        assert_eq!(fired, 6, "{}", db.backend);
        for id in &ids {
            let (_, stdout, _) = run_as(&db.url, "ada", &["history", id, "--json"]);
            let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
            assert_eq!(
                rows.iter()
                    .filter(|r| r["event"] == "payment_timeout")
                    .count(),
                1
            );
        }
    }
}

#[test]
fn bad_database_urls_give_one_sentence_and_leave_nothing() {
    let cases = [
        (
            "sqlite:///sys/orderboard-test.db",
            "cannot create sqlite:///sys/orderboard-test.db",
        ),
        (
            "sqlite:///nonexistent-folder/board.db",
            "cannot create sqlite:///nonexistent-folder/board.db",
        ),
        (
            "postgres://bob:hunter2@host.invalid/orders",
            "cannot reach the database at postgres://bob:***@host.invalid/orders",
        ),
        (
            "postgres://bob:hunter2@127.0.0.1:1/orders",
            "cannot reach the database at postgres://bob:***@127.0.0.1:1/orders",
        ),
        (
            "mysql://bob:hunter2@localhost/orders",
            "database URL \"mysql://bob:***@localhost/orders\" is neither sqlite://PATH nor postgres://...",
        ),
    ];
    for (url, expected) in cases {
        let (code, stdout, stderr) = run(url, &["init"], None);
        assert!(code == 1 || code == 2, "{url}: exit {code}");
        assert!(stderr.starts_with(expected), "{url}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
        assert!(!stderr.contains("hunter2") && !stdout.contains("hunter2"));
        assert!(!stderr.contains("panicked"));
    }
    assert!(!std::path::Path::new("/sys/orderboard-test.db").exists());
    // A file that is not a database: refused, and left as it was.
    let db = sqlite();
    let path = db.url.trim_start_matches("sqlite://").to_string();
    std::fs::write(&path, "not a database").unwrap();
    let (code, _, stderr) = run(&db.url, &["init"], None);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!("cannot open {} as an orderboard database", db.url)),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a database");
    // Commands other than init do not create a database.
    let missing = sqlite();
    let (code, _, stderr) = run(&missing.url, &["--as", "ada", "order", "list"], None);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("does not exist (run `orderboard init` to create it)"),
        "{stderr}"
    );
}

#[test]
fn wrong_postgres_password_over_tls_is_one_sentence() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::raw_sql("DROP ROLE IF EXISTS orderboard_pw_test")
            .execute(&mut connection)
            .await;
        sqlx::raw_sql("CREATE ROLE orderboard_pw_test LOGIN PASSWORD 'right-password'")
            .execute(&mut connection)
            .await
            .unwrap();
    });
    let url =
        "postgres://orderboard_pw_test:wrong-password@127.0.0.1:5432/postgres?sslmode=require";
    let (code, stdout, stderr) = run(url, &["init"], None);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("the database at postgres://orderboard_pw_test:***@127.0.0.1:5432/postgres?sslmode=require refused the credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-password") && !stdout.contains("wrong-password"));
}

#[test]
fn workflow_check_passes_shipped_files_and_locates_errors() {
    let root = env!("CARGO_MANIFEST_DIR");
    for name in ["marketplace", "artist-shop", "checkout", "fulfilment"] {
        let file = format!("{root}/assets/workflows/{name}.toml");
        let (code, stdout, stderr) =
            run("sqlite:///unused.db", &["workflow", "check", &file], None);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains(&format!("ok: workflow \"{name}\"")),
            "{stdout}"
        );
        assert_eq!(stdout.lines().count(), 1);
    }
    let file = format!("{root}/tests/fixtures/workflows/unknown-state.toml");
    let (code, _, stderr) = run("sqlite:///unused.db", &["workflow", "check", &file], None);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!(
            "{file}:19:9: transition \"jump\" leaves unknown state \"opn\""
        )),
        "{stderr}"
    );
    let (code, stdout, _) = run(
        "sqlite:///unused.db",
        &["workflow", "graph", "checkout", "--format", "dot"],
        None,
    );
    assert_eq!(code, 0);
    assert!(stdout.starts_with("digraph \"checkout\" {"));
}

#[test]
fn bulk_seeding_replays_cleanly_and_ordinary_orders_follow_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        set_up_users(&db);
        let (code, stdout, stderr) = run_as(&db.url, "ada", &["seed", "--orders", "300"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.starts_with("seeded 300 orders"), "{stdout}");
        // Seeding numbers orders itself; the next ordinary order must not collide (Postgres
        // sequences) and must come after them.
        let id: i64 = create(&db, "marketplace", &[]).parse().unwrap();
        assert!(id > 300, "{}: new order got id {id}", db.backend);
        let (code, stdout, _) = run_as(&db.url, "ada", &["verify"]);
        assert_eq!(code, 0, "{stdout}");
        assert!(stdout.contains("verified 301 orders"), "{stdout}");
        assert_eq!(run_as(&db.url, "sam", &["seed", "--orders", "1"]).0, 3);

        // The orders belong to a long tail of customers and sellers, sam the busiest seller.
        let (_, stdout, _) = run_as(&db.url, "ada", &["order", "list", "--json"]);
        let orders: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
        let count_by = |field: &str| {
            let mut counts = std::collections::HashMap::new();
            for order in &orders {
                *counts
                    .entry(order[field].as_str().unwrap().to_string())
                    .or_insert(0) += 1;
            }
            counts
        };
        // sam is drawn first by a random Zipf law: the busiest by expectation, and in a
        // sample of 300 about twice the next one, so allow for chance, not for a bug.
        let sellers = count_by("seller");
        let busiest = *sellers.values().max().unwrap();
        let sams = sellers.get("sam").copied().unwrap_or(0);
        assert!(2 * sams >= busiest, "{}: {sellers:?}", db.backend);
        assert!(sellers.len() > 60, "{} sellers", sellers.len());
        assert!(count_by("customer").len() > 150, "{}", db.backend);
        let titles = orders.iter().map(|o| o["title"].as_str().unwrap());
        assert!(titles.collect::<std::collections::HashSet<_>>().len() > 200);
    }
}

/// `bulk` previews, then applies each order in its own transaction: mixed outcomes are
/// reported per order, the others still move, and the exit code says not all did.
fn bulk_with_mixed_outcomes(db: &TestDb) {
    set_up_users(db);
    let paid: Vec<String> = (0..3).map(|_| create(db, "marketplace", &[])).collect();
    let accepted = create(db, "marketplace", &[]);
    assert_eq!(
        run_as(&db.url, "sam", &["advance", &accepted, "order.accepted"]).0,
        0
    );
    let (_, stdout, _) = create_as(db, "ada", ["marketplace", "carol", "zoe", "1"]);
    let zoes = stdout.trim().lines().last().unwrap().to_string();
    let ids = [paid.clone(), vec![accepted.clone(), zoes.clone()]]
        .concat()
        .join(",");

    let (code, stdout, stderr) = run_as(
        &db.url,
        "sam",
        &[
            "bulk",
            "order.accepted",
            "--ids",
            &ids,
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(stderr.trim(), "2 of 5 orders would not move");
    let lines: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "would_apply",
            "would_apply",
            "would_apply",
            "blocked",
            "not_found"
        ],
        "{}",
        db.backend
    );
    // The dry run changed nothing.
    let (_, stdout, _) = run_as(&db.url, "sam", &["order", "show", &paid[0], "--json"]);
    assert!(stdout.contains("\"state\": \"paid\""), "{stdout}");

    let (code, stdout, stderr) = run_as(&db.url, "sam", &["bulk", "order.accepted", "--ids", &ids]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains(" applied: paid → inprogress"))
            .count(),
        3
    );
    assert!(
        stdout.contains(&format!("#{accepted} blocked:")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "#{zoes}: order {zoes} does not exist or is not visible to you"
        )),
        "{stdout}"
    );
    // A filter chooses the orders; with every one movable the exit code is 0.
    let (code, stdout, stderr) = run_as(
        &db.url,
        "sam",
        &[
            "bulk",
            "order.delivered",
            "--filter",
            "logo",
            "--state",
            "inprogress",
            "--workflow",
            "marketplace",
        ],
    );
    assert_eq!((code, stdout.lines().count()), (0, 4), "{stdout}{stderr}");
}

#[test]
fn bulk_reports_each_order_on_both_backends() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        bulk_with_mixed_outcomes(&db);
    }
}

/// `order list --format csv`: a header, one quoted row per order, formulas made inert.
#[test]
fn order_list_as_csv() {
    let db = sqlite();
    set_up_users(&db);
    let id = create_titled(&db, "marketplace", "=HYPERLINK(\"x\"), with a comma", &[]);
    let (code, stdout, stderr) = run_as(&db.url, "sam", &["order", "list", "--format", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "id,workflow,state,version,customer,seller,title,amount,currency,placed_at,due_at,late"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{id},marketplace,paid,1,carol,sam,\"'=HYPERLINK(\"\"x\"\"), with a comma\",125.00,EUR,"
        )),
        "{}",
        lines[1]
    );
}

/// `history --all`: transitions and refused attempts across orders, newest first, filtered,
/// paged without gaps or repeats; support and admin only; both backends.
fn history_explorer(db: &TestDb) {
    set_up_users(db);
    let ids: Vec<String> = (0..3).map(|_| create(db, "marketplace", &[])).collect();
    for id in &ids {
        assert_eq!(
            run_as(&db.url, "sam", &["advance", id, "order.accepted"]).0,
            0
        );
    }
    // A refused attempt: a customer may not deliver (not permitted, exit 3).
    assert_eq!(
        run_as(&db.url, "carol", &["advance", &ids[0], "order.delivered"]).0,
        3
    );
    let (code, stdout, stderr) = run_as(&db.url, "sue", &["history", "--all", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let all: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(all.len(), 4, "{} {stdout}", db.backend);
    assert!(
        all[0]["refused"].is_string(),
        "the newest is the refused attempt"
    );
    let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");

    // A limit keeps the newest ones.
    let (_, stdout, _) = run_as(&db.url, "sue", &["history", "--all", "--limit", "2"]);
    assert_eq!(stdout.lines().count(), 2);
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("✗ carol (customer) tried")
    );
    let (_, stdout, _) = run_as(
        &db.url,
        "ada",
        &[
            "history",
            "--all",
            "--actor",
            "sam",
            "--event",
            "order.accepted",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        stdout.lines().count(),
        4,
        "a header and three rows: {stdout}"
    );
    let (_, stdout, _) = run_as(
        &db.url,
        "ada",
        &["history", "--all", "--state", "inprogress"],
    );
    assert_eq!(
        stdout.lines().count(),
        3,
        "attempts drop out under a state filter"
    );
    assert_eq!(
        run_as(&db.url, "sam", &["history", "--all"]).0,
        3,
        "sellers may not"
    );
}

#[test]
fn history_explorer_on_both_backends() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        history_explorer(&db);
    }
}
