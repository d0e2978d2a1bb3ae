use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use actnoise_nn::{ClassBank, NoisePlan, NoiseSource, SourceKind, derive_seed, write_atomic};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::{ClassImages, Loss, Result, TrainConfig, TrainError};

/// Everything a training needs besides the model and the data.
#[derive(Debug, Clone)]
pub struct TrainSetup<'a> {
    /// `[train]` settings.
    pub config: &'a TrainConfig,
    /// The training noise (law q, α_train, placement).
    pub plan: &'a NoisePlan,
    /// Where noise is drawn.
    pub source: SourceKind,
    /// Seed of shuffling and noise.
    pub seed: u64,
    /// Where checkpoints go (one per epoch); `None` = no checkpoints.
    pub checkpoint_dir: Option<&'a Path>,
    /// Continue from the last checkpoint in `checkpoint_dir` if there is one.
    pub resume: bool,
}

/// Per-class metrics after an epoch, measured on the same fixed images for both losses:
/// `loss_clean` is Iˢ (noise off), `loss_noisy` is I (one draw of the training noise), so
/// `I − Iˢ` is the regulariser term Iᶻ of Eq. 8.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Class index.
    pub class: usize,
    /// Mean training loss of the class over the epoch's steps (weights changing).
    pub loss_train: f64,
    /// Iˢ at the end of the epoch.
    pub loss_clean: f64,
    /// I at the end of the epoch.
    pub loss_noisy: f64,
    /// Training images seen by this class in the epoch.
    pub images: usize,
    /// Training throughput of the epoch, images of all classes per second.
    pub images_per_s: f64,
}

/// Progress of one step, for a progress bar.
#[derive(Debug, Clone)]
pub struct StepInfo {
    /// 1-based epoch.
    pub epoch: usize,
    /// Total epochs.
    pub epochs: usize,
    /// 1-based step in the epoch.
    pub step: usize,
    /// Steps per epoch.
    pub steps: usize,
    /// Mean loss over classes of this step.
    pub loss: f64,
    /// Images (all classes) per second so far in this epoch.
    pub images_per_s: f64,
}

