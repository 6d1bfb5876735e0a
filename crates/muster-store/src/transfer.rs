//! Reads for moving users in and out in bulk (CSV import and export): which of many
//! logins or employee numbers are taken, and the users of an organization page by page
//! in id order with their placements. Pages are keyset ranges of the primary keys, so an
//! export of a million users reads each row once and holds one page in memory.

use chrono::NaiveDate;
use muster_domain::OrgId;
use uuid::Uuid;

use crate::db::on_conn;
use crate::{Result, Store};

/// `$first, $first+1, …` placeholders for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which of `normalized` (lowercase logins) are or were used in `org`.
pub async fn used_logins_among(
    store: &Store,
    org: OrgId,
    normalized: &[String],
) -> Result<Vec<String>> {
    if normalized.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT login_normalized FROM used_logins WHERE org_id = $1 AND login_normalized IN ({})",
        placeholders(2, normalized.len())
    );
    Ok(on_conn!(store store, c => {
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(org.as_uuid());
        for login in normalized {
            query = query.bind(login.clone());
        }
        query.fetch_all(c).await
    })?)
}

/// Which of `numbers` are employee numbers of users of `org` (of any status).
pub async fn employee_numbers_among(
    store: &Store,
    org: OrgId,
    numbers: &[String],
) -> Result<Vec<String>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT employee_number FROM users WHERE org_id = $1 AND employee_number IN ({})",
        placeholders(2, numbers.len())
    );
    Ok(on_conn!(store store, c => {
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(org.as_uuid());
        for number in numbers {
            query = query.bind(number.clone());
        }
        query.fetch_all(c).await
    })?)
}

/// One user as exported: the columns of the CSV file.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportUserRow {
    /// Id (the page key; not exported).
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
    /// Employee number.
    pub employee_number: Option<String>,
    /// Badge number.
    pub badge_number: Option<String>,
    /// Payroll identifier.
    pub payroll_id: Option<String>,
    /// Title designation.
    pub title_designation: Option<String>,
    /// Hire date.
    pub hire_date: Option<NaiveDate>,
    /// Start date.
    pub start_date: Option<NaiveDate>,
    /// Login kind.
    pub login_kind: String,
    /// Status.
    pub status: String,
}

/// Up to `limit` users of `org` who are not deleted, in id order, after `after`.
pub async fn users_page(
    store: &Store,
    org: OrgId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ExportUserRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT id, login, first_name, last_name, display_name, email, employee_number,
                badge_number, payroll_id, title_designation, hire_date, start_date,
                login_kind, status
         FROM users
         WHERE org_id = $1 AND status <> 'deleted' AND ($2 IS NULL OR id > $2)
         ORDER BY id LIMIT $3",
    )
    .bind(org.as_uuid())
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

/// One placement as exported.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportPlacementRow {
    /// The placed user.
    pub user_id: Uuid,
    /// Where.
    pub node_id: Uuid,
    /// With which role.
    pub role_id: Uuid,
    /// Default placement.
    pub is_default: bool,
}

/// The placements of `org`'s users whose ids lie in `first..=last`, by user (the default
/// first).
pub async fn placements_between(
    store: &Store,
    org: OrgId,
    first: Uuid,
    last: Uuid,
) -> Result<Vec<ExportPlacementRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(
        "SELECT user_id, node_id, role_id, is_default FROM placements
         WHERE org_id = $1 AND user_id >= $2 AND user_id <= $3
         ORDER BY user_id, is_default DESC, node_id",
    )
    .bind(org.as_uuid())
    .bind(first)
    .bind(last)
    .fetch_all(c)
    .await)?)
}
