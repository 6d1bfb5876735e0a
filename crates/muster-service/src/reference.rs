//! Reference lists and node kinds: list, read, add, rename, reorder and delete entries.
//!
//! Entries are never physically removed: a deleted entry is hidden from its list but stays
//! behind the records and audit events that name it. Deleting is refused while live data
//! still uses the entry, and always for the root's node kind.

use muster_domain::paging::Page;
use muster_domain::reference::{
    self as domain, NewReferenceItem, ReferenceItem, ReferenceItemPatch, ReferenceList,
};
use muster_domain::{NodeKindId, ReferenceItemId, ValidationErrors};
use muster_store::Store;
use muster_store::reference::{self as store_reference, ItemRow};
use muster_store::{StoreError, Tx, structure};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz};
use muster_domain::access::Capability;

/// The singular noun of an entry of `list`, for messages and audit targets.
const fn noun(list: ReferenceList) -> &'static str {
    match list {
        ReferenceList::NodeKinds => "node kind",
        _ => "reference item",
    }
}

/// The audit target kind and action prefix of `list`'s entries.
const fn audit_kind(list: ReferenceList) -> &'static str {
    match list {
        ReferenceList::NodeKinds => "node_kind",
        _ => "reference_item",
    }
}

fn to_item(list: ReferenceList, row: ItemRow) -> ReferenceItem {
    ReferenceItem {
        id: row.id,
        name: row.name,
        position: row.position,
        is_root: list.is_node_kinds().then_some(row.is_root),
        version: row.version,
    }
}

/// What the audit trail records of an entry: the item and, for plain lists, which list.
#[derive(serde::Serialize)]
struct Audited<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<&'static str>,
    #[serde(flatten)]
    item: &'a ReferenceItem,
}

fn audited(list: ReferenceList, item: &ReferenceItem) -> Audited<'_> {
    Audited {
        list: (!list.is_node_kinds()).then_some(list.as_str()),
        item,
    }
}

/// A duplicate name found by the database's unique index (two concurrent writers) is the
/// same conflict the service reports itself.
fn duplicate_name(error: StoreError) -> ServiceError {
    match error {
        StoreError::Conflict(_) => {
            ServiceError::conflict("name", "another entry of this list already has this name")
        }
        other => other.into(),
    }
}

/// One page of `list`, ordered by position, then name.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    list: ReferenceList,
    page: &PageRequest,
) -> Result<Page<ReferenceItem>> {
    let after = page.after::<(i64, String, Uuid)>()?;
    let rows = store_reference::list(store, ctx.org, list, after, page.fetch_limit()).await?;
    let total = store_reference::count(store, ctx.org, list).await?;
    Ok(page.page(
        rows,
        total,
        |r| (r.position, r.sort_name.clone(), r.id),
        |r| to_item(list, r),
    ))
}

/// One entry of `list`.
pub async fn get(store: &Store, ctx: &Ctx, list: ReferenceList, id: Uuid) -> Result<ReferenceItem> {
    store_reference::get(store, ctx.org, list, id)
        .await?
        .map(|r| to_item(list, r))
        .ok_or(ServiceError::NotFound(noun(list)))
}

async fn get_in(tx: &mut Tx, ctx: &Ctx, list: ReferenceList, id: Uuid) -> Result<ReferenceItem> {
    store_reference::get_tx(tx, ctx.org, list, id)
        .await?
        .map(|r| to_item(list, r))
        .ok_or(ServiceError::NotFound(noun(list)))
}

async fn refuse_duplicate(
    tx: &mut Tx,
    ctx: &Ctx,
    list: ReferenceList,
    name: &str,
    except: Option<Uuid>,
) -> Result<()> {
    if store_reference::name_taken(tx, ctx.org, list, name, except).await? {
        return Err(ServiceError::conflict(
            "name",
            format!("another entry of {} is named {name:?}", list.as_str()),
        ));
    }
    Ok(())
}

