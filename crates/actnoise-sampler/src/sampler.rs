use std::time::Instant;

use actnoise_dist::{Moment, NoiseLaw};
use actnoise_nn::{
    ClassBank, DrawSharing, LayerNoise, NoisePlan, NoiseSource, SourceKind, derive_seed,
};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::{EstimatorConfig, Result, SampleError};

/// Test images as plain data: `images` holds `n · c · h · w` pixels, `shape = [c, h, w]`.
#[derive(Debug, Clone)]
pub struct TestImages {
    images: Vec<f32>,
    labels: Vec<usize>,
    shape: [usize; 3],
}

impl TestImages {
    /// Checks that pixels and labels agree in count.
    pub fn new(images: Vec<f32>, labels: Vec<usize>, shape: [usize; 3]) -> Result<Self> {
        let d: usize = shape.iter().product();
        if d == 0 || images.len() != labels.len() * d {
            return Err(SampleError::Data(format!(
                "{} pixel values for {} labels of shape {shape:?}",
                images.len(),
                labels.len()
            )));
        }
        Ok(Self { images, labels, shape })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    fn tensor(&self, idx: &[usize], device: &Device) -> Tensor<4> {
        let [c, h, w] = self.shape;
        let d = c * h * w;
        let mut buf = Vec::with_capacity(idx.len() * d);
        for &i in idx {
            buf.extend_from_slice(&self.images[i * d..(i + 1) * d]);
        }
        Tensor::from_data(TensorData::new(buf, [idx.len(), c, h, w]), device)
    }
}

/// One inference setting to evaluate on a trained bank.
#[derive(Debug, Clone)]
pub struct EvalRequest<'a> {
    /// The inference noise (law r, α_test, placement).
    pub plan: &'a NoisePlan,
    /// Numbers of draws n to report. One pass at the largest n serves all: the result for a
    /// smaller n is the mean of that n-draw prefix. A noiseless plan takes one pass (n = 1).
    pub draws: &'a [usize],
    /// Estimator options.
    pub estimator: &'a EstimatorConfig,
    /// Where draws come from.
    pub source: SourceKind,
    /// Seed of the draws.
    pub seed: u64,
    /// Most rows (image × draw) of one batched forward call: bounds memory for any n.
    pub max_batch: usize,
}

/// The outcome of one (setting, n): plain data for analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Draws per (image, class) — for the adaptive estimator, the cap n_max.
    pub draws: usize,
    /// Estimator label (`plain`, `common+antithetic`, …).
    pub estimator: String,
    /// Mean energy of each (image, class), row-major `[images][classes]`.
    pub mean: Vec<f64>,
    /// Standard error of each mean (NaN with a single draw), from the spread of the draws as
    /// if they were independent. With antithetic pairs they are not: this figure is then only
    /// indicative (the adaptive sampler's eliminations use the spread of pair means instead).
    pub se: Vec<f64>,
    /// Classes.
    pub classes: usize,
    /// Predicted class of each image (least mean energy).
    pub predictions: Vec<usize>,
    /// True labels.
    pub labels: Vec<usize>,
    /// Correct predictions.
    pub correct: usize,
    /// Accuracy in [0, 1].
    pub accuracy: f64,
    /// 95 % Wilson interval of the accuracy.
    pub ci: (f64, f64),
    /// Single-class forward passes spent, in total.
    pub passes: u64,
    /// Passes spent on each image (all classes).
    pub passes_per_image: Vec<u64>,
    /// Seconds spent computing this result (for a prefix n: the share up to that n).
    pub wall_s: f64,
    /// Constant added to every energy by the exact output term (0 without it); infinite when
    /// the output law has infinite variance, in which case `mean` excludes it.
    pub energy_offset: f64,
}

/// Receives progress; the runner draws a progress bar with it.
pub trait Progress {
    /// `done` of `total` images finished.
    fn on_images(&mut self, _done: usize, _total: usize) {}
}

/// Ignores progress.
pub struct Quiet;
impl Progress for Quiet {}

