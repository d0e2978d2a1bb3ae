//! `actnoise sweep`: a config with a `[sweep]` table expands to the cartesian product of runs,
//! which run in order and resume where a killed sweep stopped.
//!
//! A sweep file is an ordinary run config plus a `[sweep]` table. Its keys are dotted config
//! paths and its values lists; every combination is one run:
//!
//! ```toml
//! [sweep]
//! seed = [0, 1, 2]
//! "train_noise.law" = [{ law = "gaussian" }, { law = "cauchy" }]
//! ```
//!
//! `cases` is a list of tables of keys set together (one axis of the product), for settings
//! that only make sense in pairs:
//!
//! ```toml
//! [[sweep.cases]]
//! "train_noise.law" = { law = "dropout", p = 0.5 }
//! "eval.alpha" = [0.0]
//! ```
//!
//! A value replaces the whole value at its path (a law table does not inherit the parameters
//! of the law it replaces). `--set` changes the base; the sweep's values are applied over it.
//! Each run is `actnoise run --resume` of its config: finished cells are kept, finished
//! trainings loaded; a run whose every cell is in its `results.json` is skipped unopened.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use actnoise_analysis::{Cell, Results};
use actnoise_data::{ClassSelection, DatasetSpec};
use actnoise_dist::NoiseSpec;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{self, Config};
use crate::run;

/// Arguments of `actnoise sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The sweep config: a run config with a `[sweep]` table of lists.
    pub config: PathBuf,
    /// Override a key of every run: `--set train.epochs=3` (repeatable; values are TOML).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print the runs, the cells each evaluates and the cost; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Training throughput for the time estimate, images per second (all classes together).
    #[arg(long, default_value_t = 400.0)]
    pub train_rate: f64,
    /// Inference throughput for the time estimate, single-class forward passes per second.
    #[arg(long, default_value_t = 2000.0)]
    pub pass_rate: f64,
}

/// One run of a sweep.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// What distinguishes the run: `key=value` of every axis, joined by spaces.
    pub label: String,
    /// The resolved config.
    pub config: Config,
}

/// One axis of the product: its choices, each a list of (dotted key, value) assignments.
struct Axis {
    choices: Vec<Vec<(String, toml::Value)>>,
}

/// The value at a dotted path of a TOML value.
fn lookup<'a>(root: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    if path.is_empty() {
        return Some(root);
    }
    path.split('.').try_fold(root, |v, k| v.as_table()?.get(k))
}

