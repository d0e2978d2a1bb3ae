//! The exponential law.

use burn::tensor::{Device, Tensor};

use crate::device::open_uniform;
use crate::error::positive;
use crate::{Moment, NoiseLaw, Result};

/// Exponential law with rate λ.
///
/// Density `p(z) = λ exp(−λz)` for z ≥ 0.
///
/// | parameter | limits |
/// |---|---|
/// | `lambda` λ | finite, > 0 |
///
/// Mean 1/λ, variance 1/λ²; not symmetric. On device: the inverse CDF `−ln(u)/λ` of a uniform
/// `u` clamped to `[UNIFORM_EPS, 1 − UNIFORM_EPS]` (see [`UNIFORM_EPS`](crate::UNIFORM_EPS)), so
/// draws lie in `[6·10⁻⁸/λ, 16.64/λ]`. On the host: `rand_distr::Exp`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponential {
    lambda: f64,
}

impl Exponential {
    /// The law's name in configs.
    pub const NAME: &'static str = "exponential";

    /// Exponential with rate `lambda`; errors unless `lambda` is finite and > 0.
    pub fn new(lambda: f64) -> Result<Self> {
        Ok(Self { lambda: positive(Self::NAME, "lambda", lambda)? })
    }

    /// The rate λ.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
}

impl NoiseLaw for Exponential {
    type Host = rand_distr::Exp<f64>;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("lambda={}", self.lambda)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        open_uniform(shape, device).log().neg().div_scalar(self.lambda)
    }

    fn host(&self) -> Self::Host {
        rand_distr::Exp::new(self.lambda).expect("validated by Exponential::new")
    }

    fn mean(&self) -> Moment {
        Moment::Finite(1.0 / self.lambda)
    }

    fn variance(&self) -> Moment {
        Moment::Finite(1.0 / (self.lambda * self.lambda))
    }

    fn is_symmetric(&self) -> bool {
        false
    }
}