/// 95 % Wilson score interval of `k` successes in `n` trials.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = k as f64 / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn argmin(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x < v[best] || v[best].is_nan() {
            best = i;
        }
    }
    best
}

/// The plan actually sampled and the exact constant that replaces the output noise.
fn exact_output(plan: &NoisePlan, est: &EstimatorConfig, d: usize) -> Result<(NoisePlan, f64)> {
    if !est.exact_output {
        return Ok((plan.clone(), 0.0));
    }
    match plan.output() {
        None => Ok((plan.clone(), 0.0)),
        Some(LayerNoise::Additive(n)) => {
            let offset = match n.law.variance() {
                Moment::Finite(v) => n.alpha * n.alpha * v * d as f64,
                Moment::Infinite | Moment::Undefined => f64::INFINITY,
            };
            Ok((plan.without_output(), offset))
        }
        Some(_) => Err(SampleError::Config {
            key: "exact_output",
            value: "true".into(),
            why: "the output layer carries negate/dropout noise, whose effect on the energy \
                  depends on the signal; only additive output noise has an exact term"
                .into(),
        }),
    }
}

fn check_antithetic(plan: &NoisePlan, est: &EstimatorConfig) -> Result<()> {
    if !est.antithetic {
        return Ok(());
    }
    for (l, noise) in plan.layers().iter().enumerate() {
        let ok = match noise {
            None => true,
            Some(LayerNoise::Additive(n)) => n.law.is_symmetric(),
            Some(_) => false,
        };
        if !ok {
            return Err(SampleError::Config {
                key: "antithetic",
                value: "true".into(),
                why: format!(
                    "layer {} has a law that is not symmetric about 0; −z would not be a draw \
                     of the same law, so antithetic pairs would bias the energy",
                    l + 1
                ),
            });
        }
    }
    Ok(())
}

struct Setup {
    plan: NoisePlan,
    offset: f64,
    sharing: DrawSharing,
    classes: usize,
}

fn setup(bank: &ClassBank, test: &TestImages, req: &EvalRequest<'_>) -> Result<Setup> {
    let cfg = bank.config();
    if test.shape != [cfg.in_channels, cfg.image_size, cfg.image_size] {
        return Err(SampleError::Data(format!(
            "test images are {:?}, the model expects [{}, {}, {}]",
            test.shape, cfg.in_channels, cfg.image_size, cfg.image_size
        )));
    }
    if let Some(&y) = test.labels.iter().find(|&&y| y >= bank.classes()) {
        return Err(SampleError::Data(format!(
            "label {y} is outside the {} classes of the model",
            bank.classes()
        )));
    }
    if req.max_batch == 0 {
        return Err(SampleError::Config {
            key: "max_batch",
            value: "0".into(),
            why: "must be ≥ 1".into(),
        });
    }
    if req.draws.is_empty() || req.draws.contains(&0) {
        return Err(SampleError::Config {
            key: "draws",
            value: format!("{:?}", req.draws),
            why: "needs at least one n, each ≥ 1".into(),
        });
    }
    if req.estimator.adaptive && req.estimator.round == 0 {
        return Err(SampleError::Config {
            key: "round",
            value: "0".into(),
            why: "the adaptive sampler draws at least one draw per round".into(),
        });
    }
    if !(0.0..1.0).contains(&req.estimator.error_rate) {
        return Err(SampleError::Config {
            key: "error_rate",
            value: req.estimator.error_rate.to_string(),
            why: "must be in [0, 1)".into(),
        });
    }
    check_antithetic(req.plan, req.estimator)?;
    if req.estimator.antithetic && req.source == SourceKind::Device {
        return Err(SampleError::Config {
            key: "antithetic",
            value: "true".into(),
            why:
                "antithetic pairs are formed from keyed host draws; set `noise_source = \"host\"` \
                  (the device generator cannot replay a draw with its sign flipped)"
                    .into(),
        });
    }
    if req.estimator.antithetic && req.estimator.adaptive {
        let n_max = req.draws.iter().max().copied().unwrap_or(0);
        if req.estimator.round % 2 == 1 || n_max % 2 == 1 {
            return Err(SampleError::Config {
                key: "round",
                value: format!("{} (n_max {n_max})", req.estimator.round),
                why: "with antithetic pairs the adaptive sampler's unit is a pair (z, −z): its \
                      round and n_max must be even"
                    .into(),
            });
        }
    }
    let d: usize = test.shape.iter().product();
    let (plan, offset) = exact_output(req.plan, req.estimator, d)?;
    let sharing = if req.estimator.common { DrawSharing::Common } else { DrawSharing::Independent };
    Ok(Setup { plan, offset, sharing, classes: bank.classes() })
}

