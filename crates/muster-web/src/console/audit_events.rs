//! Audit events as the console shows them: who did what to which object, and each
//! field's value before and after, in words people read. Shared by the organization's
//! audit log viewer and the Audit tab of the user page (the `audit_events.html` list).

use std::collections::HashMap;

use muster_service::audit::AuditEvent;
use serde_json::Value;
use uuid::Uuid;

use super::page::capitalize;

/// Longest value shown in full in a diff.
const VALUE_MAX: usize = 400;

/// A field name as people read it: `files_module.enabled` → "Files module › enabled".
fn field_label(field: &str) -> String {
    capitalize(&field.replace('_', " ").replace('.', " \u{203a} "))
}

/// One changed field of an event.
pub(crate) struct DiffRow {
    pub(crate) field: String,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
}

/// One event as shown.
pub(crate) struct EventView {
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) actor_id: String,
    pub(crate) via_token: bool,
    pub(crate) action: String,
    pub(crate) refused: bool,
    pub(crate) target_kind: String,
    pub(crate) target_label: String,
    pub(crate) target_id: String,
    /// The person the event concerns (the target or its subject), for a link to them.
    pub(crate) person_id: String,
    pub(crate) subject: String,
    /// `created` (every field new), `deleted` (every field gone) or `changed`.
    pub(crate) mode: &'static str,
    pub(crate) diff: Vec<DiffRow>,
    pub(crate) request_id: String,
    pub(crate) ip: String,
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

/// An event as shown, naming people and objects from `names` (short ids otherwise).
pub(crate) fn view(event: AuditEvent, names: &HashMap<Uuid, String>) -> EventView {
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
