//! Repository automation for actnoise, run as `cargo xtask <command>`.
//!
//! The binary (`src/main.rs`) is a thin clap front end over the modules here:
//!
//! | command | module | what it does |
//! |---|---|---|
//! | `tidy` | [`tidy`] | checks the repository's own rules (dependency arrows, backend features, crate docs, changelog, `todo!`, file sizes) |
//! | `ci` | [`ci`] | fmt → clippy → tidy → test → doc, stopping at the first failure |
//! | `setup-tch` | [`setup_tch`] | a Python venv with PyTorch for Burn's `tch` backend, and the env to export |
//! | `backends` | [`backends`] | runs `actnoise-backend-tests` per backend and compares each against `flex` |
//!
//! xtask depends on no workspace crate, so it builds in seconds and keeps working while the
//! rest of the workspace is broken.

pub mod backends;
pub mod ci;
pub mod setup_tch;
pub mod tidy;

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// The repository root: the parent of the `xtask` crate's directory.
pub fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// The cargo that runs xtask (`$CARGO`, set by `cargo run`), or `cargo` from `PATH`.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// A new `cargo` command whose working directory is `root`.
pub fn cargo_command(root: &Path) -> Command {
    let mut command = Command::new(cargo());
    command.current_dir(root);
    command
}

/// Writes `contents` to `path` atomically: a temp file in the same directory, then a rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("creating directory {}", dir.display()))?;
    let file_name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?
        .to_string_lossy();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        file.write_all(contents).with_context(|| format!("writing {}", tmp.display()))?;
        file.sync_all().with_context(|| format!("syncing {}", tmp.display()))?;
        fs::rename(&tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Renders a command line for messages, e.g. `cargo test --workspace --release`.
pub fn display_command(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .map_or_else(|| command.get_program().to_string_lossy(), |name| name.to_string_lossy())
        .into_owned();
    std::iter::once(program)
        .chain(command.get_args().map(|arg| {
            let arg = arg.to_string_lossy();
            if arg.is_empty() || arg.contains(char::is_whitespace) {
                format!("'{arg}'")
            } else {
                arg.into_owned()
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["out.json".to_owned()]);
    }

    #[test]
    fn display_command_quotes_arguments_with_spaces() {
        let mut command = Command::new("/usr/bin/cargo");
        command.args(["test", "a b", ""]);
        assert_eq!(display_command(&command), "cargo test 'a b' ''");
    }

    #[test]
    fn project_root_holds_the_workspace_manifest() {
        let root = project_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(root.join("xtask").join("Cargo.toml").is_file());
    }
}
