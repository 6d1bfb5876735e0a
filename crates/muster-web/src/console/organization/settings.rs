//! Organization settings (`/console/settings`): sign-in lockout, password policy, the
//! fields employees may change themselves, the employee files module and the
//! organization's address. Read and saved through `muster_service::settings`, the
//! functions behind `GET`/`PATCH /api/v1/settings`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::access::Capability;
use muster_domain::org::Address;
use muster_domain::settings::{
    AddressPatch, FilesModulePatch, SELF_SERVICE_FIELDS, Settings, SettingsPatch,
};
use muster_service::settings;

use super::{FormFields, Refusal, refuse_unless_org_wide};
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, redirect_with, service_page};

/// The address parts, as (form name, label, autocomplete).
const ADDRESS_PARTS: [(&str, &str, &str); 6] = [
    ("street", "Street and number", "address-line1"),
    ("street2", "Suite, building", "address-line2"),
    ("city", "City", "address-level2"),
    ("region", "State or region", "address-level1"),
    ("postal_code", "Postal code", "postal-code"),
    ("country", "Country", "country"),
];

/// How the console names a self-service field, and what it covers.
fn field_label(field: &str) -> (&'static str, &'static str) {
    match field {
        "display_name" => (
            "Display name",
            "The name shown instead of first and last name.",
        ),
        "email" => (
            "Primary email",
            "Where notifications and password resets go.",
        ),
        "emails" => ("Other email addresses", ""),
        "phones" => (
            "Phone numbers",
            "Including the mobile carrier and the private flag.",
        ),
        "address" => ("Home address", ""),
        "emergency_contacts" => ("Emergency contacts", ""),
        "photo" => ("Photo", ""),
        "preferences" => (
            "Preferences",
            "Landing page, email reminders, notification subscriptions.",
        ),
        "directory_access" => ("Directory access", "Whom they see in the staff directory."),
        "can_sms" => ("Texting other users", ""),
        _ => ("", ""),
    }
}

/// A checkbox of the self-service group.
struct Choice {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    checked: bool,
}

/// An address input.
struct Part {
    key: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    value: String,
}

impl Part {
    /// The form field's name.
    fn field(&self) -> String {
        format!("address.{}", self.key)
    }
}

/// The form's values: the stored settings, or what was submitted.
struct Values {
    version: i64,
    lockout_threshold: String,
    lockout_release_minutes: String,
    password_min_length: String,
    self_service: Vec<Choice>,
    files_enabled: bool,
    files_see_own: bool,
    files_update_own: bool,
    /// Largest file, in whole MiB (as typed when refused).
    max_file_mib: String,
    address: Vec<Part>,
}

impl Values {
    fn of(s: &Settings) -> Self {
        let address = |key: &str| -> String {
            let a: &Address = &s.address;
            match key {
                "street" => a.street.clone(),
                "street2" => a.street2.clone(),
                "city" => a.city.clone(),
                "region" => a.region.clone(),
                "postal_code" => a.postal_code.clone(),
                _ => a.country.clone(),
            }
            .unwrap_or_default()
        };
        Self {
            version: s.version,
            lockout_threshold: s.lockout_threshold.to_string(),
            lockout_release_minutes: s
                .lockout_release_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            password_min_length: s.password_min_length.to_string(),
            self_service: choices(|f| s.allows_self_service(f)),
            files_enabled: s.files_module.enabled,
            files_see_own: s.files_module.employees_see_own,
            files_update_own: s.files_module.employees_update_own,
            max_file_mib: (s.files_module.max_file_bytes / MIB).to_string(),
            address: parts(address),
        }
    }

    fn submitted(form: &FormFields, version: i64) -> Self {
        let ticked = form.all("self_service");
        Self {
            version,
            lockout_threshold: form.text("lockout_threshold"),
            lockout_release_minutes: form.text("lockout_release_minutes"),
            password_min_length: form.text("password_min_length"),
            self_service: choices(|f| ticked.iter().any(|t| t == f)),
            files_enabled: form.has("files_enabled"),
            files_see_own: form.has("files_see_own"),
            files_update_own: form.has("files_update_own"),
            max_file_mib: form.text("max_file_mib"),
            address: parts(|key| form.text(&format!("address.{key}"))),
        }
    }
}

fn choices(checked: impl Fn(&str) -> bool) -> Vec<Choice> {
    SELF_SERVICE_FIELDS
        .iter()
        .map(|&key| {
            let (label, hint) = field_label(key);
            Choice {
                key,
                label,
                hint,
                checked: checked(key),
            }
        })
        .collect()
}

