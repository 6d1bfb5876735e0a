//! The Admin features tab and the lifecycle buttons elsewhere on the user page: ban and
//! un-ban, deactivate and reactivate, retire or separate (with separation status and last
//! day), switch to a non-login user and back, the organization administrator flag, delete
//! (with a confirmation that says it is permanent and suggests deactivating instead), and
//! Reset & resend password.
//!
//! Each is the service call the JSON API makes (`users::transition`, `users::update`,
//! `users::reset_password`); refusals come back as a toast, the multi-location
//! confirmation as the dialog.

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use muster_domain::access::Capability;
use muster_domain::user::{Ban, LoginKind, Separation, User, UserPatch, UserStatus};
use muster_service::users::{self, Transition};
use muster_service::{Ctx, ServiceError, authz};
use serde::Deserialize;

use super::forms::{Choice, Lookups, Refusal, Submitted, date, form_field, parse_id};
use super::page::{Chrome, Console, FieldErrors, redirect_with, service_page};
use super::user_page::{UserFrame, Viewed};
use crate::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "user_admin.html")]
#[allow(clippy::struct_excessive_bools)] // A page's flags: which actions it offers.
struct AdminPage {
    chrome: Chrome,
    frame: UserFrame,
    status: &'static str,
    login_kind: &'static str,
    is_org_admin: bool,
    can_lifecycle: bool,
    can_make_admin: bool,
    separation_statuses: Vec<Choice>,
    open_delete: bool,
    refusal: Refusal,
    errors: FieldErrors,
    last_day: String,
    version: i64,
    reactivatable: bool,
}

impl AdminPage {
    fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

/// `?delete=1` opens the delete confirmation without script.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdminQuery {
    delete: Option<String>,
}

async fn render(
    state: &AppState,
    console: Console,
    user: &User,
    refusal: Refusal,
    submitted: Option<&Submitted>,
    open_delete: bool,
) -> Response {
    let ctx = &console.ctx;
    let lookups = match Lookups::load(state, ctx).await {
        Ok(lookups) => lookups,
        Err(error) => return service_page(error),
    };
    let chosen = submitted
        .map(|s| s.get("separation_status_id").to_owned())
        .unwrap_or_default();
    let action = format!("/console/users/{}/lifecycle", user.id);
    let frame = UserFrame::load(state, ctx, user, "admin").await;
    let frame = match submitted {
        Some(form) => frame.confirming(&refusal, &action, form),
        None => frame,
    };
    let status = refusal.status();
    let page = AdminPage {
        frame,
        status: user.status.as_str(),
        login_kind: user.login_kind.as_str(),
        is_org_admin: user.is_org_admin,
        can_lifecycle: authz::can_on_user(ctx, Capability::UsersLifecycle, user.id),
        can_make_admin: authz::is_org_admin(ctx) && !authz::is_self(ctx, user.id),
        separation_statuses: Lookups::reference(
            &lookups.separation_statuses,
            &[chosen],
            "— choose —",
        ),
        open_delete,
        errors: refusal.fields.clone(),
        refusal: if refusal.confirm {
            Refusal::default()
        } else {
            refusal
        },
        last_day: submitted
            .map(|s| s.get("last_day").to_owned())
            .unwrap_or_default(),
        version: user.version,
        reactivatable: matches!(
            user.status,
            UserStatus::Inactive | UserStatus::Banned | UserStatus::Retired | UserStatus::Separated
        ),
        chrome: console.chrome.page("users", "Admin features"),
    };
    (status, page).into_response()
}

/// `GET /console/users/{id}/admin`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    Query(query): Query<AdminQuery>,
) -> Response {
    let open_delete = query.delete.is_some();
    render(
        &state,
        console,
        &user,
        Refusal::default(),
        None,
        open_delete,
    )
    .await
}

/// `POST /console/users/{id}/lifecycle`: `action` is `ban`, `unban`, `deactivate`,
/// `reactivate`, `retire`, `separate`, `delete`, `non_login`, `password_login`,
/// `make_admin` or `revoke_admin`.
pub(crate) async fn lifecycle(
    State(state): State<AppState>,
    viewed: Viewed,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let here = format!("/console/users/{}/admin", user.id);
    let back = match form.get("back") {
        b if b.starts_with("/console/users/") => b.to_owned(),
        _ => here.clone(),
    };
    let result = match apply(&state, &console.ctx, &user, &form).await {
        Ok(Applied::Done(note)) => Ok(note),
        Ok(Applied::Invalid(errors)) => {
            let refusal = Refusal::fields(errors);
            return render(&state, console, &user, refusal, Some(&form), false).await;
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(note) if form.get("action") == "delete" => {
            redirect_with("/console/users", "success", &note)
        }
        Ok(note) => redirect_with(&back, "success", &note),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            if refusal.confirm || !refusal.fields.is_empty() {
                render(&state, console, &user, refusal, Some(&form), false).await
            } else {
                redirect_with(&back, "error", &refusal.message.unwrap_or_default())
            }
        }
    }
}

