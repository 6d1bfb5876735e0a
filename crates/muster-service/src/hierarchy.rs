//! The command hierarchy: list, read, create, rename, move and delete command groups, and
//! replace their privileges.
//!
//! The groups form a tree: a move never puts a group under itself or one of its
//! descendants, and a group is deleted only when empty (no child groups, no members).

use std::collections::HashMap;

use muster_domain::hierarchy::{
    self as domain, CommandGroup, CommandGroupPatch, NewCommandGroup, Privilege,
};
use muster_domain::paging::Page;
use muster_domain::{CommandGroupId, ValidationErrors};
use muster_store::hierarchy::{self as store_groups, GroupRow, PrivilegeRow};
use muster_store::{Store, StoreError, Tx, structure};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz};
use muster_domain::access::Capability;

fn to_privilege(row: &PrivilegeRow) -> Option<Privilege> {
    Some(Privilege {
        scope: row.scope.parse().ok()?,
        access: row.access.parse().ok()?,
        section: row.section.parse().ok()?,
    })
}

fn to_group(row: GroupRow, privileges: &[PrivilegeRow]) -> CommandGroup {
    let mut privileges: Vec<Privilege> = privileges.iter().filter_map(to_privilege).collect();
    privileges.sort_by_key(|p| (p.section, p.scope));
    CommandGroup {
        id: CommandGroupId::from_uuid(row.id),
        name: row.name,
        parent_id: row.parent_id.map(CommandGroupId::from_uuid),
        privileges,
        version: row.version,
    }
}

/// One page of the organization's command groups, by name.
pub async fn list(store: &Store, ctx: &Ctx, page: &PageRequest) -> Result<Page<CommandGroup>> {
    let after = page.after::<(String, Uuid)>()?;
    let rows = store_groups::list(store, ctx.org, after.clone(), page.fetch_limit()).await?;
    let total = store_groups::count(store, ctx.org).await?;
    let mut privileges: HashMap<Uuid, Vec<PrivilegeRow>> = HashMap::new();
    for row in store_groups::list_privileges(store, ctx.org, after, page.fetch_limit()).await? {
        privileges.entry(row.group_id).or_default().push(row);
    }
    Ok(page.page(
        rows,
        total,
        |r| (r.sort_name.clone(), r.id),
        |r| {
            let own = privileges.remove(&r.id).unwrap_or_default();
            to_group(r, &own)
        },
    ))
}

/// One command group.
pub async fn get(store: &Store, ctx: &Ctx, id: CommandGroupId) -> Result<CommandGroup> {
    let row = store_groups::get(store, ctx.org, id)
        .await?
        .ok_or(ServiceError::NotFound("command group"))?;
    let privileges = store_groups::privileges(store, id).await?;
    Ok(to_group(row, &privileges))
}

async fn get_in(tx: &mut Tx, ctx: &Ctx, id: CommandGroupId) -> Result<CommandGroup> {
    let row = store_groups::get_tx(tx, ctx.org, id)
        .await?
        .ok_or(ServiceError::NotFound("command group"))?;
    let privileges = store_groups::privileges_tx(tx, id).await?;
    Ok(to_group(row, &privileges))
}

/// Checks privileges, collecting errors.
fn checked_privileges(
    errors: &mut ValidationErrors,
    privileges: &[Privilege],
) -> Option<Vec<Privilege>> {
    match domain::validate_privileges(privileges) {
        Ok(privileges) => Some(privileges),
        Err(more) => {
            for e in more.errors() {
                errors.push(e.field.clone(), e.message.clone());
            }
            None
        }
    }
}

fn name_taken() -> ServiceError {
    ServiceError::conflict("name", "another command group already has this name")
}

fn map_conflict(error: StoreError) -> ServiceError {
    match error {
        StoreError::Conflict(_) => name_taken(),
        other => other.into(),
    }
}

async fn write_privileges(tx: &mut Tx, id: CommandGroupId, privileges: &[Privilege]) -> Result<()> {
    for p in privileges {
        structure::insert_privilege(
            tx,
            id,
            p.section.as_str(),
            p.scope.as_str(),
            p.access.as_str(),
        )
        .await?;
    }
    Ok(())
}

/// Creates a command group under `parent_id` (or a root group when it is `null`).
pub async fn create(store: &Store, ctx: &Ctx, request: NewCommandGroup) -> Result<CommandGroup> {
    authz::require_org_wide(ctx, Capability::HierarchyManage)?;
    let mut errors = ValidationErrors::new();
    let name = errors.check(domain::group_name(&request.name));
    let privileges = checked_privileges(&mut errors, &request.privileges);
    errors.into_result()?;
    let (Some(name), Some(privileges)) = (name, privileges) else {
        return Err(ValidationErrors::single("name", "is invalid").into());
    };

    let mut tx = store.begin_in(ctx.org).await?;
    let group = create_in(
        &mut tx,
        ctx,
        CommandGroupId::new(),
        &name,
        request.parent_id,
        &privileges,
    )
    .await?;
    tx.commit().await?;
    Ok(group)
}

