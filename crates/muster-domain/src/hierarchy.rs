//! The command hierarchy: command groups and the privileges on personnel records attached
//! to them (DESIGN.md §2.2).
//!
//! A privilege says: members of this group may `access` (view, or edit which implies view)
//! the `section` of people in `scope` relative to them. Two combinations make no sense and
//! are refused: editing one's peers' records, and editing the read-only sections (the audit
//! log and related reports).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CommandGroupId;
use crate::validation::{FieldError, ValidationErrors, text};

/// Longest command group name.
pub const GROUP_NAME_MAX: usize = 100;
/// Most privileges one group may hold (every scope × section combination fits).
pub const PRIVILEGES_MAX: usize = 100;

wire_enum!(
    /// Whom a privilege reaches, relative to the viewer V.
    Scope {
        /// Anyone in the organization.
        All = "all",
        /// People whose group is a child of V's.
        Direct = "direct",
        /// People whose group lies two or more levels below V's.
        Indirect = "indirect",
        /// V themself.
        Own = "self",
        /// People whose group has the same parent as V's (including V's own group), not V.
        Peers = "peers",
    }
);

wire_enum!(
    /// What a privilege allows on a section. `edit` implies `view`.
    Access {
        /// Read.
        View = "view",
        /// Read and change.
        Edit = "edit",
    }
);

impl Access {
    /// Whether holding `self` is enough for `needed`.
    #[must_use]
    pub fn covers(self, needed: Self) -> bool {
        self >= needed
    }
}

wire_enum!(
    /// A protected section of a person's record.
    Section {
        /// The person's audit log (read-only).
        AuditLog = "audit_log",
        /// Commendations and awards.
        Commendations = "commendations",
        /// Date of birth, gender and org-defined demographic fields.
        Demographics = "demographics",
        /// Discipline records.
        Discipline = "discipline",
        /// Feedback notes.
        FeedbackNotes = "feedback_notes",
        /// Performance reviews.
        PerformanceReviews = "performance_reviews",
        /// The photo.
        Photo = "photo",
        /// Promotions and assignments.
        Promotions = "promotions",
        /// Links to records in other systems (read-only).
        RelatedReports = "related_reports",
        /// Service history.
        ServiceHistory = "service_history",
        /// Lifecycle status.
        Status = "status",
    }
);

impl Section {
    /// Whether the section can only ever be viewed.
    #[must_use]
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::AuditLog | Self::RelatedReports)
    }
}

/// One privilege of a command group.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Privilege {
    /// Whom it reaches.
    pub scope: Scope,
    /// View or edit.
    pub access: Access,
    /// Which section.
    pub section: Section,
}

impl Privilege {
    /// Why this combination is refused, if it is.
    #[must_use]
    pub fn refusal(&self) -> Option<String> {
        if self.access == Access::Edit && self.scope == Scope::Peers {
            return Some("peers' records can be viewed, never edited".to_owned());
        }
        if self.access == Access::Edit && self.section.is_read_only() {
            return Some(format!("{} is read-only; grant view", self.section));
        }
        None
    }
}

/// A command group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommandGroup {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: CommandGroupId,
    /// Its name, unique in the organization (any case).
    pub name: String,
    /// The group above it; `null` for a root group.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub parent_id: Option<CommandGroupId>,
    /// What its members may see and change of others' records.
    pub privileges: Vec<Privilege>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `POST /command-groups`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommandGroup {
    /// Name, 1–100 characters, unique in the organization (any case).
    pub name: String,
    /// The group above it; absent or `null` for a root group.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub parent_id: Option<CommandGroupId>,
    /// Its privileges.
    #[serde(default)]
    pub privileges: Vec<Privilege>,
}

/// `PATCH /command-groups/{id}` (JSON merge patch): rename, move, replace privileges.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandGroupPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New parent (never the group itself or one below it); `null` makes it a root group.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub parent_id: Option<Option<CommandGroupId>>,
    /// New privileges (the whole list).
    #[serde(default)]
    pub privileges: Option<Vec<Privilege>>,
}

/// Validates a command group name.
pub fn group_name(raw: &str) -> Result<String, FieldError> {
    text("name", raw, GROUP_NAME_MAX)
}

/// Checks a group's privileges: refused combinations and a (scope, section) given twice
/// are errors on `privileges[i]`. Returns them sorted.
pub fn validate_privileges(privileges: &[Privilege]) -> Result<Vec<Privilege>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if privileges.len() > PRIVILEGES_MAX {
        errors.push(
            "privileges",
            format!("must list at most {PRIVILEGES_MAX} privileges"),
        );
    }
    for (i, privilege) in privileges.iter().enumerate() {
        if let Some(why) = privilege.refusal() {
            errors.push(format!("privileges[{i}]"), why);
        } else if privileges[..i]
            .iter()
            .any(|p| p.scope == privilege.scope && p.section == privilege.section)
        {
            errors.push(
                format!("privileges[{i}]"),
                format!(
                    "{} for {} is listed twice",
                    privilege.section, privilege.scope
                ),
            );
        }
    }
    errors.into_result()?;
    let mut sorted = privileges.to_vec();
    sorted.sort_by_key(|p| (p.section, p.scope));
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(scope: Scope, access: Access, section: Section) -> Privilege {
        Privilege {
            scope,
            access,
            section,
        }
    }

    #[test]
    fn peers_cannot_edit_and_read_only_sections_cannot_be_edited() {
        assert!(
            p(Scope::Peers, Access::View, Section::Discipline)
                .refusal()
                .is_none()
        );
        assert!(
            p(Scope::Peers, Access::Edit, Section::Discipline)
                .refusal()
                .is_some()
        );
        assert!(
            p(Scope::All, Access::Edit, Section::AuditLog)
                .refusal()
                .is_some()
        );
        assert!(
            p(Scope::Direct, Access::Edit, Section::RelatedReports)
                .refusal()
                .is_some()
        );
        assert!(
            p(Scope::Own, Access::Edit, Section::Photo)
                .refusal()
                .is_none()
        );
    }

    #[test]
    fn invalid_or_repeated_privileges_name_their_index() {
        let list = [
            p(Scope::Direct, Access::Edit, Section::Discipline),
            p(Scope::Peers, Access::Edit, Section::Discipline),
            p(Scope::Direct, Access::View, Section::Discipline),
            p(Scope::All, Access::Edit, Section::AuditLog),
        ];
        let errors = validate_privileges(&list).unwrap_err();
        let fields: Vec<_> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["privileges[1]", "privileges[2]", "privileges[3]"]);
    }

    #[test]
    fn valid_privileges_come_back_sorted_by_section_then_scope() {
        let list = [
            p(Scope::Own, Access::Edit, Section::Photo),
            p(Scope::All, Access::View, Section::AuditLog),
            p(Scope::Direct, Access::Edit, Section::Photo),
        ];
        let sorted = validate_privileges(&list).unwrap();
        assert_eq!(sorted[0].section, Section::AuditLog);
        assert_eq!(sorted[1].scope, Scope::Direct);
        assert_eq!(sorted[2].scope, Scope::Own);
    }

    #[test]
    fn edit_covers_view() {
        assert!(Access::Edit.covers(Access::View));
        assert!(!Access::View.covers(Access::Edit));
    }

    #[test]
    fn privileges_use_their_wire_names() {
        let json =
            serde_json::json!({"scope": "self", "access": "edit", "section": "feedback_notes"});
        let privilege: Privilege = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(privilege.scope, Scope::Own);
        assert_eq!(serde_json::to_value(privilege).unwrap(), json);
    }
}
