//! The decisions of the access model (DESIGN.md §2): roles at locations, the command
//! hierarchy, visibility and no escalation.
//!
//! Every check follows the same order, so the first thing that fails is the reason given:
//! unknown ids; a subject who cannot act (not `active`, or a non-login user); the
//! organization administrator flag (allows); the current location; the target's scope;
//! then the grant itself. Checks on the index's dense numbers only; the public methods
//! take the API's ids and resolve each once.
//!
//! The current location C: a subject acts at C only if C is the node of one of their
//! placements in force or lies below one. The capabilities (and module levels) in force at
//! C are the union of the roles of their placements in force at C or at an ancestor of C.

use chrono::NaiveDate;
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Scope, Section};
use muster_domain::{NodeId, RoleId, UserId};

use crate::decision::{Decision, Missing, Reason, Relation, ScopeTarget, Target};
use crate::index::{
    ItemSet, NONE, OrgIndex, Place, UserEntry, cap_bit, caps_of, date, day, privilege_bit,
};

/// `Ok` allows with its reason, `Err` denies with its reason.
type Verdict = Result<Reason, Reason>;

fn decide(verdict: Verdict) -> Decision {
    match verdict {
        Ok(reason) => Decision::allow(reason),
        Err(reason) => Decision::deny(reason),
    }
}

/// What a subject's placements give at a current location.
#[derive(Debug, Default, Clone, Copy)]
struct Standing {
    /// Some placement in force is at or above the current location.
    valid: bool,
    /// The first placement in force at or above it that grants what was asked.
    granting: Option<Place>,
    /// The first placement at or above it that would grant it but is out of its dates.
    dormant: Option<Place>,
}

/// A check's target, resolved.
#[derive(Clone, Copy)]
enum Reach<'a> {
    User(&'a UserEntry),
    Node(u32),
}

impl OrgIndex {
    /// May `subject`, working at `current`, use `capability` on `target` on `today`?
    ///
    /// Allowed when the subject is an organization administrator, or when `current` is a
    /// valid current location for them, the target lies within subtree(`current`) (a user
    /// through any of their placements, in force or not) and one of their placements in
    /// force at `current` or above grants the capability. A capability only a placement out
    /// of its dates would grant is denied with [`Reason::PlacementNotInForce`].
    pub fn check_capability(
        &self,
        subject: UserId,
        current: NodeId,
        capability: Capability,
        target: Target,
        today: NaiveDate,
    ) -> Decision {
        decide(self.capability(subject, current, capability, target, today))
    }

    fn capability(
        &self,
        subject: UserId,
        current: NodeId,
        capability: Capability,
        target: Target,
        today: NaiveDate,
    ) -> Verdict {
        let s = self.actor(subject)?;
        let c = self.node(current)?;
        let reach = match target {
            Target::User(id) => Reach::User(self.user_entry(id).ok_or(Reason::UnknownUser(id))?),
            Target::Node(id) => Reach::Node(self.node(id)?),
        };
        if s.is_org_admin {
            return Ok(Reason::OrgAdmin);
        }
        let bit = cap_bit(capability);
        let standing = self.standing(s, c, day(today), |p| p.caps & bit != 0);
        if !standing.valid {
            return Err(self.not_at(c, standing.dormant, today));
        }
        self.reaches(c, reach)?;
        match (standing.granting, standing.dormant) {
            (Some(p), _) => Ok(self.placement_reason(p)),
            (None, Some(p)) => Err(self.not_in_force(p, today)),
            (None, None) => Err(Reason::NoPlacementGrants {
                capability,
                current: self.nodes.named(c),
            }),
        }
    }

