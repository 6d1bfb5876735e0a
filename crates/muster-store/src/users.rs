//! Users: profiles, logins (reserved forever), specialties, lifecycle and the user list.
//!
//! The user list is built from fixed SQL fragments chosen by the filter and sort, with
//! every value bound ([`Sql`]); it pages by keyset on the sort key plus the id, so each
//! page costs the same however deep it is.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use muster_domain::org::Address;
use muster_domain::user::{Phone, Preferences, SortOrder, User, UserFilter, UserSort};
use muster_domain::{OrgId, ReferenceItemId, UserId};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{Backend, DbTime, Result, Store, Tx};

/// Binds `$1`–`$37`: id, org and every profile column of a `User`, in the order of
/// [`insert`] and [`update`].
macro_rules! bind_profile {
    ($query:expr, $user:expr, $org:expr) => {{
        let u: &User = $user;
        $query
            .bind(u.id.as_uuid())
            .bind($org.as_uuid())
            .bind(u.login.clone())
            .bind(u.login.to_lowercase())
            .bind(u.first_name.clone())
            .bind(u.last_name.clone())
            .bind(u.display_name.clone())
            .bind(u.employee_number.clone())
            .bind(u.badge_number.clone())
            .bind(u.email.clone())
            .bind(Json(u.emails.clone()))
            .bind(Json(u.phones.clone()))
            .bind(u.address.clone().map(Json))
            .bind(u.title_id.map(|i| i.as_uuid()))
            .bind(u.title_designation.clone())
            .bind(u.rank_id.map(|i| i.as_uuid()))
            .bind(u.unit_id.map(|i| i.as_uuid()))
            .bind(u.hire_date)
            .bind(u.start_date)
            .bind(u.transfer_date)
            .bind(u.last_day)
            .bind(u.leave_reason.clone())
            .bind(u.separation_status_id.map(|i| i.as_uuid()))
            .bind(u.recruited_by_id.map(|i| i.as_uuid()))
            .bind(u.reports_to_id.map(|i| i.as_uuid()))
            .bind(u.payroll_id.clone())
            .bind(u.demographics.as_ref().and_then(|d| d.date_of_birth))
            .bind(u.demographics.as_ref().and_then(|d| d.gender.clone()))
            .bind(Json(
                u.demographics
                    .as_ref()
                    .map(|d| d.fields.clone())
                    .unwrap_or_default(),
            ))
            .bind(Json(u.preferences.clone()))
            .bind(u.directory_access.as_str())
            .bind(u.can_sms)
            .bind(u.login_kind.as_str())
            .bind(u.status.as_str())
            .bind(u.must_change_password)
            .bind(u.is_org_admin)
            .bind(u.command_group_id.map(|i| i.as_uuid()))
    }};
}

