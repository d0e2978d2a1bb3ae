//! `actnoise bench`: training and inference throughput on flex (and any other compiled-in
//! backend given with `--backend`), side by side with the PyTorch reference
//! (`torch_reference.py`), alternating in one run so that all see the same load.
//!
//! Every figure is a median over `--reps` repetitions after a warm-up, and is printed with its
//! ratio to PyTorch (measured in the same round) and its fraction of the machine's fp32 GEMM
//! peak, itself measured at the start with one large `n × n` matmul on each benchmarked
//! backend (flex: Burn's matmul, which calls the `gemm` crate; tch: LibTorch's); the peak is
//! the largest of them.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::derive_seed;
use actnoise_nn::{
    AutoencoderConfig, ClassBank, ConvPath, DrawSharing, NoisePlan, NoiseSource, Placement,
};
use actnoise_train::{ClassImages, Silent, SourceKind, TrainConfig, TrainSetup, train};
use anyhow::{Context, Result, bail};
use burn::tensor::{Device, Distribution, Tensor};

use crate::backend::{BackendChoice, select_device};
use crate::config::SourceChoice;

/// The convolution paths of `--conv`, by name.
const CONV_PATHS: [(&str, ConvPath); 3] =
    [("burn", ConvPath::Burn), ("matmul", ConvPath::Matmul), ("per-class", ConvPath::PerClass)];

/// Arguments of `actnoise bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Python with torch for the side-by-side reference.
    #[arg(long)]
    pub torch: Option<PathBuf>,
    /// The PyTorch reference script.
    #[arg(long, default_value = "/work/shared/bench/torch_reference.py")]
    pub torch_script: PathBuf,
    /// Noise scale α of the noisy figures.
    #[arg(long, default_value_t = 0.9)]
    pub alpha: f64,
    /// Classes in the bank (training images and inference passes count every class).
    #[arg(long, default_value_t = 10)]
    pub classes: usize,
    /// Repetitions per figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Rounds: each round measures PyTorch then each backend, figure by figure.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Rows (image × draw) per inference call, as the sampler's `max_batch` (on flex, small
    /// calls are faster: 25 rows beat 1,000 by about a quarter).
    #[arg(long, default_value_t = 25)]
    pub rows: usize,
    /// Size n of the n × n × n matmul that measures the GEMM peak.
    #[arg(long, default_value_t = 2048)]
    pub gemm_n: usize,
    /// Only these figures (comma-separated: train, noisy, clean).
    #[arg(long, value_delimiter = ',', default_values_t = ["train".to_string(), "noisy".to_string(), "clean".to_string()])]
    pub only: Vec<String>,
    /// How the bank computes convolutions: `burn` (Burn's grouped conv ops), `matmul` (batched
    /// im2col + one GEMM per class) or `per-class` (one dense Burn conv per class); each given
    /// is measured, in turn.
    #[arg(long, value_delimiter = ',', default_values_t = ["burn".to_string()])]
    pub conv: Vec<String>,
    /// Backends to measure, in turn (each must be compiled in: `tch` needs `--features tch`).
    #[arg(long, value_delimiter = ',', default_values_t = [BackendChoice::Flex])]
    pub backend: Vec<BackendChoice>,
    /// Where the noise of actnoise's figures is drawn, as a run's `noise_source`: `auto`
    /// (host on CPU backends, device on GPUs), `host` (actnoise's generator, the same numbers
    /// on every backend) or `device` (the backend's own generator).
    #[arg(long, value_enum, default_value_t = SourceChoice::Auto)]
    pub source: SourceChoice,
    /// Threads PyTorch may use (flex uses rayon's pool: `RAYON_NUM_THREADS`, default all cores).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// One measured figure: a rate and what it counts.
struct Figure {
    name: String,
    unit: &'static str,
    /// The rate on the benchmarked backend.
    rate: f64,
    torch: Option<f64>,
    /// Floating-point operations per counted unit (for the fraction of GEMM peak).
    flops_per_unit: f64,
}

