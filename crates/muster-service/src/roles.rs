//! Roles: list, read, create, change, "enable all" and delete.
//!
//! A role's module grants are checked against the organization's module definitions and
//! presets are applied by the pure rules of `muster_domain::roles`. The invariants kept
//! here are about other records: a role in use cannot be deleted, and cannot stop being
//! assignable at a node kind where users hold it.

use std::collections::HashMap;

use muster_access::{ModuleGrantFacts, RoleFacts};
use muster_domain::access::Capability;
use muster_domain::modules::{self as domain_modules, Grants, Module};
use muster_domain::paging::Page;
use muster_domain::roles::{self as domain, NewRole, Preset, Role, RolePatch};
use muster_domain::{NodeKindId, RoleId, ValidationErrors};
use muster_store::roles::{self as store_roles, RoleFields, RoleKindRow, RoleRow};
use muster_store::{Store, StoreError, Tx, nodes as store_nodes};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::modules::{definitions, definitions_tx};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz};

/// The API's view of a stored role: every module's grant, and the preset it still
/// matches.
fn to_role(row: RoleRow, kinds: Vec<String>, defs: &[Module]) -> Role {
    let stored_preset = row.preset.parse().unwrap_or(Preset::Custom);
    let modules = domain_modules::full_grants(&row.modules.0, defs);
    let mut capabilities: Vec<Capability> = row
        .capabilities
        .0
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    capabilities.sort_unstable();
    capabilities.dedup();
    Role {
        id: RoleId::from_uuid(row.id),
        name: row.name,
        assignable_at: kinds,
        capabilities,
        preset: domain::effective_preset(stored_preset, &modules, defs),
        modules,
        version: row.version,
    }
}

/// A role with its node kinds' ids, as read inside a transaction.
struct Loaded {
    role: Role,
    kinds: Vec<NodeKindId>,
}

async fn get_in(tx: &mut Tx, ctx: &Ctx, id: RoleId, defs: &[Module]) -> Result<Loaded> {
    let row = store_roles::get_tx(tx, ctx.org, id)
        .await?
        .ok_or(ServiceError::NotFound("role"))?;
    let kinds = store_roles::kinds_of_tx(tx, ctx.org, id).await?;
    Ok(Loaded {
        kinds: kinds
            .iter()
            .map(|k| NodeKindId::from_uuid(k.kind_id))
            .collect(),
        role: to_role(row, kinds.into_iter().map(|k| k.name).collect(), defs),
    })
}

/// One page of the organization's roles, by name.
pub async fn list(store: &Store, ctx: &Ctx, page: &PageRequest) -> Result<Page<Role>> {
    let after = page.after::<(String, Uuid)>()?;
    let rows = store_roles::list(store, ctx.org, after, page.fetch_limit()).await?;
    let total = store_roles::count(store, ctx.org).await?;
    let defs = definitions(store, ctx.org).await?;
    let mut kinds: HashMap<Uuid, Vec<String>> = HashMap::new();
    for RoleKindRow { role_id, name, .. } in store_roles::kinds(store, ctx.org).await? {
        kinds.entry(role_id).or_default().push(name);
    }
    Ok(page.page(
        rows,
        total,
        |r| (r.sort_name.clone(), r.id),
        |r| {
            let role_kinds = kinds.remove(&r.id).unwrap_or_default();
            to_role(r, role_kinds, &defs)
        },
    ))
}

/// One role.
pub async fn get(store: &Store, ctx: &Ctx, id: RoleId) -> Result<Role> {
    let row = store_roles::get(store, ctx.org, id)
        .await?
        .ok_or(ServiceError::NotFound("role"))?;
    let kinds = store_roles::kinds_of(store, ctx.org, id).await?;
    let defs = definitions(store, ctx.org).await?;
    Ok(to_role(
        row,
        kinds.into_iter().map(|k| k.name).collect(),
        &defs,
    ))
}

/// Adds `more` to `errors`.
fn merge(errors: &mut ValidationErrors, more: &ValidationErrors) {
    for e in more.errors() {
        errors.push(e.field.clone(), e.message.clone());
    }
}

/// Checks capability names, collecting errors.
fn checked_capabilities(errors: &mut ValidationErrors, raw: &[String]) -> Option<Vec<Capability>> {
    domain::capabilities(raw)
        .map_err(|e| merge(errors, &e))
        .ok()
}

/// Resolves node kind names (any case) to live kinds, without duplicates; errors name
/// `assignable_at[i]`, or `assignable_at` when the list is empty.
async fn resolve_kinds(
    tx: &mut Tx,
    ctx: &Ctx,
    names: &[String],
    errors: &mut ValidationErrors,
) -> Result<Vec<NodeKindId>> {
    if names.is_empty() {
        errors.push(
            "assignable_at",
            "name at least one node kind at which the role may be given",
        );
    }
    let mut kinds = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        match store_nodes::kind_by_name(tx, ctx.org, name.trim()).await? {
            Some((id, _)) => {
                let id = NodeKindId::from_uuid(id);
                if !kinds.contains(&id) {
                    kinds.push(id);
                }
            }
            None => errors.push(
                format!("assignable_at[{i}]"),
                format!("no node kind is named {name:?}"),
            ),
        }
    }
    Ok(kinds)
}

