//! The audit trail: every change writes one event, in the change's own transaction, with
//! who, when, what, field-level before/after, request id and IP.
//!
//! Events form one hash chain per organization: each event's hash covers its content and
//! the previous event's hash, so editing, removing or reordering any event breaks the
//! chain from that point on ([`verify`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use muster_domain::paging::Page;
use muster_domain::{AuditEventId, OrgId, UserId, ValidationErrors};
use muster_store::audit::{self as store_audit, AuditFilter, AuditRow, NewAuditEvent};
use muster_store::contacts as store_users;
use muster_store::{DbTime, Store, Tx};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::context::Ctx;
use crate::paging::PageRequest;
use crate::{Result, ServiceError, authz};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Section};

/// The `prev_hash` of an organization's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Field-level changes: field name → `{before, after}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes(BTreeMap<String, Value>);

impl Changes {
    /// The names of the changed fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Every field of a newly created object, as `{before: null, after: value}`.
    #[must_use]
    pub fn created(object: &impl Serialize) -> Self {
        Self::between(&Value::Null, &to_value(object))
    }

    /// Every field of a deleted object, as `{before: value, after: null}`.
    #[must_use]
    pub fn deleted(object: &impl Serialize) -> Self {
        Self::between(&to_value(object), &Value::Null)
    }

    /// The fields that differ between two versions of an object.
    #[must_use]
    pub fn diff(before: &impl Serialize, after: &impl Serialize) -> Self {
        Self::between(&to_value(before), &to_value(after))
    }

    /// Adds one field's change by hand.
    #[must_use]
    pub fn with(mut self, field: &str, before: impl Serialize, after: impl Serialize) -> Self {
        self.0.insert(
            field.to_owned(),
            json!({"before": to_value(&before), "after": to_value(&after)}),
        );
        self
    }

    /// Drops one field's change (bookkeeping that is not a change of its own).
    #[must_use]
    pub fn without(mut self, field: &str) -> Self {
        self.0.remove(field);
        self
    }

    /// Whether nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn between(before: &Value, after: &Value) -> Self {
        let empty = Map::new();
        let before = before.as_object().unwrap_or(&empty);
        let after = after.as_object().unwrap_or(&empty);
        let mut changes = BTreeMap::new();
        for key in before.keys().chain(after.keys()) {
            // `version` moves on every write; it is bookkeeping, not a change.
            if key == "version" || changes.contains_key(key) {
                continue;
            }
            let old = before.get(key).unwrap_or(&Value::Null);
            let new = after.get(key).unwrap_or(&Value::Null);
            if old != new {
                changes.insert(key.clone(), json!({"before": old, "after": new}));
            }
        }
        Self(changes)
    }
}

fn to_value(object: &impl Serialize) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// What an event is about.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// `user`, `node`, `role`, `command_group`, `settings`, …
    pub kind: &'static str,
    /// The object's id.
    pub id: Option<Uuid>,
    /// The person the event concerns, if any (shown on their audit tab).
    pub subject: Option<UserId>,
}

impl Target {
    /// An object that is not about a particular person.
    #[must_use]
    pub fn object(kind: &'static str, id: impl Into<Uuid>) -> Self {
        Self {
            kind,
            id: Some(id.into()),
            subject: None,
        }
    }

    /// A user, or something of a user's (placement, contact, barcode).
    #[must_use]
    pub fn of_user(kind: &'static str, id: impl Into<Uuid>, user: UserId) -> Self {
        Self {
            kind,
            id: Some(id.into()),
            subject: Some(user),
        }
    }
}

