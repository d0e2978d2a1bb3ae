//! Sampler behaviour on a small random bank (flex backend).

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, ClassBank, NoisePlan, Placement, SourceKind};
use actnoise_sampler::{
    EstimatorConfig, EvalRequest, Evaluation, Quiet, TestImages, evaluate, wilson,
};
use burn::tensor::Device;

/// Flex's generator is global: seeding and initialising must not interleave with another
/// test's, or the bank's weights (and the thresholds below) depend on test scheduling.
/// Found when two new tests made `adaptive_stops_early_when_classes_separate` fail one run in
/// two.
static SEED_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn bank(classes: usize) -> ClassBank {
    let _guard = SEED_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let device = Device::flex();
    device.seed(42);
    let cfg = AutoencoderConfig {
        channels: vec![4, 6],
        in_channels: 1,
        image_size: 8,
        ..AutoencoderConfig::default()
    };
    let bank = cfg.init_bank(classes, &device).unwrap();
    // Burn initialises parameters lazily, on first use: draw them now, under the lock.
    for c in 0..classes {
        bank.class_tensors(c);
    }
    bank
}

fn test_images(n: usize, classes: usize) -> TestImages {
    let pixels = (0..n * 64).map(|i| ((i * 37 % 101) as f32) / 100.0).collect();
    TestImages::new(pixels, (0..n).map(|i| i % classes).collect(), [1, 8, 8]).unwrap()
}

fn plan(spec: NoiseSpec, alpha: f64) -> NoisePlan {
    NoisePlan::uniform(&NoiseKind::try_from(spec).unwrap(), alpha, false, &Placement::Full, 4)
        .unwrap()
}

fn run(
    bank: &ClassBank,
    test: &TestImages,
    plan: &NoisePlan,
    draws: &[usize],
    est: &EstimatorConfig,
    max_batch: usize,
) -> Vec<Evaluation> {
    let req =
        EvalRequest { plan, draws, estimator: est, source: SourceKind::Host, seed: 9, max_batch };
    evaluate(bank, test, &req, &mut Quiet).unwrap()
}

/// The same decisions, the same passes, and mean energies equal to within 1e-9 (relative).
fn assert_same_evaluation(a: &Evaluation, reference: &Evaluation) {
    assert_eq!(a.predictions, reference.predictions);
    assert_eq!(a.passes, reference.passes);
    for (x, r) in a.mean.iter().zip(&reference.mean) {
        assert!((x - r).abs() <= 1e-9 * r.abs().max(1.0));
    }
}

#[test]
fn prefix_means_equal_separate_runs_at_each_n() {
    let (b, t) = (bank(3), test_images(5, 3));
    let p = plan(NoiseSpec::default(), 0.7);
    let est = EstimatorConfig::default();
    let sweep = run(&b, &t, &p, &[1, 4, 16], &est, 24);
    assert_eq!(sweep.len(), 3);
    for ev in &sweep {
        let alone = run(&b, &t, &p, &[ev.draws], &est, 7).remove(0);
        assert_eq!(ev.draws, alone.draws);
        for (a, s) in ev.mean.iter().zip(&alone.mean) {
            assert!((a - s).abs() <= 1e-9 * s.abs().max(1.0), "n={}: {a} vs {s}", ev.draws);
        }
        assert_eq!(ev.predictions, alone.predictions);
        assert_eq!(ev.passes, (5 * ev.draws * 3) as u64);
    }
}

#[test]
fn noise_off_takes_one_pass_and_estimators_agree_exactly() {
    let (b, t) = (bank(3), test_images(6, 3));
    let off = plan(NoiseSpec::default(), 0.0);
    let plain = run(&b, &t, &off, &[1, 100], &EstimatorConfig::default(), 64);
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].draws, 1);
    assert_eq!(plain[0].passes, 18);
    for est in [
        EstimatorConfig { common: true, ..Default::default() },
        EstimatorConfig { antithetic: true, ..Default::default() },
        EstimatorConfig {
            common: true,
            antithetic: true,
            exact_output: true,
            ..Default::default()
        },
    ] {
        let other = run(&b, &t, &off, &[1, 100], &est, 64);
        assert_eq!(other[0].mean, plain[0].mean, "{}", est.label());
        assert_eq!(other[0].predictions, plain[0].predictions);
    }
}

/// Each estimator is unbiased for the mean energy: against plain averaging of many draws,
/// the difference stays within 4 combined standard errors.
#[test]
fn estimators_are_unbiased_against_plain_averaging() {
    let (b, t) = (bank(2), test_images(2, 2));
    let p = plan(NoiseSpec::default(), 0.5);
    let n = 3000;
    let plain = run(&b, &t, &p, &[n], &EstimatorConfig::default(), 3000).remove(0);
    for est in [
        EstimatorConfig { common: true, ..Default::default() },
        EstimatorConfig { antithetic: true, ..Default::default() },
        EstimatorConfig { exact_output: true, ..Default::default() },
        EstimatorConfig {
            common: true,
            antithetic: true,
            exact_output: true,
            ..Default::default()
        },
    ] {
        let other = run(&b, &t, &p, &[n], &est, 3000).remove(0);
        for k in 0..plain.mean.len() {
            let tol = 4.0 * (plain.se[k].powi(2) + other.se[k].powi(2)).sqrt();
            let diff = (plain.mean[k] - other.mean[k]).abs();
            assert!(
                diff <= tol,
                "{}: cell {k}: |{} - {}| > {tol}",
                est.label(),
                plain.mean[k],
                other.mean[k]
            );
        }
    }
    let exact =
        run(&b, &t, &p, &[1], &EstimatorConfig { exact_output: true, ..Default::default() }, 64)
            .remove(0);
    assert!((exact.energy_offset - 0.25 * 64.0).abs() < 1e-12, "α²·Var·D = 0.25·1·64");
}

