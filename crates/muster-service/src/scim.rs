//! SCIM 2.0 provisioning (RFC 7643/7644): identity providers create, replace, deactivate
//! and delete users, and manage command groups and their members.
//!
//! Nothing here is a rule of its own: every write goes through the same use cases as the
//! JSON API ([`users`], [`hierarchy`]) and so through `authz` and the audit trail. What this
//! module adds is composition — a SCIM request that changes a profile, the `active` flag
//! and the provider's `externalId` at once is one transaction, so a refused part leaves
//! nothing changed — and the attributes providers keep that Muster's model has no field
//! for (`externalId`, the enterprise extension's department, division, organization and
//! cost center).

use muster_domain::hierarchy::{CommandGroup, CommandGroupPatch};
use muster_domain::org::Address;
use muster_domain::user::{CreateUser, LoginKind, NewPlacement, Phone, Secret, User, UserPatch};
use muster_domain::{CommandGroupId, UserId, ValidationErrors};
use muster_store::scim::{self as store_scim, Kind, Member, Query, ScimAttributes};
use muster_store::users::Scope;
use muster_store::{DbTime, Store, Tx};
use serde_json::Value;

use crate::audit::{self, Changes, Target};
use crate::users::{self, Transition};
use crate::{Actor, Ctx, Result, ServiceError, authz, hierarchy, settings};

/// A user as SCIM shows them.
#[derive(Debug, Clone)]
pub struct ScimUser {
    /// The profile, as the caller may see it.
    pub user: User,
    /// What the identity provider keeps on them.
    pub attributes: ScimAttributes,
    /// Their command group: id and name.
    pub group: Option<(CommandGroupId, String)>,
}

/// What a SCIM client sets on a user: every attribute SCIM manages (a `PUT`, or a `PATCH`
/// applied to the current state). Attributes SCIM does not manage are left as they are.
#[derive(Debug, Clone, Default)]
pub struct UserWrite {
    /// `userName`.
    pub login: String,
    /// `name.givenName`.
    pub first_name: String,
    /// `name.familyName`.
    pub last_name: String,
    /// `displayName`.
    pub display_name: Option<String>,
    /// The primary email.
    pub email: Option<String>,
    /// The other emails.
    pub emails: Vec<String>,
    /// `phoneNumbers`.
    pub phones: Vec<Phone>,
    /// The address.
    pub address: Option<Address>,
    /// Enterprise `employeeNumber`.
    pub employee_number: Option<String>,
    /// Enterprise `manager.value`.
    pub reports_to_id: Option<UserId>,
    /// Muster `badgeNumber`.
    pub badge_number: Option<String>,
    /// Muster `payrollId`.
    pub payroll_id: Option<String>,
    /// Muster `titleDesignation`.
    pub title_designation: Option<String>,
    /// `active`.
    pub active: bool,
    /// A new password (`password` is write-only).
    pub password: Option<Secret>,
    /// `externalId` and the enterprise free-text attributes.
    pub attributes: ScimAttributes,
}

