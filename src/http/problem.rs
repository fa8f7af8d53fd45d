//! Every error the API answers is an RFC 9457 problem (`application/problem+json`): service
//! failures mapped in `Problem::from_service`, the one place that turns the service's
//! classification (`ErrorKind`, shared with the CLI's exit codes) into HTTP statuses; bad
//! requests found here; and the router's own answers (no route, wrong method, body too
//! large), rewritten by `normalise`.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::service::{ErrorKind, ServiceError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The type of a 409 for a transition or action the thing's present state does not allow
/// (the other 409s are conflicts: `urn:orderboard:problem:conflict`).
pub const NOT_ALLOWED_NOW: &str = "urn:orderboard:problem:not-allowed-now";
/// The type of a 503 whose cause is another writer holding the order past the lock wait
/// (the other 503s: the database or the feed's streams).
pub const BUSY: &str = "urn:orderboard:problem:busy";

/// The body of every error response.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:orderboard:problem:not-found`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// One sentence on what went wrong.
    pub detail: String,
    /// For an order that is missing or not visible (404): whether the caller sees every
    /// order (staff, to whom it is missing), so a client can word it as the database does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sees_every_order: Option<bool>,
    /// Why a transition is not allowed now (409 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// Where a service failure happened, for the few statuses that depend on it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Situation {
    /// The request's JSON body parsed but holds something invalid: 422 instead of 400.
    pub from_body: bool,
    /// The request carried `If-Match`: a conflict is a failed precondition (412).
    pub if_match: bool,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        let (slug, title) = names(status);
        Problem {
            kind: format!("urn:orderboard:problem:{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            sees_every_order: None,
            reasons: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn invalid_body(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }

    /// The one mapping of service failures to statuses. Unexpected failures are logged
    /// here and answered without their internals.
    pub fn from_service(error: &ServiceError, situation: Situation) -> Problem {
        let status = match error.kind() {
            ErrorKind::BadInput if situation.from_body => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::BadInput => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::NotPermitted => StatusCode::FORBIDDEN,
            ErrorKind::Unseen { .. } => StatusCode::NOT_FOUND,
            ErrorKind::NotAllowedNow => StatusCode::CONFLICT,
            ErrorKind::Conflict if situation.if_match => StatusCode::PRECONDITION_FAILED,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            // Another writer held the order past the lock wait: the caller may try again.
            ErrorKind::Unexpected if error.is_busy() => {
                tracing::warn!(%error, "request gave up waiting for a lock");
                return Problem {
                    kind: BUSY.to_string(),
                    title: "Busy".to_string(),
                    ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, error.to_string())
                };
            }
            // The database went away or every connection is taken: no fault of the request.
            ErrorKind::Unexpected if error.is_connection_lost() => {
                tracing::warn!(%error, "request failed: the database does not answer");
                return Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database does not answer right now; try again",
                );
            }
            ErrorKind::Unexpected => {
                tracing::error!(%error, "request failed");
                return Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the request failed on the server; the details are in its log",
                );
            }
        };
        let detail = match error {
            // Staff and everyone else get the same sentence: over HTTP nobody can tell a
            // missing order from a hidden one.
            ServiceError::Unseen { order_id, .. } => ServiceError::Unseen {
                order_id: *order_id,
                sees_every_order: false,
            }
            .to_string(),
            other => other.to_string(),
        };
        let mut problem = Problem {
            reasons: error.reasons(),
            ..Problem::new(status, detail)
        };
        if let ServiceError::Unseen {
            sees_every_order, ..
        } = error
        {
            problem.sees_every_order = Some(*sees_every_order);
        }
        if error.kind() == ErrorKind::NotAllowedNow {
            // Both are 409: a client tells "not in this state" from "someone moved it first"
            // by the type.
            problem.kind = NOT_ALLOWED_NOW.to_string();
            problem.title = "Not allowed now".to_string();
        }
        problem
    }

    /// A service failure outside a body or a precondition.
    pub fn service(error: ServiceError) -> Problem {
        Problem::from_service(&error, Situation::default())
    }
}

impl From<ServiceError> for Problem {
    fn from(error: ServiceError) -> Problem {
        Problem::service(error)
    }
}

fn names(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad-request", "Bad request"),
        401 => ("unauthenticated", "Unauthenticated"),
        403 => ("not-permitted", "Not permitted"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        409 => ("conflict", "Conflict"),
        412 => ("precondition-failed", "Precondition failed"),
        413 => ("too-large", "Content too large"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("invalid-body", "Invalid body"),
        503 => ("unavailable", "Service unavailable"),
        500 => ("internal", "Internal error"),
        _ if status.is_client_error() => ("client-error", "Client error"),
        _ => ("server-error", "Server error"),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // A held order or a database coming back: worth trying again shortly (a route
            // with a better idea, such as the feed's streams, sets its own).
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}

/// Longest request path quoted in a "no route" problem.
const MAX_QUOTED_PATH: usize = 200;

/// Rewrites every error response that is not a problem yet (the router's 404 and 405, the
/// body limit's 413, an extractor's plain-text rejection) into one, keeping its status and
/// headers (`Allow` on a 405).
pub async fn normalise(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(MAX_QUOTED_PATH).collect();
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => format!("no route matches {method} {path}"),
        StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not take {method}"),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than 64 KiB".to_string(),
        other => format!(
            "the request failed with status {}",
            other.canonical_reason().unwrap_or("unknown")
        ),
    };
    let mut problem = Problem::new(status, detail);
    if status == StatusCode::NOT_FOUND {
        // Not an order missing: a client can tell a typo in a path from a hidden order.
        problem.kind = "urn:orderboard:problem:no-route".to_string();
        problem.title = "No such route".to_string();
    }
    let (mut parts, _) = response.into_parts();
    let fresh = problem.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in fresh.headers() {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, fresh.into_body())
}
