//! Deliveries to a local sink: retries with one idempotency key and valid signatures,
//! Retry-After, failing at once or after the limit, unrouted effects, hand retries and
//! resolutions, a sink's answer applied through the apply path, and a delivery released at a
//! graceful stop. Both databases.

use std::time::Duration;

use chrono::Utc;

use orderboard::domain::{Actor, Role};
use orderboard::service::{ServiceError, TimelineEntry};
use orderboard::store::{EffectRecord, EffectStatus};

use super::sink::{Answer, TestSink};
use super::{
    all_effects, fulfilment_orders, sink_table, sinks, start_runner, stop_runner, wait_for_effects,
};
use crate::db::both;

const SETTLE: Duration = Duration::from_secs(20);

/// The outcomes of the order's delivery attempts, oldest first.
async fn attempt_outcomes(
    office: &orderboard::service::Backoffice,
    admin: &Actor,
    order: orderboard::domain::OrderId,
) -> Vec<String> {
    let attempts = office.effect_attempts(admin, order).await.unwrap();
    attempts.into_iter().map(|a| a.outcome).collect()
}

fn all_in(effects: &[EffectRecord], statuses: &[EffectStatus]) -> bool {
    !effects.is_empty() && effects.iter().all(|e| statuses.contains(&e.status()))
}

#[tokio::test]
async fn a_flaky_sink_gets_the_effect_once_it_answers_with_one_key_and_valid_signatures() {
    for db in both().await {
        let office = db.backoffice().await;
        let (admin, ids) = fulfilment_orders(&office, 1, |_| "Flaky".into()).await;
        let sink = TestSink::start(|_, before| {
            if before < 2 {
                Answer::status(503)
            } else {
                Answer::ok()
            }
        })
        .await;
        let runner = start_runner(
            &office,
            sinks(&[sink_table(&sink.url, &["inventory.check"], 5)]),
        );
        let effects = wait_for_effects(&office, &admin, SETTLE, |e| {
            all_in(e, &[EffectStatus::Delivered])
        })
        .await;
        stop_runner(runner).await;
        let effect = &effects[0];
        assert_eq!(
            (effect.order_id, effect.attempts),
            (ids[0], 3),
            "{}",
            db.backend
        );
        let requests = sink.requests();
        let attempts: Vec<&str> = requests.iter().map(|r| r.attempt.as_str()).collect();
        assert_eq!(attempts, ["1", "2", "3"], "{}", db.backend);
        for request in &requests {
            assert_eq!(request.key, effect.idempotency_key);
            assert!(request.signature_ok, "a bad signature: {:?}", request);
            assert_eq!(request.body["idempotency_key"], effect.idempotency_key);
            assert_eq!(request.body["effect"], "inventory.check");
            assert_eq!(request.body["order"]["id"], ids[0]);
            assert_eq!(request.body["order"]["state"], "validated");
            assert_eq!(request.body["transition"]["event"], "validate");
            assert_eq!(request.body["transition"]["actor"], "system");
        }
        let outcomes = attempt_outcomes(&office, &admin, ids[0]).await;
        assert_eq!(outcomes, ["retry", "retry", "delivered"], "{}", db.backend);
    }
}

