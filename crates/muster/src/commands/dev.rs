//! `muster dev`: developer tools.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use muster_service::demo::{self, GenerateRequest, Generated};
use muster_service::passwords;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::cli::{DevArgs, DevCommand};
use crate::config::Config;
use crate::startup;

pub(crate) async fn run(config: &Config, args: &DevArgs) -> anyhow::Result<()> {
    match &args.command {
        DevCommand::Argon2Rate { seconds } => argon2_rate(*seconds).await,
        DevCommand::Seed {
            users,
            org,
            seed,
            json,
        } => {
            let request = GenerateRequest {
                name: org.clone(),
                users: *users,
                seed: *seed,
            };
            seed_org(config, &request, *json).await
        }
    }
}

/// Generates an organization and prints what it made and how long it took.
async fn seed_org(config: &Config, request: &GenerateRequest, json: bool) -> anyhow::Result<()> {
    let store = startup::open_store(config).await?;
    let started = Instant::now();
    let outcome = demo::generate(&store, request, |written| {
        if !json {
            let seconds = started.elapsed().as_secs_f64();
            #[allow(clippy::cast_precision_loss)] // Counts far below 2^52.
            let rate = written as f64 / seconds.max(0.001);
            eprintln!("  {written} users written ({rate:.0}/s)");
        }
    })
    .await;
    store.close().await;
    let generated = outcome?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!("{}", summary_json(&generated, seconds));
    } else {
        print_summary(&generated, seconds);
    }
    Ok(())
}

fn users_total(g: &Generated) -> u64 {
    g.users_by_status.iter().map(|(_, n)| n).sum()
}

fn summary_json(g: &Generated, seconds: f64) -> serde_json::Value {
    let statuses: serde_json::Map<String, serde_json::Value> = g
        .users_by_status
        .iter()
        .map(|(status, n)| (status.as_str().to_owned(), json!(n)))
        .collect();
    json!({
        "org_id": g.org_id,
        "org_slug": g.org_slug,
        "users": users_total(g),
        "users_by_status": statuses,
        "placements": g.placements,
        "regions": g.nodes[0],
        "divisions": g.nodes[1],
        "areas": g.nodes[2],
        "locations": g.nodes[3],
        "admin_login": g.admin_login,
        "admin_password": g.admin_password.expose_secret(),
        "admin_token": g.admin_token.expose_secret(),
        "division_admin_login": g.division_admin.as_ref().map(|d| d.0.clone()),
        "division_admin_token": g.division_admin.as_ref().map(|d| d.1.expose_secret().to_owned()),
        "division_id": g.division_admin.as_ref().map(|d| d.2),
        "seconds": seconds,
    })
}

fn print_summary(g: &Generated, seconds: f64) {
    let users = users_total(g);
    #[allow(clippy::cast_precision_loss)] // Counts far below 2^52.
    let rate = users as f64 / seconds.max(0.001);
    println!(
        "Generated organization {} ({}) in {seconds:.1} s: {users} users ({rate:.0}/s)",
        g.org_slug, g.org_id
    );
    let statuses: Vec<String> = g
        .users_by_status
        .iter()
        .map(|(status, n)| format!("{n} {}", status.as_str()))
        .collect();
    println!("  users:      {}", statuses.join(", "));
    println!("  placements: {}", g.placements);
    println!(
        "  tree:       {} regions, {} divisions, {} areas, {} locations",
        g.nodes[0], g.nodes[1], g.nodes[2], g.nodes[3]
    );
    println!(
        "  sign in as {} (organization administrator), region1.admin, division1.admin1 …",
        g.admin_login
    );
    println!(
        "  administrators' password: {}",
        g.admin_password.expose_secret()
    );
    println!(
        "  API token (admin):        {}",
        g.admin_token.expose_secret()
    );
    if let Some((login, token, division)) = &g.division_admin {
        println!(
            "  API token ({login}, division {division}): {}",
            token.expose_secret()
        );
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
