use std::path::PathBuf;

use thiserror::Error;

/// Errors of the trainer.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A training setting is out of range.
    #[error("train config: `{key}` = {value} is invalid: {why}")]
    Config {
        /// Key under `[train]`.
        key: &'static str,
        /// The value, printed.
        value: String,
        /// What would be valid.
        why: String,
    },
    /// The training data does not fit the model.
    #[error("training data: {0}")]
    Data(String),
    /// The loss became NaN or infinite.
    #[error(
        "loss of class {class} became {value} in epoch {epoch} (step {step}); training stopped. \
         The last good checkpoint (epoch {last_good}) is kept: lower the learning rate or α, or \
         use the MSE loss, then resume or restart"
    )]
    NonFinite {
        /// Class index.
        class: usize,
        /// 1-based epoch.
        epoch: usize,
        /// 0-based step in the epoch.
        step: usize,
        /// The value seen.
        value: f32,
        /// Last epoch whose checkpoint was written (0 = none).
        last_good: usize,
    },
    /// A checkpoint could not be read or written.
    #[error("checkpoint {path}: {why}")]
    Checkpoint {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The model failed.
    #[error(transparent)]
    Model(#[from] actnoise_nn::NnError),
}

/// Result alias of the trainer.
pub type Result<T> = std::result::Result<T, TrainError>;