/// What a SCIM client sets on a group.
#[derive(Debug, Clone, Default)]
pub struct GroupWrite {
    /// `displayName`: the command group's name.
    pub name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `members`: the users in the group (each user is in at most one group, so adding a
    /// user here moves them out of their previous group).
    pub members: Vec<UserId>,
}

/// A command group as SCIM shows it.
#[derive(Debug, Clone)]
pub struct ScimGroup {
    /// The group.
    pub group: CommandGroup,
    /// Its `externalId`.
    pub external_id: Option<String>,
    /// The members the caller may see.
    pub members: Vec<Member>,
    /// Created.
    pub created: DbTime,
    /// Last changed.
    pub updated: DbTime,
}

/// Refuses anything but an API token: SCIM clients are machines that hold one.
pub fn require_client(ctx: &Ctx) -> Result<()> {
    if authz::current_location(ctx).is_some() && !matches!(ctx.actor, Actor::Token { .. }) {
        return Err(ServiceError::Forbidden(
            "SCIM clients authenticate with an API token (POST /api/v1/tokens)".to_owned(),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Users

/// A user as SCIM shows them (404 when the caller cannot see them).
pub async fn get_user(store: &Store, ctx: &Ctx, id: UserId) -> Result<ScimUser> {
    let user = users::get(store, ctx, id).await?;
    let attributes = store_scim::attributes(store, ctx.org, Kind::User, id.as_uuid()).await?;
    let group = match user.command_group_id {
        Some(g) => muster_store::hierarchy::get(store, ctx.org, g)
            .await?
            .map(|row| (g, row.name)),
        None => None,
    };
    Ok(ScimUser {
        user,
        attributes,
        group,
    })
}

/// The caller's list filter (the JSON API's rule).
fn scope(ctx: &Ctx) -> Option<Scope> {
    authz::user_scope(ctx).map(|s| Scope {
        own: s.own.as_uuid(),
        within: s.within.map(|n| n.as_uuid()),
        groups: s.groups.iter().map(CommandGroupId::as_uuid).collect(),
        nodes: Vec::new(),
    })
}

/// One page of the users the caller may see that match `query`, and how many match.
/// A filter the database cannot run is a validation error on `filter`.
pub async fn list_users(store: &Store, ctx: &Ctx, query: &Query) -> Result<(Vec<ScimUser>, i64)> {
    let scope = scope(ctx);
    let (ids, total) = store_scim::search(store, ctx.org, Kind::User, query, scope.as_ref())
        .await?
        .map_err(|e| ValidationErrors::single("filter", e.0))?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        match get_user(store, ctx, UserId::from_uuid(id)).await {
            Ok(user) => found.push(user),
            // Deleted or moved out of sight between the two reads.
            Err(ServiceError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((found, total))
}

/// Creates a user from SCIM: placed where the organization's `scim_provisioning`
/// setting says; a user created inactive is deactivated in the same transaction.
pub async fn create_user(store: &Store, ctx: &Ctx, write: UserWrite) -> Result<ScimUser> {
    require_client(ctx)?;
    let provisioning = settings::get(store, ctx)
        .await?
        .scim_provisioning
        .ok_or_else(|| {
            ServiceError::conflict(
                "placements",
                "the organization has not chosen where SCIM users are placed \
                 (settings `scim_provisioning`)",
            )
        })?;
    let request = CreateUser {
        login: write.login,
        first_name: write.first_name,
        last_name: write.last_name,
        login_kind: Some(LoginKind::Password),
        email: write.email,
        phones: write.phones,
        placements: vec![NewPlacement {
            node_id: provisioning.node_id,
            role_id: provisioning.role_id,
            default: true,
            starts_on: None,
            ends_on: None,
        }],
        password: write.password,
        display_name: write.display_name,
        employee_number: write.employee_number,
        badge_number: write.badge_number,
        emails: write.emails,
        address: write.address,
        title_designation: write.title_designation,
        reports_to_id: write.reports_to_id,
        payroll_id: write.payroll_id,
        ..CreateUser::default()
    };
    let prepared = users::prepare_create(store, ctx, request).await?;
    if !write.active {
        // The new user is not in the caller's access index yet: switching them off needs
        // `users.lifecycle` where they are placed.
        authz::require_on_node(
            ctx,
            muster_domain::access::Capability::UsersLifecycle,
            provisioning.node_id,
        )?;
    }
    let mut tx = store.begin_in(ctx.org).await?;
    let mut user = users::create_in(&mut tx, ctx, prepared).await?;
    let id = user.id;
    if !write.active {
        user = users::transition_in(&mut tx, ctx, id, None, &Transition::Deactivate, None).await?;
    }
    write_attributes(
        &mut tx,
        ctx,
        id,
        &ScimAttributes::default(),
        &write.attributes,
    )
    .await?;
    tx.commit().await?;
    // The caller's access index predates the new user: answer with what was written.
    Ok(ScimUser {
        user,
        attributes: write.attributes,
        group: None,
    })
}

/// Records the SCIM attributes of user `id` when they changed, with an audit event.
async fn write_attributes(
    tx: &mut Tx,
    ctx: &Ctx,
    id: UserId,
    before: &ScimAttributes,
    after: &ScimAttributes,
) -> Result<()> {
    if before == after {
        return Ok(());
    }
    store_scim::set_attributes(tx, ctx.org, Kind::User, id.as_uuid(), after).await?;
    audit::record(
        tx,
        ctx,
        "user.update",
        Target::of_user("user", id, id),
        &Changes::diff(&attributes_json(before), &attributes_json(after)),
    )
    .await?;
    Ok(())
}

fn attributes_json(a: &ScimAttributes) -> Value {
    serde_json::json!({
        "scim_external_id": a.external_id,
        "scim_department": a.department,
        "scim_division": a.division,
        "scim_organization": a.organization,
        "scim_cost_center": a.cost_center,
        "scim_primary_phone": a.primary_phone,
    })
}

/// The merge patch that takes `user` to `write` (SCIM-managed fields only).
fn patch_for(user: &User, write: &UserWrite) -> UserPatch {
    fn changed<T: PartialEq + Clone>(before: &T, after: &T) -> Option<T> {
        (before != after).then(|| after.clone())
    }
    UserPatch {
        login: changed(&user.login, &write.login),
        first_name: changed(&user.first_name, &write.first_name),
        last_name: changed(&user.last_name, &write.last_name),
        display_name: changed(&user.display_name, &write.display_name),
        employee_number: changed(&user.employee_number, &write.employee_number),
        badge_number: changed(&user.badge_number, &write.badge_number),
        email: changed(&user.email, &write.email),
        emails: changed(&user.emails, &write.emails).map(Some),
        phones: changed(&user.phones, &write.phones).map(Some),
        address: changed(&user.address, &write.address),
        title_designation: changed(&user.title_designation, &write.title_designation),
        reports_to_id: changed(&user.reports_to_id, &write.reports_to_id),
        payroll_id: changed(&user.payroll_id, &write.payroll_id),
        password: write.password.clone(),
        ..UserPatch::default()
    }
}

/// Whether a patch changes nothing.
fn is_empty(p: &UserPatch) -> bool {
    p.login.is_none()
        && p.first_name.is_none()
        && p.last_name.is_none()
        && p.display_name.is_none()
        && p.employee_number.is_none()
        && p.badge_number.is_none()
        && p.email.is_none()
        && p.emails.is_none()
        && p.phones.is_none()
        && p.address.is_none()
        && p.title_designation.is_none()
        && p.reports_to_id.is_none()
        && p.payroll_id.is_none()
        && p.password.is_none()
}

/// Replaces what SCIM manages of user `id` (`PUT`, or a `PATCH` applied to the current
/// state): the profile, `active` and the provider's attributes, in one transaction.
pub async fn replace_user(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
    write: UserWrite,
) -> Result<ScimUser> {
    require_client(ctx)?;
    let current = get_user(store, ctx, id).await?;
    crate::nodes::check_version(if_match, current.user.version, "user")?;
    let patch = patch_for(&current.user, &write);
    let prepared = if is_empty(&patch) {
        None
    } else {
        Some(users::prepare_update(store, ctx, id, if_match, patch).await?)
    };
    let is_active = current.user.status == muster_domain::user::UserStatus::Active;
    let step = match (is_active, write.active) {
        (true, false) => Some(Transition::Deactivate),
        (false, true) => Some(Transition::Reactivate),
        _ => None,
    };
    let reason = match &step {
        Some(step) => users::prepare_transition(ctx, id, step)?,
        None => None,
    };
    if current.attributes != write.attributes {
        authz::require_on_user(ctx, muster_domain::access::Capability::UsersEdit, id)?;
    }

    let mut tx = store.begin_in(ctx.org).await?;
    let mut changed = false;
    if let Some((patch, secrets)) = prepared {
        changed |= users::update_in(&mut tx, ctx, id, if_match, &patch, secrets)
            .await?
            .1;
    }
    if let Some(step) = &step {
        users::transition_in(&mut tx, ctx, id, None, step, reason).await?;
        changed = true;
    }
    let before = store_scim::attributes_tx(&mut tx, ctx.org, Kind::User, id.as_uuid()).await?;
    if before != write.attributes {
        write_attributes(&mut tx, ctx, id, &before, &write.attributes).await?;
        if !changed {
            // The profile's version (the ETag) moves with every change SCIM shows.
            bump_user(&mut tx, ctx, id).await?;
        }
        changed = true;
    }
    if changed {
        tx.commit().await?;
    }
    get_user(store, ctx, id).await
}

async fn bump_user(tx: &mut Tx, ctx: &Ctx, id: UserId) -> Result<()> {
    let row = muster_store::users::get_tx(tx, ctx.org, id)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if !muster_store::users::bump_version(tx, ctx.org, id, row.version, ctx.now).await? {
        return Err(ServiceError::Stale("user"));
    }
    Ok(())
}

/// Deletes user `id` (Muster's soft delete: a tombstone, the login reserved forever).
pub async fn delete_user(
    store: &Store,
    ctx: &Ctx,
    id: UserId,
    if_match: Option<i64>,
) -> Result<()> {
    require_client(ctx)?;
    users::get(store, ctx, id).await?;
    users::transition(store, ctx, id, if_match, Transition::Delete).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Groups

/// A command group as SCIM shows it, with the members the caller may see.
pub async fn get_group(store: &Store, ctx: &Ctx, id: CommandGroupId) -> Result<ScimGroup> {
    let group = hierarchy::get(store, ctx, id).await?;
    let times = store_scim::group_times(store, ctx.org, id.as_uuid())
        .await?
        .ok_or(ServiceError::NotFound("command group"))?;
    let attributes = store_scim::attributes(store, ctx.org, Kind::Group, id.as_uuid()).await?;
    let members = store_scim::members(store, ctx.org, id.as_uuid())
        .await?
        .into_iter()
        .filter(|m| authz::can_see(ctx, UserId::from_uuid(m.id)))
        .collect();
    Ok(ScimGroup {
        group,
        external_id: attributes.external_id,
        members,
        created: times.created_at,
        updated: times.updated_at,
    })
}

/// One page of the organization's command groups matching `query`, and how many match.
pub async fn list_groups(store: &Store, ctx: &Ctx, query: &Query) -> Result<(Vec<ScimGroup>, i64)> {
    let (ids, total) = store_scim::search(store, ctx.org, Kind::Group, query, None)
        .await?
        .map_err(|e| ValidationErrors::single("filter", e.0))?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        match get_group(store, ctx, CommandGroupId::from_uuid(id)).await {
            Ok(group) => found.push(group),
            Err(ServiceError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((found, total))
}

/// Prepares moving each user into their group (`None`: out of any group) through the same
/// use case as `PATCH /users/{id}` (so `users.edit` over each, nobody their own group); an
/// unknown or invisible user is a validation error on `members`.
async fn move_members(
    store: &Store,
    ctx: &Ctx,
    users_to_move: &[(UserId, Option<CommandGroupId>)],
) -> Result<Vec<(UserId, UserPatch, users::UpdateSecrets)>> {
    let mut prepared = Vec::with_capacity(users_to_move.len());
    for (user, group) in users_to_move {
        let patch = UserPatch {
            command_group_id: Some(*group),
            ..UserPatch::default()
        };
        let (patch, secrets) = users::prepare_update(store, ctx, *user, None, patch)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound(_) => {
                    ValidationErrors::single("members", format!("no such user: {}", user.as_uuid()))
                        .into()
                }
                other => other,
            })?;
        prepared.push((*user, patch, secrets));
    }
    Ok(prepared)
}

/// Writes prepared member moves in `tx`, each audited; returns whether any changed.
async fn write_members(
    tx: &mut Tx,
    ctx: &Ctx,
    prepared: Vec<(UserId, UserPatch, users::UpdateSecrets)>,
) -> Result<bool> {
    let mut changed = false;
    for (user, patch, secrets) in prepared {
        changed |= users::update_in(tx, ctx, user, None, &patch, secrets)
            .await?
            .1;
    }
    Ok(changed)
}

async fn write_group_external_id(
    tx: &mut Tx,
    ctx: &Ctx,
    id: CommandGroupId,
    external_id: Option<&str>,
) -> Result<bool> {
    let before = store_scim::attributes_tx(tx, ctx.org, Kind::Group, id.as_uuid()).await?;
    if before.external_id.as_deref() == external_id {
        return Ok(false);
    }
    let after = ScimAttributes {
        external_id: external_id.map(str::to_owned),
        ..before.clone()
    };
    store_scim::set_attributes(tx, ctx.org, Kind::Group, id.as_uuid(), &after).await?;
    audit::record(
        tx,
        ctx,
        "command_group.update",
        Target::object("command_group", id),
        &Changes::default().with("scim_external_id", &before.external_id, &after.external_id),
    )
    .await?;
    Ok(true)
}

fn valid_name(name: &str) -> Result<String> {
    let mut errors = ValidationErrors::new();
    let name = errors.check(muster_domain::hierarchy::group_name(name));
    errors.into_result()?;
    name.ok_or_else(|| ValidationErrors::single("name", "is invalid").into())
}

/// Creates a root command group with its members.
pub async fn create_group(store: &Store, ctx: &Ctx, write: GroupWrite) -> Result<ScimGroup> {
    require_client(ctx)?;
    authz::require_org_wide(ctx, muster_domain::access::Capability::HierarchyManage)?;
    let name = valid_name(&write.name)?;
    let id = CommandGroupId::new();
    let moves: Vec<_> = write.members.iter().map(|u| (*u, Some(id))).collect();
    let prepared = move_members(store, ctx, &moves).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    let group = hierarchy::create_in(&mut tx, ctx, id, &name, None, &[]).await?;
    write_members(&mut tx, ctx, prepared).await?;
    write_group_external_id(&mut tx, ctx, group.id, write.external_id.as_deref()).await?;
    tx.commit().await?;
    get_group(store, ctx, group.id).await
}

/// Replaces a group's name, `externalId` and members (`PUT`, or a `PATCH` applied to the
/// current state). Members the caller cannot see are kept as they are.
pub async fn replace_group(
    store: &Store,
    ctx: &Ctx,
    id: CommandGroupId,
    if_match: Option<i64>,
    write: GroupWrite,
) -> Result<ScimGroup> {
    require_client(ctx)?;
    let current = get_group(store, ctx, id).await?;
    crate::nodes::check_version(if_match, current.group.version, "command group")?;
    let name = valid_name(&write.name)?;
    let renamed = name != current.group.name;
    if renamed {
        authz::require_org_wide(ctx, muster_domain::access::Capability::HierarchyManage)?;
    }
    let now_in: Vec<UserId> = current
        .members
        .iter()
        .map(|m| UserId::from_uuid(m.id))
        .collect();
    let mut moves: Vec<(UserId, Option<CommandGroupId>)> = write
        .members
        .iter()
        .filter(|u| !now_in.contains(u))
        .map(|u| (*u, Some(id)))
        .collect();
    moves.extend(
        now_in
            .iter()
            .filter(|u| !write.members.contains(u))
            .map(|u| (*u, None)),
    );
    let prepared = move_members(store, ctx, &moves).await?;

    let mut tx = store.begin_in(ctx.org).await?;
    let mut changed = false;
    if renamed {
        let patch = CommandGroupPatch {
            name: Some(name.clone()),
            ..CommandGroupPatch::default()
        };
        changed |= hierarchy::update_in(&mut tx, ctx, id, if_match, &patch, Some(name), None)
            .await?
            .1;
    }
    let members_changed = write_members(&mut tx, ctx, prepared).await?;
    let tagged = write_group_external_id(&mut tx, ctx, id, write.external_id.as_deref()).await?;
    if (members_changed || tagged) && !changed {
        store_scim::touch_group(&mut tx, ctx.org, id.as_uuid(), ctx.now).await?;
    }
    if changed || members_changed || tagged {
        tx.commit().await?;
    }
    get_group(store, ctx, id).await
}

/// Deletes a command group: its members leave it (each change audited) and it is
/// soft-deleted; refused while it has child groups.
pub async fn delete_group(
    store: &Store,
    ctx: &Ctx,
    id: CommandGroupId,
    if_match: Option<i64>,
) -> Result<()> {
    require_client(ctx)?;
    authz::require_org_wide(ctx, muster_domain::access::Capability::HierarchyManage)?;
    let current = get_group(store, ctx, id).await?;
    crate::nodes::check_version(if_match, current.group.version, "command group")?;
    let all = store_scim::members(store, ctx.org, id.as_uuid()).await?;
    let moves: Vec<_> = all
        .iter()
        .map(|m| (UserId::from_uuid(m.id), None))
        .collect();
    let prepared = move_members(store, ctx, &moves).await?;
    let mut tx = store.begin_in(ctx.org).await?;
    write_members(&mut tx, ctx, prepared).await?;
    hierarchy::delete_in(&mut tx, ctx, id, None).await?;
    tx.commit().await?;
    Ok(())
}
