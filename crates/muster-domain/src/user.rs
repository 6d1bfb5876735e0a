//! Users (employees): their login, how they sign in, and where they are in their lifecycle.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::org::Address;
use crate::validation::{FieldError, ValidationErrors, text};
use crate::{CommandGroupId, NodeId, ReferenceItemId, RoleId, UserId};

/// Longest login accepted (the longest valid email address).
pub const LOGIN_MAX: usize = 254;
/// Longest first, last or display name accepted.
pub const PERSON_NAME_MAX: usize = 100;

/// A login: an email address or a username, unique per organization, compared without
/// regard to case and never reusable once used.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

impl Login {
    /// Validates a login: 1–254 characters of letters, digits and `. _ - + @`, starting with
    /// a letter or digit, at most one `@` (then it must look like an email address).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let login = text("login", raw, LOGIN_MAX)?;
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@');
        if let Some(bad) = login.chars().find(|c| !allowed(*c)) {
            return Err(FieldError::new(
                "login",
                format!("must not contain {bad:?}: use letters, digits and . _ - + @"),
            ));
        }
        if !login.starts_with(char::is_alphanumeric) {
            return Err(FieldError::new(
                "login",
                "must start with a letter or digit",
            ));
        }
        match login.split_once('@') {
            Some((local, domain))
                if local.is_empty()
                    || domain.contains('@')
                    || !domain.contains('.')
                    || domain.starts_with('.')
                    || domain.ends_with('.') =>
            {
                return Err(FieldError::new(
                    "login",
                    "must be a username or a complete email address",
                ));
            }
            _ => {}
        }
        Ok(Self(login))
    }

    /// The login as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form logins are compared and reserved in: lowercase.
    #[must_use]
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Login {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Login> for String {
    fn from(value: Login) -> Self {
        value.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Login({:?})", self.0)
    }
}

/// Validates a first, last or display name.
pub fn person_name(field: &str, raw: &str) -> Result<String, FieldError> {
    text(field, raw, PERSON_NAME_MAX)
}

wire_enum!(
    /// How a user signs in.
    LoginKind {
        /// Login and password.
        Password = "password",
        /// Login and PIN (kiosk or barcode sign-in).
        Pin = "pin",
        /// A non-login user: on the roster, never signs in.
        None = "none",
    }
);

wire_enum!(
    /// Where a user is in their lifecycle. Only `active` users with a login kind other than
    /// `none` can sign in.
    UserStatus {
        /// Working and able to sign in.
        Active = "active",
        /// Switched off by an administrator (reversible).
        Inactive = "inactive",
        /// Locked out after failed sign-ins or by an administrator; un-ban restores.
        Banned = "banned",
        /// Retired, with a separation status and last day (reversible by reactivation).
        Retired = "retired",
        /// Separated, with a separation status and last day (reversible by reactivation).
        Separated = "separated",
        /// Tombstone: hidden everywhere but the audit log; the login stays reserved.
        Deleted = "deleted",
    }
);

wire_enum!(
    /// Whose entries a user sees in the directory.
    DirectoryAccess {
        /// Nobody.
        None = "none",
        /// Every active user of the organization.
        Everyone = "everyone",
        /// Users who share a placement node with them.
        SharedLocations = "shared_locations",
        /// Their parent group, own and peer groups, and every group below.
        Hierarchy = "hierarchy",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_usernames_or_emails() {
        assert!(Login::parse("jsmith").is_ok());
        assert!(Login::parse("j.smith+ops@harbor.gov").is_ok());
        assert!(Login::parse("j smith").is_err());
        assert!(Login::parse("@harbor.gov").is_err());
        assert!(Login::parse("a@b@c.gov").is_err());
        assert!(Login::parse("a@localhost").is_err());
        assert!(Login::parse(".hidden").is_err());
        assert!(Login::parse(&"a".repeat(255)).is_err());
    }

    #[test]
    fn logins_compare_in_lowercase() {
        assert_eq!(Login::parse("JSmith").unwrap().normalized(), "jsmith");
    }

    #[test]
    fn statuses_round_trip_through_their_wire_names() {
        for status in UserStatus::ALL {
            assert_eq!(status.as_str().parse::<UserStatus>().unwrap(), *status);
        }
        assert!("gone".parse::<UserStatus>().is_err());
    }
}

/// A telephone number of a user or an emergency contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    /// `mobile`, `work`, `home`, `pager` or `fax`.
    pub kind: String,
    /// The number as dialled.
    pub number: String,
    /// Mobile carrier, for text messages through its email-to-SMS gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Hidden from the directory when set.
    #[serde(default)]
    pub private: bool,
}

/// Longest email address accepted.
pub const EMAIL_MAX: usize = 254;
/// Longest short text accepted: employee, badge and payroll numbers, title designation,
/// gender, mobile carrier, landing page, notification subscriptions.
pub const SHORT_TEXT_MAX: usize = 100;
/// Longest free text accepted: leave reason, ban reason, demographic field values.
pub const FREE_TEXT_MAX: usize = 1000;
/// Longest phone number accepted.
pub const PHONE_NUMBER_MAX: usize = 50;
/// Most entries accepted in a user's lists (emails, phones).
pub const CONTACT_LIST_MAX: usize = 20;
/// Most entries accepted in a user's specialties, notification subscriptions and
/// org-defined demographic fields.
pub const ITEM_LIST_MAX: usize = 100;
/// Kinds of phone numbers.
pub const PHONE_KINDS: [&str; 5] = ["mobile", "work", "home", "pager", "fax"];

/// A secret sent by a client (password, PIN). It never prints and is never serialized.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret, consuming the wrapper.
    #[must_use]
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Validates an email address: at most 254 characters, one `@` with a non-empty local
/// part, a dotted domain, and no spaces or control characters. Returns it trimmed.
pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = text(field, raw, EMAIL_MAX)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "must be an email address like name@example.org",
        ))
    }
}

