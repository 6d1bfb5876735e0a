//! Organizations and their tree.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, text};

/// Longest organization name accepted.
pub const ORG_NAME_MAX: usize = 100;
/// Longest node name accepted.
pub const NODE_NAME_MAX: usize = 100;

/// A validated organization name ("Harbor County Police").
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgName(String);

impl OrgName {
    /// Validates a name: 1–100 characters after trimming, no control characters, and at
    /// least one letter or digit (so that it has a usable slug).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = text("org_name", raw, ORG_NAME_MAX)?;
        if !name.chars().any(char::is_alphanumeric) {
            return Err(FieldError::new(
                "org_name",
                "must contain at least one letter or digit",
            ));
        }
        Ok(Self(name))
    }

    /// The name as given (trimmed).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The organization's short handle used at sign-in: lowercase letters and digits
    /// joined by single hyphens ("Harbor County Police" → `harbor-county-police`).
    #[must_use]
    pub fn slug(&self) -> String {
        let mut slug = String::with_capacity(self.0.len());
        for word in self
            .0
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.extend(word.chars().flat_map(char::to_lowercase));
        }
        slug
    }
}

impl TryFrom<String> for OrgName {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OrgName> for String {
    fn from(value: OrgName) -> Self {
        value.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgName({:?})", self.0)
    }
}

/// A validated node name.
pub fn node_name(raw: &str) -> Result<String, FieldError> {
    text("name", raw, NODE_NAME_MAX)
}

/// The node kinds a new organization starts with, from the top of the tree down.
pub const DEFAULT_NODE_KINDS: [&str; 3] = ["Region", "Division", "Location"];

/// The kind every organization's root node has: the organization itself. Roles that
/// apply across the whole organization are assignable at it.
pub const ROOT_NODE_KIND: &str = "Organization";

/// A postal address. Every part is optional; nodes and users without their own address use
/// the organization's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Apartment, suite, building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street2: Option<String>,
    /// City or town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal or ZIP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country (ISO 3166-1 alpha-2 preferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_joins_lowercase_words_with_hyphens() {
        let name = OrgName::parse("  Harbor County  Police (HCPD) ").unwrap();
        assert_eq!(name.as_str(), "Harbor County  Police (HCPD)");
        assert_eq!(name.slug(), "harbor-county-police-hcpd");
    }

    #[test]
    fn a_name_without_letters_or_digits_is_refused() {
        assert!(OrgName::parse("---").is_err());
        assert!(OrgName::parse("").is_err());
    }
}
