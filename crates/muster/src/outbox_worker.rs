//! The outbox delivery worker: sends queued messages over SMTP, with retries.
//!
//! Every `outbox_poll_ms` the worker claims a small batch of due messages (queued, due, not
//! leased by another process) and sends them one by one. A message is marked `sent` only
//! after the SMTP server accepted it. A transient failure (the server is unreachable, a 4xx
//! reply) schedules another attempt after an exponential backoff with jitter
//! (`outbox_retry_base_ms · 2^attempts`, at most an hour); a permanent failure (a 5xx reply,
//! an address that cannot be parsed) or the tenth failed attempt marks it `failed`. A 5xx
//! reply about Muster's own access (authentication required or refused, encryption
//! required) is retried like a transient one: it is the settings that are wrong, not the
//! message. Every
//! attempt records its error in `last_error`.
//!
//! Delivery is at-least-once: claims are leases (`claimed_until`), so two processes never
//! hold the same message, and a lease left by a process that died expires and the message
//! is claimed again. A process that dies after the server accepted a message but before it
//! recorded that (a window of one database write) sends that message again on the retry.
//!
//! On shutdown the worker finishes the message in hand and stops; the rest of its batch
//! stays queued and its lease expires.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use muster_store::outbox::{self as store_outbox, ClaimedMessage};
use muster_store::{DbTime, Store};
use secrecy::ExposeSecret;
use tokio::sync::watch;

use crate::config::{Config, SmtpTls};

/// Messages claimed per round.
const BATCH: i64 = 10;
/// Attempts after which a message is given up on.
const MAX_ATTEMPTS: i64 = 10;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_hours(1);
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The delivery worker's settings.
pub(crate) struct Worker {
    store: Store,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    poll: Duration,
    retry_base: Duration,
    lease: Duration,
}

/// What became of one delivery attempt.
enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

