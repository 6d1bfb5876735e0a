//! The organization tree as the API shows it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::org::Address;
use crate::{NodeId, NodeKindId};

/// A node of the organization tree. The root (`parent_id: null`) is the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Node {
    /// Its id.
    #[schema(value_type = uuid::Uuid)]
    pub id: NodeId,
    /// Its name, unique among its siblings.
    pub name: String,
    /// Its kind's name ("Division").
    pub kind: String,
    /// Its kind's id.
    #[schema(value_type = uuid::Uuid)]
    pub kind_id: NodeKindId,
    /// Its parent; `null` for the root.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub parent_id: Option<NodeId>,
    /// Its own address, if any (users and children default to the organization's).
    pub address: Option<Address>,
    /// Version for optimistic concurrency; also sent as the `ETag`.
    pub version: i64,
}

/// `POST /nodes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNode {
    /// Name, 1–100 characters, unique among the siblings.
    pub name: String,
    /// Kind, by name; the root's kind is not allowed.
    pub kind: String,
    /// Parent node.
    #[schema(value_type = uuid::Uuid)]
    pub parent_id: NodeId,
    /// Own address.
    #[serde(default)]
    pub address: Option<Address>,
}

/// `PATCH /nodes/{id}` (JSON merge patch): rename, move, change kind or address.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New kind, by name.
    #[serde(default)]
    pub kind: Option<String>,
    /// New parent (moves the node with its subtree; never under its own descendant).
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub parent_id: Option<NodeId>,
    /// New address; `null` clears it.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
}
