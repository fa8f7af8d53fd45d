//! The HTTP API in-process (`tower::ServiceExt::oneshot`, no socket) on both backends: every
//! route, every error status, tokens refused at once, If-Match, Idempotency-Key, the body
//! limit, sellers kept apart, and the OpenAPI document against the router. `live.rs` runs it
//! over a real socket: the event stream resumed while a writer runs, and a graceful stop.

mod live;
mod openapi;
mod routes;
mod sessions;
mod tls;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::Utc;
use orderboard::auth::Secret;
use orderboard::domain::Role;
use orderboard::service::Backoffice;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::db::{TestDb, both};
use crate::support::{people, test_now};

/// The API on a fresh database with ada (admin), sam and zoe (sellers), carol (customer),
/// sue (support) and shop (system), and a token for each, by user name.
pub struct Api {
    pub router: Router,
    pub office: Backoffice,
    pub tokens: BTreeMap<&'static str, String>,
}

/// An answer: status, headers, and the body as JSON (Null when it is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// A problem's status and detail, checked to be a problem.
    pub fn problem(&self) -> (u16, &str) {
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{:?}",
            self.body
        );
        assert_eq!(self.body["status"], self.status.as_u16());
        for key in ["type", "title", "detail"] {
            assert!(self.body[key].is_string(), "{key} in {}", self.body);
        }
        (
            self.status.as_u16(),
            self.body["detail"].as_str().unwrap_or_default(),
        )
    }
}

impl Api {
    pub async fn new(db: &TestDb) -> Api {
        let office = db.backoffice().await;
        let (admin, ..) = people(&office).await;
        let password = Secret::new("correct horse");
        office
            .add_user(Some(&admin), "shop", Role::System, &password, test_now())
            .await
            .unwrap();
        let mut tokens = BTreeMap::new();
        for user in ["ada", "sam", "zoe", "carol", "sue", "shop"] {
            let token = office
                .add_token(&admin, &format!("{user}-token"), user, Utc::now())
                .await
                .unwrap();
            tokens.insert(user, token.secret.expose().to_string());
        }
        Api {
            router: orderboard::http::router(office.clone()),
            office,
            tokens,
        }
    }

    /// A request as `user` (None: no token) with extra headers and a raw body.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(user) = user {
            request = request.header("authorization", format!("Bearer {}", self.tokens[user]));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, uri: &str, user: &str) -> Reply {
        self.send("GET", uri, Some(user), &[], None).await
    }

    pub async fn post(&self, uri: &str, user: &str, body: Value) -> Reply {
        self.send("POST", uri, Some(user), &[], Some(body.to_string()))
            .await
    }

    /// A marketplace order for carol and sam, made by ada; its id.
    pub async fn create(&self, extra: Value) -> i64 {
        let mut body = order_body();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let reply = self.post("/orders", "ada", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_i64().unwrap()
    }
}

pub fn order_body() -> Value {
    json!({
        "workflow": "marketplace",
        "customer": "carol",
        "seller": "sam",
        "title": "Logo",
        "amount": "125.00",
    })
}

/// Runs `check` on a fresh API on each backend.
pub async fn on_both<F>(check: F)
where
    F: AsyncFn(&Api, &TestDb),
{
    for db in both().await {
        let api = Api::new(&db).await;
        check(&api, &db).await;
        api.office.close().await;
    }
}

/// The API served on a real socket (127.0.0.1, a free port) until `stop`.
pub struct Served {
    pub base: String,
    pub address: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    pub async fn start(office: &Backoffice, limits: orderboard::http::Limits) -> Served {
        Served::start_with(office, limits, None).await
    }

    /// Over TLS when `tls` is given (`base` is then https://localhost:PORT).
    pub async fn start_with(
        office: &Backoffice,
        limits: orderboard::http::Limits,
        tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    ) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let office = office.clone();
        let (server, base) = match tls {
            None => (
                tokio::spawn(orderboard::http::serve_with(
                    listener, office, shutdown, limits,
                )),
                format!("http://{address}"),
            ),
            Some(tls) => (
                tokio::spawn(orderboard::http::serve_tls(
                    listener, office, shutdown, limits, tls,
                )),
                format!("https://localhost:{}", address.port()),
            ),
        };
        Served {
            base,
            address,
            stop,
            server,
        }
    }

    /// Asks the server to stop; its task is returned to await.
    pub fn stop(self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let _ = self.stop.send(());
        self.server
    }
}

/// An HTTP client for the socket tests.
pub fn client() -> reqwest::Client {
    // reqwest is built without a crypto provider: ring, as sqlx uses (a second install is a
    // harmless error).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}
