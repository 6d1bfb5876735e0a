//! The audit log viewer (`/console/audit`): filters (who, about what, which action, when),
//! paging, every event with its field-level before/after, and "Verify chain", which
//! recomputes the organization's hash chain and says whether it is intact. Reads go
//! through `muster_service::audit`, the functions behind `/api/v1/audit`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muster_service::audit::{self, ActorName, AuditQuery, Verification};
use muster_service::paging::PageRequest;
use muster_service::{hierarchy, nodes, roles};
use serde::Deserialize;
use uuid::Uuid;

use super::{Refusal, collect_all};
use crate::AppState;
use crate::console::audit_events::{EventView, view};
use crate::console::page::{Chrome, Console, FieldErrors, service_page};

/// Events per page.
const PAGE_SIZE: u32 = 25;

/// The viewer's query string; everything optional.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct AuditParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    page: String,
}

impl AuditParams {
    /// The filters as query parameters (without paging).
    fn filters(&self) -> Vec<(&'static str, String)> {
        [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
            ("since", &self.since),
            ("until", &self.until),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect()
    }

    fn href(&self, extra: &[(&'static str, String)]) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.filters().iter().chain(extra))
            .finish();
        if query.is_empty() {
            "/console/audit".to_owned()
        } else {
            format!("/console/audit?{query}")
        }
    }

    fn page_number(&self) -> u32 {
        self.page.parse().ok().filter(|p| *p >= 1).unwrap_or(1)
    }
}

/// A `datetime-local` value (`2026-12-07T08:30`, read as UTC) as RFC 3339; anything else
/// goes to the service as typed, which says what is wrong with it.
fn instant(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let bytes = raw.as_bytes();
    let local =
        |len: usize| raw.len() == len && bytes.get(10) == Some(&b'T') && !raw.contains(['Z', '+']);
    Some(if local(16) {
        format!("{raw}:00Z")
    } else if local(19) {
        format!("{raw}Z")
    } else {
        raw.to_owned()
    })
}

/// A choice of the actor filter.
struct ActorChoice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    actors: Vec<ActorChoice>,
    params: AuditParams,
    events: Vec<EventView>,
    range: String,
    first: String,
    older: String,
    filtered: bool,
    errors: FieldErrors,
    alert: Option<String>,
    verification: Option<Verification>,
    /// Links to the log filtered by an event's actor or object (this page's own filters).
    audit_links: bool,
    /// Links to the person an event concerns.
    person_links: bool,
}

async fn render(
    state: &AppState,
    console: Console,
    params: AuditParams,
    verification: Option<Verification>,
) -> Response {
    let (store, ctx) = (&state.store, &console.ctx);
    let actors = match audit::actors(store, ctx).await {
        Ok(actors) => actors,
        Err(error) => return service_page(error),
    };
    let mut names: HashMap<Uuid, String> = actors.iter().map(|a| (a.id, a.name.clone())).collect();
    // Objects whose events do not carry their name (an update of other fields).
    if let Ok(found) = collect_all(|page| async move { nodes::list(store, ctx, &page).await }).await
    {
        names.extend(found.into_iter().map(|n| (n.id.as_uuid(), n.name)));
    }
    if let Ok(found) = collect_all(|page| async move { roles::list(store, ctx, &page).await }).await
    {
        names.extend(found.into_iter().map(|r| (r.id.as_uuid(), r.name)));
    }
    if let Ok(found) =
        collect_all(|page| async move { hierarchy::list(store, ctx, &page).await }).await
    {
        names.extend(found.into_iter().map(|g| (g.id.as_uuid(), g.name)));
    }
    let query = AuditQuery {
        actor_id: Some(params.actor.clone()),
        target_id: Some(params.target.clone()),
        action: Some(params.action.clone()),
        since: instant(&params.since),
        until: instant(&params.until),
    };
    let cursor = Some(params.cursor.clone()).filter(|c| !c.is_empty());
    let request =
        PageRequest::new(Some(PAGE_SIZE), cursor).unwrap_or_else(|_| PageRequest::first(PAGE_SIZE));
    let number = params.page_number();
    let (events, range, older, refusal) = match audit::list(store, ctx, &query, &request).await {
        Ok(page) => {
            let first = (number - 1) * PAGE_SIZE + 1;
            let count = u32::try_from(page.items.len()).unwrap_or(0);
            let range = if count == 0 {
                format!("0 of {}", page.total)
            } else {
                format!("{first}\u{2013}{} of {}", first + count - 1, page.total)
            };
            let older = page.next_cursor.map_or_else(String::new, |c| {
                params.href(&[("cursor", c), ("page", (number + 1).to_string())])
            });
            let events = page.items.into_iter().map(|e| view(e, &names)).collect();
            (events, range, older, None)
        }
        Err(error) => {
            let refusal = Refusal::of(error, &|f| match f {
                "actor_id" => "actor".to_owned(),
                "target_id" => "target".to_owned(),
                "cursor" => "page".to_owned(),
                other => other.to_owned(),
            });
            if refusal.status == 403 || refusal.status >= 500 {
                return service_page_of(&refusal);
            }
            (Vec::new(), String::new(), String::new(), Some(refusal))
        }
    };
    let actor_choices = std::iter::once(ActorChoice {
        value: String::new(),
        label: "Anyone".to_owned(),
        selected: params.actor.trim().is_empty(),
    })
    .chain(actors.into_iter().map(|ActorName { id, name, login }| {
        let value = id.to_string();
        ActorChoice {
            selected: value == params.actor.trim(),
            label: format!("{name} ({login})"),
            value,
        }
    }))
    .collect();
    let refusal = refusal.unwrap_or_default();
    let status = if refusal.status == 0 {
        StatusCode::OK
    } else {
        refusal.status()
    };
    let page = AuditPage {
        chrome: console.chrome.page("audit", "Audit log"),
        actors: actor_choices,
        filtered: !params.filters().is_empty(),
        first: if number > 1 {
            params.href(&[])
        } else {
            String::new()
        },
        params,
        events,
        range,
        older,
        errors: refusal.errors,
        alert: refusal.alert,
        verification,
        audit_links: true,
        person_links: true,
    };
    (status, page).into_response()
}

/// The refusal page of a listing the caller may not read.
fn service_page_of(refusal: &Refusal) -> Response {
    crate::console::page::error_response(
        refusal.status(),
        if refusal.status == 403 {
            "Not allowed"
        } else {
            "Something went wrong"
        },
        refusal.alert.as_deref().unwrap_or_default(),
    )
}

/// `GET /console/audit`.
pub(crate) async fn page(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<AuditParams>,
) -> Response {
    render(&state, console, params, None).await
}

/// `POST /console/audit/verify`: recomputes the chain (`POST /api/v1/audit/verify`) and
/// shows the result above the log. Nothing changes, so the answer is the page itself.
pub(crate) async fn verify(State(state): State<AppState>, console: Console) -> Response {
    match audit::verify_for(&state.store, &console.ctx).await {
        Ok(result) => render(&state, console, AuditParams::default(), Some(result)).await,
        Err(error) => service_page(error),
    }
}
