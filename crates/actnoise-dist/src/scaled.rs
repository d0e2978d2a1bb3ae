//! Additive activation noise with its scale α (and optional mean-centring).

use burn::tensor::{Device, Tensor};
use rand::{Rng, RngCore, SeedableRng};
use rand_distr::Distribution;
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};
use rayon::prelude::*;

use crate::{Law, Moment, NoiseError, NoiseLaw, Result};

/// Number of `f32` values [`ScaledNoise::fill_host`] draws from one generator.
///
/// The output is cut into chunks of this size; chunk `i` gets its own Xoshiro256++ generator
/// seeded from `(seed, stream, i)`, so the output depends only on `(seed, stream)` and the law,
/// never on how many threads fill it. Changing this constant changes the numbers.
pub const FILL_CHUNK: usize = 1 << 14;

/// Additive activation noise: α · (z − E\[z\] if centered), z ~ law.
///
/// The paper adds `α · z` after every activation; α is configured separately from the law.
/// `centered` is an option the paper does not have: it subtracts the law's mean so asymmetric
/// laws (lognormal, chi, exponential) add zero-mean noise. Fields are public for convenience;
/// [`ScaledNoise::new`] is the validating constructor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaledNoise {
    /// The law of `z`.
    pub law: Law,
    /// The scale α (finite, ≥ 0; 0 means no noise).
    pub alpha: f64,
    /// Subtract E\[z\] before scaling.
    pub centered: bool,
}

impl ScaledNoise {
    /// Validated scaled noise: `alpha` finite and ≥ 0; `centered` needs a law with a finite mean
    /// (not Cauchy, not Student's t with ν ≤ 1).
    pub fn new(law: Law, alpha: f64, centered: bool) -> Result<Self> {
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(NoiseError::InvalidAlpha { value: alpha });
        }
        if centered {
            let mean = law.mean();
            if mean.finite().is_none() {
                return Err(NoiseError::NoFiniteMean {
                    law: law.name(),
                    params: law.params(),
                    mean: mean.to_string(),
                });
            }
        }
        Ok(Self { law, alpha, centered })
    }

    /// The value subtracted from `z` before scaling: E\[z\] when centred, else 0.
    pub fn offset(&self) -> f64 {
        match (self.centered, self.law.mean()) {
            (true, Moment::Finite(mean)) => mean,
            _ => 0.0,
        }
    }

    /// The mean of the scaled noise α · (E\[z\] − offset).
    pub fn mean(&self) -> Moment {
        if self.alpha == 0.0 {
            return Moment::Finite(0.0);
        }
        match self.law.mean() {
            Moment::Finite(mean) => Moment::Finite(self.alpha * (mean - self.offset())),
            other => other,
        }
    }

    /// The variance of the scaled noise α² · Var\[z\].
    pub fn variance(&self) -> Moment {
        if self.alpha == 0.0 {
            return Moment::Finite(0.0);
        }
        match self.law.variance() {
            Moment::Finite(var) => Moment::Finite(self.alpha * self.alpha * var),
            other => other,
        }
    }

    /// A tensor of shape `shape` on `device` of α · (z − offset); α = 0 gives exact zeros
    /// without drawing.
    pub fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D> {
        if self.alpha == 0.0 {
            return Tensor::zeros(shape, device);
        }
        let mut z = self.law.sample_device(shape, device);
        let offset = self.offset();
        if offset != 0.0 {
            z = z.sub_scalar(offset);
        }
        if self.alpha != 1.0 {
            z = z.mul_scalar(self.alpha);
        }
        z
    }

    /// One host draw of α · (z − offset) (α = 0 gives exactly 0).
    pub fn sample_host<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if self.alpha == 0.0 {
            return 0.0;
        }
        self.alpha * (self.law.sample_host(rng) - self.offset())
    }

    /// Fast, deterministic host fill (the speed lever for CPU backends): fills `out` with
    /// α · (z − offset), identical output for the same `(seed, stream)` whatever the number
    /// of threads.
    ///
    /// `out` is cut into chunks of [`FILL_CHUNK`] values; chunk `i` draws from its own
    /// `Xoshiro256PlusPlus` generator seeded (through SplitMix64) from `(seed, stream, i)`, and
    /// chunks are filled in parallel with rayon. Values are computed in `f64` with the law's
    /// `rand_distr` sampler, clamped to the finite `f32` range, then rounded to `f32`. α = 0
    /// fills exact zeros. Use distinct `stream`s for independent noise from one seed (e.g. one per
    /// layer or per draw).
    pub fn fill_host(&self, seed: u64, stream: u64, out: &mut [f32]) {
        if self.alpha == 0.0 {
            out.fill(0.0);
            return;
        }
        let host = self.law.host();
        let alpha = self.alpha;
        let offset = self.offset();
        let max = f64::from(f32::MAX);
        out.par_chunks_mut(FILL_CHUNK).enumerate().for_each(|(chunk, values)| {
            let mut rng = chunk_rng(seed, stream, chunk as u64);
            for value in values {
                let z = host.sample(&mut rng);
                *value = (alpha * (z - offset)).clamp(-max, max) as f32;
            }
        });
    }
}

