//! `/reference/{list}`: the organization's reference lists (ranks, titles, units,
//! specialties, separation statuses, assignment types) and its node kinds.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::paging::Page;
use muster_domain::reference::{
    NewReferenceItem, ReferenceItem, ReferenceItemPatch, ReferenceList,
};
use muster_service::{ServiceError, reference};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Organization structure";

/// The `{list}` path parameter. (Spelled out here: the wire names of `ReferenceList` do not
/// reach its generated schema.)
const LIST_DOC: &str = "Which list: `ranks`, `titles`, `units`, `specialties`, \
                        `separation_statuses`, `assignment_types` or `node_kinds`; any other \
                        name is a 404";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, update_item, delete_item))
}

/// The list a path names; a list that does not exist is a 404.
fn list_named(name: &str) -> Result<ReferenceList, Problem> {
    ReferenceList::from_path(name).ok_or_else(|| ServiceError::NotFound("reference list").into())
}

/// List the entries of a reference list, by position then name.
#[utoipa::path(get, path = "/reference/{list}", tag = TAG,
    params(("list" = String, Path, description = LIST_DOC), ListParams),
    responses(
        (status = 200, body = Page<ReferenceItem>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_items(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<ReferenceItem>>, Problem> {
    let list = list_named(&list)?;
    Ok(Json(
        reference::list(&state.store, &ctx, list, &params.page()?).await?,
    ))
}

/// Add an entry to a reference list (after the last one unless `position` is given).
#[utoipa::path(post, path = "/reference/{list}", tag = TAG, request_body = NewReferenceItem,
    params(("list" = String, Path, description = LIST_DOC)),
    responses(
        (status = 201, body = ReferenceItem, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_item(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    ApiJson(body): ApiJson<NewReferenceItem>,
) -> Result<(StatusCode, Tagged<Json<ReferenceItem>>), Problem> {
    let list = list_named(&list)?;
    let item = reference::create(&state.store, &ctx, list, body).await?;
    Ok((StatusCode::CREATED, Tagged(item.version, Json(item))))
}

/// Read one entry of a reference list.
#[utoipa::path(get, path = "/reference/{list}/{id}", tag = TAG,
    params(("list" = String, Path, description = LIST_DOC), ("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = ReferenceItem, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_item(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((list, id)): ApiPath<(String, Uuid)>,
) -> Result<Tagged<Json<ReferenceItem>>, Problem> {
    let list = list_named(&list)?;
    let item = reference::get(&state.store, &ctx, list, id).await?;
    Ok(Tagged(item.version, Json(item)))
}

/// Rename an entry or move it within its list (renaming a node kind renames it on every
/// node of that kind).
#[utoipa::path(patch, path = "/reference/{list}/{id}", tag = TAG, request_body = ReferenceItemPatch,
    params(("list" = String, Path, description = LIST_DOC), ("id" = uuid::Uuid, Path),
           ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = ReferenceItem, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_item(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((list, id)): ApiPath<(String, Uuid)>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<ReferenceItemPatch>,
) -> Result<Tagged<Json<ReferenceItem>>, Problem> {
    let list = list_named(&list)?;
    let item = reference::update(&state.store, &ctx, list, id, version, body).await?;
    Ok(Tagged(item.version, Json(item)))
}

/// Delete an entry (refused while users or nodes still have it, and for the root's node
/// kind).
#[utoipa::path(delete, path = "/reference/{list}/{id}", tag = TAG,
    params(("list" = String, Path, description = LIST_DOC), ("id" = uuid::Uuid, Path),
           ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_item(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((list, id)): ApiPath<(String, Uuid)>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    let list = list_named(&list)?;
    reference::delete(&state.store, &ctx, list, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
