#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod activation;
mod bank;
mod config;
mod error;
mod model;
mod plan;
mod source;
mod store;

pub use activation::Activation;
pub use bank::{ClassBank, ConvPath, DrawSharing};
pub use config::AutoencoderConfig;
pub use error::{NnError, Result};
pub use model::NoisyConvAutoencoder;
pub use plan::{LayerNoise, NoisePlan, Placement};
pub use source::{NoiseSource, SourceKind, derive_seed};
pub use store::write_atomic;
