//! `muster audit verify`: recompute each organization's audit hash chain and report the
//! first event that does not fit (edited, removed, reordered), or newest events removed.
//!
//! It reads the database directly, so it also works while no server runs and does not
//! trust a server that might itself be compromised. It changes nothing.

use anyhow::bail;
use muster_domain::OrgId;
use muster_service::audit;
use muster_store::{audit as store_audit, orgs};

use crate::cli::{AuditArgs, AuditCommand, AuditVerifyArgs};
use crate::config::Config;
use crate::startup;

pub(crate) async fn run(config: &Config, args: &AuditArgs) -> anyhow::Result<()> {
    match &args.command {
        AuditCommand::Verify(verify) => run_verify(config, verify).await,
    }
}

async fn run_verify(config: &Config, args: &AuditVerifyArgs) -> anyhow::Result<()> {
    let store = startup::connect(config).await?;
    let organizations = if let Some(slug) = &args.org {
        let Some(org) = orgs::find_by_slug(&store, slug).await? else {
            store.close().await;
            bail!("no organization has the sign-in handle {slug:?}");
        };
        vec![(org.id, org.slug)]
    } else {
        store_audit::organizations(&store).await?
    };
    let mut broken = 0;
    for (id, slug) in &organizations {
        let outcome = audit::verify(&store, OrgId::from_uuid(*id)).await?;
        if outcome.ok {
            println!("{slug}: ok, {} events", outcome.events);
            continue;
        }
        broken += 1;
        let problem = outcome.problem.as_deref().unwrap_or("the chain is broken");
        match outcome.first_bad_event_id {
            Some(event) => println!("{slug}: BROKEN at event {event}: {problem}"),
            None => println!("{slug}: BROKEN: {problem}"),
        }
    }
    store.close().await;
    if organizations.is_empty() {
        println!("no organizations yet: nothing to verify");
    }
    if broken > 0 {
        bail!(
            "the audit chain of {broken} of {} organization(s) is broken",
            organizations.len()
        );
    }
    Ok(())
}
