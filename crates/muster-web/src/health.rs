//! Liveness, readiness and metrics endpoints for load balancers and monitoring.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::problem::Problem;

#[derive(Serialize)]
pub(crate) struct Health {
    status: &'static str,
}

/// `GET /healthz`: the process is up and serving requests.
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize)]
pub(crate) struct Ready {
    status: &'static str,
    database: &'static str,
    schema_version: Option<i64>,
}

/// `GET /readyz`: the database answers and the schema is migrated; 503 otherwise.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let unavailable = |detail: String| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            detail,
        )
        .into_response()
    };
    if let Err(error) = state.store.ping().await {
        tracing::warn!(%error, "readiness check failed");
        return unavailable("the database does not answer".into());
    }
    match state.store.schema_version().await {
        Ok(Some(version)) => Json(Ready {
            status: "ready",
            database: state.store.backend().as_str(),
            schema_version: Some(version),
        })
        .into_response(),
        Ok(None) => unavailable("the database schema is not migrated".into()),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            unavailable("the database schema cannot be read".into())
        }
    }
}

/// `GET /metrics`: Prometheus text exposition of request counts and latencies.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
