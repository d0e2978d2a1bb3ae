//! The lognormal law.

use burn::tensor::{Device, Tensor};

use crate::device::{MAX_EXP_ARG, standard_normal};
use crate::error::{finite, positive};
use crate::{Moment, NoiseLaw, Result};

/// Lognormal law: `z = exp(y)` with `y ~ N(μ, σ²)`.
///
/// Density `p(z) = exp(−(ln z − μ)² / (2σ²)) / (z σ √(2π))` for z > 0.
///
/// | parameter | limits |
/// |---|---|
/// | `mu` μ | finite |
/// | `sigma` σ | finite, > 0 |
///
/// Mean `exp(μ + σ²/2)`, variance `(exp(σ²) − 1) · exp(2μ + σ²)` (these overflow `f64` to
/// `Finite(inf)` once 2μ + σ² ≳ 709); not symmetric. On device: `exp(min(μ + σN, 88))`, so draws
/// never exceed `e⁸⁸ ≈ 1.65·10³⁸` (finite in `f32`). On the host: `rand_distr::LogNormal`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    mu: f64,
    sigma: f64,
}

impl LogNormal {
    /// The law's name in configs.
    pub const NAME: &'static str = "lognormal";

    /// exp(N(mu, sigma²)); errors unless `mu` is finite and `sigma` is finite and > 0.
    pub fn new(mu: f64, sigma: f64) -> Result<Self> {
        Ok(Self { mu: finite(Self::NAME, "mu", mu)?, sigma: positive(Self::NAME, "sigma", sigma)? })
    }

    /// The mean μ of `ln z`.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The standard deviation σ of `ln z`.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
}

impl NoiseLaw for LogNormal {
    type Host = rand_distr::LogNormal<f64>;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("mu={},sigma={}", self.mu, self.sigma)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        standard_normal(shape, device)
            .mul_scalar(self.sigma)
            .add_scalar(self.mu)
            .clamp_max(MAX_EXP_ARG)
            .exp()
    }

    fn host(&self) -> Self::Host {
        rand_distr::LogNormal::new(self.mu, self.sigma).expect("validated by LogNormal::new")
    }

    fn mean(&self) -> Moment {
        Moment::Finite((self.mu + self.sigma * self.sigma / 2.0).exp())
    }

    fn variance(&self) -> Moment {
        let s2 = self.sigma * self.sigma;
        Moment::Finite(s2.exp_m1() * (2.0 * self.mu + s2).exp())
    }

    fn is_symmetric(&self) -> bool {
        false
    }
}
