//! The staff directory: `GET /directory`, what the caller's directory access lets them
//! see.

use axum::Json;
use axum::extract::State;
use muster_domain::paging::Page;
use muster_service::directory::{self, DirectoryEntry};
use muster_service::paging::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiQuery, Caller};
use crate::problem::Problem;

const TAG: &str = "Directory";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// `?q=&limit=&cursor=` of the directory.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DirectoryParams {
    /// Case-insensitive substring of a name, login, email, employee number, or the
    /// default placement's role or node name.
    q: Option<String>,
    /// Items per page, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The active colleagues the caller's directory access shows (none, everyone, those
/// sharing a location, or their part of the command hierarchy), by name; private phone
/// numbers never appear.
#[utoipa::path(get, path = "/directory", tag = TAG, params(DirectoryParams),
    responses(
        (status = 200, body = Page<DirectoryEntry>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DirectoryParams>,
) -> Result<Json<Page<DirectoryEntry>>, Problem> {
    let page = PageRequest::new(params.limit, params.cursor)
        .map_err(|e| Problem::from(muster_service::ServiceError::from(e)))?;
    Ok(Json(
        directory::list(&state.store, &ctx, params.q, &page).await?,
    ))
}