/// Appends an event to the organization's chain inside `tx`.
pub async fn record(
    tx: &mut Tx,
    ctx: &Ctx,
    action: &str,
    target: Target,
    changes: &Changes,
) -> Result<AuditEventId> {
    let id = AuditEventId::new();
    let head = store_audit::advance_head(tx, ctx.org).await?;
    let mut event = NewAuditEvent {
        id,
        org: ctx.org,
        seq: head.seq,
        at: ctx.now,
        actor_kind: ctx.actor.kind(),
        actor_id: ctx.actor.user(),
        token_id: ctx.actor.token(),
        action,
        target_kind: target.kind,
        target_id: target.id,
        subject_id: target.subject,
        changes: serde_json::to_string(changes).unwrap_or_else(|_| "null".to_owned()),
        request_id: ctx.request_id.as_deref(),
        ip: ctx.ip.as_deref(),
        prev_hash: head.prev_hash,
        hash: String::new(),
    };
    event.hash = hash_event(&Canonical::from_new(&event));
    store_audit::insert(tx, &event).await?;
    store_audit::set_head_hash(tx, ctx.org, &event.hash).await?;
    Ok(id)
}

/// Appends events written together (an import's users) to the organization's chain
/// inside `tx`: the chain advances once and the events go in a few statements, each
/// exactly as [`record`] would have written it.
pub(crate) async fn record_many(
    tx: &mut Tx,
    ctx: &Ctx,
    events: &[(&str, Target, Changes)],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let head = store_audit::advance_head_by(tx, ctx.org, n).await?;
    let mut prev_hash = head.prev_hash;
    let mut rows = Vec::with_capacity(events.len());
    for (seq, (action, target, changes)) in (head.seq..).zip(events) {
        let mut event = NewAuditEvent {
            id: AuditEventId::new(),
            org: ctx.org,
            seq,
            at: ctx.now,
            actor_kind: ctx.actor.kind(),
            actor_id: ctx.actor.user(),
            token_id: ctx.actor.token(),
            action,
            target_kind: target.kind,
            target_id: target.id,
            subject_id: target.subject,
            changes: serde_json::to_string(changes).unwrap_or_else(|_| "null".to_owned()),
            request_id: ctx.request_id.as_deref(),
            ip: ctx.ip.as_deref(),
            prev_hash,
            hash: String::new(),
        };
        event.hash = hash_event(&Canonical::from_new(&event));
        prev_hash = event.hash.clone();
        rows.push(event);
    }
    store_audit::insert_many(tx, &rows).await?;
    store_audit::set_head_hash(tx, ctx.org, &prev_hash).await?;
    Ok(())
}

/// The target kind of refused escalation attempts (never changes what anyone may do, so
/// the access index ignores these events).
pub const REFUSAL_KIND: &str = "access_refusal";

/// Passes `result` through; when it is an escalation refusal
/// ([`ServiceError::Escalation`]), first records the attempt — `attempted` (the action
/// that was tried), the refusal's reason, and who it concerned — in the audit log, in a
/// transaction of its own. Use before the change's transaction opens; inside one, use
/// [`refused_in`].
pub async fn refused<T>(
    store: &Store,
    ctx: &Ctx,
    attempted: &str,
    target: Target,
    result: Result<T>,
) -> Result<T> {
    match result {
        Err(ServiceError::Escalation(why)) => {
            let tx = store.begin_in(ctx.org).await?;
            Err(refused_in(tx, ctx, attempted, target, ServiceError::Escalation(why)).await)
        }
        other => other,
    }
}

/// Ends the change's transaction `tx` because of `error`: for an escalation refusal,
/// records the attempt (nothing else has been written in `tx` yet) and commits; for any
/// other error, rolls back. Returns the error to give the caller.
pub async fn refused_in(
    mut tx: Tx,
    ctx: &Ctx,
    attempted: &str,
    target: Target,
    error: ServiceError,
) -> ServiceError {
    let ServiceError::Escalation(why) = &error else {
        return error;
    };
    let changes = Changes::default()
        .with("attempted", Value::Null, attempted)
        .with("reason", Value::Null, why);
    let target = Target {
        kind: REFUSAL_KIND,
        ..target
    };
    let recorded = match record(&mut tx, ctx, "access.refused", target, &changes).await {
        Ok(_) => tx.commit().await.map_err(ServiceError::from),
        Err(e) => Err(e),
    };
    match recorded {
        Ok(()) => error,
        Err(e) => {
            tracing::warn!(error = %e, "could not record a refused escalation");
            error
        }
    }
}

