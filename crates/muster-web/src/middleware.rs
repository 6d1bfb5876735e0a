//! Middleware every request passes through, outermost first:
//! 1. a request id (the client's `X-Request-Id` if it sent a sane one, else a fresh UUID),
//!    echoed on the response (fresh ids are UUIDv7, so they sort by time in logs);
//! 2. one tracing span per request carrying that id, method and route;
//! 3. metrics: a request counter and a latency histogram per route and status.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::problem::Problem;

/// The header carrying the request id both ways.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id kept; longer or odd ones are replaced.
const MAX_CLIENT_REQUEST_ID: usize = 128;

/// Wraps `router` in the request-id, tracing and metrics layers.
pub(crate) fn wrap(router: Router) -> Router {
    router.layer(middleware::from_fn(record_metrics)).layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(sanitize_client_request_id))
            .layer(middleware::from_fn(refuse_nul_characters))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeId))
            .layer(
                TraceLayer::new_for_http().make_span_with(|request: &Request| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or_else(|| request.uri().path(), MatchedPath::as_str);
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route,
                        request_id,
                    )
                }),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

#[derive(Clone, Copy)]
struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

/// Drops a client-supplied request id that is too long or not plain printable ASCII, so
/// that logs never carry attacker-chosen control characters; a fresh one is made instead.
async fn sanitize_client_request_id(mut request: Request, next: Next) -> Response {
    let keep = request.headers().get(REQUEST_ID).is_none_or(|value| {
        value.len() <= MAX_CLIENT_REQUEST_ID
            && value
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    if !keep {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

/// Refuses a path or query string that decodes to a NUL character: PostgreSQL cannot
/// store or compare it, and no identifier or search needs it.
async fn refuse_nul_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let in_query = uri.query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k.contains('\0') || v.contains('\0'))
    });
    let in_path = uri.path().contains("%00");
    if in_query || in_path {
        return Problem::invalid_field(
            if in_query { "query" } else { "path" },
            "must not contain a NUL character",
        )
        .into_response();
    }
    next.run(request).await
}

/// Counts the request and records its latency, labelled by method, route and status.
async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// After a request that may have changed something (any method but GET, HEAD, OPTIONS,
/// and `POST /access/check`, which only asks), the cached access indexes are checked
/// against the database again: this process's own changes are in force for its next
/// request even before their change notification comes back.
pub(crate) async fn recheck_access_after_writes(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !request.method().is_safe() && !request.uri().path().ends_with("/access/check");
    let response = next.run(request).await;
    if writes {
        state.access.invalidate();
    }
    response
}
