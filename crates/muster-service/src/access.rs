//! Access decisions for the API: the organization's access index, kept current, and the
//! questions other applications and the console ask of it — "may this user do that, and
//! why?" (`POST /access/check`), a user's effective permissions, and the reverse lookup
//! "who can see or change this person's record?".
//!
//! The index ([`muster_access::OrgIndex`]) is built from the database per organization
//! and cached. Every change to an organization writes an audit event in its own
//! transaction, so the organization's audit sequence number is a change counter: one
//! cheap query compares it with the cached index's, and the index is rebuilt when they
//! differ — whichever process (this server, the CLI, another server on the same
//! PostgreSQL) made the change.
//!
//! On SQLite the counter is read before every decision (the CLI cannot tell a running
//! server anything). On PostgreSQL every committed change also sends a notification
//! (`LISTEN/NOTIFY`); while a listener of this process is connected
//! ([`AccessCache::set_listening`]), a cached index stays valid until a notification
//! arrives or this process itself changes something ([`AccessCache::invalidate`]), and
//! the counter query is skipped. A lost listener connection falls back to reading the
//! counter every time, so a missed notification never leaves a stale index in force.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use muster_access::{
    Decision, Facts, GroupFacts, ModuleFacts, ModuleGrantFacts, NodeFacts, OrgIndex,
    PlacementFacts, RoleFacts, Target, UserFacts,
};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Section};
use muster_domain::{NodeId, OrgId, UserId, ValidationErrors};
use muster_store::{Store, access as store_access};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz, hierarchy, modules, nodes, roles};

/// Cached access indexes, one per organization.
#[derive(Debug, Default)]
pub struct AccessCache {
    entries: RwLock<HashMap<OrgId, Entry>>,
    /// Bumped whenever a cached index may have become stale.
    generation: AtomicU64,
    /// Whether change notifications are being received (PostgreSQL).
    listening: AtomicBool,
    /// One refresh at a time per organization.
    gates: std::sync::Mutex<HashMap<OrgId, Arc<tokio::sync::Mutex<()>>>>,
}

/// One organization's cached index.
#[derive(Debug)]
struct Entry {
    /// The change counter the index was built at.
    counter: i64,
    index: Arc<OrgIndex>,
    /// The generation at which `counter` was last confirmed current.
    confirmed: u64,
}

impl AccessCache {
    /// The current index of `org`, brought up to date when the organization changed
    /// since: by reloading the users a few changes were about, or by a rebuild. One
    /// refresh per organization at a time; concurrent callers wait for it and share it.
    pub async fn index(&self, store: &Store, org: OrgId) -> Result<Arc<OrgIndex>> {
        // INVARIANT: the generation is read before the counter, so a change signalled
        // meanwhile leaves a newer generation and the next call checks again.
        let generation = self.generation.load(Ordering::Acquire);
        if self.listening.load(Ordering::Acquire)
            && let Some(entry) = self.read().get(&org)
            && entry.confirmed == generation
        {
            return Ok(Arc::clone(&entry.index));
        }
        let counter = store_access::change_counter(store, org).await?;
        if let Some(index) = self.confirm(org, counter, generation) {
            return Ok(index);
        }
        let gate = self.gate(org);
        let _refreshing = gate.lock().await;
        // Someone else may have refreshed while this caller waited.
        if let Some(index) = self.confirm(org, counter, generation) {
            return Ok(index);
        }
        let cached = self
            .read()
            .get(&org)
            .map(|e| (Arc::clone(&e.index), e.counter));
        let followed = match &cached {
            Some((old, old_counter)) if *old_counter < counter => {
                follow(store, org, (old, *old_counter), counter).await?
            }
            _ => None,
        };
        let index = if let Some(index) = followed {
            Arc::new(index)
        } else {
            let facts = load_facts(store, &Ctx::system(org)).await?;
            Arc::new(OrgIndex::build(&facts))
        };
        // INVARIANT: `counter` was read before the facts, so a change made meanwhile
        // leaves a newer counter in the database and the next call refreshes again.
        self.write().insert(
            org,
            Entry {
                counter,
                index: Arc::clone(&index),
                confirmed: generation,
            },
        );
        Ok(index)
    }

    /// The cached index if it is at `counter` or newer, marked confirmed at `generation`.
    fn confirm(&self, org: OrgId, counter: i64, generation: u64) -> Option<Arc<OrgIndex>> {
        let mut entries = self.write();
        let entry = entries.get_mut(&org)?;
        if entry.counter < counter {
            return None;
        }
        entry.confirmed = entry.confirmed.max(generation);
        Some(Arc::clone(&entry.index))
    }

