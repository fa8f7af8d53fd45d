//! Timers fire exactly once, many in one transaction, however many fire them at once; and
//! timers a guard refuses stay due: a full page of them at the head of the due list must not
//! hold back the timers due after them, in `tick` or in the runner's rounds. Both databases.

use std::time::Duration;

use chrono::Utc;
use orderboard::domain::{Actor, OrderId};
use orderboard::service::{Backoffice, BulkOutcome, TIMERS_TOGETHER, TimerFiring};
use orderboard::store::{ApplyRequest, Together};
use orderboard::workflow::Workflows;

use super::{sinks, start_runner, stop_runner};
use crate::db::both;
use crate::support::{draft, people};

/// A timer whose guard never passes (an amount is never negative).
const STUCK: &str = r#"
name = "stuck"

[[states]]
id = "waiting"
initial = true

[[states]]
id = "expired"
terminal = true

[[transitions]]
event = "expire"
from = ["waiting"]
to = "expired"
roles = ["system"]
guard = "amount_cents < 0"
after = "1s"
"#;

/// The runner's round and `tick`'s batch both read 500 due timers at a time
/// (`TIMER_ROUND`, `TIMER_BATCH`): a page of refusals and one more head the list.
const A_PAGE_AND_ONE: usize = 501;

#[tokio::test]
async fn refused_timers_at_the_head_do_not_hold_back_later_ones() {
    for db in both().await {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stuck.toml"), STUCK).unwrap();
        std::fs::write(
            dir.path().join("prompt.toml"),
            STUCK
                .replace("\"stuck\"", "\"prompt\"")
                .replace("guard = \"amount_cents < 0\"\n", ""),
        )
        .unwrap();
        let workflows = Workflows::shipped_and_folder(Some(dir.path())).unwrap();
        let office = Backoffice::new(db.store().await, workflows);
        let (admin, ..) = people(&office).await;
        let hour_ago = Utc::now() - chrono::Duration::hours(1);
        for _ in 0..A_PAGE_AND_ONE {
            office
                .create_order(&admin, draft("stuck"), hour_ago)
                .await
                .unwrap();
        }
        let later = |minutes| hour_ago + chrono::Duration::minutes(minutes);

        let by_tick = office
            .create_order(&admin, draft("prompt"), later(1))
            .await
            .unwrap();
        let report = office.tick(&admin, Utc::now()).await.unwrap();
        assert_eq!(report.refused.len(), A_PAGE_AND_ONE, "{}", db.backend);
        let fired: Vec<OrderId> = report.fired.iter().map(|applied| applied.id).collect();
        assert_eq!(fired, [by_tick], "{}", db.backend);

        let by_runner = office
            .create_order(&admin, draft("prompt"), later(2))
            .await
            .unwrap();
        let runner = start_runner(&office, sinks(&[]));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while state(&office, &admin, by_runner).await != "expired" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: the runner never fired the timer behind the refused ones",
                db.backend
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop_runner(runner).await;
        assert_eq!(state(&office, &admin, by_tick).await, "expired");
    }
}

async fn state(office: &Backoffice, admin: &orderboard::domain::Actor, id: OrderId) -> String {
    office.visible_order(admin, id).await.unwrap().state
}

/// The three workflows of the tests below, each with a one-second timer on `expire`:
/// `prompt` (notifies), `stuck` (its guard never passes), `paying` (pays out).
fn timed_workflows() -> (tempfile::TempDir, Workflows) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stuck.toml"), STUCK).unwrap();
    let prompt = STUCK
        .replace("\"stuck\"", "\"prompt\"")
        .replace("guard = \"amount_cents < 0\"\n", "");
    let with_effect = |name: &str, effect: &str| {
        prompt
            .replace("\"prompt\"", &format!("\"{name}\""))
            .replace(
                "after = \"1s\"",
                &format!("after = \"1s\"\neffects = [\"{effect}\"]"),
            )
    };
    std::fs::write(
        dir.path().join("prompt.toml"),
        with_effect("prompt", "notify(customer)"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("paying.toml"),
        with_effect("paying", "payout"),
    )
    .unwrap();
    let workflows = Workflows::shipped_and_folder(Some(dir.path())).unwrap();
    (dir, workflows)
}

