//! Muster's HTTP face: the router every interface hangs off, and the middleware that every
//! request passes through (request ids, tracing spans, metrics).
//!
//! Handlers stay thin: they parse the request, call a use case of `muster-service` and map
//! its result to HTTP. Errors leave as RFC 9457 problem documents ([`problem`]).

mod api;
mod console;
mod extract;
mod health;
mod middleware;
pub mod problem;
mod scim;
mod upload;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use muster_service::auth::Authenticator;
use muster_store::Store;

/// Everything a request handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Renders the process's metrics for `/metrics`.
    pub metrics: PrometheusHandle,
    /// Signs users in (the bounded Argon2 pool and the rate limits).
    pub auth: Arc<Authenticator>,
    /// Whether the session cookie is marked `Secure` (the server is reached over HTTPS);
    /// it also is when a proxy says so with `X-Forwarded-Proto: https`.
    pub cookie_secure: bool,
    /// The organizations' access indexes.
    pub access: Arc<muster_service::access::AccessCache>,
    /// Where employee files and photos are kept.
    pub blobs: muster_service::blobs::Blobs,
    /// Up to how many users the user list counts exactly (it estimates above).
    pub exact_total: i64,
}

/// Builds the application: every route with its middleware.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(api::router())
        .merge(scim::router())
        .merge(console::router(state.clone()))
        .fallback(problem::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::recheck_access_after_writes,
        ));
    middleware::wrap(routes.with_state(state))
}
