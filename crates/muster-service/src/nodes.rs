//! The organization tree: list, read, create, rename, move and delete nodes.

use muster_domain::access::Capability;
use muster_domain::nodes::{NewNode, Node, NodePatch};
use muster_domain::org::{self, Address};
use muster_domain::paging::Page;
use muster_domain::{NodeId, NodeKindId, ValidationErrors};
use muster_store::nodes::{self as store_nodes, NodeRow, NodeUpdate};
use muster_store::structure;
use muster_store::{Store, Tx};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz};

fn to_node(row: NodeRow) -> Node {
    Node {
        id: NodeId::from_uuid(row.id),
        name: row.name,
        kind: row.kind_name,
        kind_id: NodeKindId::from_uuid(row.kind_id),
        parent_id: row.parent_id.map(NodeId::from_uuid),
        address: row.address.map(|a| a.0),
        version: row.version,
    }
}

/// One page of the organization's nodes, by name.
pub async fn list(store: &Store, ctx: &Ctx, page: &PageRequest) -> Result<Page<Node>> {
    let after = page.after::<(String, Uuid)>()?;
    let rows = store_nodes::list(store, ctx.org, after, page.fetch_limit()).await?;
    let total = store_nodes::count(store, ctx.org).await?;
    Ok(page.page(rows, total, |r| (r.sort_name.clone(), r.id), to_node))
}

/// One node.
pub async fn get(store: &Store, ctx: &Ctx, id: NodeId) -> Result<Node> {
    store_nodes::get(store, ctx.org, id)
        .await?
        .map(to_node)
        .ok_or(ServiceError::NotFound("node"))
}

async fn get_in(tx: &mut Tx, ctx: &Ctx, id: NodeId) -> Result<Node> {
    store_nodes::get_tx(tx, ctx.org, id)
        .await?
        .map(to_node)
        .ok_or(ServiceError::NotFound("node"))
}

/// Resolves a kind name to a kind that non-root nodes may have.
async fn non_root_kind(tx: &mut Tx, ctx: &Ctx, name: &str) -> Result<NodeKindId> {
    match store_nodes::kind_by_name(tx, ctx.org, name).await? {
        Some((_, true)) => Err(ValidationErrors::single(
            "kind",
            "is the organization's own kind; only the root node has it",
        )
        .into()),
        Some((id, false)) => Ok(NodeKindId::from_uuid(id)),
        None => {
            Err(ValidationErrors::single("kind", format!("no node kind is named {name:?}")).into())
        }
    }
}

fn validate_address(errors: &mut ValidationErrors, address: Option<&Address>) {
    if let Some(address) = address {
        for (field, value) in [
            ("street", &address.street),
            ("street2", &address.street2),
            ("city", &address.city),
            ("region", &address.region),
            ("postal_code", &address.postal_code),
            ("country", &address.country),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
                errors.push(format!("address.{field}"), "must be at most 200 characters");
            }
        }
    }
}

/// Creates a node under an existing one.
pub async fn create(store: &Store, ctx: &Ctx, request: NewNode) -> Result<Node> {
    authz::require_on_node(ctx, Capability::OrgManage, request.parent_id)?;
    let mut errors = ValidationErrors::new();
    let name = errors.check(org::node_name(&request.name));
    validate_address(&mut errors, request.address.as_ref());
    errors.into_result()?;
    let Some(name) = name else {
        return Err(ValidationErrors::single("name", "is invalid").into());
    };

    let mut tx = store.begin_in(ctx.org).await?;
    let kind = non_root_kind(&mut tx, ctx, &request.kind).await?;
    if store_nodes::get_tx(&mut tx, ctx.org, request.parent_id)
        .await?
        .is_none()
    {
        return Err(ValidationErrors::single("parent_id", "no such node").into());
    }
    if store_nodes::sibling_named(&mut tx, request.parent_id, &name, None).await? {
        return Err(ServiceError::conflict(
            "name",
            "another node under the same parent already has this name",
        ));
    }
    let id = NodeId::new();
    structure::insert_node(
        &mut tx,
        &structure::NewNode {
            id,
            org: ctx.org,
            parent: Some(request.parent_id),
            kind,
            name: &name,
            address: request.address.as_ref(),
            now: ctx.now,
        },
    )
    .await?;
    let node = get_in(&mut tx, ctx, id).await?;
    audit::record(
        &mut tx,
        ctx,
        "node.create",
        Target::object("node", id),
        &Changes::created(&node),
    )
    .await?;
    tx.commit().await?;
    Ok(node)
}

