//! The runner of `orderboard serve` against real databases and a real local sink (an axum
//! server in the test): deliveries, retries and failures (`delivery.rs`), kill -9 in the
//! middle of deliveries and two runners sharing the work (`crash.rs`), and the fulfilment
//! pipeline running by itself, payment retries and rollback included (`pipeline.rs`), and
//! refused timers that must not hold back the ones behind them (`timers.rs`).

mod commands;
mod crash;
mod delivery;
mod pipeline;
mod sink;
mod timers;

use std::time::Duration;

use chrono::Utc;
use orderboard::config::SinkConfig;
use orderboard::domain::{Actor, OrderId};
use orderboard::runner::{Runner, RunnerOptions, Sinks};
use orderboard::service::{Backoffice, OrderDraft};
use orderboard::store::{EffectQuery, EffectRecord};
use tokio::sync::watch;

use crate::support::people;

/// A sink table for the test sink, taking `kinds`.
pub fn sink_table(url: &str, kinds: &[&str], max_attempts: u32) -> SinkConfig {
    SinkConfig {
        name: "world".into(),
        effects: kinds.iter().map(|k| k.to_string()).collect(),
        url: url.into(),
        secret_env: "TEST_SINK_SECRET".into(),
        timeout_ms: Some(2_000),
        max_attempts: Some(max_attempts),
        first_retry_ms: Some(50),
    }
}

pub fn sinks(tables: &[SinkConfig]) -> Sinks {
    Sinks::from_config(tables, |_| Some(sink::SECRET.to_string())).unwrap()
}

/// A runner in this process, polling fast; stopped (gracefully) by the returned sender.
pub fn start_runner(
    office: &Backoffice,
    sinks: Sinks,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let options = RunnerOptions {
        poll: Duration::from_millis(50),
        ..RunnerOptions::default()
    };
    let runner = Runner::new(office.clone(), sinks, options);
    (stop, tokio::spawn(runner.run(stopped)))
}

pub async fn stop_runner((stop, task): (watch::Sender<bool>, tokio::task::JoinHandle<()>)) {
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the runner stops within its grace period")
        .unwrap();
}

/// The admin and `count` fulfilment orders titled `title(i)`, placed now (their validate
/// timers are due a second later).
pub async fn fulfilment_orders(
    office: &Backoffice,
    count: usize,
    title: impl Fn(usize) -> String,
) -> (Actor, Vec<OrderId>) {
    let (admin, ..) = people(office).await;
    let mut ids = Vec::new();
    for i in 0..count {
        let draft = OrderDraft {
            title: title(i),
            ..crate::support::draft("fulfilment")
        };
        ids.push(
            office
                .create_order(&admin, draft, Utc::now())
                .await
                .unwrap(),
        );
    }
    (admin, ids)
}

/// Every effect, oldest first (as support sees them).
pub async fn all_effects(office: &Backoffice, admin: &Actor) -> Vec<EffectRecord> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = office
            .effects(
                admin,
                &EffectQuery {
                    after_id: after,
                    limit: 1000,
                    ..EffectQuery::default()
                },
            )
            .await
            .unwrap();
        let Some(last) = page.last() else {
            return all;
        };
        after = Some(last.id);
        all.extend(page);
    }
}

/// Waits until `done` holds of the effects, or fails after `limit` with what they are.
pub async fn wait_for_effects(
    office: &Backoffice,
    admin: &Actor,
    limit: Duration,
    done: impl Fn(&[EffectRecord]) -> bool,
) -> Vec<EffectRecord> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let effects = all_effects(office, admin).await;
        if done(&effects) {
            return effects;
        }
        if std::time::Instant::now() > deadline {
            let summary: Vec<String> = effects
                .iter()
                .map(|e| {
                    format!(
                        "#{} {} {} x{} {:?}",
                        e.id, e.payload, e.status, e.attempts, e.last_error
                    )
                })
                .collect();
            panic!("effects did not settle in {limit:?}: {summary:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