fn name_taken() -> ServiceError {
    ServiceError::conflict("name", "another role already has this name")
}

/// Writes `role`'s state; false when its version moved on.
async fn write(
    tx: &mut Tx,
    ctx: &Ctx,
    id: RoleId,
    version: Option<i64>,
    state: &State<'_>,
) -> Result<bool> {
    let capabilities: Vec<&str> = state.capabilities.iter().map(|c| c.as_str()).collect();
    let sparse = domain_modules::sparse_grants(state.grants, state.defs);
    let fields = RoleFields {
        name: state.name,
        preset: state.preset.as_str(),
        capabilities: &capabilities,
        modules: &sparse,
    };
    let written = match version {
        None => store_roles::insert(tx, ctx.org, id, &fields, ctx.now)
            .await
            .map(|()| true),
        Some(version) => store_roles::update(tx, ctx.org, id, version, &fields, ctx.now).await,
    };
    // A concurrent writer may have taken the name since it was checked.
    written.map_err(|e| match e {
        StoreError::Conflict(_) => name_taken(),
        other => other.into(),
    })
}

/// A role's complete new state.
struct State<'a> {
    name: &'a str,
    preset: Preset,
    capabilities: &'a [Capability],
    grants: &'a Grants,
    defs: &'a [Module],
}

/// No escalation: the caller must hold everything the role would grant.
fn definable(ctx: &Ctx, id: RoleId, state: &State<'_>) -> Result<()> {
    authz::require_definable(
        ctx,
        &RoleFacts {
            id,
            name: state.name.to_owned(),
            capabilities: state.capabilities.to_vec(),
            modules: ModuleGrantFacts::from_grants(state.grants, state.defs),
        },
    )
}

/// Creates a role. With a preset and no modules, the preset computes the grants.
pub async fn create(store: &Store, ctx: &Ctx, request: NewRole) -> Result<Role> {
    authz::require_org_wide(ctx, Capability::RolesManage)?;
    let mut errors = ValidationErrors::new();
    let name = errors.check(domain::role_name(&request.name));
    let capabilities = checked_capabilities(&mut errors, &request.capabilities);

    let mut tx = store.begin_in(ctx.org).await?;
    let kinds = resolve_kinds(&mut tx, ctx, &request.assignable_at, &mut errors).await?;
    let defs = definitions_tx(&mut tx, ctx.org).await?;
    let resolved = domain::resolve_grants(request.preset, request.modules.as_ref(), None, &defs)
        .map_err(|e| merge(&mut errors, &e))
        .ok();
    errors.into_result()?;
    let (Some(name), Some(capabilities), Some((preset, grants))) = (name, capabilities, resolved)
    else {
        return Err(ValidationErrors::single("name", "is invalid").into());
    };
    if store_roles::name_taken(&mut tx, ctx.org, &name, None).await? {
        return Err(name_taken());
    }

    let id = RoleId::new();
    let state = State {
        name: &name,
        preset,
        capabilities: &capabilities,
        grants: &grants,
        defs: &defs,
    };
    if let Err(refusal) = definable(ctx, id, &state) {
        let target = Target::object("role", id);
        return Err(audit::refused_in(tx, ctx, "role.create", target, refusal).await);
    }
    write(&mut tx, ctx, id, None, &state).await?;
    store_roles::set_kinds(&mut tx, id, &kinds).await?;
    let role = get_in(&mut tx, ctx, id, &defs).await?.role;
    audit::record(
        &mut tx,
        ctx,
        "role.create",
        Target::object("role", id),
        &Changes::created(&role),
    )
    .await?;
    tx.commit().await?;
    Ok(role)
}