    /// The capabilities `subject` holds at `current` on `today` (every one for an
    /// organization administrator; none if `current` is not a valid current location for
    /// them), in [`Capability::ALL`] order. For the effective-permissions matrix.
    #[must_use]
    pub fn capabilities_at(
        &self,
        subject: UserId,
        current: NodeId,
        today: NaiveDate,
    ) -> Vec<Capability> {
        let (Ok(s), Ok(c)) = (self.actor(subject), self.node(current)) else {
            return Vec::new();
        };
        if s.is_org_admin {
            return Capability::ALL.to_vec();
        }
        caps_of(self.held_caps(s, c, day(today)))
    }

    /// May `subject`, working at `current`, use module `module` at `level` on `today`?
    /// Levels are ordered: a grant of `edit` covers `view`. Organization administrators
    /// hold every module at its top level.
    pub fn check_module(
        &self,
        subject: UserId,
        current: NodeId,
        module: &str,
        level: &str,
        today: NaiveDate,
    ) -> Decision {
        decide(self.module_check(subject, current, module, level, None, today))
    }

    /// Like [`check_module`](Self::check_module), for one item of a module that has items
    /// (a calendar, a vehicle): a placement grants it when its role's level is high enough
    /// and its grant covers the item (or all items). The lowest level needs no item.
    pub fn check_module_item(
        &self,
        subject: UserId,
        current: NodeId,
        module: &str,
        level: &str,
        item: &str,
        today: NaiveDate,
    ) -> Decision {
        decide(self.module_check(subject, current, module, level, Some(item), today))
    }

    fn module_check(
        &self,
        subject: UserId,
        current: NodeId,
        module: &str,
        level: &str,
        item: Option<&str>,
        today: NaiveDate,
    ) -> Verdict {
        let s = self.actor(subject)?;
        let c = self.node(current)?;
        let m = *self
            .module_ix
            .get(module)
            .ok_or_else(|| Reason::UnknownModule(module.to_owned()))?;
        let entry = &self.modules[m as usize];
        let lvl = entry.level(level).ok_or_else(|| Reason::UnknownLevel {
            module: module.to_owned(),
            level: level.to_owned(),
        })?;
        let item_ix = match item {
            None => None,
            Some(key) => Some(*entry.item_ix.get(key).ok_or_else(|| Reason::UnknownItem {
                module: module.to_owned(),
                item: key.to_owned(),
            })?),
        };
        if s.is_org_admin {
            return Ok(Reason::OrgAdmin);
        }
        let m = m as usize;
        let standing = self.standing(s, c, day(today), |p| {
            let role = p.role as usize;
            self.role_levels[role][m] >= lvl
                && item_ix.is_none_or(|i| lvl == 0 || self.role_items[role][m].covers(i))
        });
        if !standing.valid {
            return Err(self.not_at(c, standing.dormant, today));
        }
        match (standing.granting, standing.dormant) {
            (Some(p), _) => Ok(self.placement_reason(p)),
            (None, Some(p)) => Err(self.not_in_force(p, today)),
            (None, None) => Err(Reason::NoModuleGrant {
                module: entry.key.clone(),
                level: entry.levels[lvl as usize].clone(),
                item: item_ix.map(|i| entry.items[i as usize].clone()),
            }),
        }
    }

    /// How `viewer` relates to `target` in the command hierarchy (DESIGN.md §2.2). Unknown
    /// users relate as [`Relation::None`].
    #[must_use]
    pub fn relation(&self, viewer: UserId, target: UserId) -> Relation {
        match (self.user(viewer), self.user(target)) {
            (Some((v, ve)), Some((t, te))) => self.relation_of(v, ve, t, te),
            _ => Relation::None,
        }
    }

    pub(crate) fn relation_of(&self, v: u32, ve: &UserEntry, t: u32, te: &UserEntry) -> Relation {
        if v == t {
            Relation::Own
        } else {
            self.group_relation(ve.group, te.group)
        }
    }

