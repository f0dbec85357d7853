//! [`Response`]: a magnitude curve in dB on the fixed log grid, with AutoEq-style verbs.

use super::CENTER_HZ;
use super::grid::{
    GRID_LEN, GRID_MAX_HZ, GRID_MIN_HZ, fractional_index, grid_hz, interpolate_log_f,
};
use super::points::{self, PointError};
use super::smoothing::Smoothing;
use crate::filter::{Coefficients, FilterSpec};
use std::ops::{Add, Neg, Sub};

/// A magnitude response in dB on the fixed grid ([`grid_hz`]), plus the band it was measured
/// over (outside it the values are held constants, and a correction fades to 0 dB there).
///
/// Invariant: every value is finite and within ±[`Response::MAX_ABS_GAIN_DB`]; every verb
/// keeps it (non-finite results become 0 dB, out-of-range results are clamped).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    gain_db: Vec<f64>,
    band_hz: (f64, f64),
}

impl Default for Response {
    fn default() -> Self {
        Self::flat()
    }
}

impl Response {
    /// Largest |gain| accepted from users, in dB. Generous enough for uncentred SPL data,
    /// small enough that sums of curves and `10^(dB/10)` stay finite.
    pub const MAX_ABS_GAIN_DB: f64 = 1000.0;

    /// 0 dB everywhere, known over the whole grid.
    pub fn flat() -> Self {
        Self {
            gain_db: vec![0.0; GRID_LEN],
            band_hz: (GRID_MIN_HZ, GRID_MAX_HZ),
        }
    }

    /// Builds a curve from measured points under the project's one rule for points
    /// ([`points::clean`]: usable values, sorted, first of repeated frequencies kept, two
    /// points within 20 Hz–20 kHz). Values are interpolated linearly in log frequency onto
    /// the grid (AutoEq `interpolate()`, `InterpolatedUnivariateSpline(k=1)` on log10 f) and
    /// held constant outside the points; the points' span is remembered as
    /// [`Response::band_hz`].
    pub fn from_points(freq_hz: &[f64], gain_db: &[f64]) -> Result<Self, PointError> {
        let clean = points::clean(freq_hz, gain_db)?;
        let (f, g) = (&clean.freq_hz, &clean.db);
        let band = (f[0], f[f.len() - 1]);
        let gains = grid_hz()
            .iter()
            .map(|&at| interpolate_log_f(f, g, at))
            .collect();
        Ok(Self::from_raw(gains, band))
    }

    /// [`Response::from_points`] for `[freq_hz, gain_db]` pairs (the preset table layout).
    pub fn from_pairs(points: &[[f64; 2]]) -> Result<Self, PointError> {
        let freq: Vec<f64> = points.iter().map(|p| p[0]).collect();
        let gain: Vec<f64> = points.iter().map(|p| p[1]).collect();
        Self::from_points(&freq, &gain)
    }

    /// A curve computed by a formula of frequency in Hz (known over the whole grid).
    pub fn from_fn(gain_db_at: impl Fn(f64) -> f64) -> Self {
        let gains = grid_hz().iter().map(|&f| gain_db_at(f)).collect();
        Self::from_raw(gains, (GRID_MIN_HZ, GRID_MAX_HZ))
    }

    /// The summed magnitude of a cascade of RBJ filters evaluated at `sample_rate_hz`.
    pub fn from_filters(filters: &[FilterSpec], sample_rate_hz: f64) -> Self {
        // Designed once, not at every grid point: the same numbers, a fraction of the time.
        let sections: Vec<Coefficients> = filters
            .iter()
            .map(|f| Coefficients::design(f, sample_rate_hz))
            .collect();
        Self::from_fn(|f| {
            sections
                .iter()
                .map(|c| c.magnitude_db(f, sample_rate_hz))
                .sum()
        })
    }

    /// Wraps grid values, enforcing the finite/clamped invariant.
    pub(crate) fn from_raw(mut gain_db: Vec<f64>, band_hz: (f64, f64)) -> Self {
        gain_db.resize(GRID_LEN, 0.0);
        for g in &mut gain_db {
            *g = sanitize(*g);
        }
        Self { gain_db, band_hz }
    }

    /// The values on the grid ([`grid_hz`]), in dB.
    pub fn values_db(&self) -> &[f64] {
        &self.gain_db
    }

    /// The measured band `(low_hz, high_hz)`: the span of the points the curve was built
    /// from (may extend beyond the grid). Curves built from formulas span the whole grid.
    pub fn band_hz(&self) -> (f64, f64) {
        self.band_hz
    }

