//! `cargo xtask backends`: cross-backend validation against the `flex` reference.
//!
//! # Protocol
//! xtask builds `actnoise-backend-tests` ONCE with every requested backend feature (flex
//! always among them; Burn 0.22 dispatches on the `Device` at run time, so one binary serves
//! every backend and one Burn feature set is compiled), then for each backend `B` runs
//! `cargo run --release -p actnoise-backend-tests --features flex,B,.. -- --backend B --out
//! target/backends/B.json` with that same feature list (a no-op build, then the binary).
//! When `tch` is requested, the build and every run get the environment written by
//! `cargo xtask setup-tch` (torch-sys reads it when building); `wgpu` runs get
//! `XDG_RUNTIME_DIR` set to a fresh private temp dir. Each file is a [`BackendReport`]:
//!
//! ```json
//! {"backend": "wgpu", "device": "llvmpipe (Vulkan)",
//!  "checks": [{"name": "forward_noiseless", "values": [0.1, 0.2],
//!              "kind": "exact", "threshold": null, "scale": 1.0},
//!             {"name": "gaussian_ks", "values": [0.004], "kind": "statistic",
//!              "threshold": 0.02}]}
//! ```
//!
//! * `exact` checks are compared element-wise with `flex`'s check of the same name: each
//!   difference is scaled as `|a − b| / max(|b|, s)` (`b` from flex, `s` the check's `scale`,
//!   [`RELATIVE_FLOOR`] when the check has none), and the check passes iff the largest scaled
//!   difference is ≤ the tolerance, i.e. `|a − b| ≤ tol · max(|b|, s)` everywhere: relative
//!   for values above `s`, absolute (`tol · s`) below it. The max absolute difference is
//!   reported beside it. A backend's `scale` must equal flex's.
//! * `statistic` checks carry their own threshold: pass iff every value is ≤ it.
//!
//! A non-finite value (JSON `null`) fails its check unless both sides hold the same value.
//! A report without checks, a duplicated check name, a check flex has that the backend lacks,
//! or an exact check flex lacks, all fail.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{cargo_command, display_command};

/// The backend every other backend is compared against.
pub const REFERENCE: Backend = Backend::Flex;

/// The crate that produces the per-backend JSON files.
pub const BACKEND_TESTS_CRATE: &str = "actnoise-backend-tests";

/// The scale of an exact check that names none: the floor of the denominator of its
/// relative difference.
pub const RELATIVE_FLOOR: f64 = 1e-6;

/// How many trailing lines of a failed run's stderr are shown.
const STDERR_TAIL_LINES: usize = 25;

/// A Burn backend, as the cargo feature of `actnoise-backend-tests` that selects it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    clap::ValueEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend; the reference.
    Flex,
    /// The ndarray CPU backend.
    Ndarray,
    /// wgpu (Vulkan/Metal/DX12; on CI the software Vulkan of Mesa).
    Wgpu,
    /// LibTorch through tch; needs `cargo xtask setup-tch`.
    Tch,
    /// CUDA through CubeCL; needs an NVIDIA GPU.
    Cuda,
}

impl Backend {
    /// The backend's name, as feature, `--backend` value and file stem.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
            Backend::Tch => "tch",
            Backend::Cuda => "cuda",
        }
    }

    fn from_name(name: &str) -> Option<Backend> {
        [Backend::Flex, Backend::Ndarray, Backend::Wgpu, Backend::Tch, Backend::Cuda]
            .into_iter()
            .find(|b| b.name() == name)
    }
}

/// How a check is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// Deterministic values compared element-wise with flex's.
    Exact,
    /// Statistics that pass when every value is ≤ the check's own threshold.
    Statistic,
}

impl CheckKind {
    fn name(self) -> &'static str {
        match self {
            CheckKind::Exact => "exact",
            CheckKind::Statistic => "statistic",
        }
    }
}

/// One named check of a backend report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Check name, shared across backends (e.g. `forward_noiseless`).
    pub name: String,
    /// The values; JSON `null` (how serde_json writes NaN/±inf) reads as NaN.
    #[serde(deserialize_with = "nullable_f64s")]
    pub values: Vec<f64>,
    /// How the check is judged.
    pub kind: CheckKind,
    /// Pass threshold of a statistic check; `null` for exact checks.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Exact checks: differences are judged as `|a − b| ≤ tol · max(|b|, scale)`; absent:
    /// [`RELATIVE_FLOOR`] (purely relative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

fn nullable_f64s<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
    let values = Vec::<Option<f64>>::deserialize(deserializer)?;
    Ok(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// The JSON file one backend run writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendReport {
    /// Backend name (`flex`, `ndarray`, ...).
    pub backend: String,
    /// The device it ran on, in words.
    pub device: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
}

