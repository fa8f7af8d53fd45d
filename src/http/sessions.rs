//! `/sessions`: people sign in with name and password and get a session token that ends
//! (signed out, ended by an admin, idle, or at its absolute end); machines keep their API
//! tokens. Admins list and end sessions.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::extract::{Caller, JsonBody, positive_id};
use super::problem::Problem;
use crate::auth::{Secret, SignInError};
use crate::service::{ServiceError, SessionSummary};
use crate::shapes::rfc3339;

/// The client's address, set by the server on each connection (absent in tests that call
/// the router directly, and None behind a reverse proxy, where it would be the proxy's:
/// failed sign-ins are then limited per user name only, as from the terminal).
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub Option<SocketAddr>);

/// A sign-in. The password is wrapped at once and never printed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    pub name: String,
    pub password: String,
}

/// A new session: the token is shown here once.
#[derive(Serialize, ToSchema)]
pub struct SessionOpened {
    /// `Authorization: Bearer <token>` on every request; `DELETE /sessions/current` signs out.
    pub token: String,
    pub id: i64,
    pub user: String,
    pub role: String,
    /// The absolute end, whatever the activity.
    pub expires_at: String,
    /// A session unused this long has ended.
    pub idle_timeout_seconds: i64,
}

/// A live session as an admin sees it (never its token).
#[derive(Serialize, ToSchema)]
pub struct SessionJson {
    pub id: i64,
    pub user: String,
    pub role: String,
    /// The client address it was opened from.
    pub source: Option<String>,
    pub created_at: String,
    /// Noted at most once a minute.
    pub last_used_at: String,
    pub expires_at: String,
}

impl From<SessionSummary> for SessionJson {
    fn from(s: SessionSummary) -> Self {
        SessionJson {
            id: s.id,
            user: s.user,
            role: s.role,
            source: s.source,
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            expires_at: rfc3339(s.expires_at),
        }
    }
}

/// Signs in with name and password: the same check as the terminal's (argon2, failures
/// slowed, an account locked after repeated failures). Needs no token.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body = SignInBody,
    responses(
        (status = 201, description = "Signed in; the token is shown once", body = SessionOpened),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid username or password (also for a disabled or locked account)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body without name and password", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_session(
    State(state): State<AppState>,
    peer: Option<Extension<PeerAddr>>,
    JsonBody(body): JsonBody<SignInBody>,
) -> Result<Response, Problem> {
    let body = body.ok_or_else(|| Problem::invalid_body("the body needs a name and a password"))?;
    let password = Secret::new(body.password);
    let source = peer.and_then(|Extension(PeerAddr(addr))| addr.map(|a| a.ip().to_string()));
    let opened = state
        .office
        .open_session(&body.name, &password, source.as_deref(), Utc::now())
        .await
        .map_err(|error| match error {
            // A failed sign-in is missing credentials here (401), not a refused right.
            ServiceError::SignIn(SignInError::InvalidCredentials) => {
                ServiceError::Unauthenticated(SignInError::InvalidCredentials.to_string())
            }
            other => other,
        })?;
    let json = SessionOpened {
        token: opened.secret.expose().to_string(),
        id: opened.id,
        user: opened.user,
        role: opened.role.to_string(),
        expires_at: rfc3339(opened.expires_at),
        idle_timeout_seconds: opened.idle_timeout.num_seconds(),
    };
    let mut response = (StatusCode::CREATED, Json(json)).into_response();
    // A token must not sit in any cache on the way.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Signs out: ends the session whose token the request carries.
#[utoipa::path(
    delete, path = "/sessions/current", tag = "sessions",
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "The token is an API token, not a session", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn close_session(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, Problem> {
    state.office.close_session(caller.secret.expose()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live sessions, newest first (admin only).
#[utoipa::path(
    get, path = "/sessions", tag = "sessions",
    responses(
        (status = 200, description = "Live sessions", body = Vec<SessionJson>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SessionJson>>, Problem> {
    let sessions = state.office.sessions(&caller.actor, Utc::now()).await?;
    Ok(Json(sessions.into_iter().map(SessionJson::from).collect()))
}

/// Ends a session (admin only): its next request is refused, an open event stream included.
#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions",
    params(("id" = i64, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "Not a session id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live session", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn end_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = positive_id(&id, "a session id")?;
    state
        .office
        .end_session(&caller.actor, id, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
