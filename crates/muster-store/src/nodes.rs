//! The organization tree: nodes and node kinds.

use muster_domain::org::Address;
use muster_domain::{NodeId, NodeKindId, OrgId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A node as stored, with its kind's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NodeRow {
    /// Id.
    pub id: Uuid,
    /// Parent; `None` for the root.
    pub parent_id: Option<Uuid>,
    /// Kind.
    pub kind_id: Uuid,
    /// Kind's name.
    pub kind_name: String,
    /// Name.
    pub name: String,
    /// The name as the database lowercases it: the sort key of lists (and cursors).
    pub sort_name: String,
    /// Own address.
    pub address: Option<Json<Address>>,
    /// Version.
    pub version: i64,
}

const SELECT: &str =
    "SELECT n.id, n.parent_id, n.kind_id, k.name AS kind_name, n.name, lower(n.name) AS sort_name, n.address, n.version
     FROM nodes n JOIN node_kinds k ON k.id = n.kind_id";

/// The live node `id` of `org`.
pub async fn get(store: &Store, org: OrgId, id: NodeId) -> Result<Option<NodeRow>> {
    let sql = format!("{SELECT} WHERE n.org_id = $1 AND n.id = $2 AND n.deleted_at IS NULL");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// The live node `id` of `org`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, id: NodeId) -> Result<Option<NodeRow>> {
    let sql = format!("{SELECT} WHERE n.org_id = $1 AND n.id = $2 AND n.deleted_at IS NULL");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Live nodes of `org` ordered by name then id, after the `(lowercase name, id)` key.
pub async fn list(
    store: &Store,
    org: OrgId,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<NodeRow>> {
    let (name, id) = after.unzip();
    let sql = format!(
        "{SELECT} WHERE n.org_id = $1 AND n.deleted_at IS NULL
           AND ($2 IS NULL OR lower(n.name) > $2 OR (lower(n.name) = $2 AND n.id > $3))
         ORDER BY lower(n.name), n.id LIMIT $4"
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(name.clone())
        .bind(id)
        .bind(limit)
        .fetch_all(c)
        .await)?,
    )
}

/// How many live nodes `org` has.
pub async fn count(store: &Store, org: OrgId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM nodes WHERE org_id = $1 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// The live node kind named `name` (any case) of `org`: its id and whether it is the
/// root's kind.
pub async fn kind_by_name(tx: &mut Tx, org: OrgId, name: &str) -> Result<Option<(Uuid, bool)>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(
        "SELECT id, is_root FROM node_kinds WHERE org_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(name)
    .fetch_optional(c)
    .await)?)
}

/// Whether `node` is `ancestor` or lies below it.
pub async fn is_in_subtree(tx: &mut Tx, node: NodeId, ancestor: NodeId) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "WITH RECURSIVE up (id, parent_id) AS (
             SELECT id, parent_id FROM nodes WHERE id = $1
             UNION
             SELECT n.id, n.parent_id FROM nodes n JOIN up ON n.id = up.parent_id
         )
         SELECT 1 FROM up WHERE id = $2 LIMIT 1",
    )
    .bind(node.as_uuid())
    .bind(ancestor.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Whether a live sibling under `parent` other than `except` is named `name` (any case).
pub async fn sibling_named(
    tx: &mut Tx,
    parent: NodeId,
    name: &str,
    except: Option<NodeId>,
) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM nodes WHERE parent_id = $1 AND lower(name) = lower($2)
           AND deleted_at IS NULL AND ($3 IS NULL OR id <> $3) LIMIT 1",
    )
    .bind(parent.as_uuid())
    .bind(name)
    .bind(except.map(|e| e.as_uuid()))
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// The new state of a node.
#[derive(Debug)]
pub struct NodeUpdate<'a> {
    /// Name.
    pub name: &'a str,
    /// Kind.
    pub kind: NodeKindId,
    /// Parent.
    pub parent: Option<NodeId>,
    /// Address.
    pub address: Option<&'a Address>,
}

/// Writes `update` if the node is still at `version`; returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    id: NodeId,
    version: i64,
    update: &NodeUpdate<'_>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE nodes SET name = $4, kind_id = $5, parent_id = $6, address = $7,
             updated_at = $8, version = version + 1
         WHERE org_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(update.name)
    .bind(update.kind.as_uuid())
    .bind(update.parent.map(|p| p.as_uuid()))
    .bind(update.address.map(Json))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// What still hangs off a node: live children, and placements of users who are not
/// deleted.
pub async fn dependents(tx: &mut Tx, id: NodeId) -> Result<(i64, i64)> {
    let children: i64 = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM nodes WHERE parent_id = $1 AND deleted_at IS NULL",
    )
    .bind(id.as_uuid())
    .fetch_one(c)
    .await)?;
    let placements: i64 = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM placements p JOIN users u ON u.id = p.user_id
         WHERE p.node_id = $1 AND u.status <> 'deleted'",
    )
    .bind(id.as_uuid())
    .fetch_one(c)
    .await)?;
    Ok((children, placements))
}

/// How many placements at `node` (of users not deleted) hold a role that is not
/// assignable at node kind `kind`.
pub async fn placements_not_assignable_at(
    tx: &mut Tx,
    node: NodeId,
    kind: NodeKindId,
) -> Result<i64> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM placements p JOIN users u ON u.id = p.user_id
         WHERE p.node_id = $1 AND u.status <> 'deleted'
           AND NOT EXISTS (SELECT 1 FROM role_node_kinds r WHERE r.role_id = p.role_id AND r.kind_id = $2)",
    )
    .bind(node.as_uuid())
    .bind(kind.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// Soft-deletes the node if it is still at `version`; returns whether it was.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    id: NodeId,
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE nodes SET deleted_at = $4, updated_at = $4, version = version + 1
         WHERE org_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
