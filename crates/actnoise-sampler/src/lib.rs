#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod config;
mod error;
mod sampler;

pub use config::EstimatorConfig;
pub use error::{Result, SampleError};
pub use sampler::{
    EvalRequest, Evaluation, Progress, Quiet, TestImages, adaptive_z, evaluate, wilson,
};
