//! Listing and searching (RFC 7644 §3.4.2, §3.4.3): the query parameters or `.search`
//! body, paging by `startIndex`/`count`, sorting, and the `attributes` /
//! `excludedAttributes` projection of each returned resource.

use muster_store::scim::{Field, Query};
use scim_v2::filter::{AttrPath, Filter};
use scim_v2::models::errors::ScimType;
use serde_json::{Map, Value, json};

use super::ScimError;
use super::filter::{Target, resolve_any, translate};
use super::schema::{self, Resource};

/// Most resources one page returns (`ServiceProviderConfig.filter.maxResults`).
pub(crate) const MAX_RESULTS: i64 = 200;
/// Resources per page when the client does not say.
const DEFAULT_COUNT: i64 = 100;

/// A list request, parsed.
#[derive(Debug)]
pub(crate) struct ListRequest {
    /// What the store runs.
    pub query: Query,
    /// `startIndex` (1-based).
    pub start_index: i64,
    /// The projection.
    pub projection: Projection,
}

/// Which attributes a response carries.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    /// Only these (plus `id` and `schemas`).
    only: Vec<Selector>,
    /// All but these.
    except: Vec<Selector>,
}

/// One attribute named in `attributes` or `excludedAttributes`.
#[derive(Debug, Clone)]
struct Selector {
    /// The extension's URN; `None` for the core schema.
    extension: Option<&'static str>,
    attr: String,
    sub: Option<String>,
}

/// Raw list parameters, from a query string or a `.search` body.
#[derive(Debug, Default)]
pub(crate) struct RawList {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

fn number(name: &str, value: &str) -> Result<i64, ScimError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(format!("{name} must be a whole number")))
}

fn names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl RawList {
    /// From a query string (parameter names in any case; unknown ones are ignored).
    pub fn from_query(query: Option<&str>) -> Result<Self, ScimError> {
        let mut raw = Self::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.to_ascii_lowercase().as_str() {
                "filter" => raw.filter = Some(value.into_owned()),
                "sortby" => raw.sort_by = Some(value.into_owned()),
                "sortorder" => raw.sort_order = Some(value.into_owned()),
                "startindex" => raw.start_index = Some(number("startIndex", &value)?),
                "count" => raw.count = Some(number("count", &value)?),
                "attributes" => raw.attributes.extend(names(&value)),
                "excludedattributes" => raw.excluded_attributes.extend(names(&value)),
                _ => {}
            }
        }
        Ok(raw)
    }

    /// From a `POST .search` body (RFC 7644 §3.4.3).
    pub fn from_search(body: &Map<String, Value>) -> Result<Self, ScimError> {
        super::check_schemas(body, scim_v2::schema_urns::SEARCH_REQUEST, &[])?;
        let mut raw = Self::default();
        for (key, value) in body {
            let text = || {
                value
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(format!("{key} must be a string")))
            };
            let list = || -> Result<Vec<String>, ScimError> {
                match value {
                    Value::Array(items) => items
                        .iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .ok_or_else(|| invalid(format!("{key} must list strings")))
                        })
                        .collect(),
                    Value::String(s) => Ok(names(s)),
                    _ => Err(invalid(format!("{key} must be an array of strings"))),
                }
            };
            let int = || {
                value
                    .as_i64()
                    .ok_or_else(|| invalid(format!("{key} must be a whole number")))
            };
            match key.to_ascii_lowercase().as_str() {
                "schemas" => {}
                "filter" => raw.filter = Some(text()?),
                "sortby" => raw.sort_by = Some(text()?),
                "sortorder" => raw.sort_order = Some(text()?),
                "startindex" => raw.start_index = Some(int()?),
                "count" => raw.count = Some(int()?),
                "attributes" => raw.attributes = list()?,
                "excludedattributes" => raw.excluded_attributes = list()?,
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidSyntax,
                        format!("unknown search parameter {key:?}"),
                    ));
                }
            }
        }
        Ok(raw)
    }

    /// Validates the request for `resource`.
    pub fn parse(self, resource: Resource) -> Result<ListRequest, ScimError> {
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let parsed: Filter = text.parse().map_err(|e| {
                    ScimError::bad(ScimType::InvalidFilter, format!("malformed filter: {e}"))
                })?;
                Some(
                    translate(resource, &parsed)
                        .map_err(|e| ScimError::bad(ScimType::InvalidFilter, e))?,
                )
            }
        };
        let descending = match self.sort_order.as_deref().map(str::to_ascii_lowercase) {
            None => false,
            Some(o) if o == "ascending" => false,
            Some(o) if o == "descending" => true,
            Some(o) => {
                return Err(invalid(format!(
                    "sortOrder must be ascending or descending, not {o:?}"
                )));
            }
        };
        let sort = match self.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some((sort_field(resource, name)?, descending)),
        };
        // RFC 7644 §3.4.2.4: below 1 means 1; a negative count means 0.
        let start_index = self.start_index.unwrap_or(1).max(1);
        let count = self.count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_RESULTS);
        if !self.attributes.is_empty() && !self.excluded_attributes.is_empty() {
            return Err(invalid(
                "attributes and excludedAttributes exclude each other (RFC 7644 §3.9)",
            ));
        }
        let projection = Projection::new(resource, &self.attributes, &self.excluded_attributes)?;
        Ok(ListRequest {
            query: Query {
                filter,
                sort,
                offset: start_index - 1,
                limit: count,
            },
            start_index,
            projection,
        })
    }
}

