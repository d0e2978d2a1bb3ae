//! Picking the aggregated cells that a table, figure or claim needs.
//!
//! A side (training or inference) with α = 0 injects no noise, so its law, parameters and
//! placement do not matter: such cells join every grid of the same context.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::{Aggregate, alpha_key, same_alpha};

/// Cells grouped by two keys.
pub(crate) type Groups<'a, K1, K2> = BTreeMap<K1, BTreeMap<K2, Vec<&'a Aggregate>>>;

/// Noise cells and dropout cells of one group.
type NoiseAndDropout<'a> = (Vec<&'a Aggregate>, Vec<&'a Aggregate>);

/// Laws the paper calls symmetric (Fig. 4).
pub(crate) const SYMMETRIC_LAWS: [&str; 4] = ["gaussian", "cauchy", "student_t", "uniform"];
/// Laws the paper calls asymmetric (Fig. 4).
pub(crate) const ASYMMETRIC_LAWS: [&str; 3] = ["lognormal", "chi", "exponential"];

const LAW_ORDER: [&str; 10] = [
    "gaussian",
    "cauchy",
    "student_t",
    "uniform",
    "lognormal",
    "chi",
    "exponential",
    "negate",
    "dropout",
    "none",
];
const PLACEMENT_ORDER: [&str; 6] =
    ["full", "full-except-output", "odd", "even", "encoder", "decoder"];

/// Sort key putting known labels first in the paper's order, then others alphabetically.
fn ordered(label: &str, order: &[&str]) -> (usize, String) {
    let base = label.split('(').next().unwrap_or(label);
    (order.iter().position(|o| *o == base).unwrap_or(order.len()), label.to_owned())
}

pub(crate) fn law_order(label: &str) -> (usize, String) {
    ordered(label, &LAW_ORDER)
}

pub(crate) fn placement_order(label: &str) -> (usize, String) {
    ordered(label, &PLACEMENT_ORDER)
}

/// Whether a law label is the standard Gaussian (parameters empty, or mean 0 and std 1).
pub(crate) fn is_standard_gaussian(law: &str, params: &str) -> bool {
    if !law.eq_ignore_ascii_case("gaussian") {
        return false;
    }
    params.split(',').map(str::trim).filter(|p| !p.is_empty()).all(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let v: Option<f64> = v.trim().parse().ok();
        match k.trim() {
            "mean" | "mu" | "loc" => v == Some(0.0),
            "std" | "sigma" | "scale" => v == Some(1.0),
            _ => true,
        }
    })
}

/// "law" or "law(params)".
pub(crate) fn law_label(law: &str, params: &str) -> String {
    if params.is_empty() { law.to_owned() } else { format!("{law}({params})") }
}

/// Fields shared by all cells of a grid, curve or comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Context {
    pub experiment: String,
    pub dataset: String,
    pub model: String,
    pub estimator: String,
    pub n_test: u64,
}

impl Context {
    pub fn of(a: &Aggregate) -> Self {
        Self {
            experiment: a.experiment.clone(),
            dataset: a.dataset.clone(),
            model: a.model.clone(),
            estimator: a.estimator.clone(),
            n_test: a.n_test,
        }
    }

    pub fn label(&self) -> String {
        format!(
            "{} · {} · {} · {} · {} test images",
            self.dataset, self.experiment, self.model, self.estimator, self.n_test
        )
    }
}

/// Law, parameters and placement of one side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Side {
    pub law: String,
    pub params: String,
    pub placement: String,
}

impl Side {
    fn train(a: &Aggregate) -> Option<Self> {
        (alpha_key(a.alpha_train) != 0).then(|| Self {
            law: a.train_law.clone(),
            params: a.train_params.clone(),
            placement: a.train_placement.clone(),
        })
    }

    fn test(a: &Aggregate) -> Option<Self> {
        (alpha_key(a.alpha_test) != 0).then(|| Self {
            law: a.test_law.clone(),
            params: a.test_params.clone(),
            placement: a.test_placement.clone(),
        })
    }

