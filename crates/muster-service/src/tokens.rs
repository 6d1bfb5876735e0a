//! API tokens: long random secrets shown once, stored as SHA-256 hashes, acting as the
//! user who created them and limited to the capabilities chosen at creation — never more
//! than the creator holds.
//!
//! Who may create and revoke tokens: a user signed in with a session, or a caller whose
//! API token carries `tokens.manage`. (The access engine will narrow this further.)

use muster_domain::access::Capability;
use muster_domain::auth::{ApiToken, CreatedApiToken, NewApiToken};
use muster_domain::paging::Page;
use muster_domain::validation::text;
use muster_domain::{OrgId, TokenId, UserId, ValidationErrors};
use muster_store::tokens::{self as store_tokens, NewToken, TokenListRow};
use muster_store::{DbTime, Store, Tx};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::auth::AuthError;
use crate::paging::PageRequest;
use crate::sessions::{self, Authenticated, Credential};
use crate::{Ctx, Result, authz};

/// Prefix of every token secret, so that leaked tokens are easy to recognise and scan for.
pub const PREFIX: &str = "mst_";
/// Longest token name accepted.
pub const NAME_MAX: usize = 100;

/// A token that was just created, with its secret (shown once).
#[derive(Debug)]
pub struct CreatedToken {
    /// Its id.
    pub id: TokenId,
    /// The secret to send as `Authorization: Bearer …`.
    pub secret: SecretString,
}

/// Creates a token with every capability and a fresh random secret for `user` inside
/// `tx` (for `muster init`).
pub async fn create_in(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
    name: &str,
    now: DbTime,
) -> Result<CreatedToken> {
    let secret = sessions::new_secret(PREFIX);
    let id = create_with_secret(tx, org, user, name, &secret, now).await?;
    Ok(CreatedToken { id, secret })
}

/// Creates a token with every capability and a given secret (the demo's well-known one)
/// inside `tx`.
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
            secret_hash: &sessions::digest(secret),
            capabilities: &capabilities,
            now,
        },
    )
    .await?;
    Ok(id)
}

fn to_token(row: TokenListRow) -> ApiToken {
    ApiToken {
        id: TokenId::from_uuid(row.id),
        name: row.name,
        capabilities: row
            .capabilities
            .0
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect(),
        created_at: row.created_at.get(),
        last_used_at: row.last_used_at.map(DbTime::get),
        revoked_at: row.revoked_at.map(DbTime::get),
        user_id: UserId::from_uuid(row.user_id),
    }
}

/// Whose tokens the caller manages: everyone's for organization administrators (and
/// Muster itself), else their own. Needs `tokens.manage`.
fn managed_owner(ctx: &Ctx) -> Result<Option<UserId>> {
    let Some(current) = authz::current_location(ctx) else {
        return Ok(None);
    };
    authz::require(
        ctx,
        Capability::TokensManage,
        muster_access::Target::Node(current),
    )?;
    Ok(if authz::is_org_admin(ctx) {
        None
    } else {
        ctx.actor.user()
    })
}

/// The tokens the caller manages, newest first (revoked ones included), never with
/// secrets: every token of the organization for an organization administrator, else
/// the caller's own.
pub async fn list(store: &Store, ctx: &Ctx, page: &PageRequest) -> Result<Page<ApiToken>> {
    let owner = managed_owner(ctx)?;
    let after = page.after::<Uuid>()?;
    let rows = store_tokens::list(store, ctx.org, owner, after, page.fetch_limit()).await?;
    let total = store_tokens::count(store, ctx.org, owner).await?;
    Ok(page.page(rows, total, |r| r.id, to_token))
}

/// Refuses callers that may not manage tokens: only sessions and tokens carrying
/// `tokens.manage` may.
fn check_may_manage(auth: &Authenticated) -> Result<(), AuthError> {
    match &auth.credential {
        Credential::Session { .. } => Ok(()),
        Credential::Token { capabilities, .. }
            if capabilities.contains(&Capability::TokensManage) =>
        {
            Ok(())
        }
        Credential::Token { .. } => Err(AuthError::Forbidden(
            "this API token does not carry `tokens.manage`; sign in or use a token that does",
        )),
    }
}

/// Creates a token acting as the caller, limited to the capabilities asked for (each one
/// the caller holds). Returns it with its secret, shown this once.
pub async fn create(
    store: &Store,
    ctx: &Ctx,
    auth: &Authenticated,
    request: NewApiToken,
) -> Result<CreatedApiToken, AuthError> {
    check_may_manage(auth)?;
    managed_owner(ctx)?;
    let mut errors = ValidationErrors::new();
    let name = errors.check(text("name", &request.name, NAME_MAX));
    let held = sessions::capabilities(ctx);
    let mut capabilities: Vec<Capability> = Vec::new();
    for (i, capability) in request.capabilities.iter().enumerate() {
        if !held.contains(capability) {
            errors.push(
                format!("capabilities[{i}]"),
                format!("never more than the creator has: you do not hold `{capability}`"),
            );
        } else if !capabilities.contains(capability) {
            capabilities.push(*capability);
        }
    }
    errors.into_result()?;
    let name = name.unwrap_or_default();
    capabilities.sort();

    let secret = sessions::new_secret(PREFIX);
    let id = TokenId::new();
    let names: Vec<&str> = capabilities.iter().map(|c| c.as_str()).collect();
    let mut tx = store.begin_in(ctx.org).await?;
    store_tokens::insert(
        &mut tx,
        &NewToken {
            id,
            org: ctx.org,
            user: auth.user,
            name: &name,
            secret_hash: &sessions::digest(&secret),
            capabilities: &names,
            now: ctx.now,
        },
    )
    .await?;
    let token = ApiToken {
        id,
        name,
        capabilities,
        created_at: ctx.now.get(),
        last_used_at: None,
        revoked_at: None,
        user_id: auth.user,
    };
    audit::record(
        &mut tx,
        ctx,
        "token.create",
        Target::of_user("token", id, auth.user),
        &Changes::created(&token),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiToken {
        id,
        name: token.name,
        capabilities: token.capabilities,
        created_at: token.created_at,
        secret: secret.expose_secret().to_owned(),
    })
}

/// Revokes a token of the organization: it is refused from now on. Revoking a revoked
/// token changes nothing.
pub async fn revoke(
    store: &Store,
    ctx: &Ctx,
    auth: &Authenticated,
    id: TokenId,
) -> Result<(), AuthError> {
    check_may_manage(auth)?;
    let owner = managed_owner(ctx)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let row = store_tokens::get_tx(&mut tx, ctx.org, id)
        .await?
        .filter(|row| owner.is_none_or(|o| o.as_uuid() == row.user_id))
        .ok_or(crate::ServiceError::NotFound("token"))?;
    if store_tokens::revoke(&mut tx, ctx.org, id, ctx.now).await? {
        let before = to_token(row);
        let mut after = before.clone();
        after.revoked_at = Some(ctx.now.get());
        audit::record(
            &mut tx,
            ctx,
            "token.revoke",
            Target::of_user("token", id, before.user_id),
            &Changes::diff(&before, &after),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
