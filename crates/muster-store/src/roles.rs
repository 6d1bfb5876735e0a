//! Roles: their capabilities, module grants and the node kinds they may be given at.

use muster_domain::modules::Grants;
use muster_domain::{NodeKindId, OrgId, RoleId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A role as stored (without its node kinds, see [`kinds`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The name as the database lowercases it: the sort key of lists (and cursors).
    pub sort_name: String,
    /// Stored preset (`view_only`, `edit_view`, `admin`, `custom`).
    pub preset: String,
    /// Capability names.
    pub capabilities: Json<Vec<String>>,
    /// Module grants above the lowest level, by module key.
    pub modules: Json<Grants>,
    /// Version.
    pub version: i64,
}

/// A node kind a role may be given at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleKindRow {
    /// The role.
    pub role_id: Uuid,
    /// The kind.
    pub kind_id: Uuid,
    /// The kind's name.
    pub name: String,
}

const SELECT: &str =
    "SELECT id, name, lower(name) AS sort_name, preset, capabilities, modules, version FROM roles";

/// The live role `id` of `org`.
pub async fn get(store: &Store, org: OrgId, id: RoleId) -> Result<Option<RoleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// The live role `id` of `org`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, id: RoleId) -> Result<Option<RoleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Every live role of `org`, read inside `tx`.
pub async fn all_tx(tx: &mut Tx, org: OrgId) -> Result<Vec<RoleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND deleted_at IS NULL ORDER BY lower(name), id");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .fetch_all(c)
        .await)?,
    )
}

/// Live roles of `org` ordered by name then id, after the `(lowercase name, id)` key.
pub async fn list(
    store: &Store,
    org: OrgId,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<RoleRow>> {
    let (name, id) = after.unzip();
    let sql = format!(
        "{SELECT} WHERE org_id = $1 AND deleted_at IS NULL
           AND ($2 IS NULL OR lower(name) > $2 OR (lower(name) = $2 AND id > $3))
         ORDER BY lower(name), id LIMIT $4"
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

/// How many live roles `org` has.
pub async fn count(store: &Store, org: OrgId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM roles WHERE org_id = $1 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .fetch_one(c)
    .await)?)
}

const KINDS: &str = "SELECT rk.role_id, k.id AS kind_id, k.name
     FROM role_node_kinds rk
     JOIN node_kinds k ON k.id = rk.kind_id
     JOIN roles r ON r.id = rk.role_id
     WHERE r.org_id = $1 AND r.deleted_at IS NULL AND k.deleted_at IS NULL";

/// The live node kinds every live role of `org` may be given at, top of the tree first.
pub async fn kinds(store: &Store, org: OrgId) -> Result<Vec<RoleKindRow>> {
    let sql = format!("{KINDS} ORDER BY k.position, lower(k.name)");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .fetch_all(c)
        .await)?,
    )
}

/// The live node kinds role `id` may be given at, top of the tree first, read inside `tx`.
pub async fn kinds_of_tx(tx: &mut Tx, org: OrgId, id: RoleId) -> Result<Vec<RoleKindRow>> {
    let sql = format!("{KINDS} AND rk.role_id = $2 ORDER BY k.position, lower(k.name)");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_all(c)
        .await)?,
    )
}

/// The live node kinds role `id` may be given at, top of the tree first.
pub async fn kinds_of(store: &Store, org: OrgId, id: RoleId) -> Result<Vec<RoleKindRow>> {
    let sql = format!("{KINDS} AND rk.role_id = $2 ORDER BY k.position, lower(k.name)");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_all(c)
        .await)?,
    )
}

/// Whether a live role of `org` other than `except` is named `name` (any case).
pub async fn name_taken(
    tx: &mut Tx,
    org: OrgId,
    name: &str,
    except: Option<RoleId>,
) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM roles WHERE org_id = $1 AND lower(name) = lower($2)
           AND deleted_at IS NULL AND ($3 IS NULL OR id <> $3) LIMIT 1",
    )
    .bind(org.as_uuid())
    .bind(name)
    .bind(except.map(|e| e.as_uuid()))
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// A role's state as written.
#[derive(Debug)]
pub struct RoleFields<'a> {
    /// Name.
    pub name: &'a str,
    /// Stored preset.
    pub preset: &'a str,
    /// Capability names.
    pub capabilities: &'a [&'a str],
    /// Module grants above the lowest level.
    pub modules: &'a Grants,
}

/// Inserts a role (its node kinds go through [`set_kinds`]).
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    id: RoleId,
    fields: &RoleFields<'_>,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO roles (id, org_id, name, preset, capabilities, modules, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(fields.name)
    .bind(fields.preset)
    .bind(Json(fields.capabilities))
    .bind(Json(fields.modules))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes a role's new state if it is still at `version`; returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    id: RoleId,
    version: i64,
    fields: &RoleFields<'_>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE roles SET name = $4, preset = $5, capabilities = $6, modules = $7,
             updated_at = $8, version = version + 1
         WHERE org_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(fields.name)
    .bind(fields.preset)
    .bind(Json(fields.capabilities))
    .bind(Json(fields.modules))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Replaces the node kinds role `id` may be given at.
pub async fn set_kinds(tx: &mut Tx, id: RoleId, kinds: &[NodeKindId]) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query("DELETE FROM role_node_kinds WHERE role_id = $1")
        .bind(id.as_uuid())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    for kind in kinds {
        on_conn!(tx tx, c => sqlx::query("INSERT INTO role_node_kinds (role_id, kind_id) VALUES ($1, $2)")
            .bind(id.as_uuid())
            .bind(kind.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// How many placements of users who are not deleted give role `id` at a node of kind
/// `kind`.
pub async fn placements_at_kind(tx: &mut Tx, id: RoleId, kind: NodeKindId) -> Result<i64> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM placements p
           JOIN users u ON u.id = p.user_id
           JOIN nodes n ON n.id = p.node_id
         WHERE p.role_id = $1 AND n.kind_id = $2 AND u.status <> 'deleted'",
    )
    .bind(id.as_uuid())
    .bind(kind.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// How many placements of users who are not deleted give role `id`.
pub async fn placements(tx: &mut Tx, id: RoleId) -> Result<i64> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM placements p JOIN users u ON u.id = p.user_id
         WHERE p.role_id = $1 AND u.status <> 'deleted'",
    )
    .bind(id.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// Soft-deletes the role if it is still at `version`; returns whether it was.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    id: RoleId,
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE roles SET deleted_at = $4, updated_at = $4, version = version + 1
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
