//! Users' barcodes: unique per organization (the primary key is `(org_id, code)`), and
//! removed for real on delete so the code can be given out again — the audit trail keeps
//! who held it.

use muster_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A barcode as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BarcodeRow {
    /// The code.
    pub code: String,
    /// Its holder.
    pub user_id: Uuid,
    /// When it was given.
    pub created_at: DbTime,
}

/// The barcodes of `user`, by code, after `after`.
pub async fn list(
    store: &Store,
    org: OrgId,
    user: UserId,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<BarcodeRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT code, user_id, created_at FROM barcodes
         WHERE org_id = $1 AND user_id = $2 AND ($3 IS NULL OR code > $3)
         ORDER BY code LIMIT $4",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(after.clone())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// How many barcodes `user` has.
pub async fn count(store: &Store, org: OrgId, user: UserId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM barcodes WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// The barcode `code` of `org`, whoever holds it, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, code: &str) -> Result<Option<BarcodeRow>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(
        "SELECT code, user_id, created_at FROM barcodes WHERE org_id = $1 AND code = $2",
    )
    .bind(org.as_uuid())
    .bind(code)
    .fetch_optional(c)
    .await)?)
}

/// Gives `code` to `user` unless the organization already uses it; returns whether it was
/// inserted.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    code: &str,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO barcodes (org_id, code, user_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, code) DO NOTHING",
    )
    .bind(org.as_uuid())
    .bind(code)
    .bind(user.as_uuid())
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Removes `user`'s barcode `code`; returns whether it existed.
pub async fn delete(tx: &mut Tx, org: OrgId, user: UserId, code: &str) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "DELETE FROM barcodes WHERE org_id = $1 AND user_id = $2 AND code = $3",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(code)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
