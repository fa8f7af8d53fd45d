//! `/orders`: create (admin or system, with an optional Idempotency-Key), a keyset page of
//! the orders the caller may see, one order, an event applied to it, and its history.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{ApiQuery, Caller, JsonBody, UncheckedBearer, etag, if_match, order_id};
use super::problem::{Problem, Situation};
use crate::domain::order::parse_amount_cents;
use crate::domain::{Actor, OrderId};
use crate::service::{Backoffice, IdempotencyClaim, IdempotentResponse, OrderDraft};
use crate::shapes::{AppliedJson, OrderJson, OrderPageJson, TimelineJson};
use crate::store::OrderQuery;

/// Orders a page holds unless asked, and at most.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// A new order: `order create`'s options.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderBody {
    pub workflow: String,
    /// A user with the customer role.
    pub customer: String,
    /// A user with the seller role.
    pub seller: String,
    pub title: String,
    /// A decimal string, like "12.50".
    pub amount: String,
    /// Three capital letters; EUR when left out.
    pub currency: Option<String>,
    /// RFC 3339.
    #[serde(alias = "due_at")]
    #[schema(format = DateTime)]
    pub due: Option<String>,
    /// RFC 3339; now when left out.
    #[schema(format = DateTime)]
    pub placed_at: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attrs: BTreeMap<String, serde_json::Value>,
}

impl CreateOrderBody {
    fn into_draft(self) -> Result<OrderDraft, Problem> {
        let time = |field: &str, text: Option<String>| -> Result<Option<DateTime<Utc>>, Problem> {
            text.map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .map(|at| at.with_timezone(&Utc))
                    .map_err(|_| {
                        Problem::invalid_body(format!(
                            "{field} is not an RFC 3339 time like 2026-05-01T12:00:00Z"
                        ))
                    })
            })
            .transpose()
        };
        Ok(OrderDraft {
            amount_cents: parse_amount_cents(&self.amount)
                .map_err(|e| Problem::invalid_body(format!("amount: {e}")))?,
            due_at: time("due", self.due)?,
            placed_at: time("placed_at", self.placed_at)?,
            workflow: self.workflow,
            customer: self.customer,
            seller: self.seller,
            title: self.title,
            currency: self.currency.unwrap_or_else(|| "EUR".into()),
            attrs: self.attrs,
        })
    }
}

const BODY: Situation = Situation {
    from_body: true,
    if_match: false,
};

/// Creates an order in its workflow's initial state.
#[utoipa::path(
    post, path = "/orders", tag = "orders",
    request_body = CreateOrderBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "A retry with the same key by the same user returns the first response and creates nothing; after a 409, retry with the same key")),
    responses(
        (status = 201, description = "Created; Location names the order", body = OrderJson,
            headers(("Location" = String, description = "/orders/{id}"))),
        (status = 400, description = "Malformed JSON or header", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither admin nor system", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this key is still in progress: retry with the same key shortly", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A valid JSON body with invalid values", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Creating stopped unexpectedly; the order may exist", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is held or does not answer; nothing was changed unless said otherwise, retry with the same key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateOrderBody>,
) -> Result<Response, Problem> {
    let body = body.ok_or_else(|| Problem::bad_request("this request needs a JSON body"))?;
    let draft = body.into_draft()?;
    let actor = &caller.actor;
    let now = Utc::now();
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(replay(&create(&state, actor, draft, now).await?));
    };
    let key = key
        .to_str()
        .map_err(|_| Problem::bad_request("the Idempotency-Key must be visible ASCII"))?
        .to_owned();
    // A client that hangs up drops this handler. The claim, the creation and the settling run
    // to their end in a task of their own, so a request cut off between creating the order and
    // keeping its response does not leave the key claimed for good.
    let (state, actor) = (state.clone(), actor.clone());
    tokio::spawn(async move { create_once(&state, &actor, &key, draft, now).await })
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "creating an order with an idempotency key stopped");
            Err(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "creating the order stopped unexpectedly; check whether it exists before \
                 using a new Idempotency-Key",
            ))
        })
}

/// Creates the order once per key: the first request creates, its retries get its response.
async fn create_once(
    state: &AppState,
    actor: &Actor,
    key: &str,
    draft: OrderDraft,
    now: DateTime<Utc>,
) -> Result<Response, Problem> {
    let office = &state.office;
    match office.claim_idempotency_key(actor, key, now).await? {
        IdempotencyClaim::First => {
            let id = match office.create_order(actor, draft, now).await {
                Ok(id) => id,
                Err(error) => {
                    // A refusal created nothing: the key is given back. A lost connection may
                    // have lost only the commit's answer: the key stays claimed rather than
                    // risk a second order.
                    if !error.is_connection_lost() {
                        office.settle_idempotency_key(actor, key, None).await;
                    }
                    return Err(Problem::from_service(&error, BODY));
                }
            };
            // The order exists: from here the key is never given back. If its view cannot be
            // read, the key stays claimed and the retries are told it is in progress.
            let response = created(office, actor, id, now).await?;
            office
                .settle_idempotency_key(actor, key, Some(&response))
                .await;
            Ok(replay(&response))
        }
        IdempotencyClaim::Replay(response) => Ok(replay(&response)),
        IdempotencyClaim::InProgress => Err(Problem::new(
            StatusCode::CONFLICT,
            "a request with this Idempotency-Key is still in progress (or its server stopped \
             midway); try again shortly, and if this persists, check whether the order exists \
             before using a new key",
        )),
    }
}

async fn create(
    state: &AppState,
    actor: &Actor,
    draft: OrderDraft,
    now: DateTime<Utc>,
) -> Result<IdempotentResponse, Problem> {
    let office = &state.office;
    let id = office
        .create_order(actor, draft, now)
        .await
        .map_err(|e| Problem::from_service(&e, BODY))?;
    created(office, actor, id, now).await
}

