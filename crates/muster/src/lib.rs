//! The `muster` binary's library: command-line interface, configuration, telemetry and
//! startup. `main.rs` only parses the command line and reports errors.

mod change_listener;
pub mod cli;
mod commands;
pub mod config;
mod outbox_worker;
mod retention;
mod startup;
mod telemetry;

use anyhow::Context;

/// Runs one command to completion on a fresh tokio runtime.
pub fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let config = config::Config::load(cli.config.as_deref())?;
    telemetry::init(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(commands::run(cli.command, config))
}