fn parts(value: impl Fn(&str) -> String) -> Vec<Part> {
    ADDRESS_PARTS
        .iter()
        .map(|&(key, label, autocomplete)| Part {
            key,
            label,
            autocomplete,
            value: value(key),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    values: Values,
    errors: FieldErrors,
    alert: Option<String>,
}

/// `GET /console/settings`.
pub(crate) async fn page(State(state): State<AppState>, console: Console) -> Response {
    if let Some(refused) = refuse_unless_org_wide(&console.ctx, Capability::OrgManage) {
        return refused;
    }
    match settings::get(&state.store, &console.ctx).await {
        Ok(current) => SettingsPage {
            chrome: console.chrome.page("settings", "Settings"),
            values: Values::of(&current),
            errors: FieldErrors::default(),
            alert: None,
        }
        .into_response(),
        Err(error) => service_page(error),
    }
}

/// A whole number typed in a form, or an error on `field`.
fn number(form: &FormFields, field: &str, errors: &mut FieldErrors) -> Option<i64> {
    let raw = form.text(field);
    if raw.is_empty() {
        errors.push(field, "enter a number");
        return None;
    }
    raw.parse().map_or_else(
        |_| {
            errors.push(field, "enter a whole number");
            None
        },
        Some,
    )
}

/// Bytes in a MiB: the form asks for the file size limit in MiB.
const MIB: i64 = 1024 * 1024;

/// `POST /console/settings`: saves the whole form as one change (`PATCH
/// /api/v1/settings`), against the version it was read at.
pub(crate) async fn save(
    State(state): State<AppState>,
    console: Console,
    form: FormFields,
) -> Response {
    let mut errors = FieldErrors::default();
    let lockout_threshold = number(&form, "lockout_threshold", &mut errors);
    let release_raw = form.text("lockout_release_minutes");
    let lockout_release_minutes = if release_raw.is_empty() {
        Some(None)
    } else {
        number(&form, "lockout_release_minutes", &mut errors).map(Some)
    };
    let password_min_length = number(&form, "password_min_length", &mut errors);
    // Left empty (or not on the form), the limit stays as it is.
    let max_file_bytes = if form.text("max_file_mib").is_empty() {
        None
    } else {
        number(&form, "max_file_mib", &mut errors).map(|mib| Some(mib.saturating_mul(MIB)))
    };
    let part = |key: &str| {
        let text = form.text(&format!("address.{key}"));
        Some((!text.is_empty()).then_some(text))
    };
    let version = form.version();
    let again = |errors: FieldErrors, alert: Option<String>, status: StatusCode| {
        (
            status,
            SettingsPage {
                chrome: console.chrome.clone().page("settings", "Settings"),
                values: Values::submitted(&form, version.unwrap_or_default()),
                errors,
                alert,
            },
        )
            .into_response()
    };
    if !errors.is_empty() {
        return again(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let patch = SettingsPatch {
        lockout_threshold: Some(lockout_threshold),
        lockout_release_minutes,
        password_min_length: Some(password_min_length),
        self_service_fields: Some(Some(form.all("self_service"))),
        files_module: Some(Some(FilesModulePatch {
            enabled: Some(Some(form.has("files_enabled"))),
            employees_see_own: Some(Some(form.has("files_see_own"))),
            employees_update_own: Some(Some(form.has("files_update_own"))),
            max_file_bytes,
        })),
        scim_provisioning: None,
        address: Some(Some(AddressPatch {
            street: part("street"),
            street2: part("street2"),
            city: part("city"),
            region: part("region"),
            postal_code: part("postal_code"),
            country: part("country"),
        })),
    };
    match settings::update(&state.store, &console.ctx, version, patch).await {
        Ok(_) => redirect_with("/console/settings", "success", "Settings saved."),
        Err(error) => {
            let refusal = Refusal::of(error, &|f| match f {
                "files_module.enabled" => "files_enabled".to_owned(),
                "files_module.employees_see_own" => "files_see_own".to_owned(),
                "files_module.employees_update_own" => "files_update_own".to_owned(),
                "files_module.max_file_bytes" => "max_file_mib".to_owned(),
                "self_service_fields" => "self_service".to_owned(),
                other => other.to_owned(),
            });
            let status = refusal.status();
            again(refusal.errors, refusal.alert, status)
        }
    }
}
