//! Reading run directories (see `RESULTS_SCHEMA.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::io::read_string;

/// The field names of a [`Cell`], in the order of the `results.csv` header.
pub const CELL_FIELDS: [&str; 22] = [
    "experiment",
    "dataset",
    "seed",
    "model",
    "alpha_train",
    "alpha_test",
    "train_law",
    "test_law",
    "train_params",
    "test_params",
    "train_placement",
    "test_placement",
    "draws",
    "estimator",
    "n_test",
    "correct",
    "accuracy",
    "ci_low",
    "ci_high",
    "passes",
    "passes_per_image",
    "wall_s",
];

fn string_or_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// One evaluated setting of one run: a row of `results.csv`, an element of `results.json`'s
/// `cells`. Accuracies are fractions in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Experiment name.
    pub experiment: String,
    /// Dataset name, e.g. `"cifar10"`, `"caltech101-20"`.
    pub dataset: String,
    /// Seed of the run.
    pub seed: u64,
    /// `"ebm-ae"` (generative EBM), `"ebm-ae-dropout"`, or another model name.
    pub model: String,
    /// Noise scale in training (for dropout, the rate c).
    pub alpha_train: f64,
    /// Noise scale at inference.
    pub alpha_test: f64,
    /// Law label in training (`"gaussian"`, `"cauchy"`, ..., `"dropout"`, `"none"`).
    #[serde(deserialize_with = "string_or_null")]
    pub train_law: String,
    /// Law label at inference.
    #[serde(deserialize_with = "string_or_null")]
    pub test_law: String,
    /// Law parameters in training, e.g. `"mean=0,std=1"`.
    #[serde(deserialize_with = "string_or_null")]
    pub train_params: String,
    /// Law parameters at inference.
    #[serde(deserialize_with = "string_or_null")]
    pub test_params: String,
    /// Layers noised in training (`"full"`, `"odd"`, `"even"`, `"encoder"`, ...).
    #[serde(deserialize_with = "string_or_null")]
    pub train_placement: String,
    /// Layers noised at inference.
    #[serde(deserialize_with = "string_or_null")]
    pub test_placement: String,
    /// n, noise draws per (image, class).
    pub draws: u64,
    /// Energy estimator (`"plain"`, `"common"`, ...).
    #[serde(deserialize_with = "string_or_null")]
    pub estimator: String,
    /// Number of test images.
    pub n_test: u64,
    /// Correctly classified test images.
    pub correct: u64,
    /// `correct / n_test`.
    pub accuracy: f64,
    /// 95 % Wilson interval, low end.
    pub ci_low: f64,
    /// 95 % Wilson interval, high end.
    pub ci_high: f64,
    /// Total single-image forward passes of one class autoencoder (null if not recorded).
    pub passes: Option<u64>,
    /// `passes / n_test` (null if not recorded).
    pub passes_per_image: Option<f64>,
    /// Wall time of this cell's evaluation in seconds (null if not recorded).
    pub wall_s: Option<f64>,
}

/// The content of a run's `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Experiment name.
    pub experiment: String,
    /// Dataset name.
    pub dataset: String,
    /// Seed of the run.
    pub seed: u64,
    /// Hash of the resolved config.
    #[serde(default, deserialize_with = "string_or_null")]
    pub config_hash: String,
    /// Class names, in label order.
    #[serde(default)]
    pub classes: Vec<String>,
    /// The evaluated settings.
    pub cells: Vec<Cell>,
}

/// The content of a run's `provenance.json`. Fields absent from the file are `None`/empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Git commit of the runner.
    #[serde(default)]
    pub commit: Option<String>,
    /// Burn backend name, e.g. `"flex"`.
    #[serde(default)]
    pub backend: Option<String>,
    /// Device description.
    #[serde(default)]
    pub device: Option<String>,
    /// Seed of the run.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Threads used.
    #[serde(default)]
    pub threads: Option<u64>,
    /// Versions of the crates that produced the run.
    #[serde(default)]
    pub crate_versions: BTreeMap<String, String>,
    /// Start time, RFC 3339.
    #[serde(default)]
    pub started: Option<String>,
    /// End time, RFC 3339, or `None` if the run did not finish.
    #[serde(default)]
    pub finished: Option<String>,
}

