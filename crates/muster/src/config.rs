//! Configuration: built-in defaults, then `muster.toml`, then `MUSTER_*` environment
//! variables (and `DATABASE_URL`), each overriding the one before. Every subcommand reads
//! the same configuration.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The configuration file read when it exists and no other is named.
pub const DEFAULT_FILE: &str = "muster.toml";

/// Keys settable through `MUSTER_<KEY>` environment variables.
const ENV_KEYS: [&str; 28] = [
    "bind",
    "data_dir",
    "database_url",
    "log_format",
    "cookie_secure",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_ca_file",
    "smtp_username",
    "smtp_password",
    "smtp_from",
    "outbox_poll_ms",
    "outbox_retry_base_ms",
    "outbox_lease_ms",
    "retain_login_attempts_days",
    "retain_messages_days",
    "login_rate_per_ip",
    "login_rate_per_login",
    "blob_store",
    "s3_bucket",
    "s3_region",
    "s3_endpoint",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_allow_http",
    "upload_max_bytes",
    "list_exact_total",
];

/// Where employee files and photos are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobStore {
    /// `<data_dir>/blobs`.
    Local,
    /// An S3-compatible bucket (`s3_*` keys).
    S3,
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (only for a relay on the same host or network).
    None,
    /// Plain connection upgraded with `STARTTLS` (required), usually on port 587.
    Starttls,
    /// TLS from the first byte ("SMTPS"), usually on port 465.
    Tls,
}

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
    /// Sign-in attempts accepted per minute from one client address.
    pub login_rate_per_ip: NonZeroU32,
    /// Sign-in attempts accepted per minute for one login.
    pub login_rate_per_login: NonZeroU32,
    /// Mark the session cookie `Secure` (set it when users reach Muster over HTTPS; a
    /// proxy's `X-Forwarded-Proto: https` does the same per request).
    pub cookie_secure: bool,
    /// SMTP server that delivers the outbox; without it messages stay queued.
    pub smtp_host: Option<String>,
    /// Its port.
    pub smtp_port: u16,
    /// How the connection is secured.
    pub smtp_tls: SmtpTls,
    /// PEM file of extra certificate authorities to trust for the SMTP server (a private
    /// CA); the system's trusted roots are used as well.
    pub smtp_ca_file: Option<PathBuf>,
    /// User name to authenticate with, if the server wants one.
    pub smtp_username: Option<String>,
    /// Password to authenticate with.
    pub smtp_password: Option<SecretString>,
    /// Sender address of every message.
    pub smtp_from: String,
    /// How often the delivery worker looks for due messages, in milliseconds.
    pub outbox_poll_ms: u64,
    /// First retry delay after a failed delivery, in milliseconds; doubled per attempt.
    pub outbox_retry_base_ms: u64,
    /// How long a claimed message is reserved for the worker that claimed it, in
    /// milliseconds (after a crash, another process takes it over once this expires).
    pub outbox_lease_ms: u64,
    /// Days sign-in attempts (login activity) are kept.
    pub retain_login_attempts_days: u32,
    /// Days sent and failed messages stay in the outbox.
    pub retain_messages_days: u32,
    /// Where employee files and photos are kept.
    pub blob_store: BlobStore,
    /// S3 bucket (with `blob_store = "s3"`).
    pub s3_bucket: Option<String>,
    /// S3 region.
    pub s3_region: String,
    /// Endpoint of an S3-compatible service; AWS when unset.
    pub s3_endpoint: Option<String>,
    /// S3 access key id; the usual AWS environment variables when unset.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<SecretString>,
    /// Accept a plain `http://` S3 endpoint.
    pub s3_allow_http: bool,
    /// The largest upload accepted at all, in bytes (organizations choose less).
    pub upload_max_bytes: u64,
    /// The user list counts its matches exactly up to this many and estimates above.
    pub list_exact_total: i64,
}

#[derive(Serialize)]
struct Defaults {
    bind: &'static str,
    data_dir: &'static str,
    log_format: LogFormat,
    cookie_secure: bool,
    smtp_port: u16,
    smtp_tls: SmtpTls,
    smtp_from: &'static str,
    outbox_poll_ms: u64,
    outbox_retry_base_ms: u64,
    outbox_lease_ms: u64,
    retain_login_attempts_days: u32,
    retain_messages_days: u32,
    login_rate_per_ip: u32,
    login_rate_per_login: u32,
    blob_store: BlobStore,
    s3_region: &'static str,
    s3_allow_http: bool,
    upload_max_bytes: u64,
    list_exact_total: i64,
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
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_from: "muster@localhost",
            outbox_poll_ms: 1000,
            outbox_retry_base_ms: 1000,
            outbox_lease_ms: 120_000,
            retain_login_attempts_days: 400,
            retain_messages_days: 90,
            login_rate_per_ip: 20,
            login_rate_per_login: 10,
            blob_store: BlobStore::Local,
            s3_region: "us-east-1",
            s3_allow_http: false,
            upload_max_bytes: 100 * 1024 * 1024,
            list_exact_total: muster_service::paging::EXACT_TOTAL,
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

