//! Users: create, read, edit and list them, move them through their lifecycle, and manage
//! their placements.
//!
//! Rules kept here: a login is unique in the organization and never handed out again (not
//! even after the user is deleted or renamed); every user has at least one placement, at
//! most one per node and exactly one default, each with a role assignable at the node's
//! kind; status changes only through the lifecycle transitions; deleted users are
//! tombstones, invisible but to the audit trail. Every change writes one audit event (never
//! a password or PIN hash: changed secrets are recorded as `***`).

use std::collections::BTreeSet;

use muster_access::Target as AccessTarget;
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Section};
use muster_domain::org::Address;
use muster_domain::paging::Page;
use muster_domain::user::{
    self as du, Ban, CreateUser, DefaultPlacement, DirectoryAccess, Login, LoginKind, NewPlacement,
    Placement, PlacementPatch, Secret, Separation, SortOrder, User, UserFilter, UserPatch,
    UserSort, UserStatus, UserSummary,
};
use muster_domain::{CommandGroupId, NodeId, ReferenceItemId, RoleId, UserId, ValidationErrors};
use muster_store::people::{self, PlacementRow, PlacementUpdate};
use muster_store::users::{self as store_users, After, Credentials, UserListRow, UserRow};
use muster_store::{
    DbTime, Store, StoreError, Tx, nodes as store_nodes, sessions as store_sessions,
    sign_in as store_sign_in,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::audit::{self, Changes, Target};
use crate::nodes::check_version;
use crate::organizations::MIN_PASSWORD_LENGTH;
use crate::outbox::{self, Queued};
use crate::paging::PageRequest;
use crate::{Ctx, Result, ServiceError, authz, password_policy, passwords, settings};

/// Longest password accepted (hashing cost grows with length).
pub const PASSWORD_MAX: usize = 256;
/// Longest search text accepted by the user list.
pub const SEARCH_MAX: usize = 200;
/// Longest part of an address accepted.
const ADDRESS_PART_MAX: usize = 200;

// ---------------------------------------------------------------------------------------
// Reading

fn to_placement(row: PlacementRow) -> Placement {
    Placement {
        node_id: NodeId::from_uuid(row.node_id),
        node_name: row.node_name,
        role_id: RoleId::from_uuid(row.role_id),
        role_name: row.role_name,
        default: row.is_default,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
    }
}

/// A user as read, with what the profile does not show.
#[derive(Debug, Clone)]
struct Loaded {
    user: User,
    has_password: bool,
    has_pin: bool,
}

fn to_user(row: UserRow, placements: Vec<PlacementRow>, specialties: Vec<Uuid>) -> Loaded {
    let placements: Vec<Placement> = placements.into_iter().map(to_placement).collect();
    let default_node_id = placements.iter().find(|p| p.default).map(|p| p.node_id);
    let address = row.address.map(|a| a.0);
    let org_address = Some(row.org_address.0).filter(|a| *a != Address::default());
    let user = User {
        id: UserId::from_uuid(row.id),
        login: row.login,
        first_name: row.first_name,
        last_name: row.last_name,
        display_name: row.display_name,
        employee_number: row.employee_number,
        badge_number: row.badge_number,
        email: row.email,
        emails: row.emails.0,
        phones: row.phones.0,
        effective_address: address.clone().or(org_address),
        address,
        title_id: row.title_id.map(ReferenceItemId::from_uuid),
        title_designation: row.title_designation,
        rank_id: row.rank_id.map(ReferenceItemId::from_uuid),
        unit_id: row.unit_id.map(ReferenceItemId::from_uuid),
        hire_date: row.hire_date,
        start_date: row.start_date,
        transfer_date: row.transfer_date,
        last_day: row.last_day,
        leave_reason: row.leave_reason,
        separation_status_id: row.separation_status_id.map(ReferenceItemId::from_uuid),
        recruited_by_id: row.recruited_by_id.map(UserId::from_uuid),
        reports_to_id: row.reports_to_id.map(UserId::from_uuid),
        payroll_id: row.payroll_id,
        specialties: specialties
            .into_iter()
            .map(ReferenceItemId::from_uuid)
            .collect(),
        demographics: Some(du::Demographics {
            date_of_birth: row.date_of_birth,
            gender: row.gender,
            fields: row.demographics.0,
        }),
        preferences: row.preferences.0,
        // INVARIANT: the schema's CHECK constraints (and every writer) keep these valid.
        directory_access: row
            .directory_access
            .parse()
            .unwrap_or(DirectoryAccess::None),
        can_sms: row.can_sms,
        login_kind: row.login_kind.parse().unwrap_or(LoginKind::None),
        status: row.status.parse().unwrap_or(UserStatus::Inactive),
        must_change_password: row.must_change_password,
        is_org_admin: row.is_org_admin,
        command_group_id: row.command_group_id.map(CommandGroupId::from_uuid),
        placements,
        default_node_id,
        created_at: row.created_at.get(),
        updated_at: row.updated_at.get(),
        last_login_at: row.last_login_at.map(DbTime::get),
        version: row.version,
    };
    Loaded {
        user,
        has_password: row.has_password,
        has_pin: row.has_pin,
    }
}

/// A user's profile as the caller may see it (DESIGN.md §2.4): not found unless the
/// caller can open it; without the sections they may not view and, unless `users.view`
/// reaches the user (or it is their own), without private phone numbers. Deleted users
/// are not found.
pub async fn get(store: &Store, ctx: &Ctx, id: UserId) -> Result<User> {
    authz::require_visible(ctx, id)?;
    let row = store_users::get(store, ctx.org, id)
        .await?
        .filter(|r| r.status != UserStatus::Deleted.as_str())
        .ok_or(ServiceError::NotFound("user"))?;
    let placements = people::placements(store, id).await?;
    let specialties = store_users::specialties(store, id).await?;
    Ok(redacted(ctx, to_user(row, placements, specialties).user))
}

/// `user` without what the caller may not see of it.
fn redacted(ctx: &Ctx, mut user: User) -> User {
    if !authz::can_section(ctx, user.id, Section::Demographics, Access::View) {
        user.demographics = None;
    }
    if !authz::is_self(ctx, user.id)
        && !authz::can(ctx, Capability::UsersView, AccessTarget::User(user.id))
    {
        user.phones.retain(|p| !p.private);
    }
    user
}

/// The user `id` of the caller's organization (of any status), read inside `tx`.
async fn load_any(tx: &mut Tx, ctx: &Ctx, id: UserId) -> Result<Loaded> {
    let row = store_users::get_tx(tx, ctx.org, id)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let placements = people::placements_tx(tx, id).await?;
    let specialties = store_users::specialties_tx(tx, id).await?;
    Ok(to_user(row, placements, specialties))
}

/// Like [`load_any`], but deleted users are not found.
async fn load(tx: &mut Tx, ctx: &Ctx, id: UserId) -> Result<Loaded> {
    let loaded = load_any(tx, ctx, id).await?;
    if loaded.user.status == UserStatus::Deleted {
        return Err(ServiceError::NotFound("user"));
    }
    Ok(loaded)
}

/// The profile as the audit trail records it: without bookkeeping and derived fields.
fn audited(user: &User) -> Value {
    let mut value = serde_json::to_value(user).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        for key in [
            "updated_at",
            "version",
            "effective_address",
            "last_login_at",
            "placements",
            "default_node_id",
        ] {
            map.remove(key);
        }
    }
    value
}

// ---------------------------------------------------------------------------------------
// Validation shared by create and update

