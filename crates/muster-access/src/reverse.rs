//! The reverse questions (DESIGN.md §2.5): **who** can see or change a person's record, and
//! who administers them — answered from the index's reverse lists, never by asking the
//! forward question of every user.
//!
//! `who_can` goes group by group: a viewer's relation to the target depends only on the two
//! groups (except for the target themself), so each group is decided once and its members
//! follow. `administrators_of` walks up from the target's placement nodes (a handful of
//! ancestors each) and reads the placements there whose role grants any capability.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use muster_domain::UserId;
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Section};

use crate::decision::{Reason, Relation};
use crate::index::{NONE, OrgIndex, cap_bit, caps_of, day};

/// The `users.*` capabilities.
const USERS_CAPS: u16 = cap_bit(Capability::UsersView)
    | cap_bit(Capability::UsersCreate)
    | cap_bit(Capability::UsersEdit)
    | cap_bit(Capability::UsersLifecycle)
    | cap_bit(Capability::UsersResetPassword);

impl OrgIndex {
    /// Everyone who may `access` section `section` of `target`'s record, with why, ordered
    /// by user id: the organization administrators and the members of every group whose
    /// privileges cover their relation to the target (the target themself included when
    /// their own group's privileges cover `self`). Only users who can act are listed.
    /// Empty for an unknown target. Section access does not depend on dates.
    #[must_use]
    pub fn who_can(
        &self,
        target: UserId,
        section: Section,
        access: Access,
    ) -> Vec<(UserId, Reason)> {
        let Some((t, te)) = self.user(target) else {
            return Vec::new();
        };
        let mut out: Vec<(UserId, Reason)> = self
            .org_admins
            .iter()
            .filter_map(|&a| self.entry(a))
            .filter(|e| e.can_act())
            .map(|e| (e.id, Reason::OrgAdmin))
            .collect();
        if !te.is_org_admin
            && te.can_act()
            && let Some(reason) = self.covering_privilege(te.group, Relation::Own, section, access)
        {
            out.push((te.id, reason));
        }
        for (g, members) in self.group_members.iter().enumerate() {
            // INVARIANT: group numbers fit u32 (see index::dense).
            let g = u32::try_from(g).unwrap_or(NONE);
            let relation = self.group_relation(g, te.group);
            let Some(reason) = self.covering_privilege(g, relation, section, access) else {
                continue;
            };
            for &v in members {
                let Some(entry) = self.entry(v) else { continue };
                if v != t && !entry.is_org_admin && entry.can_act() {
                    out.push((entry.id, reason.clone()));
                }
            }
        }
        out.sort_by_key(|(id, _)| *id);
        out
    }

    /// Who holds `users.*` capabilities over `target` on `today`, with those capabilities
    /// and why, ordered by user id: the organization administrators (every `users.*`
    /// capability) and everyone with a placement in force at one of the target's placement
    /// nodes or an ancestor of one (in force or not, like the scope rule) whose role grants
    /// any of them. The reason names the first such placement found, nearest the target
    /// first. Only users who can act are listed; empty for an unknown target.
    #[must_use]
    pub fn administrators_of(
        &self,
        target: UserId,
        today: NaiveDate,
    ) -> Vec<(UserId, Vec<Capability>, Reason)> {
        let Some(te) = self.user_entry(target) else {
            return Vec::new();
        };
        let today = day(today);
        let mut found: BTreeMap<u32, (u16, Reason)> = BTreeMap::new();
        for &a in &self.org_admins {
            if self.entry(a).is_some_and(crate::index::UserEntry::can_act) {
                found.insert(a, (USERS_CAPS, Reason::OrgAdmin));
            }
        }
        // The target's placement nodes and their ancestors, each once, nearest first.
        let mut nodes: Vec<u32> = Vec::new();
        for p in &te.places {
            let mut n = p.node;
            // INVARIANT: parent pointers are acyclic (Tree::build breaks cycles), so the
            // walk ends at a root; a node already seen has had its ancestors added too.
            while n != NONE && !nodes.contains(&n) {
                nodes.push(n);
                n = self.node_tree.parent[n as usize];
            }
        }
        for &n in &nodes {
            for &(u, i) in &self.grantors_at[n as usize] {
                let Some(entry) = self.entry(u) else { continue };
                let Some(p) = entry.places.get(i as usize) else {
                    continue;
                };
                let bits = p.caps & USERS_CAPS;
                if bits == 0 || !p.in_force(today) || !entry.can_act() {
                    continue;
                }
                found
                    .entry(u)
                    .and_modify(|(held, _)| *held |= bits)
                    .or_insert_with(|| {
                        let reason = Reason::Placement {
                            role: self.roles.named(p.role),
                            node: self.nodes.named(p.node),
                        };
                        (bits, reason)
                    });
            }
        }
        let mut out: Vec<_> = found
            .into_iter()
            .filter_map(|(u, (bits, reason))| Some((self.entry(u)?.id, caps_of(bits), reason)))
            .collect();
        out.sort_by_key(|(id, _, _)| *id);
        out
    }
}
