//! `/Users`: Muster users as SCIM users (core schema, enterprise extension, Muster
//! extension), and the handlers that list, read, create, replace, patch and delete them.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use muster_domain::UserId;
use muster_domain::org::Address;
use muster_domain::user::{PHONE_KINDS, Phone, Secret, User, UserStatus};
use muster_service::scim::{self as service, ScimUser, UserWrite};
use muster_store::scim::ScimAttributes;
use scim_v2::models::errors::ScimType;
use serde_json::{Map, Value, json};

use super::query::{ListRequest, Projection, RawList, list_response};
use super::schema::{ENTERPRISE, MUSTER, Resource, USER};
use super::{BaseUrl, IfMatch, ScimCaller, ScimError, body, check_schemas, patch, resource};
use crate::AppState;

/// Core User attributes of RFC 7643 that Muster does not keep: accepted and ignored, so
/// that providers which send them (Okta sends `title`, `locale`, …) still provision.
const IGNORED: &[&str] = &[
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509certificates",
];

fn id_of(raw: &str) -> Result<UserId, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::not_found("no such user"))
}

/// The user's own address as a SCIM address.
fn address_json(a: &Address) -> Value {
    let mut address = Map::new();
    let street = match (&a.street, &a.street2) {
        (Some(s), Some(s2)) => Some(format!("{s}\n{s2}")),
        (s, None) => s.clone(),
        (None, Some(s2)) => Some(s2.clone()),
    };
    for (key, value) in [
        ("streetAddress", street),
        ("locality", a.city.clone()),
        ("region", a.region.clone()),
        ("postalCode", a.postal_code.clone()),
        ("country", a.country.clone()),
    ] {
        if let Some(v) = value {
            address.insert(key.into(), json!(v));
        }
    }
    address.insert("type".into(), json!("work"));
    Value::Object(address)
}

/// A user as SCIM shows them.
pub(crate) fn representation(base: &str, scim: &ScimUser) -> Value {
    let u = &scim.user;
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER]));
    out.insert("id".into(), json!(u.id));
    if let Some(e) = &scim.attributes.external_id {
        out.insert("externalId".into(), json!(e));
    }
    out.insert("userName".into(), json!(u.login));
    out.insert(
        "name".into(),
        json!({"givenName": u.first_name, "familyName": u.last_name}),
    );
    if let Some(d) = &u.display_name {
        out.insert("displayName".into(), json!(d));
    }
    out.insert("active".into(), json!(u.status == UserStatus::Active));
    let mut emails: Vec<Value> = Vec::new();
    if let Some(e) = &u.email {
        emails.push(json!({"value": e, "type": "work", "primary": true}));
    }
    emails.extend(
        u.emails
            .iter()
            .map(|e| json!({"value": e, "type": "work", "primary": false})),
    );
    if !emails.is_empty() {
        out.insert("emails".into(), Value::Array(emails));
    }
    if !u.phones.is_empty() {
        let primary = scim.attributes.primary_phone.as_deref();
        let phones: Vec<Value> = u
            .phones
            .iter()
            .map(|p| {
                json!({"value": p.number, "type": p.kind, "primary": Some(p.number.as_str()) == primary})
            })
            .collect();
        out.insert("phoneNumbers".into(), Value::Array(phones));
    }
    if let Some(a) = &u.address {
        out.insert("addresses".into(), json!([address_json(a)]));
    }
    if let Some((group, name)) = &scim.group {
        out.insert(
            "groups".into(),
            json!([{"value": group, "$ref": format!("{base}/Groups/{group}"), "display": name}]),
        );
    }
    let mut enterprise = Map::new();
    let a = &scim.attributes;
    for (key, value) in [
        ("employeeNumber", &u.employee_number),
        ("costCenter", &a.cost_center),
        ("organization", &a.organization),
        ("division", &a.division),
        ("department", &a.department),
    ] {
        if let Some(v) = value {
            enterprise.insert(key.into(), json!(v));
        }
    }
    if let Some(m) = u.reports_to_id {
        enterprise.insert(
            "manager".into(),
            json!({"value": m, "$ref": format!("{base}/Users/{m}")}),
        );
    }
    let mut own = Map::new();
    for (key, value) in [
        ("badgeNumber", &u.badge_number),
        ("payrollId", &u.payroll_id),
        ("titleDesignation", &u.title_designation),
    ] {
        if let Some(v) = value {
            own.insert(key.into(), json!(v));
        }
    }
    // Extensions are shown when they hold something (an empty one is unassigned).
    let mut schemas = vec![json!(USER)];
    for (uri, values) in [(ENTERPRISE, enterprise), (MUSTER, own)] {
        if !values.is_empty() {
            schemas.push(json!(uri));
            out.insert(uri.into(), Value::Object(values));
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": u.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lastModified": u.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "location": format!("{base}/Users/{}", u.id),
            "version": super::etag(u.version),
        }),
    );
    Value::Object(out)
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// A string attribute (`null` or absent: none; blank: none).
fn text(name: &str, value: Option<&Value>) -> Result<Option<String>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

