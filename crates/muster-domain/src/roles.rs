//! Roles: org-defined sets of permissions, given to users at locations (placements).
//!
//! A role grants administrative [`Capability`]s and a level in each module of the
//! organization's applications. Its module grants may come from a preset (*View only*,
//! *Edit & view*, *Admin*) or be set one by one (*Custom*); the pure rules for both live
//! here, so that the API, the console and the seeders agree.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::RoleId;
use crate::access::Capability;
use crate::modules::{GrantItems, Grants, Module, validate_grants};
use crate::validation::{FieldError, ValidationErrors, text};

/// Longest role name.
pub const ROLE_NAME_MAX: usize = 100;

wire_enum!(
    /// How a role's module grants were chosen.
    Preset {
        /// Every module at `view` where it has that level, else at its lowest.
        ViewOnly = "view_only",
        /// Every module at `edit` where it has that level, else `view`, else its lowest.
        EditView = "edit_view",
        /// Every module at its top level.
        Admin = "admin",
        /// Chosen module by module.
        Custom = "custom",
    }
);

/// A role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Role {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: RoleId,
    /// Its name, unique in the organization (any case).
    pub name: String,
    /// The node kinds at which it may be given, top of the tree first.
    pub assignable_at: Vec<String>,
    /// The administrative capabilities it grants.
    pub capabilities: Vec<Capability>,
    /// Its level in every module of the organization, by module key: a level, or
    /// `{level, items}` for modules with items.
    pub modules: Grants,
    /// How the grants were chosen. A role whose grants no longer match its preset (a
    /// module was added since) reads as `custom`.
    pub preset: Preset,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `POST /roles`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// Name, 1–100 characters, unique in the organization (any case).
    pub name: String,
    /// Node kinds (by name, any case) at which the role may be given; at least one.
    #[serde(default)]
    pub assignable_at: Vec<String>,
    /// Administrative capabilities (`users.view`, …).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Module grants by module key; modules left out get their lowest level. With a
    /// preset other than `custom` they may be left out (the preset decides) or must equal
    /// what the preset gives.
    #[serde(default)]
    pub modules: Option<Grants>,
    /// Preset; default `custom`.
    #[serde(default)]
    pub preset: Option<Preset>,
}

/// `PATCH /roles/{id}` (JSON merge patch).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New node kinds (the whole list). A kind cannot be dropped while users hold the role
    /// at nodes of that kind.
    #[serde(default)]
    pub assignable_at: Option<Vec<String>>,
    /// New capabilities (the whole list).
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    /// New module grants (the whole map; modules left out get their lowest level). Without
    /// `preset`, a role whose new grants differ from its preset's becomes `custom`.
    #[serde(default)]
    pub modules: Option<Grants>,
    /// New preset: alone, it recomputes the grants.
    #[serde(default)]
    pub preset: Option<Preset>,
}

/// Validates a role name.
pub fn role_name(raw: &str) -> Result<String, FieldError> {
    text("name", raw, ROLE_NAME_MAX)
}

/// Parses capability names (errors name `capabilities[i]`); returns them without
/// duplicates, in [`Capability::ALL`] order.
pub fn capabilities(raw: &[String]) -> Result<Vec<Capability>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut found = Vec::new();
    for (i, name) in raw.iter().enumerate() {
        match name.parse::<Capability>() {
            Ok(capability) => found.push(capability),
            Err(_) => errors.push(
                format!("capabilities[{i}]"),
                format!(
                    "{name:?} is not a capability; use one of: {}",
                    all_capabilities()
                ),
            ),
        }
    }
    errors.into_result()?;
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

