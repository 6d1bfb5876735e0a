//! The store's error type. Messages name the problem in one line; driver details stay in
//! the source chain for the log.

use std::path::PathBuf;

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` names a database Muster does not support or cannot parse.
    #[error("unsupported DATABASE_URL {url}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl {
        /// The URL, password masked.
        url: String,
    },
    /// The database could not be opened or reached.
    #[error("cannot connect to database {url}")]
    Connect {
        /// The URL, password masked.
        url: String,
        /// The driver's reason.
        #[source]
        source: sqlx::Error,
    },
    /// The SQLite file's directory could not be created.
    #[error("cannot create database directory {}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
    /// Applying migrations failed.
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A uniqueness rule of the schema was violated (for example a login already used).
    #[error("conflict with an existing record ({0})")]
    Conflict(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        // PostgreSQL's serialization failure and deadlock: a concurrent change won.
        if let sqlx::Error::Database(db) = &error
            && matches!(db.code().as_deref(), Some("40001" | "40P01"))
        {
            return Self::Conflict("concurrent change".to_owned());
        }
        if let sqlx::Error::Database(db) = &error
            && db.is_unique_violation()
        {
            return Self::Conflict(
                db.constraint()
                    .map_or_else(|| db.message().to_owned(), str::to_owned),
            );
        }
        Self::Database(error)
    }
}
