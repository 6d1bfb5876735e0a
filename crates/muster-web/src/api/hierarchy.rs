//! `/command-groups`: the command hierarchy and the privileges on personnel records
//! attached to its groups.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::CommandGroupId;
use muster_domain::hierarchy::{CommandGroup, CommandGroupPatch, NewCommandGroup};
use muster_domain::paging::Page;
use muster_service::hierarchy;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Command hierarchy";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
}

/// List the organization's command groups, by name.
#[utoipa::path(get, path = "/command-groups", tag = TAG, params(ListParams),
    responses(
        (status = 200, body = Page<CommandGroup>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_groups(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<CommandGroup>>, Problem> {
    Ok(Json(
        hierarchy::list(&state.store, &ctx, &params.page()?).await?,
    ))
}

/// Create a command group under a parent group, or a root group (`parent_id` null).
/// Refused privileges (`peers` × `edit`, `edit` on `audit_log` or `related_reports`, a
/// scope and section given twice) are 422 naming `privileges[i]`.
#[utoipa::path(post, path = "/command-groups", tag = TAG, request_body = NewCommandGroup,
    responses(
        (status = 201, body = CommandGroup, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_group(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewCommandGroup>,
) -> Result<(StatusCode, Tagged<Json<CommandGroup>>), Problem> {
    let group = hierarchy::create(&state.store, &ctx, body).await?;
    Ok((StatusCode::CREATED, Tagged(group.version, Json(group))))
}

/// Read one command group.
#[utoipa::path(get, path = "/command-groups/{id}", tag = TAG, params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = CommandGroup, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_group(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CommandGroupId>,
) -> Result<Tagged<Json<CommandGroup>>, Problem> {
    let group = hierarchy::get(&state.store, &ctx, id).await?;
    Ok(Tagged(group.version, Json(group)))
}

/// Rename a command group, move it (never under itself or a descendant: 409 on
/// `parent_id`) or replace its privileges.
#[utoipa::path(patch, path = "/command-groups/{id}", tag = TAG, request_body = CommandGroupPatch,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = CommandGroup, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_group(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CommandGroupId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<CommandGroupPatch>,
) -> Result<Tagged<Json<CommandGroup>>, Problem> {
    let group = hierarchy::update(&state.store, &ctx, id, version, body).await?;
    Ok(Tagged(group.version, Json(group)))
}

/// Delete a command group (refused while it has child groups or members).
#[utoipa::path(delete, path = "/command-groups/{id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_group(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CommandGroupId>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    hierarchy::delete(&state.store, &ctx, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
