//! Users and their placements.

use chrono::NaiveDate;
use muster_domain::user::{DirectoryAccess, Login, LoginKind, Phone, UserStatus};
use muster_domain::{CommandGroupId, NodeId, OrgId, ReferenceItemId, RoleId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// A new user row. Fields not listed start empty.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// Its id.
    pub id: UserId,
    /// Its organization.
    pub org: OrgId,
    /// Login, unique per organization.
    pub login: &'a Login,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Employee number.
    pub employee_number: Option<&'a str>,
    /// Badge number.
    pub badge_number: Option<&'a str>,
    /// Primary email.
    pub email: Option<&'a str>,
    /// Phone numbers.
    pub phones: &'a [Phone],
    /// Title (reference list entry).
    pub title: Option<ReferenceItemId>,
    /// Rank (reference list entry).
    pub rank: Option<ReferenceItemId>,
    /// Unit (reference list entry).
    pub unit: Option<ReferenceItemId>,
    /// Hire date.
    pub hire_date: Option<NaiveDate>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Gender.
    pub gender: Option<&'a str>,
    /// How they sign in.
    pub login_kind: LoginKind,
    /// Lifecycle status.
    pub status: UserStatus,
    /// Argon2id PHC string, if a password is set.
    pub password_hash: Option<&'a str>,
    /// Must change the password at next sign-in.
    pub must_change_password: bool,
    /// Organization administrator.
    pub is_org_admin: bool,
    /// Command group.
    pub command_group: Option<CommandGroupId>,
    /// Directory access.
    pub directory_access: DirectoryAccess,
    /// Creation time.
    pub now: DbTime,
}

/// Whether `login` was ever used in the organization (logins are never reused).
pub async fn login_used(tx: &mut Tx, org: OrgId, login: &Login) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM used_logins WHERE org_id = $1 AND login_normalized = $2",
    )
    .bind(org.as_uuid())
    .bind(login.normalized())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Inserts a user and reserves their login forever.
pub async fn insert_user(tx: &mut Tx, user: &NewUser<'_>) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO users (id, org_id, login, login_normalized, first_name, last_name,
             employee_number, badge_number, email, phones, title_id, rank_id, unit_id,
             hire_date, date_of_birth, gender, login_kind, status, password_hash,
             must_change_password, is_org_admin, command_group_id, directory_access,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22, $23, $24, $24)",
    )
    .bind(user.id.as_uuid())
    .bind(user.org.as_uuid())
    .bind(user.login.as_str())
    .bind(user.login.normalized())
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(user.employee_number)
    .bind(user.badge_number)
    .bind(user.email)
    .bind(Json(user.phones))
    .bind(user.title.map(|t| t.as_uuid()))
    .bind(user.rank.map(|r| r.as_uuid()))
    .bind(user.unit.map(|u| u.as_uuid()))
    .bind(user.hire_date)
    .bind(user.date_of_birth)
    .bind(user.gender)
    .bind(user.login_kind.as_str())
    .bind(user.status.as_str())
    .bind(user.password_hash)
    .bind(user.must_change_password)
    .bind(user.is_org_admin)
    .bind(user.command_group.map(|g| g.as_uuid()))
    .bind(user.directory_access.as_str())
    .bind(user.now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO used_logins (org_id, login_normalized, user_id) VALUES ($1, $2, $3)",
    )
    .bind(user.org.as_uuid())
    .bind(user.login.normalized())
    .bind(user.id.as_uuid())
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A new placement: `user` holds `role` at `node`.
#[derive(Debug)]
pub struct NewPlacement {
    /// Organization.
    pub org: OrgId,
    /// The placed user.
    pub user: UserId,
    /// Where.
    pub node: NodeId,
    /// With which role.
    pub role: RoleId,
    /// Whether it is the user's default placement.
    pub is_default: bool,
    /// First day in force, if bounded.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force, if bounded.
    pub ends_on: Option<NaiveDate>,
    /// Creation time.
    pub now: DbTime,
}

/// Inserts a placement.
pub async fn insert_placement(tx: &mut Tx, p: &NewPlacement) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO placements (org_id, user_id, node_id, role_id, is_default, starts_on, ends_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.org.as_uuid())
    .bind(p.user.as_uuid())
    .bind(p.node.as_uuid())
    .bind(p.role.as_uuid())
    .bind(p.is_default)
    .bind(p.starts_on)
    .bind(p.ends_on)
    .bind(p.now)
    .execute(c)
    .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Inserts many placements, [`BULK_ROWS`] per statement.