/// A delivery still waiting on its sink when the runner stops outlasts the grace period: it
/// goes back to pending with an `abandoned` attempt, and the next runner delivers it again
/// with the same key.
#[tokio::test]
async fn a_delivery_in_flight_at_a_graceful_stop_is_released_and_delivered_again() {
    use orderboard::runner::{Runner, RunnerOptions};
    for db in both().await {
        let office = db.backoffice().await;
        let (admin, ids) = fulfilment_orders(&office, 1, |_| "Slow".into()).await;
        let slow_first = |_: &serde_json::Value, before: usize| match before {
            0 => Answer::ok().after_delay(Duration::from_secs(5)),
            _ => Answer::ok(),
        };
        let sink = TestSink::start(slow_first).await;
        let table = sink_table(&sink.url, &["inventory.check"], 5);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let options = RunnerOptions {
            poll: Duration::from_millis(50),
            grace: Duration::from_millis(200),
            ..RunnerOptions::default()
        };
        let runner = Runner::new(office.clone(), sinks(std::slice::from_ref(&table)), options);
        let task = tokio::spawn(runner.run(stopped));
        let deadline = std::time::Instant::now() + SETTLE;
        while sink.in_flight() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "no delivery reached the sink"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the runner stops after its grace period")
            .unwrap();
        let effects = all_effects(&office, &admin).await;
        assert_eq!(
            (effects[0].status(), effects[0].attempts),
            (EffectStatus::Pending, 1),
            "{}",
            db.backend
        );
        let attempts = office.effect_attempts(&admin, ids[0]).await.unwrap();
        let released: Vec<(&str, Option<&str>)> = attempts
            .iter()
            .map(|a| (a.outcome.as_str(), a.detail.as_deref()))
            .collect();
        assert_eq!(
            released,
            [(
                "abandoned",
                Some("released at shutdown before the sink answered")
            )],
            "{}",
            db.backend
        );

        let runner = start_runner(&office, sinks(&[table]));
        let effects = wait_for_effects(&office, &admin, SETTLE, |e| {
            all_in(e, &[EffectStatus::Delivered])
        })
        .await;
        stop_runner(runner).await;
        assert_eq!(effects[0].attempts, 2, "{}", db.backend);
        let requests = sink.requests();
        let keys: Vec<(&str, &str)> = requests
            .iter()
            .map(|r| (r.key.as_str(), r.attempt.as_str()))
            .collect();
        let key = effects[0].idempotency_key.as_str();
        assert_eq!(keys, [(key, "1"), (key, "2")], "{}", db.backend);
        let outcomes = attempt_outcomes(&office, &admin, ids[0]).await;
        assert_eq!(outcomes, ["abandoned", "delivered"], "{}", db.backend);
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    for db in both().await {
        let office = db.backoffice().await;
        let (admin, _) = fulfilment_orders(&office, 1, |_| "Busy".into()).await;
        let sink = TestSink::start(|_, before| {
            if before == 0 {
                Answer {
                    retry_after: Some("1"),
                    ..Answer::status(429)
                }
            } else {
                Answer::ok()
            }
        })
        .await;
        let runner = start_runner(
            &office,
            sinks(&[sink_table(&sink.url, &["inventory.check"], 5)]),
        );
        wait_for_effects(&office, &admin, SETTLE, |e| {
            all_in(e, &[EffectStatus::Delivered])
        })
        .await;
        stop_runner(runner).await;
        let requests = sink.requests();
        assert_eq!(requests.len(), 2);
        let gap = requests[1].at - requests[0].at;
        // The backoff alone would be about 50 ms.
        assert!(
            gap >= Duration::from_millis(950),
            "{}: retried after {gap:?}",
            db.backend
        );
    }
}

#[tokio::test]
async fn a_client_error_fails_at_once_and_server_errors_fail_after_the_limit() {
    for db in both().await {
        let office = db.backoffice().await;
        let titles = ["Refused", "Down"];
        let (admin, ids) = fulfilment_orders(&office, 2, |i| titles[i].into()).await;
        let sink = TestSink::start(|body, _| match body["order"]["title"].as_str() {
            Some("Refused") => Answer {
                body: "no such sku".into(),
                ..Answer::status(400)
            },
            _ => Answer::status(500),
        })
        .await;
        let runner = start_runner(
            &office,
            sinks(&[sink_table(&sink.url, &["inventory.check"], 3)]),
        );
        let effects = wait_for_effects(&office, &admin, SETTLE, |e| {
            e.len() == 2 && all_in(e, &[EffectStatus::Failed])
        })
        .await;
        stop_runner(runner).await;
        let of = |id| effects.iter().find(|e| e.order_id == id).unwrap();
        let refused = of(ids[0]);
        assert_eq!(refused.attempts, 1, "{}", db.backend);
        let error = refused.last_error.as_deref().unwrap();
        assert!(error.contains("HTTP 400: no such sku"), "{error}");
        let down = of(ids[1]);
        assert_eq!(down.attempts, 3, "{}", db.backend);
        let error = down.last_error.as_deref().unwrap();
        assert!(
            error.contains("HTTP 500") && error.contains("gave up after 3 attempts"),
            "{error}"
        );
        assert_eq!(office.effects_needing_attention(&admin).await.unwrap(), 2);
        // The order's seller sees that an effect failed, not the other system's answer.
        let sam = Actor::new("sam", Role::Seller);
        let view = office.show(&sam, ids[0], Utc::now()).await.unwrap();
        assert!(!view.settles_effects);
        let failed = view
            .effects
            .iter()
            .find(|e| e.kind == "inventory.check")
            .unwrap();
        assert_eq!(
            (failed.sink.as_deref(), failed.last_error.as_deref()),
            (None, None)
        );
        let sue = Actor::new("sue", Role::Support);
        let view = office.show(&sue, ids[0], Utc::now()).await.unwrap();
        assert!(view.settles_effects);
        let failed = view
            .effects
            .iter()
            .find(|e| e.kind == "inventory.check")
            .unwrap();
        assert!(
            failed
                .last_error
                .as_deref()
                .unwrap()
                .contains("no such sku")
        );
    }
}

#[tokio::test]
async fn unrouted_effects_show_at_once_and_support_retries_or_resolves_them() {
    for db in both().await {
        let office = db.backoffice().await;
        let (admin, ids) = fulfilment_orders(&office, 1, |_| "Nowhere".into()).await;
        let sue = Actor::new("sue", Role::Support);
        let sam = Actor::new("sam", Role::Seller);
        let runner = start_runner(&office, sinks(&[]));
        let effects = wait_for_effects(&office, &admin, SETTLE, |e| {
            all_in(e, &[EffectStatus::Unrouted])
        })
        .await;
        let id = effects[0].id;
        assert!(
            effects[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("no sink takes")
        );

        let denied = office.effects(&sam, &Default::default()).await;
        assert!(
            matches!(denied, Err(ServiceError::NotPermitted(_))),
            "{denied:?}"
        );
        let blank = office
            .resolve_effect(&sue, id, " \u{200b} ", chrono::Utc::now())
            .await;
        assert!(matches!(blank, Err(ServiceError::BadInput(_))), "{blank:?}");

        let retried = office
            .retry_effect(&sue, id, Some("sink configured now?"), chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (retried.status(), retried.attempts),
            (EffectStatus::Pending, 0)
        );
        wait_for_effects(&office, &admin, SETTLE, |e| {
            all_in(e, &[EffectStatus::Unrouted])
        })
        .await;
        stop_runner(runner).await;
        let resolved = office
            .resolve_effect(&sue, id, "checked stock by phone", chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(resolved.status(), EffectStatus::Resolved);
        let again = office
            .resolve_effect(&sue, id, "twice", chrono::Utc::now())
            .await;
        assert!(matches!(again, Err(ServiceError::NotNow(_))), "{again:?}");
        let missing = office
            .retry_effect(&sue, id + 1000, None, chrono::Utc::now())
            .await;
        assert!(
            matches!(missing, Err(ServiceError::Missing(_))),
            "{missing:?}"
        );

        let timeline = office.timeline(&sue, ids[0], true).await.unwrap();
        let actions: Vec<(String, Option<String>)> = timeline
            .iter()
            .filter_map(|entry| match entry {
                TimelineEntry::EffectAction(a) => Some((a.outcome.clone(), a.note.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            actions,
            [
                (
                    "retry_requested".to_string(),
                    Some("sink configured now?".to_string())
                ),
                (
                    "resolved".to_string(),
                    Some("checked stock by phone".to_string())
                ),
            ],
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn a_sinks_answer_applies_the_next_event_as_the_sink() {
    for db in both().await {
        let office = db.backoffice().await;
        let titles = ["In stock", "Confused"];
        let (admin, ids) = fulfilment_orders(&office, 2, |i| titles[i].into()).await;
        let sink = TestSink::start(|body, _| match body["order"]["title"].as_str() {
            Some("In stock") => Answer::event("reserve_inventory"),
            // Not an event this order may take now: recorded, not retried.
            _ => Answer::event("fulfil"),
        })
        .await;
        let table = sink_table(&sink.url, &["inventory.check", "inventory.reserve"], 3);
        let runner = start_runner(&office, sinks(&[table]));
        let effects = wait_for_effects(&office, &admin, SETTLE, |e| {
            e.iter().filter(|e| e.kind == "inventory.check").count() == 2
                && e.iter()
                    .filter(|e| e.kind.starts_with("inventory."))
                    .all(|e| e.status() == EffectStatus::Delivered)
                && e.iter().any(|e| e.kind == "inventory.reserve")
        })
        .await;
        stop_runner(runner).await;
        assert!(
            effects
                .iter()
                .all(|e| e.attempts == 1 || e.kind == "payment.request")
        );
        let history = office.history(&admin, ids[0], false).await.unwrap().0;
        let reserve = history
            .iter()
            .find(|h| h.event == "reserve_inventory")
            .unwrap();
        assert_eq!(
            (reserve.actor.as_str(), reserve.role.as_str()),
            ("sink:world", "system")
        );
        let confused = office.visible_order(&admin, ids[1]).await.unwrap();
        assert_eq!(confused.state, "validated", "{}", db.backend);
        let attempts = office.effect_attempts(&admin, ids[1]).await.unwrap();
        let detail = attempts[0].detail.as_deref().unwrap_or_default();
        assert!(detail.starts_with("answer fulfil refused"), "{detail}");
    }
}

/// A sink URL that does not parse is named in the error without its user and password:
/// the fallback used to quote the text as written, credentials and all.
#[test]
fn a_malformed_sink_url_is_quoted_without_its_credentials() {
    for url in [
        "http://hookuser:hunter2@[::1/hooks",
        "https://hookuser:hunter2@exa mple.com/hooks",
        "http://hunter2@:99999/",
    ] {
        let table = sink_table(url, &["notify"], 3);
        let error = orderboard::runner::Sinks::from_config(&[table], |_| Some("key".into()))
            .unwrap_err()
            .0;
        assert!(error.starts_with("sink \"world\": url \""), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}

/// Two reports of one effect in one batch, from a claim whose lease ran out and from the
/// claim that took the effect over: only the current claim's report is written.
#[tokio::test]
async fn a_stale_claims_report_in_the_same_batch_is_not_written() {
    use orderboard::store::AttemptReport;
    for db in both().await {
        let office = db.backoffice().await;
        let (admin, ids) = fulfilment_orders(&office, 1, |_| "Stale".into()).await;
        let later = Utc::now() + chrono::Duration::seconds(5);
        office.tick(&admin, later).await.unwrap();
        // The effect is due from the tick's time on.
        let now = later + chrono::Duration::seconds(1);
        let check = |claims: Vec<orderboard::store::ClaimedEffect>| {
            claims
                .into_iter()
                .find(|c| c.effect.order_id == ids[0] && c.effect.kind == "inventory.check")
                .expect("the order's inventory check is claimed")
        };
        // The first claim's lease has already run out when the second runner looks.
        let stale = check(
            office
                .claim_effects("first", now, now - chrono::Duration::seconds(1), 10)
                .await
                .unwrap(),
        );
        let current = check(
            office
                .claim_effects("second", now, now + chrono::Duration::seconds(60), 10)
                .await
                .unwrap(),
        );
        assert_eq!((stale.effect.attempts, current.effect.attempts), (1, 2));
        let delivered = AttemptReport {
            status: EffectStatus::Delivered,
            next_attempt_at: now,
            sink: Some("world".into()),
            outcome: "delivered",
            http_status: Some(200),
            detail: None,
            duration_ms: Some(1),
            at: now,
        };
        let written = office
            .finish_effects(&[(&stale, &delivered), (&current, &delivered)])
            .await
            .unwrap();
        assert_eq!(written, [false, true], "{}", db.backend);
        let attempts: Vec<(i64, String)> = office
            .effect_attempts(&admin, ids[0])
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.effect_id == current.effect.id)
            .map(|a| (a.attempt, a.outcome))
            .collect();
        assert_eq!(
            attempts,
            [(1, "abandoned".to_string()), (2, "delivered".to_string())],
            "{}",
            db.backend
        );
    }
}

/// A sink's answer for an order another writer holds past the lock wait (PostgreSQL) is not
/// lost: the delivery is tried again, with the same key, and the answer applied once.
#[tokio::test]
async fn a_sinks_answer_for_a_held_order_is_delivered_again_not_lost() {
    use sqlx::Connection;
    let Some(db) = crate::db::postgres().await else {
        return;
    };
    let office = db.backoffice().await;
    let (admin, ids) = fulfilment_orders(&office, 1, |_| "In stock".into()).await;
    let sink = TestSink::start(|body, _| match body["effect"].as_str() {
        // Long enough for the order to be taken hold of meanwhile.
        Some("inventory.check") => {
            Answer::event("reserve_inventory").after_delay(Duration::from_millis(1_500))
        }
        _ => Answer::ok(),
    })
    .await;
    let mut table = sink_table(&sink.url, &["inventory.check", "inventory.reserve"], 5);
    // A lease (twice the timeout and 2 s) longer than the answer's wait for the order; a
    // shorter one runs out first, and the effect is delivered again that way.
    table.timeout_ms = Some(8_000);
    let runner = start_runner(&office, sinks(&[table]));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sink.requests().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What a writer in the middle of moving the order holds, while the sink thinks.
    let mut holder = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "BEGIN; SELECT id FROM orders WHERE id = {} FOR NO KEY UPDATE",
        ids[0]
    )))
    .execute(&mut holder)
    .await
    .unwrap();
    let first = loop {
        let attempts = office.effect_attempts(&admin, ids[0]).await.unwrap();
        if let Some(first) = attempts.into_iter().next() {
            break first;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_ne!(first.outcome, "delivered");
    let detail = first.detail.unwrap_or_default();
    assert!(
        detail.starts_with(
            "answer reserve_inventory not applied yet: another writer held it for over 10 s"
        ),
        "{detail}"
    );
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    wait_for_effects(&office, &admin, SETTLE, |e| {
        e.iter().any(|e| e.kind == "inventory.reserve")
    })
    .await;
    stop_runner(runner).await;
    let history = office.history(&admin, ids[0], false).await.unwrap().0;
    let reserved = history
        .iter()
        .filter(|h| h.event == "reserve_inventory")
        .count();
    assert_eq!(reserved, 1);
    let checks: Vec<String> = sink
        .requests()
        .iter()
        .filter(|r| r.body["effect"] == "inventory.check")
        .map(|r| r.key.clone())
        .collect();
    assert!(checks.len() >= 2, "{checks:?}");
    assert!(checks.iter().all(|key| *key == checks[0]), "{checks:?}");
}
