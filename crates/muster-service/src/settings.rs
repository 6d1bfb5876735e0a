//! Organization settings: read them (defaults filled in) and change them with a JSON merge
//! patch.
//!
//! The settings live in the organization's `settings` JSON object, one key per setting;
//! a key never written reads as its default, and keys this module does not know (written
//! by a later version) are kept as they are. The address is the organization's own.

use muster_domain::ValidationErrors;
use muster_domain::org::Address;
use muster_domain::settings::{
    AddressPatch, FilesModule, FilesModulePatch, LOCKOUT_RELEASE_MINUTES_RANGE,
    LOCKOUT_THRESHOLD_RANGE, MAX_FILE_BYTES_RANGE, PASSWORD_MIN_LENGTH_RANGE, SELF_SERVICE_FIELDS,
    ScimProvisioning, Settings, SettingsPatch,
};
use muster_store::settings::{self as store_settings, SettingsRow};
use muster_store::{Store, Tx};
use muster_store::{nodes as store_nodes, people};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::{Ctx, Result, ServiceError, authz};
use muster_domain::access::Capability;

/// Longest part of an address accepted.
const ADDRESS_PART_MAX: usize = 200;

/// Reads one key of the stored object; a key that is absent or unreadable reads as
/// `None` (its default applies) without affecting the others.
fn key<T: serde::de::DeserializeOwned>(object: &Map<String, Value>, name: &str) -> Option<T> {
    object
        .get(name)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn from_row(row: SettingsRow) -> Settings {
    let object = row.settings.0.as_object().cloned().unwrap_or_default();
    let defaults = Settings::defaults(row.address.0, row.version);
    Settings {
        lockout_threshold: key(&object, "lockout_threshold").unwrap_or(defaults.lockout_threshold),
        lockout_release_minutes: key(&object, "lockout_release_minutes"),
        password_min_length: key(&object, "password_min_length")
            .unwrap_or(defaults.password_min_length),
        self_service_fields: key(&object, "self_service_fields")
            .unwrap_or(defaults.self_service_fields),
        files_module: key(&object, "files_module").unwrap_or(defaults.files_module),
        address: defaults.address,
        scim_provisioning: key(&object, "scim_provisioning"),
        version: defaults.version,
    }
}

fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The stored object for `settings`: `previous` with this module's keys replaced.
fn to_stored(previous: &Value, settings: &Settings) -> Value {
    let mut object = previous.as_object().cloned().unwrap_or_default();
    for (name, value) in [
        ("lockout_threshold", json(&settings.lockout_threshold)),
        (
            "lockout_release_minutes",
            json(&settings.lockout_release_minutes),
        ),
        ("password_min_length", json(&settings.password_min_length)),
        ("self_service_fields", json(&settings.self_service_fields)),
        ("files_module", json(&settings.files_module)),
        ("scim_provisioning", json(&settings.scim_provisioning)),
    ] {
        object.insert(name.to_owned(), value);
    }
    Value::Object(object)
}

/// The organization's settings, defaults filled in.
pub async fn get(store: &Store, ctx: &Ctx) -> Result<Settings> {
    store_settings::get(store, ctx.org)
        .await?
        .map(from_row)
        .ok_or(ServiceError::NotFound("organization"))
}

/// The organization's settings, read inside `tx` (for use cases that depend on them, such
/// as the password policy).
pub async fn get_in(tx: &mut Tx, ctx: &Ctx) -> Result<Settings> {
    store_settings::get_tx(tx, ctx.org)
        .await?
        .map(from_row)
        .ok_or(ServiceError::NotFound("organization"))
}

/// `value`, or a "must not be null" error on `field` when the patch set it to `null`.
#[allow(clippy::option_option)] // A merge patch's field: absent, null, or a value.
fn not_null<T>(errors: &mut ValidationErrors, field: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(None) => {
            errors.push(field, "must not be null");
            None
        }
        Some(Some(v)) => Some(v),
        None => None,
    }
}

fn in_range(
    errors: &mut ValidationErrors,
    field: &str,
    value: i64,
    range: &std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    if range.contains(&value) {
        Some(value)
    } else {
        errors.push(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        );
        None
    }
}

