//! The optimiser's frequency grid and the resampling of arbitrary input curves onto it.
//!
//! AutoEq fits on `generate_frequencies(20, 20000, 1.02)`: `f = 20; while f <= 20000:
//! f *= 1.02` (349 points, 20 Hz…19.7 kHz), after linear interpolation in `log10 f`
//! (`frequency_response.py@02d6a1e5`, `interpolate()`; DSP_REFERENCE.md §2.2).

use super::FitError;
use crate::curve::grid::interpolate_log_f;
use crate::curve::points;

/// AutoEq's log grid from `min_hz` while `f <= max_hz`, multiplying by `step`.
pub fn log_grid(min_hz: f64, max_hz: f64, step: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if !(min_hz > 0.0 && max_hz.is_finite() && step > 1.0 && step.is_finite()) {
        return out;
    }
    let mut f = min_hz;
    while f <= max_hz {
        out.push(f);
        f *= step;
    }
    out
}

/// A curve checked for the fitter under the project's one rule for points
/// ([`crate::curve::points::clean`]), resampled with the one log-frequency interpolation
/// ([`crate::curve::grid::interpolate_log_f`]: linear in log f, end values held outside the
/// measured band, where AutoEq extrapolates linearly; holding is safer for curves that stop
/// early).
#[derive(Debug, Clone)]
pub(crate) struct CleanCurve {
    freq_hz: Vec<f64>,
    db: Vec<f64>,
}

impl CleanCurve {
    /// Checks `(freq_hz, value_db)`; errors name the first unusable point.
    pub(crate) fn new(freq_hz: &[f64], value_db: &[f64]) -> Result<Self, FitError> {
        let clean = points::clean(freq_hz, value_db)?;
        Ok(Self {
            freq_hz: clean.freq_hz,
            db: clean.db,
        })
    }

    /// The curve at each of `freq_hz`.
    pub(crate) fn resample(&self, freq_hz: &[f64]) -> Vec<f64> {
        freq_hz
            .iter()
            .map(|&f| interpolate_log_f(&self.freq_hz, &self.db, f))
            .collect()
    }
}

/// Index of the grid point nearest to `freq_hz` (numpy `argmin(abs(f − x))`, first on ties).
pub(crate) fn nearest_index(grid: &[f64], freq_hz: f64) -> usize {
    let mut best = 0;
    let mut best_d = f64::INFINITY;
    for (i, &f) in grid.iter().enumerate() {
        let d = (f - freq_hz).abs();
        if d < best_d {
            best_d = d;
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoeq_grid_has_349_points() {
        let g = log_grid(20.0, 20_000.0, 1.02);
        assert_eq!(g.len(), 349);
        assert_eq!(g[0], 20.0);
        assert!(g[348] < 20_000.0 && g[348] > 19_000.0);
        assert!(log_grid(20.0, 20_000.0, 1.0).is_empty());
        assert!(log_grid(f64::NAN, 20_000.0, 1.02).is_empty());
    }

    #[test]
    fn resample_is_linear_in_log_f_and_holds_the_ends() {
        let c = CleanCurve::new(&[100.0, 1000.0], &[0.0, 10.0]).unwrap();
        let r = c.resample(&[10.0, 100.0, 316.227_766, 1000.0, 5000.0]);
        let want = [0.0, 0.0, 5.0, 10.0, 10.0];
        for (a, b) in r.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn cleaning_follows_the_one_rule_for_points() {
        let c = CleanCurve::new(&[1000.0, 100.0, 100.0], &[1.0, 3.0, 5.0]).unwrap();
        assert_eq!(c.freq_hz, vec![100.0, 1000.0]);
        assert_eq!(c.db, vec![3.0, 1.0]);
        assert!(matches!(
            CleanCurve::new(&[1.0], &[1.0, 2.0]),
            Err(FitError::Curve(
                crate::curve::PointError::LengthMismatch { .. }
            ))
        ));
        assert!(matches!(
            CleanCurve::new(&[100.0, 3.0], &[1.0, f64::NAN]),
            Err(FitError::Curve(crate::curve::PointError::InvalidLevel {
                index: 1,
                ..
            }))
        ));
    }

    #[test]
    fn nearest_index_prefers_the_first_on_ties() {
        assert_eq!(nearest_index(&[1.0, 3.0, 5.0], 2.0), 0);
        assert_eq!(nearest_index(&[1.0, 3.0, 5.0], 4.9), 2);
    }
}
