//! RFC 9457 problem documents: the one shape every JSON error of Muster has.
//!
//! `type` is a URI under `https://muster.dev/problems/` naming the kind of problem, so that
//! clients can branch on it (`multi-location-confirmation-required`, …); `title` is its
//! constant summary and `detail` says what happened this time.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use muster_domain::FieldError;
use muster_service::ServiceError;
use muster_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Base of every problem type URI.
pub const TYPE_BASE: &str = "https://muster.dev/problems/";

/// A problem document (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// For validation problems: every invalid field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorDoc>)]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(ToSchema)]
#[allow(dead_code)] // Only describes `FieldError` in the OpenAPI document.
pub struct FieldErrorDoc {
    /// The field, as the API names it (`placements[0].node_id`).
    field: String,
    /// What is wrong with it.
    message: String,
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
            errors: Vec::new(),
        }
    }

    /// Attaches field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// 400: the request cannot be read at all.
    #[must_use]
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 401: no valid credentials.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Not signed in",
            "send a valid token as `Authorization: Bearer <token>`",
        )
    }

    /// 413: an upload larger than `limit` bytes; nothing was stored.
    #[must_use]
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Too large",
            format!("the upload is larger than the {limit} bytes allowed; nothing was stored"),
        )
    }

    /// 422 with one field error.
    #[must_use]
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Invalid input",
            error.to_string(),
        )
        .with_errors(vec![error])
    }
}

impl From<ServiceError> for Problem {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Validation(errors) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Invalid input",
                errors.to_string(),
            )
            .with_errors(errors.errors().to_vec()),
            ServiceError::Conflict { field, message } => {
                let error = FieldError::new(field, message);
                Self::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "Conflict",
                    error.to_string(),
                )
                .with_errors(vec![error])
            }
            ServiceError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("no such {what}"),
            ),
            ServiceError::Forbidden(why) | ServiceError::Escalation(why) => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", why)
            }
            ServiceError::ConfirmationRequired(why) => Self::new(
                StatusCode::CONFLICT,
                "multi-location-confirmation-required",
                "Confirmation required",
                format!("{why}: repeat it with confirm=true to go ahead"),
            ),
            ServiceError::Stale(what) => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-etag",
                "Changed by someone else",
                format!("the {what} changed since it was read; reload it and try again"),
            ),
            ServiceError::Store(StoreError::Conflict(constraint)) => {
                // A uniqueness rule the use case's own checks did not see coming: a
                // concurrent request took the name (or the same row) first.
                tracing::info!(%constraint, "write refused by a uniqueness rule");
                let error = FieldError::new(
                    conflict_field(&constraint),
                    "was taken by a concurrent change; reload and try again",
                );
                Self::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "Conflict",
                    error.to_string(),
                )
                .with_errors(vec![error])
            }
            ServiceError::TooLarge { limit } => Self::too_large(limit),
            ServiceError::ReadFile { .. }
            | ServiceError::WriteOutput { .. }
            | ServiceError::Store(_)
            | ServiceError::Blob(_)
            | ServiceError::Hashing(_) => {
                // The cause goes to the log (inside the request's span, with its id); the
                // client learns nothing about internals.
                tracing::error!(error = %error, cause = ?error, "request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; the request id identifies it in the logs",
                )
            }
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

/// The request field a violated uniqueness rule (constraint or index name, or SQLite's
/// "UNIQUE constraint failed: table.column" message) is about.
fn conflict_field(constraint: &str) -> &'static str {
    const FIELDS: [(&str, &str); 8] = [
        ("login", "login"),
        ("employee_number", "employee_number"),
        ("barcode", "code"),
        ("placements", "placements"),
        ("modules", "key"),
        ("slug", "org_name"),
        ("name", "name"),
        ("key", "key"),
    ];
    FIELDS
        .iter()
        .find(|(needle, _)| constraint.contains(needle))
        .map_or("id", |(_, field)| field)
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
