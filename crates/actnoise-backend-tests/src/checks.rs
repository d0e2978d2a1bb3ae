//! The checks: each returns plain [`Check`]s computed from fixed weights and data.

use actnoise_dist::{
    Cauchy, Chi, Exponential, Gaussian, Law, LogNormal, NoiseKind, ScaledNoise, StudentT, Uniform,
};
use actnoise_nn::{
    AutoencoderConfig, ClassBank, ConvPath, DrawSharing, NoisePlan, NoiseSource, Placement,
    SourceKind,
};
use actnoise_sampler::{EstimatorConfig, EvalRequest, Quiet, TestImages, evaluate};
use actnoise_train::{ClassImages, Silent, TrainConfig, TrainSetup, train};
use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};

use crate::fixed;
use crate::report::Check;
use crate::stats::{ks_critical, ks_two_sample, mean_z, variance_z};

/// Seed of everything drawn on the host.
pub const SEED: u64 = 0x00AC_7A01;
/// Classes of the fixed bank.
pub const CLASSES: usize = 3;
/// Device and host samples per noise law.
pub const SAMPLES: usize = 20_000;
/// Level of the KS test.
pub const KS_LEVEL: f64 = 0.001;
/// Largest |z| of a moment z-score that passes.
pub const Z_MAX: f64 = 5.0;
/// α of the noisy checks.
pub const ALPHA: f64 = 0.9;
/// Below this magnitude, differences of pixels (sigmoid outputs in (0, 1)) are judged
/// absolutely: `|a − b| ≤ tol · max(|b|, 1)`.
pub const PIXEL_SCALE: f64 = 1.0;
/// Differences of weights after one step of the paper's Adam (lr 1e-3, ε 1e-8) are judged
/// absolutely, `|a − b| ≤ tol · 1`. Adam's first step moves a weight by `lr · g/(|g| + ε)`,
/// which for `|g|` near ε amplifies a gradient difference δ by up to `lr/(4ε)`: f32 rounding
/// of small gradients (δ ~ 1e-10) so moves such weights by a few 1e-6 on a correct backend,
/// while a wrong gradient sign moves one by 2·lr = 2e-3.
pub const WEIGHT_SCALE: f64 = 1.0;
/// The well-conditioned step: Adam with lr = 1 and ε = 1 moves each weight by
/// `−g/(|g| + 1) ≈ −g`, so the update checks the gradient itself (sensitivity ≤ 1).
const CONDITIONED_LR: f64 = 1.0;
/// Updates (≈ gradients) are judged absolutely below this magnitude.
pub const UPDATE_SCALE: f64 = 1e-3;

/// The paper's architecture (RGB 32×32, channels 30 → 73 → 100, 4×4 kernels, stride 2).
fn architecture() -> AutoencoderConfig {
    AutoencoderConfig::default()
}

fn shape() -> [usize; 3] {
    let c = architecture();
    [c.in_channels, c.image_size, c.image_size]
}

fn gaussian_plan(num_layers: usize) -> Result<NoisePlan> {
    let kind = NoiseKind::Additive(Law::from(Gaussian::new(0.0, 1.0)?));
    Ok(NoisePlan::uniform(&kind, ALPHA, false, &Placement::Full, num_layers)?)
}

fn to_f64(t: Tensor<3>) -> Vec<f64> {
    f32s(t.into_data()).into_iter().map(f64::from).collect()
}

fn f32s(data: TensorData) -> Vec<f32> {
    data.try_into_vec_as::<f32>().expect("every backend reads float tensors back as f32")
}

/// The laws the sampler checks cover, with the name of their checks: one of each law,
/// scaled by α, one of them centred.
fn laws() -> Result<Vec<(&'static str, ScaledNoise)>> {
    let law = |l: Law| ScaledNoise::new(l, ALPHA, false);
    Ok(vec![
        ("gaussian", law(Gaussian::new(0.5, 2.0)?.into())?),
        ("cauchy", law(Cauchy::new(0.0, 1.0)?.into())?),
        ("student_t", law(StudentT::new(3.0)?.into())?),
        ("uniform", law(Uniform::new(2.0)?.into())?),
        ("lognormal", law(LogNormal::new(0.0, 0.5)?.into())?),
        ("chi", law(Chi::new(2.5)?.into())?),
        ("exponential", law(Exponential::new(1.5)?.into())?),
        ("exponential_centered", ScaledNoise::new(Exponential::new(1.5)?.into(), ALPHA, true)?),
    ])
}