    /// The relation of a member of group `gv` to a *different* member of group `gt`.
    pub(crate) fn group_relation(&self, gv: u32, gt: u32) -> Relation {
        if gv == NONE || gt == NONE {
            return Relation::None;
        }
        let tree = &self.group_tree;
        let parent_t = tree.parent[gt as usize];
        if parent_t == gv {
            Relation::Direct
        } else if tree.contains(gv, gt) && tree.depth[gt as usize] >= tree.depth[gv as usize] + 2 {
            Relation::Indirect
        } else if parent_t == tree.parent[gv as usize] {
            // Same parent (same group included); NONE == NONE makes root groups peers.
            Relation::Peers
        } else {
            Relation::None
        }
    }

    /// May `viewer` `access` section `section` of `target`'s record? Allowed for an
    /// organization administrator, or when the viewer's group holds a privilege for the
    /// section whose scope covers their relation with enough access (`edit` implies
    /// `view`; `all` covers everyone, the viewer included).
    pub fn check_section(
        &self,
        viewer: UserId,
        target: UserId,
        section: Section,
        access: Access,
    ) -> Decision {
        decide(self.section(viewer, target, section, access))
    }

    fn section(&self, viewer: UserId, target: UserId, section: Section, access: Access) -> Verdict {
        let (v, ve) = self.user(viewer).ok_or(Reason::UnknownUser(viewer))?;
        can_act(ve)?;
        let (t, te) = self.user(target).ok_or(Reason::UnknownUser(target))?;
        if ve.is_org_admin {
            return Ok(Reason::OrgAdmin);
        }
        let relation = self.relation_of(v, ve, t, te);
        self.covering_privilege(ve.group, relation, section, access)
            .ok_or(Reason::NoPrivilege {
                section,
                access,
                relation,
            })
    }

    /// The privilege of group `g` that lets its members `access` `section` of someone in
    /// `relation` to them, as a reason (the exact scope preferred to `all`).
    pub(crate) fn covering_privilege(
        &self,
        g: u32,
        relation: Relation,
        section: Section,
        access: Access,
    ) -> Option<Reason> {
        if g == NONE {
            return None;
        }
        let privileges = &self.group_privileges[g as usize];
        let mask = privileges.mask(access);
        let scope = relation
            .scope()
            .filter(|s| mask & privilege_bit(section, *s) != 0)
            .or_else(|| (mask & privilege_bit(section, Scope::All) != 0).then_some(Scope::All))?;
        let held = if privileges.edit & privilege_bit(section, scope) != 0 {
            Access::Edit
        } else {
            Access::View
        };
        Some(Reason::Privilege {
            group: self.groups.named(g),
            scope,
            access: held,
            relation,
        })
    }

    /// May `viewer`, working at `current`, open `target`'s profile (DESIGN.md §2.4)? Yes
    /// for their own; when `users.view` at `current` reaches the target; or when any
    /// privilege of the viewer's group (any section) covers their relation.
    pub fn can_see_profile(
        &self,
        viewer: UserId,
        current: NodeId,
        target: UserId,
        today: NaiveDate,
    ) -> Decision {
        decide(self.profile(viewer, current, target, today))
    }

    fn profile(
        &self,
        viewer: UserId,
        current: NodeId,
        target: UserId,
        today: NaiveDate,
    ) -> Verdict {
        let (v, ve) = self.user(viewer).ok_or(Reason::UnknownUser(viewer))?;
        can_act(ve)?;
        let (t, te) = self.user(target).ok_or(Reason::UnknownUser(target))?;
        self.node(current)?;
        if v == t {
            return Ok(Reason::SelfService);
        }
        if let Ok(reason) = self.capability(
            viewer,
            current,
            Capability::UsersView,
            Target::User(target),
            today,
        ) {
            return Ok(reason);
        }
        let relation = self.relation_of(v, ve, t, te);
        if ve.group != NONE {
            let g = ve.group as usize;
            let wanted = relation.scope().map_or(0, |s| 1u8 << s as u8) | 1 << Scope::All as u8;
            if self.group_privileges[g].scopes & wanted != 0 {
                // INVARIANT: `scopes` has a bit only for scopes present in the list.
                if let Some(p) = self.group_privilege_list[g]
                    .iter()
                    .find(|p| relation.covered_by(p.scope))
                {
                    return Ok(Reason::Privilege {
                        group: self.groups.named(ve.group),
                        scope: p.scope,
                        access: p.access,
                        relation,
                    });
                }
            }
        }
        Err(Reason::NotVisible { relation })
    }

