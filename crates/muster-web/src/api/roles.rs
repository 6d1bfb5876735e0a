//! `/roles`: org-defined sets of permissions (capabilities and module grants), with
//! presets and "enable all".

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::RoleId;
use muster_domain::paging::Page;
use muster_domain::roles::{NewRole, Role, RolePatch};
use muster_service::roles;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Organization structure";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(enable_all))
}

/// List the organization's roles, by name.
#[utoipa::path(get, path = "/roles", tag = TAG, params(ListParams),
    responses(
        (status = 200, body = Page<Role>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_roles(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Role>>, Problem> {
    Ok(Json(
        roles::list(&state.store, &ctx, &params.page()?).await?,
    ))
}

/// Create a role. With a preset (`view_only`, `edit_view`, `admin`) and no `modules`, the
/// preset computes the module grants.
#[utoipa::path(post, path = "/roles", tag = TAG, request_body = NewRole,
    responses(
        (status = 201, body = Role, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_role(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewRole>,
) -> Result<(StatusCode, Tagged<Json<Role>>), Problem> {
    let role = roles::create(&state.store, &ctx, body).await?;
    Ok((StatusCode::CREATED, Tagged(role.version, Json(role))))
}

/// Read one role.
#[utoipa::path(get, path = "/roles/{id}", tag = TAG, params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Role, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_role(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
) -> Result<Tagged<Json<Role>>, Problem> {
    let role = roles::get(&state.store, &ctx, id).await?;
    Ok(Tagged(role.version, Json(role)))
}

/// Change a role's name, node kinds, capabilities, module grants or preset. A node kind
/// where users hold the role cannot be removed (409 on `assignable_at`).
#[utoipa::path(patch, path = "/roles/{id}", tag = TAG, request_body = RolePatch,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Role, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_role(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<RolePatch>,
) -> Result<Tagged<Json<Role>>, Problem> {
    let role = roles::update(&state.store, &ctx, id, version, body).await?;
    Ok(Tagged(role.version, Json(role)))
}

/// Delete a role (refused while any placement gives it).
#[utoipa::path(delete, path = "/roles/{id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_role(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    roles::delete(&state.store, &ctx, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Enable all": map-like modules (levels exactly `none, view`) at `view`, modules with a
/// `super_admin` level (settings) at their top, every other module at `edit` where it has
/// that level, else at its top, all items; the role's preset becomes `custom`.
#[utoipa::path(post, path = "/roles/{id}/enable-all", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Role, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn enable_all(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
    IfMatch(version): IfMatch,
) -> Result<Tagged<Json<Role>>, Problem> {
    let role = roles::enable_all(&state.store, &ctx, id, version).await?;
    Ok(Tagged(role.version, Json(role)))
}
