//! The run configuration: `configs/base.toml` ← experiment file ← `ACTNOISE_*` ← `--set`.

use std::path::{Path, PathBuf};

use actnoise_data::DatasetSpec;
use actnoise_dist::NoiseSpec;
use actnoise_nn::AutoencoderConfig;
use actnoise_sampler::EstimatorConfig;
use actnoise_train::TrainConfig;
use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backend::BackendChoice;

/// The defaults, compiled in from `configs/base.toml` (used when no `base.toml` is found on
/// disk above the experiment file).
pub const BASE_TOML: &str = include_str!("../../../configs/base.toml");

/// Where noise draws come from (`noise_source`; `actnoise bench --source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SourceChoice {
    /// `host` on CPU backends, `device` on GPU backends.
    #[default]
    Auto,
    /// actnoise's host generator (identical draws on every backend).
    Host,
    /// The backend's own generator.
    Device,
}

/// How α_train and α_test combine into cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pairs {
    /// `"grid"` (every α_train with every α_test) or `"diagonal"` (α_test = α_train).
    Named(String),
    /// An explicit list of `[α_train, α_test]` pairs (Table 1's twelve).
    List(Vec<[f64; 2]>),
}

impl Default for Pairs {
    fn default() -> Self {
        Pairs::Named("grid".into())
    }
}

/// `[train_noise]`: the noise during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainNoise {
    /// The law q (for `negate`/`dropout` the α list is the drop rate c).
    pub law: NoiseSpec,
    /// α_train values: one training each.
    pub alpha: Vec<f64>,
    /// Which layers are noised.
    pub placement: String,
    /// Subtract the law's mean (an option the paper does not have).
    pub centered: bool,
}

impl Default for TrainNoise {
    fn default() -> Self {
        Self {
            law: NoiseSpec::default(),
            alpha: vec![0.0, 0.9],
            placement: "full".into(),
            centered: false,
        }
    }
}

/// `[eval]`: the inference settings evaluated on every training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// α_test values.
    pub alpha: Vec<f64>,
    /// Which (α_train, α_test) pairs to evaluate.
    pub pairs: Pairs,
    /// Inference laws r; empty = the training law.
    pub laws: Vec<NoiseSpec>,
    /// Inference placements; empty = the training placement.
    pub placements: Vec<String>,
    /// Numbers of draws n (one pass at the largest serves all).
    pub draws: Vec<usize>,
    /// Most image × draw rows in one forward call (bounds memory).
    pub max_batch: usize,
    /// Estimator options.
    pub estimator: EstimatorConfig,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            alpha: vec![0.0, 0.9],
            pairs: Pairs::default(),
            laws: Vec::new(),
            placements: Vec::new(),
            draws: vec![1, 16, 64],
            max_batch: 256,
            estimator: EstimatorConfig::default(),
        }
    }
}

/// The whole resolved configuration of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Experiment name: the run directory goes under `runs/<experiment>/`.
    pub experiment: String,
    /// Seed of initialisation, shuffling and noise.
    pub seed: u64,
    /// Backend: flex, ndarray, wgpu, tch, tch-cuda, cuda.
    pub backend: BackendChoice,
    /// Device index (GPUs).
    pub device_index: usize,
    /// CPU threads (0 = all cores).
    pub threads: usize,
    /// Where noise draws come from.
    pub noise_source: SourceChoice,
    /// Parent of the run directories.
    pub runs_dir: PathBuf,
    /// Data root; empty = `ACTNOISE_DATA`, then the cache directory.
    pub data_root: PathBuf,
    /// The dataset.
    pub data: DatasetSpec,
    /// The autoencoder architecture.
    pub model: AutoencoderConfig,
    /// Training settings.
    pub train: TrainConfig,
    /// Training noise.
    pub train_noise: TrainNoise,
    /// Inference settings.
    pub eval: EvalConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            experiment: "default".into(),
            seed: 0,
            backend: BackendChoice::Flex,
            device_index: 0,
            threads: 0,
            noise_source: SourceChoice::Auto,
            runs_dir: PathBuf::from("runs"),
            data_root: PathBuf::new(),
            data: DatasetSpec::default(),
            model: AutoencoderConfig { in_channels: 0, ..AutoencoderConfig::default() },
            train: TrainConfig::default(),
            train_noise: TrainNoise::default(),
            eval: EvalConfig::default(),
        }
    }
}

