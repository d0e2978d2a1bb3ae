//! `actnoise run`: data → train (or load) → evaluate every configured cell → results.

use actnoise_analysis::Cell;
use actnoise_data::Dataset;
use actnoise_dist::{NoiseKind, NoiseSpec};
use actnoise_nn::{AutoencoderConfig, ClassBank, NoisePlan, Placement, SourceKind, derive_seed};
use actnoise_sampler::{EvalRequest, TestImages, evaluate};
use actnoise_train::{ClassImages, TrainSetup, load_finished, train};
use anyhow::{Context, Result};
use burn::tensor::Device;

use crate::backend::select_device;
use crate::config::Config;
use crate::progress::{EvalBar, TrainBar};
use crate::rundir::{Provenance, RunDir, now};

fn pixels(d: &Dataset) -> Vec<f32> {
    d.images().iter().map(|&p| p as f32 / 255.0).collect()
}

/// Sets the CPU thread count (0 = all cores) for the whole process.
pub fn set_threads(threads: usize) {
    if threads > 0 {
        // Fails only if the pool already exists, in which case the first setting stays.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    }
}

fn fmt_alpha(a: f64) -> String {
    format!("{a}")
}

pub(crate) fn law_parts(spec: &NoiseSpec) -> (String, String) {
    (spec.label().to_string(), spec.params())
}

/// Trains (or loads) the bank of one α_train; returns it with its training label.
#[allow(clippy::too_many_arguments)]
pub(crate) fn trained_bank(
    cfg: &Config,
    model: &AutoencoderConfig,
    classes: usize,
    data: &ClassImages,
    alpha_train: f64,
    device: &Device,
    source: SourceKind,
    run: &mut RunDir,
    resume: bool,
) -> Result<ClassBank> {
    let name = format!("train-alpha{}", fmt_alpha(alpha_train));
    let dir = run.path.join(&name);
    let kind = NoiseKind::try_from(cfg.train_noise.law.clone())?;
    let placement: Placement = cfg.train_noise.placement.parse()?;
    let plan = NoisePlan::uniform(
        &kind,
        alpha_train,
        cfg.train_noise.centered,
        &placement,
        model.num_layers(),
    )?;
    device.seed(cfg.seed);
    let fresh = model.init_bank(classes, device)?;
    let ckpt = dir.join("checkpoints");
    if let Some((bank, _)) = load_finished(fresh.clone(), &ckpt, cfg.train.epochs)? {
        println!("α_train = {alpha_train}: training found finished in {}, loaded", ckpt.display());
        return Ok(bank);
    }
    let setup = TrainSetup {
        config: &cfg.train,
        plan: &plan,
        source,
        seed: cfg.seed,
        checkpoint_dir: Some(&ckpt),
        resume,
    };
    let (law, params) = law_parts(&cfg.train_noise.law);
    let mut bar = TrainBar::new(&format!("train α={alpha_train}"));
    let trained = train(fresh, data, &setup, &mut bar)?;
    bar.finish();
    let lines = trained
        .metrics
        .iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).expect("metrics serialize");
            let o = v.as_object_mut().expect("object");
            o.insert("training".into(), name.clone().into());
            o.insert("alpha_train".into(), alpha_train.into());
            o.insert("train_law".into(), format!("{law}({params})").into());
            o.insert("train_placement".into(), cfg.train_noise.placement.clone().into());
            v
        })
        .collect();
    run.set_metrics(&name, lines)?;
    trained.bank.save(&dir.join("model.bpk"))?;
    trained.bank.export_safetensors(&dir.join("model.safetensors"))?;
    Ok(trained.bank)
}

/// What every command that trains and evaluates starts from: the device, the run directory,
/// the model's config and the data.
pub(crate) struct Prepared {
    pub device: Device,
    pub source: SourceKind,
    pub run: RunDir,
    pub prov: Provenance,
    pub model: AutoencoderConfig,
    pub classes: usize,
    pub class_names: Vec<String>,
    pub train_data: ClassImages,
    pub test: TestImages,
}

/// Selects the device, opens (or with `resume` reopens) the run directory and loads the data.
pub(crate) fn prepare(cfg: &Config, resume: bool) -> Result<Prepared> {
    set_threads(cfg.threads);
    let device = select_device(cfg.backend, cfg.device_index)?;
    let source = cfg.backend.source(cfg.noise_source);
    let (run, resumed) = RunDir::open(cfg, resume)?;
    if resumed {
        println!("resuming {} ({} cells done)", run.path.display(), run.cells.len());
    } else if resume {
        println!("nothing to resume for this config and seed: starting a new run");
    }
    println!("run directory: {}", run.path.display());
    run.write_config(cfg)?;
    let prov = Provenance::start(cfg, &device);
    run.write_provenance(&prov)?;

    let root = (!cfg.data_root.as_os_str().is_empty()).then_some(cfg.data_root.as_path());
    let split = actnoise_data::load(&cfg.data, root)
        .with_context(|| format!("loading dataset `{}`", cfg.data.name))?;
    let classes = split.train.num_classes();
    let class_names = split.train.class_names().to_vec();
    let [cin, h, w] = split.train.shape();
    let mut model = cfg.model.clone();
    if model.in_channels == 0 {
        model.in_channels = cin;
    }
    if h != w || h != model.image_size {
        anyhow::bail!(
            "dataset `{}` has {h}×{w} images but `model.image_size` is {}",
            cfg.data.name,
            model.image_size
        );
    }
    println!(
        "data: {} — {} train / {} test images, {classes} classes, {cin}×{h}×{w}; backend {} ({:?}), noise source {:?}",
        cfg.data.name,
        split.train.len(),
        split.test.len(),
        cfg.backend,
        device,
        source
    );
    let train_data =
        ClassImages::new(pixels(&split.train), split.train.labels(), classes, [cin, h, w])?;
    let test = TestImages::new(pixels(&split.test), split.test.labels().to_vec(), [cin, h, w])?;
    Ok(Prepared { device, source, run, prov, model, classes, class_names, train_data, test })
}