pub async fn insert_placements(tx: &mut Tx, placements: &[NewPlacement]) -> Result<()> {
    for chunk in placements.chunks(BULK_ROWS) {
        let sql = values_sql(
            "INSERT INTO placements (org_id, user_id, node_id, role_id, is_default, starts_on,
                 ends_on, created_at) VALUES",
            8,
            chunk.len(),
        );
        on_conn!(tx tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for p in chunk {
                query = query
                    .bind(p.org.as_uuid())
                    .bind(p.user.as_uuid())
                    .bind(p.node.as_uuid())
                    .bind(p.role.as_uuid())
                    .bind(p.is_default)
                    .bind(p.starts_on)
                    .bind(p.ends_on)
                    .bind(p.now);
            }
            query.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// How many users (of any status) an organization has.
pub async fn count_users(store: &Store, org: OrgId) -> Result<i64> {
    Ok(
        on_conn!(store store, c => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1")
        .bind(org.as_uuid())
        .fetch_one(c)
        .await)?,
    )
}

/// A placement as shown, with its node's and role's names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlacementRow {
    /// The placed user.
    pub user_id: Uuid,
    /// Where.
    pub node_id: Uuid,
    /// The node's name.
    pub node_name: String,
    /// With which role.
    pub role_id: Uuid,
    /// The role's name.
    pub role_name: String,
    /// Whether it is the user's default placement.
    pub is_default: bool,
    /// First day in force.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force.
    pub ends_on: Option<NaiveDate>,
}

const PLACEMENTS: &str = "SELECT p.user_id, p.node_id, n.name AS node_name, p.role_id,
        r.name AS role_name, p.is_default, p.starts_on, p.ends_on
     FROM placements p
     JOIN nodes n ON n.id = p.node_id
     JOIN roles r ON r.id = p.role_id
     WHERE p.user_id = $1
     ORDER BY p.is_default DESC, lower(n.name), p.node_id";

/// The placements of `user`, the default first, then by node name.
pub async fn placements(store: &Store, user: UserId) -> Result<Vec<PlacementRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(PLACEMENTS)
        .bind(user.as_uuid())
        .fetch_all(c)
        .await)?)
}

/// The placements of `user`, read inside `tx`.
pub async fn placements_tx(tx: &mut Tx, user: UserId) -> Result<Vec<PlacementRow>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(PLACEMENTS)
        .bind(user.as_uuid())
        .fetch_all(c)
        .await)?)
}

/// Whether `role` may be given at `node`: `None` when the role is not a live role of
/// `org`, otherwise whether its `assignable_at` includes the node's kind.
pub async fn role_assignable_at(
    tx: &mut Tx,
    org: OrgId,
    role: RoleId,
    node: NodeId,
) -> Result<Option<bool>> {
    let assignable: Option<i64> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM role_node_kinds rk JOIN nodes n ON n.kind_id = rk.kind_id
                 WHERE rk.role_id = r.id AND n.id = $3)
         FROM roles r WHERE r.org_id = $1 AND r.id = $2 AND r.deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(role.as_uuid())
    .bind(node.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(assignable.map(|n| n > 0))
}

/// The new state of a placement.
#[derive(Debug)]
pub struct PlacementUpdate {
    /// Where it is now.
    pub node: NodeId,
    /// Role.
    pub role: RoleId,
    /// First day in force.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force.
    pub ends_on: Option<NaiveDate>,
}

/// Rewrites `user`'s placement at `node` (possibly moving it to another node).
pub async fn update_placement(
    tx: &mut Tx,
    user: UserId,
    node: NodeId,
    update: &PlacementUpdate,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE placements SET node_id = $3, role_id = $4, starts_on = $5, ends_on = $6
         WHERE user_id = $1 AND node_id = $2",
    )
    .bind(user.as_uuid())
    .bind(node.as_uuid())
    .bind(update.node.as_uuid())
    .bind(update.role.as_uuid())
    .bind(update.starts_on)
    .bind(update.ends_on)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Removes `user`'s placement at `node`.
pub async fn delete_placement(tx: &mut Tx, user: UserId, node: NodeId) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "DELETE FROM placements WHERE user_id = $1 AND node_id = $2",
    )
    .bind(user.as_uuid())
    .bind(node.as_uuid())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Makes `user`'s placement at `node` the default and every other one not.
