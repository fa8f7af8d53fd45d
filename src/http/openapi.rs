//! The service's own routes: the health check and the OpenAPI document, which is generated
//! from the handlers' annotations as the router is built (never written by hand).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::AppState;
use super::problem::Problem;

/// The document's fixed parts; `super::api` adds every route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "orderboard",
        description = "Orders and their workflows: read what the token's user may see, move orders through the one apply path, follow the feed. Errors are RFC 9457 problems.",
        license(name = "MIT", identifier = "MIT")
    ),
    modifiers(&BearerToken),
    tags(
        (name = "orders", description = "Orders, their transitions and history"),
        (name = "events", description = "The live feed"),
        (name = "effects", description = "Effect deliveries: support retries or resolves the failed ones"),
        (name = "sessions", description = "Sign in with name and password for a session token; admins end sessions"),
        (name = "service", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// `Authorization: Bearer <token>`: an API token from `orderboard token add`, or a session's
/// from `POST /sessions`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `reachable`.
    pub database: String,
}

/// Whether the service and its database answer. Needs no token.
#[utoipa::path(
    get, path = "/healthz", tag = "service",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, Problem> {
    if state.office.database_reachable().await {
        Ok(Json(Health {
            status: "ok".into(),
            database: "reachable".into(),
        }))
    } else {
        Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer",
        ))
    }
}

/// This document: OpenAPI 3.1, every route the router serves. Needs no token.
#[utoipa::path(
    get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    let mut response = state.openapi.as_ref().clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