/// Whether the fourth moment of `law` is finite (the variance z-score needs it).
fn finite_fourth_moment(law: &Law) -> bool {
    match law {
        Law::Cauchy(_) => false,
        Law::StudentT(t) => t.dof() > 4.0,
        _ => true,
    }
}

/// Check 1: each law's device sampler against its host sampler: the two-sample KS statistic
/// (threshold: the critical value at α = 0.001), and where the moments exist the |z| of the
/// device sample's mean and variance (threshold 5).
pub fn samplers(device: &Device) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let critical = ks_critical(KS_LEVEL, SAMPLES, SAMPLES);
    for (index, (name, noise)) in laws()?.into_iter().enumerate() {
        device.seed(actnoise_nn::derive_seed(&[SEED, 10, index as u64]));
        let drawn = noise.sample_device([SAMPLES], device);
        let drawn: Vec<f64> = f32s(drawn.into_data()).into_iter().map(f64::from).collect();
        let mut host = vec![0.0f32; SAMPLES];
        noise.fill_host(SEED, 100 + index as u64, &mut host);
        let host: Vec<f64> = host.into_iter().map(f64::from).collect();
        checks.push(Check::statistic(
            format!("sampler_{name}_ks"),
            vec![ks_two_sample(&drawn, &host)],
            critical,
        ));
        if let (Some(mu), Some(sigma2)) = (noise.mean().finite(), noise.variance().finite()) {
            checks.push(Check::statistic(
                format!("sampler_{name}_mean_z"),
                vec![mean_z(&drawn, mu, sigma2)],
                Z_MAX,
            ));
            if finite_fourth_moment(&noise.law) {
                checks.push(Check::statistic(
                    format!("sampler_{name}_variance_z"),
                    vec![variance_z(&drawn, sigma2, &host)],
                    Z_MAX,
                ));
            }
        }
    }
    Ok(checks)
}

/// Checks 2 and 3: the fixed bank's noiseless reconstructions and energies, and its energies
/// under Gaussian noise (α = 0.9 on every layer) drawn on the host, identical on every backend;
/// with Burn's own convolutions (`ConvPath::Burn`).
pub fn forward_burn_conv(device: &Device) -> Result<Vec<Check>> {
    forward_with(device, ConvPath::Burn, "forward_burn_conv")
}

fn forward_with(device: &Device, path: ConvPath, prefix: &str) -> Result<Vec<Check>> {
    const BATCH: usize = 2;
    const DRAWS: usize = 3;
    let bank = fixed::bank(&architecture(), CLASSES, SEED, device).with_conv_path(path);
    let [c, h, w] = shape();
    let x = Tensor::<4>::from_data(
        TensorData::new(fixed::images(BATCH, shape(), SEED + 1), [BATCH, c, h, w]),
        device,
    );
    let off = NoisePlan::off(bank.num_layers());
    let independent = DrawSharing::Independent;
    let recon = bank.forward_shared(x.clone(), &off, &mut NoiseSource::Device, independent)?;
    let recon: Vec<f64> = f32s(recon.into_data()).into_iter().map(f64::from).collect();
    let clean = bank.energies(x.clone(), 1, &off, &mut NoiseSource::Device, independent)?;
    let plan = gaussian_plan(bank.num_layers())?;
    let mut source = NoiseSource::host(SEED + 2);
    let noisy = bank.energies(x, DRAWS, &plan, &mut source, independent)?;
    Ok(vec![
        Check::scaled(format!("{prefix}_noiseless_reconstruction"), recon, PIXEL_SCALE),
        Check::relative(format!("{prefix}_noiseless_energies"), to_f64(clean)),
        Check::relative(format!("{prefix}_host_noise_energies"), to_f64(noisy)),
    ])
}

