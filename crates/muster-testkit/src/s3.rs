//! A real S3-compatible server for the blob store's tests: moto (`moto[server]` from `PyPI`) in
//! server mode on a free loopback port, stopped when dropped.
//!
//! `.ci/run` installs moto; without it the tests that need it fail saying how to install
//! it, rather than passing without having run.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Starts moto's threaded server on port 0, prints the address it got, and runs until its
/// standard input closes (the test process died or dropped the server).
const SCRIPT: &str = r"
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f'moto: listening on http://{host}:{port}', flush=True)
sys.stdin.read()
server.stop()
";

/// A running moto S3 server.
#[derive(Debug)]
pub struct S3Server {
    _child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    client: reqwest::Client,
}

impl S3Server {
    /// Starts moto and waits until it listens.
    pub async fn start() -> Self {
        let mut child = Command::new("python3")
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start python3 for the moto S3 server");
        let mut lines = BufReader::new(child.stdout.take().expect("moto's stdout")).lines();
        let first = tokio::time::timeout(Duration::from_mins(1), lines.next_line())
            .await
            .expect("moto starts within a minute")
            .expect("read moto's stdout")
            .unwrap_or_else(|| {
                panic!(
                    "the moto S3 server did not start: install it with \
                     `pip install 'moto[server]'` (bash .ci/run does)"
                )
            });
        let endpoint = first
            .strip_prefix("moto: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from moto: {first:?}"))
            .to_owned();
        Self {
            _child: child,
            endpoint,
            client: {
                crate::install_tls_provider();
                reqwest::Client::new()
            },
        }
    }

    /// Creates bucket `name`.
    pub async fn create_bucket(&self, name: &str) {
        let reply = self
            .client
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("create the bucket");
        assert!(reply.status().is_success(), "create bucket: {reply:?}");
    }

    /// The keys of every object in bucket `name`, sorted.
    pub async fn keys(&self, name: &str) -> Vec<String> {
        let body = self
            .client
            .get(format!("{}/{name}?list-type=2", self.endpoint))
            .send()
            .await
            .expect("list the bucket")
            .text()
            .await
            .expect("read the listing");
        let mut keys: Vec<String> = body
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect();
        keys.sort();
        keys
    }

    /// The environment that points `muster serve` at bucket `name` of this server.
    #[must_use]
    pub fn env(&self, bucket: &str) -> Vec<(&'static str, String)> {
        vec![
            ("MUSTER_BLOB_STORE", "s3".to_owned()),
            ("MUSTER_S3_BUCKET", bucket.to_owned()),
            ("MUSTER_S3_ENDPOINT", self.endpoint.clone()),
            ("MUSTER_S3_REGION", "us-east-1".to_owned()),
            ("MUSTER_S3_ACCESS_KEY_ID", "testing".to_owned()),
            ("MUSTER_S3_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("MUSTER_S3_ALLOW_HTTP", "true".to_owned()),
        ]
    }
}
