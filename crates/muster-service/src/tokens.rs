//! API tokens: long random secrets shown once, stored as SHA-256 hashes, acting as the
//! user who created them.

use muster_domain::access::Capability;
use muster_domain::{OrgId, TokenId, UserId};
use muster_store::tokens::{self as store_tokens, NewToken};
use muster_store::{DbTime, Store, Tx};
use rand::RngExt;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::Result;
use crate::context::Actor;

/// Prefix of every token secret, so that leaked tokens are easy to recognise and scan for.
pub const PREFIX: &str = "mst_";

/// A token that was just created, with its secret (shown once).
#[derive(Debug)]
pub struct CreatedToken {
    /// Its id.
    pub id: TokenId,
    /// The secret to send as `Authorization: Bearer …`.
    pub secret: SecretString,
}

/// Whose a presented token is.
#[derive(Debug, Clone, Copy)]
pub struct TokenOwner {
    /// The organization it acts in.
    pub org: OrgId,
    /// The actor it stands for.
    pub actor: Actor,
}

/// Creates a token with a fresh random secret for `user` inside `tx`. Until the access
/// engine limits tokens, a token carries every capability of its creator.
pub async fn create_in(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    name: &str,
    now: DbTime,
) -> Result<CreatedToken> {
    let bytes: [u8; 32] = rand::rng().random();
    let secret = SecretString::from(format!("{PREFIX}{}", hex::encode(bytes)));
    let id = create_with_secret(tx, org, user, name, &secret, now).await?;
    Ok(CreatedToken { id, secret })
}

/// Creates a token with a given secret (the demo's well-known one) inside `tx`.
pub async fn create_with_secret(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    name: &str,
    secret: &SecretString,
    now: DbTime,
) -> Result<TokenId> {
    let capabilities: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
    let id = TokenId::new();
    store_tokens::insert(
        tx,
        &NewToken {
            id,
            org,
            user,
            name,
            secret_hash: &digest(secret),
            capabilities: &capabilities,
            now,
        },
    )
    .await?;
    Ok(id)
}

/// Finds the live token `secret` stands for, if any: not revoked, and its owner active.
pub async fn authenticate(store: &Store, secret: &SecretString) -> Result<Option<TokenOwner>> {
    if !secret.expose_secret().starts_with(PREFIX) {
        return Ok(None);
    }
    Ok(store_tokens::find_live(store, &digest(secret))
        .await?
        .map(|row| TokenOwner {
            org: OrgId::from_uuid(row.org_id),
            actor: Actor::Token {
                user: UserId::from_uuid(row.user_id),
                token: TokenId::from_uuid(row.id),
            },
        }))
}

fn digest(secret: &SecretString) -> String {
    hex::encode(Sha256::digest(secret.expose_secret().as_bytes()))
}