impl BackendReport {
    /// Reads and parses a report file.
    pub fn read(path: &Path) -> anyhow::Result<BackendReport> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a backend report ({{\"backend\", \"device\", \"checks\": [{{\"name\", \
                 \"values\", \"kind\", \"threshold\"}}]}})",
                path.display()
            )
        })
    }
}

/// One line of the comparison table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Backend name.
    pub backend: String,
    /// Check name (or a placeholder when the whole backend failed).
    pub check: String,
    /// `exact`, `statistic` or `-`.
    pub kind: String,
    /// Max absolute difference against flex (exact checks of other backends).
    pub max_abs: Option<f64>,
    /// Max scaled difference `|a − b| / max(|b|, scale)` against flex (exact checks of
    /// other backends).
    pub max_rel: Option<f64>,
    /// Whether the check passed.
    pub pass: bool,
    /// Why, in a few words.
    pub note: String,
}

impl Row {
    fn failed(backend: &str, check: &str, kind: &str, note: impl Into<String>) -> Row {
        Row {
            backend: backend.to_owned(),
            check: check.to_owned(),
            kind: kind.to_owned(),
            max_abs: None,
            max_rel: None,
            pass: false,
            note: note.into(),
        }
    }
}

/// Max absolute difference and max scaled difference `|a − b| / max(|b|, scale)` of `values`
/// against `reference`.
pub fn differences(values: &[f64], reference: &[f64], scale: f64) -> (f64, f64) {
    let mut max_abs = 0.0_f64;
    let mut max_rel = 0.0_f64;
    for (&a, &b) in values.iter().zip(reference) {
        // Identical values (equal infinities included) differ by nothing.
        if a == b {
            continue;
        }
        let abs = (a - b).abs();
        let (abs, rel) = if abs.is_finite() {
            (abs, abs / b.abs().max(scale))
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        max_abs = max_abs.max(abs);
        max_rel = max_rel.max(rel);
    }
    (max_abs, max_rel)
}

/// Judges a statistic check on its own threshold.
fn judge_statistic(backend: &str, check: &Check) -> Row {
    let Some(threshold) = check.threshold else {
        return Row::failed(backend, &check.name, "statistic", "statistic check has no threshold");
    };
    if check.values.is_empty() {
        return Row::failed(backend, &check.name, "statistic", "no values");
    }
    let worst =
        check.values.iter().copied().fold(f64::NEG_INFINITY, |m, v| {
            if v.is_nan() || m.is_nan() { f64::NAN } else { m.max(v) }
        });
    let pass = worst <= threshold;
    let relation = if pass { "≤" } else { ">" };
    Row {
        backend: backend.to_owned(),
        check: check.name.clone(),
        kind: "statistic".to_owned(),
        max_abs: None,
        max_rel: None,
        pass,
        note: format!("max value {worst:.4e} {relation} threshold {threshold:.4e}"),
    }
}

/// The scale of an exact check, or why it is unusable.
fn scale_of(check: &Check) -> Result<f64, String> {
    match check.scale {
        None => Ok(RELATIVE_FLOOR),
        Some(s) if s.is_finite() && s > 0.0 => Ok(s),
        Some(s) => Err(format!("scale {s} is not a finite number > 0")),
    }
}

/// Judges an exact check against the reference's check of the same name (or, for the
/// reference itself, only that its values are finite).
fn judge_exact(backend: &str, check: &Check, reference: Option<&Check>, tolerance: f64) -> Row {
    if let Err(why) = scale_of(check) {
        return Row::failed(backend, &check.name, "exact", why);
    }
    let Some(reference) = reference else {
        if check.values.is_empty() {
            return Row::failed(backend, &check.name, "exact", "no values");
        }
        let pass = check.values.iter().all(|v| v.is_finite());
        let note = if pass { "reference" } else { "reference has non-finite values" };
        return Row { pass, ..Row::failed(backend, &check.name, "exact", note) };
    };
    if reference.kind != CheckKind::Exact {
        return Row::failed(
            backend,
            &check.name,
            "exact",
            format!("kind differs: {} here, {} in flex", check.kind.name(), reference.kind.name()),
        );
    }
    let scale = match scale_of(reference) {
        Ok(scale) => scale,
        Err(why) => return Row::failed(backend, &check.name, "exact", format!("flex's {why}")),
    };
    if check.scale != reference.scale {
        return Row::failed(
            backend,
            &check.name,
            "exact",
            format!("scale differs: {:?} here, {:?} in flex", check.scale, reference.scale),
        );
    }
    if check.values.len() != reference.values.len() {
        return Row::failed(
            backend,
            &check.name,
            "exact",
            format!("{} values here, {} in flex", check.values.len(), reference.values.len()),
        );
    }
    if check.values.is_empty() {
        return Row::failed(backend, &check.name, "exact", "no values");
    }
    let (max_abs, max_rel) = differences(&check.values, &reference.values, scale);
    let pass = max_rel <= tolerance;
    let relation = if pass { "≤" } else { ">" };
    Row {
        backend: backend.to_owned(),
        check: check.name.clone(),
        kind: "exact".to_owned(),
        max_abs: Some(max_abs),
        max_rel: Some(max_rel),
        pass,
        note: format!(
            "{} values, |a−b|/max(|b|,{scale:.0e}) {relation} tol {tolerance:.0e}",
            check.values.len()
        ),
    }
}

/// Judges one backend's report; `reference` is `None` when `report` is the reference.
pub fn compare(
    report: &BackendReport,
    reference: Option<&BackendReport>,
    tolerance: f64,
) -> Vec<Row> {
    let backend = report.backend.as_str();
    if report.checks.is_empty() {
        return vec![Row::failed(backend, "(no checks)", "-", "the report holds no checks")];
    }
    let reference_checks: BTreeMap<&str, &Check> = reference
        .map(|r| r.checks.iter().map(|c| (c.name.as_str(), c)).collect())
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for check in &report.checks {
        if !seen.insert(check.name.as_str()) {
            rows.push(Row::failed(backend, &check.name, check.kind.name(), "duplicate check name"));
            continue;
        }
        rows.push(match check.kind {
            CheckKind::Statistic => judge_statistic(backend, check),
            CheckKind::Exact if reference.is_none() => judge_exact(backend, check, None, tolerance),
            CheckKind::Exact => match reference_checks.get(check.name.as_str()) {
                Some(reference_check) => {
                    judge_exact(backend, check, Some(reference_check), tolerance)
                }
                None => Row::failed(
                    backend,
                    &check.name,
                    "exact",
                    format!("{} has no check of this name to compare with", REFERENCE.name()),
                ),
            },
        });
    }
    if let Some(reference) = reference {
        for missing in reference.checks.iter().filter(|c| !seen.contains(c.name.as_str())) {
            rows.push(Row::failed(
                backend,
                &missing.name,
                missing.kind.name(),
                format!("missing here ({} has it)", REFERENCE.name()),
            ));
        }
    }
    rows
}

/// Judges the reference and every other report; the reference must be `reports[0]`.
pub fn compare_all(reports: &[BackendReport], tolerance: f64) -> Vec<Row> {
    let Some((reference, others)) = reports.split_first() else { return Vec::new() };
    let mut rows = compare(reference, None, tolerance);
    for report in others {
        rows.extend(compare(report, Some(reference), tolerance));
    }
    rows
}

fn format_diff(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.3e}"))
}

