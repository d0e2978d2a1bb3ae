//! Student's t law.

use burn::tensor::{Device, Tensor};

use crate::device::{MIN_POSITIVE_F32, gamma, standard_normal};
use crate::error::positive;
use crate::{Moment, NoiseLaw, Result};

/// Student's t law with ν degrees of freedom (standard: location 0, scale 1).
///
/// Density `p(z) = Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + z²/ν)^(−(ν+1)/2)`.
///
/// | parameter | limits |
/// |---|---|
/// | `dof` ν | finite, > 0 |
///
/// Mean 0 for ν > 1, undefined otherwise; variance ν/(ν − 2) for ν > 2, infinite for
/// 1 < ν ≤ 2, undefined for ν ≤ 1. Symmetric about 0. ν = 1 is the standard Cauchy law.
///
/// On device: `N / √(χ²_ν / ν)` with `N ~ N(0,1)` and `χ²_ν = 2 · Gamma(ν/2)` drawn by the
/// Marsaglia–Tsang sampler (see [`GAMMA_MAX_ROUNDS`](crate::GAMMA_MAX_ROUNDS)); `χ²_ν / ν` is
/// clamped below at [`MIN_POSITIVE_F32`](crate::MIN_POSITIVE_F32), so every draw is finite
/// (`|z| ≤ 9.2·10¹⁸ · |N|`; this only bites for ν ≪ 1). On the host: `rand_distr::StudentT`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudentT {
    dof: f64,
}

impl StudentT {
    /// The law's name in configs.
    pub const NAME: &'static str = "student_t";

    /// Student's t with `dof` degrees of freedom; errors unless `dof` is finite and > 0.
    pub fn new(dof: f64) -> Result<Self> {
        Ok(Self { dof: positive(Self::NAME, "dof", dof)? })
    }

    /// The degrees of freedom ν.
    pub fn dof(&self) -> f64 {
        self.dof
    }
}

impl NoiseLaw for StudentT {
    type Host = rand_distr::StudentT<f64>;

    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn params(&self) -> String {
        format!("dof={}", self.dof)
    }

    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        let chi2_over_dof = gamma(shape, self.dof / 2.0, device)
            .mul_scalar(2.0 / self.dof)
            .clamp_min(MIN_POSITIVE_F32);
        standard_normal(shape, device).div(chi2_over_dof.sqrt())
    }

    fn host(&self) -> Self::Host {
        rand_distr::StudentT::new(self.dof).expect("validated by StudentT::new")
    }

    fn mean(&self) -> Moment {
        if self.dof > 1.0 { Moment::Finite(0.0) } else { Moment::Undefined }
    }

    fn variance(&self) -> Moment {
        if self.dof > 2.0 {
            Moment::Finite(self.dof / (self.dof - 2.0))
        } else if self.dof > 1.0 {
            Moment::Infinite
        } else {
            Moment::Undefined
        }
    }

    fn is_symmetric(&self) -> bool {
        true
    }
}
