//! The `actnoise` binary end to end: config errors, a tiny run, resume after a kill.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_actnoise"));
    c.env_remove("ACTNOISE_DATA");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn quickstart() -> PathBuf {
    repo().join("configs/quickstart.toml")
}

fn stderr_of(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(!out.status.success(), "expected failure for {args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn negative_epochs_is_an_error_naming_the_key() {
    let q = quickstart();
    let err = stderr_of(&["config", "show", q.to_str().unwrap(), "--set", "train.epochs=-1"]);
    assert!(err.contains("train.epochs"), "{err}");
}

#[test]
fn unknown_key_is_an_error_naming_the_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[train]\nepochz = 3\n").unwrap();
    let err = stderr_of(&["config", "show", file.to_str().unwrap()]);
    assert!(err.contains("epochz") && err.contains("bad.toml"), "{err}");
    let q = quickstart();
    let err = stderr_of(&["config", "show", q.to_str().unwrap(), "--set", "eval.drawz=[1]"]);
    assert!(err.contains("drawz"), "{err}");
}

#[test]
fn wrong_type_is_an_error_naming_key_and_type() {
    let q = quickstart();
    let err = stderr_of(&["config", "show", q.to_str().unwrap(), "--set", "train.lr=\"fast\""]);
    assert!(err.contains("train.lr") && err.contains("f64"), "{err}");
}

#[test]
fn invalid_law_parameter_is_an_error_naming_the_key() {
    let q = quickstart();
    let err = stderr_of(&[
        "config",
        "show",
        q.to_str().unwrap(),
        "--set",
        "train_noise.law={ law = \"gaussian\", mean = 0.0, std = -1.0 }",
    ]);
    assert!(err.contains("train_noise.law") && err.contains("std"), "{err}");
}

#[test]
fn backend_not_compiled_in_names_the_feature() {
    if cfg!(feature = "wgpu") {
        eprintln!("skipped: this build has wgpu");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let q = quickstart();
    let runs = format!("runs_dir=\"{}\"", dir.path().display());
    let err = stderr_of(&["run", q.to_str().unwrap(), "--backend", "wgpu", "--set", &runs]);
    assert!(err.contains("--features wgpu"), "{err}");
}

#[test]
fn bench_measures_each_backend_given_and_names_a_missing_one() {
    let out = bin()
        .args(["bench", "--only", "clean", "--classes", "1", "--reps", "1", "--gemm-n", "64"])
        .args(["--source", "device"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("GEMM (flex matmul"), "{stdout}");
    assert!(stdout.contains("noiseless inference, 1000 images [flex, burn]"), "{stdout}");
    if !cfg!(feature = "wgpu") {
        let err = stderr_of(&["bench", "--backend", "flex,wgpu", "--only", "clean"]);
        assert!(err.contains("--features wgpu"), "{err}");
    }
    let err = stderr_of(&["bench", "--source", "gpu"]);
    assert!(err.contains("--source") && err.contains("auto, host, device"), "{err}");
}

#[test]
fn config_show_prints_the_resolved_config_with_env_and_set_overrides() {
    let q = quickstart();
    let out = bin()
        .args(["config", "show", q.to_str().unwrap(), "--set", "eval.draws=[1, 2]"])
        .env("ACTNOISE_TRAIN__EPOCHS", "5")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("experiment = \"quickstart\""), "{text}");
    assert!(text.contains("epochs = 5"), "{text}");
    assert!(
        text.contains("draws = [\n    1,\n    2,\n]") || text.contains("draws = [1, 2]"),
        "{text}"
    );
}

fn tiny_sets(runs: &Path) -> Vec<String> {
    vec![
        format!("runs_dir=\"{}\"", runs.display()),
        "data.train_per_class=20".into(),
        "data.test_per_class=5".into(),
        "model.channels=[6, 8]".into(),
        "train.batch_size=20".into(),
        "eval.draws=[1, 4]".into(),
    ]
}

fn run_args<'a>(q: &'a str, sets: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["run", q];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    args
}

fn run_dirs(runs: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(runs.join("quickstart"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn run_writes_the_run_directory_and_prints_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let q = quickstart();
    let mut sets = tiny_sets(dir.path());
    sets.push("train.epochs=2".into());
    let out = bin().args(run_args(q.to_str().unwrap(), &sets)).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("accuracy"), "{stdout}");
    let runs = run_dirs(dir.path());
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    for f in ["config.toml", "provenance.json", "metrics.jsonl", "results.json", "results.csv"] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    // α_train ∈ {0, 0.9} × α_test ∈ {0, 0.9}; α_test = 0 gives one cell (n = 1), else n ∈ {1, 4}.
    assert_eq!(results["cells"].as_array().unwrap().len(), 2 * (1 + 2));
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("provenance.json")).unwrap())
            .unwrap();
    assert!(prov["finished"].is_string());
    assert_eq!(prov["backend"], "flex");
}

fn weights(run: &Path) -> Vec<u8> {
    std::fs::read(run.join("train-alpha0.9/model.safetensors")).unwrap()
}

