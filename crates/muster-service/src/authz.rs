//! Central authorization: every use case asks here before it reads or writes, so no
//! interface (JSON API, console, SCIM) can skip a rule or hold one of its own.
//!
//! The caller is a [`Principal`], resolved once per request by the web layer and carried
//! in [`Ctx::principal`]: the user, the location they work at, the capabilities their API
//! token is limited to, and the organization's access index ([`OrgIndex`]) as of the
//! start of the request. Every question is answered from that index without touching the
//! database (DESIGN.md §2.5). Muster's own actions (the CLI, seeding, background jobs)
//! carry no principal and are not restricted.
//!
//! Two kinds of "no" (STYLE.md): a target the caller cannot see is *not found*
//! ([`ServiceError::NotFound`], 404 — existence is never revealed); a visible target the
//! caller may not change this way is *forbidden* ([`ServiceError::Forbidden`], 403, with
//! the decision's reason). Attempts to grant more than the caller holds, or to make an
//! organization administrator without being one, are *escalations*
//! ([`ServiceError::Escalation`], also 403): the use case records them in the audit log
//! before refusing ([`crate::audit::refused`]).
//!
//! Organization-wide objects (reference lists, roles, modules, the command hierarchy,
//! settings, the audit log, the outbox) are governed by capabilities held over the root
//! node: only a placement at the organization itself (or the organization administrator
//! flag) grants them.

use std::sync::Arc;

use chrono::NaiveDate;
use muster_access::{OrgIndex, Target};
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Section};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

use crate::{Ctx, Result, ServiceError};

/// Who is calling, as the access engine sees them: resolved once per request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user the credential stands for.
    pub user: UserId,
    /// The location the user works at: the session's choice if still valid, else the
    /// node of their default placement.
    pub current: NodeId,
    /// For API tokens, the capabilities the token is limited to.
    pub token_capabilities: Option<Vec<Capability>>,
    /// The organization's access index as of the start of the request.
    pub index: Arc<OrgIndex>,
    /// The day decisions are taken for (placements are in force by day).
    pub today: NaiveDate,
}

impl Principal {
    /// Resolves the principal of `user` in `index`: the current location is `chosen` when
    /// it is still a node of one of their placements or below one, else the node of their
    /// default placement. `None` when the user is unknown to the index or has no
    /// placement (nothing can be decided for them).
    #[must_use]
    pub fn resolve(
        index: Arc<OrgIndex>,
        user: UserId,
        chosen: Option<NodeId>,
        token_capabilities: Option<Vec<Capability>>,
        today: NaiveDate,
    ) -> Option<Self> {
        let default = index.default_location(user)?;
        let current = chosen
            .filter(|&node| index.can_work_at(user, node))
            .unwrap_or(default);
        Some(Self {
            user,
            current,
            token_capabilities,
            index,
            today,
        })
    }

    /// Whether the caller is an organization administrator.
    #[must_use]
    pub fn is_org_admin(&self) -> bool {
        self.index.is_org_admin(self.user)
    }

    /// Whether an API token (if any) carries `capability`.
    fn token_allows(&self, capability: Capability) -> bool {
        self.token_capabilities
            .as_ref()
            .is_none_or(|caps| caps.contains(&capability))
    }
}

/// The principal of `ctx`, or `None` for Muster's own, unrestricted actions.
fn principal(ctx: &Ctx) -> Option<&Principal> {
    ctx.principal.as_deref()
}

/// Whether the caller is `user` themself.
#[must_use]
pub fn is_self(ctx: &Ctx, user: UserId) -> bool {
    principal(ctx).is_some_and(|p| p.user == user)
}

/// Whether the caller is an organization administrator (whatever their credential), or
/// Muster itself.
#[must_use]
pub fn is_org_admin(ctx: &Ctx) -> bool {
    principal(ctx).is_none_or(Principal::is_org_admin)
}

/// Whether the caller acts with every right: Muster itself, or an organization
/// administrator whose credential is not narrowed by a token.
#[must_use]
pub fn is_unrestricted(ctx: &Ctx) -> bool {
    principal(ctx).is_none_or(|p| p.is_org_admin() && p.token_capabilities.is_none())
}

/// May the caller use `capability` on `target`?
#[must_use]
pub fn can(ctx: &Ctx, capability: Capability, target: Target) -> bool {
    decide(ctx, capability, target).is_ok()
}

/// Requires `capability` on `target` (403 with the reason otherwise).
pub fn require(ctx: &Ctx, capability: Capability, target: Target) -> Result<()> {
    decide(ctx, capability, target)
}

fn decide(ctx: &Ctx, capability: Capability, target: Target) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    if !p.token_allows(capability) {
        return Err(ServiceError::Forbidden(format!(
            "this API token does not carry {capability}"
        )));
    }
    let decision = p
        .index
        .check_capability(p.user, p.current, capability, target, p.today);
    if decision.allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "{capability} is not allowed: {}",
            decision.reason
        )))
    }
}