/// Binds every [`Arg`] of a [`Sql`] to a query, in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Uuid(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
                Arg::Time(v) => query.bind(*v),
                Arg::Int(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// A user as stored (never with the password or PIN hash, only whether one is set), with
/// the organization's address for the effective address.
#[derive(Debug, Clone, sqlx::FromRow)]
#[allow(clippy::struct_excessive_bools)] // A row mirrors the table's flag columns.
pub struct UserRow {
    /// Id.
    pub id: Uuid,
    /// Login as given.
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Employee number.
    pub employee_number: Option<String>,
    /// Badge number.
    pub badge_number: Option<String>,
    /// Primary email.
    pub email: Option<String>,
    /// Further emails.
    pub emails: Json<Vec<String>>,
    /// Phones.
    pub phones: Json<Vec<Phone>>,
    /// Own address.
    pub address: Option<Json<Address>>,
    /// Title.
    pub title_id: Option<Uuid>,
    /// Title designation.
    pub title_designation: Option<String>,
    /// Rank.
    pub rank_id: Option<Uuid>,
    /// Unit.
    pub unit_id: Option<Uuid>,
    /// Hire date.
    pub hire_date: Option<NaiveDate>,
    /// Start date.
    pub start_date: Option<NaiveDate>,
    /// Transfer date.
    pub transfer_date: Option<NaiveDate>,
    /// Last day.
    pub last_day: Option<NaiveDate>,
    /// Leave reason.
    pub leave_reason: Option<String>,
    /// Separation status.
    pub separation_status_id: Option<Uuid>,
    /// Recruited by.
    pub recruited_by_id: Option<Uuid>,
    /// Reports to.
    pub reports_to_id: Option<Uuid>,
    /// Payroll id.
    pub payroll_id: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Gender.
    pub gender: Option<String>,
    /// Org-defined demographic fields.
    pub demographics: Json<BTreeMap<String, Value>>,
    /// Preferences.
    pub preferences: Json<Preferences>,
    /// Directory access (wire name).
    pub directory_access: String,
    /// May send text messages.
    pub can_sms: bool,
    /// Login kind (wire name).
    pub login_kind: String,
    /// Status (wire name).
    pub status: String,
    /// Must change the password.
    pub must_change_password: bool,
    /// Organization administrator.
    pub is_org_admin: bool,
    /// Command group.
    pub command_group_id: Option<Uuid>,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DbTime,
    /// Last changed.
    pub updated_at: DbTime,
    /// Last sign-in.
    pub last_login_at: Option<DbTime>,
    /// Whether a password hash is set.
    pub has_password: bool,
    /// Whether a PIN hash is set.
    pub has_pin: bool,
    /// The organization's address.
    pub org_address: Json<Address>,
}

const SELECT: &str = "SELECT u.id, u.login, u.first_name, u.last_name, u.display_name,
        u.employee_number, u.badge_number, u.email, u.emails, u.phones, u.address, u.title_id,
        u.title_designation, u.rank_id, u.unit_id, u.hire_date, u.start_date, u.transfer_date,
        u.last_day, u.leave_reason, u.separation_status_id, u.recruited_by_id, u.reports_to_id,
        u.payroll_id, u.date_of_birth, u.gender, u.demographics, u.preferences,
        u.directory_access, u.can_sms, u.login_kind, u.status, u.must_change_password,
        u.is_org_admin, u.command_group_id, u.version, u.created_at, u.updated_at,
        u.last_login_at, (u.password_hash IS NOT NULL) AS has_password,
        (u.pin_hash IS NOT NULL) AS has_pin, o.address AS org_address
     FROM users u JOIN organizations o ON o.id = u.org_id
     WHERE u.org_id = $1 AND u.id = $2";

/// Whether `id` is an active organization administrator of `org`.
pub async fn is_active_org_admin(store: &Store, org: OrgId, id: UserId) -> Result<bool> {
    let found: Option<i32> = on_conn!(store store, c => sqlx::query_scalar(
        "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND is_org_admin AND status = 'active'",
    )
    .bind(org.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// The user `id` of `org`, whatever their status.
pub async fn get(store: &Store, org: OrgId, id: UserId) -> Result<Option<UserRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(SELECT)
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// The user `id` of `org`, whatever their status, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId, id: UserId) -> Result<Option<UserRow>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(SELECT)
        .bind(org.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(c)
        .await)?)
}

const SPECIALTIES: &str = "SELECT us.item_id FROM user_specialties us
     JOIN reference_items r ON r.id = us.item_id
     WHERE us.user_id = $1 AND r.deleted_at IS NULL
     ORDER BY r.position, lower(r.name), r.id";

/// The user's live specialties, in the reference list's order.
pub async fn specialties(store: &Store, user: UserId) -> Result<Vec<Uuid>> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(SPECIALTIES)
        .bind(user.as_uuid())
        .fetch_all(c)
        .await)?)
}

/// The user's live specialties, read inside `tx`.
pub async fn specialties_tx(tx: &mut Tx, user: UserId) -> Result<Vec<Uuid>> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(SPECIALTIES)
        .bind(user.as_uuid())
        .fetch_all(c)
        .await)?)
}

/// Replaces the user's specialties.
pub async fn set_specialties(tx: &mut Tx, user: UserId, items: &[ReferenceItemId]) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query("DELETE FROM user_specialties WHERE user_id = $1")
        .bind(user.as_uuid())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    for item in items {
        on_conn!(tx tx, c => sqlx::query(
            "INSERT INTO user_specialties (user_id, item_id) VALUES ($1, $2)",
        )
        .bind(user.as_uuid())
        .bind(item.as_uuid())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The organization's `settings` JSON.
pub async fn org_settings(store: &Store, org: OrgId) -> Result<Option<Value>> {
    let settings: Option<Json<Value>> = on_conn!(store store, c => sqlx::query_scalar(
        "SELECT settings FROM organizations WHERE id = $1",
    )
    .bind(org.as_uuid())
    .fetch_optional(c)
    .await)?;
    Ok(settings.map(|s| s.0))
}

/// The user who first used `normalized` as a login in `org`, if anyone ever did.
pub async fn login_owner(tx: &mut Tx, org: OrgId, normalized: &str) -> Result<Option<Uuid>> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT user_id FROM used_logins WHERE org_id = $1 AND login_normalized = $2",
    )
    .bind(org.as_uuid())
    .bind(normalized)
    .fetch_optional(c)
    .await)?)
}