/// Checks and trims every profile field of `u`, recording what is wrong.
fn clean_profile(errors: &mut ValidationErrors, mut u: User) -> User {
    if let Some(login) = errors.check(Login::parse(&u.login)) {
        u.login = login.into();
    }
    u.first_name = errors
        .check(du::person_name("first_name", &u.first_name))
        .unwrap_or_default();
    u.last_name = errors
        .check(du::person_name("last_name", &u.last_name))
        .unwrap_or_default();
    let mut optional = |field: &str, value: Option<String>, max: usize| {
        errors
            .check(du::optional_text(field, value.as_deref(), max))
            .flatten()
    };
    u.display_name = optional("display_name", u.display_name, du::PERSON_NAME_MAX);
    u.employee_number = optional("employee_number", u.employee_number, du::SHORT_TEXT_MAX);
    u.badge_number = optional("badge_number", u.badge_number, du::SHORT_TEXT_MAX);
    u.payroll_id = optional("payroll_id", u.payroll_id, du::SHORT_TEXT_MAX);
    u.title_designation = optional("title_designation", u.title_designation, du::SHORT_TEXT_MAX);
    u.leave_reason = optional("leave_reason", u.leave_reason, du::FREE_TEXT_MAX);
    u.email = match u.email {
        Some(e) if !e.trim().is_empty() => errors.check(du::email("email", &e)),
        _ => None,
    };
    u.emails = du::emails(errors, "emails", &u.emails);
    u.phones = du::phones(errors, "phones", &u.phones);
    if let Some(address) = &u.address {
        for (field, value) in [
            ("street", &address.street),
            ("street2", &address.street2),
            ("city", &address.city),
            ("region", &address.region),
            ("postal_code", &address.postal_code),
            ("country", &address.country),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > ADDRESS_PART_MAX)
            {
                errors.push(
                    format!("address.{field}"),
                    format!("must be at most {ADDRESS_PART_MAX} characters"),
                );
            }
        }
    }
    u.demographics = u.demographics.map(|d| d.validate(errors));
    u.preferences = u.preferences.validate(errors);
    if u.specialties.len() > du::ITEM_LIST_MAX {
        errors.push(
            "specialties",
            format!("must have at most {} entries", du::ITEM_LIST_MAX),
        );
    }
    let mut seen = BTreeSet::new();
    u.specialties.retain(|s| seen.insert(*s));
    if let (Some(hire), Some(last)) = (u.hire_date, u.last_day)
        && hire > last
    {
        errors.push("hire_date", "must not be after last_day");
    }
    if u.reports_to_id == Some(u.id) {
        errors.push("reports_to_id", "cannot be the user themselves");
    }
    if u.recruited_by_id == Some(u.id) {
        errors.push("recruited_by_id", "cannot be the user themselves");
    }
    u
}

/// Checks that the references of `after` that differ from `before` point at live things
/// of the organization; records a validation error per dangling reference.
async fn check_references(
    tx: &mut Tx,
    ctx: &Ctx,
    errors: &mut ValidationErrors,
    after: &User,
    before: Option<&User>,
) -> Result<()> {
    let changed = |f: fn(&User) -> Option<Uuid>| {
        let new = f(after);
        new.filter(|_| before.is_none_or(|b| f(b) != new))
    };
    let single: [(&str, &str, Option<Uuid>); 4] = [
        (
            "title_id",
            "titles",
            changed(|u| u.title_id.map(Into::into)),
        ),
        ("rank_id", "ranks", changed(|u| u.rank_id.map(Into::into))),
        ("unit_id", "units", changed(|u| u.unit_id.map(Into::into))),
        (
            "separation_status_id",
            "separation_statuses",
            changed(|u| u.separation_status_id.map(Into::into)),
        ),
    ];
    for (field, list, id) in single {
        if let Some(id) = id
            && store_users::live_reference_items(tx, ctx.org, list, &[id])
                .await?
                .is_empty()
        {
            errors.push(field, format!("no such entry in the {list} list"));
        }
    }
    if before.is_none_or(|b| b.specialties != after.specialties) {
        let ids: Vec<Uuid> = after
            .specialties
            .iter()
            .map(ReferenceItemId::as_uuid)
            .collect();
        let live = store_users::live_reference_items(tx, ctx.org, "specialties", &ids).await?;
        for (i, id) in ids.iter().enumerate() {
            if !live.contains(id) {
                errors.push(
                    format!("specialties[{i}]"),
                    "no such entry in the specialties list",
                );
            }
        }
    }
    if let Some(group) = changed(|u| u.command_group_id.map(Into::into))
        && !store_users::live_command_group(tx, ctx.org, group).await?
    {
        errors.push("command_group_id", "no such command group");
    }
    for (field, id) in [
        (
            "recruited_by_id",
            changed(|u| u.recruited_by_id.map(Into::into)),
        ),
        (
            "reports_to_id",
            changed(|u| u.reports_to_id.map(Into::into)),
        ),
    ] {
        if let Some(id) = id
            && !store_users::live_user(tx, ctx.org, id).await?
        {
            errors.push(field, "no such user");
        }
    }
    Ok(())
}

/// Refuses a login or employee number that is (or was) another user's.
async fn check_unique(tx: &mut Tx, ctx: &Ctx, after: &User, before: Option<&User>) -> Result<()> {
    let login = after.login.to_lowercase();
    if before.is_none_or(|b| b.login.to_lowercase() != login)
        && let Some(owner) = store_users::login_owner(tx, ctx.org, &login).await?
        && owner != after.id.as_uuid()
    {
        return Err(ServiceError::conflict(
            "login",
            "this login is or was used by another user of the organization; logins are never reused",
        ));
    }
    if let Some(number) = &after.employee_number
        && before.is_none_or(|b| b.employee_number.as_ref() != Some(number))
        && let Some(owner) = store_users::employee_number_owner(tx, ctx.org, number).await?
        && owner != after.id.as_uuid()
    {
        return Err(ServiceError::conflict(
            "employee_number",
            "another user of the organization has this employee number",
        ));
    }
    Ok(())
}

/// Turns a uniqueness violation a concurrent writer won into the conflict it stands for.
fn unique_conflict(error: StoreError) -> ServiceError {
    match error {
        StoreError::Conflict(constraint) if constraint.contains("employee_number") => {
            ServiceError::conflict(
                "employee_number",
                "another user of the organization has this employee number",
            )
        }
        StoreError::Conflict(constraint) if constraint.contains("login") => {
            ServiceError::conflict("login", "this login is or was used by another user")
        }
        other => ServiceError::Store(other),
    }
}

/// The organization's shortest acceptable password.
pub(crate) async fn password_min_length(store: &Store, ctx: &Ctx) -> Result<usize> {
    let settings = store_users::org_settings(store, ctx.org).await?;
    Ok(settings
        .as_ref()
        .and_then(|s| s.get("password_min_length"))
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(MIN_PASSWORD_LENGTH))
}

/// Checks a password against the organization's policy ([`password_policy`]): length,
/// strength, and not built from the login, a name or the email address of the user.
fn check_password(errors: &mut ValidationErrors, password: &Secret, min: usize, user: &User) {
    password_policy::check(
        errors,
        "password",
        password.expose(),
        min,
        password_policy::Personal {
            login: &user.login,
            first_name: &user.first_name,
            last_name: &user.last_name,
            email: user.email.as_deref(),
        },
    );
}

/// Checks a PIN: 4–12 digits.
fn check_pin(errors: &mut ValidationErrors, pin: &Secret) {
    let pin = pin.expose();
    if !(4..=12).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()) {
        errors.push("pin", "must be 4 to 12 digits");
    }
}

pub(crate) async fn hash(secret: Secret) -> Result<String> {
    passwords::hash(SecretString::from(secret.into_inner())).await
}

/// The audit markers of changed secrets: `***` for a secret that is set, never its hash.
fn secret_changes(mut changes: Changes, credentials: &Credentials, had: (bool, bool)) -> Changes {
    let marker = |set: bool| if set { Value::from("***") } else { Value::Null };
    if let Some(new) = &credentials.password_hash
        && (had.0 || new.is_some())
    {
        changes = changes.with("password", marker(had.0), marker(new.is_some()));
    }
    if let Some(new) = &credentials.pin_hash
        && (had.1 || new.is_some())
    {
        changes = changes.with("pin", marker(had.1), marker(new.is_some()));
    }
    changes
}

// ---------------------------------------------------------------------------------------
// Create

/// Who may create this user: `users.create` over the node of every placement asked
/// for, each role given without escalation; only an organization administrator makes
/// another one.
pub(crate) fn may_create(ctx: &Ctx, request: &CreateUser) -> Result<()> {
    if let Some(current) = authz::current_location(ctx) {
        authz::require(ctx, Capability::UsersCreate, AccessTarget::Node(current))?;
    }
    for p in &request.placements {
        authz::require_on_node(ctx, Capability::UsersCreate, p.node_id)?;
        authz::require_grant(ctx, p.role_id, p.node_id)?;
    }
    if request.is_org_admin {
        authz::require_org_admin(ctx)?;
    }
    Ok(())
}

/// Creates a user with their placements. For `password` users without a password a random
/// one is generated and must be changed at first sign-in; it is never returned.
pub async fn create(store: &Store, ctx: &Ctx, request: CreateUser) -> Result<User> {
    let prepared = prepare_create(store, ctx, request).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    let created = create_in(&mut tx, ctx, prepared).await?;
    tx.commit().await?;
    Ok(created)
}

/// A creation request validated, authorized and with its secrets hashed: what
/// [`create_in`] writes.
pub(crate) struct PreparedCreate {
    user: User,
    placements: Vec<NewPlacement>,
    credentials: Credentials,
    generated: Option<Secret>,
    send_notification: Option<bool>,
    /// Invite the user (no password yet) instead of welcoming them.
    invitation: bool,
}

/// A creation request whose fields are valid, before its secrets are hashed.
pub(crate) struct CheckedCreate {
    user: User,
    placements: Vec<NewPlacement>,
    password: Option<(Secret, bool)>,
    pin: Option<Secret>,
    must_change_password: Option<bool>,
    send_notification: Option<bool>,
}

