//! `POST /desk`: the terminal UI's calls on the service, for a TUI working through this
//! server (`orderboard --server`). Each call runs the same `dispatch` as a TUI on the
//! database, as the caller as they stand now, so rights are checked at the moment of acting.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::extract::{Caller, JsonBody};
use super::problem::Problem;
use crate::service::{Call, Reply, dispatch};

/// One call of the board.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskRequest {
    /// For an admin: the user to see the board as (read-only; checked on every call).
    pub view_as: Option<String>,
    /// The call: `{"call": "board", …}`, `{"call": "show", "order_id": 7}`, … (see `Call`
    /// in the source: board, list, list_with_ledger, counts, match_counts, snapshot, show,
    /// timeline, older_feed, attention, standing, explore_history, users, view_as,
    /// advance, retry_effect, resolve_effect, bulk, bulk_as_previewed, workflows).
    #[schema(value_type = Object)]
    pub call: Call,
}

/// One call of the terminal UI, answered as `{"reply": KIND, "value": …}`.
#[utoipa::path(
    post, path = "/desk", tag = "desk",
    request_body = DeskRequest,
    responses(
        (status = 200, description = "The call's answer", body = Object),
        (status = 400, description = "A call out of bounds", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not permitted to this user", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not visible", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed now, or moved by someone else first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body that is not a call", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn call(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<DeskRequest>,
) -> Result<Json<Reply>, Problem> {
    let request =
        request.ok_or_else(|| Problem::bad_request("the body must be a call: {\"call\": …}"))?;
    let actor = caller
        .viewing_as(&state.office, request.view_as.as_deref())
        .await?;
    Ok(Json(dispatch(&state.office, &actor, request.call).await?))
}