/// Receives progress; the runner draws a progress bar with it.
pub trait Observer {
    /// After every step.
    fn on_step(&mut self, _info: &StepInfo) {}
    /// After every epoch, with each class's metrics.
    fn on_epoch(&mut self, _metrics: &[EpochMetrics]) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// The result of a training.
#[derive(Debug)]
pub struct Trained {
    /// The trained bank, without autodiff.
    pub bank: ClassBank,
    /// Metrics of every epoch (including epochs done before a resume).
    pub metrics: Vec<EpochMetrics>,
    /// Epoch training resumed after (0 = started fresh).
    pub resumed_from: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct CheckpointState {
    epoch: usize,
    metrics: Vec<EpochMetrics>,
}

/// Steps per epoch and images per class per step.
///
/// An epoch is `ceil(n_max / b)` steps, `n_max` the largest class and `b = min(batch_size,
/// n_max)`; at each step every class takes `b` images from its own stream of reshuffles of its
/// images. The largest class so sees each image once per epoch (its last batch topped up from
/// the next reshuffle); smaller classes cycle through theirs more often. Classes advance
/// together in one grouped computation, and because the groups never mix and Adam acts on
/// each weight alone, each class's autoencoder is trained exactly as it would be alone with
/// the same batches.
pub fn schedule(data: &ClassImages, batch_size: usize) -> (usize, usize) {
    let n_max = data.by_class().iter().map(Vec::len).max().unwrap_or(0);
    let b = batch_size.min(n_max).max(1);
    (n_max.div_ceil(b), b)
}

fn class_order(members: &[usize], len: usize, seed: u64, epoch: usize, class: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(len + members.len());
    let mut k = 0u64;
    while out.len() < len {
        let mut shuffled = members.to_vec();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(&[
            seed,
            1,
            epoch as u64,
            class as u64,
            k,
        ]));
        shuffled.shuffle(&mut rng);
        out.extend(shuffled);
        k += 1;
    }
    out.truncate(len);
    out
}

/// Builds the grouped batch `[b, C·cin, h, w]`: row `r`, class `c` = image `picks[c][r]`.
fn grouped_batch(data: &ClassImages, picks: &[&[usize]], device: &Device) -> Tensor<4> {
    let [cin, h, w] = data.shape();
    let d = cin * h * w;
    let classes = picks.len();
    let b = picks[0].len();
    let mut buf = vec![0.0f32; b * classes * d];
    for r in 0..b {
        for (c, rows) in picks.iter().enumerate() {
            let at = (r * classes + c) * d;
            buf[at..at + d].copy_from_slice(data.image(rows[r]));
        }
    }
    Tensor::from_data(TensorData::new(buf, [b, classes * cin, h, w]), device)
}

/// Per-class loss `[C]` of a grouped reconstruction.
fn class_losses(y: Tensor<4>, x: Tensor<4>, classes: usize, loss: Loss) -> Tensor<1> {
    let [b, ch, h, w] = x.dims();
    let d = ch / classes * h * w;
    let per_pixel = match loss {
        Loss::Mse => (y - x).square(),
        Loss::Bce => {
            let y = y.clamp(1e-6, 1.0 - 1e-6);
            let one = y.ones_like();
            -(x.clone() * y.clone().log() + (one.clone() - x) * (one - y).log())
        }
    };
    per_pixel.reshape([b, classes, d]).mean_dim(2).mean_dim(0).reshape([classes])
}

fn ckpt_err(path: &Path, why: impl ToString) -> TrainError {
    TrainError::Checkpoint { path: path.to_path_buf(), why: why.to_string() }
}

fn ckpt_paths(dir: &Path, epoch: usize) -> (PathBuf, PathBuf) {
    (dir.join(format!("model-e{epoch:04}.bpk")), dir.join(format!("optim-e{epoch:04}.bpk")))
}

/// Trains every class's autoencoder of `bank` on its own class of `data`.
///
/// The bank may live on a plain device; training runs on its autodiff twin. With
/// `setup.checkpoint_dir`, each epoch ends with a checkpoint (model, optimizer, metrics;
/// written atomically, `state.json` last), and `setup.resume` continues from the newest one,
/// ending with the same weights as an uninterrupted run on CPU. A NaN or infinite loss stops
/// the run with [`TrainError::NonFinite`], keeping the last good checkpoint.
pub fn train(
    bank: ClassBank,
    data: &ClassImages,
    setup: &TrainSetup<'_>,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    let cfg = setup.config;
    cfg.validate()?;
    let classes = bank.classes();
    if data.classes() != classes {
        return Err(TrainError::Data(format!(
            "the data has {} classes, the model bank {classes}",
            data.classes()
        )));
    }
    let [cin, h, w] = data.shape();
    let mcfg = bank.config();
    if cin != mcfg.in_channels || h != mcfg.image_size || w != mcfg.image_size {
        return Err(TrainError::Data(format!(
            "images are {cin}×{h}×{w}, the model expects {}×{}×{}",
            mcfg.in_channels, mcfg.image_size, mcfg.image_size
        )));
    }
    let device = bank.device().autodiff();
    let mut bank = bank.fork(&device).train();
    let make_optim = || {
        AdamConfig::new()
            .with_beta_1(cfg.beta1)
            .with_beta_2(cfg.beta2)
            .with_epsilon(cfg.epsilon)
            .init()
    };
    let mut optim = make_optim();
    let mut metrics = Vec::new();
    let mut start = 0;

    if let Some(dir) = setup.checkpoint_dir {
        fs::create_dir_all(dir).map_err(|e| ckpt_err(dir, e))?;
        let state_path = dir.join("state.json");
        if setup.resume && state_path.exists() {
            let text = fs::read_to_string(&state_path).map_err(|e| ckpt_err(&state_path, e))?;
            let state: CheckpointState =
                serde_json::from_str(&text).map_err(|e| ckpt_err(&state_path, e))?;
            let (mp, op) = ckpt_paths(dir, state.epoch);
            bank = bank.load(&mp)?.train();
            let bytes = fs::read(&op).map_err(|e| ckpt_err(&op, e))?;
            optim = make_optim()
                .from_bytes(Bytes::from_bytes_vec(bytes))
                .map_err(|e| ckpt_err(&op, format!("{e:?}")))?;
            start = state.epoch;
            metrics = state.metrics;
        }
    }
    let resumed_from = start;

    let (steps, b) = schedule(data, cfg.batch_size);
    // Fixed images for the end-of-epoch losses: the first m of each class.
    let m = cfg.metric_images.min(data.by_class().iter().map(Vec::len).min().unwrap_or(1));
    let metric_picks: Vec<&[usize]> = data.by_class().iter().map(|v| &v[..m]).collect();
    let metric_x = grouped_batch(data, &metric_picks, &bank.device().inner());

    for epoch in start + 1..=cfg.epochs {
        let t0 = Instant::now();
        let orders: Vec<Vec<usize>> = data
            .by_class()
            .iter()
            .enumerate()
            .map(|(c, members)| class_order(members, steps * b, setup.seed, epoch, c))
            .collect();
        if setup.source == SourceKind::Device {
            device.seed(derive_seed(&[setup.seed, 2, epoch as u64]));
        }
        let mut sum = vec![0.0f64; classes];
        for step in 0..steps {
            let picks: Vec<&[usize]> =
                orders.iter().map(|o| &o[step * b..(step + 1) * b]).collect();
            let x = grouped_batch(data, &picks, &device);
            let mut source = match setup.source {
                SourceKind::Host => {
                    NoiseSource::host(derive_seed(&[setup.seed, 3, epoch as u64, step as u64]))
                }
                SourceKind::Device => NoiseSource::Device,
            };
            let y = bank.forward_grouped(x.clone(), setup.plan, &mut source)?;
            let losses = class_losses(y, x, classes, cfg.loss);
            let values: Vec<f32> =
                losses.clone().into_data().try_to_vec().expect("the loss is f32 on every backend");
            for (c, &v) in values.iter().enumerate() {
                if !v.is_finite() {
                    return Err(TrainError::NonFinite {
                        class: c,
                        epoch,
                        step,
                        value: v,
                        last_good: epoch - 1,
                    });
                }
                sum[c] += v as f64;
            }
            let grads = GradientsParams::from_grads(losses.sum().backward(), &bank);
            bank = optim.step(cfg.lr, bank, grads);
            let elapsed = t0.elapsed().as_secs_f64().max(1e-9);
            observer.on_step(&StepInfo {
                epoch,
                epochs: cfg.epochs,
                step: step + 1,
                steps,
                loss: values.iter().map(|&v| v as f64).sum::<f64>() / classes as f64,
                images_per_s: ((step + 1) * b * classes) as f64 / elapsed,
            });
        }
        let images_per_s = (steps * b * classes) as f64 / t0.elapsed().as_secs_f64().max(1e-9);

        // End-of-epoch losses on fixed images, without autodiff.
        let valid = bank.valid();
        let off = NoisePlan::off(valid.num_layers());
        let clean = valid.forward_grouped(metric_x.clone(), &off, &mut NoiseSource::Device)?;
        let mut msource = NoiseSource::host(derive_seed(&[setup.seed, 4, epoch as u64]));
        let noisy = valid.forward_grouped(metric_x.clone(), setup.plan, &mut msource)?;
        let clean: Vec<f32> = class_losses(clean, metric_x.clone(), classes, cfg.loss)
            .into_data()
            .try_to_vec()
            .expect("f32");
        let noisy: Vec<f32> = class_losses(noisy, metric_x.clone(), classes, cfg.loss)
            .into_data()
            .try_to_vec()
            .expect("f32");
        let epoch_metrics: Vec<EpochMetrics> = (0..classes)
            .map(|c| EpochMetrics {
                epoch,
                class: c,
                loss_train: sum[c] / steps as f64,
                loss_clean: clean[c] as f64,
                loss_noisy: noisy[c] as f64,
                images: steps * b,
                images_per_s,
            })
            .collect();
        observer.on_epoch(&epoch_metrics);
        metrics.extend(epoch_metrics);

        if let Some(dir) = setup.checkpoint_dir {
            let (mp, op) = ckpt_paths(dir, epoch);
            bank.save(&mp)?;
            let bytes = optim.into_bytes().map_err(|e| ckpt_err(&op, format!("{e:?}")))?;
            write_atomic(&op, &bytes)?;
            let state = CheckpointState { epoch, metrics: metrics.clone() };
            let json = serde_json::to_vec_pretty(&state).expect("metrics serialize");
            write_atomic(&dir.join("state.json"), &json)?;
            // Only now is the previous checkpoint no longer needed.
            if epoch > 1 {
                let (old_m, old_o) = ckpt_paths(dir, epoch - 1);
                let _ = fs::remove_file(old_m);
                let _ = fs::remove_file(old_o);
            }
        }
    }
    Ok(Trained { bank: bank.valid(), metrics, resumed_from })
}

/// Loads the final weights of a finished training from its checkpoint directory, if the
/// checkpoint there reached `epochs`.
pub fn load_finished(
    bank: ClassBank,
    dir: &Path,
    epochs: usize,
) -> Result<Option<(ClassBank, Vec<EpochMetrics>)>> {
    let state_path = dir.join("state.json");
    if !state_path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&state_path).map_err(|e| ckpt_err(&state_path, e))?;
    let state: CheckpointState =
        serde_json::from_str(&text).map_err(|e| ckpt_err(&state_path, e))?;
    if state.epoch < epochs {
        return Ok(None);
    }
    let (mp, _) = ckpt_paths(dir, state.epoch);
    Ok(Some((bank.load(&mp)?, state.metrics)))
}
