//! `muster check`: explain an access decision from the command line, exactly as
//! `POST /api/v1/access/check` decides it. Exit code 0 when allowed, 3 when denied.

use anyhow::{Context, bail};
use muster_domain::{NodeId, OrgId, UserId};
use muster_service::Ctx;
use muster_service::access::{self, AccessCache, CheckRequest, Resource};
use muster_store::{Store, access as store_access, audit, orgs};

use crate::cli::CheckArgs;
use crate::config::Config;
use crate::startup;

/// Exit code of a denied decision (1 is an error).
const DENIED: i32 = 3;

pub(crate) async fn run(config: &Config, args: &CheckArgs) -> anyhow::Result<()> {
    let store = startup::connect(config).await?;
    let org = organization(&store, args.org.as_deref()).await?;
    let subject = user(&store, org, &args.subject).await?;
    let resource = match (&args.user, &args.node) {
        (Some(login), _) => Resource {
            user_id: Some(user(&store, org, login).await?),
            node_id: None,
        },
        (None, Some(name)) => Resource {
            user_id: None,
            node_id: Some(node(&store, org, name).await?),
        },
        (None, None) => bail!("name the target with --user LOGIN or --node NAME"),
    };
    let current_node_id = match &args.at {
        Some(name) => Some(node(&store, org, name).await?),
        None => None,
    };
    let request = CheckRequest {
        subject_id: subject,
        action: args.action.clone(),
        resource,
        current_node_id,
    };
    let decision = access::check(&store, &AccessCache::default(), &Ctx::system(org), &request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store.close().await;
    println!(
        "{}: {}",
        if decision.allowed {
            "ALLOWED"
        } else {
            "DENIED"
        },
        decision.reason
    );
    if !decision.allowed {
        std::process::exit(DENIED);
    }
    Ok(())
}

/// The organization with sign-in handle `slug`, or the only one.
pub(crate) async fn organization(store: &Store, slug: Option<&str>) -> anyhow::Result<OrgId> {
    if let Some(slug) = slug {
        let org = orgs::find_by_slug(store, slug)
            .await?
            .with_context(|| format!("no organization has the sign-in handle {slug:?}"))?;
        return Ok(OrgId::from_uuid(org.id));
    }
    let all = audit::organizations(store).await?;
    match all.as_slice() {
        [(id, _)] => Ok(OrgId::from_uuid(*id)),
        [] => bail!("the database holds no organization"),
        _ => bail!(
            "the database holds several organizations; name one with --org ({})",
            all.iter()
                .map(|(_, slug)| slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

async fn user(store: &Store, org: OrgId, login: &str) -> anyhow::Result<UserId> {
    store_access::user_by_login(store, org, login)
        .await?
        .map(UserId::from_uuid)
        .with_context(|| format!("no user has the login {login:?}"))
}

async fn node(store: &Store, org: OrgId, name: &str) -> anyhow::Result<NodeId> {
    match store_access::nodes_named(store, org, name)
        .await?
        .as_slice()
    {
        [id] => Ok(NodeId::from_uuid(*id)),
        [] => bail!("no node is named {name:?}"),
        several => bail!("{} nodes are named {name:?}; rename one", several.len()),
    }
}
