//! Integration tests on synthetic run directories.

use std::path::{Path, PathBuf};

use actnoise_analysis::{
    CELL_FIELDS, ClaimStatus, CurvePoint, CurveSpec, Error, HeatmapSpec, Series, UncertaintyKind,
    aggregate, curves, heatmap, load_runs, report, table1, table2, wilson_interval,
};
use serde_json::{Value, json};

/// A cell of the standard-Gaussian, all-layer EBM.
#[derive(Clone)]
struct C {
    experiment: &'static str,
    dataset: &'static str,
    alpha: (f64, f64),
    law: (&'static str, &'static str),
    placement: (&'static str, &'static str),
    draws: u64,
    n_test: u64,
    correct: u64,
}

fn c(alpha: (f64, f64), draws: u64, correct: u64) -> C {
    C {
        experiment: "grid",
        dataset: "cifar10",
        alpha,
        law: ("gaussian", "gaussian"),
        placement: ("full", "full"),
        draws,
        n_test: 1000,
        correct,
    }
}

fn cell_json(c: &C, seed: u64) -> Value {
    let (lo, hi) = wilson_interval(c.correct, c.n_test);
    json!({
        "experiment": c.experiment, "dataset": c.dataset, "seed": seed, "model": "ebm-ae",
        "alpha_train": c.alpha.0, "alpha_test": c.alpha.1,
        "train_law": c.law.0, "test_law": c.law.1,
        "train_params": "mean=0,std=1", "test_params": "mean=0,std=1",
        "train_placement": c.placement.0, "test_placement": c.placement.1,
        "draws": c.draws, "estimator": "plain", "n_test": c.n_test, "correct": c.correct,
        "accuracy": c.correct as f64 / c.n_test as f64, "ci_low": lo, "ci_high": hi,
        "passes": c.draws * c.n_test, "passes_per_image": c.draws as f64, "wall_s": 1.5
    })
}

/// Writes a run directory with results.json, results.csv, config.toml, provenance.json and
/// metrics.jsonl.
fn write_run(dir: &Path, seed: u64, cells: &[C]) {
    std::fs::create_dir_all(dir).unwrap();
    let cells: Vec<Value> = cells.iter().map(|c| cell_json(c, seed)).collect();
    let results = json!({
        "experiment": "grid", "dataset": "cifar10", "seed": seed, "config_hash": "1a2b3c4d",
        "classes": ["0", "1"], "cells": cells
    });
    std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(&results).unwrap())
        .unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CELL_FIELDS).unwrap();
    for cell in &cells {
        let row: Vec<String> = CELL_FIELDS
            .iter()
            .map(|f| match &cell[*f] {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    std::fs::write(dir.join("results.csv"), w.into_inner().unwrap()).unwrap();
    std::fs::write(dir.join("config.toml"), "experiment = \"grid\"\n[train]\nepochs = 2\n")
        .unwrap();
    std::fs::write(
        dir.join("provenance.json"),
        json!({"commit": "abc123", "backend": "flex", "device": "cpu", "seed": seed, "threads": 2,
               "crate_versions": {"actnoise": "0.1.0"}, "started": "2026-01-01T00:00:00Z",
               "finished": "2026-01-01T00:10:00Z"})
        .to_string(),
    )
    .unwrap();
    let metrics: Vec<String> = (0..2)
        .flat_map(|epoch| {
            (0..2).map(move |class| {
                json!({"alpha_train": 0.9, "train_law": "gaussian(mean=0,std=1)", "train_placement": "full",
                       "epoch": epoch, "class": class, "loss_noisy": 0.05 - 0.01 * epoch as f64,
                       "loss_clean": 0.04, "images": 100, "images_per_s": 800.0})
                .to_string()
            })
        })
        .collect();
    std::fs::write(dir.join("metrics.jsonl"), metrics.join("\n") + "\n").unwrap();
}

/// Three seeds of `cells`, each seed's `correct` shifted by -10, 0, +10.
fn write_seeds(root: &Path, name: &str, cells: &[C]) -> Vec<PathBuf> {
    (0..3u64)
        .map(|seed| {
            let shifted: Vec<C> = cells
                .iter()
                .map(|c| C { correct: c.correct + 10 * seed - 10, ..c.clone() })
                .collect();
            let dir = root.join(name).join(format!("20260101T000000Z-1a2b3c4d-s{seed}"));
            write_run(&dir, seed, &shifted);
            dir
        })
        .collect()
}

#[test]
fn load_runs_finds_run_dirs_at_any_depth() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("runs/grid/a");
    let b = tmp.path().join("runs/grid/b");
    let deep = tmp.path().join("runs/other/x/y/z");
    for (i, d) in [&a, &b, &deep].into_iter().enumerate() {
        write_run(d, i as u64, &[c((0.0, 0.0), 1, 200)]);
    }
    let runs = load_runs(&[tmp.path().join("runs")]).unwrap();
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter().all(|r| r.missing.is_empty() && r.provenance.is_some() && r.config.is_some())
    );
    assert_eq!(runs[0].metrics.len(), 4);
    // A run directory itself, and the same directory reached twice, count once.
    let runs = load_runs(&[a.clone(), a.clone(), tmp.path().join("runs/grid")]).unwrap();
    assert_eq!(runs.len(), 2);
}

