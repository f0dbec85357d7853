//! The personal reference target: baseline + room gain + pinna gain + tilt + treble.
//!
//! This is the seed's idea made explicit (PRODUCT.md): studio-neutral and Harman-neutral
//! differ by room gain (a bass shelf, +6 dB over-ear / +9.5 dB in-ear in Harman's targets),
//! the amount of ear (pinna) gain, and treble; DSP_REFERENCE.md §1.2 gives AutoEq's
//! parameterisation, which we follow: `LowShelf(105 Hz, Q 0.7) + HighShelf(10 kHz, Q 0.7) +
//! log_tilt` added to a baseline centred at 1 kHz (`create_target()`,
//! `AutoEq:autoeq/frequency_response.py@02d6a1e5`).

use super::grid::grid_hz;
use super::points::PointError;
use super::response::Response;
use super::{CENTER_HZ, REFERENCE_SAMPLE_RATE_HZ};
use crate::filter::FilterSpec;
use std::ops::RangeInclusive;

/// Room-gain shelf corner in Hz (AutoEq `DEFAULT_BASS_BOOST_FC`).
pub const ROOM_GAIN_FREQ_HZ: f64 = 105.0;
/// Room-gain shelf Q (AutoEq `DEFAULT_BASS_BOOST_Q`).
pub const ROOM_GAIN_Q: f64 = 0.7;
/// Treble shelf corner in Hz (AutoEq `DEFAULT_TREBLE_BOOST_FC`).
pub const TREBLE_FREQ_HZ: f64 = 10_000.0;
/// Treble shelf Q (AutoEq `DEFAULT_TREBLE_BOOST_Q`).
pub const TREBLE_Q: f64 = 0.7;
/// Tilt pivot: the geometric centre of 20 Hz–20 kHz, `20·sqrt(1000)` ≈ 632.46 Hz
/// (AutoEq `utils.log_tilt`, `AutoEq:autoeq/utils.py@1dbe4206`).
pub const TILT_PIVOT_HZ: f64 = 632.455_532_033_675_9;

/// `room_gain` parameter range in dB (PRODUCT.md).
pub const ROOM_GAIN_RANGE_DB: RangeInclusive<f64> = -6.0..=12.0;
/// `pinna_gain` parameter range in percent (PRODUCT.md).
pub const PINNA_GAIN_RANGE_PERCENT: RangeInclusive<f64> = 0.0..=150.0;
/// `tilt` parameter range in dB/octave (PRODUCT.md).
pub const TILT_RANGE_DB_PER_OCT: RangeInclusive<f64> = -2.0..=2.0;
/// `treble` parameter range in dB (PRODUCT.md).
pub const TREBLE_RANGE_DB: RangeInclusive<f64> = -10.0..=10.0;

/// The band in which "pinna gain" scales the baseline, and the width of its soft edges.
///
/// Definition: let `L(f)` be the straight line in log frequency through the baseline's
/// values at `low_hz` and `high_hz` (a smooth reference without the ear resonances), and
/// `w(f)` a window that is 1 inside the band, rises and falls as a raised cosine (in log f)
/// over `taper_oct` (1/3) octaves just inside each edge, and is 0 outside. The ear-gain region is
/// `P(f) = w(f)·(B(f) − L(f))`; a pinna gain of `s` % gives `B(f) + (s/100 − 1)·P(f)`.
///
/// Why: on every built-in baseline, `B − L` over 1–10 kHz is the concha/ear-canal bump
/// itself (≥ 0 dB everywhere, +9…+10.4 dB at 3.1–3.5 kHz for DF, in-room flat, Harman OE
/// and IE), so 0 % flattens it to the line, 100 % is the baseline bit for bit (the added
/// term is exactly zero), and 150 % makes it half as large again. The 1 kHz edge keeps the
/// centring point untouched, and `B − L` vanishes at both edges, so the result is
/// continuous; the taper also makes its slope continuous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PinnaBand {
    /// Lower edge in Hz.
    pub low_hz: f64,
    /// Upper edge in Hz.
    pub high_hz: f64,
    /// Width of each soft edge, in octaves (inside the band).
    pub taper_oct: f64,
}

impl Default for PinnaBand {
    fn default() -> Self {
        Self {
            low_hz: 1_000.0,
            high_hz: 10_000.0,
            taper_oct: 1.0 / 3.0,
        }
    }
}

impl PinnaBand {
    /// The window `w(f)` described on the type.
    pub fn weight(&self, freq_hz: f64) -> f64 {
        if !(freq_hz > self.low_hz && freq_hz < self.high_hz) {
            return 0.0;
        }
        let from_edge_oct = (freq_hz / self.low_hz)
            .log2()
            .min((self.high_hz / freq_hz).log2());
        if self.taper_oct <= 0.0 || from_edge_oct >= self.taper_oct {
            1.0
        } else {
            let x = from_edge_oct / self.taper_oct;
            (0.5 * std::f64::consts::PI * x).sin().powi(2)
        }
    }

