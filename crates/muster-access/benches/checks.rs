//! Access checks on a large organization, against `cedar-policy` evaluating the same rules.
//!
//! The organization: 100,000 users; an org tree of 1,025 nodes five levels deep (root, 4
//! regions, 20 divisions, 200 areas, 800 locations); an 8-level command hierarchy of 255
//! groups with privileges at every level; 6 roles; 5 modules (two with items). Every user
//! has a default placement at a location, the administrators theirs at regions, divisions,
//! areas and locations; a fifth of the users have a second placement, some of them
//! time-bounded (ended, not yet started, in force).
//!
//! Measured per decision kind — capability on a user target, capability on a node, module
//! level, section via privilege, relation — first with criterion (cycling through a pool of
//! random queries), then in a manual loop of 1M random checks timed in batches (to keep the
//! clock's own cost out) for a p50/p99 table. Cedar answers the same queries from an
//! equivalent policy set and entity store (see [`cedar`]); the bench checks that both
//! engines agree on every pooled query before timing them.
//!
//! Run: `cargo bench -p muster-access` (about two minutes on 2 cores).

// A benchmark is a test program: failing loudly on a broken fixture is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]
// Counts and indexes here are small and positive; the casts are deliberate.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use criterion::Criterion;
use muster_access::{
    Facts, GroupFacts, ModuleFacts, ModuleGrantFacts, NodeFacts, OrgIndex, PlacementFacts,
    RoleFacts, Target, UserFacts,
};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Privilege, Scope, Section};
use muster_domain::modules::GrantItems;
use muster_domain::user::{DirectoryAccess, LoginKind, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

const USERS: usize = 100_000;
const POOL: usize = 4096;
const ENGINE_CHECKS: usize = 1_000_000;
const ENGINE_BATCH: usize = 64;
const CEDAR_CHECKS: usize = 20_000;
const CEDAR_BATCH: usize = 8;

/// `SplitMix64`, seeded: the same organization and queries on every run.
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

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const ROLES: [&str; 6] = [
    "Regional Administrator",
    "Division Administrator",
    "Area Supervisor",
    "Location Manager",
    "Staff",
    "Records Clerk",
];

/// A role's module grant: module key, level index, items (`None` = all).
type GrantSpec = (&'static str, usize, Option<Vec<usize>>);

const MODULES: [(&str, &[&str], usize); 5] = [
    ("patients", &["none", "view", "edit"], 0),
    ("scheduling", &["none", "view", "edit"], 10),
    ("map", &["none", "view"], 20),
    ("settings", &["none", "view", "edit", "super_admin"], 0),
    ("vehicle_tracking", &["off", "on"], 0),
];

/// A role's capabilities and module grants (module, level, items: `None` = all).
fn role_spec(name: &str) -> (Vec<Capability>, Vec<GrantSpec>) {
    use Capability::{
        AuditView, PlacementsAdd, PlacementsDelete, PlacementsEditLocation, PlacementsEditRole,
        PlacementsSetDefault, UsersCreate, UsersEdit, UsersLifecycle, UsersResetPassword,
        UsersView,
    };
    match name {
        "Regional Administrator" => (
            vec![
                UsersView,
                UsersCreate,
                UsersEdit,
                UsersLifecycle,
                UsersResetPassword,
                PlacementsAdd,
                PlacementsEditRole,
                PlacementsEditLocation,
                PlacementsDelete,
                PlacementsSetDefault,
                AuditView,
            ],
            vec![
                ("patients", 2, None),
                ("scheduling", 2, None),
                ("map", 1, None),
                ("settings", 3, None),
                ("vehicle_tracking", 1, None),
            ],
        ),
        "Division Administrator" => (
            vec![
                UsersView,
                UsersEdit,
                UsersResetPassword,
                PlacementsEditRole,
                PlacementsSetDefault,
            ],
            vec![
                ("patients", 2, None),
                ("scheduling", 2, Some((0..5).collect())),
                ("map", 1, None),
                ("settings", 2, None),
            ],
        ),
        "Area Supervisor" => (
            vec![UsersView, UsersEdit],
            vec![
                ("patients", 2, None),
                ("scheduling", 1, None),
                ("settings", 1, None),
            ],
        ),
        "Location Manager" => (
            vec![UsersView, PlacementsSetDefault],
            vec![("patients", 2, None), ("scheduling", 2, Some(vec![0]))],
        ),
        "Staff" => (
            vec![],
            vec![
                ("patients", 1, None),
                ("scheduling", 1, Some(vec![0, 1])),
                ("map", 1, Some(vec![0])),
            ],
        ),
        _ => (vec![UsersView], vec![("patients", 1, None)]),
    }
}

/// Privileges by depth in the command hierarchy (0 = the chief's group).
fn privileges(depth: usize) -> Vec<Privilege> {
    let p = |scope, access, section| Privilege {
        scope,
        access,
        section,
    };
    let mut list = vec![
        p(Scope::Own, Access::View, Section::Commendations),
        p(Scope::Own, Access::Edit, Section::Photo),
        p(Scope::Peers, Access::View, Section::Photo),
    ];
    if depth < 7 {
        list.extend([
            p(Scope::Direct, Access::Edit, Section::Discipline),
            p(Scope::Direct, Access::View, Section::PerformanceReviews),
            p(Scope::Indirect, Access::View, Section::Discipline),
            p(Scope::Direct, Access::Edit, Section::FeedbackNotes),
        ]);
    }
    if depth < 2 {
        list.push(p(Scope::All, Access::View, Section::Demographics));
    }
    list
}

struct Fixture {
    facts: Facts,
    index: OrgIndex,
    nodes: Vec<NodeId>,
    node_depth: Vec<usize>,
    /// Each group's members (dense group number → user numbers).
    members: Vec<Vec<usize>>,
    /// Each group's children (dense group number → group numbers).
    child_groups: Vec<Vec<usize>>,
    user_group: Vec<usize>,
    admins: Vec<usize>,
    /// Node id → its number in `nodes`.
    node_ix: std::collections::HashMap<NodeId, usize>,
    /// Per node: the nodes at or below it.
    below: Vec<Vec<usize>>,
    /// Per node: the users whose default placement is there.
    users_at: Vec<Vec<usize>>,
    today: NaiveDate,
    facts_time: Duration,
    build_time: Duration,
}

fn build_fixture() -> Fixture {
    let started = Instant::now();
    let mut rng = Rng(0x4d75_7374_6572);
    let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    let mut facts = Facts::default();

    // The org tree: root, 4 regions × 5 divisions × 10 areas × 4 locations.
    let mut nodes = Vec::new();
    let mut node_depth = Vec::new();
    let mut add_node =
        |facts: &mut Facts, parent: Option<usize>, kind: &str, name: String, depth: usize| {
            let id = NodeId::new();
            facts.nodes.push(NodeFacts {
                id,
                parent: parent.map(|p| facts.nodes[p].id),
                kind: kind.to_owned(),
                name,
            });
            nodes.push(id);
            node_depth.push(depth);
            facts.nodes.len() - 1
        };
    let root = add_node(&mut facts, None, "Organization", "Metro Agency".into(), 0);
    let (mut regions, mut divisions, mut areas, mut locations) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..4 {
        let region = add_node(&mut facts, Some(root), "Region", format!("Region {r}"), 1);
        regions.push(region);
        for d in 0..5 {
            let division = add_node(
                &mut facts,
                Some(region),
                "Division",
                format!("Division {r}.{d}"),
                2,
            );
            divisions.push(division);
            for a in 0..10 {
                let area = add_node(
                    &mut facts,
                    Some(division),
                    "Area",
                    format!("Area {r}.{d}.{a}"),
                    3,
                );
                areas.push(area);
                for l in 0..4 {
                    let name = format!("Location {r}.{d}.{a}.{l}");
                    locations.push(add_node(&mut facts, Some(area), "Location", name, 4));
                }
            }
        }
    }

    // The command hierarchy: a binary tree 8 levels deep (255 groups).
    let mut child_groups: Vec<Vec<usize>> = Vec::new();
    for g in 0..255usize {
        let depth = (g + 1).ilog2() as usize;
        let parent = (g > 0).then(|| (g - 1) / 2);
        facts.groups.push(GroupFacts {
            id: CommandGroupId::new(),
            parent: parent.map(|p| facts.groups[p].id),
            name: format!("Group {g} (level {depth})"),
            privileges: privileges(depth),
        });
        child_groups.push(Vec::new());
        if let Some(p) = parent {
            child_groups[p].push(g);
        }
    }

    for (key, levels, items) in MODULES {
        facts.modules.push(ModuleFacts {
            key: key.to_owned(),
            levels: levels.iter().map(|l| (*l).to_owned()).collect(),
            items: (0..items).map(|i| format!("item{i}")).collect(),
        });
    }
    let mut roles = Vec::new();
    for name in ROLES {
        let (capabilities, grants) = role_spec(name);
        let mut modules = BTreeMap::new();
        for (key, level, items) in grants {
            let items = match items {
                None => GrantItems::All,
                Some(list) => GrantItems::Keys(list.iter().map(|i| format!("item{i}")).collect()),
            };
            modules.insert(key.to_owned(), ModuleGrantFacts { level, items });
        }
        let id = RoleId::new();
        roles.push(id);
        facts.roles.push(RoleFacts {
            id,
            name: name.to_owned(),
            capabilities,
            modules,
        });
    }

    // Users: administrators first, then staff.
    let mut admin_homes: Vec<(usize, usize)> = Vec::new();
    for &r in &regions {
        admin_homes.extend([(r, 0), (r, 0)]);
    }
    for &d in &divisions {
        admin_homes.extend([(d, 1), (d, 1), (d, 1)]);
    }
    admin_homes.extend(areas.iter().map(|&a| (a, 2)));
    admin_homes.extend(locations.iter().map(|&l| (l, 3)));
    let mut members = vec![Vec::new(); 255];
    let mut user_group = Vec::with_capacity(USERS);
    facts.users.reserve(USERS);
    let day = |offset: i64| {
        if offset >= 0 {
            today.checked_add_days(Days::new(offset as u64))
        } else {
            today.checked_sub_days(Days::new(offset.unsigned_abs()))
        }
    };
    for u in 0..USERS {
        let (home, role) = admin_homes
            .get(u)
            .copied()
            .unwrap_or_else(|| (rng.pick(&locations), if rng.chance(3) { 5 } else { 4 }));
        let mut placements = vec![PlacementFacts {
            node: nodes[home],
            role: roles[role],
            default: true,
            starts_on: None,
            ends_on: None,
        }];
        if rng.chance(20) {
            let other = rng.pick(&locations);
            if other != home {
                let (starts_on, ends_on) = match rng.below(10) {
                    0 => (None, day(-30)),
                    1 => (day(10), None),
                    2 => (day(-10), day(10)),
                    _ => (None, None),
                };
                placements.push(PlacementFacts {
                    node: nodes[other],
                    role: roles[if rng.chance(30) { 3 } else { 4 }],
                    default: false,
                    starts_on,
                    ends_on,
                });
            }
        }
        let group = rng.below(255);
        members[group].push(u);
        user_group.push(group);
        facts.users.push(UserFacts {
            id: UserId::new(),
            status: if rng.chance(2) {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            },
            login_kind: LoginKind::Password,
            is_org_admin: u == admin_homes.len() || u == admin_homes.len() + 1,
            group: Some(facts.groups[group].id),
            directory: DirectoryAccess::Everyone,
            placements,
        });
    }
    let facts_time = started.elapsed();
    let started = Instant::now();
    let index = OrgIndex::build(&facts);
    let build_time = started.elapsed();
    let node_ix: std::collections::HashMap<NodeId, usize> =
        nodes.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut below = vec![Vec::new(); nodes.len()];
    for n in 0..nodes.len() {
        let mut at = Some(n);
        while let Some(a) = at {
            below[a].push(n);
            at = facts.nodes[a].parent.map(|p| node_ix[&p]);
        }
    }
    let mut users_at = vec![Vec::new(); nodes.len()];
    for (u, user) in facts.users.iter().enumerate() {
        users_at[node_ix[&user.placements[0].node]].push(u);
    }
    Fixture {
        facts,
        index,
        nodes,
        node_depth,
        members,
        child_groups,
        user_group,
        admins: (0..admin_homes.len()).collect(),
        node_ix,
        below,
        users_at,
        today,
        facts_time,
        build_time,
    }
}

/// One pooled query of each kind.
#[derive(Clone, Copy)]
enum Query {
    Capability {
        subject: usize,
        current: NodeId,
        capability: Capability,
        target: Target,
    },
    Module {
        subject: usize,
        current: NodeId,
        module: usize,
        level: usize,
    },
    Section {
        viewer: usize,
        target: usize,
        section: Section,
        access: Access,
    },
}

const CAPABILITIES: [Capability; 4] = [
    Capability::UsersView,
    Capability::UsersEdit,
    Capability::PlacementsSetDefault,
    Capability::UsersLifecycle,
];

fn subject(fx: &Fixture, rng: &mut Rng) -> (usize, NodeId) {
    let s = if rng.chance(75) {
        rng.pick(&fx.admins)
    } else {
        rng.below(USERS)
    };
    let user = &fx.facts.users[s];
    (s, rng.pick(&user.placements).node)
}

fn capability_queries(fx: &Fixture, on_nodes: bool) -> Vec<Query> {
    let mut rng = Rng(if on_nodes { 2 } else { 1 });
    (0..POOL)
        .map(|_| {
            let (s, current) = subject(fx, &mut rng);
            // Administrators mostly look at what they manage: 60% of the targets lie
            // within the current location, the rest anywhere.
            let near = rng.chance(60);
            let within = &fx.below[fx.node_ix[&current]];
            let target = if on_nodes {
                let n = if near {
                    rng.pick(within)
                } else {
                    rng.below(fx.nodes.len())
                };
                Target::Node(fx.nodes[n])
            } else {
                let mut u = rng.below(USERS);
                if near {
                    let at = &fx.users_at[rng.pick(within)];
                    if !at.is_empty() {
                        u = rng.pick(at);
                    }
                }
                Target::User(fx.facts.users[u].id)
            };
            Query::Capability {
                subject: s,
                current,
                capability: rng.pick(&CAPABILITIES),
                target,
            }
        })
        .collect()
}

fn module_queries(fx: &Fixture) -> Vec<Query> {
    let mut rng = Rng(3);
    (0..POOL)
        .map(|_| {
            let (s, current) = subject(fx, &mut rng);
            let module = rng.below(MODULES.len());
            Query::Module {
                subject: s,
                current,
                module,
                level: rng.below(MODULES[module].1.len()),
            }
        })
        .collect()
}

/// Viewer/target pairs: half random, half a target in a group below the viewer's (so
/// that direct and indirect reports are well represented).
fn section_queries(fx: &Fixture) -> Vec<Query> {
    let mut rng = Rng(4);
    (0..POOL)
        .map(|_| {
            let viewer = rng.below(USERS);
            let mut target = rng.below(USERS);
            let mut g = fx.user_group[viewer];
            if rng.chance(50) {
                for _ in 0..=rng.below(3) {
                    if let Some(&c) = fx.child_groups[g].get(rng.below(2)) {
                        g = c;
                    }
                }
                if let Some(&t) = fx.members[g].get(rng.below(fx.members[g].len().max(1))) {
                    target = t;
                }
            }
            Query::Section {
                viewer,
                target,
                section: rng.pick(Section::ALL),
                access: if rng.chance(50) {
                    Access::View
                } else {
                    Access::Edit
                },
            }
        })
        .collect()
}

/// Our engine's answer to a pooled query.
#[inline]
fn engine(fx: &Fixture, query: &Query) -> bool {
    let users = &fx.facts.users;
    match *query {
        Query::Capability {
            subject,
            current,
            capability,
            target,
        } => {
            fx.index
                .check_capability(users[subject].id, current, capability, target, fx.today)
                .allowed
        }
        Query::Module {
            subject,
            current,
            module,
            level,
        } => {
            let (key, levels, _) = MODULES[module];
            fx.index
                .check_module(users[subject].id, current, key, levels[level], fx.today)
                .allowed
        }
        Query::Section {
            viewer,
            target,
            section,
            access,
        } => {
            fx.index
                .check_section(users[viewer].id, users[target].id, section, access)
                .allowed
        }
    }
}

/// The relation of a section query's pair (the relation kind reuses the section pool).
#[inline]
fn relation(fx: &Fixture, query: &Query) -> bool {
    let Query::Section { viewer, target, .. } = *query else {
        return false;
    };
    let users = &fx.facts.users;
    fx.index.relation(users[viewer].id, users[target].id) != muster_access::Relation::None
}

mod cedar {
    //! The same rules in Cedar, as faithfully as Cedar can say them.
    //!
    //! - Nodes and groups are entity hierarchies (`Node` parents, `Group` parents), so
    //!   "in subtree" is Cedar's `in`.
    //! - A user entity's parents are its placement nodes: `resource in context.current`
    //!   is exactly "has at least one placement within the current location".
    //! - Placements are records `p0`, `p1` on the user (node, role, first and last day);
    //!   Cedar cannot quantify over a set of records, so there is one policy per placement
    //!   slot (the fixture has at most two placements per user).
    //! - A role entity holds its capabilities as a set of actions and its module levels as
    //!   strings `"module:level"` for every level up to the one granted (levels are
    //!   ordered; Cedar cannot index a record by a runtime key).
    //! - A group entity holds, per scope, the set of section actions (`view:discipline`,
    //!   `edit:discipline`; edit implies view) and its parent; the relations are written
    //!   out with `==`, `in` and `has`.
    //! - `forbid … unless { principal.active }`: only active users act; organization
    //!   administrators are permitted everything.

    use std::collections::{HashMap, HashSet};
    use std::str::FromStr;

    use cedar_policy::{
        Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet,
        Request, RestrictedExpression,
    };
    use chrono::Datelike;
    use muster_access::Target;
    use muster_domain::access::Capability;
    use muster_domain::hierarchy::{Access, Scope, Section};

    use super::{Fixture, MODULES, Query};

    pub const POLICIES: &str = r#"
        permit (principal, action, resource) when { principal.orgAdmin };
        forbid (principal, action, resource) unless { principal.active };

        permit (principal, action in [CAPABILITIES], resource) when {
            principal has p0 &&
            principal.p0.starts <= context.today && context.today <= principal.p0.ends &&
            context.current in principal.p0.node &&
            principal.p0.role.caps.contains(action) &&
            resource in context.current
        };
        permit (principal, action in [CAPABILITIES], resource) when {
            principal has p1 &&
            principal.p1.starts <= context.today && context.today <= principal.p1.ends &&
            context.current in principal.p1.node &&
            principal.p1.role.caps.contains(action) &&
            resource in context.current
        };

        permit (principal, action == Action::"module", resource) when {
            principal has p0 &&
            principal.p0.starts <= context.today && context.today <= principal.p0.ends &&
            context.current in principal.p0.node &&
            principal.p0.role.levels.contains(context.level)
        };
        permit (principal, action == Action::"module", resource) when {
            principal has p1 &&
            principal.p1.starts <= context.today && context.today <= principal.p1.ends &&
            context.current in principal.p1.node &&
            principal.p1.role.levels.contains(context.level)
        };

        permit (principal, action in [SECTIONS], resource is User) when {
            principal has group && principal.group.all.contains(action)
        };
        permit (principal, action in [SECTIONS], resource is User) when {
            principal == resource && principal has group && principal.group.own.contains(action)
        };
        permit (principal, action in [SECTIONS], resource is User) when {
            principal has group && resource has group &&
            resource.group has parent && resource.group.parent == principal.group &&
            principal.group.direct.contains(action)
        };
        permit (principal, action in [SECTIONS], resource is User) when {
            principal has group && resource has group &&
            resource.group != principal.group && resource.group in principal.group &&
            !(resource.group has parent && resource.group.parent == principal.group) &&
            principal.group.indirect.contains(action)
        };
        permit (principal, action in [SECTIONS], resource is User) when {
            principal != resource && principal has group && resource has group &&
            ((resource.group has parent && principal.group has parent &&
              resource.group.parent == principal.group.parent) ||
             (!(resource.group has parent) && !(principal.group has parent))) &&
            principal.group.peers.contains(action)
        };
    "#;

    fn uid(kind: &str, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(EntityTypeName::from_str(kind).unwrap(), EntityId::new(id))
    }

    pub fn action(name: &str) -> EntityUid {
        uid("Action", name)
    }

    pub fn section_action(section: Section, access: Access) -> EntityUid {
        action(&format!("{access}:{section}"))
    }

    fn entity(value: EntityUid) -> RestrictedExpression {
        RestrictedExpression::new_entity_uid(value)
    }

    /// The policy set, with the action lists filled in.
    pub fn policies() -> PolicySet {
        let capabilities: Vec<String> = Capability::ALL
            .iter()
            .map(|c| format!("Action::\"{c}\""))
            .collect();
        let sections: Vec<String> = Section::ALL
            .iter()
            .flat_map(|s| [Access::View, Access::Edit].map(|a| format!("Action::\"{a}:{s}\"")))
            .collect();
        let text = POLICIES
            .replace("CAPABILITIES", &capabilities.join(", "))
            .replace("SECTIONS", &sections.join(", "));
        PolicySet::from_str(&text).unwrap()
    }

    /// The entity store: nodes, groups, roles and users.
    pub fn entities(fx: &Fixture) -> Entities {
        let facts = &fx.facts;
        let mut all = Vec::with_capacity(facts.users.len() + facts.nodes.len() + 300);
        for node in &facts.nodes {
            let parents = node
                .parent
                .map(|p| uid("Node", &p.to_string()))
                .into_iter()
                .collect();
            all.push(Entity::new_no_attrs(
                uid("Node", &node.id.to_string()),
                parents,
            ));
        }
        for group in &facts.groups {
            let mut attrs = HashMap::new();
            let parents: HashSet<EntityUid> = group
                .parent
                .map(|p| uid("Group", &p.to_string()))
                .into_iter()
                .collect();
            if let Some(p) = parents.iter().next() {
                attrs.insert("parent".to_owned(), entity(p.clone()));
            }
            for (scope, attr) in [
                (Scope::All, "all"),
                (Scope::Own, "own"),
                (Scope::Direct, "direct"),
                (Scope::Indirect, "indirect"),
                (Scope::Peers, "peers"),
            ] {
                let actions = group
                    .privileges
                    .iter()
                    .filter(|p| p.scope == scope)
                    .flat_map(|p| {
                        let view = Some(section_action(p.section, Access::View));
                        let edit = (p.access == Access::Edit)
                            .then(|| section_action(p.section, Access::Edit));
                        view.into_iter().chain(edit)
                    })
                    .map(entity);
                attrs.insert(attr.to_owned(), RestrictedExpression::new_set(actions));
            }
            all.push(Entity::new(uid("Group", &group.id.to_string()), attrs, parents).unwrap());
        }
        for role in &facts.roles {
            let caps = role.capabilities.iter().map(|c| entity(action(c.as_str())));
            let mut levels = Vec::new();
            for (key, module_levels, _) in MODULES {
                let granted = role.modules.get(key).map_or(0, |g| g.level);
                for level in &module_levels[..=granted] {
                    levels.push(RestrictedExpression::new_string(format!("{key}:{level}")));
                }
            }
            let attrs = HashMap::from([
                ("caps".to_owned(), RestrictedExpression::new_set(caps)),
                ("levels".to_owned(), RestrictedExpression::new_set(levels)),
            ]);
            all.push(
                Entity::new(uid("Role", &role.id.to_string()), attrs, HashSet::new()).unwrap(),
            );
        }
        for user in &facts.users {
            let mut attrs = HashMap::from([
                (
                    "active".to_owned(),
                    RestrictedExpression::new_bool(
                        user.status == muster_domain::user::UserStatus::Active,
                    ),
                ),
                (
                    "orgAdmin".to_owned(),
                    RestrictedExpression::new_bool(user.is_org_admin),
                ),
            ]);
            if let Some(g) = user.group {
                attrs.insert("group".to_owned(), entity(uid("Group", &g.to_string())));
            }
            assert!(
                user.placements.len() <= 2,
                "one Cedar policy per placement slot"
            );
            for (slot, p) in user.placements.iter().enumerate() {
                let record = RestrictedExpression::new_record([
                    ("node".to_owned(), entity(uid("Node", &p.node.to_string()))),
                    ("role".to_owned(), entity(uid("Role", &p.role.to_string()))),
                    (
                        "starts".to_owned(),
                        RestrictedExpression::new_long(
                            p.starts_on
                                .map_or(i64::MIN, |d| i64::from(d.num_days_from_ce())),
                        ),
                    ),
                    (
                        "ends".to_owned(),
                        RestrictedExpression::new_long(
                            p.ends_on
                                .map_or(i64::MAX, |d| i64::from(d.num_days_from_ce())),
                        ),
                    ),
                ])
                .unwrap();
                attrs.insert(format!("p{slot}"), record);
            }
            let parents = user
                .placements
                .iter()
                .map(|p| uid("Node", &p.node.to_string()))
                .collect();
            all.push(Entity::new(uid("User", &user.id.to_string()), attrs, parents).unwrap());
        }
        Entities::from_entities(all, None).unwrap()
    }

    /// A pooled query as a Cedar request.
    pub fn request(fx: &Fixture, query: &Query) -> Request {
        let users = &fx.facts.users;
        let user = |u: usize| uid("User", &users[u].id.to_string());
        let today = RestrictedExpression::new_long(i64::from(fx.today.num_days_from_ce()));
        let context = |current: muster_domain::NodeId, extra: Option<String>| {
            let mut pairs = vec![
                (
                    "current".to_owned(),
                    entity(uid("Node", &current.to_string())),
                ),
                ("today".to_owned(), today.clone()),
            ];
            if let Some(level) = extra {
                pairs.push(("level".to_owned(), RestrictedExpression::new_string(level)));
            }
            Context::from_pairs(pairs).unwrap()
        };
        let (principal, action, resource, context) = match *query {
            Query::Capability {
                subject,
                current,
                capability,
                target,
            } => {
                let resource = match target {
                    Target::User(id) => uid("User", &id.to_string()),
                    Target::Node(id) => uid("Node", &id.to_string()),
                };
                (
                    user(subject),
                    action(capability.as_str()),
                    resource,
                    context(current, None),
                )
            }
            Query::Module {
                subject,
                current,
                module,
                level,
            } => {
                let (key, levels, _) = MODULES[module];
                (
                    user(subject),
                    action("module"),
                    uid("Module", key),
                    context(current, Some(format!("{key}:{}", levels[level]))),
                )
            }
            Query::Section {
                viewer,
                target,
                section,
                access,
            } => (
                user(viewer),
                section_action(section, access),
                user(target),
                Context::empty(),
            ),
        };
        Request::new(principal, action, resource, context, None).unwrap()
    }

    /// Cedar's answer.
    #[inline]
    pub fn decide(
        authorizer: &Authorizer,
        policies: &PolicySet,
        entities: &Entities,
        request: &Request,
    ) -> bool {
        authorizer
            .is_authorized(request, policies, entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

/// p50 and p99 of the per-check time, from `checks` checks timed in batches of `batch`.
fn percentiles(checks: usize, batch: usize, mut run: impl FnMut(usize) -> bool) -> (f64, f64, f64) {
    let mut samples = Vec::with_capacity(checks / batch);
    let mut allowed = 0usize;
    let mut i = 0;
    while i + batch <= checks {
        let started = Instant::now();
        for j in i..i + batch {
            allowed += usize::from(black_box(run(j)));
        }
        samples.push(started.elapsed().as_nanos() as f64 / batch as f64);
        i += batch;
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), allowed as f64 / i as f64)
}

fn main() {
    let fx = build_fixture();
    let depth = fx.node_depth.iter().max().unwrap() + 1;
    println!(
        "fixture: {} users, {} nodes ({depth} levels), {} groups (8 levels), {} roles, {} modules",
        fx.facts.users.len(),
        fx.facts.nodes.len(),
        fx.facts.groups.len(),
        fx.facts.roles.len(),
        fx.facts.modules.len()
    );
    println!(
        "fixture: facts generated in {:.0} ms, OrgIndex::build in {:.0} ms",
        fx.facts_time.as_secs_f64() * 1e3,
        fx.build_time.as_secs_f64() * 1e3
    );
    let started = Instant::now();
    let again = OrgIndex::build(&fx.facts);
    println!(
        "fixture: rebuild (warm) in {:.0} ms ({} users)",
        started.elapsed().as_secs_f64() * 1e3,
        again.user_count()
    );
    drop(again);

    let started = Instant::now();
    let policies = cedar::policies();
    let entities = cedar::entities(&fx);
    let authorizer = cedar_policy::Authorizer::new();
    println!(
        "cedar: {} policies, entity store built in {:.0} ms",
        policies.policies().count(),
        started.elapsed().as_secs_f64() * 1e3
    );

    let kinds: Vec<(&str, Vec<Query>)> = vec![
        ("capability on a user", capability_queries(&fx, false)),
        ("capability on a node", capability_queries(&fx, true)),
        ("module level", module_queries(&fx)),
        ("section via privilege", section_queries(&fx)),
    ];
    // Both engines must agree on every pooled query before their speed means anything.
    let mut requests = Vec::new();
    for (name, pool) in &kinds {
        let reqs: Vec<_> = pool.iter().map(|q| cedar::request(&fx, q)).collect();
        let mut disagree = 0;
        let mut allowed = 0;
        for (q, r) in pool.iter().zip(&reqs) {
            let ours = engine(&fx, q);
            allowed += usize::from(ours);
            if ours != cedar::decide(&authorizer, &policies, &entities, r) {
                disagree += 1;
            }
        }
        println!(
            "agreement, {name}: {}/{} queries ({:.0}% allowed)",
            pool.len() - disagree,
            pool.len(),
            100.0 * allowed as f64 / pool.len() as f64
        );
        assert_eq!(disagree, 0, "{name}: the engines disagree");
        requests.push(reqs);
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    for ((name, pool), reqs) in kinds.iter().zip(&requests) {
        let mut group = criterion.benchmark_group(*name);
        let mut i = 0usize;
        group.bench_function("muster", |b| {
            b.iter(|| {
                i = (i + 1) % POOL;
                engine(&fx, black_box(&pool[i]))
            });
        });
        let mut i = 0usize;
        group.bench_function("cedar", |b| {
            b.iter(|| {
                i = (i + 1) % POOL;
                cedar::decide(&authorizer, &policies, &entities, black_box(&reqs[i]))
            });
        });
        group.finish();
    }
    {
        let pool = &kinds[3].1;
        let mut group = criterion.benchmark_group("relation");
        let mut i = 0usize;
        group.bench_function("muster", |b| {
            b.iter(|| {
                i = (i + 1) % POOL;
                relation(&fx, black_box(&pool[i]))
            });
        });
        group.finish();
    }
    criterion.final_summary();

    // The p50/p99 table: many random checks, timed in batches.
    println!();
    println!(
        "per-check time, {ENGINE_CHECKS} checks for muster (batches of {ENGINE_BATCH}), \
         {CEDAR_CHECKS} for cedar (batches of {CEDAR_BATCH})"
    );
    println!(
        "| decision | muster p50 | muster p99 | cedar p50 | cedar p99 | cedar / muster (p50) | allowed |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut rng = Rng(99);
    for ((name, pool), reqs) in kinds.iter().zip(&requests) {
        let order: Vec<usize> = (0..ENGINE_CHECKS).map(|_| rng.below(POOL)).collect();
        let (m50, m99, allowed) = percentiles(ENGINE_CHECKS, ENGINE_BATCH, |j| {
            engine(&fx, &pool[order[j]])
        });
        let (c50, c99, _) = percentiles(CEDAR_CHECKS, CEDAR_BATCH, |j| {
            cedar::decide(&authorizer, &policies, &entities, &reqs[order[j]])
        });
        println!(
            "| {name} | {m50:.0} ns | {m99:.0} ns | {:.1} µs | {:.1} µs | {:.0}× | {:.0}% |",
            c50 / 1e3,
            c99 / 1e3,
            c50 / m50,
            allowed * 100.0
        );
    }
    let pool = &kinds[3].1;
    let order: Vec<usize> = (0..ENGINE_CHECKS).map(|_| rng.below(POOL)).collect();
    let (m50, m99, related) = percentiles(ENGINE_CHECKS, ENGINE_BATCH, |j| {
        relation(&fx, &pool[order[j]])
    });
    println!(
        "| relation | {m50:.0} ns | {m99:.0} ns | n/a | n/a | n/a | {:.0}% related |",
        related * 100.0
    );
}
