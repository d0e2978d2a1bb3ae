//! The statistics of the sampler checks: two-sample Kolmogorov–Smirnov and moment z-scores.

/// The two-sample Kolmogorov–Smirnov statistic `D = sup_x |F_a(x) − F_b(x)|` of two samples
/// (NaNs are not allowed; ties between and within the samples are handled).
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut d = 0.0_f64;
    while i < a.len() && j < b.len() {
        // Step past every copy of the smallest remaining value in both samples at once, so
        // the empirical CDFs are compared only between distinct values.
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// The critical value of [`ks_two_sample`] at level `alpha` for samples of sizes `n` and `m`
/// (the asymptotic `c(α) · √((n + m)/(n·m))`, `c(α) = √(−ln(α/2)/2)`; 1.949 at α = 0.001).
pub fn ks_critical(alpha: f64, n: usize, m: usize) -> f64 {
    let c = (-(alpha / 2.0).ln() / 2.0).sqrt();
    let (n, m) = (n as f64, m as f64);
    c * ((n + m) / (n * m)).sqrt()
}

/// Sample mean and the central moments of order 2 and 4 (divided by n).
pub fn moments(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let (mut m2, mut m4) = (0.0, 0.0);
    for &v in x {
        let d = (v - mean) * (v - mean);
        m2 += d;
        m4 += d * d;
    }
    (mean, m2 / n, m4 / n)
}

/// `|mean − μ| / √(σ²/n)`: how many standard errors the sample mean is from the law's mean.
pub fn mean_z(x: &[f64], mu: f64, sigma2: f64) -> f64 {
    let (mean, _, _) = moments(x);
    (mean - mu).abs() / (sigma2 / x.len() as f64).sqrt()
}

/// `|s² − σ²| / se(s²)`, with `se(s²)² = (μ₄ − σ⁴)/n` and the fourth central moment μ₄
/// estimated from `reference` (an independent, larger-or-equal host sample of the same law).
pub fn variance_z(x: &[f64], sigma2: f64, reference: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (_, s2, _) = moments(x);
    let (_, _, mu4) = moments(reference);
    (s2 * n / (n - 1.0) - sigma2).abs() / ((mu4 - sigma2 * sigma2) / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_identical_and_disjoint_samples() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(ks_two_sample(&a, &a), 0.0);
        assert_eq!(ks_two_sample(&a, &[10.0, 11.0]), 1.0);
        // F_a jumps to 1/2 at 2 while F_b is still 0 there.
        assert_eq!(ks_two_sample(&[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0]), 1.0);
        assert_eq!(ks_two_sample(&[1.0, 3.0], &[2.0, 4.0]), 0.5);
        // Ties across the samples do not count as a difference.
        assert_eq!(ks_two_sample(&[1.0, 1.0, 2.0], &[1.0, 2.0, 2.0]), 1.0 / 3.0);
    }

    #[test]
    fn ks_critical_matches_the_table_value() {
        // c(0.001) = 1.9495; n = m = 20000.
        let c = ks_critical(0.001, 20_000, 20_000);
        assert!((c - 1.9495 * (2.0_f64 / 20_000.0).sqrt()).abs() < 1e-5, "{c}");
        // c(0.05) = 1.3581.
        assert!((ks_critical(0.05, 1, 1) - 1.3581 * 2.0_f64.sqrt()).abs() < 1e-3);
    }

    #[test]
    fn z_scores_detect_a_shifted_or_scaled_sample() {
        // A sample with mean 0 and variance 1 (±1 alternating) against the right moments.
        let x: Vec<f64> = (0..10_000).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        assert!(mean_z(&x, 0.0, 1.0) < 1e-9);
        // μ₄ − σ⁴ of ±1 is 0: take μ₄ from a reference of 0, ±√3 (μ₄ = 6).
        let reference: Vec<f64> =
            (0..10_000).map(|i| [0.0, 3.0_f64.sqrt(), -(3.0_f64.sqrt())][i % 3]).collect();
        assert!(variance_z(&x, 1.0, &reference) < 0.1);
        assert!(mean_z(&x, 0.1, 1.0) > 5.0);
        assert!(variance_z(&x, 1.5, &reference) > 5.0);
    }
}