    /// The ear-gain region `P(f)` of `baseline` (0 outside the band).
    pub fn ear_gain(&self, baseline: &Response) -> Response {
        let (l0, l1) = (self.low_hz.log10(), self.high_hz.log10());
        let (b0, b1) = (
            baseline.gain_at(self.low_hz),
            baseline.gain_at(self.high_hz),
        );
        baseline.map(|f, b| {
            let w = self.weight(f);
            if w == 0.0 {
                return 0.0;
            }
            let line = b0 + (f.log10() - l0) / (l1 - l0) * (b1 - b0);
            w * (b - line)
        })
    }

    /// `baseline` with its ear-gain region scaled to `percent` %.
    pub fn scale(&self, baseline: &Response, percent: f64) -> Response {
        let factor = percent / 100.0 - 1.0;
        if factor == 0.0 {
            return baseline.clone();
        }
        baseline.plus(&self.ear_gain(baseline).scaled(factor))
    }
}

/// The user's reference target knobs (PRODUCT.md parameters `room_gain`, `pinna_gain`,
/// `tilt`, `treble`). The default leaves the baseline unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonalTarget {
    /// Low shelf 105 Hz Q 0.7, dB (−6…+12).
    pub room_gain_db: f64,
    /// Scale of the baseline's ear-gain region, % (0…150, 100 = unchanged).
    pub pinna_gain_percent: f64,
    /// Tilt in dB/octave about [`TILT_PIVOT_HZ`] (−2…+2; positive = brighter).
    pub tilt_db_per_oct: f64,
    /// High shelf 10 kHz Q 0.7, dB (−10…+10).
    pub treble_db: f64,
}

impl Default for PersonalTarget {
    fn default() -> Self {
        Self {
            room_gain_db: 0.0,
            pinna_gain_percent: 100.0,
            tilt_db_per_oct: 0.0,
            treble_db: 0.0,
        }
    }
}

impl PersonalTarget {
    /// The knobs clamped to their PRODUCT.md ranges (non-finite values become defaults).
    pub fn clamped(&self) -> Self {
        let d = Self::default();
        let fix = |v: f64, range: &RangeInclusive<f64>, default: f64| {
            if v.is_finite() {
                v.clamp(*range.start(), *range.end())
            } else {
                default
            }
        };
        Self {
            room_gain_db: fix(self.room_gain_db, &ROOM_GAIN_RANGE_DB, d.room_gain_db),
            pinna_gain_percent: fix(
                self.pinna_gain_percent,
                &PINNA_GAIN_RANGE_PERCENT,
                d.pinna_gain_percent,
            ),
            tilt_db_per_oct: fix(
                self.tilt_db_per_oct,
                &TILT_RANGE_DB_PER_OCT,
                d.tilt_db_per_oct,
            ),
            treble_db: fix(self.treble_db, &TREBLE_RANGE_DB, d.treble_db),
        }
    }

    /// The room-gain and treble shelves as filters (evaluated at
    /// [`REFERENCE_SAMPLE_RATE_HZ`] when building the curve).
    pub fn shelves(&self) -> [FilterSpec; 2] {
        let k = self.clamped();
        [
            FilterSpec::low_shelf(ROOM_GAIN_FREQ_HZ, ROOM_GAIN_Q, k.room_gain_db),
            FilterSpec::high_shelf(TREBLE_FREQ_HZ, TREBLE_Q, k.treble_db),
        ]
    }

    /// Builds the target from `baseline`: centre the baseline at 1 kHz, scale its ear gain
    /// ([`PinnaBand::default`]), add the room-gain and treble shelves and the tilt, and
    /// centre again at 1 kHz (the shelves and the tilt are not 0 dB there). The result
    /// spans the whole grid (a target's held ends are deliberate, not missing data).
    pub fn build(&self, baseline: &Response) -> Response {
        let k = self.clamped();
        let centred = baseline.clone().centered();
        let pinna = PinnaBand::default().scale(&centred, k.pinna_gain_percent);
        let (full_lo, full_hi) = (grid_hz()[0], grid_hz()[grid_hz().len() - 1]);
        if k.room_gain_db == 0.0 && k.treble_db == 0.0 && k.tilt_db_per_oct == 0.0 {
            // Nothing moves 1 kHz: return the (already centred) curve bit for bit.
            return pinna.with_band(full_lo, full_hi);
        }
        let shelves = Response::from_filters(&self.shelves(), REFERENCE_SAMPLE_RATE_HZ);
        let tilt = log_tilt(k.tilt_db_per_oct);
        pinna
            .plus(&shelves)
            .plus(&tilt)
            .centered()
            .with_band(full_lo, full_hi)
    }
}

/// AutoEq's `log_tilt`: `slope · log2(f / 632.46 Hz)` dB.
pub fn log_tilt(slope_db_per_oct: f64) -> Response {
    Response::from_fn(|f| slope_db_per_oct * (f / TILT_PIVOT_HZ).log2())
}

/// A target the user brings as points (e.g. a CSV): interpolated, centred at 1 kHz, and
/// treated as known over the whole grid (values held beyond its ends).
pub fn custom_target(freq_hz: &[f64], gain_db: &[f64]) -> Result<Response, PointError> {
    let r = Response::from_points(freq_hz, gain_db)?.centered();
    let g = grid_hz();
    Ok(r.with_band(g[0], g[g.len() - 1]))
}