/// Writes a new group (its name and privileges already validated, the caller allowed)
/// and its audit event in `tx`.
pub(crate) async fn create_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: CommandGroupId,
    name: &str,
    parent_id: Option<CommandGroupId>,
    privileges: &[Privilege],
) -> Result<CommandGroup> {
    if let Some(parent) = parent_id
        && store_groups::get_tx(tx, ctx.org, parent).await?.is_none()
    {
        return Err(ValidationErrors::single("parent_id", "no such command group").into());
    }
    if store_groups::name_taken(tx, ctx.org, name, None).await? {
        return Err(name_taken());
    }
    structure::insert_command_group(tx, ctx.org, id, parent_id, name, ctx.now)
        .await
        .map_err(map_conflict)?;
    write_privileges(tx, id, privileges).await?;
    let group = get_in(tx, ctx, id).await?;
    audit::record(
        tx,
        ctx,
        "command_group.create",
        Target::object("command_group", id),
        &Changes::created(&group),
    )
    .await?;
    Ok(group)
}

/// Renames a group, moves it (with its subtree; never under itself or a descendant; `null`
/// makes it a root group) or replaces its privileges.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    id: CommandGroupId,
    if_match: Option<i64>,
    patch: CommandGroupPatch,
) -> Result<CommandGroup> {
    authz::require_org_wide(ctx, Capability::HierarchyManage)?;
    let mut errors = ValidationErrors::new();
    let new_name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check(domain::group_name(n)));
    let new_privileges = patch
        .privileges
        .as_deref()
        .map(|p| checked_privileges(&mut errors, p));
    errors.into_result()?;

    let mut tx = store.begin_in(ctx.org).await?;
    let (group, changed) =
        update_in(&mut tx, ctx, id, if_match, &patch, new_name, new_privileges).await?;
    if changed {
        tx.commit().await?;
    }
    Ok(group)
}

/// Writes a group's validated change (new name and privileges checked, the caller
/// allowed) and its audit event in `tx`; returns the group and whether anything changed.
#[allow(clippy::option_option)] // Privileges: unchanged, cleared, or replaced.
pub(crate) async fn update_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: CommandGroupId,
    if_match: Option<i64>,
    patch: &CommandGroupPatch,
    new_name: Option<String>,
    new_privileges: Option<Option<Vec<Privilege>>>,
) -> Result<(CommandGroup, bool)> {
    let before = get_in(tx, ctx, id).await?;
    check_version(if_match, before.version, "command group")?;
    let parent = match patch.parent_id {
        Some(Some(new_parent)) => {
            if store_groups::get_tx(tx, ctx.org, new_parent)
                .await?
                .is_none()
            {
                return Err(ValidationErrors::single("parent_id", "no such command group").into());
            }
            if store_groups::is_in_subtree(tx, new_parent, id).await? {
                return Err(ServiceError::conflict(
                    "parent_id",
                    "a command group cannot be moved under itself or one of its descendants",
                ));
            }
            Some(new_parent)
        }
        Some(None) => None,
        None => before.parent_id,
    };
    let name = new_name.unwrap_or_else(|| before.name.clone());
    if name != before.name && store_groups::name_taken(tx, ctx.org, &name, Some(id)).await? {
        return Err(name_taken());
    }
    let written = store_groups::update(tx, ctx.org, id, before.version, &name, parent, ctx.now)
        .await
        .map_err(map_conflict)?;
    if !written {
        return Err(ServiceError::Stale("command group"));
    }
    if let Some(Some(privileges)) = &new_privileges {
        store_groups::clear_privileges(tx, id).await?;
        write_privileges(tx, id, privileges).await?;
    }
    let after = get_in(tx, ctx, id).await?;
    let changes = Changes::diff(&before, &after);
    if changes.is_empty() {
        // Nothing changed: dropping the transaction rolls back the version bump.
        return Ok((before, false));
    }
    audit::record(
        tx,
        ctx,
        "command_group.update",
        Target::object("command_group", id),
        &changes,
    )
    .await?;
    Ok((after, true))
}

/// Deletes a command group (soft: it stays in the audit trail). Refused while it has
/// child groups or members.
pub async fn delete(
    store: &Store,
    ctx: &Ctx,
    id: CommandGroupId,
    if_match: Option<i64>,
) -> Result<()> {
    authz::require_org_wide(ctx, Capability::HierarchyManage)?;
    let mut tx = store.begin_in(ctx.org).await?;
    delete_in(&mut tx, ctx, id, if_match).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an empty group (the caller allowed) and writes its audit event in `tx`.
pub(crate) async fn delete_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: CommandGroupId,
    if_match: Option<i64>,
) -> Result<()> {
    let group = get_in(tx, ctx, id).await?;
    check_version(if_match, group.version, "command group")?;
    let (children, members) = store_groups::dependents(tx, id).await?;
    if children > 0 {
        return Err(ServiceError::conflict(
            "id",
            format!("the group has {children} child group(s); move or delete them first"),
        ));
    }
    if members > 0 {
        return Err(ServiceError::conflict(
            "id",
            format!("{members} user(s) are in this group; move them first"),
        ));
    }
    if !store_groups::soft_delete(tx, ctx.org, id, group.version, ctx.now).await? {
        return Err(ServiceError::Stale("command group"));
    }
    audit::record(
        tx,
        ctx,
        "command_group.delete",
        Target::object("command_group", id),
        &Changes::deleted(&group),
    )
    .await?;
    Ok(())
}
