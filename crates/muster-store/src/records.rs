//! Personnel records of every section (soft-deleted, versioned), and the one change a
//! record makes to its person: an applied promotion's rank and unit.

use chrono::NaiveDate;
use muster_domain::{OrgId, RecordId, UserId};
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A personnel record as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub user_id: Uuid,
    /// Section (wire name).
    pub section: String,
    /// Date.
    pub occurred_on: NaiveDate,
    /// Title.
    pub title: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Rating.
    pub rating: Option<i64>,
    /// Rank.
    pub rank_id: Option<Uuid>,
    /// Unit.
    pub unit_id: Option<Uuid>,
    /// Assignment type.
    pub assignment_type_id: Option<Uuid>,
    /// When a promotion was applied.
    pub applied_at: Option<DbTime>,
    /// Other system.
    pub external_system: Option<String>,
    /// Reference there.
    pub external_ref: Option<String>,
    /// Link.
    pub external_url: Option<String>,
    /// Author.
    pub author_id: Option<Uuid>,
    /// Last editor.
    pub updated_by_id: Option<Uuid>,
    /// Created.
    pub created_at: DbTime,
    /// Changed.
    pub updated_at: DbTime,
    /// Version.
    pub version: i64,
}

/// A record's content, new or updated.
#[derive(Debug)]
pub struct RecordFields<'a> {
    /// Date.
    pub date: NaiveDate,
    /// Title.
    pub title: Option<&'a str>,
    /// Category.
    pub category: Option<&'a str>,
    /// Notes.
    pub notes: Option<&'a str>,
    /// Last day.
    pub ends_on: Option<NaiveDate>,
    /// Rating.
    pub rating: Option<i64>,
    /// Rank.
    pub rank_id: Option<Uuid>,
    /// Unit.
    pub unit_id: Option<Uuid>,
    /// Assignment type.
    pub assignment_type_id: Option<Uuid>,
    /// When a promotion was applied.
    pub applied_at: Option<DbTime>,
    /// Other system.
    pub system: Option<&'a str>,
    /// Reference there.
    pub reference: Option<&'a str>,
    /// Link.
    pub url: Option<&'a str>,
}

const SELECT: &str = "SELECT id, user_id, section, occurred_on, title, category, notes, ends_on,
     rating, rank_id, unit_id, assignment_type_id, applied_at, external_system, external_ref,
     external_url, author_id, updated_by_id, created_at, updated_at, version
     FROM personnel_records";

const ONE: &str = " WHERE org_id = $1 AND user_id = $2 AND section = $3 AND id = $4
     AND deleted_at IS NULL";

/// The live record `id` of `user`'s `section`, read inside `tx`.
pub async fn get_tx(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    section: &str,
    id: RecordId,
) -> Result<Option<RecordRow>> {
    let sql = format!("{SELECT}{ONE}");
    Ok(
        on_conn!(tx tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(section)
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// The live record `id` of `user`'s `section`.
pub async fn get(
    store: &Store,
    org: OrgId,
    user: UserId,
    section: &str,
    id: RecordId,
) -> Result<Option<RecordRow>> {
    let sql = format!("{SELECT}{ONE}");
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(section)
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?,
    )
}

/// Live records of `user`'s `section`, newest first (date, then id, descending), after
/// the `(date, id)` key.
pub async fn list(
    store: &Store,
    org: OrgId,
    user: UserId,
    section: &str,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<RecordRow>> {
    let (date, id) = after.map_or((None, None), |(d, i)| (Some(d), Some(i)));
    let sql = format!(
        "{SELECT} WHERE org_id = $1 AND user_id = $2 AND section = $3 AND deleted_at IS NULL
           AND ($4 IS NULL OR occurred_on < $4 OR (occurred_on = $4 AND id < $5))
         ORDER BY occurred_on DESC, id DESC LIMIT $6"
    );
    Ok(
        on_conn!(store store, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(org.as_uuid())
        .bind(user.as_uuid())
        .bind(section)
        .bind(date)
        .bind(id)
        .bind(limit)
        .fetch_all(c)
        .await)?,
    )
}

/// How many live records `user`'s `section` holds.
pub async fn count(store: &Store, org: OrgId, user: UserId, section: &str) -> Result<i64> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM personnel_records
         WHERE org_id = $1 AND user_id = $2 AND section = $3 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(section)
    .fetch_one(c)
    .await)?)
}

