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

/// A live token's owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Token id.
    pub id: Uuid,
    /// Organization.
    pub org_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
}

/// The unrevoked token with this secret hash whose owner is active.
pub async fn find_live(store: &Store, secret_hash: &str) -> Result<Option<TokenRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT t.id, t.org_id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND u.status = 'active'",
    )
    .bind(secret_hash)
    .fetch_optional(c)
    .await)?)
}
