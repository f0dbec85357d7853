//! The one rule for measured points, whoever brings them: importers (with file lines), curve
//! constructors ([`super::Response::from_points`]) and the fitter.
//!
//! A point is usable when its frequency is a finite number above 0 Hz and its level a finite
//! number within ±[`MAX_ABS_DB`] (absolute SPL files of 60–130 dB pass; beyond that it is
//! corrupt data, not a measurement). Any unusable point is an error that names it: a file
//! with one broken line is a broken file, not a curve with a hole. Order is repaired: points
//! are sorted by frequency (stable), and of repeated frequencies the first is kept, as a
//! file lists them; both repairs are reported so an importer can warn. At least two points
//! must lie within 20 Hz–20 kHz, or nothing of the audible band is known.

use super::grid::{GRID_MAX_HZ, GRID_MIN_HZ};
use thiserror::Error;

/// Largest magnitude of a usable level, in dB.
pub const MAX_ABS_DB: f64 = 200.0;

/// A number as messages show it: as written when it reads well, in exponent form when it is
/// huge or tiny, so a 300-digit value in a user's file does not become a 300-digit message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown(pub f64);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if !x.is_finite() || x == 0.0 || (1e-4..1e9).contains(&x.abs()) {
            write!(f, "{x}")
        } else {
            write!(f, "{x:e}")
        }
    }
}

/// Why a set of points is unusable. Indices are positions in the slices given, so an importer
/// can map them back to file lines.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PointError {
    /// The frequency and level slices differ in length.
    #[error("{freq_len} frequencies but {level_len} levels")]
    LengthMismatch {
        /// Number of frequencies.
        freq_len: usize,
        /// Number of levels.
        level_len: usize,
    },
    /// A frequency is NaN, infinite, zero or negative.
    #[error("point {index}: expected a frequency above 0 Hz, found {}", Shown(*.value))]
    InvalidFrequency {
        /// Position of the point.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A level is NaN, infinite or beyond ±[`MAX_ABS_DB`].
    #[error("point {index}: expected a level within ±{MAX_ABS_DB} dB, found {}", Shown(*.value))]
    InvalidLevel {
        /// Position of the point.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Fewer than two points within 20 Hz–20 kHz.
    #[error(
        "expected at least two points between 20 Hz and 20 kHz, found {in_band} ({total} \
         points in total)"
    )]
    TooFewInBand {
        /// Points within the band.
        in_band: usize,
        /// Points given.
        total: usize,
    },
}

/// Points that passed [`clean`]: sorted, strictly increasing frequencies, with what was
/// repaired on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanPoints {
    /// Frequencies in Hz, strictly increasing.
    pub freq_hz: Vec<f64>,
    /// Levels in dB.
    pub db: Vec<f64>,
    /// True when the input was not in increasing order (it was sorted).
    pub was_unsorted: bool,
    /// Input positions of the repeated frequencies that were dropped, ascending.
    pub dropped: Vec<usize>,
}

/// Applies the rule in the module docs.
pub fn clean(freq_hz: &[f64], db: &[f64]) -> Result<CleanPoints, PointError> {
    if freq_hz.len() != db.len() {
        return Err(PointError::LengthMismatch {
            freq_len: freq_hz.len(),
            level_len: db.len(),
        });
    }
    for (index, (&f, &d)) in freq_hz.iter().zip(db).enumerate() {
        if !(f.is_finite() && f > 0.0) {
            return Err(PointError::InvalidFrequency { index, value: f });
        }
        if !(d.is_finite() && d.abs() <= MAX_ABS_DB) {
            return Err(PointError::InvalidLevel { index, value: d });
        }
    }
    let mut order: Vec<usize> = (0..freq_hz.len()).collect();
    let was_unsorted = freq_hz.windows(2).any(|w| w[1] < w[0]);
    if was_unsorted {
        // Stable: among equal frequencies the first in the input stays first.
        order.sort_by(|&a, &b| freq_hz[a].total_cmp(&freq_hz[b]));
    }
    let mut out_f: Vec<f64> = Vec::with_capacity(order.len());
    let mut out_db = Vec::with_capacity(order.len());
    let mut dropped = Vec::new();
    for i in order {
        if out_f.last() == Some(&freq_hz[i]) {
            dropped.push(i);
        } else {
            out_f.push(freq_hz[i]);
            out_db.push(db[i]);
        }
    }
    dropped.sort_unstable();
    let in_band = out_f
        .iter()
        .filter(|f| (GRID_MIN_HZ..=GRID_MAX_HZ).contains(*f))
        .count();
    if in_band < 2 {
        return Err(PointError::TooFewInBand {
            in_band,
            total: freq_hz.len(),
        });
    }
    Ok(CleanPoints {
        freq_hz: out_f,
        db: out_db,
        was_unsorted,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keeps_the_first_of_repeats_and_reports_both() {
        let c = clean(&[1000.0, 20.0, 1000.0, 20_000.0], &[1.0, 2.0, 9.0, 3.0]).unwrap();
        assert_eq!(c.freq_hz, vec![20.0, 1000.0, 20_000.0]);
        assert_eq!(c.db, vec![2.0, 1.0, 3.0]);
        assert!(c.was_unsorted);
        assert_eq!(c.dropped, vec![2]);
        let sorted = clean(&[20.0, 30.0], &[0.0, 1.0]).unwrap();
        assert!(!sorted.was_unsorted && sorted.dropped.is_empty());
    }

    #[test]
    fn names_the_first_unusable_point() {
        assert_eq!(
            clean(&[20.0, -5.0], &[0.0, 0.0]),
            Err(PointError::InvalidFrequency {
                index: 1,
                value: -5.0
            })
        );
        assert!(matches!(
            clean(&[20.0, 30.0, 40.0], &[0.0, f64::NAN, 0.0]),
            Err(PointError::InvalidLevel { index: 1, .. })
        ));
        assert!(matches!(
            clean(&[20.0, 30.0], &[0.0, 200.5]),
            Err(PointError::InvalidLevel { index: 1, .. })
        ));
        assert!(matches!(
            clean(&[5.0, 30.0, 30_000.0], &[0.0, 1.0, 1.0]),
            Err(PointError::TooFewInBand { in_band: 1, .. })
        ));
        assert!(matches!(
            clean(&[1.0], &[]),
            Err(PointError::LengthMismatch { .. })
        ));
        // Absolute SPL is usable.
        assert!(clean(&[20.0, 30.0], &[95.0, 128.0]).is_ok());
    }
}
