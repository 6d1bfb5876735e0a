//! SCIM 2.0 under `/scim/v2` (RFC 7643, RFC 7644): identity providers (Okta, Entra ID,
//! …) provision users and command groups here.
//!
//! Handlers translate between SCIM's representation and Muster's use cases
//! (`muster_service::scim`, which goes through the same `authz` rules and audit trail as
//! the JSON API). Filters and PATCH paths are parsed by the `scim_v2` crate; the schemas in
//! `schemas/` drive attribute names, mutability and what the `Schemas` endpoint publishes.
//! Errors are SCIM error messages (RFC 7644 §3.12) with their `scimType`.

mod discovery;
mod filter;
mod groups;
mod patch;
mod query;
mod schema;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::header::{CONTENT_TYPE, ETAG, HOST, IF_MATCH, IF_NONE_MATCH, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use muster_service::{Ctx, ServiceError};
use muster_store::StoreError;
use scim_v2::models::errors::ScimType;
use serde_json::{Value, json};

use crate::AppState;
use crate::extract::resolve;

/// The media type of SCIM messages (RFC 7644 §3.1).
pub(crate) const MEDIA_TYPE: &str = "application/scim+json";

/// The SCIM routes, mounted under `/scim/v2`.
pub(crate) fn router() -> Router<AppState> {
    let routes = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .route("/Users", get(users::list).post(users::create))
        .route("/Users/.search", post(users::search))
        .route(
            "/Users/{id}",
            get(users::read)
                .put(users::replace)
                .patch(users::modify)
                .delete(users::remove),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route("/Groups/.search", post(groups::search))
        .route(
            "/Groups/{id}",
            get(groups::read)
                .put(groups::replace)
                .patch(groups::modify)
                .delete(groups::remove),
        )
        .route("/.search", post(not_implemented))
        .route("/Bulk", post(not_implemented))
        .route("/Me", get(not_implemented))
        .fallback(not_found);
    Router::new().nest("/scim/v2", routes)
}

/// A SCIM error response (RFC 7644 §3.12).
#[derive(Debug, Clone)]
pub(crate) struct ScimError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `scimType` keyword, for 400s and 409s.
    pub scim_type: Option<ScimType>,
    /// What happened.
    pub detail: String,
}

impl ScimError {
    /// An error with a `scimType`.
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with `scimType`.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [scim_v2::schema_urns::ERROR],
            "status": self.status.as_str(),
            "detail": self.detail,
        });
        if let Some(t) = &self.scim_type {
            body["scimType"] = Value::from(t.as_str());
        }
        let mut response =
            (self.status, [(CONTENT_TYPE, MEDIA_TYPE)], body.to_string()).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"muster\""),
            );
        }
        response
    }
}

impl From<ServiceError> for ScimError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Validation(errors) => {
                let on_filter = errors.errors().iter().any(|e| e.field == "filter");
                Self::bad(
                    if on_filter {
                        ScimType::InvalidFilter
                    } else {
                        ScimType::InvalidValue
                    },
                    errors.to_string(),
                )
            }
            ServiceError::Conflict { field, message } => {
                let unique = ["login", "employee_number", "name"].contains(&field.as_str());
                Self::new(
                    StatusCode::CONFLICT,
                    unique.then_some(ScimType::Uniqueness),
                    format!("{}: {message}", scim_field(&field)),
                )
            }
            ServiceError::Store(StoreError::Conflict(_)) => Self::new(
                StatusCode::CONFLICT,
                Some(ScimType::Uniqueness),
                "a concurrent change took this value; reload and try again",
            ),
            ServiceError::NotFound(what) => Self::not_found(format!("no such {what}")),
            ServiceError::Forbidden(why) | ServiceError::Escalation(why) => {
                Self::new(StatusCode::FORBIDDEN, None, why)
            }
            ServiceError::ConfirmationRequired(why) => Self::new(StatusCode::CONFLICT, None, why),
            ServiceError::Stale(what) => Self::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                format!("the {what} changed since it was read (If-Match); reload it and try again"),
            ),
            ServiceError::TooLarge { limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the request is larger than {limit} bytes"),
            ),
            other @ (ServiceError::ReadFile { .. }
            | ServiceError::WriteOutput { .. }
            | ServiceError::Store(_)
            | ServiceError::Blob(_)
            | ServiceError::Hashing(_)) => {
                tracing::error!(error = %other, cause = ?other, "SCIM request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "something went wrong on our side; the request id identifies it in the logs",
                )
            }
        }
    }
}

