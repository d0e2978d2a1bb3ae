#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod backend;
mod bench;
mod config;
mod estimators;
mod progress;
mod run;
mod rundir;
mod sweep;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Activation noise for EBM classification: train noisy per-class autoencoders and classify
/// by least energy.
#[derive(Parser, Debug)]
#[command(name = "actnoise", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Config overrides shared by the commands that read a config.
#[derive(clap::Args, Debug)]
struct ConfigArgs {
    /// The experiment config (TOML); it overrides `configs/base.toml`.
    config: PathBuf,
    /// Override a key: `--set train.epochs=3` (repeatable; values are TOML).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Backend: flex, ndarray, wgpu, tch, tch-cuda, cuda (overrides `backend`).
    #[arg(long)]
    backend: Option<backend::BackendChoice>,
    /// Seed (overrides `seed`).
    #[arg(long)]
    seed: Option<u64>,
}

impl ConfigArgs {
    fn load(&self) -> Result<config::Config> {
        let mut sets = self.sets.clone();
        if let Some(b) = self.backend {
            sets.push(format!("backend=\"{b}\""));
        }
        if let Some(s) = self.seed {
            sets.push(format!("seed={s}"));
        }
        config::load(Some(&self.config), &sets)
            .with_context(|| format!("config {}", self.config.display()))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train per-class autoencoders with activation noise and classify the test set.
    Run {
        #[command(flatten)]
        config: ConfigArgs,
        /// Continue the newest run of the same config and seed: finished trainings are
        /// loaded, unfinished ones resume from their last checkpoint, finished cells are kept.
        #[arg(long)]
        resume: bool,
    },
    /// Inspect configs.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Datasets: what is found, verification, downloads.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Run a sweep: a config with `[sweep]` lists expands to runs; finished cells are skipped.
    Sweep(sweep::SweepArgs),
    /// Compare the mean-energy estimators on cost: accuracy against forward passes, agreement
    /// with plain averaging at n_max (writes estimators.json/.md/.png in the run directory).
    Estimators(estimators::EstimatorArgs),
    /// Benchmark training and inference, side by side with the PyTorch reference.
    Bench(bench::BenchArgs),
    /// Build `report.md` (tables, figures, claims) from run directories.
    Report {
        /// Run directories, or folders holding them.
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "report")]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print the resolved config (base ← file ← ACTNOISE_* ← --set) as TOML.
    Show {
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Subcommand, Debug)]
enum DataCommand {
    /// List the datasets found under the data root, with per-class counts.
    Info {
        /// Data root (default: ACTNOISE_DATA, then the cache directory).
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Verify dataset files (sizes, records, labels, checksums).
    Check {
        /// Data root (default: ACTNOISE_DATA, then the cache directory).
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Download a dataset into the cache (or --root), verifying its checksum.
    Download {
        /// Dataset name (cifar10, cifar100).
        name: String,
        /// Target data root (default: the cache directory).
        #[arg(long)]
        root: Option<PathBuf>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config, resume } => {
            let cfg = config.load()?;
            run::run(&cfg, resume)?;
        }
        Command::Config { command: ConfigCommand::Show { config } } => {
            print!("{}", config.load()?.to_toml());
        }
        Command::Data { command } => data_command(command)?,
        Command::Sweep(args) => sweep::main(&args)?,
        Command::Bench(args) => bench::main(&args)?,
        Command::Estimators(args) => estimators::main(&args)?,
        Command::Report { runs, out } => {
            let s = actnoise_analysis::report(&runs, &out)?;
            println!(
                "read {} runs, {} cells ({} settings); wrote {} tables and {} figures",
                s.runs,
                s.cells,
                s.aggregates,
                s.tables.len(),
                s.figures.len()
            );
            for claim in &s.claims {
                println!("claim {}: {} — {}", claim.number, claim.statement, claim.status);
            }
            for w in &s.warnings {
                println!("warning: {w}");
            }
            println!("report: {}", s.report.display());
        }
    }
    Ok(())
}

fn data_command(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Info { root } => {
            let root = actnoise_data::resolve_root(root.as_deref())?;
            println!("{}", actnoise_data::info(&root.path));
        }
        DataCommand::Check { root } => {
            let root = actnoise_data::resolve_root(root.as_deref())?;
            let report = actnoise_data::check(&root.path);
            println!("{report}");
            if !report.is_ok() {
                anyhow::bail!("data check failed under {}", root.path.display());
            }
        }
        DataCommand::Download { name, root } => {
            let root = match root {
                Some(r) => r,
                None => actnoise_data::resolve_root(None)?.path,
            };
            let bar = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                )
                .expect("valid template"),
            );
            let path = actnoise_data::download(&name, &root, |p| {
                if let Some(total) = p.total {
                    bar.set_length(total);
                }
                bar.set_position(p.done);
                bar.set_message(format!("{:?}", p.stage));
            })?;
            bar.finish();
            println!("{name} ready in {}", path.display());
        }
    }
    Ok(())
}
