//! Retention in the running server: once at start and then every hour, removes ended
//! sessions, sign-in attempts older than `retain_login_attempts_days` and delivered or
//! failed messages older than `retain_messages_days` (`muster purge` does the same once).

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use muster_store::retention::{self, Cutoffs, Purged};
use muster_store::{DbTime, Store};
use tokio::sync::watch;

use crate::config::Config;

/// Time between two purges of a running server.
const EVERY: Duration = Duration::from_hours(1);

/// The cutoffs `config` asks for, as of now; `days` overrides both retention periods.
pub(crate) fn cutoffs(config: &Config, days: Option<u32>) -> Cutoffs {
    let now = Utc::now();
    let ago = |d: u32| DbTime::new(now - TimeDelta::days(i64::from(d)));
    Cutoffs {
        sessions_ended_before: DbTime::new(now),
        attempts_before: ago(days.unwrap_or(config.retain_login_attempts_days)),
        messages_before: ago(days.unwrap_or(config.retain_messages_days)),
    }
}

/// Purges once, logging what went.
pub(crate) async fn purge_now(store: &Store, config: &Config) -> anyhow::Result<Purged> {
    let purged = retention::purge(store, cutoffs(config, None)).await?;
    if purged != Purged::default() {
        tracing::info!(
            sessions = purged.sessions,
            login_attempts = purged.login_attempts,
            messages = purged.messages,
            "retention purge"
        );
    }
    Ok(purged)
}

/// Purges at start and every hour until `stop` turns `true`. A failed round is logged and
/// tried again at the next one.
pub(crate) async fn run(store: Store, config: Config, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(error) = purge_now(&store, &config).await {
            tracing::warn!(%error, "retention purge failed");
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}
