//! The validated noise kinds a config can name.

use crate::error::probability;
use crate::{Law, Negate, NoiseError, Result};

/// What a config names: additive law, negate, dropout or nothing.
///
/// Built from a [`NoiseSpec`](crate::NoiseSpec) with `NoiseKind::try_from(spec)`, which
/// validates every parameter, so holding a `NoiseKind` means the config was good.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoiseKind {
    /// No noise: the deterministic path.
    Off,
    /// Additive noise `z` drawn from a law (scaled by α at the point of use; see
    /// [`ScaledNoise`](crate::ScaledNoise)).
    Additive(Law),
    /// Negate-noise: `z = −s` with probability `p` per neuron.
    Negate(Negate),
    /// Plain dropout with drop probability `p`, optionally rescaled by `1/(1 − p)`.
    Dropout {
        /// Drop probability in `[0, 1]` (`< 1` when `rescale`).
        p: f64,
        /// Multiply kept activations by `1/(1 − p)`.
        rescale: bool,
    },
}

impl NoiseKind {
    /// Validated dropout: `p` in `[0, 1]`, and `p < 1` when `rescale` (the factor `1/(1 − p)`
    /// must be finite).
    pub fn dropout(p: f64, rescale: bool) -> Result<Self> {
        let p = probability("dropout", "p", p)?;
        if rescale && p >= 1.0 {
            return Err(NoiseError::InvalidParameter {
                law: "dropout",
                param: "p",
                value: p,
                requirement: "< 1 when rescale = true (the rescale factor is 1/(1 - p))",
            });
        }
        Ok(NoiseKind::Dropout { p, rescale })
    }

    /// The config tag: `"none"`, a law's name, `"negate"` or `"dropout"`.
    pub fn label(&self) -> &'static str {
        match self {
            NoiseKind::Off => "none",
            NoiseKind::Additive(law) => crate::NoiseLaw::name(law),
            NoiseKind::Negate(_) => Negate::NAME,
            NoiseKind::Dropout { .. } => "dropout",
        }
    }
}

impl From<Law> for NoiseKind {
    fn from(law: Law) -> Self {
        NoiseKind::Additive(law)
    }
}

impl From<Negate> for NoiseKind {
    fn from(negate: Negate) -> Self {
        NoiseKind::Negate(negate)
    }
}