/// Reserves `normalized` as a login of `user` forever.
pub async fn reserve_login(tx: &mut Tx, org: OrgId, user: UserId, normalized: &str) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "INSERT INTO used_logins (org_id, login_normalized, user_id) VALUES ($1, $2, $3)",
    )
    .bind(org.as_uuid())
    .bind(normalized)
    .bind(user.as_uuid())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The user (of any status) holding employee number `number` in `org`, if any.
pub async fn employee_number_owner(tx: &mut Tx, org: OrgId, number: &str) -> Result<Option<Uuid>> {
    Ok(on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT id FROM users WHERE org_id = $1 AND employee_number = $2",
    )
    .bind(org.as_uuid())
    .bind(number)
    .fetch_optional(c)
    .await)?)
}

/// Which of `ids` are live entries of reference list `list` of `org`.
pub async fn live_reference_items(
    tx: &mut Tx,
    org: OrgId,
    list: &str,
    ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(org, tx.backend());
    sql.push("SELECT id FROM reference_items WHERE org_id = $1 AND deleted_at IS NULL AND list = ");
    sql.arg(Arg::Text(list.to_owned()));
    sql.push(" AND id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(Arg::Uuid(*id));
    }
    sql.push(")");
    Ok(
        on_conn!(tx tx, c => bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.text.clone())), &sql.args)
        .fetch_all(c)
        .await)?,
    )
}