/// The fields an event's hash covers, in a fixed order.
#[derive(Serialize)]
struct Canonical<'a> {
    id: Uuid,
    org_id: Uuid,
    seq: i64,
    at: String,
    actor_kind: &'a str,
    actor_id: Option<Uuid>,
    token_id: Option<Uuid>,
    action: &'a str,
    target_kind: &'a str,
    target_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    /// The changes' JSON text exactly as stored.
    changes: &'a str,
    request_id: Option<&'a str>,
    ip: Option<&'a str>,
    prev_hash: &'a str,
}

impl<'a> Canonical<'a> {
    fn from_new(e: &'a NewAuditEvent<'a>) -> Self {
        Self {
            id: e.id.as_uuid(),
            org_id: e.org.as_uuid(),
            seq: e.seq,
            at: e.at.to_canonical_string(),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id.map(|u| u.as_uuid()),
            token_id: e.token_id.map(|t| t.as_uuid()),
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            subject_id: e.subject_id.map(|u| u.as_uuid()),
            changes: &e.changes,
            request_id: e.request_id,
            ip: e.ip,
            prev_hash: &e.prev_hash,
        }
    }

    fn from_row(e: &'a AuditRow) -> Self {
        Self {
            id: e.id,
            org_id: e.org_id,
            seq: e.seq,
            at: e.at.to_canonical_string(),
            actor_kind: &e.actor_kind,
            actor_id: e.actor_id,
            token_id: e.token_id,
            action: &e.action,
            target_kind: &e.target_kind,
            target_id: e.target_id,
            subject_id: e.subject_id,
            changes: &e.changes,
            request_id: e.request_id.as_deref(),
            ip: e.ip.as_deref(),
            prev_hash: &e.prev_hash,
        }
    }
}

fn hash_event(canonical: &Canonical<'_>) -> String {
    // `changes` enters as the exact text stored, so nothing the database might do to
    // JSON (reorder keys, normalise numbers) can change what is hashed.
    let text = serde_json::to_string(canonical).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The outcome of checking an organization's chain.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Whether the whole chain is intact.
    pub ok: bool,
    /// How many events were checked.
    pub events: i64,
    /// The first event that does not fit the chain (edited, or out of place because an
    /// event before it was removed or the order changed).
    pub first_bad_event_id: Option<Uuid>,
    /// What is wrong, in words.
    pub problem: Option<String>,
}

/// Events read per query while verifying.
const VERIFY_BATCH: i64 = 1000;

/// Recomputes the organization's chain from the first event and reports the first break.
pub async fn verify(store: &Store, org: OrgId) -> Result<Verification> {
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut checked = 0;
    let bad = |id: Uuid, checked: i64, problem: String| Verification {
        ok: false,
        events: checked,
        first_bad_event_id: Some(id),
        problem: Some(problem),
    };
    loop {
        let batch = store_audit::chain_batch(store, org, checked, VERIFY_BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            checked += 1;
            if row.seq != expected_seq {
                return Ok(bad(
                    row.id,
                    checked,
                    format!(
                        "event #{} found where #{expected_seq} was expected: events were removed or reordered",
                        row.seq
                    ),
                ));
            }
            if row.prev_hash != prev_hash {
                return Ok(bad(
                    row.id,
                    checked,
                    format!("event #{} does not follow the event before it", row.seq),
                ));
            }
            if hash_event(&Canonical::from_row(row)) != row.hash {
                return Ok(bad(
                    row.id,
                    checked,
                    format!("event #{} was modified after it was written", row.seq),
                ));
            }
            prev_hash.clone_from(&row.hash);
            expected_seq += 1;
        }
    }
    let head = store_audit::head(store, org).await?;
    if let Some((seq, hash)) = head
        && (seq != expected_seq - 1 || hash != prev_hash)
    {
        return Ok(Verification {
            ok: false,
            events: checked,
            first_bad_event_id: None,
            problem: Some(format!(
                "the chain ends at event #{} but {seq} events were written: the newest were removed",
                expected_seq - 1
            )),
        });
    }
    Ok(Verification {
        ok: true,
        events: checked,
        first_bad_event_id: None,
        problem: None,
    })
}

