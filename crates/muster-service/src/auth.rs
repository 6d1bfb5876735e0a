//! Signing in with a password or PIN, the lockout after repeated failures, rate limits,
//! changing one's own password, and the record of every attempt (login activity).
//!
//! No user enumeration: an unknown organization, an unknown login, a wrong secret, a user
//! who does not sign in that way and a user who is not active all get the same answer
//! ([`AuthError::InvalidCredentials`]) after the same work — exactly one Argon2id
//! verification, against a dummy hash made at start-up when there is no real one.
//!
//! Argon2id is slow on purpose (tens of milliseconds of CPU and 19 MiB of memory each), so
//! verifications run on tokio's blocking pool behind a semaphore sized to the number of
//! CPUs: a storm of sign-ins queues there instead of taking every thread, and other
//! requests keep being served.
//!
//! Rate limits (per client address and per organization + login) refuse before any
//! verification; the refused attempt is still recorded. Every attempt is recorded in its
//! own transaction, so a failure elsewhere never loses it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::TimeDelta;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use muster_domain::auth::{
    LoginAttempt, LoginMethod, LoginOutcome, LoginRequest, LoginResponse, PasswordChange,
};
use muster_domain::paging::Page;
use muster_domain::user::{LoginKind, Secret};
use muster_domain::{OrgId, UserId, ValidationErrors};
use muster_store::sign_in::{self as store_sign_in, AttemptRow, CredentialRow, NewAttempt};
use muster_store::{DbTime, Store, StoreError, Tx, sessions as store_sessions};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::context::Actor;
use crate::paging::PageRequest;
use crate::sessions::{self, ABSOLUTE_TIMEOUT, Authenticated, IDLE_TIMEOUT};
use crate::{Ctx, Result, ServiceError, authz, password_policy, passwords, settings, users};
use muster_domain::access::Capability;

/// `ban_reason` of a lockout (also the reason in its audit event). Only users banned
/// for this reason are released automatically.
pub const LOCKOUT_REASON: &str = "too many failed sign-ins";
/// Longest login kept in the record of attempts.
const RECORDED_LOGIN_MAX: usize = 254;
/// Longest `User-Agent` kept in the record of attempts and sessions.
const USER_AGENT_MAX: usize = 512;
/// How often (in checks) the rate limiters forget keys that are quiet again.
const LIMITER_SWEEP_EVERY: u64 = 1024;

/// Why an authentication use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown organization or login, wrong secret, or a user who may not sign in.
    #[error("the organization, login or password is wrong")]
    InvalidCredentials,
    /// Too many attempts; try again after this many seconds.
    #[error("too many sign-in attempts; try again in {retry_after} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The current password given to a password change is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The use case needs a session, not an API token.
    #[error("{0}")]
    OnlyForSessions(&'static str),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Any other failure.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        Self::Service(error.into())
    }
}

impl From<ValidationErrors> for AuthError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Service(errors.into())
    }
}

/// Where a request comes from.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The client's address.
    pub ip: Option<String>,
    /// Its `User-Agent`.
    pub user_agent: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// Sign-in attempts accepted per minute.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// From one client address.
    pub per_ip: NonZeroU32,
    /// For one login of one organization.
    pub per_login: NonZeroU32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            per_login: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// A successful sign-in: the session's secret and the answer to send.
#[derive(Debug)]
pub struct SignedIn {
    /// The session token, also to be set as the cookie.
    pub token: SecretString,
    /// The answer (carrying the token too).
    pub response: LoginResponse,
}