/// Whether `id` is a live command group of `org`.
pub async fn live_command_group(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM command_groups WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(org.as_uuid())
    .bind(id)
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Whether `id` is a user of `org` who is not deleted.
pub async fn live_user(tx: &mut Tx, org: OrgId, id: Uuid) -> Result<bool> {
    let found: Option<i32> = on_conn!(tx tx, c => sqlx::query_scalar(
        "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND status <> 'deleted'",
    )
    .bind(org.as_uuid())
    .bind(id)
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// What to do with a user's password and PIN hashes: `None` keeps one as it is,
/// `Some(None)` removes it, `Some(Some(phc))` sets it.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Argon2id PHC string of the password.
    pub password_hash: Option<Option<String>>,
    /// Argon2id PHC string of the PIN.
    pub pin_hash: Option<Option<String>>,
}

/// Inserts `user` (all of its profile columns but specialties and placements) and
/// reserves its login forever.
pub async fn insert(tx: &mut Tx, org: OrgId, user: &User, credentials: &Credentials) -> Result<()> {
    let password_hash = credentials.password_hash.clone().flatten();
    let pin_hash = credentials.pin_hash.clone().flatten();
    let now = DbTime::new(user.created_at);
    on_conn!(tx tx, c => bind_profile!(sqlx::query(
        "INSERT INTO users (id, org_id, login, login_normalized, first_name, last_name,
             display_name, employee_number, badge_number, email, emails, phones, address,
             title_id, title_designation, rank_id, unit_id, hire_date, start_date,
             transfer_date, last_day, leave_reason, separation_status_id, recruited_by_id,
             reports_to_id, payroll_id, date_of_birth, gender, demographics, preferences,
             directory_access, can_sms, login_kind, status, must_change_password,
             is_org_admin, command_group_id,
             password_hash, pin_hash, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33,
             $34, $35, $36, $37, $38, $39, 1, $40, $40)",
    ), user, org)
    .bind(password_hash)
    .bind(pin_hash)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    reserve_login(tx, org, user.id, &user.login.to_lowercase()).await
}

/// Inserts many users like [`insert`] (a few dozen per statement) and reserves their
/// logins forever.
pub async fn insert_many(tx: &mut Tx, org: OrgId, users: &[(&User, &Credentials)]) -> Result<()> {
    // SQLite binds slow down sharply with thousands of parameters in one statement;
    // a thousand or so per statement is as fast as it gets on both backends.
    for chunk in users.chunks(25) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let base = r * 40;
                let values: Vec<String> = (1..=39).map(|i| format!("${}", base + i)).collect();
                format!("({}, 1, ${n}, ${n})", values.join(", "), n = base + 40)
            })
            .collect();
        let sql = format!(
            "INSERT INTO users (id, org_id, login, login_normalized, first_name, last_name,
                 display_name, employee_number, badge_number, email, emails, phones, address,
                 title_id, title_designation, rank_id, unit_id, hire_date, start_date,
                 transfer_date, last_day, leave_reason, separation_status_id, recruited_by_id,
                 reports_to_id, payroll_id, date_of_birth, gender, demographics, preferences,
                 directory_access, can_sms, login_kind, status, must_change_password,
                 is_org_admin, command_group_id,
                 password_hash, pin_hash, version, created_at, updated_at)
             VALUES {}",
            rows.join(", ")
        );
        on_conn!(tx tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (user, credentials) in chunk {
                query = bind_profile!(query, user, org)
                    .bind(credentials.password_hash.clone().flatten())
                    .bind(credentials.pin_hash.clone().flatten())
                    .bind(DbTime::new(user.created_at));
            }
            query.execute(c).await.map(|r| r.rows_affected())
        })?;
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| format!("($1, ${}, ${})", r * 2 + 2, r * 2 + 3))
            .collect();
        let sql = format!(
            "INSERT INTO used_logins (org_id, login_normalized, user_id) VALUES {}",
            rows.join(", ")
        );
        on_conn!(tx tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(org.as_uuid());
            for (user, _) in chunk {
                query = query.bind(user.login.to_lowercase()).bind(user.id.as_uuid());
            }
            query.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Writes every profile column of `user` if it is still at `version` (bumping it);
/// returns whether it was. The login must already be reserved.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    user: &User,
    version: i64,
    credentials: &Credentials,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => bind_profile!(sqlx::query(
        "UPDATE users SET login = $3, login_normalized = $4, first_name = $5, last_name = $6,
             display_name = $7, employee_number = $8, badge_number = $9, email = $10,
             emails = $11, phones = $12, address = $13, title_id = $14,
             title_designation = $15, rank_id = $16, unit_id = $17, hire_date = $18,
             start_date = $19, transfer_date = $20, last_day = $21, leave_reason = $22,
             separation_status_id = $23, recruited_by_id = $24, reports_to_id = $25,
             payroll_id = $26, date_of_birth = $27, gender = $28, demographics = $29,
             preferences = $30, directory_access = $31, can_sms = $32, login_kind = $33,
             status = $34, must_change_password = $35, is_org_admin = $36,
             command_group_id = $37,
             password_hash = CASE WHEN $38 THEN $39 ELSE password_hash END,
             pin_hash = CASE WHEN $40 THEN $41 ELSE pin_hash END,
             updated_at = $42, version = version + 1
         WHERE id = $1 AND org_id = $2 AND version = $43",
    ), user, org)
    .bind(credentials.password_hash.is_some())
    .bind(credentials.password_hash.clone().flatten())
    .bind(credentials.pin_hash.is_some())
    .bind(credentials.pin_hash.clone().flatten())
    .bind(now)
    .bind(version)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Bumps the user's version (after a change to something of theirs, such as placements)
/// if it is still `version`; returns whether it was.
pub async fn bump_version(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    version: i64,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET version = version + 1, updated_at = $4
         WHERE org_id = $1 AND id = $2 AND version = $3",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(version)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Records a successful sign-in of `user` at `at`.
pub async fn record_sign_in(tx: &mut Tx, org: OrgId, user: UserId, at: DbTime) -> Result<()> {
    on_conn!(tx tx, c => sqlx::query(
        "UPDATE users SET last_login_at = $3 WHERE org_id = $1 AND id = $2",
    )
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(at)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A user as listed, with their default placement and the row's sort key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserListRow {
    /// Id.
    pub id: Uuid,
    /// Login.
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Primary email.
    pub email: Option<String>,
    /// Status (wire name).
    pub status: String,
    /// Login kind (wire name).
    pub login_kind: String,
    /// Phones.
    pub phones: Json<Vec<Phone>>,
    /// Last sign-in.
    pub last_login_at: Option<DbTime>,
    /// Created.
    pub created_at: DbTime,
    /// Default placement's node.
    pub default_node_id: Option<Uuid>,
    /// Its name.
    pub default_node_name: Option<String>,
    /// Default placement's role name.
    pub default_role_name: Option<String>,
    /// First text sort key, as the database computed it.
    pub k1: Option<String>,
    /// Second text sort key.
    pub k2: Option<String>,
}

/// Where a page of the user list continues: after the row with this sort key.
#[derive(Debug, Clone)]
pub enum After {
    /// Text sorts: the row's `k1`, `k2`… (as many as [`text_keys`] says) and id.
    Text(Vec<String>, Uuid),
    /// Time sorts: the row's time (`None`: never signed in) and id.
    Time(Option<DbTime>, Uuid),
}

/// The text sort key expressions of `sort`; empty for the time sorts.
#[must_use]
pub fn text_keys(sort: UserSort) -> &'static [&'static str] {
    match sort {
        UserSort::LastName => &["lower(u.last_name)", "lower(u.first_name)"],
        UserSort::FirstName => &["lower(u.first_name)", "lower(u.last_name)"],
        UserSort::Login => &["u.login_normalized"],
        UserSort::DefaultNode => &["COALESCE(lower(dn.name), '')"],
        UserSort::LastLoginAt | UserSort::CreatedAt => &[],
    }
}

const LIST_COLUMNS: &str = "SELECT u.id, u.login, u.first_name, u.last_name, u.display_name,
        u.email, u.status, u.login_kind, u.phones, u.last_login_at, u.created_at,
        dp.node_id AS default_node_id, dn.name AS default_node_name,
        dr.name AS default_role_name";

const DEFAULT_PLACEMENT_JOINS: &str = " FROM users u
     LEFT JOIN placements dp ON dp.user_id = u.id AND dp.is_default = TRUE
     LEFT JOIN nodes dn ON dn.id = dp.node_id
     LEFT JOIN roles dr ON dr.id = dp.role_id";

/// Whom a caller's lists may show (the access filter, applied inside the query): the
/// caller, users with a placement at `within` or below it, and members of `groups`.
/// `None` in the list functions means everyone.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The caller.
    pub own: Uuid,
    /// A node whose subtree's placements make users visible.
    pub within: Option<Uuid>,
    /// Command groups whose members are visible.
    pub groups: Vec<Uuid>,
    /// Nodes whose placed users are visible (the placement at the node itself).
    pub nodes: Vec<Uuid>,
}

/// From how many matches on, a page of a scoped list is found by walking the sort order
/// rather than by fetching the scope's users and sorting them (see [`list`]).
pub const WALK_FROM: i64 = 2_000;

/// One page of `org`'s users matching `filter`, in its order, after `after`. `matches` is
/// how many users the filter matches (exactly or about, see [`count`]): from
/// [`WALK_FROM`] on, the access filter checks the users met in sort order instead of
/// driving the query.
pub async fn list(
    store: &Store,
    org: OrgId,
    filter: &UserFilter,
    scope: Option<&Scope>,
    after: Option<&After>,
    limit: i64,
    matches: i64,
) -> Result<Vec<UserListRow>> {
    let trees = subtrees(store, org, filter, scope).await?;
    let mut sql = Sql::new(org, store.backend());
    sql.push(LIST_COLUMNS);
    let keys = text_keys(filter.sort);
    for (i, name) in ["k1", "k2"].iter().enumerate() {
        match keys.get(i) {
            Some(expr) => write!(sql.text, ", {expr} AS {name}"),
            None => write!(sql.text, ", CAST(NULL AS TEXT) AS {name}"),
        }
        .unwrap_or_default();
    }
    sql.push(DEFAULT_PLACEMENT_JOINS);
    filters(&mut sql, filter, &trees);
    scope_filter(&mut sql, scope, &trees, matches >= WALK_FROM);
    let (op, dir) = match filter.order {
        SortOrder::Asc => (">", "ASC"),
        SortOrder::Desc => ("<", "DESC"),
    };
    match after {
        Some(After::Text(values, id)) => {
            sql.push(" AND ");
            keyset(&mut sql, keys, values, *id, op);
        }
        Some(After::Time(at, id)) => {
            let column = time_column(filter.sort);
            // Users who never signed in come last in both directions.
            if let Some(at) = at {
                write!(sql.text, " AND ({column} IS NULL OR {column} {op} ").unwrap_or_default();
                let at_arg = sql.arg(Arg::Time(*at));
                write!(sql.text, " OR ({column} = {at_arg} AND u.id {op} ").unwrap_or_default();
                sql.arg(Arg::Uuid(*id));
                sql.push("))");
            } else {
                write!(sql.text, " AND ({column} IS NULL AND u.id {op} ").unwrap_or_default();
                sql.arg(Arg::Uuid(*id));
                sql.push(")");
            }
        }
        None => {}
    }
    sql.push(" ORDER BY ");
    if keys.is_empty() {
        write!(sql.text, "{} {dir} NULLS LAST, ", time_column(filter.sort)).unwrap_or_default();
    } else {
        for key in keys {
            write!(sql.text, "{key} {dir}, ").unwrap_or_default();
        }
    }
    write!(sql.text, "u.id {dir} LIMIT ").unwrap_or_default();
    sql.arg(Arg::Int(limit));
    Ok(
        on_conn!(store store, c => bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text.clone())), &sql.args)
        .fetch_all(c)
        .await)?,
    )
}