pub async fn set_default_placement(tx: &mut Tx, user: UserId, node: NodeId) -> Result<bool> {
    // INVARIANT: at most one default per user (a unique index); clear before setting.
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE placements SET is_default = $2 WHERE user_id = $1 AND is_default = $3",
    )
    .bind(user.as_uuid())
    .bind(false)
    .bind(true)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE placements SET is_default = $3 WHERE user_id = $1 AND node_id = $2",
    )
    .bind(user.as_uuid())
    .bind(node.as_uuid())
    .bind(true)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Rows per statement of the bulk inserts. Small on purpose: SQLite looks up each bound
/// value's `$N` name in a list, so binding costs grow with the square of the values per
/// statement (500 rows of 26 values spent two thirds of a load there); 20 rows keep that
/// negligible and the statements few.
pub const BULK_ROWS: usize = 20;

/// `INSERT INTO … VALUES ($1, …), (…), …` for `rows` rows of `columns` values.
fn values_sql(head: &str, columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * columns * 6);
    sql.push_str(head);
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { " (" } else { ", (" });
        for column in 0..columns {
            n += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql
}

/// Inserts up to [`BULK_ROWS`] users with one statement each for the users and their
/// reserved logins: what [`insert_user`] does for one user, for many (the generated test
/// organizations of `muster dev seed`). Each user comes with their last sign-in.
pub async fn insert_users_bulk(tx: &mut Tx, users: &[(NewUser<'_>, Option<DbTime>)]) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let sql = values_sql(
        "INSERT INTO users (id, org_id, login, login_normalized, first_name, last_name,
             employee_number, badge_number, email, phones, title_id, rank_id, unit_id,
             hire_date, date_of_birth, gender, login_kind, status, password_hash,
             must_change_password, is_org_admin, command_group_id, directory_access,
             created_at, updated_at, last_login_at) VALUES",
        26,
        users.len(),
    );
    on_conn!(tx tx, c => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for (user, last_login_at) in users {
            query = query
                .bind(user.id.as_uuid())
                .bind(user.org.as_uuid())
                .bind(user.login.as_str())
                .bind(user.login.normalized())
                .bind(user.first_name)
                .bind(user.last_name)
                .bind(user.employee_number)
                .bind(user.badge_number)
                .bind(user.email)
                .bind(Json(user.phones))
                .bind(user.title.map(|t| t.as_uuid()))
                .bind(user.rank.map(|r| r.as_uuid()))
                .bind(user.unit.map(|u| u.as_uuid()))
                .bind(user.hire_date)
                .bind(user.date_of_birth)
                .bind(user.gender)
                .bind(user.login_kind.as_str())
                .bind(user.status.as_str())
                .bind(user.password_hash)
                .bind(user.must_change_password)
                .bind(user.is_org_admin)
                .bind(user.command_group.map(|g| g.as_uuid()))
                .bind(user.directory_access.as_str())
                .bind(user.now)
                .bind(user.now)
                .bind(*last_login_at);
        }
        query.execute(c).await.map(|r| r.rows_affected())
    })?;
    let sql = values_sql(
        "INSERT INTO used_logins (org_id, login_normalized, user_id) VALUES",
        3,
        users.len(),
    );
    on_conn!(tx tx, c => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for (user, _) in users {
            query = query
                .bind(user.org.as_uuid())
                .bind(user.login.normalized())
                .bind(user.id.as_uuid());
        }
        query.execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Readies the transaction's connection for a bulk load: on SQLite, a page cache large
/// enough (1 GiB at most, allocated as used) to hold the indexes the load writes all over.
pub async fn prepare_bulk_load(tx: &mut Tx) -> Result<()> {
    if tx.backend() == crate::Backend::Sqlite {
        on_conn!(tx tx, c => sqlx::query("PRAGMA cache_size = -1048576")
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Refreshes the query planner's statistics (after a bulk load); on SQLite from a sample
/// of each index, so that it takes a moment however large the tables.
pub async fn analyze(tx: &mut Tx) -> Result<()> {
    if tx.backend() == crate::Backend::Sqlite {
        on_conn!(tx tx, c => sqlx::query("PRAGMA analysis_limit = 1000")
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    on_conn!(tx tx, c => sqlx::query("ANALYZE").execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
