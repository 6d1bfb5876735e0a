//! The notification outbox and the carrier → email-to-SMS gateway table.
//!
//! Messages are inserted in the transaction of the change that causes them, so a change
//! and its notifications commit or roll back together (the transactional outbox); a
//! background worker delivers them later. Until then they are listed, newest first, on the
//! organization's local mailbox.

use muster_domain::{OrgId, UserId};
use uuid::Uuid;

use crate::db::{TxInner, on_conn};
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

/// Queues many messages (see [`insert`]), a hundred per statement.
pub async fn insert_many(tx: &mut Tx, messages: &[NewMessage<'_>]) -> Result<()> {
    for chunk in messages.chunks(100) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let v = |i: usize| format!("${}", r * 9 + i);
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {}, 'queued', 0, {}, {})",
                    v(1),
                    v(2),
                    v(3),
                    v(4),
                    v(5),
                    v(6),
                    v(7),
                    v(8),
                    v(9),
                    v(9)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO outbox (id, org_id, user_id, channel, recipient, subject, body, category,
                 status, attempts, next_attempt_at, created_at)
             VALUES {}",
            rows.join(", ")
        );
        on_conn!(tx tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for m in chunk {
                query = query
                    .bind(m.id)
                    .bind(m.org.as_uuid())
                    .bind(m.user.map(|u| u.as_uuid()))
                    .bind(m.channel)
                    .bind(m.recipient)
                    .bind(m.subject)
                    .bind(m.body)
                    .bind(m.category)
                    .bind(m.now);
            }
            query.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
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

/// The names of every known mobile carrier, in name order (for the carrier pickers).
pub async fn carriers(store: &Store) -> Result<Vec<String>> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT carrier FROM sms_gateways ORDER BY lower(carrier)",
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

// ---------------------------------------------------------------------------------------
// Delivery

/// A message claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMessage {
    /// Id.
    pub id: Uuid,
    /// Address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Delivery attempts before this one.
    pub attempts: i64,
}

/// Claims up to `limit` due messages (queued, `next_attempt_at <= now`, not under another
/// worker's lease), oldest due first, leasing them until `lease_until`.
///
/// On PostgreSQL the candidate rows are locked `FOR UPDATE SKIP LOCKED`, so concurrent
/// claimers in other processes pass over them instead of waiting and then claiming them too;
/// on SQLite the single writer serializes claims.
pub async fn claim_due(
    store: &Store,
    now: DbTime,
    lease_until: DbTime,
    limit: i64,
) -> Result<Vec<ClaimedMessage>> {
    const SQLITE: &str = "UPDATE outbox SET claimed_until = $1
         WHERE id IN (SELECT id FROM outbox
                      WHERE status = 'queued' AND next_attempt_at <= $2
                        AND (claimed_until IS NULL OR claimed_until < $2)
                      ORDER BY next_attempt_at, id LIMIT $3)
         RETURNING id, recipient, subject, body, attempts";
    const POSTGRES: &str = "UPDATE outbox SET claimed_until = $1
         WHERE id IN (SELECT id FROM outbox
                      WHERE status = 'queued' AND next_attempt_at <= $2
                        AND (claimed_until IS NULL OR claimed_until < $2)
                      ORDER BY next_attempt_at, id LIMIT $3
                      FOR UPDATE SKIP LOCKED)
         RETURNING id, recipient, subject, body, attempts";
    let mut tx = store.begin().await?;
    let mut rows: Vec<ClaimedMessage> = match &mut tx.inner {
        TxInner::Sqlite(t) => {
            sqlx::query_as(SQLITE)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        }
        TxInner::Postgres(t) => {
            sqlx::query_as(POSTGRES)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        }
    };
    tx.commit().await?;
    // RETURNING gives no order; deliver the oldest first.
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Records that message `id` was accepted by the mail server at `now`.
pub async fn mark_sent(store: &Store, id: Uuid, now: DbTime) -> Result<()> {
    let mut tx = store.begin().await?;
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1,
             claimed_until = NULL, last_error = NULL
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Records a failed delivery attempt of message `id`: tried again at `retry_at`, or, when
/// `retry_at` is `None`, given up on (status `failed`).
pub async fn mark_attempt_failed(
    store: &Store,
    id: Uuid,
    error: &str,
    retry_at: Option<DbTime>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $2, claimed_until = NULL,
             status = CASE WHEN $3 IS NULL THEN 'failed' ELSE 'queued' END,
             next_attempt_at = COALESCE($3, next_attempt_at)
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(error)
    .bind(retry_at)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// The notification categories `user` of `org` subscribed to (empty: all), or `None`
/// when there is no such user.
pub async fn subscriptions(tx: &mut Tx, org: OrgId, user: UserId) -> Result<Option<Vec<String>>> {
    let row: Option<(sqlx::types::Json<muster_domain::user::Preferences>,)> = on_conn!(tx tx, c => sqlx::query_as(
            "SELECT preferences FROM users WHERE id = $1 AND org_id = $2",
        )
        .bind(user.as_uuid())
        .bind(org.as_uuid())
        .fetch_optional(c)
        .await)?;
    Ok(row.map(|(p,)| p.0.notification_subscriptions))
}