/// Changes a role: name, node kinds, capabilities, module grants or preset.
///
/// A node kind cannot be dropped while users hold the role at nodes of that kind (409 on
/// `assignable_at`).
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    id: RoleId,
    if_match: Option<i64>,
    patch: RolePatch,
) -> Result<Role> {
    authz::require_org_wide(ctx, Capability::RolesManage)?;
    let mut errors = ValidationErrors::new();
    let new_name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check(domain::role_name(n)));
    let new_capabilities = patch
        .capabilities
        .as_deref()
        .map(|raw| checked_capabilities(&mut errors, raw));

    let mut tx = store.begin_in(ctx.org).await?;
    let defs = definitions_tx(&mut tx, ctx.org).await?;
    let Loaded {
        role: before,
        kinds: before_kinds,
    } = get_in(&mut tx, ctx, id, &defs).await?;
    check_version(if_match, before.version, "role")?;
    let kinds = match &patch.assignable_at {
        Some(names) => Some(resolve_kinds(&mut tx, ctx, names, &mut errors).await?),
        None => None,
    };
    let resolved = domain::resolve_grants(
        patch.preset,
        patch.modules.as_ref(),
        Some((before.preset, &before.modules)),
        &defs,
    )
    .map_err(|e| merge(&mut errors, &e))
    .ok();
    errors.into_result()?;
    let Some((preset, grants)) = resolved else {
        return Err(ValidationErrors::single("modules", "is invalid").into());
    };

    if let Some(kinds) = &kinds {
        for (kind, kind_name) in before_kinds.iter().zip(&before.assignable_at) {
            if kinds.contains(kind) {
                continue;
            }
            let held = store_roles::placements_at_kind(&mut tx, id, *kind).await?;
            if held > 0 {
                return Err(ServiceError::conflict(
                    "assignable_at",
                    format!(
                        "{held} placement(s) give this role at {kind_name} nodes; change them \
                         before removing {kind_name}"
                    ),
                ));
            }
        }
    }
    let name = new_name.unwrap_or_else(|| before.name.clone());
    if name != before.name && store_roles::name_taken(&mut tx, ctx.org, &name, Some(id)).await? {
        return Err(name_taken());
    }
    let capabilities = match new_capabilities {
        Some(Some(capabilities)) => capabilities,
        _ => before.capabilities.clone(),
    };
    let state = State {
        name: &name,
        preset,
        capabilities: &capabilities,
        grants: &grants,
        defs: &defs,
    };
    // Renaming a role or changing where it is assignable grants nothing new.
    if (capabilities != before.capabilities || grants != before.modules)
        && let Err(refusal) = definable(ctx, id, &state)
    {
        let target = Target::object("role", id);
        return Err(audit::refused_in(tx, ctx, "role.update", target, refusal).await);
    }
    if !write(&mut tx, ctx, id, Some(before.version), &state).await? {
        return Err(ServiceError::Stale("role"));
    }
    if let Some(kinds) = &kinds {
        store_roles::set_kinds(&mut tx, id, kinds).await?;
    }
    let after = get_in(&mut tx, ctx, id, &defs).await?.role;
    record_update(&mut tx, ctx, "role.update", &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

async fn record_update(
    tx: &mut Tx,
    ctx: &Ctx,
    action: &str,
    before: &Role,
    after: &Role,
) -> Result<()> {
    let changes = Changes::diff(before, after);
    if !changes.is_empty() {
        audit::record(tx, ctx, action, Target::object("role", after.id), &changes).await?;
    }
    Ok(())
}

/// "Enable all": map-like modules (levels exactly `none, view`) at `view`, settings-like
/// modules (with a `super_admin` level) at their top, every other module at `edit` where
/// it has that level, else at its top, covering all items. The role becomes `custom`.
pub async fn enable_all(
    store: &Store,
    ctx: &Ctx,
    id: RoleId,
    if_match: Option<i64>,
) -> Result<Role> {
    authz::require_org_wide(ctx, Capability::RolesManage)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let defs = definitions_tx(&mut tx, ctx.org).await?;
    let before = get_in(&mut tx, ctx, id, &defs).await?.role;
    check_version(if_match, before.version, "role")?;
    let grants = domain_modules::enable_all_grants(&defs);
    let state = State {
        name: &before.name,
        preset: Preset::Custom,
        capabilities: &before.capabilities,
        grants: &grants,
        defs: &defs,
    };
    if let Err(refusal) = definable(ctx, id, &state) {
        let target = Target::object("role", id);
        return Err(audit::refused_in(tx, ctx, "role.enable_all", target, refusal).await);
    }
    if !write(&mut tx, ctx, id, Some(before.version), &state).await? {
        return Err(ServiceError::Stale("role"));
    }
    let after = get_in(&mut tx, ctx, id, &defs).await?.role;
    record_update(&mut tx, ctx, "role.enable_all", &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a role (soft: it stays in the audit trail). Refused while any placement of a
/// user who is not deleted gives it.
pub async fn delete(store: &Store, ctx: &Ctx, id: RoleId, if_match: Option<i64>) -> Result<()> {
    authz::require_org_wide(ctx, Capability::RolesManage)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let defs = definitions_tx(&mut tx, ctx.org).await?;
    let role = get_in(&mut tx, ctx, id, &defs).await?.role;
    check_version(if_match, role.version, "role")?;
    let placements = store_roles::placements(&mut tx, id).await?;
    if placements > 0 {
        return Err(ServiceError::conflict(
            "id",
            format!("{placements} placement(s) give this role; change them first"),
        ));
    }
    if !store_roles::soft_delete(&mut tx, ctx.org, id, role.version, ctx.now).await? {
        return Err(ServiceError::Stale("role"));
    }
    audit::record(
        &mut tx,
        ctx,
        "role.delete",
        Target::object("role", id),
        &Changes::deleted(&role),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
