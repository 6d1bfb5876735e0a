//! SCIM filters (RFC 7644 §3.4.2.2), parsed by `scim_v2`, turned into the store's filter
//! tree: each attribute a filter may name maps to one [`Field`] of `muster_store::scim`,
//! which alone knows its SQL. Unknown attributes, and operators an attribute's type does
//! not support, are `invalidFilter`.

use muster_store::DbTime;
use muster_store::scim::{Cond, Field, MultiValued, Op, Value};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

use super::schema::{ENTERPRISE, MUSTER, Resource};

/// Where an attribute path leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A single-valued attribute.
    Single(Field),
    /// An element attribute of a multi-valued attribute.
    Element(MultiValued, Field),
}

/// Resolves an attribute path of `resource` (any case, optionally URN-qualified).
pub(crate) fn resolve(resource: Resource, path: &AttrPath) -> Result<Target, String> {
    use Field as F;
    let unknown = || format!("unknown attribute {path}");
    let schema = match &path.uri {
        None => resource.core(),
        Some(uri) if uri.eq_ignore_ascii_case(resource.core()) => resource.core(),
        Some(uri) => resource.extension(uri).ok_or_else(unknown)?,
    };
    let name = path.name.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    let single = |f| Ok(Target::Single(f));
    let element = |m: MultiValued| match sub.as_deref() {
        None | Some("value") => Ok(Target::Element(m, F::ItemValue)),
        Some("type") => Ok(Target::Element(m, F::ItemType)),
        Some("primary") if m != MultiValued::Members => Ok(Target::Element(m, F::ItemPrimary)),
        _ => Err(unknown()),
    };
    let common = match (name.as_str(), sub.as_deref()) {
        ("id", None) => Some(single(F::Id)),
        ("externalid", None) => Some(single(F::ExternalId)),
        ("meta", Some("created")) => Some(single(F::Created)),
        ("meta", Some("lastmodified")) => Some(single(F::LastModified)),
        _ => None,
    };
    if schema == resource.core()
        && let Some(target) = common
    {
        return target;
    }
    match (resource, schema, name.as_str(), sub.as_deref()) {
        (Resource::User, _, "username", None) => single(F::UserName),
        (Resource::User, _, "name", Some("givenname")) => single(F::GivenName),
        (Resource::User, _, "name", Some("familyname")) => single(F::FamilyName),
        (Resource::User, _, "name", Some("formatted")) => single(F::FormattedName),
        (Resource::User, _, "displayname", None) => single(F::DisplayName),
        (Resource::User, _, "active", None) => single(F::Active),
        (Resource::User, _, "emails", _) => element(MultiValued::Emails),
        (Resource::User, _, "phonenumbers", _) => element(MultiValued::PhoneNumbers),
        (Resource::User, _, "groups", None | Some("value")) => single(F::GroupId),
        (Resource::User, ENTERPRISE, "employeenumber", None) => single(F::EmployeeNumber),
        (Resource::User, ENTERPRISE, "department", None) => single(F::Department),
        (Resource::User, ENTERPRISE, "division", None) => single(F::Division),
        (Resource::User, ENTERPRISE, "organization", None) => single(F::Organization),
        (Resource::User, ENTERPRISE, "costcenter", None) => single(F::CostCenter),
        (Resource::User, ENTERPRISE, "manager", None | Some("value")) => single(F::ManagerId),
        (Resource::User, MUSTER, "badgenumber", None) => single(F::BadgeNumber),
        (Resource::User, MUSTER, "payrollid", None) => single(F::PayrollId),
        (Resource::User, MUSTER, "titledesignation", None) => single(F::TitleDesignation),
        (Resource::User, MUSTER, "status", None) => single(F::Status),
        (Resource::User, MUSTER, "loginkind", None) => single(F::LoginKind),
        (Resource::Group, _, "displayname", None) => single(F::GroupName),
        (Resource::Group, _, "members", _) => element(MultiValued::Members),
        _ => Err(unknown()),
    }
    .and_then(|t: Target| {
        // Extension attributes are only found under their own URN or unqualified; core
        // attributes never under an extension's.
        let in_extension = matches!(
            t,
            Target::Single(
                F::EmployeeNumber
                    | F::Department
                    | F::Division
                    | F::Organization
                    | F::CostCenter
                    | F::ManagerId
                    | F::BadgeNumber
                    | F::PayrollId
                    | F::TitleDesignation
                    | F::Status
                    | F::LoginKind
            )
        );
        if in_extension == (schema != resource.core()) {
            Ok(t)
        } else {
            Err(unknown())
        }
    })
}

