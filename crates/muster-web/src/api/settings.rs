//! `/settings`: the organization's settings.

use axum::Json;
use axum::extract::State;
use muster_domain::settings::{Settings, SettingsPatch};
use muster_service::settings;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiJson, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Organization structure";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

/// Read the organization's settings (defaults filled in).
#[utoipa::path(get, path = "/settings", tag = TAG,
    responses(
        (status = 200, body = Settings, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_settings(
    Caller(ctx): Caller,
    State(state): State<AppState>,
) -> Result<Tagged<Json<Settings>>, Problem> {
    let settings = settings::get(&state.store, &ctx).await?;
    Ok(Tagged(settings.version, Json(settings)))
}

/// Change the organization's settings (JSON merge patch: absent fields stay unchanged;
/// `files_module` and `address` may be given in part).
#[utoipa::path(patch, path = "/settings", tag = TAG, request_body = SettingsPatch,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Settings, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_settings(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<SettingsPatch>,
) -> Result<Tagged<Json<Settings>>, Problem> {
    let settings = settings::update(&state.store, &ctx, version, body).await?;
    Ok(Tagged(settings.version, Json(settings)))
}
