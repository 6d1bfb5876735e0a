//! One module per subcommand.

mod audit;
mod check;
mod dev;
mod init;
mod migrate;
mod org;
mod purge;
mod serve;
mod user;

use crate::cli::Command;
use crate::config::Config;

/// Runs `command` with `config`.
pub(crate) async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(&config, &args).await,
        Command::Init(args) => init::run(&config, &args).await,
        Command::Org(args) => org::run(&config, &args).await,
        Command::Migrate(args) => migrate::run(&config, &args).await,
        Command::Audit(args) => audit::run(&config, &args).await,
        Command::Check(args) => check::run(&config, &args).await,
        Command::User(args) => user::run(&config, &args).await,
        Command::Purge(args) => purge::run(&config, &args).await,
        Command::Dev(args) => dev::run(&config, &args).await,
    }
}
