//! Writing files atomically: a temp file in the same directory, then a rename.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed into place,
/// so a reader never sees a half-written file. Creates the parent directory if needed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating directory", e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".actnoise-analysis-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, "creating a temporary file", e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), "writing", e))?;
    tmp.flush().map_err(|e| Error::io(tmp.path(), "writing", e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(path, "renaming the temporary file into place", e.error))?;
    Ok(())
}

/// Reads a whole file to a string, naming the file on error.
pub(crate) fn read_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, "reading", e))
}
