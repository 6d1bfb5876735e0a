//! `/users/{id}/emergency-contacts` and `/users/{id}/barcodes`: what belongs to a person
//! besides their profile.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use muster_domain::paging::Page;
use muster_domain::people::{
    Barcode, EmergencyContact, EmergencyContactPatch, NewBarcode, NewEmergencyContact,
};
use muster_domain::{ContactId, UserId};
use muster_service::people;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged};
use crate::problem::Problem;

const TAG: &str = "Users";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(list_barcodes, add_barcode))
        .routes(routes!(delete_barcode))
}

/// List a user's emergency contacts in call order (priority, then name).
#[utoipa::path(get, path = "/users/{id}/emergency-contacts", tag = TAG,
    params(("id" = uuid::Uuid, Path), ListParams),
    responses(
        (status = 200, body = Page<EmergencyContact>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_contacts(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<EmergencyContact>>, Problem> {
    Ok(Json(
        people::list_contacts(&state.store, &ctx, user, &params.page()?).await?,
    ))
}

/// Add an emergency contact to a user.
#[utoipa::path(post, path = "/users/{id}/emergency-contacts", tag = TAG,
    params(("id" = uuid::Uuid, Path)), request_body = NewEmergencyContact,
    responses(
        (status = 201, body = EmergencyContact, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_contact(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiJson(body): ApiJson<NewEmergencyContact>,
) -> Result<(StatusCode, Tagged<Json<EmergencyContact>>), Problem> {
    let contact = people::create_contact(&state.store, &ctx, user, body).await?;
    Ok((StatusCode::CREATED, Tagged(contact.version, Json(contact))))
}

/// Read one emergency contact of a user.
#[utoipa::path(get, path = "/users/{id}/emergency-contacts/{cid}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("cid" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = EmergencyContact, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_contact(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, ContactId)>,
) -> Result<Tagged<Json<EmergencyContact>>, Problem> {
    let contact = people::get_contact(&state.store, &ctx, user, id).await?;
    Ok(Tagged(contact.version, Json(contact)))
}

/// Change an emergency contact (JSON merge patch).
#[utoipa::path(patch, path = "/users/{id}/emergency-contacts/{cid}", tag = TAG,
    request_body = EmergencyContactPatch,
    params(("id" = uuid::Uuid, Path), ("cid" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = EmergencyContact, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_contact(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, ContactId)>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<EmergencyContactPatch>,
) -> Result<Tagged<Json<EmergencyContact>>, Problem> {
    let contact = people::update_contact(&state.store, &ctx, user, id, version, body).await?;
    Ok(Tagged(contact.version, Json(contact)))
}

/// Remove an emergency contact (it stays in the audit trail).
#[utoipa::path(delete, path = "/users/{id}/emergency-contacts/{cid}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("cid" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_contact(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, id)): ApiPath<(UserId, ContactId)>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    people::delete_contact(&state.store, &ctx, user, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a user's barcodes, by code.
#[utoipa::path(get, path = "/users/{id}/barcodes", tag = TAG,
    params(("id" = uuid::Uuid, Path), ListParams),
    responses(
        (status = 200, body = Page<Barcode>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_barcodes(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Barcode>>, Problem> {
    Ok(Json(
        people::list_barcodes(&state.store, &ctx, user, &params.page()?).await?,
    ))
}

/// Give a user a barcode (unique in the organization).
#[utoipa::path(post, path = "/users/{id}/barcodes", tag = TAG,
    params(("id" = uuid::Uuid, Path)), request_body = NewBarcode,
    responses(
        (status = 201, body = Barcode),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn add_barcode(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<UserId>,
    ApiJson(body): ApiJson<NewBarcode>,
) -> Result<(StatusCode, Json<Barcode>), Problem> {
    let barcode = people::add_barcode(&state.store, &ctx, user, body).await?;
    Ok((StatusCode::CREATED, Json(barcode)))
}

/// Take a barcode away from a user; the code becomes free again.
#[utoipa::path(delete, path = "/users/{id}/barcodes/{code}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("code" = String, Path)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_barcode(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((user, code)): ApiPath<(UserId, String)>,
) -> Result<StatusCode, Problem> {
    people::delete_barcode(&state.store, &ctx, user, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}
