//! `muster purge`: the retention purge a running server does every hour, once, now.

use muster_store::retention;

use crate::cli::PurgeArgs;
use crate::config::Config;
use crate::{retention as schedule, startup};

pub(crate) async fn run(config: &Config, args: &PurgeArgs) -> anyhow::Result<()> {
    let store = startup::open_store(config).await?;
    let purged = retention::purge(&store, schedule::cutoffs(config, args.older_than_days)).await;
    store.close().await;
    let purged = purged?;
    if args.json {
        println!("{}", serde_json::to_string(&purged)?);
    } else {
        println!(
            "removed {} ended sessions, {} sign-in attempts, {} sent or failed messages",
            purged.sessions, purged.login_attempts, purged.messages
        );
    }
    Ok(())
}
