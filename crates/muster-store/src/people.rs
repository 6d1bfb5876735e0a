//! Users and their placements.

use chrono::NaiveDate;
use muster_domain::user::{DirectoryAccess, Login, LoginKind, Phone, UserStatus};
use muster_domain::{CommandGroupId, NodeId, OrgId, ReferenceItemId, RoleId, UserId};
use sqlx::types::Json;

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

/// How many users (of any status) an organization has.
pub async fn count_users(store: &Store, org: OrgId) -> Result<i64> {
    Ok(
        on_conn!(store store, c => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1")
        .bind(org.as_uuid())
        .fetch_one(c)
        .await)?,
    )
}