/// Validates an optional short text (`None` and blank become `None`).
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match raw {
        Some(value) if !value.trim().is_empty() => text(field, value, max).map(Some),
        _ => Ok(None),
    }
}

/// Validates phone numbers, recording errors as `{field}[i].number` and so on; returns
/// them trimmed.
pub fn phones(errors: &mut ValidationErrors, field: &str, phones: &[Phone]) -> Vec<Phone> {
    if phones.len() > CONTACT_LIST_MAX {
        errors.push(
            field,
            format!("must have at most {CONTACT_LIST_MAX} entries"),
        );
    }
    let mut clean = Vec::with_capacity(phones.len());
    for (i, phone) in phones.iter().enumerate() {
        let kind = phone.kind.trim().to_lowercase();
        if !PHONE_KINDS.contains(&kind.as_str()) {
            errors.push(
                format!("{field}[{i}].kind"),
                format!("must be one of: {}", PHONE_KINDS.join(", ")),
            );
        }
        let number_field = format!("{field}[{i}].number");
        let number = errors.check(text(&number_field, &phone.number, PHONE_NUMBER_MAX));
        if let Some(number) = &number {
            let allowed = |c: char| {
                c.is_ascii_digit()
                    || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '#' | '*' | 'x')
            };
            if !number.chars().any(|c| c.is_ascii_digit()) || !number.chars().all(allowed) {
                errors.push(
                    number_field,
                    "must be a phone number: digits, spaces and + - ( ) . # * x",
                );
            }
        }
        let carrier = errors.check(optional_text(
            &format!("{field}[{i}].carrier"),
            phone.carrier.as_deref(),
            SHORT_TEXT_MAX,
        ));
        clean.push(Phone {
            kind,
            number: number.unwrap_or_default(),
            carrier: carrier.flatten(),
            private: phone.private,
        });
    }
    clean
}

/// Validates a list of additional email addresses.
pub fn emails(errors: &mut ValidationErrors, field: &str, emails: &[String]) -> Vec<String> {
    if emails.len() > CONTACT_LIST_MAX {
        errors.push(
            field,
            format!("must have at most {CONTACT_LIST_MAX} entries"),
        );
    }
    emails
        .iter()
        .enumerate()
        .filter_map(|(i, e)| errors.check(email(&format!("{field}[{i}]"), e)))
        .collect()
}

