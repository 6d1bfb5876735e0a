//! Signing in and what a signed-in caller sees of themselves: the sign-in request and its
//! answer, password changes, `GET /me`, the current location, login activity and API
//! tokens as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Capability;
use crate::user::{Secret, User};
use crate::{NodeId, TokenId, UserId};

/// `POST /auth/login`: the organization, the login and either a password or a PIN.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The organization: its sign-in handle (slug) or its name, in any case.
    pub org: String,
    /// The login, as the user types it (surrounding spaces are ignored).
    pub login: String,
    /// The password (`password` users).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<Secret>,
    /// The PIN (`pin` users).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pin: Option<Secret>,
}

/// The answer to a successful sign-in. The token is also set as the `muster_session`
/// cookie.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer …` (or rely on the cookie).
    pub token: String,
    /// The signed-in user's profile.
    pub user: User,
    /// Whether the user must change the password before anything else
    /// (`POST /auth/password`); until then every other call but `GET /me` and
    /// `POST /auth/logout` is refused.
    pub must_change_password: bool,
}

/// `POST /auth/password`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in force.
    #[schema(value_type = String, format = Password)]
    pub current_password: Secret,
    /// The new password; the organization's password policy applies.
    #[schema(value_type = String, format = Password)]
    pub new_password: Secret,
}

/// `GET /me`: who the caller is and what they may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    /// The caller's profile.
    pub user: User,
    /// The location the caller works at: the session's choice, else the node of their
    /// default placement.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub current_node_id: Option<NodeId>,
    /// The administrative capabilities the caller holds (through an API token: those the
    /// token carries, too).
    pub capabilities: Vec<Capability>,
    /// Whether the caller is an organization administrator.
    pub is_org_admin: bool,
}

/// `PUT /me/current-location` and its answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrentLocation {
    /// The node of one of the caller's placements, or a node below one.
    #[schema(value_type = uuid::Uuid)]
    pub current_node_id: NodeId,
}

/// The body of `PUT /me/current-location`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCurrentLocation {
    /// The node of one of the caller's placements, or a node below one.
    #[schema(value_type = uuid::Uuid)]
    pub node_id: NodeId,
}

wire_enum!(
    /// How a sign-in attempt ended.
    LoginOutcome {
        /// Signed in.
        Success = "success",
        /// Unknown login or wrong password or PIN.
        BadCredentials = "bad_credentials",
        /// The user is banned.
        Locked = "locked",
        /// The user is not active (inactive, retired, separated).
        Inactive = "inactive",
        /// Too many attempts; refused before checking anything.
        RateLimited = "rate_limited",
        /// The user does not sign in this way (a `none` user, or a PIN for a password user).
        NotAllowed = "not_allowed",
    }
);

wire_enum!(
    /// What a sign-in attempt presented.
    LoginMethod {
        /// A password.
        Password = "password",
        /// A PIN.
        Pin = "pin",
    }
);

/// One sign-in attempt (`GET /users/{id}/login-activity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LoginAttempt {
    /// When.
    pub at: DateTime<Utc>,
    /// How it ended.
    pub outcome: LoginOutcome,
    /// What was presented.
    pub method: LoginMethod,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// An API token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiToken {
    /// Id.
    #[schema(value_type = uuid::Uuid)]
    pub id: TokenId,
    /// A name to recognise it by.
    pub name: String,
    /// The capabilities it is limited to.
    pub capabilities: Vec<Capability>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked; a revoked token is refused.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The user it acts as.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
}

/// `POST /tokens`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    /// A name to recognise it by (1–100 characters).
    pub name: String,
    /// The capabilities it carries: never more than its creator holds.
    pub capabilities: Vec<Capability>,
}

/// A token just created, with its secret: shown this once, stored only as a hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedApiToken {
    /// Id.
    #[schema(value_type = uuid::Uuid)]
    pub id: TokenId,
    /// Its name.
    pub name: String,
    /// The capabilities it carries.
    pub capabilities: Vec<Capability>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The secret to send as `Authorization: Bearer …`; it cannot be shown again.
    pub secret: String,
}
