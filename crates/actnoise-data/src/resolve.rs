//! Which folder is the data root.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Environment variable naming the data root.
pub const DATA_ENV: &str = "ACTNOISE_DATA";

/// Where the data root came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootSource {
    /// Given by the caller (e.g. the config's data directory).
    Explicit,
    /// The `ACTNOISE_DATA` environment variable.
    Env,
    /// The user cache: `$XDG_CACHE_HOME/actnoise` or `~/.cache/actnoise`.
    Cache,
}

/// The data root and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRoot {
    /// The folder.
    pub path: PathBuf,
    /// How it was chosen.
    pub source: RootSource,
}

impl fmt::Display for DataRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match self.source {
            RootSource::Explicit => "from the config",
            RootSource::Env => "from ACTNOISE_DATA",
            RootSource::Cache => "the user cache",
        };
        write!(f, "{} ({from})", self.path.display())
    }
}

/// The data root: `explicit` if given, else `$ACTNOISE_DATA` if set and non-empty, else
/// `$XDG_CACHE_HOME/actnoise`, else `$HOME/.cache/actnoise`. The folder need not exist.
pub fn resolve_root(explicit: Option<&Path>) -> Result<DataRoot> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    resolve_with(explicit, var(DATA_ENV), var("XDG_CACHE_HOME"), var("HOME"))
}

fn resolve_with(
    explicit: Option<&Path>,
    env: Option<PathBuf>,
    xdg_cache: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<DataRoot> {
    if let Some(p) = explicit {
        return Ok(DataRoot { path: p.to_path_buf(), source: RootSource::Explicit });
    }
    if let Some(p) = env {
        return Ok(DataRoot { path: p, source: RootSource::Env });
    }
    let cache = xdg_cache.or_else(|| home.map(|h| h.join(".cache"))).ok_or(Error::NoDataDir)?;
    Ok(DataRoot { path: cache.join("actnoise"), source: RootSource::Cache })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_root_prefers_explicit_then_env_then_cache() {
        let p = |s: &str| Some(PathBuf::from(s));
        let r = resolve_with(Some(Path::new("/c")), p("/e"), p("/x"), p("/h")).unwrap();
        assert_eq!((r.path, r.source), (PathBuf::from("/c"), RootSource::Explicit));
        let r = resolve_with(None, p("/e"), p("/x"), p("/h")).unwrap();
        assert_eq!((r.path, r.source), (PathBuf::from("/e"), RootSource::Env));
        let r = resolve_with(None, None, p("/x"), p("/h")).unwrap();
        assert_eq!((r.path, r.source), (PathBuf::from("/x/actnoise"), RootSource::Cache));
        let r = resolve_with(None, None, None, p("/h")).unwrap();
        assert_eq!(r.path, PathBuf::from("/h/.cache/actnoise"));
        assert!(matches!(resolve_with(None, None, None, None), Err(Error::NoDataDir)));
    }
}
