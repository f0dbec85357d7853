//! Every host-visible parameter, with its stable string id, range and smoothing.
//!
//! The ids (`#[id = …]`) are a public contract (PRODUCT.md, "Parameters"): hosts store automation
//! and projects under them. Never rename one after it ships; add new parameters instead.

use crate::chain::ChainSettings;
use crate::curve::target::{
    PINNA_GAIN_RANGE_PERCENT, ROOM_GAIN_RANGE_DB, TILT_RANGE_DB_PER_OCT, TREBLE_RANGE_DB,
};
use crate::curve::{CorrectionSettings, PersonalTarget};
use crate::design::{DesignSettings, FilterMode};
use crate::state::SharedState;
use nice_plug::prelude::*;
use std::sync::Arc;

/// Output trim range in dB.
pub const OUTPUT_GAIN_MIN_DB: f32 = -24.0;
/// Output trim range in dB.
pub const OUTPUT_GAIN_MAX_DB: f32 = 12.0;
/// Time the output trim takes to reach a new value, in milliseconds.
pub const OUTPUT_GAIN_SMOOTHING_MS: f32 = 20.0;

/// The reference targets the `target` parameter offers: the built-in target presets, with
/// their preset ids as stable ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum TargetChoice {
    /// A flat loudspeaker pair in a good room, measured on the rig: studio neutral, and the
    /// reference every built-in simulation is relative to (the default).
    #[id = "harman_in_room_flat_2013"]
    #[name = "Harman in-room flat 2013"]
    HarmanInRoomFlat2013,
    /// Diffuse field, ISO 11904-2.
    #[id = "diffuse_field_iso_11904_2"]
    #[name = "Diffuse field (ISO 11904-2)"]
    DiffuseField,
    /// Harman over-ear 2018 (audiophile neutral for over-ears).
    #[id = "harman_oe_2018"]
    #[name = "Harman over-ear 2018"]
    HarmanOe2018,
    /// Harman in-ear 2019 v2 (audiophile neutral for IEMs).
    #[id = "harman_ie_2019v2"]
    #[name = "Harman in-ear 2019"]
    HarmanIe2019,
}

impl TargetChoice {
    /// The target preset id (`presets/targets/<id>.json`).
    pub fn preset_id(self) -> &'static str {
        match self {
            Self::HarmanInRoomFlat2013 => "harman_in_room_flat_2013",
            Self::DiffuseField => "diffuse_field_iso_11904_2",
            Self::HarmanOe2018 => "harman_oe_2018",
            Self::HarmanIe2019 => "harman_ie_2019v2",
        }
    }

    /// The choice whose preset id is `id`.
    pub fn from_preset_id(id: &str) -> Option<Self> {
        Self::variants()
            .iter()
            .enumerate()
            .map(|(i, _)| Self::from_index(i))
            .find(|t| t.preset_id() == id)
    }
}

/// The `filter_mode` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FilterModeChoice {
    /// Minimum-phase FIR, 0 samples of latency (the default).
    #[id = "zero_latency"]
    #[name = "Zero latency"]
    ZeroLatency,
    /// Linear-phase FIR, 4095 samples of latency at 48 kHz (85 ms).
    #[id = "linear_phase"]
    #[name = "Linear phase"]
    LinearPhase,
    /// Fitted parametric biquads, 0 samples, least CPU.
    #[id = "low_cpu"]
    #[name = "Low CPU"]
    LowCpu,
}

impl From<FilterModeChoice> for FilterMode {
    fn from(c: FilterModeChoice) -> Self {
        match c {
            FilterModeChoice::ZeroLatency => FilterMode::ZeroLatency,
            FilterModeChoice::LinearPhase => FilterMode::LinearPhase,
            FilterModeChoice::LowCpu => FilterMode::LowCpu,
        }
    }
}

/// Refcan's parameters and persisted state.
#[derive(Params)]
pub struct RefcanParams {
    /// The host's bypass switch (flagged as the bypass parameter in CLAP and VST3).
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// Output trim in dB, smoothed linearly in dB.
    #[id = "output_gain"]
    pub output_gain: FloatParam,

    /// Mono check: both channels carry (L + R) / 2.
    #[id = "mono"]
    pub mono: BoolParam,

    /// Headphone correction on/off (off: the raw headphone, same preamp).
    #[id = "correct"]
    pub correct: BoolParam,

    /// Correction strength, percent.
    #[id = "amount"]
    pub amount: FloatParam,

    /// The baseline reference target.
    #[id = "target"]
    pub target: EnumParam<TargetChoice>,

    /// The engine: Zero latency, Linear phase or Low CPU (changes the latency).
    #[id = "filter_mode"]
    pub filter_mode: EnumParam<FilterModeChoice>,

