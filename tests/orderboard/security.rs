//! Who may do what, checked everywhere the same way; sign-ins; secrets; the database file.

use std::time::{Duration, Instant};

use chrono::Duration as Span;
use orderboard::auth::Secret;
use orderboard::domain::Role;
use orderboard::service::ServiceError;
use orderboard::tui::msg::Msg;
use orderboard::tui::update;
use orderboard::workflow::{Refusal, Workflows};

use crate::db::sqlite;
use crate::support::{actor, order, test_now};
use crate::support::{draft, people};
use crate::support::{orderboard, run, run_as, run_with_password, set_up_users};

/// Who may take each event, from `shared/spec/workflows.md`: (event, roles in their own right,
/// owner required for customers and sellers, roles that may act on the customer's behalf).
type Rule = (&'static str, &'static [Role], bool, &'static [Role]);

const SELLER_ADMIN: &[Role] = &[Role::Seller, Role::Admin];
const SYSTEM: &[Role] = &[Role::System];
const SYSTEM_ADMIN: &[Role] = &[Role::System, Role::Admin];
const SUPPORT_ADMIN: &[Role] = &[Role::Support, Role::Admin];

const MATRIX: &[(&str, &[Rule])] = &[
    (
        "marketplace",
        &[
            ("order.accepted", &[Role::Seller], true, &[]),
            ("order.rejected", &[Role::Seller], true, &[]),
            ("order.delivered", &[Role::Seller], true, &[]),
            (
                "order.cancel_requested",
                &[Role::Seller, Role::Customer],
                true,
                &[Role::Support],
            ),
            ("order.cancel_accepted", &[Role::Seller], true, &[]),
            ("order.cancel_declined", &[Role::Seller], true, &[]),
            ("order.completed", &[Role::Customer], true, &[]),
            (
                "order.requires_correction",
                &[Role::Customer],
                true,
                &[Role::Support],
            ),
            (
                "order.dispute_opened",
                &[Role::Customer, Role::Seller],
                true,
                &[],
            ),
            ("order.dispute_refunded", SUPPORT_ADMIN, false, &[]),
            ("order.dispute_released", SUPPORT_ADMIN, false, &[]),
            ("order.dispute_resumed", SUPPORT_ADMIN, false, &[]),
            ("order.auto_completed", SYSTEM, false, &[]),
            ("order.force_cancelled", &[Role::Admin], false, &[]),
        ],
    ),
    (
        "artist-shop",
        &[
            ("start", SELLER_ADMIN, true, &[]),
            ("request_payment", SELLER_ADMIN, true, &[]),
            (
                "mark_paid",
                &[Role::System, Role::Seller, Role::Admin],
                true,
                &[],
            ),
            ("prepare", SELLER_ADMIN, true, &[]),
            ("ship", SELLER_ADMIN, true, &[]),
            ("complete", SELLER_ADMIN, true, &[]),
            ("cancel", SELLER_ADMIN, true, &[]),
        ],
    ),
    (
        "checkout",
        &[
            ("payment_success", SYSTEM, false, &[]),
            ("payment_failed", SYSTEM, false, &[]),
            ("stock_reserved", SYSTEM, false, &[]),
            ("out_of_stock", SYSTEM, false, &[]),
            (
                "request_refund",
                &[Role::Customer, Role::Support],
                true,
                &[],
            ),
            ("refund_processed", SYSTEM, false, &[]),
        ],
    ),
    (
        "fulfilment",
        &[
            ("validate", SYSTEM_ADMIN, false, &[]),
            ("invalidate", SYSTEM_ADMIN, false, &[]),
            ("reserve_inventory", SYSTEM_ADMIN, false, &[]),
            ("inventory_unavailable", SYSTEM_ADMIN, false, &[]),
            ("process_payment", SYSTEM_ADMIN, false, &[]),
            ("payment_confirmed", SYSTEM, false, &[]),
            ("payment_failed", SYSTEM, false, &[]),
            ("payment_timeout", SYSTEM, false, &[]),
            ("retry_payment", SYSTEM_ADMIN, false, &[]),
            ("give_up", SYSTEM_ADMIN, false, &[]),
            ("fulfil", SYSTEM_ADMIN, false, &[]),
            ("cancel", &[Role::Admin], false, &[]),
        ],
    ),
];

/// Every role × owner or not × workflow × event, in a state the event leaves.
#[test]
fn the_authorisation_matrix() {
    let workflows = Workflows::shipped().unwrap();
    let mut checked = 0;
    for (name, rules) in MATRIX {
        let workflow = workflows.get(name).unwrap();
        assert_eq!(
            rules.len(),
            workflow.events().len(),
            "{name}: the matrix names every event"
        );
        for (event, roles, must_own, on_behalf) in *rules {
            let state = workflow.candidates(event).next().unwrap().from[0].clone();
            for role in Role::ALL {
                for owner in [true, false] {
                    let mut subject = order(name, &state);
                    subject
                        .attrs
                        .insert("digital_only".into(), serde_json::Value::Bool(true));
                    subject.state_entered_at = test_now() - Span::days(30);
                    let who = actor(role, owner);
                    let outcome =
                        workflow.decide(&subject, &who, event, Some("a note"), test_now());
                    let permitted = !matches!(outcome, Err(Refusal::NotPermitted { .. }));
                    let party = matches!(role, Role::Customer | Role::Seller);
                    let expected = (roles.contains(&role) && (!must_own || !party || owner))
                        || on_behalf.contains(&role);
                    assert_eq!(
                        permitted, expected,
                        "{name}: {event} from {state} as {role} (owner {owner}): {outcome:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, (14 + 7 + 6 + 12) * 5 * 2);
}

/// The CLI and the UI reach the same check: the CLI's sentence is the one `Backoffice::advance`
/// (what the UI's Apply effect calls) returns.
#[tokio::test]
async fn the_cli_and_the_ui_refuse_with_the_same_check() {
    let db = sqlite();
    let backoffice = db.backoffice().await;
    let (admin, _, customer, _) = people(&backoffice).await;
    let id = backoffice
        .create_order(&admin, draft("marketplace"), test_now())
        .await
        .unwrap();
    let library = backoffice
        .advance(&customer, id, "order.accepted", None, None, test_now())
        .await
        .unwrap_err()
        .to_string();
    let (code, _, stderr) = run_as(
        &db.url,
        "carol",
        &["advance", &id.to_string(), "order.accepted"],
    );
    assert_eq!(code, 3);
    assert_eq!(stderr.trim(), library);
    // Another seller cannot even see the order, in either face.
    let zoe = orderboard::domain::Actor::new("zoe", Role::Seller);
    assert!(matches!(
        backoffice.show(&zoe, id, test_now()).await,
        Err(ServiceError::Unseen { .. })
    ));
    assert_eq!(
        run_as(&db.url, "zoe", &["order", "show", &id.to_string()]).0,
        3
    );
}

/// The TUI re-reads an order after a feed event or a lost race through the service, which
/// answers another seller's order exactly as a missing one; and a snapshot that reaches the
/// board anyway passes the same filter as a loaded card, so it is never placed.
#[tokio::test]
async fn a_sellers_refresh_of_another_sellers_order_is_refused() {
    let db = sqlite();
    let backoffice = db.backoffice().await;
    let (admin, sam, _, _) = people(&backoffice).await;
    let zoe = orderboard::domain::Actor::new("zoe", Role::Seller);
    let id = backoffice
        .create_order(&admin, draft("marketplace"), test_now())
        .await
        .unwrap();
    assert!(backoffice.order_snapshot(&sam, id).await.unwrap().is_some());
    assert_eq!(backoffice.order_snapshot(&zoe, id).await.unwrap(), None);
    assert_eq!(
        backoffice.order_snapshot(&zoe, 999_999).await.unwrap(),
        None
    );

    // Zoe's board, handed sam's order as if a refresh had returned it: it is not placed.
    let stored = db.store().await.order(id).await.unwrap().unwrap();
    let mut app = crate::tui_fixtures::new_app((120, 40));
    update(&mut app, Msg::SignedIn(Ok(zoe.clone())));
    let mut data = crate::tui_fixtures::board_data();
    for column in &mut data.columns {
        column.cards.clear();
    }
    update(&mut app, Msg::BoardLoaded(Ok(data)));
    update(&mut app, Msg::OrderRefreshed(Some(stored)));
    let board = app.board().unwrap();
    assert!(
        board
            .columns
            .iter()
            .all(|c| c.cards.iter().all(|card| card.id != id)),
        "another seller's order reached zoe's board"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_counted_and_alike() {
    let db = sqlite();
    let (backoffice, store) = db.parts().await;
    people(&backoffice).await;
    let started = Instant::now();
    let wrong = backoffice
        .sign_in("sam", &Secret::new("wrong password"))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(750));
    let started = Instant::now();
    let unknown = backoffice
        .sign_in("nobody", &Secret::new("wrong password"))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(750));
    assert_eq!(wrong.to_string(), "invalid username or password");
    assert_eq!(unknown.to_string(), wrong.to_string());
    backoffice
        .sign_in("sam", &Secret::new("wrong again"))
        .await
        .unwrap_err();
    assert_eq!(store.user("sam").await.unwrap().unwrap().failed_sign_ins, 2);
    backoffice
        .sign_in("sam", &Secret::new("correct horse"))
        .await
        .unwrap();
    assert_eq!(store.user("sam").await.unwrap().unwrap().failed_sign_ins, 0);
    // Disabled users get the same message, even with the right password.
    store.set_user_disabled("sam", true).await.unwrap();
    let disabled = backoffice
        .sign_in("sam", &Secret::new("correct horse"))
        .await
        .unwrap_err();
    assert_eq!(disabled.to_string(), "invalid username or password");
}

#[cfg(unix)]
#[test]
fn the_sqlite_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = sqlite();
    set_up_users(&db);
    let path = db.url.trim_start_matches("sqlite://").to_string();
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
        if let Ok(meta) = std::fs::metadata(&file) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
        }
    }
}

#[test]
fn passwords_never_appear_in_output() {
    let secret_url = "postgres://bob:topsecret@127.0.0.1:1/orders";
    let output = orderboard(secret_url)
        .arg("--help")
        .env("ORDERBOARD_DATABASE", secret_url)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains("topsecret"));
    let output = orderboard(secret_url)
        .args(["--as", "ada", "order", "list"])
        .env("ORDERBOARD_PASSWORD", "hunter2hunter2")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !all.contains("topsecret") && !all.contains("hunter2"),
        "{all}"
    );
    assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
}

/// History, ledger and attempts are append-only in the database (see the story test); the
/// application also has no statement that could change them.
#[test]
fn no_statement_updates_or_deletes_history_ledger_or_attempts() {
    let mut offenders = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("migrations") {
                    stack.push(path);
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap().to_uppercase();
            for table in ["HISTORY", "LEDGER", "ATTEMPTS"] {
                for verb in [
                    format!("UPDATE {table}"),
                    format!("DELETE FROM {table}"),
                    format!("TRUNCATE {table}"),
                ] {
                    if text.contains(&verb) {
                        offenders.push(format!("{}: {verb}", path.display()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

// Issue 10: rights are checked at the moment of acting.

const REFUSED: &str = "invalid username or password";

/// 8 processes × 10 wrong passwords, through the real binary: the account ends locked, the
/// right password is then refused with the same sentence, an admin sees the lock and lifts it.
#[test]
fn eight_processes_of_wrong_passwords_lock_the_account_until_an_admin_unlocks() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(crate::db::both()) {
        set_up_users(&db);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..10 {
                        let (code, _, stderr) =
                            run_with_password(&db.url, "sam", "wrong password", &["order", "list"]);
                        assert_eq!((code, stderr.trim()), (3, REFUSED), "{}", db.backend);
                    }
                });
            }
        });
        let (code, _, stderr) = run_as(&db.url, "sam", &["order", "list"]);
        assert_eq!(
            (code, stderr.trim()),
            (3, REFUSED),
            "{}: the right password got in after 80 failures",
            db.backend
        );
        let (code, listing, stderr) = run_as(&db.url, "ada", &["user", "list"]);
        assert_eq!(code, 0, "{stderr}");
        let sam = listing.lines().find(|l| l.starts_with("sam ")).unwrap();
        assert!(sam.contains("locked until"), "{listing}");
        let (code, _, stderr) = run_as(&db.url, "ada", &["user", "unlock", "sam"]);
        assert_eq!(code, 0, "{stderr}");
        let (code, _, stderr) = run_as(&db.url, "sam", &["order", "list"]);
        assert_eq!(code, 0, "{}: {stderr}", db.backend);
    }
}

/// A sign-in killed as soon as its attempt reaches the database (before it answers) still
/// counts: ten of them lock the account.
#[tokio::test]
async fn a_sign_in_killed_before_it_answers_still_counts() {
    let db = sqlite();
    set_up_users(&db);
    let store = db.store().await;
    for round in 0..10 {
        let mut child = orderboard(&db.url)
            .args(["--as", "sam", "order", "list"])
            .env("ORDERBOARD_PASSWORD", "wrong password")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while store.user("sam").await.unwrap().unwrap().failed_sign_ins <= round {
            assert!(Instant::now() < deadline, "round {round}: never counted");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            None,
            "round {round}: it answered first"
        );
        assert!(output.stderr.is_empty(), "round {round}: it answered first");
    }
    let (code, _, stderr) = run_as(&db.url, "sam", &["order", "list"]);
    assert_eq!((code, stderr.trim()), (3, REFUSED));
}

/// Each recent failure makes the next one wait longer: after three, a wrong password waits
/// 0.75 s and 1 s more.
#[tokio::test]
async fn failures_wait_longer_the_more_there_were() {
    let db = sqlite();
    let backoffice = db.backoffice().await;
    people(&backoffice).await;
    for _ in 0..3 {
        backoffice
            .sign_in("sam", &Secret::new("wrong password"))
            .await
            .unwrap_err();
    }
    let started = Instant::now();
    backoffice
        .sign_in("sam", &Secret::new("wrong password"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_millis(1750),
        "answered after {:?}",
        started.elapsed()
    );
}

/// Eight concurrent bootstrap `user add … --role admin` on a fresh database: one admin.
#[test]
fn eight_concurrent_first_admins_make_exactly_one() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(crate::db::both()) {
        assert_eq!(run(&db.url, &["init"], None).0, 0);
        let outcomes: Vec<(i32, String, String)> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|i| {
                    let url = &db.url;
                    scope.spawn(move || {
                        let name = format!("boss{i}");
                        let args = ["user", "add", &name, "--role", "admin", "--password-stdin"];
                        run(url, &args, Some("correct horse\n"))
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let won = outcomes.iter().filter(|(code, _, _)| *code == 0).count();
        assert_eq!(won, 1, "{}: {outcomes:?}", db.backend);
        for (code, _, stderr) in outcomes.iter().filter(|(code, _, _)| *code != 0) {
            assert_eq!(*code, 3, "{}: {stderr}", db.backend);
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
            assert!(stderr.contains("--as an admin"), "{stderr}");
        }
        let users = runtime.block_on(async { db.store().await.users().await.unwrap() });
        assert_eq!(users.len(), 1, "{}", db.backend);
    }
}

/// `SAM` cannot join `sam` (in the service and in the database itself), and nobody is `system`.
#[test]
fn user_names_are_unique_without_case_and_system_is_reserved() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(crate::db::both()) {
        set_up_users(&db);
        for (name, role) in [("SAM", "seller"), ("Sam", "customer"), ("system", "system")] {
            let args = ["user", "add", name, "--role", role, "--password-stdin"];
            let mut all = vec!["--as", "ada"];
            all.extend_from_slice(&args);
            let (code, _, stderr) = run(&db.url, &all, Some("correct horse\n"));
            assert_eq!(code, 2, "{}: {name} was added: {stderr}", db.backend);
        }
        let (code, _, stderr) = run(
            &db.url,
            &[
                "--as",
                "ada",
                "user",
                "add",
                "SYSTEM",
                "--role",
                "admin",
                "--password-stdin",
            ],
            Some("correct horse\n"),
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("reserved"), "{stderr}");
        // Below the service too: the database refuses a name that differs only in case.
        let store = runtime.block_on(db.store());
        let duplicate = runtime.block_on(store.add_user("Sam", Role::Seller, "x", test_now()));
        assert!(
            matches!(duplicate, Err(orderboard::store::StoreError::Duplicate(_))),
            "{}: {duplicate:?}",
            db.backend
        );
        let names: Vec<String> = runtime
            .block_on(store.users())
            .unwrap()
            .into_iter()
            .map(|u| u.name.to_lowercase())
            .filter(|n| n == "sam" || n == "system")
            .collect();
        assert_eq!(names, ["sam"], "{}", db.backend);
    }
}

/// `user disable|enable|set-role|list` for admins only; the last enabled admin stays.
#[test]
fn admins_disable_enable_and_change_roles_but_never_the_last_admin() {
    let db = sqlite();
    set_up_users(&db);
    let (code, _, stderr) = run_as(&db.url, "sue", &["user", "disable", "sam"]);
    assert_eq!((code, stderr.trim()), (3, "only an admin may change users"));
    assert_eq!(run_as(&db.url, "ada", &["user", "disable", "sam"]).0, 0);
    let (code, _, stderr) = run_as(&db.url, "sam", &["order", "list"]);
    assert_eq!((code, stderr.trim()), (3, REFUSED));
    let (code, listing, _) = run_as(&db.url, "ada", &["user", "list", "--json"]);
    assert_eq!(code, 0);
    let users: serde_json::Value = serde_json::from_str(&listing).unwrap();
    let sam = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "sam")
        .unwrap();
    assert_eq!(sam["disabled"], true);
    assert_eq!(run_as(&db.url, "ada", &["user", "enable", "sam"]).0, 0);
    assert_eq!(run_as(&db.url, "sam", &["order", "list"]).0, 0);
    assert_eq!(
        run_as(&db.url, "ada", &["user", "set-role", "sam", "support"]).0,
        0
    );
    let (_, listing, _) = run_as(&db.url, "ada", &["user", "list"]);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("sam ") && l.contains("support")),
        "{listing}"
    );
    assert_eq!(
        run_as(&db.url, "ada", &["user", "set-role", "sam", "wizard"]).0,
        2
    );
    assert_eq!(run_as(&db.url, "ada", &["user", "disable", "nobody"]).0, 2);
    for args in [
        ["user", "disable", "ada"].as_slice(),
        ["user", "set-role", "ada", "seller"].as_slice(),
    ] {
        let (code, _, stderr) = run_as(&db.url, "ada", args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert!(stderr.contains("last enabled admin"), "{stderr}");
    }
    assert_eq!(run_as(&db.url, "ada", &["order", "list"]).0, 0);
}

/// Two admins disabling each other at the same moment: one of them stays an enabled admin.
#[test]
fn two_admins_disabling_each_other_at_once_leave_one() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for db in runtime.block_on(crate::db::both()) {
        set_up_users(&db);
        let args = ["--as", "ada", "user", "add", "bob", "--role", "admin"];
        let mut all = args.to_vec();
        all.push("--password-stdin");
        assert_eq!(run(&db.url, &all, Some("correct horse\n")).0, 0);
        for round in 0..3 {
            let codes: Vec<i32> = std::thread::scope(|scope| {
                let a = scope.spawn(|| run_as(&db.url, "ada", &["user", "disable", "bob"]).0);
                let b = scope.spawn(|| run_as(&db.url, "bob", &["user", "disable", "ada"]).0);
                vec![a.join().unwrap(), b.join().unwrap()]
            });
            let users = runtime.block_on(async { db.store().await.users().await.unwrap() });
            let admins: Vec<&str> = users
                .iter()
                .filter(|u| u.role == Role::Admin && !u.disabled)
                .map(|u| u.name.as_str())
                .collect();
            assert_eq!(admins.len(), 1, "{} round {round}: {codes:?}", db.backend);
            assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
            let other = if admins[0] == "ada" { "bob" } else { "ada" };
            assert_eq!(run_as(&db.url, admins[0], &["user", "enable", other]).0, 0);
        }
    }
}

/// The same race below the sign-ins, where they cannot order it: both changes reach the store
/// together, many times over. The last-admin check and the change are one locked step.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_admin_changes_never_leave_no_enabled_admin() {
    for db in crate::db::both().await {
        let (backoffice, store) = db.parts().await;
        let (ada, _, _, _) = people(&backoffice).await;
        let password = Secret::new("correct horse");
        backoffice
            .add_user(Some(&ada), "bob", Role::Admin, &password, test_now())
            .await
            .unwrap();
        let bob = orderboard::domain::Actor::new("bob", Role::Admin);
        for round in 0..20 {
            let (a, b) = tokio::join!(
                backoffice.disable_user(&ada, "bob"),
                backoffice.set_user_role(&bob, "ada", Role::Seller),
            );
            let enabled: Vec<String> = store
                .users()
                .await
                .unwrap()
                .into_iter()
                .filter(|u| u.role == Role::Admin && !u.disabled)
                .map(|u| u.name)
                .collect();
            assert_eq!(
                enabled.len(),
                1,
                "{} round {round}: {a:?} {b:?}",
                db.backend
            );
            assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
            store.set_user_disabled("bob", false).await.unwrap();
            backoffice
                .set_user_role(&bob, "ada", Role::Admin)
                .await
                .unwrap();
        }
    }
}
