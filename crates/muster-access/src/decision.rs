//! Decisions and their reasons: every check answers allow/deny **and why** (DESIGN.md §2.5).
//!
//! A [`Decision`] is a value the service layer takes as proof before it writes; its
//! [`Reason`] names the one fact that decided (the granting placement, the privilege, the
//! missing capability, the placement that is out of its dates, …) so that the API, the
//! console and `muster check` can explain it in one line. Reasons carry the names of the
//! nodes, roles and groups they mention (shared, not copied: [`Named`] holds an `Arc<str>`),
//! so they print without going back to the index.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use muster_domain::access::Capability;
use muster_domain::hierarchy::{Access, Scope, Section};
use muster_domain::user::{DirectoryAccess, UserStatus};
use muster_domain::{CommandGroupId, NodeId, RoleId, UserId};

/// An id with the display name it had when the index was built.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Named<I> {
    /// The id.
    pub id: I,
    /// Its name.
    pub name: Arc<str>,
}

impl<I> fmt::Display for Named<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// What a capability check is about: a user (reached through any of their placements) or a
/// node of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A user: reached when at least one of their placements lies in subtree(current).
    User(UserId),
    /// A node: reached when it lies in subtree(current).
    Node(NodeId),
}

/// The target named in an [`Reason::OutsideScope`] denial.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScopeTarget {
    /// A user none of whose placements lies in subtree(current).
    User(UserId),
    /// A node outside subtree(current).
    Node(Named<NodeId>),
}

/// How a viewer V relates to a target T in the command hierarchy (DESIGN.md §2.2).
///
/// The variants are exclusive: [`Relation::Own`] when V = T; otherwise by the two users'
/// command groups. A user without a group relates to others only as `None` (the `all`
/// scope still reaches them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relation {
    /// V is T.
    Own,
    /// T's group is a child of V's group.
    Direct,
    /// V's group is an ancestor of T's group, two or more levels up.
    Indirect,
    /// T's group has the same parent as V's (root groups are peers of each other),
    /// including V's own group; T ≠ V.
    Peers,
    /// None of the above (only the `all` scope reaches T).
    None,
}

impl Relation {
    /// The scope that names exactly this relation (`None` has none: only `all` covers it).
    #[must_use]
    pub fn scope(self) -> Option<Scope> {
        match self {
            Self::Own => Some(Scope::Own),
            Self::Direct => Some(Scope::Direct),
            Self::Indirect => Some(Scope::Indirect),
            Self::Peers => Some(Scope::Peers),
            Self::None => None,
        }
    }

    /// Whether a privilege of `scope` reaches a target in this relation: `all` reaches
    /// everyone (self included); every other scope reaches exactly its relation.
    #[must_use]
    pub fn covered_by(self, scope: Scope) -> bool {
        scope == Scope::All || self.scope() == Some(scope)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Own => "themself",
            Self::Direct => "a direct report",
            Self::Indirect => "an indirect report",
            Self::Peers => "a peer",
            Self::None => "unrelated in the command hierarchy",
        })
    }
}

/// What a role would grant that its grantor does not hold (no escalation, §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Missing {
    /// An administrative capability.
    Capability(Capability),
    /// A level of a module.
    ModuleLevel {
        /// The module's key.
        module: Arc<str>,
        /// The level the role grants.
        level: Arc<str>,
    },
    /// An item of a module at a level (`item` is `all` when the role covers every item).
    ModuleItem {
        /// The module's key.
        module: Arc<str>,
        /// The level the role grants.
        level: Arc<str>,
        /// The item key, or `all`.
        item: Arc<str>,
    },
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Capability(c) => write!(f, "the capability {c}"),
            Self::ModuleLevel { module, level } => write!(f, "{module} at {level}"),
            Self::ModuleItem {
                module,
                level,
                item,
            } => write!(f, "{module} at {level} for item {item}"),
        }
    }
}

