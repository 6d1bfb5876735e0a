//! The directory (DESIGN.md §2.3): whose directory entry a user sees, by their directory
//! access. The directory lists active users only; private phone numbers are the service's
//! concern (they are never shown there).
//!
//! - `none`: nobody;
//! - `everyone`: every active user;
//! - `shared_locations`: users sharing a placement node with the viewer (any placement,
//!   whatever its dates), and the viewer;
//! - `hierarchy`: members of the viewer's parent group, of their own group and its peer
//!   groups (same parent; root groups are peers), and of every group below their own. A
//!   viewer without a group sees only themself.

use muster_domain::user::{DirectoryAccess, UserStatus};
use muster_domain::{CommandGroupId, NodeId, UserId};

use crate::checks::can_act;
use crate::decision::{Decision, Reason};
use crate::index::{NONE, OrgIndex};

/// Whose entries a directory shows (besides the viewer's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryScope {
    /// Nobody (directory access `none`, or a viewer who cannot act).
    Nobody,
    /// Every active user.
    Everyone,
    /// Users with a placement at one of these nodes.
    AtNodes(Vec<NodeId>),
    /// Members of these command groups.
    InGroups(Vec<CommandGroupId>),
}

impl OrgIndex {
    /// Does `viewer`'s directory show `target`?
    pub fn directory_visible(&self, viewer: UserId, target: UserId) -> Decision {
        let verdict = (|| {
            let (v, ve) = self.user(viewer).ok_or(Reason::UnknownUser(viewer))?;
            can_act(ve)?;
            let (t, te) = self.user(target).ok_or(Reason::UnknownUser(target))?;
            if te.status != UserStatus::Active {
                return Err(Reason::TargetNotActive { status: te.status });
            }
            let access = ve.directory;
            let shown = match access {
                DirectoryAccess::None => false,
                DirectoryAccess::Everyone => true,
                DirectoryAccess::SharedLocations => {
                    v == t
                        || ve
                            .places
                            .iter()
                            .any(|p| te.places.iter().any(|q| q.node == p.node))
                }
                DirectoryAccess::Hierarchy => v == t || self.in_hierarchy_view(ve.group, te.group),
            };
            if shown {
                Ok(Reason::Directory { access })
            } else {
                Err(Reason::DirectoryHidden { access })
            }
        })();
        match verdict {
            Ok(reason) => Decision::allow(reason),
            Err(reason) => Decision::deny(reason),
        }
    }

    /// Whose entries `viewer`'s directory shows, as a filter for a query (active users
    /// only, the viewer always included).
    #[must_use]
    pub fn directory_scope(&self, viewer: UserId) -> DirectoryScope {
        let Some((_, ve)) = self.user(viewer) else {
            return DirectoryScope::Nobody;
        };
        if can_act(ve).is_err() {
            return DirectoryScope::Nobody;
        }
        match ve.directory {
            DirectoryAccess::None => DirectoryScope::Nobody,
            DirectoryAccess::Everyone => DirectoryScope::Everyone,
            DirectoryAccess::SharedLocations => DirectoryScope::AtNodes(
                ve.places
                    .iter()
                    .map(|p| self.nodes.ids[p.node as usize])
                    .collect(),
            ),
            DirectoryAccess::Hierarchy => DirectoryScope::InGroups(
                (0..self.groups.len())
                    .filter_map(|g| u32::try_from(g).ok())
                    .filter(|&g| self.in_hierarchy_view(ve.group, g))
                    .map(|g| self.groups.ids[g as usize])
                    .collect(),
            ),
        }
    }

    /// Whether a member of `gt` is in the hierarchy view of a member of `gv`.
    fn in_hierarchy_view(&self, gv: u32, gt: u32) -> bool {
        if gv == NONE || gt == NONE {
            return false;
        }
        let parent = &self.group_tree.parent;
        let parent_v = parent[gv as usize];
        (parent_v != NONE && gt == parent_v)
            || parent[gt as usize] == parent_v
            || self.group_tree.contains(gv, gt)
    }
}
