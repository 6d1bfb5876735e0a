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
use muster_service::audit::{self, ActorName, AuditEvent, AuditQuery, Verification};
use muster_service::paging::PageRequest;
use muster_service::{hierarchy, nodes, roles};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Refusal, collect_all};
use crate::AppState;
use crate::console::page::{Chrome, Console, FieldErrors, capitalize, service_page};

/// Events per page.
const PAGE_SIZE: u32 = 25;
/// Longest value shown in full in a diff.
const VALUE_MAX: usize = 400;

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

/// A field name as people read it: `files_module.enabled` → "Files module › enabled".
fn field_label(field: &str) -> String {
    capitalize(&field.replace('_', " ").replace('.', " \u{203a} "))
}

/// One changed field of an event.
struct DiffRow {
    field: String,
    before: Option<String>,
    after: Option<String>,
}

/// One event as shown.
struct EventView {
    seq: i64,
    at: String,
    actor: String,
    actor_id: String,
    via_token: bool,
    action: String,
    refused: bool,
    target_kind: String,
    target_label: String,
    target_id: String,
    /// The person the event concerns (the target or its subject), for a link to them.
    person_id: String,
    subject: String,
    /// `created` (every field new), `deleted` (every field gone) or `changed`.
    mode: &'static str,
    diff: Vec<DiffRow>,
    request_id: String,
    ip: String,
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
}

/// A JSON value as people read it; `None` for `null` (nothing).
fn readable(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items
            .iter()
            .filter_map(readable)
            .collect::<Vec<_>>()
            .join(", "),
        // An object with a name reads as its name ({key, name} items); others as their
        // values (a privilege: "direct · edit · discipline").
        Value::Object(fields) => fields.get("name").and_then(readable).unwrap_or_else(|| {
            fields
                .values()
                .filter_map(readable)
                .collect::<Vec<_>>()
                .join(" \u{b7} ")
        }),
    };
    Some(if text.chars().count() > VALUE_MAX {
        let mut short: String = text.chars().take(VALUE_MAX).collect();
        short.push('\u{2026}');
        short
    } else {
        text
    })
}

/// A name for the object an event is about, from its own fields when they carry one.
fn object_label(changes: &Value) -> Option<String> {
    let field = |name: &str| {
        changes.get(name).and_then(|c| {
            c.get("after")
                .filter(|v| !v.is_null())
                .or_else(|| c.get("before"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
    };
    field("name")
        .or_else(|| match (field("first_name"), field("last_name")) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        })
        .or_else(|| field("login"))
}

fn short_id(id: Uuid) -> String {
    id.to_string().chars().take(8).collect()
}

fn view(event: AuditEvent, names: &HashMap<Uuid, String>) -> EventView {
    let name_of = |id: Uuid| names.get(&id).cloned().unwrap_or_else(|| short_id(id));
    let actor = match event.actor.user_id {
        Some(id) => name_of(id),
        None => "Muster".to_owned(),
    };
    let diff = event
        .changes
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(field, change)| DiffRow {
                    field: field_label(field),
                    before: change.get("before").and_then(readable),
                    after: change.get("after").and_then(readable),
                })
                .collect()
        })
        .unwrap_or_default();
    let diff: Vec<DiffRow> = diff;
    let mode = if !diff.is_empty() && diff.iter().all(|d| d.before.is_none()) {
        "created"
    } else if !diff.is_empty() && diff.iter().all(|d| d.after.is_none()) {
        "deleted"
    } else {
        "changed"
    };
    // Settings are the organization's own: their id says nothing more.
    let target_label = object_label(&event.changes)
        .or_else(|| {
            (event.target.kind != "settings")
                .then_some(event.target.id)
                .flatten()
                .map(name_of)
        })
        .unwrap_or_default();
    let subject = event
        .subject_id
        .filter(|s| Some(*s) != event.target.id)
        .map(name_of)
        .unwrap_or_default();
    EventView {
        seq: event.seq,
        at: event.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        actor_id: event
            .actor
            .user_id
            .map(|u| u.to_string())
            .unwrap_or_default(),
        actor,
        via_token: event.actor.token_id.is_some(),
        refused: event.action == "access.refused",
        action: event.action,
        target_kind: event.target.kind.replace('_', " "),
        target_label,
        target_id: event.target.id.map(|t| t.to_string()).unwrap_or_default(),
        person_id: event
            .subject_id
            .or(event.target.id.filter(|_| event.target.kind == "user"))
            .map(|u| u.to_string())
            .unwrap_or_default(),
        subject,
        mode,
        diff,
        request_id: event.request_id.unwrap_or_default(),
        ip: event.ip.unwrap_or_default(),
    }
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