/// Requires `capability` over the whole organization (the root node): for
/// organization-wide objects such as reference lists, roles and settings.
pub fn require_org_wide(ctx: &Ctx, capability: Capability) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    let Some(root) = p.index.root() else {
        return Err(ServiceError::Forbidden(
            "the organization has no tree".to_owned(),
        ));
    };
    if !p.token_allows(capability) {
        return Err(ServiceError::Forbidden(format!(
            "this API token does not carry {capability}"
        )));
    }
    // Organization-wide means held at the root itself, whatever location the caller
    // works at now.
    let decision = p
        .index
        .check_capability(p.user, root, capability, Target::Node(root), p.today);
    if decision.allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "{capability} over the whole organization is needed: {}",
            decision.reason
        )))
    }
}

/// Requires `capability` over `node`. A node the index does not know (none such, or
/// created since the request began) needs the capability over the whole organization,
/// so that validation may then say what is wrong with it without anything being
/// decided on less.
pub fn require_on_node(ctx: &Ctx, capability: Capability, node: NodeId) -> Result<()> {
    match principal(ctx) {
        None => Ok(()),
        Some(p) if p.index.node_name(node).is_some() => {
            require(ctx, capability, Target::Node(node))
        }
        Some(_) => require_org_wide(ctx, capability),
    }
}

/// Whether the caller holds `capability` over `node` (what [`require_on_node`] asks).
#[must_use]
pub fn can_on_node(ctx: &Ctx, capability: Capability, node: NodeId) -> bool {
    require_on_node(ctx, capability, node).is_ok()
}

/// No escalation for a role being defined or changed: the caller must hold, over the
/// whole organization, every capability and module level the role would grant.
pub fn require_definable(ctx: &Ctx, draft: &muster_access::RoleFacts) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    if let Some(caps) = &p.token_capabilities
        && let Some(missing) = draft.capabilities.iter().find(|c| !caps.contains(c))
    {
        return Err(ServiceError::Escalation(format!(
            "the role would grant {missing}, which this API token does not carry"
        )));
    }
    let Some(root) = p.index.root() else {
        return Err(ServiceError::Forbidden(
            "the organization has no tree".to_owned(),
        ));
    };
    let decision = p.index.can_define_role(p.user, root, draft, p.today);
    if decision.allowed {
        Ok(())
    } else {
        Err(ServiceError::Escalation(decision.reason.to_string()))
    }
}

/// Whether the caller holds `capability` over the whole organization.
#[must_use]
pub fn can_org_wide(ctx: &Ctx, capability: Capability) -> bool {
    require_org_wide(ctx, capability).is_ok()
}

/// Requires the caller to be an organization administrator (for granting or revoking the
/// flag itself); a token must carry every capability.
pub fn require_org_admin(ctx: &Ctx) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    let full_token = p
        .token_capabilities
        .as_ref()
        .is_none_or(|caps| Capability::ALL.iter().all(|c| caps.contains(c)));
    if p.is_org_admin() && full_token {
        Ok(())
    } else {
        Err(ServiceError::Escalation(
            "only an organization administrator may do this".to_owned(),
        ))
    }
}

/// May the caller open `user`'s profile (DESIGN.md §2.4)? Their own; one that
/// `users.view` at their current location reaches; or one that a privilege of their
/// command group covers.
#[must_use]
pub fn can_see(ctx: &Ctx, user: UserId) -> bool {
    let Some(p) = principal(ctx) else {
        return true;
    };
    if p.user == user {
        return true;
    }
    if !p.index.contains_user(user) {
        return false;
    }
    if can(ctx, Capability::UsersView, Target::User(user)) {
        return true;
    }
    let scope = p.index.privilege_scope(p.user);
    scope.everyone
        || p.index
            .group_of(user)
            .is_some_and(|g| scope.groups.contains(&g))
}

/// Requires that the caller can see `user` (404 otherwise, as if there were no such user).
pub fn require_visible(ctx: &Ctx, user: UserId) -> Result<()> {
    if can_see(ctx, user) {
        Ok(())
    } else {
        Err(ServiceError::NotFound("user"))
    }
}

/// Requires `capability` on a visible `user`: 404 when the caller cannot see them, 403
/// when they can but the capability does not reach.
pub fn require_on_user(ctx: &Ctx, capability: Capability, user: UserId) -> Result<()> {
    require_visible(ctx, user)?;
    require(ctx, capability, Target::User(user))
}

/// May the caller use `capability` on `user` (who must be visible to them)? For
/// offering actions; the use case asks again before it acts.
#[must_use]
pub fn can_on_user(ctx: &Ctx, capability: Capability, user: UserId) -> bool {
    require_on_user(ctx, capability, user).is_ok()
}

/// The capability an API token must carry for its owner's record privileges to reach
/// through it: `users.view` to read a section, `users.edit` to change one.
const fn token_capability_for(access: Access) -> Capability {
    match access {
        Access::View => Capability::UsersView,
        Access::Edit => Capability::UsersEdit,
    }
}

