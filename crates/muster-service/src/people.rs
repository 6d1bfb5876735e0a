//! What belongs to a person besides their profile: emergency contacts and barcodes.
//!
//! Both hang off a user who must be in the caller's organization and not deleted; anyone
//! else is not found. Changing them is audited on the user's trail (the event's subject is
//! the user) but does not touch the user record itself: its version does not move.

use muster_domain::access::Capability;
use muster_domain::paging::Page;
use muster_domain::people::{
    self as rules, Barcode, EmergencyContact, EmergencyContactPatch, NewBarcode,
    NewEmergencyContact,
};
use muster_domain::{ContactId, UserId, ValidationErrors};
use muster_store::barcodes::{self as store_barcodes, BarcodeRow};
use muster_store::contacts::{self as store_contacts, ContactFields, ContactRow};
use muster_store::{Store, Tx};
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz, settings};

fn to_contact(row: ContactRow) -> EmergencyContact {
    EmergencyContact {
        id: ContactId::from_uuid(row.id),
        name: row.name,
        relationship: row.relationship,
        phones: row.phones.0,
        email: row.email,
        address: row.address.map(|a| a.0),
        priority: row.priority,
        version: row.version,
    }
}

fn to_barcode(row: BarcodeRow) -> Barcode {
    Barcode {
        code: row.code,
        created_at: row.created_at.get(),
    }
}

