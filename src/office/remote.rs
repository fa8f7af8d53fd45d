//! The remote office: the service over `orderboard serve`'s HTTP API with a session token.
//! Every refusal comes back as a problem (RFC 9457) and is turned into the `ServiceError`
//! the database would have given, by status and type, with the server's sentence.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::server::ServerAddress;
use super::{OrderFilter, SavedSession, Settle};
use crate::auth::Secret;
use crate::domain::text::display_safe;
use crate::domain::{OrderId, Role};
use crate::http::{BUSY, NOT_ALLOWED_NOW, Problem};
use crate::http_client::describe_error;
use crate::service::{ErrorKind, OrderDraft, ServiceError};
use crate::shapes::{AppliedJson, EffectJson, OrderJson, OrderPageJson, TimelineJson, rfc3339};
use crate::store::EffectQuery;

/// The longest sentence and the most reasons of a server's refusal shown.
const MAX_DETAIL_CHARS: usize = 1_000;
const MAX_REASONS: usize = 20;

/// The largest answer read from the server (a page of 500 orders is well under it).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// What `POST /sessions` answers.
#[derive(Deserialize)]
struct SessionOpened {
    token: String,
    user: String,
    role: String,
    expires_at: String,
    idle_timeout_seconds: i64,
}

/// The most a token or a name from a server may hold before this client keeps it.
const MAX_SESSION_FIELD: usize = 512;

impl SessionOpened {
    /// What is kept in the sessions file and printed is bounded and plain: a hostile server
    /// cannot fill the file (and lock every other server's session out of it) or the screen.
    fn check(&self, server: &ServerAddress) -> Result<(), ServiceError> {
        let token_ok = !self.token.is_empty()
            && self.token.len() <= MAX_SESSION_FIELD
            && self.token.bytes().all(|b| b.is_ascii_graphic());
        let fields_ok = [&self.user, &self.role, &self.expires_at]
            .iter()
            .all(|field| field.len() <= MAX_SESSION_FIELD);
        if token_ok && fields_ok {
            Ok(())
        } else {
            Err(ServiceError::Internal(format!(
                "{server} answered the sign-in with a session this client does not accept (a token or a name over {MAX_SESSION_FIELD} characters, or a token that is not printable); nothing was kept"
            )))
        }
    }
}

/// A sign-in as the server confirmed it.
#[derive(Debug)]
pub struct SignedIn {
    pub user: String,
    pub role: String,
    pub expires_at: String,
    pub idle_timeout_seconds: i64,
}

pub struct RemoteOffice {
    http: reqwest::Client,
    server: ServerAddress,
    token: Secret,
    /// Whether a missing order is said to be missing (staff) or "missing or not visible",
    /// as the database says it to this role.
    sees_every_order: bool,
    /// A session opened for one command (`--as` with a password), ended by `close`.
    one_off: bool,
    /// Who the session is for, to say how to sign in again.
    user: String,
}

impl RemoteOffice {
    /// Signs in with name and password (`POST /sessions`).
    pub async fn sign_in(
        http: reqwest::Client,
        server: ServerAddress,
        name: &str,
        password: &Secret,
        one_off: bool,
    ) -> Result<(RemoteOffice, SignedIn), ServiceError> {
        let request = http
            .post(server.join(&["sessions"]))
            .timeout(super::server::REQUEST_TIMEOUT)
            .json(&json!({"name": name, "password": password.expose()}));
        let opened: SessionOpened = read_json(&server, request, None, false).await?;
        opened.check(&server)?;
        let role = opened.role.parse::<Role>().ok();
        let office = RemoteOffice {
            http,
            server,
            token: Secret::new(opened.token),
            sees_every_order: role.is_some_and(Role::sees_every_order),
            one_off,
            user: opened.user.clone(),
        };
        let signed_in = SignedIn {
            user: opened.user,
            role: opened.role,
            expires_at: opened.expires_at,
            idle_timeout_seconds: opened.idle_timeout_seconds,
        };
        Ok((office, signed_in))
    }

    /// Works with a session `login` saved.
    pub fn resume(http: reqwest::Client, server: ServerAddress, saved: &SavedSession) -> Self {
        RemoteOffice {
            http,
            server,
            token: saved.token(),
            sees_every_order: saved.role.parse::<Role>().is_ok_and(Role::sees_every_order),
            one_off: false,
            user: saved.user.clone(),
        }
    }

    /// The session token, to save after `login`.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// Ends the session on the server (`DELETE /sessions/current`).
    pub async fn sign_out(&self) -> Result<(), ServiceError> {
        let request = self.request(Method::DELETE, &["sessions", "current"]);
        send(&self.server, request, None, self.sees_every_order)
            .await
            .map(drop)
    }

