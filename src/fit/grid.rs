//! The optimiser's frequency grid and the resampling of arbitrary input curves onto it.
//!
//! AutoEq fits on `generate_frequencies(20, 20000, 1.02)`: `f = 20; while f <= 20000:
//! f *= 1.02` (349 points, 20 Hz…19.7 kHz), after linear interpolation in `log10 f`
//! (`frequency_response.py@02d6a1e5`, `interpolate()`; DSP_REFERENCE.md §2.2).

use super::FitError;

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

/// Values beyond this magnitude are not levels of any real curve (their squares could
/// overflow the loss), so they are treated like NaN, dB.
pub const MAX_ABS_VALUE_DB: f64 = 1000.0;

/// A curve cleaned for interpolation: points with finite positive frequencies and finite
/// values within ±[`MAX_ABS_VALUE_DB`], sorted by frequency, duplicates merged (the later
/// value wins, as in a re-measured point).
#[derive(Debug, Clone)]
pub(crate) struct CleanCurve {
    log_f: Vec<f64>,
    db: Vec<f64>,
}

impl CleanCurve {
    /// Cleans `(freq_hz, value_db)`; errors when the slices differ in length or fewer than
    /// two usable points remain.
    pub(crate) fn new(freq_hz: &[f64], value_db: &[f64]) -> Result<Self, FitError> {
        if freq_hz.len() != value_db.len() {
            return Err(FitError::LengthMismatch {
                freq_len: freq_hz.len(),
                value_len: value_db.len(),
            });
        }
        let mut points: Vec<(f64, f64)> = freq_hz
            .iter()
            .zip(value_db)
            .filter(|(f, v)| f.is_finite() && **f > 0.0 && v.abs() <= MAX_ABS_VALUE_DB)
            .map(|(&f, &v)| (f, v))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut log_f: Vec<f64> = Vec::with_capacity(points.len());
        let mut db: Vec<f64> = Vec::with_capacity(points.len());
        for (f, v) in points {
            let lf = f.log10();
            match (log_f.last(), db.last_mut()) {
                (Some(&last), Some(last_db)) if last == lf => *last_db = v,
                _ => {
                    log_f.push(lf);
                    db.push(v);
                }
            }
        }
        if log_f.len() < 2 {
            return Err(FitError::TooFewPoints {
                usable: log_f.len(),
                total: freq_hz.len(),
            });
        }
        Ok(Self { log_f, db })
    }

    /// Linear interpolation in `log10 f`, holding the end values outside the measured band
    /// (AutoEq extrapolates linearly; holding is safer for curves that stop early).
    pub(crate) fn resample(&self, freq_hz: &[f64]) -> Vec<f64> {
        let (xs, ys) = (&self.log_f, &self.db);
        let last = xs.len() - 1;
        let mut seg = 0usize;
        freq_hz
            .iter()
            .map(|&f| {
                let x = f.log10();
                if x <= xs[0] {
                    return ys[0];
                }
                if x >= xs[last] {
                    return ys[last];
                }
                // Query frequencies are usually increasing: walk forward, restart otherwise.
                if x < xs[seg] {
                    seg = 0;
                }
                while seg + 1 < last && xs[seg + 1] <= x {
                    seg += 1;
                }
                let t = (x - xs[seg]) / (xs[seg + 1] - xs[seg]);
                ys[seg] + t * (ys[seg + 1] - ys[seg])
            })
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
    fn cleaning_sorts_and_drops_bad_points() {
        let c = CleanCurve::new(
            &[1000.0, f64::NAN, 100.0, -5.0, 100.0, 500.0, 700.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, f64::INFINITY, -1e256],
        )
        .unwrap();
        assert_eq!(c.log_f.len(), 2);
        assert_eq!(c.db, vec![5.0, 1.0]);
        assert!(matches!(
            CleanCurve::new(&[1.0], &[1.0, 2.0]),
            Err(FitError::LengthMismatch { .. })
        ));
        assert!(matches!(
            CleanCurve::new(&[f64::NAN, 3.0], &[1.0, f64::NAN]),
            Err(FitError::TooFewPoints { usable: 0, .. })
        ));
    }

    #[test]
    fn nearest_index_prefers_the_first_on_ties() {
        assert_eq!(nearest_index(&[1.0, 3.0, 5.0], 2.0), 0);
        assert_eq!(nearest_index(&[1.0, 3.0, 5.0], 4.9), 2);
    }
}