/// Renders the rows as one aligned table.
pub fn render_table(rows: &[Row]) -> String {
    let header = ["backend", "check", "kind", "max abs diff", "max scaled diff", "result", "note"];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.backend.clone(),
                r.check.clone(),
                r.kind.clone(),
                format_diff(r.max_abs),
                format_diff(r.max_rel),
                if r.pass { "pass" } else { "FAIL" }.to_owned(),
                r.note.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cols: &[String]| {
        let mut out = String::new();
        for (i, (col, width)) in cols.iter().zip(widths).enumerate() {
            if i + 1 == cols.len() {
                out.push_str(col);
            } else {
                let pad = width - col.chars().count();
                let _ = write!(out, "{col}{}  ", " ".repeat(pad));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    };
    line(&header.map(str::to_owned));
    line(&widths.map(|w| "-".repeat(w)));
    for row in &cells {
        line(row);
    }
    text
}

/// Options of `cargo xtask backends`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Backends to run or read (flex is added first when missing); `None`: the default set,
    /// or with `json_only` every `*.json` in that directory.
    pub backends: Option<Vec<Backend>>,
    /// Largest scaled difference `|a − b| / max(|b|, scale)` allowed for exact checks.
    pub tolerance: f64,
    /// Compare the files in this directory instead of building and running.
    pub json_only: Option<PathBuf>,
    /// Where the runs write their JSON files.
    pub out_dir: PathBuf,
    /// The env file `cargo xtask setup-tch` wrote, used for `tch`.
    pub tch_env: PathBuf,
}

/// The backends run when `--backend` is not given: the ones a CPU-only machine can run.
pub const DEFAULT_BACKENDS: &[Backend] = &[Backend::Flex, Backend::Ndarray, Backend::Wgpu];

/// `backends` with the reference first and no duplicates.
pub fn reference_first(backends: &[Backend]) -> Vec<Backend> {
    let mut ordered = vec![REFERENCE];
    for &backend in backends {
        if !ordered.contains(&backend) {
            ordered.push(backend);
        }
    }
    ordered
}

/// A backend whose run or file could not be used.
#[derive(Debug)]
struct BackendFailure {
    backend: Backend,
    reason: String,
}

/// Runs (or reads) every backend, prints one table, and fails on any failing check or backend.
pub fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    if !(options.tolerance.is_finite() && options.tolerance >= 0.0) {
        bail!("--tolerance {} must be a finite number ≥ 0", options.tolerance);
    }
    let loaded = match &options.json_only {
        Some(dir) => {
            let dir = if dir.is_absolute() { dir.clone() } else { root.join(dir) };
            let backends = match &options.backends {
                Some(list) => reference_first(list),
                None => reference_first(&backends_in_dir(&dir)?),
            };
            backends
                .iter()
                .map(|&b| read_report(b, &dir.join(format!("{}.json", b.name()))))
                .collect::<Vec<_>>()
        }
        None => {
            let manifest = root.join("crates").join(BACKEND_TESTS_CRATE).join("Cargo.toml");
            if !manifest.is_file() {
                bail!(
                    "{} does not exist: the crate `{BACKEND_TESTS_CRATE}` that writes the \
                     per-backend JSON files is not in this checkout; write it, or compare \
                     existing files with --json-only DIR",
                    manifest.display()
                );
            }
            let backends = reference_first(options.backends.as_deref().unwrap_or(DEFAULT_BACKENDS));
            let out_dir = if options.out_dir.is_absolute() {
                options.out_dir.clone()
            } else {
                root.join(&options.out_dir)
            };
            run_all(root, &backends, &out_dir, &options.tch_env)?
        }
    };

    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for result in loaded {
        match result {
            Ok(report) => reports.push(report),
            Err(failure) => failures.push(failure),
        }
    }
    if reports.first().map(|r| r.backend.as_str()) != Some(REFERENCE.name()) {
        let reason = failures
            .iter()
            .find(|f| f.backend == REFERENCE)
            .map_or_else(String::new, |f| format!(":\n{}", f.reason));
        bail!("no usable {} report to compare against{reason}", REFERENCE.name());
    }
    let mut rows = compare_all(&reports, options.tolerance);
    for failure in &failures {
        rows.push(Row::failed(
            failure.backend.name(),
            "(all)",
            "-",
            "backend failed to build, run or report; see below",
        ));
    }
    println!("{}", render_table(&rows));
    for failure in &failures {
        eprintln!("backend {} failed:\n{}\n", failure.backend.name(), failure.reason);
    }
    let failed_rows = rows.iter().filter(|r| !r.pass).count();
    if failed_rows > 0 {
        bail!(
            "{failed_rows} of {} row(s) failed (tolerance {:e}); failing backends: {}",
            rows.len(),
            options.tolerance,
            rows.iter()
                .filter(|r| !r.pass)
                .map(|r| r.backend.as_str())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("backends: all {} row(s) passed on {} backend(s)", rows.len(), reports.len());
    Ok(())
}

/// The backends that have a `<name>.json` file in `dir`.
fn backends_in_dir(dir: &Path) -> anyhow::Result<Vec<Backend>> {
    let mut backends = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            match Backend::from_name(&stem) {
                Some(backend) => backends.push(backend),
                None => eprintln!("backends: ignoring {} (not a backend name)", path.display()),
            }
        }
    }
    backends.sort();
    Ok(backends)
}

