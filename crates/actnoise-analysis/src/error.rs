//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while reading run directories or writing a report.
///
/// Every variant names the file it concerns and says what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {action} failed: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("reading", "writing", "creating directory", ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file (`results.json`, `provenance.json`, a line of `metrics.jsonl`) did not parse.
    #[error("{path}{}: not valid for the results schema: {source} (see RESULTS_SCHEMA.md)",
        line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Json {
        /// The file.
        path: PathBuf,
        /// The 1-based line, for `metrics.jsonl`.
        line: Option<usize>,
        /// serde's message, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// `config.toml` did not parse as TOML.
    #[error("{path}: not valid TOML: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message.
        #[source]
        source: toml::de::Error,
    },
    /// `results.csv` did not parse, or disagrees with `results.json`.
    #[error("{path}: {what}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What is wrong (the header, a row, or a disagreement with `results.json`).
        what: String,
    },
    /// A cell of `results.json` parsed but holds impossible values.
    #[error("{path}: cell {index}: {what}")]
    InvalidCell {
        /// The `results.json` file.
        path: PathBuf,
        /// The 0-based index of the cell in `cells`.
        index: usize,
        /// What is wrong, with the offending values.
        what: String,
    },
    /// A path given to [`load_runs`](crate::load_runs) holds no `results.json` at any depth.
    #[error(
        "{path}: no results.json found here or in any directory below; pass a run directory or a folder of run directories"
    )]
    NoResults {
        /// The path that was searched.
        path: PathBuf,
    },
    /// A figure could not be drawn or encoded.
    #[error("{path}: drawing the figure failed: {what}")]
    Plot {
        /// The figure file being drawn.
        path: PathBuf,
        /// The drawing library's message.
        what: String,
    },
    /// A figure or table was asked for with inconsistent input.
    #[error("{what}")]
    InvalidInput {
        /// What is inconsistent, and how to fix it.
        what: String,
    },
    /// The embedded transcription of the paper's tables (`data/paper_tables.csv`) is malformed.
    #[error("data/paper_tables.csv (embedded) line {line}: {what}; fix the transcription file")]
    PaperData {
        /// The 1-based line of the embedded CSV.
        line: usize,
        /// What is wrong.
        what: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        Self::Io { path: path.into(), action, source }
    }
}
