//! The audit trail's storage: the per-organization chain head and the events.

use muster_domain::{AuditEventId, OrgId, TokenId, UserId};
use serde_json::Value;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// The chain position a new event takes.
#[derive(Debug)]
pub struct HeadAdvance {
    /// The new event's sequence number.
    pub seq: i64,
    /// The hash of the event before it (the genesis hash for the first).
    pub prev_hash: String,
}

/// The genesis hash, as stored in a fresh head.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Takes the next sequence number of `org`'s chain. The head row stays locked (on
/// PostgreSQL) until `tx` ends, so concurrent writers of one organization queue here.
pub async fn advance_head(tx: &mut Tx, org: OrgId) -> Result<HeadAdvance> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(org.as_uuid())
    .bind(GENESIS)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    let (seq, prev_hash): (i64, String) = on_conn!(tx tx, c => sqlx::query_as(
        "UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash",
    )
    .bind(org.as_uuid())
    .fetch_one(c)
    .await)?;
    Ok(HeadAdvance { seq, prev_hash })
}

/// Takes the next `n` sequence numbers of `org`'s chain at once, for events written
/// together ([`insert_many`]); returns the first of them and the hash before it.
pub async fn advance_head_by(tx: &mut Tx, org: OrgId, n: i64) -> Result<HeadAdvance> {
    let first = advance_head(tx, org).await?;
    if n > 1 {
        on_conn!(tx tx, c => sqlx::query("UPDATE audit_heads SET seq = seq + $2 WHERE org_id = $1")
            .bind(org.as_uuid())
            .bind(n - 1)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(first)
}

/// Records the hash of the newest event as the chain's head.
pub async fn set_head_hash(tx: &mut Tx, org: OrgId, hash: &str) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query("UPDATE audit_heads SET hash = $2 WHERE org_id = $1")
        .bind(org.as_uuid())
        .bind(hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The head of `org`'s chain: last sequence number and hash.
pub async fn head(store: &Store, org: OrgId) -> Result<Option<(i64, String)>> {
    Ok(
        on_conn!(store store, c => sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE org_id = $1")
        .bind(org.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// A new event.
#[derive(Debug)]
pub struct NewAuditEvent<'a> {
    /// Its id.
    pub id: AuditEventId,
    /// Organization.
    pub org: OrgId,
    /// Position in the organization's chain.
    pub seq: i64,
    /// When.
    pub at: DbTime,
    /// `user`, `token` or `system`.
    pub actor_kind: &'a str,
    /// The acting user.
    pub actor_id: Option<UserId>,
    /// The token used.
    pub token_id: Option<TokenId>,
    /// What was done (`user.create`, `node.update`, …).
    pub action: &'a str,
    /// Kind of object changed.
    pub target_kind: &'a str,
    /// Id of the object changed.
    pub target_id: Option<Uuid>,
    /// The person concerned.
    pub subject_id: Option<UserId>,
    /// Field-level changes as JSON text, exactly as hashed (stored verbatim, so that no
    /// database normalisation of JSON can change what the hash covers).
    pub changes: String,
    /// Request id.
    pub request_id: Option<&'a str>,
    /// Client IP.
    pub ip: Option<&'a str>,
    /// Hash of the previous event.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// Inserts an event.
pub async fn insert(tx: &mut Tx, e: &NewAuditEvent<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO audit_events (id, org_id, seq, at, actor_kind, actor_id, token_id, action,
             target_kind, target_id, subject_id, changes, request_id, ip, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(e.id.as_uuid())
    .bind(e.org.as_uuid())
    .bind(e.seq)
    .bind(e.at)
    .bind(e.actor_kind)
    .bind(e.actor_id.map(|u| u.as_uuid()))
    .bind(e.token_id.map(|t| t.as_uuid()))
    .bind(e.action)
    .bind(e.target_kind)
    .bind(e.target_id)
    .bind(e.subject_id.map(|u| u.as_uuid()))
    .bind(&e.changes)
    .bind(e.request_id)
    .bind(e.ip)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    // On PostgreSQL, tell other server processes when this commits (notifications are
    // delivered at commit; identical ones of one transaction are folded into one).
    if let crate::db::TxInner::Postgres(t) = &mut tx.inner {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::changes::CHANNEL)
            .bind(e.org.as_uuid().to_string())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Events per statement of [`insert_many`] (16 values each: about a thousand values per
/// statement, beyond which SQLite binds slow down sharply).
const EVENTS_PER_STATEMENT: usize = 60;

/// Inserts events written together (their sequence numbers taken with
/// [`advance_head_by`]), a few dozen per statement.
pub async fn insert_many(tx: &mut Tx, events: &[NewAuditEvent<'_>]) -> Result<()> {
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let values: Vec<String> = (1..=16).map(|i| format!("${}", r * 16 + i)).collect();
                format!("({})", values.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_events (id, org_id, seq, at, actor_kind, actor_id, token_id, action,
                 target_kind, target_id, subject_id, changes, request_id, ip, prev_hash, hash)
             VALUES {}",
            rows.join(", ")
        );
        on_conn!(tx tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for e in chunk {
                query = query
                    .bind(e.id.as_uuid())
                    .bind(e.org.as_uuid())
                    .bind(e.seq)
                    .bind(e.at)
                    .bind(e.actor_kind)
                    .bind(e.actor_id.map(|u| u.as_uuid()))
                    .bind(e.token_id.map(|t| t.as_uuid()))
                    .bind(e.action)
                    .bind(e.target_kind)
                    .bind(e.target_id)
                    .bind(e.subject_id.map(|u| u.as_uuid()))
                    .bind(e.changes.clone())
                    .bind(e.request_id)
                    .bind(e.ip)
                    .bind(e.prev_hash.clone())
                    .bind(e.hash.clone());
            }
            query.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    if let (Some(e), crate::db::TxInner::Postgres(t)) = (events.first(), &mut tx.inner) {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::changes::CHANNEL)
            .bind(e.org.as_uuid().to_string())
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// A stored event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// Id.
    pub id: Uuid,
    /// Organization.
    pub org_id: Uuid,
    /// Chain position.
    pub seq: i64,
    /// When.
    pub at: DbTime,
    /// `user`, `token` or `system`.
    pub actor_kind: String,
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Token used.
    pub token_id: Option<Uuid>,
    /// Action.
    pub action: String,
    /// Kind of object.
    pub target_kind: String,
    /// Object id.
    pub target_id: Option<Uuid>,
    /// Person concerned.
    pub subject_id: Option<Uuid>,
    /// Field-level changes as JSON text, exactly as hashed.
    pub changes: String,
    /// Request id.
    pub request_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Previous hash.
    pub prev_hash: String,
    /// This hash.
    pub hash: String,
}

const COLUMNS: &str = "id, org_id, seq, at, actor_kind, actor_id, token_id, action, target_kind, \
     target_id, subject_id, changes, request_id, ip, prev_hash, hash";

/// `limit` events of `org` in chain order, skipping the first `offset` (for verification,
/// which reads the whole chain in order).
pub async fn chain_batch(
    store: &Store,
    org: OrgId,
    offset: i64,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE org_id = $1 ORDER BY seq LIMIT $2 OFFSET $3"
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await)?,
    )
}

/// Filters of the audit log listing; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events by this user.
    pub actor: Option<UserId>,
    /// Only events about this object or person.
    pub target: Option<Uuid>,
    /// Only this action (`user.update`) or, ending in `.`, this family (`user.`).
    pub action: Option<String>,
    /// Only events at or after.
    pub since: Option<DbTime>,
    /// Only events before.
    pub until: Option<DbTime>,
}

/// Events of `org` matching `filter`, newest first, before sequence number `before_seq`;
/// and how many match in all.
pub async fn list(
    store: &Store,
    org: OrgId,
    filter: &AuditFilter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<(Vec<AuditRow>, i64)> {
    // Only fixed SQL fragments are concatenated; every value is bound.
    let mut conditions = vec!["org_id = $1".to_owned()];
    let mut next = 2;
    let mut push = |condition: &str| {
        let mut numbered = String::new();
        for part in condition.split_inclusive('?') {
            match part.strip_suffix('?') {
                Some(head) => {
                    numbered.push_str(head);
                    numbered.push('$');
                    numbered.push_str(&next.to_string());
                    next += 1;
                }
                None => numbered.push_str(part),
            }
        }
        conditions.push(numbered);
    };
    if filter.actor.is_some() {
        push("actor_id = ?");
    }
    if filter.target.is_some() {
        push("(target_id = ? OR subject_id = ?)");
    }
    if filter.action.is_some() {
        push("(action = ? OR action LIKE ? ESCAPE '\\')");
    }
    if filter.since.is_some() {
        push("at >= ?");
    }
    if filter.until.is_some() {
        push("at < ?");
    }
    let where_clause = conditions.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM audit_events WHERE {where_clause}");
    let seq_param = next;
    let list_sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE {where_clause} AND (${seq_param} IS NULL OR seq < ${seq_param}) ORDER BY seq DESC LIMIT ${}",
        seq_param + 1
    );
    macro_rules! bind_filters {
        ($query:expr) => {{
            let mut q = $query.bind(org.as_uuid());
            if let Some(actor) = filter.actor {
                q = q.bind(actor.as_uuid());
            }
            if let Some(target) = filter.target {
                q = q.bind(target).bind(target);
            }
            if let Some(action) = &filter.action {
                // `_` and `%` in an action are literal characters, not wildcards.
                let escaped = action
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let family = if action.ends_with('.') {
                    format!("{escaped}%")
                } else {
                    escaped
                };
                q = q.bind(action.clone()).bind(family);
            }
            if let Some(since) = filter.since {
                q = q.bind(since);
            }
            if let Some(until) = filter.until {
                q = q.bind(until);
            }
            q
        }};
    }
    let total: i64 = on_conn!(store store, c => bind_filters!(sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.clone())))
        .fetch_one(c)
        .await)?;
    let rows: Vec<AuditRow> = on_conn!(store store, c => bind_filters!(sqlx::query_as(sqlx::AssertSqlSafe(list_sql.clone())))
        .bind(before_seq)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok((rows, total))
}

/// A user who performed audited changes, for the audit log's actor filter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActorRow {
    /// The user.
    pub id: Uuid,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Login.
    pub login: String,
}

/// The users of `org` (deleted ones included) who appear as the actor of at least one
/// audit event, by last and first name; at most `limit`.
pub async fn actors(store: &Store, org: OrgId, limit: i64) -> Result<Vec<ActorRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT u.id, u.first_name, u.last_name, u.display_name, u.login FROM users u \
         WHERE u.org_id = $1 AND EXISTS (SELECT 1 FROM audit_events e \
         WHERE e.org_id = $1 AND e.actor_id = u.id) \
         ORDER BY lower(u.last_name), lower(u.first_name), u.id LIMIT $2",
    )
    .bind(org.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// Every organization of the instance (id and sign-in handle), by handle: the chains
/// `muster audit verify` checks.
pub async fn organizations(store: &Store) -> Result<Vec<(Uuid, String)>> {
    Ok(
        on_conn!(store store, c => sqlx::query_as("SELECT id, slug FROM organizations ORDER BY slug")
        .fetch_all(c)
        .await)?,
    )
}

/// Test support: overwrites the `changes` of `org`'s event `seq`, as an attacker with
/// database access would.
#[doc(hidden)]
pub async fn tamper_changes_for_tests(
    store: &Store,
    org: OrgId,
    seq: i64,
    changes: &Value,
) -> Result<u64> {
    let mut tx = store.begin().await?;
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE audit_events SET changes = $3 WHERE org_id = $1 AND seq = $2",
    )
    .bind(org.as_uuid())
    .bind(seq)
    .bind(changes.to_string())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(rows)
}

/// Test support: removes `org`'s event `seq` (leaving the chain head as it was).
#[doc(hidden)]
pub async fn tamper_delete_for_tests(store: &Store, org: OrgId, seq: i64) -> Result<u64> {
    let mut tx = store.begin().await?;
    let rows = on_conn!(tx tx, c => sqlx::query(
        "DELETE FROM audit_events WHERE org_id = $1 AND seq = $2",
    )
    .bind(org.as_uuid())
    .bind(seq)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(rows)
}

/// Test support: swaps the sequence numbers of `org`'s events `a` and `b` (reordering
/// history).
#[doc(hidden)]
pub async fn tamper_swap_seq_for_tests(store: &Store, org: OrgId, a: i64, b: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    // Through a free number, since (org_id, seq) is unique.
    for (from, to) in [(a, -a), (b, a), (-a, b)] {
        on_conn!(tx tx, c => sqlx::query(
            "UPDATE audit_events SET seq = $3 WHERE org_id = $1 AND seq = $2",
        )
        .bind(org.as_uuid())
        .bind(from)
        .bind(to)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(())
}
