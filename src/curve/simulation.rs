//! Device simulations `ΔS`: what changes when a listener uses another device instead of a
//! neutral system.
//!
//! Definition ("relative to the reference"): `ΔS(f) = D(f) − R(f)`, where `D` is the
//! device's response and `R` the reference, both in dB re 1 kHz in the same rig domain
//! (ear simulator with pinna for headphones and loudspeakers heard in a room; for in-ear
//! devices, measured on a coupler, through the Harman in-ear target, whose baseline is the
//! same in-room loudspeaker response, DSP_REFERENCE.md §1.2). Refcan's built-in
//! simulations all use one reference, `R` = Harman loudspeaker in-room flat 2013 (preset
//! `harman_in_room_flat_2013`: a flat loudspeaker in a good room, measured on the rig). So
//! the "Harman over-ear" simulation is the target difference OE 2018 − in-room flat
//! (DSP_REFERENCE.md §1.1 difference table), a device measured against Harman OE is
//! `(D − OE) + (OE − in-room flat)`, and a loudspeaker device is its deviation from a flat
//! loudspeaker in the same room. The chain plays `C + ΔS`, i.e. the reference target plus
//! the device's deviation from neutral.

use super::REFERENCE_SAMPLE_RATE_HZ;
use super::correction::fade_weight;
use super::response::Response;
use crate::filter::{FilterKind, FilterSpec};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A Butterworth high- or low-pass (band limit of a small loudspeaker, a subsonic filter).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassFilter {
    /// −3 dB corner frequency in Hz.
    pub freq_hz: f64,
    /// Filter order: 2, 4, 6 or 8 (12–48 dB/octave).
    pub order: u8,
}

impl PassFilter {
    /// The Butterworth sections as RBJ biquads: `Q_k = 1/(2·cos((2k − 1)π/(2n)))`,
    /// k = 1…n/2 (e.g. n = 4 → Q 0.541, 1.307).
    pub fn sections(&self, kind: FilterKind) -> Vec<FilterSpec> {
        let n = f64::from(self.order);
        (1..=self.order / 2)
            .map(|k| FilterSpec {
                kind,
                freq_hz: self.freq_hz,
                q: 1.0
                    / (2.0 * ((2.0 * f64::from(k) - 1.0) * std::f64::consts::PI / (2.0 * n)).cos()),
                gain_db: 0.0,
            })
            .collect()
    }
}

/// Optional band limit of a simulation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandLimit {
    /// High-pass (removes the bass a small device cannot play).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highpass: Option<PassFilter>,
    /// Low-pass (treble roll-off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowpass: Option<PassFilter>,
}

/// A parametric device simulation: RBJ filters plus flags, relative to the reference (see
/// the module docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Peaking and shelf filters (evaluated at [`REFERENCE_SAMPLE_RATE_HZ`] for curves).
    pub filters: Vec<FilterSpec>,
    /// Sum to mono before the filters (phones, laptops: one speaker or two close together).
    #[serde(default)]
    pub mono: bool,
    /// Band limit applied on top of the filters.
    #[serde(default)]
    pub band_limit: BandLimit,
}

