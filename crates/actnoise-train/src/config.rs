use serde::{Deserialize, Serialize};

use crate::{Result, TrainError};

/// The reconstruction loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Mean squared error (the paper's choice).
    #[default]
    Mse,
    /// Binary cross-entropy on pixels in [0, 1]; the reconstruction is clamped to
    /// [1e-6, 1 − 1e-6] first, because output-layer noise can push it outside (0, 1).
    Bce,
}

/// `[train]` of a config. Defaults are the paper's (Section 4.3): Adam, learning rate 1e-3,
/// default moments (β₁ 0.9, β₂ 0.999) and PyTorch's ε = 1e-8 (Burn's own default is 1e-5),
/// batch 256, 100 epochs, MSE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Epochs (see the crate docs for what an epoch is when classes differ in size).
    pub epochs: usize,
    /// Images per class per step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Adam β₁.
    pub beta1: f32,
    /// Adam β₂.
    pub beta2: f32,
    /// Adam ε.
    pub epsilon: f32,
    /// Reconstruction loss.
    pub loss: Loss,
    /// Images per class on which the clean and noisy losses are measured after each epoch.
    pub metric_images: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 256,
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            loss: Loss::Mse,
            metric_images: 256,
        }
    }
}

impl TrainConfig {
    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<()> {
        let bad = |key, value: String, why: &str| {
            Err(TrainError::Config { key, value, why: why.to_string() })
        };
        if self.batch_size == 0 {
            return bad("batch_size", "0".into(), "must be ≥ 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", self.lr.to_string(), "must be a finite number > 0");
        }
        for (key, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(key, v.to_string(), "must be in [0, 1)");
            }
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return bad("epsilon", self.epsilon.to_string(), "must be > 0");
        }
        if self.metric_images == 0 {
            return bad("metric_images", "0".into(), "must be ≥ 1");
        }
        Ok(())
    }
}