/// A path whose value is a table of config keys (a section such as `eval`), not a value
/// that is a table (a law such as `train_noise.law`).
fn is_section(base: &toml::Value, path: &str) -> bool {
    match lookup(base, path) {
        Some(toml::Value::Table(t)) => !t.contains_key("law"),
        Some(_) => false,
        None => true,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

/// Flattens `[sweep]` into axes: nested sections recurse, lists are axes.
fn collect_axes(
    base: &toml::Value,
    prefix: &str,
    table: &toml::Table,
    axes: &mut Vec<(String, Axis)>,
) -> Result<()> {
    for (key, value) in table {
        let path = join(prefix, key);
        match value {
            toml::Value::Array(list) if prefix.is_empty() && key == "cases" => {
                let mut choices = Vec::new();
                for (i, case) in list.iter().enumerate() {
                    let toml::Value::Table(case) = case else {
                        bail!("[sweep] cases[{i}]: expected a table of key = value, found {case}");
                    };
                    let mut sets = Vec::new();
                    flatten_case(base, "", case, &mut sets);
                    if sets.is_empty() {
                        bail!("[sweep] cases[{i}] is empty");
                    }
                    choices.push(sets);
                }
                if choices.is_empty() {
                    bail!("[sweep] cases is empty: give at least one case");
                }
                axes.push(("cases".into(), Axis { choices }));
            }
            toml::Value::Array(list) => {
                if list.is_empty() {
                    bail!("[sweep] key `{path}` has an empty list: give at least one value");
                }
                let choices = list.iter().map(|v| vec![(path.clone(), v.clone())]).collect();
                axes.push((path, Axis { choices }));
            }
            toml::Value::Table(t) if is_section(base, &path) => collect_axes(base, &path, t, axes)?,
            other => bail!(
                "[sweep] key `{path}` = {other}: give a list of values, e.g. `{path}` = [{other}]"
            ),
        }
    }
    Ok(())
}

/// Flattens one case into assignments: sections recurse, everything else is a value.
fn flatten_case(
    base: &toml::Value,
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<(String, toml::Value)>,
) {
    for (key, value) in table {
        let path = join(prefix, key);
        match value {
            toml::Value::Table(t) if is_section(base, &path) => flatten_case(base, &path, t, out),
            v => out.push((path, v.clone())),
        }
    }
}

/// `--set` strings for one assignment. A table value is preceded by a scalar at the same
/// path: figment merges tables key by key, and the scalar clears the old table so that the
/// new one replaces it.
fn set_strings(key: &str, value: &toml::Value) -> Vec<String> {
    let mut out = Vec::new();
    if value.is_table() {
        out.push(format!("{key}=false"));
    }
    out.push(format!("{key}={value}"));
    out
}

/// The `--set` strings of the user's overrides and of the sweep's table values. User
/// overrides of table values get the same replace semantics as the sweep's.
fn user_sets(sets: &[String]) -> Vec<String> {
    sets.iter()
        .flat_map(|s| {
            match s
                .split_once('=')
                .map(|(k, v)| (k.trim(), toml::from_str::<toml::Table>(&format!("v = {v}"))))
            {
                Some((k, Ok(mut t))) if t.get("v").is_some_and(toml::Value::is_table) => {
                    set_strings(k, &t.remove("v").expect("checked"))
                }
                _ => vec![s.clone()],
            }
        })
        .collect()
}

/// Reads a sweep file and expands it into its runs (the product, last key fastest; keys in
/// alphabetical order, `cases` among them). A file without `[sweep]` is one run.
pub fn expand(file: &Path, sets: &[String]) -> Result<Vec<SweepRun>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading sweep config {}", file.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let user = user_sets(sets);
    let base_cfg =
        config::load(Some(file), &user).with_context(|| format!("config {}", file.display()))?;
    let base = toml::Value::try_from(&base_cfg).context("serializing the base config")?;
    let mut axes = Vec::new();
    match doc.get("sweep") {
        None => {}
        Some(toml::Value::Table(t)) => collect_axes(&base, "", t, &mut axes)?,
        Some(other) => bail!("{}: `sweep` must be a table of lists, found {other}", file.display()),
    }
    // Every key must be a config key: known in the resolved base, or accepted by the loader
    // (keys absent from the base, such as an unset `data.dir`).
    for (name, axis) in &axes {
        for (key, value) in axis.choices.iter().flatten() {
            if lookup(&base, key).is_some() {
                continue;
            }
            let mut trial = user.clone();
            trial.extend(set_strings(key, value));
            if let Err(e) = config::load(Some(file), &trial) {
                let place = if name == "cases" { "[sweep] cases" } else { "[sweep]" };
                bail!(
                    "{place}: key `{key}` in {} is not a valid config key: {e:#}",
                    file.display()
                );
            }
        }
    }
    let total: usize = axes.iter().map(|(_, a)| a.choices.len()).product();
    let mut runs = Vec::with_capacity(total);
    for index in 0..total {
        let mut rest = index;
        let mut picks = vec![0; axes.len()];
        for (slot, (_, axis)) in picks.iter_mut().zip(&axes).rev() {
            *slot = rest % axis.choices.len();
            rest /= axis.choices.len();
        }
        let mut run_sets = user.clone();
        let mut label = Vec::new();
        for (pick, (_, axis)) in picks.iter().zip(&axes) {
            for (key, value) in &axis.choices[*pick] {
                run_sets.extend(set_strings(key, value));
                label.push(format!("{key}={value}"));
            }
        }
        let label = label.join(" ");
        let config = config::load(Some(file), &run_sets).with_context(|| {
            format!("sweep run {} of {total} ({label}) from {}", index + 1, file.display())
        })?;
        runs.push(SweepRun { label, config });
    }
    Ok(runs)
}

/// One inference setting of a run: what `run::run` evaluates once (for every n).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// α_train (dropout/negate: the rate c).
    pub alpha_train: f64,
    /// α_test.
    pub alpha_test: f64,
    /// The inference law.
    pub law: NoiseSpec,
    /// The inference placement.
    pub placement: String,
}

impl Setting {
    /// Whether inference draws noise (else one pass per image and class serves).
    pub fn noisy(&self) -> bool {
        self.alpha_test > 0.0 && self.law != NoiseSpec::None
    }

