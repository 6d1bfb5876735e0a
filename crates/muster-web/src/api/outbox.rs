//! `/outbox`: the organization's local mailbox — the notifications Muster queued (and,
//! once delivered, sent). With no SMTP server configured, messages stay queued and are read
//! here.

use axum::Json;
use axum::extract::State;
use muster_domain::paging::Page;
use muster_service::outbox::{self, MessageStatus, OutboxMessage, OutboxQuery};
use muster_service::paging::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiQuery, Caller};
use crate::problem::Problem;

const TAG: &str = "Outbox";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_messages))
}

/// Filters and paging of `GET /outbox`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct OutboxParams {
    /// Only messages in this status.
    #[param(value_type = Option<MessageStatus>)]
    status: Option<String>,
    /// Only messages for this user.
    #[param(value_type = Option<uuid::Uuid>)]
    user_id: Option<String>,
    /// Messages per page, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The organization's messages (queued, sent or failed), newest first.
#[utoipa::path(get, path = "/outbox", tag = TAG, params(OutboxParams),
    responses(
        (status = 200, body = Page<OutboxMessage>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_messages(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<OutboxParams>,
) -> Result<Json<Page<OutboxMessage>>, Problem> {
    let page = PageRequest::new(params.limit, params.cursor)
        .map_err(|e| Problem::from(muster_service::ServiceError::from(e)))?;
    let query = OutboxQuery {
        status: params.status,
        user_id: params.user_id,
    };
    Ok(Json(outbox::list(&state.store, &ctx, &page, &query).await?))
}