/// Exactly why a decision came out as it did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    // ----- allowing -----
    /// The subject is an organization administrator: everything, everywhere.
    OrgAdmin,
    /// A placement of the subject (role @ node), in force and at or above the current
    /// location, grants it.
    Placement {
        /// The role of the granting placement.
        role: Named<RoleId>,
        /// Its node.
        node: Named<NodeId>,
    },
    /// A privilege of the viewer's command group covers their relation to the target.
    Privilege {
        /// The viewer's group.
        group: Named<CommandGroupId>,
        /// The privilege's scope.
        scope: Scope,
        /// The privilege's access.
        access: Access,
        /// The viewer's relation to the target.
        relation: Relation,
    },
    /// Everyone may open their own profile.
    SelfService,
    /// The role grants nothing beyond what the subject holds at the current location, and
    /// its node lies within it.
    NoEscalation {
        /// The subject's current location.
        current: Named<NodeId>,
    },
    /// The placement's node lies within the subject's current location.
    WithinCurrentLocation {
        /// The subject's current location.
        current: Named<NodeId>,
    },
    /// The viewer's directory access shows the target.
    Directory {
        /// The viewer's directory access.
        access: DirectoryAccess,
    },

    // ----- denying -----
    /// No user with this id in the organization.
    UnknownUser(UserId),
    /// No node with this id in the organization.
    UnknownNode(NodeId),
    /// No role with this id in the organization.
    UnknownRole(RoleId),
    /// No module with this key.
    UnknownModule(String),
    /// The module has no such level.
    UnknownLevel {
        /// The module's key.
        module: String,
        /// The level asked for.
        level: String,
    },
    /// The module has no such item (or no items at all).
    UnknownItem {
        /// The module's key.
        module: String,
        /// The item asked for.
        item: String,
    },
    /// The subject is not `active` (inactive, banned, retired, separated or deleted).
    SubjectInactive {
        /// Their status.
        status: UserStatus,
    },
    /// The subject is a non-login user (login kind `none`): they never act.
    SubjectCannotSignIn,
    /// The current location is neither the node of one of the subject's placements in
    /// force nor below one.
    NotAtCurrentLocation {
        /// The current location asked for.
        current: Named<NodeId>,
    },
    /// The target lies outside subtree(current).
    OutsideScope {
        /// The target.
        target: ScopeTarget,
        /// The current location.
        current: Named<NodeId>,
    },
    /// The only placement(s) that would grant it are outside their dates (this one is the
    /// first of them).
    PlacementNotInForce {
        /// The role of the placement.
        role: Named<RoleId>,
        /// Its node.
        node: Named<NodeId>,
        /// Its first day, if bounded.
        starts_on: Option<NaiveDate>,
        /// Its last day, if bounded.
        ends_on: Option<NaiveDate>,
        /// The day of the decision.
        today: NaiveDate,
    },
    /// No placement in force at or above the current location grants the capability.
    NoPlacementGrants {
        /// The capability asked for.
        capability: Capability,
        /// The current location.
        current: Named<NodeId>,
    },
    /// No placement in force at or above the current location grants the module level
    /// (and item).
    NoModuleGrant {
        /// The module's key.
        module: Arc<str>,
        /// The level asked for.
        level: Arc<str>,
        /// The item asked for, if any.
        item: Option<Arc<str>>,
    },
    /// No privilege of the viewer's group covers the section for their relation.
    NoPrivilege {
        /// The section.
        section: Section,
        /// The access asked for.
        access: Access,
        /// The viewer's relation to the target.
        relation: Relation,
    },
    /// Neither `users.view` at the current location nor any privilege reaches the target.
    NotVisible {
        /// The viewer's relation to the target.
        relation: Relation,
    },
    /// The role would grant something its grantor does not hold over the node.
    Escalation(Missing),
    /// The user has no placement at that node.
    NoSuchPlacement {
        /// The user.
        user: UserId,
        /// The node.
        node: Named<NodeId>,
    },
    /// A user's only placement cannot be deleted.
    OnlyPlacement {
        /// Its node.
        node: Named<NodeId>,
    },
    /// A user's default placement cannot be deleted: change the default first.
    DefaultPlacement {
        /// Its node.
        node: Named<NodeId>,
    },
    /// The directory shows only active users.
    TargetNotActive {
        /// The target's status.
        status: UserStatus,
    },
    /// The viewer's directory access does not show the target.
    DirectoryHidden {
        /// The viewer's directory access.
        access: DirectoryAccess,
    },
}