/// Why a simulation's parameters are unusable.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SimulationError {
    /// A filter field is out of range or not finite.
    #[error("filter {index}: {field} = {} is outside {expected}", crate::curve::points::Shown(*.value))]
    BadFilter {
        /// Position in `filters`.
        index: usize,
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
        /// The accepted range.
        expected: &'static str,
    },
    /// A band-limit filter is out of range.
    #[error("band_limit.{which}: {message}")]
    BadBandLimit {
        /// `highpass` or `lowpass`.
        which: &'static str,
        /// What is wrong.
        message: String,
    },
    /// More filters than any device needs.
    #[error("{count} filters; at most {max} are allowed")]
    TooManyFilters {
        /// Number given.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// Most filters a simulation may have.
pub const MAX_SIMULATION_FILTERS: usize = 32;

impl Simulation {
    /// The neutral device: `ΔS = 0`.
    pub fn identity() -> Self {
        Self::default()
    }

    /// Checks every parameter (presets come from user files too).
    pub fn validate(&self) -> Result<(), SimulationError> {
        if self.filters.len() > MAX_SIMULATION_FILTERS {
            return Err(SimulationError::TooManyFilters {
                count: self.filters.len(),
                max: MAX_SIMULATION_FILTERS,
            });
        }
        for (index, f) in self.filters.iter().enumerate() {
            let bad = |field, value, expected| SimulationError::BadFilter {
                index,
                field,
                value,
                expected,
            };
            if !(f.freq_hz.is_finite() && (1.0..=20_000.0).contains(&f.freq_hz)) {
                return Err(bad("freq_hz", f.freq_hz, "1…20000 Hz"));
            }
            if !(f.q.is_finite() && f.q > 0.0 && f.q <= 50.0) {
                return Err(bad("q", f.q, "(0, 50]"));
            }
            if !(f.gain_db.is_finite() && f.gain_db.abs() <= 40.0) {
                return Err(bad("gain_db", f.gain_db, "±40 dB"));
            }
        }
        for (which, pass) in [
            ("highpass", self.band_limit.highpass),
            ("lowpass", self.band_limit.lowpass),
        ] {
            if let Some(p) = pass {
                if !(p.freq_hz.is_finite() && (1.0..=20_000.0).contains(&p.freq_hz)) {
                    return Err(SimulationError::BadBandLimit {
                        which,
                        message: format!(
                            "freq_hz = {} is outside 1…20000 Hz",
                            crate::curve::points::Shown(p.freq_hz)
                        ),
                    });
                }
                if !matches!(p.order, 2 | 4 | 6 | 8) {
                    return Err(SimulationError::BadBandLimit {
                        which,
                        message: format!("order = {} is not 2, 4, 6 or 8", p.order),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every biquad of the simulation: the filters, then the band-limit sections (what the
    /// Low-CPU engine runs and what the curve is made of).
    pub fn all_filters(&self) -> Vec<FilterSpec> {
        let mut all = self.filters.clone();
        if let Some(hp) = self.band_limit.highpass {
            all.extend(hp.sections(FilterKind::HighPass));
        }
        if let Some(lp) = self.band_limit.lowpass {
            all.extend(lp.sections(FilterKind::LowPass));
        }
        all
    }

    /// `ΔS` as a curve on the grid, the filters evaluated at [`REFERENCE_SAMPLE_RATE_HZ`].
    pub fn delta(&self) -> Response {
        Response::from_filters(&self.all_filters(), REFERENCE_SAMPLE_RATE_HZ)
    }
}

/// "Listen through another headphone": `ΔS = H_other − T_ref`, both centred at 1 kHz,
/// smoothed like a correction (1/12 octave, 2 octaves in the treble), and faded to 0 dB
/// outside the other headphone's measured band (over `fade_oct` octaves, as the
/// correction does), so unmeasured regions sound like the reference.
pub fn other_headphone_delta(other: &Response, reference: &Response, fade_oct: f64) -> Response {
    let band = other.band_hz();
    let delta = other
        .clone()
        .centered()
        .minus(&reference.clone().centered())
        .smoothed();
    delta.map(|f, g| g * fade_weight(f, band, fade_oct))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn butterworth_sections_have_the_textbook_q() {
        let q: Vec<f64> = PassFilter {
            freq_hz: 300.0,
            order: 4,
        }
        .sections(FilterKind::HighPass)
        .iter()
        .map(|s| s.q)
        .collect();
        assert!((q[0] - 0.541_196).abs() < 1e-5 && (q[1] - 1.306_563).abs() < 1e-5);
        let q2 = PassFilter {
            freq_hz: 300.0,
            order: 2,
        }
        .sections(FilterKind::LowPass);
        assert!((q2[0].q - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    }

    #[test]
    fn band_limit_is_minus_3db_at_the_corner_and_steep_below() {
        let sim = Simulation {
            band_limit: BandLimit {
                highpass: Some(PassFilter {
                    freq_hz: 400.0,
                    order: 4,
                }),
                lowpass: None,
            },
            ..Default::default()
        };
        let d = sim.delta();
        assert!(
            (d.gain_at(400.0) + 3.01).abs() < 0.02,
            "{}",
            d.gain_at(400.0)
        );
        // 4th order: −24 dB/octave well below the corner.
        let slope = d.gain_at(100.0) - d.gain_at(50.0);
        assert!((slope - 24.0).abs() < 0.3, "{slope}");
        assert!(d.gain_at(5_000.0).abs() < 0.01);
    }

    #[test]
    fn validation_rejects_bad_numbers() {
        let mut sim = Simulation {
            filters: vec![FilterSpec::peaking(1_000.0, 1.0, 3.0)],
            ..Default::default()
        };
        assert!(sim.validate().is_ok());
        sim.filters[0].q = f64::NAN;
        assert!(matches!(
            sim.validate(),
            Err(SimulationError::BadFilter { field: "q", .. })
        ));
        sim.filters[0].q = 1.0;
        sim.band_limit.lowpass = Some(PassFilter {
            freq_hz: 8_000.0,
            order: 3,
        });
        assert!(matches!(
            sim.validate(),
            Err(SimulationError::BadBandLimit { .. })
        ));
    }

    #[test]
    fn other_headphone_is_difference_to_the_reference() {
        let reference = Response::from_fn(|f| if f > 2_000.0 { 4.0 } else { 0.0 }).smoothed();
        let other = reference.map(|f, g| g + 3.0 * (-(f / 100.0).log2().powi(2)).exp());
        let d = other_headphone_delta(&other, &reference, 0.5);
        assert!(
            (d.gain_at(100.0) - 3.0).abs() < 0.05,
            "{}",
            d.gain_at(100.0)
        );
        assert!(d.gain_at(1_000.0).abs() < 0.01);
        // A measurement of 100 Hz–10 kHz fades out below 100/√2 Hz.
        let partial = other.clone().with_band(100.0, 10_000.0);
        let faded = other_headphone_delta(&partial, &reference, 0.5);
        assert!(faded.gain_at(50.0).abs() < 1e-9);
    }
}