fn read_report(backend: Backend, path: &Path) -> Result<BackendReport, BackendFailure> {
    let report = BackendReport::read(path)
        .map_err(|err| BackendFailure { backend, reason: format!("{err:#}") })?;
    if report.backend != backend.name() {
        return Err(BackendFailure {
            backend,
            reason: format!(
                "{} says \"backend\": \"{}\", expected \"{}\"",
                path.display(),
                report.backend,
                backend.name()
            ),
        });
    }
    Ok(report)
}

/// The `--features` list of the one build: the backends' names, comma-separated.
pub fn feature_list(backends: &[Backend]) -> String {
    backends.iter().map(|b| b.name()).collect::<Vec<_>>().join(",")
}

/// Builds `actnoise-backend-tests` once with every backend's feature and runs it per backend.
/// `backends` starts with the reference. A `tch` whose env file is missing is reported as
/// failed and left out of the build; a failed build fails every backend (and so the run).
fn run_all(
    root: &Path,
    backends: &[Backend],
    out_dir: &Path,
    tch_env: &Path,
) -> anyhow::Result<Vec<Result<BackendReport, BackendFailure>>> {
    let mut env = Vec::new();
    let mut results: Vec<(Backend, Result<BackendReport, BackendFailure>)> = Vec::new();
    let mut built = Vec::new();
    for &backend in backends {
        if backend == Backend::Tch {
            match load_env_file(tch_env) {
                Ok(vars) => env.extend(vars),
                Err(err) => {
                    let reason = format!("{err:#}");
                    results.push((backend, Err(BackendFailure { backend, reason })));
                    continue;
                }
            }
        }
        built.push(backend);
    }
    let features = feature_list(&built);
    let mut build = cargo_command(root);
    build
        .args(["build", "--release", "-p", BACKEND_TESTS_CRATE, "--features", &features])
        .envs(env.iter().cloned());
    eprintln!("==> building once for {features}: {}", display_command(&build));
    let start = std::time::Instant::now();
    // The build's own progress goes straight to the terminal: it can take many minutes.
    let status = build.status().context("could not start cargo")?;
    eprintln!("    build: {status} in {:.1}s", start.elapsed().as_secs_f64());
    if !status.success() {
        bail!(
            "`{}` failed ({status}), so no backend can run; see cargo's errors above",
            display_command(&build)
        );
    }
    for &backend in &built {
        let (report, failure) = match run_backend(root, backend, &features, &env, out_dir) {
            Ok(Run { path, failure }) => (Some(read_report(backend, &path)), failure),
            Err(failure) => (None, Some(failure)),
        };
        if backend == REFERENCE {
            let failure = failure.as_ref().or(report.as_ref().and_then(|r| r.as_ref().err()));
            if let Some(failure) = failure {
                bail!(
                    "the reference backend failed, so nothing can be compared:\n{}",
                    failure.reason
                );
            }
        }
        // A run that failed partway still compares the checks it wrote.
        results.extend(report.map(|r| (backend, r)));
        results.extend(failure.map(|f| (backend, Err(f))));
    }
    // Back in the order asked for (the reference first); a backend's report before its failure.
    results.sort_by_key(|(backend, result)| {
        (backends.iter().position(|b| b == backend), result.is_err())
    });
    Ok(results.into_iter().map(|(_, result)| result).collect())
}

