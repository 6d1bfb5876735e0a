//! The schemas Muster serves (RFC 7643 §7), and the attribute catalogue derived from them.
//!
//! The schema documents in `schemas/` are what `GET /Schemas` returns, and the same
//! documents decide how requests are read: attribute names are matched without regard to
//! case (RFC 7643 §2.1), unknown attributes are refused, and read-only ones cannot be
//! patched. One source, so the published schema and the behaviour cannot drift apart.

use std::sync::OnceLock;

use serde_json::Value;

/// The core User schema.
pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (RFC 7643 §4.3).
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Muster's own User extension.
pub(crate) const MUSTER: &str = "urn:muster:scim:schemas:extension:2.0:User";
/// The core Group schema.
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

const DOCUMENTS: [&str; 4] = [
    include_str!("schemas/user.json"),
    include_str!("schemas/enterprise_user.json"),
    include_str!("schemas/muster_user.json"),
    include_str!("schemas/group.json"),
];

/// Whether and when an attribute may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutability {
    /// Never by clients.
    ReadOnly,
    /// Freely.
    ReadWrite,
    /// Set, never returned.
    WriteOnly,
    /// Set once.
    Immutable,
}

/// One attribute of a schema.
#[derive(Debug, Clone)]
pub(crate) struct Attr {
    /// Its canonical name.
    pub name: String,
    /// Multi-valued.
    pub multi: bool,
    /// Complex (has sub-attributes).
    pub complex: bool,
    /// Its mutability.
    pub mutability: Mutability,
    /// Sub-attributes of a complex attribute.
    pub sub: Vec<Attr>,
}

impl Attr {
    /// The sub-attribute named `name` (any case).
    pub fn sub(&self, name: &str) -> Option<&Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// One schema: its id, attributes and the document served for it.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// The schema URN.
    pub id: String,
    /// Its attributes.
    pub attributes: Vec<Attr>,
    /// The document `GET /Schemas` serves.
    pub document: Value,
}

impl Schema {
    /// The attribute named `name` (any case).
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

fn parse_attr(value: &Value) -> Option<Attr> {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    Some(Attr {
        name: text("name")?.to_owned(),
        multi: value.get("multiValued").and_then(Value::as_bool)?,
        complex: text("type")? == "complex",
        mutability: match text("mutability")? {
            "readOnly" => Mutability::ReadOnly,
            "writeOnly" => Mutability::WriteOnly,
            "immutable" => Mutability::Immutable,
            _ => Mutability::ReadWrite,
        },
        sub: value
            .get("subAttributes")
            .and_then(Value::as_array)
            .map(|subs| subs.iter().filter_map(parse_attr).collect())
            .unwrap_or_default(),
    })
}

fn parse(document: &str) -> Option<Schema> {
    let document: Value = serde_json::from_str(document).ok()?;
    Some(Schema {
        id: document.get("id")?.as_str()?.to_owned(),
        attributes: document
            .get("attributes")?
            .as_array()?
            .iter()
            .filter_map(parse_attr)
            .collect(),
        document,
    })
}

/// Every schema Muster serves, parsed once.
pub(crate) fn all() -> &'static [Schema] {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| DOCUMENTS.iter().filter_map(|d| parse(d)).collect())
}

/// The schema `id` (any case).
pub(crate) fn get(id: &str) -> Option<&'static Schema> {
    all().iter().find(|s| s.id.eq_ignore_ascii_case(id))
}

/// A resource type: its core schema and its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    /// `User`.
    User,
    /// `Group`.
    Group,
}

impl Resource {
    /// The core schema's id.
    pub fn core(self) -> &'static str {
        match self {
            Self::User => USER,
            Self::Group => GROUP,
        }
    }

    /// The extension schemas' ids.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::User => &[ENTERPRISE, MUSTER],
            Self::Group => &[],
        }
    }

    /// The resource type's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The extension `id` (any case), as its canonical id.
    pub fn extension(self, id: &str) -> Option<&'static str> {
        self.extensions()
            .iter()
            .copied()
            .find(|e| e.eq_ignore_ascii_case(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_document_parses_with_all_its_attributes() {
        assert_eq!(all().len(), DOCUMENTS.len());
        for (schema, raw) in all().iter().zip(DOCUMENTS) {
            let doc: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(
                schema.attributes.len(),
                doc["attributes"].as_array().unwrap().len(),
                "{}",
                schema.id
            );
        }
        let user = get(USER).unwrap();
        assert_eq!(user.attr("USERNAME").unwrap().name, "userName");
        assert!(user.attr("emails").unwrap().sub("Value").is_some());
        assert_eq!(
            user.attr("groups").unwrap().mutability,
            Mutability::ReadOnly
        );
    }
}
