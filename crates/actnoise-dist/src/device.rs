//! Device-side building blocks shared by the laws: open uniforms, standard normals and a
//! vectorised Gamma sampler (Marsaglia–Tsang).
//!
//! Burn samples `Uniform`, `Normal` and `Bernoulli` natively on every backend; everything else
//! is built from those with element-wise tensor operations, so it runs on whatever backend the
//! [`Device`] names. The bounds below are chosen for `f32` (and hold for `f64`) tensors.

use burn::tensor::{Bool, Device, Distribution, IndexingUpdateOp, Int, Tensor};

/// Uniform draws are clamped to `[UNIFORM_EPS, 1 − UNIFORM_EPS]` before an inverse-CDF
/// transform, so heavy tails stay finite.
///
/// `UNIFORM_EPS` = 2⁻²⁴ ≈ 5.96·10⁻⁸ is the spacing of `f32` uniforms on `[0, 1)` (so
/// `1 − UNIFORM_EPS` is exactly representable). It caps the Cauchy law at
/// `|z − location| ≤ scale · tan(π(½ − ε)) ≈ 5.3·10⁶ · scale` (f32 rounding of the angle near π/2
/// can stretch that to at most ≈ 2.3·10⁷ · scale), and the exponential law at
/// `z ≤ −ln ε / λ ≈ 16.64 / λ`; both truncate a tail mass of about 6·10⁻⁸.
pub const UNIFORM_EPS: f64 = 5.960_464_477_539_063e-8;

/// Smallest normal `f32` (≈ 1.18·10⁻³⁸): device Gamma draws are clamped to at least this, so
/// Student's t (`N / √(χ²/ν)`) stays finite (`|t| ≤ |N| · √(ν / (2 · 1.18·10⁻³⁸))`) even for tiny ν.
pub const MIN_POSITIVE_F32: f64 = f32::MIN_POSITIVE as f64;

/// Largest exponent fed to `exp` on device (`e⁸⁸ ≈ 1.65·10³⁸ < f32::MAX`): the lognormal law's
/// device samples are `exp(min(μ + σN, 88))`, so they never overflow to +∞.
pub(crate) const MAX_EXP_ARG: f64 = 88.0;

/// Cap on the rejection rounds of the device Gamma sampler.
///
/// The first round proposes a value for every element and accepts, element by element, those
/// that pass the Marsaglia–Tsang test (acceptance ≥ 95 % for every shape ≥ 1, which is all the
/// sampler uses); each later round proposes only for the elements still pending (their indices
/// are read back, so a round costs one device sync) and scatters the accepted values into
/// place. The chance that one element is still pending after 32 rounds is below
/// 0.05³² ≈ 2·10⁻⁴², so the cap is never reached in practice; if it were, the pending elements
/// would take the value `d = a − ⅓` (the approximate median of Gamma(a)) and a `tracing`
/// warning would be logged.
pub const GAMMA_MAX_ROUNDS: usize = 32;

/// Uniform draws on `[UNIFORM_EPS, 1 − UNIFORM_EPS]`.
pub(crate) fn open_uniform<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Default, device).clamp(UNIFORM_EPS, 1.0 - UNIFORM_EPS)
}

/// Standard normal draws.
pub(crate) fn standard_normal<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// Gamma(shape `a`, scale 1) draws, `a` finite and > 0, clamped below at [`MIN_POSITIVE_F32`].
///
/// Marsaglia & Tsang (2000), "A simple method for generating gamma variables": with
/// `d = a − ⅓`, `c = 1/√(9d)`, `x ~ N(0,1)`, `v = (1 + c·x)³`, `u ~ U(0,1)`, accept `d·v` when
/// `v > 0` and `ln u < x²/2 + d − d·v + d·ln v`. For `a < 1` it samples Gamma(a + 1) and
/// multiplies by `U^(1/a)`. Rejected elements are redrawn in rounds (see
/// [`GAMMA_MAX_ROUNDS`]).
pub(crate) fn gamma<const D: usize>(shape: [usize; D], a: f64, device: &Device) -> Tensor<D> {
    let n: usize = shape.iter().product();
    if n == 0 {
        return Tensor::zeros(shape, device);
    }
    let boost = a < 1.0;
    let a1 = if boost { a + 1.0 } else { a };
    let proposal = MarsagliaTsang::new(a1);

    let (mut out, accept) = proposal.round(n, device);
    let mut pending = pending_indices(accept);
    let mut rounds = 1;
    while pending.dims()[0] > 0 {
        let m = pending.dims()[0];
        if rounds == GAMMA_MAX_ROUNDS {
            tracing::warn!(
                shape = a,
                pending = m,
                rounds,
                "device Gamma sampler hit its round cap; pending elements take d = a - 1/3"
            );
            let fallback = Tensor::full([m], proposal.d, device);
            out = out.select_assign(0, pending, fallback, IndexingUpdateOp::Add);
            break;
        }
        let (values, accept) = proposal.round(m, device);
        out = out.select_assign(0, pending.clone(), values, IndexingUpdateOp::Add);
        pending = pending.select(0, pending_indices(accept));
        rounds += 1;
    }

    let mut out = out.reshape(shape);
    if boost {
        // U^(1/a) = exp(ln U / a)
        out = out.mul(open_uniform(shape, device).log().div_scalar(a).exp());
    }
    out.clamp_min(MIN_POSITIVE_F32)
}

