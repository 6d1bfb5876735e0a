//! The organization and records screens: roles, the organization tree, the command
//! hierarchy, reference lists, settings, the audit log, the mailbox and the directory.
//!
//! Their routes are registered here, in one place, and their handlers share what is here:
//! reading a form whose names repeat (checkbox groups), turning a service's refusal into
//! what the page shows (a message, errors beside the fields, the right status), and
//! reading a whole list through the services' cursor paging.

mod audit;
mod directory;
mod hierarchy;
mod mailbox;
mod org_tree;
mod reference;
mod roles;
mod settings;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use muster_domain::access::Capability;
use muster_domain::paging::Page;
use muster_service::paging::PageRequest;
use muster_service::{Ctx, ServiceError, authz};

use super::page::{FieldErrors, capitalize, service_page};
use crate::AppState;
use crate::problem::Problem;

/// The routes of these screens (all under `/console`, behind the console's security layer).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/roles", get(roles::list).post(roles::create))
        .route("/console/roles/new", get(roles::new_page))
        .route(
            "/console/roles/{id}",
            get(roles::edit_page).post(roles::update),
        )
        .route("/console/roles/{id}/delete", post(roles::delete))
        .route("/console/org/tree", get(org_tree::page))
        .route("/console/org/tree/nodes", post(org_tree::create))
        .route("/console/org/tree/nodes/{id}", post(org_tree::update))
        .route(
            "/console/org/tree/nodes/{id}/delete",
            post(org_tree::delete),
        )
        .route(
            "/console/org/hierarchy",
            get(hierarchy::page).post(hierarchy::create),
        )
        .route(
            "/console/org/hierarchy/{id}",
            get(hierarchy::group_page_get).post(hierarchy::update),
        )
        .route(
            "/console/org/hierarchy/{id}/delete",
            post(hierarchy::delete),
        )
        .route("/console/reference", get(reference::index))
        .route(
            "/console/reference/{list}",
            get(reference::list).post(reference::create),
        )
        .route("/console/reference/{list}/{id}", post(reference::update))
        .route(
            "/console/reference/{list}/{id}/delete",
            post(reference::delete),
        )
        .route(
            "/console/settings",
            get(settings::page).post(settings::save),
        )
        .route("/console/audit", get(audit::page))
        .route("/console/audit/verify", post(audit::verify))
        .route("/console/mailbox", get(mailbox::page))
        .route("/console/directory", get(directory::page))
}

/// A urlencoded form body as name/value pairs, in order; names may repeat (checkbox
/// groups, multi-selects), which the plain `Form` extractor cannot read into a struct.
#[derive(Debug, Default)]
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// The first value of `name`, or "" when absent.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed.
    pub(crate) fn text(&self, name: &str) -> String {
        self.get(name).trim().to_owned()
    }

    /// Every value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether `name` was sent (a ticked checkbox).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The form's version field, sent back as the `If-Match` of the change.
    pub(crate) fn version(&self) -> Option<i64> {
        self.get("version").trim().parse().ok()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// What a page shows when the service refused a form: the status to answer with, a
/// message for the whole form (when no field is at fault, or the caller may not do this)
/// and the errors beside the fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Refusal {
    /// The answer's status (422, 409, 403, 412, …).
    pub(crate) status: u16,
    /// The message above the form.
    pub(crate) alert: Option<String>,
    /// The errors beside the fields.
    pub(crate) errors: FieldErrors,
}

impl Refusal {
    /// The refusal of `error`; `rename` maps the service's field names to the form's.
    pub(crate) fn of(error: ServiceError, rename: &dyn Fn(&str) -> String) -> Self {
        let forbidden = matches!(
            error,
            ServiceError::Forbidden(_) | ServiceError::Escalation(_)
        );
        let problem = Problem::from(error);
        let errors = FieldErrors::from_problem(&problem, rename);
        let alert = if forbidden {
            Some(format!("You may not do this: {}.", problem.detail))
        } else if problem.errors.is_empty() {
            Some(format!("{}.", capitalize(&problem.detail)))
        } else {
            None
        };
        Self {
            status: problem.status,
            alert,
            errors,
        }
    }

    /// The status to answer with.
    pub(crate) fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }
}

/// Opens a page for organization-wide administration: the caller must hold `capability`
/// over the whole organization (asked of [`authz`], never decided here); otherwise the
/// refusal page saying why.
pub(crate) fn refuse_unless_org_wide(ctx: &Ctx, capability: Capability) -> Option<Response> {
    authz::require_org_wide(ctx, capability)
        .err()
        .map(service_page)
}

/// Most items a page reads from one list (500 per request, 40 requests).
const ALL_MAX_PAGES: usize = 40;

/// Every item of a cursor-paged service list, in its order.
pub(crate) async fn collect_all<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ServiceError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, ServiceError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    for _ in 0..ALL_MAX_PAGES {
        let page = fetch(PageRequest::new(Some(500), cursor)?).await?;
        items.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(items)
}

/// A level or other key as people read it: `super_admin` → "Super admin", `none` →
/// "No access".
pub(crate) fn humanize(key: &str) -> String {
    match key {
        "none" => "No access".to_owned(),
        other => capitalize(&other.replace(['_', '.'], " ")),
    }
}
