//! Trainer behaviour on tiny synthetic data (flex backend).

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, DrawSharing, NoisePlan, NoiseSource, Placement};
use actnoise_train::{ClassImages, Silent, SourceKind, TrainConfig, TrainError, TrainSetup, train};
use burn::tensor::{Device, Tensor, TensorData};

/// Flex's `Device::seed` is global to the process: tests that seed it and then draw (weight
/// initialisation) hold this lock so that parallel tests cannot interleave their draws.
static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    DEVICE_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// Two classes of 16×16 grey images: horizontal vs vertical stripes of random phase and
/// contrast.
fn stripes(per_class: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as f32) / (1u64 << 31) as f32
    };
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for i in 0..2 * per_class {
        let class = i % 2;
        let phase = (next() * 4.0) as usize;
        let contrast = 0.5 + 0.5 * next();
        for y in 0..16 {
            for x in 0..16 {
                let t = if class == 0 { y } else { x };
                let on = (t + phase) % 4 < 2;
                images.push(if on { contrast } else { 0.1 * next() });
            }
        }
        labels.push(class);
    }
    (images, labels)
}

fn model_config() -> AutoencoderConfig {
    AutoencoderConfig {
        channels: vec![8, 16],
        in_channels: 1,
        image_size: 16,
        ..AutoencoderConfig::default()
    }
}

fn plan(alpha: f64) -> NoisePlan {
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    NoisePlan::uniform(&kind, alpha, false, &Placement::Full, 4).unwrap()
}

/// Every weight value of every class, in a fixed order.
fn weights(bank: &actnoise_nn::ClassBank) -> Vec<f32> {
    (0..bank.classes()).flat_map(|c| bank.class_tensors(c)).flat_map(|(_, _, v)| v).collect()
}

#[test]
fn training_two_classes_classifies_well_above_chance() {
    let _guard = lock();
    let device = Device::flex();
    device.seed(1);
    let (images, labels) = stripes(64, 1);
    let data = ClassImages::new(images, &labels, 2, [1, 16, 16]).unwrap();
    let bank = model_config().init_bank(2, &device).unwrap();
    let cfg = TrainConfig { epochs: 15, batch_size: 32, lr: 3e-3, ..TrainConfig::default() };
    let p = plan(0.1);
    let setup = TrainSetup {
        config: &cfg,
        plan: &p,
        source: SourceKind::Host,
        seed: 3,
        checkpoint_dir: None,
        resume: false,
    };
    let trained = train(bank, &data, &setup, &mut Silent).unwrap();
    assert_eq!(trained.metrics.len(), 15 * 2);
    let last = &trained.metrics[trained.metrics.len() - 1];
    assert!(last.loss_noisy >= last.loss_clean * 0.5, "{last:?}");

    let (test_images, test_labels) = stripes(50, 99);
    let x = Tensor::<4>::from_data(TensorData::new(test_images, [100, 1, 16, 16]), &device);
    let off = NoisePlan::off(4);
    let e = trained
        .bank
        .energies(x, 1, &off, &mut NoiseSource::Device, DrawSharing::Independent)
        .unwrap();
    let pred: Vec<i64> = e.reshape([100, 2]).argmin(1).into_data().iter::<i64>().collect();
    let correct = pred.iter().zip(&test_labels).filter(|(p, y)| **p as usize == **y).count();
    assert!(correct >= 80, "only {correct}/100 correct");
}

#[test]
fn resume_from_checkpoint_ends_with_the_same_weights() {
    let _guard = lock();
    let device = Device::flex();
    let (images, labels) = stripes(20, 2);
    let data = ClassImages::new(images, &labels, 2, [1, 16, 16]).unwrap();
    let p = plan(0.5);
    let dir = tempfile::tempdir().unwrap();
    let run = |epochs: usize, ckpt: Option<&std::path::Path>, resume: bool| {
        device.seed(5);
        let bank = model_config().init_bank(2, &device).unwrap();
        let cfg = TrainConfig { epochs, batch_size: 8, ..TrainConfig::default() };
        let setup = TrainSetup {
            config: &cfg,
            plan: &p,
            source: SourceKind::Host,
            seed: 7,
            checkpoint_dir: ckpt,
            resume,
        };
        train(bank, &data, &setup, &mut Silent).unwrap()
    };
    let straight = run(3, None, false);
    let first = run(1, Some(dir.path()), false);
    assert_eq!(first.resumed_from, 0);
    let resumed = run(3, Some(dir.path()), true);
    assert_eq!(resumed.resumed_from, 1);
    let (a, b) = (weights(&straight.bank), weights(&resumed.bank));
    assert_eq!(a.len(), b.len());
    let differing = a.iter().zip(&b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
    assert_eq!(differing, 0, "{differing} of {} weights differ after resume", a.len());
    assert_eq!(straight.metrics.len(), resumed.metrics.len());
}

#[test]
fn nan_loss_stops_naming_class_and_epoch_and_keeps_checkpoint() {
    let _guard = lock();
    let device = Device::flex();
    let (images, labels) = stripes(8, 3);
    let good = ClassImages::new(images.clone(), &labels, 2, [1, 16, 16]).unwrap();
    let mut bad_images = images;
    bad_images[256 + 5] = f32::NAN; // image 1 is class 1
    let bad = ClassImages::new(bad_images, &labels, 2, [1, 16, 16]).unwrap();
    let p = plan(0.0);
    let dir = tempfile::tempdir().unwrap();
    let cfg1 = TrainConfig { epochs: 1, batch_size: 8, ..TrainConfig::default() };
    let cfg2 = TrainConfig { epochs: 2, batch_size: 8, ..TrainConfig::default() };
    let setup = |cfg| TrainSetup {
        config: cfg,
        plan: &p,
        source: SourceKind::Host,
        seed: 1,
        checkpoint_dir: Some(dir.path()),
        resume: true,
    };
    let bank = model_config().init_bank(2, &device).unwrap();
    train(bank, &good, &setup(&cfg1), &mut Silent).unwrap();
    let bank = model_config().init_bank(2, &device).unwrap();
    let err = train(bank, &bad, &setup(&cfg2), &mut Silent).unwrap_err();
    match &err {
        TrainError::NonFinite { class, epoch, last_good, .. } => {
            assert_eq!((*class, *epoch, *last_good), (1, 2, 1));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("class 1") && err.to_string().contains("epoch 2"));
    assert!(dir.path().join("model-e0001.bpk").exists());
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(state.contains("\"epoch\": 1"));
}

#[test]
fn bad_settings_and_data_are_errors_naming_the_key() {
    let cfg = TrainConfig { lr: -1.0, ..TrainConfig::default() };
    assert!(cfg.validate().unwrap_err().to_string().contains("`lr`"));
    let err = ClassImages::new(vec![0.0; 4], &[0, 2], 2, [1, 1, 2]).unwrap_err();
    assert!(err.to_string().contains("label 2"));
    let err = ClassImages::new(vec![0.0; 4], &[0, 0], 2, [1, 1, 2]).unwrap_err();
    assert!(err.to_string().contains("class 1 has no training image"));
}
