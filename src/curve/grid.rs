//! The fixed logarithmic frequency grid every [`Response`](super::Response) lives on.
//!
//! Choice: `GRID_LEN = 1001` points `f_k = 20 Hz · 1000^(k/1000)`, i.e. 1000 equal steps
//! over the three decades 20 Hz–20 kHz, both ends exactly on the grid. The step ratio is
//! `10^(3/1000) ≈ 1.00693` (≈ 1/100 octave), finer than AutoEq's `DEFAULT_STEP = 1.01`
//! (≈ 1/70 octave, `AutoEq:autoeq/constants.py@07154ab4`), so a curve read from an AutoEq
//! CSV is sampled at least as densely as AutoEq itself samples it. Equal weights per grid
//! point are equal weights per log-frequency interval, i.e. a pink spectrum (used by the
//! loudness estimator, DSP_REFERENCE.md §5.2).

use std::sync::LazyLock;

/// Lowest grid frequency in Hz (AutoEq `DEFAULT_F_MIN`).
pub const GRID_MIN_HZ: f64 = 20.0;
/// Highest grid frequency in Hz (AutoEq `DEFAULT_F_MAX`).
pub const GRID_MAX_HZ: f64 = 20_000.0;
/// Number of grid points (1000 equal log steps).
pub const GRID_LEN: usize = 1001;

/// log10 of the step ratio between neighbouring grid points.
pub(crate) const LOG10_STEP: f64 = 3.0 / (GRID_LEN as f64 - 1.0);

/// Grid points per octave (≈ 100.3); used to turn smoothing windows in octaves into points.
pub fn points_per_octave() -> f64 {
    std::f64::consts::LOG10_2 / LOG10_STEP
}

static GRID: LazyLock<Vec<f64>> = LazyLock::new(|| (0..GRID_LEN).map(grid_point_hz).collect());

/// Frequency in Hz of grid point `k` (not limited to the grid's range, so callers can
/// extrapolate index arithmetic).
pub fn grid_point_hz(k: usize) -> f64 {
    GRID_MIN_HZ * 10f64.powf(k as f64 * LOG10_STEP)
}

/// The grid frequencies in Hz, ascending, `GRID_LEN` long.
pub fn grid_hz() -> &'static [f64] {
    &GRID
}

/// Linear interpolation of `db` in log frequency between points given in ascending order,
/// end values held outside them (and for a NaN query); 0 dB for no points. The one
/// interpolation rule of the project: importers, GraphicEQ nodes and grid resampling use it.
pub fn interpolate_log_f(freq_hz: &[f64], db: &[f64], at_hz: f64) -> f64 {
    let n = freq_hz.len().min(db.len());
    if n == 0 {
        return 0.0;
    }
    let (first_f, first_db) = (freq_hz[0], db[0]);
    let (last_f, last_db) = (freq_hz[n - 1], db[n - 1]);
    if at_hz.is_nan() || at_hz <= first_f {
        return first_db;
    }
    if at_hz >= last_f || n == 1 {
        return last_db;
    }
    // First index whose frequency is >= at_hz; 1 <= hi < n here.
    let hi = freq_hz[..n].partition_point(|&f| f < at_hz).clamp(1, n - 1);
    let (f0, f1, d0, d1) = (freq_hz[hi - 1], freq_hz[hi], db[hi - 1], db[hi]);
    // In log10 f, as AutoEq's `InterpolatedUnivariateSpline(k=1)` on log10 f.
    let (x0, x1) = (f0.log10(), f1.log10());
    let t = (at_hz.log10() - x0) / (x1 - x0);
    d0 + t * (d1 - d0)
}

/// Fractional grid index of `freq_hz` (0 at 20 Hz, `GRID_LEN − 1` at 20 kHz); NaN, zero and
/// negative inputs map to 0 so that lookups on bad input hold the lowest value.
pub(crate) fn fractional_index(freq_hz: f64) -> f64 {
    if freq_hz.is_nan() || freq_hz <= 0.0 || freq_hz.is_infinite() {
        return if freq_hz == f64::INFINITY {
            (GRID_LEN - 1) as f64
        } else {
            0.0
        };
    }
    ((freq_hz / GRID_MIN_HZ).log10() / LOG10_STEP).clamp(0.0, (GRID_LEN - 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_are_exact_and_step_is_finer_than_autoeq() {
        let g = grid_hz();
        assert_eq!(g.len(), GRID_LEN);
        assert!((g[0] - 20.0).abs() < 1e-12);
        assert!((g[GRID_LEN - 1] - 20_000.0).abs() < 1e-8);
        let step = g[1] / g[0];
        assert!(step < 1.01 && step > 1.0069, "{step}");
        assert!((points_per_octave() - 100.34).abs() < 0.01);
    }

    #[test]
    fn fractional_index_round_trips() {
        for k in [0, 1, 500, 999, 1000] {
            let f = grid_point_hz(k);
            assert!((fractional_index(f) - k as f64).abs() < 1e-9);
        }
        assert_eq!(fractional_index(f64::NAN), 0.0);
        assert_eq!(fractional_index(-5.0), 0.0);
        assert_eq!(fractional_index(1e9), 1000.0);
        assert_eq!(fractional_index(f64::INFINITY), 1000.0);
    }
}
