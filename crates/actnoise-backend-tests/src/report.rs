//! The JSON file one run writes: what `cargo xtask backends` reads and compares with flex's.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

/// How a check is judged by `cargo xtask backends`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// Deterministic values, compared element-wise with flex's.
    Exact,
    /// Statistics that pass when every value is ≤ the check's own threshold.
    Statistic,
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Name shared by every backend.
    pub name: String,
    /// The values (NaN and ±∞ are written as JSON `null`).
    pub values: Vec<f64>,
    /// How the check is judged.
    pub kind: CheckKind,
    /// Pass threshold of a statistic; `None` for exact checks.
    pub threshold: Option<f64>,
    /// Exact checks: the magnitude below which differences are judged absolutely
    /// (`|a − b| ≤ tol · max(|b|, scale)`); `None` for purely relative checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

impl Check {
    /// An exact check judged relative to each reference value (values far from 0).
    pub fn relative(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self { name: name.into(), values, kind: CheckKind::Exact, threshold: None, scale: None }
    }

    /// An exact check whose values near 0 are judged against `scale` instead of themselves.
    pub fn scaled(name: impl Into<String>, values: Vec<f64>, scale: f64) -> Self {
        Self { scale: Some(scale), ..Self::relative(name, values) }
    }

    /// A statistic that passes when every value is ≤ `threshold`.
    pub fn statistic(name: impl Into<String>, values: Vec<f64>, threshold: f64) -> Self {
        Self {
            name: name.into(),
            values,
            kind: CheckKind::Statistic,
            threshold: Some(threshold),
            scale: None,
        }
    }
}

/// Everything one backend run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Backend name, as `--backend` spells it.
    pub backend: String,
    /// The device, in words.
    pub device: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// Writes the report as JSON to `path`, through a temporary file and a rename.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec(self).context("serializing the report")?;
        actnoise_nn::write_atomic(path, &json)
            .with_context(|| format!("writing the report to {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_writes_json_with_nulls_for_non_finite_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flex.json");
        let report = Report {
            backend: "flex".into(),
            device: "cpu".into(),
            checks: vec![
                Check::relative("energies", vec![1.5, f64::NAN]),
                Check::scaled("recon", vec![0.25], 1.0),
                Check::statistic("ks", vec![0.01], 0.02),
            ],
        };
        report.write(&path).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["backend"], "flex");
        let checks = json["checks"].as_array().unwrap();
        assert_eq!(checks[0]["values"][1], serde_json::Value::Null);
        assert_eq!(checks[0]["kind"], "exact");
        assert!(checks[0].get("scale").is_none());
        assert_eq!(checks[1]["scale"], 1.0);
        assert_eq!(checks[2]["kind"], "statistic");
        assert_eq!(checks[2]["threshold"], 0.02);
    }
}
