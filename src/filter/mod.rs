//! RBJ Audio-EQ-Cookbook second-order sections, designed and evaluated in f64.
//!
//! Source: R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter coefficients"
//! (W3C Note 2021, <https://www.w3.org/TR/audio-eq-cookbook/>); the same formulas are used by
//! Equalizer APO (`filters/BiQuad.cpp`), AutoEq (`peq.py`) and CamillaDSP (`biquad.rs`), so
//! presets written for those tools mean the same thing here.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// The filter shapes of the cookbook that Refcan uses and imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterKind {
    /// Peaking (bell) EQ: `gain_db` at `freq_hz`, bandwidth set by `q`.
    Peaking,
    /// Low shelf with its midpoint (half the gain in dB) at `freq_hz`.
    LowShelf,
    /// High shelf with its midpoint (half the gain in dB) at `freq_hz`.
    HighShelf,
    /// Second-order low-pass (−3 dB at `freq_hz` for Q = 1/√2).
    LowPass,
    /// Second-order high-pass (−3 dB at `freq_hz` for Q = 1/√2).
    HighPass,
    /// Band-pass with 0 dB peak gain.
    BandPass,
    /// Notch (band-reject).
    Notch,
    /// All-pass (magnitude 0 dB, phase only).
    AllPass,
}

/// One filter of a parametric EQ, in the units users type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FilterSpec {
    /// The filter shape.
    pub kind: FilterKind,
    /// Centre / corner frequency in Hz (the RBJ `f0`).
    pub freq_hz: f64,
    /// Quality factor (the RBJ `Q`; for shelves the cookbook's Q, not the slope S).
    pub q: f64,
    /// Gain in dB (used by peaking and shelf filters, ignored by the others).
    pub gain_db: f64,
}

impl FilterSpec {
    /// A peaking filter; a shorthand used throughout presets and tests.
    pub fn peaking(freq_hz: f64, q: f64, gain_db: f64) -> Self {
        Self {
            kind: FilterKind::Peaking,
            freq_hz,
            q,
            gain_db,
        }
    }

    /// A low shelf with cookbook Q.
    pub fn low_shelf(freq_hz: f64, q: f64, gain_db: f64) -> Self {
        Self {
            kind: FilterKind::LowShelf,
            freq_hz,
            q,
            gain_db,
        }
    }

    /// A high shelf with cookbook Q.
    pub fn high_shelf(freq_hz: f64, q: f64, gain_db: f64) -> Self {
        Self {
            kind: FilterKind::HighShelf,
            freq_hz,
            q,
            gain_db,
        }
    }

    /// The cookbook Q equivalent to a shelf slope `S` (S = 1 is the steepest monotonic shelf)
    /// for this gain: `1/Q = sqrt((A + 1/A)(1/S − 1) + 2)`.
    pub fn shelf_q_from_slope(gain_db: f64, slope: f64) -> f64 {
        let a = 10f64.powf(gain_db / 40.0);
        let inv_q_sq = (a + 1.0 / a) * (1.0 / slope - 1.0) + 2.0;
        if inv_q_sq > 0.0 {
            1.0 / inv_q_sq.sqrt()
        } else {
            // A slope beyond the monotonic limit for this gain: the closest valid shelf.
            std::f64::consts::FRAC_1_SQRT_2
        }
    }

    /// Magnitude in dB of this filter at `freq_hz` when run at `sample_rate_hz`.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        Coefficients::design(self, sample_rate_hz).magnitude_db(freq_hz, sample_rate_hz)
    }
}

/// Normalised biquad coefficients (`a0 = 1`), in f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficients {
    /// Feed-forward coefficients.
    pub b0: f64,
    /// Feed-forward coefficient for `x[n−1]`.
    pub b1: f64,
    /// Feed-forward coefficient for `x[n−2]`.
    pub b2: f64,
    /// Feedback coefficient for `y[n−1]` (sign as in `y = b·x − a·y`).
    pub a1: f64,
    /// Feedback coefficient for `y[n−2]`.
    pub a2: f64,
}

