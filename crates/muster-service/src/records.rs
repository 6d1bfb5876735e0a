//! Personnel records: list, read, write, change and soft-delete the records of a person's
//! file, section by section (DESIGN.md §1), as the command hierarchy allows (§2.2).
//!
//! Reading a section needs `view` on it and writing needs `edit`, both through the
//! privileges of the caller's command group for their relation to the person (an
//! organization administrator holds every section). Related reports are links into other
//! systems: everybody with `view` reads them, but only administrators whose `users.edit`
//! reaches the person keep them. Applying a promotion sets the person's current rank and
//! unit in the record's own transaction, audited as a change to the person.
//!
//! Every change is audited with the target kind `record` and actions named after the
//! section (`discipline.create`, `promotions.update`, …); records never change who may do
//! what, so these events leave the access index alone.

use chrono::NaiveDate;
use muster_domain::access::Capability;
use muster_domain::hierarchy::Access;
use muster_domain::paging::Page;
use muster_domain::records::{
    self as rules, NewRecord, PersonnelRecord, RecordDraft, RecordPatch, RecordSection,
};
use muster_domain::{RecordId, ReferenceItemId, UserId, ValidationErrors};
use muster_store::contacts as store_users;
use muster_store::records::{self as store_records, RecordFields, RecordRow};
use muster_store::users as store_profiles;
use muster_store::{DbTime, Store, Tx};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz};

/// The audit target kind of every record event.
pub const TARGET_KIND: &str = "record";

fn to_record(row: RecordRow) -> PersonnelRecord {
    PersonnelRecord {
        id: RecordId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        section: row.section.parse().unwrap_or(RecordSection::FeedbackNotes),
        date: row.occurred_on,
        title: row.title,
        category: row.category,
        notes: row.notes,
        ends_on: row.ends_on,
        rating: row.rating,
        rank_id: row.rank_id.map(ReferenceItemId::from_uuid),
        unit_id: row.unit_id.map(ReferenceItemId::from_uuid),
        assignment_type_id: row.assignment_type_id.map(ReferenceItemId::from_uuid),
        applied_at: row.applied_at.map(DbTime::get),
        system: row.external_system,
        reference: row.external_ref,
        url: row.external_url,
        author_id: row.author_id.map(UserId::from_uuid),
        created_at: row.created_at.get(),
        updated_by_id: row.updated_by_id.map(UserId::from_uuid),
        updated_at: row.updated_at.get(),
        version: row.version,
    }
}

/// The latest date that is not in the future anywhere on Earth (UTC+14), so that nobody
/// is refused "today" because the server's clock is in another time zone.
#[must_use]
pub fn latest_day(ctx: &Ctx) -> NaiveDate {
    (ctx.now.get() + chrono::Duration::hours(14)).date_naive()
}

/// May the caller read `section` of `user`'s file? 404 when they cannot see the person,
/// 403 when they can but hold no `view` on the section.
pub fn may_view(ctx: &Ctx, user: UserId, section: RecordSection) -> Result<()> {
    authz::require_section(ctx, user, section.privilege(), Access::View)
}

/// May the caller write `section` of `user`'s file? `edit` on the section; for related
/// reports, `users.edit` over the person (with the multi-location confirmation).
pub fn may_edit(ctx: &Ctx, user: UserId, section: RecordSection) -> Result<()> {
    if section == RecordSection::RelatedReports {
        authz::require_on_user(ctx, Capability::UsersEdit, user)?;
        return authz::require_confirmed(ctx, user);
    }
    authz::require_section(ctx, user, section.privilege(), Access::Edit)
}

/// Whether the caller may write `section` of `user`'s file (for the console's buttons).
#[must_use]
pub fn can_edit(ctx: &Ctx, user: UserId, section: RecordSection) -> bool {
    if section == RecordSection::RelatedReports {
        return authz::can_see(ctx, user)
            && authz::can(
                ctx,
                Capability::UsersEdit,
                muster_access::Target::User(user),
            );
    }
    authz::can_section(ctx, user, section.privilege(), Access::Edit)
}