/// Inserts a record written by `author`.
#[allow(clippy::too_many_arguments)] // One insert, spelled out.
pub async fn insert(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    section: &str,
    id: RecordId,
    fields: &RecordFields<'_>,
    author: Option<UserId>,
    now: DbTime,
) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO personnel_records (id, org_id, user_id, section, occurred_on, title,
             category, notes, ends_on, rating, rank_id, unit_id, assignment_type_id, applied_at,
             external_system, external_ref, external_url, author_id, updated_by_id, version,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $18, 1, $19, $19)",
    )
    .bind(id.as_uuid())
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(section)
    .bind(fields.date)
    .bind(fields.title)
    .bind(fields.category)
    .bind(fields.notes)
    .bind(fields.ends_on)
    .bind(fields.rating)
    .bind(fields.rank_id)
    .bind(fields.unit_id)
    .bind(fields.assignment_type_id)
    .bind(fields.applied_at)
    .bind(fields.system)
    .bind(fields.reference)
    .bind(fields.url)
    .bind(author.map(|a| a.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes `fields` if the record is still at `version`; returns whether it was.
#[allow(clippy::too_many_arguments)] // One update, spelled out.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    section: &str,
    id: RecordId,
    version: i64,
    fields: &RecordFields<'_>,
    editor: Option<UserId>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE personnel_records SET occurred_on = $6, title = $7, category = $8, notes = $9,
             ends_on = $10, rating = $11, rank_id = $12, unit_id = $13,
             assignment_type_id = $14, applied_at = $15, external_system = $16,
             external_ref = $17, external_url = $18, updated_by_id = $19, updated_at = $20,
             version = version + 1
         WHERE org_id = $1 AND user_id = $2 AND section = $3 AND id = $4 AND version = $5
           AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(section)
    .bind(id.as_uuid())
    .bind(version)
    .bind(fields.date)
    .bind(fields.title)
    .bind(fields.category)
    .bind(fields.notes)
    .bind(fields.ends_on)
    .bind(fields.rating)
    .bind(fields.rank_id)
    .bind(fields.unit_id)
    .bind(fields.assignment_type_id)
    .bind(fields.applied_at)
    .bind(fields.system)
    .bind(fields.reference)
    .bind(fields.url)
    .bind(editor.map(|a| a.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Soft-deletes the record if it is still at `version`; returns whether it was.
#[allow(clippy::too_many_arguments)] // The record's full address and who deletes it.
pub async fn soft_delete(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    section: &str,
    id: RecordId,
    version: i64,
    editor: Option<UserId>,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE personnel_records SET deleted_at = $6, updated_at = $6, updated_by_id = $7,
             version = version + 1
         WHERE org_id = $1 AND user_id = $2 AND section = $3 AND id = $4 AND version = $5
           AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(section)
    .bind(id.as_uuid())
    .bind(version)
    .bind(now)
    .bind(editor.map(|a| a.as_uuid()))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A person's current rank and unit, and their profile's version.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct RankAndUnit {
    /// Current rank.
    pub rank_id: Option<Uuid>,
    /// Current unit.
    pub unit_id: Option<Uuid>,
    /// The user's version.
    pub version: i64,
}

/// The current rank and unit of a live `user`, read inside `tx`.
pub async fn rank_and_unit(tx: &mut Tx, org: OrgId, user: UserId) -> Result<Option<RankAndUnit>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(
        "SELECT rank_id, unit_id, version FROM users
         WHERE org_id = $1 AND id = $2 AND status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .fetch_optional(c)
    .await)?)
}

/// Sets a user's current rank and unit (an applied promotion) if their profile is still
/// at `version`; returns whether it was.
pub async fn set_rank_and_unit(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    version: i64,
    (rank, unit): (Option<Uuid>, Option<Uuid>),
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET rank_id = $4, unit_id = $5, updated_at = $6, version = version + 1
         WHERE org_id = $1 AND id = $2 AND version = $3",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(version)
    .bind(rank)
    .bind(unit)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