    pub fn label(&self) -> String {
        format!("{}, {}", law_label(&self.law, &self.params), self.placement)
    }

    pub fn is_standard_gaussian_full(&self) -> bool {
        is_standard_gaussian(&self.law, &self.params) && self.placement == "full"
    }
}

/// The better of two cells measuring the same thing: more seeds, then more draws, then the
/// plain estimator, then the earlier in aggregate order.
pub(crate) fn prefer<'a>(a: &'a Aggregate, b: &'a Aggregate) -> &'a Aggregate {
    let rank = |x: &Aggregate| (x.n, x.draws, x.estimator == "plain" || x.estimator.is_empty());
    if rank(b) > rank(a) { b } else { a }
}

/// Picks, among `cells`, the one with the most draws (then [`prefer`]).
pub(crate) fn most_draws<'a>(
    cells: impl IntoIterator<Item = &'a Aggregate>,
) -> Option<&'a Aggregate> {
    cells.into_iter().fold(None, |best: Option<&Aggregate>, c| match best {
        None => Some(c),
        Some(b) if c.draws > b.draws => Some(c),
        Some(b) if c.draws == b.draws => Some(prefer(b, c)),
        Some(b) => Some(b),
    })
}

/// An α_train × α_test grid of one context with one law/placement on its noisy sides.
#[derive(Debug, Clone)]
pub(crate) struct Grid<'a> {
    pub context: Context,
    pub side: Side,
    pub cells: Vec<&'a Aggregate>,
}

impl<'a> Grid<'a> {
    pub fn label(&self) -> String {
        format!("{} · {}", self.context.label(), self.side.label())
    }

    pub fn alphas_train(&self) -> Vec<f64> {
        sorted_unique(self.cells.iter().map(|c| c.alpha_train))
    }

    pub fn alphas_test(&self) -> Vec<f64> {
        sorted_unique(self.cells.iter().map(|c| c.alpha_test))
    }

    /// All cells at (α_train, α_test).
    pub fn at(&self, at: f64, ate: f64) -> impl Iterator<Item = &'a Aggregate> + '_ {
        self.cells
            .iter()
            .copied()
            .filter(move |c| same_alpha(c.alpha_train, at) && same_alpha(c.alpha_test, ate))
    }

    /// The cell at (α_train, α_test) with the most draws.
    pub fn headline(&self, at: f64, ate: f64) -> Option<&'a Aggregate> {
        most_draws(self.at(at, ate))
    }

    /// The headline cell of every measured (α_train, α_test).
    pub fn headlines(&self) -> Vec<&'a Aggregate> {
        let mut out = Vec::new();
        for at in self.alphas_train() {
            for ate in self.alphas_test() {
                if let Some(c) = self.headline(at, ate) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Whether a heatmap shows more than a line: some α_train measured at two α_test values
    /// and some α_test at two α_train values.
    pub fn is_two_dimensional(&self) -> bool {
        let heads = self.headlines();
        let row = self
            .alphas_train()
            .iter()
            .any(|&at| heads.iter().filter(|c| same_alpha(c.alpha_train, at)).count() >= 2);
        let col = self
            .alphas_test()
            .iter()
            .any(|&t| heads.iter().filter(|c| same_alpha(c.alpha_test, t)).count() >= 2);
        row && col
    }

    /// Cells at (α_train, α_test) for each distinct draws value (the preferred one per n).
    pub fn by_draws(&self, at: f64, ate: f64) -> Vec<&'a Aggregate> {
        let mut per: BTreeMap<u64, &Aggregate> = BTreeMap::new();
        for c in self.at(at, ate) {
            per.entry(c.draws).and_modify(|b| *b = prefer(b, c)).or_insert(c);
        }
        per.into_values().collect()
    }
}

pub(crate) fn sorted_unique(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| same_alpha(*a, *b));
    v
}