    /// No escalation (DESIGN.md §2.1): may `subject`, working at `current`, give `role` at
    /// `at_node`? Allowed when `at_node` lies within subtree(`current`), every capability
    /// of the role is one the subject holds there, and for every module the role's level
    /// (and, for modules with items, every item it covers at that level) is held by the
    /// subject there. This is only the escalation rule: the service also checks
    /// `placements.add` / `placements.edit_role` with [`check_capability`] and that the
    /// role is assignable at the node's kind.
    ///
    /// [`check_capability`]: Self::check_capability
    pub fn can_grant_role(
        &self,
        subject: UserId,
        current: NodeId,
        role: RoleId,
        at_node: NodeId,
        today: NaiveDate,
    ) -> Decision {
        decide(self.grant_role(subject, current, role, at_node, today))
    }

    fn grant_role(
        &self,
        subject: UserId,
        current: NodeId,
        role: RoleId,
        at_node: NodeId,
        today: NaiveDate,
    ) -> Verdict {
        let s = self.actor(subject)?;
        let c = self.node(current)?;
        let r = self.roles.get(&role).ok_or(Reason::UnknownRole(role))? as usize;
        let n = self.node(at_node)?;
        if s.is_org_admin {
            return Ok(Reason::OrgAdmin);
        }
        self.grant_parts(
            s,
            c,
            n,
            (self.role_caps[r], &self.role_levels[r], &self.role_items[r]),
            today,
        )
    }

    /// No escalation for a role being defined or changed (DESIGN.md §2.1): may `subject`,
    /// working at `current`, give a role with `draft`'s capabilities and module grants?
    /// Allowed when they hold every capability, module level and item of it at `current`.
    /// Modules the index does not know are ignored (the service validates them).
    pub fn can_define_role(
        &self,
        subject: UserId,
        current: NodeId,
        draft: &crate::facts::RoleFacts,
        today: NaiveDate,
    ) -> Decision {
        let verdict = (|| {
            let s = self.actor(subject)?;
            let c = self.node(current)?;
            if s.is_org_admin {
                return Ok(Reason::OrgAdmin);
            }
            let caps = draft
                .capabilities
                .iter()
                .fold(0, |b, cap| b | cap_bit(*cap));
            let (levels, items) = crate::index::role_grants(draft, &self.modules, &self.module_ix);
            self.grant_parts(s, c, c, (caps, &levels, &items), today)
        })();
        decide(verdict)
    }

