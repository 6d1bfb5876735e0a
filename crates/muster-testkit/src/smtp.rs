//! An SMTP sink on a loopback port: a small in-process SMTP server that accepts every
//! message and keeps it for the test to read.
//!
//! It speaks enough of RFC 5321 for real clients (EHLO, MAIL, RCPT, DATA with dot
//! unstuffing, RSET, NOOP, QUIT) and can be stopped — closing its listener and every open
//! connection — and started again on the same port, to play a mail server that goes down
//! and comes back. Recipients whose local part starts with `bounce` are refused with a
//! permanent `550`, to play a mailbox that does not exist.
//!
//! With [`SinkSecurity`] it plays a submission server: `STARTTLS` (required before
//! `MAIL`) or TLS from the first byte, with a certificate for `localhost` issued by a CA
//! made for the run ([`SmtpSink::ca_pem`]), and `AUTH PLAIN` / `AUTH LOGIN` against one
//! user name and password (required before `MAIL`).

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the sink's connections are secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SinkTls {
    /// Plain text.
    #[default]
    None,
    /// Plain text until `STARTTLS`, which is required before `MAIL`.
    Starttls,
    /// TLS from the first byte.
    Implicit,
}

/// What the sink demands of its clients.
#[derive(Debug, Clone, Default)]
pub struct SinkSecurity {
    /// Transport security.
    pub tls: SinkTls,
    /// The one user name and password `AUTH` accepts; `None` lets anyone send.
    pub credentials: Option<(String, String)>,
}

/// The settings every connection of one sink shares.
struct Policy {
    security: SinkSecurity,
    acceptor: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as transmitted (headers and body, dot-unstuffed, CRLF line ends).
    pub data: String,
}

impl ReceivedMessage {
    /// The value of header `name` (first occurrence, unfolded).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim().to_owned());
            }
        }
        value
    }

    /// The body: everything after the header block, with quoted-printable soft line
    /// breaks and `=XX` escapes decoded when the message says it is quoted-printable.
    #[must_use]
    pub fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_owned();
        let qp = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
        if qp { decode_qp(&body) } else { body }
    }
}

fn decode_qp(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A running (or stopped) SMTP sink.
#[derive(Debug)]
pub struct SmtpSink {
    /// The loopback port it listens on (kept across stop and start).
    pub port: u16,
    /// Every message accepted so far, in order.
    pub messages: Arc<Mutex<Vec<ReceivedMessage>>>,
    /// The PEM certificate of the CA that issued the sink's certificate (with TLS).
    pub ca_pem: Option<String>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
    policy: Arc<Policy>,
}

impl SmtpSink {
    /// Starts a plain-text sink that lets anyone send, on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with(SinkSecurity::default()).await
    }

    /// Starts a sink that secures connections and checks credentials as `security` says.
    pub async fn start_with(security: SinkSecurity) -> Self {
        let (acceptor, ca_pem) = if security.tls == SinkTls::None {
            (None, None)
        } else {
            let (acceptor, ca_pem) = localhost_tls();
            (Some(acceptor), Some(ca_pem))
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind smtp sink");
        let port = listener.local_addr().expect("sink address").port();
        let sink = Self {
            port,
            messages: Arc::default(),
            ca_pem,
            tasks: Arc::default(),
            policy: Arc::new(Policy { security, acceptor }),
        };
        sink.serve(listener);
        sink
    }

    /// A port where nothing listens now but the sink can be started later with
    /// [`SmtpSink::restart`].
    pub async fn stopped() -> Self {
        let mut sink = Self::start().await;
        sink.stop();
        sink
    }

    /// Closes the listener and every open connection: clients are refused until
    /// [`SmtpSink::restart`].
    pub fn stop(&mut self) {
        for task in self.tasks.lock().expect("sink tasks").drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot listen on port {} again: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    /// A copy of the messages accepted so far.
    #[must_use]
    pub fn received(&self) -> Vec<ReceivedMessage> {
        self.messages.lock().expect("sink messages").clone()
    }

    /// Waits (up to `timeout`) until at least `n` messages arrived; returns them all.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> Vec<ReceivedMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    fn serve(&self, listener: TcpListener) {
        let messages = Arc::clone(&self.messages);
        let tasks = Arc::clone(&self.tasks);
        let policy = Arc::clone(&self.policy);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = Arc::clone(&messages);
                let policy = Arc::clone(&policy);
                let conn = tokio::spawn(async move {
                    let _ = session(stream, &policy, &messages).await;
                });
                tasks.lock().expect("sink tasks").push(conn.abort_handle());
            }
        });
        self.tasks
            .lock()
            .expect("sink tasks")
            .push(accept.abort_handle());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.find('>').unwrap_or(arg.len());
    arg[start..end.max(start)].to_owned()
}

/// A certificate for `localhost` issued by a CA made for this sink: the acceptor that
/// presents it, and the CA's certificate (PEM) for clients to trust.
fn localhost_tls() -> (TlsAcceptor, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("server parameters")
        .signed_by(&key, &ca)
        .expect("server certificate");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server TLS configuration");
    (TlsAcceptor::from(Arc::new(config)), ca.pem())
}

