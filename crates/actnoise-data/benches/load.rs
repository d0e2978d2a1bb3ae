//! Loading all of CIFAR-10 train into memory, and batching from it.
//!
//! Needs the data: `ACTNOISE_DATA=/path/to/data cargo bench -p actnoise-data --bench load`.
//! Without `ACTNOISE_DATA` it prints a message and measures nothing.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use actnoise_data::{DatasetSpec, load};
use criterion::{Criterion, criterion_group, criterion_main};

fn data_root() -> Option<PathBuf> {
    std::env::var_os("ACTNOISE_DATA").filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn bench_load(c: &mut Criterion) {
    let Some(root) = data_root() else {
        eprintln!("skipped: ACTNOISE_DATA not set (set it to the folder holding cifar10/)");
        return;
    };
    let cifar10 = DatasetSpec { name: "cifar10".into(), ..DatasetSpec::default() };
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("cifar10_train_test_60000x3x32x32", |b| {
        b.iter(|| black_box(load(&cifar10, Some(&root)).expect("cifar10 loads")))
    });
    group.bench_function("digits_1797x1x32x32", |b| {
        b.iter(|| black_box(load(&DatasetSpec::default(), None).expect("digits load")))
    });
    group.finish();

    let split = load(&cifar10, Some(&root)).expect("cifar10 loads");
    let indices: Vec<usize> = (0..256).map(|i| i * 97 % split.train.len()).collect();
    c.bench_function("batch_f32_256x3x32x32", |b| {
        b.iter(|| black_box(split.train.batch_f32(black_box(&indices)).expect("in range")))
    });
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
