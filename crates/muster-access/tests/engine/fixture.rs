//! A small builder for hand-written organizations: everything is named, ids are looked up
//! by name.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use muster_access::{
    Facts, GroupFacts, ModuleFacts, ModuleGrantFacts, NodeFacts, OrgIndex, PlacementFacts,
    RoleFacts, UserFacts,
};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Privilege, Scope, Section};
use muster_domain::modules::GrantItems;
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The day most scenarios are decided on.
pub fn today() -> NaiveDate {
    day("2026-06-15")
}

pub fn privilege(scope: Scope, access: Access, section: Section) -> Privilege {
    Privilege {
        scope,
        access,
        section,
    }
}

#[derive(Default)]
pub struct Org {
    pub facts: Facts,
    nodes: HashMap<String, NodeId>,
    groups: HashMap<String, CommandGroupId>,
    roles: HashMap<String, RoleId>,
    users: HashMap<String, UserId>,
}

/// A placement to give: node, role, default, first and last day.
pub struct At<'a> {
    pub node: &'a str,
    pub role: &'a str,
    pub default: bool,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

/// The default placement.
pub fn home<'a>(node: &'a str, role: &'a str) -> At<'a> {
    At {
        node,
        role,
        default: true,
        starts_on: None,
        ends_on: None,
    }
}

/// Another placement.
pub fn also<'a>(node: &'a str, role: &'a str) -> At<'a> {
    At {
        default: false,
        ..home(node, role)
    }
}

impl At<'_> {
    pub fn from(mut self, starts_on: &str) -> Self {
        self.starts_on = Some(day(starts_on));
        self
    }

    pub fn until(mut self, ends_on: &str) -> Self {
        self.ends_on = Some(day(ends_on));
        self
    }
}

impl Org {
    pub fn node(&mut self, name: &str, kind: &str, parent: Option<&str>) -> &mut Self {
        let id = NodeId::new();
        self.nodes.insert(name.to_owned(), id);
        let parent = parent.map(|p| self.n(p));
        self.facts.nodes.push(NodeFacts {
            id,
            parent,
            kind: kind.to_owned(),
            name: name.to_owned(),
        });
        self
    }

    pub fn group(
        &mut self,
        name: &str,
        parent: Option<&str>,
        privileges: &[Privilege],
    ) -> &mut Self {
        let id = CommandGroupId::new();
        self.groups.insert(name.to_owned(), id);
        let parent = parent.map(|p| self.g(p));
        self.facts.groups.push(GroupFacts {
            id,
            parent,
            name: name.to_owned(),
            privileges: privileges.to_vec(),
        });
        self
    }

    pub fn module(&mut self, key: &str, levels: &[&str], items: &[&str]) -> &mut Self {
        self.facts.modules.push(ModuleFacts {
            key: key.to_owned(),
            levels: levels.iter().map(|l| (*l).to_owned()).collect(),
            items: items.iter().map(|i| (*i).to_owned()).collect(),
        });
        self
    }

    /// A role; module grants as (key, level name, items: `None` = all).
    pub fn role(
        &mut self,
        name: &str,
        capabilities: &[Capability],
        modules: &[(&str, &str, Option<&[&str]>)],
    ) -> &mut Self {
        let id = RoleId::new();
        self.roles.insert(name.to_owned(), id);
        let mut grants = BTreeMap::new();
        for (key, level, items) in modules {
            let module = self.facts.modules.iter().find(|m| m.key == *key).unwrap();
            let level = module.levels.iter().position(|l| l == level).unwrap();
            let items = match items {
                None => GrantItems::All,
                Some(keys) => GrantItems::Keys(keys.iter().map(|k| (*k).to_owned()).collect()),
            };
            grants.insert((*key).to_owned(), ModuleGrantFacts { level, items });
        }
        self.facts.roles.push(RoleFacts {
            id,
            name: name.to_owned(),
            capabilities: capabilities.to_vec(),
            modules: grants,
        });
        self
    }

    pub fn user(&mut self, name: &str, group: Option<&str>, placements: &[At<'_>]) -> UserId {
        let id = UserId::new();
        self.users.insert(name.to_owned(), id);
        let facts = UserFacts {
            id,
            status: UserStatus::Active,
            login_kind: LoginKind::Password,
            is_org_admin: false,
            group: group.map(|g| self.g(g)),
            directory: DirectoryAccess::Everyone,
            placements: placements
                .iter()
                .map(|p| PlacementFacts {
                    node: self.n(p.node),
                    role: self.r(p.role),
                    default: p.default,
                    starts_on: p.starts_on,
                    ends_on: p.ends_on,
                })
                .collect(),
        };
        self.facts.users.push(facts);
        id
    }

    /// Changes a user's facts in place.
    pub fn edit_user(&mut self, name: &str, edit: impl FnOnce(&mut UserFacts)) -> &mut Self {
        let id = self.u(name);
        edit(self.facts.users.iter_mut().find(|u| u.id == id).unwrap());
        self
    }

    pub fn user_facts(&self, name: &str) -> UserFacts {
        let id = self.u(name);
        self.facts
            .users
            .iter()
            .find(|u| u.id == id)
            .unwrap()
            .clone()
    }

    pub fn index(&self) -> OrgIndex {
        OrgIndex::build(&self.facts)
    }

    pub fn n(&self, name: &str) -> NodeId {
        self.nodes[name]
    }

    pub fn g(&self, name: &str) -> CommandGroupId {
        self.groups[name]
    }

    pub fn r(&self, name: &str) -> RoleId {
        self.roles[name]
    }

    pub fn u(&self, name: &str) -> UserId {
        self.users[name]
    }
}
