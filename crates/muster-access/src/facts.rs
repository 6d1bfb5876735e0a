//! The facts an organization's access decisions are made from, as plain data.
//!
//! The service layer loads these from the database (one organization at a time) and hands
//! them to [`OrgIndex::build`](crate::OrgIndex::build). Keeping them plain — no ids resolved,
//! no derived data — lets the store fill them with simple queries and lets tests and
//! benchmarks write organizations by hand. Everything derived (tree intervals, bitsets,
//! dense ids) lives in the index.
//!
//! References are by id; the store guarantees they resolve. The index does not trust that
//! blindly: a placement naming an unknown node or role is dropped, an unknown parent makes
//! a root, an unknown group leaves the user without one (see [`crate::index`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use muster_domain::access::Capability;
use muster_domain::hierarchy::Privilege;
use muster_domain::modules::{GrantItems, Grants, Module, full_grants};
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

/// Everything the engine knows of one organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The org tree (one root: the organization itself).
    pub nodes: Vec<NodeFacts>,
    /// The command hierarchy, with each group's privileges.
    pub groups: Vec<GroupFacts>,
    /// The roles.
    pub roles: Vec<RoleFacts>,
    /// The modules of the organization's applications.
    pub modules: Vec<ModuleFacts>,
    /// The users (deleted ones may be left out: they act on nothing and nobody sees them).
    pub users: Vec<UserFacts>,
}

/// A node of the org tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    /// Its id.
    pub id: NodeId,
    /// Its parent; `None` for the root.
    pub parent: Option<NodeId>,
    /// Its kind's name ("Division").
    pub kind: String,
    /// Its name, for explanations.
    pub name: String,
}

/// A command group and its privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    /// Its id.
    pub id: CommandGroupId,
    /// The group above it; `None` for a root group.
    pub parent: Option<CommandGroupId>,
    /// Its name, for explanations.
    pub name: String,
    /// What its members may see and change of others' records.
    pub privileges: Vec<Privilege>,
}

/// A role: capabilities and module grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    /// Its id.
    pub id: RoleId,
    /// Its name, for explanations.
    pub name: String,
    /// The administrative capabilities it grants.
    pub capabilities: Vec<Capability>,
    /// Its grants by module key; a module left out is at its lowest level.
    pub modules: BTreeMap<String, ModuleGrantFacts>,
}

/// What a role grants in one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleGrantFacts {
    /// Index of the level in the module's levels (0 = lowest).
    pub level: usize,
    /// The items covered (ignored for modules without items).
    pub items: GrantItems,
}

impl ModuleGrantFacts {
    /// A role's grants as facts, from its stored (sparse) grants: every module of
    /// `modules`, at the stored level if it is still one of the module's, else the lowest
    /// (the same reading as [`full_grants`]).
    #[must_use]
    pub fn from_grants(stored: &Grants, modules: &[Module]) -> BTreeMap<String, Self> {
        let full = full_grants(stored, modules);
        modules
            .iter()
            .filter_map(|module| {
                let grant = full.get(&module.key)?;
                let level = module.levels.iter().position(|l| l == grant.level())?;
                let items = grant.items().cloned().unwrap_or(GrantItems::All);
                Some((module.key.clone(), Self { level, items }))
            })
            .collect()
    }
}

/// A module of the organization's applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFacts {
    /// Its key.
    pub key: String,
    /// Its levels, lowest first.
    pub levels: Vec<String>,
    /// Its item keys (empty when it has none).
    pub items: Vec<String>,
}

impl From<&Module> for ModuleFacts {
    fn from(module: &Module) -> Self {
        Self {
            key: module.key.clone(),
            levels: module.levels.clone(),
            items: module.items.iter().map(|i| i.key.clone()).collect(),
        }
    }
}

/// A user, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    /// Their id.
    pub id: UserId,
    /// Lifecycle status: only `active` users act.
    pub status: UserStatus,
    /// How they sign in: non-login users never act.
    pub login_kind: LoginKind,
    /// Organization administrator.
    pub is_org_admin: bool,
    /// Their command group.
    pub group: Option<CommandGroupId>,
    /// Whom they see in the directory.
    pub directory: DirectoryAccess,
    /// Their placements (role @ node).
    pub placements: Vec<PlacementFacts>,
}

/// A placement: a role at a node, optionally time-bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacementFacts {
    /// Where.
    pub node: NodeId,
    /// With which role.
    pub role: RoleId,
    /// Whether it is the user's default placement.
    pub default: bool,
    /// First day in force (inclusive); `None` when not bounded.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force (inclusive); `None` when not bounded.
    pub ends_on: Option<NaiveDate>,
}

impl PlacementFacts {
    /// Whether the placement is in force on `today` (both bounds inclusive).
    #[must_use]
    pub fn in_force(&self, today: NaiveDate) -> bool {
        self.starts_on.is_none_or(|s| s <= today) && self.ends_on.is_none_or(|e| today <= e)
    }
}

#[cfg(test)]
mod tests {
    use muster_domain::modules::{ModuleGrant, ModuleItem};

    use super::*;

    fn module(key: &str, levels: &[&str], items: &[&str]) -> Module {
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
            requires_items: false,
            version: 1,
        }
    }

    #[test]
    fn stored_grants_become_level_indexes_with_every_module_present() {
        let modules = [
            module(
                "scheduling",
                &["none", "view", "edit"],
                &["delivery", "install"],
            ),
            module("map", &["none", "view"], &[]),
            module("settings", &["none", "view", "edit", "super_admin"], &[]),
        ];
        let mut stored = Grants::new();
        stored.insert(
            "scheduling".into(),
            ModuleGrant::Items {
                level: "edit".into(),
                items: GrantItems::Keys(vec!["install".into(), "gone".into()]),
            },
        );
        stored.insert(
            "settings".into(),
            ModuleGrant::Level("retired_level".into()),
        );
        let facts = ModuleGrantFacts::from_grants(&stored, &modules);
        assert_eq!(facts.len(), 3);
        assert_eq!(facts["scheduling"].level, 2);
        assert_eq!(
            facts["scheduling"].items,
            GrantItems::Keys(vec!["install".into()])
        );
        assert_eq!(facts["map"].level, 0);
        assert_eq!(
            facts["settings"].level, 0,
            "a level no longer offered reads as the lowest"
        );
    }
}
