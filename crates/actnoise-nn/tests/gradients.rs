//! Gradients flow through noisy layers: one Adam step lowers the loss of a tiny batch.

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, NoisePlan, NoiseSource, Placement};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};

#[test]
fn adam_step_through_noisy_layers_lowers_the_loss() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let cfg = AutoencoderConfig { channels: vec![8, 8, 8], in_channels: 3, ..Default::default() };
    let mut bank = cfg.init_bank(1, &device).unwrap();
    let x = Tensor::<4>::random([4, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    let plan = NoisePlan::uniform(&kind, 0.3, false, &Placement::Full, 6).unwrap();
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    // The same noise draw before and after the step: the loss must fall for that draw.
    let loss_of = |bank: &actnoise_nn::ClassBank| {
        let y = bank.forward_grouped(x.clone(), &plan, &mut NoiseSource::host(9)).unwrap();
        (y - x.clone()).square().mean()
    };
    let loss = loss_of(&bank);
    let before = loss.clone().into_scalar::<f32>();
    let grads = GradientsParams::from_grads(loss.backward(), &bank);
    bank = optim.step(1e-2, bank, grads);
    let after = loss_of(&bank).into_scalar::<f32>();
    assert!(after < before, "loss {before} -> {after}");
}