/// Checks a creation request (authorization, every field) and hashes its secrets, outside
/// any transaction.
pub(crate) async fn prepare_create(
    store: &Store,
    ctx: &Ctx,
    request: CreateUser,
) -> Result<PreparedCreate> {
    let attempt = Target {
        kind: "user",
        id: None,
        subject: None,
    };
    audit::refused(
        store,
        ctx,
        "user.create",
        attempt,
        may_create(ctx, &request),
    )
    .await?;
    let min_length = password_min_length(store, ctx).await?;
    let checked = check_create(ctx, request, min_length)?;
    hash_create(checked, false).await
}

/// Checks every field of a creation request (not who may make it: [`may_create`]).
pub(crate) fn check_create(
    ctx: &Ctx,
    request: CreateUser,
    min_length: usize,
) -> std::result::Result<CheckedCreate, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let must_change_password = request.must_change_password;
    let send_notification = request.send_notification;
    let (draft, placements, request_secrets) = draft_user(ctx, request);
    if !matches!(draft.status, UserStatus::Active | UserStatus::Inactive) {
        errors.push("status", "a new user is `active` or `inactive`");
    }
    let user = clean_profile(&mut errors, draft);
    let placements = check_new_placements(&mut errors, placements);
    let (password, pin) = creation_secrets(&mut errors, &user, min_length, &request_secrets);
    errors.into_result()?;
    Ok(CheckedCreate {
        user,
        placements,
        password,
        pin,
        must_change_password,
        send_notification,
    })
}

/// Hashes the secrets of a checked request. With `invitation`, a `password` user gets no
/// password at all (not even a generated one, so nothing is hashed): they must set one,
/// and an invitation rather than a welcome is queued for them.
pub(crate) async fn hash_create(
    checked: CheckedCreate,
    invitation: bool,
) -> Result<PreparedCreate> {
    let CheckedCreate {
        mut user,
        placements,
        mut password,
        pin,
        must_change_password,
        send_notification,
    } = checked;
    let invitation = invitation && user.login_kind == LoginKind::Password;
    if invitation && matches!(password, Some((_, true))) {
        password = None;
    }
    // A generated password is kept (only) for the welcome email.
    let generated = match &password {
        Some((secret, true)) => Some(secret.clone()),
        _ => None,
    };
    user.must_change_password = match &password {
        Some((_, true)) => true,
        Some((_, false)) => must_change_password.unwrap_or(false),
        None => invitation,
    };
    let credentials = Credentials {
        password_hash: match password {
            Some((secret, _)) => Some(Some(hash(secret).await?)),
            None => None,
        },
        pin_hash: match pin {
            Some(secret) => Some(Some(hash(secret).await?)),
            None => None,
        },
    };
    Ok(PreparedCreate {
        user,
        placements,
        credentials,
        generated,
        send_notification,
        invitation,
    })
}

/// Writes a prepared user, their placements, welcome message and audit event in `tx`.
pub(crate) async fn create_in(tx: &mut Tx, ctx: &Ctx, prepared: PreparedCreate) -> Result<User> {
    let PreparedCreate {
        user,
        placements,
        credentials,
        generated,
        send_notification,
        invitation,
    } = prepared;
    let id = user.id;
    let mut errors = ValidationErrors::new();
    check_references(tx, ctx, &mut errors, &user, None).await?;
    let roles_ok = check_placement_targets(tx, ctx, &mut errors, &placements).await?;
    errors.into_result()?;
    roles_ok?;
    check_unique(tx, ctx, &user, None).await?;

    store_users::insert(tx, ctx.org, &user, &credentials)
        .await
        .map_err(unique_conflict)?;
    store_users::set_specialties(tx, id, &user.specialties).await?;
    for p in &placements {
        people::insert_placement(
            tx,
            &people::NewPlacement {
                org: ctx.org,
                user: id,
                node: p.node_id,
                role: p.role_id,
                is_default: p.default,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
                now: ctx.now,
            },
        )
        .await?;
    }
    let created = load_any(tx, ctx, id).await?.user;
    let notified = if invitation {
        let org = outbox::org_identity(tx, ctx).await?;
        match outbox::invitation(&org, &created) {
            Some(message) => outbox::enqueue(tx, ctx, message)
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        }
    } else {
        outbox::welcome(tx, ctx, &created, generated.as_ref(), send_notification).await?
    };
    let mut changes =
        Changes::created(&audited(&created)).with("placements", Value::Null, &created.placements);
    changes = secret_changes(changes, &credentials, (false, false));
    if !notified.is_empty() {
        changes = changes.with("notified", Value::Null, &notified);
    }
    audit::record(
        tx,
        ctx,
        "user.create",
        Target::of_user("user", id, id),
        &changes,
    )
    .await?;
    Ok(created)
}

/// Writes users created together (an import) in `tx`: what [`create_in`] writes for each
/// — the user, their login reservation, placements, welcome or invitation and a
/// `user.create` audit event with the same content — but a few statements per batch
/// instead of some twenty per user. The requests were checked beforehand against the
/// organization's nodes and roles (`directory`) and its logins and employee numbers; the
/// database's unique indexes still refuse a login or employee number taken meanwhile,
/// failing the whole transaction. Returns how many users were written.
pub(crate) async fn create_many_in(
    tx: &mut Tx,
    ctx: &Ctx,
    batch: Vec<PreparedCreate>,
    directory: &crate::transfer::Directory,
    org: &(String, String),
) -> Result<usize> {
    let mut users = Vec::with_capacity(batch.len());
    let mut placements = Vec::new();
    let mut messages = Vec::new();
    let mut events = Vec::with_capacity(batch.len());
    for prepared in batch {
        let PreparedCreate {
            mut user,
            placements: requested,
            credentials,
            generated,
            send_notification,
            invitation,
        } = prepared;
        for p in &requested {
            placements.push(people::NewPlacement {
                org: ctx.org,
                user: user.id,
                node: p.node_id,
                role: p.role_id,
                is_default: p.default,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
                now: ctx.now,
            });
        }
        let mut own: Vec<Placement> = requested
            .iter()
            .map(|p| Placement {
                node_id: p.node_id,
                node_name: directory.node_name(p.node_id),
                role_id: p.role_id,
                role_name: directory.role_name(p.role_id),
                default: p.default,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
            })
            .collect();
        own.sort_by_key(|p| (!p.default, p.node_name.to_lowercase(), p.node_id));
        user.default_node_id = own.iter().find(|p| p.default).map(|p| p.node_id);
        user.placements = own;
        let message = if invitation {
            outbox::invitation(org, &user)
        } else {
            outbox::welcome_message(org, &user, generated.as_ref(), send_notification)
        };
        let mut changes =
            Changes::created(&audited(&user)).with("placements", Value::Null, &user.placements);
        changes = secret_changes(changes, &credentials, (false, false));
        if let Some(m) = message {
            let notified = [Queued {
                channel: m.channel,
                recipient: m.recipient.clone(),
            }];
            changes = changes.with("notified", Value::Null, notified);
            messages.push(m);
        }
        events.push((
            "user.create",
            Target::of_user("user", user.id, user.id),
            changes,
        ));
        users.push((user, credentials));
    }
    let rows: Vec<(&User, &Credentials)> = users.iter().map(|(u, c)| (u, c)).collect();
    store_users::insert_many(tx, ctx.org, &rows)
        .await
        .map_err(unique_conflict)?;
    people::insert_placements(tx, &placements).await?;
    outbox::enqueue_account_messages(tx, ctx, &messages).await?;
    audit::record_many(tx, ctx, &events).await?;
    Ok(users.len())
}

/// A new user as requested, before validation, with the requested placements and
/// secrets.
fn draft_user(ctx: &Ctx, request: CreateUser) -> (User, Vec<NewPlacement>, RequestSecrets) {
    let id = UserId::new();
    let login_kind = request.login_kind.unwrap_or(LoginKind::Password);
    let request_secrets = RequestSecrets {
        password: request.password,
        pin: request.pin,
        generate: request.generate_password.unwrap_or(false),
    };
    let email = request.email.clone().or_else(|| {
        let login = request.login.trim();
        login.contains('@').then(|| login.to_owned())
    });
    let draft = User {
        id,
        login: request.login,
        first_name: request.first_name,
        last_name: request.last_name,
        display_name: request.display_name,
        employee_number: request.employee_number,
        badge_number: request.badge_number,
        email,
        emails: request.emails,
        phones: request.phones,
        address: request.address,
        effective_address: None,
        title_id: request.title_id,
        title_designation: request.title_designation,
        rank_id: request.rank_id,
        unit_id: request.unit_id,
        hire_date: request.hire_date,
        start_date: request.start_date,
        transfer_date: request.transfer_date,
        last_day: request.last_day,
        leave_reason: request.leave_reason,
        separation_status_id: request.separation_status_id,
        recruited_by_id: request.recruited_by_id,
        reports_to_id: request.reports_to_id,
        payroll_id: request.payroll_id,
        specialties: request.specialties,
        demographics: Some(request.demographics),
        preferences: request.preferences,
        directory_access: request
            .directory_access
            .unwrap_or(DirectoryAccess::Everyone),
        can_sms: request.can_sms,
        login_kind,
        status: request.status.unwrap_or(UserStatus::Active),
        must_change_password: false,
        is_org_admin: request.is_org_admin,
        command_group_id: request.command_group_id,
        placements: Vec::new(),
        default_node_id: None,
        created_at: ctx.now.get(),
        updated_at: ctx.now.get(),
        last_login_at: None,
        version: 1,
    };
    (draft, request.placements, request_secrets)
}

