//! Estimator studies: the same trained bank and test set evaluated with several mean-energy
//! estimators, compared on cost (forward passes) rather than on n.
//!
//! `actnoise estimators` writes an [`EstimatorStudy`] as `estimators.json`; this module turns
//! it into the summary table (accuracy, passes, agreement with plain averaging at n_max, the
//! passes each needs to reach plain's n_max accuracy), `estimators.md` and the
//! accuracy-against-passes figure.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aggregate::wilson_interval;
use crate::error::{Error, Result};
use crate::io::{read_string, write_atomic};
use crate::plot::{CurvePoint, CurveSpec, Series, curves};

/// The label of the reference estimator: plain averaging of independent draws.
pub const PLAIN: &str = "plain";

/// One evaluation of the study: an estimator at one n (a prefix of its draws) or, for the
/// adaptive sampler, at one error rate with cap n_max.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatorPoint {
    /// The estimator's label (`plain`, `common`, `common+antithetic+exact-output+adaptive`, …).
    pub estimator: String,
    /// Adaptive: the family-wise error rate of its eliminations; `None` for fixed-n estimators.
    pub error_rate: Option<f64>,
    /// Adaptive: draws per round, when it differs from the study's `round` (`None`: the
    /// study's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u64>,
    /// Draws per image: n, or the cap n_max for the adaptive sampler.
    pub draws: u64,
    /// Single-class forward passes over the whole test set.
    pub passes: u64,
    /// Wall time of the evaluation up to this point, seconds.
    pub wall_s: f64,
    /// The predicted class of every test image, in test-set order.
    pub predictions: Vec<u32>,
}

/// An estimator that was asked for but cannot apply to the study's noise (with the reason).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedEstimator {
    /// The estimator's label.
    pub estimator: String,
    /// Why it was not run.
    pub why: String,
}

/// A whole study: what was evaluated, on what, and every point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatorStudy {
    /// The config's experiment name.
    pub experiment: String,
    /// The dataset.
    pub dataset: String,
    /// Noise scale of the training.
    pub alpha_train: f64,
    /// Noise scale at inference.
    pub alpha_test: f64,
    /// The inference law, as `law(params)`.
    pub law: String,
    /// Number of classes.
    pub classes: u32,
    /// The true class of every test image.
    pub labels: Vec<u32>,
    /// The largest n (the reference is plain averaging at this n).
    pub n_max: u64,
    /// Adaptive: draws per round.
    pub round: u64,
    /// Backend and thread count the wall times were measured with.
    pub backend: String,
    /// Every evaluation.
    pub points: Vec<EstimatorPoint>,
    /// Estimators that do not apply here.
    pub skipped: Vec<SkippedEstimator>,
    /// A second, independent evaluation of the most precise fixed-n estimator at n_max (fresh
    /// draws): plain averaging at n_max is itself a noisy decision, so agreement with it is
    /// capped below 100 % even for a perfect estimator; agreement with this run shows how far
    /// each estimator is from the decision its limit n → ∞ would make.
    #[serde(default)]
    pub independent: Option<IndependentReference>,
}

/// The independent reference run of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndependentReference {
    /// Its estimator's label.
    pub estimator: String,
    /// Its n.
    pub draws: u64,
    /// Its forward passes.
    pub passes: u64,
    /// Its predicted class of every test image.
    pub predictions: Vec<u32>,
}

/// One row of the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// The estimator.
    pub estimator: String,
    /// Adaptive error rate, if any.
    pub error_rate: Option<f64>,
    /// Adaptive draws per round, if adaptive.
    pub round: Option<u64>,
    /// n (or the cap).
    pub draws: u64,
    /// Total forward passes.
    pub passes: u64,
    /// Passes per test image.
    pub passes_per_image: f64,
    /// Passes as a fraction of plain averaging at n_max.
    pub passes_fraction: f64,
    /// Accuracy.
    pub accuracy: f64,
    /// 95 % Wilson interval of the accuracy.
    pub ci: (f64, f64),
    /// Fraction of test images whose prediction equals plain averaging at n_max.
    pub agreement: f64,
    /// Fraction of test images whose prediction equals the independent reference, if any.
    pub agreement_independent: Option<f64>,
    /// Wall time, seconds.
    pub wall_s: f64,
}

/// The least cost at which an estimator family reaches plain's n_max accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachRow {
    /// The estimator family (adaptive error rates form one family).
    pub estimator: String,
    /// The cheapest point at or above plain's n_max accuracy: its passes and n, or `None` if
    /// no point reached it.
    pub passes: Option<u64>,
    /// n (or cap and error rate, for the adaptive family) of that point.
    pub at: Option<String>,
    /// Its passes as a fraction of plain's at n_max.
    pub fraction: Option<f64>,
}