#[test]
fn load_runs_names_the_file_that_does_not_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("results.json"), "{\"experiment\": \"grid\", \"cells\": [}").unwrap();
    let err = load_runs(&[&dir]).unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("results.json"), "{msg}");
    assert!(msg.contains("line 1"), "serde position missing: {msg}");
}

#[test]
fn load_runs_rejects_empty_dirs_bad_cells_and_disagreeing_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(load_runs(&[&empty]), Err(Error::NoResults { .. })));

    let bad = tmp.path().join("bad");
    write_run(&bad, 0, &[c((0.0, 0.0), 1, 200)]);
    let text = std::fs::read_to_string(bad.join("results.json")).unwrap();
    std::fs::write(bad.join("results.json"), text.replace("\"correct\": 200", "\"correct\": 2000"))
        .unwrap();
    let err = load_runs(&[&bad]).unwrap_err();
    assert!(matches!(err, Error::InvalidCell { index: 0, .. }), "{err:?}");

    let csv_bad = tmp.path().join("csv");
    write_run(&csv_bad, 0, &[c((0.0, 0.0), 1, 200), c((0.5, 0.5), 10, 300)]);
    let text = std::fs::read_to_string(csv_bad.join("results.csv")).unwrap();
    let cut: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(csv_bad.join("results.csv"), cut.join("\n") + "\n").unwrap();
    let err = load_runs(&[&csv_bad]).unwrap_err();
    assert!(matches!(err, Error::Csv { .. }), "{err:?}");
    assert!(err.to_string().contains("1 rows but results.json has 2 cells"), "{err}");
}

#[test]
fn aggregate_gives_exact_mean_sem_and_n() {
    let tmp = tempfile::tempdir().unwrap();
    // Seeds give 490, 500, 510 correct of 1000 at (0.5, 0.5) n=10; one seed has (0.9, 0.9).
    write_seeds(tmp.path(), "grid", &[c((0.5, 0.5), 10, 500)]);
    write_run(&tmp.path().join("grid/extra-s7"), 7, &[c((0.9, 0.9), 10, 640)]);
    let runs = load_runs(&[tmp.path()]).unwrap();
    let aggs = aggregate(&runs);
    assert_eq!(aggs.len(), 2);
    let a = &aggs[0];
    assert_eq!((a.alpha_train, a.n, a.seeds.clone()), (0.5, 3, vec![0, 1, 2]));
    assert!((a.mean - 0.5).abs() < 1e-12);
    // sample std of {0.49, 0.50, 0.51} = 0.01; SEM = 0.01 / sqrt(3).
    assert!((a.std - 0.01).abs() < 1e-12, "{}", a.std);
    assert!((a.sem - 0.01 / 3f64.sqrt()).abs() < 1e-12, "{}", a.sem);
    assert_eq!(a.uncertainty_kind(), UncertaintyKind::Sem);
    assert_eq!(a.correct_total, 1500);
    let b = &aggs[1];
    assert_eq!((b.n, b.sem), (1, 0.0));
    assert_eq!(b.uncertainty_kind(), UncertaintyKind::Wilson);
    let (lo, hi) = wilson_interval(640, 1000);
    assert!((b.uncertainty() - (0.64 - lo).max(hi - 0.64)).abs() < 1e-12);
}

