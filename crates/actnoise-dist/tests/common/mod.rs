//! Shared helpers and proptest strategies for the integration tests.

#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

use actnoise_dist::{Cauchy, Chi, Exponential, Gaussian, Law, LogNormal, StudentT, Uniform};
use burn::tensor::Tensor;
use proptest::prelude::*;

/// Flex's generator is global to the process: tests that seed it and rely on the draws that
/// follow hold this lock so parallel tests do not interleave their draws.
static DEVICE_RNG: Mutex<()> = Mutex::new(());

/// Holds the device generator for the current test.
pub fn device_rng() -> MutexGuard<'static, ()> {
    DEVICE_RNG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The values of a float tensor, as `f32`.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec_as::<f32>().expect("f32 tensor")
}

/// Every law at the paper's default parameters.
pub fn paper_laws() -> Vec<Law> {
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

/// Valid laws with parameters over bounded ranges (wide enough to reach the special cases:
/// ν < 1 and ν > 2, k < 2 and k > 2, ω = 0).
pub fn valid_law() -> impl Strategy<Value = Law> {
    prop_oneof![
        (-5.0..5.0f64, 0.01..5.0f64).prop_map(|(m, s)| Gaussian::new(m, s).unwrap().into()),
        (-5.0..5.0f64, 0.01..5.0f64).prop_map(|(l, s)| Cauchy::new(l, s).unwrap().into()),
        (0.05..50.0f64).prop_map(|v| StudentT::new(v).unwrap().into()),
        prop_oneof![Just(0.0), 0.0..10.0f64].prop_map(|w| Uniform::new(w).unwrap().into()),
        (-3.0..3.0f64, 0.01..3.0f64).prop_map(|(m, s)| LogNormal::new(m, s).unwrap().into()),
        (0.05..50.0f64).prop_map(|k| Chi::new(k).unwrap().into()),
        (0.01..20.0f64).prop_map(|l| Exponential::new(l).unwrap().into()),
    ]
}

/// Any `f64`, with the edge cases (NaN, ±∞, ±0, tiny and huge values) well represented.
pub fn any_param() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(-f64::MIN_POSITIVE),
        Just(f64::MAX),
        Just(f64::MIN),
        -10.0..10.0f64,
        any::<f64>(),
    ]
}