    /// Ends a one-command session; a saved one stays. A failure is of no consequence: the
    /// session ends by itself when idle.
    pub async fn close(&self) {
        if self.one_off {
            let _ = self.sign_out().await;
        }
    }

    pub async fn show(&self, id: OrderId) -> Result<OrderJson, ServiceError> {
        let request = self.request(Method::GET, &["orders", &id.to_string()]);
        self.read(request, Some(id)).await
    }

    pub async fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<OrderId>,
        limit: i64,
    ) -> Result<OrderPageJson, ServiceError> {
        let request = self.get(
            &["orders"],
            &[
                ("workflow", filter.workflow.clone()),
                ("state", filter.state.clone()),
                ("late", filter.late.then(|| "true".to_string())),
                ("search", filter.search.clone()),
                ("after", after.map(|id| id.to_string())),
                ("limit", Some(limit.to_string())),
            ],
        );
        self.read(request, None).await
    }

    pub async fn advance(
        &self,
        id: OrderId,
        event: &str,
        note: Option<&str>,
        expect_version: Option<i64>,
    ) -> Result<AppliedJson, ServiceError> {
        let mut request = self
            .request(Method::POST, &["orders", &id.to_string(), "events", event])
            .json(&json!({ "note": note }));
        if let Some(version) = expect_version {
            request = request.header("if-match", format!("\"{version}\""));
        }
        self.read(request, Some(id)).await
    }

    pub async fn timeline(
        &self,
        id: OrderId,
        attempts: bool,
    ) -> Result<Vec<TimelineJson>, ServiceError> {
        let request = self.get(
            &["orders", &id.to_string(), "history"],
            &[("attempts", attempts.then(|| "true".to_string()))],
        );
        self.read(request, Some(id)).await
    }

    pub async fn create_order(&self, draft: &OrderDraft) -> Result<OrderJson, ServiceError> {
        let body = json!({
            "workflow": draft.workflow,
            "customer": draft.customer,
            "seller": draft.seller,
            "title": draft.title,
            "amount": crate::domain::order::amount_text(draft.amount_cents),
            "currency": draft.currency,
            "due": draft.due_at.map(rfc3339),
            "placed_at": draft.placed_at.map(rfc3339),
            "attrs": draft.attrs,
        });
        let request = self.request(Method::POST, &["orders"]).json(&body);
        self.read(request, None).await
    }

    pub async fn effects(&self, query: &EffectQuery) -> Result<Vec<EffectJson>, ServiceError> {
        let request = self.get(
            &["effects"],
            &[
                (
                    "status",
                    query.status.map(|status| status.as_str().to_string()),
                ),
                ("order", query.order_id.map(|id| id.to_string())),
                ("after", query.after_id.map(|id| id.to_string())),
                ("limit", Some(query.limit.to_string())),
            ],
        );
        self.read(request, None).await
    }

    pub async fn settle_effect(
        &self,
        id: i64,
        settle: Settle,
        note: Option<&str>,
    ) -> Result<EffectJson, ServiceError> {
        let action = match settle {
            Settle::Retry => "retry",
            Settle::Resolve => "resolve",
        };
        let request = self
            .request(Method::POST, &["effects", &id.to_string(), action])
            .json(&json!({ "note": note }));
        self.read(request, None).await
    }

    /// One call of the board (`POST /desk`), as the session's user or, for an admin, as the
    /// user they view the board as (checked again by the server on every call).
    pub async fn desk(
        &self,
        view_as: Option<&str>,
        call: &crate::service::Call,
    ) -> Result<crate::service::Reply, ServiceError> {
        let request = self
            .request(Method::POST, &["desk"])
            .json(&json!({ "view_as": view_as, "call": call }));
        self.read(request, call.order()).await
    }

    /// The live feed after an event id (`GET /events/stream` with `Last-Event-ID`), as an
    /// admin sees it or, with `view_as`, as that user does.
    pub fn stream_request(&self, after: i64, view_as: Option<&str>) -> RequestBuilder {
        let mut url = self.server.join(&["events", "stream"]);
        if let Some(name) = view_as {
            url.query_pairs_mut().append_pair("view_as", name);
        }
        self.http
            .get(url)
            .bearer_auth(self.token.expose())
            .header("last-event-id", after.to_string())
    }

    pub fn server(&self) -> &ServerAddress {
        &self.server
    }

    /// `GET` of the path with the query parameters that are set.
    fn get(&self, segments: &[&str], parameters: &[(&str, Option<String>)]) -> RequestBuilder {
        let mut url = self.server.join(segments);
        for (name, value) in parameters {
            if let Some(value) = value {
                url.query_pairs_mut().append_pair(name, value);
            }
        }
        self.http
            .get(url)
            .timeout(super::server::REQUEST_TIMEOUT)
            .bearer_auth(self.token.expose())
    }

    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.http
            .request(method, self.server.join(segments))
            .timeout(super::server::REQUEST_TIMEOUT)
            .bearer_auth(self.token.expose())
    }

    async fn read<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        order: Option<OrderId>,
    ) -> Result<T, ServiceError> {
        read_json(&self.server, request, order, self.sees_every_order)
            .await
            .map_err(|error| self.explained(error))
    }

    /// A saved session the server no longer takes says how to get a new one.
    fn explained(&self, error: ServiceError) -> ServiceError {
        match error {
            ServiceError::Remote {
                kind: ErrorKind::Unauthenticated,
                detail,
                reasons,
            } if !self.one_off => {
                let how = format!(
                    "`orderboard login --server {} --as {}`",
                    self.server,
                    display_safe(&self.user)
                );
                let detail = match detail.strip_suffix("sign in again") {
                    Some(_) => format!("{detail} with {how}"),
                    None => format!("{detail}: sign in again with {how}"),
                };
                ServiceError::Remote {
                    kind: ErrorKind::Unauthenticated,
                    detail,
                    reasons,
                }
            }
            other => other,
        }
    }
}