/// How many users a filter matches: exact up to a bound, an estimate above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// The number of users.
    pub count: i64,
    /// Whether `count` is an estimate (the exact count is above the bound).
    pub estimated: bool,
}

/// How many matches the estimate above the bound extrapolates from.
const ESTIMATE_SAMPLE: i64 = 1000;

/// How many of `org`'s users match `filter` within `scope`: counted exactly up to
/// `bound`, so that the count stops early on a large list. Above it, the count is
/// estimated from the first matches in creation order: if the first 1,000 matches were
/// created in the first tenth of the organization's history, about 10,000 match. The
/// estimate assumes matches are spread evenly over time; it is labelled as one.
pub async fn count(
    store: &Store,
    org: OrgId,
    filter: &UserFilter,
    scope: Option<&Scope>,
    bound: i64,
) -> Result<Total> {
    let trees = subtrees(store, org, filter, scope).await?;
    let exact = count_up_to(store, org, filter, scope, &trees, bound + 1, false)
        .await?
        .0;
    if exact <= bound {
        return Ok(Total {
            count: exact,
            estimated: false,
        });
    }
    let sample = ESTIMATE_SAMPLE.min(bound + 1);
    let (found, reached) = count_up_to(store, org, filter, scope, &trees, sample, true).await?;
    let (first, last): (Option<DbTime>, Option<DbTime>) = on_conn!(store store, c => sqlx::query_as(
        "SELECT (SELECT MIN(created_at) FROM users WHERE org_id = $1),
                (SELECT MAX(created_at) FROM users WHERE org_id = $1)",
    )
    .bind(org.as_uuid())
    .fetch_one(c)
    .await)?;
    let estimate = match (first, last, reached) {
        (Some(first), Some(last), Some(reached)) => {
            let span = (last.get() - first.get()).num_milliseconds();
            let covered = (reached.get() - first.get()).num_milliseconds().max(1);
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            // Counts and spans far below 2^52; the result is rounded anyway.
            let scaled = (found as f64 * span as f64 / covered as f64) as i64;
            round_estimate(scaled)
        }
        _ => exact,
    };
    Ok(Total {
        count: estimate.max(bound + 1),
        estimated: true,
    })
}