/// 0 dB at [`CENTER_HZ`] check used by tests and callers that assert normalisation.
pub fn is_centred(curve: &Response, tolerance_db: f64) -> bool {
    curve.gain_at(CENTER_HZ).abs() <= tolerance_db
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DF-like synthetic baseline: −4 dB bass, +11 dB bump at 3 kHz, roll-off above 10 kHz.
    fn synthetic_baseline() -> Response {
        Response::from_points(
            &[
                20.0, 100.0, 500.0, 1_000.0, 2_000.0, 3_000.0, 5_000.0, 8_000.0, 10_000.0,
                16_000.0, 20_000.0,
            ],
            &[-4.1, -4.1, -2.0, 0.0, 6.9, 11.5, 6.5, 5.4, 2.7, -3.4, -6.9],
        )
        .unwrap()
    }

    #[test]
    fn defaults_return_the_centred_baseline_exactly() {
        let b = synthetic_baseline();
        let t = PersonalTarget::default().build(&b);
        assert_eq!(t.values_db(), b.clone().centered().values_db());
    }

    #[test]
    fn pinna_100_is_exact_and_0_removes_the_peak() {
        let b = synthetic_baseline();
        let band = PinnaBand::default();
        assert_eq!(band.scale(&b, 100.0), b);
        let flat = band.scale(&b, 0.0);
        // Where the window is 1 (half an octave inside the edges) 0 % is the line from
        // 0 dB at 1 kHz to +2.7 dB at 10 kHz.
        let (b0, b1) = (b.gain_at(1_000.0), b.gain_at(10_000.0));
        let line = |f: f64| b0 + (b1 - b0) * (f / 1_000.0).log10();
        for f in [1_500.0, 2_500.0, 3_000.0, 4_000.0, 5_000.0, 7_000.0] {
            assert!(
                (flat.gain_at(f) - line(f)).abs() < 1e-9,
                "{f}: {}",
                flat.gain_at(f)
            );
        }
        let peak = grid_hz()
            .iter()
            .filter(|&&f| (1_000.0..=10_000.0).contains(&f))
            .map(|&f| flat.gain_at(f))
            .fold(f64::MIN, f64::max);
        // The 3 kHz peak is gone; the soft upper edge lets a little of the 8 kHz shoulder
        // through (≤ 4 dB against the baseline's +11.5 dB).
        assert!(b.gain_at(3_000.0) > 11.0 && peak < 4.0, "{peak}");
        // 150 % grows the bump: +11.5 at 3 kHz with line ≈ 1.2 → ≈ 16.6.
        let more = band.scale(&b, 150.0);
        assert!((more.gain_at(3_000.0) - (11.5 + 0.5 * (11.5 - 1.29))).abs() < 0.1);
        // Outside the band nothing changes.
        for f in [100.0, 900.0, 12_000.0] {
            assert_eq!(flat.gain_at(f), b.gain_at(f));
        }
    }

    #[test]
    fn shelves_and_tilt_follow_autoeq() {
        let flat = Response::flat();
        let t = PersonalTarget {
            room_gain_db: 6.0,
            ..Default::default()
        }
        .build(&flat);
        // LS 105 Hz +6 dB at 44.1 kHz: +5.99 at 20 Hz (DSP_REFERENCE.md §1.2), re-centred
        // by its tiny value at 1 kHz.
        let at_1k = FilterSpec::low_shelf(105.0, 0.7, 6.0).magnitude_db(1_000.0, 44_100.0);
        assert!((t.gain_at(20.0) - (5.99 - at_1k)).abs() < 0.01);
        assert!(t.gain_at(1_000.0).abs() < 1e-12);

        let tilted = PersonalTarget {
            tilt_db_per_oct: 1.0,
            ..Default::default()
        }
        .build(&flat);
        // 1 dB/oct about 632 Hz then re-centred at 1 kHz: 20 kHz is log2(20) = 4.32 dB up.
        assert!((tilted.gain_at(20_000.0) - 20f64.log2()).abs() < 1e-9);
        assert!((tilted.gain_at(20.0) + 50f64.log2()).abs() < 1e-9);
    }

    #[test]
    fn knobs_are_clamped_to_product_ranges() {
        let k = PersonalTarget {
            room_gain_db: 40.0,
            pinna_gain_percent: f64::NAN,
            tilt_db_per_oct: -9.0,
            treble_db: 11.0,
        }
        .clamped();
        assert_eq!(k.room_gain_db, 12.0);
        assert_eq!(k.pinna_gain_percent, 100.0);
        assert_eq!(k.tilt_db_per_oct, -2.0);
        assert_eq!(k.treble_db, 10.0);
    }

    #[test]
    fn custom_targets_are_centred_and_full_band() {
        let t = custom_target(&[100.0, 1_000.0, 5_000.0], &[5.0, 3.0, 1.0]).unwrap();
        assert!(is_centred(&t, 1e-12));
        assert_eq!(t.band_hz(), (20.0, 20_000.0));
        assert!(custom_target(&[5.0], &[1.0]).is_err());
    }
}
