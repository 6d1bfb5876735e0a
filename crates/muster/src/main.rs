//! The `muster` command: parses the command line and runs it. Any error is printed as one
//! line on standard error with exit code 1.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = muster::cli::Cli::parse();
    match muster::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": " on one line. A cause whose text its parent
/// already repeats (drivers often print their source) is left out, and line breaks inside
/// a message (TOML parse errors have them) are squeezed into spaces.
fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if parts
            .last()
            .is_none_or(|previous| !previous.contains(&text))
        {
            parts.push(text);
        }
    }
    parts.join(": ")
}
