//! Issue 10's attacks, each a test that failed before its fix: no existence oracle, money
//! arithmetic and ledger consistency, rights re-checked at the moment of acting, pastes
//! that are text, and the small ones.

use crossterm::event::KeyCode;
use orderboard::cli::CliError;
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::Store;
use orderboard::tui::app::{Overlay, Screen, update};
use orderboard::tui::msg::{Effect, Msg};
use orderboard::workflow::Workflows;

use crate::db::{TestDb, both};
use crate::support::{create, draft, people, run_as, set_up_users, test_now};
use crate::tui_fixtures::{key, press, seller, signed_in};

/// A seller asking for another seller's order and for a missing one gets the same sentence
/// and exit code, in every command; staff learn that a missing order is missing.
fn no_existence_oracle(db: &TestDb) {
    set_up_users(db);
    let id = create(db, "marketplace", &[]);
    let missing = "999999";
    for (command, args) in [
        ("show", vec!["order", "show"]),
        ("history", vec!["history"]),
        ("advance", vec!["advance"]),
    ] {
        let answer = |order: &str| {
            let mut all = args.clone();
            all.push(order);
            if command == "advance" {
                all.push("order.accepted");
            }
            let (code, _, stderr) = run_as(&db.url, "zoe", &all);
            (code, stderr.replace(order, "N"))
        };
        let hidden = answer(&id);
        let absent = answer(missing);
        assert_eq!(hidden, absent, "{command} on {}", db.backend);
        assert_eq!(hidden.0, 3, "{command}: {}", hidden.1);
        assert_eq!(
            hidden.1.trim(),
            "order N does not exist or is not visible to you"
        );
        let mut staff = args.clone();
        staff.push(missing);
        if command == "advance" {
            staff.push("order.accepted");
        }
        assert_eq!(run_as(&db.url, "ada", &staff).0, 2, "{command}");
    }
}

#[test]
fn an_order_you_may_not_see_is_answered_like_a_missing_one() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(both()) {
        no_existence_oracle(&db);
    }
}

fn money_workflows() -> Workflows {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/money");
    Workflows::shipped_and_folder(Some(std::path::Path::new(folder))).unwrap()
}

/// An order of the money workflow, fully refunded, on `db`: (store, service, admin, id).
async fn fully_refunded_order(db: &TestDb) -> (Store, Backoffice, Actor, i64) {
    let store = db.store().await;
    let backoffice = Backoffice::new(store.clone(), money_workflows());
    let (admin, ..) = people(&backoffice).await;
    let id = backoffice
        .create_order(&admin, draft("ledger"), test_now())
        .await
        .unwrap();
    backoffice
        .advance(&admin, id, "refund", None, None, test_now())
        .await
        .unwrap();
    (store, backoffice, admin, id)
}

/// A ledger never returns more than the order took, and a refusal names its real cause (exit
/// 4), on both backends; the order stays where it was.
#[tokio::test]
async fn the_ledger_is_consistent_per_order() {
    for db in both().await {
        let (store, backoffice, admin, id) = fully_refunded_order(&db).await;
        for (event, cause) in [
            (
                "credit",
                "refunds and credits would return 25000 cents of an order of 12500 cents",
            ),
            (
                "payout",
                "the order was fully refunded, so it cannot also be paid out",
            ),
        ] {
            let refused = backoffice
                .advance(&admin, id, event, None, None, test_now())
                .await
                .unwrap_err();
            assert_eq!(refused.to_string(), format!("order {id}: {cause}"));
            assert_eq!(CliError::from(refused).code(), 4, "{}", db.backend);
        }
        let order = store.order(id).await.unwrap().unwrap();
        assert_eq!((order.state.as_str(), order.version), ("refunded", 2));
        assert_eq!(store.ledger(id).await.unwrap().len(), 1);
        let report = backoffice.verify(&admin).await.unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
    }
}

/// What the application refuses, the database refuses too, and `verify` finds rows written
/// behind both (here: with the database's own rule switched off first).
#[tokio::test]
async fn verify_and_the_database_check_the_ledger_rules() {
    for db in both().await {
        let (store, backoffice, admin, id) = fully_refunded_order(&db).await;
        let credit = format!(
            "INSERT INTO ledger (order_id, version, kind, amount_cents, share_percent, at) \
             VALUES ({id}, 3, 'credit', 12500, 100, '2026-03-01T12:00:00Z')"
        );
        let refused = raw(&store, &credit).await;
        assert!(
            refused.is_err(),
            "the database took a credit after a full refund"
        );
        let drop_rule = match db.backend {
            "postgres" => "DROP TRIGGER ledger_within_amount ON ledger",
            _ => "DROP TRIGGER ledger_within_amount",
        };
        raw(&store, drop_rule).await.unwrap();
        raw(&store, &credit).await.unwrap();
        let report = backoffice.verify(&admin).await.unwrap();
        assert!(
            report.violations.iter().any(|v| v.problem
                == "ledger: refunds and credits would return 25000 cents of an order of 12500 cents"),
            "{}: {:?}",
            db.backend,
            report.violations
        );
    }
}