impl Coefficients {
    /// The filter that passes its input unchanged.
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Designs `spec` for `sample_rate_hz` with the cookbook formulas. Frequencies at or above
    /// Nyquist and non-finite or non-positive values give the identity filter, so a bad preset
    /// can never produce an unstable section.
    pub fn design(spec: &FilterSpec, sample_rate_hz: f64) -> Self {
        let nyquist = sample_rate_hz / 2.0;
        let valid = spec.freq_hz.is_finite()
            && spec.q.is_finite()
            && spec.gain_db.is_finite()
            && spec.freq_hz > 0.0
            && spec.q > 0.0
            && sample_rate_hz > 0.0
            && spec.freq_hz < nyquist;
        if !valid {
            return Self::IDENTITY;
        }

        let a = 10f64.powf(spec.gain_db / 40.0);
        let w0 = 2.0 * PI * spec.freq_hz / sample_rate_hz;
        let cs = w0.cos();
        let sn = w0.sin();
        let alpha = sn / (2.0 * spec.q);
        let sqrt_a_alpha = 2.0 * a.sqrt() * alpha;

        let (b0, b1, b2, a0, a1, a2) = match spec.kind {
            FilterKind::Peaking => (
                1.0 + alpha * a,
                -2.0 * cs,
                1.0 - alpha * a,
                1.0 + alpha / a,
                -2.0 * cs,
                1.0 - alpha / a,
            ),
            FilterKind::LowShelf => (
                a * ((a + 1.0) - (a - 1.0) * cs + sqrt_a_alpha),
                2.0 * a * ((a - 1.0) - (a + 1.0) * cs),
                a * ((a + 1.0) - (a - 1.0) * cs - sqrt_a_alpha),
                (a + 1.0) + (a - 1.0) * cs + sqrt_a_alpha,
                -2.0 * ((a - 1.0) + (a + 1.0) * cs),
                (a + 1.0) + (a - 1.0) * cs - sqrt_a_alpha,
            ),
            FilterKind::HighShelf => (
                a * ((a + 1.0) + (a - 1.0) * cs + sqrt_a_alpha),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cs),
                a * ((a + 1.0) + (a - 1.0) * cs - sqrt_a_alpha),
                (a + 1.0) - (a - 1.0) * cs + sqrt_a_alpha,
                2.0 * ((a - 1.0) - (a + 1.0) * cs),
                (a + 1.0) - (a - 1.0) * cs - sqrt_a_alpha,
            ),
            FilterKind::LowPass => (
                (1.0 - cs) / 2.0,
                1.0 - cs,
                (1.0 - cs) / 2.0,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
            FilterKind::HighPass => (
                (1.0 + cs) / 2.0,
                -(1.0 + cs),
                (1.0 + cs) / 2.0,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
            FilterKind::BandPass => (alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cs, 1.0 - alpha),
            FilterKind::Notch => (1.0, -2.0 * cs, 1.0, 1.0 + alpha, -2.0 * cs, 1.0 - alpha),
            FilterKind::AllPass => (
                1.0 - alpha,
                -2.0 * cs,
                1.0 + alpha,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
        };

        Self {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        }
    }

    /// Magnitude in dB at `freq_hz`, without complex arithmetic and accurate at low
    /// frequencies (the `φ = sin²(ω/2)` form used by Equalizer APO's `BiQuad::gainAt`).
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let phi = (PI * freq_hz / sample_rate_hz).sin().powi(2);
        let poly = |c0: f64, c1: f64, c2: f64| {
            (c0 + c1 + c2).powi(2) - 4.0 * (c0 * c1 + 4.0 * c0 * c2 + c1 * c2) * phi
                + 16.0 * c0 * c2 * phi * phi
        };
        let num = poly(self.b0, self.b1, self.b2).max(1e-300);
        let den = poly(1.0, self.a1, self.a2).max(1e-300);
        10.0 * (num / den).log10()
    }
}

/// Sum of the magnitudes in dB of a cascade of filters at `freq_hz`.
pub fn cascade_magnitude_db(filters: &[FilterSpec], freq_hz: f64, sample_rate_hz: f64) -> f64 {
    filters
        .iter()
        .map(|f| f.magnitude_db(freq_hz, sample_rate_hz))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct evaluation of H(e^jω) with complex numbers, as an independent check.
    fn complex_magnitude_db(c: &Coefficients, freq_hz: f64, fs: f64) -> f64 {
        let w = 2.0 * PI * freq_hz / fs;
        let (c1, s1) = (w.cos(), -w.sin());
        let (c2, s2) = ((2.0 * w).cos(), -(2.0 * w).sin());
        let nr = c.b0 + c.b1 * c1 + c.b2 * c2;
        let ni = c.b1 * s1 + c.b2 * s2;
        let dr = 1.0 + c.a1 * c1 + c.a2 * c2;
        let di = c.a1 * s1 + c.a2 * s2;
        10.0 * ((nr * nr + ni * ni) / (dr * dr + di * di)).log10()
    }

    #[test]
    fn low_shelf_golden_values() {
        // DSP_REFERENCE.md §1.2: RBJ LS 105 Hz, Q 0.7, 44.1 kHz.
        let ls6 = FilterSpec::low_shelf(105.0, 0.7, 6.0);
        let expect6 = [
            (20.0, 5.99),
            (50.0, 5.66),
            (100.0, 3.28),
            (200.0, 0.48),
            (500.0, 0.02),
        ];
        for (f, want) in expect6 {
            let got = ls6.magnitude_db(f, 44_100.0);
            assert!((got - want).abs() < 0.006, "{f} Hz: {got} vs {want}");
        }
        let ls95 = FilterSpec::low_shelf(105.0, 0.7, 9.5);
        let expect95 = [(20.0, 9.48), (50.0, 8.92), (100.0, 5.16), (200.0, 0.82)];
        for (f, want) in expect95 {
            let got = ls95.magnitude_db(f, 44_100.0);
            assert!((got - want).abs() < 0.006, "{f} Hz: {got} vs {want}");
        }
    }

    #[test]
    fn peaking_hits_its_gain_at_centre() {
        for &(f0, q, g) in &[(1000.0, 2.0, 6.0), (50.0, 0.7, -8.0), (10_000.0, 4.0, 3.0)] {
            let got = FilterSpec::peaking(f0, q, g).magnitude_db(f0, 48_000.0);
            assert!((got - g).abs() < 1e-9, "{got} vs {g}");
        }
    }

    #[test]
    fn phi_form_matches_complex_evaluation() {
        let kinds = [
            FilterKind::Peaking,
            FilterKind::LowShelf,
            FilterKind::HighShelf,
            FilterKind::LowPass,
            FilterKind::HighPass,
            FilterKind::BandPass,
            FilterKind::Notch,
            FilterKind::AllPass,
        ];
        for kind in kinds {
            let spec = FilterSpec {
                kind,
                freq_hz: 700.0,
                q: 1.3,
                gain_db: -5.5,
            };
            let c = Coefficients::design(&spec, 48_000.0);
            for f in [20.0, 100.0, 650.0, 700.0, 3000.0, 15_000.0] {
                let a = c.magnitude_db(f, 48_000.0);
                let b = complex_magnitude_db(&c, f, 48_000.0);
                if b > -200.0 {
                    assert!((a - b).abs() < 1e-6, "{kind:?} {f}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn shelf_slope_one_is_q_one_over_root_two_at_any_gain() {
        // With S = 1, (A + 1/A)(1/S − 1) = 0, so Q = 1/√2 exactly.
        for g in [-12.0, 3.0, 9.0] {
            let q = FilterSpec::shelf_q_from_slope(g, 1.0);
            assert!((q - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        }
    }

    #[test]
    fn invalid_specs_design_identity() {
        let bad = [
            FilterSpec::peaking(f64::NAN, 1.0, 3.0),
            FilterSpec::peaking(30_000.0, 1.0, 3.0),
            FilterSpec::peaking(1000.0, 0.0, 3.0),
            FilterSpec::peaking(1000.0, 1.0, f64::INFINITY),
        ];
        for spec in bad {
            assert_eq!(
                Coefficients::design(&spec, 48_000.0),
                Coefficients::IDENTITY
            );
        }
    }
}
