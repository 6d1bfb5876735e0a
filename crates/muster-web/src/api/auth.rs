//! `/auth/*`, `/me` and `/users/{id}/login-activity`: signing in and out, changing one's
//! password, who the caller is, the current location, and the record of sign-in attempts.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use muster_domain::UserId;
use muster_domain::auth::{
    CurrentLocation, LoginAttempt, LoginRequest, LoginResponse, Me, PasswordChange,
    SetCurrentLocation,
};
use muster_domain::paging::Page;
use muster_service::auth::{self, AuthError, Client};
use muster_service::sessions;
use secrecy::ExposeSecret;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::AppState;
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, Authed, AuthedPendingPasswordChange, Caller, SESSION_COOKIE,
    client_of,
};
use crate::problem::Problem;

const TAG: &str = "Auth and session";

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(me))
        .routes(routes!(set_current_location))
        .routes(routes!(login_activity))
}

/// An authentication failure as HTTP: the problem document, and `Retry-After` for rate
/// limits.
#[derive(Debug)]
pub(crate) struct AuthFailure(pub(crate) AuthError);

impl From<AuthError> for AuthFailure {
    fn from(error: AuthError) -> Self {
        Self(error)
    }
}

impl AuthFailure {
    /// The problem document of the failure.
    pub(crate) fn problem(self) -> Problem {
        let forbidden = |slug: &str, title: &str, detail: String| {
            Problem::new(StatusCode::FORBIDDEN, slug, title, detail)
        };
        match self.0 {
            AuthError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Sign-in failed",
                "the organization, login or password is wrong",
            ),
            AuthError::RateLimited { retry_after } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many sign-in attempts",
                format!("too many sign-in attempts; try again in {retry_after} seconds"),
            ),
            AuthError::WrongPassword => forbidden(
                "wrong-password",
                "Wrong password",
                "the current password is wrong".to_owned(),
            ),
            AuthError::Forbidden(detail) => forbidden("forbidden", "Not allowed", detail.into()),
            AuthError::OnlyForSessions(detail) => Problem::new(
                StatusCode::CONFLICT,
                "only-for-sessions",
                "Only for sessions",
                detail,
            ),
            AuthError::Service(error) => Problem::from(error),
        }
    }
}

impl IntoResponse for AuthFailure {
    fn into_response(self) -> Response {
        let retry_after = match &self.0 {
            AuthError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        };
        let mut response = self.problem().into_response();
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// The request's client (address, `User-Agent`, request id); never fails.
struct ClientInfo(Client);

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_of(parts)))
    }
}

/// The `Set-Cookie` value for `token` (empty: remove the cookie).
fn cookie_header(state: &AppState, headers: &HeaderMap, token: Option<&str>) -> HeaderValue {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let mut cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/",
        token.unwrap_or_default()
    );
    if token.is_none() {
        cookie.push_str("; Max-Age=0");
    }
    if state.cookie_secure || forwarded_https {
        cookie.push_str("; Secure");
    }
    // Tokens are hex with a prefix, so the value is always a valid header.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Sign in with the organization, a login and a password (or a PIN for PIN users).
///
/// Answers the session token and sets it as the `muster_session` cookie (`HttpOnly`,
/// `SameSite=Lax`). A wrong organization, login or secret — or a user who may not sign in —
/// all get the same 401. Consecutive failures lock the user out at the organization's
/// `lockout_threshold`. Attempts are rate limited per client address and per login (429
/// with `Retry-After`).
#[utoipa::path(post, path = "/auth/login", tag = TAG, request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, body = LoginResponse, headers(("Set-Cookie" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "the organization, login or password is wrong",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many attempts", headers(("Retry-After" = u64)),
            body = Problem, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<AppState>,
    ClientInfo(client): ClientInfo,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, AuthFailure> {
    let signed_in = state.auth.login(&state.store, body, &client).await?;
    let cookie = cookie_header(&state, &headers, Some(signed_in.token.expose_secret()));
    Ok(([(SET_COOKIE, cookie)], Json(signed_in.response)).into_response())
}

/// Sign out: ends the caller's session and removes the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = TAG,
    responses(
        (status = 204, headers(("Set-Cookie" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "a cookie-authenticated request from another site",
            body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "called with an API token",
            body = Problem, content_type = "application/problem+json"),
    ))]
async fn logout(
    AuthedPendingPasswordChange(ctx, auth): AuthedPendingPasswordChange,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AuthFailure> {
    sessions::logout(&state.store, &ctx, &auth).await?;
    let cookie = cookie_header(&state, &headers, None);
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

/// Change one's own password. The new one must pass the organization's password policy;
/// `must_change_password` is cleared and the user's other sessions end.
#[utoipa::path(post, path = "/auth/password", tag = TAG, request_body = PasswordChange,
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "the current password is wrong",
            body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the user does not sign in with a password",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the new password breaks the policy",
            body = Problem, content_type = "application/problem+json"),
    ))]
async fn change_password(
    AuthedPendingPasswordChange(ctx, auth): AuthedPendingPasswordChange,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, AuthFailure> {
    state
        .auth
        .change_password(&state.store, &ctx, &auth, body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is: profile, current location, capabilities.
#[utoipa::path(get, path = "/me", tag = TAG,
    responses(
        (status = 200, body = Me),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
async fn me(
    AuthedPendingPasswordChange(ctx, auth): AuthedPendingPasswordChange,
    State(state): State<AppState>,
) -> Result<Json<Me>, Problem> {
    Ok(Json(sessions::me(&state.store, &ctx, &auth).await?))
}

/// Choose the location the caller works at in this session: the node of one of their
/// placements or a node below one.
#[utoipa::path(put, path = "/me/current-location", tag = TAG, request_body = SetCurrentLocation,
    responses(
        (status = 200, body = CurrentLocation),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "called with an API token",
            body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn set_current_location(
    Authed(ctx, auth): Authed,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetCurrentLocation>,
) -> Result<Json<CurrentLocation>, AuthFailure> {
    let location = sessions::set_current_location(&state.store, &ctx, &auth, body.node_id).await?;
    Ok(Json(location))
}

/// A user's sign-in attempts, newest first: time, outcome, method, address, user agent.
#[utoipa::path(get, path = "/users/{id}/login-activity", tag = "Users",
    params(("id" = uuid::Uuid, Path), ListParams),
    responses(
        (status = 200, body = Page<LoginAttempt>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn login_activity(
    Caller(ctx): Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<UserId>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<LoginAttempt>>, Problem> {
    let page = params.page()?;
    Ok(Json(
        auth::login_activity(&state.store, &ctx, id, &page).await?,
    ))
}