/// What a lifecycle form came to: done (with the toast's text), or fields to correct.
enum Applied {
    Done(String),
    Invalid(FieldErrors),
}

/// Carries out the lifecycle form's `action` on `user`.
async fn apply(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    form: &Submitted,
) -> Result<Applied, ServiceError> {
    let version = form.get("version").parse().ok();
    let store = &state.store;
    let name = format!("{} {}", user.first_name, user.last_name);
    let step = |step: Transition| users::transition(store, ctx, user.id, version, step);
    let patch = |patch: UserPatch| users::update(store, ctx, user.id, version, patch);
    let done = match form.get("action") {
        "ban" => step(Transition::Ban(Ban {
            reason: form.text("reason"),
        }))
        .await
        .map(|_| format!("{name} is banned and cannot sign in.")),
        "unban" => step(Transition::Unban)
            .await
            .map(|_| format!("{name} is un-banned and can sign in again.")),
        "deactivate" => step(Transition::Deactivate)
            .await
            .map(|_| format!("{name} is inactive.")),
        "reactivate" => step(Transition::Reactivate)
            .await
            .map(|_| format!("{name} is active again.")),
        action @ ("retire" | "separate") => {
            let mut errors = FieldErrors::default();
            let separation = Separation {
                separation_status_id: parse_id(
                    &mut errors,
                    "separation_status_id",
                    form.get("separation_status_id"),
                ),
                last_day: date(&mut errors, "last_day", form.get("last_day")),
            };
            if !errors.is_empty() {
                return Ok(Applied::Invalid(errors));
            }
            let (transition, word) = if action == "retire" {
                (Transition::Retire(separation), "retired")
            } else {
                (Transition::Separate(separation), "separated")
            };
            step(transition).await.map(|_| format!("{name} is {word}."))
        }
        "delete" => step(Transition::Delete).await.map(|_| {
            format!(
                "{name} was deleted. Their login stays reserved; the audit log keeps their history."
            )
        }),
        "non_login" => patch(UserPatch {
            login_kind: Some(LoginKind::None),
            ..UserPatch::default()
        })
        .await
        .map(|_| format!("{name} is now a non-login user.")),
        "password_login" => patch(UserPatch {
            login_kind: Some(LoginKind::Password),
            ..UserPatch::default()
        })
        .await
        .map(|_| format!("{name} signs in with a password again; use Reset & resend to send one.")),
        "make_admin" | "revoke_admin" => patch(UserPatch {
            is_org_admin: Some(form.get("action") == "make_admin"),
            ..UserPatch::default()
        })
        .await
        .map(|u| {
            if u.is_org_admin {
                format!("{name} is an organization administrator.")
            } else {
                format!("{name} is no longer an organization administrator.")
            }
        }),
        _ => Err(ServiceError::Forbidden(
            "that is not an action of this page".to_owned(),
        )),
    };
    done.map(Applied::Done)
}

/// `POST /console/users/{id}/reset-password`: Reset & resend.
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    viewed: Viewed,
    form: Submitted,
) -> Response {
    let Viewed { console, user } = viewed.confirming(&form);
    let back = format!("/console/users/{}", user.id);
    match users::reset_password(&state.store, &console.ctx, user.id, None).await {
        Ok(_) => redirect_with(
            &back,
            "success",
            &format!(
                "A temporary password was sent to {}; they must change it at next sign-in.",
                user.email.as_deref().unwrap_or("the user")
            ),
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &form_field);
            if refusal.confirm {
                let action = format!("/console/users/{}/reset-password", user.id);
                let frame = UserFrame::load(&state, &console.ctx, &user, "")
                    .await
                    .confirming(&refusal, &action, &form);
                return confirm_only(console.chrome, frame);
            }
            let text = refusal.fields.iter().next().map_or_else(
                || refusal.message.clone().unwrap_or_default(),
                |(_, m)| m.to_owned(),
            );
            redirect_with(&back, "error", &text)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    frame: UserFrame,
}

/// The user page with only the multi-location confirmation to answer.
fn confirm_only(chrome: Chrome, frame: UserFrame) -> Response {
    ConfirmPage {
        chrome: chrome.page("users", "Confirm"),
        frame,
    }
    .into_response()
}