/// Sends the request and parses a successful answer as `T`.
async fn read_json<T: DeserializeOwned>(
    server: &ServerAddress,
    request: RequestBuilder,
    order: Option<OrderId>,
    sees_every_order: bool,
) -> Result<T, ServiceError> {
    let body = send(server, request, order, sees_every_order).await?;
    serde_json::from_slice(&body).map_err(|e| {
        // The parser quotes what it could not read: the server's text, so cut and cleaned.
        let what: String = display_safe(&e.to_string()).chars().take(200).collect();
        ServiceError::Internal(format!(
            "{server} answered with JSON this client does not understand ({what}); is it an orderboard server of the same version?"
        ))
    })
}

/// Sends the request; a success's body, or the failure the server described.
async fn send(
    server: &ServerAddress,
    request: RequestBuilder,
    order: Option<OrderId>,
    sees_every_order: bool,
) -> Result<Vec<u8>, ServiceError> {
    let unreachable = |error: reqwest::Error| {
        let described = describe_error(error);
        let hint = if described.contains("UnknownIssuer") {
            "; if its certificate comes from a private CA, give that CA with --ca FILE"
        } else {
            ""
        };
        ServiceError::Unreachable(format!("cannot reach {server}: {described}{hint}"))
    };
    let mut response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ServiceError::Internal(format!(
                "{server} answered with more than {} MiB; nothing was read",
                MAX_ANSWER_BYTES / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if status.is_success() {
        return Ok(body);
    }
    Err(refusal(server, status, &body, order, sees_every_order))
}

/// The problem a server answered, as the `ServiceError` the database would have given.
fn refusal(
    server: &ServerAddress,
    status: StatusCode,
    body: &[u8],
    order: Option<OrderId>,
    sees_every_order: bool,
) -> ServiceError {
    let problem = serde_json::from_slice::<Problem>(body).ok();
    // The server's words reach a terminal: one line, no controls, bounded.
    let plain =
        |text: &str| -> String { display_safe(text).chars().take(MAX_DETAIL_CHARS).collect() };
    let detail = problem.as_ref().map_or_else(
        || format!("{server} answered {status} without saying why"),
        |p| plain(&p.detail),
    );
    let kind_uri = problem.as_ref().map_or("", |p| p.kind.as_str());
    let reasons = problem
        .as_ref()
        .map(|p| {
            p.reasons
                .iter()
                .take(MAX_REASONS)
                .map(|r| plain(r))
                .collect()
        })
        .unwrap_or_default();
    let sees_every_order = problem
        .as_ref()
        .and_then(|p| p.sees_every_order)
        .unwrap_or(sees_every_order);
    let kind = match status.as_u16() {
        400 | 413 | 415 | 422 => ErrorKind::BadInput,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::NotPermitted,
        404 if kind_uri == "urn:orderboard:problem:not-found" => {
            if let Some(order_id) = order {
                // Worded as the database words it to this role.
                return ServiceError::Unseen {
                    order_id,
                    sees_every_order,
                };
            }
            ErrorKind::Unseen { staff: true }
        }
        409 if kind_uri == NOT_ALLOWED_NOW => ErrorKind::NotAllowedNow,
        409 | 412 => ErrorKind::Conflict,
        // Another writer held the order: the server answers, nothing changed.
        503 if kind_uri == BUSY => ErrorKind::Unexpected,
        503 => return ServiceError::Unreachable(format!("{server} is unavailable: {detail}")),
        _ => {
            return ServiceError::Internal(format!("{server} failed the request: {detail}"));
        }
    };
    ServiceError::Remote {
        kind,
        detail,
        reasons,
    }
}
