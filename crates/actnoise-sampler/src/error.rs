use thiserror::Error;

/// Errors of the sampler.
#[derive(Debug, Error)]
pub enum SampleError {
    /// A sampler setting is out of range or does not fit the noise.
    #[error("sampler config: `{key}` = {value} is invalid: {why}")]
    Config {
        /// Key under `[eval]` / `[eval.estimator]`.
        key: &'static str,
        /// The value, printed.
        value: String,
        /// What would be valid.
        why: String,
    },
    /// The test data does not fit the model.
    #[error("test data: {0}")]
    Data(String),
    /// The model failed.
    #[error(transparent)]
    Model(#[from] actnoise_nn::NnError),
}

/// Result alias of the sampler.
pub type Result<T> = std::result::Result<T, SampleError>;
