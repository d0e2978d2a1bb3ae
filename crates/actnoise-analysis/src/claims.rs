//! Checking the paper's claims against the measured data.
//!
//! The rule: each value carries an uncertainty u (the SEM over seeds when n ≥ 2; with one seed,
//! the larger half of the cell's 95 % Wilson interval). A mean of k values carries
//! √(Σ uᵢ²)/k. "A beats B" only when a − b > √(u_a² + u_b²), the combined uncertainty.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::{Aggregate, alpha_key, same_alpha};
use crate::select::{
    ASYMMETRIC_LAWS, Context, Grid, Groups, SYMMETRIC_LAWS, alpha_str, grids,
    is_balanced_same_side, law_label, most_draws,
};

/// The outcome of checking one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Every comparison the data allow goes the paper's way by more than the combined
    /// uncertainty.
    Supported,
    /// At least one comparison does not.
    NotSupported,
    /// No comparison is possible; the string says what data are needed.
    NotEnoughData(String),
}

impl std::fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Supported => f.write_str("supported"),
            Self::NotSupported => f.write_str("not supported"),
            Self::NotEnoughData(needs) => write!(f, "not enough data (needs {needs})"),
        }
    }
}

/// One of the paper's claims, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// 1 to 5.
    pub number: u8,
    /// The claim, in words.
    pub statement: String,
    /// The verdict.
    pub status: ClaimStatus,
    /// One line per comparison made, with the numbers and uncertainties (in %).
    pub details: Vec<String>,
}

/// A value with its uncertainty (fractions).
#[derive(Debug, Clone, Copy)]
struct Val {
    mean: f64,
    unc: f64,
}

impl Val {
    fn of(a: &Aggregate) -> Self {
        Self { mean: a.mean, unc: a.uncertainty() }
    }

    fn mean_of(vals: &[Val]) -> Self {
        let k = vals.len() as f64;
        Self {
            mean: vals.iter().map(|v| v.mean).sum::<f64>() / k,
            unc: vals.iter().map(|v| v.unc * v.unc).sum::<f64>().sqrt() / k,
        }
    }
}

/// a − b, the combined uncertainty, and whether a beats b under the rule.
fn beats(a: Val, b: Val) -> (f64, f64, bool) {
    let diff = a.mean - b.mean;
    let combined = (a.unc * a.unc + b.unc * b.unc).sqrt();
    (diff, combined, diff > combined)
}

fn pct(v: Val) -> String {
    format!("{:.2} ± {:.2} %", 100.0 * v.mean, 100.0 * v.unc)
}

fn cell_desc(a: &Aggregate) -> String {
    let seeds = if a.n == 1 { "1 seed, Wilson".to_owned() } else { format!("{} seeds, SEM", a.n) };
    format!(
        "({}, {}) n={}: {} ({seeds})",
        alpha_str(a.alpha_train),
        alpha_str(a.alpha_test),
        a.draws,
        pct(Val::of(a))
    )
}

fn comparison(diff: f64, combined: f64) -> String {
    format!("difference {:+.2} pp, combined uncertainty {:.2} pp", 100.0 * diff, 100.0 * combined)
}

fn verdict(results: &[bool], needs: &str) -> ClaimStatus {
    if results.is_empty() {
        ClaimStatus::NotEnoughData(needs.to_owned())
    } else if results.iter().all(|r| *r) {
        ClaimStatus::Supported
    } else {
        ClaimStatus::NotSupported
    }
}

/// Grids of the generative EBM with activation noise (not dropout).
fn noise_grids(aggs: &[Aggregate]) -> Vec<Grid<'_>> {
    grids(aggs)
        .into_iter()
        .filter(|g| {
            g.context.model == "ebm-ae" && !matches!(g.side.law.as_str(), "dropout" | "none")
        })
        .collect()
}

