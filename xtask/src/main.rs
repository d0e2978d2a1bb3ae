//! `cargo xtask`: repository automation for actnoise. See the library docs for the commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use xtask::backends::{self, Backend};
use xtask::ci::{self, Step};
use xtask::{project_root, setup_tch, tidy};

/// Repository automation for actnoise (run as `cargo xtask <command>`).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the repository's own rules (also run by `cargo test` as xtask/tests/tidy.rs).
    ///
    /// Rules: dependency arrows between workspace crates (dist ← nn ← {train, sampler}; data
    /// and analysis stand alone, analysis without Burn; the runner `actnoise` may use any crate;
    /// actnoise-backend-tests any library crate; xtask none); no Burn backend feature (flex,
    /// ndarray, wgpu, tch, cuda, cpu, rocm, metal, vulkan, webgpu) in a library crate's
    /// dependencies or [features] (dev-dependencies may turn on flex); every crate under
    /// crates/ has README.md, `#![doc = include_str!("../README.md")]`, `readme =
    /// "README.md"` and `[lints] workspace = true`; CHANGELOG.md has `## [Unreleased]`; no
    /// todo!/unimplemented! under crates/ or xtask/; no file over 1 MiB outside target/.
    /// Prints one line per violation (file, rule, fix) and exits 1 if there is any.
    Tidy,
    /// Run CI's checks in order, stopping at the first failure.
    ///
    /// Steps: fmt (`cargo fmt --all -- --check`), clippy (`cargo clippy --workspace
    /// --all-targets --release -- -D warnings`), tidy, test (`cargo test --workspace
    /// --release`), doc (`cargo doc --workspace --no-deps --release` with
    /// RUSTDOCFLAGS="-D warnings"). Prints each step's wall time at the end.
    Ci(CiArgs),
    /// Create a Python venv with PyTorch for Burn's tch backend, and print the env to export.
    ///
    /// Runs `python3 -m venv <venv>` and `<venv>/bin/python -m pip install torch==2.9.0`
    /// (≈6.6 GB, a few minutes), then writes VIRTUAL_ENV, PATH, LIBTORCH_USE_PYTORCH=1,
    /// LD_LIBRARY_PATH=<torch's lib dir> (and LIBTORCH_BYPASS_VERSION_CHECK=1 only when the
    /// installed torch is not the version torch-sys expects) to <venv>/actnoise-tch.env, for
    /// `source` and for `cargo xtask backends --backend tch`.
    SetupTch(SetupTchArgs),
    /// Run the cross-backend checks and compare every backend against flex.
    ///
    /// Builds actnoise-backend-tests ONCE with the features of every requested backend (flex
    /// always included: Burn 0.22 dispatches on the Device at run time), then runs that binary
    /// with `--backend B --out target/backends/B.json` for each backend B, flex first as the
    /// reference (tch with the env file of setup-tch; wgpu with XDG_RUNTIME_DIR set to a
    /// private temp dir). Each file: {"backend", "device", "checks": [{"name", "values":
    /// [f64], "kind": "exact"|"statistic", "threshold": null|f64, "scale": null|f64}]}. Exact
    /// checks are compared element-wise with flex's check of the same name and pass iff
    /// |a−b| ≤ --tolerance · max(|b|, scale) (scale 1e-6, i.e. relative, when absent).
    /// Statistic checks pass iff every value ≤ their own threshold. Prints one table and exits
    /// non-zero on any failed check or any backend that failed to build, run or report (with
    /// the last lines of its stderr).
    Backends(BackendsArgs),
}

#[derive(Debug, Args)]
struct CiArgs {
    /// Skip a step (repeatable): fmt, clippy, tidy, test, doc.
    #[arg(long = "skip", value_enum, value_name = "STEP")]
    skip: Vec<Step>,
}

#[derive(Debug, Args)]
struct SetupTchArgs {
    /// The venv to create or reuse (relative to the repository root).
    #[arg(long, default_value = ".venv-torch")]
    venv: PathBuf,
    /// The Python that creates the venv.
    #[arg(long, default_value = "python3")]
    python: String,
    /// The PyTorch version to install (torch-sys 0.22, under burn-tch 0.22.1, wants 2.9.0).
    #[arg(long, default_value = "2.9.0")]
    torch_version: String,
    /// Do not run pip: only locate the venv's torch and write the env file.
    #[arg(long)]
    no_install: bool,
}

#[derive(Debug, Args)]
struct BackendsArgs {
    /// Backends to run, comma-separated [default: flex,ndarray,wgpu; with --json-only: every
    /// <backend>.json in DIR]. flex is always added first as the reference.
    #[arg(long = "backend", value_enum, value_delimiter = ',', value_name = "B,..")]
    backends: Option<Vec<Backend>>,
    /// Tolerance of exact checks: pass iff |a−b| ≤ tolerance · max(|b|, scale).
    #[arg(long, default_value_t = 1e-4)]
    tolerance: f64,
    /// Compare the existing DIR/<backend>.json files without building anything (e.g. files
    /// brought back from a GPU machine).
    #[arg(long, value_name = "DIR")]
    json_only: Option<PathBuf>,
    /// Where the runs write their JSON files (relative to the repository root).
    #[arg(long, default_value = "target/backends")]
    out_dir: PathBuf,
    /// The env file written by `cargo xtask setup-tch`, used for the tch backend.
    #[arg(long, default_value = ".venv-torch/actnoise-tch.env")]
    tch_env: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = project_root();
    let result = match cli.command {
        Command::Tidy => run_tidy(&root),
        Command::Ci(args) => ci::run(&root, &args.skip),
        Command::SetupTch(args) => setup_tch::run(
            &root,
            &setup_tch::Options {
                venv: args.venv,
                python: args.python,
                torch_version: args.torch_version,
                no_install: args.no_install,
            },
        ),
        Command::Backends(args) => {
            let tch_env =
                if args.tch_env.is_absolute() { args.tch_env } else { root.join(args.tch_env) };
            backends::run(
                &root,
                &backends::Options {
                    backends: args.backends,
                    tolerance: args.tolerance,
                    json_only: args.json_only,
                    out_dir: args.out_dir,
                    tch_env,
                },
            )
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_tidy(root: &std::path::Path) -> anyhow::Result<()> {
    let violations = tidy::check(root);
    for violation in &violations {
        println!("{violation}");
    }
    if violations.is_empty() {
        println!("tidy: ok");
        Ok(())
    } else {
        anyhow::bail!("tidy: {} violation(s)", violations.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cli_parses_repeated_skips_and_backend_lists() {
        let cli = Cli::parse_from(["xtask", "ci", "--skip", "test", "--skip", "doc"]);
        let Command::Ci(args) = cli.command else { panic!("{cli:?}") };
        assert_eq!(args.skip, vec![Step::Test, Step::Doc]);
        let cli = Cli::parse_from(["xtask", "backends", "--backend", "ndarray,wgpu"]);
        let Command::Backends(args) = cli.command else { panic!("{cli:?}") };
        assert_eq!(args.backends, Some(vec![Backend::Ndarray, Backend::Wgpu]));
        assert_eq!(args.tolerance, 1e-4);
        assert!(Cli::try_parse_from(["xtask", "ci", "--skip", "lint"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "backends", "--backend", "metal"]).is_err());
    }
}
