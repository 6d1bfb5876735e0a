//! A fresh database per test.

use std::path::{Path, PathBuf};

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tempfile::TempDir;
use url::Url;

/// The environment variable naming a PostgreSQL server for the PostgreSQL runs, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`. Its user must be allowed to create
/// databases.
pub const POSTGRES_ENV: &str = "MUSTER_TEST_DATABASE_URL";

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's temporary directory.
    Sqlite,
    /// A new database on the server named by `MUSTER_TEST_DATABASE_URL`.
    Postgres,
}

impl Backend {
    /// Whether PostgreSQL runs are configured; prints why `test` is skipped when not.
    #[must_use]
    pub fn postgres_available(test: &str) -> bool {
        if std::env::var_os(POSTGRES_ENV).is_some() {
            true
        } else {
            eprintln!("skipping {test}: set {POSTGRES_ENV} to run it against PostgreSQL");
            false
        }
    }
}

/// A database made for one test, with its data directory. Dropping it deletes both (the
/// PostgreSQL database with `DROP DATABASE … WITH (FORCE)`).
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    dir: TempDir,
    url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates a fresh, empty database on `backend`.
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("data/muster.db").display());
                Self {
                    backend,
                    dir,
                    url,
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_ENV).expect("MUSTER_TEST_DATABASE_URL");
                let name = format!("muster_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {POSTGRES_ENV}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let mut url = Url::parse(&admin_url).expect("MUSTER_TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Self {
                    backend,
                    dir,
                    url: url.to_string(),
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL to give `muster` as `DATABASE_URL`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The test's data directory (`MUSTER_DATA_DIR`).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The temporary directory everything of this test lives in (the server's working
    /// directory).
    #[must_use]
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime we may block, so use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database: {dropped:?}");
        }
    }
}
