//! What belongs to a person besides their profile: emergency contacts and barcodes, and the
//! rules for the values they carry (email addresses, phone numbers, barcodes).
//!
//! The checks live here, not in the service, so that the console's inline messages and the
//! API's problem documents name the same fields with the same words.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ContactId;
use crate::org::Address;
use crate::user::Phone;
use crate::validation::{FieldError, ValidationErrors, text};

/// Longest contact name accepted.
pub const CONTACT_NAME_MAX: usize = 100;
/// Longest relationship ("Spouse", "Brother-in-law") accepted.
pub const RELATIONSHIP_MAX: usize = 100;
/// Lowest (most urgent) contact priority.
pub const PRIORITY_MIN: i64 = 1;
/// Highest (least urgent) contact priority.
pub const PRIORITY_MAX: i64 = 99;
/// Longest email address accepted (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest phone number accepted.
pub const PHONE_NUMBER_MAX: usize = 40;
/// Longest mobile carrier name accepted.
pub const CARRIER_MAX: usize = 100;
/// The kinds of phone number.
pub const PHONE_KINDS: [&str; 5] = ["mobile", "work", "home", "pager", "fax"];
/// Longest barcode accepted.
pub const BARCODE_MAX: usize = 64;
/// Longest line of an address accepted.
pub const ADDRESS_PART_MAX: usize = 200;

/// Someone to call when something happens to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmergencyContact {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: ContactId,
    /// The contact's name.
    pub name: String,
    /// How they are related to the user ("Spouse").
    pub relationship: Option<String>,
    /// Their phone numbers.
    pub phones: Vec<Phone>,
    /// Their email address.
    pub email: Option<String>,
    /// Their postal address.
    pub address: Option<Address>,
    /// Call order: 1 first, up to 99.
    pub priority: i64,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `POST /users/{id}/emergency-contacts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmergencyContact {
    /// Name, 1–100 characters.
    pub name: String,
    /// Relationship to the user, up to 100 characters.
    #[serde(default)]
    pub relationship: Option<String>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<Phone>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<Address>,
    /// Call order, 1–99 (default 1).
    #[serde(default)]
    pub priority: Option<i64>,
}

/// `PATCH /users/{id}/emergency-contacts/{cid}` (JSON merge patch).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergencyContactPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New relationship; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub relationship: Option<Option<String>>,
    /// New phone numbers (replaces the list).
    #[serde(default)]
    pub phones: Option<Vec<Phone>>,
    /// New email address; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// New address; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
    /// New call order, 1–99.
    #[serde(default)]
    pub priority: Option<i64>,
}

/// A barcode a user signs in or checks out equipment with; unique per organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Barcode {
    /// The code as printed.
    pub code: String,
    /// When it was given to the user.
    pub created_at: DateTime<Utc>,
}

/// `POST /users/{id}/barcodes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBarcode {
    /// 1–64 printable ASCII characters, no spaces.
    pub code: String,
}

/// Validates a contact's name.
pub fn contact_name(raw: &str) -> Result<String, FieldError> {
    text("name", raw, CONTACT_NAME_MAX)
}

/// Validates an optional relationship: blank means none.
pub fn relationship(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    optional_text("relationship", raw, RELATIONSHIP_MAX)
}

/// Validates a call priority.
pub fn priority(value: i64) -> Result<i64, FieldError> {
    if (PRIORITY_MIN..=PRIORITY_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            "priority",
            format!("must be between {PRIORITY_MIN} and {PRIORITY_MAX}"),
        ))
    }
}

/// Trims an optional text; blank means none.
fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => text(field, value, max).map(Some),
    }
}

/// Validates an optional email address (blank means none): one `@` with something before
/// it and a dotted domain after it, no spaces, at most 254 characters.
pub fn optional_email(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => email(field, value).map(Some),
    }
}

/// Validates an email address: one `@` with something before it and a dotted domain after
/// it, no spaces or control characters, at most 254 characters.
pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = text(field, raw, EMAIL_MAX)?;
    let looks_right = !value.chars().any(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if looks_right {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "must be an email address like name@example.org",
        ))
    }
}

