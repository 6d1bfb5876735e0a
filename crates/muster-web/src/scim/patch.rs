//! PATCH (RFC 7644 §3.5.2): the operations are applied, in order, to the resource's
//! current SCIM representation; the result is then read like a `PUT` body. A request
//! either applies whole or not at all: an operation that cannot apply (a read-only
//! attribute, a path that leads nowhere, a value that does not fit) fails the request
//! before anything is written, and so does a result that is not a valid resource.

use scim_v2::filter::{
    AttrExp, AttrPath, CompValue, CompareOp, PatchPath, PatchValuePath, ValFilter,
};
use scim_v2::models::errors::ScimType;
use scim_v2::models::others::{OperationTarget, PatchOp, PatchOperation};
use serde_json::{Map, Value};

use super::ScimError;
use super::schema::{self, Attr, Mutability, Resource};

/// Parses a PATCH request body (400 `invalidSyntax`, or `invalidPath` for a bad path).
pub(crate) fn parse(body: Map<String, Value>) -> Result<PatchOp, ScimError> {
    super::check_schemas(&body, scim_v2::schema_urns::PATCH_OP, &[])?;
    let ops: PatchOp = serde_json::from_value(Value::Object(body)).map_err(|e| {
        let message = e.to_string();
        let kind = if message.contains("SCIM path") {
            ScimType::InvalidPath
        } else {
            ScimType::InvalidSyntax
        };
        ScimError::bad(kind, format!("malformed PATCH request: {message}"))
    })?;
    if ops.operations.is_empty() {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "a PATCH request needs at least one operation",
        ));
    }
    Ok(ops)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// Applies `ops` to `representation` (a resource of `resource` as this server shows it).
pub(crate) fn apply(
    resource: Resource,
    representation: &mut Value,
    ops: PatchOp,
) -> Result<(), ScimError> {
    for op in ops.operations {
        match op {
            PatchOperation::Add(target) => {
                apply_target(resource, representation, Kind::Add, target)?;
            }
            PatchOperation::Replace(target) => {
                apply_target(resource, representation, Kind::Replace, target)?;
            }
            PatchOperation::Remove { path, value } => {
                apply_path(resource, representation, Kind::Remove, &path, value)?;
            }
        }
    }
    Ok(())
}

fn apply_target(
    resource: Resource,
    rep: &mut Value,
    kind: Kind,
    target: OperationTarget,
) -> Result<(), ScimError> {
    match target {
        OperationTarget::WithPath { path, value } => {
            let Some(value) = value else {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "add and replace operations need a value",
                ));
            };
            apply_path(resource, rep, kind, &path, Some(value))
        }
        OperationTarget::WithoutPath { value } => {
            for (key, v) in value {
                if let Some(ext) = resource.extension(&key) {
                    let Value::Object(attrs) = v else {
                        return Err(ScimError::bad(
                            ScimType::InvalidValue,
                            format!("{key} must be an object"),
                        ));
                    };
                    for (name, v) in attrs {
                        if name.eq_ignore_ascii_case("schemas") {
                            continue;
                        }
                        let path = path_of(&format!("{ext}:{name}"))?;
                        apply_path(resource, rep, kind, &path, Some(v))?;
                    }
                } else {
                    let path = path_of(&key)?;
                    apply_path(resource, rep, kind, &path, Some(v))?;
                }
            }
            Ok(())
        }
    }
}

fn path_of(text: &str) -> Result<PatchPath, ScimError> {
    text.parse()
        .map_err(|e| ScimError::bad(ScimType::InvalidPath, format!("bad path {text:?}: {e}")))
}

/// Where an attribute lives in the representation.
struct Location {
    /// The extension object holding it; `None` for the top level.
    extension: Option<&'static str>,
    /// Its definition (`None` for `externalId`).
    attr: Option<&'static Attr>,
    /// Its canonical name.
    name: String,
}

