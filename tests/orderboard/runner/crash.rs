//! Crash safety and shared work: a runner killed with SIGKILL in the middle of deliveries,
//! again and again, loses nothing; two runners on one PostgreSQL never deliver one effect at
//! the same time and fire each timer once.

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::Duration;

use orderboard::domain::Actor;
use orderboard::service::Backoffice;
use orderboard::store::EffectStatus;
use serde_json::Value;

use super::sink::{Answer, TestSink};
use super::{fulfilment_orders, sink_table, sinks, start_runner, stop_runner, wait_for_effects};
use crate::db::{TestDb, both, postgres};
use crate::support::orderboard;

/// The warehouse and the payment provider in one: every step succeeds, so each order goes
/// from created to fulfilled through five effects and two timers.
fn cooperative(body: &Value, _: usize) -> Answer {
    match body["kind"].as_str() {
        Some("inventory.check") => Answer::event("reserve_inventory"),
        Some("payment.request") => Answer::event("payment_confirmed"),
        Some("shipment.request") => Answer::event("fulfil"),
        _ => Answer::ok(),
    }
}

const EVERY_KIND: [&str; 5] = [
    "inventory.check",
    "inventory.reserve",
    "payment.request",
    "shipment.request",
    "notify",
];

/// Each order fulfilled, each timer fired once, every effect delivered and none left
/// claimed; returns the effects' idempotency keys.
async fn check_settled(office: &Backoffice, admin: &Actor, orders: &[i64]) -> BTreeSet<String> {
    for id in orders {
        let order = office.visible_order(admin, *id).await.unwrap();
        assert_eq!(order.state, "fulfilled", "order {id}");
        let history = office.history(admin, *id, false).await.unwrap().0;
        for timer in ["validate", "process_payment"] {
            let fired = history.iter().filter(|h| h.event == timer).count();
            assert_eq!(fired, 1, "order {id}: {timer} fired {fired} times");
        }
    }
    let effects = super::all_effects(office, admin).await;
    assert_eq!(effects.len(), orders.len() * 5);
    assert!(
        effects
            .iter()
            .all(|e| e.status() == EffectStatus::Delivered)
    );
    effects.into_iter().map(|e| e.idempotency_key).collect()
}

fn serve(db: &TestDb, config: &std::path::Path) -> Child {
    orderboard(&db.url)
        .env("ORDERBOARD_CONFIG", config)
        .env("TEST_SINK_SECRET", super::sink::SECRET)
        .args(["serve", "--no-api"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_runner_killed_in_the_middle_of_deliveries_loses_nothing() {
    for db in both().await {
        let office = db.backoffice().await;
        let (admin, orders) = fulfilment_orders(&office, 12, |i| format!("Crate {i}")).await;
        let sink = TestSink::start(|body, before| {
            let delay = Duration::from_millis(100 + fastrand::u64(..250));
            cooperative(body, before).after_delay(delay)
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let mut table = sink_table(&sink.url, &EVERY_KIND, 100);
        table.timeout_ms = Some(1_000);
        std::fs::write(&config, sink_config_text(&table)).unwrap();
        for round in 0..5 {
            let mut runner = serve(&db, &config);
            // Kill it while the sink is answering one of its deliveries.
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while sink.in_flight() == 0 && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            runner.kill().unwrap(); // SIGKILL: no chance to finish or release anything.
            runner.wait().unwrap();
            eprintln!("{}: killed runner {round} mid-delivery", db.backend);
        }
        let mut runner = serve(&db, &config);
        wait_for_effects(&office, &admin, Duration::from_secs(120), |effects| {
            effects.len() == orders.len() * 5
                && effects
                    .iter()
                    .all(|e| e.status() == EffectStatus::Delivered)
        })
        .await;
        let status = std::process::Command::new("kill")
            .args(["-TERM", &runner.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(
            runner.wait().unwrap().success(),
            "serve exits cleanly on SIGTERM"
        );
        let keys = check_settled(&office, &admin, &orders).await;
        let processed = sink.processed();
        let seen: BTreeSet<String> = processed.keys().cloned().collect();
        assert_eq!(seen, keys, "{}: every effect reached the sink", db.backend);
        assert!(
            sink.overlaps().is_empty(),
            "{}: {:?}",
            db.backend,
            sink.overlaps()
        );
        let answered: usize = processed.values().sum();
        let cut = sink.requests().len() - answered;
        assert!(cut >= 1, "{}: no delivery was cut by a kill", db.backend);
        let again = processed.values().filter(|n| **n > 1).count();
        eprintln!(
            "{}: {cut} deliveries cut by kills; {again} effects answered twice (same key)",
            db.backend
        );
    }
}

fn sink_config_text(table: &orderboard::config::SinkConfig) -> String {
    let kinds: Vec<String> = table.effects.iter().map(|k| format!("\"{k}\"")).collect();
    format!(
        "[[sinks]]\nname = \"{}\"\neffects = [{}]\nurl = \"{}\"\nsecret_env = \"{}\"\n\
         timeout_ms = {}\nmax_attempts = {}\nfirst_retry_ms = {}\n",
        table.name,
        kinds.join(", "),
        table.url,
        table.secret_env,
        table.timeout_ms.unwrap_or(1000),
        table.max_attempts.unwrap_or(8),
        table.first_retry_ms.unwrap_or(100),
    )
}

#[tokio::test]
async fn two_runners_on_postgres_share_two_thousand_effects_without_overlap() {
    let Some(db) = postgres().await else {
        return;
    };
    let office = db.backoffice().await;
    let (admin, orders) = fulfilment_orders(&office, 400, |i| format!("Parcel {i}")).await;
    let sink = TestSink::start(|body, before| {
        cooperative(body, before).after_delay(Duration::from_millis(fastrand::u64(..4)))
    })
    .await;
    let table = sink_table(&sink.url, &EVERY_KIND, 10);
    // Each runner with its own pool, as two serve processes would have.
    let first = start_runner(&office, sinks(std::slice::from_ref(&table)));
    let other_office = db.backoffice().await;
    let second = start_runner(&other_office, sinks(&[table]));
    wait_for_effects(&office, &admin, Duration::from_secs(180), |effects| {
        effects.len() == 2_000
            && effects
                .iter()
                .all(|e| e.status() == EffectStatus::Delivered)
    })
    .await;
    stop_runner(first).await;
    stop_runner(second).await;
    let keys = check_settled(&office, &admin, &orders).await;
    assert!(
        sink.overlaps().is_empty(),
        "delivered twice at once: {:?}",
        sink.overlaps()
    );
    let processed = sink.processed();
    assert_eq!(processed.len(), keys.len());
    assert!(
        processed.values().all(|n| *n == 1),
        "with no crash, every effect is delivered exactly once"
    );
    assert_eq!(sink.requests().len(), 2_000);
}
