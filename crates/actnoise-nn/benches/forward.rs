//! Noisy forward passes per second on flex: the class bank (10 classes) and one model.
//!
//! `cargo bench -p actnoise-nn --bench forward`. Inputs are built outside the timer; each
//! iteration reads the result back (which waits for the device).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, DrawSharing, NoisePlan, NoiseSource, Placement};
use burn::tensor::{Device, Distribution, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn forward(c: &mut Criterion) {
    let device = Device::flex();
    device.seed(0);
    let cfg = AutoencoderConfig::default();
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    let plan = NoisePlan::uniform(&kind, 0.9, false, &Placement::Full, 6).unwrap();
    let mut group = c.benchmark_group("forward");
    group.sample_size(10);

    // One model, batch 256: 256 passes per call.
    let one = actnoise_nn::NoisyConvAutoencoder::from_bank(cfg.init_bank(1, &device).unwrap());
    let x = Tensor::<4>::random([256, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
    group.throughput(Throughput::Elements(256));
    let mut src = NoiseSource::host(1);
    group.bench_function("model_noisy_b256", |b| {
        b.iter(|| one.forward(x.clone(), &plan, &mut src).unwrap().into_data())
    });

    // The class bank, 10 classes, batch 256 (each image through every class: 2,560 passes).
    let bank = cfg.init_bank(10, &device).unwrap();
    group.throughput(Throughput::Elements(2560));
    for (name, mut src) in [
        ("bank10_noisy_b256_host", NoiseSource::host(2)),
        ("bank10_noisy_b256_device", NoiseSource::Device),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                bank.energies(x.clone(), 1, &plan, &mut src, DrawSharing::Independent)
                    .unwrap()
                    .into_data()
            })
        });
    }
    // The same 2,560 passes as 10 separate models, one after another (the alternative to the
    // grouped class bank).
    let separate = bank.unstack();
    let mut src = NoiseSource::host(3);
    group.bench_function("separate10_noisy_b256", |b| {
        b.iter(|| {
            for m in &separate {
                m.energies(x.clone(), 1, &plan, &mut src).unwrap().into_data();
            }
        })
    });
    let off = NoisePlan::off(6);
    group.bench_function("bank10_clean_b256", |b| {
        b.iter(|| {
            bank.energies(x.clone(), 1, &off, &mut NoiseSource::Device, DrawSharing::Independent)
                .unwrap()
                .into_data()
        })
    });
    group.finish();
}

criterion_group!(benches, forward);
criterion_main!(benches);