/// Energies `[rows, C]` of images `idx` for draws `first..first+k` each, read back to the host.
#[allow(clippy::too_many_arguments)]
fn energies(
    bank: &ClassBank,
    test: &TestImages,
    idx: &[usize],
    first: usize,
    k: usize,
    s: &Setup,
    req: &EvalRequest<'_>,
    device: &Device,
) -> Result<Vec<f32>> {
    let x = test.tensor(idx, device);
    let mut source = match req.source {
        SourceKind::Device => NoiseSource::Device,
        SourceKind::Host => {
            let anti = req.estimator.antithetic;
            let rows = idx
                .iter()
                .flat_map(|&i| {
                    (first..first + k).map(move |j| {
                        let (pair, sign) = if anti {
                            (j / 2, if j % 2 == 1 { -1.0 } else { 1.0 })
                        } else {
                            (j, 1.0)
                        };
                        (derive_seed(&[req.seed, i as u64, pair as u64]), sign)
                    })
                })
                .collect();
            NoiseSource::HostKeyed { seed: req.seed, rows, next_layer: 0 }
        }
    };
    let e = bank.energies(x, k, &s.plan, &mut source, s.sharing)?;
    Ok(e.into_data().try_to_vec::<f32>().expect("energies are f32"))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    n: usize,
    label: String,
    sums: &[f64],
    sq: &[f64],
    counts: &[u64],
    labels: &[usize],
    classes: usize,
    offset: f64,
    wall_s: f64,
) -> Evaluation {
    let images = labels.len();
    let mut mean = vec![0.0; images * classes];
    let mut se = vec![f64::NAN; images * classes];
    let mut predictions = Vec::with_capacity(images);
    for i in 0..images {
        let m = counts[i] as f64;
        for c in 0..classes {
            let at = i * classes + c;
            let mu = sums[at] / m;
            mean[at] = if offset.is_finite() { mu + offset } else { mu };
            if m > 1.0 {
                let var = ((sq[at] / m - mu * mu) * m / (m - 1.0)).max(0.0);
                se[at] = (var / m).sqrt();
            }
        }
        predictions.push(argmin(&mean[i * classes..(i + 1) * classes]));
    }
    let correct = predictions.iter().zip(labels).filter(|(p, y)| p == y).count();
    let passes_per_image: Vec<u64> = counts.iter().map(|&m| m * classes as u64).collect();
    Evaluation {
        draws: n,
        estimator: label,
        mean,
        se,
        classes,
        predictions,
        labels: labels.to_vec(),
        correct,
        accuracy: if images == 0 { 0.0 } else { correct as f64 / images as f64 },
        ci: wilson(correct, images),
        passes: passes_per_image.iter().sum(),
        passes_per_image,
        wall_s,
        energy_offset: offset,
    }
}

