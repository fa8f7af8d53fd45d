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
use crate::support::{orderboard, run_as, set_up_users};

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
        Err(ServiceError::NotPermitted(_))
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
