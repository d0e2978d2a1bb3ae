//! The Markdown report: every table and figure the data support, and the claims.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::aggregate::{Aggregate, aggregate};
use crate::claims::{Claim, ClaimStatus, evaluate_claims};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::load::{Run, load_runs};
use crate::paper::{PaperTable, PaperTables, paper_dataset};
use crate::plot::{CurvePoint, CurveSpec, HeatmapSpec, Series, curves, heatmap};
use crate::select::{
    CategoryGrid, Grid, alpha_str, grids, law_curves, law_grids, noise_vs_dropout, placement_grids,
};
use crate::tables::{table1, table2, table5};

/// What [`report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    /// `out/report.md`.
    pub report: PathBuf,
    /// Run directories read.
    pub runs: usize,
    /// Cells read (over all runs).
    pub cells: usize,
    /// Settings after aggregating seeds.
    pub aggregates: usize,
    /// Table files written (`.md`, `.csv`, `.tex`), plus `aggregate.csv`.
    pub tables: Vec<PathBuf>,
    /// Figure files written (`.png`, `.svg`).
    pub figures: Vec<PathBuf>,
    /// The five claims, checked.
    pub claims: Vec<Claim>,
    /// Things a reader should know (missing files, unfinished runs, repeated seeds).
    pub warnings: Vec<String>,
}