/// Runs the benchmarks.
pub fn main(args: &BenchArgs) -> Result<()> {
    if args.reps == 0 || args.rounds == 0 || args.classes == 0 || args.rows == 0 {
        bail!("bench: --reps, --rounds, --classes and --rows must be > 0");
    }
    if let Some(py) = &args.torch
        && !args.torch_script.exists()
    {
        bail!(
            "bench: the reference script {} does not exist (pass --torch-script); python: {}",
            args.torch_script.display(),
            py.display()
        );
    }
    let paths = args
        .conv
        .iter()
        .map(|c| match CONV_PATHS.iter().find(|(name, _)| name == c) {
            Some(&(_, path)) => Ok(path),
            None => bail!("bench: --conv {c}: use burn, matmul or per-class"),
        })
        .collect::<Result<Vec<_>>>()?;
    if args.backend.is_empty() {
        bail!("bench: --backend needs at least one backend");
    }
    let mut devices = Vec::new();
    for &b in &args.backend {
        let device = select_device(b, 0)?;
        device.seed(0);
        devices.push((b, device));
    }
    let cfg = AutoencoderConfig::default();
    let macs = forward_macs(&cfg) as f64;
    println!("load: {}", load());
    let mut peak = 0.0f64;
    for (b, device) in &devices {
        let p = gemm_peak(device, args.gemm_n);
        println!(
            "GEMM ({b} matmul, f32, n = {}, median of 5): {:.1} GFLOP/s",
            args.gemm_n,
            p / 1e9
        );
        peak = peak.max(p);
    }
    println!("GEMM peak (the largest): {:.1} GFLOP/s", peak / 1e9);
    println!(
        "model: {:.2} M multiply-adds per forward pass; {} classes; α = {}",
        macs / 1e6,
        args.classes,
        args.alpha
    );
    let want = |w: &str| args.only.iter().any(|o| o == w);
    let mut rounds: Vec<Vec<Figure>> = Vec::new();
    for round in 1..=args.rounds {
        println!("-- round {round} (load {})", load());
        let mut figs = Vec::new();
        if want("train") {
            let torch = torch_run(args, "train", args.alpha)?.first().copied();
            for ((b, device), &path) in cases(&devices, &paths) {
                let rate = train_rate(device, &cfg, args, b.source(args.source), path)?;
                figs.push(Figure {
                    name: name("train", *b, path),
                    unit: "images/s",
                    rate,
                    torch,
                    flops_per_unit: 3.0 * 2.0 * macs,
                });
                report(figs.last().expect("just pushed"), peak);
            }
        }
        if want("noisy") {
            let torch = torch_run(args, "infer", args.alpha)?;
            for ((b, device), &path) in cases(&devices, &paths) {
                let source = b.source(args.source);
                let rate = infer_rates(device, &cfg, args, args.alpha, source, path)?;
                figs.push(Figure {
                    name: name("noisy inference, 1 image × 1000 draws", *b, path),
                    unit: "passes/s",
                    rate: rate[0],
                    torch: torch.first().copied(),
                    flops_per_unit: 2.0 * macs,
                });
                report(figs.last().expect("just pushed"), peak);
                figs.push(Figure {
                    name: name("noisy inference, 10 images × 100 draws", *b, path),
                    unit: "passes/s",
                    rate: rate[1],
                    torch: torch.get(1).copied(),
                    flops_per_unit: 2.0 * macs,
                });
                report(figs.last().expect("just pushed"), peak);
            }
        }
        if want("clean") {
            let torch = torch_run(args, "infer", 0.0)?;
            for ((b, device), &path) in cases(&devices, &paths) {
                let source = b.source(args.source);
                let rate = infer_rates(device, &cfg, args, 0.0, source, path)?;
                figs.push(Figure {
                    name: name("noiseless inference, 1000 images", *b, path),
                    unit: "passes/s",
                    rate: rate[0],
                    torch: torch.first().copied(),
                    flops_per_unit: 2.0 * macs,
                });
                report(figs.last().expect("just pushed"), peak);
            }
        }
        rounds.push(figs);
    }
    if args.rounds > 1 {
        println!("-- median over {} rounds", args.rounds);
        for i in 0..rounds[0].len() {
            let med = |f: &dyn Fn(&Figure) -> Option<f64>| {
                median(rounds.iter().filter_map(|r| f(&r[i])).collect())
            };
            let rate = med(&|f| Some(f.rate)).unwrap_or(f64::NAN);
            let ratio = med(&|f| f.torch.map(|t| f.rate / t));
            let f = &rounds[0][i];
            let torch = med(&|f| f.torch);
            println!(
                "{:<52} {:>9.1} {}  torch {}  ratio {}  {:.1} % of GEMM peak",
                f.name,
                rate,
                f.unit,
                torch.map_or("-".into(), |t| format!("{t:.1}")),
                ratio.map_or("-".into(), |r| format!("{r:.2}×")),
                100.0 * rate * f.flops_per_unit / peak
            );
        }
    }
    println!("load: {}", load());
    Ok(())
}