/// The single-valued attribute `sortBy` names.
fn sort_field(resource: Resource, name: &str) -> Result<Field, ScimError> {
    let path: AttrPath = format!("{name} pr")
        .parse::<Filter>()
        .ok()
        .and_then(|f| match f {
            Filter::Attr(scim_v2::filter::AttrExp::Present(p)) => Some(p),
            _ => None,
        })
        .ok_or_else(|| invalid(format!("sortBy {name:?} is not an attribute path")))?;
    match resolve_any(resource, &path) {
        Ok(Target::Single(field)) => Ok(field),
        // Multi-valued attributes sort by their primary value (RFC 7644 §3.4.2.3); the
        // primary email is the user's email.
        Ok(Target::Element(muster_store::scim::MultiValued::Emails, Field::ItemValue)) => {
            Ok(Field::Email)
        }
        Ok(Target::Element(..)) => Err(invalid(format!("cannot sort by {name}"))),
        Err(e) => Err(invalid(format!("sortBy: {e}"))),
    }
}

impl Projection {
    /// Validates `attributes` / `excludedAttributes` against `resource`'s schemas.
    pub fn new(resource: Resource, only: &[String], except: &[String]) -> Result<Self, ScimError> {
        let parse = |names: &[String]| -> Result<Vec<Selector>, ScimError> {
            names.iter().map(|n| selector(resource, n)).collect()
        };
        Ok(Self {
            only: parse(only)?,
            except: parse(except)?,
        })
    }

    /// `resource` as the client asked to see it; `schemas` lists the extensions left.
    pub fn apply(&self, resource: Value) -> Value {
        let mut shaped = self.shape(resource);
        if let Some(object) = shaped.as_object_mut() {
            object.retain(|k, v| {
                !(k.starts_with("urn:") && matches!(v, Value::Object(o) if o.is_empty()))
            });
            if let Some(Value::Array(schemas)) = object.get("schemas") {
                let kept: Vec<Value> = schemas
                    .iter()
                    .filter(|s| {
                        s.as_str()
                            .is_some_and(|s| object.contains_key(s) || is_core(s))
                    })
                    .cloned()
                    .collect();
                object.insert("schemas".to_owned(), Value::Array(kept));
            }
        }
        shaped
    }

