//! Whom a viewer can see, as a filter a database query can apply (DESIGN.md §2.4): the
//! forward question "may V open T's profile?" turned around for lists, so that a page of
//! users and its total contain exactly the people the viewer may open, without asking the
//! forward question row by row.
//!
//! Profile visibility has three sources: the viewer themself; `users.view` at the current
//! location, which reaches everyone with a placement in its subtree (the service decides
//! that part with [`OrgIndex::check_capability`], because API tokens narrow capabilities
//! but not privileges); and the privileges of the viewer's command group, which reach
//! whole groups, since a relation depends only on the two groups. This module answers the
//! third.

use muster_domain::CommandGroupId;
use muster_domain::UserId;
use muster_domain::hierarchy::Scope;

use crate::checks::can_act;
use crate::index::{NONE, OrgIndex};

/// The members a viewer's command-group privileges let them open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrivilegeScope {
    /// Everyone in the organization (an organization administrator, or a privilege of
    /// scope `all`).
    pub everyone: bool,
    /// Every member of these groups (other than the viewer, who always sees themself).
    pub groups: Vec<CommandGroupId>,
}

impl OrgIndex {
    /// Whose profiles `viewer`'s command-group privileges open (any section, any access).
    /// Empty for an unknown viewer or one who cannot act.
    #[must_use]
    pub fn privilege_scope(&self, viewer: UserId) -> PrivilegeScope {
        let Some((_, ve)) = self.user(viewer) else {
            return PrivilegeScope::default();
        };
        if can_act(ve).is_err() {
            return PrivilegeScope::default();
        }
        if ve.is_org_admin {
            return PrivilegeScope {
                everyone: true,
                groups: Vec::new(),
            };
        }
        if ve.group == NONE {
            return PrivilegeScope::default();
        }
        let scopes = self.group_privileges[ve.group as usize].scopes;
        if scopes & (1 << Scope::All as u8) != 0 {
            return PrivilegeScope {
                everyone: true,
                groups: Vec::new(),
            };
        }
        let groups = (0..self.groups.len())
            .filter_map(|g| u32::try_from(g).ok())
            .filter(|&g| {
                self.group_relation(ve.group, g)
                    .scope()
                    .is_some_and(|s| scopes & (1 << s as u8) != 0)
            })
            .map(|g| self.groups.ids[g as usize])
            .collect();
        PrivilegeScope {
            everyone: false,
            groups,
        }
    }

    /// The root of the organization tree (the organization itself), if the index has
    /// any node.
    #[must_use]
    pub fn root(&self) -> Option<muster_domain::NodeId> {
        (0..self.nodes.len())
            .find(|&n| self.node_tree.parent[n] == NONE)
            .map(|n| self.nodes.ids[n])
    }

    /// The command group of `user`, if known and in one.
    #[must_use]
    pub fn group_of(&self, user: UserId) -> Option<CommandGroupId> {
        let entry = self.user_entry(user)?;
        (entry.group != NONE).then(|| self.groups.ids[entry.group as usize])
    }

    /// Whether `user` has a placement at `node` or below it.
    #[must_use]
    pub fn placed_within(&self, user: UserId, node: muster_domain::NodeId) -> bool {
        match (self.user_entry(user), self.nodes.get(&node)) {
            (Some(entry), Some(n)) => entry
                .places
                .iter()
                .any(|p| self.node_tree.contains(n, p.node)),
            _ => false,
        }
    }

    /// Whether `node` is a valid current location for `user`: the node of one of their
    /// placements or a node below one.
    #[must_use]
    pub fn can_work_at(&self, user: UserId, node: muster_domain::NodeId) -> bool {
        match (self.user_entry(user), self.nodes.get(&node)) {
            (Some(entry), Some(n)) => entry
                .places
                .iter()
                .any(|p| self.node_tree.contains(p.node, n)),
            _ => false,
        }
    }

    /// Whether `user` is an organization administrator.
    #[must_use]
    pub fn is_org_admin(&self, user: UserId) -> bool {
        self.user_entry(user).is_some_and(|e| e.is_org_admin)
    }

    /// The capabilities `role` grants, `None` for a role the index does not know.
    #[must_use]
    pub fn role_capabilities_known(
        &self,
        role: muster_domain::RoleId,
    ) -> Option<Vec<muster_domain::access::Capability>> {
        self.roles
            .get(&role)
            .map(|r| crate::index::caps_of(self.role_caps[r as usize]))
    }

    /// The capabilities `role` grants (none for an unknown role).
    #[must_use]
    pub fn role_capabilities(
        &self,
        role: muster_domain::RoleId,
    ) -> Vec<muster_domain::access::Capability> {
        self.roles.get(&role).map_or_else(Vec::new, |r| {
            crate::index::caps_of(self.role_caps[r as usize])
        })
    }

    /// The role of `user`'s placement at `node`, if they have one there.
    #[must_use]
    pub fn role_at(
        &self,
        user: UserId,
        node: muster_domain::NodeId,
    ) -> Option<muster_domain::RoleId> {
        let entry = self.user_entry(user)?;
        let n = self.nodes.get(&node)?;
        entry
            .places
            .iter()
            .find(|p| p.node == n)
            .map(|p| self.roles.ids[p.role as usize])
    }
}