fn locate(resource: Resource, path: &AttrPath) -> Result<Location, ScimError> {
    let unknown = || ScimError::bad(ScimType::InvalidPath, format!("unknown attribute {path}"));
    let extension = match &path.uri {
        None => None,
        Some(uri) if uri.eq_ignore_ascii_case(resource.core()) => None,
        Some(uri) => Some(resource.extension(uri).ok_or_else(unknown)?),
    };
    if extension.is_none() {
        match path.name.to_ascii_lowercase().as_str() {
            "externalid" => {
                return Ok(Location {
                    extension: None,
                    attr: None,
                    name: "externalId".to_owned(),
                });
            }
            "id" | "meta" | "schemas" => {
                return Err(ScimError::bad(
                    ScimType::Mutability,
                    format!("{} is read-only", path.name),
                ));
            }
            _ => {}
        }
    }
    let find = |ext: Option<&'static str>| {
        schema::get(ext.unwrap_or(resource.core()))
            .and_then(|s| s.attr(&path.name))
            .map(|a| (ext, a))
    };
    let (extension, attr) = match extension {
        Some(e) => find(Some(e)),
        None => find(None).or_else(|| {
            // An unqualified extension attribute (`employeeNumber`).
            resource.extensions().iter().find_map(|e| find(Some(*e)))
        }),
    }
    .ok_or_else(unknown)?;
    if attr.mutability == Mutability::ReadOnly {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("{} is read-only", attr.name),
        ));
    }
    if let Some(sub) = &path.sub_attr {
        let s = attr.sub(sub).ok_or_else(unknown)?;
        if s.mutability == Mutability::ReadOnly {
            return Err(ScimError::bad(
                ScimType::Mutability,
                format!("{}.{} is read-only", attr.name, s.name),
            ));
        }
    }
    Ok(Location {
        extension,
        attr: Some(attr),
        name: attr.name.clone(),
    })
}

fn container<'a>(
    rep: &'a mut Value,
    extension: Option<&str>,
) -> Option<&'a mut Map<String, Value>> {
    let top = rep.as_object_mut()?;
    match extension {
        None => Some(top),
        Some(ext) => top
            .entry(ext.to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut(),
    }
}

fn canonical_sub(attr: Option<&Attr>, sub: &str) -> String {
    attr.and_then(|a| a.sub(sub))
        .map_or_else(|| sub.to_owned(), |s| s.name.clone())
}

/// Renames an element's keys to their canonical spelling.
fn canonical_object(attr: Option<&Attr>, value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (canonical_sub(attr, &k), v))
                .collect(),
        ),
        other => other,
    }
}

fn apply_path(
    resource: Resource,
    rep: &mut Value,
    kind: Kind,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    match path {
        // `urn:…:User` alone: the whole extension (it parses as URN `urn:…:2.0`, name `User`).
        PatchPath::Attr(attr_path) if let Some(ext) = whole_extension(resource, attr_path) => {
            match (kind, value) {
                (Kind::Remove, _) => {
                    if let Some(top) = rep.as_object_mut() {
                        top.remove(ext);
                    }
                }
                (_, Some(Value::Object(attrs))) => {
                    for (name, v) in attrs {
                        if name.eq_ignore_ascii_case("schemas") {
                            continue;
                        }
                        let path = path_of(&format!("{ext}:{name}"))?;
                        apply_path(resource, rep, kind, &path, Some(v))?;
                    }
                }
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        format!("{ext} takes an object"),
                    ));
                }
            }
            Ok(())
        }
        PatchPath::Attr(attr_path) => apply_attr(resource, rep, kind, attr_path, value),
        PatchPath::Value(vp) => apply_value_path(resource, rep, kind, vp, value),
    }
}

/// An operation on a plain attribute path (`name`, `name.givenName`, `urn:…:department`).
fn apply_attr(
    resource: Resource,
    rep: &mut Value,
    kind: Kind,
    attr_path: &AttrPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let loc = locate(resource, attr_path)?;
    let attr = loc.attr;
    let multi = attr.is_some_and(|a| a.multi);
    let Some(obj) = container(rep, loc.extension) else {
        return Ok(());
    };
    match (&attr_path.sub_attr, kind) {
        (None, Kind::Remove) => {
            match (value, obj.get_mut(&loc.name)) {
                // Entra removes members by value: `{"path": "members", "value": [{"value": id}]}`.
                (Some(v), Some(Value::Array(items))) if multi => {
                    let gone: Vec<Value> = as_list(v)
                        .into_iter()
                        .filter_map(|i| i.get("value").cloned())
                        .collect();
                    items.retain(|i| !i.get("value").is_some_and(|x| gone.contains(x)));
                }
                _ => {
                    obj.remove(&loc.name);
                }
            }
        }
        (None, _) => {
            let value = value.unwrap_or(Value::Null);
            if multi {
                set_values(obj, &loc.name, attr, kind, value)?;
            } else if attr.is_some_and(|a| a.complex) {
                let Value::Object(parts) = canonical_object(attr, value) else {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        format!("{} takes an object", loc.name),
                    ));
                };
                let entry = obj
                    .entry(loc.name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Some(e) = entry.as_object_mut() {
                    e.extend(parts);
                }
            } else {
                obj.insert(loc.name.clone(), value);
            }
        }
        (Some(sub), _) => {
            if multi {
                return Err(ScimError::bad(
                    ScimType::InvalidPath,
                    format!("{} has several values: select them with a filter", loc.name),
                ));
            }
            let sub = canonical_sub(attr, sub);
            if kind == Kind::Remove {
                if let Some(Value::Object(o)) = obj.get_mut(&loc.name) {
                    o.remove(&sub);
                }
            } else {
                let entry = obj
                    .entry(loc.name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Some(e) = entry.as_object_mut() {
                    e.insert(sub, value.unwrap_or(Value::Null));
                }
            }
        }
    }
    Ok(())
}

