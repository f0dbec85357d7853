//! Frequency-response curves as imported: plain data, sorted, de-duplicated and validated,
//! without resampling (the `curve` module puts them on its grid).

use super::error::{ImportError, ImportWarning};
use serde::{Deserialize, Serialize};

/// Lowest frequency of the audible band the importers check coverage of, in Hz.
pub const BAND_LOW_HZ: f64 = 20.0;
/// Highest frequency of the audible band the importers check coverage of, in Hz.
pub const BAND_HIGH_HZ: f64 = 20_000.0;
pub use crate::curve::points::MAX_ABS_DB;
use crate::curve::points::{PointError, Shown};

pub use crate::curve::Channel;

/// A magnitude response as points: strictly increasing `freq_hz` (> 0) and finite `db`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Frequencies in Hz, strictly increasing, all > 0.
    pub freq_hz: Vec<f64>,
    /// Magnitude in dB at each frequency (absolute SPL or relative, as the file had it).
    pub db: Vec<f64>,
}

impl Curve {
    /// The value at `freq_hz`, linearly interpolated in log frequency and held constant beyond
    /// the first and last points (what Equalizer APO does between GraphicEQ nodes).
    /// Returns 0 dB for an empty curve.
    pub fn value_at(&self, freq_hz: f64) -> f64 {
        interpolate_log(&self.freq_hz, &self.db, freq_hz)
    }
}

pub(crate) use crate::curve::grid::interpolate_log_f as interpolate_log;

/// Per-channel curves: one curve for both channels, or a left/right pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChannelCurves {
    /// The same curve for both channels.
    Mono(Curve),
    /// Separate left and right curves (e.g. `X L.txt` + `X R.txt`).
    Stereo {
        /// Left channel.
        left: Curve,
        /// Right channel.
        right: Curve,
    },
}

impl ChannelCurves {
    /// The curve that applies to `channel`.
    pub fn channel(&self, channel: Channel) -> &Curve {
        match (self, channel) {
            (Self::Mono(c), _) => c,
            (Self::Stereo { left, .. }, Channel::Left) => left,
            (Self::Stereo { right, .. }, Channel::Right) => right,
        }
    }

    /// True when left and right differ.
    pub fn is_stereo(&self) -> bool {
        matches!(self, Self::Stereo { .. })
    }
}

/// A point read from a file, with the line it came from (for error messages).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawPoint {
    pub line: usize,
    pub freq_hz: f64,
    pub db: f64,
}

/// Checks, sorts and de-duplicates points into a [`Curve`] under the project's one rule
/// for points ([`crate::curve::points::clean`]); its errors name the file line, its repairs
/// (sorting, dropping repeated frequencies) become warnings.
pub(crate) fn build_curve(
    file: &str,
    points: Vec<RawPoint>,
    warnings: &mut Vec<ImportWarning>,
) -> Result<Curve, ImportError> {
    let freq: Vec<f64> = points.iter().map(|p| p.freq_hz).collect();
    let db: Vec<f64> = points.iter().map(|p| p.db).collect();
    let line_of = |index: usize| points.get(index).map_or(0, |p| p.line);
    let clean = match crate::curve::points::clean(&freq, &db) {
        Ok(clean) => clean,
        Err(e) => {
            return Err(match e {
                PointError::InvalidFrequency { index, value } => ImportError::at(
                    file,
                    line_of(index),
                    format!("expected a frequency above 0 Hz, found {}", Shown(value)),
                ),
                PointError::InvalidLevel { index, value } => ImportError::at(
                    file,
                    line_of(index),
                    format!(
                        "expected a level within ±{MAX_ABS_DB} dB, found {} dB",
                        Shown(value)
                    ),
                ),
                other => ImportError::invalid(file, other.to_string()),
            });
        }
    };
    if clean.was_unsorted {
        warnings.push(ImportWarning::general(
            "frequencies were not in increasing order; the points were sorted",
        ));
    }
    if let Some(&first) = clean.dropped.first() {
        warnings.push(ImportWarning::at(
            line_of(first),
            format!(
                "{} repeated frequencies were dropped (the first value of each was kept)",
                clean.dropped.len()
            ),
        ));
    }
    Ok(Curve {
        freq_hz: clean.freq_hz,
        db: clean.db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(f64, f64)]) -> Vec<RawPoint> {
        v.iter()
            .enumerate()
            .map(|(i, &(f, d))| RawPoint {
                line: i + 1,
                freq_hz: f,
                db: d,
            })
            .collect()
    }

    #[test]
    fn sorts_and_dedups_with_warnings() {
        let mut w = Vec::new();
        let c = build_curve(
            "x",
            pts(&[(1000.0, 1.0), (20.0, 2.0), (1000.0, 9.0), (20000.0, 3.0)]),
            &mut w,
        )
        .unwrap();
        assert_eq!(c.freq_hz, vec![20.0, 1000.0, 20000.0]);
        assert_eq!(c.db, vec![2.0, 1.0, 3.0]);
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn rejects_bad_points() {
        let mut w = Vec::new();
        let e = build_curve("x", pts(&[(20.0, 0.0), (-5.0, 0.0)]), &mut w).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = build_curve("x", pts(&[(20.0, 0.0), (30.0, 500.0)]), &mut w).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = build_curve(
            "x",
            pts(&[(5.0, 0.0), (30.0, 1.0), (30_000.0, 1.0)]),
            &mut w,
        )
        .unwrap_err();
        assert!(e.to_string().contains("at least two points"), "{e}");
        // Absolute SPL is fine.
        assert!(build_curve("x", pts(&[(20.0, 95.0), (30.0, 128.0)]), &mut w).is_ok());
    }

    #[test]
    fn interpolation_is_linear_in_log_f_and_holds_ends() {
        let f = [100.0, 1000.0];
        let d = [0.0, 10.0];
        assert_eq!(interpolate_log(&f, &d, 10.0), 0.0);
        assert_eq!(interpolate_log(&f, &d, 5000.0), 10.0);
        assert!((interpolate_log(&f, &d, 316.227_766_016_837_9) - 5.0).abs() < 1e-12);
        assert_eq!(interpolate_log(&[], &[], 5.0), 0.0);
        assert_eq!(interpolate_log(&f, &d, f64::NAN), 0.0);
    }
}