/// The answer to a creation: the new order as the caller sees it.
async fn created(
    office: &Backoffice,
    actor: &Actor,
    id: OrderId,
    now: DateTime<Utc>,
) -> Result<IdempotentResponse, Problem> {
    let view = office.show(actor, id, now).await?;
    Ok(IdempotentResponse {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&OrderJson::of_view(&view)).unwrap_or_default(),
        location: Some(format!("/orders/{id}")),
    })
}

/// A creation's response, first given or replayed, byte for byte.
fn replay(response: &IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::CREATED);
    let mut reply = (status, response.body.clone()).into_response();
    let headers = reply.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(location) = response
        .location
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    reply
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub workflow: Option<String>,
    pub state: Option<String>,
    /// Only orders past their due date in a state where that counts.
    pub late: Option<bool>,
    /// Matches the id, title, customer or seller.
    pub search: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    /// 1 to 500; 50 when left out.
    pub limit: Option<i64>,
}

/// A keyset page of the orders the caller may see, by id.
#[utoipa::path(
    get, path = "/orders", tag = "orders",
    params(ListParams),
    responses(
        (status = 200, description = "A page of orders", body = OrderPageJson),
        (status = 400, description = "A malformed or unknown filter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<OrderPageJson>, Problem> {
    let office = &state.office;
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    if params.after.is_some_and(|after| after < 0) {
        return Err(Problem::bad_request("after must be an order id or 0"));
    }
    let now = Utc::now();
    let late = params.late.unwrap_or(false);
    let query = OrderQuery {
        workflow: params.workflow,
        state: params.state,
        due_before: late.then_some(now),
        text: params.search,
        after_id: params.after,
        limit,
        ..OrderQuery::default()
    };
    let page = office.order_page(&caller.actor, &query, late, now).await?;
    Ok(Json(OrderPageJson::from(&page)))
}

/// One order, with the transitions the caller may take now and the blocked ones. Its ETag
/// is its version, for `If-Match`.
#[utoipa::path(
    get, path = "/orders/{id}", tag = "orders",
    params(("id" = i64, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = OrderJson,
            headers(("ETag" = String, description = "The order's version in quotes"))),
        (status = 400, description = "Not an order id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Missing or not visible to the caller (one answer for both)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn show_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let view = state
        .office
        .show(&caller.actor, order_id(&id)?, Utc::now())
        .await?;
    Ok(with_etag(
        view.order.version,
        Json(OrderJson::of_view(&view)),
    ))
}

fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The body of an event: a note, when the transition needs or takes one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    pub note: Option<String>,
}

/// Applies one event to the order as the caller, through the one apply path.
#[utoipa::path(
    post, path = "/orders/{id}/events/{event}", tag = "orders",
    params(
        ("id" = i64, Path, description = "The order's id"),
        ("event" = String, Path, description = "The workflow's event, like order.accepted"),
        ("If-Match" = Option<String>, Header, description = "The version the caller saw, in quotes: \"3\""),
    ),
    request_body(content = Option<EventBody>, description = "Optional"),
    responses(
        (status = 200, description = "Applied", body = AppliedJson,
            headers(("ETag" = String, description = "The order's new version in quotes"))),
        (status = 400, description = "Unknown event, missing note, malformed input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the caller's transition", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Missing or not visible to the caller (one answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed now; `reasons` says why", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The order is no longer at the If-Match version", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A valid JSON body of the wrong shape", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Another writer held the order for over 10 s (type `urn:orderboard:problem:busy`; nothing changed, try again)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn apply_event(
    State(state): State<AppState>,
    UncheckedBearer(secret): UncheckedBearer,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<EventBody>, Problem>,
) -> Result<Response, Problem> {
    // The secret is checked by the apply path, inside its transaction; until then, any
    // problem with the request waits for the token's check.
    let input = (|| {
        let Path((id, event)) = path.map_err(|rejection| {
            Problem::bad_request(format!("the path is malformed: {}", rejection.body_text()))
        })?;
        Ok::<_, Problem>((order_id(&id)?, event, if_match(&headers)?, body?))
    })();
    let (id, event, expected, JsonBody(body)) = match input {
        Ok(input) => input,
        Err(problem) => {
            // A token that does not work is said first, as on every other route.
            state.office.authenticate(secret.expose()).await?;
            return Err(problem);
        }
    };
    let note = body.unwrap_or_default().note;
    let situation = Situation {
        from_body: false,
        if_match: expected.is_some(),
    };
    let applied = state
        .office
        .advance_by_secret(
            secret.expose(),
            id,
            &event,
            note.as_deref(),
            expected,
            Utc::now(),
        )
        .await
        .map_err(|e| Problem::from_service(&e, situation))?;
    Ok(with_etag(
        applied.version,
        Json(AppliedJson::from(&applied)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Interleave refused attempts (support and admin).
    pub attempts: Option<bool>,
}

/// The order's transitions, oldest first (commit order); with `attempts=true` (support and
/// admin) the refused attempts too.
#[utoipa::path(
    get, path = "/orders/{id}/history", tag = "orders",
    params(("id" = i64, Path, description = "The order's id"), HistoryParams),
    responses(
        (status = 200, description = "The timeline", body = Vec<TimelineJson>),
        (status = 400, description = "Not an order id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Attempts asked for by neither support nor admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Missing or not visible to the caller (one answer for both)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn order_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> Result<Json<Vec<TimelineJson>>, Problem> {
    let timeline = state
        .office
        .timeline(
            &caller.actor,
            order_id(&id)?,
            params.attempts.unwrap_or(false),
        )
        .await?;
    Ok(Json(timeline.iter().map(TimelineJson::from).collect()))
}
