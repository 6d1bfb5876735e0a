//! The command line: `muster serve`, `muster init`, `muster migrate`, `muster audit`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Muster: personnel and access administration.
#[derive(Debug, Parser)]
#[command(name = "muster", version, about)]
pub struct Cli {
    /// Configuration file (default: ./muster.toml when it exists).
    #[arg(long, global = true, env = "MUSTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (JSON API, console, metrics).
    Serve(ServeArgs),
    /// Create an organization and its first administrator.
    Init(InitArgs),
    /// The organizations this instance serves.
    Org(OrgArgs),
    /// Apply pending database migrations and show the schema version.
    Migrate(MigrateArgs),
    /// Inspect the audit trail.
    Audit(AuditArgs),
    /// Explain an access decision: may this user do that, and why?
    Check(CheckArgs),
    /// Remove ended sessions, old sign-in attempts and old sent or failed messages now
    /// (a running server does this every hour); the audit trail is never purged.
    Purge(PurgeArgs),
    /// Users in bulk: import from CSV, export to CSV or JSON Lines.
    User(UserArgs),
    /// Developer tools: measurements and test data.
    Dev(DevArgs),
}

/// Options of `muster purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Keep sign-in attempts and messages this many days instead of the configured
    /// `retain_login_attempts_days` / `retain_messages_days`.
    #[arg(long, value_name = "DAYS")]
    pub older_than_days: Option<u32>,
    /// Print the counts as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `muster org`.
#[derive(Debug, Args)]
pub struct OrgArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OrgCommand,
}

/// The subcommands of `muster org`.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List every organization with its sign-in handle and counts.
    List(OrgListArgs),
}

/// Options of `muster org list`.
#[derive(Debug, Args)]
pub struct OrgListArgs {
    /// Print JSON Lines (one organization per line) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `muster serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seed a demo organization (a county police agency) when the database is empty.
    #[arg(long)]
    pub demo: bool,
}

/// Options of `muster init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The organization's name, e.g. "Harbor County Police".
    #[arg(long, value_name = "NAME")]
    pub org_name: String,
    /// Login of the organization's first administrator.
    #[arg(long, value_name = "LOGIN")]
    pub admin_login: String,
    /// Read the administrator's password from this file instead of generating one.
    #[arg(long, value_name = "FILE")]
    pub admin_password_file: Option<PathBuf>,
    /// Print what was created, with the one-time secrets, as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `muster migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Only show which migrations are applied; change nothing.
    #[arg(long)]
    pub status: bool,
}

/// Options of `muster audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to do with the audit trail.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The subcommands of `muster audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit hash chains and report the first tampered event (exit code 1
    /// when any chain is broken).
    Verify(AuditVerifyArgs),
}

/// Options of `muster audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// Only the organization with this sign-in handle (default: every organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

/// Options of `muster check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Organization sign-in handle (may be left out when there is only one).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Login of the user who would act.
    #[arg(long = "as", value_name = "LOGIN")]
    pub subject: String,
    /// A capability (`users.edit`), `module:KEY:LEVEL` or `section:SECTION:view|edit`.
    #[arg(long, value_name = "ACTION")]
    pub action: String,
    /// Login of the user acted on.
    #[arg(
        long,
        value_name = "LOGIN",
        conflicts_with = "node",
        required_unless_present = "node"
    )]
    pub user: Option<String>,
    /// Name of the node acted on.
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// Name of the acting user's current location (default: their default placement's).
    #[arg(long, value_name = "NAME")]
    pub at: Option<String>,
}

/// Options of `muster user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// The subcommands of `muster user`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create users from a CSV file: every row is checked first, and nothing is written
    /// unless all are valid (or `--skip-invalid`). Columns: those of `muster user export`
    /// (`login`, `first_name`, `last_name`, …, placements as `Node=Role;Node=Role`, the default
    /// first) or common aliases (username, surname, e-mail, …), or `node` and `role`.
    Import(UserImportArgs),
    /// Write every user (but deleted ones) as CSV or JSON Lines, in the columns
    /// `muster user import` reads.
    Export(UserExportArgs),
}

/// What imported `password` users get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PasswordsArg {
    /// No password and an invitation email; an administrator sends a temporary password
    /// later (reset). Nothing is hashed: fast.
    Invite,
    /// A generated temporary password each, in the welcome email (one Argon2 hash per
    /// user: slow for large files).
    Temporary,
}

/// Options of `muster user import`.
#[derive(Debug, Args)]
pub struct UserImportArgs {
    /// The CSV file (UTF-8, a header row, then one row per user).
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Organization sign-in handle (may be left out when there is only one).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Check every row and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// What imported `password` users get.
    #[arg(long, value_enum, default_value = "invite")]
    pub passwords: PasswordsArg,
    /// Map a column of the file to a field (`--map "Surname=last_name"`, or
    /// `--map "Notes=ignore"` to drop it); repeatable.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// The column separator (default `,`; `\t` for tabs).
    #[arg(long, value_name = "CHAR", default_value = ",")]
    pub delimiter: String,
    /// Import the valid rows and skip the others (default: all or nothing).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Format of `muster user export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormatArg {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Options of `muster user export`.
#[derive(Debug, Args)]
pub struct UserExportArgs {
    /// Organization sign-in handle (may be left out when there is only one).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormatArg,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of `muster dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Which tool.
    #[command(subcommand)]
    pub command: DevCommand,
}

/// The developer tools.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Measure the raw Argon2id verification rate of this machine with Muster's
    /// parameters, on one thread per core (the ceiling for sign-in throughput).
    Argon2Rate {
        /// How long to measure.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Generate an organization of N users for load tests and benchmarks: a tree of
    /// regions, divisions, areas and locations, roles, a command hierarchy and a random
    /// roster (some inactive, banned, retired, separated). Prints what it made, the
    /// administrators' password and API tokens, and how long it took.
    Seed {
        /// How many users (administrators included).
        #[arg(long)]
        users: u64,
        /// The organization's name (its sign-in handle must be free).
        #[arg(long)]
        org: String,
        /// Seed of the random roster: the same seed draws the same people.
        #[arg(long, default_value_t = 8)]
        seed: u64,
        /// Print the summary as one JSON object (for scripts).
        #[arg(long)]
        json: bool,
    },
}
