//! Who is calling: a session token (from `POST /auth/login`, sent as a bearer token or the
//! `muster_session` cookie) or an API token, resolved to the user it stands for; and what
//! a signed-in caller may ask about themselves (`GET /me`, the current location, signing
//! out).
//!
//! Sessions live in the database, so any number of server nodes share them. A session
//! ends after [`IDLE_TIMEOUT`] without use (sliding) and after [`ABSOLUTE_TIMEOUT`] in any
//! case. Use is written back at most once per [`TOUCH_INTERVAL`] — for sessions and API
//! tokens alike — so that a busy client does not cost a write per request.

use chrono::TimeDelta;
use muster_domain::access::Capability;
use muster_domain::auth::{CurrentLocation, Me};
use muster_domain::{NodeId, OrgId, TokenId, UserId, ValidationErrors};
use muster_store::{DbTime, Store, sessions as store_sessions, tokens as store_tokens};
use rand::RngExt;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::AccessCache;
use crate::auth::AuthError;
use crate::authz::{self, Principal};
use crate::context::Actor;
use crate::{Ctx, Result, tokens, users};

/// Prefix of every session token (API tokens start with [`tokens::PREFIX`]).
pub const PREFIX: &str = "mss_";
/// A session ends after this long without use.
pub const IDLE_TIMEOUT: TimeDelta = TimeDelta::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT: TimeDelta = TimeDelta::hours(12);
/// Use of a session or token is recorded at most this often.
pub const TOUCH_INTERVAL: TimeDelta = TimeDelta::minutes(1);

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A sign-in session.
    Session {
        /// The session.
        id: Uuid,
        /// The location chosen in it, if any.
        current_node: Option<NodeId>,
        /// Whether the user must change the password before anything else.
        must_change_password: bool,
    },
    /// An API token.
    Token {
        /// The token.
        id: TokenId,
        /// The capabilities it is limited to.
        capabilities: Vec<Capability>,
    },
}

/// A caller whose credential was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The organization the caller belongs to.
    pub org: OrgId,
    /// The user the credential stands for.
    pub user: UserId,
    /// The credential.
    pub credential: Credential,
}

impl Authenticated {
    /// The actor of the caller's changes: the user for sessions, the token for tokens.
    #[must_use]
    pub fn actor(&self) -> Actor {
        match &self.credential {
            Credential::Session { .. } => Actor::User(self.user),
            Credential::Token { id, .. } => Actor::Token {
                user: self.user,
                token: *id,
            },
        }
    }

    /// Whether the caller signed in with a session that must change its password before
    /// anything else.
    #[must_use]
    pub fn must_change_password(&self) -> bool {
        matches!(
            self.credential,
            Credential::Session {
                must_change_password: true,
                ..
            }
        )
    }

    /// The session's id, when the caller uses one.
    #[must_use]
    pub fn session(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::Token { .. } => None,
        }
    }
}

/// A fresh random secret with `prefix`.
pub(crate) fn new_secret(prefix: &str) -> SecretString {
    let bytes: [u8; 32] = rand::rng().random();
    SecretString::from(format!("{prefix}{}", hex::encode(bytes)))
}

/// SHA-256 of a secret, hex: secrets are 256 random bits, so a fast hash suffices.
pub(crate) fn digest(secret: &SecretString) -> String {
    hex::encode(Sha256::digest(secret.expose_secret().as_bytes()))
}

