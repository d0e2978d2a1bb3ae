//! Aggregating cells over seeds.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::load::{Cell, Run};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Two α values closer than this are the same setting.
pub(crate) const ALPHA_EPS: f64 = 1e-9;

/// α as an integer on a 1e-9 grid, so that `0.1 + 0.2` and `0.3` group together.
pub(crate) fn alpha_key(a: f64) -> i64 {
    (a / ALPHA_EPS).round() as i64
}

/// Whether two α values are the same setting.
pub(crate) fn same_alpha(a: f64, b: f64) -> bool {
    alpha_key(a) == alpha_key(b)
}

/// The grouping key: every field of a [`Cell`] except seed, correct, accuracy, the interval,
/// passes, passes per image and wall time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    experiment: String,
    dataset: String,
    model: String,
    alpha_train: i64,
    alpha_test: i64,
    train_law: String,
    test_law: String,
    train_params: String,
    test_params: String,
    train_placement: String,
    test_placement: String,
    draws: u64,
    estimator: String,
    n_test: u64,
}

impl GroupKey {
    fn of(c: &Cell) -> Self {
        Self {
            experiment: c.experiment.clone(),
            dataset: c.dataset.clone(),
            model: c.model.clone(),
            alpha_train: alpha_key(c.alpha_train),
            alpha_test: alpha_key(c.alpha_test),
            train_law: c.train_law.clone(),
            test_law: c.test_law.clone(),
            train_params: c.train_params.clone(),
            test_params: c.test_params.clone(),
            train_placement: c.train_placement.clone(),
            test_placement: c.test_placement.clone(),
            draws: c.draws,
            estimator: c.estimator.clone(),
            n_test: c.n_test,
        }
    }
}

/// How the uncertainty of an [`Aggregate`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UncertaintyKind {
    /// Standard error of the mean over seeds (n ≥ 2).
    Sem,
    /// Half-width of the cell's 95 % Wilson interval (a single seed), the larger side.
    Wilson,
}

/// One setting aggregated over seeds. Accuracies are fractions in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregate {
    /// Experiment name.
    pub experiment: String,
    /// Dataset name.
    pub dataset: String,
    /// Model name.
    pub model: String,
    /// Noise scale in training (dropout: the rate).
    pub alpha_train: f64,
    /// Noise scale at inference.
    pub alpha_test: f64,
    /// Training law label.
    pub train_law: String,
    /// Inference law label.
    pub test_law: String,
    /// Training law parameters.
    pub train_params: String,
    /// Inference law parameters.
    pub test_params: String,
    /// Training placement.
    pub train_placement: String,
    /// Inference placement.
    pub test_placement: String,
    /// n, noise draws per (image, class).
    pub draws: u64,
    /// Energy estimator.
    pub estimator: String,
    /// Test images per seed.
    pub n_test: u64,
    /// Number of cells (seeds) aggregated.
    pub n: usize,
    /// Their seeds, sorted (a seed may repeat if a run was repeated).
    pub seeds: Vec<u64>,
    /// Mean accuracy over seeds.
    pub mean: f64,
    /// Sample standard deviation over seeds (0 when n = 1).
    pub std: f64,
    /// Standard error of the mean, std / √n (0 when n = 1).
    pub sem: f64,
    /// For n = 1 the cell's 95 % Wilson interval; for n ≥ 2 the Wilson interval of the pooled
    /// counts (correct summed over seeds out of n_test summed over seeds).
    pub ci_low: f64,
    /// High end of the interval described at [`Aggregate::ci_low`].
    pub ci_high: f64,
    /// Correct answers summed over seeds.
    pub correct_total: u64,
    /// Test images summed over seeds.
    pub n_test_total: u64,
    /// Mean forward passes per image, over the seeds that recorded it.
    pub passes_per_image: Option<f64>,
    /// Mean wall time of the cell's evaluation, over the seeds that recorded it.
    pub wall_s: Option<f64>,
    /// Run directories the cells came from.
    pub sources: Vec<PathBuf>,
}

