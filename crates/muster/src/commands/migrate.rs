//! `muster migrate`: apply pending migrations (or, with `--status`, only list them).

use crate::cli::MigrateArgs;
use crate::config::Config;
use crate::startup;

pub(crate) async fn run(config: &Config, args: &MigrateArgs) -> anyhow::Result<()> {
    let store = startup::connect(config).await?;
    let status = if args.status {
        store.schema_status().await?
    } else {
        store.migrate().await?
    };
    store.close().await;
    println!(
        "database: {} ({})",
        config.database_url_masked(),
        store.backend().as_str()
    );
    for migration in &status {
        println!(
            "{} {} {}",
            migration.version,
            if migration.applied {
                "applied"
            } else {
                "pending"
            },
            migration.description
        );
    }
    match status.iter().filter(|m| m.applied).map(|m| m.version).max() {
        Some(version) => println!("schema version: {version}"),
        None => println!("schema version: none (run `muster migrate`)"),
    }
    Ok(())
}