/// Adds an entry to `list`, after the last one unless a position is given.
pub async fn create(
    store: &Store,
    ctx: &Ctx,
    list: ReferenceList,
    request: NewReferenceItem,
) -> Result<ReferenceItem> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let mut errors = ValidationErrors::new();
    let name = if let Some(raw) = &request.name {
        errors.check(domain::item_name(raw))
    } else {
        errors.push("name", "is required");
        None
    };
    let position = request
        .position
        .and_then(|p| errors.check(domain::position(p)));
    errors.into_result()?;
    let Some(name) = name else {
        return Err(ValidationErrors::single("name", "is invalid").into());
    };

    let mut tx = store.begin_in(ctx.org).await?;
    refuse_duplicate(&mut tx, ctx, list, &name, None).await?;
    let position = match position {
        Some(p) => p,
        None => store_reference::next_position(&mut tx, ctx.org, list).await?,
    };
    let id = if list.is_node_kinds() {
        let id = NodeKindId::new();
        structure::insert_node_kind(
            &mut tx,
            &structure::NewNodeKind {
                id,
                org: ctx.org,
                name: &name,
                position,
                is_root: false,
                now: ctx.now,
            },
        )
        .await
        .map_err(duplicate_name)?;
        id.as_uuid()
    } else {
        let id = ReferenceItemId::new();
        structure::insert_reference_item(
            &mut tx,
            ctx.org,
            id,
            list.as_str(),
            &name,
            position,
            ctx.now,
        )
        .await
        .map_err(duplicate_name)?;
        id.as_uuid()
    };
    let item = get_in(&mut tx, ctx, list, id).await?;
    audit::record(
        &mut tx,
        ctx,
        &format!("{}.create", audit_kind(list)),
        Target::object(audit_kind(list), id),
        &Changes::created(&audited(list, &item)),
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Renames or moves an entry of `list`. Renaming a node kind renames it on every node of
/// that kind.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    list: ReferenceList,
    id: Uuid,
    if_match: Option<i64>,
    patch: ReferenceItemPatch,
) -> Result<ReferenceItem> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let mut errors = ValidationErrors::new();
    let new_name = match &patch.name {
        None => None,
        Some(None) => {
            errors.push("name", "must not be null");
            None
        }
        Some(Some(raw)) => errors.check(domain::item_name(raw)),
    };
    let new_position = match patch.position {
        None => None,
        Some(None) => {
            errors.push("position", "must not be null");
            None
        }
        Some(Some(p)) => errors.check(domain::position(p)),
    };
    errors.into_result()?;

    let mut tx = store.begin_in(ctx.org).await?;
    let before = get_in(&mut tx, ctx, list, id).await?;
    check_version(if_match, before.version, noun(list))?;
    let name = new_name.unwrap_or_else(|| before.name.clone());
    if name != before.name {
        refuse_duplicate(&mut tx, ctx, list, &name, Some(id)).await?;
    }
    let position = new_position.unwrap_or(before.position);
    if name == before.name && position == before.position {
        return Ok(before);
    }
    let written = store_reference::update(
        &mut tx,
        ctx.org,
        list,
        id,
        before.version,
        &name,
        position,
        ctx.now,
    )
    .await
    .map_err(duplicate_name)?;
    if !written {
        return Err(ServiceError::Stale(noun(list)));
    }
    let after = get_in(&mut tx, ctx, list, id).await?;
    audit::record(
        &mut tx,
        ctx,
        &format!("{}.update", audit_kind(list)),
        Target::object(audit_kind(list), id),
        &Changes::diff(&audited(list, &before), &audited(list, &after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes an entry of `list` (soft: records that name it keep it). Refused for the root's
/// node kind, for a node kind live nodes still have, and for an entry users who are not
/// deleted still have.
pub async fn delete(
    store: &Store,
    ctx: &Ctx,
    list: ReferenceList,
    id: Uuid,
    if_match: Option<i64>,
) -> Result<()> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let item = get_in(&mut tx, ctx, list, id).await?;
    check_version(if_match, item.version, noun(list))?;
    if item.is_root == Some(true) {
        return Err(ServiceError::conflict(
            "id",
            "this is the kind of the root node (the organization itself); it cannot be deleted",
        ));
    }
    let users = store_reference::usage(&mut tx, ctx.org, list, id).await?;
    if users > 0 {
        let message = if list.is_node_kinds() {
            format!("{users} node(s) are of this kind; change or delete them first")
        } else {
            format!("{users} user(s) still have this entry; change them first")
        };
        return Err(ServiceError::conflict("id", message));
    }
    if !store_reference::soft_delete(&mut tx, ctx.org, list, id, item.version, ctx.now).await? {
        return Err(ServiceError::Stale(noun(list)));
    }
    audit::record(
        &mut tx,
        ctx,
        &format!("{}.delete", audit_kind(list)),
        Target::object(audit_kind(list), id),
        &Changes::deleted(&audited(list, &item)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
