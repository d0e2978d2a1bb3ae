//! `cargo xtask setup-tch`: a Python venv holding PyTorch, for Burn's `tch` backend.
//!
//! `torch-sys` (under `burn-tch`) can link against the libtorch inside a pip-installed PyTorch
//! when `LIBTORCH_USE_PYTORCH` is set: its build script then asks `python` (when
//! `VIRTUAL_ENV` is set, else `python3`) where torch lives and checks that torch's version
//! is the one it was written for, unless `LIBTORCH_BYPASS_VERSION_CHECK` is set. At run
//! time the dynamic loader must find torch's shared libraries (`LD_LIBRARY_PATH`).
//!
//! This command makes the venv, installs `torch==<version>` into it, and writes those
//! variables to `<venv>/actnoise-tch.env`, which `source` and `cargo xtask backends` read.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{display_command, write_atomic};

/// The env file's name inside the venv.
pub const ENV_FILE_NAME: &str = "actnoise-tch.env";

/// The PyTorch version `torch-sys` 0.22 (used by `burn-tch` 0.22.1) was written for: its
/// `build.rs` has `const TORCH_VERSION: &str = "2.9.0"`. Used only when that file cannot be
/// read from cargo's registry.
pub const FALLBACK_EXPECTED_TORCH: &str = "2.9.0";

/// Options of `cargo xtask setup-tch`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The venv directory (relative paths are relative to the repository root).
    pub venv: PathBuf,
    /// The Python that creates the venv.
    pub python: String,
    /// The torch version to install.
    pub torch_version: String,
    /// Skip `pip install` (the venv already has torch); only write the env file.
    pub no_install: bool,
}

/// What the tch backend needs to build and run against a venv's PyTorch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TchEnv {
    /// The venv (absolute).
    pub venv: PathBuf,
    /// torch's shared libraries, `<venv>/lib/python3.X/site-packages/torch/lib`.
    pub torch_lib: PathBuf,
    /// Whether torch's version differs from the one torch-sys expects.
    pub bypass_version_check: bool,
}

impl TchEnv {
    /// The variables to set, in order: `(name, value, appends to the existing value)`.
    pub fn variables(&self) -> Vec<(&'static str, String, bool)> {
        let mut vars = vec![
            ("VIRTUAL_ENV", self.venv.display().to_string(), false),
            ("PATH", self.venv.join("bin").display().to_string(), true),
            ("LIBTORCH_USE_PYTORCH", "1".to_owned(), false),
        ];
        if self.bypass_version_check {
            vars.push(("LIBTORCH_BYPASS_VERSION_CHECK", "1".to_owned(), false));
        }
        vars.push(("LD_LIBRARY_PATH", self.torch_lib.display().to_string(), true));
        vars
    }

    /// The env file: `export` lines for `source`.
    pub fn render(&self) -> String {
        let mut text = String::from(
            "# Written by `cargo xtask setup-tch`: the environment for Burn's tch backend.\n\
             # Use: source <this file>; cargo xtask backends --backend tch\n",
        );
        for (name, value, append) in self.variables() {
            let value = shell_quote(&value);
            if append {
                text.push_str(&format!("export {name}={value}\"${{{name}:+:${name}}}\"\n"));
            } else {
                text.push_str(&format!("export {name}={value}\n"));
            }
        }
        text
    }
}

/// Single-quotes `value` for a POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `2.9.0+cu128` → `2.9.0`.
pub fn base_version(version: &str) -> &str {
    let version = version.trim();
    version.split_once('+').map_or(version, |(base, _)| base)
}

/// The value of `const TORCH_VERSION: &str = "..."` in torch-sys's `build.rs`.
pub fn parse_torch_sys_expected(build_rs: &str) -> Option<String> {
    build_rs.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("const TORCH_VERSION: &str = \"")?;
        Some(rest.split_once('"')?.0.to_owned())
    })
}

/// The torch-sys version locked in `Cargo.lock`.
fn locked_torch_sys(root: &Path) -> Option<String> {
    let lock: toml::Table = fs::read_to_string(root.join("Cargo.lock")).ok()?.parse().ok()?;
    lock.get("package")?.as_array()?.iter().find_map(|package| {
        (package.get("name")?.as_str()? == "torch-sys")
            .then(|| package.get("version")?.as_str().map(str::to_owned))?
    })
}

/// The PyTorch version the locked torch-sys expects, read from its `build.rs` in cargo's
/// registry; `None` when it is not there.
fn torch_sys_expected(root: &Path) -> Option<(String, String)> {
    let torch_sys = locked_torch_sys(root)?;
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let registries = fs::read_dir(cargo_home.join("registry/src")).ok()?;
    registries.flatten().find_map(|registry| {
        let build_rs = registry.path().join(format!("torch-sys-{torch_sys}/build.rs"));
        let expected = parse_torch_sys_expected(&fs::read_to_string(build_rs).ok()?)?;
        Some((torch_sys.clone(), expected))
    })
}

fn run_checked(command: &mut Command, hint: &str) -> anyhow::Result<()> {
    eprintln!("==> {}", display_command(command));
    let status = command
        .status()
        .with_context(|| format!("could not start {}", display_command(command)))?;
    if !status.success() {
        bail!("`{}` failed ({status}); {hint}", display_command(command));
    }
    Ok(())
}