/// Validates a list of phone numbers, recording errors as `{field}[i].kind`,
/// `{field}[i].number`, `{field}[i].carrier`; returns the numbers with surrounding spaces
/// trimmed.
pub fn phones(errors: &mut ValidationErrors, field: &str, phones: &[Phone]) -> Vec<Phone> {
    phones
        .iter()
        .enumerate()
        .map(|(i, phone)| {
            let at = format!("{field}[{i}]");
            if !PHONE_KINDS.contains(&phone.kind.as_str()) {
                errors.push(
                    format!("{at}.kind"),
                    format!("must be one of: {}", PHONE_KINDS.join(", ")),
                );
            }
            let number = phone.number.trim();
            let allowed = |c: char| {
                c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '+' | '-' | '.' | 'x')
            };
            if number.is_empty() || number.chars().count() > PHONE_NUMBER_MAX {
                errors.push(
                    format!("{at}.number"),
                    format!("must be 1 to {PHONE_NUMBER_MAX} characters"),
                );
            } else if !number.chars().all(allowed) || !number.chars().any(|c| c.is_ascii_digit()) {
                errors.push(
                    format!("{at}.number"),
                    "must be digits, spaces and ( ) + - . x",
                );
            }
            let carrier = match optional_text(
                &format!("{at}.carrier"),
                phone.carrier.as_deref(),
                CARRIER_MAX,
            ) {
                Ok(carrier) => carrier,
                Err(error) => {
                    errors.push(error.field, error.message);
                    None
                }
            };
            Phone {
                kind: phone.kind.clone(),
                number: number.to_owned(),
                carrier,
                private: phone.private,
            }
        })
        .collect()
}

/// Checks the length of every part of an address, recording errors as `{field}.street`, ….
pub fn address(errors: &mut ValidationErrors, field: &str, address: Option<&Address>) {
    let Some(address) = address else { return };
    for (part, value) in [
        ("street", &address.street),
        ("street2", &address.street2),
        ("city", &address.city),
        ("region", &address.region),
        ("postal_code", &address.postal_code),
        ("country", &address.country),
    ] {
        if let Some(value) = value {
            if value.chars().count() > ADDRESS_PART_MAX {
                errors.push(
                    format!("{field}.{part}"),
                    format!("must be at most {ADDRESS_PART_MAX} characters"),
                );
            } else if value.chars().any(char::is_control) {
                errors.push(
                    format!("{field}.{part}"),
                    "must not contain control characters",
                );
            }
        }
    }
}

/// Validates a barcode: 1–64 printable ASCII characters without spaces, taken exactly as
/// scanned (case matters).
pub fn barcode(raw: &str) -> Result<String, FieldError> {
    if raw.is_empty() || raw.len() > BARCODE_MAX {
        return Err(FieldError::new(
            "code",
            format!("must be 1 to {BARCODE_MAX} characters"),
        ));
    }
    if !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(FieldError::new(
            "code",
            "must be printable ASCII characters without spaces",
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(kind: &str, number: &str) -> Phone {
        Phone {
            kind: kind.to_owned(),
            number: number.to_owned(),
            carrier: None,
            private: false,
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("email", "ada@example.org").is_ok());
        assert!(email("email", "a.b+c@mail.example.org").is_ok());
        for bad in [
            "ada",
            "@example.org",
            "ada@",
            "ada@localhost",
            "a@b@c.org",
            "a b@c.org",
            "a@.org",
            "a@b..org",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert_eq!(optional_email("email", Some("  ")), Ok(None));
    }

    #[test]
    fn phone_errors_name_the_entry_and_part() {
        let mut errors = ValidationErrors::new();
        let cleaned = phones(
            &mut errors,
            "phones",
            &[
                phone("mobile", " +1 (555) 010-2000 x12 "),
                phone("cell", "555"),
                phone("home", "call me"),
            ],
        );
        assert_eq!(cleaned[0].number, "+1 (555) 010-2000 x12");
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["phones[1].kind", "phones[2].number"]);
    }

    #[test]
    fn barcodes_are_printable_ascii_without_spaces() {
        assert_eq!(barcode("EMP-0042/a"), Ok("EMP-0042/a".to_owned()));
        assert!(barcode("").is_err());
        assert!(barcode("has space").is_err());
        assert!(barcode("é").is_err());
        assert!(barcode(&"9".repeat(65)).is_err());
    }

    #[test]
    fn priorities_run_from_1_to_99() {
        assert!(priority(1).is_ok());
        assert!(priority(99).is_ok());
        assert!(priority(0).is_err());
        assert!(priority(100).is_err());
    }
}
