#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod config;
mod data;
mod error;
mod trainer;

pub use actnoise_nn::{SourceKind, derive_seed};
pub use config::{Loss, TrainConfig};
pub use data::ClassImages;
pub use error::{Result, TrainError};
pub use trainer::{
    EpochMetrics, Observer, Silent, StepInfo, TrainSetup, Trained, load_finished, schedule, train,
};
