//! The Gaussian law.

use burn::tensor::{Device, Distribution, Tensor};

use crate::error::{finite, positive};
use crate::{Moment, NoiseLaw, Result};

/// Gaussian law N(μ, σ²), the paper's default activation noise.
///
/// Density `p(z) = exp(−(z − μ)² / (2σ²)) / (σ √(2π))`.
///
/// | parameter | limits |
/// |---|---|
/// | `mean` μ | finite |
/// | `std` σ | finite, > 0 |
///
/// Mean μ, variance σ²; symmetric about 0 when μ = 0. Sampled natively on every device
/// (`Distribution::Normal`), and on the host with `rand_distr::Normal`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gaussian {
    mean: f64,
    std: f64,
}

impl Gaussian {
    /// The law's name in configs.
    pub const NAME: &'static str = "gaussian";

    /// N(mean, std²); errors unless `mean` is finite and `std` is finite and > 0.
    pub fn new(mean: f64, std: f64) -> Result<Self> {
        Ok(Self { mean: finite(Self::NAME, "mean", mean)?, std: positive(Self::NAME, "std", std)? })
    }

    /// The mean μ (the same value as [`NoiseLaw::mean`], as a plain `f64`).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The standard deviation σ.
    pub fn std(&self) -> f64 {
        self.std
    }
}

impl NoiseLaw for Gaussian {
    type Host = rand_distr::Normal<f64>;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("mean={},std={}", self.mean, self.std)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::random(shape, Distribution::Normal(self.mean, self.std), device)
    }

    fn host(&self) -> Self::Host {
        rand_distr::Normal::new(self.mean, self.std).expect("validated by Gaussian::new")
    }

    fn mean(&self) -> Moment {
        Moment::Finite(self.mean)
    }

    fn variance(&self) -> Moment {
        Moment::Finite(self.std * self.std)
    }

    fn is_symmetric(&self) -> bool {
        self.mean == 0.0
    }
}
