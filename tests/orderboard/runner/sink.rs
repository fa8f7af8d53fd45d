//! A local sink: an axum server inside the test that answers deliveries by a script, checks
//! signatures, and records what it saw — every request, which keys it processed (deduplicating
//! by key, as a real receiver does) and whether one key was ever in flight twice at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

pub const SECRET: &str = "test-sink-secret";

/// One delivery as the sink received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub key: String,
    pub attempt: String,
    pub body: Value,
    pub signature_ok: bool,
    pub at: Instant,
}

/// What the script answers: status, an optional Retry-After, a body, and a delay first.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub body: String,
    pub delay: Duration,
}

impl Answer {
    pub fn ok() -> Answer {
        Answer::status(200)
    }

    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            retry_after: None,
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn event(event: &str) -> Answer {
        Answer {
            body: serde_json::json!({ "event": event, "note": "from the test sink" }).to_string(),
            ..Answer::ok()
        }
    }

    pub fn after_delay(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

/// The script: the delivery's body and how many times its key came before.
pub type Script = Arc<dyn Fn(&Value, usize) -> Answer + Send + Sync>;

#[derive(Default)]
pub struct Seen {
    pub requests: Vec<Received>,
    /// Keys answered 2xx, with how many times each was processed (a receiver that
    /// deduplicates processes each key once, whatever the redeliveries).
    pub processed: BTreeMap<String, usize>,
    in_flight: BTreeSet<String>,
    /// Keys that arrived while the same key was still being answered.
    pub overlaps: Vec<String>,
}

pub struct TestSink {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

impl TestSink {
    pub async fn start(
        script: impl Fn(&Value, usize) -> Answer + Send + Sync + 'static,
    ) -> TestSink {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = (Arc::new(script) as Script, seen.clone());
        let app = Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestSink { url, seen }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.seen.lock().unwrap().requests.clone()
    }

    pub fn processed(&self) -> BTreeMap<String, usize> {
        self.seen.lock().unwrap().processed.clone()
    }

    /// Deliveries being answered right now.
    pub fn in_flight(&self) -> usize {
        self.seen.lock().unwrap().in_flight.len()
    }

    pub fn overlaps(&self) -> Vec<String> {
        self.seen.lock().unwrap().overlaps.clone()
    }
}

struct InFlight {
    key: String,
    seen: Arc<Mutex<Seen>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.in_flight.remove(&self.key);
        }
    }
}

async fn receive(
    State((script, seen)): State<(Script, Arc<Mutex<Seen>>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let key = header("idempotency-key");
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let before = {
        let mut seen = seen.lock().unwrap();
        if !seen.in_flight.insert(key.clone()) {
            seen.overlaps.push(key.clone());
        }
        let before = seen.requests.iter().filter(|r| r.key == key).count();
        seen.requests.push(Received {
            key: key.clone(),
            attempt: header("x-orderboard-attempt"),
            body: json.clone(),
            signature_ok: header("x-orderboard-signature") == format!("sha256={expected}"),
            at: Instant::now(),
        });
        before
    };
    // A client that goes away (a runner killed mid-request) drops this handler: the guard
    // still takes the key out of flight.
    let guard = InFlight {
        key: key.clone(),
        seen: seen.clone(),
    };
    let answer = script(&json, before);
    tokio::time::sleep(answer.delay).await;
    drop(guard);
    if (200..300).contains(&answer.status) {
        *seen.lock().unwrap().processed.entry(key).or_default() += 1;
    }
    let status = StatusCode::from_u16(answer.status).unwrap();
    let mut response = (status, answer.body).into_response();
    if let Some(wait) = answer.retry_after {
        response
            .headers_mut()
            .insert("retry-after", wait.parse().unwrap());
    }
    response
}