/// The person behind a user: demographic data, a protected section of the profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Demographics {
    /// Date of birth.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub date_of_birth: Option<NaiveDate>,
    /// Gender, as the person gives it (at most 100 characters).
    pub gender: Option<String>,
    /// Organization-defined fields: name (1–100 characters) → a string (at most 1000
    /// characters), number or boolean; at most 100 fields.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, Value>,
}

/// `demographics` of `PATCH /users/{id}` (JSON merge patch: absent = unchanged, `null`
/// clears; in `fields`, a field set to `null` is removed).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemographicsPatch {
    /// New date of birth; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// New gender; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub gender: Option<Option<String>>,
    /// Fields to set (a value) or remove (`null`); others are kept. `null` removes all.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Option<BTreeMap<String, Value>>>,
}

impl Demographics {
    /// Applies a merge patch.
    pub fn apply(&mut self, patch: DemographicsPatch) {
        if let Some(date) = patch.date_of_birth {
            self.date_of_birth = date;
        }
        if let Some(gender) = patch.gender {
            self.gender = gender;
        }
        match patch.fields {
            Some(None) => self.fields.clear(),
            Some(Some(fields)) => {
                for (key, value) in fields {
                    if value.is_null() {
                        self.fields.remove(&key);
                    } else {
                        self.fields.insert(key, value);
                    }
                }
            }
            None => {}
        }
    }

    /// Validates and trims; errors are named `demographics.…`.
    #[must_use]
    pub fn validate(self, errors: &mut ValidationErrors) -> Self {
        let gender = errors
            .check(optional_text(
                "demographics.gender",
                self.gender.as_deref(),
                SHORT_TEXT_MAX,
            ))
            .flatten();
        if self.fields.len() > ITEM_LIST_MAX {
            errors.push(
                "demographics.fields",
                format!("must have at most {ITEM_LIST_MAX} fields"),
            );
        }
        let mut fields = BTreeMap::new();
        for (key, value) in self.fields {
            let field = format!("demographics.fields.{key}");
            let Some(name) = errors.check(text(&field, &key, SHORT_TEXT_MAX)) else {
                continue;
            };
            match &value {
                Value::String(s) if s.chars().count() > FREE_TEXT_MAX => {
                    errors.push(field, format!("must be at most {FREE_TEXT_MAX} characters"));
                }
                Value::String(s) if s.chars().any(char::is_control) => {
                    errors.push(field, "must not contain control characters");
                }
                Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                    fields.insert(name, value);
                }
                Value::Null | Value::Array(_) | Value::Object(_) => {
                    errors.push(field, "must be a string, a number or a boolean");
                }
            }
        }
        Self {
            date_of_birth: self.date_of_birth,
            gender,
            fields,
        }
    }
}

/// A user's own settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Preferences {
    /// The console page shown after sign-in (a path such as `/users`); `null` for the
    /// default.
    pub landing_page: Option<String>,
    /// Whether reminders are sent by email (default `true`).
    pub email_reminders: bool,
    /// Notification categories subscribed to.
    pub notification_subscriptions: Vec<String>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            landing_page: None,
            email_reminders: true,
            notification_subscriptions: Vec::new(),
        }
    }
}

/// `preferences` of `PATCH /users/{id}` (merge patch).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesPatch {
    /// New landing page; `null` for the default.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub landing_page: Option<Option<String>>,
    /// Email reminders on or off.
    #[serde(default)]
    pub email_reminders: Option<bool>,
    /// The new list of subscriptions.
    #[serde(default)]
    pub notification_subscriptions: Option<Vec<String>>,
}

impl Preferences {
    /// Applies a merge patch.
    pub fn apply(&mut self, patch: PreferencesPatch) {
        if let Some(page) = patch.landing_page {
            self.landing_page = page;
        }
        if let Some(on) = patch.email_reminders {
            self.email_reminders = on;
        }
        if let Some(subscriptions) = patch.notification_subscriptions {
            self.notification_subscriptions = subscriptions;
        }
    }