/// A finished run of one backend: its report file, and why the run failed when it exited
/// non-zero after writing a (partial) report.
struct Run {
    path: PathBuf,
    failure: Option<BackendFailure>,
}

/// Runs the `actnoise-backend-tests` built with `features` on one backend. A run that exits
/// non-zero fails; when it still wrote its report (a step failed or panicked), the report is
/// returned beside the failure.
fn run_backend(
    root: &Path,
    backend: Backend,
    features: &str,
    env: &[(String, String)],
    out_dir: &Path,
) -> Result<Run, BackendFailure> {
    let fail = |reason: String| BackendFailure { backend, reason };
    let name = backend.name();
    let out = out_dir.join(format!("{name}.json"));
    fs::create_dir_all(out_dir)
        .map_err(|e| fail(format!("creating {}: {e}", out_dir.display())))?;
    // A stale file from an earlier run must not pass for this run's result.
    if let Err(err) = fs::remove_file(&out)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        return Err(fail(format!("removing stale {}: {err}", out.display())));
    }
    let mut command = cargo_command(root);
    command
        .args(["run", "--release", "-p", BACKEND_TESTS_CRATE, "--features", features, "--"])
        .args(["--backend", name, "--out"])
        .arg(&out)
        .envs(env.iter().cloned());
    let mut runtime_dir = None;
    if backend == Backend::Wgpu {
        let dir = private_temp_dir("actnoise-xdg-runtime").map_err(|e| fail(format!("{e:#}")))?;
        command.env("XDG_RUNTIME_DIR", &dir);
        runtime_dir = Some(dir);
    }
    eprintln!("==> backend {name}: {}", display_command(&command));
    let start = std::time::Instant::now();
    let output = command.output();
    if let Some(dir) = runtime_dir {
        let _ = fs::remove_dir_all(dir);
    }
    let output = output.map_err(|e| fail(format!("could not start cargo: {e}")))?;
    eprintln!("    {name}: {} in {:.1}s", output.status, start.elapsed().as_secs_f64());
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let failure = fail(format!(
            "`{}` failed ({}){}; last lines of its stderr:\n{}",
            display_command(&command),
            output.status,
            if out.is_file() { ", after writing a partial report" } else { "" },
            tail(&stderr, STDERR_TAIL_LINES)
        ));
        if out.is_file() {
            return Ok(Run { path: out, failure: Some(failure) });
        }
        return Err(failure);
    }
    if !out.is_file() {
        return Err(fail(format!(
            "`{}` succeeded but wrote no {}; last lines of its stderr:\n{}",
            display_command(&command),
            out.display(),
            tail(&stderr, STDERR_TAIL_LINES)
        )));
    }
    Ok(Run { path: out, failure: None })
}

/// The last `n` lines of `text`, indented.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].iter().map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n")
}

/// A fresh directory only this user can enter (what `XDG_RUNTIME_DIR` must be).
fn private_temp_dir(prefix: &str) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let base = std::env::temp_dir();
    for attempt in 0..100_u32 {
        let dir = base.join(format!("{prefix}-{}-{attempt}", std::process::id()));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                    .with_context(|| format!("chmod 700 {}", dir.display()))?;
                return Ok(dir);
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!("could not create a fresh {prefix} directory under {}", base.display())
}

