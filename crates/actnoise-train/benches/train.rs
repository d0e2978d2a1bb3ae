//! Training images per second on flex: batch 256, α = 0.9, the paper's model.
//!
//! `cargo bench -p actnoise-train --bench train`. One iteration = one epoch of one step for
//! one class (256 images) or for the 10-class bank (2,560 images).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, NoisePlan, Placement};
use actnoise_train::{ClassImages, Silent, SourceKind, TrainConfig, TrainSetup, train};
use burn::tensor::Device;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let device = Device::flex();
    device.seed(0);
    let cfg = AutoencoderConfig::default();
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    let plan = NoisePlan::uniform(&kind, 0.9, false, &Placement::Full, 6).unwrap();
    let tcfg = TrainConfig { epochs: 1, batch_size: 256, metric_images: 1, ..Default::default() };
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    for classes in [1usize, 10] {
        let n = 256 * classes;
        let images: Vec<f32> = (0..n * 3072).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
        let labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
        let data = ClassImages::new(images, &labels, classes, [3, 32, 32]).unwrap();
        let bank = cfg.init_bank(classes, &device).unwrap();
        let setup = TrainSetup {
            config: &tcfg,
            plan: &plan,
            source: SourceKind::Host,
            seed: 0,
            checkpoint_dir: None,
            resume: false,
        };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("train_step_b256_c{classes}_alpha0.9"), |b| {
            b.iter(|| train(bank.clone(), &data, &setup, &mut Silent).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