    /// The no-escalation rule on a role's parts: `caps`, and per module a level and items.
    fn grant_parts(
        &self,
        s: &UserEntry,
        c: u32,
        n: u32,
        (role_caps, role_levels, role_items): (u16, &[u8], &[ItemSet]),
        today: NaiveDate,
    ) -> Verdict {
        let today_n = day(today);
        let held: Vec<Place> = self.in_force_at(s, c, today_n).collect();
        if held.is_empty() {
            return Err(self.not_at(c, None, today));
        }
        self.reaches(c, Reach::Node(n))?;
        let held_caps = held.iter().fold(0, |bits, p| bits | p.caps);
        let missing = role_caps & !held_caps;
        if let Some(capability) = caps_of(missing).first() {
            return Err(Reason::Escalation(Missing::Capability(*capability)));
        }
        for (m, module) in self.modules.iter().enumerate() {
            let level = role_levels[m];
            if level == 0 {
                continue;
            }
            let reaching = || {
                held.iter()
                    .filter(move |p| self.role_levels[p.role as usize][m] >= level)
            };
            let level_name = &module.levels[level as usize];
            if reaching().next().is_none() {
                return Err(Reason::Escalation(Missing::ModuleLevel {
                    module: module.key.clone(),
                    level: level_name.clone(),
                }));
            }
            if module.items.is_empty() {
                continue;
            }
            let wanted = &role_items[m];
            let missing_item = if wanted.all {
                (!reaching().any(|p| self.role_items[p.role as usize][m].all)).then(|| "all".into())
            } else {
                (0..module.items.len())
                    .filter_map(|i| u32::try_from(i).ok())
                    .filter(|&i| wanted.covers(i))
                    .find(|&i| !reaching().any(|p| self.role_items[p.role as usize][m].covers(i)))
                    .map(|i| module.items[i as usize].clone())
            };
            if let Some(item) = missing_item {
                return Err(Reason::Escalation(Missing::ModuleItem {
                    module: module.key.clone(),
                    level: level_name.clone(),
                    item,
                }));
            }
        }
        Ok(Reason::NoEscalation {
            current: self.nodes.named(c),
        })
    }

    /// May `subject`, working at `current`, change or delete a placement at
    /// `placement_node`? Only when it lies within subtree(`current`); placements elsewhere
    /// are shown read-only (DESIGN.md §2.1). The capability itself
    /// (`placements.edit_role`, `placements.delete`, …) is a separate
    /// [`check_capability`](Self::check_capability) on the node.
    pub fn can_edit_placement(
        &self,
        subject: UserId,
        current: NodeId,
        placement_node: NodeId,
        today: NaiveDate,
    ) -> Decision {
        decide(self.edit_placement(subject, current, placement_node, today))
    }

    fn edit_placement(
        &self,
        subject: UserId,
        current: NodeId,
        placement_node: NodeId,
        today: NaiveDate,
    ) -> Verdict {
        let s = self.actor(subject)?;
        let c = self.node(current)?;
        let n = self.node(placement_node)?;
        if s.is_org_admin {
            return Ok(Reason::OrgAdmin);
        }
        if self.in_force_at(s, c, day(today)).next().is_none() {
            return Err(self.not_at(c, None, today));
        }
        self.reaches(c, Reach::Node(n))?;
        Ok(Reason::WithinCurrentLocation {
            current: self.nodes.named(c),
        })
    }

    /// May `subject`, working at `current`, delete `target`'s placement at
    /// `placement_node`? Needs `placements.delete` over the node (which must lie within
    /// subtree(`current`)); and, for everyone including organization administrators, the
    /// placement must be neither the target's only one nor their default (change the
    /// default first).
    pub fn can_delete_placement(
        &self,
        subject: UserId,
        current: NodeId,
        target: UserId,
        placement_node: NodeId,
        today: NaiveDate,
    ) -> Decision {
        let verdict = (|| {
            let te = self.user_entry(target).ok_or(Reason::UnknownUser(target))?;
            let n = self.node(placement_node)?;
            if !te.places.iter().any(|p| p.node == n) {
                return Err(Reason::NoSuchPlacement {
                    user: target,
                    node: self.nodes.named(n),
                });
            }
            let allowed = self.capability(
                subject,
                current,
                Capability::PlacementsDelete,
                Target::Node(placement_node),
                today,
            )?;
            if te.places.len() == 1 {
                return Err(Reason::OnlyPlacement {
                    node: self.nodes.named(n),
                });
            }
            if te.default_node == n {
                return Err(Reason::DefaultPlacement {
                    node: self.nodes.named(n),
                });
            }
            Ok(allowed)
        })();
        decide(verdict)
    }