/// Renames, moves, re-kinds or re-addresses a node. A move never puts a node under itself
/// or its own descendants; the root can be renamed but not moved.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    id: NodeId,
    if_match: Option<i64>,
    patch: NodePatch,
) -> Result<Node> {
    authz::require_on_node(ctx, Capability::OrgManage, id)?;
    if let Some(parent) = patch.parent_id {
        authz::require_on_node(ctx, Capability::OrgManage, parent)?;
    }
    let mut errors = ValidationErrors::new();
    let new_name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check(org::node_name(n)));
    validate_address(&mut errors, patch.address.as_ref().and_then(Option::as_ref));
    errors.into_result()?;

    let mut tx = store.begin_in(ctx.org).await?;
    let before = get_in(&mut tx, ctx, id).await?;
    check_version(if_match, before.version, "node")?;

    let parent = new_parent(&mut tx, ctx, &before, patch.parent_id).await?;
    let kind = new_kind(&mut tx, ctx, &before, patch.kind.as_deref()).await?;
    let name = new_name.unwrap_or_else(|| before.name.clone());
    if let Some(parent) = parent
        && (parent != before.parent_id.unwrap_or(parent) || name != before.name)
        && store_nodes::sibling_named(&mut tx, parent, &name, Some(id)).await?
    {
        return Err(ServiceError::conflict(
            "name",
            "another node under the same parent already has this name",
        ));
    }
    let address = match patch.address {
        Some(new) => new,
        None => before.address.clone(),
    };
    if name == before.name
        && kind == before.kind_id
        && parent == before.parent_id
        && address == before.address
    {
        // Nothing changes: no write, no new version, no audit event.
        return Ok(before);
    }
    let written = store_nodes::update(
        &mut tx,
        ctx.org,
        id,
        before.version,
        &NodeUpdate {
            name: &name,
            kind,
            parent,
            address: address.as_ref(),
        },
        ctx.now,
    )
    .await?;
    if !written {
        return Err(ServiceError::Stale("node"));
    }
    let after = get_in(&mut tx, ctx, id).await?;
    let changes = Changes::diff(&before, &after);
    if !changes.is_empty() {
        audit::record(
            &mut tx,
            ctx,
            "node.update",
            Target::object("node", id),
            &changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Where a patch moves a node: nowhere for the root, never under itself or below.
async fn new_parent(
    tx: &mut Tx,
    ctx: &Ctx,
    before: &Node,
    requested: Option<NodeId>,
) -> Result<Option<NodeId>> {
    let (id, is_root) = (before.id, before.parent_id.is_none());
    Ok(match requested {
        Some(_) if is_root => {
            return Err(ServiceError::conflict(
                "parent_id",
                "the root node stands for the organization and cannot be moved",
            ));
        }
        Some(new_parent) => {
            if store_nodes::get_tx(tx, ctx.org, new_parent)
                .await?
                .is_none()
            {
                return Err(ValidationErrors::single("parent_id", "no such node").into());
            }
            if store_nodes::is_in_subtree(tx, new_parent, id).await? {
                return Err(ServiceError::conflict(
                    "parent_id",
                    "a node cannot be moved under itself or one of its descendants",
                ));
            }
            Some(new_parent)
        }
        None => before.parent_id,
    })
}

/// The kind a patch gives a node: never for the root, never one its placed users' roles
/// are not assignable at.
async fn new_kind(
    tx: &mut Tx,
    ctx: &Ctx,
    before: &Node,
    requested: Option<&str>,
) -> Result<NodeKindId> {
    let (id, is_root) = (before.id, before.parent_id.is_none());
    Ok(match requested {
        Some(_) if is_root => {
            return Err(ServiceError::conflict(
                "kind",
                "the root node's kind cannot change",
            ));
        }
        Some(name) => {
            let kind = non_root_kind(tx, ctx, name).await?;
            if kind != before.kind_id {
                let stranded = store_nodes::placements_not_assignable_at(tx, id, kind).await?;
                if stranded > 0 {
                    return Err(ServiceError::conflict(
                        "kind",
                        format!(
                            "{stranded} user(s) placed here hold a role that is not assignable at a {name}; change their roles first"
                        ),
                    ));
                }
            }
            kind
        }
        None => before.kind_id,
    })
}

/// Deletes a node (soft: it stays in the audit trail). Refused for the root, and while
/// children exist or users are placed there.
pub async fn delete(store: &Store, ctx: &Ctx, id: NodeId, if_match: Option<i64>) -> Result<()> {
    authz::require_on_node(ctx, Capability::OrgManage, id)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let node = get_in(&mut tx, ctx, id).await?;
    check_version(if_match, node.version, "node")?;
    if node.parent_id.is_none() {
        return Err(ServiceError::conflict(
            "id",
            "the root node stands for the organization and cannot be deleted",
        ));
    }
    let (children, placements) = store_nodes::dependents(&mut tx, id).await?;
    if children > 0 {
        return Err(ServiceError::conflict(
            "id",
            format!("the node has {children} child node(s); move or delete them first"),
        ));
    }
    if placements > 0 {
        return Err(ServiceError::conflict(
            "id",
            format!("{placements} user(s) are placed at this node; move them first"),
        ));
    }
    if !store_nodes::soft_delete(&mut tx, ctx.org, id, node.version, ctx.now).await? {
        return Err(ServiceError::Stale("node"));
    }
    audit::record(
        &mut tx,
        ctx,
        "node.delete",
        Target::object("node", id),
        &Changes::deleted(&node),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Fails with [`ServiceError::Stale`] when the client's `If-Match` version is not current.
pub fn check_version(if_match: Option<i64>, current: i64, what: &'static str) -> Result<()> {
    match if_match {
        Some(expected) if expected != current => Err(ServiceError::Stale(what)),
        _ => Ok(()),
    }
}
