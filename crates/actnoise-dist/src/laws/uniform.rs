//! The centred uniform law.

use burn::tensor::{Device, Distribution, Tensor};

use crate::error::non_negative;
use crate::{Moment, NoiseLaw, Result};

/// Uniform law of width ω, symmetric about 0: U(−ω/2, ω/2).
///
/// Density `p(z) = 1/ω` on `[−ω/2, ω/2]`, 0 elsewhere (ω = 0 is the point mass at 0).
///
/// | parameter | limits |
/// |---|---|
/// | `width` ω | finite, ≥ 0 |
///
/// Mean 0, variance ω²/12, symmetric. Sampled natively on every device
/// (`Distribution::Uniform`; ω = 0 gives exact zeros), and on the host with
/// `rand_distr::Uniform::new_inclusive(−ω/2, ω/2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform {
    width: f64,
}

impl Uniform {
    /// The law's name in configs.
    pub const NAME: &'static str = "uniform";

    /// U(−width/2, width/2); errors unless `width` is finite and ≥ 0.
    pub fn new(width: f64) -> Result<Self> {
        Ok(Self { width: non_negative(Self::NAME, "width", width)? })
    }

    /// The width ω.
    pub fn width(&self) -> f64 {
        self.width
    }
}

impl NoiseLaw for Uniform {
    type Host = rand_distr::Uniform<f64>;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("width={}", self.width)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        if self.width == 0.0 {
            return Tensor::zeros(shape, device);
        }
        let half = self.width / 2.0;
        Tensor::random(shape, Distribution::Uniform(-half, half), device)
    }

    fn host(&self) -> Self::Host {
        let half = self.width / 2.0;
        rand_distr::Uniform::new_inclusive(-half, half).expect("validated by Uniform::new")
    }

    fn mean(&self) -> Moment {
        Moment::Finite(0.0)
    }

    fn variance(&self) -> Moment {
        Moment::Finite(self.width * self.width / 12.0)
    }

    fn is_symmetric(&self) -> bool {
        true
    }
}