/// A boolean attribute; `"True"` / `"false"` as Entra ID sends them are booleans too.
fn boolean(name: &str, value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(format!("{name} must be true or false"))),
    }
}

/// The object's members by lowercase name; two spellings of one name are refused.
fn members(name: &str, object: &Map<String, Value>) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (k, v) in object {
        if out.insert(k.to_ascii_lowercase(), v.clone()).is_some() {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                format!("{name}{k} is given twice"),
            ));
        }
    }
    Ok(out)
}

fn object_of<'a>(name: &str, value: &'a Value) -> Result<&'a Map<String, Value>, ScimError> {
    value
        .as_object()
        .ok_or_else(|| invalid(format!("{name} must be an object")))
}

fn list_of<'a>(
    name: &str,
    value: Option<&'a Value>,
) -> Result<Vec<&'a Map<String, Value>>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|i| object_of(name, i)).collect(),
        Some(_) => Err(invalid(format!("{name} must be an array"))),
    }
}

/// Checks that `object` holds only `known` attributes (lowercase names).
fn only_known(name: &str, object: &Map<String, Value>, known: &[&str]) -> Result<(), ScimError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("unknown attribute {name}{k}"),
        )),
        None => Ok(()),
    }
}

/// `emails`: the primary address (the user's email) and the others.
fn parse_emails(b: &Map<String, Value>) -> Result<(Option<String>, Vec<String>), ScimError> {
    let mut email = None;
    let mut emails = Vec::new();
    let listed = list_of("emails", b.get("emails"))?;
    let mut primary_seen = false;
    let mut parsed = Vec::new();
    for e in &listed {
        let e = members("emails.", e)?;
        only_known("emails.", &e, &["value", "type", "primary", "display"])?;
        let value = text("emails.value", e.get("value"))?
            .ok_or_else(|| invalid("emails.value is required"))?;
        let primary = match e.get("primary") {
            None | Some(Value::Null) => false,
            Some(v) => boolean("emails.primary", v)?,
        };
        if primary && primary_seen {
            return Err(invalid("only one email may be primary"));
        }
        primary_seen |= primary;
        text("emails.type", e.get("type"))?;
        parsed.push((value, primary));
    }
    // The primary address is the user's email; without one, every address is a further
    // one (nothing is primary unless the client says so).
    for (value, primary) in parsed {
        if primary {
            email = Some(value);
        } else if !emails.contains(&value) {
            emails.push(value);
        }
    }
    Ok((email, emails))
}

/// `phoneNumbers`, and the number marked primary. Numbers kept keep their carrier and
/// privacy flag.
fn parse_phones(
    b: &Map<String, Value>,
    current: Option<&User>,
) -> Result<(Vec<Phone>, Option<String>), ScimError> {
    let mut phones = Vec::new();
    let mut primary_phone = None;
    for p in list_of("phoneNumbers", b.get("phonenumbers"))? {
        let p = members("phoneNumbers.", p)?;
        only_known(
            "phoneNumbers.",
            &p,
            &["value", "type", "primary", "display"],
        )?;
        let number = text("phoneNumbers.value", p.get("value"))?
            .ok_or_else(|| invalid("phoneNumbers.value is required"))?;
        let kind = text("phoneNumbers.type", p.get("type"))?
            .map_or_else(|| "work".to_owned(), |t| t.to_lowercase());
        if !PHONE_KINDS.contains(&kind.as_str()) {
            return Err(invalid(format!(
                "phoneNumbers.type must be one of {}",
                PHONE_KINDS.join(", ")
            )));
        }
        let is_primary = match p.get("primary") {
            None | Some(Value::Null) => false,
            Some(v) => boolean("phoneNumbers.primary", v)?,
        };
        if is_primary {
            if primary_phone.is_some() {
                return Err(invalid("only one phone number may be primary"));
            }
            primary_phone = Some(phones.len());
        }
        let kept = current.and_then(|u| {
            u.phones
                .iter()
                .find(|old| old.number == number && old.kind == kind)
        });
        phones.push(Phone {
            kind,
            number,
            carrier: kept.and_then(|k| k.carrier.clone()),
            private: kept.is_some_and(|k| k.private),
        });
    }
    let primary_phone = primary_phone
        .and_then(|i: usize| phones.get(i))
        .map(|p| p.number.clone());
    Ok((phones, primary_phone))
}

