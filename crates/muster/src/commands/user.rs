//! `muster user import` and `muster user export`: users in bulk, through the same service
//! code as the API (`muster_service::import`, `muster_service::export`), acting as Muster
//! itself (the operator is trusted, as for `muster init`). A progress bar with the rate
//! and the time left is drawn on standard error when it is a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use muster_service::Ctx;
use muster_service::export::{self, Format};
use muster_service::import::{
    self, FileSource, ImportOptions, ImportReport, PasswordMode, Phase, Progress,
};

use crate::cli::{
    ExportFormatArg, PasswordsArg, UserArgs, UserCommand, UserExportArgs, UserImportArgs,
};
use crate::commands::check::organization;
use crate::config::Config;
use crate::startup;

pub(crate) async fn run(config: &Config, args: &UserArgs) -> anyhow::Result<()> {
    match &args.command {
        UserCommand::Import(import) => run_import(config, import).await,
        UserCommand::Export(export) => run_export(config, export).await,
    }
}

/// A progress bar on standard error when it is a terminal (hidden otherwise).
fn bar() -> ProgressBar {
    if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    }
}

/// Draws an import's passes.
struct ImportBar(ProgressBar);

impl Progress for ImportBar {
    fn start(&self, phase: Phase, bytes: Option<u64>) {
        let bar = &self.0;
        bar.reset();
        bar.set_length(bytes.unwrap_or(0));
        bar.set_position(0);
        bar.set_prefix(match phase {
            Phase::Validating => "checking",
            Phase::Writing => "importing",
        });
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>9} [{bar:30}] {percent:>3}% {msg} {binary_bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
    }

    fn advance(&self, rows: u64, bytes: u64) {
        let bar = &self.0;
        bar.set_position(bytes);
        let seconds = bar.elapsed().as_secs_f64().max(0.001);
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rate = (rows as f64 / seconds) as u64;
        bar.set_message(format!("{rows} rows, {rate} rows/s"));
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// `COLUMN=FIELD` pairs of `--map`.
fn mappings(raw: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    raw.iter()
        .map(|m| {
            m.split_once('=')
                .map(|(c, f)| (c.trim().to_owned(), f.trim().to_owned()))
                .filter(|(c, f)| !c.is_empty() && !f.is_empty())
                .with_context(|| format!("--map {m:?}: write it COLUMN=FIELD"))
        })
        .collect()
}

/// The byte of `--delimiter`.
fn delimiter(raw: &str) -> anyhow::Result<u8> {
    match raw {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        one if one.len() == 1 => Ok(one.as_bytes()[0]),
        other => bail!("--delimiter {other:?}: give one ASCII character (or \\t for tabs)"),
    }
}

async fn run_import(config: &Config, args: &UserImportArgs) -> anyhow::Result<()> {
    let options = ImportOptions {
        dry_run: args.dry_run,
        passwords: match args.passwords {
            PasswordsArg::Invite => PasswordMode::Invite,
            PasswordsArg::Temporary => PasswordMode::Temporary,
        },
        delimiter: delimiter(&args.delimiter)?,
        mapping: mappings(&args.map)?,
        skip_invalid: args.skip_invalid,
    };
    if !args.file.is_file() {
        bail!("cannot read {}: no such file", args.file.display());
    }
    let store = startup::connect(config).await?;
    let org = organization(&store, args.org.as_deref()).await?;
    let progress = ImportBar(bar());
    let report = import::import(
        &store,
        &Ctx::system(org),
        &FileSource(args.file.clone()),
        &options,
        &progress,
    )
    .await;
    progress.0.finish_and_clear();
    store.close().await;
    let report = report.map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report, &args.file.display().to_string());
    }
    if !report.is_clean() && !options.skips_bad_rows() {
        bail!(
            "{} problem{} in {}; nothing was imported",
            report.problems.len() + usize::try_from(report.more_problems).unwrap_or(0),
            if report.problems.len() == 1 { "" } else { "s" },
            args.file.display()
        );
    }
    Ok(())
}

fn print_report(report: &ImportReport, file: &str) {
    for problem in &report.problems {
        eprintln!("{file}: {problem}");
    }
    if report.more_problems > 0 {
        eprintln!("{file}: … and {} more problems", report.more_problems);
    }
    if report.dry_run {
        println!(
            "Dry run: {} rows, {} valid; nothing was written.",
            report.rows, report.valid
        );
    } else if report.created > 0 {
        println!(
            "Imported {} users from {} rows{}.",
            report.created,
            report.rows,
            if report.created < report.rows {
                " (rows with problems were skipped)"
            } else {
                ""
            }
        );
    }
}

async fn run_export(config: &Config, args: &UserExportArgs) -> anyhow::Result<()> {
    let store = startup::connect(config).await?;
    let org = organization(&store, args.org.as_deref()).await?;
    let format = match args.format {
        ExportFormatArg::Csv => Format::Csv,
        ExportFormatArg::Jsonl => Format::JsonLines,
    };
    let bar = bar();
    bar.set_style(
        ProgressStyle::with_template("exporting {pos} users, {per_sec} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::io::stdout(),
        )),
    };
    let progress = |n: u64| bar.set_position(n);
    let count = export::export(&store, &Ctx::system(org), format, &mut *out, &progress).await;
    bar.finish_and_clear();
    store.close().await;
    let count = count.map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(out);
    if let Some(path) = &args.output {
        eprintln!("Exported {count} users to {}.", path.display());
    }
    Ok(())
}
