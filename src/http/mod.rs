//! The HTTP API of `orderboard serve` (`shared/spec/http.md`): JSON over HTTP/1.1 on the
//! `Backoffice` service, never the store, so every read is filtered by what the token's user
//! may see and every change goes through the one apply path.
//!
//! Each concern registers its routes in `api` with `routes!`, which records each handler in
//! the router and in the OpenAPI document at once: the document cannot leave a route out.
//! Errors are problems (`problem.rs`), mapped from the service's one classification.

mod desk;
mod effects;
mod extract;
mod feed;
mod openapi;
mod orders;
mod problem;
mod server;
mod sessions;
mod streams;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use problem::{BUSY, NOT_ALLOWED_NOW, PROBLEM_JSON, Problem};

use crate::service::Backoffice;

/// How long a request may take to arrive in full and be answered (408 after).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Larger request bodies are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler reaches: the service, this API's document, and the signal that the
/// server is closing (open event streams end on it, so a graceful shutdown finishes).
#[derive(Clone)]
pub struct AppState {
    office: Backoffice,
    openapi: Arc<String>,
    closing: watch::Receiver<bool>,
    /// Open event streams, bounded in all and per user.
    streams: Arc<streams::StreamSlots>,
    /// Keeps `closing` open for a router that is never shut down (tests, `router`).
    _closer: Arc<watch::Sender<bool>>,
}

/// Every route, each concern's with its own `routes!` (add a concern with another line).
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(openapi::healthz))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::show_order))
        .routes(routes!(orders::apply_event))
        .routes(routes!(orders::order_history))
        .routes(routes!(feed::list_events))
        .routes(routes!(feed::stream_events))
        .routes(routes!(effects::list_effects))
        .routes(routes!(effects::retry_effect))
        .routes(routes!(effects::resolve_effect))
        .routes(routes!(sessions::open_session, sessions::list_sessions))
        .routes(routes!(sessions::close_session))
        .routes(routes!(sessions::end_session))
        .routes(routes!(desk::call))
}

/// The OpenAPI 3.1 document of every route `router` serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The API on a service, with its limits, tracing and problem answers.
pub fn router(office: Backoffice) -> Router {
    let (closer, closing) = watch::channel(false);
    app(office, closing, Arc::new(closer))
}

fn app(
    office: Backoffice,
    closing: watch::Receiver<bool>,
    closer: Arc<watch::Sender<bool>>,
) -> Router {
    let (routes, document) = api().split_for_parts();
    let state = AppState {
        office,
        openapi: Arc::new(document.to_json().unwrap_or_default()),
        closing,
        streams: Arc::new(streams::StreamSlots::default()),
        _closer: closer,
    };
    routes
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // A request's body must arrive, and its answer start, within this: a client that
        // trickles a body cannot hold a handler. (Event streams answer at once, then stream.)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(problem::normalise))
        .layer(TraceLayer::new_for_http())
}

pub use server::{Limits, SHUTDOWN_GRACE, serve, serve_tls, serve_with};
pub use tls::server_config;