/// `addresses`: at most one.
fn parse_address(b: &Map<String, Value>) -> Result<Option<Address>, ScimError> {
    let addresses = list_of("addresses", b.get("addresses"))?;
    if addresses.len() > 1 {
        return Err(invalid("Muster keeps one address per user"));
    }
    Ok(match addresses.first() {
        None => None,
        Some(a) => {
            let a = members("addresses.", a)?;
            only_known(
                "addresses.",
                &a,
                &[
                    "streetaddress",
                    "locality",
                    "region",
                    "postalcode",
                    "country",
                    "type",
                    "primary",
                    "formatted",
                ],
            )?;
            let street = text("addresses.streetAddress", a.get("streetaddress"))?;
            let (street, street2) = match street.as_deref().and_then(|s| s.split_once('\n')) {
                Some((s1, s2)) => (Some(s1.to_owned()), Some(s2.to_owned())),
                None => (street, None),
            };
            Some(Address {
                street,
                street2,
                city: text("addresses.locality", a.get("locality"))?,
                region: text("addresses.region", a.get("region"))?,
                postal_code: text("addresses.postalCode", a.get("postalcode"))?,
                country: text("addresses.country", a.get("country"))?,
            })
        }
    })
}

/// `name`: given and family name are required.
fn parse_name(b: &Map<String, Value>) -> Result<(String, String), ScimError> {
    let name = match b.get("name") {
        Some(Value::Object(n)) => members("name.", n)?,
        Some(Value::Null) | None => {
            return Err(invalid("name (givenName, familyName) is required"));
        }
        Some(_) => return Err(invalid("name must be an object")),
    };
    only_known(
        "name.",
        &name,
        &[
            "givenname",
            "familyname",
            "formatted",
            "middlename",
            "honorificprefix",
            "honorificsuffix",
        ],
    )?;
    let first_name = text("name.givenName", name.get("givenname"))?
        .ok_or_else(|| invalid("name.givenName is required"))?;
    let last_name = text("name.familyName", name.get("familyname"))?
        .ok_or_else(|| invalid("name.familyName is required"))?;
    Ok((first_name, last_name))
}

/// Enterprise `manager`: the id of a user.
fn parse_manager(ent: &Map<String, Value>) -> Result<Option<UserId>, ScimError> {
    Ok(match ent.get("manager") {
        None | Some(Value::Null) => None,
        Some(m) => {
            let m = members("manager.", object_of("manager", m)?)?;
            only_known("manager.", &m, &["value", "$ref", "displayname"])?;
            match text("manager.value", m.get("value"))? {
                None => None,
                Some(v) => Some(
                    v.parse::<UserId>()
                        .map_err(|_| invalid("manager.value must be the id of a user"))?,
                ),
            }
        }
    })
}

/// Reads a `POST` or `PUT` body (or a patched representation) into what SCIM sets on a
/// user. `current` is the user being replaced: unasserted `active` keeps its state, and
/// phone numbers kept keep their carrier and privacy flag.
pub(crate) fn parse_write(
    body: &Map<String, Value>,
    current: Option<&User>,
) -> Result<UserWrite, ScimError> {
    check_schemas(body, USER, &[ENTERPRISE, MUSTER])?;
    let b = members("", body)?;
    let known = [
        "schemas",
        "id",
        "externalid",
        "meta",
        "username",
        "name",
        "displayname",
        "active",
        "password",
        "emails",
        "phonenumbers",
        "addresses",
        "groups",
    ];
    for key in b.keys() {
        if !known.contains(&key.as_str())
            && !IGNORED.contains(&key.as_str())
            && !key.eq_ignore_ascii_case(ENTERPRISE)
            && !key.eq_ignore_ascii_case(MUSTER)
        {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                format!("unknown attribute {key}"),
            ));
        }
    }
    let login =
        text("userName", b.get("username"))?.ok_or_else(|| invalid("userName is required"))?;
    let (first_name, last_name) = parse_name(&b)?;

    let active = match b.get("active") {
        None | Some(Value::Null) => current.is_none_or(|u| u.status == UserStatus::Active),
        Some(v) => boolean("active", v)?,
    };

    let (email, emails) = parse_emails(&b)?;
    let (phones, primary_phone) = parse_phones(&b, current)?;
    let address = parse_address(&b)?;

    let extension = |uri: &str| -> Result<Map<String, Value>, ScimError> {
        match b.get(&uri.to_ascii_lowercase()) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(o)) => {
                let mut m = members(&format!("{uri}:"), o)?;
                // Some clients repeat the extension's URN inside it.
                m.remove("schemas");
                Ok(m)
            }
            Some(_) => Err(invalid(format!("{uri} must be an object"))),
        }
    };
    let ent = extension(ENTERPRISE)?;
    only_known(
        &format!("{ENTERPRISE}:"),
        &ent,
        &[
            "employeenumber",
            "costcenter",
            "organization",
            "division",
            "department",
            "manager",
        ],
    )?;
    let reports_to_id = parse_manager(&ent)?;
    let own = extension(MUSTER)?;
    only_known(
        &format!("{MUSTER}:"),
        &own,
        &["badgenumber", "payrollid", "titledesignation"],
    )?;
    Ok(UserWrite {
        login,
        first_name,
        last_name,
        display_name: text("displayName", b.get("displayname"))?,
        email,
        emails,
        phones,
        address,
        employee_number: text("employeeNumber", ent.get("employeenumber"))?,
        reports_to_id,
        badge_number: text("badgeNumber", own.get("badgenumber"))?,
        payroll_id: text("payrollId", own.get("payrollid"))?,
        title_designation: text("titleDesignation", own.get("titledesignation"))?,
        active,
        password: text("password", b.get("password"))?.map(Secret::new),
        attributes: ScimAttributes {
            external_id: text("externalId", b.get("externalid"))?,
            department: text("department", ent.get("department"))?,
            division: text("division", ent.get("division"))?,
            organization: text("organization", ent.get("organization"))?,
            cost_center: text("costCenter", ent.get("costcenter"))?,
            primary_phone,
        },
    })
}