    /// The same values with another measured band (e.g. an importer that knows better).
    pub fn with_band(mut self, low_hz: f64, high_hz: f64) -> Self {
        if low_hz.is_finite() && high_hz.is_finite() && low_hz > 0.0 && high_hz > low_hz {
            self.band_hz = (low_hz, high_hz);
        }
        self
    }

    /// Gain in dB at any frequency: linear in log frequency between grid points, held
    /// constant below 20 Hz and above 20 kHz (NaN or non-positive input reads 20 Hz).
    pub fn gain_at(&self, freq_hz: f64) -> f64 {
        let x = fractional_index(freq_hz);
        let i = (x.floor() as usize).min(GRID_LEN - 2);
        let t = x - i as f64;
        match (self.gain_db.get(i), self.gain_db.get(i + 1)) {
            (Some(a), Some(b)) => a + t * (b - a),
            _ => 0.0,
        }
    }

    /// [`Response::gain_at`] for many frequencies (e.g. an FFT bin grid for a FIR design).
    pub fn gains_at(&self, freq_hz: &[f64]) -> Vec<f64> {
        freq_hz.iter().map(|&f| self.gain_at(f)).collect()
    }

    /// Shifted so that the curve is 0 dB at 1 kHz (AutoEq `center()`).
    /// Idempotent: a curve already within 1e-12 dB of 0 at 1 kHz is returned unchanged, so
    /// centring twice gives bit-identical values.
    pub fn centered(self) -> Self {
        let at_1k = self.gain_at(CENTER_HZ);
        if at_1k.abs() < 1e-12 {
            return self;
        }
        self.offset(-at_1k)
    }

    /// Smoothed with AutoEq's default: 1/12 octave, 2 octaves in the treble, blended between
    /// 6 and 8 kHz (see [`Smoothing`]).
    pub fn smoothed(&self) -> Self {
        self.smoothed_with(&Smoothing::default())
    }

    /// Smoothed with the given settings (band kept).
    pub fn smoothed_with(&self, smoothing: &Smoothing) -> Self {
        Self::from_raw(smoothing.apply(&self.gain_db), self.band_hz)
    }

    /// Sum of two curves; the band is the intersection of both bands.
    pub fn plus(&self, other: &Self) -> Self {
        self.zip_with(other, |a, b| a + b)
    }

    /// Difference `self − other`; the band is the intersection of both bands.
    pub fn minus(&self, other: &Self) -> Self {
        self.zip_with(other, |a, b| a - b)
    }

    /// Every value multiplied by `factor` (e.g. an "amount"); a non-finite factor gives 0 dB.
    pub fn scaled(&self, factor: f64) -> Self {
        self.map(|_, g| g * factor)
    }

    /// Every value shifted by `offset_db`.
    pub fn offset(mut self, offset_db: f64) -> Self {
        for g in &mut self.gain_db {
            *g = sanitize(*g + offset_db);
        }
        self
    }

    /// Applies `f(freq_hz, gain_db)` point by point (band kept).
    pub fn map(&self, f: impl Fn(f64, f64) -> f64) -> Self {
        let gains = grid_hz()
            .iter()
            .zip(&self.gain_db)
            .map(|(&hz, &g)| f(hz, g))
            .collect();
        Self::from_raw(gains, self.band_hz)
    }

    /// Combines two curves point by point; the band is the intersection of both bands.
    pub fn zip_with(&self, other: &Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let gains = self
            .gain_db
            .iter()
            .zip(&other.gain_db)
            .map(|(&a, &b)| f(a, b))
            .collect();
        let low = self.band_hz.0.max(other.band_hz.0);
        let high = self.band_hz.1.min(other.band_hz.1);
        // Disjoint bands leave no measured region; keep a degenerate band at the meeting point.
        let band = if low <= high {
            (low, high)
        } else {
            (high, high)
        };
        Self::from_raw(gains, band)
    }

