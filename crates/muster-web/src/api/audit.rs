//! `/audit`, `/users/{id}/audit` and `/audit/verify`: the organization's audit trail and
//! its hash chain check.

use axum::Json;
use axum::extract::State;
use muster_domain::UserId;
use muster_domain::paging::Page;
use muster_service::audit::{self, AuditEvent, AuditQuery, Verification};
use muster_service::paging::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::problem::Problem;

const TAG: &str = "Audit";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(list_user_events))
        .routes(routes!(verify_chain))
}

/// Filters and paging of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    /// Only events by this user.
    #[param(value_type = Option<uuid::Uuid>)]
    actor_id: Option<String>,
    /// Only events about this object, or concerning this person.
    #[param(value_type = Option<uuid::Uuid>)]
    target_id: Option<String>,
    /// Only this action (`node.update`), or, ending in `.`, this family (`node.`).
    action: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    since: Option<String>,
    /// Only events before this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    until: Option<String>,
    /// Events per page, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Filters and paging of `GET /users/{id}/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct UserAuditParams {
    /// Only events by this user.
    #[param(value_type = Option<uuid::Uuid>)]
    actor_id: Option<String>,
    /// Only this action (`barcode.add`), or, ending in `.`, this family (`barcode.`).
    action: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    since: Option<String>,
    /// Only events before this instant (RFC 3339).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    until: Option<String>,
    /// Events per page, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn page(limit: Option<u32>, cursor: Option<String>) -> Result<PageRequest, Problem> {
    PageRequest::new(limit, cursor)
        .map_err(|e| Problem::from(muster_service::ServiceError::from(e)))
}

/// The organization's audit trail, newest first, filtered.
#[utoipa::path(get, path = "/audit", tag = TAG, params(AuditParams),
    responses(
        (status = 200, body = Page<AuditEvent>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_events(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Page<AuditEvent>>, Problem> {
    let page = page(params.limit, params.cursor)?;
    let query = AuditQuery {
        actor_id: params.actor_id,
        target_id: params.target_id,
        action: params.action,
        since: params.since,
        until: params.until,
    };
    Ok(Json(audit::list(&state.store, &ctx, &query, &page).await?))
}

/// The events about one user (as the object changed or the person concerned), newest
/// first. Deleted users keep their trail.
#[utoipa::path(get, path = "/users/{id}/audit", tag = TAG,
    params(("id" = uuid::Uuid, Path), UserAuditParams),
    responses(
        (status = 200, body = Page<AuditEvent>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_user_events(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiQuery(params): ApiQuery<UserAuditParams>,
) -> Result<Json<Page<AuditEvent>>, Problem> {
    let page = page(params.limit, params.cursor)?;
    let query = AuditQuery {
        actor_id: params.actor_id,
        target_id: None,
        action: params.action,
        since: params.since,
        until: params.until,
    };
    Ok(Json(
        audit::list_for_user(&state.store, &ctx, user, &query, &page).await?,
    ))
}

/// Recompute the organization's hash chain and report the first event that does not fit.
#[utoipa::path(post, path = "/audit/verify", tag = TAG,
    responses(
        (status = 200, body = Verification),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
async fn verify_chain(
    Caller(ctx): Caller,
    State(state): State<AppState>,
) -> Result<Json<Verification>, Problem> {
    Ok(Json(audit::verify_for(&state.store, &ctx).await?))
}