#[test]
fn tables_put_the_paper_column_beside_ours() {
    let tmp = tempfile::tempdir().unwrap();
    write_seeds(
        tmp.path(),
        "grid",
        &[c((0.9, 0.9), 10000, 600), c((0.0, 0.0), 1, 200), c((0.9, 0.9), 1000, 580)],
    );
    let aggs = aggregate(&load_runs(&[tmp.path()]).unwrap());
    let t1 = table1(&aggs).unwrap();
    assert!(t1.has_ours());
    let md = t1.to_markdown();
    assert!(md.contains("CIFAR-10 ours | CIFAR-10 paper"), "{md}");
    let row = md.lines().find(|l| l.starts_with("| (0.9, 0.9)")).unwrap();
    assert!(row.contains("60.00 ± 0.58 (3 seeds, n=10000) | 65.88 ± 1.10"), "{row}");
    assert!(row.contains("| 26.43 ± 2.08"), "paper CIFAR-20 value missing: {row}");
    let csv = t1.to_csv().unwrap();
    assert!(csv.lines().next().unwrap().contains("cifar10_paper_mean_pct,cifar10_paper_sem_pct"));
    assert!(csv.contains("65.88,1.10"), "{csv}");
    assert!(t1.to_latex().contains("65.88 $\\pm$ 1.10"));

    let md2 = table2(&aggs).unwrap().to_markdown();
    let row = md2.lines().find(|l| l.starts_with("| (0.9, 0.9) | 10^3 |")).unwrap();
    assert!(row.contains("58.00 ± 0.58 (3 seeds, n=1000) | 64.55 ± 1.15"), "{row}");
}

#[test]
fn heatmap_writes_a_valid_png_of_the_expected_size_and_an_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let mut spec = HeatmapSpec::new(
        "test heatmap",
        "α_train",
        "α_test",
        vec!["0".into(), "0.5".into(), "0.9".into()],
        vec!["0.9".into(), "0.5".into()],
        vec![vec![Some(20.5), None, Some(64.5)], vec![Some(11.6), Some(58.7), Some(31.4)]],
    );
    spec.size = (640, 480);
    let files = heatmap(&spec, &tmp.path().join("figs/heat")).unwrap();
    assert_eq!(files, vec![tmp.path().join("figs/heat.png"), tmp.path().join("figs/heat.svg")]);
    let bytes = std::fs::read(&files[0]).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).unwrap();
    assert_eq!((img.width(), img.height()), (640, 480));
    // Not blank: many distinct colours (cells, colour bar, text).
    let rgb = img.to_rgb8();
    let mut colours: Vec<[u8; 3]> = rgb.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 50, "only {} colours", colours.len());
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("64.5") && svg.contains("α_train"),
        "svg lacks labels"
    );

    spec.values[0].pop();
    assert!(matches!(heatmap(&spec, &tmp.path().join("bad")), Err(Error::InvalidInput { .. })));
}

#[test]
fn curves_draw_log_axes_and_reject_nonpositive_x() {
    let tmp = tempfile::tempdir().unwrap();
    let pts = |ys: [f64; 3]| {
        [1.0, 10.0, 100.0].iter().zip(ys).map(|(&x, y)| CurvePoint { x, y, err: 1.0 }).collect()
    };
    let mut spec = CurveSpec::new(
        "acc vs n",
        "n",
        "accuracy (%)",
        true,
        vec![
            Series { label: "(0.9, 0.9)".into(), points: pts([25.0, 42.0, 53.0]) },
            Series { label: "(0.5, 0.5)".into(), points: pts([23.0, 36.0, 42.0]) },
        ],
    );
    let files = curves(&spec, &tmp.path().join("curve")).unwrap();
    let img = image::open(&files[0]).unwrap();
    assert_eq!((img.width(), img.height()), (900, 600));
    spec.series[0].points[0].x = 0.0;
    assert!(matches!(curves(&spec, &tmp.path().join("bad")), Err(Error::InvalidInput { .. })));
}

fn grid_cells(diag: u64, off_low: u64, off_high: u64) -> Vec<C> {
    // α ∈ {0, 0.5, 0.9}; diagonal at `diag`; α_test < α_train at `off_low`-ish; α_test >
    // α_train at `off_high`-ish; (0, 0) at 200.
    let alphas = [0.0, 0.5, 0.9];
    let mut out = Vec::new();
    for (i, &at) in alphas.iter().enumerate() {
        for (j, &ate) in alphas.iter().enumerate() {
            let draws = if ate == 0.0 { 1 } else { 100 };
            let correct = if i == j {
                if i == 0 { 200 } else { diag + 20 * i as u64 }
            } else if j < i {
                off_low + 10 * j as u64
            } else {
                off_high + 10 * i as u64
            };
            out.push(c((at, ate), draws, correct));
        }
    }
    out
}

fn report_md(tmp: &Path) -> (actnoise_analysis::ReportSummary, String) {
    let summary = report(&[tmp.join("runs")], &tmp.join("out")).unwrap();
    let md = std::fs::read_to_string(&summary.report).unwrap();
    (summary, md)
}