/// Resolves an unqualified extension attribute too: `employeeNumber` means the enterprise
/// extension's (RFC 7644 §3.10 lets clients omit the URN when a name is unambiguous).
pub(crate) fn resolve_any(resource: Resource, path: &AttrPath) -> Result<Target, String> {
    resolve(resource, path).or_else(|error| {
        if path.uri.is_some() {
            return Err(error);
        }
        resource
            .extensions()
            .iter()
            .find_map(|uri| {
                resolve(
                    resource,
                    &AttrPath {
                        uri: Some((*uri).to_owned()),
                        ..path.clone()
                    },
                )
                .ok()
            })
            .ok_or(error)
    })
}

fn op(op: &CompareOp) -> Op {
    match op {
        CompareOp::Eq => Op::Eq,
        CompareOp::Ne => Op::Ne,
        CompareOp::Co => Op::Co,
        CompareOp::Sw => Op::Sw,
        CompareOp::Ew => Op::Ew,
        CompareOp::Gt => Op::Gt,
        CompareOp::Ge => Op::Ge,
        CompareOp::Lt => Op::Lt,
        CompareOp::Le => Op::Le,
    }
}

fn value(field: Field, v: &CompValue) -> Result<Option<Value>, String> {
    Ok(Some(match v {
        CompValue::True => Value::Bool(true),
        CompValue::False => Value::Bool(false),
        CompValue::Null => return Ok(None),
        CompValue::Number(n) => Value::Int(
            n.as_i64()
                .ok_or_else(|| format!("{n} is not a whole number"))?,
        ),
        CompValue::Str(s) if matches!(field, Field::Created | Field::LastModified) => {
            let at = chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| format!("{s:?} is not a date-time (RFC 3339)"))?;
            Value::Time(DbTime::new(at.with_timezone(&chrono::Utc)))
        }
        CompValue::Str(s) => Value::Text(s.clone()),
    }))
}

/// A comparison on `field`; `eq null` means "has no value", `ne null` "has one".
fn comparison(field: Field, o: &CompareOp, v: &CompValue) -> Result<Cond, String> {
    match (value(field, v)?, o) {
        (Some(v), o) => Ok(Cond::Compare(field, op(o), v)),
        (None, &CompareOp::Eq) => Ok(Cond::Not(Box::new(Cond::Present(field)))),
        (None, &CompareOp::Ne) => Ok(Cond::Present(field)),
        (None, _) => Err("null can only be compared with eq or ne".to_owned()),
    }
}

/// The test an attribute expression makes of the field its path resolves to.
type Test<'a> = Box<dyn Fn(Field) -> Result<Cond, String> + 'a>;

fn attr_exp(resource: Resource, exp: &AttrExp) -> Result<Cond, String> {
    let (path, test): (&AttrPath, Test<'_>) = match exp {
        AttrExp::Present(path) => (path, Box::new(|f| Ok(Cond::Present(f)))),
        AttrExp::Comparison(path, o, v) => (path, Box::new(move |f| comparison(f, o, v))),
    };
    match resolve_any(resource, path)? {
        Target::Single(field) => test(field),
        Target::Element(multi, field) => Ok(Cond::Some(multi, Box::new(test(field)?))),
    }
}