impl Aggregate {
    /// The uncertainty used by the tables and the claims: the SEM when n ≥ 2, otherwise the
    /// larger half of the single cell's 95 % Wilson interval.
    pub fn uncertainty(&self) -> f64 {
        match self.uncertainty_kind() {
            UncertaintyKind::Sem => self.sem,
            UncertaintyKind::Wilson => {
                (self.mean - self.ci_low).max(self.ci_high - self.mean).max(0.0)
            }
        }
    }

    /// Which uncertainty [`Aggregate::uncertainty`] returns.
    pub fn uncertainty_kind(&self) -> UncertaintyKind {
        if self.n >= 2 { UncertaintyKind::Sem } else { UncertaintyKind::Wilson }
    }
}

/// 95 % Wilson score interval for `correct` successes out of `total`.
pub fn wilson_interval(correct: u64, total: u64) -> (f64, f64) {
    if total == 0 {
        return (0.0, 1.0);
    }
    let n = total as f64;
    let p = correct as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Groups the cells of `runs` by every field except seed, correct, accuracy, the interval,
/// passes, passes per image and wall time, and gives each group's mean, sample standard
/// deviation, SEM (std / √n; 0 when n = 1) and n. Groups are returned in a fixed order
/// (experiment, dataset, model, α_train, α_test, laws, parameters, placements, draws, ...).
pub fn aggregate(runs: &[Run]) -> Vec<Aggregate> {
    let mut groups: BTreeMap<GroupKey, Vec<(&Cell, &PathBuf)>> = BTreeMap::new();
    for run in runs {
        for cell in &run.results.cells {
            groups.entry(GroupKey::of(cell)).or_default().push((cell, &run.dir));
        }
    }
    groups.into_values().map(|cells| summarise(&cells)).collect()
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

fn summarise(cells: &[(&Cell, &PathBuf)]) -> Aggregate {
    let first = cells[0].0;
    let n = cells.len();
    let mean = cells.iter().map(|(c, _)| c.accuracy).sum::<f64>() / n as f64;
    let std = if n >= 2 {
        let ss: f64 = cells.iter().map(|(c, _)| (c.accuracy - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let sem = std / (n as f64).sqrt();
    let correct_total: u64 = cells.iter().map(|(c, _)| c.correct).sum();
    let n_test_total: u64 = cells.iter().map(|(c, _)| c.n_test).sum();
    let (ci_low, ci_high) = if n == 1 {
        (first.ci_low, first.ci_high)
    } else {
        wilson_interval(correct_total, n_test_total)
    };
    let mut seeds: Vec<u64> = cells.iter().map(|(c, _)| c.seed).collect();
    seeds.sort_unstable();
    let mut sources: Vec<PathBuf> = cells.iter().map(|(_, d)| (*d).clone()).collect();
    sources.sort();
    sources.dedup();
    Aggregate {
        experiment: first.experiment.clone(),
        dataset: first.dataset.clone(),
        model: first.model.clone(),
        alpha_train: first.alpha_train,
        alpha_test: first.alpha_test,
        train_law: first.train_law.clone(),
        test_law: first.test_law.clone(),
        train_params: first.train_params.clone(),
        test_params: first.test_params.clone(),
        train_placement: first.train_placement.clone(),
        test_placement: first.test_placement.clone(),
        draws: first.draws,
        estimator: first.estimator.clone(),
        n_test: first.n_test,
        n,
        seeds,
        mean,
        std,
        sem,
        ci_low,
        ci_high,
        correct_total,
        n_test_total,
        passes_per_image: mean_of(cells.iter().filter_map(|(c, _)| c.passes_per_image)),
        wall_s: mean_of(cells.iter().filter_map(|(c, _)| c.wall_s)),
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_known_values() {
        // 50/100: centre 0.5, half-width 1.96*sqrt(.25/100+.96/40000)/1.0384 = 0.0960...
        let (lo, hi) = wilson_interval(50, 100);
        assert!((lo - 0.4038).abs() < 1e-4, "{lo}");
        assert!((hi - 0.5962).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson_interval(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-4, "{hi}");
    }

    #[test]
    fn alpha_key_groups_float_noise() {
        assert!(same_alpha(0.1 + 0.2, 0.3));
        assert!(!same_alpha(0.3, 0.31));
    }
}
