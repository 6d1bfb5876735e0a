//! The staff directory (DESIGN.md §2.3): whom a user sees by their directory access —
//! nobody, every active user, the users sharing a placement node with them, or their
//! part of the command hierarchy — with contact details, never private phone numbers.

use muster_access::DirectoryScope;
use muster_domain::paging::Page;
use muster_domain::user::{Phone, UserFilter, UserStatus};
use muster_domain::{NodeId, UserId};
use muster_store::Store;
use muster_store::users::{Scope, UserListRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::paging::PageRequest;
use crate::{Ctx, Result, users};

/// One person in the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryEntry {
    /// Id.
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Primary email address.
    pub email: Option<String>,
    /// Phone numbers, without private ones.
    pub phones: Vec<Phone>,
    /// The node of the default placement.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub default_node_id: Option<NodeId>,
    /// Its name.
    pub default_node_name: Option<String>,
    /// The role there.
    pub default_role_name: Option<String>,
}

fn to_entry(row: UserListRow) -> DirectoryEntry {
    DirectoryEntry {
        id: UserId::from_uuid(row.id),
        first_name: row.first_name,
        last_name: row.last_name,
        display_name: row.display_name,
        email: row.email,
        phones: row.phones.0.into_iter().filter(|p| !p.private).collect(),
        default_node_id: row.default_node_id.map(NodeId::from_uuid),
        default_node_name: row.default_node_name,
        default_role_name: row.default_role_name,
    }
}

/// One page of the active users the caller's directory access shows, searched by `q`
/// like the user list and sorted by name. Muster itself sees everyone.
pub async fn list(
    store: &Store,
    ctx: &Ctx,
    q: Option<String>,
    page: &PageRequest,
) -> Result<Page<DirectoryEntry>> {
    let filter = UserFilter {
        q,
        statuses: vec![UserStatus::Active],
        ..UserFilter::default()
    };
    let scope = match ctx.principal.as_deref() {
        None => None,
        Some(p) => {
            let own = Scope {
                own: p.user.as_uuid(),
                ..Scope::default()
            };
            match p.index.directory_scope(p.user) {
                DirectoryScope::Nobody => {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: None,
                        total: 0,
                        total_is_estimate: false,
                    });
                }
                DirectoryScope::Everyone => None,
                DirectoryScope::AtNodes(nodes) => Some(Scope {
                    nodes: nodes.iter().map(muster_domain::NodeId::as_uuid).collect(),
                    ..own
                }),
                DirectoryScope::InGroups(groups) => Some(Scope {
                    groups: groups
                        .iter()
                        .map(muster_domain::CommandGroupId::as_uuid)
                        .collect(),
                    ..own
                }),
            }
        }
    };
    users::list_within(store, ctx, filter, scope.as_ref(), page, to_entry).await
}