    fn matches(&self, c: &Cell) -> bool {
        c.alpha_train == self.alpha_train
            && c.alpha_test == self.alpha_test
            && c.test_law == self.law.label()
            && c.test_params == self.law.params()
            && c.test_placement == self.placement
    }
}

/// The settings a run evaluates, in `run::run`'s order.
pub fn settings(cfg: &Config) -> Vec<Setting> {
    let laws = if cfg.eval.laws.is_empty() {
        vec![cfg.train_noise.law.clone()]
    } else {
        cfg.eval.laws.clone()
    };
    let placements = if cfg.eval.placements.is_empty() {
        vec![cfg.train_noise.placement.clone()]
    } else {
        cfg.eval.placements.clone()
    };
    let mut out = Vec::new();
    for alpha_train in cfg.alpha_trains() {
        let tests = cfg.alpha_tests(alpha_train);
        for law in &laws {
            for placement in &placements {
                for &alpha_test in &tests {
                    out.push(Setting {
                        alpha_train,
                        alpha_test,
                        law: law.clone(),
                        placement: placement.clone(),
                    });
                }
            }
        }
    }
    out
}

/// How far a run got.
#[derive(Debug, Clone)]
pub enum Status {
    /// No run directory of this config and seed.
    New,
    /// A run directory with `done` of `total` settings evaluated.
    Partial {
        /// The newest run directory of this config and seed.
        dir: PathBuf,
        /// Settings evaluated.
        done: usize,
        /// Settings in all.
        total: usize,
    },
    /// Every setting is in the run directory's `results.json`.
    Done(PathBuf),
}

/// The newest run directory of the config and seed (the one `run --resume` continues), and
/// how many of its settings are evaluated.
pub fn status(cfg: &Config) -> Result<Status> {
    let parent = cfg.runs_dir.join(&cfg.experiment);
    let suffix = format!("-{}-s{}", cfg.hash(), cfg.seed);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&parent)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(&suffix))
        })
        .collect();
    found.sort();
    let Some(dir) = found.pop() else { return Ok(Status::New) };
    let cells = read_cells(&dir)?;
    let all = settings(cfg);
    let done = all.iter().filter(|s| cells.iter().any(|c| s.matches(c))).count();
    Ok(if done == all.len() {
        Status::Done(dir)
    } else {
        Status::Partial { dir, done, total: all.len() }
    })
}

/// The cells of a run directory's `results.json` (none before the first is written).
fn read_cells(dir: &Path) -> Result<Vec<Cell>> {
    let path = dir.join("results.json");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str::<Results>(&text)
        .with_context(|| format!("parsing {}", path.display()))?
        .cells)
}

/// Image counts of a dataset: train, test, classes; `exact` when read from the files.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Training images.
    pub train: usize,
    /// Test images.
    pub test: usize,
    /// Classes.
    pub classes: usize,
    /// False for the catalogue's figures with a per-class limit on an unbalanced set (an
    /// upper bound).
    pub exact: bool,
}

/// Per-class (balanced) or total (unbalanced) counts of the catalogue (actnoise-data's README).
fn catalogue(spec: &DatasetSpec) -> Option<Sizes> {
    let limit = |n: usize, per: usize| if per == 0 { n } else { n.min(per) };
    let balanced = |train: usize, test: usize, classes: usize| Sizes {
        train: limit(train, spec.train_per_class) * classes,
        test: limit(test, spec.test_per_class) * classes,
        classes,
        exact: true,
    };
    let unbalanced = |train: usize, test: usize, classes: usize| Sizes {
        train: if spec.train_per_class == 0 {
            train
        } else {
            train.min(spec.train_per_class * classes)
        },
        test: if spec.test_per_class == 0 { test } else { test.min(spec.test_per_class * classes) },
        classes,
        exact: spec.train_per_class == 0 && spec.test_per_class == 0,
    };
    if spec.classes != ClassSelection::default() {
        return None;
    }
    Some(match spec.name.as_str() {
        "cifar10" => balanced(5000, 1000, 10),
        "cifar10-lossless-test1000" => balanced(5000, 100, 10),
        "fashion-mnist" => balanced(6000, 1000, 10),
        "cifar100" => balanced(500, 100, 100),
        "cifar20-coarse" => balanced(2500, 500, 20),
        "cifar20-fine" => balanced(500, 100, 20),
        "caltech101-20" => unbalanced(2622, 1313, 20),
        "flowers102-20" => unbalanced(if spec.val_into_train { 400 } else { 200 }, 755, 20),
        "cub200-20" => unbalanced(600, 515, 20),
        _ => return None,
    })
}

