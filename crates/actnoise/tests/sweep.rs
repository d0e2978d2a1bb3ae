//! `actnoise sweep`: a sweep killed with SIGKILL and restarted ends with the same cells as an
//! uninterrupted one and evaluates no cell twice; `--dry-run` works on every shipped config;
//! unknown `[sweep]` keys are named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_actnoise"))
}

/// A tiny synthetic sweep: digits, 10 training / 3 test images per class, channels [4, 6],
/// 2 epochs, three trainings and a 3 × 3 α grid per run, three seeds.
fn write_config(dir: &Path) -> PathBuf {
    let runs = dir.join("runs");
    let text = format!(
        r#"experiment = "sweeptest"
runs_dir = {runs:?}

[data]
name = "digits"
train_per_class = 10
test_per_class = 3

[model]
channels = [4, 6]

[train]
epochs = 2
batch_size = 4

[train_noise]
alpha = [0.0, 0.5, 1.0]

[eval]
alpha = [0.0, 0.5, 1.0]
draws = [1, 2]

[sweep]
seed = [0, 1, 2]
"#,
        runs = runs.display().to_string()
    );
    let path = dir.join("sweep.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("runs/sweeptest"))
        .map(|r| r.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn results(run: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(run.join("results.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn cells(run: &Path) -> Vec<Value> {
    results(run).map(|r| r["cells"].as_array().unwrap().clone()).unwrap_or_default()
}

/// What identifies a cell (seed, α, laws, placements, n).
fn key(c: &Value) -> String {
    let f = |k: &str| c[k].to_string();
    [
        "seed",
        "alpha_train",
        "alpha_test",
        "train_law",
        "test_law",
        "train_params",
        "test_params",
        "test_placement",
        "draws",
    ]
    .map(f)
    .join("|")
}

/// What a cell measured, without wall times.
fn outcome(c: &Value) -> String {
    ["n_test", "correct", "accuracy", "ci_low", "ci_high", "passes", "model", "estimator"]
        .map(|k| c[k].to_string())
        .join("|")
}

/// All cells of all runs, keyed; fails on a cell evaluated twice.
fn all_cells(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for run in run_dirs(dir) {
        for c in cells(&run) {
            let k = key(&c);
            assert!(
                out.insert(k.clone(), outcome(&c)).is_none(),
                "cell {k} appears twice in {}",
                run.display()
            );
        }
    }
    out
}

fn check(out: &Output) {
    assert!(
        out.status.success(),
        "actnoise sweep failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn seed_dir(dir: &Path, seed: u64) -> Option<PathBuf> {
    let suffix = format!("-s{seed}");
    run_dirs(dir).into_iter().find(|p| p.to_str().unwrap().ends_with(&suffix))
}

#[test]
fn a_killed_sweep_resumes_to_the_same_cells_without_reevaluating() {
    // Uninterrupted.
    let clean = tempfile::tempdir().unwrap();
    let cfg = write_config(clean.path());
    check(&bin().arg("sweep").arg(&cfg).output().unwrap());
    let reference = all_cells(clean.path());
    // 3 seeds × 3 α_train × (α_test 0 → n = 1; α_test 0.5, 1 → n ∈ {1, 2}) = 3 × 3 × 5 cells.
    assert_eq!(reference.len(), 45, "{reference:#?}");

    // Killed once the second run (seed 1) has written some cells, then restarted.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path());
    let mut child =
        bin().arg("sweep").arg(&cfg).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    loop {
        if seed_dir(tmp.path(), 1).is_some_and(|d| !cells(&d).is_empty()) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sweep ended ({status}) before it could be killed mid-run");
        }
        assert!(start.elapsed() < Duration::from_secs(600), "the sweep made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let first = seed_dir(tmp.path(), 0).expect("seed 0 ran");
    let second = seed_dir(tmp.path(), 1).expect("seed 1 started");
    assert_eq!(cells(&first).len(), 15, "seed 0 finished before seed 1 started");
    let partial = cells(&second);
    assert!(partial.len() < 15, "killed too late: seed 1 already had all its cells");
    let first_bytes = std::fs::read(first.join("results.json")).unwrap();
    let first_mtime = std::fs::metadata(first.join("results.json")).unwrap().modified().unwrap();

    let out = bin().arg("sweep").arg(&cfg).output().unwrap();
    check(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("run 1/3 (seed=0) already complete"), "{stdout}");

    // One directory per seed: the restart continued seed 1's run instead of starting anew.
    assert_eq!(run_dirs(tmp.path()).len(), 3, "{:?}", run_dirs(tmp.path()));
    assert_eq!(seed_dir(tmp.path(), 1).unwrap(), second);
    // The finished run was not touched.
    assert_eq!(std::fs::read(first.join("results.json")).unwrap(), first_bytes);
    assert_eq!(
        std::fs::metadata(first.join("results.json")).unwrap().modified().unwrap(),
        first_mtime
    );
    // Cells evaluated before the kill were kept as they were (same wall time: not re-run).
    let after = cells(&second);
    for c in &partial {
        assert!(after.contains(c), "cell {} was re-evaluated or lost", key(c));
    }
    // Same cells and outcomes as the uninterrupted sweep, each once.
    assert_eq!(all_cells(tmp.path()), reference);
}

#[test]
fn dry_run_works_on_every_shipped_config() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs"), &mut files);
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let runs = tempfile::tempdir().unwrap();
    for f in files {
        let out = bin()
            .args(["sweep", "--dry-run", "--set"])
            .arg(format!("runs_dir={:?}", runs.path().display().to_string()))
            .arg(&f)
            .output()
            .unwrap();
        check(&out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("total:") && stdout.contains("run 1/"),
            "{}: {stdout}",
            f.display()
        );
    }
    // A dry run writes nothing.
    assert_eq!(std::fs::read_dir(runs.path()).unwrap().count(), 0);
}

#[test]
fn unknown_sweep_keys_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(tmp.path());
    let text = std::fs::read_to_string(&cfg).unwrap() + "\"train.epochz\" = [1, 2]\n";
    std::fs::write(&cfg, text).unwrap();
    let out = bin().args(["sweep", "--dry-run"]).arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("train.epochz"), "{err}");

    std::fs::write(&cfg, "[sweep]\nseed = 3\n").unwrap();
    let out = bin().args(["sweep", "--dry-run"]).arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`seed`"));
}