/// Kills training after its first checkpoint, resumes, and compares the final weights with an
/// uninterrupted run.
#[test]
fn killed_run_resumes_to_identical_final_weights() {
    let q = quickstart();
    let q = q.to_str().unwrap();
    let straight = tempfile::tempdir().unwrap();
    let mut sets = tiny_sets(straight.path());
    sets.push("train.epochs=4".into());
    sets.push("train_noise.alpha=[0.9]".into());
    sets.push("eval.alpha=[0.9]".into());
    let out = bin().args(run_args(q, &sets)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reference = weights(&run_dirs(straight.path())[0]);

    let killed = tempfile::tempdir().unwrap();
    let mut sets_k = tiny_sets(killed.path());
    sets_k.extend(sets[sets.len() - 3..].iter().cloned());
    let mut child = bin()
        .args(run_args(q, &sets_k))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let ckpt = loop {
        if let Some(run) = run_dirs(killed.path()).first() {
            let c = run.join("train-alpha0.9/checkpoints/model-e0001.bpk");
            if c.exists() || run.join("train-alpha0.9/checkpoints/model-e0002.bpk").exists() {
                break c;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = ckpt;
    let run = &run_dirs(killed.path())[0];
    assert!(!run.join("train-alpha0.9/model.safetensors").exists(), "killed before the end");
    let mut args = run_args(q, &sets_k);
    args.push("--resume");
    let out = bin().args(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("resuming"), "{stdout}");
    assert_eq!(run_dirs(killed.path()).len(), 1, "resume reused the run directory");
    let resumed = weights(run);
    assert_eq!(resumed.len(), reference.len());
    assert!(resumed == reference, "final weights differ after resume");

    // Same seed and config, two processes: the noisy evaluation decides identically too.
    let cells = |run: &Path| -> Vec<(f64, u64, u64)> {
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap())
                .unwrap();
        r["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["alpha_test"].as_f64().unwrap(),
                    c["draws"].as_u64().unwrap(),
                    c["correct"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(cells(run), cells(&run_dirs(straight.path())[0]));
}

#[test]
fn another_law_replaces_the_base_law_from_a_file_and_from_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cauchy.toml");
    std::fs::write(&file, "[train_noise]\nlaw = { law = \"cauchy\", scale = 0.5 }\n").unwrap();
    let out = bin().args(["config", "show", file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cauchy"));
    let out = bin()
        .args([
            "config",
            "show",
            file.to_str().unwrap(),
            "--set",
            "train_noise.law={ law = \"lognormal\" }",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("lognormal"));
}

#[test]
fn estimator_study_writes_its_tables_and_matches_run_for_plain_averaging() {
    let dir = tempfile::tempdir().unwrap();
    let q = quickstart();
    let mut sets = tiny_sets(dir.path());
    sets.extend([
        "train.epochs=1".to_string(),
        "train_noise.alpha=[0.9]".into(),
        "eval.alpha=[0.9]".into(),
        "eval.estimator.round=2".into(),
    ]);
    let mut args = vec!["estimators", q.to_str().unwrap(), "--error-rates", "0.2"];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let out = bin().args(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let runs = run_dirs(dir.path());
    assert_eq!(runs.len(), 1);
    for f in ["estimators.json", "estimators.md", "estimators.png", "estimators.svg"] {
        assert!(runs[0].join(f).is_file(), "{f} missing");
    }
    let study: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runs[0].join("estimators.json")).unwrap())
            .unwrap();
    let points = study["points"].as_array().unwrap();
    // Five fixed-n estimators at n ∈ {1, 4}, and one adaptive point.
    assert_eq!(points.len(), 5 * 2 + 1, "{points:?}");
    let plain4 = points
        .iter()
        .find(|p| p["estimator"] == "plain" && p["draws"] == 4)
        .expect("plain at n_max");
    let adaptive = points.iter().find(|p| p["error_rate"].is_number()).unwrap();
    assert!(adaptive["passes"].as_u64().unwrap() <= plain4["passes"].as_u64().unwrap());
    assert!(stdout.contains("same decision as plain n_max"), "{stdout}");
    let independent = &study["independent"];
    assert_eq!(independent["estimator"], "common+antithetic+exact-output");
    assert_eq!(
        independent["predictions"].as_array().unwrap().len(),
        study["labels"].as_array().unwrap().len()
    );
    assert!(stdout.contains("same decision as independent reference"), "{stdout}");

    // A damaged study file stops the study, naming the file; it is not overwritten.
    std::fs::write(runs[0].join("estimators.json"), "{ truncated").unwrap();
    let out = bin().args(&args).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("estimators.json") && stderr.contains("repair or remove"), "{stderr}");
    assert_eq!(std::fs::read_to_string(runs[0].join("estimators.json")).unwrap(), "{ truncated");
    std::fs::write(runs[0].join("estimators.json"), serde_json::to_string(&study).unwrap())
        .unwrap();

    // `actnoise run` of the same cell with plain averaging makes the same decisions.
    let out = bin().args(run_args(q.to_str().unwrap(), &sets)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs = run_dirs(dir.path());
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(runs.last().unwrap().join("results.json")).unwrap(),
    )
    .unwrap();
    let cell = results["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["draws"] == 4)
        .expect("the n = 4 cell");
    let labels = study["labels"].as_array().unwrap();
    let correct = plain4["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(labels)
        .filter(|(p, y)| p == y)
        .count();
    assert_eq!(cell["correct"].as_u64().unwrap() as usize, correct);
}
