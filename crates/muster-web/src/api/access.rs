//! Access decisions: `POST /access/check` for the organization's other applications,
//! a user's effective permissions, and who can see or change a person's record.

use axum::Json;
use axum::extract::State;
use muster_domain::UserId;
use muster_service::access::{
    self, CheckRequest, CheckResponse, EffectivePermissions, RecordAccess,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::problem::Problem;

const TAG: &str = "Access decisions";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check))
        .routes(routes!(effective_permissions))
        .routes(routes!(record_access))
}

/// May this user do that? The decision and the grant behind it (role @ node, or command
/// group privilege with scope and relation), or what is missing.
#[utoipa::path(post, path = "/access/check", tag = TAG, request_body = CheckRequest,
    responses(
        (status = 200, body = CheckResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn check(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CheckRequest>,
) -> Result<Json<CheckResponse>, Problem> {
    Ok(Json(
        access::check(&state.store, &state.access, &ctx, &body).await?,
    ))
}

/// What a user may do at their default location: every capability with its grant or
/// what is missing, the highest level of each module, their command group's privileges.
#[utoipa::path(get, path = "/users/{id}/effective-permissions", tag = TAG,
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = EffectivePermissions),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn effective_permissions(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<EffectivePermissions>, Problem> {
    Ok(Json(
        access::effective_permissions(&state.store, &state.access, &ctx, id).await?,
    ))
}

/// Who can view or edit each section of this person's record, and who administers them,
/// each with the grant.
#[utoipa::path(get, path = "/users/{id}/access", tag = TAG,
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = RecordAccess),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn record_access(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<RecordAccess>, Problem> {
    Ok(Json(
        access::record_access(&state.store, &state.access, &ctx, id).await?,
    ))
}
