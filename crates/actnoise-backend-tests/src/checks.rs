//! The checks: each returns plain [`Check`]s computed from fixed weights and data.

use actnoise_dist::{
    Cauchy, Chi, Exponential, Gaussian, Law, LogNormal, NoiseKind, ScaledNoise, StudentT,
    Uniform,
};
use actnoise_nn::{AutoencoderConfig, DrawSharing, NoisePlan, NoiseSource, Placement, SourceKind};
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
/// Below this magnitude, differences of trained weights are judged absolutely. The smallest
/// init bound is 1/√(100·16) = 0.025; one Adam step moves a weight by up to lr = 1e-3.
pub const WEIGHT_SCALE: f64 = 0.01;

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
        (
            "exponential_centered",
            ScaledNoise::new(Exponential::new(1.5)?.into(), ALPHA, true)?,
        ),
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
/// under Gaussian noise (α = 0.9 on every layer) drawn on the host, identical on every backend.
pub fn forward(device: &Device) -> Result<Vec<Check>> {
    const BATCH: usize = 2;
    const DRAWS: usize = 3;
    let bank = fixed::bank(&architecture(), CLASSES, SEED, device);
    let [c, h, w] = shape();
    let x = Tensor::<4>::from_data(
        TensorData::new(fixed::images(BATCH, shape(), SEED + 1), [BATCH, c, h, w]),
        device,
    );
    let off = NoisePlan::off(bank.num_layers());
    let recon = bank.forward_shared(
        x.clone(),
        &off,
        &mut NoiseSource::Device,
        DrawSharing::Independent,
    )?;
    let recon: Vec<f64> = f32s(recon.into_data()).into_iter().map(f64::from).collect();
    let clean = bank.energies(x.clone(), 1, &off, &mut NoiseSource::Device, DrawSharing::Independent)?;
    let plan = gaussian_plan(bank.num_layers())?;
    let mut source = NoiseSource::host(SEED + 2);
    let noisy = bank.energies(x, DRAWS, &plan, &mut source, DrawSharing::Independent)?;
    Ok(vec![
        Check::scaled("forward_noiseless_reconstruction", recon, PIXEL_SCALE),
        Check::relative("forward_noiseless_energies", to_f64(clean)),
        Check::relative("forward_host_noise_energies", to_f64(noisy)),
    ])
}

/// Check 4: one Adam step (one epoch of a dataset of one batch per class) from the fixed
/// weights, with Gaussian noise drawn on the host: the step's losses, the end-of-epoch clean
/// and noisy losses, and every updated weight of every class.
pub fn train_step(device: &Device) -> Result<Vec<Check>> {
    const PER_CLASS: usize = 2;
    let bank = fixed::bank(&architecture(), CLASSES, SEED, device);
    let n = PER_CLASS * CLASSES;
    let labels: Vec<usize> = (0..n).map(|i| i % CLASSES).collect();
    let data = ClassImages::new(fixed::images(n, shape(), SEED + 3), &labels, CLASSES, shape())?;
    let config = TrainConfig {
        epochs: 1,
        batch_size: PER_CLASS,
        metric_images: PER_CLASS,
        ..TrainConfig::default()
    };
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
    let mut weights = Vec::new();
    for class in 0..CLASSES {
        for (_, _, values) in trained.bank.class_tensors(class) {
            weights.extend(values.into_iter().map(f64::from));
        }
    }
    Ok(vec![
        Check::relative("train_step_losses", losses),
        Check::scaled("train_step_weights", weights, WEIGHT_SCALE),
    ])
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
