//! The demo comes alive: simulated sinks (a payment provider that sometimes declines, fails
//! or is too slow, a warehouse, a mailer that sometimes bounces) and a storefront placing a
//! fulfilment order every few seconds, so the pipeline moves on the board by itself, retries
//! happen and a few effects fail for support to handle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::watch;

use crate::domain::Actor;
use crate::runner::{Answer, Outgoing, Sink, SinkSecret, Sinks, Transport};
use crate::service::{Backoffice, OrderDraft};

/// How often the storefront places an order.
const STOREFRONT_EVERY: Duration = Duration::from_secs(8);
const STOREFRONT_TITLES: &[&str] = &[
    "Desk lamp",
    "Running shoes",
    "Coffee grinder",
    "Rain jacket",
    "Bluetooth speaker",
    "Yoga mat",
    "Cast-iron pan",
    "Backpack, 30 l",
];

/// Which simulated system a sink is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Payments,
    Warehouse,
    Mailer,
}

/// A simulated receiver. Like a real one it deduplicates by idempotency key: a redelivery
/// gets the first final answer again (transient failures are decided afresh).
struct Simulated {
    role: Role,
    answers: Mutex<HashMap<String, Answer>>,
}

impl Simulated {
    async fn answer(&self, delivery: &Outgoing) -> Answer {
        if let Some(known) = self.known(&delivery.idempotency_key) {
            return known;
        }
        let body: Value = serde_json::from_slice(&delivery.body).unwrap_or(Value::Null);
        let kind = body["kind"].as_str().unwrap_or_default().to_string();
        // The order's `available` lists what this sink may apply now: a request for an order
        // that moved on (old demo history) is acknowledged without an event.
        let may = |event: &str| {
            body["order"]["available"]
                .as_array()
                .is_some_and(|list| list.iter().any(|a| a["event"] == event))
        };
        let roll = fastrand::f64();
        let (delay_ms, answer, final_answer) = match (self.role, kind.as_str()) {
            (Role::Payments, "payment.request") if may("payment_confirmed") => {
                if roll < 0.10 {
                    // Slower than the sink's timeout: the runner gives up on this attempt.
                    (10_000, ok(None), false)
                } else if roll < 0.18 {
                    (400, status(503, "provider unavailable"), false)
                } else if roll < 0.40 {
                    (1_500, ok(Some(("payment_failed", "card declined"))), true)
                } else {
                    (1_500, ok(Some(("payment_confirmed", "captured"))), true)
                }
            }
            (Role::Warehouse, "inventory.check") if may("reserve_inventory") => {
                if roll < 0.08 {
                    (
                        1_000,
                        ok(Some(("inventory_unavailable", "out of stock"))),
                        true,
                    )
                } else {
                    (1_000, ok(Some(("reserve_inventory", "stock held"))), true)
                }
            }
            (Role::Warehouse, "shipment.request") if may("fulfil") => {
                (3_000, ok(Some(("fulfil", "handed to the carrier"))), true)
            }
            (Role::Mailer, _) if roll < 0.04 => (50, status(422, "address bounced"), true),
            (Role::Mailer, _) if roll < 0.12 => (50, status(500, "mail server busy"), false),
            _ => (100, ok(None), true),
        };
        tokio::time::sleep(Duration::from_millis(delay_ms + fastrand::u64(..500))).await;
        if final_answer {
            self.remember(&delivery.idempotency_key, &answer);
        }
        answer
    }

    fn known(&self, key: &str) -> Option<Answer> {
        self.answers.lock().ok()?.get(key).cloned()
    }

    fn remember(&self, key: &str, answer: &Answer) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.insert(key.to_string(), answer.clone());
        }
    }
}

fn ok(event: Option<(&str, &str)>) -> Answer {
    let body = match event {
        Some((event, note)) => serde_json::json!({ "event": event, "note": note }).to_string(),
        None => String::new(),
    };
    Answer::Status {
        code: 200,
        retry_after: None,
        body: body.into_bytes(),
    }
}

fn status(code: u16, text: &str) -> Answer {
    Answer::Status {
        code,
        retry_after: None,
        body: text.as_bytes().to_vec(),
    }
}

impl Transport for Simulated {
    fn send<'a>(&'a self, delivery: &'a Outgoing) -> BoxFuture<'a, Answer> {
        Box::pin(self.answer(delivery))
    }

    fn describe(&self) -> String {
        format!("simulated {:?}", self.role)
    }
}

/// The demo's three sinks, taking every effect kind.
pub fn simulated_sinks() -> Sinks {
    let mut sinks = Sinks::default();
    let plan: [(&str, Role, &[&str], u32); 3] = [
        (
            "payments",
            Role::Payments,
            &[
                "payment.request",
                "refund",
                "payout",
                "credit",
                "payment_link",
            ],
            3,
        ),
        (
            "warehouse",
            Role::Warehouse,
            &[
                "inventory.check",
                "inventory.reserve",
                "inventory.release",
                "shipment.request",
            ],
            5,
        ),
        ("mailer", Role::Mailer, &["notify"], 3),
    ];
    for (name, role, kinds, max_attempts) in plan {
        let sink = Sink {
            name: name.to_string(),
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            transport: Arc::new(Simulated {
                role,
                answers: Mutex::new(HashMap::new()),
            }),
            secret: SinkSecret::new(format!("demo-{name}").into_bytes()),
            timeout: Duration::from_secs(4),
            max_attempts,
            first_retry: Duration::from_secs(2),
        };
        // The plan names each kind once, so adding cannot collide.
        if let Err(error) = sinks.add(sink) {
            tracing::error!(%error, "demo sinks");
        }
    }
    sinks
}

/// Places a fulfilment order every few seconds, as a storefront's system account would, until
/// `stop` turns true.
pub async fn storefront(
    office: Backoffice,
    customers: Vec<String>,
    sellers: Vec<String>,
    mut stop: watch::Receiver<bool>,
) {
    if customers.is_empty() || sellers.is_empty() || office.workflow("fulfilment").is_err() {
        return;
    }
    let storefront = Actor::system_clock();
    while !*stop.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(STOREFRONT_EVERY) => {}
            _ = stop.changed() => break,
        }
        let draft = OrderDraft {
            workflow: "fulfilment".into(),
            customer: customers[fastrand::usize(..customers.len())].clone(),
            seller: sellers[fastrand::usize(..sellers.len())].clone(),
            title: STOREFRONT_TITLES[fastrand::usize(..STOREFRONT_TITLES.len())].into(),
            amount_cents: fastrand::i64(1_500..25_000),
            currency: "EUR".into(),
            placed_at: None,
            due_at: None,
            attrs: Default::default(),
        };
        if let Err(error) = office
            .create_order(&storefront, draft, chrono::Utc::now())
            .await
        {
            tracing::warn!(%error, "the demo storefront could not place an order");
        }
    }
}
