//! Configuration: built-in defaults, then `muster.toml`, then `MUSTER_*` environment
//! variables (and `DATABASE_URL`), each overriding the one before. Every subcommand reads
//! the same configuration.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The configuration file read when it exists and no other is named.
pub const DEFAULT_FILE: &str = "muster.toml";

/// Keys settable through `MUSTER_<KEY>` environment variables.
const ENV_KEYS: [&str; 5] = [
    "bind",
    "data_dir",
    "database_url",
    "log_format",
    "cookie_secure",
];

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The settings every command runs with.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address `muster serve` listens on.
    pub bind: SocketAddr,
    /// Directory for the embedded database and stored files.
    pub data_dir: PathBuf,
    /// Database to use; SQLite in `data_dir` when unset.
    pub database_url: Option<SecretString>,
    /// Log line format.
    pub log_format: LogFormat,
    /// Mark the session cookie `Secure` (set it when users reach Muster over HTTPS; a
    /// proxy's `X-Forwarded-Proto: https` does the same per request).
    pub cookie_secure: bool,
}

#[derive(Serialize)]
struct Defaults {
    bind: &'static str,
    data_dir: &'static str,
    log_format: LogFormat,
    cookie_secure: bool,
}

impl Config {
    /// Loads the configuration. `file` names a configuration file that must exist; without
    /// it, `./muster.toml` is read when present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Defaults {
            bind: "127.0.0.1:8080",
            data_dir: "./muster-data",
            log_format: LogFormat::Text,
            cookie_secure: false,
        }));
        match file {
            Some(path) => {
                if !path.is_file() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new(DEFAULT_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_FILE));
            }
            None => {}
        }
        figment = figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("MUSTER_").only(&ENV_KEYS));
        figment
            .extract()
            .context("invalid configuration (muster.toml or MUSTER_* environment variables)")
    }

    /// The database URL in force: the configured one, or SQLite in the data directory.
    #[must_use]
    pub fn database_url(&self) -> SecretString {
        self.database_url.clone().unwrap_or_else(|| {
            SecretString::from(format!(
                "sqlite://{}",
                self.data_dir.join("muster.db").display()
            ))
        })
    }

    /// The database URL with any password masked, for display.
    #[must_use]
    pub fn database_url_masked(&self) -> String {
        muster_store::mask_url(self.database_url().expose_secret())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url_masked())
            .field("log_format", &self.log_format)
            .field("cookie_secure", &self.cookie_secure)
            .finish()
    }
}
