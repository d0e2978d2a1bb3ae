#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod backend;
mod checks;
mod fixed;
mod report;
mod stats;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;

use crate::backend::{BackendChoice, select_device};
use crate::report::Report;

/// Runs the cross-backend checks on one backend and writes them as JSON for
/// `cargo xtask backends` to compare with the flex reference.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The backend to run on (its cargo feature must be compiled in).
    #[arg(long, value_enum, default_value = "flex")]
    backend: BackendChoice,
    /// GPU index, for the backends that have one.
    #[arg(long, default_value_t = 0)]
    gpu: usize,
    /// Where to write the JSON report.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    // The error in one line (no backtrace), so it stays in the stderr tail xtask shows.
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    // One line per panic (no backtrace), so the message stays in the stderr tail xtask shows.
    panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
    let device = select_device(cli.backend, cli.gpu)?;
    let mut report = Report {
        backend: cli.backend.to_string(),
        device: format!("{device:?}"),
        checks: Vec::new(),
    };
    type Step = fn(&burn::tensor::Device) -> Result<Vec<report::Check>>;
    let steps: [(&str, Step); 4] = [
        ("samplers", checks::samplers),
        ("forward_burn_conv", checks::forward_burn_conv),
        ("train_step", checks::train_step),
        ("classify", checks::classify),
    ];
    // A step that fails (or panics inside the backend) does not stop the others: its checks
    // are missing from the report, which xtask counts as failures, and the run exits non-zero
    // after writing what it has.
    let mut failed = Vec::new();
    for (name, step) in steps {
        let t0 = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| step(&device)));
        let found = match outcome {
            Ok(Ok(found)) => found,
            Ok(Err(err)) => {
                eprintln!("{}: {name} failed: {err:#}", cli.backend);
                failed.push(name);
                continue;
            }
            Err(_) => {
                eprintln!("{}: {name} panicked (message above)", cli.backend);
                failed.push(name);
                continue;
            }
        };
        eprintln!(
            "{}: {name}: {} check(s) in {:.1}s",
            cli.backend,
            found.len(),
            t0.elapsed().as_secs_f64()
        );
        report.checks.extend(found);
    }
    report.write(&cli.out)?;
    eprintln!("{}: wrote {}", cli.backend, cli.out.display());
    if !failed.is_empty() {
        anyhow::bail!("{}: step(s) {} failed; see above", cli.backend, failed.join(", "));
    }
    Ok(())
}