/// The SCIM attribute a Muster field is known as, for error messages.
fn scim_field(field: &str) -> &str {
    match field {
        "login" => "userName",
        "employee_number" => "employeeNumber",
        "name" => "displayName",
        "placements" => "placements (settings scim_provisioning)",
        other => other,
    }
}

/// The authenticated SCIM client (an API token); a multi-location change needs no
/// separate confirmation, since the identity provider is the source of the change.
pub(crate) struct ScimCaller(pub Ctx);

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (mut ctx, auth) = resolve(parts, state).await.map_err(|p| {
            ScimError::new(
                StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNAUTHORIZED),
                None,
                p.detail,
            )
        })?;
        if auth.must_change_password() {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                None,
                "the credential's user must change their password first",
            ));
        }
        muster_service::scim::require_client(&ctx).map_err(ScimError::from)?;
        ctx.confirmed = true;
        Ok(Self(ctx))
    }
}

/// The base URL of this server's SCIM endpoint, for `meta.location` and `$ref`.
pub(crate) struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            })
            .unwrap_or("localhost");
        let scheme = match parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            Some("https") => "https",
            _ => "http",
        };
        Ok(Self(format!("{scheme}://{host}/scim/v2")))
    }
}

/// The version an `If-Match` names (`W/"3"` or `"3"`); `None` when absent or `*`.
pub(crate) struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(IF_MATCH) {
            None => Ok(Self(None)),
            Some(value) => match version_of(value.to_str().unwrap_or_default()) {
                Some(v) => Ok(Self(v)),
                None => Err(ScimError::new(
                    StatusCode::PRECONDITION_FAILED,
                    None,
                    "If-Match must be an ETag this server returned, like W/\"3\"",
                )),
            },
        }
    }
}

/// The version of an `ETag` (`Some(None)` for `*`), `None` when it is none of ours.
fn version_of(tag: &str) -> Option<Option<i64>> {
    let tag = tag.trim();
    if tag == "*" {
        return Some(None);
    }
    tag.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
        .map(Some)
}

/// The weak `ETag` of a version.
pub(crate) fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Whether `If-None-Match` names `version` (a `GET` then answers 304).
pub(crate) fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                matches!(version_of(t), Some(None)) || version_of(t) == Some(Some(version))
            })
        })
}

/// A SCIM resource response: its body, status and `ETag`.
pub(crate) fn resource(status: StatusCode, body: &Value, version: Option<i64>) -> Response {
    let mut response = (status, [(CONTENT_TYPE, MEDIA_TYPE)], body.to_string()).into_response();
    if let Some(v) = version
        && let Ok(value) = HeaderValue::from_str(&etag(v))
    {
        response.headers_mut().insert(ETAG, value);
    }
    if status == StatusCode::CREATED
        && let Some(location) = body.pointer("/meta/location").and_then(Value::as_str)
        && let Ok(value) = HeaderValue::from_str(location)
    {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, value);
    }
    response
}

/// 304 for a `GET` whose `If-None-Match` is current.
pub(crate) fn unchanged(version: i64) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// Parses a SCIM request body: `application/scim+json` or `application/json`, a JSON
/// object (400 `invalidSyntax` otherwise).
pub(crate) fn body(
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<serde_json::Map<String, Value>, ScimError> {
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if mime != MEDIA_TYPE && mime != "application/json" {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send the body as application/scim+json",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "the body must be a JSON object",
        )),
        Err(e) => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

/// Checks a request's `schemas`: it must list `expected` and nothing it does not know
/// (400 `invalidSyntax`).
pub(crate) fn check_schemas(
    body: &serde_json::Map<String, Value>,
    expected: &str,
    allowed: &[&str],
) -> Result<(), ScimError> {
    let schemas = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v);
    let Some(Value::Array(schemas)) = schemas else {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("`schemas` must be an array listing {expected}"),
        ));
    };
    let mut has_expected = false;
    for s in schemas {
        let Some(s) = s.as_str() else {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                "`schemas` must list schema URNs",
            ));
        };
        if s.eq_ignore_ascii_case(expected) {
            has_expected = true;
        } else if !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                format!("unknown schema {s:?}; this endpoint takes {expected}"),
            ));
        }
    }
    if has_expected {
        Ok(())
    } else {
        Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("`schemas` must list {expected}"),
        ))
    }
}

async fn not_implemented() -> ScimError {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "not supported by this server (see /ServiceProviderConfig)",
    )
}

async fn not_found() -> ScimError {
    ScimError::not_found("there is nothing at this address")
}