/// May the caller `access` section `section` of `user`'s record (DESIGN.md §2.2)? Through
/// an API token, only if the token carries `users.view` (to read) or `users.edit` (to
/// change).
#[must_use]
pub fn can_section(ctx: &Ctx, user: UserId, section: Section, access: Access) -> bool {
    let Some(p) = principal(ctx) else {
        return true;
    };
    p.token_allows(token_capability_for(access))
        && p.index.check_section(p.user, user, section, access).allowed
}

/// Whether the caller's API token, if they use one, carries `capability` (always for
/// other credentials).
#[must_use]
pub fn token_carries(ctx: &Ctx, capability: Capability) -> bool {
    principal(ctx).is_none_or(|p| p.token_allows(capability))
}

/// Requires `access` to section `section` of `user`'s record: 404 when the caller
/// cannot see the user, 403 when they can but their privileges do not allow it.
pub fn require_section(ctx: &Ctx, user: UserId, section: Section, access: Access) -> Result<()> {
    require_visible(ctx, user)?;
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    let needed = token_capability_for(access);
    if !p.token_allows(needed) {
        return Err(ServiceError::Forbidden(format!(
            "this API token does not carry {needed}"
        )));
    }
    let decision = p.index.check_section(p.user, user, section, access);
    if decision.allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(decision.reason.to_string()))
    }
}

/// No escalation (DESIGN.md §2.1): requires that the caller may give `role` at `node` —
/// the node lies within their current location's subtree and the role grants nothing
/// they do not hold there (nor, through a token, anything the token does not carry).
pub fn require_grant(ctx: &Ctx, role: RoleId, node: NodeId) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    if let Some(caps) = &p.token_capabilities
        && let Some(missing) = p
            .index
            .role_capabilities(role)
            .into_iter()
            .find(|c| !caps.contains(c))
    {
        return Err(ServiceError::Escalation(format!(
            "the role grants {missing}, which this API token does not carry"
        )));
    }
    if p.index.role_capabilities_known(role).is_none() || p.index.node_name(node).is_none() {
        // A role or node the index does not know (none such, or made since the request
        // began): only an organization administrator goes on, to be told by validation.
        return if p.is_org_admin() {
            Ok(())
        } else {
            Err(ServiceError::Escalation(
                "the role or node is not one you can give".to_owned(),
            ))
        };
    }
    let decision = p
        .index
        .can_grant_role(p.user, p.current, role, node, p.today);
    if decision.allowed {
        Ok(())
    } else {
        Err(ServiceError::Escalation(decision.reason.to_string()))
    }
}

/// Requires that a placement at `node` is within the caller's reach: placements outside
/// their current location's subtree are read-only (DESIGN.md §2.1).
pub fn require_placement_editable(ctx: &Ctx, node: NodeId) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    if p.index.node_name(node).is_none() {
        // A node outside the organization holds no placement of anyone's.
        return Err(ServiceError::NotFound("placement"));
    }
    let decision = p.index.can_edit_placement(p.user, p.current, node, p.today);
    if decision.allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(decision.reason.to_string()))
    }
}

/// Whether a placement at `node` is within the caller's reach (for read-only markers).
#[must_use]
pub fn placement_editable(ctx: &Ctx, node: NodeId) -> bool {
    require_placement_editable(ctx, node).is_ok()
}

/// The multi-location confirmation (DESIGN.md §2.1): changing a user who also has
/// placements outside the caller's current location needs `confirm=true`. Organization
/// administrators act over the whole organization and are never asked.
pub fn require_confirmed(ctx: &Ctx, user: UserId) -> Result<()> {
    let Some(p) = principal(ctx) else {
        return Ok(());
    };
    if ctx.confirmed || p.is_org_admin() || !p.index.has_placements_outside(user, p.current) {
        return Ok(());
    }
    let current = p.index.node_name(p.current).unwrap_or("your location");
    Err(ServiceError::ConfirmationRequired(format!(
        "this user also has placements outside {current}; the change affects them \
         everywhere"
    )))
}

/// Whose users the caller's lists show (DESIGN.md §2.4), as a filter for the query;
/// `None` when they see everyone in the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserScope {
    /// The caller (always visible to themself).
    pub own: UserId,
    /// Users with a placement at this node or below it (`users.view` reaches there).
    pub within: Option<NodeId>,
    /// Members of these command groups (the caller's privileges cover them).
    pub groups: Vec<CommandGroupId>,
}

/// The caller's list filter; `None` for everyone.
#[must_use]
pub fn user_scope(ctx: &Ctx) -> Option<UserScope> {
    let p = principal(ctx)?;
    let by_view = can(ctx, Capability::UsersView, Target::Node(p.current));
    if by_view && Some(p.current) == p.index.root() {
        return None;
    }
    let privileges = p.index.privilege_scope(p.user);
    if privileges.everyone {
        return None;
    }
    Some(UserScope {
        own: p.user,
        within: by_view.then_some(p.current),
        groups: privileges.groups,
    })
}

/// The caller's current location, if they have one (Muster's own actions do not).
#[must_use]
pub fn current_location(ctx: &Ctx) -> Option<NodeId> {
    principal(ctx).map(|p| p.current)
}