/// Indices of the `false` entries of a 1-D acceptance mask (reads the mask back).
fn pending_indices(accept: Tensor<1, Bool>) -> Tensor<1, Int> {
    let indices = accept.bool_not().argwhere(); // [pending, 1]
    let pending = indices.dims()[0];
    indices.reshape([pending])
}

/// The Marsaglia–Tsang proposal for Gamma(a), a ≥ 1.
struct MarsagliaTsang {
    d: f64,
    c: f64,
}

impl MarsagliaTsang {
    fn new(a: f64) -> Self {
        let d = a - 1.0 / 3.0;
        Self { d, c: 1.0 / (9.0 * d).sqrt() }
    }

    /// One round on `n` elements: the accepted values (0 where rejected) and the acceptance
    /// mask.
    ///
    /// The test `ln u < x²/2 + d − d·v + d·ln v` is evaluated as
    /// `x²/2 + d·(3·(ln(1+w) − w) − 3w² − w³)` with `w = c·x`, which avoids the cancellation of
    /// `d − d·v + d·ln v` in `f32` when `d` is large.
    fn round(&self, n: usize, device: &Device) -> (Tensor<1>, Tensor<1, Bool>) {
        let (d, c) = (self.d, self.c);
        let x = standard_normal([n], device);
        let u = open_uniform([n], device);
        let w = x.clone().mul_scalar(c);
        let in_domain = w.clone().greater_elem(-1.0);
        // ln(1 + w) with w kept inside the log's domain; rejected below where w <= -1.
        let log1p_w = w.clone().clamp_min(-1.0 + 1e-6).log1p();
        let w2 = w.clone().square();
        let w3 = w2.clone().mul(w.clone());
        let tail = log1p_w.sub(w.clone()).mul_scalar(3.0).sub(w2.mul_scalar(3.0)).sub(w3);
        let bound = x.square().mul_scalar(0.5).add(tail.mul_scalar(d));
        let accept = u.log().lower(bound).bool_and(in_domain);
        let one_plus_w = w.add_scalar(1.0);
        let value = one_plus_w.clone().square().mul(one_plus_w).mul_scalar(d);
        (value.mask_fill(accept.clone().bool_not(), 0.0), accept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
    }

    #[test]
    fn open_uniform_stays_inside_bounds() {
        let device = Device::flex();
        let u = values(open_uniform([4096], &device));
        let lo = UNIFORM_EPS as f32;
        let hi = (1.0 - UNIFORM_EPS) as f32;
        assert!(u.iter().all(|&x| (lo..=hi).contains(&x)));
        assert!(hi < 1.0);
    }

    #[test]
    fn gamma_of_an_empty_shape_is_empty() {
        let device = Device::flex();
        assert_eq!(gamma([0, 3], 2.0, &device).dims(), [0, 3]);
    }

    #[test]
    fn gamma_is_positive_and_finite_for_tiny_and_large_shapes() {
        let device = Device::flex();
        for a in [1e-3, 0.5, 1.0, 7.5, 1e5] {
            let g = values(gamma([32, 64], a, &device));
            assert!(g.iter().all(|x| x.is_finite() && *x > 0.0), "shape {a}");
            let mean = g.iter().map(|&x| f64::from(x)).sum::<f64>() / g.len() as f64;
            // Gamma(a) has mean a and sd √a; 2048 draws put the sample mean within 5·√(a/2048).
            assert!((mean - a).abs() < 5.0 * (a / 2048.0).sqrt() + 1e-3, "shape {a}: mean {mean}");
        }
    }
}