/// The secrets a creation request carries.
struct RequestSecrets {
    password: Option<Secret>,
    pin: Option<Secret>,
    generate: bool,
}

/// Checks a new user's secrets against their login kind and the password policy; returns
/// the password to hash (and whether it was generated) and the PIN to hash.
fn creation_secrets(
    errors: &mut ValidationErrors,
    user: &User,
    min_length: usize,
    request: &RequestSecrets,
) -> (Option<(Secret, bool)>, Option<Secret>) {
    let mut password = None;
    let mut pin = None;
    match user.login_kind {
        LoginKind::Password => {
            if request.pin.is_some() {
                errors.push("pin", "only `pin` users have a PIN");
            }
            match &request.password {
                Some(_) if request.generate => errors.push(
                    "generate_password",
                    "give a password or ask for one to be generated, not both",
                ),
                Some(given) => {
                    check_password(errors, given, min_length, user);
                    password = Some((given.clone(), false));
                }
                None => password = Some((Secret::new(passwords_generate()), true)),
            }
        }
        LoginKind::Pin => {
            if request.password.is_some() || request.generate {
                errors.push("password", "`pin` users sign in with a PIN, not a password");
            }
            match &request.pin {
                Some(given) => {
                    check_pin(errors, given);
                    pin = Some(given.clone());
                }
                None => errors.push("pin", "is required for `pin` users"),
            }
        }
        LoginKind::None => {
            if request.password.is_some() || request.generate {
                errors.push(
                    "password",
                    "`none` users never sign in and have no password",
                );
            }
            if request.pin.is_some() {
                errors.push("pin", "`none` users never sign in and have no PIN");
            }
        }
    }
    (password, pin)
}

pub(crate) fn passwords_generate() -> String {
    use secrecy::ExposeSecret;
    passwords::generate().expose_secret().to_owned()
}

/// Checks the placements of a new user among themselves: at least one, at most one per
/// node, exactly one default (a single placement is the default), dates in order.
fn check_new_placements(
    errors: &mut ValidationErrors,
    mut placements: Vec<NewPlacement>,
) -> Vec<NewPlacement> {
    if placements.is_empty() {
        errors.push("placements", "a user needs at least one placement");
        return placements;
    }
    if let [only] = placements.as_mut_slice() {
        only.default = true;
    }
    let mut nodes = BTreeSet::new();
    let mut default_seen = false;
    for (i, p) in placements.iter().enumerate() {
        if !nodes.insert(p.node_id) {
            errors.push(
                format!("placements[{i}].node_id"),
                "a user has at most one placement per node",
            );
        }
        if p.default {
            if default_seen {
                errors.push(
                    format!("placements[{i}].default"),
                    "exactly one placement is the default",
                );
            }
            default_seen = true;
        }
        if let (Some(starts), Some(ends)) = (p.starts_on, p.ends_on)
            && starts > ends
        {
            errors.push(
                format!("placements[{i}].ends_on"),
                "must not be before starts_on",
            );
        }
    }
    if !default_seen {
        errors.push("placements", "exactly one placement must be the default");
    }
    placements
}

/// Checks that each placement's node is a live node of the organization (validation
/// errors) and that its role is a live role (validation error) assignable at the node's
/// kind (the returned conflict).
async fn check_placement_targets(
    tx: &mut Tx,
    ctx: &Ctx,
    errors: &mut ValidationErrors,
    placements: &[NewPlacement],
) -> Result<Result<()>> {
    let mut conflict = Ok(());
    for (i, p) in placements.iter().enumerate() {
        if store_nodes::get_tx(tx, ctx.org, p.node_id).await?.is_none() {
            errors.push(format!("placements[{i}].node_id"), "no such node");
            continue;
        }
        match people::role_assignable_at(tx, ctx.org, p.role_id, p.node_id).await? {
            None => errors.push(format!("placements[{i}].role_id"), "no such role"),
            Some(false) if conflict.is_ok() => {
                conflict = Err(not_assignable(&format!("placements[{i}].role_id")));
            }
            Some(_) => {}
        }
    }
    Ok(conflict)
}

fn not_assignable(field: &str) -> ServiceError {
    ServiceError::conflict(field, "the role is not assignable at nodes of this kind")
}

// ---------------------------------------------------------------------------------------
// Update

/// Fields that decide what a user may do or see: nobody changes their own (an
/// administrator cannot raise their own access), except where the organization lets
/// employees choose them (`directory_access`, `can_sms` as self-service fields).
const ACCESS_FIELDS: &[&str] = &[
    "is_org_admin",
    "login_kind",
    "command_group_id",
    "directory_access",
    "can_sms",
    "status",
];

/// Who may make this change to `before` (giving `after`): the user themself for the
/// fields the organization lets employees change; else `users.edit` over the user (with
/// the multi-location confirmation), plus the demographics `edit` privilege for
/// demographics, `users.lifecycle` to switch the login kind, `users.reset_password` to set
/// a password or PIN, and organization administrators alone for the administrator flag.
async fn may_update(
    store: &Store,
    ctx: &Ctx,
    before: &User,
    after: &User,
    patch: &UserPatch,
    (password, pin): (&Option<Secret>, &Option<Secret>),
) -> Result<()> {
    let id = before.id;
    let diff = Changes::diff(&audited(before), &audited(after));
    let mut changed: Vec<&str> = diff.fields().collect();
    if password.is_some() {
        changed.push("password");
    }
    if pin.is_some() {
        changed.push("pin");
    }
    if patch.must_change_password.is_some() && !changed.contains(&"must_change_password") {
        changed.push("must_change_password");
    }
    if changed.is_empty() {
        return Ok(());
    }
    let own = authz::is_self(ctx, id);
    if own {
        let settings = settings::get(store, ctx).await?;
        // Their own profile: what the organization lets employees change; with
        // `users.edit` over themself, also the fields that decide nothing about access;
        // an organization administrator anything but the administrator flag.
        let edits_self = authz::can(ctx, Capability::UsersEdit, AccessTarget::User(id));
        let refused: Vec<&str> = changed
            .iter()
            .copied()
            .filter(|f| {
                let allowed = settings.allows_self_service(f)
                    || (authz::is_org_admin(ctx) && *f != "is_org_admin")
                    || (edits_self
                        && !ACCESS_FIELDS.contains(f)
                        && !matches!(*f, "password" | "pin" | "must_change_password"));
                !allowed
            })
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        let why = format!(
            "you may not change {} on your own profile{}",
            refused.join(", "),
            if refused.contains(&"password") {
                " (change your password with POST /auth/password)"
            } else {
                ""
            }
        );
        // Trying to change what one may do oneself is an escalation attempt.
        return Err(if refused.iter().any(|f| ACCESS_FIELDS.contains(f)) {
            ServiceError::Escalation(why)
        } else {
            ServiceError::Forbidden(why)
        });
    }
    authz::require_on_user(ctx, Capability::UsersEdit, id)?;
    for field in &changed {
        match *field {
            "demographics" => {
                authz::require_section(ctx, id, Section::Demographics, Access::Edit)?;
            }
            "login_kind" => authz::require_on_user(ctx, Capability::UsersLifecycle, id)?,
            "password" | "pin" | "must_change_password" => {
                authz::require_on_user(ctx, Capability::UsersResetPassword, id)?;
            }
            "is_org_admin" => authz::require_org_admin(ctx)?,
            _ => {}
        }
    }
    authz::require_confirmed(ctx, id)
}

/// Applies a merge patch to a user's profile. Renaming the login keeps the old one
/// reserved; switching the login kind to `none` removes the password and PIN.
pub async fn update(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    patch: UserPatch,
) -> Result<User> {
    let (patch, secrets) = prepare_update(store, ctx, id, if_match, patch).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    let (user, changed) = update_in(&mut tx, ctx, id, if_match, &patch, secrets).await?;
    if changed {
        tx.commit().await?;
    }
    Ok(user)
}

