//! Reference lists and node kinds: ordered, named, soft-deleted entries.
//!
//! The six plain lists share `reference_items` (its `list` column holds the list's wire
//! name); node kinds live in `node_kinds`. Every query here takes the list and picks the
//! table from it. The list's name is always bound as `$2`: on `reference_items` it filters
//! by `list`, on `node_kinds` the condition `$2 = 'node_kinds'` holds trivially, so both
//! tables take the same placeholders.

use muster_domain::OrgId;
use muster_domain::reference::ReferenceList;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// An entry of a list as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The name lowercased by the database, as lists sort it.
    pub sort_name: String,
    /// Position.
    pub position: i64,
    /// Whether this is the root's node kind (always false outside `node_kinds`).
    pub is_root: bool,
    /// Version.
    pub version: i64,
}

/// The table and the condition selecting `list`'s live rows of organization `$1`.
fn source(list: ReferenceList) -> (&'static str, &'static str, &'static str) {
    if list.is_node_kinds() {
        (
            "node_kinds",
            "is_root",
            "org_id = $1 AND $2 = 'node_kinds' AND deleted_at IS NULL",
        )
    } else {
        (
            "reference_items",
            "FALSE",
            "org_id = $1 AND list = $2 AND deleted_at IS NULL",
        )
    }
}

fn select(list: ReferenceList) -> String {
    let (table, is_root, scope) = source(list);
    format!(
        "SELECT id, name, lower(name) AS sort_name, position, {is_root} AS is_root, version
         FROM {table} WHERE {scope}"
    )
}

/// Live entries of `list` ordered by position, lowercase name and id, after that key.
pub async fn list(
    store: &Store,
    org: OrgId,
    list: ReferenceList,
    after: Option<(i64, String, Uuid)>,
    limit: i64,
) -> Result<Vec<ItemRow>> {
    let (position, name, id) = match after {
        Some((p, n, i)) => (Some(p), Some(n), Some(i)),
        None => (None, None, None),
    };
    let sql = format!(
        "{} AND ($3 IS NULL OR position > $3
                  OR (position = $3 AND lower(name) > $4)
                  OR (position = $3 AND lower(name) = $4 AND id > $5))
         ORDER BY position, lower(name), id LIMIT $6",
        select(list)
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .bind(position)
        .bind(name.clone())
        .bind(id)
        .bind(limit)
        .fetch_all(c)
        .await)?,
    )
}

/// How many live entries `list` has.
pub async fn count(store: &Store, org: OrgId, list: ReferenceList) -> Result<i64> {
    let (table, _, scope) = source(list);
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {scope}");
    Ok(
        on_conn!(store store, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .fetch_one(c)
        .await)?,
    )
}

/// The live entry `id` of `list`.
pub async fn get(
    store: &Store,
    org: OrgId,
    list: ReferenceList,
    id: Uuid,
) -> Result<Option<ItemRow>> {
    let sql = format!("{} AND id = $3", select(list));
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .bind(id)
        .fetch_optional(c)
        .await)?,
    )
}

/// The live entry `id` of `list`, read inside `tx`.
pub async fn get_tx(
    tx: &mut Tx,
    org: OrgId,
    list: ReferenceList,
    id: Uuid,
) -> Result<Option<ItemRow>> {
    let sql = format!("{} AND id = $3", select(list));
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .bind(id)
        .fetch_optional(c)
        .await)?,
    )
}

/// Whether a live entry of `list` other than `except` is named `name` (any case).
pub async fn name_taken(
    tx: &mut Tx,
    org: OrgId,
    list: ReferenceList,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool> {
    let (table, _, scope) = source(list);
    let sql = format!(
        "SELECT 1 FROM {table} WHERE {scope} AND lower(name) = lower($3)
           AND ($4 IS NULL OR id <> $4) LIMIT 1"
    );
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .bind(name)
        .bind(except)
        .fetch_optional(c)
        .await)?;
    Ok(found.is_some())
}

/// The position after the last live entry of `list` (1 for an empty list).
pub async fn next_position(tx: &mut Tx, org: OrgId, list: ReferenceList) -> Result<i64> {
    let (table, _, scope) = source(list);
    let sql = format!("SELECT MAX(position) FROM {table} WHERE {scope}");
    let highest: Option<i64> = on_conn!(tx tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .fetch_one(c)
        .await)?;
    Ok(highest.map_or(1, |p| p.saturating_add(1)))
}

/// Writes a new name and position if the entry is still at `version`; returns whether it
/// was.
#[allow(clippy::too_many_arguments)] // One plain value per column keeps call sites obvious.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    list: ReferenceList,
    id: Uuid,
    version: i64,
    name: &str,
    position: i64,
    now: DbTime,
) -> Result<bool> {
    let (table, _, scope) = source(list);
    let sql = format!(
        "UPDATE {table} SET name = $5, position = $6, updated_at = $7, version = version + 1
         WHERE {scope} AND id = $3 AND version = $4"
    );
    let rows = on_conn!(tx tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .bind(id)
        .bind(version)
        .bind(name)
        .bind(position)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// What still uses an entry: for node kinds, live nodes of that kind; for the other lists,
/// users who are not deleted and have it as title, rank, unit, separation status or
/// specialty. Assignment types are not referenced by any column yet.
pub async fn usage(tx: &mut Tx, org: OrgId, list: ReferenceList, id: Uuid) -> Result<i64> {
    let sql = if list.is_node_kinds() {
        "SELECT COUNT(*) FROM nodes WHERE org_id = $1 AND kind_id = $2 AND deleted_at IS NULL"
    } else {
        "SELECT COUNT(*) FROM users u
         WHERE u.org_id = $1 AND u.status <> 'deleted'
           AND (u.title_id = $2 OR u.rank_id = $2 OR u.unit_id = $2
                OR u.separation_status_id = $2
                OR EXISTS (SELECT 1 FROM user_specialties s
                           WHERE s.user_id = u.id AND s.item_id = $2))"
    };
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(sql)
        .bind(org.as_uuid())
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// Soft-deletes the entry if it is still at `version`; returns whether it was.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    list: ReferenceList,
    id: Uuid,
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let (table, _, scope) = source(list);
    let sql = format!(
        "UPDATE {table} SET deleted_at = $5, updated_at = $5, version = version + 1
         WHERE {scope} AND id = $3 AND version = $4"
    );
    let rows = on_conn!(tx tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(list.as_str())
        .bind(id)
        .bind(version)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
