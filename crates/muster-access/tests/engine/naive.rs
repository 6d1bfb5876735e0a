//! A deliberately naive reference implementation of the access model, written straight
//! from DESIGN.md §2 over the plain [`Facts`]: linear scans, walks up parent pointers, no
//! Euler tour, no bitsets, no dense ids. Slow and obviously right; the property tests hold
//! the index to it.

use chrono::NaiveDate;
use muster_access::{
    Facts, GroupFacts, NodeFacts, PlacementFacts, Relation, RoleFacts, Target, UserFacts,
};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Scope, Section};
use muster_domain::modules::GrantItems;
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

pub struct Naive<'a> {
    pub facts: &'a Facts,
}

pub const USERS_CAPS: [Capability; 5] = [
    Capability::UsersView,
    Capability::UsersCreate,
    Capability::UsersEdit,
    Capability::UsersLifecycle,
    Capability::UsersResetPassword,
];

impl Naive<'_> {
    pub fn user(&self, id: UserId) -> Option<&UserFacts> {
        self.facts.users.iter().find(|u| u.id == id)
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeFacts> {
        self.facts.nodes.iter().find(|n| n.id == id)
    }

    pub fn role(&self, id: RoleId) -> Option<&RoleFacts> {
        self.facts.roles.iter().find(|r| r.id == id)
    }

    pub fn group(&self, id: CommandGroupId) -> Option<&GroupFacts> {
        self.facts.groups.iter().find(|g| g.id == id)
    }

    /// Whether `x` is `ancestor` or below it: walk up from `x`.
    pub fn is_within(&self, x: NodeId, ancestor: NodeId) -> bool {
        let mut at = Some(x);
        while let Some(id) = at {
            if id == ancestor {
                return true;
            }
            at = self.node(id).and_then(|n| n.parent);
        }
        false
    }

    fn group_parent(&self, g: CommandGroupId) -> Option<CommandGroupId> {
        self.group(g).and_then(|g| g.parent)
    }

    pub fn can_act(user: &UserFacts) -> bool {
        user.status == UserStatus::Active && user.login_kind != LoginKind::None
    }

    /// The user's placements whose node and role exist.
    pub fn placements<'u>(&self, user: &'u UserFacts) -> Vec<&'u PlacementFacts> {
        user.placements
            .iter()
            .filter(|p| self.node(p.node).is_some() && self.role(p.role).is_some())
            .collect()
    }

    /// Placements in force at `current` or above it.
    pub fn in_force_above(
        &self,
        user: &UserFacts,
        current: NodeId,
        today: NaiveDate,
    ) -> Vec<PlacementFacts> {
        self.placements(user)
            .into_iter()
            .filter(|p| p.in_force(today) && self.is_within(current, p.node))
            .copied()
            .collect()
    }

    pub fn role_has(&self, role: RoleId, capability: Capability) -> bool {
        self.role(role)
            .is_some_and(|r| r.capabilities.contains(&capability))
    }

    pub fn reaches(&self, current: NodeId, target: Target) -> bool {
        match target {
            Target::Node(n) => self.is_within(n, current),
            Target::User(u) => self.user(u).is_some_and(|t| {
                self.placements(t)
                    .iter()
                    .any(|p| self.is_within(p.node, current))
            }),
        }
    }

    fn target_known(&self, target: Target) -> bool {
        match target {
            Target::Node(n) => self.node(n).is_some(),
            Target::User(u) => self.user(u).is_some(),
        }
    }

    pub fn capability(
        &self,
        subject: UserId,
        current: NodeId,
        capability: Capability,
        target: Target,
        today: NaiveDate,
    ) -> bool {
        let Some(s) = self.user(subject) else {
            return false;
        };
        if self.node(current).is_none() || !self.target_known(target) || !Self::can_act(s) {
            return false;
        }
        if s.is_org_admin {
            return true;
        }
        let held = self.in_force_above(s, current, today);
        !held.is_empty()
            && self.reaches(current, target)
            && held.iter().any(|p| self.role_has(p.role, capability))
    }

    pub fn capabilities_at(
        &self,
        subject: UserId,
        current: NodeId,
        today: NaiveDate,
    ) -> Vec<Capability> {
        let Some(s) = self.user(subject) else {
            return Vec::new();
        };
        if self.node(current).is_none() || !Self::can_act(s) {
            return Vec::new();
        }
        Capability::ALL
            .iter()
            .copied()
            .filter(|c| {
                s.is_org_admin
                    || self
                        .in_force_above(s, current, today)
                        .iter()
                        .any(|p| self.role_has(p.role, *c))
            })
            .collect()
    }

    /// The role's level in module `key` (its index), and the items it covers.
    pub fn grant(&self, role: RoleId, key: &str) -> (usize, GrantItems) {
        let levels = self
            .facts
            .modules
            .iter()
            .find(|m| m.key == key)
            .map_or(0, |m| m.levels.len());
        match self.role(role).and_then(|r| r.modules.get(key)) {
            Some(g) if g.level < levels => (g.level, g.items.clone()),
            _ => (0, GrantItems::Keys(Vec::new())),
        }
    }

    pub fn module(
        &self,
        subject: UserId,
        current: NodeId,
        key: &str,
        level: &str,
        item: Option<&str>,
        today: NaiveDate,
    ) -> bool {
        let Some(module) = self.facts.modules.iter().find(|m| m.key == key) else {
            return false;
        };
        let Some(lvl) = module.levels.iter().position(|l| l == level) else {
            return false;
        };
        if item.is_some_and(|i| !module.items.iter().any(|k| k == i)) {
            return false;
        }
        let Some(s) = self.user(subject) else {
            return false;
        };
        if self.node(current).is_none() || !Self::can_act(s) {
            return false;
        }
        if s.is_org_admin {
            return true;
        }
        self.in_force_above(s, current, today).iter().any(|p| {
            let (granted, items) = self.grant(p.role, key);
            granted >= lvl
                && item.is_none_or(|i| {
                    lvl == 0
                        || match &items {
                            GrantItems::All => true,
                            GrantItems::Keys(keys) => keys.iter().any(|k| k == i),
                        }
                })
        })
    }

    pub fn relation(&self, viewer: UserId, target: UserId) -> Relation {
        let (Some(v), Some(t)) = (self.user(viewer), self.user(target)) else {
            return Relation::None;
        };
        if v.id == t.id {
            return Relation::Own;
        }
        let (Some(gv), Some(gt)) = (
            v.group.filter(|g| self.group(*g).is_some()),
            t.group.filter(|g| self.group(*g).is_some()),
        ) else {
            return Relation::None;
        };
        if self.group_parent(gt) == Some(gv) {
            return Relation::Direct;
        }
        // Walk up from T's group, counting levels.
        let mut at = self.group_parent(gt);
        let mut up = 1;
        while let Some(g) = at {
            if g == gv && up >= 2 {
                return Relation::Indirect;
            }
            at = self.group_parent(g);
            up += 1;
        }
        if self.group_parent(gt) == self.group_parent(gv) {
            return Relation::Peers;
        }
        Relation::None
    }

    fn scope_covers(scope: Scope, relation: Relation) -> bool {
        match scope {
            Scope::All => true,
            Scope::Own => relation == Relation::Own,
            Scope::Direct => relation == Relation::Direct,
            Scope::Indirect => relation == Relation::Indirect,
            Scope::Peers => relation == Relation::Peers,
        }
    }

    pub fn section(
        &self,
        viewer: UserId,
        target: UserId,
        section: Section,
        access: Access,
    ) -> bool {
        let (Some(v), Some(_)) = (self.user(viewer), self.user(target)) else {
            return false;
        };
        if !Self::can_act(v) {
            return false;
        }
        if v.is_org_admin {
            return true;
        }
        let relation = self.relation(viewer, target);
        v.group.and_then(|g| self.group(g)).is_some_and(|g| {
            g.privileges.iter().any(|p| {
                p.section == section && p.access >= access && Self::scope_covers(p.scope, relation)
            })
        })
    }

    pub fn profile(
        &self,
        viewer: UserId,
        current: NodeId,
        target: UserId,
        today: NaiveDate,
    ) -> bool {
        let (Some(v), Some(_)) = (self.user(viewer), self.user(target)) else {
            return false;
        };
        if self.node(current).is_none() || !Self::can_act(v) {
            return false;
        }
        if viewer == target
            || self.capability(
                viewer,
                current,
                Capability::UsersView,
                Target::User(target),
                today,
            )
        {
            return true;
        }
        let relation = self.relation(viewer, target);
        v.group.and_then(|g| self.group(g)).is_some_and(|g| {
            g.privileges
                .iter()
                .any(|p| Self::scope_covers(p.scope, relation))
        })
    }

    pub fn grant_role(
        &self,
        subject: UserId,
        current: NodeId,
        role: RoleId,
        at: NodeId,
        today: NaiveDate,
    ) -> bool {
        let Some(s) = self.user(subject) else {
            return false;
        };
        let Some(r) = self.role(role) else {
            return false;
        };
        if self.node(current).is_none() || self.node(at).is_none() || !Self::can_act(s) {
            return false;
        }
        if s.is_org_admin {
            return true;
        }
        let held = self.in_force_above(s, current, today);
        if held.is_empty() || !self.is_within(at, current) {
            return false;
        }
        if !r
            .capabilities
            .iter()
            .all(|c| held.iter().any(|p| self.role_has(p.role, *c)))
        {
            return false;
        }
        self.facts.modules.iter().all(|m| {
            let (level, items) = self.grant(role, &m.key);
            if level == 0 {
                return true;
            }
            let reaching: Vec<_> = held
                .iter()
                .filter(|p| self.grant(p.role, &m.key).0 >= level)
                .collect();
            if reaching.is_empty() {
                return false;
            }
            if m.items.is_empty() {
                return true;
            }
            match items {
                GrantItems::All => reaching
                    .iter()
                    .any(|p| self.grant(p.role, &m.key).1 == GrantItems::All),
                GrantItems::Keys(keys) => keys.iter().filter(|k| m.items.contains(k)).all(|k| {
                    reaching.iter().any(|p| match self.grant(p.role, &m.key).1 {
                        GrantItems::All => true,
                        GrantItems::Keys(theirs) => theirs.contains(k),
                    })
                }),
            }
        })
    }

    pub fn edit_placement(
        &self,
        subject: UserId,
        current: NodeId,
        node: NodeId,
        today: NaiveDate,
    ) -> bool {
        let Some(s) = self.user(subject) else {
            return false;
        };
        if self.node(current).is_none() || self.node(node).is_none() || !Self::can_act(s) {
            return false;
        }
        s.is_org_admin
            || (!self.in_force_above(s, current, today).is_empty() && self.is_within(node, current))
    }

    pub fn default_node(&self, user: &UserFacts) -> Option<NodeId> {
        let placements = self.placements(user);
        placements
            .iter()
            .find(|p| p.default)
            .or(placements.first())
            .map(|p| p.node)
    }

    pub fn delete_placement(
        &self,
        subject: UserId,
        current: NodeId,
        target: UserId,
        node: NodeId,
        today: NaiveDate,
    ) -> bool {
        let Some(t) = self.user(target) else {
            return false;
        };
        let placements = self.placements(t);
        placements.iter().any(|p| p.node == node)
            && self.capability(
                subject,
                current,
                Capability::PlacementsDelete,
                Target::Node(node),
                today,
            )
            && placements.len() > 1
            && self.default_node(t) != Some(node)
    }

    pub fn outside(&self, target: UserId, current: NodeId) -> bool {
        self.node(current).is_some()
            && self.user(target).is_some_and(|t| {
                self.placements(t)
                    .iter()
                    .any(|p| !self.is_within(p.node, current))
            })
    }

    /// Everyone who may access the section, by asking every user.
    pub fn who_can(&self, target: UserId, section: Section, access: Access) -> Vec<UserId> {
        if self.user(target).is_none() {
            return Vec::new();
        }
        let mut out: Vec<UserId> = self
            .facts
            .users
            .iter()
            .filter(|v| self.section(v.id, target, section, access))
            .map(|v| v.id)
            .collect();
        out.sort();
        out
    }

    /// Everyone holding users.* over one of the target's placement nodes, by asking every
    /// user.
    pub fn administrators_of(
        &self,
        target: UserId,
        today: NaiveDate,
    ) -> Vec<(UserId, Vec<Capability>)> {
        let Some(t) = self.user(target) else {
            return Vec::new();
        };
        let target_nodes: Vec<NodeId> = self.placements(t).iter().map(|p| p.node).collect();
        let mut out: Vec<(UserId, Vec<Capability>)> = self
            .facts
            .users
            .iter()
            .filter(|a| Self::can_act(a))
            .filter_map(|a| {
                let caps: Vec<Capability> = USERS_CAPS
                    .iter()
                    .copied()
                    .filter(|c| {
                        a.is_org_admin
                            || self.placements(a).iter().any(|p| {
                                p.in_force(today)
                                    && self.role_has(p.role, *c)
                                    && target_nodes.iter().any(|n| self.is_within(*n, p.node))
                            })
                    })
                    .collect();
                (!caps.is_empty()).then_some((a.id, caps))
            })
            .collect();
        out.sort_by_key(|(u, _)| *u);
        out
    }

    pub fn directory(&self, viewer: UserId, target: UserId) -> bool {
        let (Some(v), Some(t)) = (self.user(viewer), self.user(target)) else {
            return false;
        };
        if !Self::can_act(v) || t.status != UserStatus::Active {
            return false;
        }
        match v.directory {
            DirectoryAccess::None => false,
            DirectoryAccess::Everyone => true,
            DirectoryAccess::SharedLocations => {
                viewer == target
                    || self
                        .placements(v)
                        .iter()
                        .any(|p| self.placements(t).iter().any(|q| q.node == p.node))
            }
            DirectoryAccess::Hierarchy => {
                if viewer == target {
                    return true;
                }
                let (Some(gv), Some(gt)) = (
                    v.group.filter(|g| self.group(*g).is_some()),
                    t.group.filter(|g| self.group(*g).is_some()),
                ) else {
                    return false;
                };
                let parent_v = self.group_parent(gv);
                let mut below = Some(gt);
                let mut is_below = false;
                while let Some(g) = below {
                    if g == gv {
                        is_below = true;
                    }
                    below = self.group_parent(g);
                }
                parent_v == Some(gt) || self.group_parent(gt) == parent_v || is_below
            }
        }
    }
}
