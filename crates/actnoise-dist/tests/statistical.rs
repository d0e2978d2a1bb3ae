//! Statistical tests: for every law, 10⁵ device draws on flex against 10⁵ host (`rand_distr`)
//! draws: a two-sample Kolmogorov–Smirnov test at level 0.001, the mean and variance within 4
//! standard errors of the law's where they exist, and the median of symmetric laws at 0.
//!
//! Seeds are fixed, so the outcome is deterministic; the thresholds are those a correct
//! sampler fails with probability ≈ 0.001 (KS) or ≈ 6·10⁻⁵ (4 standard errors) per check.

mod common;

use actnoise_dist::{
    Cauchy, Chi, Device, Exponential, Gaussian, Law, LogNormal, NoiseLaw, ScaledNoise, StudentT,
    Uniform,
};
use common::{device_rng, values};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const N: usize = 100_000;

/// Two-sample KS critical value at α = 0.001 for n = m = 10⁵:
/// `c(α) · √((n + m)/(n m))` with `c(α) = √(−ln(α/2)/2) ≈ 1.9495`, i.e. ≈ 0.008718.
fn ks_critical() -> f64 {
    let alpha: f64 = 0.001;
    let c = (-(alpha / 2.0).ln() / 2.0).sqrt();
    c * ((2 * N) as f64 / (N * N) as f64).sqrt()
}

/// The two-sample Kolmogorov–Smirnov statistic `sup |F_a − F_b|` (both slices sorted).
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Sample mean, variance and central fourth moment.
fn moments(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = v.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    (mean, var, m4)
}

/// Whether E[z⁴] is finite, so the sample variance has a standard error.
fn fourth_moment_finite(law: &Law) -> bool {
    match law {
        Law::Cauchy(_) => false,
        Law::StudentT(t) => t.dof() > 4.0,
        _ => true,
    }
}

/// Mean and variance checks of one sample against the law's moments.
fn check_moments(label: &str, law: &Law, sample: &[f64]) {
    let (mean, var, m4) = moments(sample);
    if let (Some(mu), Some(sigma2)) = (law.mean().finite(), law.variance().finite()) {
        let se = (sigma2 / N as f64).sqrt();
        assert!((mean - mu).abs() < 4.0 * se, "{label}: mean {mean} vs {mu} (se {se})");
    }
    if let (Some(sigma2), true) = (law.variance().finite(), fourth_moment_finite(law)) {
        let se = ((m4 - var * var) / N as f64).sqrt();
        assert!((var - sigma2).abs() < 4.0 * se, "{label}: variance {var} vs {sigma2} (se {se})");
    }
}

/// Device (flex, seeded) against host (`rand_distr`, seeded) for one law.
fn check_law(law: Law, seed: u64) {
    let label = format!("{}({})", law.name(), law.params());
    let device = Device::flex();
    let dev = {
        let _rng = device_rng();
        device.seed(seed);
        values(law.sample_device([N], &device))
    };
    let dev: Vec<f64> = dev.into_iter().map(f64::from).collect();
    assert!(dev.iter().all(|x| x.is_finite()), "{label}: non-finite device draw");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let host: Vec<f64> = (0..N).map(|_| law.sample_host(&mut rng)).collect();

    check_moments(&format!("{label} device"), &law, &dev);
    check_moments(&format!("{label} host"), &law, &host);

    if law.is_symmetric() {
        // Sign test: the count below 0 is Binomial(N, ½) when the median is 0.
        let below = dev.iter().filter(|&&x| x < 0.0).count() as f64 / N as f64;
        let tol = 4.0 * 0.5 / (N as f64).sqrt();
        assert!((below - 0.5).abs() < tol, "{label}: P(z < 0) = {below}");
    }

    let d = ks_statistic(&sorted(dev), &sorted(host));
    eprintln!("{label}: KS D = {d:.5} (critical {:.5})", ks_critical());
    assert!(d < ks_critical(), "{label}: KS D = {d} >= {}", ks_critical());
}

