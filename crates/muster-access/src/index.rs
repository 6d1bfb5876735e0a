//! The in-memory index of one organization: [`OrgIndex`].
//!
//! Built once from [`Facts`], it turns every question the checks ask into a few integer
//! operations:
//!
//! - **Dense ids.** Nodes, groups, roles, modules and users are numbered `0..n` at build
//!   time; UUIDs are turned into these numbers once per check (one hash lookup each) and
//!   everything after works on `u32`s and plain vectors.
//! - **Euler-tour intervals** for the org tree and the command hierarchy: a node gets the
//!   number at which a depth-first walk enters it and the last number inside its subtree,
//!   so "is X in subtree(Y)" is `enter[Y] <= enter[X] <= exit[Y]` — two comparisons, no
//!   walk up parent pointers. Groups also get their depth (for `indirect`).
//! - **Bitsets.** A role's capabilities are a `u16`; a group's privileges are two `u64`s
//!   (one bit per section × scope, for view and for edit). Each placement carries a copy of
//!   its role's capability bits so a check touches only the subject's own placements.
//! - **Reverse lists** for the "who can" questions: members per group, placements whose
//!   role grants any capability per node, and the organization administrators.
//!
//! # Keeping it current
//!
//! User changes (profile access fields, status, group, placements) are cheap to apply:
//! [`OrgIndex::upsert_user`] and [`OrgIndex::remove_user`] touch only that user's entries
//! (cost: the user's placements plus a scan of their group's member list).
//!
//! Changes to the **tree, the command hierarchy, the roles or the modules** renumber
//! intervals and bitsets that every user entry refers to: the service calls
//! [`OrgIndex::build`] again with fresh [`Facts`]. Building is linear in the size of the
//! organization — O(nodes + groups + roles × modules + users × placements) — and takes
//! tens of milliseconds for 100k users (see `BENCHMARKS.md`); such changes are rare
//! administrative acts, so the rebuild is the simple and safe choice. Build into a new
//! value and swap it in (e.g. behind an `Arc`), so readers never see a half-built index.

use std::collections::BTreeSet;
use std::hash::Hash;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Privilege, Scope, Section};
use muster_domain::modules::GrantItems;
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

use crate::decision::Named;
use crate::facts::{Facts, GroupFacts, ModuleFacts, NodeFacts, RoleFacts, UserFacts};
use crate::hash::IdMap;

/// "No such entry" in a dense reference (no parent, no group, no default placement).
pub(crate) const NONE: u32 = u32::MAX;

// INVARIANT: a capability's bit is its position in `Capability::ALL`, which is its
// declaration order; they must fit the `u16` bitsets.
const _: () = assert!(Capability::ALL.len() <= 16);
// INVARIANT: a privilege's bit is `section * SCOPES + scope`; they must fit a `u64`.
const SCOPES: usize = Scope::ALL.len();
const _: () = assert!(Section::ALL.len() * SCOPES <= 64);

/// A capability's bit in a role's bitset.
#[inline]
pub(crate) const fn cap_bit(capability: Capability) -> u16 {
    1 << capability as u16
}

/// The capabilities in a bitset, in [`Capability::ALL`] order.
pub(crate) fn caps_of(bits: u16) -> Vec<Capability> {
    Capability::ALL
        .iter()
        .copied()
        .filter(|c| bits & cap_bit(*c) != 0)
        .collect()
}

/// A privilege's bit in a group's view or edit mask.
#[inline]
pub(crate) const fn privilege_bit(section: Section, scope: Scope) -> u64 {
    1 << (section as usize * SCOPES + scope as usize)
}

/// A date as a day number, so a placement's bounds compare as integers.
#[inline]
pub(crate) fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The day number back as a date (`None` for the open bounds).
pub(crate) fn date(day: i32) -> Option<NaiveDate> {
    if day == i32::MIN || day == i32::MAX {
        None
    } else {
        NaiveDate::from_num_days_from_ce_opt(day)
    }
}

