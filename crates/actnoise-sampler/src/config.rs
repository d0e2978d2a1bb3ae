use serde::{Deserialize, Serialize};

/// `[eval.estimator]`: how the mean energy of each class is estimated. Every option is off by
/// default (plain averaging of independent draws, the paper's protocol); they combine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EstimatorConfig {
    /// Common random numbers: the same draw for every class of the bank.
    pub common: bool,
    /// Antithetic pairs z, −z (symmetric additive laws only).
    pub antithetic: bool,
    /// Compute the output layer's noise term α²·Var(z̄)·D exactly instead of sampling it.
    pub exact_output: bool,
    /// Stop drawing for an image once its class is decided.
    pub adaptive: bool,
    /// Adaptive: draws per round.
    pub round: usize,
    /// Adaptive: family-wise error rate of all eliminations of one image (Bonferroni over the
    /// C − 1 comparisons and every look). 0 never eliminates.
    pub error_rate: f64,
}

impl Default for EstimatorConfig {
    fn default() -> Self {
        Self {
            common: false,
            antithetic: false,
            exact_output: false,
            adaptive: false,
            round: 16,
            error_rate: 0.01,
        }
    }
}

impl EstimatorConfig {
    /// The label written in results: `plain` or the options joined with `+`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if self.common {
            parts.push("common");
        }
        if self.antithetic {
            parts.push("antithetic");
        }
        if self.exact_output {
            parts.push("exact-output");
        }
        if self.adaptive {
            parts.push("adaptive");
        }
        if parts.is_empty() { "plain".into() } else { parts.join("+") }
    }
}
