use thiserror::Error;

/// Errors of the model crate.
#[derive(Debug, Error)]
pub enum NnError {
    /// A model configuration value is out of range.
    #[error("model config: `{key}` = {value} is invalid: {why}")]
    Config {
        /// The config key (under `[model]`).
        key: &'static str,
        /// The offending value, printed.
        value: String,
        /// What is wrong and what would be valid.
        why: String,
    },
    /// A noise plan does not fit the model.
    #[error("noise plan: {0}")]
    Plan(String),
    /// A noise law could not be built.
    #[error(transparent)]
    Noise(#[from] actnoise_dist::NoiseError),
    /// Injected noise ran out or had the wrong shape.
    #[error("injected noise: {0}")]
    Injected(String),
    /// Saving or loading weights failed.
    #[error("weights file {path}: {why}")]
    Weights {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
}

/// Result alias of the model crate.
pub type Result<T> = std::result::Result<T, NnError>;