    /// Validates and trims; errors are named `preferences.…`.
    #[must_use]
    pub fn validate(self, errors: &mut ValidationErrors) -> Self {
        let landing_page = errors
            .check(optional_text(
                "preferences.landing_page",
                self.landing_page.as_deref(),
                SHORT_TEXT_MAX,
            ))
            .flatten();
        if self.notification_subscriptions.len() > ITEM_LIST_MAX {
            errors.push(
                "preferences.notification_subscriptions",
                format!("must have at most {ITEM_LIST_MAX} entries"),
            );
        }
        let mut subscriptions: Vec<String> = Vec::new();
        for (i, s) in self.notification_subscriptions.iter().enumerate() {
            if let Some(s) = errors.check(text(
                &format!("preferences.notification_subscriptions[{i}]"),
                s,
                SHORT_TEXT_MAX,
            )) && !subscriptions.contains(&s)
            {
                subscriptions.push(s);
            }
        }
        Self {
            landing_page,
            email_reminders: self.email_reminders,
            notification_subscriptions: subscriptions,
        }
    }
}

/// A placement as shown: the user holds a role at a node, optionally for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Placement {
    /// Where.
    #[schema(value_type = uuid::Uuid)]
    pub node_id: NodeId,
    /// The node's name.
    pub node_name: String,
    /// With which role.
    #[schema(value_type = uuid::Uuid)]
    pub role_id: RoleId,
    /// The role's name.
    pub role_name: String,
    /// Whether this is the user's default placement (exactly one is).
    pub default: bool,
    /// First day in force; `null` when not bounded.
    pub starts_on: Option<NaiveDate>,
    /// Last day in force; `null` when not bounded.
    pub ends_on: Option<NaiveDate>,
}

/// A placement to create (`POST /users` `placements[]`, `POST /users/{id}/placements`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlacement {
    /// Where: a node of the organization.
    #[schema(value_type = uuid::Uuid)]
    pub node_id: NodeId,
    /// With which role: one assignable at the node's kind.
    #[schema(value_type = uuid::Uuid)]
    pub role_id: RoleId,
    /// Make it the default placement (a user's only placement always is).
    #[serde(default)]
    pub default: bool,
    /// First day in force.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub starts_on: Option<NaiveDate>,
    /// Last day in force (not before `starts_on`).
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub ends_on: Option<NaiveDate>,
}

/// `PATCH /users/{id}/placements/{node_id}` (merge patch).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementPatch {
    /// Move the placement to another node (where the user has no placement yet).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub node_id: Option<NodeId>,
    /// New role, assignable at the node's kind.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub role_id: Option<RoleId>,
    /// New first day; `null` removes the bound.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub starts_on: Option<Option<NaiveDate>>,
    /// New last day; `null` removes the bound.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<Option<NaiveDate>>,
}

/// `PUT /users/{id}/default-placement`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultPlacement {
    /// The node of the placement to make the default.
    #[schema(value_type = uuid::Uuid)]
    pub node_id: NodeId,
}

