//! The service layer's error: what went wrong in terms a caller can act on.

use muster_domain::ValidationErrors;
use muster_store::StoreError;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is invalid; nothing was changed.
    #[error("invalid input: {0}")]
    Validation(#[from] ValidationErrors),
    /// The change conflicts with existing data; nothing was changed.
    #[error("{field}: {message}")]
    Conflict {
        /// The field at fault.
        field: String,
        /// What conflicts.
        message: String,
    },
    /// The object does not exist in the caller's organization (or is not visible).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may see the object but not do this to it; nothing was changed.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The caller tried to grant more than they hold, or to raise their own access
    /// (DESIGN.md §2.1 "No escalation"); nothing was changed, and the attempt is in the
    /// audit log ([`crate::audit::refused`]).
    #[error("not allowed: {0}")]
    Escalation(String),
    /// The change touches a user who also has placements outside the caller's current
    /// location and was not confirmed (`confirm=true`); nothing was changed.
    #[error("{0}")]
    ConfirmationRequired(String),
    /// `If-Match` named a version that is no longer current; nothing was changed.
    #[error("the {0} was changed by someone else; reload it and try again")]
    Stale(&'static str),
    /// A file the caller named could not be read.
    #[error("cannot read {path}")]
    ReadFile {
        /// The path as given.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Output (an export) could not be written.
    #[error("cannot write {what}")]
    WriteOutput {
        /// What was being written.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An upload is larger than allowed; nothing was stored.
    #[error("the upload is larger than the {limit} bytes allowed")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Blob storage failed.
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// Password hashing failed (never expected with valid parameters).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl ServiceError {
    /// A photo upload that is not a usable picture: 422 on `photo`.
    #[must_use]
    pub fn refused_image(refusal: crate::images::ImageRefusal) -> Self {
        Self::Validation(ValidationErrors::single("photo", refusal.to_string()))
    }

    /// A conflict on `field`.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }
}
