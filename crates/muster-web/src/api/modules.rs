//! `/modules`: the modules of the organization's applications, their levels and items.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::modules::{Module, ModulePatch, NewModule};
use muster_domain::paging::Page;
use muster_service::modules;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Organization structure";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_modules, create_module))
        .routes(routes!(get_module, update_module))
}

/// List the organization's modules, by name.
#[utoipa::path(get, path = "/modules", tag = TAG, params(ListParams),
    responses(
        (status = 200, body = Page<Module>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_modules(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Module>>, Problem> {
    Ok(Json(
        modules::list(&state.store, &ctx, &params.page()?).await?,
    ))
}

/// Create a module (levels default to `none, view, edit`).
#[utoipa::path(post, path = "/modules", tag = TAG, request_body = NewModule,
    responses(
        (status = 201, body = Module, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_module(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewModule>,
) -> Result<(StatusCode, Tagged<Json<Module>>), Problem> {
    let module = modules::create(&state.store, &ctx, body).await?;
    Ok((StatusCode::CREATED, Tagged(module.version, Json(module))))
}

/// Read one module.
#[utoipa::path(get, path = "/modules/{key}", tag = TAG, params(("key" = String, Path)),
    responses(
        (status = 200, body = Module, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_module(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> Result<Tagged<Json<Module>>, Problem> {
    let module = modules::get(&state.store, &ctx, &key).await?;
    Ok(Tagged(module.version, Json(module)))
}

/// Rename a module or change its levels, items or item requirement (a level or item a
/// role grants cannot be removed: 409).
#[utoipa::path(patch, path = "/modules/{key}", tag = TAG, request_body = ModulePatch,
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Module, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_module(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<ModulePatch>,
) -> Result<Tagged<Json<Module>>, Problem> {
    let module = modules::update(&state.store, &ctx, &key, version, body).await?;
    Ok(Tagged(module.version, Json(module)))
}
