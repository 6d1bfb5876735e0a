//! Organization settings: the `settings` JSON object, the `address` and the `version` of
//! the organization's row.

use muster_domain::OrgId;
use muster_domain::org::Address;
use serde_json::Value;
use sqlx::types::Json;

use crate::db::on_conn;
use crate::{DbTime, Result, Store, Tx};

/// An organization's settings as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    /// The settings object; keys never written are absent (their defaults apply).
    pub settings: Json<Value>,
    /// The organization's address.
    pub address: Json<Address>,
    /// The organization's version.
    pub version: i64,
}

const SELECT: &str = "SELECT settings, address, version FROM organizations WHERE id = $1";

/// The settings of `org`.
pub async fn get(store: &Store, org: OrgId) -> Result<Option<SettingsRow>> {
    Ok(on_conn!(store store, c => sqlx::query_as(SELECT)
        .bind(org.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// The settings of `org`, read inside `tx`.
pub async fn get_tx(tx: &mut Tx, org: OrgId) -> Result<Option<SettingsRow>> {
    Ok(on_conn!(tx tx, c => sqlx::query_as(SELECT)
        .bind(org.as_uuid())
        .fetch_optional(c)
        .await)?)
}

/// Writes the settings object and the address if the organization is still at `version`;
/// returns whether it was.
pub async fn update(
    tx: &mut Tx,
    org: OrgId,
    version: i64,
    settings: &Value,
    address: &Address,
    now: DbTime,
) -> Result<bool> {
    let rows = on_conn!(tx tx, c => sqlx::query(
        "UPDATE organizations SET settings = $3, address = $4, updated_at = $5,
             version = version + 1
         WHERE id = $1 AND version = $2",
    )
    .bind(org.as_uuid())
    .bind(version)
    .bind(Json(settings))
    .bind(Json(address))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