/// Reads every run directory under `runs` ([`load_runs`]), aggregates seeds, and writes into
/// `out`: `report.md`, `aggregate.csv` (every aggregated setting), `tables/table{1,2,5}.{md,csv,tex}`
/// for the tables the data reach, and `figures/*.{png,svg}`: α heatmaps (Fig. 3) for every α
/// grid, law × law (Fig. 8) and placement × placement (Fig. 9) heatmaps, accuracy-vs-n curves
/// (Fig. 7), accuracy-vs-α per law (Fig. 4), and noise vs dropout (Fig. 2), each only where the
/// data hold at least two values along each axis. The report ends with the five claims checked
/// ([`evaluate_claims`]).
///
/// # Errors
/// Any error of [`load_runs`]; [`Error::Io`] or [`Error::Plot`] if an output cannot be written.
pub fn report(runs: &[PathBuf], out: &Path) -> Result<ReportSummary> {
    let loaded = load_runs(runs)?;
    let aggs = aggregate(&loaded);
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, "creating directory", e))?;
    let mut md = String::new();
    let mut tables_written = Vec::new();
    let mut figures = Vec::new();
    let mut names = Names::default();
    let warnings = warnings(&loaded, &aggs);
    let claims = evaluate_claims(&aggs);
    let cells: usize = loaded.iter().map(|r| r.results.cells.len()).sum();

    let _ = writeln!(md, "# actnoise report\n");
    let _ = writeln!(
        md,
        "{} run directories, {} cells, {} settings after aggregating seeds. \
         Accuracies in %; uncertainties are the SEM over seeds, or the 95 % Wilson interval of \
         the cell when only one seed was run. All aggregated settings: [aggregate.csv](aggregate.csv).\n",
        loaded.len(),
        cells,
        aggs.len()
    );
    if !warnings.is_empty() {
        let _ = writeln!(md, "## Warnings\n");
        for w in &warnings {
            let _ = writeln!(md, "- {w}");
        }
        md.push('\n');
    }

    write_claims(&mut md, &claims);

    // Tables.
    let _ = writeln!(md, "## Tables\n");
    let tables_dir = out.join("tables");
    let mut any_table = false;
    for table in [table1(&aggs)?, table2(&aggs)?, table5(&aggs)?] {
        if !table.has_ours() {
            continue;
        }
        any_table = true;
        let files = table.write(&tables_dir)?;
        let _ = writeln!(md, "{}", table.to_markdown());
        let _ = writeln!(
            md,
            "Files: {}\n",
            files.iter().map(|f| link(out, f)).collect::<Vec<_>>().join(", ")
        );
        tables_written.extend(files);
    }
    if !any_table {
        let _ = writeln!(
            md,
            "No cell matches the paper's tables (Tables 1 and 2 need model `ebm-ae` with standard-Gaussian \
             all-layer noise on a paper dataset; Table 5 needs models named after its architectures).\n"
        );
    }

    // Figures.
    let _ = writeln!(md, "## Figures\n");
    let figs_dir = out.join("figures");
    let before = figures.len();
    let all_grids = grids(&aggs);
    for g in all_grids.iter().filter(|g| g.is_two_dimensional()) {
        let stem = figs_dir.join(names.unique(&format!(
            "fig3-alpha-{}-{}-{}-{}",
            g.context.dataset, g.context.experiment, g.context.model, g.side.law
        )));
        let files = heatmap(&alpha_heatmap(g), &stem)?;
        let _ = writeln!(md, "### α_train × α_test: {}\n", g.label());
        let _ = writeln!(md, "{}\n", figure_links(out, &files));
        if let Some(line) = fig3_caption_comparison(g)? {
            let _ = writeln!(md, "{line}\n");
        }
        figures.extend(files);
    }
    for (kind, cg) in law_grids(&aggs)
        .into_iter()
        .map(|g| ("law", g))
        .chain(placement_grids(&aggs).into_iter().map(|g| ("placement", g)))
    {
        let fig = if kind == "law" { "fig8" } else { "fig9" };
        let stem = figs_dir.join(names.unique(&format!(
            "{fig}-{kind}-{}-{}-{}",
            cg.context.dataset, cg.context.experiment, cg.fixed
        )));
        let files = heatmap(&category_heatmap(&cg, kind), &stem)?;
        let _ =
            writeln!(md, "### train {kind} × test {kind}: {} · {}\n", cg.context.label(), cg.fixed);
        let _ = writeln!(md, "{}\n", figure_links(out, &files));
        figures.extend(files);
    }
    for g in &all_grids {
        if let Some(spec) = draws_curves(g) {
            let stem = figs_dir.join(names.unique(&format!(
                "fig7-draws-{}-{}-{}-{}",
                g.context.dataset, g.context.experiment, g.context.model, g.side.law
            )));
            let files = curves(&spec, &stem)?;
            let _ = writeln!(md, "### accuracy vs n: {}\n", g.label());
            let _ = writeln!(md, "{}\n", figure_links(out, &files));
            figures.extend(files);
        }
    }
    for lc in law_curves(&aggs) {
        let series: Vec<Series> = lc
            .series
            .iter()
            .map(|(label, pts)| Series {
                label: label.clone(),
                points: pts.iter().map(|a| point(a.alpha_train, a)).collect(),
            })
            .collect();
        let spec = CurveSpec::new(
            format!("Accuracy vs balanced α per law — {}", lc.context.dataset),
            "α (α_train = α_test)",
            "accuracy (%)",
            false,
            series,
        );
        let stem = figs_dir.join(names.unique(&format!(
            "fig4-laws-{}-{}-{}-{}",
            lc.context.dataset, lc.context.experiment, lc.context.model, lc.placement
        )));
        let files = curves(&spec, &stem)?;
        let _ = writeln!(
            md,
            "### accuracy vs α per law: {} · placement {}\n",
            lc.context.label(),
            lc.placement
        );
        let _ = writeln!(md, "{}\n", figure_links(out, &files));
        figures.extend(files);
    }
    for nd in noise_vs_dropout(&aggs) {
        let spec = CurveSpec::new(
            format!("Activation noise vs dropout — {}", nd.dataset),
            "α (noise, α_train = α_test) or c (dropout rate)",
            "accuracy (%)",
            false,
            vec![
                Series {
                    label: "activation noise (standard Gaussian)".into(),
                    points: nd.noise.iter().map(|a| point(a.alpha_train, a)).collect(),
                },
                Series {
                    label: "dropout".into(),
                    points: nd.dropout.iter().map(|a| point(a.alpha_train, a)).collect(),
                },
            ],
        );
        let stem =
            figs_dir.join(names.unique(&format!("fig2-dropout-{}-{}", nd.dataset, nd.n_test)));
        let files = curves(&spec, &stem)?;
        let _ = writeln!(
            md,
            "### activation noise vs dropout: {} ({} test images)\n",
            nd.dataset, nd.n_test
        );
        let _ = writeln!(md, "{}\n", figure_links(out, &files));
        figures.extend(files);
    }
    if figures.len() == before {
        let _ = writeln!(
            md,
            "No figure: the data hold no grid or curve with at least two values along an axis.\n"
        );
    }

    write_training(&mut md, &loaded);
    write_runs(&mut md, &loaded, out);

    let agg_path = out.join("aggregate.csv");
    write_atomic(&agg_path, aggregate_csv(&aggs)?.as_bytes())?;
    tables_written.push(agg_path);

    let report_path = out.join("report.md");
    write_atomic(&report_path, md.as_bytes())?;
    Ok(ReportSummary {
        report: report_path,
        runs: loaded.len(),
        cells,
        aggregates: aggs.len(),
        tables: tables_written,
        figures,
        claims,
        warnings,
    })
}

