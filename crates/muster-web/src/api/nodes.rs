//! `/nodes`: the organization tree.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::NodeId;
use muster_domain::nodes::{NewNode, Node, NodePatch};
use muster_domain::paging::Page;
use muster_service::nodes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Organization structure";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_nodes, create_node))
        .routes(routes!(get_node, update_node, delete_node))
}

/// List the organization's nodes, by name.
#[utoipa::path(get, path = "/nodes", tag = TAG, params(ListParams),
    responses(
        (status = 200, body = Page<Node>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_nodes(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Node>>, Problem> {
    Ok(Json(
        nodes::list(&state.store, &ctx, &params.page()?).await?,
    ))
}

/// Create a node under an existing one.
#[utoipa::path(post, path = "/nodes", tag = TAG, request_body = NewNode,
    responses(
        (status = 201, body = Node, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_node(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewNode>,
) -> Result<(StatusCode, Tagged<Json<Node>>), Problem> {
    let node = nodes::create(&state.store, &ctx, body).await?;
    Ok((StatusCode::CREATED, Tagged(node.version, Json(node))))
}

/// Read one node.
#[utoipa::path(get, path = "/nodes/{id}", tag = TAG, params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Node, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_node(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<NodeId>,
) -> Result<Tagged<Json<Node>>, Problem> {
    let node = nodes::get(&state.store, &ctx, id).await?;
    Ok(Tagged(node.version, Json(node)))
}

/// Rename, move (never under its own descendant), re-kind or re-address a node.
#[utoipa::path(patch, path = "/nodes/{id}", tag = TAG, request_body = NodePatch,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Node, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_node(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<NodeId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<NodePatch>,
) -> Result<Tagged<Json<Node>>, Problem> {
    let node = nodes::update(&state.store, &ctx, id, version, body).await?;
    Ok(Tagged(node.version, Json(node)))
}

/// Delete a node (refused while it has children or placed users).
#[utoipa::path(delete, path = "/nodes/{id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_node(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<NodeId>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    nodes::delete(&state.store, &ctx, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