#[test]
fn report_claims_read_supported_when_the_diagonal_is_best() {
    let tmp = tempfile::tempdir().unwrap();
    write_seeds(&tmp.path().join("runs"), "grid", &grid_cells(550, 300, 120));
    let (summary, md) = report_md(tmp.path());
    assert_eq!(summary.runs, 3);
    let status: Vec<&ClaimStatus> = summary.claims.iter().map(|c| &c.status).collect();
    assert_eq!(status[0], &ClaimStatus::Supported, "{md}");
    assert_eq!(status[1], &ClaimStatus::Supported, "{md}");
    assert_eq!(status[2], &ClaimStatus::Supported, "{md}");
    assert!(matches!(status[3], ClaimStatus::NotEnoughData(_)));
    assert!(matches!(status[4], ClaimStatus::NotEnoughData(_)));
    assert!(md.contains("### Claim 2: supported"), "{md}");
    assert!(md.contains("### Claim 4: not enough data (needs"), "{md}");
    // Table 1 (cifar10 is a paper dataset) and the α heatmap are in the report.
    assert!(md.contains("**Table 1:"), "{md}");
    let heat = summary.figures.iter().find(|f| f.to_string_lossy().contains("fig3-alpha")).unwrap();
    assert!(heat.is_file() && md.contains("figures/fig3-alpha"), "{md}");
    assert!(tmp.path().join("out/aggregate.csv").is_file());
    assert!(tmp.path().join("out/tables/table1.tex").is_file());
    assert!(md.contains("Paper Fig. 3 caption vs ours"), "{md}");
    assert!(md.contains("## Training"), "{md}");
}

#[test]
fn report_claims_read_not_supported_when_an_off_diagonal_cell_wins() {
    let tmp = tempfile::tempdir().unwrap();
    // The diagonal wins in every row but one: at α_train = 0.5, α_test = 0.9 beats it.
    let mut cells = grid_cells(550, 300, 120);
    for cell in &mut cells {
        if cell.alpha == (0.5, 0.9) {
            cell.correct = 700;
        }
    }
    write_seeds(&tmp.path().join("runs"), "grid", &cells);
    let (summary, md) = report_md(tmp.path());
    assert_eq!(summary.claims[1].status, ClaimStatus::NotSupported, "{md}");
    assert!(md.contains("### Claim 2: not supported"), "{md}");
    let contradicted: Vec<&String> =
        summary.claims[1].details.iter().filter(|d| d.contains("contradicts")).collect();
    assert_eq!(contradicted.len(), 1, "{md}");
    assert!(contradicted[0].contains("α_train = 0.5"), "{md}");
    assert_eq!(summary.claims[0].status, ClaimStatus::Supported);
}

#[test]
fn report_claims_use_wilson_intervals_with_one_seed() {
    let tmp = tempfile::tempdir().unwrap();
    // One seed, n_test = 1000: Wilson half-widths ≈ 3 pp, so 2 pp differences are not resolved.
    let mut cells = Vec::new();
    for (at, ate, correct) in [(0.0, 0.0, 500), (0.0, 0.5, 490), (0.5, 0.0, 500), (0.5, 0.5, 520)] {
        cells.push(c((at, ate), if ate == 0.0 { 1 } else { 100 }, correct));
    }
    write_run(&tmp.path().join("runs/one"), 0, &cells);
    let (summary, md) = report_md(tmp.path());
    assert_eq!(summary.claims[0].status, ClaimStatus::NotSupported, "{md}");
    assert!(md.contains("1 seed, Wilson"), "{md}");
}

#[test]
fn report_checks_laws_and_placements() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cells = Vec::new();
    let laws = [("gaussian", 600), ("cauchy", 590), ("lognormal", 300), ("chi", 280)];
    for (tr, base) in laws {
        for (te, _) in laws {
            let correct = if tr == te { base } else { 250 };
            cells.push(C { law: (tr, te), ..c((1.0, 1.0), 100, correct) });
        }
    }
    for (tr, base) in [("full", 600), ("odd", 450), ("encoder", 400)] {
        for te in ["full", "odd", "encoder"] {
            let correct = if tr == te { base } else { 350 };
            if tr != "full" || te != "full" {
                cells.push(C { placement: (tr, te), ..c((1.0, 1.0), 100, correct) });
            }
        }
    }
    write_seeds(&tmp.path().join("runs"), "laws", &cells);
    let (summary, md) = report_md(tmp.path());
    assert_eq!(summary.claims[3].status, ClaimStatus::Supported, "{md}");
    assert_eq!(summary.claims[4].status, ClaimStatus::Supported, "{md}");
    assert!(summary.figures.iter().any(|f| f.to_string_lossy().contains("fig8-law")), "{md}");
    assert!(summary.figures.iter().any(|f| f.to_string_lossy().contains("fig9-placement")), "{md}");
}
