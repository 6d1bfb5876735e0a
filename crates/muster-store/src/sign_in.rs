//! Signing in: finding the organization and the user's credentials, counting failures,
//! locking out and releasing, changing one's password, and the record of every attempt.

use muster_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// The organization a sign-in names: by its slug, else by its name, case-insensitively.
/// `handle` must be lowercase.
pub async fn resolve_org(store: &Store, handle: &str) -> Result<Option<Uuid>> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT id FROM organizations WHERE slug = $1 OR lower(name) = $1
         ORDER BY CASE WHEN slug = $1 THEN 0 ELSE 1 END, id LIMIT 1",
    )
    .bind(handle)
    .fetch_optional(c)
    .await)?)
}

/// What signing a user in needs to know.
#[derive(Clone, sqlx::FromRow)]
pub struct CredentialRow {
    /// The user.
    pub id: Uuid,
    /// Status (wire name).
    pub status: String,
    /// Login kind (wire name).
    pub login_kind: String,
    /// Argon2id PHC string of the password.
    pub password_hash: Option<String>,
    /// Argon2id PHC string of the PIN.
    pub pin_hash: Option<String>,
    /// Why Muster banned the user, if it did.
    pub ban_reason: Option<String>,
    /// When a lockout ends by itself.
    pub banned_until: Option<DbTime>,
}

impl std::fmt::Debug for CredentialRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialRow")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("login_kind", &self.login_kind)
            .finish_non_exhaustive()
    }
}

const CREDENTIALS: &str =
    "SELECT id, status, login_kind, password_hash, pin_hash, ban_reason, banned_until
     FROM users WHERE org_id = $1";

/// The credentials of the user of `org` whose normalized login is `login`; deleted users
/// are not found.
pub async fn credentials_by_login(
    store: &Store,
    org: OrgId,
    login: &str,
) -> Result<Option<CredentialRow>> {
    let sql = format!("{CREDENTIALS} AND login_normalized = $2 AND status <> 'deleted'");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(login)
        .fetch_optional(c)
        .await)?,
    )
}

/// The credentials of user `user` of `org`; deleted users are not found.
pub async fn credentials(store: &Store, org: OrgId, user: UserId) -> Result<Option<CredentialRow>> {
    let sql = format!("{CREDENTIALS} AND id = $2 AND status <> 'deleted'");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Lifts a lockout whose time is up: a user banned with `reason` whose `banned_until`
/// is not after `now` becomes active again, with no failures counted. Returns whether
/// the user was released.
pub async fn release_lockout(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    reason: &str,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET status = 'active', failed_logins = 0, banned_until = NULL,
             ban_reason = NULL, version = version + 1, updated_at = $3
         WHERE org_id = $1 AND id = $2 AND status = 'banned' AND ban_reason = $4
           AND banned_until IS NOT NULL AND banned_until <= $3",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(now)
    .bind(reason)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Counts one more consecutive failure of an active user; returns the new count (`None`
/// when the user is not active).
pub async fn count_failure(tx: &mut Tx, org: OrgId, user: UserId) -> Result<Option<i64>> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1
         WHERE org_id = $1 AND id = $2 AND status = 'active'
         RETURNING failed_logins",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?)
}

/// Bans an active user for `reason`, until `until` when given; returns whether the user
/// was active.
pub async fn lock_out(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    reason: &str,
    until: Option<DbTime>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET status = 'banned', ban_reason = $3, banned_until = $4,
             version = version + 1, updated_at = $5
         WHERE org_id = $1 AND id = $2 AND status = 'active'",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(reason)
    .bind(until)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Records a successful sign-in: the time, and no failures counted any more.
pub async fn record_success(tx: &mut Tx, org: OrgId, user: UserId, now: DbTime) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET failed_logins = 0, last_login_at = $3 WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Forgets a user's failures and lockout (after an un-ban or reactivation).
pub async fn clear_lockout(tx: &mut Tx, org: OrgId, user: UserId) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET failed_logins = 0, banned_until = NULL, ban_reason = NULL
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Sets a new password hash, clears `must_change_password` and bumps the version.
pub async fn set_password(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    password_hash: &str,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET password_hash = $3, must_change_password = FALSE,
             version = version + 1, updated_at = $4
         WHERE org_id = $1 AND id = $2 AND status = 'active'",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(password_hash)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A sign-in attempt to record.
#[derive(Debug)]
pub struct NewAttempt<'a> {
    /// The organization named, if it exists.
    pub org: Option<OrgId>,
    /// The user named, if they exist.
    pub user: Option<UserId>,
    /// The login as typed (trimmed).
    pub login: &'a str,
    /// When.
    pub at: DbTime,
    /// How it ended (wire name).
    pub outcome: &'a str,
    /// What was presented (wire name).
    pub method: &'a str,
    /// The client's address.
    pub ip: Option<&'a str>,
    /// The client's `User-Agent`.
    pub user_agent: Option<&'a str>,
}

/// Records a sign-in attempt.
pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO login_attempts (id, org_id, user_id, login, at, outcome, method, ip,
             user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(Uuid::now_v7())
    .bind(a.org.map(|o| o.as_uuid()))
    .bind(a.user.map(|u| u.as_uuid()))
    .bind(a.login)
    .bind(a.at)
    .bind(a.outcome)
    .bind(a.method)
    .bind(a.ip)
    .bind(a.user_agent)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A recorded sign-in attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    /// Id (for paging).
    pub id: Uuid,
    /// When.
    pub at: DbTime,
    /// Outcome (wire name).
    pub outcome: String,
    /// Method (wire name).
    pub method: String,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// The attempts naming `user` of `org`, newest first, after `(at, id)`.
pub async fn attempts(
    store: &Store,
    org: OrgId,
    user: UserId,
    after: Option<(DbTime, Uuid)>,
    limit: i64,
) -> Result<Vec<AttemptRow>> {
    let (at, id) = after.unzip();
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT id, at, outcome, method, ip, user_agent FROM login_attempts
         WHERE org_id = $1 AND user_id = $2
           AND ($3 IS NULL OR at < $3 OR (at = $3 AND id < $4))
         ORDER BY at DESC, id DESC LIMIT $5",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// How many attempts name `user` of `org`.
pub async fn count_attempts(store: &Store, org: OrgId, user: UserId) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_one(c)
    .await)?)
}

/// Moves the end of a user's lockout, for tests that cannot wait for it.
#[doc(hidden)]
pub async fn set_banned_until(tx: &mut Tx, user: UserId, until: DbTime) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query("UPDATE users SET banned_until = $2 WHERE id = $1")
        .bind(user.as_uuid())
        .bind(until)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