/// One line of a run's `metrics.jsonl`: one (training, epoch, class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    /// Noise scale of the training.
    pub alpha_train: f64,
    /// Law of the training noise, e.g. `"gaussian(mean=0,std=1)"`.
    #[serde(default, deserialize_with = "string_or_null")]
    pub train_law: String,
    /// Placement of the training noise.
    #[serde(default, deserialize_with = "string_or_null")]
    pub train_placement: String,
    /// Epoch (as the runner counts it).
    pub epoch: u64,
    /// Class whose autoencoder was trained.
    pub class: u64,
    /// Training loss with noise on.
    pub loss_noisy: Option<f64>,
    /// Training loss with noise off.
    #[serde(default)]
    pub loss_clean: Option<f64>,
    /// Images seen in the epoch.
    #[serde(default)]
    pub images: Option<u64>,
    /// Throughput.
    #[serde(default)]
    pub images_per_s: Option<f64>,
}

/// One run directory, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The run directory.
    pub dir: PathBuf,
    /// `results.json`.
    pub results: Results,
    /// `provenance.json`, if present.
    pub provenance: Option<Provenance>,
    /// `config.toml`, if present (parsed, kept as a table).
    pub config: Option<toml::Table>,
    /// `metrics.jsonl`, one record per line (empty if the file is absent).
    pub metrics: Vec<MetricRecord>,
    /// Names of the schema's files that this directory lacks (all but `results.json` are
    /// optional for the analysis).
    pub missing: Vec<String>,
}