/// Check 4: one Adam step (one epoch of a dataset of one batch per class) from the fixed
/// weights, with Gaussian noise drawn on the host: with the paper's Adam, the step's losses,
/// the end-of-epoch clean and noisy losses, and every updated weight of every class; with a
/// well-conditioned Adam (lr = ε = 1), every weight's update `w₁ − w₀ ≈ −g`.
pub fn train_step(device: &Device) -> Result<Vec<Check>> {
    let paper = TrainConfig::default();
    let (losses, before, after) = one_step(device, &paper)?;
    let weights = after.iter().map(|&v| f64::from(v)).collect();
    let conditioned = TrainConfig { lr: CONDITIONED_LR, epsilon: CONDITIONED_LR as f32, ..paper };
    let (_, _, moved) = one_step(device, &conditioned)?;
    let update = moved.iter().zip(&before).map(|(&a, &b)| f64::from(a) - f64::from(b)).collect();
    Ok(vec![
        Check::relative("train_step_losses", losses),
        Check::scaled("train_step_weights", weights, WEIGHT_SCALE),
        Check::scaled("train_step_conditioned_update", update, UPDATE_SCALE),
    ])
}

/// One training step under `base` (epochs, batch and metric sizes overridden): the losses, and
/// every weight of every class before and after.
fn one_step(device: &Device, base: &TrainConfig) -> Result<(Vec<f64>, Vec<f32>, Vec<f32>)> {
    const PER_CLASS: usize = 2;
    let bank = fixed::bank(&architecture(), CLASSES, SEED, device);
    let before = weights(&bank);
    let n = PER_CLASS * CLASSES;
    let labels: Vec<usize> = (0..n).map(|i| i % CLASSES).collect();
    let data = ClassImages::new(fixed::images(n, shape(), SEED + 3), &labels, CLASSES, shape())?;
    let config =
        TrainConfig { epochs: 1, batch_size: PER_CLASS, metric_images: PER_CLASS, ..base.clone() };
    let plan = gaussian_plan(bank.num_layers())?;
    let setup = TrainSetup {
        config: &config,
        plan: &plan,
        source: SourceKind::Host,
        seed: SEED + 4,
        checkpoint_dir: None,
        resume: false,
    };
    let trained = train(bank, &data, &setup, &mut Silent)?;
    let mut losses = Vec::new();
    for m in &trained.metrics {
        losses.extend([m.loss_train, m.loss_clean, m.loss_noisy]);
    }
    Ok((losses, before, weights(&trained.bank)))
}

/// Every parameter of every class, in `class_tensors` order.
fn weights(bank: &ClassBank) -> Vec<f32> {
    (0..bank.classes()).flat_map(|c| bank.class_tensors(c)).flat_map(|(_, _, v)| v).collect()
}

/// Check 5: a short classification with the sampler (host noise, plain estimator): the mean
/// energy of every (image, class) and the predictions.
pub fn classify(device: &Device) -> Result<Vec<Check>> {
    const IMAGES: usize = 4;
    let bank = fixed::bank(&architecture(), CLASSES, SEED, device);
    let labels: Vec<usize> = (0..IMAGES).map(|i| i % CLASSES).collect();
    let test = TestImages::new(fixed::images(IMAGES, shape(), SEED + 5), labels, shape())?;
    let plan = gaussian_plan(bank.num_layers())?;
    let estimator = EstimatorConfig::default();
    let request = EvalRequest {
        plan: &plan,
        draws: &[4],
        estimator: &estimator,
        source: SourceKind::Host,
        seed: SEED + 6,
        max_batch: 8,
    };
    let result = evaluate(&bank, &test, &request, &mut Quiet)?;
    let eval = result.first().ok_or_else(|| anyhow::anyhow!("evaluate returned no result"))?;
    Ok(vec![
        Check::relative("classify_mean_energies", eval.mean.clone()),
        Check::relative(
            "classify_predictions",
            eval.predictions.iter().map(|&p| p as f64).collect(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use actnoise_dist::NoiseLaw;

    use super::*;

    #[test]
    fn every_law_is_covered_once() {
        let laws = laws().unwrap();
        let mut names: Vec<&str> = laws.iter().map(|(_, n)| n.law.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names,
            ["cauchy", "chi", "exponential", "gaussian", "lognormal", "student_t", "uniform"]
        );
    }
}