/// The variables a shell env file sets or changes, evaluated by bash itself (so `PATH=...:$PATH`
/// and `${VAR:+...}` mean what they mean to `source`).
pub fn load_env_file(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    if !path.is_file() {
        bail!(
            "{} not found: the tch backend needs PyTorch; run `cargo xtask setup-tch` first \
             (or pass --tch-env with the env file it wrote)",
            path.display()
        );
    }
    let output = Command::new("bash")
        .args(["-c", "set -a; . \"$1\" >/dev/null || exit 1; env -0", "bash"])
        .arg(path)
        .output()
        .context("running bash to read the env file")?;
    if !output.status.success() {
        bail!(
            "sourcing {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let after = String::from_utf8_lossy(&output.stdout);
    let mut changed = Vec::new();
    for entry in after.split('\0') {
        let Some((key, value)) = entry.split_once('=') else { continue };
        // Shell bookkeeping, not something the file set.
        if matches!(key, "_" | "SHLVL" | "PWD" | "OLDPWD") {
            continue;
        }
        if std::env::var(key).ok().as_deref() != Some(value) {
            changed.push((key.to_owned(), value.to_owned()));
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: &str) -> BackendReport {
        serde_json::from_str(json).unwrap()
    }

    fn flex() -> BackendReport {
        report(
            r#"{"backend": "flex", "device": "cpu", "checks": [
                {"name": "forward_noiseless", "values": [1.0, -2.0, 0.0], "kind": "exact", "threshold": null},
                {"name": "energy", "values": [100.0], "kind": "exact", "threshold": null},
                {"name": "gaussian_ks", "values": [0.01, 0.02], "kind": "statistic", "threshold": 0.05}
            ]}"#,
        )
    }

    fn find<'a>(rows: &'a [Row], backend: &str, check: &str) -> &'a Row {
        rows.iter().find(|r| r.backend == backend && r.check == check).unwrap_or_else(|| {
            panic!("no row {backend}/{check} in {rows:#?}");
        })
    }

    #[test]
    fn differences_are_absolute_and_relative_to_the_reference() {
        let (abs, rel) = differences(&[1.0001, -2.0, 1e-7], &[1.0, -2.0, 0.0], RELATIVE_FLOOR);
        assert!((abs - 1e-4).abs() < 1e-12, "{abs}");
        // 1e-7 against 0 is relative to the 1e-6 floor: 0.1, the largest.
        assert!((rel - 0.1).abs() < 1e-12, "{rel}");
        // With scale 1 every value below 1 is judged absolutely: 1e-7 and 1e-4 both count
        // as themselves, and 1e-4 (against 1.0) is the largest.
        let (_, rel) = differences(&[1.0001, -2.0, 1e-7], &[1.0, -2.0, 0.0], 1.0);
        assert!((rel - 1e-4).abs() < 1e-12, "{rel}");
        assert_eq!(differences(&[f64::INFINITY], &[f64::INFINITY], 1.0), (0.0, 0.0));
        assert_eq!(differences(&[f64::NAN], &[1.0], 1.0), (f64::INFINITY, f64::INFINITY));
    }

    #[test]
    fn compare_passes_a_backend_within_tolerance() {
        let other = report(
            r#"{"backend": "ndarray", "device": "cpu", "checks": [
                {"name": "forward_noiseless", "values": [1.00005, -2.0, 0.0], "kind": "exact", "threshold": null},
                {"name": "energy", "values": [100.001], "kind": "exact", "threshold": null},
                {"name": "gaussian_ks", "values": [0.04], "kind": "statistic", "threshold": 0.05}
            ]}"#,
        );
        let rows = compare_all(&[flex(), other], 1e-4);
        assert!(rows.iter().all(|r| r.pass), "{rows:#?}");
        assert_eq!(rows.len(), 6);
        let forward = find(&rows, "ndarray", "forward_noiseless");
        assert!((forward.max_abs.unwrap() - 5e-5).abs() < 1e-12);
        assert!((forward.max_rel.unwrap() - 5e-5).abs() < 1e-12);
        let energy = find(&rows, "ndarray", "energy");
        assert!((energy.max_abs.unwrap() - 1e-3).abs() < 1e-9);
        assert!((energy.max_rel.unwrap() - 1e-5).abs() < 1e-12);
        assert_eq!(find(&rows, "flex", "energy").note, "reference");
    }

    #[test]
    fn compare_fails_exact_check_beyond_relative_tolerance() {
        let rows = compare_all(&[flex(), wgpu_off_by_5e_4()], 1e-4);
        let forward = find(&rows, "wgpu", "forward_noiseless");
        assert!(!forward.pass);
        assert!((forward.max_abs.unwrap() - 1e-3).abs() < 1e-9, "{forward:?}");
        assert!((forward.max_rel.unwrap() - 5e-4).abs() < 1e-9, "{forward:?}");
        assert_eq!(rows.iter().filter(|r| !r.pass).count(), 1, "{rows:#?}");
        // The same difference passes a looser tolerance.
        let rows = compare(&wgpu_off_by_5e_4(), Some(&flex()), 1e-3);
        assert!(rows.iter().all(|r| r.pass), "{rows:#?}");
    }

    /// A wgpu report whose `forward_noiseless` differs from flex's by 1e-3 at -2.0.
    fn wgpu_off_by_5e_4() -> BackendReport {
        report(
            r#"{"backend": "wgpu", "device": "llvmpipe", "checks": [
                {"name": "forward_noiseless", "values": [1.0, -2.001, 0.0], "kind": "exact", "threshold": null},
                {"name": "energy", "values": [100.0], "kind": "exact", "threshold": null},
                {"name": "gaussian_ks", "values": [0.01], "kind": "statistic", "threshold": 0.05}
            ]}"#,
        )
    }

    #[test]
    fn compare_fails_statistic_above_its_threshold_and_null_values() {
        let other = report(
            r#"{"backend": "tch", "device": "cuda:0", "checks": [
                {"name": "forward_noiseless", "values": [1.0, null, 0.0], "kind": "exact", "threshold": null},
                {"name": "energy", "values": [100.0], "kind": "exact", "threshold": null},
                {"name": "gaussian_ks", "values": [0.01, 0.051], "kind": "statistic", "threshold": 0.05}
            ]}"#,
        );
        let rows = compare_all(&[flex(), other], 1e-4);
        let ks = find(&rows, "tch", "gaussian_ks");
        assert!(!ks.pass && ks.note.contains("> threshold"), "{ks:?}");
        let forward = find(&rows, "tch", "forward_noiseless");
        assert!(!forward.pass && forward.max_rel == Some(f64::INFINITY), "{forward:?}");
        assert!(find(&rows, "tch", "energy").pass);
    }

    #[test]
    fn compare_fails_missing_extra_duplicate_and_mismatched_checks() {
        let other = report(
            r#"{"backend": "cuda", "device": "H200", "checks": [
                {"name": "forward_noiseless", "values": [1.0, -2.0], "kind": "exact", "threshold": null},
                {"name": "only_here", "values": [1.0], "kind": "exact", "threshold": null},
                {"name": "only_here", "values": [1.0], "kind": "exact", "threshold": null},
                {"name": "gaussian_ks", "values": [0.01], "kind": "statistic", "threshold": null}
            ]}"#,
        );
        let rows = compare_all(&[flex(), other], 1e-4);
        let cuda: Vec<&Row> = rows.iter().filter(|r| r.backend == "cuda").collect();
        assert!(cuda.iter().all(|r| !r.pass), "{cuda:#?}");
        assert_eq!(cuda.len(), 5, "{cuda:#?}");
        assert!(find(&rows, "cuda", "forward_noiseless").note.contains("2 values here, 3 in flex"));
        assert!(find(&rows, "cuda", "energy").note.contains("missing here"));
        assert!(find(&rows, "cuda", "gaussian_ks").note.contains("no threshold"));
        assert!(cuda.iter().any(|r| r.note == "duplicate check name"));
    }

    #[test]
    fn scaled_checks_judge_small_values_absolutely() {
        let reference = report(
            r#"{"backend": "flex", "device": "cpu", "checks": [
                {"name": "pixels", "values": [1e-4, 0.5], "kind": "exact", "threshold": null, "scale": 1.0},
                {"name": "energy", "values": [1e-4], "kind": "exact", "threshold": null}
            ]}"#,
        );
        // 1e-4 + 5e-5 is 50 % off relative to itself, but 5e-5 ≤ 1e-4 · max(1e-4, 1).
        let close = report(
            r#"{"backend": "wgpu", "device": "x", "checks": [
                {"name": "pixels", "values": [1.5e-4, 0.5], "kind": "exact", "threshold": null, "scale": 1.0},
                {"name": "energy", "values": [1.5e-4], "kind": "exact", "threshold": null}
            ]}"#,
        );
        let rows = compare_all(&[reference.clone(), close], 1e-4);
        let pixels = find(&rows, "wgpu", "pixels");
        assert!(pixels.pass, "{pixels:?}");
        assert!((pixels.max_rel.unwrap() - 5e-5).abs() < 1e-12, "{pixels:?}");
        // Without a scale the same difference is relative: 0.5 > tol.
        let energy = find(&rows, "wgpu", "energy");
        assert!(!energy.pass && (energy.max_rel.unwrap() - 0.5).abs() < 1e-9, "{energy:?}");
        // Beyond tol · scale it fails, and a scale that differs from flex's fails.
        let far = report(
            r#"{"backend": "ndarray", "device": "x", "checks": [
                {"name": "pixels", "values": [1e-4, 0.5002], "kind": "exact", "threshold": null, "scale": 1.0},
                {"name": "energy", "values": [1e-4], "kind": "exact", "threshold": null, "scale": 2.0}
            ]}"#,
        );
        let rows = compare_all(&[reference.clone(), far], 1e-4);
        assert!(!find(&rows, "ndarray", "pixels").pass);
        assert!(find(&rows, "ndarray", "energy").note.contains("scale differs"));
        // A scale that is not a positive number fails, the reference's too.
        let bad = report(
            r#"{"backend": "flex", "device": "cpu", "checks": [
                {"name": "pixels", "values": [1.0], "kind": "exact", "threshold": null, "scale": 0.0}
            ]}"#,
        );
        assert!(!compare(&bad, None, 1e-4)[0].pass);
    }

    #[test]
    fn one_build_carries_every_backend_feature() {
        let backends = reference_first(&[Backend::Wgpu, Backend::Ndarray]);
        assert_eq!(feature_list(&backends), "flex,wgpu,ndarray");
        assert_eq!(feature_list(&reference_first(&[])), "flex");
    }

    #[test]
    fn compare_fails_a_report_without_checks() {
        let empty = report(r#"{"backend": "ndarray", "device": "cpu", "checks": []}"#);
        let rows = compare_all(&[flex(), empty], 1e-4);
        assert!(!find(&rows, "ndarray", "(no checks)").pass);
    }

    #[test]
    fn report_rejects_unknown_fields_and_kinds() {
        let typo = r#"{"backend": "flex", "device": "cpu", "checks": [
            {"name": "a", "values": [1.0], "kind": "exact", "treshold": 0.1}]}"#;
        assert!(serde_json::from_str::<BackendReport>(typo).is_err());
        let kind = r#"{"backend": "flex", "device": "cpu", "checks": [
            {"name": "a", "values": [1.0], "kind": "approx", "threshold": null}]}"#;
        assert!(serde_json::from_str::<BackendReport>(kind).is_err());
    }

    #[test]
    fn table_has_one_line_per_row_and_aligned_columns() {
        let rows = compare_all(&[flex(), wgpu_off_by_5e_4()], 1e-4);
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), rows.len() + 2);
        assert!(lines[0].starts_with("backend  check"), "{table}");
        let result_col = lines[0].find("result").unwrap();
        for line in &lines[2..] {
            let cell = &line[result_col..result_col + 4];
            assert!(cell == "pass" || cell == "FAIL", "{table}");
        }
        assert!(table.contains("5.000e-4"), "{table}");
    }

    #[test]
    fn json_only_compares_files_and_fails_on_a_bad_backend() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("flex.json"), serde_json::to_string(&flex()).unwrap()).unwrap();
        fs::write(
            dir.path().join("wgpu.json"),
            serde_json::to_string(&wgpu_off_by_5e_4()).unwrap(),
        )
        .unwrap();
        let options = Options {
            backends: None,
            tolerance: 1e-4,
            json_only: Some(dir.path().to_path_buf()),
            out_dir: PathBuf::from("unused"),
            tch_env: PathBuf::from("unused"),
        };
        let err = run(dir.path(), &options).unwrap_err().to_string();
        assert!(err.contains("failing backends: wgpu"), "{err}");
        assert!(run(dir.path(), &Options { tolerance: 1e-3, ..options.clone() }).is_ok());
        // A requested backend without a file fails the run.
        let err = run(dir.path(), &Options { backends: Some(vec![Backend::Tch]), ..options })
            .unwrap_err()
            .to_string();
        assert!(err.contains("failing backends: tch"), "{err}");
    }

    #[test]
    fn json_only_refuses_a_file_that_names_another_backend() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("flex.json"), serde_json::to_string(&flex()).unwrap()).unwrap();
        fs::write(dir.path().join("ndarray.json"), serde_json::to_string(&flex()).unwrap())
            .unwrap();
        let err = read_report(Backend::Ndarray, &dir.path().join("ndarray.json")).unwrap_err();
        assert!(err.reason.contains("expected \"ndarray\""), "{}", err.reason);
    }

    #[test]
    fn reference_is_always_first() {
        assert_eq!(
            reference_first(&[Backend::Wgpu, Backend::Flex, Backend::Wgpu]),
            vec![Backend::Flex, Backend::Wgpu]
        );
    }

    #[test]
    fn env_file_is_evaluated_like_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.env");
        fs::write(&path, "export ACTNOISE_XTASK_TEST_A=1\nexport PATH=\"/opt/venv/bin:$PATH\"\n")
            .unwrap();
        let vars: BTreeMap<String, String> = load_env_file(&path).unwrap().into_iter().collect();
        assert_eq!(vars["ACTNOISE_XTASK_TEST_A"], "1");
        let path_now = std::env::var("PATH").unwrap();
        assert_eq!(vars["PATH"], format!("/opt/venv/bin:{path_now}"));
        assert!(
            load_env_file(&dir.path().join("missing.env"))
                .unwrap_err()
                .to_string()
                .contains("setup-tch")
        );
    }

    #[test]
    fn private_temp_dir_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_temp_dir("xtask-test").unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(mode, 0o700);
    }
}
