//! Every host-visible parameter, with its stable string id, range and smoothing.
//!
//! The ids (`#[id = …]`) are a public contract (PRODUCT.md, "Parameters"): hosts store automation
//! and projects under them. Never rename one after it ships; add new parameters instead.

use crate::state::SharedState;
use nice_plug::prelude::*;
use std::sync::Arc;

/// Output trim range in dB.
pub const OUTPUT_GAIN_MIN_DB: f32 = -24.0;
/// Output trim range in dB.
pub const OUTPUT_GAIN_MAX_DB: f32 = 12.0;
/// Time the output trim takes to reach a new value, in milliseconds.
pub const OUTPUT_GAIN_SMOOTHING_MS: f32 = 20.0;

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
            state: SharedState::default(),
        }
    }
}
