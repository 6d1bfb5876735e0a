//! Test support for Muster's integration tests.
//!
//! [`TestApp::spawn`] starts the real `muster serve` binary on a free port against a fresh
//! database: a SQLite file in a temporary directory, or — when `MUSTER_TEST_DATABASE_URL`
//! names a PostgreSQL server — a new PostgreSQL database created for the test and dropped
//! afterwards. Tests talk HTTP to it, run other `muster` subcommands against the same
//! configuration with [`TestApp::muster`], and can open the database directly with
//! [`TestApp::store`] to check what was (or was not) written.
//!
//! [`on_both_backends!`] turns one `async fn test(backend: Backend)` into a SQLite test and
//! a PostgreSQL test; without `MUSTER_TEST_DATABASE_URL` the PostgreSQL one prints why it
//! is skipped and passes.
#![allow(
    clippy::missing_panics_doc,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
// Test support: failing loudly with a clear message is the point.

mod api;
mod app;
mod database;
mod s3;
mod smtp;

pub use api::{Api, Download, OrgFixture, Part, Reply};
pub use app::{CommandOutput, TestApp};
pub use database::{Backend, TestDatabase};
pub use s3::S3Server;
pub use smtp::{ReceivedMessage, SinkSecurity, SinkTls, SmtpSink};

/// Installs ring as the process's TLS crypto provider. The workspace builds reqwest's
/// rustls without a bundled provider (see `muster_service::blobs`), so every process that
/// makes an HTTP client installs one first; the testkit does it wherever it makes one.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Generates `mod NAME { sqlite, postgres }` tests that run `async fn NAME(Backend)` on
/// each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::Backend::postgres_available(concat!(
                        module_path!(),
                        "::postgres"
                    )) {
                        super::$name($crate::Backend::Postgres).await;
                    }
                }
            }
        )+
    };
}
