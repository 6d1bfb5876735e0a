//! The JSON API under `/api/v1`, with its OpenAPI 3.1 document generated from the handlers
//! (`GET /api/v1/openapi.json`).
//!
//! Each module holds the handlers of one part of the contract in `shared/API.md`. Handlers
//! only translate: extract the caller and the input, call one `muster-service` function,
//! wrap the result (with its `ETag`) or turn the error into a problem document.

mod access;
mod audit;
pub(crate) mod auth;
mod directory;
mod files;
mod hierarchy;
mod modules;
mod nodes;
mod outbox;
mod people;
mod records;
mod reference;
mod roles;
mod settings;
mod tokens;
mod user_bulk;
mod users;

use axum::Json;
use axum::Router;
use axum::routing::get;
use muster_service::paging::PageRequest;
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Muster API",
        description = "Personnel and access administration. Errors are RFC 9457 problem documents; \
                       updates take `If-Match` with the `ETag` of the last read; lists page by cursor.",
    ),
    servers((url = "/api/v1", description = "This server's API root")),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    // The user list's `sort` and `order` parameters refer to these; parameters do not
    // register the schemas they use, so they are listed here.
    components(schemas(Problem, muster_domain::user::UserSort, muster_domain::user::SortOrder)),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The API routes, mounted under `/api/v1`, and the OpenAPI document describing them.
pub(crate) fn router() -> Router<AppState> {
    let (routes, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(nodes::routes())
        .merge(access::routes())
        .merge(reference::routes())
        .merge(roles::routes())
        .merge(modules::routes())
        .merge(settings::routes())
        .merge(hierarchy::routes())
        .merge(user_bulk::routes())
        .merge(users::routes())
        .merge(people::routes())
        .merge(records::routes())
        .merge(files::routes())
        .merge(audit::routes())
        .merge(outbox::routes())
        .merge(auth::routes())
        .merge(tokens::routes())
        .merge(directory::routes())
        .split_for_parts();
    let document = Json(openapi);
    Router::new().nest(
        "/api/v1",
        routes.route(
            "/openapi.json",
            get(move || async move { document.clone() }),
        ),
    )
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Items per page, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl ListParams {
    /// The validated page request.
    pub(crate) fn page(self) -> Result<PageRequest, Problem> {
        PageRequest::new(self.limit, self.cursor)
            .map_err(|e| Problem::from(muster_service::ServiceError::from(e)))
    }
}