/// Rounds an estimate to two significant digits (48,213 becomes 48,000).
fn round_estimate(n: i64) -> i64 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    (n + unit / 2) / unit * unit
}

/// Counts the matches up to `limit`; `ordered`, in creation order, with the creation
/// time of the last one counted (the walk's users are many: see [`scope_filter`]).
async fn count_up_to(
    store: &Store,
    org: OrgId,
    filter: &UserFilter,
    scope: Option<&Scope>,
    trees: &Subtrees,
    limit: i64,
    ordered: bool,
) -> Result<(i64, Option<DbTime>)> {
    let mut sql = Sql::new(org, store.backend());
    sql.push("SELECT COUNT(*), MAX(t) FROM (SELECT u.created_at AS t");
    if filter.q.is_some() {
        sql.push(DEFAULT_PLACEMENT_JOINS);
    } else {
        sql.push(" FROM users u");
    }
    filters(&mut sql, filter, trees);
    scope_filter(&mut sql, scope, trees, ordered);
    sql.push(if ordered {
        " ORDER BY u.created_at, u.id LIMIT "
    } else {
        " LIMIT "
    });
    sql.arg(Arg::Int(limit));
    sql.push(") matches");
    Ok(
        on_conn!(store store, c => bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql.text.clone())), &sql.args)
        .fetch_one(c)
        .await)?,
    )
}

fn time_column(sort: UserSort) -> &'static str {
    if sort == UserSort::LastLoginAt {
        "u.last_login_at"
    } else {
        "u.created_at"
    }
}

/// The live nodes of the filter's subtree (`sub`) and of the scope's (`reach`), each node
/// and every live node below it, looked up before the list's queries so that these see
/// them as constants (the planners then know how many users they hold).
#[derive(Debug, Default)]
struct Subtrees {
    sub: Vec<Uuid>,
    reach: Vec<Uuid>,
}

