//! Organization settings: sign-in lockout, password policy, what employees may change on
//! their own profile, the employee files module, and the organization's address.
//!
//! Every setting has a default, so an organization that never saved its settings (or saved
//! them before a setting existed) reads the defaults.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::org::Address;

/// The profile fields an organization may let employees change themselves, in the order the
/// API lists them.
pub const SELF_SERVICE_FIELDS: &[&str] = &[
    "display_name",
    "email",
    "emails",
    "phones",
    "address",
    "emergency_contacts",
    "photo",
    "preferences",
    "directory_access",
    "can_sms",
];

/// The self-service fields of an organization that has not chosen its own.
pub const DEFAULT_SELF_SERVICE_FIELDS: &[&str] = &[
    "phones",
    "address",
    "emergency_contacts",
    "photo",
    "preferences",
];

/// Consecutive failed sign-ins before a user is banned, unless the organization chose.
pub const DEFAULT_LOCKOUT_THRESHOLD: i64 = 5;
/// Accepted range of `lockout_threshold`.
pub const LOCKOUT_THRESHOLD_RANGE: std::ops::RangeInclusive<i64> = 1..=100;
/// Accepted range of `lockout_release_minutes` (one week at most).
pub const LOCKOUT_RELEASE_MINUTES_RANGE: std::ops::RangeInclusive<i64> = 1..=10_080;
/// Shortest password accepted, unless the organization chose.
pub const DEFAULT_PASSWORD_MIN_LENGTH: i64 = 10;
/// Accepted range of `password_min_length`.
pub const PASSWORD_MIN_LENGTH_RANGE: std::ops::RangeInclusive<i64> = 8..=128;

/// Largest employee file accepted, unless the organization chose (10 MiB).
pub const DEFAULT_MAX_FILE_BYTES: i64 = 10 * 1024 * 1024;
/// Accepted range of `files_module.max_file_bytes` (1 KiB to 1 GiB; the server's
/// `upload_max_bytes` caps it further).
pub const MAX_FILE_BYTES_RANGE: std::ops::RangeInclusive<i64> = 1024..=1024 * 1024 * 1024;

fn default_max_file_bytes() -> i64 {
    DEFAULT_MAX_FILE_BYTES
}

/// The employee files module's switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FilesModule {
    /// Whether the module is on at all.
    pub enabled: bool,
    /// Whether employees can see their own files.
    pub employees_see_own: bool,
    /// Whether employees can upload, replace and delete their own files.
    pub employees_update_own: bool,
    /// Largest file accepted, in bytes (1024 to 1073741824; default 10 MiB). The server's
    /// `upload_max_bytes` configuration caps it.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: i64,
}

