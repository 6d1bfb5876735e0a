//! `/users`: profiles, the user list, the lifecycle and placements.

use std::collections::BTreeSet;
use std::str::FromStr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use muster_domain::paging::Page;
use muster_domain::user::{
    Ban, CreateUser, DefaultPlacement, LoginKind, NewPlacement, Placement, PlacementPatch,
    Separation, SortOrder, User, UserFilter, UserPatch, UserSort, UserStatus, UserSummary,
};
use muster_domain::{FieldError, NodeId, UserId, ValidationErrors};
use muster_service::outbox::QueuedMessages;
use muster_service::paging::PageRequest;
use muster_service::users::{self, Transition};
use muster_service::{Ctx, ServiceError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, Tagged, parse_json};
use crate::problem::Problem;

const TAG: &str = "Users";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(ban_user))
        .routes(routes!(unban_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(retire_user))
        .routes(routes!(separate_user))
        .routes(routes!(reactivate_user))
        .routes(routes!(reset_password))
        .routes(routes!(list_placements, add_placement))
        .routes(routes!(update_placement, delete_placement))
        .routes(routes!(set_default_placement))
}

/// The query of `GET /users` (documentation; the handler parses the raw query because
/// `status` repeats).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct UserListParams {
    /// Case-insensitive substring of the first, last or display name, login, email,
    /// employee number, or the default placement's role or node name.
    q: Option<String>,
    /// Statuses to list; repeat it (`status=active&status=inactive`) or separate them
    /// with commas. Default: `active` only. Deleted users are never listed.
    #[param(explode, style = Form)]
    status: Option<Vec<UserStatus>>,
    /// Only users with this login kind.
    login_kind: Option<LoginKind>,
    /// Only users with a placement at this node or below it.
    #[param(value_type = Option<uuid::Uuid>)]
    node_id: Option<NodeId>,
    /// Sort key (default `last_name`).
    sort: Option<UserSort>,
    /// Direction (default `asc`).
    order: Option<SortOrder>,
    /// Items per page, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same filters and sort).
    cursor: Option<String>,
}

const LIST_PARAMETERS: &str = "q, status, login_kind, node_id, sort, order, limit, cursor";

/// Parses the query of `GET /users`, naming every bad parameter. Empty values count as
/// absent (as HTML forms send them).
fn parse_list_query(query: &str) -> Result<(UserFilter, PageRequest), Problem> {
    let mut filter = UserFilter::default();
    let mut errors = ValidationErrors::new();
    let mut seen = BTreeSet::new();
    let mut limit = None;
    let mut cursor = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let key = key.as_ref();
        if key != "status" && !seen.insert(key.to_owned()) {
            errors.push(key, "is given more than once");
            continue;
        }
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key {
            "q" => filter.q = Some(value.to_owned()),
            "status" => {
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    if let Some(status) = parse_enum::<UserStatus>(&mut errors, "status", part)
                        && !filter.statuses.contains(&status)
                    {
                        filter.statuses.push(status);
                    }
                }
            }
            "login_kind" => filter.login_kind = parse_enum(&mut errors, "login_kind", value),
            "sort" => {
                if let Some(sort) = parse_enum(&mut errors, "sort", value) {
                    filter.sort = sort;
                }
            }
            "order" => {
                if let Some(order) = parse_enum(&mut errors, "order", value) {
                    filter.order = order;
                }
            }
            "node_id" => match value.parse::<NodeId>() {
                Ok(node) => filter.node_id = Some(node),
                Err(_) => errors.push("node_id", "must be a node id (a UUID)"),
            },
            "limit" => match value.parse::<u32>() {
                Ok(n) => limit = Some(n),
                Err(_) => errors.push("limit", "must be a number between 1 and 500"),
            },
            "cursor" => cursor = Some(value.to_owned()),
            other => errors.push(
                other,
                format!("unknown parameter; expected one of {LIST_PARAMETERS}"),
            ),
        }
    }
    errors.into_result().map_err(service_problem)?;
    let page = PageRequest::new(limit, cursor).map_err(service_problem)?;
    Ok((filter, page))
}

/// Parses a wire enum, recording an error on `field` when it is none of its values.
fn parse_enum<T: FromStr<Err = FieldError>>(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
) -> Option<T> {
    value
        .parse()
        .map_err(|e: FieldError| errors.push(field, e.message))
        .ok()
}

fn service_problem(errors: ValidationErrors) -> Problem {
    Problem::from(ServiceError::from(errors))
}