/// A user's full profile (`GET /users/{id}`). Password and PIN hashes are never shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    /// Id.
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    /// Login (username or email address), unique in the organization.
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Name to display, when different from first and last name.
    pub display_name: Option<String>,
    /// Employee number, unique in the organization.
    pub employee_number: Option<String>,
    /// Badge number.
    pub badge_number: Option<String>,
    /// Primary email address.
    pub email: Option<String>,
    /// Further email addresses.
    pub emails: Vec<String>,
    /// Phone numbers.
    pub phones: Vec<Phone>,
    /// Own address; `null` when the organization's applies.
    pub address: Option<Address>,
    /// The address that applies: the user's own, else the organization's.
    pub effective_address: Option<Address>,
    /// Title (reference list `titles`).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub title_id: Option<ReferenceItemId>,
    /// Completes the title ("VP" + "of Sales").
    pub title_designation: Option<String>,
    /// Rank (reference list `ranks`).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub rank_id: Option<ReferenceItemId>,
    /// Unit (reference list `units`).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<ReferenceItemId>,
    /// Hire date.
    pub hire_date: Option<NaiveDate>,
    /// Start date.
    pub start_date: Option<NaiveDate>,
    /// Transfer date.
    pub transfer_date: Option<NaiveDate>,
    /// Last day with the organization.
    pub last_day: Option<NaiveDate>,
    /// Why they left.
    pub leave_reason: Option<String>,
    /// Separation status (reference list `separation_statuses`).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub separation_status_id: Option<ReferenceItemId>,
    /// Who recruited them.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub recruited_by_id: Option<UserId>,
    /// Who they report to.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub reports_to_id: Option<UserId>,
    /// Payroll identifier.
    pub payroll_id: Option<String>,
    /// Specialties (reference list `specialties`).
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub specialties: Vec<ReferenceItemId>,
    /// Demographics (a protected section): absent when the caller may not view it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demographics: Option<Demographics>,
    /// Preferences.
    pub preferences: Preferences,
    /// Whom they see in the directory.
    pub directory_access: DirectoryAccess,
    /// Whether they may send text messages to users.
    pub can_sms: bool,
    /// How they sign in.
    pub login_kind: LoginKind,
    /// Lifecycle status.
    pub status: UserStatus,
    /// Must change the password at next sign-in.
    pub must_change_password: bool,
    /// Organization administrator: every capability everywhere in the organization.
    pub is_org_admin: bool,
    /// Command group.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub command_group_id: Option<CommandGroupId>,
    /// Placements, the default first, then by node name.
    pub placements: Vec<Placement>,
    /// The node of the default placement.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub default_node_id: Option<NodeId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// A user as listed (`GET /users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserSummary {
    /// Id.
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    /// Login.
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Primary email address.
    pub email: Option<String>,
    /// Lifecycle status.
    pub status: UserStatus,
    /// How they sign in.
    pub login_kind: LoginKind,
    /// The node of the default placement.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub default_node_id: Option<NodeId>,
    /// Its name.
    pub default_node_name: Option<String>,
    /// The role of the default placement.
    pub default_role_name: Option<String>,
    /// The first phone number that is not private.
    pub phone: Option<String>,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// `POST /users`. Absent optional fields start empty; lists start empty.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login: a username or an email address, 1–254 characters, unique in the
    /// organization and never used before (not even by a deleted user).
    #[serde(default)]
    pub login: String,
    /// First name, 1–100 characters.
    #[serde(default)]
    pub first_name: String,
    /// Last name, 1–100 characters.
    #[serde(default)]
    pub last_name: String,
    /// How they sign in (default `password`).
    #[serde(default)]
    pub login_kind: Option<LoginKind>,
    /// Primary email address (at most 254 characters); defaults to the login when the
    /// login is an email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone numbers (at most 20).
    #[serde(default)]
    pub phones: Vec<Phone>,
    /// Placements: at least one, at most one per node, exactly one default (a single
    /// placement is the default).
    #[serde(default)]
    pub placements: Vec<NewPlacement>,
    /// Command group.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub command_group_id: Option<CommandGroupId>,
    /// Password for `password` users: at least the organization's minimum length (default
    /// 10), not the login, a name or the email address.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<Secret>,
    /// Generate a random temporary password (the default for `password` users created
    /// without one); the user must change it at first sign-in. The password is never
    /// returned: the welcome email in the outbox carries it.
    #[serde(default)]
    pub generate_password: Option<bool>,
    /// Email the new user their sign-in details (default: yes for generated passwords).
    /// The message is queued in the outbox in the same transaction as the user.
    #[serde(default)]
    pub send_notification: Option<bool>,
    /// Must change the password at first sign-in (always for generated passwords).
    #[serde(default)]
    pub must_change_password: Option<bool>,
    /// PIN for `pin` users: 4–12 digits.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<Secret>,
    /// Display name, at most 100 characters.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Employee number, unique in the organization, at most 100 characters.
    #[serde(default)]
    pub employee_number: Option<String>,
    /// Badge number, at most 100 characters.
    #[serde(default)]
    pub badge_number: Option<String>,
    /// Further email addresses (at most 20).
    #[serde(default)]
    pub emails: Vec<String>,
    /// Own address (the organization's applies otherwise).
    #[serde(default)]
    pub address: Option<Address>,
    /// Title (reference list `titles`).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub title_id: Option<ReferenceItemId>,
    /// Title designation, at most 100 characters.
    #[serde(default)]
    pub title_designation: Option<String>,
    /// Rank (reference list `ranks`).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub rank_id: Option<ReferenceItemId>,
    /// Unit (reference list `units`).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<ReferenceItemId>,
    /// Hire date, not after `last_day`.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub hire_date: Option<NaiveDate>,
    /// Start date.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub start_date: Option<NaiveDate>,
    /// Transfer date.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub transfer_date: Option<NaiveDate>,
    /// Last day with the organization.
    #[serde(default, deserialize_with = "crate::validation::date")]
    pub last_day: Option<NaiveDate>,
    /// Leave reason, at most 1000 characters.
    #[serde(default)]
    pub leave_reason: Option<String>,
    /// Separation status (reference list `separation_statuses`).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub separation_status_id: Option<ReferenceItemId>,
    /// Who recruited them (a user of the organization).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub recruited_by_id: Option<UserId>,
    /// Who they report to (a user of the organization).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub reports_to_id: Option<UserId>,
    /// Payroll identifier, at most 100 characters.
    #[serde(default)]
    pub payroll_id: Option<String>,
    /// Specialties (reference list `specialties`, at most 100).
    #[serde(default)]
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub specialties: Vec<ReferenceItemId>,
    /// Demographics.
    #[serde(default)]
    pub demographics: Demographics,
    /// Preferences.
    #[serde(default)]
    pub preferences: Preferences,
    /// Whom they see in the directory (default `everyone`).
    #[serde(default)]
    pub directory_access: Option<DirectoryAccess>,
    /// Whether they may send text messages to users.
    #[serde(default)]
    pub can_sms: bool,
    /// Organization administrator.
    #[serde(default)]
    pub is_org_admin: bool,
    /// `active` (the default) or `inactive`: a user can be created switched off, to be
    /// switched on later (reactivate).
    #[serde(default)]
    pub status: Option<UserStatus>,
}