/// Evaluates `bank` on `test` under `req`: for each n of `req.draws` (or once, at the cap, for
/// the adaptive estimator) the mean energy and its standard error of every (image, class),
/// the predictions, the accuracy and the cost.
///
/// With the host source, the draw of (image i, draw j) comes from its own keyed stream, so the
/// result does not depend on `max_batch`, on batching, or on which other n are evaluated:
/// prefix means equal separate runs.
pub fn evaluate(
    bank: &ClassBank,
    test: &TestImages,
    req: &EvalRequest<'_>,
    progress: &mut dyn Progress,
) -> Result<Vec<Evaluation>> {
    let s = setup(bank, test, req)?;
    let device = bank.device();
    if req.source == SourceKind::Device {
        device.seed(req.seed);
    }
    if req.estimator.adaptive && !s.plan.is_off() {
        return evaluate_adaptive(bank, test, req, &s, &device, progress);
    }
    let mut thresholds: Vec<usize> = req.draws.to_vec();
    thresholds.sort_unstable();
    thresholds.dedup();
    if s.plan.is_off() {
        thresholds = vec![1];
    }
    let n_max = *thresholds.last().expect("non-empty");
    let c = s.classes;
    let images = test.len();
    let per_block = (req.max_batch / n_max.min(req.max_batch)).max(1);
    let mut sums = vec![vec![0.0f64; images * c]; thresholds.len()];
    let mut sq = vec![vec![0.0f64; images * c]; thresholds.len()];
    let mut wall = vec![0.0f64; thresholds.len()];
    let mut acc_sum = vec![0.0f64; images * c];
    let mut acc_sq = vec![0.0f64; images * c];
    let all: Vec<usize> = (0..images).collect();
    for block in all.chunks(per_block) {
        let mut done = 0;
        for (t, &n) in thresholds.iter().enumerate() {
            let t0 = Instant::now();
            while done < n {
                let k = (req.max_batch / block.len()).max(1).min(n - done);
                let e = energies(bank, test, block, done, k, &s, req, &device)?;
                for (bi, &i) in block.iter().enumerate() {
                    for j in 0..k {
                        for cl in 0..c {
                            let v = e[(bi * k + j) * c + cl] as f64;
                            acc_sum[i * c + cl] += v;
                            acc_sq[i * c + cl] += v * v;
                        }
                    }
                }
                done += k;
            }
            wall[t] += t0.elapsed().as_secs_f64();
            for &i in block {
                for cl in 0..c {
                    sums[t][i * c + cl] = acc_sum[i * c + cl];
                    sq[t][i * c + cl] = acc_sq[i * c + cl];
                }
            }
        }
        progress.on_images(block.last().map_or(0, |&i| i + 1), images);
    }
    let label = req.estimator.label();
    let mut cumulative = 0.0;
    Ok(thresholds
        .iter()
        .enumerate()
        .map(|(t, &n)| {
            cumulative += wall[t];
            let counts = vec![n as u64; images];
            finish(
                n,
                label.clone(),
                &sums[t],
                &sq[t],
                &counts,
                &test.labels,
                c,
                s.offset,
                cumulative,
            )
        })
        .collect())
}

/// The one-sided normal quantile used by the adaptive sampler: Bonferroni over the `C − 1`
/// comparisons with the leader and the `looks` rounds, so the chance that any elimination of
/// an image is wrong is at most `error_rate` (under the normal approximation of each mean
/// difference). `error_rate = 0` gives +∞: nothing is ever eliminated.
pub fn adaptive_z(error_rate: f64, classes: usize, looks: usize) -> f64 {
    if error_rate <= 0.0 {
        return f64::INFINITY;
    }
    let m = ((classes.max(2) - 1) * looks.max(1)) as f64;
    Normal::new(0.0, 1.0).expect("standard normal").inverse_cdf(1.0 - error_rate / m)
}

