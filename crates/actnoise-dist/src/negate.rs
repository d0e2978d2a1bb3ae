//! Negate-noise and dropout (the paper's Proposition 1 and Fig. 2).

use burn::tensor::{Bool, Device, Distribution, Tensor};

use crate::Result;
use crate::error::probability;

/// Negate-noise: for each neuron independently, with probability `p`, the noise is `z = −s`
/// where `s` is the neuron's own signal, and `z = 0` otherwise.
///
/// So `s + z` is `0` where the mask fires and `s` elsewhere: negate-noise *is* dropout without
/// the `1/(1 − p)` rescale (Proposition 1 of the paper), which makes dropout a special case of
/// activation noise. Unlike the additive laws, the noise depends on the signal, so it is built
/// in two steps: [`mask_device`](Self::mask_device) draws the Bernoulli mask and
/// [`noise`](Self::noise) turns a signal and a mask into `z`; [`apply`](Self::apply) does both
/// and returns `s + z`.
///
/// | parameter | limits |
/// |---|---|
/// | `p` | in `[0, 1]` (NaN rejected) |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Negate {
    p: f64,
}

impl Negate {
    /// The law's name in configs.
    pub const NAME: &'static str = "negate";

    /// Negate-noise that fires with probability `p`; errors unless `0 ≤ p ≤ 1`.
    pub fn new(p: f64) -> Result<Self> {
        Ok(Self { p: probability(Self::NAME, "p", p)? })
    }

    /// The probability that a neuron is negated (dropped).
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Bernoulli(p) mask drawn on device (true = neuron dropped).
    ///
    /// Drawn as `u < p` with `u ~ U[0, 1)` from the device's generator; `p = 0` gives an
    /// all-false and `p = 1` an all-true mask without drawing.
    pub fn mask_device<const D: usize>(
        &self,
        shape: [usize; D],
        device: &Device,
    ) -> Tensor<D, Bool> {
        if self.p == 0.0 {
            Tensor::full(shape, false, device)
        } else if self.p == 1.0 {
            Tensor::full(shape, true, device)
        } else {
            Tensor::<D>::random(shape, Distribution::Default, device).lower_elem(self.p)
        }
    }

    /// The negate noise z: −s where mask, 0 elsewhere.
    ///
    /// `signal` and `mask` have the same shape; so does the result.
    pub fn noise<const D: usize>(signal: &Tensor<D>, mask: Tensor<D, Bool>) -> Tensor<D> {
        signal.zeros_like().mask_where(mask, signal.clone().neg())
    }

    /// `s + z` with a fresh mask drawn on the signal's device: the signal with each neuron
    /// zeroed with probability `p`.
    pub fn apply<const D: usize>(&self, signal: Tensor<D>) -> Tensor<D> {
        let mask = self.mask_device(signal.dims(), &signal.device());
        let noise = Self::noise(&signal, mask);
        signal.add(noise)
    }
}

/// Plain dropout of `signal` with a given mask (true = dropped), for the Fig. 2 comparison.
///
/// Dropped entries become 0. With `rescale`, kept entries are multiplied by `1/(1 − p)`
/// (inverted dropout, so the expectation is unchanged); without it they are left as they are,
/// which is exactly `s + z` for [`Negate`] noise with the same mask. `p` is only used for the
/// rescale: it should be the probability the mask was drawn with (validated by
/// [`NoiseKind::dropout`](crate::NoiseKind::dropout)). With `rescale` and `p ≥ 1` (or NaN) the
/// factor would be infinite; the result is then all zeros, as if every neuron were dropped.
///
/// `signal` and `mask` have the same shape; so does the result.
pub fn dropout<const D: usize>(
    signal: Tensor<D>,
    mask: Tensor<D, Bool>,
    p: f64,
    rescale: bool,
) -> Tensor<D> {
    let kept = signal.mask_fill(mask, 0.0);
    if !rescale || p == 0.0 {
        kept
    } else if p < 1.0 {
        kept.mul_scalar(1.0 / (1.0 - p))
    } else {
        kept.zeros_like()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
    }

    #[test]
    fn negate_rejects_out_of_range_p() {
        for bad in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            assert!(Negate::new(bad).is_err(), "{bad}");
        }
        for good in [0.0, 0.3, 1.0] {
            assert_eq!(Negate::new(good).unwrap().p(), good);
        }
    }

    #[test]
    fn negate_noise_cancels_the_signal_where_masked() {
        let device = Device::flex();
        let s = Tensor::<1>::from_floats([1.0, -2.0, 3.5, 0.25], &device);
        let mask = Tensor::<1, Bool>::from_data([true, false, true, false], &device);
        let z = Negate::noise(&s, mask.clone());
        assert_eq!(values(z.clone()), vec![-1.0, 0.0, -3.5, 0.0]);
        assert_eq!(values(s.clone().add(z)), vec![0.0, -2.0, 0.0, 0.25]);
        assert_eq!(
            values(dropout(s.clone(), mask.clone(), 0.5, false)),
            vec![0.0, -2.0, 0.0, 0.25]
        );
        assert_eq!(values(dropout(s.clone(), mask.clone(), 0.5, true)), vec![0.0, -4.0, 0.0, 0.5]);
        assert_eq!(values(dropout(s, mask, 1.0, true)), vec![0.0; 4]);
    }

    #[test]
    fn negate_mask_frequency_matches_p() {
        let device = Device::flex();
        let n = 20_000;
        let mask = Negate::new(0.3).unwrap().mask_device([n], &device);
        let fired = mask.int().sum().into_scalar::<i64>() as f64 / n as f64;
        // Binomial sd √(0.3·0.7/n) ≈ 0.0032; 5 sd.
        assert!((fired - 0.3).abs() < 0.017, "{fired}");
    }
}