/// `PATCH /users/{id}` (JSON merge patch: absent = unchanged, `null` clears). Status
/// changes through the lifecycle endpoints and placements through their own.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New login; it must never have been used, and the old one stays reserved.
    #[serde(default)]
    pub login: Option<String>,
    /// New first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// New last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Display name.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// Employee number.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub employee_number: Option<Option<String>>,
    /// Badge number.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub badge_number: Option<Option<String>>,
    /// Primary email address.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Further email addresses (replaces the list; `null` empties it).
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub emails: Option<Option<Vec<String>>>,
    /// Phone numbers (replaces the list; `null` empties it).
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Vec<Phone>>)]
    pub phones: Option<Option<Vec<Phone>>>,
    /// Own address (replaced whole); `null` falls back to the organization's.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
    /// Title.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub title_id: Option<Option<ReferenceItemId>>,
    /// Title designation.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub title_designation: Option<Option<String>>,
    /// Rank.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub rank_id: Option<Option<ReferenceItemId>>,
    /// Unit.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<Option<ReferenceItemId>>,
    /// Hire date.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub hire_date: Option<Option<NaiveDate>>,
    /// Start date.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub start_date: Option<Option<NaiveDate>>,
    /// Transfer date.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub transfer_date: Option<Option<NaiveDate>>,
    /// Last day.
    #[serde(default, deserialize_with = "crate::patch::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub last_day: Option<Option<NaiveDate>>,
    /// Leave reason.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub leave_reason: Option<Option<String>>,
    /// Separation status.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub separation_status_id: Option<Option<ReferenceItemId>>,
    /// Recruited by.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub recruited_by_id: Option<Option<UserId>>,
    /// Reports to (not the user themselves).
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub reports_to_id: Option<Option<UserId>>,
    /// Payroll identifier.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub payroll_id: Option<Option<String>>,
    /// Specialties (replaces the list; `null` empties it).
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Vec<uuid::Uuid>>)]
    pub specialties: Option<Option<Vec<ReferenceItemId>>>,
    /// Demographics (merged).
    #[serde(default)]
    pub demographics: Option<DemographicsPatch>,
    /// Preferences (merged).
    #[serde(default)]
    pub preferences: Option<PreferencesPatch>,
    /// Directory access.
    #[serde(default)]
    pub directory_access: Option<DirectoryAccess>,
    /// Whether they may send text messages.
    #[serde(default)]
    pub can_sms: Option<bool>,
    /// How they sign in; switching to `none` removes the password and PIN, switching to
    /// `pin` needs a PIN, switching to `password` without one generates a temporary
    /// password that must be changed.
    #[serde(default)]
    pub login_kind: Option<LoginKind>,
    /// New password (for `password` users).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<Secret>,
    /// New PIN (for `pin` users), 4–12 digits.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<Secret>,
    /// Must change the password at next sign-in.
    #[serde(default)]
    pub must_change_password: Option<bool>,
    /// Command group.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub command_group_id: Option<Option<CommandGroupId>>,
    /// Organization administrator.
    #[serde(default)]
    pub is_org_admin: Option<bool>,
}

