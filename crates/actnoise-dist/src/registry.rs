//! The list of noise laws: the single place that names them all.
//!
//! To add a law, write `src/laws/<law>.rs` (a `Copy` struct with a validating `new`, a getter per
//! parameter and a [`NoiseLaw`](crate::NoiseLaw) impl), re-export it from `src/laws/mod.rs`, and
//! add one arm below. The `laws!` macro (in `law.rs`) derives [`Law`], [`HostLaw`] and the
//! config arm of [`NoiseSpec`] from it.

use crate::law::laws;
use crate::laws::{Cauchy, Chi, Exponential, Gaussian, LogNormal, StudentT, Uniform};

/// Serde default of location parameters.
fn zero() -> f64 {
    0.0
}

/// Serde default of scale and shape parameters.
fn one() -> f64 {
    1.0
}

/// Serde default of `dropout.rescale`.
fn default_true() -> bool {
    true
}

laws! {
    /// Gaussian N(μ, σ²).
    Gaussian(Gaussian) = "gaussian" {
        /// Mean μ (finite; default 0).
        mean = "zero",
        /// Standard deviation σ (finite, > 0; default 1).
        std = "one",
    },
    /// Cauchy(z₀, γ).
    Cauchy(Cauchy) = "cauchy" {
        /// Location z₀ (finite; default 0).
        location = "zero",
        /// Scale γ (finite, > 0; default 1).
        scale = "one",
    },
    /// Student's t with ν degrees of freedom.
    StudentT(StudentT) = "student_t" {
        /// Degrees of freedom ν (finite, > 0; default 1).
        dof = "one",
    },
    /// Uniform on [−ω/2, ω/2].
    Uniform(Uniform) = "uniform" {
        /// Width ω (finite, ≥ 0; default 1).
        width = "one",
    },
    /// Lognormal: exp(N(μ, σ²)).
    LogNormal(LogNormal) = "lognormal" {
        /// Mean μ of the underlying normal (finite; default 0).
        mu = "zero",
        /// Standard deviation σ of the underlying normal (finite, > 0; default 1).
        sigma = "one",
    },
    /// Chi with k degrees of freedom.
    Chi(Chi) = "chi" {
        /// Degrees of freedom k (finite, > 0; default 1).
        k = "one",
    },
    /// Exponential with rate λ.
    Exponential(Exponential) = "exponential" {
        /// Rate λ (finite, > 0; default 1).
        lambda = "one",
    },
}

impl Default for NoiseSpec {
    /// The paper's default: standard Gaussian noise, `{ law = "gaussian", mean = 0, std = 1 }`.
    fn default() -> Self {
        NoiseSpec::Gaussian { mean: 0.0, std: 1.0 }
    }
}
