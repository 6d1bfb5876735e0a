//! Every public decision of the index, on random organizations, against the naive
//! reference in `naive`: random trees (up to 40 nodes), command hierarchies (several
//! roots), roles with capabilities and module grants, modules with levels and items,
//! privileges, and users with time-bounded placements, statuses and directory access.
//! The decisions are compared again after random incremental updates (upsert, remove).
//!
//! For allowed decisions the reason is checked too: a granting placement must really be
//! the subject's, in force, at or above the current location, with a role that grants it;
//! a privilege must really be the viewer's group's and cover the relation.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use muster_access::{
    DirectoryScope, Facts, GroupFacts, ModuleFacts, ModuleGrantFacts, NodeFacts, OrgIndex,
    PlacementFacts, Reason, RoleFacts, Target, UserFacts,
};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Privilege, Scope, Section};
use muster_domain::modules::GrantItems;
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::naive::Naive;

/// A placement as generated: node, role, start and end offsets (days from the base day).
type PlacementSpec = (u32, u32, Option<i8>, Option<i8>);

#[derive(Debug, Clone)]
struct UserSpec {
    status: u8,
    login: u8,
    admin: bool,
    group: Option<u32>,
    directory: u8,
    placements: Vec<PlacementSpec>,
    default: u32,
}

#[derive(Debug, Clone)]
struct Spec {
    node_parents: Vec<u32>,
    groups: Vec<(Option<u32>, Vec<(u8, bool, u8)>)>,
    modules: Vec<(u8, u8)>,
    roles: Vec<(u16, Vec<(u32, u8, Option<u8>)>)>,
    users: Vec<UserSpec>,
    seed: u64,
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        0..10u8,
        0..10u8,
        prop::bool::weighted(0.1),
        option::weighted(0.8, any::<u32>()),
        0..4u8,
        vec(
            (
                any::<u32>(),
                any::<u32>(),
                option::weighted(0.3, -8..8i8),
                option::weighted(0.3, -8..8i8),
            ),
            1..4,
        ),
        any::<u32>(),
    )
        .prop_map(
            |(status, login, admin, group, directory, placements, default)| UserSpec {
                status,
                login,
                admin,
                group,
                directory,
                placements,
                default,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        vec(any::<u32>(), 0..40),
        vec(
            (
                option::weighted(0.75, any::<u32>()),
                vec((0..5u8, any::<bool>(), 0..11u8), 0..6),
            ),
            0..10,
        ),
        vec((2..5u8, 0..5u8), 0..3),
        vec(
            (
                any::<u16>(),
                vec((any::<u32>(), any::<u8>(), option::of(any::<u8>())), 0..3),
            ),
            1..6,
        ),
        vec(user_spec(), 1..16),
        any::<u64>(),
    )
        .prop_map(|(node_parents, groups, modules, roles, users, seed)| Spec {
            node_parents,
            groups,
            modules,
            roles,
            users,
            seed,
        })
}

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

fn offset(days: i64) -> NaiveDate {
    if days >= 0 {
        base()
            .checked_add_days(Days::new(days.unsigned_abs()))
            .unwrap()
    } else {
        base()
            .checked_sub_days(Days::new(days.unsigned_abs()))
            .unwrap()
    }
}

fn pick<T: Copy>(items: &[T], raw: u32) -> T {
    items[raw as usize % items.len()]
}

struct Org {
    facts: Facts,
    nodes: Vec<NodeId>,
    groups: Vec<CommandGroupId>,
    roles: Vec<RoleId>,
}