/// Checks the paper's five claims on aggregated data (see the module docs for the rule).
pub fn evaluate_claims(aggs: &[Aggregate]) -> Vec<Claim> {
    let grids = noise_grids(aggs);
    vec![
        claim_noise_helps(&grids),
        claim_diagonal(&grids),
        claim_test_above_train(&grids),
        claim_symmetric_laws(aggs),
        claim_full_placement(aggs),
    ]
}

fn claim_noise_helps(grids: &[Grid<'_>]) -> Claim {
    let mut results = Vec::new();
    let mut details = Vec::new();
    for g in grids {
        let Some(base) = g.headline(0.0, 0.0) else { continue };
        let Some(best) = g
            .cells
            .iter()
            .copied()
            .filter(|c| alpha_key(c.alpha_train) != 0 || alpha_key(c.alpha_test) != 0)
            .max_by(|a, b| a.mean.total_cmp(&b.mean))
        else {
            continue;
        };
        let (diff, combined, ok) = beats(Val::of(best), Val::of(base));
        results.push(ok);
        details.push(format!(
            "{}: best noisy cell {} vs noise-free {}: {} → {}",
            g.label(),
            cell_desc(best),
            cell_desc(base),
            comparison(diff, combined),
            if ok { "supports" } else { "does not support" }
        ));
    }
    Claim {
        number: 1,
        statement: "Activation noise improves accuracy: the best noisy (α_train, α_test) cell beats the noise-free (0, 0) cell.".into(),
        status: verdict(&results, "a (0, 0) cell and at least one noisy cell of the ebm-ae model in one experiment"),
        details,
    }
}

fn claim_diagonal(grids: &[Grid<'_>]) -> Claim {
    let mut rows_ok = Vec::new();
    let mut any_resolved = false;
    let mut details = Vec::new();
    for g in grids {
        let tests = g.alphas_test();
        for at in g.alphas_train() {
            let Some(diag) = g.headline(at, at) else { continue };
            let others: Vec<&Aggregate> = tests
                .iter()
                .filter(|&&t| !same_alpha(t, at))
                .filter_map(|&t| g.headline(at, t))
                .collect();
            let Some(best_other) = others.iter().copied().max_by(|a, b| a.mean.total_cmp(&b.mean))
            else {
                continue;
            };
            // Contradicted if an off-diagonal cell beats the diagonal beyond the uncertainty.
            let (diff, combined, contradicted) = beats(Val::of(best_other), Val::of(diag));
            // Resolved if the diagonal beats every off-diagonal cell beyond the uncertainty.
            let resolved = others.iter().all(|o| beats(Val::of(diag), Val::of(o)).2);
            any_resolved |= resolved;
            rows_ok.push(!contradicted);
            let word = if contradicted {
                "an off-diagonal cell is better → contradicts"
            } else if resolved {
                "diagonal best beyond the uncertainty → supports"
            } else if diff <= 0.0 {
                "diagonal is the argmax, not resolved from every other cell"
            } else {
                "diagonal within the uncertainty of the argmax"
            };
            details.push(format!(
                "{}: α_train = {}: diagonal {} vs best other {}: {} → {word}",
                g.label(),
                alpha_str(at),
                cell_desc(diag),
                cell_desc(best_other),
                comparison(-diff, combined),
            ));
        }
    }
    let mut status = verdict(
        &rows_ok,
        "an α grid where some α_train is measured at α_test = α_train and at another α_test",
    );
    if status == ClaimStatus::Supported && !any_resolved {
        // Nothing contradicts the claim, but no row shows the diagonal better than the
        // alternatives beyond the uncertainty either.
        status = ClaimStatus::NotSupported;
        details.push(
            "No row resolves the diagonal from its alternatives beyond the combined uncertainty."
                .into(),
        );
    }
    Claim {
        number: 2,
        statement: "The diagonal is best: for each α_train the best α_test is α_test = α_train (within the uncertainty), and for at least one α_train the diagonal beats every other α_test beyond it.".into(),
        status,
        details,
    }
}

fn claim_test_above_train(grids: &[Grid<'_>]) -> Claim {
    let mut results = Vec::new();
    let mut details = Vec::new();
    for g in grids {
        let heads = g.headlines();
        let above: Vec<Val> = heads
            .iter()
            .filter(|c| alpha_key(c.alpha_test) > alpha_key(c.alpha_train))
            .map(|c| Val::of(c))
            .collect();
        let below: Vec<Val> = heads
            .iter()
            .filter(|c| alpha_key(c.alpha_test) < alpha_key(c.alpha_train))
            .map(|c| Val::of(c))
            .collect();
        if above.is_empty() || below.is_empty() {
            continue;
        }
        let (a, b) = (Val::mean_of(&above), Val::mean_of(&below));
        let (diff, combined, ok) = beats(b, a);
        results.push(ok);
        details.push(format!(
            "{}: mean of {} cells with α_test < α_train {} vs mean of {} cells with α_test > α_train {}: {} → {}",
            g.label(),
            below.len(),
            pct(b),
            above.len(),
            pct(a),
            comparison(diff, combined),
            if ok { "supports" } else { "does not support" }
        ));
        // Mirrored pairs, for information.
        for c in heads.iter().filter(|c| alpha_key(c.alpha_test) > alpha_key(c.alpha_train)) {
            if let Some(m) = g.headline(c.alpha_test, c.alpha_train) {
                let (d, u, w) = beats(Val::of(m), Val::of(c));
                details.push(format!(
                    "  mirrored pair: {} vs {}: {}{}",
                    cell_desc(m),
                    cell_desc(c),
                    comparison(d, u),
                    if w { " (more train noise better)" } else { "" }
                ));
            }
        }
    }
    Claim {
        number: 3,
        statement: "Test noise above training noise hurts most: cells with α_test < α_train score higher on average than cells with α_test > α_train.".into(),
        status: verdict(&results, "an α grid with cells on both sides of the diagonal"),
        details,
    }
}

/// Balanced noisy cells with one law and placement on both sides, grouped by context and
/// placement: (law, params, α) → headline.
type LawCells<'a> = BTreeMap<(Context, String), BTreeMap<(String, String, i64), &'a Aggregate>>;

fn balanced_law_cells(aggs: &[Aggregate]) -> LawCells<'_> {
    let mut groups: Groups<'_, (Context, String), (String, String, i64)> = BTreeMap::new();
    for a in aggs.iter().filter(|a| is_balanced_same_side(a) && alpha_key(a.alpha_train) != 0) {
        groups
            .entry((Context::of(a), a.train_placement.clone()))
            .or_default()
            .entry((a.train_law.clone(), a.train_params.clone(), alpha_key(a.alpha_train)))
            .or_default()
            .push(a);
    }
    groups
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                v.into_iter()
                    .filter_map(|(k2, cells)| most_draws(cells).map(|c| (k2, c)))
                    .collect(),
            )
        })
        .collect()
}