/// Writes a prepared merge patch (see [`prepare_update`]) and its audit event in `tx`;
/// returns the profile and whether anything changed (when nothing did, nothing was
/// written).
pub(crate) async fn update_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    patch: &UserPatch,
    secrets: UpdateSecrets,
) -> Result<(User, bool)> {
    let loaded = load(tx, ctx, id).await?;
    let before = loaded.user;
    check_version(if_match, before.version, "user")?;
    let mut after = before.clone();
    apply_patch(&mut after, patch);
    let mut errors = ValidationErrors::new();
    let mut after = clean_profile(&mut errors, after);
    errors.into_result()?;

    let credentials = next_credentials(
        (loaded.has_password, loaded.has_pin),
        &mut after,
        (secrets.password, secrets.pin),
        secrets.generated,
    )?;

    let mut errors = ValidationErrors::new();
    check_references(tx, ctx, &mut errors, &after, Some(&before)).await?;
    errors.into_result()?;
    check_unique(tx, ctx, &after, Some(&before)).await?;

    let changes = secret_changes(
        Changes::diff(&audited(&before), &audited(&after)),
        &credentials,
        (loaded.has_password, loaded.has_pin),
    );
    if changes.is_empty() {
        return Ok((before, false));
    }
    let new_login = after.login.to_lowercase();
    if new_login != before.login.to_lowercase()
        && store_users::login_owner(tx, ctx.org, &new_login)
            .await?
            .is_none()
    {
        store_users::reserve_login(tx, ctx.org, id, &new_login)
            .await
            .map_err(unique_conflict)?;
    }
    if !store_users::update(tx, ctx.org, &after, before.version, &credentials, ctx.now)
        .await
        .map_err(unique_conflict)?
    {
        return Err(ServiceError::Stale("user"));
    }
    if after.specialties != before.specialties {
        store_users::set_specialties(tx, id, &after.specialties).await?;
    }
    end_sessions_on_new_secrets(tx, ctx, id, &credentials).await?;
    let updated = load_any(tx, ctx, id).await?.user;
    audit::record(
        tx,
        ctx,
        "user.update",
        Target::of_user("user", id, id),
        &changes,
    )
    .await?;
    Ok((updated, true))
}

/// Applies the profile fields of a merge patch (not its secrets) to `u`.
fn apply_patch(u: &mut User, p: &UserPatch) {
    fn set<T: Clone>(field: &mut T, value: Option<&T>) {
        if let Some(v) = value {
            *field = v.clone();
        }
    }
    set(&mut u.login, p.login.as_ref());
    set(&mut u.first_name, p.first_name.as_ref());
    set(&mut u.last_name, p.last_name.as_ref());
    set(&mut u.display_name, p.display_name.as_ref());
    set(&mut u.employee_number, p.employee_number.as_ref());
    set(&mut u.badge_number, p.badge_number.as_ref());
    set(&mut u.email, p.email.as_ref());
    if let Some(e) = &p.emails {
        u.emails = e.clone().unwrap_or_default();
    }
    if let Some(phones) = &p.phones {
        u.phones = phones.clone().unwrap_or_default();
    }
    set(&mut u.address, p.address.as_ref());
    set(&mut u.title_id, p.title_id.as_ref());
    set(&mut u.title_designation, p.title_designation.as_ref());
    set(&mut u.rank_id, p.rank_id.as_ref());
    set(&mut u.unit_id, p.unit_id.as_ref());
    set(&mut u.hire_date, p.hire_date.as_ref());
    set(&mut u.start_date, p.start_date.as_ref());
    set(&mut u.transfer_date, p.transfer_date.as_ref());
    set(&mut u.last_day, p.last_day.as_ref());
    set(&mut u.leave_reason, p.leave_reason.as_ref());
    set(&mut u.separation_status_id, p.separation_status_id.as_ref());
    set(&mut u.recruited_by_id, p.recruited_by_id.as_ref());
    set(&mut u.reports_to_id, p.reports_to_id.as_ref());
    set(&mut u.payroll_id, p.payroll_id.as_ref());
    if let Some(s) = &p.specialties {
        u.specialties = s.clone().unwrap_or_default();
    }
    if let Some(d) = &p.demographics {
        u.demographics.get_or_insert_default().apply(d.clone());
    }
    if let Some(prefs) = &p.preferences {
        u.preferences.apply(prefs.clone());
    }
    set(&mut u.directory_access, p.directory_access.as_ref());
    set(&mut u.can_sms, p.can_sms.as_ref());
    set(&mut u.login_kind, p.login_kind.as_ref());
    set(&mut u.must_change_password, p.must_change_password.as_ref());
    set(&mut u.command_group_id, p.command_group_id.as_ref());
    set(&mut u.is_org_admin, p.is_org_admin.as_ref());
}

/// Secrets of an update, hashed before its transaction opens.
pub(crate) struct UpdateSecrets {
    password: Option<String>,
    pin: Option<String>,
    /// For a user switched to `password` without one.
    generated: Option<String>,
}

/// Validates a patch against the current profile and hashes its secrets, all outside the
/// transaction so that slow hashing never holds it (on SQLite, the only writer).
pub(crate) async fn prepare_update(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    patch: UserPatch,
) -> Result<(UserPatch, UpdateSecrets)> {
    // Read once outside the transaction to validate and hash secrets without holding it.
    let min_length = password_min_length(store, ctx).await?;
    let current = get(store, ctx, id).await?;
    check_version(if_match, current.version, "user")?;

    let mut patch = patch;
    let password = patch.password.take();
    let pin = patch.pin.take();

    let mut errors = ValidationErrors::new();
    let mut draft = current.clone();
    apply_patch(&mut draft, &patch);
    let draft = clean_profile(&mut errors, draft);
    let allowed = may_update(store, ctx, &current, &draft, &patch, (&password, &pin)).await;
    audit::refused(
        store,
        ctx,
        "user.update",
        Target::of_user("user", id, id),
        allowed,
    )
    .await?;
    if let Some(p) = &password {
        if draft.login_kind == LoginKind::Password {
            check_password(&mut errors, p, min_length, &draft);
        } else {
            errors.push("password", "only `password` users have a password");
        }
    }
    if let Some(p) = &pin {
        if draft.login_kind == LoginKind::Pin {
            check_pin(&mut errors, p);
        } else {
            errors.push("pin", "only `pin` users have a PIN");
        }
    }
    errors.into_result()?;
    let password_hash = match password {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let pin_hash = match pin {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    // A user switched to `password` without one gets a generated one.
    let generated_hash = if current.login_kind != LoginKind::Password
        && draft.login_kind == LoginKind::Password
        && password_hash.is_none()
    {
        Some(hash(Secret::new(passwords_generate())).await?)
    } else {
        None
    };

    Ok((
        patch,
        UpdateSecrets {
            password: password_hash,
            pin: pin_hash,
            generated: generated_hash,
        },
    ))
}

/// What becomes of a user's password and PIN under their (new) login kind: `none`
/// removes both; `pin` needs a PIN (new or kept) and removes the password; `password`
/// removes the PIN and, when a user switching to it has no password, takes
/// `generated_hash` (hashed before the transaction) as one that must be changed.
fn next_credentials(
    (has_password, has_pin): (bool, bool),
    after: &mut User,
    (password_hash, pin_hash): (Option<String>, Option<String>),
    generated_hash: Option<String>,
) -> Result<Credentials> {
    let mut credentials = Credentials::default();
    match after.login_kind {
        LoginKind::None => {
            if has_password {
                credentials.password_hash = Some(None);
            }
            if has_pin {
                credentials.pin_hash = Some(None);
            }
            after.must_change_password = false;
        }
        LoginKind::Pin => {
            if let Some(h) = pin_hash {
                credentials.pin_hash = Some(Some(h));
            } else if !has_pin {
                return Err(ValidationErrors::single("pin", "is required for `pin` users").into());
            }
            if has_password {
                credentials.password_hash = Some(None);
            }
        }
        LoginKind::Password => {
            if let Some(h) = password_hash {
                credentials.password_hash = Some(Some(h));
            } else if !has_password && let Some(generated) = generated_hash {
                credentials.password_hash = Some(Some(generated));
                after.must_change_password = true;
            }
            if has_pin {
                credentials.pin_hash = Some(None);
            }
        }
    }
    Ok(credentials)
}

// ---------------------------------------------------------------------------------------
// Lifecycle

/// A lifecycle step.
#[derive(Debug, Clone)]
pub enum Transition {
    /// `active` → `inactive`.
    Deactivate,
    /// `active` or `inactive` → `banned`.
    Ban(Ban),
    /// `banned` → `active`.
    Unban,
    /// `active`, `inactive` or `banned` → `retired`, with separation status and last day.
    Retire(Separation),
    /// `active`, `inactive` or `banned` → `separated`, with separation status and last day.
    Separate(Separation),
    /// `inactive`, `banned`, `retired` or `separated` → `active` (clears the separation
    /// status and last day).
    Reactivate,
    /// Anything but `deleted` → `deleted`: a tombstone, the login stays reserved.
    Delete,
}

impl Transition {
    fn action(&self) -> &'static str {
        match self {
            Self::Deactivate => "user.deactivate",
            Self::Ban(_) => "user.ban",
            Self::Unban => "user.unban",
            Self::Retire(_) => "user.retire",
            Self::Separate(_) => "user.separate",
            Self::Reactivate => "user.reactivate",
            Self::Delete => "user.delete",
        }
    }

    fn target(&self) -> UserStatus {
        match self {
            Self::Deactivate => UserStatus::Inactive,
            Self::Ban(_) => UserStatus::Banned,
            Self::Unban | Self::Reactivate => UserStatus::Active,
            Self::Retire(_) => UserStatus::Retired,
            Self::Separate(_) => UserStatus::Separated,
            Self::Delete => UserStatus::Deleted,
        }
    }

    fn allowed_from(&self) -> &'static [UserStatus] {
        use UserStatus::{Active, Banned, Inactive, Retired, Separated};
        match self {
            Self::Deactivate => &[Active],
            Self::Ban(_) => &[Active, Inactive],
            Self::Unban => &[Banned],
            Self::Retire(_) | Self::Separate(_) => &[Active, Inactive, Banned],
            Self::Reactivate => &[Inactive, Banned, Retired, Separated],
            Self::Delete => &[Active, Inactive, Banned, Retired, Separated],
        }
    }
}

