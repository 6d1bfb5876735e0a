//! Users' emergency contacts (soft-deleted, versioned), and the user lookups the
//! per-person collections (contacts, barcodes) share.

use muster_domain::org::Address;
use muster_domain::user::Phone;
use muster_domain::{ContactId, OrgId, RoleId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// Whether `user` is a user of `org` who is not deleted, read inside `tx`.
pub async fn user_is_live_tx(tx: &mut Tx, org: OrgId, user: UserId) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Whether `user` is a user of `org` who is not deleted.
pub async fn user_is_live(store: &Store, org: OrgId, user: UserId) -> Result<bool> {
    let found: Option<i32> = on_conn!(store store, c => sqlx::query_scalar(
        "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Whether `user` is a user of `org`, of any status (deleted users keep their audit trail).
pub async fn user_exists(store: &Store, org: OrgId, user: UserId) -> Result<bool> {
    let found: Option<i32> = on_conn!(store store, c => sqlx::query_scalar(
        "SELECT 1 FROM users WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// The role of one of `user`'s placements (test support: lets a test place a second user
/// with the same role as the organization's administrator).
#[doc(hidden)]
pub async fn any_placement_role_for_tests(store: &Store, user: UserId) -> Result<Option<RoleId>> {
    let role: Option<Uuid> = on_conn!(store store, c => sqlx::query_scalar(
        "SELECT role_id FROM placements WHERE user_id = $1 ORDER BY is_default DESC LIMIT 1",
    )
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(role.map(RoleId::from_uuid))
}

/// An emergency contact as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The name as the database lowercases it: the sort key of lists (and cursors).
    pub sort_name: String,
    /// Relationship to the user.
    pub relationship: Option<String>,
    /// Phone numbers.
    pub phones: Json<Vec<Phone>>,
    /// Email address.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<Json<Address>>,
    /// Call order.
    pub priority: i64,
    /// Version.
    pub version: i64,
}

const SELECT: &str = "SELECT id, name, lower(name) AS sort_name, relationship, phones, email, address, priority, version
     FROM emergency_contacts";

/// The live contact `id` of `user` in `org`, read inside `tx`.
pub async fn get_tx(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    id: ContactId,
) -> Result<Option<ContactRow>> {
    let sql =
        format!("{SELECT} WHERE org_id = $1 AND user_id = $2 AND id = $3 AND deleted_at IS NULL");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// The live contact `id` of `user` in `org`.
pub async fn get(
    store: &Store,
    org: OrgId,
    user: UserId,
    id: ContactId,
) -> Result<Option<ContactRow>> {
    let sql =
        format!("{SELECT} WHERE org_id = $1 AND user_id = $2 AND id = $3 AND deleted_at IS NULL");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Live contacts of `user` ordered by priority, then name, then id, after the
/// `(priority, lowercase name, id)` key.
pub async fn list(
    store: &Store,
    org: OrgId,
    user: UserId,
    after: Option<(i64, String, Uuid)>,
    limit: i64,
) -> Result<Vec<ContactRow>> {
    let (priority, name, id) = match after {
        Some((p, n, i)) => (Some(p), Some(n), Some(i)),
        None => (None, None, None),
    };
    let sql = format!(
        "{SELECT} WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL
           AND ($3 IS NULL OR priority > $3
                OR (priority = $3 AND lower(name) > $4)
                OR (priority = $3 AND lower(name) = $4 AND id > $5))
         ORDER BY priority, lower(name), id LIMIT $6"
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(priority)
        .bind(name.clone())
        .bind(id)
        .bind(limit)
        .fetch_all(c)
        .await)?,
    )
}

/// How many live contacts `user` has.
pub async fn count(store: &Store, org: OrgId, user: UserId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM emergency_contacts WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// The state of a contact, new or updated.
#[derive(Debug)]
pub struct ContactFields<'a> {
    /// Name.
    pub name: &'a str,
    /// Relationship.
    pub relationship: Option<&'a str>,
    /// Phone numbers.
    pub phones: &'a [Phone],
    /// Email address.
    pub email: Option<&'a str>,
    /// Postal address.
    pub address: Option<&'a Address>,
    /// Call order.
    pub priority: i64,
}

/// Inserts a contact of `user`.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    id: ContactId,
    fields: &ContactFields<'_>,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO emergency_contacts (id, org_id, user_id, name, relationship, phones, email,
             address, priority, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(fields.name)
    .bind(fields.relationship)
    .bind(Json(fields.phones))
    .bind(fields.email)
    .bind(fields.address.map(Json))
    .bind(fields.priority)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes `fields` if the contact is still at `version`; returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    id: ContactId,
    version: i64,
    fields: &ContactFields<'_>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE emergency_contacts SET name = $5, relationship = $6, phones = $7, email = $8,
             address = $9, priority = $10, updated_at = $11, version = version + 1
         WHERE org_id = $1 AND user_id = $2 AND id = $3 AND version = $4 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(fields.name)
    .bind(fields.relationship)
    .bind(Json(fields.phones))
    .bind(fields.email)
    .bind(fields.address.map(Json))
    .bind(fields.priority)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Soft-deletes the contact if it is still at `version`; returns whether it was.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    id: ContactId,
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE emergency_contacts SET deleted_at = $5, updated_at = $5, version = version + 1
         WHERE org_id = $1 AND user_id = $2 AND id = $3 AND version = $4 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(id.as_uuid())
    .bind(version)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