/// An operation on a value path (`emails[type eq "work"]`, `emails[…].value`).
fn apply_value_path(
    resource: Resource,
    rep: &mut Value,
    kind: Kind,
    vp: &PatchValuePath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let loc = locate(resource, &vp.attr)?;
    let attr = loc.attr;
    if !attr.is_some_and(|a| a.multi) {
        return Err(ScimError::bad(
            ScimType::InvalidPath,
            format!("{} is not multi-valued", loc.name),
        ));
    }
    let sub = vp.sub_attr.as_deref().map(|s| canonical_sub(attr, s));
    let Some(obj) = container(rep, loc.extension) else {
        return Ok(());
    };
    let entry = obj
        .entry(loc.name.clone())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    let Some(items) = entry.as_array_mut() else {
        return Ok(());
    };
    let matching: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches(&vp.filter, i))
        .map(|(n, _)| n)
        .collect();
    if kind == Kind::Remove {
        match &sub {
            None => {
                let mut n = 0;
                items.retain(|_| {
                    let keep = !matching.contains(&n);
                    n += 1;
                    keep
                });
            }
            Some(sub) => {
                for &n in &matching {
                    if let Some(o) = items[n].as_object_mut() {
                        o.remove(sub);
                    }
                }
            }
        }
        return Ok(());
    }
    let value = value.unwrap_or(Value::Null);
    if matching.is_empty() {
        // `emails[type eq "work"].value` on a user without a work email: the
        // element the filter describes is created (what Entra and Okta expect).
        if let ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(v))) =
            &vp.filter
        {
            let mut element = Map::new();
            element.insert(canonical_sub(attr, &p.name), Value::String(v.clone()));
            match (&sub, canonical_object(attr, value)) {
                (Some(sub), value) => {
                    element.insert(sub.clone(), value);
                }
                (None, Value::Object(parts)) => element.extend(parts),
                (None, _) => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "a value path without a sub-attribute takes an object",
                    ));
                }
            }
            items.push(Value::Object(element));
            return Ok(());
        }
        return Err(ScimError::bad(
            ScimType::NoTarget,
            format!("no value of {} matches the filter", loc.name),
        ));
    }
    for &n in &matching {
        let Some(o) = items[n].as_object_mut() else {
            continue;
        };
        match (&sub, canonical_object(attr, value.clone())) {
            (Some(sub), v) => {
                o.insert(sub.clone(), v);
            }
            (None, Value::Object(parts)) => {
                if kind == Kind::Replace {
                    o.clear();
                }
                o.extend(parts);
            }
            (None, _) => {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "a value path without a sub-attribute takes an object",
                ));
            }
        }
    }
    Ok(())
}

/// Adds values to a multi-valued attribute (a new primary value takes over), or replaces
/// them all; more than one primary value in one operation conflicts.
fn set_values(
    obj: &mut Map<String, Value>,
    name: &str,
    attr: Option<&Attr>,
    kind: Kind,
    value: Value,
) -> Result<(), ScimError> {
    let new: Vec<Value> = as_list(value)
        .into_iter()
        .map(|v| canonical_object(attr, v))
        .collect();
    let primaries = new
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count();
    if primaries > 1 {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("only one value of {name} may be primary"),
        ));
    }
    if kind == Kind::Replace {
        obj.insert(name.to_owned(), Value::Array(new));
    } else {
        let entry = obj
            .entry(name.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        if let Some(items) = entry.as_array_mut() {
            for v in new {
                if v.get("primary") == Some(&Value::Bool(true)) {
                    for i in items.iter_mut() {
                        if let Some(o) = i.as_object_mut() {
                            o.insert("primary".into(), Value::Bool(false));
                        }
                    }
                }
                let same = items
                    .iter()
                    .any(|i| i.get("value").is_some() && i.get("value") == v.get("value"));
                if !same {
                    items.push(v);
                }
            }
        }
    }
    Ok(())
}