/// Checks a self-service field list and puts it in the canonical order.
fn self_service_fields(errors: &mut ValidationErrors, fields: &[String]) -> Option<Vec<String>> {
    let mut ok = true;
    for (i, field) in fields.iter().enumerate() {
        if !SELF_SERVICE_FIELDS.contains(&field.as_str()) {
            errors.push(
                "self_service_fields",
                format!(
                    "{field:?} is not a self-service field; use: {}",
                    SELF_SERVICE_FIELDS.join(", ")
                ),
            );
            ok = false;
        } else if fields[..i].contains(field) {
            errors.push("self_service_fields", format!("{field:?} is listed twice"));
            ok = false;
        }
    }
    ok.then(|| {
        SELF_SERVICE_FIELDS
            .iter()
            .filter(|known| fields.iter().any(|f| f == *known))
            .map(|&f| f.to_owned())
            .collect()
    })
}

fn files_module(
    errors: &mut ValidationErrors,
    current: FilesModule,
    patch: &FilesModulePatch,
) -> FilesModule {
    let mut switch = |name: &str, value: Option<Option<bool>>, current: bool| {
        not_null(errors, &format!("files_module.{name}"), value).unwrap_or(current)
    };
    FilesModule {
        enabled: switch("enabled", patch.enabled, current.enabled),
        employees_see_own: switch(
            "employees_see_own",
            patch.employees_see_own,
            current.employees_see_own,
        ),
        employees_update_own: switch(
            "employees_update_own",
            patch.employees_update_own,
            current.employees_update_own,
        ),
        max_file_bytes: not_null(errors, "files_module.max_file_bytes", patch.max_file_bytes)
            .and_then(|v| {
                in_range(
                    errors,
                    "files_module.max_file_bytes",
                    v,
                    &MAX_FILE_BYTES_RANGE,
                )
            })
            .unwrap_or(current.max_file_bytes),
    }
}

fn address(errors: &mut ValidationErrors, current: &Address, patch: AddressPatch) -> Address {
    let mut part = |name: &str, value: Option<Option<String>>, current: &Option<String>| match value
    {
        None => current.clone(),
        Some(None) => None,
        Some(Some(raw)) => {
            let text = raw.trim();
            if text.is_empty() {
                None
            } else if text.chars().count() > ADDRESS_PART_MAX {
                errors.push(
                    format!("address.{name}"),
                    format!("must be at most {ADDRESS_PART_MAX} characters"),
                );
                None
            } else if text.chars().any(char::is_control) {
                errors.push(
                    format!("address.{name}"),
                    "must not contain control characters",
                );
                None
            } else {
                Some(text.to_owned())
            }
        }
    };
    Address {
        street: part("street", patch.street, &current.street),
        street2: part("street2", patch.street2, &current.street2),
        city: part("city", patch.city, &current.city),
        region: part("region", patch.region, &current.region),
        postal_code: part("postal_code", patch.postal_code, &current.postal_code),
        country: part("country", patch.country, &current.country),
    }
}

/// Applies `patch` to `current`, collecting every invalid field.
fn apply(current: &Settings, patch: SettingsPatch) -> Result<Settings, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut next = current.clone();
    if let Some(v) = not_null(&mut errors, "lockout_threshold", patch.lockout_threshold)
        && let Some(v) = in_range(
            &mut errors,
            "lockout_threshold",
            v,
            &LOCKOUT_THRESHOLD_RANGE,
        )
    {
        next.lockout_threshold = v;
    }
    match patch.lockout_release_minutes {
        None => {}
        Some(None) => next.lockout_release_minutes = None,
        Some(Some(v)) => {
            if let Some(v) = in_range(
                &mut errors,
                "lockout_release_minutes",
                v,
                &LOCKOUT_RELEASE_MINUTES_RANGE,
            ) {
                next.lockout_release_minutes = Some(v);
            }
        }
    }
    if let Some(v) = not_null(
        &mut errors,
        "password_min_length",
        patch.password_min_length,
    ) && let Some(v) = in_range(
        &mut errors,
        "password_min_length",
        v,
        &PASSWORD_MIN_LENGTH_RANGE,
    ) {
        next.password_min_length = v;
    }
    if let Some(fields) = not_null(
        &mut errors,
        "self_service_fields",
        patch.self_service_fields,
    ) && let Some(fields) = self_service_fields(&mut errors, &fields)
    {
        next.self_service_fields = fields;
    }
    if let Some(files) = not_null(&mut errors, "files_module", patch.files_module) {
        next.files_module = files_module(&mut errors, current.files_module, &files);
    }
    match patch.address {
        None => {}
        Some(None) => next.address = Address::default(),
        Some(Some(parts)) => next.address = address(&mut errors, &current.address, parts),
    }
    if let Some(provisioning) = patch.scim_provisioning {
        next.scim_provisioning = provisioning;
    }
    errors.into_result().map(|()| next)
}