/// A connection, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Checks an `AUTH PLAIN` response (`authzid NUL user NUL password`, base64).
fn plain_matches(encoded: &str, expected: &(String, String)) -> bool {
    let Ok(decoded) = BASE64.decode(encoded.trim()) else {
        return false;
    };
    let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
    parts.len() == 3 && parts[1] == expected.0.as_bytes() && parts[2] == expected.1.as_bytes()
}

fn decoded(encoded: &str) -> String {
    BASE64
        .decode(encoded.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Writes a reply and flushes it through TLS.
async fn send(io: &mut BufReader<Box<dyn Io>>, reply: &[u8]) -> std::io::Result<()> {
    io.write_all(reply).await?;
    io.flush().await
}

async fn read_line(io: &mut BufReader<Box<dyn Io>>, line: &mut String) -> std::io::Result<bool> {
    line.clear();
    Ok(io.read_line(line).await? > 0)
}

#[allow(clippy::too_many_lines)] // One SMTP state machine, read top to bottom.
async fn session(
    stream: TcpStream,
    policy: &Policy,
    messages: &Mutex<Vec<ReceivedMessage>>,
) -> std::io::Result<()> {
    let security = &policy.security;
    let mut secure = false;
    let mut io: BufReader<Box<dyn Io>> = match (&policy.acceptor, security.tls) {
        (Some(acceptor), SinkTls::Implicit) => {
            secure = true;
            BufReader::new(Box::new(acceptor.accept(stream).await?))
        }
        _ => BufReader::new(Box::new(stream)),
    };
    let mut authenticated = security.credentials.is_none();
    send(&mut io, b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        if !read_line(&mut io, &mut line).await? {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let must_upgrade = security.tls == SinkTls::Starttls && !secure;
        let reply: String = if upper.starts_with("EHLO") {
            let mut reply = String::from("250-sink.test\r\n250-8BITMIME\r\n");
            if must_upgrade {
                reply.push_str("250-STARTTLS\r\n");
            } else if security.credentials.is_some() {
                reply.push_str("250-AUTH PLAIN LOGIN\r\n");
            }
            reply.push_str("250 SMTPUTF8\r\n");
            reply
        } else if upper.starts_with("HELO") {
            "250 sink.test\r\n".into()
        } else if upper == "STARTTLS" && must_upgrade {
            send(&mut io, b"220 2.0.0 Ready to start TLS\r\n").await?;
            let acceptor = policy
                .acceptor
                .as_ref()
                .expect("a TLS sink has an acceptor");
            let plain = io.into_inner();
            io = BufReader::new(Box::new(acceptor.accept(plain).await?));
            secure = true;
            from.clear();
            to.clear();
            continue;
        } else if upper.starts_with("AUTH ") && !must_upgrade {
            let expected = security.credentials.clone().unwrap_or_default();
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let ok = match args.first().map(|m| m.to_ascii_uppercase()).as_deref() {
                Some("PLAIN") => {
                    let response = if let Some(initial) = args.get(1) {
                        (*initial).to_owned()
                    } else {
                        send(&mut io, b"334 \r\n").await?;
                        if !read_line(&mut io, &mut line).await? {
                            return Ok(());
                        }
                        line.clone()
                    };
                    plain_matches(&response, &expected)
                }
                Some("LOGIN") => {
                    send(&mut io, b"334 VXNlcm5hbWU6\r\n").await?;
                    if !read_line(&mut io, &mut line).await? {
                        return Ok(());
                    }
                    let user = decoded(&line);
                    send(&mut io, b"334 UGFzc3dvcmQ6\r\n").await?;
                    if !read_line(&mut io, &mut line).await? {
                        return Ok(());
                    }
                    user == expected.0 && decoded(&line) == expected.1
                }
                _ => false,
            };
            authenticated = ok;
            if ok {
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                "535 5.7.8 Authentication credentials invalid\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM:") {
            if must_upgrade {
                "530 5.7.0 Must issue a STARTTLS command first\r\n".into()
            } else if !authenticated {
                "530 5.7.0 Authentication required\r\n".into()
            } else {
                from = address(&command[10..]);
                to.clear();
                "250 OK\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            if rcpt.to_ascii_lowercase().starts_with("bounce") {
                "550 5.1.1 No such user here\r\n".into()
            } else {
                to.push(rcpt);
                "250 OK\r\n".into()
            }
        } else if upper == "DATA" {
            send(&mut io, b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
            let mut data = String::new();
            loop {
                if !read_line(&mut io, &mut line).await? {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let text = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(text);
            }
            messages
                .lock()
                .expect("sink messages")
                .push(ReceivedMessage {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
            "250 OK: queued\r\n".into()
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 OK\r\n".into()
        } else if upper == "QUIT" {
            send(&mut io, b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper.starts_with("NOOP") {
            "250 OK\r\n".into()
        } else {
            "502 Command not implemented\r\n".into()
        };
        send(&mut io, reply.as_bytes()).await?;
    }
}
