//! Keeps this server's access indexes in step with changes made by other server
//! processes on the same PostgreSQL database (DESIGN.md §2.5): it listens for the change
//! notifications every committed change sends and marks the cached indexes stale, so the
//! next decision reloads what changed. While it is connected, decisions skip the
//! change-counter query; when the connection drops they read the counter every time until
//! it is back. On SQLite there is nothing to listen to and it does not run.

use std::sync::Arc;
use std::time::Duration;

use muster_service::access::AccessCache;
use muster_store::Store;
use muster_store::changes::{ChangeListener, Heard};
use tokio::sync::watch;

/// How long to wait before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Starts listening; `None` on SQLite.
pub async fn start(
    store: &Store,
    cache: Arc<AccessCache>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(listener) = ChangeListener::connect(store).await? else {
        return Ok(None);
    };
    cache.set_listening(true);
    Ok(Some(tokio::spawn(run(
        store.clone(),
        listener,
        cache,
        stop,
    ))))
}

async fn run(
    store: Store,
    mut listener: ChangeListener,
    cache: Arc<AccessCache>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let heard = tokio::select! {
            heard = listener.next() => heard,
            _ = stop.wait_for(|stop| *stop) => return,
        };
        match heard {
            Ok(Heard::Change(_)) => cache.invalidate(),
            Ok(Heard::Lost) => {
                // The next call reconnects; what was sent meanwhile is lost.
                tracing::warn!("change notifications interrupted; reconnecting");
                cache.set_listening(false);
                if reconnect(&store, &mut listener, &mut stop).await.is_none() {
                    return;
                }
                cache.set_listening(true);
            }
            Err(error) => {
                tracing::warn!(%error, "change notifications failed; reconnecting");
                cache.set_listening(false);
                if reconnect(&store, &mut listener, &mut stop).await.is_none() {
                    return;
                }
                cache.set_listening(true);
            }
        }
    }
}

/// Connects a fresh listener, retrying until it works; `None` when asked to stop.
async fn reconnect(
    store: &Store,
    listener: &mut ChangeListener,
    stop: &mut watch::Receiver<bool>,
) -> Option<()> {
    loop {
        match ChangeListener::connect(store).await {
            Ok(Some(fresh)) => {
                *listener = fresh;
                return Some(());
            }
            Ok(None) => return None,
            Err(error) => tracing::warn!(%error, "cannot listen for changes yet"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            _ = stop.wait_for(|stop| *stop) => return None,
        }
    }
}
