//! Run directories: `runs/<experiment>/<UTC timestamp>-<config hash>-s<seed>/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use actnoise_analysis::{Cell, Results};
use anyhow::{Context, Result};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::config::Config;

/// Writes `bytes` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    actnoise_nn::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// `provenance.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// `git rev-parse HEAD` of the working tree, or "unknown".
    pub commit: String,
    /// True when the working tree had uncommitted changes.
    pub dirty: bool,
    /// Backend name.
    pub backend: String,
    /// The device, as Burn prints it.
    pub device: String,
    /// Seed.
    pub seed: u64,
    /// CPU threads of the pool.
    pub threads: usize,
    /// Versions of actnoise and Burn.
    pub crate_versions: serde_json::Value,
    /// Start (RFC 3339).
    pub started: String,
    /// End (RFC 3339), null while running or after a crash.
    pub finished: Option<String>,
    /// The command line.
    pub command: Vec<String>,
}

impl Provenance {
    /// Provenance of a run starting now.
    pub fn start(cfg: &Config, device: &burn::tensor::Device) -> Self {
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        Self {
            commit: git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into()),
            dirty: git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty()),
            backend: cfg.backend.to_string(),
            device: format!("{device:?}"),
            seed: cfg.seed,
            threads: rayon::current_num_threads(),
            crate_versions: serde_json::json!({
                "actnoise": env!("CARGO_PKG_VERSION"),
                "burn": "0.22.1",
            }),
            started: now(),
            finished: None,
            command: std::env::args().collect(),
        }
    }
}

/// The current UTC time, RFC 3339.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One run's directory and what has been written into it.
#[derive(Debug)]
pub struct RunDir {
    /// The directory.
    pub path: PathBuf,
    /// Cells evaluated so far.
    pub cells: Vec<Cell>,
    /// Metric lines so far.
    pub metrics: Vec<serde_json::Value>,
}

impl RunDir {
    /// A new run directory, or with `resume` the newest existing one of the same config and
    /// seed (its finished cells are kept and skipped).
    pub fn open(cfg: &Config, resume: bool) -> Result<(Self, bool)> {
        let parent = cfg.runs_dir.join(&cfg.experiment);
        let suffix = format!("-{}-s{}", cfg.hash(), cfg.seed);
        if resume {
            let mut found: Vec<PathBuf> = fs::read_dir(&parent)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.ends_with(&suffix))
                })
                .collect();
            found.sort();
            if let Some(path) = found.pop() {
                let cells = read_cells(&path)?;
                let metrics = read_metrics(&path)?;
                return Ok((Self { path, cells, metrics }, true));
            }
        }
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        let path = parent.join(format!("{stamp}{suffix}"));
        fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok((Self { path, cells: Vec::new(), metrics: Vec::new() }, false))
    }

    /// Writes `config.toml`.
    pub fn write_config(&self, cfg: &Config) -> Result<()> {
        write_atomic(&self.path.join("config.toml"), cfg.to_toml().as_bytes())
    }

    /// Writes `provenance.json`.
    pub fn write_provenance(&self, p: &Provenance) -> Result<()> {
        let json = serde_json::to_vec_pretty(p).expect("provenance serializes");
        write_atomic(&self.path.join("provenance.json"), &json)
    }

    /// Replaces the metrics of one training and rewrites `metrics.jsonl`.
    pub fn set_metrics(&mut self, training: &str, lines: Vec<serde_json::Value>) -> Result<()> {
        self.metrics.retain(|m| m.get("training").and_then(|t| t.as_str()) != Some(training));
        self.metrics.extend(lines);
        let mut text = String::new();
        for m in &self.metrics {
            text.push_str(&serde_json::to_string(m).expect("metrics serialize"));
            text.push('\n');
        }
        write_atomic(&self.path.join("metrics.jsonl"), text.as_bytes())
    }

    /// Adds evaluated cells and rewrites `results.json` and `results.csv`.
    pub fn add_cells(&mut self, cfg: &Config, classes: &[String], cells: Vec<Cell>) -> Result<()> {
        self.cells.extend(cells);
        let results = Results {
            experiment: cfg.experiment.clone(),
            dataset: cfg.data.name.clone(),
            seed: cfg.seed,
            config_hash: cfg.hash(),
            classes: classes.to_vec(),
            cells: self.cells.clone(),
        };
        let json = serde_json::to_vec_pretty(&results).expect("results serialize");
        write_atomic(&self.path.join("results.json"), &json)?;
        let mut w = csv_writer();
        for c in &self.cells {
            w.serialize(c).context("writing results.csv")?;
        }
        let bytes = w.into_inner().context("writing results.csv")?;
        write_atomic(&self.path.join("results.csv"), &bytes)
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn read_cells(dir: &Path) -> Result<Vec<Cell>> {
    let path = dir.join("results.json");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let results: Results =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(results.cells)
}

fn read_metrics(dir: &Path) -> Result<Vec<serde_json::Value>> {
    let path = dir.join("metrics.jsonl");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("parsing {}", path.display())))
        .collect()
}
