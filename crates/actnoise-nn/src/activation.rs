use burn::tensor::{Tensor, activation};
use serde::{Deserialize, Serialize};

/// The activation `f` of a layer, `t = f(Wx + b) + α·z̄`.
///
/// The paper does not name its activations; actnoise's default is ReLU on hidden layers and
/// sigmoid on the output layer (see `docs/ASSUMPTIONS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x).
    #[default]
    Relu,
    /// x for x ≥ 0, 0.01·x otherwise.
    LeakyRelu,
    /// Hyperbolic tangent.
    Tanh,
    /// Gaussian error linear unit (exact erf form).
    Gelu,
    /// Logistic sigmoid.
    Sigmoid,
    /// No activation.
    Identity,
}

impl Activation {
    /// Applies the activation element-wise.
    pub fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation::relu(x),
            Activation::LeakyRelu => activation::leaky_relu(x, 0.01),
            Activation::Tanh => activation::tanh(x),
            Activation::Gelu => activation::gelu(x),
            Activation::Sigmoid => activation::sigmoid(x),
            Activation::Identity => x,
        }
    }
}
