//! `muster init`: create an organization and its first administrator.

use anyhow::Context;
use muster_service::organizations::{self, NewOrganization};
use secrecy::{ExposeSecret, SecretString};

use crate::cli::InitArgs;
use crate::config::Config;
use crate::startup;

pub(crate) async fn run(config: &Config, args: &InitArgs) -> anyhow::Result<()> {
    let admin_password = match &args.admin_password_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            // A trailing newline is how files end, not part of the password.
            Some(SecretString::from(
                text.trim_end_matches(['\n', '\r']).to_owned(),
            ))
        }
        None => None,
    };
    let store = startup::open_store(config).await?;
    let created = organizations::create(
        &store,
        NewOrganization {
            name: args.org_name.clone(),
            admin_login: args.admin_login.clone(),
            admin_password,
        },
    )
    .await?;
    store.close().await;

    if args.json {
        println!("{}", serde_json::to_string(&created)?);
    } else {
        println!(
            "Created organization \"{}\" (sign-in handle: {}).",
            created.org_name, created.org_slug
        );
        println!("Administrator login: {}", created.admin_login);
        println!(
            "API token (shown once; send as `Authorization: Bearer …`): {}",
            created.api_token.expose_secret()
        );
        if let Some(password) = &created.admin_password {
            println!(
                "Temporary password (shown once; must be changed at first sign-in): {}",
                password.expose_secret()
            );
        }
    }
    Ok(())
}
