//! Users (employees): their login, how they sign in, and where they are in their lifecycle.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, text};

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
