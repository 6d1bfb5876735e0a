//! Bulk actions on users (`POST /users/bulk`): change the status, set a placement or
//! reset the password of a selection of users, or of every user matching a list filter.
//!
//! Each user goes through the same authorization as the single action (central access
//! engine), and the whole action is all or nothing: with one user it may not be applied
//! to, nothing is changed. A preview says how many users it would change, how many are
//! already as asked, and which it would refuse and why. Every change writes the same
//! per-user audit event as the single action.

use muster_access::Target as AccessTarget;
use muster_domain::access::Capability;
use muster_domain::user::{
    Ban, LoginKind, NewPlacement, PlacementPatch, User, UserFilter, UserStatus,
};
use muster_domain::{NodeId, RoleId, UserId, ValidationErrors};
use muster_store::Store;
use muster_store::users::Credentials;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::paging::PageRequest;
use crate::users::{self, Transition};
use crate::{Ctx, Result, ServiceError, authz};
use muster_domain::user::Secret;

/// The most users one bulk action changes.
pub const MAX_USERS: usize = 10_000;
/// Users read per page of a filter.
const PAGE: u32 = 500;

/// What to do to every selected user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkActionKind {
    /// Switch active users off (`inactive`).
    Deactivate,
    /// Make users active again.
    Reactivate,
    /// Ban users (`reason` optional).
    Ban,
    /// Lift bans.
    Unban,
    /// Give each user a placement at `node_id` with `role_id`, or change the role of the
    /// one they have there.
    SetPlacement,
    /// Reset passwords: a temporary one each, emailed.
    ResetPassword,
}

/// The users a bulk action applies to: as `GET /users` filters them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Search text, as `q` of `GET /users`.
    #[serde(default)]
    pub q: Option<String>,
    /// Statuses (default: `active` only).
    #[serde(default)]
    pub status: Vec<UserStatus>,
    /// Login kind.
    #[serde(default)]
    pub login_kind: Option<LoginKind>,
    /// Only users placed at this node or below it.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub node_id: Option<NodeId>,
}

/// `POST /users/bulk`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// What to do.
    pub action: BulkActionKind,
    /// The selected users (or give `filter`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<uuid::Uuid>>)]
    pub user_ids: Option<Vec<UserId>>,
    /// Every user matching this filter that the caller can see (or give `user_ids`).
    #[serde(default)]
    pub filter: Option<BulkFilter>,
    /// For `set_placement`: the node.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub node_id: Option<NodeId>,
    /// For `set_placement`: the role.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub role_id: Option<RoleId>,
    /// For `ban`: why (goes to the audit trail).
    #[serde(default)]
    pub reason: Option<String>,
    /// Only say what would happen.
    #[serde(default)]
    pub preview: bool,
    /// Confirms changes to users who also have placements outside the caller's current
    /// location.
    #[serde(default)]
    pub confirm: bool,
}

/// A selected user the action cannot be applied to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Refusal {
    /// The user.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
    /// Their login, when the caller can see them.
    pub login: Option<String>,
    /// Why.
    pub reason: String,
}

/// What a bulk action did, or (preview) would do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkOutcome {
    /// Whether this was only a preview.
    pub preview: bool,
    /// Users selected.
    pub selected: u64,
    /// Users changed (preview: to be changed).
    pub changed: u64,
    /// Users already as asked (left alone).
    pub unchanged: u64,
    /// Users the action cannot be applied to; when there are any, nothing is changed.
    pub refused: Vec<Refusal>,
}

/// One user's planned change.
enum Plan {
    Step(Transition, Option<String>),
    AddPlacement(NewPlacement),
    ChangeRole(NodeId, PlacementPatch),
    Reset,
}