/// The settings as the audit trail records them: nested objects flattened to dotted keys
/// (`files_module.enabled`, `address.city`), so that a change names the exact switch.
fn flattened(settings: &Settings) -> Map<String, Value> {
    fn walk(prefix: &str, value: Value, out: &mut Map<String, Value>) {
        match value {
            Value::Object(object) => {
                for (k, v) in object {
                    let name = if prefix.is_empty() {
                        k
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&name, v, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other);
            }
        }
    }
    let mut out = Map::new();
    walk("", json(settings), &mut out);
    out
}

/// Checks that SCIM provisioning names a live node and a live role assignable there.
async fn check_provisioning(tx: &mut Tx, ctx: &Ctx, p: ScimProvisioning) -> Result<()> {
    if store_nodes::get_tx(tx, ctx.org, p.node_id).await?.is_none() {
        return Err(ValidationErrors::single("scim_provisioning.node_id", "no such node").into());
    }
    match people::role_assignable_at(tx, ctx.org, p.role_id, p.node_id).await? {
        None => Err(ValidationErrors::single("scim_provisioning.role_id", "no such role").into()),
        Some(false) => Err(ServiceError::conflict(
            "scim_provisioning.role_id",
            "the role is not assignable at nodes of this kind",
        )),
        Some(true) => Ok(()),
    }
}

/// Changes the organization's settings (JSON merge patch: absent fields stay unchanged).
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    if_match: Option<i64>,
    patch: SettingsPatch,
) -> Result<Settings> {
    authz::require_org_wide(ctx, Capability::OrgManage)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let row = store_settings::get_tx(&mut tx, ctx.org)
        .await?
        .ok_or(ServiceError::NotFound("organization"))?;
    let stored = row.settings.0.clone();
    let before = from_row(row);
    check_version(if_match, before.version, "settings")?;
    let after = apply(&before, patch)?;
    if after == before {
        return Ok(before);
    }
    if let Some(p) = after.scim_provisioning
        && after.scim_provisioning != before.scim_provisioning
    {
        check_provisioning(&mut tx, ctx, p).await?;
    }
    let written = store_settings::update(
        &mut tx,
        ctx.org,
        before.version,
        &to_stored(&stored, &after),
        &after.address,
        ctx.now,
    )
    .await?;
    if !written {
        return Err(ServiceError::Stale("settings"));
    }
    let after = get_in(&mut tx, ctx).await?;
    audit::record(
        &mut tx,
        ctx,
        "settings.update",
        Target::object("settings", ctx.org),
        &Changes::diff(&flattened(&before), &flattened(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn defaults() -> Settings {
        Settings::defaults(Address::default(), 1)
    }

    fn patch(value: Value) -> SettingsPatch {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_partial_files_module_patch_keeps_the_other_switches() {
        let next = apply(
            &defaults(),
            patch(json!({"files_module": {"employees_update_own": true}})),
        )
        .unwrap();
        assert_eq!(
            next.files_module,
            FilesModule {
                enabled: true,
                employees_see_own: true,
                employees_update_own: true,
                max_file_bytes: muster_domain::settings::DEFAULT_MAX_FILE_BYTES,
            }
        );
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let errors = apply(
            &defaults(),
            patch(json!({
                "lockout_threshold": 0,
                "lockout_release_minutes": 10_081,
                "password_min_length": 7,
                "self_service_fields": ["phones", "salary", "phones"],
                "files_module": {"enabled": null},
            })),
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lockout_threshold",
                "lockout_release_minutes",
                "password_min_length",
                "self_service_fields",
                "self_service_fields",
                "files_module.enabled",
            ]
        );
    }

    #[test]
    fn self_service_fields_take_the_canonical_order() {
        let next = apply(
            &defaults(),
            patch(json!({"self_service_fields": ["photo", "display_name"]})),
        )
        .unwrap();
        assert_eq!(next.self_service_fields, ["display_name", "photo"]);
    }

    #[test]
    fn unknown_stored_keys_survive_a_write() {
        let stored = to_stored(&json!({"theme": "dark"}), &defaults());
        assert_eq!(stored["theme"], "dark");
        assert_eq!(stored["lockout_threshold"], 5);
    }

    #[test]
    fn audit_changes_name_nested_switches() {
        let mut after = defaults();
        after.files_module.enabled = false;
        after.address.city = Some("Bay City".into());
        let changes =
            serde_json::to_value(Changes::diff(&flattened(&defaults()), &flattened(&after)))
                .unwrap();
        assert_eq!(
            changes,
            json!({
                "files_module.enabled": {"before": true, "after": false},
                "address.city": {"before": null, "after": "Bay City"},
            })
        );
    }
}