#[test]
fn exact_output_with_infinite_variance_excludes_the_term() {
    let (b, t) = (bank(2), test_images(2, 2));
    let p = plan(NoiseSpec::Cauchy { location: 0.0, scale: 1.0 }, 0.3);
    let ev =
        run(&b, &t, &p, &[8], &EstimatorConfig { exact_output: true, ..Default::default() }, 64)
            .remove(0);
    assert!(ev.energy_offset.is_infinite());
    assert!(ev.mean.iter().all(|m| m.is_finite()));
}

#[test]
fn antithetic_is_refused_for_asymmetric_laws() {
    let (b, t) = (bank(2), test_images(2, 2));
    let p = plan(NoiseSpec::LogNormal { mu: 0.0, sigma: 1.0 }, 0.3);
    let est = EstimatorConfig { antithetic: true, ..Default::default() };
    let req = EvalRequest {
        plan: &p,
        draws: &[4],
        estimator: &est,
        source: SourceKind::Host,
        seed: 1,
        max_batch: 64,
    };
    let err = evaluate(&b, &t, &req, &mut Quiet).unwrap_err().to_string();
    assert!(err.contains("antithetic") && err.contains("symmetric"), "{err}");
}

#[test]
fn adaptive_with_unreachable_bound_equals_plain_at_n_max() {
    let (b, t) = (bank(3), test_images(6, 3));
    let p = plan(NoiseSpec::default(), 0.8);
    let plain = run(&b, &t, &p, &[40], &EstimatorConfig::default(), 50).remove(0);
    let est = EstimatorConfig { adaptive: true, round: 8, error_rate: 0.0, ..Default::default() };
    let adaptive = run(&b, &t, &p, &[40], &est, 50).remove(0);
    assert_same_evaluation(&adaptive, &plain);
}

#[test]
fn adaptive_on_antithetic_pairs_with_unreachable_bound_equals_fixed_pairs() {
    let (b, t) = (bank(3), test_images(5, 3));
    let p = plan(NoiseSpec::default(), 0.8);
    let pairs = EstimatorConfig { antithetic: true, common: true, ..Default::default() };
    let fixed = run(&b, &t, &p, &[24], &pairs, 64).remove(0);
    // max_batch 7: calls of an odd number of rows are cut to whole pairs.
    let est = EstimatorConfig { adaptive: true, round: 6, error_rate: 0.0, ..pairs.clone() };
    let adaptive = run(&b, &t, &p, &[24], &est, 7).remove(0);
    assert_same_evaluation(&adaptive, &fixed);
}

#[test]
fn antithetic_needs_host_draws_and_even_adaptive_rounds() {
    let (b, t) = (bank(2), test_images(2, 2));
    let p = plan(NoiseSpec::default(), 0.3);
    let try_eval = |est: &EstimatorConfig, source: SourceKind, draws: &[usize]| {
        let req = EvalRequest { plan: &p, draws, estimator: est, source, seed: 1, max_batch: 64 };
        evaluate(&b, &t, &req, &mut Quiet).unwrap_err().to_string()
    };
    let anti = EstimatorConfig { antithetic: true, ..Default::default() };
    let err = try_eval(&anti, SourceKind::Device, &[4]);
    assert!(err.contains("noise_source"), "{err}");
    let odd = EstimatorConfig { adaptive: true, round: 5, ..anti.clone() };
    let err = try_eval(&odd, SourceKind::Host, &[20]);
    assert!(err.contains("round") && err.contains("even"), "{err}");
    let even = EstimatorConfig { adaptive: true, round: 4, ..anti };
    let err = try_eval(&even, SourceKind::Host, &[21]);
    assert!(err.contains("n_max 21"), "{err}");
}

#[test]
fn adaptive_stops_early_when_classes_separate() {
    let (b, t) = (bank(3), test_images(6, 3));
    let p = plan(NoiseSpec::default(), 0.05);
    let est = EstimatorConfig {
        adaptive: true,
        common: true,
        round: 8,
        error_rate: 0.05,
        ..Default::default()
    };
    let adaptive = run(&b, &t, &p, &[400], &est, 200).remove(0);
    // The reference: the same common draws, averaged to n_max without stopping.
    let common = EstimatorConfig { common: true, ..Default::default() };
    let plain = run(&b, &t, &p, &[400], &common, 200).remove(0);
    assert!(adaptive.passes < plain.passes / 4, "{} vs {}", adaptive.passes, plain.passes);
    assert_eq!(adaptive.predictions, plain.predictions);
}

#[test]
fn wilson_interval_known_values() {
    let (lo, hi) = wilson(50, 100);
    assert!((lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3, "{lo} {hi}");
    assert_eq!(wilson(0, 0), (0.0, 1.0));
}