/// Resolves a presented session or API token at `now`; `None` when it is unknown,
/// revoked or expired, or its user is no longer active.
pub async fn authenticate(
    store: &Store,
    secret: &SecretString,
    now: DbTime,
) -> Result<Option<Authenticated>> {
    let text = secret.expose_secret();
    if text.starts_with(PREFIX) {
        let Some(row) = store_sessions::find_live(store, &digest(secret), now).await? else {
            return Ok(None);
        };
        if now.get() - row.last_seen_at.get() >= TOUCH_INTERVAL {
            let idle = DbTime::new((now.get() + IDLE_TIMEOUT).min(row.absolute_expires_at.get()));
            let mut tx = store.begin().await?;
            store_sessions::touch(&mut tx, row.id, now, idle).await?;
            tx.commit().await?;
        }
        Ok(Some(Authenticated {
            org: OrgId::from_uuid(row.org_id),
            user: UserId::from_uuid(row.user_id),
            credential: Credential::Session {
                id: row.id,
                current_node: row.current_node_id.map(NodeId::from_uuid),
                must_change_password: row.must_change_password,
            },
        }))
    } else if text.starts_with(tokens::PREFIX) {
        let Some(row) = store_tokens::find_live(store, &digest(secret)).await? else {
            return Ok(None);
        };
        let id = TokenId::from_uuid(row.id);
        if row
            .last_used_at
            .is_none_or(|at| now.get() - at.get() >= TOUCH_INTERVAL)
        {
            let mut tx = store.begin().await?;
            store_tokens::touch(&mut tx, id, now).await?;
            tx.commit().await?;
        }
        Ok(Some(Authenticated {
            org: OrgId::from_uuid(row.org_id),
            user: UserId::from_uuid(row.user_id),
            credential: Credential::Token {
                id,
                capabilities: row
                    .capabilities
                    .0
                    .iter()
                    .filter_map(|c| c.parse().ok())
                    .collect(),
            },
        }))
    } else {
        Ok(None)
    }
}

/// Ends the caller's session. API tokens are revoked through `DELETE /tokens/{id}`
/// instead.
pub async fn logout(store: &Store, ctx: &Ctx, auth: &Authenticated) -> Result<(), AuthError> {
    let id = auth.session().ok_or(AuthError::OnlyForSessions(
        "an API token does not sign out; revoke it with DELETE /tokens/{id}",
    ))?;
    let mut tx = store.begin().await?;
    store_sessions::revoke(&mut tx, ctx.org, id, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// The principal of an authenticated caller (see [`crate::authz`]), decided on the
/// organization's current access index: the session's chosen location while it is still
/// valid, else the default placement's node; a token's capability limit. `None` when the
/// user has no placement the index knows.
pub async fn principal(
    store: &Store,
    cache: &AccessCache,
    auth: &Authenticated,
    now: DbTime,
) -> Result<Option<Principal>> {
    let index = cache.index(store, auth.org).await?;
    let (chosen, limit) = match &auth.credential {
        Credential::Session { current_node, .. } => (*current_node, None),
        Credential::Token { capabilities, .. } => (None, Some(capabilities.clone())),
    };
    Ok(Principal::resolve(
        index,
        auth.user,
        chosen,
        limit,
        now.get().date_naive(),
    ))
}

/// The administrative capabilities the caller holds where they work now: all of them
/// for an organization administrator, else those of their placements in force at their
/// current location or above it; through an API token, only those the token carries as
/// well. In declaration order. Muster itself holds all.
#[must_use]
pub fn capabilities(ctx: &Ctx) -> Vec<Capability> {
    let Some(p) = ctx.principal.as_deref() else {
        return Capability::ALL.to_vec();
    };
    p.index
        .capabilities_at(p.user, p.current, p.today)
        .into_iter()
        .filter(|c| {
            p.token_capabilities
                .as_ref()
                .is_none_or(|limit| limit.contains(c))
        })
        .collect()
}

/// `GET /me`: the caller's profile, current location and capabilities.
pub async fn me(store: &Store, ctx: &Ctx, auth: &Authenticated) -> Result<Me> {
    let user = users::get(store, ctx, auth.user).await?;
    Ok(Me {
        current_node_id: authz::current_location(ctx).or(user.default_node_id),
        is_org_admin: user.is_org_admin,
        capabilities: capabilities(ctx),
        user,
    })
}

/// `PUT /me/current-location`: chooses the location the caller works at in this session.
/// It must be the node of one of their placements or a node below one.
pub async fn set_current_location(
    store: &Store,
    ctx: &Ctx,
    auth: &Authenticated,
    node: NodeId,
) -> Result<CurrentLocation, AuthError> {
    let session = auth.session().ok_or(AuthError::OnlyForSessions(
        "only for sessions: an API token has no current location",
    ))?;
    match store_sessions::node_within_placements(store, ctx.org, auth.user, node).await? {
        None => return Err(ValidationErrors::single("node_id", "no such node").into()),
        Some(false) => {
            return Err(ValidationErrors::single(
                "node_id",
                "must be the node of one of your placements or a node below one",
            )
            .into());
        }
        Some(true) => {}
    }
    let mut tx = store.begin().await?;
    store_sessions::set_current_node(&mut tx, ctx.org, session, node).await?;
    tx.commit().await?;
    Ok(CurrentLocation {
        current_node_id: node,
    })
}
