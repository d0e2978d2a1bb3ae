use burn::module::Module;
use burn::tensor::Tensor;

use crate::{ClassBank, DrawSharing, NoisePlan, NoiseSource, Result};

/// One class's convolutional autoencoder with activation noise: every neuron emits
/// `t = f(Wx + b) + α·z̄` (Eq. 1 of the paper), the noise given by an explicit [`NoisePlan`].
///
/// It is a [`ClassBank`] of one class; build it with
/// [`AutoencoderConfig::init_bank`](crate::AutoencoderConfig::init_bank)`(1, ..)` and
/// [`NoisyConvAutoencoder::from_bank`], or get the members of a bank with
/// [`ClassBank::unstack`].
#[derive(Module, Debug)]
pub struct NoisyConvAutoencoder {
    bank: ClassBank,
}

impl NoisyConvAutoencoder {
    /// Wraps a one-class bank.
    ///
    /// # Panics
    /// If the bank has more than one class.
    pub fn from_bank(bank: ClassBank) -> Self {
        assert_eq!(bank.classes(), 1, "a NoisyConvAutoencoder is a bank of exactly one class");
        Self { bank }
    }

    /// The underlying one-class bank.
    pub fn bank(&self) -> &ClassBank {
        &self.bank
    }

    /// Reconstruction of `x` `[B, cin, H, W]` → `[B, cin, H, W]` under `plan`.
    pub fn forward(
        &self,
        x: Tensor<4>,
        plan: &NoisePlan,
        source: &mut NoiseSource,
    ) -> Result<Tensor<4>> {
        self.bank.forward_grouped(x, plan, source)
    }

    /// Energies of `draws` noise draws: `x` `[B, cin, H, W]` → `[B, draws]`.
    pub fn energies(
        &self,
        x: Tensor<4>,
        draws: usize,
        plan: &NoisePlan,
        source: &mut NoiseSource,
    ) -> Result<Tensor<2>> {
        let e = self.bank.energies(x, draws, plan, source, DrawSharing::Independent)?;
        let [b, n, _] = e.dims();
        Ok(e.reshape([b, n]))
    }
}
