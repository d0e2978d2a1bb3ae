//! The Cauchy law.

use std::f64::consts::PI;

use burn::tensor::{Device, Tensor};

use crate::device::open_uniform;
use crate::error::{finite, positive};
use crate::{Moment, NoiseLaw, Result};

/// Cauchy law with location z₀ and scale γ.
///
/// Density `p(z) = 1 / (π γ (1 + ((z − z₀)/γ)²))`.
///
/// | parameter | limits |
/// |---|---|
/// | `location` z₀ | finite |
/// | `scale` γ | finite, > 0 |
///
/// Mean and variance are undefined; median z₀; symmetric about 0 when z₀ = 0. On device it is
/// the inverse CDF `z₀ + γ · tan(π(u − ½))` of a uniform `u` clamped to
/// `[UNIFORM_EPS, 1 − UNIFORM_EPS]` (see [`UNIFORM_EPS`](crate::UNIFORM_EPS)), so every draw is
/// finite: `|z − z₀| ≲ 5.3·10⁶ · γ`. On the host: `rand_distr::Cauchy`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cauchy {
    location: f64,
    scale: f64,
}

impl Cauchy {
    /// The law's name in configs.
    pub const NAME: &'static str = "cauchy";

    /// Cauchy(location, scale); errors unless `location` is finite and `scale` is finite and > 0.
    pub fn new(location: f64, scale: f64) -> Result<Self> {
        Ok(Self {
            location: finite(Self::NAME, "location", location)?,
            scale: positive(Self::NAME, "scale", scale)?,
        })
    }

    /// The location z₀ (the median).
    pub fn location(&self) -> f64 {
        self.location
    }

    /// The scale γ (half the interquartile range).
    pub fn scale(&self) -> f64 {
        self.scale
    }
}

impl NoiseLaw for Cauchy {
    type Host = rand_distr::Cauchy<f64>;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("location={},scale={}", self.location, self.scale)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        open_uniform(shape, device)
            .sub_scalar(0.5)
            .mul_scalar(PI)
            .tan()
            .mul_scalar(self.scale)
            .add_scalar(self.location)
    }

    fn host(&self) -> Self::Host {
        rand_distr::Cauchy::new(self.location, self.scale).expect("validated by Cauchy::new")
    }

    fn mean(&self) -> Moment {
        Moment::Undefined
    }

    fn variance(&self) -> Moment {
        Moment::Undefined
    }

    fn is_symmetric(&self) -> bool {
        self.location == 0.0
    }
}
