//! Connecting, migrating, and the two-backend plumbing every query module uses.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, postgres::PgConnection};
use url::Url;

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long to wait for a connection before reporting the database unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file in WAL mode.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// A short lowercase name for logs and status output.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The connection pools of one database.
#[derive(Debug, Clone)]
pub(crate) enum Pools {
    /// SQLite: readers share a pool; all writes go through one connection.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// Muster's database: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pools: Pools,
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back.
#[derive(Debug)]
pub struct Tx {
    pub(crate) inner: TxInner,
}

#[derive(Debug)]
pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to a connection of whichever backend `$src` uses.
///
/// `$src` is either a `&mut Tx` (the transaction's connection) or a `&Store` (a reader
/// from the pool). The body is compiled once per backend, so the SQL must be valid on both
/// and every bound value must encode on both.
macro_rules! on_conn {
    (tx $tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::db::TxInner::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::TxInner::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
    (store $store:expr, $conn:ident => $body:expr) => {
        match &$store.pools {
            $crate::db::Pools::Sqlite { read, .. } => {
                let $conn = read;
                $body
            }
            $crate::db::Pools::Postgres(pool) => {
                let $conn = pool;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

/// One migration known to this build, and whether the database has it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationStatus {
    /// Timestamp version from the file name.
    pub version: i64,
    /// Description from the file name.
    pub description: String,
    /// Whether it has been applied.
    pub applied: bool,
}

/// `url` with any password replaced by `***`, safe to print.
#[must_use]
pub fn mask_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`), creating a
    /// SQLite file and its directory if missing. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        let masked = mask_url(url);
        let connect_error = |source| StoreError::Connect {
            url: masked.clone(),
            source,
        };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::UnsupportedUrl {
                    url: masked.clone(),
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            if let Some(dir) = options.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                create_dir(dir)?;
            }
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .map_err(connect_error)?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(CONNECT_TIMEOUT)
                .connect_with(options.read_only(true))
                .await
                .map_err(connect_error)?;
            Ok(Self {
                pools: Pools::Sqlite { read, write },
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options =
                PgConnectOptions::from_str(url).map_err(|_| StoreError::UnsupportedUrl {
                    url: masked.clone(),
                })?;
            // Open one connection first: when the server is unreachable or refuses us, its
            // own error says why, where the pool would only report a timeout.
            let probe = tokio_timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                .await
                .map_err(connect_error)?;
            probe.close().await.map_err(connect_error)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(CONNECT_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            Ok(Self {
                pools: Pools::Postgres(pool),
            })
        } else {
            Err(StoreError::UnsupportedUrl { url: masked })
        }
    }

    /// Which engine this store runs on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every migration not yet applied and returns the resulting status.
    pub async fn migrate(&self) -> Result<Vec<MigrationStatus>> {
        match &self.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.schema_status().await
    }

    /// Every migration this build knows, with whether the database has applied it.
    pub async fn schema_status(&self) -> Result<Vec<MigrationStatus>> {
        // Before the first migration the bookkeeping table does not exist yet: nothing is
        // applied.
        let applied: Vec<i64> = on_conn!(store self, c => {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(c)
                .await
        })
        .unwrap_or_default();
        Ok(self
            .migrator()
            .iter()
            .map(|m| MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                applied: applied.contains(&m.version),
            })
            .collect())
    }

    /// The newest applied migration's version, if any.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        Ok(self
            .schema_status()
            .await?
            .iter()
            .filter(|m| m.applied)
            .map(|m| m.version)
            .max())
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        on_conn!(store self, c => sqlx::query("SELECT 1").execute(c).await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pools {
            Pools::Sqlite { write, .. } => TxInner::Sqlite(write.begin().await?),
            Pools::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx { inner })
    }

    /// Starts a write transaction for `org` and takes the organization's write lock
    /// first, so that every check a use case makes inside the transaction stays true
    /// until it commits: on PostgreSQL the organization's row is locked until the end of
    /// the transaction (writers of one organization queue; other organizations are not
    /// held up); SQLite has a single writer anyway.
    ///
    /// INVARIANT: every transaction that changes an organization's data is opened with
    /// this, and takes no other lock before it (the audit chain head comes later), so
    /// writers cannot deadlock each other.
    pub async fn begin_in(&self, org: muster_domain::OrgId) -> Result<Tx> {
        let mut tx = self.begin().await?;
        on_conn!(tx tx, c => sqlx::query("UPDATE organizations SET version = version WHERE id = $1")
            .bind(org.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(tx)
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Which engine the transaction runs on.
    pub(crate) fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Makes every write of the transaction durable at once.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Runs `future`, failing with a pool-timeout error after `limit`.
async fn tokio_timeout<T>(
    limit: Duration,
    future: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_in_urls() {
        assert_eq!(
            mask_url("postgres://muster:s3cret@db.local:5432/muster"),
            "postgres://muster:***@db.local:5432/muster"
        );
        assert_eq!(mask_url("sqlite://./muster.db"), "sqlite://./muster.db");
    }
}