async fn raw(store: &Store, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match store {
        Store::Sqlite(s) => sqlx::raw_sql(sql).execute(s.pool()).await.map(|_| ()),
        Store::Postgres(s) => sqlx::raw_sql(sql).execute(s.pool()).await.map(|_| ()),
    }
}

/// Amounts have an upper bound checked where they come in, and a share that cannot be
/// computed is a refusal, never a wrap: an order from before the bound (its amount set behind
/// the application's back) refuses a 75 % refund and stays where it was.
#[tokio::test]
async fn money_arithmetic_is_checked() {
    let db = crate::db::sqlite();
    set_up_users_async(&db).await;
    let (code, _, stderr) = run_as(
        &db.url,
        "ada",
        &[
            "order",
            "create",
            "--workflow",
            "checkout",
            "--customer",
            "carol",
            "--seller",
            "sam",
            "--title",
            "Huge",
            "--amount",
            "92233720368547758.07",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("more than the largest amount"), "{stderr}");

    let store = db.store().await;
    let backoffice = Backoffice::new(store.clone(), Workflows::shipped().unwrap());
    let admin = Actor::new("ada", Role::Admin);
    let mut order = draft("checkout");
    order.placed_at = Some(test_now() - chrono::Duration::days(10));
    order
        .attrs
        .insert("premium".into(), serde_json::Value::Bool(true));
    let id = backoffice
        .create_order(&admin, order, test_now())
        .await
        .unwrap();
    let clock = Actor::new("clock", Role::System);
    for event in ["payment_success", "stock_reserved"] {
        backoffice
            .advance(&clock, id, event, None, None, test_now())
            .await
            .unwrap();
    }
    raw(
        &store,
        &format!(
            "UPDATE orders SET amount_cents = {} WHERE id = {id}",
            i64::MAX - 7
        ),
    )
    .await
    .unwrap();
    let carol = Actor::new("carol", Role::Customer);
    let refused = backoffice
        .advance(&carol, id, "request_refund", None, None, test_now())
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("outside what orderboard can compute with"),
        "{refused}"
    );
    assert_eq!(CliError::from(refused).code(), 4);
    let after = store.order(id).await.unwrap().unwrap();
    assert_eq!(after.state, "fulfilled");
    assert!(store.ledger(id).await.unwrap().is_empty());
}

async fn set_up_users_async(db: &TestDb) {
    let url = db.url.clone();
    let db = TestDb::at(url, db.backend);
    tokio::task::spawn_blocking(move || set_up_users(&db))
        .await
        .unwrap();
}

/// A paste is text for the focused input, never keys: pasting "note one\nok\n" into the note
/// box neither submits the note nor confirms the refund; pasting "carol\nq" into the filter
/// neither applies it nor quits; a paste on the board or on a confirmation does nothing.
#[test]
fn a_paste_is_text_never_keystrokes() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    press(
        &mut app,
        [key(KeyCode::Enter), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    let effects = update(&mut app, Msg::Paste("note one\nok\n".into()));
    assert!(effects.is_empty(), "{effects:?}");
    let Some(Overlay::Note(form)) = &app.board().unwrap().overlay else {
        panic!("the note box stays open")
    };
    assert_eq!(form.input.value(), "note one ok ");
    // Enter submits the note; the confirmation then waits for an explicit y.
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(update(&mut app, Msg::Paste("y".into())).is_empty());
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    let Some(Overlay::Confirm(confirm)) = &app.board().unwrap().overlay else {
        panic!("the confirmation stays open")
    };
    assert_eq!(
        confirm.consequences,
        vec![
            "Refund 110.99 EUR to carol (full)",
            "This ends the order: it moves to Rejected for good.",
            "Also: notify(customer)",
        ]
    );
    let effects = press(&mut app, [key(KeyCode::Char('y'))]);
    assert!(matches!(effects.as_slice(), [Effect::Apply { .. }]));

    let (mut app, _) = signed_in(seller(), (120, 40));
    press(&mut app, [key(KeyCode::Char('/'))]);
    // The filter follows the pasted text as it would typed text: a reload, nothing else.
    let effects = update(&mut app, Msg::Paste("carol\nq".into()));
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::LoadBoard { .. } | Effect::CountMatches { .. })),
        "{effects:?}"
    );
    assert!(!app.quit);
    let board = app.board().unwrap();
    assert_eq!(
        board.filters.input.as_ref().map(|i| i.value()),
        Some("carol q")
    );
    // Outside a text box a paste is nothing at all.
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(update(&mut app, Msg::Paste("q\n".into())).is_empty());
    assert!(!app.quit && app.board().unwrap().overlay.is_none());
}

