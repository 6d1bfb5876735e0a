//! RFC 9457 problem documents: the one shape every JSON error of Muster has.
//!
//! `type` is a URI under `https://muster.dev/problems/` naming the kind of problem, so that
//! clients can branch on it (`multi-location-confirmation-required`, …); `title` is its
//! constant summary and `detail` says what happened this time.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Base of every problem type URI.
pub const TYPE_BASE: &str = "https://muster.dev/problems/";

/// A problem document.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// URI identifying the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, constant summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened this time.
    pub detail: String,
}

impl Problem {
    /// A problem of kind `slug` (appended to [`TYPE_BASE`]).
    #[must_use]
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Json(self),
        )
            .into_response()
    }
}

/// The answer for any path Muster does not serve.
pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "there is nothing at this address",
    )
}