    /// Personal target: bass shelf 105 Hz Q 0.7, dB.
    #[id = "room_gain"]
    pub room_gain: FloatParam,

    /// Personal target: scale of the ear-gain region, percent.
    #[id = "pinna_gain"]
    pub pinna_gain: FloatParam,

    /// Personal target: tilt about 632 Hz, dB/octave.
    #[id = "tilt"]
    pub tilt: FloatParam,

    /// Personal target: high shelf 10 kHz Q 0.7, dB.
    #[id = "treble"]
    pub treble: FloatParam,

    /// Non-parameter state (versioned document, see `state.rs`).
    #[persist = "refcan"]
    pub state: SharedState,
}

impl Default for RefcanParams {
    fn default() -> Self {
        Self {
            bypass: BoolParam::new("Bypass", false)
                .with_value_to_string(formatters::v2s_bool_bypass())
                .with_string_to_value(formatters::s2v_bool_bypass())
                .make_bypass(),
            output_gain: FloatParam::new(
                "Output Gain",
                0.0,
                FloatRange::Linear {
                    min: OUTPUT_GAIN_MIN_DB,
                    max: OUTPUT_GAIN_MAX_DB,
                },
            )
            .with_smoother(SmoothingStyle::Linear(OUTPUT_GAIN_SMOOTHING_MS))
            .with_unit(" dB")
            .with_value_to_string(formatters::v2s_f32_rounded(2))
            .with_string_to_value(Arc::new(|s: &str| {
                s.trim().trim_end_matches("dB").trim().parse::<f32>().ok()
            })),
            mono: BoolParam::new("Mono", false)
                .with_value_to_string(Arc::new(
                    |on| {
                        if on { "Mono".into() } else { "Stereo".into() }
                    },
                ))
                .with_string_to_value(Arc::new(|s: &str| {
                    match s.trim().to_ascii_lowercase().as_str() {
                        "mono" | "on" | "1" | "true" => Some(true),
                        "stereo" | "off" | "0" | "false" => Some(false),
                        _ => None,
                    }
                })),
            correct: BoolParam::new("Correct", true)
                .with_value_to_string(Arc::new(|on| if on { "On".into() } else { "Off".into() }))
                .with_string_to_value(Arc::new(parse_on_off)),
            amount: float_param("Amount", 100.0, 0.0..=100.0, " %", 1),
            target: EnumParam::new("Target", TargetChoice::HarmanInRoomFlat2013).non_automatable(),
            filter_mode: EnumParam::new("Filter Mode", FilterModeChoice::ZeroLatency)
                .non_automatable(),
            room_gain: float_param("Room Gain", 0.0, ROOM_GAIN_RANGE_DB, " dB", 1),
            pinna_gain: float_param("Pinna Gain", 100.0, PINNA_GAIN_RANGE_PERCENT, " %", 0),
            tilt: float_param("Tilt", 0.0, TILT_RANGE_DB_PER_OCT, " dB/oct", 2),
            treble: float_param("Treble", 0.0, TREBLE_RANGE_DB, " dB", 1),
            state: SharedState::default(),
        }
    }
}

impl RefcanParams {
    /// The design settings these parameters and the state document describe.
    pub fn design_settings(&self) -> DesignSettings {
        let max_boost_db = self.state.max_boost_db();
        DesignSettings {
            mode: self.filter_mode.value().into(),
            target_id: self.target.value().preset_id().to_string(),
            chain: ChainSettings {
                knobs: PersonalTarget {
                    room_gain_db: f64::from(self.room_gain.value()),
                    pinna_gain_percent: f64::from(self.pinna_gain.value()),
                    tilt_db_per_oct: f64::from(self.tilt.value()),
                    treble_db: f64::from(self.treble.value()),
                },
                correction: CorrectionSettings {
                    max_boost_db,
                    amount_percent: f64::from(self.amount.value()),
                    ..CorrectionSettings::default()
                },
                correct: self.correct.value(),
            },
        }
    }
}

/// A float parameter with a linear range, a unit and text in and out with `decimals`.
fn float_param(
    name: &str,
    default: f64,
    range: std::ops::RangeInclusive<f64>,
    unit: &'static str,
    decimals: usize,
) -> FloatParam {
    FloatParam::new(
        name,
        default as f32,
        FloatRange::Linear {
            min: *range.start() as f32,
            max: *range.end() as f32,
        },
    )
    .with_unit(unit)
    .with_value_to_string(formatters::v2s_f32_rounded(decimals))
    .with_string_to_value(Arc::new(move |s: &str| {
        s.trim()
            .trim_end_matches(unit.trim())
            .trim()
            .parse::<f32>()
            .ok()
    }))
}

fn parse_on_off(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" => Some(true),
        "off" | "0" | "false" => Some(false),
        _ => None,
    }
}