fn evaluate_adaptive(
    bank: &ClassBank,
    test: &TestImages,
    req: &EvalRequest<'_>,
    s: &Setup,
    device: &Device,
    progress: &mut dyn Progress,
) -> Result<Vec<Evaluation>> {
    let t0 = Instant::now();
    let n_max = *req.draws.iter().max().expect("non-empty");
    let round = req.estimator.round.min(n_max);
    let looks = n_max.div_ceil(round);
    let z = adaptive_z(req.estimator.error_rate, s.classes, looks);
    let c = s.classes;
    let images = test.len();
    let mut sums = vec![0.0f64; images * c];
    let mut sq = vec![0.0f64; images * c];
    // Cross products Σ_u E_a E_b of each image over independent units, for the paired
    // differences: a unit is one draw, or with antithetic pairs the mean of the pair (z, −z),
    // whose two halves are not independent (setup checked that round and n_max are even).
    let step = if req.estimator.antithetic { 2 } else { 1 };
    let mut unit = vec![0.0f64; c];
    let mut cross = vec![0.0f64; images * c * c];
    let mut units = vec![0u64; images];
    let mut counts = vec![0u64; images];
    let mut active: Vec<Vec<bool>> = vec![vec![true; c]; images];
    let mut open: Vec<usize> = (0..images).collect();
    let mut drawn = 0;
    while !open.is_empty() && drawn < n_max {
        let k = round.min(n_max - drawn);
        let per_call = (req.max_batch / k).max(1);
        for block in open.chunks(per_call) {
            // Rows of one call: `block.len()` images × `k` draws (chunked further if k is large).
            let mut first = drawn;
            while first < drawn + k {
                let mut kk = (req.max_batch / block.len()).max(1).min(drawn + k - first);
                if step == 2 {
                    // Whole pairs only: `first` and `drawn + k` are even.
                    kk = (kk & !1).max(2);
                }
                let e = energies(bank, test, block, first, kk, s, req, device)?;
                for (bi, &i) in block.iter().enumerate() {
                    for j in (0..kk).step_by(step) {
                        unit.fill(0.0);
                        for jj in j..j + step {
                            let row = &e[(bi * kk + jj) * c..(bi * kk + jj + 1) * c];
                            for a in 0..c {
                                let va = row[a] as f64;
                                sums[i * c + a] += va;
                                sq[i * c + a] += va * va;
                                unit[a] += va / step as f64;
                            }
                        }
                        for a in 0..c {
                            for b in 0..c {
                                cross[(i * c + a) * c + b] += unit[a] * unit[b];
                            }
                        }
                        units[i] += 1;
                    }
                    counts[i] += kk as u64;
                }
                first += kk;
            }
        }
        drawn += k;
        // Eliminate, per open image, the classes whose paired difference to the leader is
        // positive beyond z standard errors.
        for &i in &open {
            let m = units[i] as f64;
            if m < 2.0 {
                continue;
            }
            let draws = counts[i] as f64;
            let mean = |a: usize| sums[i * c + a] / draws;
            let leader = (0..c)
                .filter(|&a| active[i][a])
                .min_by(|&a, &b| mean(a).total_cmp(&mean(b)))
                .expect("an active class");
            for a in 0..c {
                if !active[i][a] || a == leader {
                    continue;
                }
                let diff = mean(a) - mean(leader);
                let e2 = (cross[(i * c + a) * c + a] - 2.0 * cross[(i * c + a) * c + leader]
                    + cross[(i * c + leader) * c + leader])
                    / m;
                let var = ((e2 - diff * diff) * m / (m - 1.0)).max(0.0);
                let se = (var / m).sqrt();
                if diff - z * se > 0.0 {
                    active[i][a] = false;
                }
            }
        }
        open.retain(|&i| active[i].iter().filter(|&&x| x).count() > 1);
        progress.on_images(images - open.len(), images);
    }
    let mut eval = finish(
        n_max,
        req.estimator.label(),
        &sums,
        &sq,
        &counts,
        &test.labels,
        c,
        s.offset,
        t0.elapsed().as_secs_f64(),
    );
    // The decision is the best class among those never eliminated.
    for (i, alive) in active.iter().enumerate() {
        let row = &eval.mean[i * c..(i + 1) * c];
        let best = (0..c)
            .filter(|&a| alive[a])
            .min_by(|&a, &b| row[a].total_cmp(&row[b]))
            .expect("an active class");
        eval.predictions[i] = best;
    }
    eval.correct = eval.predictions.iter().zip(&test.labels).filter(|(p, y)| p == y).count();
    eval.accuracy = if images == 0 { 0.0 } else { eval.correct as f64 / images as f64 };
    eval.ci = wilson(eval.correct, images);
    Ok(vec![eval])
}