/// Fails with "user not found" unless `user` is a live user of the caller's organization.
async fn live_user(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_contacts::user_is_live(store, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

/// [`live_user`] inside a transaction.
async fn live_user_in(tx: &mut Tx, ctx: &Ctx, user: UserId) -> Result<()> {
    if store_contacts::user_is_live_tx(tx, ctx.org, user).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

async fn contact_in(
    tx: &mut Tx,
    ctx: &Ctx,
    user: UserId,
    id: ContactId,
) -> Result<EmergencyContact> {
    store_contacts::get_tx(tx, ctx.org, user, id)
        .await?
        .map(to_contact)
        .ok_or(ServiceError::NotFound("emergency contact"))
}

/// Emergency contacts and barcodes are read by the user themself and by those whose
/// `users.view` reaches them.
fn may_read(ctx: &Ctx, user: UserId) -> Result<()> {
    if authz::is_self(ctx, user) {
        return Ok(());
    }
    authz::require_on_user(ctx, Capability::UsersView, user)
}

/// Emergency contacts are changed by the user themself when the organization lets
/// employees keep their own (the `emergency_contacts` self-service field), and by those
/// whose `users.edit` reaches them (with the multi-location confirmation).
async fn may_change_contacts(store: &Store, ctx: &Ctx, user: UserId) -> Result<()> {
    if authz::is_self(ctx, user)
        && settings::get(store, ctx)
            .await?
            .allows_self_service("emergency_contacts")
    {
        return Ok(());
    }
    may_change_account(ctx, user)
}

/// Account details such as barcodes are changed by those whose `users.edit` reaches the
/// user (with the multi-location confirmation).
fn may_change_account(ctx: &Ctx, user: UserId) -> Result<()> {
    authz::require_on_user(ctx, Capability::UsersEdit, user)?;
    authz::require_confirmed(ctx, user)
}

/// One page of a user's emergency contacts, in call order (priority, then name).
pub async fn list_contacts(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<EmergencyContact>> {
    may_read(ctx, user)?;
    let after = page.after::<(i64, String, Uuid)>()?;
    live_user(store, ctx, user).await?;
    let rows = store_contacts::list(store, ctx.org, user, after, page.fetch_limit()).await?;
    let total = store_contacts::count(store, ctx.org, user).await?;
    Ok(page.page(
        rows,
        total,
        |r| (r.priority, r.sort_name.clone(), r.id),
        to_contact,
    ))
}

/// One emergency contact of a user.
pub async fn get_contact(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    id: ContactId,
) -> Result<EmergencyContact> {
    may_read(ctx, user)?;
    live_user(store, ctx, user).await?;
    store_contacts::get(store, ctx.org, user, id)
        .await?
        .map(to_contact)
        .ok_or(ServiceError::NotFound("emergency contact"))
}

/// A contact's validated state.
struct ValidContact {
    name: String,
    relationship: Option<String>,
    phones: Vec<muster_domain::user::Phone>,
    email: Option<String>,
    address: Option<muster_domain::org::Address>,
    priority: i64,
}

impl ValidContact {
    fn fields(&self) -> ContactFields<'_> {
        ContactFields {
            name: &self.name,
            relationship: self.relationship.as_deref(),
            phones: &self.phones,
            email: self.email.as_deref(),
            address: self.address.as_ref(),
            priority: self.priority,
        }
    }
}

/// Adds an emergency contact to a user.
pub async fn create_contact(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    request: NewEmergencyContact,
) -> Result<EmergencyContact> {
    may_change_contacts(store, ctx, user).await?;
    let mut errors = ValidationErrors::new();
    let name = errors.check(rules::contact_name(&request.name));
    let relationship = errors.check(rules::relationship(request.relationship.as_deref()));
    let phones = rules::phones(&mut errors, "phones", &request.phones);
    let email = errors.check(rules::optional_email("email", request.email.as_deref()));
    rules::address(&mut errors, "address", request.address.as_ref());
    let priority = errors.check(rules::priority(
        request.priority.unwrap_or(rules::PRIORITY_MIN),
    ));
    errors.into_result()?;
    let (Some(name), Some(relationship), Some(email), Some(priority)) =
        (name, relationship, email, priority)
    else {
        return Err(ValidationErrors::single("body", "is invalid").into());
    };
    let contact = ValidContact {
        name,
        relationship,
        phones,
        email,
        address: request.address,
        priority,
    };

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let id = ContactId::new();
    store_contacts::insert(&mut tx, ctx.org, user, id, &contact.fields(), ctx.now).await?;
    let created = contact_in(&mut tx, ctx, user, id).await?;
    audit::record(
        &mut tx,
        ctx,
        "emergency_contact.create",
        Target::of_user("emergency_contact", id, user),
        &Changes::created(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes an emergency contact (JSON merge patch).
pub async fn update_contact(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    id: ContactId,
    if_match: Option<i64>,
    patch: EmergencyContactPatch,
) -> Result<EmergencyContact> {
    may_change_contacts(store, ctx, user).await?;
    let mut errors = ValidationErrors::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check(rules::contact_name(n)));
    let relationship = patch
        .relationship
        .as_ref()
        .and_then(|r| errors.check(rules::relationship(r.as_deref())));
    let phones = patch
        .phones
        .as_ref()
        .map(|p| rules::phones(&mut errors, "phones", p));
    let email = patch
        .email
        .as_ref()
        .and_then(|e| errors.check(rules::optional_email("email", e.as_deref())));
    rules::address(
        &mut errors,
        "address",
        patch.address.as_ref().and_then(Option::as_ref),
    );
    let priority = patch
        .priority
        .and_then(|p| errors.check(rules::priority(p)));
    errors.into_result()?;

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let before = contact_in(&mut tx, ctx, user, id).await?;
    check_version(if_match, before.version, "emergency contact")?;
    let contact = ValidContact {
        name: name.unwrap_or_else(|| before.name.clone()),
        relationship: relationship.unwrap_or_else(|| before.relationship.clone()),
        phones: phones.unwrap_or_else(|| before.phones.clone()),
        email: email.unwrap_or_else(|| before.email.clone()),
        address: patch.address.unwrap_or_else(|| before.address.clone()),
        priority: priority.unwrap_or(before.priority),
    };
    if !store_contacts::update(
        &mut tx,
        ctx.org,
        user,
        id,
        before.version,
        &contact.fields(),
        ctx.now,
    )
    .await?
    {
        return Err(ServiceError::Stale("emergency contact"));
    }
    let after = contact_in(&mut tx, ctx, user, id).await?;
    let changes = Changes::diff(&before, &after);
    if !changes.is_empty() {
        audit::record(
            &mut tx,
            ctx,
            "emergency_contact.update",
            Target::of_user("emergency_contact", id, user),
            &changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Removes an emergency contact (soft: it stays in the audit trail).
pub async fn delete_contact(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    id: ContactId,
    if_match: Option<i64>,
) -> Result<()> {
    may_change_contacts(store, ctx, user).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let contact = contact_in(&mut tx, ctx, user, id).await?;
    check_version(if_match, contact.version, "emergency contact")?;
    if !store_contacts::soft_delete(&mut tx, ctx.org, user, id, contact.version, ctx.now).await? {
        return Err(ServiceError::Stale("emergency contact"));
    }
    audit::record(
        &mut tx,
        ctx,
        "emergency_contact.delete",
        Target::of_user("emergency_contact", id, user),
        &Changes::deleted(&contact),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One page of a user's barcodes, by code.
pub async fn list_barcodes(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<Barcode>> {
    may_read(ctx, user)?;
    let after = page.after::<String>()?;
    live_user(store, ctx, user).await?;
    let rows = store_barcodes::list(store, ctx.org, user, after, page.fetch_limit()).await?;
    let total = store_barcodes::count(store, ctx.org, user).await?;
    Ok(page.page(rows, total, |r| r.code.clone(), to_barcode))
}

/// A barcode has no id of its own: its events name the holder as subject and carry the
/// code in their changes.
fn barcode_target(user: UserId) -> Target {
    Target {
        kind: "barcode",
        id: None,
        subject: Some(user),
    }
}

/// Gives a user a barcode. Barcodes are unique per organization: a code held by anyone in
/// the organization (this user included) is a conflict on `code`.
pub async fn add_barcode(
    store: &Store,
    ctx: &Ctx,
    user: UserId,
    request: NewBarcode,
) -> Result<Barcode> {
    may_change_account(ctx, user)?;
    let code = rules::barcode(&request.code)
        .map_err(|e| ServiceError::from(ValidationErrors::single(e.field, e.message)))?;

    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    if !store_barcodes::insert(&mut tx, ctx.org, user, &code, ctx.now).await? {
        let holder = store_barcodes::get_tx(&mut tx, ctx.org, &code).await?;
        let message = if holder.is_some_and(|h| h.user_id == user.as_uuid()) {
            "this user already has this barcode"
        } else {
            "this barcode is already in use in the organization"
        };
        return Err(ServiceError::conflict("code", message));
    }
    let barcode = store_barcodes::get_tx(&mut tx, ctx.org, &code)
        .await?
        .map(to_barcode)
        .ok_or(ServiceError::NotFound("barcode"))?;
    audit::record(
        &mut tx,
        ctx,
        "barcode.add",
        barcode_target(user),
        &Changes::created(&barcode),
    )
    .await?;
    tx.commit().await?;
    Ok(barcode)
}

/// Takes a barcode away from a user. The row is removed, so the code can be given out
/// again; the audit event keeps who held it and since when.
pub async fn delete_barcode(store: &Store, ctx: &Ctx, user: UserId, code: &str) -> Result<()> {
    may_change_account(ctx, user)?;
    let mut tx = store.begin_in(ctx.org).await?;
    live_user_in(&mut tx, ctx, user).await?;
    let barcode = match store_barcodes::get_tx(&mut tx, ctx.org, code).await? {
        Some(row) if row.user_id == user.as_uuid() => to_barcode(row),
        _ => return Err(ServiceError::NotFound("barcode")),
    };
    if !store_barcodes::delete(&mut tx, ctx.org, user, code).await? {
        return Err(ServiceError::NotFound("barcode"));
    }
    audit::record(
        &mut tx,
        ctx,
        "barcode.delete",
        barcode_target(user),
        &Changes::deleted(&barcode),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