/// File names made unique and safe.
#[derive(Default)]
struct Names {
    used: BTreeSet<String>,
}

impl Names {
    fn unique(&mut self, raw: &str) -> String {
        let mut slug: String =
            raw.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' { c.to_ascii_lowercase() } else { '-' }
                })
                .collect();
        while slug.contains("--") {
            slug = slug.replace("--", "-");
        }
        let slug = slug.trim_matches('-').chars().take(100).collect::<String>();
        let mut name = slug.clone();
        let mut k = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{slug}-{k}");
            k += 1;
        }
        name
    }
}

fn link(out: &Path, f: &Path) -> String {
    let rel = f.strip_prefix(out).unwrap_or(f).to_string_lossy().replace('\\', "/");
    let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!("[{name}]({rel})")
}

fn figure_links(out: &Path, files: &[PathBuf]) -> String {
    let png = files.iter().find(|f| f.extension().is_some_and(|e| e == "png"));
    let mut s = String::new();
    if let Some(png) = png {
        let rel = png.strip_prefix(out).unwrap_or(png).to_string_lossy().replace('\\', "/");
        let _ = write!(s, "![figure]({rel})\n\n");
    }
    s += &files.iter().map(|f| link(out, f)).collect::<Vec<_>>().join(" · ");
    s
}

fn point(x: f64, a: &Aggregate) -> CurvePoint {
    CurvePoint { x, y: 100.0 * a.mean, err: 100.0 * a.uncertainty() }
}

fn alpha_heatmap(g: &Grid<'_>) -> HeatmapSpec {
    let train = g.alphas_train();
    let test = g.alphas_test();
    // Rows: α_test from high (top) to low; columns: α_train, low to high.
    let values: Vec<Vec<Option<f64>>> = test
        .iter()
        .rev()
        .map(|&ate| train.iter().map(|&at| g.headline(at, ate).map(|c| 100.0 * c.mean)).collect())
        .collect();
    let draws: BTreeSet<u64> = g.headlines().iter().map(|c| c.draws).collect();
    let draws: Vec<String> = draws.iter().map(u64::to_string).collect();
    HeatmapSpec::new(
        format!(
            "{} · {} · {} (n = {})",
            g.context.dataset,
            g.side.label(),
            g.context.experiment,
            draws.join("/")
        ),
        "α_train",
        "α_test",
        train.iter().map(|a| alpha_str(*a)).collect(),
        test.iter().rev().map(|a| alpha_str(*a)).collect(),
        values,
    )
}

fn category_heatmap(cg: &CategoryGrid<'_>, kind: &str) -> HeatmapSpec {
    let values: Vec<Vec<Option<f64>>> = cg
        .test_labels
        .iter()
        .map(|te| {
            cg.train_labels
                .iter()
                .map(|tr| cg.cells.get(&(tr.clone(), te.clone())).map(|c| 100.0 * c.mean))
                .collect()
        })
        .collect();
    HeatmapSpec::new(
        format!("{} · {} · {}", cg.context.dataset, cg.fixed, cg.context.experiment),
        format!("training {kind}"),
        format!("test {kind}"),
        cg.train_labels.clone(),
        cg.test_labels.clone(),
        values,
    )
}

fn draws_curves(g: &Grid<'_>) -> Option<CurveSpec> {
    let mut series = Vec::new();
    for at in g.alphas_train() {
        for ate in g.alphas_test() {
            let cells = g.by_draws(at, ate);
            if cells.len() >= 2 {
                series.push(Series {
                    label: format!("({}, {})", alpha_str(at), alpha_str(ate)),
                    points: cells.iter().map(|c| point(c.draws as f64, c)).collect(),
                });
            }
        }
    }
    (!series.is_empty()).then(|| {
        CurveSpec::new(
            format!("Accuracy vs draws n — {} · {}", g.context.dataset, g.side.label()),
            "n, noise draws per (image, class) [log scale]",
            "accuracy (%)",
            true,
            series,
        )
    })
}

