//! Discovery (RFC 7644 §4): what this service provider supports, its resource types and
//! its schemas.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::schema::{self, Resource};
use super::{BaseUrl, ScimCaller, ScimError, resource};
use crate::scim::query::MAX_RESULTS;

/// `GET /ServiceProviderConfig`.
pub(crate) async fn service_provider_config(
    ScimCaller(_): ScimCaller,
    BaseUrl(base): BaseUrl,
) -> Response {
    let body = json!({
        "schemas": [scim_v2::schema_urns::SERVICE_PROVIDER_CONFIG],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API token",
            "description": "A Muster API token (POST /api/v1/tokens) as `Authorization: Bearer <token>`; \
                            it acts with its creator's access, narrowed to the token's capabilities.",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    });
    resource(StatusCode::OK, &body, None)
}

fn resource_type_document(base: &str, r: Resource) -> Value {
    let (endpoint, description) = match r {
        Resource::User => ("/Users", "Muster users (employees)"),
        Resource::Group => ("/Groups", "Muster command groups"),
    };
    json!({
        "schemas": [scim_v2::schema_urns::RESOURCE_TYPE],
        "id": r.name(),
        "name": r.name(),
        "endpoint": endpoint,
        "description": description,
        "schema": r.core(),
        "schemaExtensions": r.extensions().iter()
            .map(|e| json!({"schema": e, "required": false}))
            .collect::<Vec<_>>(),
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", r.name()),
        },
    })
}

fn list(items: &[Value]) -> Value {
    json!({
        "schemas": [scim_v2::schema_urns::LIST_RESPONSE],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

/// `GET /ResourceTypes`.
pub(crate) async fn resource_types(ScimCaller(_): ScimCaller, BaseUrl(base): BaseUrl) -> Response {
    let items: Vec<Value> = [Resource::User, Resource::Group]
        .into_iter()
        .map(|r| resource_type_document(&base, r))
        .collect();
    resource(StatusCode::OK, &list(&items), None)
}

/// `GET /ResourceTypes/{id}`.
pub(crate) async fn resource_type(
    ScimCaller(_): ScimCaller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    [Resource::User, Resource::Group]
        .into_iter()
        .find(|r| r.name().eq_ignore_ascii_case(&id))
        .map(|r| resource(StatusCode::OK, &resource_type_document(&base, r), None))
        .ok_or_else(|| ScimError::not_found(format!("no resource type {id:?}")))
}

fn schema_document(base: &str, s: &schema::Schema) -> Value {
    let mut document = s.document.clone();
    document["schemas"] = json!([scim_v2::schema_urns::SCHEMA]);
    document["meta"] = json!({
        "resourceType": "Schema",
        "location": format!("{base}/Schemas/{}", s.id),
    });
    document
}

/// `GET /Schemas`.
pub(crate) async fn schemas(ScimCaller(_): ScimCaller, BaseUrl(base): BaseUrl) -> Response {
    let items: Vec<Value> = schema::all()
        .iter()
        .map(|s| schema_document(&base, s))
        .collect();
    resource(StatusCode::OK, &list(&items), None)
}

/// `GET /Schemas/{id}`.
pub(crate) async fn schema(
    ScimCaller(_): ScimCaller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    schema::get(&id)
        .map(|s| resource(StatusCode::OK, &schema_document(&base, s), None))
        .ok_or_else(|| ScimError::not_found(format!("no schema {id:?}")))
}
