//! Bringing the pieces up: the data directory, the database (migrated), the metrics
//! recorder, the listener and the server with graceful shutdown.

use std::fs;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, bail};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use muster_store::Store;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::config::Config;

/// Latency histogram buckets, in seconds: fine below 10 ms where most requests land.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Makes sure the data directory exists and is writable.
pub(crate) fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let probe = dir.join(".muster-write-check");
    fs::write(&probe, b"ok")
        .with_context(|| format!("data directory {} is not writable", dir.display()))?;
    fs::remove_file(&probe)
        .with_context(|| format!("data directory {} is not writable", dir.display()))?;
    Ok(())
}

/// Opens the configured database, without migrating it.
pub(crate) async fn connect(config: &Config) -> anyhow::Result<Store> {
    prepare_data_dir(&config.data_dir)?;
    Ok(Store::connect(config.database_url().expose_secret()).await?)
}

/// Opens the configured database and applies pending migrations.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = connect(config).await?;
    let status = store.migrate().await?;
    let version = status.iter().filter(|m| m.applied).map(|m| m.version).max();
    tracing::info!(
        backend = store.backend().as_str(),
        schema_version = version,
        "database ready"
    );
    Ok(store)
}

/// Installs the process-wide metrics recorder.
pub(crate) fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    PrometheusBuilder::new()
        .set_buckets(&LATENCY_BUCKETS)
        .context("invalid metrics buckets")?
        .install_recorder()
        .context("cannot install the metrics recorder")
}

/// Binds the listening socket, naming the address in the error.
pub(crate) async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            bail!("cannot listen on {addr}: the address is already in use")
        }
        Err(error) => Err(error).with_context(|| format!("cannot listen on {addr}")),
    }
}

/// Listens for SIGTERM and Ctrl-C (SIGINT) from the moment it is called, so that a signal
/// arriving while the server is still starting is not lost (the default action would
/// kill the process without a graceful stop). The returned future resolves on either.
#[cfg(unix)]
pub(crate) fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutdown requested; finishing in-flight requests");
    })
}

/// Listens for Ctrl-C; the returned future resolves on it.
#[cfg(not(unix))]
pub(crate) fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("shutdown requested; finishing in-flight requests");
        }
    })
}
