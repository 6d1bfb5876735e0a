//! Integration tests: the real `muster` binary, over HTTP and its command line, on SQLite
//! and (with `MUSTER_TEST_DATABASE_URL`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod api_access;
mod api_audit;
mod api_auth;
mod api_enforcement;
mod api_files;
mod api_nodes;
mod api_outbox;
mod api_people;
mod api_photos;
mod api_records;
mod api_reference;
mod api_roles;
mod api_users;
mod cli;
mod console;
mod console_bulk;
mod console_org;
mod console_records;
mod console_users;
mod demo;
mod personnel;
mod pictures;
mod retention;
mod robustness;
mod scale;
mod scim;
mod server;
mod smtp;
mod tenancy;
mod user_bulk;
mod user_import;

use std::path::Path;

use muster_testkit::{Backend, TestApp};

/// The binary under test.
fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_muster"))
}

/// Starts `muster serve` on a fresh database.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn(bin(), backend).await
}