/// Validates a lifecycle step's input; returns a ban's reason.
fn checked_step(step: &Transition) -> Result<Option<String>> {
    let mut errors = ValidationErrors::new();
    let reason = match step {
        Transition::Ban(ban) => errors
            .check(du::optional_text(
                "reason",
                ban.reason.as_deref(),
                du::FREE_TEXT_MAX,
            ))
            .flatten(),
        _ => None,
    };
    if let Transition::Retire(s) | Transition::Separate(s) = step {
        if s.separation_status_id.is_none() {
            errors.push("separation_status_id", "is required");
        }
        if s.last_day.is_none() {
            errors.push("last_day", "is required");
        }
    }
    errors.into_result()?;
    Ok(reason)
}

/// Moves a user through their lifecycle; returns the changed profile. A transition that
/// does not apply to the user's status is a conflict on `status`.
pub async fn transition(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    step: Transition,
) -> Result<User> {
    let reason = prepare_transition(ctx, id, &step)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let updated = transition_in(&mut tx, ctx, id, if_match, &step, reason).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Whether the caller switches `id` between active and inactive by the `status` privilege
/// of the command hierarchy (without `users.lifecycle`; see [`prepare_transition`]).
#[must_use]
pub fn holds_status_privilege(ctx: &Ctx, id: UserId) -> bool {
    authz::token_carries(ctx, Capability::UsersLifecycle)
        && authz::can_see(ctx, id)
        && authz::can_section(ctx, id, Section::Status, Access::Edit)
}

/// Checks a lifecycle step's input and that the caller may take it; returns a ban's
/// reason.
pub(crate) fn prepare_transition(
    ctx: &Ctx,
    id: UserId,
    step: &Transition,
) -> Result<Option<String>> {
    let reason = checked_step(step)?;
    // The `status` privilege of the command hierarchy switches people between active and
    // inactive (DESIGN.md §2.2); every other step, and reactivating someone banned,
    // retired or separated, needs `users.lifecycle`.
    let by_status_privilege = matches!(step, Transition::Deactivate | Transition::Reactivate)
        && holds_status_privilege(ctx, id);
    if !by_status_privilege {
        authz::require_on_user(ctx, Capability::UsersLifecycle, id)?;
    }
    authz::require_confirmed(ctx, id)?;
    Ok(reason)
}

/// Takes a prepared lifecycle step (see [`prepare_transition`]) in `tx`, with its audit
/// event.
pub(crate) async fn transition_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    step: &Transition,
    reason: Option<String>,
) -> Result<User> {
    let loaded = load_any(tx, ctx, id).await?;
    let before = loaded.user;
    if before.status == UserStatus::Deleted {
        return Err(ServiceError::conflict("status", "the user is deleted"));
    }
    check_version(if_match, before.version, "user")?;
    let target = step.target();
    // Without users.lifecycle, the caller acts by the status privilege (checked in
    // `prepare_transition`): only between active and inactive.
    if !authz::can(ctx, Capability::UsersLifecycle, AccessTarget::User(id))
        && !matches!(before.status, UserStatus::Active | UserStatus::Inactive)
    {
        return Err(ServiceError::Forbidden(format!(
            "the status privilege switches people between active and inactive; a user who \
             is {} is reactivated with users.lifecycle",
            before.status
        )));
    }
    if !step.allowed_from().contains(&before.status) {
        return Err(ServiceError::conflict(
            "status",
            format!(
                "a user who is {} cannot become {target} this way",
                before.status
            ),
        ));
    }
    if ctx.actor.user() == Some(id) && target != UserStatus::Active {
        return Err(ServiceError::conflict(
            "status",
            "you cannot lock yourself out: ask another administrator",
        ));
    }
    let mut after = before.clone();
    after.status = target;
    match step {
        Transition::Retire(s) | Transition::Separate(s) => {
            after.separation_status_id = s.separation_status_id;
            after.last_day = s.last_day;
            if let (Some(hire), Some(last)) = (after.hire_date, after.last_day)
                && hire > last
            {
                return Err(ValidationErrors::single(
                    "last_day",
                    "must not be before the hire date",
                )
                .into());
            }
            let mut errors = ValidationErrors::new();
            check_references(tx, ctx, &mut errors, &after, Some(&before)).await?;
            errors.into_result()?;
        }
        Transition::Reactivate
            if matches!(before.status, UserStatus::Retired | UserStatus::Separated) =>
        {
            after.separation_status_id = None;
            after.last_day = None;
        }
        _ => {}
    }
    if !store_users::update(
        tx,
        ctx.org,
        &after,
        before.version,
        &Credentials::default(),
        ctx.now,
    )
    .await?
    {
        return Err(ServiceError::Stale("user"));
    }
    after_status_change(tx, ctx, id, before.status, target).await?;
    let mut changes = Changes::diff(&audited(&before), &audited(&after));
    if let Some(reason) = reason {
        changes = changes.with("reason", Value::Null, reason);
    }
    audit::record(
        tx,
        ctx,
        step.action(),
        Target::of_user("user", id, id),
        &changes,
    )
    .await?;
    let updated = load_any(tx, ctx, id).await?.user;
    Ok(updated)
}

/// Resets a `password` user's password and sends them a temporary one: a random password
/// replaces theirs and must be changed at their next sign-in; it is emailed to them (with a
/// short notice by text message to their first mobile phone with a known carrier) through
/// the outbox, in the same transaction. Returns what was queued and the user's new
/// version; the password itself is never returned, logged or audited.
///
/// Refused (409, nothing changed) for `pin` and `none` users (on `login_kind`) and for
/// users without an email address (on `email`).
pub async fn reset_password(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
) -> Result<(Vec<Queued>, i64)> {
    // Refuse what can be refused before paying for the hash, and hash outside the
    // transaction so that it is not held open meanwhile.
    authz::require_on_user(ctx, Capability::UsersResetPassword, id)?;
    authz::require_confirmed(ctx, id)?;
    let current = get(store, ctx, id).await?;
    check_version(if_match, current.version, "user")?;
    check_resettable(&current)?;
    let password = Secret::new(passwords_generate());
    let credentials = Credentials {
        password_hash: Some(Some(hash(password.clone()).await?)),
        pin_hash: None,
    };

    let mut tx = store.begin_in(ctx.org).await?;
    let reset = reset_password_in(&mut tx, ctx, id, if_match, &password, credentials).await?;
    tx.commit().await?;
    Ok(reset)
}

/// Sets the temporary `password` (hashed in `credentials`, before the transaction) of an
/// authorized reset in `tx` and queues its messages, with the audit event.
pub(crate) async fn reset_password_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    password: &Secret,
    credentials: Credentials,
) -> Result<(Vec<Queued>, i64)> {
    let loaded = load(tx, ctx, id).await?;
    let before = loaded.user;
    check_version(if_match, before.version, "user")?;
    check_resettable(&before)?;
    let mut after = before.clone();
    after.must_change_password = true;
    if !store_users::update(tx, ctx.org, &after, before.version, &credentials, ctx.now).await? {
        return Err(ServiceError::Stale("user"));
    }
    end_sessions_on_new_secrets(tx, ctx, id, &credentials).await?;
    let queued = outbox::password_reset(tx, ctx, &after, password).await?;
    let changes = secret_changes(
        Changes::default(),
        &credentials,
        (loaded.has_password, loaded.has_pin),
    )
    .with("must_change_password", before.must_change_password, true)
    .with("notified", Value::Null, &queued);
    audit::record(
        tx,
        ctx,
        "user.reset_password",
        Target::of_user("user", id, id),
        &changes,
    )
    .await?;
    Ok((queued, before.version + 1))
}