    fn shape(&self, mut resource: Value) -> Value {
        let Some(object) = resource.as_object_mut() else {
            return resource;
        };
        if !self.only.is_empty() {
            let mut kept = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = object.get(key) {
                    kept.insert(key.to_owned(), v.clone());
                }
            }
            for s in &self.only {
                let (from, to) = match s.extension {
                    None => (Some(&*object), &mut kept),
                    Some(uri) => {
                        let from = object.get(uri).and_then(Value::as_object);
                        let to = kept
                            .entry(uri.to_owned())
                            .or_insert_with(|| json!({}))
                            .as_object_mut();
                        let Some(to) = to else { continue };
                        copy(from, to, s);
                        continue;
                    }
                };
                copy(from, to, s);
            }
            kept.retain(|_, v| !matches!(v, Value::Object(o) if o.is_empty()));
            return Value::Object(kept);
        }
        for s in &self.except {
            let target = match s.extension {
                None => Some(&mut *object),
                Some(uri) => object.get_mut(uri).and_then(Value::as_object_mut),
            };
            if let Some(target) = target {
                match &s.sub {
                    None => {
                        if s.extension.is_some() || !["id", "schemas"].contains(&s.attr.as_str()) {
                            target.remove(&s.attr);
                        }
                    }
                    Some(sub) => match target.get_mut(&s.attr) {
                        Some(Value::Object(o)) => {
                            o.remove(sub);
                        }
                        Some(Value::Array(items)) => {
                            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                                item.remove(sub);
                            }
                        }
                        _ => {}
                    },
                }
            }
        }
        resource
    }
}

/// Whether `uri` is a core schema (always listed).
fn is_core(uri: &str) -> bool {
    uri == schema::USER || uri == schema::GROUP
}

fn copy(from: Option<&Map<String, Value>>, to: &mut Map<String, Value>, s: &Selector) {
    let Some(value) = from.and_then(|f| f.get(&s.attr)) else {
        return;
    };
    match (&s.sub, value) {
        (None, v) => {
            to.insert(s.attr.clone(), v.clone());
        }
        (Some(sub), Value::Object(o)) => {
            if let Some(v) = o.get(sub) {
                let entry = to.entry(s.attr.clone()).or_insert_with(|| json!({}));
                if let Some(e) = entry.as_object_mut() {
                    e.insert(sub.clone(), v.clone());
                }
            }
        }
        (Some(sub), Value::Array(items)) => {
            let picked: Vec<Value> = items
                .iter()
                .filter_map(|i| i.get(sub).map(|v| json!({ sub.clone(): v })))
                .collect();
            to.insert(s.attr.clone(), Value::Array(picked));
        }
        (Some(_), _) => {}
    }
}

/// Resolves one name of `attributes` / `excludedAttributes` to its canonical spelling.
fn selector(resource: Resource, name: &str) -> Result<Selector, ScimError> {
    let unknown = || invalid(format!("unknown attribute {name:?}"));
    let (uri, rest) = if name.to_ascii_lowercase().starts_with("urn:") {
        let (uri, rest) = name.rsplit_once(':').ok_or_else(unknown)?;
        // `urn:…:User` alone names the whole extension.
        if let Some(ext) = resource.extension(name) {
            return Ok(Selector {
                extension: None,
                attr: ext.to_owned(),
                sub: None,
            });
        }
        (Some(uri), rest)
    } else {
        (None, name)
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let extension = match uri {
        None => None,
        Some(u) if u.eq_ignore_ascii_case(resource.core()) => None,
        Some(u) => Some(resource.extension(u).ok_or_else(unknown)?),
    };
    let common = ["id", "externalId", "meta", "schemas"]
        .into_iter()
        .find(|c| extension.is_none() && c.eq_ignore_ascii_case(attr));
    if let Some(common) = common {
        return Ok(Selector {
            extension: None,
            attr: common.to_owned(),
            sub: sub.map(str::to_owned),
        });
    }
    let lookup = |ext: Option<&'static str>| {
        let schema = schema::get(ext.unwrap_or(resource.core()))?;
        let a = schema.attr(attr)?;
        let sub = match sub {
            None => None,
            Some(s) => Some(a.sub(s)?.name.clone()),
        };
        Some(Selector {
            extension: ext,
            attr: a.name.clone(),
            sub,
        })
    };
    if uri.is_some() {
        return lookup(extension).ok_or_else(unknown);
    }
    lookup(None)
        .or_else(|| resource.extensions().iter().find_map(|e| lookup(Some(*e))))
        .ok_or_else(unknown)
}

/// A `ListResponse` of already projected resources.
pub(crate) fn list_response(resources: &[Value], total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [scim_v2::schema_urns::LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
