//! The crate's error type.

/// What can go wrong when building a noise law, a scaled noise or a noise config.
///
/// Every message names the law (or config entry), the parameter and the offending value, and
/// says what a valid value looks like, so a bad config fails at load with a fixable message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoiseError {
    /// A law parameter is outside its domain (or is NaN / ±∞).
    #[error(
        "noise law `{law}`: parameter `{param}` = {value} is invalid; it must be {requirement}"
    )]
    InvalidParameter {
        /// The law's name, as in configs (`"gaussian"`, `"negate"`, …).
        law: &'static str,
        /// The parameter's name, as in configs (`"std"`, `"p"`, …).
        param: &'static str,
        /// The rejected value.
        value: f64,
        /// What the parameter must be, e.g. `"finite and > 0"`.
        requirement: &'static str,
    },
    /// The noise scale α is negative, NaN or infinite.
    #[error("noise scale `alpha` = {value} is invalid; it must be finite and >= 0")]
    InvalidAlpha {
        /// The rejected α.
        value: f64,
    },
    /// Mean-centring was asked for a law whose mean does not exist.
    #[error(
        "noise law `{law}` ({params}) has no finite mean ({mean}), so it cannot be centred; \
         set `centered = false` or pick a law with a finite mean"
    )]
    NoFiniteMean {
        /// The law's name.
        law: &'static str,
        /// The law's parameters, as `NoiseLaw::params` prints them.
        params: String,
        /// What the mean is (`"undefined"` or `"infinite"`).
        mean: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, NoiseError>;

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(law: &'static str, param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(NoiseError::InvalidParameter { law, param, value, requirement: "finite and > 0" })
    }
}

/// Checks that `value` is finite and non-negative.
pub(crate) fn non_negative(law: &'static str, param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(NoiseError::InvalidParameter { law, param, value, requirement: "finite and >= 0" })
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(law: &'static str, param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(NoiseError::InvalidParameter { law, param, value, requirement: "finite" })
    }
}

/// Checks that `value` is a probability in `[0, 1]`.
pub(crate) fn probability(law: &'static str, param: &'static str, value: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(NoiseError::InvalidParameter { law, param, value, requirement: "in [0, 1]" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_message_names_law_param_and_value() {
        let err = positive("gaussian", "std", -2.5).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("gaussian"), "{msg}");
        assert!(msg.contains("std"), "{msg}");
        assert!(msg.contains("-2.5"), "{msg}");
    }

    #[test]
    fn validators_reject_non_finite() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(positive("l", "p", bad).is_err());
            assert!(non_negative("l", "p", bad).is_err());
            assert!(finite("l", "p", bad).is_err());
            assert!(probability("l", "p", bad).is_err());
        }
        assert!(positive("l", "p", 0.0).is_err());
        assert!(non_negative("l", "p", 0.0).is_ok());
        assert!(non_negative("l", "p", -0.0).is_ok());
        assert!(probability("l", "p", 1.0).is_ok());
        assert!(probability("l", "p", 1.0 + 1e-12).is_err());
    }
}