/// Finds `base.toml` in the experiment file's folder or one above it.
fn find_base(experiment: &Path) -> Option<PathBuf> {
    let mut dir = experiment.parent();
    while let Some(d) = dir {
        let candidate = d.join("base.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join("Cargo.toml").is_file() {
            break;
        }
        dir = d.parent();
    }
    None
}

/// Parses a `--set key.path=value` override; the value is read as TOML (`0.9`, `[1, 2]`,
/// `true`, `"text"`, `{ law = "cauchy" }`) or, failing that, taken as a string.
fn parse_set(item: &str) -> Result<(String, toml::Value)> {
    let (key, raw) =
        item.split_once('=').with_context(|| format!("--set `{item}`: expected key.path=value"))?;
    let key = key.trim();
    if key.is_empty() {
        bail!("--set `{item}`: the key is empty");
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    Ok((key.to_string(), value))
}

/// An experiment file without its top-level `[sweep]` table (read by `actnoise sweep`), so
/// that a sweep file also loads as the base config of its runs.
struct WithoutSweep(figment::providers::Data<Toml>);

impl figment::Provider for WithoutSweep {
    fn metadata(&self) -> figment::Metadata {
        self.0.metadata()
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        let mut data = self.0.data()?;
        for dict in data.values_mut() {
            dict.remove("sweep");
        }
        Ok(data)
    }
}

/// Loads, merges and validates a config. `file` may be `None` (base defaults only).
pub fn load(file: Option<&Path>, sets: &[String]) -> Result<Config> {
    let mut fig = match file.and_then(find_base) {
        Some(base) => Figment::from(Toml::file_exact(base)),
        None => Figment::from(Toml::string(BASE_TOML)),
    };
    if let Some(file) = file {
        if !file.is_file() {
            bail!("config file {} not found", file.display());
        }
        fig = fig.merge(WithoutSweep(Toml::file_exact(file)));
    }
    // ACTNOISE_DATA is the data directory, not a config key.
    fig = fig.merge(Env::prefixed("ACTNOISE_").ignore(&["DATA"]).split("__"));
    for item in sets {
        let (key, value) = parse_set(item)?;
        // figment merges tables key by key; a law table must replace the one below it
        // (`{ law = "cauchy" }` must not inherit the Gaussian's `mean`/`std`), so the path is
        // first cleared with a scalar.
        if value.as_table().is_some_and(|t| t.contains_key("law")) {
            fig = fig.merge(Serialized::default(&key, 0));
        }
        fig = fig.merge(Serialized::default(&key, value));
    }
    let config: Config = fig.extract().map_err(describe)?;
    config.validate()?;
    Ok(config)
}

/// Turns figment's errors into messages naming the key, the source and the expected type.
fn describe(err: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() { "<top level>".to_string() } else { e.path.join(".") };
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => format!(" (from {src})"),
                    None => format!(" (from {})", m.name),
                })
                .unwrap_or_default();
            format!("config key `{key}`{source}: {}", e.kind)
        })
        .collect();
    anyhow::anyhow!("invalid configuration:\n  {}", lines.join("\n  "))
}