/// Reads every run directory found under `paths`.
///
/// Each path may be a run directory itself, or a directory holding run directories at any
/// depth: every `results.json` below it is read. A run directory's `results.json` must parse
/// and hold valid cells; `results.csv`, `config.toml`, `provenance.json` and `metrics.jsonl` are
/// read when present (their absence is listed in [`Run::missing`]), and a `results.csv` that
/// disagrees with `results.json` is an error. Runs are returned sorted by directory; a directory
/// reached through two paths is read once.
///
/// # Errors
/// [`Error::NoResults`] if a path holds no `results.json`; [`Error::Json`] naming the file
/// and serde's message if one does not parse; [`Error::InvalidCell`], [`Error::Csv`],
/// [`Error::Toml`], [`Error::Io`] as the files require.
pub fn load_runs<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Run>> {
    let mut dirs = BTreeSet::new();
    for path in paths {
        let path = path.as_ref();
        if !path.exists() {
            return Err(Error::io(
                path,
                "looking for run directories",
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
        let mut found = 0usize;
        for entry in walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name() {
            let entry = entry.map_err(|e| {
                let p = e.path().unwrap_or(path).to_path_buf();
                Error::io(p, "walking directory", e.into())
            })?;
            if entry.file_type().is_file() && entry.file_name() == "results.json" {
                let dir = entry.path().parent().unwrap_or(Path::new(".")).to_path_buf();
                let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
                dirs.insert(canonical);
                found += 1;
            }
        }
        if found == 0 {
            return Err(Error::NoResults { path: path.to_path_buf() });
        }
    }
    dirs.iter().map(|d| load_run(d)).collect()
}

/// Reads one run directory (see [`load_runs`]).
///
/// # Errors
/// As [`load_runs`].
pub fn load_run(dir: &Path) -> Result<Run> {
    let mut missing = Vec::new();
    let results_path = dir.join("results.json");
    let text = read_string(&results_path)?;
    let results: Results = serde_json::from_str(&text).map_err(|source| Error::Json {
        path: results_path.clone(),
        line: None,
        source,
    })?;
    for (index, cell) in results.cells.iter().enumerate() {
        validate_cell(cell).map_err(|what| Error::InvalidCell {
            path: results_path.clone(),
            index,
            what,
        })?;
    }

    let csv_path = dir.join("results.csv");
    if csv_path.is_file() {
        check_csv(&csv_path, &results.cells)?;
    } else {
        missing.push("results.csv".to_owned());
    }

    let prov_path = dir.join("provenance.json");
    let provenance = if prov_path.is_file() {
        let text = read_string(&prov_path)?;
        Some(serde_json::from_str(&text).map_err(|source| Error::Json {
            path: prov_path.clone(),
            line: None,
            source,
        })?)
    } else {
        missing.push("provenance.json".to_owned());
        None
    };

    let config_path = dir.join("config.toml");
    let config = if config_path.is_file() {
        let text = read_string(&config_path)?;
        Some(
            text.parse::<toml::Table>()
                .map_err(|source| Error::Toml { path: config_path.clone(), source })?,
        )
    } else {
        missing.push("config.toml".to_owned());
        None
    };

    let metrics_path = dir.join("metrics.jsonl");
    let mut metrics = Vec::new();
    if metrics_path.is_file() {
        let text = read_string(&metrics_path)?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            metrics.push(serde_json::from_str(line).map_err(|source| Error::Json {
                path: metrics_path.clone(),
                line: Some(i + 1),
                source,
            })?);
        }
    } else {
        missing.push("metrics.jsonl".to_owned());
    }

    Ok(Run { dir: dir.to_path_buf(), results, provenance, config, metrics, missing })
}

/// Checks a cell's values for consistency; returns what is wrong.
fn validate_cell(c: &Cell) -> std::result::Result<(), String> {
    for (name, v) in [("alpha_train", c.alpha_train), ("alpha_test", c.alpha_test)] {
        if !v.is_finite() || v < 0.0 {
            return Err(format!("{name} = {v}: must be a finite number >= 0"));
        }
    }
    if c.n_test == 0 {
        return Err("n_test = 0: a cell must have evaluated at least one image".to_owned());
    }
    if c.correct > c.n_test {
        return Err(format!("correct = {} exceeds n_test = {}", c.correct, c.n_test));
    }
    if !(0.0..=1.0).contains(&c.accuracy) {
        return Err(format!("accuracy = {}: must be a fraction in [0, 1]", c.accuracy));
    }
    let expected = c.correct as f64 / c.n_test as f64;
    if (c.accuracy - expected).abs() > 1e-6 {
        return Err(format!(
            "accuracy = {} but correct / n_test = {} / {} = {expected}",
            c.accuracy, c.correct, c.n_test
        ));
    }
    if !(c.ci_low <= c.accuracy + 1e-9 && c.accuracy <= c.ci_high + 1e-9)
        || c.ci_low < -1e-9
        || c.ci_high > 1.0 + 1e-9
    {
        return Err(format!(
            "Wilson interval [{}, {}] must lie in [0, 1] and contain accuracy = {}",
            c.ci_low, c.ci_high, c.accuracy
        ));
    }
    if c.draws == 0 {
        return Err("draws = 0: n must be at least 1".to_owned());
    }
    Ok(())
}

/// Checks `results.csv`: the header is [`CELL_FIELDS`] and each row agrees with the
/// corresponding `results.json` cell on its identifying and count fields.
fn check_csv(path: &Path, cells: &[Cell]) -> Result<()> {
    let text = read_string(path)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| Error::Csv { path: path.to_path_buf(), what: format!("header: {e}") })?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    if names != CELL_FIELDS {
        return Err(Error::Csv {
            path: path.to_path_buf(),
            what: format!(
                "header is {names:?}; the schema's header is {CELL_FIELDS:?} (in this order)"
            ),
        });
    }
    let col = |name: &str| CELL_FIELDS.iter().position(|f| *f == name).unwrap_or(0);
    let mut rows = 0usize;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::Csv {
            path: path.to_path_buf(),
            what: format!("row {}: {e}", i + 1),
        })?;
        rows += 1;
        let Some(cell) = cells.get(i) else { continue };
        let expect = [
            ("dataset", cell.dataset.clone()),
            ("seed", cell.seed.to_string()),
            ("draws", cell.draws.to_string()),
            ("n_test", cell.n_test.to_string()),
            ("correct", cell.correct.to_string()),
        ];
        for (name, want) in expect {
            let got = record.get(col(name)).unwrap_or("");
            if got.trim() != want {
                return Err(Error::Csv {
                    path: path.to_path_buf(),
                    what: format!(
                        "row {} has {name} = {got:?} but results.json cell {i} has {want:?}",
                        i + 1
                    ),
                });
            }
        }
    }
    if rows != cells.len() {
        return Err(Error::Csv {
            path: path.to_path_buf(),
            what: format!("{rows} rows but results.json has {} cells", cells.len()),
        });
    }
    Ok(())
}