/// For CIFAR-10 grids: the paper's Fig. 3 caption numbers beside ours.
fn fig3_caption_comparison(g: &Grid<'_>) -> Result<Option<String>> {
    if paper_dataset(&g.context.dataset) != Some("CIFAR-10") || g.context.model != "ebm-ae" {
        return Ok(None);
    }
    let paper = PaperTables::embedded()?;
    let mut parts = Vec::new();
    for (pair, n) in [((0.0, 0.0), 1u64), ((0.9, 0.9), 1000)] {
        let Some(p) = paper.get(PaperTable::Fig3, pair, Some(n), "CIFAR-10", "ebm-ae") else {
            continue;
        };
        let ours = g
            .at(pair.0, pair.1)
            .filter(|c| c.draws == n)
            .reduce(crate::select::prefer)
            .map(|c| crate::tables::Measured::of(c).text("±", false))
            .unwrap_or_else(|| "not measured".into());
        parts.push(format!(
            "({}, {}) at n = {n}: paper {:.2} %, ours {ours}",
            alpha_str(pair.0),
            alpha_str(pair.1),
            p.mean_pct
        ));
    }
    Ok(Some(format!("Paper Fig. 3 caption vs ours: {}.", parts.join("; "))))
}

fn write_claims(md: &mut String, claims: &[Claim]) {
    let _ = writeln!(md, "## Claims\n");
    let _ = writeln!(
        md,
        "Rule: every value carries an uncertainty u: the SEM over seeds when at least two seeds \
         were run, otherwise the larger half of the cell's 95 % Wilson interval; a mean of k values \
         carries √(Σuᵢ²)/k. A beats B only when A − B exceeds the combined uncertainty √(u_A² + u_B²). \
         A claim is *supported* when every comparison the data allow goes the paper's way by that \
         rule, *not supported* when at least one does not, and *not enough data* when none is possible. \
         Each figure or cell uses the most noise draws measured for its setting. Picking the best of \
         many cells (claim 1) favours noise slightly; the rule does not correct for that.\n"
    );
    for c in claims {
        let _ = writeln!(md, "### Claim {}: {}\n", c.number, c.status);
        let _ = writeln!(md, "{}\n", c.statement);
        for d in &c.details {
            if let Some(rest) = d.strip_prefix("  ") {
                let _ = writeln!(md, "  - {rest}");
            } else {
                let _ = writeln!(md, "- {d}");
            }
        }
        if !c.details.is_empty() {
            md.push('\n');
        }
        if let ClaimStatus::NotEnoughData(_) = c.status {
            let _ = writeln!(md, "No comparison possible with the data found.\n");
        }
    }
}

/// The losses of the last epoch seen for one training.
#[derive(Default)]
struct FinalEpoch {
    epoch: u64,
    noisy: Vec<f64>,
    clean: Vec<f64>,
}