fn all_capabilities() -> String {
    Capability::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The module grants `preset` gives, in full canonical form; `None` for `custom`.
///
/// View only puts every module at `view` where it has that level, else at its lowest;
/// Edit & view at `edit`, else `view`, else the lowest; Admin at the top level. Modules
/// with items cover all of them.
#[must_use]
pub fn preset_grants(preset: Preset, modules: &[Module]) -> Option<Grants> {
    let pick = |m: &Module| -> String {
        let first_of = |names: &[&str]| {
            names
                .iter()
                .find(|n| m.has_level(n))
                .map_or_else(|| m.lowest().to_owned(), |n| (*n).to_owned())
        };
        match preset {
            Preset::ViewOnly => first_of(&["view"]),
            Preset::EditView => first_of(&["edit", "view"]),
            Preset::Admin | Preset::Custom => m.top().to_owned(),
        }
    };
    (preset != Preset::Custom).then(|| {
        modules
            .iter()
            .map(|m| (m.key.clone(), m.grant(&pick(m), GrantItems::All)))
            .collect()
    })
}

/// The preset a role with `grants` (full form) and stored preset `stored` shows: the
/// stored one while it still yields exactly these grants, `custom` otherwise.
#[must_use]
pub fn effective_preset(stored: Preset, grants: &Grants, modules: &[Module]) -> Preset {
    match preset_grants(stored, modules) {
        Some(expected) if &expected == grants => stored,
        _ => Preset::Custom,
    }
}

/// Decides a role's preset and full module grants from a request's `preset` and `modules`
/// (either may be absent) and, when updating, the role's `current` preset and grants.
///
/// - a preset other than `custom` alone computes the grants;
/// - a preset with modules requires the modules to be what the preset gives (422 on
///   `preset`), unless the preset is `custom`;
/// - modules alone keep the current preset if they are what it gives, else make the role
///   `custom`;
/// - neither keeps the current state (a new role gets `custom` with every module at its
///   lowest level).
pub fn resolve_grants(
    preset: Option<Preset>,
    modules: Option<&Grants>,
    current: Option<(Preset, &Grants)>,
    defs: &[Module],
) -> Result<(Preset, Grants), ValidationErrors> {
    let requested = modules.map(|m| validate_grants(m, defs)).transpose()?;
    match (preset, requested) {
        (Some(Preset::Custom), Some(grants)) => Ok((Preset::Custom, grants)),
        (Some(Preset::Custom), None) => Ok((
            Preset::Custom,
            current.map_or_else(|| lowest_grants(defs), |(_, g)| g.clone()),
        )),
        (Some(preset), requested) => {
            let expected = preset_grants(preset, defs).unwrap_or_default();
            match requested {
                Some(grants) if grants != expected => Err(ValidationErrors::single(
                    "preset",
                    format!(
                        "the modules given are not what {preset} gives; leave modules out to \
                         use the preset, or send preset custom"
                    ),
                )),
                _ => Ok((preset, expected)),
            }
        }
        (None, Some(grants)) => {
            let preset = current
                .map(|(p, _)| p)
                .filter(|p| preset_grants(*p, defs).as_ref() == Some(&grants))
                .unwrap_or(Preset::Custom);
            Ok((preset, grants))
        }
        (None, None) => Ok(current.map_or_else(
            || (Preset::Custom, lowest_grants(defs)),
            |(p, g)| (p, g.clone()),
        )),
    }
}

/// Every module at its lowest level.
#[must_use]
pub fn lowest_grants(modules: &[Module]) -> Grants {
    modules
        .iter()
        .map(|m| (m.key.clone(), m.grant(m.lowest(), GrantItems::All)))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::modules::ModuleItem;

    fn module(key: &str, levels: &[&str], items: &[&str], requires: bool) -> Module {
        Module {
            key: key.to_owned(),
            name: key.to_owned(),
            levels: levels.iter().map(|l| (*l).to_owned()).collect(),
            items: items
                .iter()
                .map(|i| ModuleItem {
                    key: (*i).to_owned(),
                    name: (*i).to_owned(),
                })
                .collect(),
            requires_items: requires,
            version: 1,
        }
    }

    /// The modules of the `IndusTrack` office-user page.
    fn industrack() -> Vec<Module> {
        vec![
            module("scheduling", &["none", "view", "edit"], &["delivery"], true),
            module("map", &["none", "view"], &["truck_1", "truck_2"], false),
            module("timesheet", &["none", "view", "edit"], &[], false),
            module(
                "settings",
                &["none", "view", "edit", "super_admin"],
                &[],
                false,
            ),
            module("vehicle_tracking", &["off", "on"], &[], false),
        ]
    }

    #[test]
    fn presets_give_the_documented_levels() {
        let modules = industrack();
        let as_json = |p| serde_json::to_value(preset_grants(p, &modules).unwrap()).unwrap();
        assert_eq!(
            as_json(Preset::ViewOnly),
            json!({
                "scheduling": {"level": "view", "items": "all"},
                "map": {"level": "view", "items": "all"},
                "timesheet": "view",
                "settings": "view",
                "vehicle_tracking": "off",
            })
        );
        assert_eq!(
            as_json(Preset::EditView),
            json!({
                "scheduling": {"level": "edit", "items": "all"},
                "map": {"level": "view", "items": "all"},
                "timesheet": "edit",
                "settings": "edit",
                "vehicle_tracking": "off",
            })
        );
        assert_eq!(
            as_json(Preset::Admin),
            json!({
                "scheduling": {"level": "edit", "items": "all"},
                "map": {"level": "view", "items": "all"},
                "timesheet": "edit",
                "settings": "super_admin",
                "vehicle_tracking": "on",
            })
        );
        assert!(preset_grants(Preset::Custom, &modules).is_none());
    }

    #[test]
    fn capabilities_are_checked_deduplicated_and_ordered() {
        let raw = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            capabilities(&raw(&["roles.manage", "users.view", "roles.manage"])).unwrap(),
            [Capability::UsersView, Capability::RolesManage]
        );
        let errors = capabilities(&raw(&["users.view", "users.fly", "root"])).unwrap_err();
        let fields: Vec<_> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["capabilities[1]", "capabilities[2]"]);
    }

    #[test]
    fn a_preset_with_other_modules_is_refused_unless_custom() {
        let modules = industrack();
        let grants: Grants = serde_json::from_value(json!({"timesheet": "edit"})).unwrap();
        let refused =
            resolve_grants(Some(Preset::Admin), Some(&grants), None, &modules).unwrap_err();
        assert_eq!(refused.errors()[0].field, "preset");
        let (preset, full) =
            resolve_grants(Some(Preset::Custom), Some(&grants), None, &modules).unwrap();
        assert_eq!(preset, Preset::Custom);
        assert_eq!(full.len(), 5);
        let admin = preset_grants(Preset::Admin, &modules).unwrap();
        let (preset, _) =
            resolve_grants(Some(Preset::Admin), Some(&admin), None, &modules).unwrap();
        assert_eq!(preset, Preset::Admin);
    }

    #[test]
    fn modules_alone_keep_a_matching_preset_and_otherwise_make_the_role_custom() {
        let modules = industrack();
        let view = preset_grants(Preset::ViewOnly, &modules).unwrap();
        let (preset, _) =
            resolve_grants(None, Some(&view), Some((Preset::ViewOnly, &view)), &modules).unwrap();
        assert_eq!(preset, Preset::ViewOnly);
        let other: Grants = serde_json::from_value(json!({"timesheet": "edit"})).unwrap();
        let (preset, full) = resolve_grants(
            None,
            Some(&other),
            Some((Preset::ViewOnly, &view)),
            &modules,
        )
        .unwrap();
        assert_eq!(preset, Preset::Custom);
        assert_eq!(full["settings"].level(), "none");
        let (preset, full) = resolve_grants(None, None, None, &modules).unwrap();
        assert_eq!((preset, full), (Preset::Custom, lowest_grants(&modules)));
    }

    #[test]
    fn a_role_whose_grants_drifted_from_its_preset_reads_as_custom() {
        let mut modules = industrack();
        let admin = preset_grants(Preset::Admin, &modules).unwrap();
        assert_eq!(
            effective_preset(Preset::Admin, &admin, &modules),
            Preset::Admin
        );
        modules.push(module("forms", &["none", "view", "edit"], &[], false));
        let full = crate::modules::full_grants(&admin, &modules);
        assert_eq!(
            effective_preset(Preset::Admin, &full, &modules),
            Preset::Custom
        );
    }
}
