//! An imported EQ (Equalizer APO config, AutoEq `ParametricEQ.txt` / `GraphicEQ.txt`) as data,
//! and its exact magnitude response.
//!
//! Filters keep the parameters the file gave (Q, bandwidth in octaves or shelf slope, corner
//! or centre frequency), and are turned into RBJ cookbook sections at a given sample rate with
//! Equalizer APO's semantics (`filters/BiQuadFilterFactory.cpp`, `BiQuadFilter.cpp`, `BiQuad.cpp`
//! of `ripDZL/EqualizerAPO-XT@725d5b32`/`@b45db4d6`, DSP_REFERENCE.md §3.2), so the response is
//! what EAPO plays, not an approximation.

use super::curve_data::{Channel, Curve};
use crate::filter::{Coefficients, FilterKind, FilterSpec};
use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;

/// Which of the two Refcan channels a stage applies to (EAPO's `Channel:` selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMask {
    /// Applies to the left channel.
    pub left: bool,
    /// Applies to the right channel.
    pub right: bool,
}

impl ChannelMask {
    /// Both channels (EAPO's `Channel: all`, the default).
    pub const BOTH: Self = Self {
        left: true,
        right: true,
    };

    /// True if the stage applies to `channel`.
    pub fn contains(self, channel: Channel) -> bool {
        match channel {
            Channel::Left => self.left,
            Channel::Right => self.right,
        }
    }
}

/// How a filter's bandwidth was given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Width {
    /// The cookbook Q (`alpha = sin w0 / (2Q)`), also for shelves.
    Q(f64),
    /// Bandwidth in octaves (`BW Oct`), `alpha = sin w0 · sinh(ln2/2 · BW · w0/sin w0)`; the
    /// equivalent Q depends on the sample rate.
    BandwidthOct(f64),
    /// Shelf slope S (S = 1 is the steepest monotonic shelf; `LS 6dB` is S = 0.5).
    Slope(f64),
}

/// One parametric filter of an imported EQ, with the parameters the file gave.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqFilter {
    /// The cookbook shape.
    pub kind: FilterKind,
    /// Frequency in Hz as written (a corner frequency when `corner_frequency` is set).
    pub freq_hz: f64,
    /// Gain in dB (0 for shapes without gain).
    pub gain_db: f64,
    /// Bandwidth, Q or slope.
    pub width: Width,
    /// EAPO's `LS`/`HS` (without `C`): `freq_hz` is a corner frequency and the cookbook centre
    /// is `f · 10^(±|gain|/(80·S))` ("frequency adjustment for DCX2496", `BiQuadFilter.cpp`).
    pub corner_frequency: bool,
}

impl EqFilter {
    /// The cookbook section this filter is at `sample_rate_hz`: centre frequency after the
    /// corner adjustment, and Q from the slope or bandwidth.
    pub fn to_filter_spec(&self, sample_rate_hz: f64) -> FilterSpec {
        let shelf = matches!(self.kind, FilterKind::LowShelf | FilterKind::HighShelf);
        let a = 10f64.powf(self.gain_db / 40.0);
        let mut freq_hz = self.freq_hz;
        if shelf && self.corner_frequency {
            // Equivalent S of a Q-specified shelf: 1/Q² = (A + 1/A)(1/S − 1) + 2.
            let s = match self.width {
                Width::Slope(s) => s,
                Width::Q(q) => 1.0 / ((1.0 / (q * q) - 2.0) / (a + 1.0 / a) + 1.0),
                Width::BandwidthOct(_) => 0.9,
            };
            let factor = 10f64.powf(self.gain_db.abs() / 80.0 / s);
            if self.kind == FilterKind::LowShelf {
                freq_hz *= factor;
            } else {
                freq_hz /= factor;
            }
        }
        let q = match self.width {
            Width::Q(q) => q,
            Width::Slope(s) => FilterSpec::shelf_q_from_slope(self.gain_db, s),
            Width::BandwidthOct(bw) => {
                // RBJ cookbook: alpha = sin w0 · sinh(ln2/2 · BW · w0/sin w0) = sin w0/(2Q).
                let w0 = 2.0 * std::f64::consts::PI * freq_hz / sample_rate_hz;
                1.0 / (2.0 * (LN_2 / 2.0 * bw * w0 / w0.sin()).sinh())
            }
        };
        FilterSpec {
            kind: self.kind,
            freq_hz,
            q,
            gain_db: self.gain_db,
        }
    }
}