    /// Whether `target` has a placement outside subtree(`current`): changing them then
    /// needs the multi-location confirmation (DESIGN.md §2.1). `false` for unknown ids.
    #[must_use]
    pub fn has_placements_outside(&self, target: UserId, current: NodeId) -> bool {
        match (self.user_entry(target), self.nodes.get(&current)) {
            (Some(t), Some(c)) => t.places.iter().any(|p| !self.node_tree.contains(c, p.node)),
            _ => false,
        }
    }

    // ----- shared steps -----

    /// The subject, if known and able to act.
    pub(crate) fn actor(&self, id: UserId) -> Result<&UserEntry, Reason> {
        let entry = self.user_entry(id).ok_or(Reason::UnknownUser(id))?;
        can_act(entry)?;
        Ok(entry)
    }

    pub(crate) fn node(&self, id: NodeId) -> Result<u32, Reason> {
        self.nodes.get(&id).ok_or(Reason::UnknownNode(id))
    }

    /// The subject's placements at or above `c`, in force on `today`.
    fn in_force_at<'a>(
        &'a self,
        s: &'a UserEntry,
        c: u32,
        today: i32,
    ) -> impl Iterator<Item = Place> + 'a {
        s.places
            .iter()
            .filter(move |p| p.in_force(today) && self.node_tree.contains(p.node, c))
            .copied()
    }

    fn held_caps(&self, s: &UserEntry, c: u32, today: i32) -> u16 {
        self.in_force_at(s, c, today)
            .fold(0, |bits, p| bits | p.caps)
    }

    #[inline]
    fn standing(
        &self,
        s: &UserEntry,
        c: u32,
        today: i32,
        grants: impl Fn(&Place) -> bool,
    ) -> Standing {
        let mut standing = Standing::default();
        for p in &s.places {
            if !self.node_tree.contains(p.node, c) {
                continue;
            }
            if p.in_force(today) {
                standing.valid = true;
                if standing.granting.is_none() && grants(p) {
                    standing.granting = Some(*p);
                }
            } else if standing.dormant.is_none() && grants(p) {
                standing.dormant = Some(*p);
            }
        }
        standing
    }

    /// Whether the target lies within subtree(`c`).
    fn reaches(&self, c: u32, reach: Reach<'_>) -> Result<(), Reason> {
        let inside = match reach {
            Reach::Node(n) => self.node_tree.contains(c, n),
            Reach::User(t) => t.places.iter().any(|p| self.node_tree.contains(c, p.node)),
        };
        if inside {
            return Ok(());
        }
        Err(Reason::OutsideScope {
            target: match reach {
                Reach::Node(n) => ScopeTarget::Node(self.nodes.named(n)),
                Reach::User(t) => ScopeTarget::User(t.id),
            },
            current: self.nodes.named(c),
        })
    }

    /// Why `c` is not a valid current location: a placement that would have granted but
    /// is out of its dates, or simply no placement there.
    fn not_at(&self, c: u32, dormant: Option<Place>, today: NaiveDate) -> Reason {
        match dormant {
            Some(p) => self.not_in_force(p, today),
            None => Reason::NotAtCurrentLocation {
                current: self.nodes.named(c),
            },
        }
    }

    fn placement_reason(&self, p: Place) -> Reason {
        Reason::Placement {
            role: self.roles.named(p.role),
            node: self.nodes.named(p.node),
        }
    }

    fn not_in_force(&self, p: Place, today: NaiveDate) -> Reason {
        Reason::PlacementNotInForce {
            role: self.roles.named(p.role),
            node: self.nodes.named(p.node),
            starts_on: date(p.starts),
            ends_on: date(p.ends),
            today,
        }
    }
}

/// Only active users who can sign in act.
pub(crate) fn can_act(entry: &UserEntry) -> Result<(), Reason> {
    if entry.status != muster_domain::user::UserStatus::Active {
        return Err(Reason::SubjectInactive {
            status: entry.status,
        });
    }
    if !entry.can_act() {
        return Err(Reason::SubjectCannotSignIn);
    }
    Ok(())
}
