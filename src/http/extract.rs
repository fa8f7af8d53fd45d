//! What handlers take from a request, every failure answered as a problem: the caller (by
//! their API token), a JSON body, query parameters, and `If-Match`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::AppState;
use super::problem::Problem;
use crate::auth::Secret;
use crate::domain::{Actor, OrderId};
use crate::service::ServiceError;

/// Who is calling: the token's or the session's user as they stand now (role and enabled state re-read on
/// every request). The secret is kept to check again during a long response (the event
/// stream); it never prints.
pub struct Caller {
    pub actor: Actor,
    pub secret: Secret,
}

impl Caller {
    /// Who a request acts as: the caller, or for an admin the user named by `view_as`
    /// (read-only, checked now like every view-as).
    pub async fn viewing_as(
        &self,
        office: &crate::service::Backoffice,
        view_as: Option<&str>,
    ) -> Result<Actor, Problem> {
        match view_as {
            Some(name) => Ok(office.actor_to_view_as(&self.actor, name).await?),
            None => Ok(self.actor.clone()),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let UncheckedBearer(secret) = UncheckedBearer::from_request_parts(parts, state).await?;
        let actor = state.office.authenticate(secret.expose()).await?;
        Ok(Caller { actor, secret })
    }
}

/// The bearer secret of a request, NOT checked: only for a handler whose service call checks
/// it itself (an event applied checks its token inside the apply path's transaction).
pub struct UncheckedBearer(pub Secret);

impl<S: Send + Sync> FromRequestParts<S> for UncheckedBearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let missing = || {
            Problem::from(ServiceError::Unauthenticated(
                "this request needs a token: Authorization: Bearer <token> (an API token, or a session's from POST /sessions)".into(),
            ))
        };
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(missing)?;
        // The scheme's name is case-insensitive (RFC 9110, 11.1): "bearer" is as good.
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim())
            .ok_or_else(missing)?;
        Ok(UncheckedBearer(Secret::new(secret)))
    }
}

/// A JSON body, `None` when the request has none. Malformed JSON is a bad request (400);
/// JSON of the wrong shape, an invalid body (422); over the limit, 413.
pub struct JsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                Problem::new(
                    rejection.status(),
                    "the request body could not be read in full",
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(None));
        }
        serde_json::from_slice(&bytes)
            .map(|value| JsonBody(Some(value)))
            .map_err(|error| match error.classify() {
                serde_json::error::Category::Data => {
                    Problem::invalid_body(format!("the body does not fit this request: {error}"))
                }
                _ => Problem::bad_request(format!("the body is not valid JSON: {error}")),
            })
    }
}

/// Query parameters; a malformed one is a bad request.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| {
                Problem::bad_request(format!(
                    "the query parameters are malformed: {}",
                    rejection.body_text()
                ))
            })
    }
}

/// An order id from a path.
pub fn order_id(text: &str) -> Result<OrderId, Problem> {
    positive_id(text, "an order id")
}

/// An id from a path or a parameter: a positive number, or a bad request naming `what`.
pub fn positive_id(text: &str, what: &str) -> Result<i64, Problem> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "\"{}\" is not {what} (a positive number)",
                crate::domain::text::display_safe(&text.chars().take(40).collect::<String>())
            ))
        })
}

/// The version `If-Match` expects: `"3"` (the ETag of version 3), `*` or none for any.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(Some)
        .ok_or_else(|| {
            Problem::bad_request("If-Match must be the order's version in quotes, like \"3\"")
        })
}

/// The ETag of an order's version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
