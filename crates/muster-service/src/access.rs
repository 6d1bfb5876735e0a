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
    /// The current index of `org`, rebuilt when the organization changed since.
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
        if let Some(entry) = self.write().get_mut(&org)
            && entry.counter == counter
        {
            entry.confirmed = entry.confirmed.max(generation);
            return Ok(Arc::clone(&entry.index));
        }
        let ctx = &Ctx::system(org);
        let facts = load_facts(store, ctx).await?;
        let index = Arc::new(OrgIndex::build(&facts));
        // INVARIANT: `counter` was read before the facts, so a change made meanwhile
        // leaves a newer counter in the database and the next call rebuilds again.
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

    let mut placements: HashMap<uuid::Uuid, Vec<PlacementFacts>> = HashMap::new();
    for p in store_access::placements(store, ctx.org).await? {
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
    for u in store_access::users(store, ctx.org).await? {
        let (Ok(status), Ok(login_kind), Ok(directory)) = (
            u.status.parse(),
            u.login_kind.parse(),
            u.directory_access.parse(),
        ) else {
            continue;
        };
        facts.users.push(UserFacts {
            id: UserId::from_uuid(u.id),
            status,
            login_kind,
            is_org_admin: u.is_org_admin,
            group: u
                .command_group_id
                .map(muster_domain::CommandGroupId::from_uuid),
            directory,
            placements: placements.remove(&u.id).unwrap_or_default(),
        });
    }
    Ok(facts)
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
