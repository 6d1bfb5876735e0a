//! An SMTP sink on a loopback port: a small in-process SMTP server that accepts every
//! message and keeps it for the test to read.
//!
//! It speaks enough of RFC 5321 for real clients (EHLO, MAIL, RCPT, DATA with dot
//! unstuffing, RSET, NOOP, QUIT) and can be stopped — closing its listener and every open
//! connection — and started again on the same port, to play a mail server that goes down
//! and comes back. Recipients whose local part starts with `bounce` are refused with a
//! permanent `550`, to play a mailbox that does not exist.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

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
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl SmtpSink {
    /// Starts a sink on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind smtp sink");
        let port = listener.local_addr().expect("sink address").port();
        let sink = Self {
            port,
            messages: Arc::default(),
            tasks: Arc::default(),
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
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = Arc::clone(&messages);
                let conn = tokio::spawn(async move {
                    let _ = session(stream, &messages).await;
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

async fn session(stream: TcpStream, messages: &Mutex<Vec<ReceivedMessage>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            if rcpt.to_ascii_lowercase().starts_with("bounce") {
                b"550 5.1.1 No such user here\r\n"
            } else {
                to.push(rcpt);
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
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
            b"250 OK: queued\r\n"
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
