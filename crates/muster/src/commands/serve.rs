//! `muster serve`: run the server until SIGTERM or Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use muster_service::access::AccessCache;
use muster_service::auth::{Authenticator, RateLimits};
use muster_service::demo::{self, DemoOutcome, DemoSummary};
use muster_web::AppState;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::outbox_worker::Worker as OutboxWorker;
use crate::startup;
use crate::{change_listener, retention};

pub(crate) async fn run(config: &Config, args: &ServeArgs) -> anyhow::Result<()> {
    tracing::info!(
        bind = %config.bind,
        data_dir = %config.data_dir.display(),
        database = %config.database_url_masked(),
        log_format = ?config.log_format,
        smtp_host = ?config.smtp_host,
        "configuration"
    );
    let shutdown = startup::shutdown_signal()?;
    let store = startup::open_store(config).await?;
    let demo = if args.demo {
        Some(demo::seed(&store).await?)
    } else {
        None
    };
    let metrics = startup::install_metrics()?;
    let auth = Authenticator::new(RateLimits {
        per_ip: config.login_rate_per_ip,
        per_login: config.login_rate_per_login,
    })
    .await?;
    let blobs = muster_service::blobs::Blobs::open(
        &config.blob_config()?,
        &config.data_dir,
        config.upload_max_bytes,
    )
    .map_err(|e| anyhow::anyhow!("cannot open the blob store: {e}"))?;
    tracing::info!(blob_store = blobs.kind(), "blob store ready");
    // One stop signal for the HTTP server, the delivery worker and the change listener.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Everything that can fail at start does so before the address is announced, so that
    // whoever reads it finds a server that stays up.
    let access = Arc::new(AccessCache::default());
    let listening = change_listener::start(&store, Arc::clone(&access), stop_rx.clone()).await?;
    let listener = startup::bind(config.bind).await?;
    let addr = listener.local_addr()?;

    // The first line on standard output names the bound address (tests and scripts that
    // bind port 0 read it); the rest of stdout is for people.
    let mut out = std::io::stdout().lock();
    writeln!(out, "muster: listening on http://{addr}")?;
    if let Some(outcome) = &demo {
        print_demo(&mut out, outcome, addr)?;
    }
    out.flush()?;
    drop(out);

    let worker = OutboxWorker::from_config(config, store.clone())?;
    if worker.is_none() {
        tracing::info!("no smtp_host configured: messages stay queued in the outbox");
    }
    let worker = worker.map(|w| tokio::spawn(w.run(stop_rx.clone())));
    let purging = tokio::spawn(retention::run(
        store.clone(),
        config.clone(),
        stop_rx.clone(),
    ));
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let mut http_stop = stop_rx;

    let app = muster_web::router(AppState {
        store: store.clone(),
        metrics,
        auth: Arc::new(auth),
        cookie_secure: config.cookie_secure,
        access,
        blobs,
        exact_total: config.list_exact_total,
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = http_stop.wait_for(|stop| *stop).await;
    })
    .await?;
    if let Some(listening) = listening {
        let _ = listening.await;
    }
    if let Some(worker) = worker {
        // It finishes the message in hand, then stops.
        if let Err(error) = worker.await {
            tracing::warn!(%error, "the outbox worker ended abnormally");
        }
    }
    let _ = purging.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn print_demo(out: &mut impl Write, outcome: &DemoOutcome, addr: SocketAddr) -> anyhow::Result<()> {
    let summary = |out: &mut dyn Write, s: &DemoSummary| -> std::io::Result<()> {
        writeln!(
            out,
            "Demo organization \"{}\" (sign-in handle \"{}\") with {} users.",
            s.org_name, s.org_slug, s.users
        )?;
        writeln!(
            out,
            "Browse it through the API: curl -H 'Authorization: Bearer {}' http://{addr}/api/v1/nodes",
            s.api_token
        )?;
        writeln!(
            out,
            "Sign in: curl -X POST -H 'Content-Type: application/json' -d '{{\"org\": \"{}\", \"login\": \"admin\", \"password\": \"{}\"}}' http://{addr}/api/v1/auth/login",
            s.org_slug,
            s.accounts.first().map_or("", |a| a.password.as_str())
        )?;
        writeln!(out, "Demo accounts:")?;
        for account in &s.accounts {
            writeln!(
                out,
                "  {:<14} password {:<22} {}",
                account.login, account.password, account.description
            )?;
        }
        Ok(())
    };
    match outcome {
        DemoOutcome::Seeded(s) => {
            writeln!(out, "Seeded the demo organization.")?;
            summary(out, s)?;
        }
        DemoOutcome::AlreadySeeded(s) => {
            writeln!(
                out,
                "The demo organization is already here; nothing changed."
            )?;
            summary(out, s)?;
        }
        DemoOutcome::NotEmpty => writeln!(
            out,
            "The database already holds other organizations; the demo was not seeded."
        )?,
    }
    Ok(())
}