impl Worker {
    /// The worker `config` asks for, or `None` when no SMTP server is configured.
    pub(crate) fn from_config(config: &Config, store: Store) -> anyhow::Result<Option<Self>> {
        let Some(host) = config.smtp_host.as_deref().filter(|h| !h.trim().is_empty()) else {
            return Ok(None);
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host);
        let builder = match config.smtp_tls {
            SmtpTls::None => builder,
            SmtpTls::Starttls => builder.tls(Tls::Required(tls_parameters(host, config)?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_parameters(host, config)?)),
        };
        let mut builder = builder.port(config.smtp_port).timeout(Some(SMTP_TIMEOUT));
        if let Some(user) = &config.smtp_username {
            let password = config
                .smtp_password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let from: Mailbox = config.smtp_from.parse().map_err(|e| {
            anyhow::anyhow!("smtp_from {:?} is not an address: {e}", config.smtp_from)
        })?;
        let millis = |ms: u64| Duration::from_millis(ms.max(1));
        Ok(Some(Self {
            store,
            transport: builder.build(),
            from,
            poll: millis(config.outbox_poll_ms),
            retry_base: millis(config.outbox_retry_base_ms),
            lease: millis(config.outbox_lease_ms),
        }))
    }

    /// Delivers due messages until `stop` turns `true`.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(poll_ms = self.poll.as_millis(), "outbox delivery started");
        loop {
            if *stop.borrow() {
                break;
            }
            let delivered_all = match self.round(&stop).await {
                Ok(full) => !full,
                Err(error) => {
                    tracing::warn!(%error, "outbox delivery round failed");
                    true
                }
            };
            if *stop.borrow() {
                break;
            }
            // A full batch means more may be due: go again at once.
            if delivered_all {
                tokio::select! {
                    () = tokio::time::sleep(self.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!("outbox delivery stopped");
    }

    /// Claims and delivers one batch; `Ok(true)` when the batch was full.
    async fn round(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<bool> {
        let now = Utc::now();
        let lease_until = now + self.lease;
        let batch = store_outbox::claim_due(
            &self.store,
            DbTime::new(now),
            DbTime::new(lease_until),
            BATCH,
        )
        .await?;
        let full = i64::try_from(batch.len()).unwrap_or(BATCH) >= BATCH;
        for message in batch {
            if *stop.borrow() {
                // Unsent claims wait for their lease to expire (or the next process).
                break;
            }
            let outcome = self.send(&message).await;
            self.record(&message, outcome).await?;
        }
        Ok(full)
    }

    async fn send(&self, m: &ClaimedMessage) -> Outcome {
        let to: Mailbox = match m.recipient.parse() {
            Ok(to) => to,
            Err(e) => return Outcome::Failed(format!("invalid recipient address: {e}")),
        };
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(format!("<{}@muster>", m.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone());
        let email = match email {
            Ok(email) => email,
            Err(e) => return Outcome::Failed(format!("cannot build the message: {e}")),
        };
        match self.transport.send(email).await {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() && !refuses_the_sender(&e) => Outcome::Failed(e.to_string()),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    async fn record(&self, m: &ClaimedMessage, outcome: Outcome) -> anyhow::Result<()> {
        let attempts = m.attempts + 1;
        match outcome {
            Outcome::Sent => {
                store_outbox::mark_sent(&self.store, m.id, DbTime::now()).await?;
                tracing::info!(message = %m.id, attempts, "message delivered");
            }
            Outcome::Failed(error) => {
                tracing::warn!(message = %m.id, attempts, %error, "message failed permanently");
                store_outbox::mark_attempt_failed(&self.store, m.id, &error, None).await?;
            }
            Outcome::Retry(error) if attempts >= MAX_ATTEMPTS => {
                tracing::warn!(message = %m.id, attempts, %error, "message failed; giving up");
                store_outbox::mark_attempt_failed(&self.store, m.id, &error, None).await?;
            }
            Outcome::Retry(error) => {
                let delay = backoff(self.retry_base, attempts);
                tracing::info!(message = %m.id, attempts, %error, retry_in_ms = delay.as_millis(), "delivery failed; will retry");
                let at = DbTime::new(Utc::now() + delay);
                store_outbox::mark_attempt_failed(&self.store, m.id, &error, Some(at)).await?;
            }
        }
        Ok(())
    }
}

/// Whether a permanent refusal is about Muster's own access to the server (authentication
/// required or failed, encryption required) rather than about the message: fixing the SMTP
/// settings makes those messages deliverable, so they are retried, not failed.
fn refuses_the_sender(error: &lettre::transport::smtp::Error) -> bool {
    error
        .status()
        .is_some_and(|code| matches!(u16::from(code), 530 | 534 | 535 | 538))
}

/// TLS settings for `host`: the system's trusted roots plus those of `smtp_ca_file`.
fn tls_parameters(host: &str, config: &Config) -> anyhow::Result<TlsParameters> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(path) = &config.smtp_ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read smtp_ca_file {}", path.display()))?;
        let roots = Certificate::from_pem(&pem)
            .with_context(|| format!("smtp_ca_file {} holds no PEM certificate", path.display()))?;
        builder = builder.add_root_certificate(roots);
    }
    Ok(builder.build_rustls()?)
}

/// The wait after the `attempts`-th failed attempt: `base · 2^(attempts-1)`, at most an
/// hour, plus up to a quarter of it at random so that retries of many messages spread out.
fn backoff(base: Duration, attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let delay = base.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    let quarter = u64::try_from(delay.as_millis() / 4).unwrap_or(0);
    let jitter = if quarter == 0 {
        0
    } else {
        RandomState::new().build_hasher().finish() % quarter
    };
    delay + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(1);
        for (attempts, secs) in [(1, 1), (2, 2), (3, 4), (5, 16)] {
            let d = backoff(base, attempts);
            assert!(d >= Duration::from_secs(secs), "{attempts}: {d:?}");
            assert!(d <= Duration::from_secs(secs) * 5 / 4, "{attempts}: {d:?}");
        }
        assert!(backoff(base, 30) <= MAX_BACKOFF * 5 / 4);
        assert!(backoff(base, 30) >= MAX_BACKOFF);
    }
}