impl Config {
    /// Checks what serde cannot: ranges, laws and placements. Errors name the key.
    pub fn validate(&self) -> Result<()> {
        self.train.validate().context("in [train]")?;
        if self.experiment.is_empty()
            || !self.experiment.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            bail!(
                "config key `experiment` = {:?}: use letters, digits, '-', '_' or '.'",
                self.experiment
            );
        }
        actnoise_dist::NoiseKind::try_from(self.train_noise.law.clone())
            .context("config key `train_noise.law`")?;
        for (i, law) in self.eval.laws.iter().enumerate() {
            actnoise_dist::NoiseKind::try_from(law.clone())
                .with_context(|| format!("config key `eval.laws[{i}]`"))?;
        }
        self.train_noise
            .placement
            .parse::<actnoise_nn::Placement>()
            .context("config key `train_noise.placement`")?;
        for p in &self.eval.placements {
            p.parse::<actnoise_nn::Placement>().context("config key `eval.placements`")?;
        }
        for (key, list) in
            [("train_noise.alpha", &self.train_noise.alpha), ("eval.alpha", &self.eval.alpha)]
        {
            if list.is_empty() {
                bail!("config key `{key}` is empty: give at least one α");
            }
            if let Some(a) = list.iter().find(|a| !(a.is_finite() && **a >= 0.0)) {
                bail!("config key `{key}` has α = {a}: α must be finite and ≥ 0");
            }
        }
        if let Pairs::Named(name) = &self.eval.pairs
            && name != "grid"
            && name != "diagonal"
        {
            bail!(
                "config key `eval.pairs` = {name:?}: use \"grid\", \"diagonal\" or a list of [α_train, α_test]"
            );
        }
        if self.eval.draws.is_empty() || self.eval.draws.contains(&0) {
            bail!("config key `eval.draws` = {:?}: give n ≥ 1", self.eval.draws);
        }
        if self.eval.max_batch == 0 {
            bail!("config key `eval.max_batch` = 0: must be ≥ 1");
        }
        Ok(())
    }

    /// The config as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the config serializes to TOML")
    }

    /// Short hash of everything that determines the results: all keys but `runs_dir`,
    /// `threads` and `device_index`. The backend is included (backends differ in rounding and
    /// in their generators), so a run resumes only on the backend it started on.
    pub fn hash(&self) -> String {
        let mut c = self.clone();
        c.runs_dir = PathBuf::new();
        c.threads = 0;
        c.device_index = 0;
        let digest = Sha256::digest(serde_json::to_vec(&c).expect("config serializes"));
        hex::encode(&digest[..4])
    }

    /// The evaluation pairs (α_train, α_test) for one α_train.
    pub fn alpha_tests(&self, alpha_train: f64) -> Vec<f64> {
        match &self.eval.pairs {
            Pairs::Named(n) if n == "diagonal" => vec![alpha_train],
            Pairs::Named(_) => self.eval.alpha.clone(),
            Pairs::List(list) => list
                .iter()
                .filter(|[a, _]| (*a - alpha_train).abs() < 1e-12)
                .map(|[_, b]| *b)
                .collect(),
        }
    }

    /// α_train values to train: the list, or for explicit pairs the pairs' first elements.
    pub fn alpha_trains(&self) -> Vec<f64> {
        let mut out: Vec<f64> = match &self.eval.pairs {
            Pairs::List(list) => list.iter().map(|p| p[0]).collect(),
            Pairs::Named(_) => self.train_noise.alpha.clone(),
        };
        out.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
        let mut seen: Vec<f64> = Vec::new();
        out.retain(|a| {
            let new = !seen.iter().any(|s| (s - a).abs() < 1e-12);
            if new {
                seen.push(*a);
            }
            new
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_toml_equals_the_compiled_in_defaults() {
        let from_file: Config = Figment::from(Toml::string(BASE_TOML)).extract().unwrap();
        assert_eq!(from_file, Config::default());
    }

    #[test]
    fn set_values_parse_as_toml_or_fall_back_to_strings() {
        assert_eq!(parse_set("a.b=3").unwrap().1, toml::Value::Integer(3));
        assert_eq!(parse_set("a=[1, 2]").unwrap().1.as_array().unwrap().len(), 2);
        assert_eq!(parse_set("a=full").unwrap().1, toml::Value::String("full".into()));
        assert!(parse_set("novalue").is_err());
    }

    #[test]
    fn pairs_select_cells() {
        let mut c = Config::default();
        c.train_noise.alpha = vec![0.0, 0.5];
        c.eval.alpha = vec![0.0, 0.5, 0.9];
        assert_eq!(c.alpha_tests(0.5), vec![0.0, 0.5, 0.9]);
        c.eval.pairs = Pairs::Named("diagonal".into());
        assert_eq!(c.alpha_tests(0.5), vec![0.5]);
        c.eval.pairs = Pairs::List(vec![[0.9, 0.9], [0.9, 1.5], [0.0, 0.0]]);
        assert_eq!(c.alpha_trains(), vec![0.9, 0.0]);
        assert_eq!(c.alpha_tests(0.9), vec![0.9, 1.5]);
    }
}
