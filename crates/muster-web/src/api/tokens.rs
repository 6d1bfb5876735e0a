//! `/tokens`: API tokens — list, create (the secret is shown once), revoke.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::TokenId;
use muster_domain::auth::{ApiToken, CreatedApiToken, NewApiToken};
use muster_domain::paging::Page;
use muster_service::tokens;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use super::auth::AuthFailure;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, Caller};
use crate::problem::Problem;

const TAG: &str = "Audit, tokens, outbox";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// List the organization's API tokens, newest first (revoked ones included). Secrets are
/// never shown again.
#[utoipa::path(get, path = "/tokens", tag = TAG, params(ListParams),
    responses(
        (status = 200, body = Page<ApiToken>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_tokens(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<ApiToken>>, Problem> {
    let page = params.page()?;
    Ok(Json(tokens::list(&state.store, &ctx, &page).await?))
}

/// Create an API token acting as the caller, limited to the capabilities given — never
/// more than the caller holds. The secret is in this answer only; it is stored hashed.
/// Signed-in users may create tokens, and callers whose token carries `tokens.manage`.
#[utoipa::path(post, path = "/tokens", tag = TAG, request_body = NewApiToken,
    responses(
        (status = 201, body = CreatedApiToken),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "the calling token lacks `tokens.manage`",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a capability the caller does not hold, or a bad name",
            body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_token(
    Authed(ctx, auth): Authed,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewApiToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), AuthFailure> {
    let created = tokens::create(&state.store, &ctx, &auth, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke an API token: it is refused from now on.
#[utoipa::path(delete, path = "/tokens/{id}", tag = TAG, params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "the calling token lacks `tokens.manage`",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn revoke_token(
    Authed(ctx, auth): Authed,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TokenId>,
) -> Result<StatusCode, AuthFailure> {
    tokens::revoke(&state.store, &ctx, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
