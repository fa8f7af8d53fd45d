//! `/effects`: the outbox for support and admin: effects by status and order, and a hand
//! retry or resolution of a failed or unrouted one (recorded with who and why).

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{ApiQuery, Caller, JsonBody, order_id, positive_id};
use super::problem::Problem;
use crate::service::MAX_EFFECT_PAGE;
use crate::shapes::EffectJson;
use crate::store::{EffectQuery, EffectStatus};

/// Effects a page holds unless asked.
const DEFAULT_PAGE: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EffectParams {
    /// pending, delivering, delivered, failed, unrouted or resolved.
    pub status: Option<String>,
    /// Only this order's effects.
    pub order: Option<String>,
    /// Keyset paging: effects after this id.
    pub after: Option<i64>,
    /// At most this many (1 to 1000, default 100).
    pub limit: Option<i64>,
}

/// A hand retry's optional note, or a resolution's required one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleBody {
    pub note: Option<String>,
}

/// Effects by status and order, oldest first (support and admin).
#[utoipa::path(
    get, path = "/effects", tag = "effects",
    params(EffectParams),
    responses(
        (status = 200, description = "A page of effects", body = Vec<EffectJson>),
        (status = 400, description = "A malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither support nor admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_effects(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<EffectParams>,
) -> Result<Json<Vec<EffectJson>>, Problem> {
    let status = params
        .status
        .as_deref()
        .map(|text| {
            EffectStatus::parse(text).ok_or_else(|| {
                Problem::bad_request(
                    "status must be one of pending, delivering, delivered, failed, unrouted, resolved",
                )
            })
        })
        .transpose()?;
    let order = params.order.as_deref().map(order_id).transpose()?;
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_EFFECT_PAGE).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be from 1 to {MAX_EFFECT_PAGE}"
        )));
    }
    let query = EffectQuery {
        status,
        order_id: order,
        after_id: params.after,
        limit,
    };
    let effects = state.office.effects(&caller.actor, &query).await?;
    Ok(Json(effects.iter().map(EffectJson::from).collect()))
}

/// Sends a failed or unrouted effect out again: a fresh series of attempts, due now.
#[utoipa::path(
    post, path = "/effects/{id}/retry", tag = "effects",
    params(("id" = i64, Path, description = "The effect's id")),
    request_body(content = Option<SettleBody>, description = "An optional note"),
    responses(
        (status = 200, description = "The effect, pending again", body = EffectJson),
        (status = 400, description = "Not an effect id, or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither support nor admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such effect", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The effect is not failed or unrouted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn retry_effect(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SettleBody>,
) -> Result<Json<EffectJson>, Problem> {
    let note = body.unwrap_or_default().note;
    let effect = state
        .office
        .retry_effect(&caller.actor, effect_id(&id)?, note.as_deref(), Utc::now())
        .await?;
    Ok(Json(EffectJson::from(&effect)))
}

/// Closes a failed or unrouted effect by hand; the note says why.
#[utoipa::path(
    post, path = "/effects/{id}/resolve", tag = "effects",
    params(("id" = i64, Path, description = "The effect's id")),
    request_body(content = SettleBody, description = "The note saying why (required)"),
    responses(
        (status = 200, description = "The effect, resolved", body = EffectJson),
        (status = 400, description = "Not an effect id, no note, or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither support nor admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such effect", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The effect is not failed or unrouted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn resolve_effect(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SettleBody>,
) -> Result<Json<EffectJson>, Problem> {
    let note = body
        .and_then(|b| b.note)
        .ok_or_else(|| Problem::bad_request("resolving an effect needs a JSON body with a note"))?;
    let effect = state
        .office
        .resolve_effect(&caller.actor, effect_id(&id)?, &note, Utc::now())
        .await?;
    Ok(Json(EffectJson::from(&effect)))
}

fn effect_id(text: &str) -> Result<i64, Problem> {
    positive_id(text, "an effect id")
}