impl fmt::Display for Reason {
    // One arm per reason, each a sentence: splitting it would only scatter them.
    #[allow(clippy::too_many_lines)]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OrgAdmin => f.write_str("allowed: organization administrator"),
            Self::Placement { role, node } => write!(f, "allowed by role {role} at {node}"),
            Self::Privilege {
                group,
                scope,
                access,
                relation,
            } => write!(
                f,
                "allowed by group {group}'s privilege to {access} {}, the target being {relation}",
                scope_phrase(*scope)
            ),
            Self::SelfService => f.write_str("allowed: it is their own profile"),
            Self::NoEscalation { current } => write!(
                f,
                "allowed: the role grants nothing beyond what is held at {current}"
            ),
            Self::WithinCurrentLocation { current } => {
                write!(f, "allowed: the placement lies within {current}")
            }
            Self::Directory { access } => {
                write!(f, "allowed: directory access {access} shows them")
            }
            Self::UnknownUser(id) => write!(f, "denied: no user {id} in the organization"),
            Self::UnknownNode(id) => write!(f, "denied: no node {id} in the organization"),
            Self::UnknownRole(id) => write!(f, "denied: no role {id} in the organization"),
            Self::UnknownModule(key) => write!(f, "denied: no module {key:?}"),
            Self::UnknownLevel { module, level } => {
                write!(f, "denied: module {module:?} has no level {level:?}")
            }
            Self::UnknownItem { module, item } => {
                write!(f, "denied: module {module:?} has no item {item:?}")
            }
            Self::SubjectInactive { status } => {
                write!(f, "denied: the user is {status}, not active")
            }
            Self::SubjectCannotSignIn => f.write_str("denied: the user is a non-login user"),
            Self::NotAtCurrentLocation { current } => write!(
                f,
                "denied: {current} is not at or below any placement of the user in force"
            ),
            Self::OutsideScope { target, current } => match target {
                ScopeTarget::User(user) => write!(
                    f,
                    "denied: user {user} has no placement at or below {current}"
                ),
                ScopeTarget::Node(node) => {
                    write!(f, "denied: {node} is not at or below {current}")
                }
            },
            Self::PlacementNotInForce {
                role,
                node,
                starts_on,
                ends_on,
                today,
            } => {
                write!(f, "denied: the placement as {role} at {node} ")?;
                match (starts_on, ends_on) {
                    (Some(start), _) if start > today => write!(f, "starts on {start}"),
                    (_, Some(end)) if end < today => write!(f, "ended on {end}"),
                    _ => f.write_str("is not in force"),
                }
            }
            Self::NoPlacementGrants {
                capability,
                current,
            } => write!(
                f,
                "denied: no placement in force at or above {current} grants {capability}"
            ),
            Self::NoModuleGrant {
                module,
                level,
                item,
            } => {
                write!(
                    f,
                    "denied: no placement in force grants {module} at {level}"
                )?;
                match item {
                    Some(item) => write!(f, " for item {item}"),
                    None => Ok(()),
                }
            }
            Self::NoPrivilege {
                section,
                access,
                relation,
            } => write!(
                f,
                "denied: no privilege to {access} {section} of someone who is {relation}"
            ),
            Self::NotVisible { relation } => write!(
                f,
                "denied: no users.view reaches them and no privilege covers someone who is \
                 {relation}"
            ),
            Self::Escalation(missing) => write!(
                f,
                "denied: the role would grant {missing}, which the grantor does not hold there"
            ),
            Self::NoSuchPlacement { user, node } => {
                write!(f, "denied: user {user} has no placement at {node}")
            }
            Self::OnlyPlacement { node } => write!(
                f,
                "denied: the placement at {node} is the user's only one and cannot be deleted"
            ),
            Self::DefaultPlacement { node } => write!(
                f,
                "denied: the placement at {node} is the user's default; change the default first"
            ),
            Self::TargetNotActive { status } => {
                write!(
                    f,
                    "denied: the directory shows active users; they are {status}"
                )
            }
            Self::DirectoryHidden { access } => {
                write!(f, "denied: directory access {access} does not show them")
            }
        }
    }
}

/// "direct reports", "their own record", …
fn scope_phrase(scope: Scope) -> &'static str {
    match scope {
        Scope::All => "everyone's records",
        Scope::Direct => "direct reports' records",
        Scope::Indirect => "indirect reports' records",
        Scope::Own => "their own record",
        Scope::Peers => "peers' records",
    }
}

/// The answer to an access question: allowed or not, and exactly why.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
}

impl Decision {
    /// An allowing decision.
    pub const fn allow(reason: Reason) -> Self {
        Self {
            allowed: true,
            reason,
        }
    }

    /// A denying decision.
    pub const fn deny(reason: Reason) -> Self {
        Self {
            allowed: false,
            reason,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}