/// Orders of each workflow named, placed an hour ago (their timers are due).
async fn due_orders(
    office: &Backoffice,
    admin: &orderboard::domain::Actor,
    counts: &[(&'static str, usize)],
) -> Vec<(OrderId, &'static str)> {
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let mut orders = Vec::new();
    for (workflow, count) in counts {
        for _ in 0..*count {
            let id = office
                .create_order(admin, draft(workflow), hour_ago)
                .await
                .unwrap();
            orders.push((id, *workflow));
        }
    }
    orders
}

/// A transaction of another connection holding one order, as a writer moving it would.
async fn hold_order(url: &str, id: OrderId) -> sqlx::PgConnection {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql("BEGIN")
        .execute(&mut connection)
        .await
        .unwrap();
    sqlx::query("SELECT id FROM orders WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut connection)
        .await
        .unwrap();
    connection
}

/// What one transaction of timers does with each: moves the ones it can finish by itself
/// (their effects and history written, on PostgreSQL in one transaction), and writes nothing
/// for a refusal, a payout, a stale version or (PostgreSQL) an order another writer holds.
/// A `tick` fires the held one once it is let go.
#[tokio::test]
async fn timers_fired_together_move_only_what_they_can_finish() {
    for db in both().await {
        let (_dir, workflows) = timed_workflows();
        let store = db.store().await;
        let office = Backoffice::new(store.clone(), workflows.clone());
        let (admin, ..) = people(&office).await;
        let orders = due_orders(
            &office,
            &admin,
            &[("prompt", 5), ("stuck", 1), ("paying", 1)],
        )
        .await;
        let (stale, held) = (orders[3].0, orders[4].0);
        let holder = if db.backend == "postgres" {
            Some(hold_order(&db.url, held).await)
        } else {
            None
        };
        let now = Utc::now();
        let requests: Vec<ApplyRequest> = office
            .due_timers(now, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|timer| ApplyRequest {
                order_id: timer.order_id,
                actor: Actor::system_clock(),
                expected_version: Some(timer.version + i64::from(timer.order_id == stale)),
                event: timer.event,
                note: None,
                now,
                token_hash: None,
            })
            .collect();
        assert_eq!(requests.len(), orders.len(), "{}", db.backend);
        let together = tokio::time::timeout(
            Duration::from_secs(10),
            store.apply_together(&workflows, &requests),
        )
        .await
        .expect("a held order is skipped, not waited for")
        .unwrap();
        for (request, outcome) in requests.iter().zip(&together) {
            let id = request.order_id;
            let workflow = orders.iter().find(|(o, _)| *o == id).unwrap().1;
            let expected = match workflow {
                _ if id == stale => "taken",
                _ if id == held && holder.is_some() => "held",
                "prompt" => "applied",
                _ => "alone",
            };
            let got = match outcome {
                Together::Applied(_) => "applied",
                Together::Taken => "taken",
                Together::Held => "held",
                Together::Alone => "alone",
            };
            assert_eq!(got, expected, "{}: order {id} ({workflow})", db.backend);
            let (history, attempts) = office.history(&admin, id, true).await.unwrap();
            let fired = history.iter().filter(|h| h.event == "expire").count();
            assert_eq!(fired, usize::from(got == "applied"), "{}: {id}", db.backend);
            assert!(attempts.is_empty(), "{}: {id}", db.backend);
        }
        let notified: Vec<OrderId> = super::all_effects(&office, &admin)
            .await
            .into_iter()
            .filter(|effect| effect.payload == "notify(customer)")
            .map(|effect| effect.order_id)
            .collect();
        let applied = together
            .iter()
            .filter(|outcome| matches!(outcome, Together::Applied(_)))
            .count();
        assert_eq!(applied, 3 + usize::from(holder.is_none()), "{}", db.backend);
        assert_eq!(
            notified.len(),
            applied,
            "{}: the applied ones notify",
            db.backend
        );
        if db.backend == "postgres" {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let transactions: i64 = sqlx::query_scalar(
                "SELECT COUNT(DISTINCT xid) FROM history WHERE event = 'expire'",
            )
            .fetch_one(&mut connection)
            .await
            .unwrap();
            assert_eq!(transactions, 1, "the applied timers, one transaction");
        }

        // A tick fires the rest, alone; the held order once its holder lets it go.
        let tick = tokio::spawn({
            let (office, admin) = (office.clone(), admin.clone());
            async move { office.tick(&admin, Utc::now()).await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let holder_was_there = holder.is_some();
        if let Some(mut connection) = holder {
            sqlx::raw_sql("ROLLBACK")
                .execute(&mut connection)
                .await
                .unwrap();
        }
        let report = tokio::time::timeout(Duration::from_secs(10), tick)
            .await
            .unwrap()
            .unwrap();
        let mut fired: Vec<OrderId> = report.fired.iter().map(|applied| applied.id).collect();
        fired.sort_unstable();
        let mut expected = vec![stale, orders[6].0];
        if holder_was_there {
            expected.push(held);
        }
        expected.sort_unstable();
        assert_eq!(fired, expected, "{}", db.backend);
        assert_eq!(report.refused.len(), 1, "{}", db.backend);
        let view = office.show(&admin, orders[6].0, Utc::now()).await.unwrap();
        assert_eq!(view.ledger.len(), 1, "{}: one payout", db.backend);
    }
}

/// Two firings of the same due timers at once, in opposite orders: every timer fires
/// exactly once, the refused ones never, and the next tick finds nothing left to fire.
#[tokio::test]
async fn timers_fired_twice_at_once_fire_once() {
    for db in both().await {
        let (_dir, workflows) = timed_workflows();
        let office = Backoffice::new(db.store().await, workflows);
        let (admin, ..) = people(&office).await;
        let orders = due_orders(
            &office,
            &admin,
            &[
                ("prompt", 2 * TIMERS_TOGETHER + 3),
                ("stuck", 3),
                ("paying", 3),
            ],
        )
        .await;
        let due = office.due_timers(Utc::now(), None, 500).await.unwrap();
        assert_eq!(due.len(), orders.len(), "{}", db.backend);
        let mut reversed = due.clone();
        reversed.reverse();
        let now = Utc::now();
        let (first, second) = tokio::time::timeout(Duration::from_secs(60), async {
            tokio::join!(
                office.fire_timers(&due, now),
                office.fire_timers(&reversed, now)
            )
        })
        .await
        .expect("two firings never wait for each other for long");
        let mut outcomes: std::collections::BTreeMap<OrderId, Vec<&str>> = Default::default();
        for (timer, firing) in due.iter().zip(&first).chain(reversed.iter().zip(&second)) {
            let outcome = match firing.as_ref().expect("no firing fails") {
                TimerFiring::Fired(_) => "fired",
                TimerFiring::Taken | TimerFiring::Held => "not here",
                TimerFiring::Refused(_) => "refused",
            };
            outcomes.entry(timer.order_id).or_default().push(outcome);
        }
        for (id, workflow) in &orders {
            let seen = &outcomes[id];
            let fired_by_us = seen.iter().filter(|o| **o == "fired").count();
            let (history, _) = office.history(&admin, *id, false).await.unwrap();
            let fired = history.iter().filter(|h| h.event == "expire").count();
            let once = usize::from(*workflow != "stuck");
            assert_eq!(
                fired_by_us, once,
                "{}: {id} ({workflow}) {seen:?}",
                db.backend
            );
            assert_eq!(fired, once, "{}: {id} ({workflow})", db.backend);
        }
        let report = office.tick(&admin, Utc::now()).await.unwrap();
        assert!(report.fired.is_empty(), "{}", db.backend);
        assert_eq!(report.refused.len(), 3, "{}", db.backend);
    }
}

/// An order a stuck session holds (PostgreSQL: a transaction left open on its row) fails a
/// transition with a sentence once the lock wait is over, and changes nothing; a tick fires
/// the other timers and says which it left, bulk says so for that order and goes on, and
/// a tick fires it once the order is let go.
#[tokio::test]
async fn an_order_held_past_the_lock_wait_fails_with_a_sentence() {
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    let (_dir, workflows) = timed_workflows();
    let office = Backoffice::new(db.store().await, workflows);
    let (admin, ..) = people(&office).await;
    let orders = due_orders(&office, &admin, &[("prompt", 2)]).await;
    let (held, free) = (orders[0].0, orders[1].0);
    let mut holder = hold_order(&db.url, held).await;
    let clock = Actor::system_clock();
    let (ticked, moved) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(
            office.tick(&admin, Utc::now()),
            office.advance(&clock, held, "expire", None, Some(1), Utc::now()),
        )
    })
    .await
    .expect("a held order is waited for a bounded time");
    let report = ticked.unwrap();
    let fired: Vec<OrderId> = report.fired.iter().map(|applied| applied.id).collect();
    assert_eq!(fired, vec![free]);
    assert_eq!(report.held.len(), 1, "{:?}", report.held);
    assert!(
        report.held[0].starts_with(&format!("order {held}: another writer held it")),
        "{:?}",
        report.held
    );
    let error = moved.unwrap_err();
    assert!(error.is_busy(), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("another writer held it for over 10 s; nothing was changed, try again"),
        "{error}"
    );
    // Bulk says so for that order and goes on with the others.
    let lines = office
        .bulk(&clock, &[held, free], "expire", None, false, Utc::now())
        .await
        .unwrap();
    let reasons: Vec<String> = lines
        .iter()
        .map(|line| match &line.outcome {
            BulkOutcome::Blocked { reason } => reason.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert!(reasons[0].contains("another writer held"), "{reasons:?}");
    assert!(!reasons[1].contains("another writer held"), "{reasons:?}");
    let (history, _) = office.history(&admin, held, false).await.unwrap();
    assert!(history.iter().all(|entry| entry.event != "expire"));
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    let report = office.tick(&admin, Utc::now()).await.unwrap();
    let fired: Vec<OrderId> = report.fired.iter().map(|applied| applied.id).collect();
    assert_eq!(fired, vec![held]);
    assert!(report.held.is_empty());
}
