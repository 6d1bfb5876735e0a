//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so indexes stay compact), wrapped
//! in its own type so that a `UserId` can never be passed where a `NodeId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (read back from storage or a request).
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

id_type!(
    /// An organization (tenant).
    OrgId
);
id_type!(
    /// A personnel record (commendation, discipline, promotion, …).
    RecordId
);
id_type!(
    /// An employee file.
    FileId
);
id_type!(
    /// A node of an organization's tree (the root node stands for the organization itself).
    NodeId
);
id_type!(
    /// A node kind (Region, Division, Location, …).
    NodeKindId
);
id_type!(
    /// A user (employee).
    UserId
);
id_type!(
    /// A command group of the command hierarchy.
    CommandGroupId
);
id_type!(
    /// A role (a set of permissions given at locations).
    RoleId
);
id_type!(
    /// An entry of one of the organization's reference lists (ranks, titles, …).
    ReferenceItemId
);
id_type!(
    /// An API token.
    TokenId
);
id_type!(
    /// An emergency contact of a user.
    ContactId
);
id_type!(
    /// An audit event.
    AuditEventId
);
id_type!(
    /// A module of the organization's applications.
    ModuleId
);
