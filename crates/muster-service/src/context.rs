//! Who is acting, for which organization, and from where: passed to every use case so
//! that decisions and audit events know it.

use std::sync::Arc;

use muster_domain::{OrgId, TokenId, UserId};
use muster_store::DbTime;

use crate::authz::Principal;

/// Who performs a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(UserId),
    /// A user acting through one of their API tokens.
    Token {
        /// The token's owner.
        user: UserId,
        /// The token.
        token: TokenId,
    },
    /// Muster itself (the CLI, seeding, background jobs).
    System,
}

impl Actor {
    /// `user`, `token` or `system`, as stored in audit events.
    #[must_use]
    pub const fn kind(self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Token { .. } => "token",
            Self::System => "system",
        }
    }

    /// The user behind the action, if any.
    #[must_use]
    pub const fn user(self) -> Option<UserId> {
        match self {
            Self::User(user) | Self::Token { user, .. } => Some(user),
            Self::System => None,
        }
    }

    /// The token used, if any.
    #[must_use]
    pub const fn token(self) -> Option<TokenId> {
        match self {
            Self::Token { token, .. } => Some(token),
            _ => None,
        }
    }
}

/// The context of one request or command.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The organization everything happens in; nothing outside it is ever touched.
    pub org: OrgId,
    /// Who acts.
    pub actor: Actor,
    /// The request id, for correlating audit events with logs.
    pub request_id: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    /// The time of the request; every write of the request uses it.
    pub now: DbTime,
    /// What the caller may do ([`crate::authz`]); `None` for Muster's own actions (the
    /// CLI, seeding, background jobs), which are not restricted.
    pub principal: Option<Arc<Principal>>,
    /// The caller confirmed a change to a user who also has placements outside their
    /// current location (`confirm=true`, DESIGN.md §2.1).
    pub confirmed: bool,
}

impl Ctx {
    /// A context for Muster's own actions (CLI, seeding) in `org`.
    #[must_use]
    pub fn system(org: OrgId) -> Self {
        Self {
            org,
            actor: Actor::System,
            request_id: None,
            ip: None,
            now: DbTime::now(),
            principal: None,
            confirmed: false,
        }
    }
}