/// Who performed an audited change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditActor {
    /// `user`, `token` or `system`.
    pub kind: String,
    /// The acting user (also set when they acted through a token).
    pub user_id: Option<Uuid>,
    /// The API token used, if any.
    pub token_id: Option<Uuid>,
}

/// What an audited change was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditTarget {
    /// Kind of object (`node`, `user`, `emergency_contact`, `barcode`, …).
    pub kind: String,
    /// The object's id, when it has one.
    pub id: Option<Uuid>,
}

/// One event of the audit trail, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Its id.
    pub id: Uuid,
    /// Its position in the organization's chain (1 for the first event).
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: AuditActor,
    /// What was done (`node.create`, `emergency_contact.update`, …).
    pub action: String,
    /// What it was done to.
    pub target: AuditTarget,
    /// The person it concerns, if any.
    pub subject_id: Option<Uuid>,
    /// Field-level changes: `{field: {before, after}}`.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// The id of the request that made the change.
    pub request_id: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            seq: row.seq,
            at: row.at.get(),
            actor: AuditActor {
                kind: row.actor_kind,
                user_id: row.actor_id,
                token_id: row.token_id,
            },
            action: row.action,
            target: AuditTarget {
                kind: row.target_kind,
                id: row.target_id,
            },
            subject_id: row.subject_id,
            changes: serde_json::from_str(&row.changes).unwrap_or(Value::Null),
            request_id: row.request_id,
            ip: row.ip,
        }
    }
}

/// Longest action filter accepted.
const ACTION_FILTER_MAX: usize = 100;

/// The audit log's filters as a client wrote them (query parameters); blank means absent.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only events by this user (a UUID).
    pub actor_id: Option<String>,
    /// Only events about this object or person (a UUID).
    pub target_id: Option<String>,
    /// Only this action (`node.update`), or ending in `.`, this family (`node.`).
    pub action: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// Only events before this instant (RFC 3339).
    pub until: Option<String>,
}

impl AuditQuery {
    /// Parses the filters, naming every invalid parameter.
    pub fn parse(&self) -> Result<AuditFilter, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut uuid = |field: &str, value: &Option<String>| {
            let parsed = present(value).map(|v| Uuid::parse_str(&v).ok());
            if parsed == Some(None) {
                errors.push(field, "must be a UUID");
            }
            parsed.flatten()
        };
        let actor = uuid("actor_id", &self.actor_id).map(UserId::from_uuid);
        let target = uuid("target_id", &self.target_id);
        let mut instant = |field: &str, value: &Option<String>| {
            let parsed = present(value).map(|v| {
                DateTime::parse_from_rfc3339(&v)
                    .ok()
                    .map(|at| DbTime::new(at.with_timezone(&Utc)))
            });
            if parsed == Some(None) {
                errors.push(
                    field,
                    "must be an RFC 3339 date and time, like 2026-11-23T08:00:00Z",
                );
            }
            parsed.flatten()
        };
        let since = instant("since", &self.since);
        let until = instant("until", &self.until);
        if let (Some(since), Some(until)) = (since, until)
            && until <= since
        {
            errors.push("until", "must be later than since");
        }
        let action = present(&self.action);
        if let Some(action) = &action {
            let allowed =
                |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.');
            if action.len() > ACTION_FILTER_MAX || !action.chars().all(allowed) {
                errors.push(
                    "action",
                    "must be an action like node.update, or a family like node.",
                );
            }
        }
        errors.into_result()?;
        Ok(AuditFilter {
            actor,
            target,
            action,
            since,
            until,
        })
    }
}

/// One page of the organization's audit log, newest first; the cursor is the sequence
/// number of the page's last event.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    query: &AuditQuery,
    page: &PageRequest,
) -> Result<Page<AuditEvent>> {
    authz::require_org_wide(ctx, Capability::AuditView)?;
    let (filter, before) = parse_with_cursor(query, page)?;
    list_filtered(store, ctx, &filter, before, page).await
}

