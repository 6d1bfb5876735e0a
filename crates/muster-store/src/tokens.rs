//! API tokens.

use muster_domain::{OrgId, TokenId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A new token.
#[derive(Debug)]
pub struct NewToken<'a> {
    /// Its id.
    pub id: TokenId,
    /// Organization.
    pub org: OrgId,
    /// The user it acts as.
    pub user: UserId,
    /// A name to recognise it by.
    pub name: &'a str,
    /// SHA-256 of the secret, hex.
    pub secret_hash: &'a str,
    /// Capabilities it is limited to.
    pub capabilities: &'a [&'a str],
    /// Creation time.
    pub now: DbTime,
}

/// Inserts a token.
pub async fn insert(tx: &mut Tx, t: &NewToken<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO api_tokens (id, org_id, user_id, name, secret_hash, capabilities, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.id.as_uuid())
    .bind(t.org.as_uuid())
    .bind(t.user.as_uuid())
    .bind(t.name)
    .bind(t.secret_hash)
    .bind(Json(t.capabilities))
    .bind(t.now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live token's owner and limits.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Token id.
    pub id: Uuid,
    /// Organization.
    pub org_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Capabilities it is limited to.
    pub capabilities: Json<Vec<String>>,
    /// Last used (to the minute).
    pub last_used_at: Option<DbTime>,
}

/// The unrevoked token with this secret hash whose owner is active.
pub async fn find_live(store: &Store, secret_hash: &str) -> Result<Option<TokenRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT t.id, t.org_id, t.user_id, t.capabilities, t.last_used_at
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND u.status = 'active'",
    )
    .bind(secret_hash)
    .fetch_optional(c)
    .await)?)
}

/// Records that a token was used at `now`.
pub async fn touch(tx: &mut Tx, id: TokenId, now: DbTime) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id.as_uuid())
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenListRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Capabilities it is limited to.
    pub capabilities: Json<Vec<String>>,
    /// Created.
    pub created_at: DbTime,
    /// Last used.
    pub last_used_at: Option<DbTime>,
    /// Revoked.
    pub revoked_at: Option<DbTime>,
    /// The user it acts as.
    pub user_id: Uuid,
}

const LIST: &str =
    "SELECT id, name, capabilities, created_at, last_used_at, revoked_at, user_id FROM api_tokens";

/// The tokens of `org`, newest first, after the token `after`.
pub async fn list(
    store: &Store,
    org: OrgId,
    owner: Option<UserId>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<TokenListRow>> {
    let sql = format!(
        "{LIST} WHERE org_id = $1 AND ($2 IS NULL OR id < $2) AND ($4 IS NULL OR user_id = $4)
         ORDER BY id DESC LIMIT $3"
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(after)
        .bind(limit)
        .bind(owner.map(|u| u.as_uuid()))
        .fetch_all(c)
        .await)?,
    )
}

/// How many tokens `org` has (revoked ones included), of `owner` only if given.
pub async fn count(store: &Store, org: OrgId, owner: Option<UserId>) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND ($2 IS NULL OR user_id = $2)",
    )
    .bind(org.as_uuid())
    .bind(owner.map(|u| u.as_uuid()))
    .fetch_one(c)
    .await)?)
}

/// The token `id` of `org`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, id: TokenId) -> Result<Option<TokenListRow>> {
    let sql = format!("{LIST} WHERE org_id = $1 AND id = $2");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Revokes the token `id` of `org`; returns whether it was live.
pub async fn revoke(tx: &mut Tx, org: OrgId, id: TokenId, now: DbTime) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