/// Rights are read inside the write transaction: a user disabled or demoted after signing in
/// can do nothing with the actor they still hold (exit 3), on both backends.
#[tokio::test]
async fn rights_are_checked_at_the_moment_of_acting() {
    for db in both().await {
        let store = db.store().await;
        let backoffice = Backoffice::new(store.clone(), Workflows::shipped().unwrap());
        let (admin, sam, ..) = people(&backoffice).await;
        let first = backoffice
            .create_order(&admin, draft("marketplace"), test_now())
            .await
            .unwrap();
        raw(
            &store,
            "UPDATE users SET disabled = TRUE WHERE name = 'sam'",
        )
        .await
        .unwrap();
        let refused = backoffice
            .advance(&sam, first, "order.accepted", None, None, test_now())
            .await
            .unwrap_err();
        assert_eq!(refused.to_string(), "sam is disabled: nothing was changed");
        assert_eq!(CliError::from(refused).code(), 3, "{}", db.backend);
        assert_eq!(backoffice.standing(&sam).await.unwrap(), None);

        raw(
            &store,
            "UPDATE users SET disabled = FALSE, role = 'customer' WHERE name = 'sam'",
        )
        .await
        .unwrap();
        let refused = backoffice
            .advance(&sam, first, "order.accepted", None, None, test_now())
            .await
            .unwrap_err();
        assert!(
            refused.to_string().starts_with("sam is a customer now"),
            "{refused}"
        );
        assert_eq!(
            backoffice.standing(&sam).await.unwrap(),
            Some(Actor::new("sam", Role::Customer))
        );
        let order = store.order(first).await.unwrap().unwrap();
        assert_eq!((order.state.as_str(), order.version), ("paid", 1));
    }
}

/// An admin viewing as a seller reads what the seller reads and writes nothing, whatever
/// asks (a transition, a bulk action, an effect); and a bulk action applies only orders
/// still as its dry run read them.
#[tokio::test]
async fn viewing_as_writes_nothing_and_bulk_keeps_to_its_dry_run() {
    use orderboard::service::BulkOutcome;
    for db in both().await {
        let store = db.store().await;
        let backoffice = Backoffice::new(store.clone(), Workflows::shipped().unwrap());
        let (admin, sam, ..) = people(&backoffice).await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let id = backoffice
                .create_order(&admin, draft("marketplace"), test_now())
                .await
                .unwrap();
            ids.push(id);
        }
        let viewed = backoffice.actor_to_view_as(&admin, "sam").await.unwrap();
        assert_eq!(viewed.viewed_by.as_deref(), Some("ada"));
        let refused = backoffice
            .advance(&viewed, ids[0], "order.accepted", None, None, test_now())
            .await
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "read-only: viewing as sam, nothing can be changed"
        );
        let refused = backoffice
            .bulk(&viewed, &ids, "order.accepted", None, false, test_now())
            .await
            .unwrap_err();
        assert!(refused.to_string().starts_with("read-only"), "{refused}");
        assert!(
            backoffice
                .retry_effect(&viewed, 1, None, test_now())
                .await
                .is_err()
        );

        // The dry run is a read: allowed, and it records the version it read.
        let dry = backoffice
            .bulk(&viewed, &ids, "order.accepted", None, true, test_now())
            .await
            .unwrap();
        let previewed: Vec<(i64, i64)> = dry
            .iter()
            .map(|line| match line.outcome {
                BulkOutcome::WouldApply { version, .. } => (line.id, version),
                ref other => panic!("{other:?}"),
            })
            .collect();
        for id in &ids {
            let order = store.order(*id).await.unwrap().unwrap();
            assert_eq!(
                (order.state.as_str(), order.version),
                ("paid", 1),
                "{}",
                db.backend
            );
        }
        // Between the dry run and the apply, sam rejects the second order in another window.
        backoffice
            .advance(
                &sam,
                ids[1],
                "order.rejected",
                Some("out of stock"),
                None,
                test_now(),
            )
            .await
            .unwrap();
        let lines = backoffice
            .bulk_as_previewed(&sam, &previewed, "order.accepted", None, test_now())
            .await
            .unwrap();
        assert!(
            matches!(lines[0].outcome, BulkOutcome::Applied { .. }),
            "{lines:?}"
        );
        let BulkOutcome::Blocked { reason } = &lines[1].outcome else {
            panic!("{lines:?}")
        };
        assert!(
            reason.starts_with("changed since the dry run, not applied: "),
            "{reason}"
        );
    }
}