/// An optional JSON body: absent or empty is `T::default()`; otherwise it must be JSON
/// of the right shape.
fn optional_body<T: DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v.split(';').next().unwrap_or_default().trim();
            mime == "application/json" || mime == "application/merge-patch+json"
        });
    if !is_json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as application/json",
        ));
    }
    parse_json(body)
}

/// The (empty) body of lifecycle steps that take no input.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NoInput {}

/// `?confirm=` of `PATCH /users/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ConfirmParams {
    /// Confirms a change to a user who also has placements outside the caller's current
    /// location. Accepted; it takes effect with location-scoped administration.
    #[allow(dead_code)]
    confirm: Option<bool>,
}

/// List the organization's users: search, filter, sort and page.
#[utoipa::path(get, path = "/users", tag = TAG, params(UserListParams),
    responses(
        (status = 200, body = Page<UserSummary>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_users(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<UserSummary>>, Problem> {
    let (filter, page) = parse_list_query(query.as_deref().unwrap_or_default())?;
    let page = page.with_exact_total(state.exact_total);
    Ok(Json(users::list(&state.store, &ctx, filter, &page).await?))
}

/// Create a user with their placements.
///
/// A `password` user created without a password (or with `generate_password`) gets a
/// random temporary password that must be changed at first sign-in. It is never
/// returned: a welcome email with it is queued in the outbox for the user's email address
/// (unless `send_notification` is `false`; users without an email address are created
/// without one — reset the password once they have an address). With an explicit password,
/// `send_notification: true` queues a welcome email without the password.
#[utoipa::path(post, path = "/users", tag = TAG, request_body = CreateUser,
    responses(
        (status = 201, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "login or employee number taken, or a role not assignable at its node",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Tagged<Json<User>>), Problem> {
    let user = users::create(&state.store, &ctx, body).await?;
    Ok((StatusCode::CREATED, Tagged(user.version, Json(user))))
}

/// Read a user's profile. Deleted users are not found.
#[utoipa::path(get, path = "/users/{id}", tag = TAG, params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Tagged<Json<User>>, Problem> {
    let user = users::get(&state.store, &ctx, id).await?;
    Ok(Tagged(user.version, Json(user)))
}

/// Change a user's profile (JSON merge patch). Status changes through the lifecycle
/// endpoints, placements through `/users/{id}/placements`.
#[utoipa::path(patch, path = "/users/{id}", tag = TAG, request_body = UserPatch,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header), ConfirmParams),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    ApiQuery(_confirm): ApiQuery<ConfirmParams>,
    ApiJson(body): ApiJson<UserPatch>,
) -> Result<Tagged<Json<User>>, Problem> {
    let user = users::update(&state.store, &ctx, id, version, body).await?;
    Ok(Tagged(user.version, Json(user)))
}

/// Delete a user: a tombstone kept for the audit trail; the login stays reserved forever.
#[utoipa::path(delete, path = "/users/{id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    users::transition(&state.store, &ctx, id, version, Transition::Delete).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn step(
    state: &AppState,
    ctx: &Ctx,
    id: UserId,
    version: Option<i64>,
    transition: Transition,
) -> Result<Tagged<Json<User>>, Problem> {
    let user = users::transition(&state.store, ctx, id, version, transition).await?;
    Ok(Tagged(user.version, Json(user)))
}

/// Ban an active or inactive user (locks them out); the optional reason goes to the
/// audit trail.
#[utoipa::path(post, path = "/users/{id}/ban", tag = TAG, request_body(content = Option<Ban>),
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user's status does not allow it",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn ban_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Tagged<Json<User>>, Problem> {
    let ban: Ban = optional_body(&headers, &body)?;
    step(&state, &ctx, id, version, Transition::Ban(ban)).await
}

/// Lift a ban: the user is active again.
#[utoipa::path(post, path = "/users/{id}/unban", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user is not banned",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn unban_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Tagged<Json<User>>, Problem> {
    let NoInput {} = optional_body(&headers, &body)?;
    step(&state, &ctx, id, version, Transition::Unban).await
}

/// Switch an active user off (`inactive`; reversible with `/reactivate`).
#[utoipa::path(post, path = "/users/{id}/deactivate", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user is not active",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn deactivate_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Tagged<Json<User>>, Problem> {
    let NoInput {} = optional_body(&headers, &body)?;
    step(&state, &ctx, id, version, Transition::Deactivate).await
}

/// Retire a user with a separation status and last day (reversible with `/reactivate`).
#[utoipa::path(post, path = "/users/{id}/retire", tag = TAG, request_body = Separation,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user's status does not allow it",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn retire_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<Separation>,
) -> Result<Tagged<Json<User>>, Problem> {
    step(&state, &ctx, id, version, Transition::Retire(body)).await
}