/// The generator of chunk `chunk` of stream `stream` under `seed`.
fn chunk_rng(seed: u64, stream: u64, chunk: u64) -> Xoshiro256PlusPlus {
    let key =
        SplitMix64::seed_from_u64(seed).next_u64() ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let key = SplitMix64::seed_from_u64(key).next_u64() ^ chunk.wrapping_mul(0xD1B5_4A32_D192_ED03);
    Xoshiro256PlusPlus::seed_from_u64(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cauchy, Exponential, Gaussian, StudentT};

    #[test]
    fn scaled_noise_validates_alpha_and_centring() {
        let g = Law::from(Gaussian::new(0.0, 1.0).unwrap());
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                ScaledNoise::new(g, bad, false),
                Err(NoiseError::InvalidAlpha { .. })
            ));
        }
        let c = Law::from(Cauchy::new(0.0, 1.0).unwrap());
        let err = ScaledNoise::new(c, 1.0, true).unwrap_err();
        assert!(
            err.to_string().contains("cauchy") && err.to_string().contains("undefined"),
            "{err}"
        );
        assert!(ScaledNoise::new(Law::from(StudentT::new(1.0).unwrap()), 1.0, true).is_err());
        assert!(ScaledNoise::new(Law::from(StudentT::new(1.5).unwrap()), 1.0, true).is_ok());
        assert!(ScaledNoise::new(c, 1.0, false).is_ok());
    }

    #[test]
    fn centred_exponential_has_zero_mean() {
        let e = Law::from(Exponential::new(2.0).unwrap());
        let noise = ScaledNoise::new(e, 3.0, true).unwrap();
        assert_eq!(noise.offset(), 0.5);
        assert_eq!(noise.mean(), Moment::Finite(0.0));
        assert_eq!(noise.variance(), Moment::Finite(9.0 / 4.0));
        let mut out = vec![0.0f32; 50_000];
        noise.fill_host(1, 0, &mut out);
        let mean = out.iter().map(|&x| f64::from(x)).sum::<f64>() / out.len() as f64;
        // sd of the mean: 1.5/√50000 ≈ 0.0067
        assert!(mean.abs() < 0.035, "{mean}");
    }

    #[test]
    fn fill_host_streams_and_seeds_differ() {
        let g = ScaledNoise::new(Law::from(Gaussian::new(0.0, 1.0).unwrap()), 1.0, false).unwrap();
        let mut a = vec![0.0f32; 64];
        let mut b = vec![0.0f32; 64];
        let mut c = vec![0.0f32; 64];
        g.fill_host(7, 0, &mut a);
        g.fill_host(7, 1, &mut b);
        g.fill_host(8, 0, &mut c);
        assert_ne!(a, b);
        assert_ne!(a, c);
        let mut again = vec![0.0f32; 64];
        g.fill_host(7, 0, &mut again);
        assert_eq!(a, again);
    }
}