/// `POST /audit/verify` for the caller: needs `audit.view` over the whole organization.
pub async fn verify_for(store: &Store, ctx: &Ctx) -> Result<Verification> {
    authz::require_org_wide(ctx, Capability::AuditView)?;
    verify(store, ctx.org).await
}

/// One page of the events about `user` (as the object changed or the person concerned),
/// newest first. The user may be deleted (their trail stays); a user of another
/// organization is not found. Readable with `audit.view` over the whole organization
/// (deleted users included), `audit.view` over the user, or a privilege on the user's
/// `audit_log` section.
pub async fn list_for_user(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    query: &AuditQuery,
    page: &PageRequest,
) -> Result<Page<AuditEvent>> {
    may_list_for_user(ctx, user)?;
    let (mut filter, before) = parse_with_cursor(query, page)?;
    if !store_users::user_exists(store, ctx.org, user).await? {
        return Err(ServiceError::NotFound("user"));
    }
    filter.target = Some(user.as_uuid());
    list_filtered(store, ctx, &filter, before, page).await
}

/// May the caller read the events about `user` ([`list_for_user`])? `audit.view` over the
/// whole organization, `audit.view` over the user, or `view` on their `audit_log` section.
pub fn may_list_for_user(ctx: &Ctx, user: UserId) -> Result<()> {
    if authz::can_org_wide(ctx, Capability::AuditView) {
        return Ok(());
    }
    authz::require_visible(ctx, user)?;
    if authz::can(
        ctx,
        Capability::AuditView,
        muster_access::Target::User(user),
    ) {
        return Ok(());
    }
    authz::require_section(ctx, user, Section::AuditLog, Access::View)
}

/// Most actors [`actors`] lists.
const ACTORS_MAX: i64 = 1000;

/// A user who performed audited changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ActorName {
    /// The user.
    pub id: Uuid,
    /// "First Last", or the display name.
    pub name: String,
    /// Their login.
    pub login: String,
}

/// The people who appear as actors in the organization's audit log (deleted users
/// included), by name, at most a thousand: what the audit log's actor filter offers.
/// Needs `audit.view` over the whole organization.
pub async fn actors(store: &Store, ctx: &Ctx) -> Result<Vec<ActorName>> {
    authz::require_org_wide(ctx, Capability::AuditView)?;
    Ok(store_audit::actors(store, ctx.org, ACTORS_MAX)
        .await?
        .into_iter()
        .map(|row| ActorName {
            id: row.id,
            name: match row.display_name {
                Some(d) if !d.trim().is_empty() => d,
                _ => format!("{} {}", row.first_name, row.last_name),
            },
            login: row.login,
        })
        .collect())
}

fn parse_with_cursor(
    query: &AuditQuery,
    page: &PageRequest,
) -> Result<(AuditFilter, Option<i64>), ValidationErrors> {
    let filter = query.parse();
    let before = page.after::<i64>();
    match (filter, before) {
        (Ok(filter), Ok(before)) => Ok((filter, before)),
        (filter, before) => {
            let mut errors = ValidationErrors::new();
            for error in filter
                .err()
                .iter()
                .chain(before.err().iter())
                .flat_map(ValidationErrors::errors)
            {
                errors.push(error.field.clone(), error.message.clone());
            }
            Err(errors)
        }
    }
}

async fn list_filtered(
    store: &Store,
    ctx: &Ctx,
    filter: &AuditFilter,
    before: Option<i64>,
    page: &PageRequest,
) -> Result<Page<AuditEvent>> {
    let (rows, total) =
        store_audit::list(store, ctx.org, filter, before, page.fetch_limit()).await?;
    Ok(page.page(rows, total, |r| r.seq, AuditEvent::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_only_changed_fields_and_ignores_version() {
        let before = json!({"name": "North", "kind": "Region", "version": 1});
        let after = json!({"name": "Northern", "kind": "Region", "version": 2});
        let changes = Changes::diff(&before, &after);
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({"name": {"before": "North", "after": "Northern"}})
        );
    }

    #[test]
    fn created_lists_every_field_from_null() {
        let changes = Changes::created(&json!({"name": "North"}));
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({"name": {"before": null, "after": "North"}})
        );
    }
}