fn user_facts(org: &Org, id: UserId, u: &UserSpec) -> UserFacts {
    let mut placements: Vec<PlacementFacts> = Vec::new();
    for (node, role, start, end) in &u.placements {
        let node = pick(&org.nodes, *node);
        if placements.iter().any(|p| p.node == node) {
            continue;
        }
        placements.push(PlacementFacts {
            node,
            role: pick(&org.roles, *role),
            default: false,
            starts_on: start.map(|d| offset(i64::from(d))),
            ends_on: end.map(|d| offset(i64::from(d))),
        });
    }
    let default = u.default as usize % placements.len();
    placements[default].default = true;
    UserFacts {
        id,
        status: match u.status {
            0..7 => UserStatus::Active,
            7 => UserStatus::Inactive,
            8 => UserStatus::Retired,
            _ => UserStatus::Banned,
        },
        login_kind: match u.login {
            0 => LoginKind::None,
            1 => LoginKind::Pin,
            _ => LoginKind::Password,
        },
        is_org_admin: u.admin,
        group: if org.groups.is_empty() {
            None
        } else {
            u.group.map(|g| pick(&org.groups, g))
        },
        directory: DirectoryAccess::ALL[u.directory as usize % 4],
        placements,
    }
}

fn build(spec: &Spec) -> Org {
    let mut facts = Facts::default();
    let nodes: Vec<NodeId> = (0..=spec.node_parents.len())
        .map(|_| NodeId::new())
        .collect();
    for (i, id) in nodes.iter().enumerate() {
        facts.nodes.push(NodeFacts {
            id: *id,
            parent: (i > 0).then(|| nodes[spec.node_parents[i - 1] as usize % i]),
            kind: "Location".into(),
            name: format!("node {i}"),
        });
    }
    let groups: Vec<CommandGroupId> = spec.groups.iter().map(|_| CommandGroupId::new()).collect();
    for (i, (parent, privileges)) in spec.groups.iter().enumerate() {
        let mut list: Vec<Privilege> = Vec::new();
        for (scope, edit, section) in privileges {
            let p = Privilege {
                scope: Scope::ALL[*scope as usize],
                access: if *edit { Access::Edit } else { Access::View },
                section: Section::ALL[*section as usize],
            };
            if p.refusal().is_none()
                && !list
                    .iter()
                    .any(|q| q.scope == p.scope && q.section == p.section)
            {
                list.push(p);
            }
        }
        facts.groups.push(GroupFacts {
            id: groups[i],
            parent: parent.filter(|_| i > 0).map(|p| groups[p as usize % i]),
            name: format!("group {i}"),
            privileges: list,
        });
    }
    for (m, (levels, items)) in spec.modules.iter().enumerate() {
        facts.modules.push(ModuleFacts {
            key: format!("m{m}"),
            levels: (0..*levels).map(|l| format!("l{l}")).collect(),
            items: (0..*items).map(|i| format!("i{i}")).collect(),
        });
    }
    let roles: Vec<RoleId> = spec.roles.iter().map(|_| RoleId::new()).collect();
    for (r, (caps, grants)) in spec.roles.iter().enumerate() {
        let mut modules = BTreeMap::new();
        if !facts.modules.is_empty() {
            for (m, level, items) in grants {
                let module = &facts.modules[*m as usize % facts.modules.len()];
                let items = match items {
                    None => GrantItems::All,
                    Some(mask) => GrantItems::Keys(
                        module
                            .items
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, k)| k.clone())
                            .collect(),
                    ),
                };
                let grant = ModuleGrantFacts {
                    level: *level as usize % module.levels.len(),
                    items,
                };
                modules.insert(module.key.clone(), grant);
            }
        }
        facts.roles.push(RoleFacts {
            id: roles[r],
            name: format!("role {r}"),
            capabilities: Capability::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| caps & (1 << i) != 0)
                .map(|(_, c)| *c)
                .collect(),
            modules,
        });
    }
    let mut org = Org {
        facts,
        nodes,
        groups,
        roles,
    };
    for u in &spec.users {
        let user = user_facts(&org, UserId::new(), u);
        org.facts.users.push(user);
    }
    org
}