/// The selected users the caller can see, and refusals for the ids they cannot.
async fn select(
    store: &Store,
    ctx: &Ctx,
    request: &BulkRequest,
    refused: &mut Vec<Refusal>,
) -> Result<Vec<User>> {
    let mut selected = Vec::new();
    match (&request.user_ids, &request.filter) {
        (Some(ids), None) => {
            if ids.len() > MAX_USERS {
                return Err(too_many());
            }
            let mut seen = std::collections::HashSet::new();
            for id in ids.iter().filter(|id| seen.insert(**id)) {
                match users::get(store, ctx, *id).await {
                    Ok(user) => selected.push(user),
                    Err(ServiceError::NotFound(_)) => refused.push(Refusal {
                        user_id: *id,
                        login: None,
                        reason: "no such user".to_owned(),
                    }),
                    Err(e) => return Err(e),
                }
            }
        }
        (None, Some(filter)) => {
            let filter = UserFilter {
                q: filter.q.clone(),
                statuses: filter.status.clone(),
                login_kind: filter.login_kind,
                node_id: filter.node_id,
                ..UserFilter::default()
            };
            let mut cursor = None;
            loop {
                let page = PageRequest::new(Some(PAGE), cursor)?;
                let found = users::list(store, ctx, filter.clone(), &page).await?;
                for summary in &found.items {
                    if selected.len() >= MAX_USERS {
                        return Err(too_many());
                    }
                    selected.push(users::get(store, ctx, summary.id).await?);
                }
                match found.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        _ => {
            return Err(ValidationErrors::single(
                "user_ids",
                "give either `user_ids` or `filter`, not both and not neither",
            )
            .into());
        }
    }
    Ok(selected)
}

fn too_many() -> ServiceError {
    ValidationErrors::single(
        "user_ids",
        format!("a bulk action changes at most {MAX_USERS} users; narrow the selection"),
    )
    .into()
}

/// The lifecycle step of a status action, and the status it leads to.
fn step_of(request: &BulkRequest) -> Option<(Transition, UserStatus)> {
    Some(match request.action {
        BulkActionKind::Deactivate => (Transition::Deactivate, UserStatus::Inactive),
        BulkActionKind::Reactivate => (Transition::Reactivate, UserStatus::Active),
        BulkActionKind::Ban => (
            Transition::Ban(Ban {
                reason: request.reason.clone(),
            }),
            UserStatus::Banned,
        ),
        BulkActionKind::Unban => (Transition::Unban, UserStatus::Active),
        BulkActionKind::SetPlacement | BulkActionKind::ResetPassword => return None,
    })
}

/// What to do to `user`: `Ok(None)` when they are already as asked.
fn plan(ctx: &Ctx, request: &BulkRequest, user: &User) -> Result<Option<Plan>> {
    let id = user.id;
    if let Some((step, target)) = step_of(request) {
        if user.status == target {
            return Ok(None);
        }
        if ctx.actor.user() == Some(id) && target != UserStatus::Active {
            return Err(ServiceError::conflict(
                "status",
                "you cannot lock yourself out: ask another administrator",
            ));
        }
        let reason = users::prepare_transition(ctx, id, &step)?;
        return Ok(Some(Plan::Step(step, reason)));
    }
    if request.action == BulkActionKind::ResetPassword {
        authz::require_on_user(ctx, Capability::UsersResetPassword, id)?;
        authz::require_confirmed(ctx, id)?;
        users::check_resettable(user)?;
        return Ok(Some(Plan::Reset));
    }
    let (Some(node), Some(role)) = (request.node_id, request.role_id) else {
        return Err(ValidationErrors::single(
            "node_id",
            "`set_placement` needs `node_id` and `role_id`",
        )
        .into());
    };
    match user.placements.iter().find(|p| p.node_id == node) {
        Some(p) if p.role_id == role => Ok(None),
        Some(_) => {
            let patch = PlacementPatch {
                role_id: Some(role),
                ..PlacementPatch::default()
            };
            users::may_change_placement(ctx, id, node, &patch)?;
            Ok(Some(Plan::ChangeRole(node, patch)))
        }
        None => {
            let placement = NewPlacement {
                node_id: node,
                role_id: role,
                default: false,
                starts_on: None,
                ends_on: None,
            };
            users::may_add_placement(ctx, id, &placement)?;
            Ok(Some(Plan::AddPlacement(placement)))
        }
    }
}

/// Runs (or previews) a bulk action. With any refusal, nothing is changed and the
/// outcome lists them ([`ServiceError::Conflict`] unless it is a preview).
pub async fn run(store: &Store, ctx: &Ctx, request: BulkRequest) -> Result<BulkOutcome> {
    let ctx = &Ctx {
        confirmed: request.confirm,
        ..ctx.clone()
    };
    if let Some(reason) = &request.reason
        && reason.chars().count() > muster_domain::user::FREE_TEXT_MAX
    {
        return Err(ValidationErrors::single(
            "reason",
            format!(
                "must be at most {} characters",
                muster_domain::user::FREE_TEXT_MAX
            ),
        )
        .into());
    }
    // Nobody without some administrative reach gets to learn anything from a preview.
    if let Some(current) = authz::current_location(ctx)
        && !authz::can(ctx, Capability::UsersView, AccessTarget::Node(current))
    {
        return Err(ServiceError::Forbidden(
            "bulk actions need users.view at your current location".to_owned(),
        ));
    }
    let mut refused = Vec::new();
    let selected = select(store, ctx, &request, &mut refused).await?;
    let mut plans = Vec::new();
    let mut unchanged = 0_u64;
    for user in &selected {
        match plan(ctx, &request, user) {
            Ok(Some(p)) => plans.push((user, p)),
            Ok(None) => unchanged += 1,
            Err(e @ (ServiceError::Validation(_) | ServiceError::Store(_))) => return Err(e),
            Err(e) => refused.push(Refusal {
                user_id: user.id,
                login: Some(user.login.clone()),
                reason: e.to_string(),
            }),
        }
    }
    let outcome = BulkOutcome {
        preview: request.preview,
        selected: u64::try_from(
            selected.len() + refused.iter().filter(|r| r.login.is_none()).count(),
        )
        .unwrap_or(u64::MAX),
        changed: u64::try_from(plans.len()).unwrap_or(u64::MAX),
        unchanged,
        refused,
    };
    if request.preview {
        return Ok(outcome);
    }
    if !outcome.refused.is_empty() {
        let shown: Vec<String> = outcome
            .refused
            .iter()
            .take(5)
            .map(|r| {
                format!(
                    "{}: {}",
                    r.login
                        .as_deref()
                        .map_or_else(|| r.user_id.to_string(), str::to_owned),
                    r.reason
                )
            })
            .collect();
        return Err(ServiceError::conflict(
            "user_ids",
            format!(
                "nothing was changed: {} of the selected users cannot be changed this way ({}); \
                 preview the action to see them all, and narrow the selection",
                outcome.refused.len(),
                shown.join("; ")
            ),
        ));
    }
    apply(store, ctx, plans).await?;
    Ok(outcome)
}

/// Applies planned changes in one transaction: all or nothing.
async fn apply(store: &Store, ctx: &Ctx, plans: Vec<(&User, Plan)>) -> Result<()> {
    // Temporary passwords are hashed before the transaction opens.
    let mut secrets = Vec::new();
    for (_, p) in &plans {
        if matches!(p, Plan::Reset) {
            let password = Secret::new(users::passwords_generate());
            let hash = users::hash(password.clone()).await?;
            secrets.push((password, hash));
        }
    }
    let mut secrets = secrets.into_iter();
    let mut tx = store.begin_in(ctx.org).await?;
    for (user, p) in plans {
        let id = user.id;
        let done = match p {
            Plan::Step(step, reason) => users::transition_in(&mut tx, ctx, id, None, &step, reason)
                .await
                .map(|_| ()),
            Plan::AddPlacement(placement) => {
                users::add_placement_in(&mut tx, ctx, id, None, &placement)
                    .await
                    .map(|_| ())
            }
            Plan::ChangeRole(node, patch) => {
                users::update_placement_in(&mut tx, ctx, id, node, None, &patch)
                    .await
                    .map(|_| ())
            }
            Plan::Reset => match secrets.next() {
                Some((password, hash)) => {
                    let credentials = Credentials {
                        password_hash: Some(Some(hash)),
                        pin_hash: None,
                    };
                    users::reset_password_in(&mut tx, ctx, id, None, &password, credentials)
                        .await
                        .map(|_| ())
                }
                None => Err(ServiceError::Hashing(
                    "a temporary password is missing".to_owned(),
                )),
            },
        };
        done.map_err(|e| for_user(&user.login, e))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Names the user an error of a bulk action is about (nothing was changed).
fn for_user(login: &str, error: ServiceError) -> ServiceError {
    match error {
        ServiceError::Conflict { field, message } => {
            ServiceError::conflict(field, format!("{login}: {message}; nothing was changed"))
        }
        ServiceError::Validation(errors) => {
            let mut out = ValidationErrors::new();
            for e in errors.errors() {
                out.push(e.field.clone(), format!("{login}: {}", e.message));
            }
            ServiceError::Validation(out)
        }
        ServiceError::Forbidden(why) => ServiceError::Forbidden(format!("{login}: {why}")),
        other => other,
    }
}
