//! The frame of every signed-in page: who is signed in, where they work, what the
//! navigation offers them, the CSRF token for its forms and the toast to show; the
//! error pages; and the helpers handlers share.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::FromRequestParts;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use muster_domain::NodeId;
use muster_domain::access::Capability;
use muster_domain::auth::Me;
use muster_domain::nodes::Node;
use muster_service::paging::PageRequest;
use muster_service::sessions::{self, Authenticated};
use muster_service::{Ctx, ServiceError, authz, nodes};

use super::security::{CsrfToken, Flash, flash_cookie};
use crate::AppState;
use crate::problem::Problem;

/// One entry of the current-location switcher.
#[derive(Debug, Clone)]
pub(crate) struct LocationChoice {
    /// The node's id.
    pub(crate) id: String,
    /// Its name, indented by depth.
    pub(crate) label: String,
    /// Whether it is the current location.
    pub(crate) selected: bool,
}

/// What the layout needs to draw the frame around a page.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    /// The signed-in user's name.
    pub(crate) user_name: String,
    /// Their initials, for the avatar.
    pub(crate) initials: String,
    /// The organization's name (its root node).
    pub(crate) org_name: String,
    /// The CSRF token every form carries.
    pub(crate) csrf: String,
    /// A toast to show.
    pub(crate) flash: Option<Flash>,
    /// The navigation entry of this page.
    pub(crate) nav: &'static str,
    /// The page's title.
    pub(crate) title: String,
    /// Capabilities held at the current location.
    capabilities: BTreeSet<&'static str>,
    /// Capabilities held over the whole organization (organization-wide objects).
    org_capabilities: BTreeSet<&'static str>,
    /// Organization administrator.
    pub(crate) is_org_admin: bool,
    /// Whether the session must change its password first (the frame is reduced).
    pub(crate) pending: bool,
    /// The current-location switcher.
    pub(crate) locations: Vec<LocationChoice>,
    /// The current location's name.
    pub(crate) location_name: String,
    /// This page's path (forms that come back here send it).
    pub(crate) path: String,
}

impl Chrome {
    /// Whether the caller holds `capability` at the current location.
    pub(crate) fn can(&self, capability: &str) -> bool {
        self.is_org_admin || self.capabilities.contains(capability)
    }

    /// Whether the caller holds `capability` over the whole organization (needed for
    /// organization-wide objects: roles, the hierarchy, reference lists, settings, the
    /// audit log, the mailbox).
    pub(crate) fn can_org(&self, capability: &str) -> bool {
        self.is_org_admin || self.org_capabilities.contains(capability)
    }

    /// Whether the caller manages any part of the organization's structure (the
    /// navigation's "Organization" section).
    pub(crate) fn administers_org(&self) -> bool {
        ["org.manage", "roles.manage", "hierarchy.manage"]
            .iter()
            .any(|c| self.can_org(c))
    }

    /// Whether the navigation entry `entry` is this page's.
    pub(crate) fn is(&self, entry: &str) -> bool {
        self.nav == entry
    }

    /// Sets the page's navigation entry and title.
    pub(crate) fn page(mut self, nav: &'static str, title: impl Into<String>) -> Self {
        self.nav = nav;
        self.title = title.into();
        self
    }
}

/// A signed-in console caller: the request context the services take, the session, the
/// caller's `GET /me` and the page frame. A missing or expired session redirects to the
/// sign-in page; a session that must change its password is sent to that page first.
pub(crate) struct Console {
    /// The services' context.
    pub(crate) ctx: Ctx,
    /// The session.
    pub(crate) auth: Authenticated,
    /// Who the caller is.
    pub(crate) me: Me,
    /// The page frame.
    pub(crate) chrome: Chrome,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (ctx, auth) = match crate::extract::resolve(parts, state).await {
            Ok(found) => found,
            Err(problem) if problem.status == 401 => {
                return Err(to_sign_in(parts));
            }
            Err(problem) => return Err(problem_page(&problem)),
        };
        let path = parts.uri.path();
        let pending = auth.must_change_password();
        if pending && path != "/console/password" {
            return Err(Redirect::to("/console/password").into_response());
        }
        let me = sessions::me(&state.store, &ctx, &auth)
            .await
            .map_err(service_page)?;
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let flash = parts.extensions.get::<Flash>().cloned();
        let all_nodes = nodes::list(&state.store, &ctx, &PageRequest::first(500))
            .await
            .map(|p| p.items)
            .unwrap_or_default();
        let (locations, location_name) = location_choices(&me, &all_nodes);
        let org_name = all_nodes
            .iter()
            .find(|n| n.parent_id.is_none())
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let user = &me.user;
        let user_name = display_name(
            &user.first_name,
            &user.last_name,
            user.display_name.as_deref(),
        );
        let initials = format!(
            "{}{}",
            user.first_name.chars().next().unwrap_or('?'),
            user.last_name.chars().next().unwrap_or_default()
        )
        .to_uppercase();
        let chrome = Chrome {
            user_name,
            initials,
            org_name,
            csrf,
            flash,
            nav: "",
            title: String::new(),
            capabilities: me.capabilities.iter().map(|c| c.as_str()).collect(),
            org_capabilities: Capability::ALL
                .iter()
                .filter(|c| authz::can_org_wide(&ctx, **c))
                .map(|c| c.as_str())
                .collect(),
            is_org_admin: me.is_org_admin,
            pending,
            locations,
            location_name,
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/console".to_owned(), |p| p.as_str().to_owned()),
        };
        Ok(Self {
            ctx,
            auth,
            me,
            chrome,
        })
    }
}