/// `SplitMix64`: picks the queries from the case's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn user(&mut self, org: &Org) -> UserId {
        if self.below(25) == 0 || org.facts.users.is_empty() {
            UserId::new()
        } else {
            org.facts.users[self.below(org.facts.users.len())].id
        }
    }

    fn node(&mut self, org: &Org) -> NodeId {
        if self.below(25) == 0 {
            NodeId::new()
        } else {
            org.nodes[self.below(org.nodes.len())]
        }
    }

    /// A current location: usually one the subject can work at (their placements'
    /// nodes and below), sometimes anywhere.
    fn current(&mut self, org: &Org, subject: UserId) -> NodeId {
        let naive = Naive { facts: &org.facts };
        if self.below(3) > 0
            && let Some(s) = naive.user(subject)
        {
            let p = s.placements[self.below(s.placements.len())];
            let below: Vec<NodeId> = org
                .nodes
                .iter()
                .copied()
                .filter(|n| naive.is_within(*n, p.node))
                .collect();
            return below[self.below(below.len())];
        }
        self.node(org)
    }

    fn day(&mut self) -> NaiveDate {
        offset(self.below(25) as i64 - 12)
    }

    fn capability(&mut self) -> Capability {
        Capability::ALL[self.below(Capability::ALL.len())]
    }

    fn section(&mut self) -> Section {
        Section::ALL[self.below(Section::ALL.len())]
    }

    fn access(&mut self) -> Access {
        if self.below(2) == 0 {
            Access::View
        } else {
            Access::Edit
        }
    }
}

/// A granting placement named by a reason really grants: the subject's, in force on
/// `today`, at or above `current`, and `grants` says its role gives what was asked.
fn placement_is_real(
    naive: &Naive<'_>,
    subject: UserId,
    current: NodeId,
    today: NaiveDate,
    reason: &Reason,
    grants: impl Fn(RoleId) -> bool,
) -> Result<(), TestCaseError> {
    let s = naive.user(subject).unwrap();
    match reason {
        Reason::OrgAdmin => prop_assert!(s.is_org_admin),
        Reason::Placement { role, node } => {
            prop_assert!(
                naive
                    .in_force_above(s, current, today)
                    .iter()
                    .any(|p| p.role == role.id && p.node == node.id),
                "{reason} is not a placement of the subject in force at or above the current location"
            );
            prop_assert!(grants(role.id), "{reason}: the role does not grant it");
        }
        other => prop_assert!(false, "unexpected allowing reason {other:?}"),
    }
    Ok(())
}

/// A privilege named by a reason is really the viewer's group's and covers the relation.
fn privilege_is_real(
    naive: &Naive<'_>,
    viewer: UserId,
    target: UserId,
    reason: &Reason,
    section: Option<(Section, Access)>,
) -> Result<(), TestCaseError> {
    let Reason::Privilege {
        group,
        scope,
        access,
        relation,
    } = reason
    else {
        return Ok(());
    };
    let v = naive.user(viewer).unwrap();
    prop_assert_eq!(v.group, Some(group.id));
    prop_assert_eq!(*relation, naive.relation(viewer, target));
    prop_assert!(relation.covered_by(*scope));
    let g = naive.group(group.id).unwrap();
    prop_assert!(g.privileges.iter().any(|p| p.scope == *scope
        && p.access == *access
        && section.is_none_or(|(s, a)| p.section == s && p.access >= a)));
    Ok(())
}

