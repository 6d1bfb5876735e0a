//! The command hierarchy: command groups and their privileges.
//!
//! Groups are inserted with [`crate::structure::insert_command_group`] and privileges with
//! [`crate::structure::insert_privilege`]; this module reads, updates and soft-deletes.

use muster_domain::{CommandGroupId, OrgId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A command group as stored (without its privileges, see [`privileges`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    /// Id.
    pub id: Uuid,
    /// Parent group; `None` for a root group.
    pub parent_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// The name as the database lowercases it: the sort key of lists (and cursors).
    pub sort_name: String,
    /// Version.
    pub version: i64,
}

/// One privilege of a group, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrivilegeRow {
    /// The group.
    pub group_id: Uuid,
    /// `view` or `edit`.
    pub access: String,
    /// The section.
    pub section: String,
    /// The scope.
    pub scope: String,
}

const SELECT: &str =
    "SELECT id, parent_id, name, lower(name) AS sort_name, version FROM command_groups";

/// The keyset page condition on `(lower(name), id)` with `$1` org, `$2` name, `$3` id.
const PAGE: &str = "org_id = $1 AND deleted_at IS NULL
           AND ($2 IS NULL OR lower(name) > $2 OR (lower(name) = $2 AND id > $3))";

/// The live group `id` of `org`.
pub async fn get(store: &Store, org: OrgId, id: CommandGroupId) -> Result<Option<GroupRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// The live group `id` of `org`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, id: CommandGroupId) -> Result<Option<GroupRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Live groups of `org` ordered by name then id, after the `(lowercase name, id)` key.
pub async fn list(
    store: &Store,
    org: OrgId,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<GroupRow>> {
    let (name, id) = after.unzip();
    let sql = format!("{SELECT} WHERE {PAGE} ORDER BY lower(name), id LIMIT $4");
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

/// The privileges of the groups [`list`] returns for the same arguments.
pub async fn list_privileges(
    store: &Store,
    org: OrgId,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<PrivilegeRow>> {
    let (name, id) = after.unzip();
    let sql = format!(
        "SELECT group_id, access, section, scope FROM command_group_privileges
         WHERE group_id IN (
             SELECT id FROM command_groups WHERE {PAGE} ORDER BY lower(name), id LIMIT $4)"
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

/// How many live groups `org` has.
pub async fn count(store: &Store, org: OrgId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM command_groups WHERE org_id = $1 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .fetch_one(c)
    .await)?)
}

const PRIVILEGES: &str =
    "SELECT group_id, access, section, scope FROM command_group_privileges WHERE group_id = $1";

/// The privileges of group `id`.
pub async fn privileges(store: &Store, id: CommandGroupId) -> Result<Vec<PrivilegeRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(PRIVILEGES)
        .bind(id.as_uuid())
        .fetch_all(c)
        .await)?)
}

/// The privileges of group `id`, read inside `tx`.
pub async fn privileges_tx(tx: &mut Tx, id: CommandGroupId) -> Result<Vec<PrivilegeRow>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(PRIVILEGES)
        .bind(id.as_uuid())
        .fetch_all(c)
        .await)?)
}

/// Removes every privilege of group `id` (before writing its new list).
pub async fn clear_privileges(tx: &mut Tx, id: CommandGroupId) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query("DELETE FROM command_group_privileges WHERE group_id = $1")
        .bind(id.as_uuid())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whether a live group of `org` other than `except` is named `name` (any case).
pub async fn name_taken(
    tx: &mut Tx,
    org: OrgId,
    name: &str,
    except: Option<CommandGroupId>,
) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM command_groups WHERE org_id = $1 AND lower(name) = lower($2)
           AND deleted_at IS NULL AND ($3 IS NULL OR id <> $3) LIMIT 1",
    )
    .bind(org.as_uuid())
    .bind(name)
    .bind(except.map(|e| e.as_uuid()))
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Whether group `group` is `ancestor` or lies below it.
pub async fn is_in_subtree(
    tx: &mut Tx,
    group: CommandGroupId,
    ancestor: CommandGroupId,
) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "WITH RECURSIVE up (id, parent_id) AS (
             SELECT id, parent_id FROM command_groups WHERE id = $1
             UNION
             SELECT g.id, g.parent_id FROM command_groups g JOIN up ON g.id = up.parent_id
         )
         SELECT 1 FROM up WHERE id = $2 LIMIT 1",
    )
    .bind(group.as_uuid())
    .bind(ancestor.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Writes a group's name and parent if it is still at `version` (also bumping the
/// version when only its privileges change); returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    id: CommandGroupId,
    version: i64,
    name: &str,
    parent: Option<CommandGroupId>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE command_groups SET name = $4, parent_id = $5, updated_at = $6, version = version + 1
         WHERE org_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(name)
    .bind(parent.map(|p| p.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// What still hangs off a group: live child groups, and users who are not deleted in it.
pub async fn dependents(tx: &mut Tx, id: CommandGroupId) -> Result<(i64, i64)> {
    let children: i64 = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM command_groups WHERE parent_id = $1 AND deleted_at IS NULL",
    )
    .bind(id.as_uuid())
    .fetch_one(c)
    .await)?;
    let members: i64 = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE command_group_id = $1 AND status <> 'deleted'",
    )
    .bind(id.as_uuid())
    .fetch_one(c)
    .await)?;
    Ok((children, members))
}

/// Soft-deletes the group if it is still at `version`; returns whether it was.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    id: CommandGroupId,
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE command_groups SET deleted_at = $4, updated_at = $4, version = version + 1
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