/// Asks the venv's Python for torch's version and library directory.
fn query_torch(python: &Path) -> anyhow::Result<(String, PathBuf)> {
    const SCRIPT: &str = "import os, torch\n\
                          print(torch.__version__)\n\
                          print(os.path.join(os.path.dirname(torch.__file__), 'lib'))";
    let output = Command::new(python)
        .args(["-c", SCRIPT])
        .output()
        .with_context(|| format!("could not start {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "`import torch` fails in {}: {}; run `cargo xtask setup-tch` without --no-install",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let (Some(version), Some(lib)) = (lines.next(), lines.next()) else {
        bail!("unexpected answer from {} about torch: {stdout:?}", python.display());
    };
    Ok((version.trim().to_owned(), PathBuf::from(lib.trim())))
}

/// Makes the venv, installs torch, and prints and writes the environment.
pub fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let venv =
        if options.venv.is_absolute() { options.venv.clone() } else { root.join(&options.venv) };
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        run_checked(
            Command::new(&options.python).args(["-m", "venv"]).arg(&venv),
            "on Debian, `apt-get install python3-venv` provides the venv module",
        )?;
    }
    if options.no_install {
        eprintln!("setup-tch: --no-install, using the torch already in {}", venv.display());
    } else {
        eprintln!(
            "setup-tch: installing torch=={} into {} (≈6.6 GB with its CUDA libraries; a few \
             minutes)",
            options.torch_version,
            venv.display()
        );
        run_checked(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check"])
                .arg(format!("torch=={}", options.torch_version)),
            "check the network to PyPI and the free disk space",
        )?;
    }
    let (installed, torch_lib) = query_torch(&python)?;
    if !torch_lib.is_dir() {
        bail!("torch reports its libraries at {}, which is not a directory", torch_lib.display());
    }
    let expected = match torch_sys_expected(root) {
        Some((torch_sys, expected)) => {
            eprintln!("setup-tch: torch-sys {torch_sys} expects PyTorch {expected}");
            expected
        }
        None => {
            eprintln!(
                "setup-tch: torch-sys's build.rs is not in cargo's registry (run `cargo fetch`); \
                 assuming it expects PyTorch {FALLBACK_EXPECTED_TORCH}"
            );
            FALLBACK_EXPECTED_TORCH.to_owned()
        }
    };
    let bypass_version_check = base_version(&installed) != expected;
    if bypass_version_check {
        eprintln!(
            "setup-tch: installed torch {installed} is not {expected}; setting \
             LIBTORCH_BYPASS_VERSION_CHECK (the build may still fail on API differences)"
        );
    }
    let env = TchEnv { venv: venv.clone(), torch_lib, bypass_version_check };
    let env_file = venv.join(ENV_FILE_NAME);
    write_atomic(&env_file, env.render().as_bytes())?;
    println!("# torch {installed} in {}", venv.display());
    print!("{}", env.render());
    println!("# written to {}; use: source {}", env_file.display(), env_file.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(bypass: bool) -> TchEnv {
        TchEnv {
            venv: PathBuf::from("/repo/.venv-torch"),
            torch_lib: PathBuf::from("/repo/.venv-torch/lib/python3.11/site-packages/torch/lib"),
            bypass_version_check: bypass,
        }
    }

    #[test]
    fn env_file_sets_pytorch_mode_and_library_path() {
        let text = env(false).render();
        assert!(text.contains("export LIBTORCH_USE_PYTORCH='1'\n"), "{text}");
        assert!(text.contains("export VIRTUAL_ENV='/repo/.venv-torch'\n"), "{text}");
        assert!(text.contains(
            "export LD_LIBRARY_PATH='/repo/.venv-torch/lib/python3.11/site-packages/torch/lib'\
             \"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"\n"
        ));
        assert!(!text.contains("BYPASS"), "{text}");
        assert!(env(true).render().contains("export LIBTORCH_BYPASS_VERSION_CHECK='1'\n"));
    }

    #[test]
    fn env_file_sources_to_the_expected_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ENV_FILE_NAME);
        fs::write(&path, env(true).render()).unwrap();
        let vars: std::collections::BTreeMap<String, String> =
            crate::backends::load_env_file(&path).unwrap().into_iter().collect();
        assert_eq!(vars["LIBTORCH_USE_PYTORCH"], "1");
        assert_eq!(vars["LIBTORCH_BYPASS_VERSION_CHECK"], "1");
        assert!(vars["PATH"].starts_with("/repo/.venv-torch/bin:"));
        let lib = "/repo/.venv-torch/lib/python3.11/site-packages/torch/lib";
        match std::env::var("LD_LIBRARY_PATH") {
            Ok(old) if !old.is_empty() => {
                assert_eq!(vars["LD_LIBRARY_PATH"], format!("{lib}:{old}"))
            }
            _ => assert_eq!(vars["LD_LIBRARY_PATH"], lib),
        }
    }

    #[test]
    fn shell_quote_survives_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn versions_compare_without_local_suffix() {
        assert_eq!(base_version("2.9.0+cu128\n"), "2.9.0");
        assert_eq!(base_version("2.9.0"), "2.9.0");
    }

    #[test]
    fn torch_sys_build_rs_expected_version_is_parsed() {
        let build_rs =
            "use std::env;\n\nconst TORCH_VERSION: &str = \"2.9.0\";\nconst X: u8 = 1;\n";
        assert_eq!(parse_torch_sys_expected(build_rs).as_deref(), Some("2.9.0"));
        assert_eq!(parse_torch_sys_expected("fn main() {}"), None);
    }

    #[test]
    fn locked_torch_sys_expectation_matches_the_fallback() {
        // The workspace locks burn-tch's torch-sys; when its source is in the registry, the
        // fallback constant must agree with it.
        let root = crate::project_root();
        match torch_sys_expected(&root) {
            Some((torch_sys, expected)) => {
                assert_eq!(expected, FALLBACK_EXPECTED_TORCH, "torch-sys {torch_sys}");
            }
            None => eprintln!("torch-sys source not in the cargo registry; nothing to compare"),
        }
    }
}