fn compare(org: &Org, index: &OrgIndex, rng: &mut Rng) -> Result<(), TestCaseError> {
    let naive = Naive { facts: &org.facts };
    let users: Vec<UserId> = org.facts.users.iter().map(|u| u.id).collect();
    for _ in 0..60 {
        let subject = rng.user(org);
        let current = rng.current(org, subject);
        let today = rng.day();

        // Capabilities on users and nodes.
        let capability = rng.capability();
        let target = if rng.below(2) == 0 {
            Target::User(rng.user(org))
        } else {
            Target::Node(rng.node(org))
        };
        let d = index.check_capability(subject, current, capability, target, today);
        prop_assert_eq!(
            d.allowed,
            naive.capability(subject, current, capability, target, today),
            "capability {} on {:?}: {}",
            capability,
            target,
            d
        );
        if d.allowed {
            placement_is_real(&naive, subject, current, today, &d.reason, |r| {
                naive.role_has(r, capability)
            })?;
        } else if let Reason::PlacementNotInForce { role, node, .. } = &d.reason {
            let s = naive.user(subject).unwrap();
            prop_assert!(
                s.placements
                    .iter()
                    .any(|p| p.role == role.id && p.node == node.id && !p.in_force(today))
            );
            prop_assert!(naive.role_has(role.id, capability));
        }
        prop_assert_eq!(
            index.capabilities_at(subject, current, today),
            naive.capabilities_at(subject, current, today)
        );

        // Modules, levels and items.
        if !org.facts.modules.is_empty() {
            let module = &org.facts.modules[rng.below(org.facts.modules.len())];
            let level = if rng.below(20) == 0 {
                "nope".to_owned()
            } else {
                module.levels[rng.below(module.levels.len())].clone()
            };
            let d = index.check_module(subject, current, &module.key, &level, today);
            prop_assert_eq!(
                d.allowed,
                naive.module(subject, current, &module.key, &level, None, today),
                "module: {}",
                d
            );
            let lvl = module.levels.iter().position(|l| *l == level).unwrap_or(0);
            if d.allowed {
                placement_is_real(&naive, subject, current, today, &d.reason, |r| {
                    naive.grant(r, &module.key).0 >= lvl
                })?;
            }
            let item = format!("i{}", rng.below(6));
            let d = index.check_module_item(subject, current, &module.key, &level, &item, today);
            prop_assert_eq!(
                d.allowed,
                naive.module(subject, current, &module.key, &level, Some(&item), today),
                "item: {}",
                d
            );
        }

        // The command hierarchy.
        let target_user = rng.user(org);
        prop_assert_eq!(
            index.relation(subject, target_user),
            naive.relation(subject, target_user)
        );
        let (section, access) = (rng.section(), rng.access());
        let d = index.check_section(subject, target_user, section, access);
        prop_assert_eq!(
            d.allowed,
            naive.section(subject, target_user, section, access),
            "section: {}",
            d
        );
        if d.allowed {
            privilege_is_real(
                &naive,
                subject,
                target_user,
                &d.reason,
                Some((section, access)),
            )?;
        }

        // Visibility.
        let d = index.can_see_profile(subject, current, target_user, today);
        prop_assert_eq!(
            d.allowed,
            naive.profile(subject, current, target_user, today),
            "profile: {}",
            d
        );
        if d.allowed {
            match &d.reason {
                Reason::SelfService => prop_assert_eq!(subject, target_user),
                Reason::Privilege { .. } => {
                    privilege_is_real(&naive, subject, target_user, &d.reason, None)?;
                }
                other => placement_is_real(&naive, subject, current, today, other, |r| {
                    naive.role_has(r, Capability::UsersView)
                })?,
            }
        }

        // The list filter (self, users.view's subtree, the privileges' groups) opens
        // exactly the profiles the forward check opens.
        let scope = index.privilege_scope(subject);
        let by_view = index
            .check_capability(
                subject,
                current,
                Capability::UsersView,
                Target::Node(current),
                today,
            )
            .allowed
            && index.placed_within(target_user, current);
        let by_group = scope.everyone
            || index
                .group_of(target_user)
                .is_some_and(|g| scope.groups.contains(&g));
        let can_act = naive.user(subject).is_some_and(|s| {
            s.status == muster_domain::user::UserStatus::Active
                && s.login_kind != muster_domain::user::LoginKind::None
        });
        let known = index.contains_user(target_user) && index.node_name(current).is_some();
        prop_assert_eq!(
            known && can_act && (subject == target_user || by_view || by_group),
            index
                .can_see_profile(subject, current, target_user, today)
                .allowed,
            "list scope {:?}, by users.view {}",
            scope,
            by_view
        );

        // No escalation, placement edits and deletes.
        let role = if rng.below(20) == 0 {
            RoleId::new()
        } else {
            org.roles[rng.below(org.roles.len())]
        };
        let at = rng.node(org);
        let d = index.can_grant_role(subject, current, role, at, today);
        prop_assert_eq!(
            d.allowed,
            naive.grant_role(subject, current, role, at, today),
            "grant: {}",
            d
        );
        if let Some(facts) = org.facts.roles.iter().find(|r| r.id == role) {
            prop_assert_eq!(
                index
                    .can_define_role(subject, current, facts, today)
                    .allowed,
                index
                    .can_grant_role(subject, current, role, current, today)
                    .allowed,
                "defining a role is granting it where one works"
            );
        }
        let d = index.can_edit_placement(subject, current, at, today);
        prop_assert_eq!(
            d.allowed,
            naive.edit_placement(subject, current, at, today),
            "edit placement: {}",
            d
        );
        let placement_node = match naive.user(target_user).filter(|_| rng.below(4) > 0) {
            Some(t) => t.placements[rng.below(t.placements.len())].node,
            None => rng.node(org),
        };
        let d = index.can_delete_placement(subject, current, target_user, placement_node, today);
        prop_assert_eq!(
            d.allowed,
            naive.delete_placement(subject, current, target_user, placement_node, today),
            "delete placement: {}",
            d
        );
        prop_assert_eq!(
            index.has_placements_outside(target_user, current),
            naive.outside(target_user, current)
        );

        // Directory, and its list filter.
        let d = index.directory_visible(subject, target_user);
        let target_active = naive
            .user(target_user)
            .is_some_and(|t| t.status == muster_domain::user::UserStatus::Active);
        let listed = match index.directory_scope(subject) {
            DirectoryScope::Nobody => false,
            DirectoryScope::Everyone => true,
            DirectoryScope::AtNodes(nodes) => naive
                .user(target_user)
                .is_some_and(|t| t.placements.iter().any(|p| nodes.contains(&p.node))),
            DirectoryScope::InGroups(groups) => index
                .group_of(target_user)
                .is_some_and(|g| groups.contains(&g)),
        };
        let shown_scope = matches!(index.directory_scope(subject), DirectoryScope::Nobody);
        prop_assert_eq!(
            d.allowed,
            target_active && (listed || (subject == target_user && !shown_scope)),
            "directory scope: {}",
            d
        );
        prop_assert_eq!(
            d.allowed,
            naive.directory(subject, target_user),
            "directory: {}",
            d
        );
    }

    // The reverse questions, for a few targets.
    for _ in 0..4 {
        let target = rng.user(org);
        let (section, access) = (rng.section(), rng.access());
        let who: Vec<UserId> = index
            .who_can(target, section, access)
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        prop_assert_eq!(&who, &naive.who_can(target, section, access));
        for (viewer, reason) in index.who_can(target, section, access) {
            privilege_is_real(&naive, viewer, target, &reason, Some((section, access)))?;
        }
        let today = rng.day();
        let admins: Vec<(UserId, Vec<Capability>)> = index
            .administrators_of(target, today)
            .into_iter()
            .map(|(u, caps, _)| (u, caps))
            .collect();
        prop_assert_eq!(admins, naive.administrators_of(target, today));
        if let Some(u) = users.first() {
            prop_assert_eq!(
                index.default_location(*u),
                naive.user(*u).and_then(|u| naive.default_node(u))
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_decision_matches_the_naive_reference(spec in spec(), updates in vec(user_spec(), 0..6)) {
        let mut org = build(&spec);
        let mut index = OrgIndex::build(&org.facts);
        let mut rng = Rng(spec.seed);
        compare(&org, &index, &mut rng)?;

        // Incremental updates: change, add and remove users in both.
        for (i, update) in updates.iter().enumerate() {
            match (i % 3, org.facts.users.len()) {
                (2, n) if n > 1 => {
                    let gone = org.facts.users.remove(rng.below(n));
                    prop_assert!(index.remove_user(gone.id));
                }
                (1 | 2, _) => {
                    let user = user_facts(&org, UserId::new(), update);
                    index.upsert_user(&user);
                    org.facts.users.push(user);
                }
                _ => {
                    let at = rng.below(org.facts.users.len());
                    let user = user_facts(&org, org.facts.users[at].id, update);
                    index.upsert_user(&user);
                    org.facts.users[at] = user;
                }
            }
        }
        prop_assert_eq!(index.user_count(), org.facts.users.len());
        compare(&org, &index, &mut rng)?;
    }
}
