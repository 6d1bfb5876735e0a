//! The user page's Audit tab: the events about this person (as the object changed or the
//! person concerned), newest first, with their field-level diffs drawn as the audit log
//! viewer draws them ([`super::audit_events`]). Reads go through
//! `muster_service::audit::list_for_user`, the function behind
//! `GET /api/v1/users/{id}/audit`, which also decides who may read them.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use muster_domain::UserId;
use muster_service::audit::{self, AuditQuery};
use muster_service::paging::PageRequest;
use muster_service::users;
use uuid::Uuid;

use super::audit_events::{EventView, view};
use super::page::{Chrome, display_name, service_page};
use super::user_more::CursorQuery;
use super::user_page::{UserFrame, Viewed};
use crate::AppState;

/// Events per page.
const PAGE_SIZE: u32 = 25;

#[derive(Template, WebTemplate)]
#[template(path = "user_audit.html")]
struct AuditTab {
    chrome: Chrome,
    frame: UserFrame,
    events: Vec<EventView>,
    total: i64,
    next: String,
    /// Whether the caller reads the organization's log too (links to it by actor and
    /// object).
    audit_links: bool,
    /// Links to the person an event concerns (not here: this is their page).
    person_links: bool,
}

/// `GET /console/users/{id}/audit`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Viewed { console, user }: Viewed,
    Query(query): Query<CursorQuery>,
) -> Response {
    let ctx = &console.ctx;
    let request = match PageRequest::new(Some(PAGE_SIZE), query.cursor.clone()) {
        Ok(request) => request,
        Err(error) => return service_page(error.into()),
    };
    let page =
        match audit::list_for_user(&state.store, ctx, user.id, &AuditQuery::default(), &request)
            .await
        {
            Ok(page) => page,
            Err(error) => return service_page(error),
        };
    // The people who acted, named as the caller may see them (short ids otherwise).
    let mut names: HashMap<Uuid, String> = HashMap::new();
    names.insert(
        user.id.as_uuid(),
        display_name(
            &user.first_name,
            &user.last_name,
            user.display_name.as_deref(),
        ),
    );
    for event in &page.items {
        for id in [event.actor.user_id, event.subject_id]
            .into_iter()
            .flatten()
        {
            if names.contains_key(&id) {
                continue;
            }
            if let Ok(found) = users::get(&state.store, ctx, UserId::from_uuid(id)).await {
                let name = display_name(
                    &found.first_name,
                    &found.last_name,
                    found.display_name.as_deref(),
                );
                names.insert(id, name);
            }
        }
    }
    let next = page.next_cursor.map_or_else(String::new, |c| {
        let c: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("/console/users/{}/audit?cursor={c}", user.id)
    });
    AuditTab {
        frame: UserFrame::load(&state, ctx, &user, "audit").await,
        events: page.items.into_iter().map(|e| view(e, &names)).collect(),
        total: page.total,
        next,
        audit_links: console.chrome.can_org("audit.view"),
        person_links: false,
        chrome: console.chrome.page("users", "Audit"),
    }
    .into_response()
}