/// Runs the configured experiment; returns the run directory.
pub fn run(cfg: &Config, resume: bool) -> Result<std::path::PathBuf> {
    let Prepared {
        device,
        source,
        mut run,
        mut prov,
        model,
        classes,
        class_names,
        train_data,
        test,
    } = prepare(cfg, resume)?;

    let test_laws: Vec<NoiseSpec> = if cfg.eval.laws.is_empty() {
        vec![cfg.train_noise.law.clone()]
    } else {
        cfg.eval.laws.clone()
    };
    let test_placements: Vec<String> = if cfg.eval.placements.is_empty() {
        vec![cfg.train_noise.placement.clone()]
    } else {
        cfg.eval.placements.clone()
    };
    let (train_law, train_params) = law_parts(&cfg.train_noise.law);
    let model_name = match cfg.train_noise.law {
        NoiseSpec::Dropout { .. } => "ebm-ae-dropout",
        _ => "ebm-ae",
    };
    for alpha_train in cfg.alpha_trains() {
        let tests = cfg.alpha_tests(alpha_train);
        if tests.is_empty() {
            continue;
        }
        let bank = trained_bank(
            cfg,
            &model,
            classes,
            &train_data,
            alpha_train,
            &device,
            source,
            &mut run,
            resume,
        )?;
        for law in &test_laws {
            let kind = NoiseKind::try_from(law.clone())?;
            let (test_law, test_params) = law_parts(law);
            for placement in &test_placements {
                let p: Placement = placement.parse()?;
                for &alpha_test in &tests {
                    let done = run.cells.iter().any(|c| {
                        c.alpha_train == alpha_train
                            && c.alpha_test == alpha_test
                            && c.test_law == test_law
                            && c.test_params == test_params
                            && c.test_placement == *placement
                    });
                    if done {
                        continue;
                    }
                    let plan =
                        NoisePlan::uniform(&kind, alpha_test, false, &p, model.num_layers())?;
                    let req = EvalRequest {
                        plan: &plan,
                        draws: &cfg.eval.draws,
                        estimator: &cfg.eval.estimator,
                        source,
                        seed: derive_seed(&[cfg.seed, 0xE7A1]),
                        max_batch: cfg.eval.max_batch,
                    };
                    let mut bar = EvalBar::new(&format!(
                        "eval α=({alpha_train}, {alpha_test}) {test_law} {placement}"
                    ));
                    let evals = evaluate(&bank, &test, &req, &mut bar)?;
                    bar.finish();
                    let cells = evals
                        .iter()
                        .map(|e| Cell {
                            experiment: cfg.experiment.clone(),
                            dataset: cfg.data.name.clone(),
                            seed: cfg.seed,
                            model: model_name.into(),
                            alpha_train,
                            alpha_test,
                            train_law: train_law.clone(),
                            test_law: test_law.clone(),
                            train_params: train_params.clone(),
                            test_params: test_params.clone(),
                            train_placement: cfg.train_noise.placement.clone(),
                            test_placement: placement.clone(),
                            draws: e.draws as u64,
                            estimator: e.estimator.clone(),
                            n_test: e.labels.len() as u64,
                            correct: e.correct as u64,
                            accuracy: e.accuracy,
                            ci_low: e.ci.0,
                            ci_high: e.ci.1,
                            passes: Some(e.passes),
                            passes_per_image: Some(e.passes as f64 / e.labels.len().max(1) as f64),
                            wall_s: Some(e.wall_s),
                        })
                        .collect();
                    run.add_cells(cfg, &class_names, cells)?;
                }
            }
        }
    }
    prov.finished = Some(now());
    run.write_provenance(&prov)?;
    print_table(&run.cells);
    println!("results: {}", run.path.join("results.json").display());
    Ok(run.path)
}

/// The accuracy table printed at the end of a run.
pub fn print_table(cells: &[Cell]) {
    println!();
    println!(
        "{:>8} {:>8} {:>12} {:>18} {:>6} {:>9} {:>17} {:>12} {:>8}",
        "α_train", "α_test", "test law", "placement", "n", "accuracy", "95% CI", "passes", "wall s"
    );
    for c in cells {
        println!(
            "{:>8} {:>8} {:>12} {:>18} {:>6} {:>8.2}% {:>7.2}–{:>6.2}% {:>12} {:>8.1}",
            c.alpha_train,
            c.alpha_test,
            c.test_law,
            c.test_placement,
            c.draws,
            100.0 * c.accuracy,
            100.0 * c.ci_low,
            100.0 * c.ci_high,
            c.passes.unwrap_or(0),
            c.wall_s.unwrap_or(f64::NAN)
        );
    }
}