/// An open board re-reads its user: disabled signs out with a message, demoted reloads the
/// board and restarts the feed with the new rights.
#[test]
fn an_open_board_follows_a_disabled_or_demoted_user() {
    let (mut app, _) = signed_in(seller(), (120, 40));
    let now = app.now;
    let effects = update(&mut app, Msg::Tick(now));
    assert!(
        matches!(effects.as_slice(), [Effect::CheckAccount { actor }] if actor.name == "sam"),
        "{effects:?}"
    );
    // Within the interval no second read is asked for.
    assert!(update(&mut app, Msg::Tick(now)).is_empty());
    let demoted = Actor::new("sam", Role::Customer);
    let effects = update(&mut app, Msg::AccountChecked(Ok(Some(demoted.clone()))));
    // The old feed stops; the new one starts where the new board's snapshot was read.
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StopFeed, Effect::LoadBoard { actor: load, .. }] if *load == demoted
        ),
        "{effects:?}"
    );
    assert_eq!(app.board().unwrap().actor, demoted);
    let effects = update(
        &mut app,
        Msg::BoardLoaded(Ok(crate::tui_fixtures::board_data())),
    );
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::StartFeed { actor, after_id: 900 } if *actor == demoted
        )),
        "{effects:?}"
    );

    let effects = update(&mut app, Msg::AccountChecked(Ok(None)));
    assert!(
        matches!(effects.as_slice(), [Effect::StopFeed]),
        "{effects:?}"
    );
    let Screen::Login(form) = &app.screen else {
        panic!("signed out")
    };
    assert_eq!(
        form.error.as_deref(),
        Some("sam was disabled; sign in again")
    );
}

/// The small ones: a required note made of an escape or a zero-width space is no note; an
/// unknown --state is bad input; --help keeps ORDERBOARD_CONFIG's value to itself; a number
/// attribute is a number; the TUI signs in with ORDERBOARD_PASSWORD.
#[test]
fn the_small_ones() {
    let db = crate::db::sqlite();
    set_up_users(&db);
    let id = create(&db, "marketplace", &["--attr", "weight=1.5"]);
    for blank in ["\u{1b}", "\u{200b}", " \u{feff} "] {
        let (code, _, stderr) = run_as(
            &db.url,
            "sam",
            &["advance", &id, "order.rejected", "--note", blank],
        );
        assert_eq!(code, 2, "{blank:?}: {stderr}");
        assert!(stderr.contains("note"), "{stderr}");
    }
    let (code, stdout, stderr) = run_as(&db.url, "sam", &["order", "show", &id, "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let order: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(order["state"], "paid");
    assert_eq!(order["attrs"]["weight"], serde_json::json!(1.5));

    let (code, _, stderr) = run_as(&db.url, "sam", &["order", "list", "--state", "bogus"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "--state \"bogus\" is not a state of any workflow"
    );

    let help = crate::support::orderboard(&db.url)
        .arg("--help")
        .env("ORDERBOARD_CONFIG", "/secret/place/config.toml")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("ORDERBOARD_CONFIG"), "{text}");
    assert!(!text.contains("/secret/place"), "{text}");

    let mut app = crate::tui_fixtures::new_app((80, 24));
    app.prefill_user("sam");
    let effects = app.sign_in_with(&orderboard::auth::Secret::new("correct horse"));
    assert!(
        matches!(effects.as_slice(), [Effect::SignIn { name, password }]
            if name == "sam" && password.expose() == "correct horse"),
        "{effects:?}"
    );
}

/// A closed pipe ends quietly and a full disk says so in one sentence; eight `init` at once
/// on a new file all succeed; a missing argument is named.
#[test]
fn pipes_disks_concurrent_inits_and_missing_arguments() {
    let db = crate::db::sqlite();
    set_up_users(&db);
    for _ in 0..3 {
        create(&db, "marketplace", &[]);
    }
    let mut child = crate::support::orderboard(&db.url)
        .args(["--as", "ada", "order", "list"])
        .env("ORDERBOARD_PASSWORD", "correct horse")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.trim().is_empty(), "{stderr}");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = crate::support::orderboard(&db.url)
        .args(["--as", "ada", "order", "list"])
        .env("ORDERBOARD_PASSWORD", "correct horse")
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "cannot write the output: No space left on device (os error 28)"
    );

    let fresh = crate::db::sqlite();
    let children: Vec<_> = (0..8)
        .map(|_| {
            crate::support::orderboard(&fresh.url)
                .arg("init")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let (code, _, stderr) = run_as(&db.url, "ada", &["user", "add", "newbie"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--role"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