/// Whether `user` can be sent a temporary password: a `password` user with an email
/// address.
pub(crate) fn check_resettable(user: &User) -> Result<()> {
    if user.login_kind != LoginKind::Password {
        return Err(ServiceError::conflict(
            "login_kind",
            format!(
                "`{}` users do not sign in with a password, so there is none to reset",
                user.login_kind
            ),
        ));
    }
    if user.email.is_none() {
        return Err(ServiceError::conflict(
            "email",
            "the user has no email address to send a temporary password to; add one first",
        ));
    }
    Ok(())
}

/// New or removed secrets end every session signed in with the old ones.
async fn end_sessions_on_new_secrets(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    credentials: &Credentials,
) -> Result<()> {
    if credentials.password_hash.is_some() || credentials.pin_hash.is_some() {
        store_sessions::revoke_all_of(tx, ctx.org, id, None, ctx.now).await?;
    }
    Ok(())
}

/// What a status change does to the user's sign-in state: leaving `active` ends every
/// session (a ban or delete takes effect at once); leaving `banned` forgets the failed
/// sign-ins and any lockout.
async fn after_status_change(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    before: UserStatus,
    after: UserStatus,
) -> Result<()> {
    if after != UserStatus::Active {
        store_sessions::revoke_all_of(tx, ctx.org, id, None, ctx.now).await?;
    }
    if before == UserStatus::Banned && after != UserStatus::Banned {
        store_sign_in::clear_lockout(tx, ctx.org, id).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// List

/// The position a page of the user list continues after: the sort and order it was made
/// for, the last row's sort key and id.
#[derive(Debug, Serialize, Deserialize)]
struct UserCursor {
    s: UserSort,
    o: SortOrder,
    /// Text sort keys, as the database computed them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    k: Vec<String>,
    /// Time sort key (RFC 3339); absent when the user never signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<String>,
    id: Uuid,
}

fn cursor_of(filter: &UserFilter, row: &UserListRow) -> UserCursor {
    let keys = store_users::text_keys(filter.sort);
    let (k, t) = if keys.is_empty() {
        let time = if filter.sort == UserSort::LastLoginAt {
            row.last_login_at
        } else {
            Some(row.created_at)
        };
        (Vec::new(), time.map(DbTime::to_canonical_string))
    } else {
        let k = [&row.k1, &row.k2]
            .into_iter()
            .take(keys.len())
            .map(|k| k.clone().unwrap_or_default())
            .collect();
        (k, None)
    };
    UserCursor {
        s: filter.sort,
        o: filter.order,
        k,
        t,
        id: row.id,
    }
}

fn after_of(filter: &UserFilter, cursor: UserCursor) -> Result<After> {
    let bad = || ValidationErrors::single("cursor", "is not a cursor of this list and sort");
    if cursor.s != filter.sort || cursor.o != filter.order {
        return Err(bad().into());
    }
    let keys = store_users::text_keys(filter.sort);
    if keys.is_empty() {
        let at = match cursor.t {
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|_| bad())?
                    .with_timezone(&chrono::Utc),
            ),
            None if filter.sort == UserSort::CreatedAt => return Err(bad().into()),
            None => None,
        };
        Ok(After::Time(at.map(DbTime::new), cursor.id))
    } else if cursor.k.len() == keys.len() {
        Ok(After::Text(cursor.k, cursor.id))
    } else {
        Err(bad().into())
    }
}

fn to_summary(row: UserListRow) -> UserSummary {
    UserSummary {
        id: UserId::from_uuid(row.id),
        login: row.login,
        first_name: row.first_name,
        last_name: row.last_name,
        display_name: row.display_name,
        email: row.email,
        status: row.status.parse().unwrap_or(UserStatus::Inactive),
        login_kind: row.login_kind.parse().unwrap_or(LoginKind::None),
        default_node_id: row.default_node_id.map(NodeId::from_uuid),
        default_node_name: row.default_node_name,
        default_role_name: row.default_role_name,
        phone: row
            .phones
            .0
            .into_iter()
            .find(|p| !p.private)
            .map(|p| p.number),
        last_login_at: row.last_login_at.map(DbTime::get),
    }
}

/// One page of the users the caller may see (DESIGN.md §2.4) matching `filter`, with
/// the total it matches; the access filter is part of the query, so the total counts
/// only them. Deleted users are never listed.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    filter: UserFilter,
    page: &PageRequest,
) -> Result<Page<UserSummary>> {
    let scope = authz::user_scope(ctx).map(|s| store_users::Scope {
        own: s.own.as_uuid(),
        within: s.within.map(|n| n.as_uuid()),
        groups: s.groups.iter().map(CommandGroupId::as_uuid).collect(),
        nodes: Vec::new(),
    });
    list_within(store, ctx, filter, scope.as_ref(), page, to_summary).await
}

/// One page of the users matching `filter` within `scope` (`None`: everyone), each
/// turned into `T`.
pub(crate) async fn list_within<T>(
    store: &Store,
    ctx: &Ctx,
    mut filter: UserFilter,
    scope: Option<&store_users::Scope>,
    page: &PageRequest,
    item: impl FnMut(UserListRow) -> T,
) -> Result<Page<T>> {
    let mut errors = ValidationErrors::new();
    filter.q = filter
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if filter
        .q
        .as_ref()
        .is_some_and(|q| q.chars().count() > SEARCH_MAX)
    {
        errors.push("q", format!("must be at most {SEARCH_MAX} characters"));
    }
    if filter.statuses.contains(&UserStatus::Deleted) {
        errors.push(
            "status",
            "deleted users are hidden everywhere but the audit trail",
        );
    }
    errors.into_result()?;
    if let Some(node) = filter.node_id
        && store_nodes::get(store, ctx.org, node).await?.is_none()
    {
        return Err(ValidationErrors::single("node_id", "no such node").into());
    }
    let after = match page.after::<UserCursor>()? {
        Some(cursor) => Some(after_of(&filter, cursor)?),
        None => None,
    };
    // The count first: how many users match tells the list how to find its page.
    let total = store_users::count(store, ctx.org, &filter, scope, page.exact_total).await?;
    let rows = store_users::list(
        store,
        ctx.org,
        &filter,
        scope,
        after.as_ref(),
        page.fetch_limit(),
        total.count,
    )
    .await?;
    let mut page = page.page(rows, total.count, |r| cursor_of(&filter, r), item);
    page.total_is_estimate = total.estimated;
    Ok(page)
}

// ---------------------------------------------------------------------------------------
// Placements

/// A user's placements (the default first) and the user's version.
pub async fn placements(store: &Store, ctx: &Ctx, id: UserId) -> Result<(Vec<Placement>, i64)> {
    let user = get(store, ctx, id).await?;
    Ok((user.placements, user.version))
}

fn find_placement(user: &User, node: NodeId) -> Option<&Placement> {
    user.placements.iter().find(|p| p.node_id == node)
}

/// Bumps the user's version after a change to their placements.
async fn bump(tx: &mut Tx, ctx: &Ctx, user: &User) -> Result<()> {
    if store_users::bump_version(tx, ctx.org, user.id, user.version, ctx.now).await? {
        Ok(())
    } else {
        Err(ServiceError::Stale("user"))
    }
}

/// Gives a user a placement at another node. With `default`, it becomes the default.
/// Returns it and the user's new version.
pub async fn add_placement(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    request: NewPlacement,
) -> Result<(Placement, i64)> {
    if let (Some(starts), Some(ends)) = (request.starts_on, request.ends_on)
        && starts > ends
    {
        return Err(ValidationErrors::single("ends_on", "must not be before starts_on").into());
    }
    audit::refused(
        store,
        ctx,
        "placement.add",
        Target::of_user("placement", request.node_id, id),
        may_add_placement(ctx, id, &request),
    )
    .await?;
    let mut tx = store.begin_in(ctx.org).await?;
    let added = add_placement_in(&mut tx, ctx, id, if_match, &request).await?;
    tx.commit().await?;
    Ok(added)
}

/// Who may give user `id` a placement: `placements.add` at its node, a role they could
/// give there themselves, and the multi-location confirmation.
pub(crate) fn may_add_placement(ctx: &Ctx, id: UserId, request: &NewPlacement) -> Result<()> {
    authz::require_visible(ctx, id)?;
    authz::require_on_node(ctx, Capability::PlacementsAdd, request.node_id)?;
    authz::require_grant(ctx, request.role_id, request.node_id)?;
    authz::require_confirmed(ctx, id)
}