/// Every (backend, convolution path) pair, backends outermost.
fn cases<'a>(
    devices: &'a [(BackendChoice, Device)],
    paths: &'a [ConvPath],
) -> impl Iterator<Item = (&'a (BackendChoice, Device), &'a ConvPath)> {
    devices.iter().flat_map(move |d| paths.iter().map(move |p| (d, p)))
}

fn name(what: &str, backend: BackendChoice, path: ConvPath) -> String {
    let path = CONV_PATHS.iter().find(|(_, p)| *p == path).map_or("?", |(name, _)| name);
    format!("{what} [{backend}, {path}]")
}

fn report(f: &Figure, peak: f64) {
    let torch = f.torch.map_or("-".to_string(), |t| {
        format!("{t:.1} ({:.1} % of peak)", 100.0 * t * f.flops_per_unit / peak)
    });
    let ratio = f.torch.map_or("-".to_string(), |t| format!("{:.2}×", f.rate / t));
    println!(
        "{:<52} {:>9.1} {} ({:.1} % of peak)  torch {}  ratio {}",
        f.name,
        f.rate,
        f.unit,
        100.0 * f.rate * f.flops_per_unit / peak,
        torch,
        ratio
    );
}

/// The 1-, 5- and 15-minute load averages.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
}

/// Median seconds of `reps` calls of `f`, after one warm-up call.
fn time_median(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut t = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        f()?;
        t.push(t0.elapsed().as_secs_f64());
    }
    Ok(median(t).expect("reps > 0"))
}

/// Multiply-adds of one forward pass of one class's autoencoder.
fn forward_macs(cfg: &AutoencoderConfig) -> usize {
    let k2 = cfg.kernel * cfg.kernel;
    let chans = cfg.layer_channels();
    let sizes = cfg.layer_sizes();
    let ne = cfg.channels.len();
    let mut cin = cfg.in_channels;
    let mut size_in = cfg.image_size;
    let mut macs = 0;
    for l in 0..chans.len() {
        let cout = chans[l];
        // Convolutions do k² · cin multiply-adds per output; transposed ones k² · cout per input.
        macs += if l < ne {
            cout * cin * k2 * sizes[l] * sizes[l]
        } else {
            cin * cout * k2 * size_in * size_in
        };
        cin = cout;
        size_in = sizes[l];
    }
    macs
}

/// fp32 GEMM FLOP/s: median of 5 `n × n` by `n × n` matmuls on `device`.
fn gemm_peak(device: &Device, n: usize) -> f64 {
    let a = Tensor::<2>::random([n, n], Distribution::Uniform(-1.0, 1.0), device);
    let b = Tensor::<2>::random([n, n], Distribution::Uniform(-1.0, 1.0), device);
    let t = time_median(5, || {
        let _ = a.clone().matmul(b.clone()).into_data();
        Ok(())
    })
    .expect("matmul does not fail");
    2.0 * (n as f64).powi(3) / t
}

fn plan_for(alpha: f64, layers: usize) -> Result<NoisePlan> {
    let kind = NoiseKind::try_from(NoiseSpec::default())?;
    Ok(NoisePlan::uniform(&kind, alpha, false, &Placement::Full, layers)?)
}

/// Training images/s (all classes): `actnoise_train::train`, batch 256 per class, `--source` noise,
/// 3 steps per repetition (one epoch of 3 steps, with its end-of-epoch metrics on 1 image).
fn train_rate(
    device: &Device,
    cfg: &AutoencoderConfig,
    args: &BenchArgs,
    source: SourceKind,
    path: ConvPath,
) -> Result<f64> {
    const STEPS: usize = 3;
    let classes = args.classes;
    let n = 256 * STEPS * classes;
    let d = cfg.in_channels * cfg.image_size * cfg.image_size;
    let images: Vec<f32> = (0..n * d).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
    let data = ClassImages::new(
        images,
        &labels,
        classes,
        [cfg.in_channels, cfg.image_size, cfg.image_size],
    )?;
    let bank = cfg.init_bank(classes, device)?.with_conv_path(path);
    let plan = plan_for(args.alpha, cfg.num_layers())?;
    let tcfg = TrainConfig { epochs: 1, batch_size: 256, metric_images: 1, ..Default::default() };
    let setup = TrainSetup {
        config: &tcfg,
        plan: &plan,
        source,
        seed: 0,
        checkpoint_dir: None,
        resume: false,
    };
    let t = time_median(args.reps, || {
        train(bank.clone(), &data, &setup, &mut Silent)?;
        Ok(())
    })?;
    Ok(n as f64 / t)
}

