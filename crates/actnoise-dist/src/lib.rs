#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod device;
mod error;
mod law;
mod laws;
mod moment;
mod negate;
mod registry;
mod scaled;
mod spec;

pub use burn::tensor::Device;
pub use device::{GAMMA_MAX_ROUNDS, MIN_POSITIVE_F32, UNIFORM_EPS};
pub use error::{NoiseError, Result};
pub use law::NoiseLaw;
pub use laws::{Cauchy, Chi, ChiHost, Exponential, Gaussian, LogNormal, StudentT, Uniform};
pub use moment::Moment;
pub use negate::{Negate, dropout};
pub use registry::{HostLaw, Law, NoiseSpec};
pub use scaled::{FILL_CHUNK, ScaledNoise};
pub use spec::NoiseKind;
