//! `muster org list`: the organizations this instance serves, for the operator — sign-in
//! handle, name, users (active of all), nodes, changes so far, created. Reads the
//! database directly and changes nothing.

use muster_store::orgs::{self, OrgSummary};
use serde_json::json;

use crate::cli::{OrgArgs, OrgCommand, OrgListArgs};
use crate::config::Config;
use crate::startup;

pub(crate) async fn run(config: &Config, args: &OrgArgs) -> anyhow::Result<()> {
    match &args.command {
        OrgCommand::List(list) => run_list(config, list).await,
    }
}

async fn run_list(config: &Config, args: &OrgListArgs) -> anyhow::Result<()> {
    let store = startup::connect(config).await?;
    let organizations = orgs::summaries(&store).await;
    store.close().await;
    let organizations = organizations?;
    if args.json {
        for org in &organizations {
            println!("{}", line(org));
        }
        return Ok(());
    }
    if organizations.is_empty() {
        println!("no organizations yet: create one with `muster init`");
        return Ok(());
    }
    let width = organizations
        .iter()
        .map(|o| o.slug.chars().count())
        .max()
        .unwrap_or(0)
        .max("HANDLE".len());
    println!(
        "{:<width$}  {:>7} {:>7}  {:>6}  {:>8}  {:<10}  NAME",
        "HANDLE", "ACTIVE", "USERS", "NODES", "CHANGES", "CREATED"
    );
    for o in &organizations {
        println!(
            "{:<width$}  {:>7} {:>7}  {:>6}  {:>8}  {:<10}  {}",
            o.slug,
            o.active_users,
            o.users,
            o.nodes,
            o.changes,
            o.created_at.get().format("%Y-%m-%d"),
            o.name
        );
    }
    Ok(())
}

fn line(o: &OrgSummary) -> serde_json::Value {
    json!({
        "id": o.id,
        "slug": o.slug,
        "name": o.name,
        "users": o.users,
        "active_users": o.active_users,
        "nodes": o.nodes,
        "changes": o.changes,
        "created_at": o.created_at.get(),
    })
}
