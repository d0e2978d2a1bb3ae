use std::fmt;
use std::str::FromStr;

use actnoise_dist::{Negate, NoiseKind, ScaledNoise};
use serde::{Deserialize, Serialize};

use crate::{NnError, Result};

/// Which layers carry noise (Appendix D of the paper). Layers are numbered from 1: with the
/// paper's model, 1–3 are the encoder, 4–6 the decoder, and 6 is the output layer.
///
/// In configs a placement is a string: `full`, `full-except-output`, `odd`, `even`,
/// `encoder`, `decoder`, or `layers:1,3,5`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(try_from = "String", into = "String")]
pub enum Placement {
    /// Every layer, the output layer included (the paper's default, "n-full").
    #[default]
    Full,
    /// Every layer but the output layer: the output layer's noise only adds a
    /// class-independent term to the energy.
    FullExceptOutput,
    /// Layers 1, 3, 5, … ("n-odd").
    Odd,
    /// Layers 2, 4, 6, … ("n-even").
    Even,
    /// The encoder layers ("n-enc").
    Encoder,
    /// The decoder layers, the output layer included ("n-dec").
    Decoder,
    /// An explicit list of 1-based layer numbers.
    Layers(Vec<usize>),
}

impl Placement {
    /// Which of `num_layers` layers are noised.
    pub fn mask(&self, num_layers: usize) -> Result<Vec<bool>> {
        let half = num_layers / 2;
        let mask = (1..=num_layers)
            .map(|l| match self {
                Placement::Full => true,
                Placement::FullExceptOutput => l != num_layers,
                Placement::Odd => l % 2 == 1,
                Placement::Even => l % 2 == 0,
                Placement::Encoder => l <= half,
                Placement::Decoder => l > half,
                Placement::Layers(list) => list.contains(&l),
            })
            .collect();
        if let Placement::Layers(list) = self
            && let Some(bad) = list.iter().find(|&&l| l == 0 || l > num_layers)
        {
            return Err(NnError::Plan(format!(
                "placement `{self}` names layer {bad}, but the model has layers 1..={num_layers}"
            )));
        }
        Ok(mask)
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::Full => f.write_str("full"),
            Placement::FullExceptOutput => f.write_str("full-except-output"),
            Placement::Odd => f.write_str("odd"),
            Placement::Even => f.write_str("even"),
            Placement::Encoder => f.write_str("encoder"),
            Placement::Decoder => f.write_str("decoder"),
            Placement::Layers(list) => {
                let parts: Vec<String> = list.iter().map(|l| l.to_string()).collect();
                write!(f, "layers:{}", parts.join(","))
            }
        }
    }
}

impl FromStr for Placement {
    type Err = NnError;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "full" => Placement::Full,
            "full-except-output" => Placement::FullExceptOutput,
            "odd" => Placement::Odd,
            "even" => Placement::Even,
            "encoder" => Placement::Encoder,
            "decoder" => Placement::Decoder,
            other => match other.strip_prefix("layers:") {
                Some(list) => Placement::Layers(
                    list.split(',')
                        .map(|p| p.trim().parse::<usize>())
                        .collect::<std::result::Result<_, _>>()
                        .map_err(|e| {
                            NnError::Plan(format!(
                                "placement `{other}`: {e}; write e.g. `layers:1,3`"
                            ))
                        })?,
                ),
                None => {
                    return Err(NnError::Plan(format!(
                        "unknown placement `{other}`; use full, full-except-output, odd, even, \
                         encoder, decoder or layers:1,3,…"
                    )));
                }
            },
        })
    }
}

impl TryFrom<String> for Placement {
    type Error = NnError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Placement> for String {
    fn from(p: Placement) -> String {
        p.to_string()
    }
}

/// The noise of one layer.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerNoise {
    /// `t = s + α·z̄`, z̄ from a law.
    Additive(ScaledNoise),
    /// Negate-noise: `z = −s` with probability p per neuron (Proposition 1).
    Negate(Negate),
    /// Dropout of the activation with rate p, with or without the 1/(1−p) rescale.
    Dropout {
        /// Drop probability.
        p: f64,
        /// Multiply kept activations by 1/(1−p).
        rescale: bool,
    },
}