/// "First Last", or the display name when there is one.
pub(crate) fn display_name(first: &str, last: &str, display: Option<&str>) -> String {
    match display {
        Some(d) if !d.trim().is_empty() => d.to_owned(),
        _ => format!("{first} {last}"),
    }
}

/// The nodes the caller may work at (their placements' nodes and everything below them),
/// in tree order, and the current one's name.
fn location_choices(me: &Me, all: &[Node]) -> (Vec<LocationChoice>, String) {
    let children = |parent: Option<NodeId>| {
        let mut found: Vec<&Node> = all.iter().filter(|n| n.parent_id == parent).collect();
        found.sort_by(|a, b| b.name.cmp(&a.name));
        found
    };
    let roots: BTreeSet<NodeId> = me.user.placements.iter().map(|p| p.node_id).collect();
    let current = me.current_node_id;
    let mut out = Vec::new();
    let mut current_name = String::new();
    // Depth first, in name order: (node, depth below the first node offered, offered).
    let mut stack: Vec<(&Node, usize, bool)> =
        children(None).into_iter().map(|n| (n, 0, false)).collect();
    while let Some((node, depth, inside)) = stack.pop() {
        let here = inside || roots.contains(&node.id);
        if here {
            if Some(node.id) == current {
                current_name.clone_from(&node.name);
            }
            out.push(LocationChoice {
                id: node.id.to_string(),
                label: format!("{}{}", "\u{a0}\u{a0}\u{a0}".repeat(depth), node.name),
                selected: Some(node.id) == current,
            });
        }
        let below = depth + usize::from(here);
        stack.extend(
            children(Some(node.id))
                .into_iter()
                .map(|n| (n, below, here)),
        );
    }
    (out, current_name)
}

/// Redirects to the sign-in page, coming back to this page afterwards.
fn to_sign_in(parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map_or("/console", |p| p.as_str());
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Redirect::to(&format!("/console/sign-in?next={next}")).into_response()
}

/// A redirect (303, so the browser follows with GET) carrying a toast.
pub(crate) fn redirect_with(location: &str, kind: &str, text: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, flash_cookie(kind, text));
    response
}

/// A redirect to `location` (303).
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// A page telling what went wrong.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: &'a str,
}

/// An error page with `status`.
pub(crate) fn error_response(status: StatusCode, title: &str, detail: &str) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        detail,
    };
    (status, page).into_response()
}

/// The error page of a problem document.
pub(crate) fn problem_page(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let detail = capitalize(&problem.detail);
    error_response(status, &problem.title, &detail)
}

/// The error page of a service error.
pub(crate) fn service_page(error: ServiceError) -> Response {
    problem_page(&Problem::from(error))
}

/// The first letter in upper case (service messages are lower case).
pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `/console`: the users list for administrators, one's own profile for everyone else.
pub(crate) async fn home(console: Console) -> Response {
    let _ = (Capability::UsersView, &console.me);
    see_other("/console/users")
}

/// Any other `/console/...` address.
pub(crate) async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}

/// Field errors of a form, by field name, for inline messages.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// Records `message` on `field` (the first message per field is shown).
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), capitalize(&message.into())));
    }

    /// Whether `field` has an error.
    pub(crate) fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    /// The message on `field`.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors of a problem document; `rename` maps API field names to form names.
    pub(crate) fn from_problem(problem: &Problem, rename: &dyn Fn(&str) -> String) -> Self {
        let mut errors = Self::default();
        for e in &problem.errors {
            errors.push(rename(&e.field), e.message.clone());
        }
        errors
    }
}
