//! Sampling throughput: device draws of each law on flex, and the fast host fill.
//!
//! `cargo bench -p actnoise-dist --bench sampling`

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use actnoise_dist::{
    Cauchy, Chi, Device, Exponential, Gaussian, Law, LogNormal, NoiseLaw, ScaledNoise, StudentT,
    Uniform,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const DRAWS: usize = 1_000_000;

/// Every law at the paper's default parameters.
fn laws() -> Vec<Law> {
    vec![
        Gaussian::new(0.0, 1.0).unwrap().into(),
        Cauchy::new(0.0, 1.0).unwrap().into(),
        StudentT::new(1.0).unwrap().into(),
        Uniform::new(1.0).unwrap().into(),
        LogNormal::new(0.0, 1.0).unwrap().into(),
        Chi::new(1.0).unwrap().into(),
        Exponential::new(1.0).unwrap().into(),
    ]
}

fn device_sampling(c: &mut Criterion) {
    let device = Device::flex();
    device.seed(0);
    let mut group = c.benchmark_group("sample_device_1e6");
    group.throughput(Throughput::Elements(DRAWS as u64));
    group.sample_size(10).measurement_time(Duration::from_secs(4));
    for law in laws() {
        group.bench_function(law.name(), |b| {
            b.iter(|| {
                let z = law.sample_device([DRAWS], &device);
                device.sync().expect("flex sync");
                black_box(z)
            })
        });
    }
    group.finish();
}

fn host_fill(c: &mut Criterion) {
    let mut group = c.benchmark_group("fill_host_1e6");
    group.throughput(Throughput::Elements(DRAWS as u64));
    group.sample_size(10).measurement_time(Duration::from_secs(4));
    let mut out = vec![0.0f32; DRAWS];
    for law in laws() {
        let noise = ScaledNoise::new(law, 0.5, false).unwrap();
        let mut stream = 0u64;
        group.bench_function(law.name(), |b| {
            b.iter(|| {
                stream += 1;
                noise.fill_host(42, stream, &mut out);
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, device_sampling, host_fill);
criterion_main!(benches);
