//! Retention: removes what has served its purpose — ended sessions, old sign-in attempts,
//! old delivered or failed messages. The audit trail is never purged.
//!
//! Rows go in batches of [`BATCH`], each batch its own short transaction, so that a large
//! backlog never holds SQLite's single writer for long.

use serde::Serialize;

use crate::db::on_conn;
use crate::{DbTime, Result, Store};

/// Rows removed per transaction.
const BATCH: i64 = 5_000;

/// What to remove: everything that ended, or was recorded, before these times.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    /// Sessions revoked, idle-expired or past their absolute expiry before this.
    pub sessions_ended_before: DbTime,
    /// Sign-in attempts made before this.
    pub attempts_before: DbTime,
    /// Sent or failed messages queued before this (queued ones always stay).
    pub messages_before: DbTime,
}

/// How many rows of each kind were removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Sessions.
    pub sessions: u64,
    /// Sign-in attempts.
    pub login_attempts: u64,
    /// Outbox messages.
    pub messages: u64,
}

/// Removes what `cutoffs` names, batch by batch.
pub async fn purge(store: &Store, cutoffs: Cutoffs) -> Result<Purged> {
    let sessions = "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
         WHERE revoked_at < $1 OR idle_expires_at < $1 OR absolute_expires_at < $1 LIMIT $2)";
    let attempts = "DELETE FROM login_attempts WHERE id IN (SELECT id FROM login_attempts
         WHERE at < $1 LIMIT $2)";
    let messages = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
         WHERE status IN ('sent', 'failed') AND created_at < $1 LIMIT $2)";
    Ok(Purged {
        sessions: in_batches(store, sessions, cutoffs.sessions_ended_before).await?,
        login_attempts: in_batches(store, attempts, cutoffs.attempts_before).await?,
        messages: in_batches(store, messages, cutoffs.messages_before).await?,
    })
}

/// Runs `delete` (binding the cutoff and the batch size) until a batch comes back short.
async fn in_batches(store: &Store, delete: &'static str, cutoff: DbTime) -> Result<u64> {
    let mut total = 0;
    loop {
        let mut tx = store.begin().await?;
        let removed = on_conn!(tx tx, c => sqlx::query(delete)
            .bind(cutoff)
            .bind(BATCH)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        total += removed;
        if removed < u64::try_from(BATCH).unwrap_or(u64::MAX) {
            return Ok(total);
        }
    }
}