/// Dataset sizes: the catalogue for balanced sets, else the files (cheap for small sets).
fn sizes(cfg: &Config, cache: &mut HashMap<String, Option<Sizes>>) -> Option<Sizes> {
    let key = format!(
        "{}|{}",
        serde_json::to_string(&cfg.data).unwrap_or_default(),
        cfg.data_root.display()
    );
    *cache.entry(key).or_insert_with(|| {
        let table = catalogue(&cfg.data);
        if table.is_some_and(|s| s.exact) {
            return table;
        }
        let root = (!cfg.data_root.as_os_str().is_empty()).then_some(cfg.data_root.as_path());
        match actnoise_data::load(&cfg.data, root) {
            Ok(split) => Some(Sizes {
                train: split.train.len(),
                test: split.test.len(),
                classes: split.train.num_classes(),
                exact: true,
            }),
            Err(_) => table,
        }
    })
}

/// The work of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// Training images × epochs, summed over the run's trainings.
    pub train_images: u64,
    /// Single-class forward passes of inference: test images × classes × (max n if noisy, else 1).
    pub passes: u64,
}

impl Cost {
    /// Seconds at the given throughputs.
    pub fn seconds(&self, train_rate: f64, pass_rate: f64) -> f64 {
        self.train_images as f64 / train_rate + self.passes as f64 / pass_rate
    }
}

/// The cost of the given settings of a run (all settings: the whole run).
fn cost(cfg: &Config, s: Sizes, todo: &[Setting], trainings: usize) -> Cost {
    let max_n = cfg.eval.draws.iter().copied().max().unwrap_or(1) as u64;
    let passes =
        todo.iter().map(|x| (s.test * s.classes) as u64 * if x.noisy() { max_n } else { 1 }).sum();
    Cost { train_images: (s.train as u64) * (cfg.train.epochs as u64) * trainings as u64, passes }
}

fn human(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The settings of a run, one line per (α_train, law, placement).
fn describe_settings(cfg: &Config, all: &[Setting]) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let s = &all[i];
        let mut tests = vec![s.alpha_test];
        let mut j = i + 1;
        while j < all.len()
            && all[j].alpha_train == s.alpha_train
            && all[j].law == s.law
            && all[j].placement == s.placement
        {
            tests.push(all[j].alpha_test);
            j += 1;
        }
        let tests: Vec<String> = tests.iter().map(|a| a.to_string()).collect();
        lines.push(format!(
            "α_train {} → α_test [{}], test law {}({}), placement {}",
            s.alpha_train,
            tests.join(", "),
            s.law.label(),
            s.law.params(),
            s.placement
        ));
        i = j;
    }
    lines.push(format!("n = {:?} (noisy cells; one pass at the largest n)", cfg.eval.draws));
    lines
}

