//! Moments that may fail to exist.

use std::fmt;

/// A moment (mean or variance) of a law, which may not exist.
///
/// Heavy-tailed laws have no mean or an infinite variance: the Cauchy law has neither a mean
/// nor a variance ([`Moment::Undefined`]); Student's t with 1 < ν ≤ 2 has a mean but an
/// [`Moment::Infinite`] variance. These are reported as such, never as NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Moment {
    /// The moment exists and has this value.
    Finite(f64),
    /// The defining integral diverges to +∞ (e.g. the variance of Student's t with 1 < ν ≤ 2).
    Infinite,
    /// The defining integral does not converge at all (e.g. the mean of the Cauchy law).
    Undefined,
}

impl Moment {
    /// The value if the moment is finite.
    pub fn finite(self) -> Option<f64> {
        match self {
            Moment::Finite(value) => Some(value),
            Moment::Infinite | Moment::Undefined => None,
        }
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moment::Finite(value) => write!(f, "{value}"),
            Moment::Infinite => f.write_str("infinite"),
            Moment::Undefined => f.write_str("undefined"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moment_display_words() {
        assert_eq!(Moment::Undefined.to_string(), "undefined");
        assert_eq!(Moment::Infinite.to_string(), "infinite");
        assert_eq!(Moment::Finite(1.5).to_string(), "1.5");
        assert_eq!(Moment::Finite(2.0).finite(), Some(2.0));
        assert_eq!(Moment::Infinite.finite(), None);
    }
}