/// The element filter of a value path `attr[...]`.
fn val_filter(multi: MultiValued, filter: &ValFilter) -> Result<Cond, String> {
    let element = |path: &AttrPath| -> Result<Field, String> {
        if path.uri.is_some() || path.sub_attr.is_some() {
            return Err(format!("{path} is not an attribute of the values here"));
        }
        match path.name.to_ascii_lowercase().as_str() {
            "value" => Ok(Field::ItemValue),
            "type" => Ok(Field::ItemType),
            "primary" if multi != MultiValued::Members => Ok(Field::ItemPrimary),
            _ => Err(format!("{path} is not an attribute of the values here")),
        }
    };
    Ok(match filter {
        ValFilter::Attr(AttrExp::Present(path)) => Cond::Present(element(path)?),
        ValFilter::Attr(AttrExp::Comparison(path, o, v)) => comparison(element(path)?, o, v)?,
        ValFilter::Not(inner) => Cond::Not(Box::new(val_filter(multi, inner)?)),
        ValFilter::And(items) => Cond::All(
            items
                .as_slice()
                .iter()
                .map(|f| val_filter(multi, f))
                .collect::<Result<_, _>>()?,
        ),
        ValFilter::Or(items) => Cond::Any(
            items
                .as_slice()
                .iter()
                .map(|f| val_filter(multi, f))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The store filter of a parsed SCIM filter on `resource`.
pub(crate) fn translate(resource: Resource, filter: &Filter) -> Result<Cond, String> {
    Ok(match filter {
        Filter::Attr(exp) => attr_exp(resource, exp)?,
        Filter::ValuePath(vp) => match resolve_any(resource, &vp.attr)? {
            Target::Element(multi, Field::ItemValue) if vp.attr.sub_attr.is_none() => {
                Cond::Some(multi, Box::new(val_filter(multi, &vp.filter)?))
            }
            _ => return Err(format!("{} is not a multi-valued attribute", vp.attr)),
        },
        Filter::Not(inner) => Cond::Not(Box::new(translate(resource, inner)?)),
        Filter::And(items) => Cond::All(
            items
                .as_slice()
                .iter()
                .map(|f| translate(resource, f))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(items) => Cond::Any(
            items
                .as_slice()
                .iter()
                .map(|f| translate(resource, f))
                .collect::<Result<_, _>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(filter: &str) -> Result<Cond, String> {
        translate(Resource::User, &filter.parse::<Filter>().unwrap())
    }

    #[test]
    fn attributes_resolve_in_any_case_and_with_their_urn() {
        assert_eq!(
            user(r#"USERNAME eq "a""#).unwrap(),
            Cond::Compare(Field::UserName, Op::Eq, Value::Text("a".into()))
        );
        assert_eq!(
            user(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber sw "7""#)
                .unwrap(),
            Cond::Compare(Field::EmployeeNumber, Op::Sw, Value::Text("7".into()))
        );
        assert_eq!(
            user(r"employeeNumber pr").unwrap(),
            Cond::Present(Field::EmployeeNumber)
        );
        assert!(user(r#"shoeSize eq "9""#).is_err());
        assert!(user(r"urn:ietf:params:scim:schemas:core:2.0:User:employeeNumber pr").is_err());
    }

    #[test]
    fn value_paths_test_one_element() {
        assert_eq!(
            user(r#"emails[type eq "work" and value co "@harbor"]"#).unwrap(),
            Cond::Some(
                MultiValued::Emails,
                Box::new(Cond::All(vec![
                    Cond::Compare(Field::ItemType, Op::Eq, Value::Text("work".into())),
                    Cond::Compare(Field::ItemValue, Op::Co, Value::Text("@harbor".into())),
                ]))
            )
        );
        assert!(user(r#"emails[shoe eq "x"]"#).is_err());
    }

    #[test]
    fn times_must_be_rfc_3339() {
        assert!(user(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).is_ok());
        assert!(user(r#"meta.lastModified gt "yesterday""#).is_err());
    }
}
