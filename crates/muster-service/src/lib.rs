//! Muster's use cases. Each one validates its input, opens one transaction, writes
//! everything the change needs (and, as later features land, its audit event and outbox
//! messages) and commits once, so a failure leaves nothing half-done.
//!
//! The CLI, the JSON API and the console all call these functions; none of them writes to
//! the store directly.

pub mod access;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod blobs;
pub mod bulk;
pub mod context;
pub mod demo;
pub mod directory;
mod error;
pub mod export;
pub mod files;
pub mod hierarchy;
pub mod images;
pub mod import;
pub mod modules;
pub mod nodes;
pub mod organizations;
pub mod outbox;
pub mod paging;
pub mod password_policy;
pub mod passwords;
pub mod people;
pub mod photos;
pub mod records;
pub mod reference;
pub mod roles;
pub mod scim;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod transfer;
pub mod users;

pub use context::{Actor, Ctx};
pub use error::ServiceError;

/// Result of a use case.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