/// A dense number for the `i`th entry.
// INVARIANT: an organization has far fewer than u32::MAX nodes, groups, roles or users.
#[inline]
fn dense(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// Ids, names and the id → dense number map of one kind of entity.
#[derive(Debug, Clone)]
pub(crate) struct Entities<I> {
    pub(crate) ix: IdMap<I, u32>,
    pub(crate) ids: Vec<I>,
    pub(crate) names: Vec<Arc<str>>,
}

impl<I: Copy + Eq + Hash> Entities<I> {
    /// Numbers `items` in order; a repeated id keeps its first entry. Returns, for each
    /// item, whether it was kept.
    fn build<'a, T: 'a>(
        items: impl IntoIterator<Item = &'a T>,
        id: impl Fn(&T) -> I,
        name: impl Fn(&T) -> &str,
    ) -> (Self, Vec<bool>) {
        let mut entities = Self {
            ix: IdMap::default(),
            ids: Vec::new(),
            names: Vec::new(),
        };
        let mut kept = Vec::new();
        for item in items {
            let id = id(item);
            let fresh = !entities.ix.contains_key(&id);
            if fresh {
                entities.ix.insert(id, dense(entities.ids.len()));
                entities.ids.push(id);
                entities.names.push(Arc::from(name(item)));
            }
            kept.push(fresh);
        }
        (entities, kept)
    }

    #[inline]
    pub(crate) fn get(&self, id: &I) -> Option<u32> {
        self.ix.get(id).copied()
    }

    pub(crate) fn named(&self, i: u32) -> Named<I> {
        Named {
            id: self.ids[i as usize],
            name: Arc::clone(&self.names[i as usize]),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// A forest numbered by a depth-first walk.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub(crate) parent: Vec<u32>,
    pub(crate) enter: Vec<u32>,
    pub(crate) exit: Vec<u32>,
    pub(crate) depth: Vec<u32>,
}

impl Tree {
    /// Numbers the forest given by parent pointers (`NONE` for a root).
    ///
    /// INVARIANT (of the data, kept by the store): the parent pointers form no cycle. A
    /// cycle is broken rather than looped on: its first node becomes a root.
    fn build(mut parent: Vec<u32>) -> Self {
        let n = parent.len();
        // Children in compressed rows: `children[start[p]..start[p + 1]]`.
        let mut start = vec![0u32; n + 1];
        for &p in &parent {
            if p != NONE {
                start[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut children = vec![0u32; start[n] as usize];
        for (v, &p) in parent.iter().enumerate() {
            if p != NONE {
                children[fill[p as usize] as usize] = dense(v);
                fill[p as usize] += 1;
            }
        }

        let mut enter = vec![0u32; n];
        let mut depth = vec![0u32; n];
        let mut visited = vec![false; n];
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut stack: Vec<u32> = Vec::new();
        let roots = (0..n).filter(|&v| parent[v] == NONE).collect::<Vec<_>>();
        let leftovers = 0..n;
        for root in roots.into_iter().chain(leftovers) {
            if visited[root] {
                continue;
            }
            // A node not reached from any root sits on (or under) a cycle: make it a root.
            parent[root] = NONE;
            visited[root] = true;
            stack.push(dense(root));
            while let Some(v) = stack.pop() {
                enter[v as usize] = dense(order.len());
                order.push(v);
                let (from, to) = (start[v as usize] as usize, start[v as usize + 1] as usize);
                for &c in &children[from..to] {
                    if !visited[c as usize] {
                        visited[c as usize] = true;
                        depth[c as usize] = depth[v as usize] + 1;
                        stack.push(c);
                    }
                }
            }
        }
        // Popping from a stack still enters each subtree as one contiguous run, so a
        // subtree's numbers are enter[v] .. enter[v] + size[v] - 1.
        let mut size = vec![1u32; n];
        for &v in order.iter().rev() {
            let p = parent[v as usize];
            if p != NONE {
                size[p as usize] += size[v as usize];
            }
        }
        let exit = (0..n).map(|v| enter[v] + size[v] - 1).collect();
        Self {
            parent,
            enter,
            exit,
            depth,
        }
    }

    /// Whether `x` is `ancestor` or lies below it.
    #[inline]
    pub(crate) fn contains(&self, ancestor: u32, x: u32) -> bool {
        let (a, x) = (ancestor as usize, x as usize);
        self.enter[a] <= self.enter[x] && self.enter[x] <= self.exit[a]
    }
}

/// A group's privileges as bitsets, plus the list for explanations.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupPrivileges {
    /// Bits of (section, scope) the group may view (edit privileges included).
    pub(crate) view: u64,
    /// Bits of (section, scope) the group may edit.
    pub(crate) edit: u64,
    /// Bit `scope` set when the group holds any privilege of that scope.
    pub(crate) scopes: u8,
}

impl GroupPrivileges {
    fn new(privileges: &[Privilege]) -> Self {
        let mut out = Self::default();
        for p in privileges {
            let bit = privilege_bit(p.section, p.scope);
            out.view |= bit;
            if p.access == Access::Edit {
                out.edit |= bit;
            }
            out.scopes |= 1 << p.scope as u8;
        }
        out
    }

    /// The mask that answers "may they `access`".
    #[inline]
    pub(crate) fn mask(&self, access: Access) -> u64 {
        match access {
            Access::View => self.view,
            Access::Edit => self.edit,
        }
    }
}

/// The items of one module a role's grant covers.
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemSet {
    pub(crate) all: bool,
    pub(crate) bits: Box<[u64]>,
}

impl ItemSet {
    #[inline]
    pub(crate) fn covers(&self, item: u32) -> bool {
        self.all
            || self
                .bits
                .get(item as usize / 64)
                .is_some_and(|w| w & (1 << (item % 64)) != 0)
    }
}

/// A module: its key, level names and item numbering.
#[derive(Debug, Clone)]
pub(crate) struct ModuleEntry {
    pub(crate) key: Arc<str>,
    pub(crate) levels: Vec<Arc<str>>,
    pub(crate) item_ix: IdMap<Box<str>, u32>,
    pub(crate) items: Vec<Arc<str>>,
}

impl ModuleEntry {
    pub(crate) fn level(&self, name: &str) -> Option<u8> {
        self.levels
            .iter()
            .position(|l| &**l == name)
            .and_then(|i| u8::try_from(i).ok())
    }
}

/// A placement, resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub(crate) node: u32,
    pub(crate) role: u32,
    /// INVARIANT: equal to `role_caps[role]`; roles change only through a rebuild.
    pub(crate) caps: u16,
    /// First day in force (`i32::MIN` when open).
    pub(crate) starts: i32,
    /// Last day in force (`i32::MAX` when open).
    pub(crate) ends: i32,
}

impl Place {
    #[inline]
    pub(crate) fn in_force(&self, today: i32) -> bool {
        self.starts <= today && today <= self.ends
    }
}

/// A user, resolved.
#[derive(Debug, Clone)]
pub(crate) struct UserEntry {
    pub(crate) id: UserId,
    pub(crate) status: UserStatus,
    pub(crate) login_kind: LoginKind,
    pub(crate) is_org_admin: bool,
    pub(crate) group: u32,
    pub(crate) directory: DirectoryAccess,
    pub(crate) places: Vec<Place>,
    /// The node of the default placement (`NONE` if the user has no placement left).
    pub(crate) default_node: u32,
}

impl UserEntry {
    /// Whether the user can act at all: active and able to sign in.
    #[inline]
    pub(crate) fn can_act(&self) -> bool {
        self.status == UserStatus::Active && self.login_kind != LoginKind::None
    }
}

/// The in-memory access index of one organization. See the module docs.
#[derive(Debug, Clone)]
pub struct OrgIndex {
    pub(crate) nodes: Entities<NodeId>,
    pub(crate) node_tree: Tree,
    pub(crate) groups: Entities<CommandGroupId>,
    pub(crate) group_tree: Tree,
    pub(crate) group_privileges: Vec<GroupPrivileges>,
    /// Each group's privileges as given, for explanations.
    pub(crate) group_privilege_list: Vec<Vec<Privilege>>,
    pub(crate) group_members: Vec<Vec<u32>>,
    pub(crate) roles: Entities<RoleId>,
    pub(crate) role_caps: Vec<u16>,
    /// `[role][module]`: the level index granted.
    pub(crate) role_levels: Vec<Box<[u8]>>,
    /// `[role][module]`: the items covered (empty for modules without items).
    pub(crate) role_items: Vec<Box<[ItemSet]>>,
    pub(crate) modules: Vec<ModuleEntry>,
    pub(crate) module_ix: IdMap<Box<str>, u32>,
    pub(crate) users: Vec<Option<UserEntry>>,
    pub(crate) user_ix: IdMap<UserId, u32>,
    free_users: Vec<u32>,
    /// Per node: (user, placement index) of placements there whose role grants any
    /// capability.
    pub(crate) grantors_at: Vec<Vec<(u32, u32)>>,
    pub(crate) org_admins: BTreeSet<u32>,
}

impl OrgIndex {
    /// Builds the index of one organization from its facts. Linear in the size of the
    /// facts; see the module docs for when to call it again.
    #[must_use]
    pub fn build(facts: &Facts) -> Self {
        let (nodes, node_kept) = Entities::build(&facts.nodes, |n| n.id, |n| &n.name);
        let node_tree = Tree::build(parents(
            &facts.nodes,
            &node_kept,
            &nodes,
            |n: &NodeFacts| n.parent,
        ));
        let (groups, group_kept) = Entities::build(&facts.groups, |g| g.id, |g| &g.name);
        let group_tree = Tree::build(parents(
            &facts.groups,
            &group_kept,
            &groups,
            |g: &GroupFacts| g.parent,
        ));
        let kept_groups = || {
            facts
                .groups
                .iter()
                .zip(&group_kept)
                .filter(|(_, k)| **k)
                .map(|(g, _)| g)
        };
        let group_privileges = kept_groups()
            .map(|g| GroupPrivileges::new(&g.privileges))
            .collect();
        let group_privilege_list = kept_groups().map(|g| g.privileges.clone()).collect();

        let mut module_ix = IdMap::default();
        let mut modules = Vec::new();
        for m in &facts.modules {
            if !module_ix.contains_key(m.key.as_str()) {
                module_ix.insert(Box::from(m.key.as_str()), dense(modules.len()));
                modules.push(module_entry(m));
            }
        }

        let (roles, role_kept) = Entities::build(&facts.roles, |r| r.id, |r| &r.name);
        let kept_roles = facts
            .roles
            .iter()
            .zip(&role_kept)
            .filter(|(_, k)| **k)
            .map(|(r, _)| r);
        let mut role_caps = Vec::with_capacity(roles.len());
        let mut role_levels = Vec::with_capacity(roles.len());
        let mut role_items = Vec::with_capacity(roles.len());
        for role in kept_roles {
            role_caps.push(role.capabilities.iter().fold(0, |b, c| b | cap_bit(*c)));
            let (levels, items) = role_grants(role, &modules, &module_ix);
            role_levels.push(levels);
            role_items.push(items);
        }

        let mut index = Self {
            group_members: vec![Vec::new(); groups.len()],
            grantors_at: vec![Vec::new(); nodes.len()],
            nodes,
            node_tree,
            groups,
            group_tree,
            group_privileges,
            group_privilege_list,
            roles,
            role_caps,
            role_levels,
            role_items,
            modules,
            module_ix,
            users: Vec::with_capacity(facts.users.len()),
            user_ix: IdMap::default(),
            free_users: Vec::new(),
            org_admins: BTreeSet::new(),
        };
        index.user_ix.reserve(facts.users.len());
        for user in &facts.users {
            index.upsert_user(user);
        }
        index
    }

    /// Adds a user or replaces what the index knows of them (status, login kind, org admin
    /// flag, group, directory access, placements). Call it after every committed change to
    /// a user. Placements naming an unknown node or role are dropped, an unknown group
    /// counts as none (the tree, groups and roles must be current: see the module docs).
    pub fn upsert_user(&mut self, facts: &UserFacts) {
        let entry = self.resolve_user(facts);
        let u = if let Some(&u) = self.user_ix.get(&facts.id) {
            self.detach(u);
            u
        } else if let Some(u) = self.free_users.pop() {
            self.user_ix.insert(facts.id, u);
            u
        } else {
            let u = dense(self.users.len());
            self.users.push(None);
            self.user_ix.insert(facts.id, u);
            u
        };
        self.attach(u, &entry);
        self.users[u as usize] = Some(entry);
    }

    /// Forgets a user (e.g. after a hard purge; a soft-deleted user can stay with status
    /// `deleted`). Returns whether they were known.
    pub fn remove_user(&mut self, id: UserId) -> bool {
        let Some(u) = self.user_ix.remove(&id) else {
            return false;
        };
        self.detach(u);
        self.users[u as usize] = None;
        self.free_users.push(u);
        true
    }

    /// How many users the index holds.
    #[must_use]
    pub fn user_count(&self) -> usize {
        self.user_ix.len()
    }

    /// Whether the index knows this user.
    #[must_use]
    pub fn contains_user(&self, id: UserId) -> bool {
        self.user_ix.contains_key(&id)
    }

    /// Whether node `x` is `ancestor` or lies below it; `None` if either is unknown.
    #[must_use]
    pub fn is_within(&self, x: NodeId, ancestor: NodeId) -> Option<bool> {
        Some(
            self.node_tree
                .contains(self.nodes.get(&ancestor)?, self.nodes.get(&x)?),
        )
    }

    /// A user's default current location: the node of their default placement.
    #[must_use]
    pub fn default_location(&self, user: UserId) -> Option<NodeId> {
        let entry = self.user_entry(user)?;
        (entry.default_node != NONE).then(|| self.nodes.ids[entry.default_node as usize])
    }

    /// A node's name.
    #[must_use]
    pub fn node_name(&self, node: NodeId) -> Option<&str> {
        Some(&self.nodes.names[self.nodes.get(&node)? as usize])
    }

    #[inline]
    pub(crate) fn user(&self, id: UserId) -> Option<(u32, &UserEntry)> {
        let u = *self.user_ix.get(&id)?;
        // INVARIANT: every user_ix value points at an occupied slot.
        self.users[u as usize].as_ref().map(|e| (u, e))
    }

    #[inline]
    pub(crate) fn user_entry(&self, id: UserId) -> Option<&UserEntry> {
        self.user(id).map(|(_, e)| e)
    }

    #[inline]
    pub(crate) fn entry(&self, u: u32) -> Option<&UserEntry> {
        self.users.get(u as usize).and_then(Option::as_ref)
    }

    fn resolve_user(&self, facts: &UserFacts) -> UserEntry {
        let mut places = Vec::with_capacity(facts.placements.len());
        let mut default_node = NONE;
        for p in &facts.placements {
            let (Some(node), Some(role)) = (self.nodes.get(&p.node), self.roles.get(&p.role))
            else {
                continue;
            };
            if p.default && default_node == NONE {
                default_node = node;
            }
            places.push(Place {
                node,
                role,
                caps: self.role_caps[role as usize],
                starts: p.starts_on.map_or(i32::MIN, day),
                ends: p.ends_on.map_or(i32::MAX, day),
            });
        }
        // INVARIANT (kept by the store): exactly one placement is the default. Tolerate a
        // missing flag by taking the first placement.
        if default_node == NONE {
            default_node = places.first().map_or(NONE, |p| p.node);
        }
        UserEntry {
            id: facts.id,
            status: facts.status,
            login_kind: facts.login_kind,
            is_org_admin: facts.is_org_admin,
            group: facts
                .group
                .and_then(|g| self.groups.get(&g))
                .unwrap_or(NONE),
            directory: facts.directory,
            places,
            default_node,
        }
    }

    /// Adds `u`'s entries to the reverse lists.
    fn attach(&mut self, u: u32, entry: &UserEntry) {
        if entry.group != NONE {
            self.group_members[entry.group as usize].push(u);
        }
        for (i, p) in entry.places.iter().enumerate() {
            if p.caps != 0 {
                self.grantors_at[p.node as usize].push((u, dense(i)));
            }
        }
        if entry.is_org_admin {
            self.org_admins.insert(u);
        }
    }

    /// Removes `u`'s entries from the reverse lists.
    fn detach(&mut self, u: u32) {
        let Some(old) = self.users[u as usize].take() else {
            return;
        };
        if old.group != NONE {
            let members = &mut self.group_members[old.group as usize];
            if let Some(at) = members.iter().position(|&m| m == u) {
                members.swap_remove(at);
            }
        }
        for p in &old.places {
            if p.caps != 0 {
                self.grantors_at[p.node as usize].retain(|&(m, _)| m != u);
            }
        }
        self.org_admins.remove(&u);
    }
}

/// Dense parent pointers for the kept entries (`NONE` for roots and unknown parents).
fn parents<T, I: Copy + Eq + Hash>(
    items: &[T],
    kept: &[bool],
    entities: &Entities<I>,
    parent: impl Fn(&T) -> Option<I>,
) -> Vec<u32> {
    items
        .iter()
        .zip(kept)
        .filter(|(_, k)| **k)
        .map(|(item, _)| parent(item).and_then(|p| entities.get(&p)).unwrap_or(NONE))
        .collect()
}

fn module_entry(m: &ModuleFacts) -> ModuleEntry {
    let mut item_ix = IdMap::default();
    let mut items = Vec::new();
    for key in &m.items {
        if !item_ix.contains_key(key.as_str()) {
            item_ix.insert(Box::from(key.as_str()), dense(items.len()));
            items.push(Arc::from(key.as_str()));
        }
    }
    ModuleEntry {
        key: Arc::from(m.key.as_str()),
        levels: m.levels.iter().map(|l| Arc::from(l.as_str())).collect(),
        item_ix,
        items,
    }
}

/// A role's level and items per module (dense), unknown modules and items ignored, a level
/// out of range read as the lowest.
pub(crate) fn role_grants(
    role: &RoleFacts,
    modules: &[ModuleEntry],
    module_ix: &IdMap<Box<str>, u32>,
) -> (Box<[u8]>, Box<[ItemSet]>) {
    let mut levels = vec![0u8; modules.len()];
    let mut items = vec![ItemSet::default(); modules.len()];
    for (key, grant) in &role.modules {
        let Some(&m) = module_ix.get(key.as_str()) else {
            continue;
        };
        let module = &modules[m as usize];
        if grant.level >= module.levels.len() {
            continue;
        }
        levels[m as usize] = u8::try_from(grant.level).unwrap_or(0);
        items[m as usize] = match &grant.items {
            GrantItems::All => ItemSet {
                all: true,
                bits: Box::default(),
            },
            GrantItems::Keys(keys) => {
                let mut bits = vec![0u64; module.items.len().div_ceil(64)];
                for key in keys {
                    if let Some(&i) = module.item_ix.get(key.as_str()) {
                        bits[i as usize / 64] |= 1 << (i % 64);
                    }
                }
                ItemSet {
                    all: false,
                    bits: bits.into_boxed_slice(),
                }
            }
        };
    }
    (levels.into_boxed_slice(), items.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_membership_is_decided_by_the_euler_intervals() {
        // 0 ─┬─ 1 ─┬─ 3
        //    │     └─ 4
        //    └─ 2 ─── 5
        let tree = Tree::build(vec![NONE, 0, 0, 1, 1, 2]);
        assert!(tree.contains(0, 5));
        assert!(tree.contains(1, 4));
        assert!(tree.contains(4, 4));
        assert!(!tree.contains(1, 5));
        assert!(!tree.contains(3, 1));
        assert_eq!(tree.depth, [0, 1, 1, 2, 2, 2]);
    }

    #[test]
    fn a_cycle_in_the_parent_pointers_is_broken_not_looped_on() {
        let tree = Tree::build(vec![1, 0, NONE]);
        assert_eq!(tree.parent.iter().filter(|&&p| p == NONE).count(), 2);
        assert!(tree.contains(0, 1) ^ tree.contains(1, 0));
    }
}