/// Every α grid: cells of one context whose noisy sides all share one law, parameters and
/// placement (the same on both sides). Noise-free sides join every grid of their context.
pub(crate) fn grids(aggs: &[Aggregate]) -> Vec<Grid<'_>> {
    let mut ids: BTreeSet<(Context, Side)> = BTreeSet::new();
    for a in aggs {
        match (Side::train(a), Side::test(a)) {
            (Some(t), Some(s)) if t == s => {
                ids.insert((Context::of(a), t));
            }
            (Some(t), None) => {
                ids.insert((Context::of(a), t));
            }
            (None, Some(s)) => {
                ids.insert((Context::of(a), s));
            }
            _ => {}
        }
    }
    ids.into_iter()
        .map(|(context, side)| {
            let fits = |s: Option<Side>| s.is_none_or(|s| s == side);
            let cells = aggs
                .iter()
                .filter(|a| {
                    Context::of(a) == context && fits(Side::train(a)) && fits(Side::test(a))
                })
                .collect();
            Grid { context, side, cells }
        })
        .collect()
}

/// A categorical train × test grid at fixed α (Fig. 8: laws; Fig. 9: placements).
#[derive(Debug, Clone)]
pub(crate) struct CategoryGrid<'a> {
    pub context: Context,
    /// What is fixed, e.g. "α = (1, 1), placement full".
    pub fixed: String,
    pub train_labels: Vec<String>,
    pub test_labels: Vec<String>,
    /// (train label, test label) → headline cell.
    pub cells: BTreeMap<(String, String), &'a Aggregate>,
}

fn category_grids<'a, K: Ord + Clone>(
    aggs: &'a [Aggregate],
    key: impl Fn(&Aggregate) -> Option<(K, String)>,
    labels: impl Fn(&Aggregate, &[&Aggregate]) -> (String, String),
    order: fn(&str) -> (usize, String),
) -> Vec<CategoryGrid<'a>> {
    let mut groups: BTreeMap<(Context, K), (String, Vec<&Aggregate>)> = BTreeMap::new();
    for a in aggs {
        if let Some((k, fixed)) = key(a) {
            groups.entry((Context::of(a), k)).or_insert_with(|| (fixed, Vec::new())).1.push(a);
        }
    }
    let mut out = Vec::new();
    for ((context, _), (fixed, members)) in groups {
        let mut by_label: BTreeMap<(String, String), Vec<&Aggregate>> = BTreeMap::new();
        for a in &members {
            by_label.entry(labels(a, &members)).or_default().push(a);
        }
        let cells: BTreeMap<(String, String), &Aggregate> =
            by_label.into_iter().filter_map(|(k, v)| most_draws(v).map(|c| (k, c))).collect();
        let mut train_labels: Vec<String> = cells.keys().map(|k| k.0.clone()).collect();
        let mut test_labels: Vec<String> = cells.keys().map(|k| k.1.clone()).collect();
        for l in [&mut train_labels, &mut test_labels] {
            l.sort_by_key(|s| order(s));
            l.dedup();
        }
        let row = train_labels.iter().any(|t| cells.keys().filter(|k| &k.0 == t).count() >= 2);
        let col = test_labels.iter().any(|t| cells.keys().filter(|k| &k.1 == t).count() >= 2);
        if row && col {
            out.push(CategoryGrid { context, fixed, train_labels, test_labels, cells });
        }
    }
    out
}

