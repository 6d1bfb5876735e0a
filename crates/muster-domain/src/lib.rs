//! Muster's domain vocabulary: typed ids, validated values and the entities every other
//! crate speaks about.
//!
//! This crate does no I/O and knows nothing of SQL or HTTP, so that the rules written here
//! (what a valid login or organization name is, which statuses exist) are the same for the
//! JSON API, the console, the CLI and the store.

/// Declares a string-valued enum with its wire names, `as_str`, `FromStr` and `ALL`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire and storage name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }

        // Written by hand: the derive does not see the wire names through the macro.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::str::FromStr for $name {
            type Err = $crate::validation::FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok(Self::$variant),)+
                    _ => Err($crate::validation::FieldError::new(
                        stringify!($name),
                        format!("must be one of: {}", [$($wire),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod auth;
pub mod files;
pub mod hierarchy;
pub mod ids;
pub mod modules;
pub mod nodes;
pub mod org;
pub mod paging;
pub mod patch;
pub mod people;
pub mod records;
pub mod reference;
pub mod roles;
pub mod settings;
pub mod user;
pub mod validation;

pub use ids::{
    AuditEventId, CommandGroupId, ContactId, FileId, ModuleId, NodeId, NodeKindId, OrgId, RecordId,
    ReferenceItemId, RoleId, TokenId, UserId,
};
pub use validation::{FieldError, ValidationErrors};