/// `POST /users/{id}/retire` and `/separate`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Separation {
    /// Separation status (reference list `separation_statuses`).
    #[serde(default)]
    #[schema(value_type = uuid::Uuid)]
    pub separation_status_id: Option<ReferenceItemId>,
    /// Last day with the organization (not before the hire date).
    #[serde(default, deserialize_with = "crate::validation::date")]
    #[schema(value_type = NaiveDate)]
    pub last_day: Option<NaiveDate>,
}

/// `POST /users/{id}/ban` (the body is optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ban {
    /// Why, for the audit trail (at most 1000 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

wire_enum!(
    /// How `GET /users` sorts.
    UserSort {
        /// Last name, then first name (the default).
        LastName = "last_name",
        /// First name, then last name.
        FirstName = "first_name",
        /// Login.
        Login = "login",
        /// Last sign-in; users who never signed in come last.
        LastLoginAt = "last_login_at",
        /// Name of the default placement's node.
        DefaultNode = "default_node",
        /// Creation time.
        CreatedAt = "created_at",
    }
);

wire_enum!(
    /// Sort direction.
    SortOrder {
        /// Ascending.
        Asc = "asc",
        /// Descending.
        Desc = "desc",
    }
);

/// What `GET /users` selects and how it sorts.
#[derive(Debug, Clone)]
pub struct UserFilter {
    /// Case-insensitive substring of a name, the login, email, employee number, or the
    /// default placement's role or node name.
    pub q: Option<String>,
    /// Statuses to include (empty: `active` only).
    pub statuses: Vec<UserStatus>,
    /// Only users with this login kind.
    pub login_kind: Option<LoginKind>,
    /// Only users with a placement at this node or below it.
    pub node_id: Option<NodeId>,
    /// Sort key.
    pub sort: UserSort,
    /// Direction.
    pub order: SortOrder,
}

impl Default for UserFilter {
    fn default() -> Self {
        Self {
            q: None,
            statuses: Vec::new(),
            login_kind: None,
            node_id: None,
            sort: UserSort::LastName,
            order: SortOrder::Asc,
        }
    }
}

#[cfg(test)]
mod profile_tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(email("email", " a@b.org ").unwrap(), "a@b.org");
        for bad in [
            "a",
            "a@b",
            "@b.org",
            "a@b@c.org",
            "a b@c.org",
            "a@.org",
            "a@b..org",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert!(email("email", &format!("{}@b.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn phones_are_checked_entry_by_entry() {
        let mut errors = ValidationErrors::new();
        let clean = phones(
            &mut errors,
            "phones",
            &[
                Phone {
                    kind: "Mobile".into(),
                    number: " +1 555 0100 ".into(),
                    carrier: None,
                    private: false,
                },
                Phone {
                    kind: "satellite".into(),
                    number: "call me".into(),
                    carrier: None,
                    private: true,
                },
            ],
        );
        assert_eq!(clean[0].kind, "mobile");
        assert_eq!(clean[0].number, "+1 555 0100");
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["phones[1].kind", "phones[1].number"]);
    }

    #[test]
    fn demographic_fields_merge_and_nulls_remove() {
        let mut demographics = Demographics::default();
        demographics.fields.insert("shirt".into(), Value::from("L"));
        demographics
            .fields
            .insert("veteran".into(), Value::from(true));
        demographics.apply(DemographicsPatch {
            fields: Some(Some(BTreeMap::from([
                ("shirt".to_owned(), Value::Null),
                ("boots".to_owned(), Value::from(44)),
            ]))),
            ..DemographicsPatch::default()
        });
        assert_eq!(
            demographics.fields.keys().collect::<Vec<_>>(),
            ["boots", "veteran"]
        );
    }
}