    /// Largest value on the grid, in dB.
    pub fn max_db(&self) -> f64 {
        self.gain_db
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Smallest value on the grid, in dB.
    pub fn min_db(&self) -> f64 {
        self.gain_db.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The grid frequencies and values as two vectors (for plotting or export).
    pub fn to_points(&self) -> (Vec<f64>, Vec<f64>) {
        (grid_hz().to_vec(), self.gain_db.clone())
    }
}

/// Keeps the invariant: non-finite → 0 dB, otherwise clamped to ±`MAX_ABS_GAIN_DB`.
fn sanitize(g: f64) -> f64 {
    if g.is_finite() {
        g.clamp(-Response::MAX_ABS_GAIN_DB, Response::MAX_ABS_GAIN_DB)
    } else {
        0.0
    }
}

impl Add for &Response {
    type Output = Response;
    fn add(self, rhs: &Response) -> Response {
        self.plus(rhs)
    }
}

impl Sub for &Response {
    type Output = Response;
    fn sub(self, rhs: &Response) -> Response {
        self.minus(rhs)
    }
}

impl Add for Response {
    type Output = Response;
    fn add(self, rhs: Response) -> Response {
        self.plus(&rhs)
    }
}

impl Sub for Response {
    type Output = Response;
    fn sub(self, rhs: Response) -> Response {
        self.minus(&rhs)
    }
}

impl Neg for &Response {
    type Output = Response;
    fn neg(self) -> Response {
        self.scaled(-1.0)
    }
}

impl Neg for Response {
    type Output = Response;
    fn neg(self) -> Response {
        self.scaled(-1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_linear_in_log_frequency_and_held_outside() {
        // 0 dB at 100 Hz, 10 dB at 10 kHz: 5 dB at the geometric mean 1 kHz.
        let r = Response::from_points(&[100.0, 10_000.0], &[0.0, 10.0]).unwrap();
        assert!((r.gain_at(1_000.0) - 5.0).abs() < 1e-9);
        assert!((r.gain_at(316.227_766) - 2.5).abs() < 1e-6);
        assert_eq!(r.gain_at(20.0), 0.0);
        assert_eq!(r.gain_at(50.0), 0.0);
        assert!((r.gain_at(15_000.0) - 10.0).abs() < 1e-12);
        assert_eq!(r.band_hz(), (100.0, 10_000.0));
    }

    #[test]
    fn centre_puts_1k_at_zero() {
        // A straight line in log f: 3 dB at 20 Hz to −1 dB at 20 kHz.
        let r = Response::from_points(&[20.0, 20_000.0], &[3.0, -1.0]).unwrap();
        let at_1k = 3.0 - 4.0 * 50f64.log10() / 3.0;
        let c = r.centered();
        assert!(c.gain_at(1_000.0).abs() < 1e-12);
        assert!((c.gain_at(20.0) - (3.0 - at_1k)).abs() < 1e-9);
        assert!((c.gain_at(20_000.0) - (-1.0 - at_1k)).abs() < 1e-9);
    }

    #[test]
    fn arithmetic_and_band_intersection() {
        let a = Response::from_points(&[50.0, 15_000.0], &[1.0, 1.0]).unwrap();
        let b = Response::from_points(&[30.0, 10_000.0], &[2.0, 2.0]).unwrap();
        let s = &a + &b;
        assert!((s.gain_at(1_000.0) - 3.0).abs() < 1e-12);
        assert_eq!(s.band_hz(), (50.0, 10_000.0));
        let d = &a - &b;
        assert!((d.gain_at(400.0) + 1.0).abs() < 1e-12);
        assert!((a.scaled(2.5).gain_at(400.0) - 2.5).abs() < 1e-12);
        assert!((a.clone().offset(-4.0).gain_at(400.0) + 3.0).abs() < 1e-12);
        assert!(((-&a).gain_at(400.0) + 1.0).abs() < 1e-12);
        assert!(a.scaled(f64::NAN).values_db().iter().all(|&g| g == 0.0));
    }

    #[test]
    fn points_follow_the_one_rule() {
        // Unsorted input is sorted, the first of repeated frequencies kept.
        let r = Response::from_points(&[1_000.0, 20.0, 1_000.0], &[4.0, 0.0, 9.0]).unwrap();
        assert_eq!(r.band_hz(), (20.0, 1_000.0));
        assert!((r.gain_at(5_000.0) - 4.0).abs() < 1e-12);
        assert!(matches!(
            Response::from_points(&[20.0, 30.0, 40.0], &[0.0, f64::NAN, 0.0]),
            Err(PointError::InvalidLevel { index: 1, .. })
        ));
        assert!(matches!(
            Response::from_points(&[20.0, 0.0], &[0.0, 0.0]),
            Err(PointError::InvalidFrequency { index: 1, .. })
        ));
        assert!(matches!(
            Response::from_points(&[1.0, 2.0], &[0.0, 0.0]),
            Err(PointError::TooFewInBand { .. })
        ));
        assert!(matches!(
            Response::from_points(&[1.0], &[]),
            Err(PointError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn filters_become_curves() {
        let ls = FilterSpec::low_shelf(105.0, 0.7, 6.0);
        let r = Response::from_filters(&[ls], 44_100.0);
        // DSP_REFERENCE.md §1.2: +5.99 dB at 20 Hz, +3.28 dB at 100 Hz.
        assert!((r.gain_at(20.0) - 5.99).abs() < 0.006);
        assert!((r.gain_at(100.0) - 3.28).abs() < 0.01);
    }
}