async fn subtrees(
    store: &Store,
    org: OrgId,
    filter: &UserFilter,
    scope: Option<&Scope>,
) -> Result<Subtrees> {
    let mut trees = Subtrees::default();
    if let Some(node) = filter.node_id {
        trees.sub = subtree(store, org, node.as_uuid()).await?;
    }
    if let Some(node) = scope.and_then(|s| s.within) {
        trees.reach = subtree(store, org, node).await?;
    }
    Ok(trees)
}

/// `node` and every live node below it.
async fn subtree(store: &Store, org: OrgId, node: Uuid) -> Result<Vec<Uuid>> {
    Ok(on_conn!(store store, c => sqlx::query_scalar(
        "WITH RECURSIVE tree (id) AS (
             SELECT id FROM nodes WHERE org_id = $1 AND deleted_at IS NULL AND id = $2
             UNION
             SELECT n.id FROM nodes n JOIN tree ON n.parent_id = tree.id
             WHERE n.deleted_at IS NULL
         )
         SELECT id FROM tree",
    )
    .bind(org.as_uuid())
    .bind(node)
    .fetch_all(c)
    .await)?)
}

/// Appends `(a, b, …)`, the placeholders of `ids`.
fn push_list(sql: &mut Sql, ids: &[Uuid]) {
    sql.push("(");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(Arg::Uuid(*id));
    }
    sql.push(")");
}

/// The access filter: the caller, placements within the scope's subtree or at its nodes,
/// members of the scope's groups.
///
/// As one set (`u.id IN (… UNION ALL …)`) the scope can drive the query: fetch its users,
/// then sort them, which suits a small scope. With `walk` the query walks the sort order's
/// index instead and checks each user met against the scope, which finds a page of a large
/// scope sooner: on SQLite the set is kept from driving (`+u.id`) and checked in memory; on
/// PostgreSQL, which would build the whole set first, each user is probed (`EXISTS`).
fn scope_filter(sql: &mut Sql, scope: Option<&Scope>, trees: &Subtrees, walk: bool) {
    let Some(scope) = scope else { return };
    let sqlite = sql.backend == Backend::Sqlite;
    if walk && !sqlite {
        sql.push(" AND (u.id = ");
        sql.arg(Arg::Uuid(scope.own));
        for nodes in [&trees.reach, &scope.nodes] {
            if !nodes.is_empty() {
                sql.push(
                    " OR EXISTS (SELECT 1 FROM placements rp WHERE rp.user_id = u.id
                                 AND rp.node_id IN ",
                );
                push_list(sql, nodes);
                sql.push(")");
            }
        }
        if !scope.groups.is_empty() {
            sql.push(" OR u.command_group_id IN ");
            push_list(sql, &scope.groups);
        }
        sql.push(")");
        return;
    }
    let id = if walk { "+u.id" } else { "u.id" };
    write!(
        sql.text,
        " AND {id} IN (SELECT su.id FROM users su WHERE su.id = "
    )
    .unwrap_or_default();
    sql.arg(Arg::Uuid(scope.own));
    for nodes in [&trees.reach, &scope.nodes] {
        if !nodes.is_empty() {
            sql.push(" UNION ALL SELECT rp.user_id FROM placements rp WHERE rp.node_id IN ");
            push_list(sql, nodes);
        }
    }
    if !scope.groups.is_empty() {
        sql.push(
            " UNION ALL SELECT gu.id FROM users gu
              WHERE gu.org_id = $1 AND gu.command_group_id IN ",
        );
        push_list(sql, &scope.groups);
    }
    sql.push(")");
}

/// The `WHERE` clause of the filter (the default placement joins must be present when
/// the filter has a search text).
fn filters(sql: &mut Sql, filter: &UserFilter, trees: &Subtrees) {
    sql.push(" WHERE u.org_id = $1 AND u.status <> 'deleted' AND u.status IN (");
    let statuses: Vec<&str> = if filter.statuses.is_empty() {
        vec!["active"]
    } else {
        filter.statuses.iter().map(|s| s.as_str()).collect()
    };
    for (i, status) in statuses.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(Arg::Text((*status).to_owned()));
    }
    sql.push(")");
    if let Some(kind) = filter.login_kind {
        sql.push(" AND u.login_kind = ");
        sql.arg(Arg::Text(kind.as_str().to_owned()));
    }
    if filter.node_id.is_some() {
        if trees.sub.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND u.id IN (SELECT p.user_id FROM placements p WHERE p.node_id IN ");
            push_list(sql, &trees.sub);
            sql.push(")");
        }
    }
    if let Some(q) = &filter.q {
        search(sql, q);
    }
}

