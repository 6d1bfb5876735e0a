//! What the access engine needs to know about people: status, sign-in kind, command
//! group, directory access and placements of every user who is not deleted; and the
//! organization's change counter.

use chrono::NaiveDate;
use muster_domain::OrgId;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{Result, Store};

/// One user as the access engine sees them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessUserRow {
    /// Id.
    pub id: Uuid,
    /// Status.
    pub status: String,
    /// Login kind.
    pub login_kind: String,
    /// Organization administrator.
    pub is_org_admin: bool,
    /// Command group.
    pub command_group_id: Option<Uuid>,
    /// Directory access.
    pub directory_access: String,
}

/// One placement as the access engine sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessPlacementRow {
    /// The placed user.
    pub user_id: Uuid,
    /// Where.
    pub node_id: Uuid,
    /// With which role.
    pub role_id: Uuid,
    /// Default placement.
    pub is_default: bool,
    /// First day in force.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force.
    pub ends_on: Option<NaiveDate>,
}

/// Every user of `org` who is not deleted.
pub async fn users(store: &Store, org: OrgId) -> Result<Vec<AccessUserRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT id, status, login_kind, is_org_admin, command_group_id, directory_access
         FROM users WHERE org_id = $1 AND status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// Every placement of `org`'s users who are not deleted.
pub async fn placements(store: &Store, org: OrgId) -> Result<Vec<AccessPlacementRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT p.user_id, p.node_id, p.role_id, p.is_default, p.starts_on, p.ends_on
         FROM placements p JOIN users u ON u.id = p.user_id
         WHERE p.org_id = $1 AND u.status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .fetch_all(c)
    .await)?)
}

/// What one change was about, as its audit event says.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRow {
    /// The event's sequence number.
    pub seq: i64,
    /// The kind of object changed (`user`, `placement`, `node`, …).
    pub target_kind: String,
    /// The person concerned, if any.
    pub subject_id: Option<Uuid>,
}

/// The changes of `org` after sequence number `after` up to `upto`, oldest first; at most
/// `limit` of them.
pub async fn changes_between(
    store: &Store,
    org: OrgId,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<ChangeRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT seq, target_kind, subject_id FROM audit_events
         WHERE org_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
    )
    .bind(org.as_uuid())
    .bind(after)
    .bind(upto)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// `IN ($2, $3, …)` for `n` values after the organization.
fn id_list(n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The users of `org` among `ids` who are not deleted.
pub async fn users_among(store: &Store, org: OrgId, ids: &[Uuid]) -> Result<Vec<AccessUserRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, status, login_kind, is_org_admin, command_group_id, directory_access
         FROM users WHERE org_id = $1 AND status <> 'deleted' AND id IN ({})",
        id_list(ids.len())
    );
    Ok(on_conn!(store store, c => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org.as_uuid());
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(c).await
    })?)
}

/// The names of the users of `org` among `ids` (deleted ones too: the name of who once
/// held access stays readable), as (id, display name or "first last").
pub async fn names_among(store: &Store, org: OrgId, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, COALESCE(NULLIF(display_name, ''), first_name || ' ' || last_name)
         FROM users WHERE org_id = $1 AND id IN ({})",
        id_list(ids.len())
    );
    Ok(on_conn!(store store, c => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org.as_uuid());
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(c).await
    })?)
}

/// The placements of the users of `org` among `ids`.
pub async fn placements_among(
    store: &Store,
    org: OrgId,
    ids: &[Uuid],
) -> Result<Vec<AccessPlacementRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT user_id, node_id, role_id, is_default, starts_on, ends_on
         FROM placements WHERE org_id = $1 AND user_id IN ({})",
        id_list(ids.len())
    );
    Ok(on_conn!(store store, c => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org.as_uuid());
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(c).await
    })?)
}

/// `org`'s change counter: the sequence number of its newest audit event. Every change
/// writes one in its own transaction, so a different number means the organization
/// changed — whichever process (server, CLI, another node) made the change.
pub async fn change_counter(store: &Store, org: OrgId) -> Result<i64> {
    let seq: Option<i64> = on_conn!(store store, c => sqlx::query_scalar(
        "SELECT seq FROM audit_heads WHERE org_id = $1",
    )
    .bind(org.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(seq.unwrap_or(0))
}

/// The user of `org` whose login (in any case) is `login`, if not deleted.
pub async fn user_by_login(store: &Store, org: OrgId, login: &str) -> Result<Option<Uuid>> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT id FROM users WHERE org_id = $1 AND login_normalized = lower($2) AND status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .bind(login)
    .fetch_optional(c)
    .await)?)
}

/// The live nodes of `org` named `name` (in any case).
pub async fn nodes_named(store: &Store, org: OrgId, name: &str) -> Result<Vec<Uuid>> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT id FROM nodes WHERE org_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(name)
    .fetch_all(c)
    .await)?)
}
