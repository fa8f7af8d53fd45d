//! The API over a real socket: `serve` on 127.0.0.1:0 with reqwest as the client. The event
//! stream, read while a writer applies transitions, then resumed with Last-Event-ID, gives
//! every event the caller may see exactly once, in order; a graceful stop ends open streams.

use std::time::Duration;

use chrono::Utc;
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use serde_json::Value;

use super::{Api, Served, client};
use crate::db::{TestDb, both};
use crate::support::draft;

/// Orders the writer creates and accepts: two events each.
const WRITES: usize = 15;

/// How long any one read may take before the test fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(20);

async fn get_json(url: &str, token: &str) -> Value {
    let response = client().get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

/// SSE events from a streaming response: (id, event name, data as JSON).
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn next(&mut self) -> (i64, String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::trim)
                        .map(str::to_string)
                };
                // Comments (keep-alives, outage notes) carry no id.
                if let (Some(id), Some(event), Some(data)) =
                    (field("id:"), field("event:"), field("data:"))
                {
                    return (
                        id.parse().unwrap(),
                        event,
                        serde_json::from_str(&data).unwrap(),
                    );
                }
                continue;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("an event within the patience")
                .unwrap()
                .expect("the stream to go on");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn open_stream(base: &str, token: &str, last_event_id: Option<i64>) -> SseReader {
    let mut request = client()
        .get(format!("{base}/events/stream?after=0"))
        .bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id.to_string());
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    SseReader {
        response,
        buffer: String::new(),
    }
}

/// Creates and accepts orders for sam (and creates one of zoe's, which sam must not see)
/// while streams read.
async fn writer(office: Backoffice) {
    let admin = Actor::new("ada", Role::Admin);
    let sam = Actor::new("sam", Role::Seller);
    for n in 0..WRITES {
        let mut order = draft("marketplace");
        if n == 3 {
            order.seller = "zoe".into();
        }
        let id = office
            .create_order(&admin, order, Utc::now())
            .await
            .unwrap();
        if n != 3 {
            office
                .advance(&sam, id, "order.accepted", None, None, Utc::now())
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

async fn stream_resumes(db: &TestDb) {
    let api = Api::new(db).await;
    let served = Served::start(&api.office, Default::default()).await;
    let base = served.base.clone();

    // A plain request over the socket.
    let health = get_json(&format!("{base}/healthz"), "none").await;
    assert_eq!(health["status"], "ok");

    let writing = tokio::spawn(writer(api.office.clone()));
    let mut first = open_stream(&base, &api.tokens["sam"], None).await;
    let mut ids = Vec::new();
    for _ in 0..WRITES / 2 {
        let (id, event, data) = first.next().await;
        assert_eq!(
            (data["id"].as_i64(), data["kind"].as_str()),
            (Some(id), Some(event.as_str()))
        );
        ids.push(id);
    }
    drop(first);
    // Resume where the first stream stopped, while the writer goes on.
    let mut second = open_stream(&base, &api.tokens["sam"], ids.last().copied()).await;
    // Two events for each of sam's orders; zoe's order is not sam's to see.
    let expected_total = 2 * (WRITES - 1);
    while ids.len() < expected_total {
        ids.push(second.next().await.0);
    }
    writing.await.unwrap();
    let feed = get_json(&format!("{base}/events?limit=500"), &api.tokens["sam"]).await;
    let expected: Vec<i64> = feed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, expected, "{}: gap or duplicate", db.backend);
    assert_eq!(expected.len(), expected_total);

    // A graceful stop ends the open stream and returns.
    tokio::time::timeout(PATIENCE, served.stop())
        .await
        .expect("serve to stop with a stream open")
        .unwrap()
        .unwrap();
    drop(second);
    api.office.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_resumes_without_gap_or_duplicate_on_both_backends() {
    for db in both().await {
        stream_resumes(&db).await;
    }
}

/// A client that never finishes its request (headers or body trickled, then nothing) does
/// not keep a stopping server alive: `serve` returns within its grace period. It used to
/// wait for such connections for as long as the client kept them open, so SIGTERM left
/// `orderboard serve` running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_requests_do_not_hold_a_stopping_server() {
    use tokio::io::AsyncWriteExt;

    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let served = Served::start(&api.office, Default::default()).await;
    let address = served.address;
    let mut half_headers = tokio::net::TcpStream::connect(address).await.unwrap();
    half_headers
        .write_all(b"GET /orders HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut half_body = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /orders/1/events/order.accepted HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{",
        api.tokens["sam"]
    );
    half_body.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let asked = std::time::Instant::now();
    tokio::time::timeout(
        orderboard::http::SHUTDOWN_GRACE + Duration::from_secs(5),
        served.stop(),
    )
    .await
    .expect("serve to stop although two requests never finish")
    .unwrap()
    .unwrap();
    assert!(asked.elapsed() >= orderboard::http::SHUTDOWN_GRACE - Duration::from_millis(100));
    drop((half_headers, half_body));
    api.office.close().await;
}

/// A client that sends its headers slowly, or never finishes them, is cut off once the
/// header deadline passes, without being answered and without holding the server.
#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let db = crate::db::sqlite();
    let api = Api::new(&db).await;
    let limits = orderboard::http::Limits {
        header_read_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let served = Served::start(&api.office, limits).await;
    let address = served.address;
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 1024];
    // The server closes the connection (a read of 0 bytes, or an error) within a few
    // deadlines, not when the client gives up.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the slow connection was never closed");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Meanwhile others are served.
    let mut fine = tokio::net::TcpStream::connect(address).await.unwrap();
    fine.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    fine.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    served.stop().await.unwrap().unwrap();
    api.office.close().await;
}