/// Signs users in: holds the dummy hash, the bounded Argon2 pool and the rate limiters.
/// One per process, shared by every request.
pub struct Authenticator {
    dummy_hash: String,
    argon: Arc<Semaphore>,
    per_ip: DefaultKeyedRateLimiter<String>,
    per_login: DefaultKeyedRateLimiter<(String, String)>,
    checks: AtomicU64,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("argon_permits", &self.argon.available_permits())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Prepares sign-in: hashes the dummy password (once) and sizes the Argon2 pool to
    /// the machine's CPUs.
    pub async fn new(limits: RateLimits) -> Result<Self> {
        let dummy_hash = passwords::hash(sessions::new_secret("dummy_")).await?;
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self {
            dummy_hash,
            argon: Arc::new(Semaphore::new(cpus)),
            per_ip: RateLimiter::keyed(Quota::per_minute(limits.per_ip)),
            per_login: RateLimiter::keyed(Quota::per_minute(limits.per_login)),
            checks: AtomicU64::new(0),
        })
    }

    /// Verifies `secret` against `phc` — or against the dummy hash when there is none, so
    /// that the work is the same; that always fails. Runs on the bounded pool.
    async fn verify(&self, secret: &Secret, phc: Option<String>) -> Result<bool> {
        let permit = Arc::clone(&self.argon)
            .acquire_owned()
            .await
            .map_err(|e| ServiceError::Hashing(e.to_string()))?;
        let real = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy_hash.clone());
        let secret = SecretString::from(secret.expose().to_owned());
        let matches = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            passwords::verify_now(&secret, &phc)
        })
        .await
        .map_err(|e| ServiceError::Hashing(e.to_string()))?;
        Ok(real && matches)
    }

    /// Hashes a new password on the bounded pool.
    async fn hash(&self, secret: &Secret) -> Result<String> {
        let permit = Arc::clone(&self.argon)
            .acquire_owned()
            .await
            .map_err(|e| ServiceError::Hashing(e.to_string()))?;
        let secret = SecretString::from(secret.expose().to_owned());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            passwords::hash_now(&secret)
        })
        .await
        .map_err(|e| ServiceError::Hashing(e.to_string()))?
    }

    /// Takes one attempt from the client's and the login's allowance; `Err` with the
    /// seconds to wait when either is used up.
    fn check_rate(&self, ip: &str, org: &str, login: &str) -> Result<(), u64> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(LIMITER_SWEEP_EVERY)
        {
            self.per_ip.retain_recent();
            self.per_login.retain_recent();
        }
        let now = DefaultClock::default().now();
        let wait = |n: governor::NotUntil<_>| {
            let wait = n.wait_time_from(now);
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        };
        self.per_ip.check_key(&ip.to_owned()).map_err(wait)?;
        self.per_login
            .check_key(&(org.to_owned(), login.to_owned()))
            .map_err(wait)
    }

    /// Signs a user in with a password or a PIN and opens a session.
    pub async fn login(
        &self,
        store: &Store,
        request: LoginRequest,
        client: &Client,
    ) -> Result<SignedIn, AuthError> {
        let now = DbTime::now();
        let (method, secret) = match (request.password, request.pin) {
            (Some(password), None) => (LoginMethod::Password, password),
            (None, Some(pin)) => (LoginMethod::Pin, pin),
            (Some(_), Some(_)) => {
                return Err(
                    ValidationErrors::single("pin", "give a password or a PIN, not both").into(),
                );
            }
            (None, None) => {
                return Err(ValidationErrors::single(
                    "password",
                    "is required (or `pin` for users who sign in with a PIN)",
                )
                .into());
            }
        };
        let login: String = request
            .login
            .trim()
            .chars()
            .take(RECORDED_LOGIN_MAX)
            .collect();
        let normalized = login.to_lowercase();
        let handle = request.org.trim().to_lowercase();
        let allowed = self.check_rate(client.ip.as_deref().unwrap_or("-"), &handle, &normalized);

        let org = store_sign_in::resolve_org(store, &handle)
            .await?
            .map(OrgId::from_uuid);
        let mut row = match org {
            Some(org) => store_sign_in::credentials_by_login(store, org, &normalized).await?,
            None => None,
        };
        let attempt = Attempt {
            org,
            user: row.as_ref().map(|r| UserId::from_uuid(r.id)),
            login: &login,
            method,
            client,
            now,
        };
        if let Err(retry_after) = allowed {
            attempt.record(store, LoginOutcome::RateLimited).await?;
            return Err(AuthError::RateLimited { retry_after });
        }
        let ctx = org.map(|org| Ctx {
            org,
            actor: Actor::System,
            request_id: client.request_id.clone(),
            ip: client.ip.clone(),
            now,
            principal: None,
            confirmed: false,
        });
        if let (Some(ctx), Some(r)) = (&ctx, &mut row) {
            release_if_due(store, ctx, r).await?;
        }

        let kind = match method {
            LoginMethod::Password => LoginKind::Password,
            LoginMethod::Pin => LoginKind::Pin,
        };
        let signs_in_this_way = row.as_ref().is_some_and(|r| r.login_kind == kind.as_str());
        let phc = row
            .as_ref()
            .filter(|_| signs_in_this_way)
            .and_then(|r| match method {
                LoginMethod::Password => r.password_hash.clone(),
                LoginMethod::Pin => r.pin_hash.clone(),
            });
        let verified = self.verify(&secret, phc).await?;
        let outcome = match &row {
            None => LoginOutcome::BadCredentials,
            Some(r) if r.status == "banned" => LoginOutcome::Locked,
            Some(r) if r.status != "active" => LoginOutcome::Inactive,
            Some(_) if !signs_in_this_way => LoginOutcome::NotAllowed,
            Some(_) if !verified => LoginOutcome::BadCredentials,
            Some(_) => LoginOutcome::Success,
        };
        if let (LoginOutcome::Success, Some(ctx), Some(user)) = (outcome, &ctx, attempt.user) {
            // One transaction for the attempt, the session and the sign-in time.
            return open_session(store, ctx, user, client, &attempt).await;
        }
        attempt.record(store, outcome).await?;
        let (Some(ctx), Some(user)) = (ctx, attempt.user) else {
            return Err(AuthError::InvalidCredentials);
        };
        match outcome {
            LoginOutcome::BadCredentials => {
                count_failure(store, &ctx, user).await?;
                Err(AuthError::InvalidCredentials)
            }
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    /// Changes the caller's own password: the current one must be right (a wrong one is
    /// [`AuthError::WrongPassword`], not counted as a failed sign-in), the new one must
    /// pass the organization's policy. Clears `must_change_password` and ends the
    /// user's other sessions.
    pub async fn change_password(
        &self,
        store: &Store,
        ctx: &Ctx,
        auth: &Authenticated,
        request: PasswordChange,
    ) -> Result<(), AuthError> {
        let user = users::get(store, ctx, auth.user).await?;
        if user.login_kind != LoginKind::Password {
            return Err(ServiceError::conflict(
                "current_password",
                "only users who sign in with a password have one to change",
            )
            .into());
        }
        let phc = store_sign_in::credentials(store, ctx.org, auth.user)
            .await?
            .and_then(|r| r.password_hash);
        if !self.verify(&request.current_password, phc).await? {
            return Err(AuthError::WrongPassword);
        }
        let min_length = min_password_length(store, ctx).await?;
        let mut errors = ValidationErrors::new();
        if request.new_password.expose() == request.current_password.expose() {
            errors.push("new_password", "must differ from the current password");
        } else {
            password_policy::check(
                &mut errors,
                "new_password",
                request.new_password.expose(),
                min_length,
                password_policy::Personal {
                    login: &user.login,
                    first_name: &user.first_name,
                    last_name: &user.last_name,
                    email: user.email.as_deref(),
                },
            );
        }
        errors.into_result()?;
        let hash = self.hash(&request.new_password).await?;

        let mut tx = store.begin().await?;
        if !store_sign_in::set_password(&mut tx, ctx.org, auth.user, &hash, ctx.now).await? {
            return Err(ServiceError::NotFound("user").into());
        }
        store_sessions::revoke_all_of(&mut tx, ctx.org, auth.user, auth.session(), ctx.now).await?;
        let mut changes = Changes::default().with("password", "***", "***");
        if user.must_change_password {
            changes = changes.with("must_change_password", true, false);
        }
        audit::record(
            &mut tx,
            ctx,
            "user.password_change",
            Target::of_user("user", auth.user, auth.user),
            &changes,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The organization's shortest acceptable password.
async fn min_password_length(store: &Store, ctx: &Ctx) -> Result<usize> {
    let settings = settings::get(store, ctx).await?;
    Ok(usize::try_from(settings.password_min_length).unwrap_or(password_policy::PASSWORD_MAX))
}

/// One sign-in attempt, to be recorded once its outcome is known.
struct Attempt<'a> {
    org: Option<OrgId>,
    user: Option<UserId>,
    login: &'a str,
    method: LoginMethod,
    client: &'a Client,
    now: DbTime,
}

impl Attempt<'_> {
    /// Records the attempt in its own transaction.
    async fn record(&self, store: &Store, outcome: LoginOutcome) -> Result<()> {
        let mut tx = store.begin().await?;
        self.record_in(&mut tx, outcome).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the attempt inside `tx` (a successful one goes with its new session).
    async fn record_in(&self, tx: &mut Tx, outcome: LoginOutcome) -> Result<()> {
        let user_agent: Option<String> = self
            .client
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        store_sign_in::insert_attempt(
            tx,
            &NewAttempt {
                org: self.org,
                user: self.user,
                login: self.login,
                at: self.now,
                outcome: outcome.as_str(),
                method: self.method.as_str(),
                ip: self.client.ip.as_deref(),
                user_agent: user_agent.as_deref(),
            },
        )
        .await?;
        Ok(())
    }
}

/// Lifts a lockout whose time is up (the database compares the times), audited as an
/// un-ban by Muster; updates `row` when it did.
async fn release_if_due(store: &Store, ctx: &Ctx, row: &mut CredentialRow) -> Result<()> {
    if row.status != "banned"
        || row.ban_reason.as_deref() != Some(LOCKOUT_REASON)
        || row.banned_until.is_none()
    {
        return Ok(());
    }
    let user = UserId::from_uuid(row.id);
    let mut tx = store.begin_in(ctx.org).await?;
    if store_sign_in::release_lockout(&mut tx, ctx.org, user, LOCKOUT_REASON, ctx.now).await? {
        audit::record(
            &mut tx,
            ctx,
            "user.unban",
            Target::of_user("user", user, user),
            &Changes::default().with("status", "banned", "active").with(
                "reason",
                Value::Null,
                "the lockout time is up",
            ),
        )
        .await?;
        tx.commit().await?;
        "active".clone_into(&mut row.status);
    }
    Ok(())
}

/// Counts a failed sign-in of an active user; at the organization's threshold the user
/// is banned (released automatically after `lockout_release_minutes` when set), their
/// sessions end, and the ban is audited as Muster's.
async fn count_failure(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    let mut tx = store.begin_in(ctx.org).await?;
    let Some(failures) = store_sign_in::count_failure(&mut tx, ctx.org, user).await? else {
        return Ok(());
    };
    let settings = settings::get_in(&mut tx, ctx).await?;
    if failures >= settings.lockout_threshold {
        let until = settings
            .lockout_release_minutes
            .map(|m| DbTime::new(ctx.now.get() + TimeDelta::minutes(m)));
        if store_sign_in::lock_out(&mut tx, ctx.org, user, LOCKOUT_REASON, until, ctx.now).await? {
            store_sessions::revoke_all_of(&mut tx, ctx.org, user, None, ctx.now).await?;
            let mut changes = Changes::default().with("status", "active", "banned").with(
                "reason",
                Value::Null,
                LOCKOUT_REASON,
            );
            if let Some(until) = until {
                changes = changes.with("banned_until", Value::Null, until);
            }
            audit::record(
                &mut tx,
                ctx,
                "user.ban",
                Target::of_user("user", user, user),
                &changes,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Opens a session for `user` and answers the sign-in.
async fn open_session(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    client: &Client,
    attempt: &Attempt<'_>,
) -> Result<SignedIn, AuthError> {
    let token = sessions::new_secret(sessions::PREFIX);
    let user_agent: Option<String> = client
        .user_agent
        .as_ref()
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
    let mut tx = store.begin().await?;
    store_sessions::insert(
        &mut tx,
        &store_sessions::NewSession {
            id: Uuid::now_v7(),
            org: ctx.org,
            user,
            secret_hash: &sessions::digest(&token),
            now: ctx.now,
            idle_expires_at: DbTime::new(ctx.now.get() + IDLE_TIMEOUT),
            absolute_expires_at: DbTime::new(ctx.now.get() + ABSOLUTE_TIMEOUT),
            ip: client.ip.as_deref(),
            user_agent: user_agent.as_deref(),
        },
    )
    .await?;
    store_sign_in::record_success(&mut tx, ctx.org, user, ctx.now).await?;
    attempt.record_in(&mut tx, LoginOutcome::Success).await?;
    tx.commit().await?;
    let profile = users::get(store, ctx, user).await?;
    Ok(SignedIn {
        response: LoginResponse {
            token: token.expose_secret().to_owned(),
            must_change_password: profile.must_change_password,
            user: profile,
        },
        token,
    })
}

/// The position a page of login activity continues after.
#[derive(Debug, Serialize, Deserialize)]
struct AttemptCursor {
    at: chrono::DateTime<chrono::Utc>,
    id: Uuid,
}

fn to_attempt(row: AttemptRow) -> LoginAttempt {
    LoginAttempt {
        at: row.at.get(),
        // INVARIANT: the schema's CHECK constraints keep these valid.
        outcome: row.outcome.parse().unwrap_or(LoginOutcome::BadCredentials),
        method: row.method.parse().unwrap_or(LoginMethod::Password),
        ip: row.ip,
        user_agent: row.user_agent,
    }
}

/// A user's sign-in attempts, newest first.
pub async fn login_activity(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    page: &PageRequest,
) -> Result<Page<LoginAttempt>> {
    users::get(store, ctx, id).await?;
    if !authz::is_self(ctx, id) {
        authz::require(ctx, Capability::UsersView, muster_access::Target::User(id))?;
    }
    let after = page
        .after::<AttemptCursor>()?
        .map(|c| (DbTime::new(c.at), c.id));
    let rows = store_sign_in::attempts(store, ctx.org, id, after, page.fetch_limit()).await?;
    let total = store_sign_in::count_attempts(store, ctx.org, id).await?;
    Ok(page.page(
        rows,
        total,
        |r| AttemptCursor {
            at: r.at.get(),
            id: r.id,
        },
        to_attempt,
    ))
}