/// Runs a sweep (or with `--dry-run` prints it).
pub fn main(args: &SweepArgs) -> Result<()> {
    if !(args.train_rate > 0.0 && args.pass_rate > 0.0) {
        bail!("--train-rate and --pass-rate must be > 0");
    }
    let runs = expand(&args.config, &args.sets)?;
    let total = runs.len();
    let mut cache = HashMap::new();
    let mut plans = Vec::with_capacity(total);
    for r in &runs {
        let cfg = &r.config;
        let all = settings(cfg);
        let st = status(cfg)?;
        let todo: Vec<Setting> = match &st {
            Status::Done(_) => Vec::new(),
            Status::New => all.clone(),
            Status::Partial { dir, .. } => {
                let cells = read_cells(dir)?;
                all.iter().filter(|s| !cells.iter().any(|c| s.matches(c))).cloned().collect()
            }
        };
        let trainings =
            cfg.alpha_trains().iter().filter(|a| !cfg.alpha_tests(**a).is_empty()).count();
        let size = sizes(cfg, &mut cache);
        let full = size.map(|s| cost(cfg, s, &all, trainings));
        let left = size.map(|s| {
            let remaining_trainings = if todo.is_empty() { 0 } else { trainings };
            cost(cfg, s, &todo, remaining_trainings)
        });
        plans.push((all, st, size, full, left));
    }
    let rate = |c: &Cost| c.seconds(args.train_rate, args.pass_rate);

    if args.dry_run {
        println!("sweep {}: {total} runs", args.config.display());
        let mut sum = Cost::default();
        let mut unknown = 0;
        for (i, (r, (all, st, size, full, _))) in runs.iter().zip(&plans).enumerate() {
            let cfg = &r.config;
            let label = if r.label.is_empty() { "(no [sweep] keys)" } else { &r.label };
            println!("\nrun {}/{total}: {label}", i + 1);
            println!(
                "  experiment {}, dataset {}, seed {}, config hash {}, {} epochs",
                cfg.experiment,
                cfg.data.name,
                cfg.seed,
                cfg.hash(),
                cfg.train.epochs
            );
            match st {
                Status::New => println!("  status: new"),
                Status::Partial { dir, done, total } => {
                    println!("  status: {done}/{total} settings done in {}", dir.display())
                }
                Status::Done(dir) => println!("  status: done ({})", dir.display()),
            }
            println!("  {} settings:", all.len());
            for line in describe_settings(cfg, all) {
                println!("    {line}");
            }
            match (size, full) {
                (Some(s), Some(c)) => {
                    let approx = if s.exact { "" } else { "≤ " };
                    println!(
                        "  data: {approx}{} train / {approx}{} test images, {} classes",
                        s.train, s.test, s.classes
                    );
                    println!(
                        "  cost: {approx}{} training images×epochs, {approx}{} inference passes ≈ {}",
                        count(c.train_images),
                        count(c.passes),
                        human(rate(c))
                    );
                    sum.train_images += c.train_images;
                    sum.passes += c.passes;
                }
                _ => {
                    println!(
                        "  cost: unknown (dataset `{}` not found and not in the catalogue)",
                        cfg.data.name
                    );
                    unknown += 1;
                }
            }
        }
        let left: f64 = plans.iter().filter_map(|p| p.4.as_ref()).map(rate).sum();
        println!(
            "\ntotal: {} training images×epochs, {} inference passes ≈ {} at {} img/s and {} passes/s \
             (left to run ≈ {}){}",
            count(sum.train_images),
            count(sum.passes),
            human(rate(&sum)),
            args.train_rate,
            args.pass_rate,
            human(left),
            if unknown > 0 { format!("; {unknown} runs of unknown size") } else { String::new() }
        );
        return Ok(());
    }

    // Progress in estimated seconds of work, so that the ETA weighs runs by their cost.
    let units: Vec<u64> =
        plans.iter().map(|p| p.4.as_ref().map_or(1, |c| rate(c).ceil().max(1.0) as u64)).collect();
    let bar = ProgressBar::new(units.iter().sum()).with_style(
        ProgressStyle::with_template("sweep [{bar:30}] {msg}, ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let say = |m: String| bar.suspend(|| println!("{m}"));
    let mut done_runs = 0;
    let mut ran: Vec<(String, u64)> = Vec::new();
    for (i, (r, plan)) in runs.iter().zip(&plans).enumerate() {
        let cfg = &r.config;
        let id = (cfg.hash(), cfg.seed);
        bar.set_message(format!("runs {done_runs}/{total}"));
        if let Status::Done(dir) = &plan.1 {
            say(format!(
                "sweep: run {}/{total} ({}) already complete in {}, skipped",
                i + 1,
                r.label,
                dir.display()
            ));
            bar.inc(units[i]);
            bar.reset_eta();
            done_runs += 1;
            continue;
        }
        if ran.contains(&id) {
            say(format!(
                "sweep: run {}/{total} ({}) has the same config and seed as an earlier run, skipped",
                i + 1,
                r.label
            ));
            bar.inc(units[i]);
            done_runs += 1;
            continue;
        }
        let state = match &plan.1 {
            Status::Partial { dir, done, total } => {
                format!("resuming {} ({done}/{total} settings done)", dir.display())
            }
            _ => "new".to_string(),
        };
        say(format!("sweep: run {}/{total} ({}): {state}", i + 1, r.label));
        bar.suspend(|| run::run(cfg, true))
            .with_context(|| format!("sweep run {}/{total} ({})", i + 1, r.label))?;
        ran.push(id);
        done_runs += 1;
        bar.inc(units[i]);
        bar.set_message(format!("runs {done_runs}/{total}"));
        say(format!(
            "sweep: {done_runs}/{total} runs done, {} elapsed",
            human(started.elapsed().as_secs_f64())
        ));
    }
    bar.finish();
    say(format!(
        "sweep complete: {total} runs under {}",
        runs[0].config.runs_dir.join(&runs[0].config.experiment).display()
    ));
    Ok(())
}