    /// The lock that lets one caller at a time refresh `org`'s index.
    fn gate(&self, org: OrgId) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self
            .gates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(gates.entry(org).or_default())
    }

    /// Marks every cached index as possibly stale: the next decision reads the change
    /// counter again. Called when a change notification arrives and after this process
    /// changed something.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether change notifications are being received. Turning it on invalidates too,
    /// since notifications sent while nobody listened are lost.
    pub fn set_listening(&self, listening: bool) {
        self.invalidate();
        self.listening.store(listening, Ordering::Release);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<OrgId, Entry>> {
        // A poisoned lock only means a panic elsewhere while inserting; the map is fine.
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<OrgId, Entry>> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Reads everything the engine needs about `ctx.org`.
async fn load_facts(store: &Store, ctx: &Ctx) -> Result<Facts> {
    let mut facts = Facts::default();
    let mut page = PageRequest::first(500);
    loop {
        let batch = nodes::list(store, ctx, &page).await?;
        facts
            .nodes
            .extend(batch.items.into_iter().map(|n| NodeFacts {
                id: n.id,
                parent: n.parent_id,
                kind: n.kind,
                name: n.name,
            }));
        match batch.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let mut page = PageRequest::first(500);
    loop {
        let batch = hierarchy::list(store, ctx, &page).await?;
        facts
            .groups
            .extend(batch.items.into_iter().map(|g| GroupFacts {
                id: g.id,
                parent: g.parent_id,
                name: g.name,
                privileges: g.privileges,
            }));
        match batch.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let mut all_modules = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let batch = modules::list(store, ctx, &page).await?;
        all_modules.extend(batch.items);
        match batch.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let mut page = PageRequest::first(500);
    loop {
        let batch = roles::list(store, ctx, &page).await?;
        facts
            .roles
            .extend(batch.items.into_iter().map(|r| RoleFacts {
                id: r.id,
                name: r.name,
                capabilities: r.capabilities,
                modules: ModuleGrantFacts::from_grants(&r.modules, &all_modules),
            }));
        match batch.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    facts.modules = all_modules.iter().map(ModuleFacts::from).collect();

    facts.users = user_facts(
        store_access::users(store, ctx.org).await?,
        store_access::placements(store, ctx.org).await?,
    );
    Ok(facts)
}

/// Users as the engine sees them, with their placements.
fn user_facts(
    users: Vec<store_access::AccessUserRow>,
    rows: Vec<store_access::AccessPlacementRow>,
) -> Vec<UserFacts> {
    let mut placements: HashMap<uuid::Uuid, Vec<PlacementFacts>> = HashMap::new();
    for p in rows {
        placements
            .entry(p.user_id)
            .or_default()
            .push(PlacementFacts {
                node: NodeId::from_uuid(p.node_id),
                role: muster_domain::RoleId::from_uuid(p.role_id),
                default: p.is_default,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
            });
    }
    users
        .into_iter()
        .filter_map(|u| {
            let (Ok(status), Ok(login_kind), Ok(directory)) = (
                u.status.parse(),
                u.login_kind.parse(),
                u.directory_access.parse(),
            ) else {
                return None;
            };
            Some(UserFacts {
                id: UserId::from_uuid(u.id),
                status,
                login_kind,
                is_org_admin: u.is_org_admin,
                group: u
                    .command_group_id
                    .map(muster_domain::CommandGroupId::from_uuid),
                directory,
                placements: placements.remove(&u.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// Changes to objects of these kinds touch only the person concerned: the index follows
/// by reloading that user.
const USER_KINDS: &[&str] = &["user", "placement"];
/// Changes to objects of these kinds do not touch the index at all. Any other kind (the
/// tree, roles, modules, the hierarchy, kinds added later) rebuilds it.
const UNRELATED_KINDS: &[&str] = &[
    "settings",
    "token",
    "barcode",
    "emergency_contact",
    "reference_item",
    crate::audit::REFUSAL_KIND,
];
/// More changes than this since the cached index: rebuild rather than follow them.
const FOLLOW_LIMIT: i64 = 500;

/// The index at `counter`, from `old` (at `old_counter`) by reloading only the users the
/// changes in between were about — or `None` when a change needs a rebuild.
async fn follow(
    store: &Store,
    org: OrgId,
    (old, old_counter): (&OrgIndex, i64),
    counter: i64,
) -> Result<Option<OrgIndex>> {
    let changes =
        store_access::changes_between(store, org, old_counter, counter, FOLLOW_LIMIT + 1).await?;
    if i64::try_from(changes.len()).unwrap_or(i64::MAX) > FOLLOW_LIMIT {
        return Ok(None);
    }
    let mut touched: Vec<uuid::Uuid> = Vec::new();
    for change in &changes {
        let kind = change.target_kind.as_str();
        if UNRELATED_KINDS.contains(&kind) {
            continue;
        }
        match (USER_KINDS.contains(&kind), change.subject_id) {
            (true, Some(user)) => touched.push(user),
            _ => return Ok(None),
        }
    }
    touched.sort_unstable();
    touched.dedup();
    let mut index = old.clone();
    if touched.is_empty() {
        return Ok(Some(index));
    }
    let found = user_facts(
        store_access::users_among(store, org, &touched).await?,
        store_access::placements_among(store, org, &touched).await?,
    );
    for id in &touched {
        let id = UserId::from_uuid(*id);
        match found.iter().find(|u| u.id == id) {
            Some(facts) => index.upsert_user(facts),
            // Deleted (or never committed): gone from every decision.
            None => {
                index.remove_user(id);
            }
        }
    }
    Ok(Some(index))
}

/// What `POST /access/check` is asked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Who would act.
    #[schema(value_type = uuid::Uuid)]
    pub subject_id: UserId,
    /// A capability (`users.edit`), a module level (`module:scheduling:edit`) or a section
    /// access (`section:discipline:view`).
    pub action: String,
    /// What on: `{user_id}` or `{node_id}`.
    pub resource: Resource,
    /// The subject's current location; default: the node of their default placement.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub current_node_id: Option<NodeId>,
}

/// The object of a check.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// A user.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub user_id: Option<UserId>,
    /// A node.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub node_id: Option<NodeId>,
}

/// A decision and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckResponse {
    /// Allowed or not.
    pub allowed: bool,
    /// The grant that allowed it, or what was missing, in one sentence.
    pub reason: String,
}

impl From<Decision> for CheckResponse {
    fn from(decision: Decision) -> Self {
        Self {
            allowed: decision.allowed,
            reason: decision.reason.to_string(),
        }
    }
}

/// The day decisions are taken for (placements are in force by day).
fn today(ctx: &Ctx) -> NaiveDate {
    ctx.now.get().date_naive()
}

/// Answers "may `subject` do `action` on `resource`?", with the reason.
pub async fn check(
    store: &Store,
    cache: &AccessCache,
    ctx: &Ctx,
    request: &CheckRequest,
) -> Result<CheckResponse> {
    // Asking about someone else needs `users.view` (over them, below).
    if !authz::is_self(ctx, request.subject_id)
        && let Some(current) = authz::current_location(ctx)
    {
        authz::require(ctx, Capability::UsersView, Target::Node(current))?;
    }
    let index = cache.index(store, ctx.org).await?;
    if !index.contains_user(request.subject_id) || !authz::can_see(ctx, request.subject_id) {
        return Err(ValidationErrors::single("subject_id", "no such user").into());
    }
    if !authz::is_self(ctx, request.subject_id) {
        authz::require(ctx, Capability::UsersView, Target::User(request.subject_id))?;
    }
    let target = match (request.resource.user_id, request.resource.node_id) {
        (Some(user), None) => Target::User(user),
        (None, Some(node)) => Target::Node(node),
        _ => {
            return Err(ValidationErrors::single(
                "resource",
                "must name exactly one of user_id and node_id",
            )
            .into());
        }
    };
    let current = request
        .current_node_id
        .or_else(|| index.default_location(request.subject_id))
        .ok_or_else(|| {
            ValidationErrors::single("current_node_id", "the subject has no placement")
        })?;
    let today = today(ctx);
    let subject = request.subject_id;
    let mut parts = request.action.split(':');
    let decision = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("module"), Some(module), Some(level), None) => {
            index.check_module(subject, current, module, level, today)
        }
        (Some("section"), Some(section), Some(access), None) => {
            let (Ok(section), Ok(access)) = (section.parse::<Section>(), access.parse::<Access>())
            else {
                return Err(unknown_action());
            };
            let Target::User(user) = target else {
                return Err(ValidationErrors::single(
                    "resource",
                    "a section access is about a user: name user_id",
                )
                .into());
            };
            index.check_section(subject, user, section, access)
        }
        (Some(capability), None, None, None) => {
            let capability: Capability = capability.parse().map_err(|_| unknown_action())?;
            index.check_capability(subject, current, capability, target, today)
        }
        _ => return Err(unknown_action()),
    };
    Ok(decision.into())
}

fn unknown_action() -> ServiceError {
    ValidationErrors::single(
        "action",
        "must be a capability (users.edit), module:KEY:LEVEL or section:SECTION:view|edit",
    )
    .into()
}

/// One capability of a user, decided at their default location.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapabilityDecision {
    /// The capability.
    pub capability: Capability,
    /// Whether the user holds it there.
    pub allowed: bool,
    /// The grant, or what is missing.
    pub via: String,
}

/// A module level a user holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModuleLevel {
    /// The highest level held.
    pub level: String,
    /// The grant.
    pub via: String,
}

/// `GET /users/{id}/effective-permissions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EffectivePermissions {
    /// The location these were decided at (the user's default location).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub current_node_id: Option<NodeId>,
    /// Every administrative capability, allowed or not.
    pub capabilities: Vec<CapabilityDecision>,
    /// The highest level of each module.
    pub modules: BTreeMap<String, ModuleLevel>,
    /// The personnel-record privileges of the user's command group.
    pub sections: Vec<muster_domain::hierarchy::Privilege>,
}

/// What `user` may do at their default location, and why.
pub async fn effective_permissions(
    store: &Store,
    cache: &AccessCache,
    ctx: &Ctx,
    user: UserId,
) -> Result<EffectivePermissions> {
    let index = cache.index(store, ctx.org).await?;
    if !index.contains_user(user) {
        return Err(ServiceError::NotFound("user"));
    }
    if !authz::is_self(ctx, user) {
        authz::require_on_user(ctx, Capability::UsersView, user)?;
    }
    let today = today(ctx);
    // INVARIANT: every user has a default placement.
    let Some(node) = index.default_location(user) else {
        return Err(ServiceError::NotFound("user"));
    };
    let current = Some(node);
    let capabilities = Capability::ALL
        .iter()
        .map(|&capability| {
            let decision =
                index.check_capability(user, node, capability, Target::Node(node), today);
            CapabilityDecision {
                capability,
                allowed: decision.allowed,
                via: decision.reason.to_string(),
            }
        })
        .collect();
    let mut modules = BTreeMap::new();
    let mut page = PageRequest::first(500);
    loop {
        let batch = crate::modules::list(store, ctx, &page).await?;
        for module in &batch.items {
            let held = module.levels.iter().rev().find_map(|level| {
                let decision = index.check_module(user, node, &module.key, level, today);
                decision.allowed.then(|| ModuleLevel {
                    level: level.clone(),
                    via: decision.reason.to_string(),
                })
            });
            if let Some(held) = held {
                modules.insert(module.key.clone(), held);
            }
        }
        match batch.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let profile = crate::users::get(store, ctx, user).await?;
    let sections = match profile.command_group_id {
        Some(group) => hierarchy::get(store, ctx, group).await?.privileges,
        None => Vec::new(),
    };
    Ok(EffectivePermissions {
        current_node_id: current,
        capabilities,
        modules,
        sections,
    })
}

/// Someone who can reach a person, and through what.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Grantee {
    /// Who.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    /// The grant.
    pub via: String,
}

/// Who can view and edit one section of a person's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectionAccess {
    /// The section.
    pub section: Section,
    /// Who can view it.
    pub view: Vec<Grantee>,
    /// Who can edit it.
    pub edit: Vec<Grantee>,
}

/// An administrator of a person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Administrator {
    /// Who.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    /// The administrative capabilities they hold over the person.
    pub capabilities: Vec<Capability>,
    /// The grant.
    pub via: String,
}

/// `GET /users/{id}/access`: who can see or change this person's record, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordAccess {
    /// Section by section.
    pub sections: Vec<SectionAccess>,
    /// Who administers the person (Muster's own capabilities).
    pub administrators: Vec<Administrator>,
}

/// The reverse lookup for `user`.
pub async fn record_access(
    store: &Store,
    cache: &AccessCache,
    ctx: &Ctx,
    user: UserId,
) -> Result<RecordAccess> {
    let index = cache.index(store, ctx.org).await?;
    if !index.contains_user(user) {
        return Err(ServiceError::NotFound("user"));
    }
    authz::require_on_user(ctx, Capability::UsersView, user)?;
    let grantees = |section, access| {
        index
            .who_can(user, section, access)
            .into_iter()
            .map(|(user_id, reason)| Grantee {
                user_id,
                via: reason.to_string(),
            })
            .collect()
    };
    let sections = Section::ALL
        .iter()
        .map(|&section| SectionAccess {
            section,
            view: grantees(section, Access::View),
            edit: grantees(section, Access::Edit),
        })
        .collect();
    let administrators = index
        .administrators_of(user, today(ctx))
        .into_iter()
        .map(|(user_id, capabilities, reason)| Administrator {
            user_id,
            capabilities,
            via: reason.to_string(),
        })
        .collect();
    Ok(RecordAccess {
        sections,
        administrators,
    })
}
