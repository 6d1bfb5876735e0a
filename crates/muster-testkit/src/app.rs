//! A running `muster serve` and the `muster` command pointed at the same database.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use muster_store::Store;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::database::{Backend, TestDatabase};

/// How long a server may take to start (PostgreSQL migrations included).
const START_TIMEOUT: Duration = Duration::from_mins(1);

/// Environment variables of the test process that must not leak into `muster`.
const SCRUBBED_ENV: [&str; 24] = [
    "MUSTER_SMTP_HOST",
    "MUSTER_SMTP_PORT",
    "MUSTER_SMTP_TLS",
    "MUSTER_SMTP_USERNAME",
    "MUSTER_SMTP_PASSWORD",
    "MUSTER_SMTP_FROM",
    "MUSTER_OUTBOX_POLL_MS",
    "MUSTER_OUTBOX_RETRY_BASE_MS",
    "MUSTER_OUTBOX_LEASE_MS",
    "DATABASE_URL",
    "MUSTER_BIND",
    "MUSTER_DATA_DIR",
    "MUSTER_DATABASE_URL",
    "MUSTER_LOG_FORMAT",
    "MUSTER_CONFIG",
    "MUSTER_LOG",
    "MUSTER_BLOB_STORE",
    "MUSTER_S3_BUCKET",
    "MUSTER_S3_REGION",
    "MUSTER_S3_ENDPOINT",
    "MUSTER_S3_ACCESS_KEY_ID",
    "MUSTER_S3_SECRET_ACCESS_KEY",
    "MUSTER_S3_ALLOW_HTTP",
    "MUSTER_UPLOAD_MAX_BYTES",
];

/// What a finished `muster` command printed.
#[derive(Debug)]
pub struct CommandOutput {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A second `muster serve` on a [`TestApp`]'s database, killed when dropped.
#[derive(Debug)]
pub struct Sibling {
    _child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
}

/// A `muster serve` process on a free port with its own fresh database.
#[derive(Debug)]
pub struct TestApp {
    bin: PathBuf,
    db: TestDatabase,
    child: Option<Child>,
    env: Vec<(String, String)>,
    stdout: Arc<Mutex<String>>,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// An HTTP client for talking to it.
    pub client: reqwest::Client,
}

impl TestApp {
    /// Creates a fresh database on `backend` and starts `bin serve` on it.
    pub async fn spawn(bin: &Path, backend: Backend) -> Self {
        Self::spawn_with_args(bin, backend, &[]).await
    }

    /// Like [`TestApp::spawn`], passing `args` to `serve` (e.g. `--demo`).
    pub async fn spawn_with_args(bin: &Path, backend: Backend, args: &[&str]) -> Self {
        Self::spawn_with_env(bin, backend, args, &[]).await
    }

    /// Like [`TestApp::spawn_with_args`], with extra environment variables for `serve`
    /// (e.g. `MUSTER_SMTP_HOST`); they are kept for later [`TestApp::start`]s.
    pub async fn spawn_with_env(
        bin: &Path,
        backend: Backend,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let db = TestDatabase::create(backend).await;
        let mut app = Self {
            bin: bin.to_path_buf(),
            db,
            child: None,
            env: Vec::new(),
            stdout: Arc::default(),
            base_url: String::new(),
            client: {
                crate::install_tls_provider();
                reqwest::Client::new()
            },
        };
        app.start_with_env(args, env).await;
        app
    }

    /// Starts (or restarts) the server on the same database with these extra environment
    /// variables for `serve` (replacing the earlier ones).
    pub async fn start_with_env(&mut self, args: &[&str], env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.start(args).await;
    }

    /// Kills the server with SIGKILL (no graceful stop) and waits for it to die.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().expect("the server is running");
        let pid = child.id().expect("the server has a pid");
        let sent = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -KILL {pid} failed");
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("the server dies at once on SIGKILL")
            .expect("wait for the server");
    }

    /// Starts (or restarts) the server on the same database.
    pub async fn start(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "the server is already running");
        let log = std::fs::File::create(self.db.root().join("server.log")).expect("server log");
        let mut child = self
            .command()
            .arg("serve")
            .args(args)
            .env("MUSTER_BIND", "127.0.0.1:0")
            .env("MUSTER_LOG", "info,sqlx=warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start muster serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("muster serve did not start: {}", self.server_log()))
            .expect("read muster's stdout")
            .unwrap_or_else(|| panic!("muster serve exited: {}", self.server_log()));
        let address = first
            .strip_prefix("muster: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        address.clone_into(&mut self.base_url);
        self.stdout = Arc::default();
        let sink = Arc::clone(&self.stdout);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().expect("stdout buffer");
                text.push_str(&line);
                text.push('\n');
            }
        });
        self.child = Some(child);
    }

    /// Starts a second `muster serve` on the same database (another node behind the
    /// same load balancer); it runs until the returned [`Sibling`] is dropped.
    pub async fn sibling(&self) -> Sibling {
        let log = std::fs::File::create(self.db.root().join("sibling.log")).expect("sibling log");
        let mut child = self
            .command()
            .arg("serve")
            .env("MUSTER_BIND", "127.0.0.1:0")
            .env("MUSTER_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start a second muster serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .expect("the second server starts")
            .expect("read its stdout")
            .expect("the second server exited at once");
        let base_url = first
            .strip_prefix("muster: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Sibling {
            _child: child,
            base_url,
        }
    }

    /// Asks the server to stop with SIGTERM and waits for it to exit.
    pub async fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let pid = child.id().expect("the server has a pid");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("the server stops within 30 s of SIGTERM")
            .expect("wait for the server")
    }

    /// What the server printed on standard output after its first line, so far.
    #[must_use]
    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout buffer").clone()
    }

    /// The server's log (its standard error) so far.
    #[must_use]
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.db.root().join("server.log")).unwrap_or_default()
    }

    /// The URL of `path` on the server.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET request")
    }

    /// A `muster` command configured for this test's database and data directory, run in
    /// the test's directory.
    #[must_use]
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        for name in SCRUBBED_ENV {
            command.env_remove(name);
        }
        command
            .current_dir(self.db.root())
            .env("MUSTER_DATA_DIR", self.db.data_dir())
            .env("MUSTER_LOG", "warn");
        if self.db.backend() == Backend::Postgres {
            command.env("DATABASE_URL", self.db.url());
        }
        command
    }

    /// Runs `muster ARGS…` against this test's database and collects its output.
    pub async fn muster(&self, args: &[&str]) -> CommandOutput {
        let output = self
            .command()
            .args(args)
            .output()
            .await
            .expect("run muster");
        CommandOutput {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Opens the test's database directly, to check what was written.
    pub async fn store(&self) -> Store {
        let url = match self.db.backend() {
            Backend::Sqlite => format!(
                "sqlite://{}",
                self.db.data_dir().join("muster.db").display()
            ),
            Backend::Postgres => self.db.url().to_owned(),
        };
        Store::connect(&url).await.expect("open the test database")
    }

    /// The server's data directory (the SQLite database, stored files).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.db.data_dir()
    }

    /// The test's temporary directory (the server's working directory).
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.db.root()
    }
}
