//! `/Groups`: Muster's command groups as SCIM groups, their members the users in them.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use muster_domain::{CommandGroupId, UserId};
use muster_service::scim::{self as service, GroupWrite, ScimGroup};
use scim_v2::models::errors::ScimType;
use serde_json::{Map, Value, json};

use super::query::{ListRequest, Projection, RawList, list_response};
use super::schema::{GROUP, Resource};
use super::{BaseUrl, IfMatch, ScimCaller, ScimError, body, check_schemas, patch, resource};
use crate::AppState;

fn id_of(raw: &str) -> Result<CommandGroupId, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::not_found("no such command group"))
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// A command group as SCIM shows it.
pub(crate) fn representation(base: &str, g: &ScimGroup) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP]));
    out.insert("id".into(), json!(g.group.id));
    if let Some(e) = &g.external_id {
        out.insert("externalId".into(), json!(e));
    }
    out.insert("displayName".into(), json!(g.group.name));
    if !g.members.is_empty() {
        out.insert(
            "members".into(),
            g.members
                .iter()
                .map(|m| {
                    json!({"value": m.id, "$ref": format!("{base}/Users/{}", m.id), "type": "User"})
                })
                .collect(),
        );
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": g.created.get().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lastModified": g.updated.get().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "location": format!("{base}/Groups/{}", g.group.id),
            "version": super::etag(g.group.version),
        }),
    );
    Value::Object(out)
}

/// Reads a `POST` or `PUT` body (or a patched representation) into what SCIM sets on a
/// group.
fn parse_write(body: &Map<String, Value>) -> Result<GroupWrite, ScimError> {
    check_schemas(body, GROUP, &[])?;
    let mut write = GroupWrite::default();
    let mut named = false;
    for (key, value) in body {
        match key.to_ascii_lowercase().as_str() {
            "schemas" | "id" | "meta" => {}
            "displayname" => {
                value
                    .as_str()
                    .ok_or_else(|| invalid("displayName must be a string"))?
                    .clone_into(&mut write.name);
                named = true;
            }
            "externalid" => {
                write.external_id = match value {
                    Value::Null => None,
                    Value::String(s) if s.trim().is_empty() => None,
                    Value::String(s) => Some(s.clone()),
                    _ => return Err(invalid("externalId must be a string")),
                };
            }
            "members" => {
                let items = match value {
                    Value::Null => &Vec::new(),
                    Value::Array(items) => items,
                    _ => return Err(invalid("members must be an array")),
                };
                for item in items {
                    let Some(m) = item.as_object() else {
                        return Err(invalid("each member must be an object"));
                    };
                    let mut id = None;
                    for (k, v) in m {
                        match k.to_ascii_lowercase().as_str() {
                            "value" => id = v.as_str(),
                            "$ref" | "display" => {}
                            "type" => {
                                if !v.as_str().is_some_and(|t| t.eq_ignore_ascii_case("User")) {
                                    return Err(invalid(
                                        "members are users: command groups do not nest as members",
                                    ));
                                }
                            }
                            other => {
                                return Err(ScimError::bad(
                                    ScimType::InvalidSyntax,
                                    format!("unknown attribute members.{other}"),
                                ));
                            }
                        }
                    }
                    let id: UserId = id
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| invalid("members.value must be the id of a user"))?;
                    if !write.members.contains(&id) {
                        write.members.push(id);
                    }
                }
            }
            other => {
                return Err(ScimError::bad(
                    ScimType::InvalidSyntax,
                    format!("unknown attribute {other}"),
                ));
            }
        }
    }
    if !named {
        return Err(invalid("displayName is required"));
    }
    Ok(write)
}

fn projection(query: Option<&str>) -> Result<Projection, ScimError> {
    let raw = RawList::from_query(query)?;
    if !raw.attributes.is_empty() && !raw.excluded_attributes.is_empty() {
        return Err(invalid(
            "attributes and excludedAttributes exclude each other",
        ));
    }
    Projection::new(Resource::Group, &raw.attributes, &raw.excluded_attributes)
}

fn respond(base: &str, status: StatusCode, group: &ScimGroup, projection: &Projection) -> Response {
    let body = projection.apply(representation(base, group));
    resource(status, &body, Some(group.group.version))
}

async fn run_list(
    state: &AppState,
    ctx: &muster_service::Ctx,
    base: &str,
    request: ListRequest,
) -> Result<Response, ScimError> {
    let (found, total) = service::list_groups(&state.store, ctx, &request.query).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|g| request.projection.apply(representation(base, g)))
        .collect();
    Ok(resource(
        StatusCode::OK,
        &list_response(&items, total, request.start_index),
        None,
    ))
}

/// `GET /Groups`.
pub(crate) async fn list(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let request = RawList::from_query(query.as_deref())?.parse(Resource::Group)?;
    run_list(&state, &ctx, &base, request).await
}

/// `POST /Groups/.search`.
pub(crate) async fn search(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let request = RawList::from_search(&body(&headers, &bytes)?)?.parse(Resource::Group)?;
    run_list(&state, &ctx, &base, request).await
}

/// `GET /Groups/{id}`.
pub(crate) async fn read(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let projection = projection(query.as_deref())?;
    let group = service::get_group(&state.store, &ctx, id_of(&id)?).await?;
    if super::not_modified(&headers, group.group.version) {
        return Ok(super::unchanged(group.group.version));
    }
    Ok(respond(&base, StatusCode::OK, &group, &projection))
}

/// `POST /Groups`.
pub(crate) async fn create(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let projection = projection(query.as_deref())?;
    let write = parse_write(&body(&headers, &bytes)?)?;
    let group = service::create_group(&state.store, &ctx, write).await?;
    Ok(respond(&base, StatusCode::CREATED, &group, &projection))
}

/// `PUT /Groups/{id}`.
#[allow(clippy::too_many_arguments)] // One axum extractor per part of the request.
pub(crate) async fn replace(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let projection = projection(query.as_deref())?;
    let write = parse_write(&body(&headers, &bytes)?)?;
    let group = service::replace_group(&state.store, &ctx, id_of(&id)?, version, write).await?;
    Ok(respond(&base, StatusCode::OK, &group, &projection))
}

/// `PATCH /Groups/{id}`.
#[allow(clippy::too_many_arguments)] // One axum extractor per part of the request.
pub(crate) async fn modify(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let projection = projection(query.as_deref())?;
    let id = id_of(&id)?;
    let ops = patch::parse(body(&headers, &bytes)?)?;
    let current = service::get_group(&state.store, &ctx, id).await?;
    if let Some(v) = version
        && v != current.group.version
    {
        return Err(ScimError::from(muster_service::ServiceError::Stale(
            "command group",
        )));
    }
    let mut rep = representation(&base, &current);
    patch::apply(Resource::Group, &mut rep, ops)?;
    let Value::Object(patched) = rep else {
        return Err(invalid("the patched group is not an object"));
    };
    let write = parse_write(&patched)?;
    let group =
        service::replace_group(&state.store, &ctx, id, Some(current.group.version), write).await?;
    Ok(respond(&base, StatusCode::OK, &group, &projection))
}

/// `DELETE /Groups/{id}`: the members leave the group, which is soft-deleted.
pub(crate) async fn remove(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, ScimError> {
    service::delete_group(&state.store, &ctx, id_of(&id)?, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
