//! Modules of the organization's applications: their levels and items.

use muster_domain::modules::ModuleItem;
use muster_domain::{ModuleId, OrgId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A module as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModuleRow {
    /// Id.
    pub id: Uuid,
    /// Key, unique in the organization.
    pub key: String,
    /// Name.
    pub name: String,
    /// The name as the database lowercases it: the sort key of lists (and cursors).
    pub sort_name: String,
    /// Levels, lowest first.
    pub levels: Json<Vec<String>>,
    /// Items.
    pub items: Json<Vec<ModuleItem>>,
    /// Whether roles must select an item above the lowest level.
    pub requires_items: bool,
    /// Version.
    pub version: i64,
}

const SELECT: &str = "SELECT id, key, name, lower(name) AS sort_name, levels, items, requires_items, version FROM modules";

/// The module `key` of `org`.
pub async fn get(store: &Store, org: OrgId, key: &str) -> Result<Option<ModuleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND key = $2");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(key)
        .fetch_optional(c)
        .await)?,
    )
}

/// The module `key` of `org`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, key: &str) -> Result<Option<ModuleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND key = $2");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(key)
        .fetch_optional(c)
        .await)?,
    )
}

/// Every module of `org`, by name (for checking and showing role grants).
pub async fn all(store: &Store, org: OrgId) -> Result<Vec<ModuleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 ORDER BY lower(name), id");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .fetch_all(c)
        .await)?,
    )
}

/// Every module of `org`, by name, read inside `tx`.
pub async fn all_tx(tx: &mut Tx, org: OrgId) -> Result<Vec<ModuleRow>> {
    let sql = format!("{SELECT} WHERE org_id = $1 ORDER BY lower(name), id");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .fetch_all(c)
        .await)?,
    )
}

/// Modules of `org` ordered by name then id, after the `(lowercase name, id)` key.
pub async fn list(
    store: &Store,
    org: OrgId,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<ModuleRow>> {
    let (name, id) = after.unzip();
    let sql = format!(
        "{SELECT} WHERE org_id = $1
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

/// How many modules `org` has.
pub async fn count(store: &Store, org: OrgId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM modules WHERE org_id = $1",
    )
    .bind(org.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// A module's definition as written.
#[derive(Debug)]
pub struct ModuleFields<'a> {
    /// Name.
    pub name: &'a str,
    /// Levels, lowest first.
    pub levels: &'a [String],
    /// Items.
    pub items: &'a [ModuleItem],
    /// Item requirement.
    pub requires_items: bool,
}

/// Inserts module `key` (a taken key is a [`crate::StoreError::Conflict`]).
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    id: ModuleId,
    key: &str,
    fields: &ModuleFields<'_>,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO modules (id, org_id, key, name, levels, items, requires_items, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(key)
    .bind(fields.name)
    .bind(Json(fields.levels))
    .bind(Json(fields.items))
    .bind(fields.requires_items)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes a module's new definition if it is still at `version`; returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    id: ModuleId,
    version: i64,
    fields: &ModuleFields<'_>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE modules SET name = $4, levels = $5, items = $6, requires_items = $7,
             updated_at = $8, version = version + 1
         WHERE org_id = $1 AND id = $2 AND version = $3",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(fields.name)
    .bind(Json(fields.levels))
    .bind(Json(fields.items))
    .bind(fields.requires_items)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