impl Default for FilesModule {
    fn default() -> Self {
        Self {
            enabled: true,
            employees_see_own: true,
            employees_update_own: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Where users created through SCIM without a placement of their own are placed: a node
/// and a role assignable at its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScimProvisioning {
    /// The node new users are placed at.
    #[schema(value_type = uuid::Uuid)]
    pub node_id: crate::NodeId,
    /// The role they hold there.
    #[schema(value_type = uuid::Uuid)]
    pub role_id: crate::RoleId,
}

/// `GET /settings`: the organization's settings, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// Consecutive failed sign-ins after which a user is banned (1–100).
    pub lockout_threshold: i64,
    /// Minutes after which a user banned by failed sign-ins is released automatically
    /// (1–10080); `null`: never, an administrator un-bans.
    pub lockout_release_minutes: Option<i64>,
    /// Shortest password accepted (8–128).
    pub password_min_length: i64,
    /// The profile fields employees may change themselves (a subset of
    /// `display_name`, `email`, `emails`, `phones`, `address`, `emergency_contacts`, `photo`,
    /// `preferences`, `directory_access`, `can_sms`).
    pub self_service_fields: Vec<String>,
    /// The employee files module.
    pub files_module: FilesModule,
    /// The organization's postal address (users and nodes without their own use it).
    pub address: Address,
    /// Where users provisioned through SCIM (`/scim/v2/Users`) are placed; `null`: SCIM
    /// cannot create users.
    pub scim_provisioning: Option<ScimProvisioning>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

impl Settings {
    /// The settings of an organization that never chose any, with its `address`.
    #[must_use]
    pub fn defaults(address: Address, version: i64) -> Self {
        Self {
            lockout_threshold: DEFAULT_LOCKOUT_THRESHOLD,
            lockout_release_minutes: None,
            password_min_length: DEFAULT_PASSWORD_MIN_LENGTH,
            self_service_fields: DEFAULT_SELF_SERVICE_FIELDS
                .iter()
                .map(|&f| f.to_owned())
                .collect(),
            files_module: FilesModule::default(),
            address,
            scim_provisioning: None,
            version,
        }
    }

    /// Whether employees may change `field` of their own profile.
    #[must_use]
    pub fn allows_self_service(&self, field: &str) -> bool {
        self.self_service_fields.iter().any(|f| f == field)
    }
}

/// `files_module` in `PATCH /settings`: only the switches given change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesModulePatch {
    /// Turn the module on or off.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = bool)]
    pub enabled: Option<Option<bool>>,
    /// Let employees see their own files.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = bool)]
    pub employees_see_own: Option<Option<bool>>,
    /// Let employees update their own files.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = bool)]
    pub employees_update_own: Option<Option<bool>>,
    /// New largest file size in bytes.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = i64)]
    pub max_file_bytes: Option<Option<i64>>,
}

/// `address` in `PATCH /settings`: only the parts given change; `null` clears a part.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressPatch {
    /// Street and number.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub street: Option<Option<String>>,
    /// Apartment, suite, building.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub street2: Option<Option<String>>,
    /// City or town.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    /// State, province or region.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub region: Option<Option<String>>,
    /// Postal or ZIP code.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub postal_code: Option<Option<String>>,
    /// Country (ISO 3166-1 alpha-2 preferred).
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
}

/// `PATCH /settings` (JSON merge patch): absent fields stay unchanged. Only
/// `lockout_release_minutes` and the parts of `address` may be `null` (cleared); `address:
/// null` clears the whole address.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// New lockout threshold.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = i64)]
    pub lockout_threshold: Option<Option<i64>>,
    /// New automatic release delay; `null`: never release automatically.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<i64>)]
    pub lockout_release_minutes: Option<Option<i64>>,
    /// New shortest password length.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = i64)]
    pub password_min_length: Option<Option<i64>>,
    /// The new self-service fields (replaces the whole list).
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Vec<String>)]
    pub self_service_fields: Option<Option<Vec<String>>>,
    /// Switches of the files module to change.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = FilesModulePatch)]
    pub files_module: Option<Option<FilesModulePatch>>,
    /// Parts of the address to change; `null` clears the address.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<AddressPatch>)]
    pub address: Option<Option<AddressPatch>>,
    /// Where users provisioned through SCIM are placed; `null` stops SCIM from creating
    /// users.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<ScimProvisioning>)]
    pub scim_provisioning: Option<Option<ScimProvisioning>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_subset_of_the_self_service_fields() {
        assert!(
            DEFAULT_SELF_SERVICE_FIELDS
                .iter()
                .all(|f| SELF_SERVICE_FIELDS.contains(f))
        );
        let settings = Settings::defaults(Address::default(), 1);
        assert!(settings.allows_self_service("phones"));
        assert!(!settings.allows_self_service("email"));
    }

    #[test]
    fn a_patch_tells_null_from_absent() {
        let patch: SettingsPatch = serde_json::from_str(
            r#"{"lockout_release_minutes": null, "files_module": {"enabled": false}}"#,
        )
        .unwrap();
        assert_eq!(patch.lockout_release_minutes, Some(None));
        assert_eq!(patch.lockout_threshold, None);
        let files = patch.files_module.flatten().unwrap();
        assert_eq!(files.enabled, Some(Some(false)));
        assert_eq!(files.employees_see_own, None);
    }
}
