//! `actnoise estimators`: one trained bank, one (α_train, α_test) cell, every mean-energy
//! estimator, compared on cost.
//!
//! For each config it trains (or loads) the bank of its single α_train, then evaluates the
//! single α_test with plain averaging, common random numbers, antithetic pairs, the exact
//! output-noise term, all three together, and the adaptive sampler (with the three on) at
//! each `--error-rates` value. Fixed-n estimators give a point at every n of `eval.draws`
//! (prefix means of one pass at the largest); the adaptive sampler gives one point per error
//! rate with cap n_max = max(`eval.draws`). Everything goes to `estimators.json` in the run
//! directory (rewritten after each estimator, so a killed study resumes where it stopped),
//! then `estimators.md` and `estimators.png`/`.svg`; `--out` copies those three under the
//! experiment's name.

use std::fs;
use std::path::{Path, PathBuf};

use actnoise_analysis::{
    EstimatorPoint, EstimatorStudy, IndependentReference, PLAIN, SkippedEstimator,
};
use actnoise_dist::NoiseKind;
use actnoise_nn::{NoisePlan, Placement, derive_seed};
use actnoise_sampler::{EstimatorConfig, EvalRequest, Evaluation, SampleError, evaluate};
use anyhow::{Context, Result, bail};

use crate::config::{self, Config};
use crate::progress::EvalBar;
use crate::run::{Prepared, law_parts, prepare, trained_bank};
use crate::rundir::now;

