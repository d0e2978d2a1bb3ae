//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while finding, reading, checking or downloading data.
///
/// Every message names the file (or key, or URL) and says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder the dataset needs is not there.
    #[error("not found: {}\n  {hint}", path.display())]
    Missing {
        /// What was looked for.
        path: PathBuf,
        /// How to get it (download command, URL, or which setting points elsewhere).
        hint: String,
    },

    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "create", "rename", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A record file whose size is not a whole number of records.
    #[error(
        "{}: size {size} bytes is not a multiple of the record size {record_size}: \
         record {record} (from byte {offset}) has only {have} of its {record_size} bytes; \
         the file is truncated or not in this format (delete it and download/convert again)",
        path.display()
    )]
    RecordSize {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// Bytes per record (label bytes + pixels).
        record_size: usize,
        /// Index (from 0) of the incomplete record.
        record: usize,
        /// Byte offset where that record starts.
        offset: u64,
        /// Bytes of that record present.
        have: usize,
    },

    /// A label outside `0..num_classes`.
    #[error(
        "{}: record {record} has label {label}, but there are only {num_classes} classes \
         (labels 0..={}); the file is damaged or does not match its class list",
        path.display(),
        num_classes.saturating_sub(1)
    )]
    LabelOutOfRange {
        /// The file holding the label.
        path: PathBuf,
        /// Index (from 0) of the record / line / image.
        record: usize,
        /// The offending label.
        label: u64,
        /// How many classes there are.
        num_classes: usize,
    },

    /// An image file that cannot be decoded.
    #[error("{}: cannot decode image: {reason} (remove or replace the file)", path.display())]
    Decode {
        /// The image file.
        path: PathBuf,
        /// The decoder's message.
        reason: String,
    },

    /// A class with no images.
    #[error(
        "class {class:?} has no images in {} (add images, or drop the class with `classes`)",
        path.display()
    )]
    EmptyClass {
        /// The class name.
        class: String,
        /// The folder or file that should have held its images.
        path: PathBuf,
    },

    /// A file that is not in the format expected.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where in the file.
        reason: String,
    },

    /// A `[data]` setting that cannot be used.
    #[error("[data] {key}: {reason}")]
    Spec {
        /// The key of `DatasetSpec`, e.g. `name`, `classes`.
        key: &'static str,
        /// What is wrong and which values are allowed.
        reason: String,
    },

    /// An index past the end of a dataset.
    #[error("image index {index} is out of range: the dataset has {len} images")]
    Index {
        /// The index asked for.
        index: usize,
        /// The dataset's length.
        len: usize,
    },

    /// Two parts of a dataset disagree (e.g. image and label counts).
    #[error("inconsistent dataset: {0}")]
    Inconsistent(String),

    /// No data directory could be resolved.
    #[error(
        "no data directory: neither [data].dir, ACTNOISE_DATA, XDG_CACHE_HOME nor HOME is set; \
         set ACTNOISE_DATA=/path/to/data"
    )]
    NoDataDir,

    /// An HTTP download failed.
    #[error("download of {url} failed: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong and what to do.
        reason: String,
    },

    /// A downloaded or stored file whose checksum is not the published one.
    #[error(
        "{}: {algorithm} checksum mismatch: expected {expected}, got {actual}; \
         the file was removed, run the download again",
        path.display()
    )]
    Checksum {
        /// The file that was checked (already removed when it was a download).
        path: PathBuf,
        /// "md5" or "sha256".
        algorithm: &'static str,
        /// The published checksum.
        expected: String,
        /// The checksum of the bytes received.
        actual: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    /// An [`Error::Format`] for `path`.
    pub(crate) fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Format { path: path.into(), reason: reason.into() }
    }
}