/// Inference forward passes/s (one pass = one image through one class's autoencoder), as the
/// sampler computes energies: host noise keyed by (image, draw) or device noise (`--source`), `--rows` rows per call.
/// Noisy (`alpha > 0`): `[1 image × 1000 draws, 10 images × 100 draws]`; noiseless: 1000
/// distinct images, one pass each.
fn infer_rates(
    device: &Device,
    cfg: &AutoencoderConfig,
    args: &BenchArgs,
    alpha: f64,
    source: SourceKind,
    path: ConvPath,
) -> Result<Vec<f64>> {
    let bank = cfg.init_bank(args.classes, device)?.with_conv_path(path);
    let shapes: &[(usize, usize)] =
        if alpha == 0.0 { &[(1000, 1)] } else { &[(1, 1000), (10, 100)] };
    let plan = if alpha == 0.0 {
        NoisePlan::off(cfg.num_layers())
    } else {
        plan_for(alpha, cfg.num_layers())?
    };
    let mut out = Vec::new();
    for &(images, draws) in shapes {
        let x = Tensor::<4>::random(
            [images, cfg.in_channels, cfg.image_size, cfg.image_size],
            Distribution::Uniform(0.0, 1.0),
            device,
        );
        let device_noise = source == SourceKind::Device;
        let t =
            time_median(args.reps, || energies(&bank, &x, draws, &plan, args.rows, device_noise))?;
        out.push((images * draws * args.classes) as f64 / t);
    }
    Ok(out)
}

/// All energies of `x` `[B, ..]` × `draws`, in calls of at most `rows` rows, read back.
fn energies(
    bank: &ClassBank,
    x: &Tensor<4>,
    draws: usize,
    plan: &NoisePlan,
    rows: usize,
    device_noise: bool,
) -> Result<()> {
    let b = x.dims()[0];
    let per_call_images = (rows / draws).clamp(1, b);
    for first in (0..b).step_by(per_call_images) {
        let m = per_call_images.min(b - first);
        let xi = x.clone().narrow(0, first, m);
        let k = (rows / m).clamp(1, draws);
        let mut done = 0;
        while done < draws {
            let kk = k.min(draws - done);
            let keys = (first..first + m)
                .flat_map(|i| {
                    (done..done + kk).map(move |j| (derive_seed(&[1, i as u64, j as u64]), 1.0))
                })
                .collect();
            let mut source = if device_noise {
                NoiseSource::Device
            } else {
                NoiseSource::HostKeyed { seed: 1, rows: keys, next_layer: 0 }
            };
            let e = bank.energies(xi.clone(), kk, plan, &mut source, DrawSharing::Independent)?;
            let _ = e.into_data();
            done += kk;
        }
    }
    Ok(())
}

/// Runs the PyTorch reference (`train` or `infer`) and returns its rates in printed order.
fn torch_run(args: &BenchArgs, what: &str, alpha: f64) -> Result<Vec<f64>> {
    let Some(py) = &args.torch else { return Ok(Vec::new()) };
    let out = Command::new(py)
        .arg(&args.torch_script)
        .arg(what)
        .arg(args.reps.to_string())
        .env("BENCH_ALPHA", alpha.to_string())
        .env("BENCH_THREADS", args.threads.to_string())
        .output()
        .with_context(|| format!("running {} {}", py.display(), args.torch_script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{} {} {what} failed ({}): {}",
            py.display(),
            args.torch_script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let key = if what == "train" { "img_per_s=" } else { "passes_per_s=" };
    let rates: Vec<f64> = stdout
        .lines()
        .filter(|l| l.starts_with("RESULT"))
        .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix(key)))
        .filter_map(|v| v.parse().ok())
        .collect();
    if rates.is_empty() {
        bail!("the reference printed no `{key}` figure; its output:\n{stdout}");
    }
    Ok(rates)
}