fn claim_symmetric_laws(aggs: &[Aggregate]) -> Claim {
    let mut results = Vec::new();
    let mut details = Vec::new();
    for ((context, placement), cells) in balanced_law_cells(aggs) {
        let is_sym = |l: &str| SYMMETRIC_LAWS.contains(&l);
        let is_asym = |l: &str| ASYMMETRIC_LAWS.contains(&l);
        let alphas_sym: BTreeSet<i64> =
            cells.keys().filter(|k| is_sym(&k.0)).map(|k| k.2).collect();
        let alphas_asym: BTreeSet<i64> =
            cells.keys().filter(|k| is_asym(&k.0)).map(|k| k.2).collect();
        let common: BTreeSet<i64> = alphas_sym.intersection(&alphas_asym).copied().collect();
        if common.is_empty() {
            continue;
        }
        let pick = |pred: &dyn Fn(&str) -> bool| -> (Vec<Val>, BTreeSet<String>) {
            let chosen: Vec<_> =
                cells.iter().filter(|(k, _)| pred(&k.0) && common.contains(&k.2)).collect();
            (
                chosen.iter().map(|(_, c)| Val::of(c)).collect(),
                chosen.iter().map(|(k, _)| law_label(&k.0, &k.1)).collect(),
            )
        };
        let (sym, sym_laws) = pick(&is_sym);
        let (asym, asym_laws) = pick(&is_asym);
        let (s, a) = (Val::mean_of(&sym), Val::mean_of(&asym));
        let (diff, combined, ok) = beats(s, a);
        results.push(ok);
        let alphas: Vec<String> = common.iter().map(|k| alpha_str(*k as f64 * 1e-9)).collect();
        details.push(format!(
            "{} · placement {placement}: at balanced α ∈ {{{}}}: symmetric laws [{}] mean {} over {} cells vs asymmetric [{}] mean {} over {} cells: {} → {}",
            context.label(),
            alphas.join(", "),
            sym_laws.into_iter().collect::<Vec<_>>().join(", "),
            pct(s),
            sym.len(),
            asym_laws.into_iter().collect::<Vec<_>>().join(", "),
            pct(a),
            asym.len(),
            comparison(diff, combined),
            if ok { "supports" } else { "does not support" }
        ));
    }
    Claim {
        number: 4,
        statement: "Symmetric noise laws (Gaussian, Cauchy, Student t, uniform) beat asymmetric ones (lognormal, chi, exponential) at the same balanced α.".into(),
        status: verdict(
            &results,
            "balanced cells (α_train = α_test > 0, same law in training and test) for at least one symmetric and one asymmetric law at a common α",
        ),
        details,
    }
}