fn respond(base: &str, status: StatusCode, user: &ScimUser, projection: &Projection) -> Response {
    let body = projection.apply(representation(base, user));
    resource(status, &body, Some(user.user.version))
}

fn projection(query: Option<&str>) -> Result<Projection, ScimError> {
    let raw = RawList::from_query(query)?;
    if !raw.attributes.is_empty() && !raw.excluded_attributes.is_empty() {
        return Err(invalid(
            "attributes and excludedAttributes exclude each other",
        ));
    }
    Projection::new(Resource::User, &raw.attributes, &raw.excluded_attributes)
}

async fn run_list(
    state: &AppState,
    ctx: &muster_service::Ctx,
    base: &str,
    request: ListRequest,
) -> Result<Response, ScimError> {
    let (found, total) = service::list_users(&state.store, ctx, &request.query).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|u| request.projection.apply(representation(base, u)))
        .collect();
    Ok(resource(
        StatusCode::OK,
        &list_response(&items, total, request.start_index),
        None,
    ))
}

/// `GET /Users`.
pub(crate) async fn list(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let request = RawList::from_query(query.as_deref())?.parse(Resource::User)?;
    run_list(&state, &ctx, &base, request).await
}

/// `POST /Users/.search`.
pub(crate) async fn search(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let request = RawList::from_search(&body(&headers, &bytes)?)?.parse(Resource::User)?;
    run_list(&state, &ctx, &base, request).await
}

/// `GET /Users/{id}`.
pub(crate) async fn read(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let projection = projection(query.as_deref())?;
    let user = service::get_user(&state.store, &ctx, id_of(&id)?).await?;
    if super::not_modified(&headers, user.user.version) {
        return Ok(super::unchanged(user.user.version));
    }
    Ok(respond(&base, StatusCode::OK, &user, &projection))
}

/// `POST /Users`.
pub(crate) async fn create(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ScimError> {
    let projection = projection(query.as_deref())?;
    let write = parse_write(&body(&headers, &bytes)?, None)?;
    let user = service::create_user(&state.store, &ctx, write).await?;
    Ok(respond(&base, StatusCode::CREATED, &user, &projection))
}

/// `PUT /Users/{id}`.
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
    let id = id_of(&id)?;
    let body = body(&headers, &bytes)?;
    let current = service::get_user(&state.store, &ctx, id).await?;
    let write = parse_write(&body, Some(&current.user))?;
    let user = service::replace_user(&state.store, &ctx, id, version, write).await?;
    Ok(respond(&base, StatusCode::OK, &user, &projection))
}

/// `PATCH /Users/{id}`.
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
    let current = service::get_user(&state.store, &ctx, id).await?;
    if let Some(v) = version
        && v != current.user.version
    {
        return Err(ScimError::from(muster_service::ServiceError::Stale("user")));
    }
    let mut rep = representation(&base, &current);
    patch::apply(Resource::User, &mut rep, ops)?;
    let Value::Object(patched) = rep else {
        return Err(invalid("the patched user is not an object"));
    };
    let write = parse_write(&patched, Some(&current.user))?;
    let user =
        service::replace_user(&state.store, &ctx, id, Some(current.user.version), write).await?;
    Ok(respond(&base, StatusCode::OK, &user, &projection))
}

/// `DELETE /Users/{id}`: Muster's soft delete.
pub(crate) async fn remove(
    ScimCaller(ctx): ScimCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, ScimError> {
    service::delete_user(&state.store, &ctx, id_of(&id)?, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