/// The study reduced to its tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudySummary {
    /// One row per point, in study order.
    pub rows: Vec<SummaryRow>,
    /// One row per estimator family.
    pub reach: Vec<ReachRow>,
    /// Plain averaging at n_max: its accuracy and passes.
    pub reference_accuracy: f64,
    /// Passes of plain averaging at n_max.
    pub reference_passes: u64,
}

impl EstimatorStudy {
    /// Reads `estimators.json`.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, [`Error::Json`] if it does not parse.
    pub fn read(path: &Path) -> Result<Self> {
        let text = read_string(path)?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            line: None,
            source,
        })
    }

    /// Writes `estimators.json` atomically.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a study serializes");
        write_atomic(path, text.as_bytes())
    }

    /// Draws per round of an adaptive point.
    pub fn round_of(&self, p: &EstimatorPoint) -> u64 {
        p.round.unwrap_or(self.round)
    }

    /// The family a point belongs to: its estimator, and for the adaptive sampler its round
    /// (error rates of one round form one family, one curve).
    pub fn family(&self, p: &EstimatorPoint) -> String {
        match p.error_rate {
            Some(_) => format!("{} (round {})", p.estimator, self.round_of(p)),
            None => p.estimator.clone(),
        }
    }

    fn accuracy(&self, predictions: &[u32]) -> (usize, f64) {
        let correct = predictions.iter().zip(&self.labels).filter(|(a, b)| a == b).count();
        (correct, correct as f64 / self.labels.len().max(1) as f64)
    }

    /// The summary tables.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if plain averaging at n_max is missing, or a point's predictions
    /// do not cover the test set.
    pub fn summarize(&self) -> Result<StudySummary> {
        let bad =
            |what: String| Err(Error::InvalidInput { what: format!("estimator study: {what}") });
        if self.labels.is_empty() {
            return bad("no test images".into());
        }
        if let Some(p) = self.points.iter().find(|p| p.predictions.len() != self.labels.len()) {
            return bad(format!(
                "{} at n = {} has {} predictions for {} test images",
                p.estimator,
                p.draws,
                p.predictions.len(),
                self.labels.len()
            ));
        }
        let Some(reference) = self
            .points
            .iter()
            .find(|p| p.estimator == PLAIN && p.error_rate.is_none() && p.draws == self.n_max)
        else {
            return bad(format!("plain averaging at n_max = {} is missing", self.n_max));
        };
        let (_, ref_acc) = self.accuracy(&reference.predictions);
        if let Some(ind) = &self.independent
            && ind.predictions.len() != self.labels.len()
        {
            return bad(format!(
                "the independent reference has {} predictions for {} test images",
                ind.predictions.len(),
                self.labels.len()
            ));
        }
        let same = |a: &[u32], b: &[u32]| {
            a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
        };
        let images = self.labels.len();
        let rows: Vec<SummaryRow> = self
            .points
            .iter()
            .map(|p| {
                let (correct, accuracy) = self.accuracy(&p.predictions);
                SummaryRow {
                    estimator: p.estimator.clone(),
                    error_rate: p.error_rate,
                    round: p.error_rate.map(|_| self.round_of(p)),
                    draws: p.draws,
                    passes: p.passes,
                    passes_per_image: p.passes as f64 / images as f64,
                    passes_fraction: p.passes as f64 / reference.passes.max(1) as f64,
                    accuracy,
                    ci: wilson_interval(correct as u64, images as u64),
                    agreement: same(&p.predictions, &reference.predictions),
                    agreement_independent: self
                        .independent
                        .as_ref()
                        .map(|ind| same(&p.predictions, &ind.predictions)),
                    wall_s: p.wall_s,
                }
            })
            .collect();
        let mut families: Vec<String> = Vec::new();
        for p in &self.points {
            let f = self.family(p);
            if !families.contains(&f) {
                families.push(f);
            }
        }
        let reach = families
            .into_iter()
            .map(|f| {
                let best = self
                    .points
                    .iter()
                    .zip(&rows)
                    .filter(|(p, r)| self.family(p) == f && r.accuracy >= ref_acc)
                    .min_by_key(|(p, _)| p.passes);
                match best {
                    Some((p, r)) => ReachRow {
                        estimator: f,
                        passes: Some(p.passes),
                        at: Some(match p.error_rate {
                            Some(e) => format!("n_max {} ε {e}", p.draws),
                            None => format!("n {}", p.draws),
                        }),
                        fraction: Some(r.passes_fraction),
                    },
                    None => ReachRow { estimator: f, passes: None, at: None, fraction: None },
                }
            })
            .collect();
        Ok(StudySummary {
            rows,
            reach,
            reference_accuracy: ref_acc,
            reference_passes: reference.passes,
        })
    }

    /// The study as Markdown: what was measured, the per-point table and the reach table.
    ///
    /// # Errors
    /// As [`summarize`](Self::summarize).
    pub fn markdown(&self) -> Result<String> {
        let s = self.summarize()?;
        let mut md = String::new();
        md.push_str(&format!(
            "{} — {} test images, {} classes, α = ({}, {}), law {}, n_max = {}, adaptive rounds in the \
             round column (config: {}); {}.\n\n",
            self.dataset,
            self.labels.len(),
            self.classes,
            self.alpha_train,
            self.alpha_test,
            self.law,
            self.n_max,
            self.round,
            self.backend
        ));
        md.push_str(&format!(
            "Reference: plain averaging at n = {}: accuracy {:.1} %, {} passes.\n\n",
            self.n_max,
            100.0 * s.reference_accuracy,
            s.reference_passes
        ));
        if let Some(ind) = &self.independent {
            let (_, acc) = self.accuracy(&ind.predictions);
            md.push_str(&format!(
                "Independent reference: {} at n = {} with fresh draws (not those of any row \
                 below): accuracy {:.1} %, {} passes.\n\n",
                ind.estimator,
                ind.draws,
                100.0 * acc,
                ind.passes
            ));
        }
        md.push_str(
            "| estimator | n (cap) | ε | round | passes | passes/image | × plain n_max | accuracy | 95 % CI | same decision as plain n_max | same decision as independent reference | wall s |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n",
        );
        for r in &s.rows {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.1} | {:.4} | {:.1} % | {:.1}–{:.1} % | {:.1} % | {} | {:.1} |\n",
                r.estimator,
                r.draws,
                r.error_rate.map_or("–".to_string(), |e| format!("{e}")),
                r.round.map_or("–".to_string(), |k| format!("{k}")),
                r.passes,
                r.passes_per_image,
                r.passes_fraction,
                100.0 * r.accuracy,
                100.0 * r.ci.0,
                100.0 * r.ci.1,
                100.0 * r.agreement,
                r.agreement_independent.map_or("–".to_string(), |a| format!("{:.1} %", 100.0 * a)),
                r.wall_s
            ));
        }
        md.push_str(&format!(
            "\nPasses needed to reach plain's n_max accuracy ({:.1} %):\n\n\
             | estimator | cheapest point reaching it | passes | × plain n_max |\n|---|---|---:|---:|\n",
            100.0 * s.reference_accuracy
        ));
        for r in &s.reach {
            match (r.passes, &r.at, r.fraction) {
                (Some(p), Some(at), Some(f)) => {
                    md.push_str(&format!("| {} | {at} | {p} | {f:.4} |\n", r.estimator));
                }
                _ => md.push_str(&format!("| {} | not reached | – | – |\n", r.estimator)),
            }
        }
        for sk in &self.skipped {
            md.push_str(&format!("\nNot run: {} — {}\n", sk.estimator, sk.why));
        }
        Ok(md)
    }

    /// Accuracy against total forward passes (log axis), one curve per estimator family, to
    /// `<stem>.png` and `<stem>.svg`.
    ///
    /// # Errors
    /// As [`summarize`](Self::summarize) and [`curves`].
    pub fn plot(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        let s = self.summarize()?;
        let mut series: Vec<Series> = Vec::new();
        for (p, r) in self.points.iter().zip(&s.rows) {
            // Adaptive curves get a short legend label: the options in initials (c, a, e).
            let label = match p.error_rate {
                Some(_) => {
                    let opts: Vec<&str> = p
                        .estimator
                        .split('+')
                        .filter(|o| *o != "adaptive")
                        .map(|o| o.get(..1).unwrap_or(o))
                        .collect();
                    format!("adaptive ({}), round {}", opts.join("+"), self.round_of(p))
                }
                None => p.estimator.clone(),
            };
            let point = CurvePoint { x: p.passes.max(1) as f64, y: 100.0 * r.accuracy, err: 0.0 };
            match series.iter_mut().find(|s| s.label == label) {
                Some(s) => s.points.push(point),
                None => series.push(Series { label, points: vec![point] }),
            }
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        let spec = CurveSpec::new(
            format!(
                "{}: accuracy against cost, α = ({}, {}), {} test images",
                self.dataset,
                self.alpha_train,
                self.alpha_test,
                self.labels.len()
            ),
            "single-class forward passes, whole test set (log)",
            "accuracy (%)",
            true,
            series,
        );
        curves(&spec, stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(est: &str, e: Option<f64>, n: u64, passes: u64, preds: &[u32]) -> EstimatorPoint {
        EstimatorPoint {
            estimator: est.into(),
            error_rate: e,
            round: None,
            draws: n,
            passes,
            wall_s: 1.0,
            predictions: preds.to_vec(),
        }
    }

    fn study() -> EstimatorStudy {
        EstimatorStudy {
            experiment: "t".into(),
            dataset: "digits".into(),
            alpha_train: 0.9,
            alpha_test: 0.9,
            law: "gaussian(0,1)".into(),
            classes: 2,
            labels: vec![0, 0, 1, 1],
            n_max: 4,
            round: 2,
            backend: "flex".into(),
            points: vec![
                point(PLAIN, None, 1, 8, &[1, 0, 0, 1]),
                point(PLAIN, None, 4, 32, &[0, 0, 0, 1]),
                point("common", None, 1, 8, &[0, 0, 0, 1]),
                point("common", None, 4, 32, &[0, 0, 1, 1]),
                point("adaptive", Some(0.01), 4, 12, &[0, 1, 1, 1]),
            ],
            skipped: vec![],
            independent: None,
        }
    }

    #[test]
    fn summary_measures_against_plain_at_n_max() {
        let s = study().summarize().unwrap();
        assert_eq!(s.reference_passes, 32);
        assert!((s.reference_accuracy - 0.75).abs() < 1e-12);
        // plain n=1 predicts [1,0,0,1]: agrees with [0,0,0,1] on 3 of 4, accuracy 2/4.
        assert!((s.rows[0].agreement - 0.75).abs() < 1e-12);
        assert!((s.rows[0].accuracy - 0.5).abs() < 1e-12);
        assert!((s.rows[0].passes_fraction - 0.25).abs() < 1e-12);
        assert!((s.rows[3].accuracy - 1.0).abs() < 1e-12);
        // common reaches 75 % already at n = 1 (8 passes); plain at n = 4; adaptive at 12.
        let reach: Vec<_> = s.reach.iter().map(|r| (r.estimator.as_str(), r.passes)).collect();
        assert_eq!(
            reach,
            vec![(PLAIN, Some(32)), ("common", Some(8)), ("adaptive (round 2)", Some(12))]
        );
    }

    #[test]
    fn adaptive_points_of_another_round_form_their_own_family() {
        let mut st = study();
        let mut p = point("adaptive", Some(0.01), 4, 6, &[0, 0, 0, 1]);
        p.round = Some(1);
        st.points.push(p);
        let s = st.summarize().unwrap();
        assert_eq!(s.rows[5].round, Some(1));
        assert_eq!(s.rows[4].round, Some(2));
        assert_eq!(s.rows[0].round, None);
        let fams: Vec<_> = s.reach.iter().map(|r| (r.estimator.as_str(), r.passes)).collect();
        assert_eq!(fams[2..], [("adaptive (round 2)", Some(12)), ("adaptive (round 1)", Some(6))]);
    }

    #[test]
    fn agreement_with_the_independent_reference() {
        let mut st = study();
        assert_eq!(st.summarize().unwrap().rows[0].agreement_independent, None);
        st.independent = Some(IndependentReference {
            estimator: "common".into(),
            draws: 4,
            passes: 32,
            predictions: vec![0, 0, 1, 1],
        });
        let s = st.summarize().unwrap();
        // plain n=1 [1,0,0,1] vs [0,0,1,1]: 2 of 4; common n=4 is identical: 4 of 4.
        assert_eq!(s.rows[0].agreement_independent, Some(0.5));
        assert_eq!(s.rows[3].agreement_independent, Some(1.0));
        assert!(st.markdown().unwrap().contains("Independent reference: common at n = 4"));
        st.independent.as_mut().unwrap().predictions.pop();
        let e = st.summarize().unwrap_err().to_string();
        assert!(e.contains("independent reference has 3 predictions"), "{e}");
    }

    #[test]
    fn unreached_accuracy_is_reported_as_such() {
        let mut st = study();
        st.points[4].predictions = vec![1, 1, 0, 0];
        let s = st.summarize().unwrap();
        assert_eq!(s.reach[2].passes, None);
        assert!(st.markdown().unwrap().contains("| adaptive (round 2) | not reached |"));
    }

    #[test]
    fn missing_reference_or_short_predictions_are_errors() {
        let mut st = study();
        st.points.remove(1);
        let e = st.summarize().unwrap_err().to_string();
        assert!(e.contains("plain averaging at n_max = 4 is missing"), "{e}");
        let mut st = study();
        st.points[2].predictions.pop();
        let e = st.summarize().unwrap_err().to_string();
        assert!(e.contains("common at n = 1 has 3 predictions for 4 test images"), "{e}");
    }

    #[test]
    fn study_round_trips_and_plots() {
        let dir = tempfile::tempdir().unwrap();
        let st = study();
        let path = dir.path().join("estimators.json");
        st.write(&path).unwrap();
        assert_eq!(EstimatorStudy::read(&path).unwrap(), st);
        let files = st.plot(&dir.path().join("estimators")).unwrap();
        assert!(files.iter().all(|f| std::fs::metadata(f).unwrap().len() > 1000));
    }
}