/// One processing stage of an EQ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EqStage {
    /// A flat gain (`Preamp:`).
    Preamp {
        /// Gain in dB.
        gain_db: f64,
    },
    /// A biquad (`Filter:`).
    Filter(EqFilter),
    /// A graphic EQ (`GraphicEQ:`): nodes in Hz and dB, interpolated linearly in log f,
    /// end values held outside the node range (EAPO's `GainIterator`).
    Graphic(Curve),
}

/// A stage with the channels it applies to and the 1-based line it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelStage {
    /// The channels the stage applies to.
    pub channels: ChannelMask,
    /// The stage.
    pub stage: EqStage,
    /// Line in the source file (0 when built in code).
    pub line: usize,
}

/// An imported EQ: stages in file order, each for a set of channels.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EqConfig {
    /// The stages in the order the file lists them.
    pub stages: Vec<ChannelStage>,
}

/// A preamp and a list of cookbook filters: the input of the parametric exporters, and what a
/// parametric EQ profile reduces to at a given sample rate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ParametricEq {
    /// Flat gain in dB applied with the filters (usually negative headroom).
    pub preamp_db: f64,
    /// The filters, in cascade.
    pub filters: Vec<FilterSpec>,
}

impl ParametricEq {
    /// Magnitude response in dB (preamp included) at `freqs_hz` for `sample_rate_hz`.
    pub fn response_db(&self, freqs_hz: &[f64], sample_rate_hz: f64) -> Vec<f64> {
        let coeffs: Vec<Coefficients> = self
            .filters
            .iter()
            .map(|f| Coefficients::design(f, sample_rate_hz))
            .collect();
        freqs_hz
            .iter()
            .map(|&f| {
                self.preamp_db
                    + coeffs
                        .iter()
                        .map(|c| c.magnitude_db(f, sample_rate_hz))
                        .sum::<f64>()
            })
            .collect()
    }
}

impl EqConfig {
    fn stages_for(&self, channel: Channel) -> impl Iterator<Item = &EqStage> {
        self.stages
            .iter()
            .filter(move |s| s.channels.contains(channel))
            .map(|s| &s.stage)
    }

    /// The exact magnitude response in dB for `channel` at `freqs_hz`, with every preamp,
    /// biquad (f64 RBJ, `refcan::filter`) and graphic EQ that applies to that channel.
    pub fn response_db(&self, freqs_hz: &[f64], sample_rate_hz: f64, channel: Channel) -> Vec<f64> {
        let mut out = vec![0.0; freqs_hz.len()];
        for stage in self.stages_for(channel) {
            match stage {
                EqStage::Preamp { gain_db } => out.iter_mut().for_each(|o| *o += gain_db),
                EqStage::Filter(filter) => {
                    let c = Coefficients::design(
                        &filter.to_filter_spec(sample_rate_hz),
                        sample_rate_hz,
                    );
                    for (o, &f) in out.iter_mut().zip(freqs_hz) {
                        *o += c.magnitude_db(f, sample_rate_hz);
                    }
                }
                EqStage::Graphic(nodes) => {
                    for (o, &f) in out.iter_mut().zip(freqs_hz) {
                        *o += nodes.value_at(f);
                    }
                }
            }
        }
        out
    }

    /// Sum of the preamps that apply to `channel`, in dB.
    pub fn preamp_db(&self, channel: Channel) -> f64 {
        self.stages_for(channel)
            .map(|s| match s {
                EqStage::Preamp { gain_db } => *gain_db,
                _ => 0.0,
            })
            .sum()
    }

    /// The cookbook sections for `channel` at `sample_rate_hz`, in order (graphic stages and
    /// preamps are not included).
    pub fn filter_specs(&self, sample_rate_hz: f64, channel: Channel) -> Vec<FilterSpec> {
        self.stages_for(channel)
            .filter_map(|s| match s {
                EqStage::Filter(f) => Some(f.to_filter_spec(sample_rate_hz)),
                _ => None,
            })
            .collect()
    }