/// Adds an authorized placement (see [`may_add_placement`]) and its audit event in `tx`.
pub(crate) async fn add_placement_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    request: &NewPlacement,
) -> Result<(Placement, i64)> {
    let user = load(tx, ctx, id).await?.user;
    check_version(if_match, user.version, "user")?;
    if store_nodes::get_tx(tx, ctx.org, request.node_id)
        .await?
        .is_none()
    {
        return Err(ValidationErrors::single("node_id", "no such node").into());
    }
    if find_placement(&user, request.node_id).is_some() {
        return Err(ServiceError::conflict(
            "node_id",
            "the user already has a placement at this node",
        ));
    }
    check_role(tx, ctx, request.role_id, request.node_id, "role_id").await?;
    people::insert_placement(
        tx,
        &people::NewPlacement {
            org: ctx.org,
            user: id,
            node: request.node_id,
            role: request.role_id,
            is_default: false,
            starts_on: request.starts_on,
            ends_on: request.ends_on,
            now: ctx.now,
        },
    )
    .await?;
    if request.default {
        people::set_default_placement(tx, id, request.node_id).await?;
    }
    bump(tx, ctx, &user).await?;
    let after = load_any(tx, ctx, id).await?.user;
    let placement = find_placement(&after, request.node_id)
        .cloned()
        .ok_or(ServiceError::NotFound("placement"))?;
    audit::record(
        tx,
        ctx,
        "placement.add",
        Target::of_user("placement", request.node_id, id),
        &Changes::created(&placement),
    )
    .await?;
    Ok((placement, after.version))
}

/// Refuses a role that is not live (validation) or not assignable at the node (conflict).
async fn check_role(tx: &mut Tx, ctx: &Ctx, role: RoleId, node: NodeId, field: &str) -> Result<()> {
    match people::role_assignable_at(tx, ctx.org, role, node).await? {
        None => Err(ValidationErrors::single(field, "no such role").into()),
        Some(false) => Err(not_assignable(field)),
        Some(true) => Ok(()),
    }
}

/// Who may change the placement at `node`: it must lie within the caller's current
/// location; a new role needs `placements.edit_role` (dates too: they decide when the role
/// is in force), a move `placements.edit_location` at both ends, and whatever role the
/// placement ends up with at its node must be one the caller could give there.
pub(crate) fn may_change_placement(
    ctx: &Ctx,
    id: UserId,
    node: NodeId,
    patch: &PlacementPatch,
) -> Result<()> {
    authz::require_visible(ctx, id)?;
    authz::require_placement_editable(ctx, node)?;
    let new_node = patch.node_id.unwrap_or(node);
    if patch.role_id.is_some() || patch.starts_on.is_some() || patch.ends_on.is_some() {
        authz::require_on_node(ctx, Capability::PlacementsEditRole, node)?;
    }
    if new_node != node {
        authz::require_on_node(ctx, Capability::PlacementsEditLocation, node)?;
        authz::require_on_node(ctx, Capability::PlacementsEditLocation, new_node)?;
    }
    if let Some(p) = ctx.principal.as_deref() {
        let role = patch.role_id.or_else(|| p.index.role_at(id, node));
        if let Some(role) = role
            && (new_node != node || patch.role_id.is_some())
        {
            authz::require_grant(ctx, role, new_node)?;
        }
    }
    authz::require_confirmed(ctx, id)
}

/// Changes a placement's role or dates, or moves it to another node. Returns it and the
/// user's new version.
pub async fn update_placement(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    node: NodeId,
    if_match: Option<i64>,
    patch: PlacementPatch,
) -> Result<(Placement, i64)> {
    audit::refused(
        store,
        ctx,
        "placement.update",
        Target::of_user("placement", node, id),
        may_change_placement(ctx, id, node, &patch),
    )
    .await?;
    let mut tx = store.begin_in(ctx.org).await?;
    let changed = update_placement_in(&mut tx, ctx, id, node, if_match, &patch).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Changes an authorized placement (see [`may_change_placement`]) in `tx`, with its audit
/// event; a change to nothing writes nothing.
pub(crate) async fn update_placement_in(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    node: NodeId,
    if_match: Option<i64>,
    patch: &PlacementPatch,
) -> Result<(Placement, i64)> {
    let user = load(tx, ctx, id).await?.user;
    check_version(if_match, user.version, "user")?;
    let before = find_placement(&user, node)
        .cloned()
        .ok_or(ServiceError::NotFound("placement"))?;
    let new_node = patch.node_id.unwrap_or(node);
    let role = patch.role_id.unwrap_or(before.role_id);
    let starts_on = patch.starts_on.unwrap_or(before.starts_on);
    let ends_on = patch.ends_on.unwrap_or(before.ends_on);
    if let (Some(starts), Some(ends)) = (starts_on, ends_on)
        && starts > ends
    {
        return Err(ValidationErrors::single("ends_on", "must not be before starts_on").into());
    }
    if new_node != node {
        if store_nodes::get_tx(tx, ctx.org, new_node).await?.is_none() {
            return Err(ValidationErrors::single("node_id", "no such node").into());
        }
        if find_placement(&user, new_node).is_some() {
            return Err(ServiceError::conflict(
                "node_id",
                "the user already has a placement at this node",
            ));
        }
    }
    if new_node != node || role != before.role_id {
        check_role(tx, ctx, role, new_node, "role_id").await?;
    }
    let unchanged = new_node == node
        && role == before.role_id
        && starts_on == before.starts_on
        && ends_on == before.ends_on;
    if unchanged {
        return Ok((before, user.version));
    }
    people::update_placement(
        tx,
        id,
        node,
        &PlacementUpdate {
            node: new_node,
            role,
            starts_on,
            ends_on,
        },
    )
    .await?;
    bump(tx, ctx, &user).await?;
    let after_user = load_any(tx, ctx, id).await?.user;
    let after = find_placement(&after_user, new_node)
        .cloned()
        .ok_or(ServiceError::NotFound("placement"))?;
    audit::record(
        tx,
        ctx,
        "placement.update",
        Target::of_user("placement", new_node, id),
        &Changes::diff(&before, &after),
    )
    .await?;
    Ok((after, after_user.version))
}

/// Removes a placement; never the user's only or default placement.
pub async fn delete_placement(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    node: NodeId,
    if_match: Option<i64>,
) -> Result<()> {
    authz::require_visible(ctx, id)?;
    authz::require_placement_editable(ctx, node)?;
    authz::require_on_node(ctx, Capability::PlacementsDelete, node)?;
    authz::require_confirmed(ctx, id)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let user = load(&mut tx, ctx, id).await?.user;
    check_version(if_match, user.version, "user")?;
    let placement = find_placement(&user, node)
        .cloned()
        .ok_or(ServiceError::NotFound("placement"))?;
    if user.placements.len() == 1 {
        return Err(ServiceError::conflict(
            "node_id",
            "this is the user's only placement; every user needs one",
        ));
    }
    if placement.default {
        return Err(ServiceError::conflict(
            "node_id",
            "this is the user's default placement; make another one the default first",
        ));
    }
    people::delete_placement(&mut tx, id, node).await?;
    bump(&mut tx, ctx, &user).await?;
    audit::record(
        &mut tx,
        ctx,
        "placement.delete",
        Target::of_user("placement", node, id),
        &Changes::deleted(&placement),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes the placement at `request.node_id` the user's default. Returns the placements
/// and the user's new version.
pub async fn set_default_placement(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    request: DefaultPlacement,
) -> Result<(Vec<Placement>, i64)> {
    authz::require_visible(ctx, id)?;
    authz::require_placement_editable(ctx, request.node_id)?;
    authz::require_on_node(ctx, Capability::PlacementsSetDefault, request.node_id)?;
    authz::require_confirmed(ctx, id)?;
    let mut tx = store.begin_in(ctx.org).await?;
    let user = load(&mut tx, ctx, id).await?.user;
    check_version(if_match, user.version, "user")?;
    if find_placement(&user, request.node_id).is_none() {
        return Err(
            ValidationErrors::single("node_id", "the user has no placement at this node").into(),
        );
    }
    if user.default_node_id == Some(request.node_id) {
        return Ok((user.placements, user.version));
    }
    people::set_default_placement(&mut tx, id, request.node_id).await?;
    bump(&mut tx, ctx, &user).await?;
    let after = load_any(&mut tx, ctx, id).await?.user;
    audit::record(
        &mut tx,
        ctx,
        "placement.set_default",
        Target::of_user("placement", request.node_id, id),
        &Changes::default().with(
            "default_node_id",
            user.default_node_id,
            after.default_node_id,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((after.placements, after.version))
}
