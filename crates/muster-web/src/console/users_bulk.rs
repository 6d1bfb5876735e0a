//! Bulk actions from the users list: the rows ticked (or every row of the page) get
//! deactivated, reactivated or a password reset. The list's form leads to a preview ("N
//! users will change, M already are, these are refused and why"); its Confirm button
//! applies the action.
//!
//! Both steps are `muster_service::bulk::run`, the service of `POST /api/v1/users/bulk`:
//! the same per-user authorization, all or nothing, one audit event per user changed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_domain::UserId;
use muster_service::ServiceError;
use muster_service::bulk::{self, BulkActionKind, BulkOutcome, BulkRequest};

use super::forms::Submitted;
use super::page::{Chrome, Console, capitalize, redirect_with, service_page};
use crate::AppState;

/// Where the list is.
const LIST: &str = "/console/users";

/// The actions the list offers: form value, what the preview calls it, the toast's verb.
const ACTIONS: [(&str, BulkActionKind, &str, &str); 3] = [
    (
        "deactivate",
        BulkActionKind::Deactivate,
        "Deactivate",
        "deactivated",
    ),
    (
        "reactivate",
        BulkActionKind::Reactivate,
        "Reactivate",
        "reactivated",
    ),
    (
        "reset_password",
        BulkActionKind::ResetPassword,
        "Reset password",
        "got a temporary password by email",
    ),
];

/// A user the action would not be applied to.
struct Refused {
    who: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "users_bulk.html")]
struct PreviewPage {
    chrome: Chrome,
    action: &'static str,
    label: &'static str,
    ids: Vec<String>,
    selected: u64,
    changed: u64,
    unchanged: u64,
    refused: Vec<Refused>,
    message: String,
    /// Whether changes to users who also work outside the current location are confirmed.
    confirmed: bool,
}

/// `POST /console/users/bulk`: `action`, the ticked `user_ids` (or, with `all`, every
/// `page_ids`), `step` (`apply` to carry it out, else a preview) and `confirm` (changes to
/// users who also work outside the current location are confirmed).
pub(crate) async fn bulk(
    State(state): State<AppState>,
    console: Console,
    form: Submitted,
) -> Response {
    let Some(&(action, kind, label, done)) = ACTIONS.iter().find(|a| a.0 == form.get("action"))
    else {
        return redirect_with(LIST, "error", "Choose what to do to the selected users.");
    };
    let chosen = if form.ticked("all") {
        form.all("page_ids")
    } else {
        form.all("user_ids")
    };
    let Ok(ids) = chosen
        .iter()
        .map(|id| uuid::Uuid::parse_str(id).map(UserId::from))
        .collect::<Result<Vec<_>, _>>()
    else {
        return redirect_with(LIST, "error", "The selection was not understood.");
    };
    if ids.is_empty() {
        return redirect_with(LIST, "error", "Select at least one user first.");
    }
    let confirmed = form.ticked("confirm");
    let request = |preview| BulkRequest {
        action: kind,
        user_ids: Some(ids.clone()),
        filter: None,
        node_id: None,
        role_id: None,
        reason: None,
        preview,
        confirm: confirmed,
    };
    let ctx = &console.ctx;
    let mut message = String::new();
    let mut status = StatusCode::OK;
    if form.get("step") == "apply" {
        match bulk::run(&state.store, ctx, request(false)).await {
            Ok(outcome) => {
                let text = format!(
                    "{} {done}{}.",
                    users(outcome.changed),
                    if outcome.unchanged > 0 {
                        format!("; {} already were", outcome.unchanged)
                    } else {
                        String::new()
                    }
                );
                return redirect_with(LIST, "success", &capitalize(&text));
            }
            Err(ServiceError::Conflict { message: why, .. }) => {
                message = capitalize(&why);
                status = StatusCode::CONFLICT;
            }
            Err(error) => return service_page(error),
        }
    }
    let outcome: BulkOutcome = match bulk::run(&state.store, ctx, request(true)).await {
        Ok(outcome) => outcome,
        Err(error) => return service_page(error),
    };
    let page = PreviewPage {
        chrome: console.chrome.page("users", "Bulk action"),
        action,
        label,
        ids: ids.iter().map(ToString::to_string).collect(),
        selected: outcome.selected,
        changed: outcome.changed,
        unchanged: outcome.unchanged,
        refused: outcome
            .refused
            .into_iter()
            .map(|r| Refused {
                who: r.login.unwrap_or_else(|| r.user_id.to_string()),
                reason: capitalize(&r.reason),
            })
            .collect(),
        message,
        confirmed,
    };
    (status, page).into_response()
}

/// "1 user", "3 users".
fn users(n: u64) -> String {
    if n == 1 {
        "1 user".to_owned()
    } else {
        format!("{n} users")
    }
}