impl LayerNoise {
    /// Builds a layer's noise from a config law and its scalar.
    ///
    /// For additive laws `scale` is α. For `negate` and `dropout` it is the drop rate c of
    /// Fig. 2 (the law's own `p` serves only where no scalar is given, i.e. `scale = None`).
    /// Returns `None` when the layer ends up noiseless (law `none`, or α = 0).
    pub fn from_kind(kind: &NoiseKind, scale: Option<f64>, centered: bool) -> Result<Option<Self>> {
        Ok(match kind {
            NoiseKind::Off => None,
            NoiseKind::Additive(law) => {
                let alpha = scale.unwrap_or(1.0);
                if alpha == 0.0 {
                    None
                } else {
                    Some(LayerNoise::Additive(ScaledNoise::new(*law, alpha, centered)?))
                }
            }
            NoiseKind::Negate(neg) => {
                let p = scale.unwrap_or(neg.p());
                if p == 0.0 { None } else { Some(LayerNoise::Negate(Negate::new(p)?)) }
            }
            NoiseKind::Dropout { p, rescale } => {
                let p = scale.unwrap_or(*p);
                // Validate through the same constructor as negate: 0 ≤ p ≤ 1.
                Negate::new(p)?;
                if p == 0.0 { None } else { Some(LayerNoise::Dropout { p, rescale: *rescale }) }
            }
        })
    }
}

/// The noise of every layer of a forward pass: `None` = that layer is noiseless.
///
/// [`NoisePlan::off`] is the deterministic path that every backend must agree on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NoisePlan {
    layers: Vec<Option<LayerNoise>>,
}

impl NoisePlan {
    /// No noise on any layer.
    pub fn off(num_layers: usize) -> Self {
        Self { layers: vec![None; num_layers] }
    }

    /// The same law and scalar on every layer the placement selects.
    pub fn uniform(
        kind: &NoiseKind,
        scale: f64,
        centered: bool,
        placement: &Placement,
        num_layers: usize,
    ) -> Result<Self> {
        let noise = LayerNoise::from_kind(kind, Some(scale), centered)?;
        let mask = placement.mask(num_layers)?;
        Ok(Self {
            layers: mask.into_iter().map(|on| if on { noise.clone() } else { None }).collect(),
        })
    }

    /// A plan with a possibly different law and α on each layer (Corollary 1).
    pub fn per_layer(layers: Vec<Option<LayerNoise>>) -> Self {
        Self { layers }
    }

    /// Replaces the noise of layer `layer` (1-based).
    pub fn set_layer(&mut self, layer: usize, noise: Option<LayerNoise>) -> Result<()> {
        let n = self.layers.len();
        let slot = layer
            .checked_sub(1)
            .and_then(|i| self.layers.get_mut(i))
            .ok_or_else(|| NnError::Plan(format!("layer {layer} is outside 1..={n}")))?;
        *slot = noise;
        Ok(())
    }

    /// The noise of each layer, in order.
    pub fn layers(&self) -> &[Option<LayerNoise>] {
        &self.layers
    }

    /// True when no layer is noised: the forward pass is deterministic.
    pub fn is_off(&self) -> bool {
        self.layers.iter().all(Option::is_none)
    }

    /// The noise on the output (last) layer, if any.
    pub fn output(&self) -> Option<&LayerNoise> {
        self.layers.last().and_then(Option::as_ref)
    }

    /// The same plan with the output layer's noise removed (used by the exact-output estimator).
    pub fn without_output(&self) -> Self {
        let mut layers = self.layers.clone();
        if let Some(last) = layers.last_mut() {
            *last = None;
        }
        Self { layers }
    }
}