fn claim_full_placement(aggs: &[Aggregate]) -> Claim {
    let mut results = Vec::new();
    let mut details = Vec::new();
    // (context, law, params) → placement → α → headline
    let mut groups: BTreeMap<(Context, String, String), Groups<'_, String, i64>> = BTreeMap::new();
    for a in aggs.iter().filter(|a| is_balanced_same_side(a) && alpha_key(a.alpha_train) != 0) {
        groups
            .entry((Context::of(a), a.train_law.clone(), a.train_params.clone()))
            .or_default()
            .entry(a.train_placement.clone())
            .or_default()
            .entry(alpha_key(a.alpha_train))
            .or_default()
            .push(a);
    }
    for ((context, law, params), placements) in groups {
        let Some(full) = placements.get("full") else { continue };
        for (placement, partial) in placements.iter().filter(|(p, _)| p.as_str() != "full") {
            let common: Vec<i64> =
                full.keys().filter(|k| partial.contains_key(k)).copied().collect();
            if common.is_empty() {
                continue;
            }
            let vals = |m: &BTreeMap<i64, Vec<&Aggregate>>| -> Vec<Val> {
                common
                    .iter()
                    .filter_map(|k| most_draws(m[k].iter().copied()).map(Val::of))
                    .collect()
            };
            let (f, p) = (Val::mean_of(&vals(full)), Val::mean_of(&vals(partial)));
            let (diff, combined, ok) = beats(f, p);
            results.push(ok);
            let alphas: Vec<String> = common.iter().map(|k| alpha_str(*k as f64 * 1e-9)).collect();
            details.push(format!(
                "{} · {}: at balanced α ∈ {{{}}}: full {} vs {placement} {}: {} → {}",
                context.label(),
                law_label(&law, &params),
                alphas.join(", "),
                pct(f),
                pct(p),
                comparison(diff, combined),
                if ok { "supports" } else { "does not support" }
            ));
        }
    }
    Claim {
        number: 5,
        statement: "Noise on all layers beats every partial placement (odd, even, encoder, decoder, ...) with the same law and balanced α.".into(),
        status: verdict(
            &results,
            "balanced cells with train placement = test placement, for \"full\" and at least one partial placement at a common α",
        ),
        details,
    }
}