/// Search texts shorter than this match by prefix: a trigram index needs three characters.
pub const SUBSTRING_MIN: usize = 3;

/// The search condition. Three characters or more: a case-insensitive substring of
/// "first last", the display name, the login, the email or the employee number, found
/// through the trigram index (SQLite FTS5 `users_search`, PostgreSQL `pg_trgm` on
/// `search_text`), or of the default placement's node or role name. Shorter: a prefix of
/// one of these, compared on the indexed lower-case columns.
fn search(sql: &mut Sql, q: &str) {
    let lower = q.to_lowercase();
    let escaped = lower
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    if lower.chars().count() >= SUBSTRING_MIN {
        let p = sql.arg_name(Arg::Text(format!("%{escaped}%")));
        let names = format!(
            "SELECT sp.user_id FROM placements sp
             WHERE sp.is_default = TRUE
               AND sp.node_id IN (SELECT id FROM nodes WHERE org_id = $1
                                  AND lower(name) LIKE {p} ESCAPE '\\')
             UNION SELECT sr.user_id FROM placements sr
             WHERE sr.is_default = TRUE
               AND sr.role_id IN (SELECT id FROM roles WHERE org_id = $1
                                  AND lower(name) LIKE {p} ESCAPE '\\')"
        );
        match sql.backend {
            Backend::Sqlite => {
                // A quoted FTS5 phrase: the trigrams of `q`, consecutive.
                let phrase = format!("\"{}\"", lower.replace('"', "\"\""));
                let m = sql.arg_name(Arg::Text(phrase));
                write!(
                    sql.text,
                    " AND u.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH {m}
                         UNION SELECT su.rowid FROM users su WHERE su.id IN ({names}))"
                )
            }
            Backend::Postgres => write!(
                sql.text,
                " AND u.id IN (SELECT id FROM users WHERE org_id = $1
                                 AND search_text LIKE {p} ESCAPE '\\'
                               UNION {names})"
            ),
        }
        .unwrap_or_default();
    } else {
        // [prefix, prefix + U+10FFFF): every text starting with the prefix, as a range
        // an index on the column answers.
        let lo = sql.arg_name(Arg::Text(lower.clone()));
        let hi = sql.arg_name(Arg::Text(format!("{lower}\u{10FFFF}")));
        sql.push(" AND (");
        for (i, column) in [
            "lower(u.last_name)",
            "lower(u.first_name)",
            "lower(u.display_name)",
            "u.login_normalized",
            "lower(u.email)",
            "lower(u.employee_number)",
            "lower(dn.name)",
            "lower(dr.name)",
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                sql.push(" OR ");
            }
            write!(sql.text, "({column} >= {lo} AND {column} < {hi})").unwrap_or_default();
        }
        sql.push(")");
    }
}

/// `(k1 op v1 OR (k1 = v1 AND (k2 op v2 OR (k2 = v2 AND u.id op id))))`.
fn keyset(sql: &mut Sql, keys: &[&str], values: &[String], id: Uuid, op: &str) {
    let mut closing = String::new();
    for (key, value) in keys.iter().zip(values) {
        let v = sql.arg_name(Arg::Text(value.clone()));
        write!(sql.text, "({key} {op} {v} OR ({key} = {v} AND ").unwrap_or_default();
        closing.push_str("))");
    }
    write!(sql.text, "u.id {op} ").unwrap_or_default();
    sql.arg(Arg::Uuid(id));
    sql.push(&closing);
}

/// A value bound to a dynamically assembled statement.
#[derive(Debug, Clone)]
enum Arg {
    Uuid(Uuid),
    Text(String),
    Time(DbTime),
    Int(i64),
}

/// A statement assembled from fixed fragments; values are only ever bound. `$1` is
/// always the organization.
#[derive(Debug)]
struct Sql {
    text: String,
    args: Vec<Arg>,
    backend: Backend,
}

impl Sql {
    fn new(org: OrgId, backend: Backend) -> Self {
        Self {
            text: String::new(),
            args: vec![Arg::Uuid(org.as_uuid())],
            backend,
        }
    }

    fn push(&mut self, fragment: &str) {
        self.text.push_str(fragment);
    }

    /// Appends a placeholder for `arg` and returns it.
    fn arg(&mut self, arg: Arg) -> String {
        let name = self.arg_name(arg);
        self.text.push_str(&name);
        name
    }

    /// Allocates a placeholder for `arg` without appending it.
    fn arg_name(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}
