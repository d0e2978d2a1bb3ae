//! Sampler forward passes per second on flex: n = 1000 draws, 10 classes, α = 0.9.
//!
//! `cargo bench -p actnoise-sampler --bench sampler`.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, NoisePlan, Placement, SourceKind};
use actnoise_sampler::{EstimatorConfig, EvalRequest, Quiet, TestImages, evaluate};
use burn::tensor::Device;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let device = Device::flex();
    device.seed(0);
    let bank = AutoencoderConfig::default().init_bank(10, &device).unwrap();
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    let plan = NoisePlan::uniform(&kind, 0.9, false, &Placement::Full, 6).unwrap();
    let test = TestImages::new(
        (0..3072).map(|i| (i % 255) as f32 / 255.0).collect(),
        vec![0],
        [3, 32, 32],
    )
    .unwrap();
    let est = EstimatorConfig::default();
    let mut group = c.benchmark_group("sampler");
    group.sample_size(10);
    for (name, source) in [("host", SourceKind::Host), ("device", SourceKind::Device)] {
        let req = EvalRequest {
            plan: &plan,
            draws: &[1000],
            estimator: &est,
            source,
            seed: 1,
            max_batch: 1000,
        };
        group.throughput(Throughput::Elements(10_000));
        group.bench_function(format!("energies_1img_n1000_c10_{name}"), |b| {
            b.iter(|| evaluate(&bank, &test, &req, &mut Quiet).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
