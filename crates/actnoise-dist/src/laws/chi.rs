//! The chi law.

use burn::tensor::{Device, Tensor};
use rand::Rng;
use rand_distr::{ChiSquared, Distribution};

use crate::device::gamma;
use crate::error::positive;
use crate::{Moment, NoiseLaw, Result};

/// Chi law with k degrees of freedom: `z = √(χ²_k)`, the norm of k standard normals.
///
/// Density `p(z) = z^(k−1) exp(−z²/2) / (2^(k/2 − 1) Γ(k/2))` for z ≥ 0.
///
/// | parameter | limits |
/// |---|---|
/// | `k` | finite, > 0 (need not be an integer) |
///
/// Mean `m = √2 · Γ((k+1)/2) / Γ(k/2)`, variance `k − m²`; not symmetric. On device:
/// `√(2 · Gamma(k/2))` with the Marsaglia–Tsang sampler (see
/// [`GAMMA_MAX_ROUNDS`](crate::GAMMA_MAX_ROUNDS)). On the host: `√` of a `rand_distr::ChiSquared`
/// draw ([`ChiHost`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi {
    k: f64,
}

impl Chi {
    /// The law's name in configs.
    pub const NAME: &'static str = "chi";

    /// Chi with `k` degrees of freedom; errors unless `k` is finite and > 0.
    pub fn new(k: f64) -> Result<Self> {
        Ok(Self { k: positive(Self::NAME, "k", k)? })
    }

    /// The degrees of freedom k.
    pub fn k(&self) -> f64 {
        self.k
    }

    fn mean_value(&self) -> f64 {
        std::f64::consts::SQRT_2
            * (libm::lgamma((self.k + 1.0) / 2.0) - libm::lgamma(self.k / 2.0)).exp()
    }
}

/// Host sampler of the chi law: the square root of a `rand_distr::ChiSquared` draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiHost(ChiSquared<f64>);

impl Distribution<f64> for ChiHost {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.0.sample(rng).sqrt()
    }
}

impl NoiseLaw for Chi {
    type Host = ChiHost;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("k={}", self.k)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        gamma(shape, self.k / 2.0, device).mul_scalar(2.0).sqrt()
    }

    fn host(&self) -> Self::Host {
        ChiHost(ChiSquared::new(self.k).expect("validated by Chi::new"))
    }

    fn mean(&self) -> Moment {
        Moment::Finite(self.mean_value())
    }

    fn variance(&self) -> Moment {
        let m = self.mean_value();
        Moment::Finite((self.k - m * m).max(0.0))
    }

    fn is_symmetric(&self) -> bool {
        false
    }
}
