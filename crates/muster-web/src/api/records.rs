//! `/users/{id}/records/{section}`: the personnel records of a person's file.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::paging::Page;
use muster_domain::records::{NewRecord, PersonnelRecord, RecordPatch, RecordSection};
use muster_domain::{RecordId, UserId};
use muster_service::records;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Personnel records";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_records, create_record))
        .routes(routes!(get_record, update_record, delete_record))
}

/// List one section of a person's file, newest first. Needs `view` on the section
/// (command-hierarchy privileges).
#[utoipa::path(get, path = "/users/{id}/records/{section}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("section" = RecordSection, Path), ListParams),
    responses(
        (status = 200, body = Page<PersonnelRecord>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_records(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, section)): ApiPath<(UserId, RecordSection)>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<PersonnelRecord>>, Problem> {
    Ok(Json(
        records::list(&state.store, &ctx, user, section, &params.page()?).await?,
    ))
}

/// Add a record to a section of a person's file. Needs `edit` on the section; related
/// reports need `users.edit` over the person. A promotion with `apply: true` also becomes
/// the person's current rank and unit.
#[utoipa::path(post, path = "/users/{id}/records/{section}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("section" = RecordSection, Path)),
    request_body = NewRecord,
    responses(
        (status = 201, body = PersonnelRecord, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_record(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, section)): ApiPath<(UserId, RecordSection)>,
    ApiJson(body): ApiJson<NewRecord>,
) -> Result<(StatusCode, Tagged<Json<PersonnelRecord>>), Problem> {
    let record = records::create(&state.store, &ctx, user, section, body).await?;
    Ok((StatusCode::CREATED, Tagged(record.version, Json(record))))
}

/// Read one record.
#[utoipa::path(get, path = "/users/{id}/records/{section}/{record_id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("section" = RecordSection, Path),
           ("record_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = PersonnelRecord, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_record(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, section, id)): ApiPath<(UserId, RecordSection, RecordId)>,
) -> Result<Tagged<Json<PersonnelRecord>>, Problem> {
    let record = records::get(&state.store, &ctx, user, section, id).await?;
    Ok(Tagged(record.version, Json(record)))
}

/// Change a record (JSON merge patch). An applied promotion keeps its date, rank and unit.
#[utoipa::path(patch, path = "/users/{id}/records/{section}/{record_id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("section" = RecordSection, Path),
           ("record_id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = RecordPatch,
    responses(
        (status = 200, body = PersonnelRecord, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_record(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, section, id)): ApiPath<(UserId, RecordSection, RecordId)>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<RecordPatch>,
) -> Result<Tagged<Json<PersonnelRecord>>, Problem> {
    let record = records::update(&state.store, &ctx, user, section, id, version, body).await?;
    Ok(Tagged(record.version, Json(record)))
}

/// Remove a record (it stays in the audit trail).
#[utoipa::path(delete, path = "/users/{id}/records/{section}/{record_id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("section" = RecordSection, Path),
           ("record_id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_record(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, section, id)): ApiPath<(UserId, RecordSection, RecordId)>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    records::delete(&state.store, &ctx, user, section, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
