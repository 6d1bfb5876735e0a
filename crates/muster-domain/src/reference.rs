//! The organization's reference lists: the ordered, named choices other records pick from
//! (ranks, titles, units, specialties, separation statuses, assignment types) and the node
//! kinds of the organization tree, which are administered the same way.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::validation::{FieldError, text};

/// Longest reference item name accepted.
pub const ITEM_NAME_MAX: usize = 100;

/// Largest position accepted (positions only order a list; they need not be dense).
pub const POSITION_MAX: i64 = 1_000_000;

wire_enum!(
    /// One of the organization's reference lists, as named in `/reference/{list}`.
    ReferenceList {
        /// Ranks (Captain, Lieutenant, …).
        Ranks = "ranks",
        /// Job titles ("VP").
        Titles = "titles",
        /// Units.
        Units = "units",
        /// Specialties (a user may have several).
        Specialties = "specialties",
        /// Why someone left (retired, resigned, …).
        SeparationStatuses = "separation_statuses",
        /// Kinds of assignment of a promotion/assignment record.
        AssignmentTypes = "assignment_types",
        /// The kinds of node of the organization tree (Region, Division, …).
        NodeKinds = "node_kinds",
    }
);

impl ReferenceList {
    /// Parses a list name from a path; `None` for a list that does not exist.
    #[must_use]
    pub fn from_path(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|l| l.as_str() == name)
    }

    /// Whether this list is the tree's node kinds (stored apart from the other lists).
    #[must_use]
    pub const fn is_node_kinds(self) -> bool {
        matches!(self, Self::NodeKinds)
    }
}

/// An entry of a reference list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReferenceItem {
    /// Its id (a node kind's id for `node_kinds`).
    pub id: Uuid,
    /// Its name, unique within the list (ignoring case).
    pub name: String,
    /// Where it sorts in the list (ascending; ties sort by name).
    pub position: i64,
    /// Node kinds only: whether this is the kind of the root node (the organization
    /// itself), which can be neither deleted nor given to another node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_root: Option<bool>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `POST /reference/{list}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferenceItem {
    /// Name, 1–100 characters, unique within the list (ignoring case).
    // Required, but optional to serde so that a missing name is reported on `name`.
    #[serde(default)]
    #[schema(value_type = String, required)]
    pub name: Option<String>,
    /// Position, 0–1000000; defaults to after the last item.
    #[serde(default)]
    pub position: Option<i64>,
}

/// `PATCH /reference/{list}/{id}` (JSON merge patch): rename or move within the list.
/// Neither field may be `null`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceItemPatch {
    /// New name.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = String)]
    pub name: Option<Option<String>>,
    /// New position.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = i64)]
    pub position: Option<Option<i64>>,
}

/// A validated item name.
pub fn item_name(raw: &str) -> Result<String, FieldError> {
    text("name", raw, ITEM_NAME_MAX)
}

/// A validated position.
pub fn position(value: i64) -> Result<i64, FieldError> {
    if (0..=POSITION_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            "position",
            format!("must be between 0 and {POSITION_MAX}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_parsed_from_their_wire_names_only() {
        assert_eq!(
            ReferenceList::from_path("ranks"),
            Some(ReferenceList::Ranks)
        );
        assert_eq!(
            ReferenceList::from_path("node_kinds"),
            Some(ReferenceList::NodeKinds)
        );
        assert_eq!(ReferenceList::from_path("Ranks"), None);
        assert_eq!(ReferenceList::from_path("planets"), None);
    }

    #[test]
    fn positions_are_bounded() {
        assert_eq!(position(0), Ok(0));
        assert!(position(-1).is_err());
        assert!(position(POSITION_MAX + 1).is_err());
    }
}