/// The extension a path names as a whole, if it does.
fn whole_extension(resource: Resource, path: &AttrPath) -> Option<&'static str> {
    let uri = path.uri.as_deref()?;
    if path.sub_attr.is_some() {
        return None;
    }
    resource.extension(&format!("{uri}:{}", path.name))
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Whether an element of a multi-valued attribute matches a value filter.
fn matches(filter: &ValFilter, element: &Value) -> bool {
    match filter {
        ValFilter::Attr(exp) => attr_matches(exp, element),
        ValFilter::Not(inner) => !matches(inner, element),
        ValFilter::And(items) => items.as_slice().iter().all(|f| matches(f, element)),
        ValFilter::Or(items) => items.as_slice().iter().any(|f| matches(f, element)),
    }
}

fn field<'a>(element: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let object = element.as_object()?;
    let value = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
        .map(|(_, v)| v)?;
    match &path.sub_attr {
        None => Some(value),
        Some(sub) => value
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .map(|(_, v)| v),
    }
}

fn attr_matches(exp: &AttrExp, element: &Value) -> bool {
    match exp {
        AttrExp::Present(path) => field(element, path)
            .is_some_and(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.is_empty())),
        AttrExp::Comparison(path, op, expected) => {
            let actual = field(element, path);
            match (actual, expected) {
                (Some(Value::String(a)), CompValue::Str(e)) => {
                    let (a, e) = (a.to_lowercase(), e.to_lowercase());
                    match op {
                        CompareOp::Eq => a == e,
                        CompareOp::Ne => a != e,
                        CompareOp::Co => a.contains(&e),
                        CompareOp::Sw => a.starts_with(&e),
                        CompareOp::Ew => a.ends_with(&e),
                        CompareOp::Gt => a > e,
                        CompareOp::Ge => a >= e,
                        CompareOp::Lt => a < e,
                        CompareOp::Le => a <= e,
                    }
                }
                (Some(Value::Bool(a)), CompValue::True | CompValue::False) => {
                    let e = matches!(expected, CompValue::True);
                    match op {
                        CompareOp::Eq => *a == e,
                        CompareOp::Ne => *a != e,
                        _ => false,
                    }
                }
                (None | Some(Value::Null), CompValue::Null) => *op == CompareOp::Eq,
                (Some(v), CompValue::Null) => *op == CompareOp::Ne && !v.is_null(),
                (None, _) => *op == CompareOp::Ne,
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patch(rep: &mut Value, ops: &Value) -> Result<(), ScimError> {
        let body = json!({"schemas": [scim_v2::schema_urns::PATCH_OP], "Operations": ops});
        let Value::Object(body) = body else {
            unreachable!()
        };
        apply(Resource::User, rep, parse(body)?)
    }

    #[test]
    fn operations_apply_in_order_to_the_representation() {
        let mut rep = json!({"userName": "a", "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x.org", "type": "work", "primary": true}]});
        patch(&mut rep, &json!([
            {"op": "Replace", "path": "name.givenName", "value": "Ann"},
            {"op": "add", "path": "emails", "value": [{"value": "b@x.org", "type": "other"}]},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "c@x.org"},
            {"op": "add", "value": {"displayName": "Annie",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"}}},
            {"op": "remove", "path": "emails[value eq \"b@x.org\"]"},
        ]))
        .unwrap();
        assert_eq!(rep["name"]["givenName"], "Ann");
        assert_eq!(
            rep["emails"],
            json!([{"value": "c@x.org", "type": "work", "primary": true}])
        );
        assert_eq!(rep["displayName"], "Annie");
        assert_eq!(
            rep["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            "Ops"
        );
    }

    #[test]
    fn read_only_unknown_and_unmatched_targets_are_refused() {
        let mut rep = json!({"userName": "a"});
        let e = patch(
            &mut rep,
            &json!([{"op": "replace", "path": "groups", "value": []}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
        let e = patch(
            &mut rep,
            &json!([{"op": "replace", "path": "shoeSize", "value": 9}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        let e = patch(
            &mut rep,
            &json!([{"op": "replace", "path": "emails[value co \"x\"].type",
            "value": "work"}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::NoTarget));
        let e = patch(
            &mut rep,
            &json!([{"op": "replace", "path": "emails[value eq", "value": 1}]),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    }
}