/// Arguments of `actnoise estimators`.
#[derive(clap::Args, Debug)]
pub struct EstimatorArgs {
    /// Study configs: run configs with one α_train and one α_test (e.g. `configs/estimators/`).
    #[arg(required = true)]
    pub configs: Vec<PathBuf>,
    /// Override a key of every config: `--set eval.draws=[1,4,16]` (repeatable; TOML values).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Family-wise error rates of the adaptive sampler, one point each.
    #[arg(long, value_delimiter = ',', default_values_t = [0.1, 0.01, 0.001])]
    pub error_rates: Vec<f64>,
    /// Draws per round of the adaptive sampler, one family of points each (default: the
    /// config's `eval.estimator.round`).
    #[arg(long, value_delimiter = ',')]
    pub rounds: Vec<usize>,
    /// Also copy `<experiment>.md`, `.png`, `.svg` here (e.g. `docs/estimators`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// One estimator of the study.
struct Variant {
    estimator: EstimatorConfig,
    error_rate: Option<f64>,
}

fn variants(rounds: &[usize], error_rates: &[f64]) -> Vec<Variant> {
    let fixed = |common, antithetic, exact_output| Variant {
        estimator: EstimatorConfig {
            common,
            antithetic,
            exact_output,
            ..EstimatorConfig::default()
        },
        error_rate: None,
    };
    let mut v = vec![
        fixed(false, false, false),
        fixed(true, false, false),
        fixed(false, true, false),
        fixed(false, false, true),
        fixed(true, true, true),
    ];
    for (&round, &e) in rounds.iter().flat_map(|r| error_rates.iter().map(move |e| (r, e))) {
        v.push(Variant {
            estimator: EstimatorConfig {
                common: true,
                antithetic: true,
                exact_output: true,
                adaptive: true,
                round,
                error_rate: e,
            },
            error_rate: Some(e),
        });
    }
    v
}

/// The single (α_train, α_test) cell of a study config.
fn cell(cfg: &Config) -> Result<(f64, f64)> {
    let trains = cfg.alpha_trains();
    let [alpha_train] = trains[..] else {
        bail!(
            "an estimator study needs exactly one α_train (`train_noise.alpha` or `eval.pairs`), \
             this config has {trains:?}"
        );
    };
    let tests = cfg.alpha_tests(alpha_train);
    let [alpha_test] = tests[..] else {
        bail!(
            "an estimator study needs exactly one α_test (`eval.alpha`), this config has {tests:?}"
        );
    };
    if alpha_test == 0.0 {
        bail!("`eval.alpha` = 0: without noise at inference every estimator is one pass");
    }
    if cfg.eval.laws.len() > 1 || cfg.eval.placements.len() > 1 {
        bail!(
            "an estimator study takes one test law and one placement (`eval.laws`, `eval.placements`)"
        );
    }
    Ok((alpha_train, alpha_test))
}

/// Runs the study of one config; returns the run directory.
pub fn study(cfg: &Config, error_rates: &[f64], rounds: &[usize]) -> Result<PathBuf> {
    let (alpha_train, alpha_test) = cell(cfg)?;
    if let Some(e) = error_rates.iter().find(|e| !(**e > 0.0 && **e < 1.0)) {
        bail!("--error-rates: {e} is not in (0, 1)");
    }
    if rounds.contains(&0) {
        bail!("--rounds: a round of 0 draws never ends; give 1 or more");
    }
    let rounds = if rounds.is_empty() { vec![cfg.eval.estimator.round] } else { rounds.to_vec() };
    let Prepared { device, source, mut run, mut prov, model, classes, train_data, test, .. } =
        prepare(cfg, true)?;
    let bank = trained_bank(
        cfg,
        &model,
        classes,
        &train_data,
        alpha_train,
        &device,
        source,
        &mut run,
        true,
    )?;
    let law = cfg.eval.laws.first().unwrap_or(&cfg.train_noise.law).clone();
    let placement = cfg.eval.placements.first().unwrap_or(&cfg.train_noise.placement).clone();
    let kind = NoiseKind::try_from(law.clone())?;
    let p: Placement = placement.parse()?;
    let plan = NoisePlan::uniform(&kind, alpha_test, false, &p, model.num_layers())?;
    let (law_name, law_params) = law_parts(&law);
    let n_max = *cfg.eval.draws.iter().max().context("`eval.draws` is empty")?;

    let path = run.path.join("estimators.json");
    // A study file that exists but cannot be read is an error, never a fresh start: starting
    // over would overwrite the points it holds.
    let mut st = if path.exists() {
        let st = EstimatorStudy::read(&path).with_context(|| {
            format!(
                "{} holds this study's finished points but cannot be read; repair or remove it",
                path.display()
            )
        })?;
        println!("estimators.json found: {} points kept", st.points.len());
        st
    } else {
        EstimatorStudy {
            experiment: cfg.experiment.clone(),
            dataset: cfg.data.name.clone(),
            alpha_train,
            alpha_test,
            law: format!("{law_name}({law_params}) {placement}"),
            classes: classes as u32,
            labels: test.labels().iter().map(|&y| y as u32).collect(),
            n_max: n_max as u64,
            round: cfg.eval.estimator.round as u64,
            backend: format!(
                "{} ({:?}), {} threads",
                cfg.backend,
                device,
                rayon::current_num_threads()
            ),
            points: Vec::new(),
            skipped: Vec::new(),
            independent: None,
        }
    };
    for v in variants(&rounds, error_rates) {
        let label = v.estimator.label();
        let round = v.error_rate.map(|_| v.estimator.round as u64);
        let done = st.points.iter().any(|p| {
            p.estimator == label
                && p.error_rate == v.error_rate
                && p.error_rate.map(|_| st.round_of(p)) == round
        }) || st.skipped.iter().any(|s| s.estimator == label);
        if done {
            continue;
        }
        let draws = if v.error_rate.is_some() { vec![n_max] } else { cfg.eval.draws.clone() };
        let req = EvalRequest {
            plan: &plan,
            draws: &draws,
            estimator: &v.estimator,
            source,
            seed: derive_seed(&[cfg.seed, 0xE7A1]),
            max_batch: cfg.eval.max_batch,
        };
        let name = match v.error_rate {
            Some(e) => format!("{label} ε={e} round {}", v.estimator.round),
            None => label.clone(),
        };
        let mut bar = EvalBar::new(&format!("{} {name}", cfg.data.name));
        let evals = match evaluate(&bank, &test, &req, &mut bar) {
            Ok(e) => e,
            Err(SampleError::Config { key: "antithetic" | "exact_output", why, .. }) => {
                bar.finish();
                println!("{name}: not applicable ({why})");
                st.skipped.push(SkippedEstimator { estimator: label, why });
                st.write(&path)?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        bar.finish();
        for e in evals {
            print_point(&name, &e);
            st.points.push(EstimatorPoint {
                estimator: label.clone(),
                error_rate: v.error_rate,
                round: round.filter(|&r| r != st.round),
                draws: e.draws as u64,
                passes: e.passes,
                wall_s: e.wall_s,
                predictions: e.predictions.iter().map(|&p| p as u32).collect(),
            });
        }
        st.write(&path)?;
    }
    if st.independent.is_none() {
        st.independent = independent_reference(&st, cfg, &bank, &test, &plan, source, n_max)?;
        st.write(&path)?;
    }
    if !st.points.iter().any(|p| p.estimator == PLAIN) {
        bail!("the study has no plain-averaging points to compare with");
    }
    let md = st.markdown()?;
    crate::rundir::write_atomic(&run.path.join("estimators.md"), md.as_bytes())?;
    st.plot(&run.path.join("estimators"))?;
    println!("\n{md}");
    prov.finished = Some(now());
    run.write_provenance(&prov)?;
    Ok(run.path)
}

/// The most precise fixed-n estimator the study ran (the one with the most variance-reduction
/// options on), evaluated again at n_max with fresh draws (another seed), so that its
/// decisions are independent of every row's.
fn independent_reference(
    st: &EstimatorStudy,
    cfg: &Config,
    bank: &actnoise_nn::ClassBank,
    test: &actnoise_sampler::TestImages,
    plan: &NoisePlan,
    source: actnoise_nn::SourceKind,
    n_max: usize,
) -> Result<Option<IndependentReference>> {
    let ran = |e: &EstimatorConfig| st.points.iter().any(|p| p.estimator == e.label());
    let Some(best) = variants(&[cfg.eval.estimator.round], &[])
        .into_iter()
        .map(|v| v.estimator)
        .filter(|e| ran(e))
        .max_by_key(|e| (e.exact_output, e.common, e.antithetic))
    else {
        return Ok(None);
    };
    let req = EvalRequest {
        plan,
        draws: &[n_max],
        estimator: &best,
        source,
        seed: derive_seed(&[cfg.seed, 0xE7A2]),
        max_batch: cfg.eval.max_batch,
    };
    let label = best.label();
    let mut bar = EvalBar::new(&format!("{} {label} (independent draws)", cfg.data.name));
    let eval = evaluate(bank, test, &req, &mut bar)?;
    bar.finish();
    let e = eval.into_iter().next().context("the reference evaluation returned nothing")?;
    print_point(&format!("{label} (independent)"), &e);
    Ok(Some(IndependentReference {
        estimator: label,
        draws: e.draws as u64,
        passes: e.passes,
        predictions: e.predictions.iter().map(|&p| p as u32).collect(),
    }))
}

/// One line of the study's terminal output.
fn print_point(name: &str, e: &Evaluation) {
    println!(
        "{name:>44} n={:<6} passes={:<10} accuracy={:.1}% wall={:.1}s",
        e.draws,
        e.passes,
        100.0 * e.accuracy,
        e.wall_s
    );
}

/// `actnoise estimators CONFIG…`.
pub fn main(args: &EstimatorArgs) -> Result<()> {
    // Resolve every config first, so that a typo in the second fails before the first runs.
    let cfgs = args
        .configs
        .iter()
        .map(|c| {
            let cfg = config::load(Some(c), &args.sets)
                .with_context(|| format!("config {}", c.display()))?;
            cell(&cfg).with_context(|| format!("config {}", c.display()))?;
            Ok(cfg)
        })
        .collect::<Result<Vec<_>>>()?;
    for cfg in &cfgs {
        let dir = study(cfg, &args.error_rates, &args.rounds)?;
        if let Some(out) = &args.out {
            copy_outputs(&dir, out, &cfg.experiment)?;
        }
    }
    Ok(())
}

fn copy_outputs(dir: &Path, out: &Path, name: &str) -> Result<()> {
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for ext in ["md", "png", "svg"] {
        let from = dir.join(format!("estimators.{ext}"));
        let to = out.join(format!("{name}.{ext}"));
        let bytes = fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
        crate::rundir::write_atomic(&to, &bytes)?;
        println!("wrote {}", to.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(sets: &[&str]) -> Config {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        config::load(None, &sets).unwrap()
    }

    #[test]
    fn a_study_needs_one_noisy_cell() {
        let e = cell(&cfg(&[])).unwrap_err().to_string();
        assert!(e.contains("exactly one α_train"), "{e}");
        let e = cell(&cfg(&["train_noise.alpha=[0.9]"])).unwrap_err().to_string();
        assert!(e.contains("exactly one α_test"), "{e}");
        let e =
            cell(&cfg(&["train_noise.alpha=[0.9]", "eval.alpha=[0.0]"])).unwrap_err().to_string();
        assert!(e.contains("every estimator is one pass"), "{e}");
        assert_eq!(
            cell(&cfg(&["train_noise.alpha=[0.9]", "eval.alpha=[0.5]"])).unwrap(),
            (0.9, 0.5)
        );
    }

    #[test]
    fn variants_cover_each_estimator_and_every_error_rate() {
        let labels: Vec<String> =
            variants(&[8], &[0.1, 0.01]).iter().map(|v| v.estimator.label()).collect();
        assert_eq!(
            labels,
            [
                "plain",
                "common",
                "antithetic",
                "exact-output",
                "common+antithetic+exact-output",
                "common+antithetic+exact-output+adaptive",
                "common+antithetic+exact-output+adaptive",
            ]
        );
        let adaptive: Vec<(usize, f64)> = variants(&[4, 16], &[0.1, 0.01])
            .iter()
            .filter_map(|v| v.error_rate.map(|e| (v.estimator.round, e)))
            .collect();
        assert_eq!(adaptive, [(4, 0.1), (4, 0.01), (16, 0.1), (16, 0.01)]);
    }
}
