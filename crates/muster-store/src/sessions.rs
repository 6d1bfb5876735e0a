//! Server-side sign-in sessions: only a SHA-256 of each session's secret is stored.

use muster_domain::{NodeId, OrgId, UserId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A new session.
#[derive(Debug)]
pub struct NewSession<'a> {
    /// Its id.
    pub id: Uuid,
    /// Organization.
    pub org: OrgId,
    /// The signed-in user.
    pub user: UserId,
    /// SHA-256 of the secret, hex.
    pub secret_hash: &'a str,
    /// Creation time (also the first `last_seen_at`).
    pub now: DbTime,
    /// When it ends unless used before.
    pub idle_expires_at: DbTime,
    /// When it ends whatever happens.
    pub absolute_expires_at: DbTime,
    /// The client's address.
    pub ip: Option<&'a str>,
    /// The client's `User-Agent`.
    pub user_agent: Option<&'a str>,
}

/// Inserts a session.
pub async fn insert(tx: &mut Tx, s: &NewSession<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO sessions (id, org_id, user_id, secret_hash, created_at, last_seen_at,
             idle_expires_at, absolute_expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
    )
    .bind(s.id)
    .bind(s.org.as_uuid())
    .bind(s.user.as_uuid())
    .bind(s.secret_hash)
    .bind(s.now)
    .bind(s.idle_expires_at)
    .bind(s.absolute_expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live session and what a request needs of its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// Session id.
    pub id: Uuid,
    /// Organization.
    pub org_id: Uuid,
    /// The signed-in user.
    pub user_id: Uuid,
    /// Last time it was seen (to the minute).
    pub last_seen_at: DbTime,
    /// When it ends whatever happens.
    pub absolute_expires_at: DbTime,
    /// The location chosen in this session, if any.
    pub current_node_id: Option<Uuid>,
    /// Whether the user must change the password first.
    pub must_change_password: bool,
}

/// The session with this secret hash, if it is neither revoked nor expired at `now` and
/// its user is active and signs in.
pub async fn find_live(
    store: &Store,
    secret_hash: &str,
    now: DbTime,
) -> Result<Option<SessionRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT s.id, s.org_id, s.user_id, s.last_seen_at, s.absolute_expires_at,
             s.current_node_id, u.must_change_password
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.secret_hash = $1 AND s.revoked_at IS NULL
           AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2
           AND u.status = 'active' AND u.login_kind <> 'none'",
    )
    .bind(secret_hash)
    .bind(now)
    .fetch_optional(c)
    .await)?)
}

/// Records that the session was used at `now` and extends its idle expiry.
pub async fn touch(tx: &mut Tx, id: Uuid, now: DbTime, idle_expires_at: DbTime) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(idle_expires_at)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Revokes one session of `org`; returns whether it was live.
pub async fn revoke(tx: &mut Tx, org: OrgId, id: Uuid, now: DbTime) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Revokes every live session of `user` but `except`; returns how many.
pub async fn revoke_all_of(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    except: Option<Uuid>,
    now: DbTime,
) -> Result<u64> {
    Ok(on_conn!(tx tx, c => sqlx::query(
        "UPDATE sessions SET revoked_at = $3
         WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL
           AND ($4 IS NULL OR id <> $4)",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(now)
    .bind(except)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?)
}

/// Sets the location chosen in a session.
pub async fn set_current_node(tx: &mut Tx, org: OrgId, id: Uuid, node: NodeId) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE sessions SET current_node_id = $3
         WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id)
    .bind(node.as_uuid())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Whether `node` is a live node of `org` (`None` if not) at or below the node of one of
/// `user`'s placements: walks from `node` up to the root and looks for a placement.
pub async fn node_within_placements(
    store: &Store,
    org: OrgId,
    user: UserId,
    node: NodeId,
) -> Result<Option<bool>> {
    let row: Option<(i64, i64)> = on_conn!(store store, c => sqlx::query_as(
        "WITH RECURSIVE up (id, parent_id) AS (
             SELECT id, parent_id FROM nodes
             WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
             UNION ALL
             SELECT n.id, n.parent_id FROM nodes n JOIN up ON n.id = up.parent_id
         )
         SELECT (SELECT COUNT(*) FROM up WHERE up.id = $2),
                (SELECT COUNT(*) FROM up JOIN placements p ON p.node_id = up.id
                 WHERE p.user_id = $3)",
    )
    .bind(org.as_uuid())
    .bind(node.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(row.and_then(|(exists, placed)| (exists > 0).then_some(placed > 0)))
}
