//! What CSV import and export of users share: the columns, and the organization's nodes
//! and roles by name (placements are written `Node=Role;Node=Role`, the default first, so
//! that a file is readable and edits well in a spreadsheet).

use std::collections::HashMap;

use muster_domain::{NodeId, OrgId, RoleId};
use muster_store::{Store, nodes as store_nodes, roles as store_roles};
use uuid::Uuid;

use crate::Result;

/// The columns of an export, in order; an import accepts them (and aliases).
pub const COLUMNS: [&str; 13] = [
    "login",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "employee_number",
    "badge_number",
    "payroll_id",
    "title_designation",
    "hire_date",
    "start_date",
    "login_kind",
    "status",
];

/// The column of placements, after [`COLUMNS`].
pub const PLACEMENTS: &str = "placements";

/// Separates placements in the placements column.
pub const PLACEMENT_SEPARATOR: char = ';';
/// Separates a placement's node from its role.
pub const NODE_ROLE_SEPARATOR: char = '=';

/// The organization's live nodes and roles, by id and by name.
#[derive(Debug, Default)]
pub struct Directory {
    nodes: HashMap<Uuid, (String, Uuid)>,
    node_names: HashMap<String, Vec<Uuid>>,
    roles: HashMap<Uuid, String>,
    role_names: HashMap<String, Vec<Uuid>>,
    /// (role, node kind) pairs a role may be given at.
    assignable: std::collections::HashSet<(Uuid, Uuid)>,
}

impl Directory {
    /// Reads the nodes and roles of `org`.
    pub async fn load(store: &Store, org: OrgId) -> Result<Self> {
        let mut directory = Self::default();
        for node in store_nodes::list(store, org, None, i64::MAX).await? {
            directory
                .node_names
                .entry(node.name.to_lowercase())
                .or_default()
                .push(node.id);
            directory.nodes.insert(node.id, (node.name, node.kind_id));
        }
        for role in store_roles::list(store, org, None, i64::MAX).await? {
            directory
                .role_names
                .entry(role.name.to_lowercase())
                .or_default()
                .push(role.id);
            directory.roles.insert(role.id, role.name);
        }
        for kind in store_roles::kinds(store, org).await? {
            directory.assignable.insert((kind.role_id, kind.kind_id));
        }
        Ok(directory)
    }

    /// The node named (or with the id) `text`.
    pub fn node(&self, text: &str) -> std::result::Result<NodeId, String> {
        let text = text.trim();
        if let Ok(id) = text.parse::<Uuid>() {
            return if self.nodes.contains_key(&id) {
                Ok(NodeId::from_uuid(id))
            } else {
                Err(format!("no node has the id {id}"))
            };
        }
        match self.node_names.get(&text.to_lowercase()).map(Vec::as_slice) {
            Some([id]) => Ok(NodeId::from_uuid(*id)),
            Some(several) if several.len() > 1 => Err(format!(
                "{} nodes are named {text:?}; give the node's id instead",
                several.len()
            )),
            _ => Err(format!("no node is named {text:?}")),
        }
    }

    /// The role named (or with the id) `text`.
    pub fn role(&self, text: &str) -> std::result::Result<RoleId, String> {
        let text = text.trim();
        if let Ok(id) = text.parse::<Uuid>() {
            return if self.roles.contains_key(&id) {
                Ok(RoleId::from_uuid(id))
            } else {
                Err(format!("no role has the id {id}"))
            };
        }
        match self.role_names.get(&text.to_lowercase()).map(Vec::as_slice) {
            Some([id]) => Ok(RoleId::from_uuid(*id)),
            Some(several) if several.len() > 1 => Err(format!(
                "{} roles are named {text:?}; give the role's id instead",
                several.len()
            )),
            _ => Err(format!("no role is named {text:?}")),
        }
    }

    /// The name of node `id` (empty when it is unknown).
    #[must_use]
    pub fn node_name(&self, id: NodeId) -> String {
        self.nodes
            .get(&id.as_uuid())
            .map(|(name, _)| name.clone())
            .unwrap_or_default()
    }

    /// The name of role `id` (empty when it is unknown).
    #[must_use]
    pub fn role_name(&self, id: RoleId) -> String {
        self.roles.get(&id.as_uuid()).cloned().unwrap_or_default()
    }

    /// Whether `role` may be given at `node`.
    #[must_use]
    pub fn assignable(&self, role: RoleId, node: NodeId) -> bool {
        self.nodes
            .get(&node.as_uuid())
            .is_some_and(|(_, kind)| self.assignable.contains(&(role.as_uuid(), *kind)))
    }

    /// How an export names node `id`: its name when that names it alone and can be read
    /// back, else its id.
    #[must_use]
    pub fn node_label(&self, id: Uuid) -> String {
        match self.nodes.get(&id) {
            Some((name, _)) if Self::readable(name, &self.node_names) => name.clone(),
            _ => id.to_string(),
        }
    }

    /// How an export names role `id` (see [`Self::node_label`]).
    #[must_use]
    pub fn role_label(&self, id: Uuid) -> String {
        match self.roles.get(&id) {
            Some(name) if Self::readable(name, &self.role_names) => name.clone(),
            _ => id.to_string(),
        }
    }

    fn readable(name: &str, names: &HashMap<String, Vec<Uuid>>) -> bool {
        !name.contains([PLACEMENT_SEPARATOR, NODE_ROLE_SEPARATOR])
            && name.trim() == name
            && name.parse::<Uuid>().is_err()
            && names
                .get(&name.to_lowercase())
                .is_some_and(|ids| ids.len() == 1)
    }
}