fn fmt_alpha(a: f64) -> String {
    let s = format!("{a:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" { "0".to_owned() } else { s.to_owned() }
}

/// α as the tables print it: up to three decimals, trailing zeros dropped.
pub(crate) fn alpha_str(a: f64) -> String {
    fmt_alpha(a)
}

/// Train law × test law grids at fixed (α_train, α_test > 0) and one placement on both sides.
pub(crate) fn law_grids(aggs: &[Aggregate]) -> Vec<CategoryGrid<'_>> {
    category_grids(
        aggs,
        |a| {
            (alpha_key(a.alpha_train) != 0
                && alpha_key(a.alpha_test) != 0
                && a.train_placement == a.test_placement)
                .then(|| {
                    (
                        (
                            alpha_key(a.alpha_train),
                            alpha_key(a.alpha_test),
                            a.train_placement.clone(),
                        ),
                        format!(
                            "α = ({}, {}), placement {}",
                            fmt_alpha(a.alpha_train),
                            fmt_alpha(a.alpha_test),
                            a.train_placement
                        ),
                    )
                })
        },
        |a, members| {
            // Show parameters only for laws measured with more than one parameter set.
            let label = |law: &str, params: &str| {
                let variants: BTreeSet<&str> = members
                    .iter()
                    .flat_map(|m| {
                        [
                            (m.train_law.as_str(), m.train_params.as_str()),
                            (&m.test_law, &m.test_params),
                        ]
                    })
                    .filter(|(l, _)| *l == law)
                    .map(|(_, p)| p)
                    .collect();
                if variants.len() > 1 { law_label(law, params) } else { law.to_owned() }
            };
            (label(&a.train_law, &a.train_params), label(&a.test_law, &a.test_params))
        },
        law_order,
    )
}

/// Train placement × test placement grids at fixed (α_train, α_test > 0) and one law (the same
/// on both sides).
pub(crate) fn placement_grids(aggs: &[Aggregate]) -> Vec<CategoryGrid<'_>> {
    category_grids(
        aggs,
        |a| {
            (alpha_key(a.alpha_train) != 0
                && alpha_key(a.alpha_test) != 0
                && a.train_law == a.test_law
                && a.train_params == a.test_params)
                .then(|| {
                    (
                        (
                            alpha_key(a.alpha_train),
                            alpha_key(a.alpha_test),
                            a.train_law.clone(),
                            a.train_params.clone(),
                        ),
                        format!(
                            "α = ({}, {}), law {}",
                            fmt_alpha(a.alpha_train),
                            fmt_alpha(a.alpha_test),
                            law_label(&a.train_law, &a.train_params)
                        ),
                    )
                })
        },
        |a, _| (a.train_placement.clone(), a.test_placement.clone()),
        placement_order,
    )
}

/// A balanced cell (α_train = α_test) with one law, parameters and placement on both sides;
/// the noise-free (0, 0) cell counts as balanced for every law.
pub(crate) fn is_balanced_same_side(a: &Aggregate) -> bool {
    same_alpha(a.alpha_train, a.alpha_test)
        && (alpha_key(a.alpha_train) == 0
            || (a.train_law == a.test_law
                && a.train_params == a.test_params
                && a.train_placement == a.test_placement))
}

/// Balanced curves: for each context and placement, one series per law: α → headline cell.
/// The (0, 0) cell of the context (if any) starts every series.
pub(crate) struct LawCurves<'a> {
    pub context: Context,
    pub placement: String,
    /// (law label, points sorted by α).
    pub series: Vec<(String, Vec<&'a Aggregate>)>,
}

pub(crate) fn law_curves(aggs: &[Aggregate]) -> Vec<LawCurves<'_>> {
    let balanced: Vec<&Aggregate> =
        aggs.iter().filter(|a| is_balanced_same_side(a) && !is_dropout(a)).collect();
    let mut groups: Groups<'_, (Context, String), (String, String)> = BTreeMap::new();
    for a in balanced.iter().filter(|a| alpha_key(a.alpha_train) != 0) {
        groups
            .entry((Context::of(a), a.train_placement.clone()))
            .or_default()
            .entry((a.train_law.clone(), a.train_params.clone()))
            .or_default()
            .push(a);
    }
    let mut out = Vec::new();
    for ((context, placement), laws) in groups {
        let zero: Vec<&Aggregate> = balanced
            .iter()
            .copied()
            .filter(|a| alpha_key(a.alpha_train) == 0 && Context::of(a) == context)
            .collect();
        let zero = most_draws(zero);
        let mut series = Vec::new();
        let mut keys: Vec<(String, String)> = laws.keys().cloned().collect();
        keys.sort_by_key(|(l, p)| law_order(&law_label(l, p)));
        for key in keys {
            let cells = &laws[&key];
            let mut points: Vec<&Aggregate> = sorted_unique(cells.iter().map(|c| c.alpha_train))
                .into_iter()
                .filter_map(|x| {
                    most_draws(cells.iter().copied().filter(|c| same_alpha(c.alpha_train, x)))
                })
                .collect();
            let noisy = points.len();
            if let Some(z) = zero {
                points.insert(0, z);
            }
            series.push((law_label(&key.0, &key.1), points, noisy));
        }
        if series.iter().any(|(_, _, noisy)| *noisy >= 2) {
            let series = series.into_iter().map(|(l, p, _)| (l, p)).collect();
            out.push(LawCurves { context, placement, series });
        }
    }
    out
}

