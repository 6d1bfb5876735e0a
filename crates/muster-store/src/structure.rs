//! The organization's structure: node kinds, the node tree, reference lists, the command
//! hierarchy and roles.

use muster_domain::org::Address;
use muster_domain::{CommandGroupId, NodeId, NodeKindId, OrgId, ReferenceItemId, RoleId};
use sqlx::types::Json;

use crate::db::on_conn;
use crate::{DbTime, Result, Tx};

/// A new node kind.
#[derive(Debug)]
pub struct NewNodeKind<'a> {
    /// Its id.
    pub id: NodeKindId,
    /// Its organization.
    pub org: OrgId,
    /// Name ("Division").
    pub name: &'a str,
    /// Order from the top of the tree (0 = the root's kind).
    pub position: i64,
    /// Whether this is the kind of the root node (the organization itself).
    pub is_root: bool,
    /// Creation time.
    pub now: DbTime,
}

/// Inserts a node kind.
pub async fn insert_node_kind(tx: &mut Tx, kind: &NewNodeKind<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO node_kinds (id, org_id, name, position, is_root, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(kind.id.as_uuid())
    .bind(kind.org.as_uuid())
    .bind(kind.name)
    .bind(kind.position)
    .bind(kind.is_root)
    .bind(kind.now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A new node. The root has no parent.
#[derive(Debug)]
pub struct NewNode<'a> {
    /// Its id.
    pub id: NodeId,
    /// Its organization.
    pub org: OrgId,
    /// Parent node; `None` for the root.
    pub parent: Option<NodeId>,
    /// Kind.
    pub kind: NodeKindId,
    /// Name.
    pub name: &'a str,
    /// Own address, if it has one.
    pub address: Option<&'a Address>,
    /// Creation time.
    pub now: DbTime,
}

/// Inserts a node.
pub async fn insert_node(tx: &mut Tx, node: &NewNode<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO nodes (id, org_id, parent_id, kind_id, name, address, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(node.id.as_uuid())
    .bind(node.org.as_uuid())
    .bind(node.parent.map(|p| p.as_uuid()))
    .bind(node.kind.as_uuid())
    .bind(node.name)
    .bind(node.address.map(Json))
    .bind(node.now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Inserts an entry of reference list `list` (`ranks`, `titles`, …).
pub async fn insert_reference_item(
    tx: &mut Tx,
    org: OrgId,
    id: ReferenceItemId,
    list: &str,
    name: &str,
    position: i64,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO reference_items (id, org_id, list, name, position, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(list)
    .bind(name)
    .bind(position)
    .bind(now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Inserts a command group under `parent` (`None` for a root group).
pub async fn insert_command_group(
    tx: &mut Tx,
    org: OrgId,
    id: CommandGroupId,
    parent: Option<CommandGroupId>,
    name: &str,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO command_groups (id, org_id, parent_id, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(parent.map(|p| p.as_uuid()))
    .bind(name)
    .bind(now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Grants a command group `access` (`view`/`edit`) to `section` for targets in `scope`.
pub async fn insert_privilege(
    tx: &mut Tx,
    group: CommandGroupId,
    section: &str,
    scope: &str,
    access: &str,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO command_group_privileges (group_id, section, scope, access) VALUES ($1, $2, $3, $4)",
    )
    .bind(group.as_uuid())
    .bind(section)
    .bind(scope)
    .bind(access)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A new role.
#[derive(Debug)]
pub struct NewRole<'a> {
    /// Its id.
    pub id: RoleId,
    /// Its organization.
    pub org: OrgId,
    /// Name.
    pub name: &'a str,
    /// `view_only`, `edit_view`, `admin` or `custom`.
    pub preset: &'a str,
    /// Admin capabilities granted.
    pub capabilities: &'a [&'a str],
    /// Node kinds the role may be given at.
    pub assignable_at: &'a [NodeKindId],
    /// Creation time.
    pub now: DbTime,
}

/// Inserts a role with the node kinds it is assignable at.
pub async fn insert_role(tx: &mut Tx, role: &NewRole<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO roles (id, org_id, name, preset, capabilities, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(role.id.as_uuid())
    .bind(role.org.as_uuid())
    .bind(role.name)
    .bind(role.preset)
    .bind(Json(role.capabilities))
    .bind(role.now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    for kind in role.assignable_at {
        on_conn!(tx tx, c => sqlx::query("INSERT INTO role_node_kinds (role_id, kind_id) VALUES ($1, $2)")
            .bind(role.id.as_uuid())
            .bind(kind.as_uuid())
            .execute(c)
            .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}
