//! Organizations (tenants).

use muster_domain::OrgId;
use muster_domain::org::Address;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A new organization row.
#[derive(Debug)]
pub struct NewOrg<'a> {
    /// Its id.
    pub id: OrgId,
    /// Display name.
    pub name: &'a str,
    /// Sign-in handle, unique.
    pub slug: &'a str,
    /// Postal address.
    pub address: &'a Address,
    /// Creation time.
    pub now: DbTime,
}

/// An organization as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    /// Its id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Sign-in handle.
    pub slug: String,
}

/// Inserts an organization.
pub async fn insert(tx: &mut Tx, org: &NewOrg<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO organizations (id, name, slug, address, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(org.id.as_uuid())
    .bind(org.name)
    .bind(org.slug)
    .bind(Json(org.address))
    .bind(org.now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Finds an organization by its slug, inside a transaction.
pub async fn find_by_slug_tx(tx: &mut Tx, slug: &str) -> Result<Option<OrgRow>> {
    Ok(
        on_conn!(tx tx, c => sqlx::query_as("SELECT id, name, slug FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_optional(c)
        .await)?,
    )
}

/// Finds an organization by its slug.
pub async fn find_by_slug(store: &Store, slug: &str) -> Result<Option<OrgRow>> {
    Ok(
        on_conn!(store store, c => sqlx::query_as("SELECT id, name, slug FROM organizations WHERE slug = $1")
        .bind(slug)
        .fetch_optional(c)
        .await)?,
    )
}

/// How many organizations the instance serves.
pub async fn count(store: &Store) -> Result<i64> {
    Ok(
        on_conn!(store store, c => sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
            .fetch_one(c)
            .await)?,
    )
}

/// An organization with a few counts, for the operator's overview.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgSummary {
    /// Its id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Sign-in handle.
    pub slug: String,
    /// When it was created.
    pub created_at: DbTime,
    /// Users who are not deleted.
    pub users: i64,
    /// Of them, active.
    pub active_users: i64,
    /// Live nodes of its tree (the root included).
    pub nodes: i64,
    /// Audit events (changes) so far.
    pub changes: i64,
}

const SUMMARY: &str = "SELECT o.id, o.name, o.slug, o.created_at,
        (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.status <> 'deleted') AS users,
        (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.status = 'active')
            AS active_users,
        (SELECT COUNT(*) FROM nodes n WHERE n.org_id = o.id AND n.deleted_at IS NULL) AS nodes,
        COALESCE((SELECT h.seq FROM audit_heads h WHERE h.org_id = o.id), 0) AS changes
     FROM organizations o";

/// Every organization of the instance, by sign-in handle, with its counts.
pub async fn summaries(store: &Store) -> Result<Vec<OrgSummary>> {
    let sql = format!("{SUMMARY} ORDER BY o.slug");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(c)
            .await)?,
    )
}