macro_rules! law_tests {
    ($($name:ident: $law:expr, $seed:expr;)*) => {$(
        #[test]
        fn $name() {
            check_law(Law::from($law.unwrap()), $seed);
        }
    )*};
}

law_tests! {
    gaussian_standard_matches_host: Gaussian::new(0.0, 1.0), 11;
    gaussian_shifted_matches_host: Gaussian::new(0.5, 2.0), 12;
    cauchy_standard_matches_host: Cauchy::new(0.0, 1.0), 13;
    cauchy_shifted_matches_host: Cauchy::new(1.0, 0.5), 14;
    student_t_half_dof_matches_host: StudentT::new(0.5), 15;
    student_t_one_dof_matches_host: StudentT::new(1.0), 16;
    student_t_infinite_variance_matches_host: StudentT::new(1.5), 17;
    student_t_five_dof_matches_host: StudentT::new(5.0), 18;
    student_t_many_dof_matches_host: StudentT::new(30.0), 19;
    uniform_unit_matches_host: Uniform::new(1.0), 20;
    uniform_wide_matches_host: Uniform::new(3.0), 21;
    lognormal_standard_matches_host: LogNormal::new(0.0, 1.0), 22;
    lognormal_narrow_matches_host: LogNormal::new(-0.5, 0.5), 23;
    chi_half_matches_host: Chi::new(0.5), 24;
    chi_one_matches_host: Chi::new(1.0), 25;
    chi_three_matches_host: Chi::new(3.0), 26;
    chi_many_matches_host: Chi::new(40.0), 27;
    exponential_unit_matches_host: Exponential::new(1.0), 28;
    exponential_fast_matches_host: Exponential::new(2.5), 29;
}

/// The fast host fill and the device path of `ScaledNoise` draw the same law (scaled and
/// centred), and both have the scaled moments.
#[test]
fn scaled_noise_host_fill_matches_device() {
    let device = Device::flex();
    let cases: Vec<(Law, f64, bool)> = vec![
        (Exponential::new(2.0).unwrap().into(), 0.5, true),
        (LogNormal::new(0.0, 0.5).unwrap().into(), 2.0, true),
        (Chi::new(2.0).unwrap().into(), 1.5, true),
        (Gaussian::new(0.0, 1.0).unwrap().into(), 0.1, false),
        (StudentT::new(3.0).unwrap().into(), 0.7, false),
    ];
    for (i, (law, alpha, centered)) in cases.into_iter().enumerate() {
        let noise = ScaledNoise::new(law, alpha, centered).unwrap();
        let label = format!("{}({}) alpha={alpha} centered={centered}", law.name(), law.params());
        let dev = {
            let _rng = device_rng();
            device.seed(100 + i as u64);
            values(noise.sample_device([N], &device))
        };
        let dev: Vec<f64> = dev.into_iter().map(f64::from).collect();
        let mut host = vec![0.0f32; N];
        noise.fill_host(200 + i as u64, 0, &mut host);
        let host: Vec<f64> = host.into_iter().map(f64::from).collect();
        for (what, sample) in [("device", &dev), ("fill_host", &host)] {
            let (mean, _, _) = moments(sample);
            let mu = noise.mean().finite().unwrap();
            let se = (noise.variance().finite().unwrap() / N as f64).sqrt();
            assert!((mean - mu).abs() < 4.0 * se, "{label} {what}: mean {mean} vs {mu}");
        }
        let d = ks_statistic(&sorted(dev), &sorted(host));
        assert!(d < ks_critical(), "{label}: KS D = {d}");
    }
}

#[test]
fn ks_statistic_detects_a_shift() {
    // Guards the test's own yardstick: a 0.05 σ shift is far beyond the critical value.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let law = Gaussian::new(0.0, 1.0).unwrap();
    let a: Vec<f64> = (0..N).map(|_| law.sample_host(&mut rng)).collect();
    let b: Vec<f64> = (0..N).map(|_| law.sample_host(&mut rng) + 0.05).collect();
    let d = ks_statistic(&sorted(a), &sorted(b));
    assert!(d > ks_critical(), "{d}");
    assert!((ks_critical() - 0.008718).abs() < 1e-6);
}