async fn live_user(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_users::user_is_live(store, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

async fn live_user_in(tx: &mut Tx, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_users::user_is_live_tx(tx, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

async fn record_in(
    tx: &mut Tx,
    ctx: &Ctx,
    user: UserId,
    section: RecordSection,
    id: RecordId,
) -> Result<PersonnelRecord> {
    store_records::get_tx(tx, ctx.org, user, section.as_str(), id)
        .await?
        .map(to_record)
        .ok_or(ServiceError::NotFound("record"))
}

/// One page of `section` of `user`'s file, newest first.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    section: RecordSection,
    page: &PageRequest,
) -> Result<Page<PersonnelRecord>> {
    may_view(ctx, user, section)?;
    let after = page.after::<(NaiveDate, Uuid)>()?;
    live_user(store, ctx, user).await?;
    let rows = store_records::list(
        store,
        ctx.org,
        user,
        section.as_str(),
        after,
        page.fetch_limit(),
    )
    .await?;
    let total = store_records::count(store, ctx.org, user, section.as_str()).await?;
    Ok(page.page(rows, total, |r| (r.occurred_on, r.id), to_record))
}

/// One record of `section` of `user`'s file.
pub async fn get(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    section: RecordSection,
    id: RecordId,
) -> Result<PersonnelRecord> {
    may_view(ctx, user, section)?;
    live_user(store, ctx, user).await?;
    store_records::get(store, ctx.org, user, section.as_str(), id)
        .await?
        .map(to_record)
        .ok_or(ServiceError::NotFound("record"))
}

fn fields(draft: &RecordDraft, applied_at: Option<DbTime>) -> Result<RecordFields<'_>> {
    let date = draft
        .date
        .ok_or_else(|| ValidationErrors::single("date", "is required"))?;
    Ok(RecordFields {
        date,
        title: draft.title.as_deref(),
        category: draft.category.as_deref(),
        notes: draft.notes.as_deref(),
        ends_on: draft.ends_on,
        rating: draft.rating,
        rank_id: draft.rank_id.map(|r| r.as_uuid()),
        unit_id: draft.unit_id.map(|r| r.as_uuid()),
        assignment_type_id: draft.assignment_type_id.map(|r| r.as_uuid()),
        applied_at,
        system: draft.system.as_deref(),
        reference: draft.reference.as_deref(),
        url: draft.url.as_deref(),
    })
}

/// Checks that the reference items a draft names (where they differ from `before`) are
/// live entries of their lists.
async fn check_references(
    tx: &mut Tx,
    ctx: &Ctx,
    draft: &RecordDraft,
    before: Option<&PersonnelRecord>,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let named = [
        (
            "rank_id",
            "ranks",
            draft.rank_id,
            before.and_then(|b| b.rank_id),
        ),
        (
            "unit_id",
            "units",
            draft.unit_id,
            before.and_then(|b| b.unit_id),
        ),
        (
            "assignment_type_id",
            "assignment_types",
            draft.assignment_type_id,
            before.and_then(|b| b.assignment_type_id),
        ),
    ];
    for (field, list, id, previous) in named {
        if let Some(id) = id
            && Some(id) != previous
            && store_profiles::live_reference_items(tx, ctx.org, list, &[id.as_uuid()])
                .await?
                .is_empty()
        {
            errors.push(field, format!("no such entry in the {list} list"));
        }
    }
    errors.into_result()?;
    Ok(())
}

/// Sets `user`'s current rank and unit to those the promotion `record` names (those it
/// does not name stay), audited as `user.promote`.
async fn apply_promotion(
    tx: &mut Tx,
    ctx: &Ctx,
    user: UserId,
    record: &PersonnelRecord,
) -> Result<()> {
    let current = store_records::rank_and_unit(tx, ctx.org, user)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let rank = record.rank_id.map(|r| r.as_uuid()).or(current.rank_id);
    let unit = record.unit_id.map(|u| u.as_uuid()).or(current.unit_id);
    if !store_records::set_rank_and_unit(tx, ctx.org, user, current.version, (rank, unit), ctx.now)
        .await?
    {
        return Err(ServiceError::Stale("user"));
    }
    let changes = Changes::default()
        .with("rank_id", current.rank_id, rank)
        .with("unit_id", current.unit_id, unit)
        .with("promotion_id", None::<Uuid>, record.id);
    audit::record(
        tx,
        ctx,
        "user.promote",
        Target::of_user("user", user, user),
        &changes,
    )
    .await?;
    Ok(())
}

/// Adds a record to `section` of `user`'s file, written by the caller. A promotion with
/// `apply` also becomes the person's current rank and unit.
pub async fn create(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    section: RecordSection,
    request: NewRecord,
) -> Result<PersonnelRecord> {
    may_edit(ctx, user, section)?;
    if request.apply && section != RecordSection::Promotions {
        return Err(
            ValidationErrors::single("apply", format!("does not apply to {section}")).into(),
        );
    }
    let draft = rules::check(
        section,
        &RecordDraft::from(&request),
        latest_day(ctx),
        request.apply,
    )?;

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    check_references(&mut tx, ctx, &draft, None).await?;
    let id = RecordId::new();
    let applied_at = request.apply.then_some(ctx.now);
    store_records::insert(
        &mut tx,
        ctx.org,
        user,
        section.as_str(),
        id,
        &fields(&draft, applied_at)?,
        ctx.actor.user(),
        ctx.now,
    )
    .await?;
    let created = record_in(&mut tx, ctx, user, section, id).await?;
    audit::record(
        &mut tx,
        ctx,
        &format!("{section}.create"),
        Target::of_user(TARGET_KIND, id, user),
        &Changes::created(&created),
    )
    .await?;
    if request.apply {
        apply_promotion(&mut tx, ctx, user, &created).await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Changes a record (JSON merge patch). An applied promotion keeps its date, rank and
/// unit (409); `apply: true` applies one that was not yet.
#[allow(clippy::too_many_arguments)] // The record's address, its version and the patch.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    section: RecordSection,
    id: RecordId,
    if_match: Option<i64>,
    patch: RecordPatch,
) -> Result<PersonnelRecord> {
    may_edit(ctx, user, section)?;
    if patch.apply.is_some() && section != RecordSection::Promotions {
        return Err(
            ValidationErrors::single("apply", format!("does not apply to {section}")).into(),
        );
    }
    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let before = record_in(&mut tx, ctx, user, section, id).await?;
    check_version(if_match, before.version, "record")?;
    let was_applied = before.applied_at.is_some();
    let applying = patch.apply == Some(true) && !was_applied;
    if was_applied {
        if patch.apply == Some(false) {
            return Err(ServiceError::conflict(
                "apply",
                "an applied promotion stays applied; record a new promotion instead",
            ));
        }
        let draft = RecordDraft::patched(&before, &patch);
        if draft.date != Some(before.date)
            || draft.rank_id != before.rank_id
            || draft.unit_id != before.unit_id
        {
            return Err(ServiceError::conflict(
                "date",
                "an applied promotion keeps its date, rank and unit; record a new promotion \
                 instead",
            ));
        }
    }
    let draft = rules::check(
        section,
        &RecordDraft::patched(&before, &patch),
        latest_day(ctx),
        was_applied || applying,
    )?;
    check_references(&mut tx, ctx, &draft, Some(&before)).await?;
    let applied_at = if applying {
        Some(ctx.now)
    } else {
        before.applied_at.map(DbTime::from)
    };
    if !store_records::update(
        &mut tx,
        ctx.org,
        user,
        section.as_str(),
        id,
        before.version,
        &fields(&draft, applied_at)?,
        ctx.actor.user(),
        ctx.now,
    )
    .await?
    {
        return Err(ServiceError::Stale("record"));
    }
    let after = record_in(&mut tx, ctx, user, section, id).await?;
    let mut changes = Changes::diff(&before, &after);
    for bookkeeping in ["updated_at", "updated_by_id"] {
        changes = changes.without(bookkeeping);
    }
    if changes.is_empty() {
        // Nothing but bookkeeping would change: keep the record as it was.
        return Ok(before);
    }
    audit::record(
        &mut tx,
        ctx,
        &format!("{section}.update"),
        Target::of_user(TARGET_KIND, id, user),
        &changes,
    )
    .await?;
    if applying {
        apply_promotion(&mut tx, ctx, user, &after).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Removes a record (soft: it stays in the audit trail). Removing an applied promotion
/// leaves the person's rank and unit as they are.
pub async fn delete(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    section: RecordSection,
    id: RecordId,
    if_match: Option<i64>,
) -> Result<()> {
    may_edit(ctx, user, section)?;
    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let record = record_in(&mut tx, ctx, user, section, id).await?;
    check_version(if_match, record.version, "record")?;
    if !store_records::soft_delete(
        &mut tx,
        ctx.org,
        user,
        section.as_str(),
        id,
        record.version,
        ctx.actor.user(),
        ctx.now,
    )
    .await?
    {
        return Err(ServiceError::Stale("record"));
    }
    audit::record(
        &mut tx,
        ctx,
        &format!("{section}.delete"),
        Target::of_user(TARGET_KIND, id, user),
        &Changes::deleted(&record),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
