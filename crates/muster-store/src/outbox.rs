//! The notification outbox and the carrier → email-to-SMS gateway table.
//!
//! Messages are inserted in the transaction of the change that causes them, so a change
//! and its notifications commit or roll back together (the transactional outbox); a
//! background worker delivers them later. Until then they are listed, newest first, on the
//! organization's local mailbox.

use muster_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A message to queue.
#[derive(Debug)]
pub struct NewMessage<'a> {
    /// Its id.
    pub id: Uuid,
    /// Organization.
    pub org: OrgId,
    /// The user it is for, if it is for one.
    pub user: Option<UserId>,
    /// `email` or `sms`.
    pub channel: &'a str,
    /// Email address (for SMS, the carrier gateway's address).
    pub recipient: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub body: &'a str,
    /// What it is about (`account`, `password_reset`, …).
    pub category: &'a str,
    /// When it was queued; it is due at once.
    pub now: DbTime,
}

/// Queues `m` (status `queued`, no attempts yet, due now) inside `tx`.
pub async fn insert(tx: &mut Tx, m: &NewMessage<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO outbox (id, org_id, user_id, channel, recipient, subject, body, category,
             status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9, $9)",
    )
    .bind(m.id)
    .bind(m.org.as_uuid())
    .bind(m.user.map(|u| u.as_uuid()))
    .bind(m.channel)
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.body)
    .bind(m.category)
    .bind(m.now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A message as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// Id.
    pub id: Uuid,
    /// The user it is for.
    pub user_id: Option<Uuid>,
    /// `email` or `sms`.
    pub channel: String,
    /// Address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// What it is about.
    pub category: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: DbTime,
    /// When it was queued.
    pub created_at: DbTime,
    /// When it was delivered.
    pub sent_at: Option<DbTime>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Filters of the mailbox; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only messages in this status (`queued`, `sent`, `failed`).
    pub status: Option<String>,
    /// Only messages for this user.
    pub user: Option<UserId>,
}

/// Messages of `org` matching `filter`, newest first (by queue time, then id), after the
/// `(created_at, id)` key of the previous page.
pub async fn list(
    store: &Store,
    org: OrgId,
    filter: &MessageFilter,
    after: Option<(DbTime, Uuid)>,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let (at, id) = after.unzip();
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT id, user_id, channel, recipient, subject, body, category, status, attempts,
             next_attempt_at, created_at, sent_at, last_error
         FROM outbox
         WHERE org_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR user_id = $3)
           AND ($4 IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5))
         ORDER BY created_at DESC, id DESC LIMIT $6",
    )
    .bind(org.as_uuid())
    .bind(filter.status.clone())
    .bind(filter.user.map(|u| u.as_uuid()))
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// How many messages of `org` match `filter`.
pub async fn count(store: &Store, org: OrgId, filter: &MessageFilter) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox
         WHERE org_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR user_id = $3)",
    )
    .bind(org.as_uuid())
    .bind(filter.status.clone())
    .bind(filter.user.map(|u| u.as_uuid()))
    .fetch_one(c)
    .await)?)
}

/// Every known carrier and the domain of its email-to-SMS gateway, by carrier.
pub async fn sms_gateways(tx: &mut Tx) -> Result<Vec<(String, String)>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(
        "SELECT carrier, email_domain FROM sms_gateways ORDER BY carrier",
    )
    .fetch_all(c)
    .await)?)
}

/// The display name and sign-in handle of `org`, for the text of messages.
pub async fn org_name_and_slug(tx: &mut Tx, org: OrgId) -> Result<Option<(String, String)>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(
        "SELECT name, slug FROM organizations WHERE id = $1",
    )
    .bind(org.as_uuid())
    .fetch_optional(c)
    .await)?)
}
