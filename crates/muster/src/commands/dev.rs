//! `muster dev`: developer tools.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use muster_service::passwords;
use secrecy::SecretString;

use crate::cli::{DevArgs, DevCommand};

pub(crate) async fn run(args: &DevArgs) -> anyhow::Result<()> {
    match args.command {
        DevCommand::Argon2Rate { seconds } => argon2_rate(seconds).await,
    }
}

/// Verifies one password hash in a loop on every core for `seconds` and prints the rate.
async fn argon2_rate(seconds: u64) -> anyhow::Result<()> {
    let password = SecretString::from("correct horse battery staple 2026");
    let phc = passwords::hash(password.clone()).await?;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (password, phc, count) = (password.clone(), phc.clone(), Arc::clone(&count));
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    if passwords::verify_now(&password, &phc) {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a measuring thread failed"))
            .context("argon2 rate")?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // Counts far below 2^52.
    let done = count.load(Ordering::Relaxed) as f64;
    println!(
        "argon2id verifications: {:.1}/s on {threads} threads ({:.1} ms each)",
        done / elapsed,
        elapsed * 1000.0 * f64::from(u32::try_from(threads).unwrap_or(1)) / done.max(1.0)
    );
    Ok(())
}