    /// True if the profile has a `GraphicEQ:` stage for some channel.
    pub fn has_graphic(&self) -> bool {
        self.stages
            .iter()
            .any(|s| matches!(s.stage, EqStage::Graphic(_)))
    }

    /// True if some stage applies to one channel only, so left and right differ.
    pub fn is_stereo(&self) -> bool {
        self.stages
            .iter()
            .any(|s| s.channels.left != s.channels.right)
    }

    /// The profile as preamp + filters for `channel` at `sample_rate_hz`; `None` when it has
    /// a graphic EQ, which no parametric form can hold exactly.
    pub fn to_parametric(&self, sample_rate_hz: f64, channel: Channel) -> Option<ParametricEq> {
        (!self.has_graphic()).then(|| ParametricEq {
            preamp_db: self.preamp_db(channel),
            filters: self.filter_specs(sample_rate_hz, channel),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(
        kind: FilterKind,
        freq_hz: f64,
        gain_db: f64,
        width: Width,
        corner: bool,
    ) -> EqFilter {
        EqFilter {
            kind,
            freq_hz,
            gain_db,
            width,
            corner_frequency: corner,
        }
    }

    #[test]
    fn corner_shelf_moves_the_centre() {
        // LS corner 100 Hz, +6 dB, S = 0.5: centre = 100 · 10^(6/(80·0.5)) = 141.25 Hz.
        let f = filter(FilterKind::LowShelf, 100.0, 6.0, Width::Slope(0.5), true);
        let spec = f.to_filter_spec(48_000.0);
        assert!((spec.freq_hz - 100.0 * 10f64.powf(6.0 / 40.0)).abs() < 1e-9);
        // HS divides.
        let f = filter(FilterKind::HighShelf, 8000.0, -6.0, Width::Slope(0.5), true);
        let spec = f.to_filter_spec(48_000.0);
        assert!((spec.freq_hz - 8000.0 / 10f64.powf(6.0 / 40.0)).abs() < 1e-9);
    }

    #[test]
    fn shelf_q_to_s_inverts_the_slope_relation() {
        // For a Q-specified corner shelf the S used for the corner shift must give back Q.
        let (g, q) = (5.0, 0.6);
        let a = 10f64.powf(g / 40.0);
        let s = 1.0 / ((1.0 / (q * q) - 2.0) / (a + 1.0 / a) + 1.0);
        assert!((FilterSpec::shelf_q_from_slope(g, s) - q).abs() < 1e-12);
    }

    #[test]
    fn bandwidth_is_converted_at_the_sample_rate() {
        // Low frequency: w0/sin w0 → 1, so Q → 1/(2 sinh(ln2/2 · BW)) (analog relation):
        // BW = 1 octave gives Q = 1.4142.
        let f = filter(
            FilterKind::Peaking,
            20.0,
            3.0,
            Width::BandwidthOct(1.0),
            false,
        );
        let q = f.to_filter_spec(192_000.0).q;
        assert!((q - std::f64::consts::SQRT_2).abs() < 1e-4, "{q}");
        // Near Nyquist the digital relation gives a smaller Q.
        let f = filter(
            FilterKind::Peaking,
            15_000.0,
            3.0,
            Width::BandwidthOct(1.0),
            false,
        );
        assert!(f.to_filter_spec(44_100.0).q < 1.3);
    }

    #[test]
    fn response_sums_stages_per_channel() {
        let pk = filter(FilterKind::Peaking, 1000.0, 6.0, Width::Q(1.0), false);
        let profile = EqConfig {
            stages: vec![
                ChannelStage {
                    channels: ChannelMask::BOTH,
                    stage: EqStage::Preamp { gain_db: -6.0 },
                    line: 1,
                },
                ChannelStage {
                    channels: ChannelMask {
                        left: true,
                        right: false,
                    },
                    stage: EqStage::Filter(pk),
                    line: 2,
                },
            ],
        };
        let l = profile.response_db(&[1000.0], 48_000.0, Channel::Left);
        let r = profile.response_db(&[1000.0], 48_000.0, Channel::Right);
        assert!((l[0] - 0.0).abs() < 1e-9);
        assert!((r[0] + 6.0).abs() < 1e-12);
        assert!(profile.is_stereo());
        assert_eq!(profile.filter_specs(48_000.0, Channel::Right).len(), 0);
    }
}
