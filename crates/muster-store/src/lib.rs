//! Muster's storage layer: the only crate that speaks SQL.
//!
//! One [`Store`] fronts either SQLite (the embedded default, one file in WAL mode) or
//! PostgreSQL (the production path). Both run their own migrations from
//! `migrations/sqlite` and `migrations/postgres`, and the queries in this crate are written
//! once in the SQL both understand (`$1` placeholders, `RETURNING`, `ON CONFLICT`), then run
//! on whichever pool is configured through the [`on_conn!`] macro.
//!
//! Writes go through a [`Tx`]: every use case opens one, does all its reads and writes in
//! it (audit and outbox rows included) and commits once. On SQLite a single writer
//! connection serializes transactions, which avoids `SQLITE_BUSY` upgrade deadlocks.

pub mod access;
pub mod audit;
pub mod barcodes;
pub mod changes;
pub mod contacts;
mod db;
mod error;
pub mod files;
pub mod hierarchy;
pub mod modules;
pub mod nodes;
pub mod orgs;
pub mod outbox;
pub mod people;
pub mod records;
pub mod reference;
pub mod retention;
pub mod roles;
pub mod scim;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod structure;
mod time;
pub mod tokens;
pub mod transfer;
pub mod users;

pub use db::{Backend, MigrationStatus, Store, Tx, mask_url};
pub use error::StoreError;
pub use time::DbTime;

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