/// Separate a user with a separation status and last day (reversible with
/// `/reactivate`).
#[utoipa::path(post, path = "/users/{id}/separate", tag = TAG, request_body = Separation,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user's status does not allow it",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn separate_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<Separation>,
) -> Result<Tagged<Json<User>>, Problem> {
    step(&state, &ctx, id, version, Transition::Separate(body)).await
}

/// Make an inactive, banned, retired or separated user active again (clears the
/// separation status and last day of retired and separated users).
#[utoipa::path(post, path = "/users/{id}/reactivate", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = User, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user is already active or deleted",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn reactivate_user(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Tagged<Json<User>>, Problem> {
    let NoInput {} = optional_body(&headers, &body)?;
    step(&state, &ctx, id, version, Transition::Reactivate).await
}

/// Reset a `password` user's password and email them a temporary one.
///
/// A random temporary password replaces the user's password; they must change it at their
/// next sign-in. It is emailed to the user's email address (and a short notice, without
/// the password, goes by text message to their first mobile phone with a known carrier)
/// through the outbox: `202 Accepted` lists the queued messages, never the password. The
/// `ETag` is the user's new version.
#[utoipa::path(post, path = "/users/{id}/reset-password", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 202, body = QueuedMessages, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "a `pin` or `none` user (`login_kind`), or a user without an email address (`email`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    ))]
async fn reset_password(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Tagged<Json<QueuedMessages>>), Problem> {
    let NoInput {} = optional_body(&headers, &body)?;
    let (queued, version) = users::reset_password(&state.store, &ctx, id, version).await?;
    Ok((
        StatusCode::ACCEPTED,
        Tagged(version, Json(QueuedMessages { queued })),
    ))
}

/// List a user's placements, the default first. The `ETag` is the user's version.
#[utoipa::path(get, path = "/users/{id}/placements", tag = TAG,
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = Page<Placement>, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_placements(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Tagged<Json<Page<Placement>>>, Problem> {
    let (placements, version) = users::placements(&state.store, &ctx, id).await?;
    Ok(Tagged(version, Json(whole_page(placements))))
}

fn whole_page(placements: Vec<Placement>) -> Page<Placement> {
    Page {
        total: i64::try_from(placements.len()).unwrap_or(i64::MAX),
        items: placements,
        next_cursor: None,
        total_is_estimate: false,
    }
}

/// Place a user at another node with a role assignable there; `default: true` makes it
/// the default placement. The `ETag` is the user's new version.
#[utoipa::path(post, path = "/users/{id}/placements", tag = TAG, request_body = NewPlacement,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 201, body = Placement, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already placed at the node, or the role is not assignable there",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn add_placement(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<NewPlacement>,
) -> Result<(StatusCode, Tagged<Json<Placement>>), Problem> {
    let (placement, version) = users::add_placement(&state.store, &ctx, id, version, body).await?;
    Ok((StatusCode::CREATED, Tagged(version, Json(placement))))
}

/// Change a placement's role or dates, or move it to another node. The `ETag` is the
/// user's new version.
#[utoipa::path(patch, path = "/users/{id}/placements/{node_id}", tag = TAG,
    request_body = PlacementPatch,
    params(("id" = uuid::Uuid, Path), ("node_id" = uuid::Uuid, Path),
        ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Placement, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already placed at the new node, or the role is not assignable there",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_placement(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((id, node)): ApiPath<(UserId, NodeId)>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<PlacementPatch>,
) -> Result<Tagged<Json<Placement>>, Problem> {
    let (placement, version) =
        users::update_placement(&state.store, &ctx, id, node, version, body).await?;
    Ok(Tagged(version, Json(placement)))
}

/// Remove a placement (never the only or the default one).
#[utoipa::path(delete, path = "/users/{id}/placements/{node_id}", tag = TAG,
    params(("id" = uuid::Uuid, Path), ("node_id" = uuid::Uuid, Path),
        ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the only or the default placement",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_placement(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath((id, node)): ApiPath<(UserId, NodeId)>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, Problem> {
    users::delete_placement(&state.store, &ctx, id, node, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Choose the user's default placement. Returns all placements; the `ETag` is the user's
/// new version.
#[utoipa::path(put, path = "/users/{id}/default-placement", tag = TAG,
    request_body = DefaultPlacement,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = Page<Placement>, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn set_default_placement(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    IfMatch(version): IfMatch,
    ApiJson(body): ApiJson<DefaultPlacement>,
) -> Result<Tagged<Json<Page<Placement>>>, Problem> {
    let (placements, version) =
        users::set_default_placement(&state.store, &ctx, id, version, body).await?;
    Ok(Tagged(version, Json(whole_page(placements))))
}