    /// The blob store to open.
    pub fn blob_config(&self) -> anyhow::Result<muster_service::blobs::BlobConfig> {
        use muster_service::blobs::{BlobConfig, S3Config};
        Ok(match self.blob_store {
            BlobStore::Local => BlobConfig::Local,
            BlobStore::S3 => {
                let Some(bucket) = self.s3_bucket.clone().filter(|b| !b.trim().is_empty()) else {
                    bail!("blob_store = \"s3\" needs s3_bucket");
                };
                BlobConfig::S3(S3Config {
                    bucket,
                    region: self.s3_region.clone(),
                    endpoint: self.s3_endpoint.clone(),
                    access_key_id: self.s3_access_key_id.clone(),
                    secret_access_key: self
                        .s3_secret_access_key
                        .as_ref()
                        .map(|s| s.expose_secret().to_owned()),
                    allow_http: self.s3_allow_http,
                })
            }
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
            .field("login_rate_per_ip", &self.login_rate_per_ip)
            .field("login_rate_per_login", &self.login_rate_per_login)
            .field("cookie_secure", &self.cookie_secure)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_ca_file", &self.smtp_ca_file)
            .field("smtp_username", &self.smtp_username)
            .field("smtp_password", &self.smtp_password.as_ref().map(|_| "***"))
            .field("smtp_from", &self.smtp_from)
            .field("outbox_poll_ms", &self.outbox_poll_ms)
            .field("outbox_retry_base_ms", &self.outbox_retry_base_ms)
            .field("outbox_lease_ms", &self.outbox_lease_ms)
            .field(
                "retain_login_attempts_days",
                &self.retain_login_attempts_days,
            )
            .field("retain_messages_days", &self.retain_messages_days)
            .field("blob_store", &self.blob_store)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field(
                "s3_secret_access_key",
                &self.s3_secret_access_key.as_ref().map(|_| "***"),
            )
            .field("s3_allow_http", &self.s3_allow_http)
            .field("upload_max_bytes", &self.upload_max_bytes)
            .field("list_exact_total", &self.list_exact_total)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_masks_the_smtp_password() {
        let config = Config {
            bind: "127.0.0.1:8080".parse().unwrap(),
            data_dir: PathBuf::from("./muster-data"),
            database_url: Some(SecretString::from("postgres://u:dbsecret@db/muster")),
            log_format: LogFormat::Text,
            login_rate_per_ip: NonZeroU32::MIN,
            login_rate_per_login: NonZeroU32::MIN,
            cookie_secure: false,
            smtp_host: Some("mail.example.org".to_owned()),
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_ca_file: None,
            smtp_username: Some("muster".to_owned()),
            smtp_password: Some(SecretString::from("smtpsecret")),
            smtp_from: "muster@example.org".to_owned(),
            outbox_poll_ms: 1000,
            outbox_retry_base_ms: 1000,
            outbox_lease_ms: 120_000,
            retain_login_attempts_days: 400,
            retain_messages_days: 90,
            blob_store: BlobStore::S3,
            s3_bucket: Some("files".to_owned()),
            s3_region: "us-east-1".to_owned(),
            s3_endpoint: None,
            s3_access_key_id: Some("AKIA".to_owned()),
            s3_secret_access_key: Some(SecretString::from("s3secret")),
            s3_allow_http: false,
            upload_max_bytes: 1024,
            list_exact_total: 10,
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3secret"), "{shown}");
        assert!(shown.contains("mail.example.org"), "{shown}");
        assert!(!shown.contains("smtpsecret"), "{shown}");
        assert!(!shown.contains("dbsecret"), "{shown}");
    }

    #[test]
    fn smtp_tls_modes_have_lowercase_names() {
        for (raw, mode) in [
            ("\"none\"", SmtpTls::None),
            ("\"starttls\"", SmtpTls::Starttls),
            ("\"tls\"", SmtpTls::Tls),
        ] {
            assert_eq!(serde_json::from_str::<SmtpTls>(raw).unwrap(), mode);
        }
    }
}