fn write_training(md: &mut String, runs: &[Run]) {
    // run → (alpha, law, placement) → (last epoch, noisy losses, clean losses)
    let mut rows = Vec::new();
    for run in runs {
        let mut per: BTreeMap<(i64, String, String), FinalEpoch> = BTreeMap::new();
        for m in &run.metrics {
            let key = (
                crate::aggregate::alpha_key(m.alpha_train),
                m.train_law.clone(),
                m.train_placement.clone(),
            );
            let e = per
                .entry(key)
                .or_insert_with(|| FinalEpoch { epoch: m.epoch, ..Default::default() });
            if m.epoch > e.epoch {
                *e = FinalEpoch { epoch: m.epoch, ..Default::default() };
            }
            if m.epoch == e.epoch {
                e.noisy.extend(m.loss_noisy);
                e.clean.extend(m.loss_clean);
            }
        }
        for ((alpha, law, placement), FinalEpoch { epoch, noisy, clean }) in per {
            let mean = |v: &[f64]| {
                if v.is_empty() {
                    "–".to_owned()
                } else {
                    format!("{:.5}", v.iter().sum::<f64>() / v.len() as f64)
                }
            };
            rows.push(format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                run.results.experiment,
                run.results.seed,
                alpha_str(alpha as f64 * 1e-9),
                law,
                placement,
                epoch,
                mean(&noisy),
                mean(&clean)
            ));
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Training\n");
    let _ = writeln!(md, "Final-epoch training loss from `metrics.jsonl`, mean over classes.\n");
    let _ = writeln!(
        md,
        "| experiment | seed | α_train | law | placement | epoch | loss (noisy) | loss (clean) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---|---|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(md, "{r}");
    }
    md.push('\n');
}

fn write_runs(md: &mut String, runs: &[Run], out: &Path) {
    let _ = writeln!(md, "## Runs\n");
    let _ = writeln!(
        md,
        "| directory | experiment | dataset | seed | cells | commit | backend | device | finished |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---|---|---|---|");
    for r in runs {
        let p = r.provenance.clone().unwrap_or_default();
        let dir = r.dir.strip_prefix(out).unwrap_or(&r.dir).to_string_lossy().into_owned();
        let _ = writeln!(
            md,
            "| `{dir}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.results.experiment,
            r.results.dataset,
            r.results.seed,
            r.results.cells.len(),
            p.commit.as_deref().unwrap_or("–"),
            p.backend.as_deref().unwrap_or("–"),
            p.device.as_deref().unwrap_or("–"),
            p.finished.as_deref().unwrap_or("–"),
        );
    }
    md.push('\n');
}

fn warnings(runs: &[Run], aggs: &[Aggregate]) -> Vec<String> {
    let mut w = Vec::new();
    for r in runs {
        if !r.missing.is_empty() {
            w.push(format!("{}: missing {}", r.dir.display(), r.missing.join(", ")));
        }
        if let Some(p) = &r.provenance
            && p.finished.is_none()
        {
            w.push(format!(
                "{}: provenance.json has no finish time (the run may not have finished)",
                r.dir.display()
            ));
        }
    }
    for a in aggs {
        let mut s = a.seeds.clone();
        s.dedup();
        if s.len() != a.seeds.len() {
            w.push(format!(
                "{} · {} · ({}, {}) n={}: a seed occurs more than once ({:?}); repeated runs of one seed are counted as separate samples",
                a.dataset,
                a.experiment,
                alpha_str(a.alpha_train),
                alpha_str(a.alpha_test),
                a.draws,
                a.seeds
            ));
        }
    }
    w
}

/// Every aggregated setting as CSV (accuracies as fractions, like the cells).
fn aggregate_csv(aggs: &[Aggregate]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::InvalidInput { what: format!("aggregate.csv: {e}") };
    w.write_record([
        "experiment",
        "dataset",
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
        "n",
        "seeds",
        "mean",
        "std",
        "sem",
        "uncertainty",
        "uncertainty_kind",
        "ci_low",
        "ci_high",
        "passes_per_image",
        "wall_s",
    ])
    .map_err(err)?;
    for a in aggs {
        let seeds: Vec<String> = a.seeds.iter().map(u64::to_string).collect();
        w.write_record([
            a.experiment.clone(),
            a.dataset.clone(),
            a.model.clone(),
            a.alpha_train.to_string(),
            a.alpha_test.to_string(),
            a.train_law.clone(),
            a.test_law.clone(),
            a.train_params.clone(),
            a.test_params.clone(),
            a.train_placement.clone(),
            a.test_placement.clone(),
            a.draws.to_string(),
            a.estimator.clone(),
            a.n_test.to_string(),
            a.n.to_string(),
            seeds.join(" "),
            format!("{:.6}", a.mean),
            format!("{:.6}", a.std),
            format!("{:.6}", a.sem),
            format!("{:.6}", a.uncertainty()),
            format!("{:?}", a.uncertainty_kind()).to_lowercase(),
            format!("{:.6}", a.ci_low),
            format!("{:.6}", a.ci_high),
            a.passes_per_image.map(|v| format!("{v:.3}")).unwrap_or_default(),
            a.wall_s.map(|v| format!("{v:.3}")).unwrap_or_default(),
        ])
        .map_err(err)?;
    }
    let bytes =
        w.into_inner().map_err(|e| Error::InvalidInput { what: format!("aggregate.csv: {e}") })?;
    String::from_utf8(bytes)
        .map_err(|e| Error::InvalidInput { what: format!("aggregate.csv: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_safe() {
        let mut n = Names::default();
        assert_eq!(n.unique("fig3 α cifar10/exp"), "fig3-cifar10-exp");
        assert_eq!(n.unique("fig3 α cifar10/exp"), "fig3-cifar10-exp-2");
    }
}
