//! The fulfilment workflow running by itself through a scripted warehouse and payment
//! provider: straight through, a payment retried, payments given up with the stock released,
//! and stock unavailable.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orderboard::service::Backoffice;
use orderboard::store::EffectStatus;
use orderboard::workflow::Workflows;
use serde_json::Value;

use super::sink::{Answer, TestSink};
use super::{fulfilment_orders, sink_table, sinks, start_runner, stop_runner, wait_for_effects};
use crate::db::both;

/// The shipped fulfilment workflow with its 10 s payment retries shortened to 1 s, from a
/// workflow folder (which replaces the shipped file of the same name).
fn quick_fulfilment() -> (tempfile::TempDir, Workflows) {
    let shipped = include_str!("../../../assets/workflows/fulfilment.toml");
    assert!(shipped.contains("after = \"10s\""));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fulfilment.toml"),
        shipped.replace("after = \"10s\"", "after = \"1s\""),
    )
    .unwrap();
    let workflows = Workflows::shipped_and_folder(Some(dir.path())).unwrap();
    (dir, workflows)
}

/// Answers by the order's title: a warehouse with or without stock, a payment provider
/// that confirms, declines once, or always declines.
fn scripted(payments: &Mutex<BTreeMap<i64, usize>>, body: &Value) -> Answer {
    let title = body["order"]["title"].as_str().unwrap_or_default();
    let order = body["order"]["id"].as_i64().unwrap_or_default();
    match body["kind"].as_str() {
        Some("inventory.check") if title == "No stock" => Answer::event("inventory_unavailable"),
        Some("inventory.check") => Answer::event("reserve_inventory"),
        Some("payment.request") => {
            let mut payments = payments.lock().unwrap();
            let tries = payments.entry(order).or_default();
            *tries += 1;
            match (title, *tries) {
                ("Declined", _) | ("Retried", 1) => Answer::event("payment_failed"),
                _ => Answer::event("payment_confirmed"),
            }
        }
        Some("shipment.request") => Answer::event("fulfil"),
        _ => Answer::ok(),
    }
}

#[tokio::test]
async fn the_fulfilment_pipeline_runs_by_itself_with_retries_and_rollback() {
    for db in both().await {
        let (_dir, workflows) = quick_fulfilment();
        let office = Backoffice::new(db.store().await, workflows);
        let titles = ["Straight", "Retried", "Declined", "No stock"];
        let (admin, ids) = fulfilment_orders(&office, 4, |i| titles[i].into()).await;
        let payments = Arc::new(Mutex::new(BTreeMap::new()));
        let script = payments.clone();
        let sink = TestSink::start(move |body, _| scripted(&script, body)).await;
        let kinds = [
            "inventory.check",
            "inventory.reserve",
            "inventory.release",
            "payment.request",
            "shipment.request",
            "notify",
        ];
        let runner = start_runner(&office, sinks(&[sink_table(&sink.url, &kinds, 3)]));
        let finals = ["fulfilled", "cancelled"];
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let mut settled = true;
            for id in &ids {
                let order = office.visible_order(&admin, *id).await.unwrap();
                settled &= finals.contains(&order.state.as_str());
            }
            if settled {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the pipeline did not finish"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let effects = wait_for_effects(&office, &admin, Duration::from_secs(20), |e| {
            e.iter().all(|e| e.status() == EffectStatus::Delivered)
        })
        .await;
        stop_runner(runner).await;
        let mut outcome = BTreeMap::new();
        for (id, title) in ids.iter().zip(titles) {
            let order = office.visible_order(&admin, *id).await.unwrap();
            let history = office.history(&admin, *id, false).await.unwrap().0;
            let events: Vec<&str> = history.iter().map(|h| h.event.as_str()).collect();
            let kinds: Vec<&str> = effects
                .iter()
                .filter(|e| e.order_id == *id)
                .map(|e| e.payload.as_str())
                .collect();
            outcome.insert(
                title,
                (order.state.clone(), events.join(" "), kinds.join(" ")),
            );
            let attempts = order.counters.get("payment_attempts").copied().unwrap_or(0);
            let expected = match title {
                "Straight" => 1,
                "Retried" => 2,
                "Declined" => 3,
                _ => 0,
            };
            assert_eq!(attempts, expected, "{}: {title}", db.backend);
        }
        let expect = |state: &str, events: &str, kinds: &str| {
            (state.to_string(), events.to_string(), kinds.to_string())
        };
        assert_eq!(
            outcome["Straight"],
            expect(
                "fulfilled",
                "validate reserve_inventory process_payment payment_confirmed fulfil",
                "inventory.check inventory.reserve payment.request shipment.request notify(customer)"
            ),
            "{}",
            db.backend
        );
        assert_eq!(
            outcome["Retried"].1,
            "validate reserve_inventory process_payment payment_failed retry_payment payment_confirmed fulfil"
        );
        assert_eq!(
            outcome["Declined"],
            expect(
                "cancelled",
                "validate reserve_inventory process_payment payment_failed retry_payment payment_failed retry_payment payment_failed give_up",
                "inventory.check inventory.reserve payment.request payment.request payment.request inventory.release notify(customer)"
            ),
            "{}",
            db.backend
        );
        assert_eq!(
            outcome["No stock"],
            expect(
                "cancelled",
                "validate inventory_unavailable",
                "inventory.check notify(customer)"
            ),
            "{}",
            db.backend
        );
    }
}