/// Noise vs dropout (Fig. 2) for one dataset and test-set size: balanced standard-Gaussian
/// full-layer noise of the `ebm-ae` model, and dropout cells (model or law named dropout) at
/// x = α_train = c.
pub(crate) struct NoiseVsDropout<'a> {
    pub dataset: String,
    pub n_test: u64,
    pub noise: Vec<&'a Aggregate>,
    pub dropout: Vec<&'a Aggregate>,
}

pub(crate) fn is_dropout(a: &Aggregate) -> bool {
    a.model.contains("dropout") || a.train_law == "dropout"
}

pub(crate) fn noise_vs_dropout(aggs: &[Aggregate]) -> Vec<NoiseVsDropout<'_>> {
    let mut groups: BTreeMap<(String, u64), NoiseAndDropout<'_>> = BTreeMap::new();
    for a in aggs {
        let entry = groups.entry((a.dataset.clone(), a.n_test)).or_default();
        if is_dropout(a) {
            entry.1.push(a);
        } else if a.model == "ebm-ae"
            && is_balanced_same_side(a)
            && (alpha_key(a.alpha_train) == 0
                || (is_standard_gaussian(&a.train_law, &a.train_params)
                    && a.train_placement == "full"))
        {
            entry.0.push(a);
        }
    }
    groups
        .into_iter()
        .filter_map(|((dataset, n_test), (noise, dropout))| {
            let noise = pick_per_alpha_train(&noise);
            let dropout = pick_per_alpha_train(&dropout);
            (!noise.is_empty() && !dropout.is_empty() && (noise.len() >= 2 || dropout.len() >= 2))
                .then_some(NoiseVsDropout { dataset, n_test, noise, dropout })
        })
        .collect()
}

/// One cell per α_train: the balanced one (α_test = α_train) if any, else any; most draws.
fn pick_per_alpha_train<'a>(cells: &[&'a Aggregate]) -> Vec<&'a Aggregate> {
    sorted_unique(cells.iter().map(|c| c.alpha_train))
        .into_iter()
        .filter_map(|x| {
            let at_x: Vec<&Aggregate> =
                cells.iter().copied().filter(|c| same_alpha(c.alpha_train, x)).collect();
            let balanced: Vec<&Aggregate> =
                at_x.iter().copied().filter(|c| same_alpha(c.alpha_test, c.alpha_train)).collect();
            if balanced.is_empty() { most_draws(at_x) } else { most_draws(balanced) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_standard_gaussian_reads_params() {
        assert!(is_standard_gaussian("gaussian", ""));
        assert!(is_standard_gaussian("gaussian", "mean=0,std=1"));
        assert!(!is_standard_gaussian("gaussian", "mean=0,std=2"));
        assert!(!is_standard_gaussian("cauchy", ""));
    }

    #[test]
    fn alpha_str_trims() {
        assert_eq!(alpha_str(0.0), "0");
        assert_eq!(alpha_str(0.5), "0.5");
        assert_eq!(alpha_str(1.0), "1");
        assert_eq!(alpha_str(0.30000000000000004), "0.3");
    }
}
