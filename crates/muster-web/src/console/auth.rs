//! Signing in and out, the forced password change, and the current-location switcher.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use muster_domain::auth::{LoginRequest, PasswordChange};
use muster_domain::user::Secret;
use muster_service::auth::AuthError;
use muster_service::sessions;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::page::{Chrome, Console, FieldErrors, capitalize, redirect_with, see_other};
use super::security::{CsrfToken, Flash, secure, set_cookie};
use crate::AppState;
use crate::api::auth::AuthFailure;
use crate::extract::{SESSION_COOKIE, client_of};
use crate::problem::Problem;

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    csrf: String,
    next: String,
    org: String,
    login: String,
    pin: bool,
    error: Option<String>,
    errors: FieldErrors,
    flash: Option<Flash>,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
    org: Option<String>,
}

/// Only console addresses are followed after sign-in (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

/// The CSRF token and flash message the security layer put on the request.
pub(crate) struct PageState {
    csrf: String,
    flash: Option<Flash>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageState {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            flash: parts.extensions.get::<Flash>().cloned(),
        })
    }
}

/// `GET /console/sign-in`.
pub(crate) async fn sign_in_page(page: PageState, Query(query): Query<NextQuery>) -> Response {
    SignInPage {
        csrf: page.csrf,
        next: safe_next(query.next.as_deref()),
        org: query.org.unwrap_or_default(),
        login: String::new(),
        pin: false,
        error: None,
        errors: FieldErrors::default(),
        flash: page.flash,
    }
    .into_response()
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    org: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /console/sign-in`: the same sign-in as `POST /api/v1/auth/login`, setting the
/// same session cookie.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    page: PageState,
    headers: HeaderMap,
    parts: RequestClient,
    Form(form): Form<SignInForm>,
) -> Response {
    let pin = form.method == "pin";
    let mut errors = FieldErrors::default();
    if form.org.trim().is_empty() {
        errors.push("org", "enter your organization");
    }
    if form.login.trim().is_empty() {
        errors.push("login", "enter your login");
    }
    if form.secret.is_empty() {
        errors.push(
            "secret",
            if pin {
                "enter your PIN"
            } else {
                "enter your password"
            },
        );
    }
    let again = |error: Option<String>, errors: FieldErrors, status: StatusCode| {
        (
            status,
            SignInPage {
                csrf: page.csrf.clone(),
                next: safe_next(form.next.as_deref()),
                org: form.org.clone(),
                login: form.login.clone(),
                pin,
                error,
                errors,
                flash: None,
            },
        )
            .into_response()
    };
    if !errors.is_empty() {
        return again(None, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let secret = Secret::new(form.secret.clone());
    let request = LoginRequest {
        org: form.org.clone(),
        login: form.login.clone(),
        password: (!pin).then(|| secret.clone()),
        pin: pin.then_some(secret),
    };
    match state.auth.login(&state.store, request, &parts.0).await {
        Ok(signed_in) => {
            let cookie = set_cookie(
                SESSION_COOKIE,
                signed_in.token.expose_secret(),
                "SameSite=Lax",
                secure(&state, &headers),
            );
            let target = if signed_in.response.must_change_password {
                "/console/password".to_owned()
            } else {
                safe_next(form.next.as_deref())
            };
            let mut response = see_other(&target);
            response.headers_mut().append(SET_COOKIE, cookie);
            response
        }
        Err(AuthError::InvalidCredentials) => again(
            Some(format!(
                "The organization, login or {} is wrong.",
                if pin { "PIN" } else { "password" }
            )),
            FieldErrors::default(),
            StatusCode::UNAUTHORIZED,
        ),
        Err(AuthError::RateLimited { retry_after }) => again(
            Some(format!(
                "Too many sign-in attempts. Try again in {retry_after} seconds."
            )),
            FieldErrors::default(),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(other) => {
            let problem = problem_of(other);
            let errors = FieldErrors::from_problem(&problem, &|f| match f {
                "password" | "pin" => "secret".to_owned(),
                other => other.to_owned(),
            });
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            again(
                errors.is_empty().then(|| capitalize(&problem.detail)),
                errors,
                status,
            )
        }
    }
}

/// The problem document the API would answer for an authentication error.
fn problem_of(error: AuthError) -> Problem {
    AuthFailure(error).problem()
}

/// Where the request comes from, for the sign-in record.
pub(crate) struct RequestClient(muster_service::auth::Client);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestClient {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_of(parts)))
    }
}

/// `POST /console/sign-out`: ends the session and removes the cookie.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    console: Console,
) -> Response {
    // Signing out ends the session even if recording it fails; the cookie goes anyway.
    if let Err(error) = sessions::logout(&state.store, &console.ctx, &console.auth).await {
        tracing::warn!(error = ?problem_of(error).detail, "sign-out");
    }
    let mut response = redirect_with("/console/sign-in", "success", "You are signed out.");
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            "",
            "SameSite=Lax; Max-Age=0",
            secure(&state, &headers),
        ),
    );
    response
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    error: Option<String>,
    errors: FieldErrors,
}

/// `GET /console/password`.
pub(crate) async fn password_page(console: Console) -> Response {
    PasswordPage {
        chrome: console.chrome.page("password", "Change your password"),
        error: None,
        errors: FieldErrors::default(),
    }
    .into_response()
}

/// The password form.
#[derive(Debug, Deserialize)]
#[allow(clippy::struct_field_names)] // The fields are named as the form names them.
pub(crate) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /console/password`: the same change as `POST /api/v1/auth/password`.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<PasswordForm>,
) -> Response {
    let mut errors = FieldErrors::default();
    if form.current_password.is_empty() {
        errors.push("current_password", "enter your current password");
    }
    if form.new_password.is_empty() {
        errors.push("new_password", "choose a new password");
    } else if form.new_password != form.confirm_password {
        errors.push("confirm_password", "the two new passwords differ");
    }
    let chrome = console
        .chrome
        .clone()
        .page("password", "Change your password");
    if !errors.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordPage {
                chrome,
                error: None,
                errors,
            },
        )
            .into_response();
    }
    let change = PasswordChange {
        current_password: Secret::new(form.current_password),
        new_password: Secret::new(form.new_password),
    };
    match state
        .auth
        .change_password(&state.store, &console.ctx, &console.auth, change)
        .await
    {
        Ok(()) => redirect_with("/console", "success", "Your password is changed."),
        Err(AuthError::WrongPassword) => {
            let mut errors = FieldErrors::default();
            errors.push("current_password", "the current password is wrong");
            (
                StatusCode::FORBIDDEN,
                PasswordPage {
                    chrome,
                    error: None,
                    errors,
                },
            )
                .into_response()
        }
        Err(other) => {
            let problem = problem_of(other);
            let errors = FieldErrors::from_problem(&problem, &str::to_owned);
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            (
                status,
                PasswordPage {
                    chrome,
                    error: errors.is_empty().then(|| capitalize(&problem.detail)),
                    errors,
                },
            )
                .into_response()
        }
    }
}

/// The location switcher's form.
#[derive(Debug, Deserialize)]
pub(crate) struct LocationForm {
    #[serde(default)]
    node_id: String,
    #[serde(default)]
    back: String,
}

/// `POST /console/location`: the same as `PUT /api/v1/me/current-location`.
pub(crate) async fn set_location(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<LocationForm>,
) -> Response {
    let back = safe_next(Some(&form.back));
    let Ok(node) = form.node_id.parse() else {
        return redirect_with(&back, "error", "Choose a location.");
    };
    match sessions::set_current_location(&state.store, &console.ctx, &console.auth, node).await {
        Ok(_) => redirect_with(&back, "success", "Switched location."),
        Err(error) => redirect_with(&back, "error", &capitalize(&problem_of(error).detail)),
    }
}
