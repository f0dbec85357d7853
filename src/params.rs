//! Every host-visible parameter, with its stable string id, range and smoothing.
//!
//! The ids (`#[id = …]`) are a public contract (PRODUCT.md, "Parameters"): hosts store automation
//! and projects under them. Never rename one after it ships; add new parameters instead.

use crate::chain::{AMOUNT_RANGE_PERCENT, ChainSettings};
use crate::curve::target::{
    PINNA_GAIN_RANGE_PERCENT, ROOM_GAIN_RANGE_DB, TILT_RANGE_DB_PER_OCT, TREBLE_RANGE_DB,
};
use crate::curve::{CorrectionSettings, PersonalTarget};
use crate::design::{DesignSettings, FilterMode};
use crate::state::SharedState;
use nice_plug::plugin::ParamValue;
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

/// The `crossfeed` parameter: off, or a strength after one of Bauer's bs2b presets
/// ([`crate::dsp::crossfeed::PRESETS`], in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum CrossfeedChoice {
    /// No crossfeed (the default).
    #[id = "off"]
    #[name = "Off"]
    Off,
    /// bs2b's Jan Meier preset: 650 Hz, 9.5 dB.
    #[id = "meier"]
    #[name = "Light (Meier)"]
    Light,
    /// bs2b's Chu Moy preset: 700 Hz, 6 dB.
    #[id = "chu_moy"]
    #[name = "Medium (Chu Moy)"]
    Medium,
    /// bs2b's default preset: 700 Hz, 4.5 dB.
    #[id = "bs2b_default"]
    #[name = "Strong (bs2b)"]
    Strong,
}

impl CrossfeedChoice {
    /// 0 = off, k = `PRESETS[k − 1]`.
    pub fn index(self) -> usize {
        self.to_index()
    }

    /// The stable id.
    pub fn id(self) -> &'static str {
        Self::ids()
            .and_then(|ids| ids.get(self.index()).copied())
            .unwrap_or("off")
    }

    /// The choice whose id is `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ids()
            .and_then(|ids| ids.iter().position(|i| *i == id))
            .map(Self::from_index)
    }
}

/// The `listen` parameter: what is heard. One automation lane switches between the reference
/// and the eight translation-check slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ListenChoice {
    /// The corrected headphone.
    #[id = "reference"]
    #[name = "Reference"]
    Reference,
    /// Slot 1.
    #[id = "slot_1"]
    #[name = "Slot 1"]
    Slot1,
    /// Slot 2.
    #[id = "slot_2"]
    #[name = "Slot 2"]
    Slot2,
    /// Slot 3.
    #[id = "slot_3"]
    #[name = "Slot 3"]
    Slot3,
    /// Slot 4.
    #[id = "slot_4"]
    #[name = "Slot 4"]
    Slot4,
    /// Slot 5.
    #[id = "slot_5"]
    #[name = "Slot 5"]
    Slot5,
    /// Slot 6.
    #[id = "slot_6"]
    #[name = "Slot 6"]
    Slot6,
    /// Slot 7.
    #[id = "slot_7"]
    #[name = "Slot 7"]
    Slot7,
    /// Slot 8.
    #[id = "slot_8"]
    #[name = "Slot 8"]
    Slot8,
}

impl ListenChoice {
    /// 0 for the reference, k for slot k.
    pub fn index(self) -> usize {
        self.to_index()
    }

    /// The stable id (`reference`, `slot_1` … `slot_8`).
    pub fn id(self) -> &'static str {
        Self::ids()
            .and_then(|ids| ids.get(self.index()).copied())
            .unwrap_or("reference")
    }

    /// The choice with index `index` (0 = reference), if any.
    pub fn from_position(index: usize) -> Option<Self> {
        (index < Self::variants().len()).then(|| Self::from_index(index))
    }

    /// Reads `reference`, `slot-N` / `slot_N` (N = 1…8), or the id of a simulation one of
    /// `slots` holds (the first slot holding it).
    pub fn parse(text: &str, slots: &[crate::state::SlotContent]) -> Result<Self, String> {
        let t = text.trim().to_ascii_lowercase();
        if t == "reference" {
            return Ok(Self::Reference);
        }
        if let Some(n) = t.strip_prefix("slot-").or_else(|| t.strip_prefix("slot_")) {
            return n
                .parse::<usize>()
                .ok()
                .filter(|&k| k >= 1)
                .and_then(Self::from_position)
                .ok_or_else(|| format!("listen '{text}': slots are slot-1 … slot-8"));
        }
        let found = slots.iter().position(
            |s| matches!(s, crate::state::SlotContent::Simulation { id, .. } if *id == t),
        );
        found
            .and_then(|k| Self::from_position(k + 1))
            .ok_or_else(|| {
                let ids: Vec<String> = slots
                    .iter()
                    .filter_map(|s| match s {
                        crate::state::SlotContent::Simulation { id, .. } => Some(id.clone()),
                        crate::state::SlotContent::OtherHeadphone { .. } => None,
                    })
                    .collect();
                format!(
                    "listen '{text}' is not reference, slot-N or a simulation in a slot ({})",
                    ids.join(", ")
                )
            })
    }
}

/// The `filter_mode` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FilterModeChoice {
    /// Minimum-phase FIR, 0 samples of latency (the default).
    #[id = "zero_latency"]
    #[name = "Zero latency"]
    ZeroLatency,
    /// Linear-phase FIR, 8191 samples of latency at 48 kHz (171 ms).
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

    /// What is heard: Reference or Slot 1…8 (sample-accurate).
    #[id = "listen"]
    pub listen: EnumParam<ListenChoice>,

    /// Loudness-matched switching between the reference and the slots.
    #[id = "level_match"]
    pub level_match: BoolParam,

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

    /// The editor window's size (logical pixels), kept with the project.
    #[persist = "editor-size"]
    pub editor_size: crate::editor::EditorSize,

    /// Crossfeed strength (after the correction, before the simulation; level of mono kept).
    #[id = "crossfeed"]
    pub crossfeed: EnumParam<CrossfeedChoice>,

    /// Non-parameter state (versioned document, see `state.rs`).
    #[persist = "refcan"]
    pub state: SharedState,
}

/// Plain values of every parameter: what a preset writes and what a new instance starts
/// with ([`ParamValues::default`] is the one source of the parameters' defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamValues {
    /// `bypass`.
    pub bypass: bool,
    /// `output_gain`, dB.
    pub output_gain_db: f32,
    /// `mono`.
    pub mono: bool,
    /// `listen`.
    pub listen: ListenChoice,
    /// `level_match`.
    pub level_match: bool,
    /// `correct`.
    pub correct: bool,
    /// `amount`, percent.
    pub amount_percent: f32,
    /// `target`.
    pub target: TargetChoice,
    /// `filter_mode`.
    pub filter_mode: FilterModeChoice,
    /// `room_gain`, dB.
    pub room_gain_db: f32,
    /// `pinna_gain`, percent.
    pub pinna_gain_percent: f32,
    /// `tilt`, dB/octave.
    pub tilt_db_per_oct: f32,
    /// `treble`, dB.
    pub treble_db: f32,
    /// `crossfeed`.
    pub crossfeed: CrossfeedChoice,
}

impl Default for ParamValues {
    fn default() -> Self {
        Self {
            bypass: false,
            output_gain_db: 0.0,
            mono: false,
            listen: ListenChoice::Reference,
            level_match: true,
            correct: true,
            amount_percent: 100.0,
            target: TargetChoice::HarmanInRoomFlat2013,
            filter_mode: FilterModeChoice::ZeroLatency,
            room_gain_db: 0.0,
            pinna_gain_percent: 100.0,
            tilt_db_per_oct: 0.0,
            treble_db: 0.0,
            crossfeed: CrossfeedChoice::Off,
        }
    }
}

impl ParamValues {
    /// The values as nice-plug stores them in a plugin state: plain values under the stable
    /// ids, enum parameters by their variant ids.
    pub fn to_state_params(&self) -> std::collections::BTreeMap<String, ParamValue> {
        [
            ("bypass", ParamValue::Bool(self.bypass)),
            ("output_gain", ParamValue::F32(self.output_gain_db)),
            ("mono", ParamValue::Bool(self.mono)),
            ("listen", ParamValue::String(self.listen.id().into())),
            ("level_match", ParamValue::Bool(self.level_match)),
            ("correct", ParamValue::Bool(self.correct)),
            ("amount", ParamValue::F32(self.amount_percent)),
            ("target", ParamValue::String(self.target.preset_id().into())),
            (
                "filter_mode",
                ParamValue::String(self.filter_mode.id().into()),
            ),
            ("room_gain", ParamValue::F32(self.room_gain_db)),
            ("pinna_gain", ParamValue::F32(self.pinna_gain_percent)),
            ("tilt", ParamValue::F32(self.tilt_db_per_oct)),
            ("treble", ParamValue::F32(self.treble_db)),
            ("crossfeed", ParamValue::String(self.crossfeed.id().into())),
        ]
        .into_iter()
        .map(|(id, v)| (id.to_string(), v))
        .collect()
    }
}

impl ParamValues {
    /// Reads the values from a saved plugin state's parameters (what
    /// [`ParamValues::to_state_params`] writes); parameters it lacks keep their defaults.
    /// Fails, naming the parameter, on a value of the wrong kind, an unknown enum id or a
    /// number that is not finite or outside the parameter's range.
    pub fn from_state_params(
        params: &std::collections::BTreeMap<String, ParamValue>,
    ) -> Result<Self, String> {
        let mut v = Self::default();
        for (id, value) in params {
            let found = match value {
                // Through the f32's shortest text, so 1e30 shows as 1e30, not as its f64 digits.
                ParamValue::F32(x) => format!(
                    "the number {}",
                    crate::curve::points::Shown(x.to_string().parse().unwrap_or(f64::NAN))
                ),
                ParamValue::I32(x) => format!("the integer {x}"),
                ParamValue::Bool(b) => format!("{b}"),
                ParamValue::String(t) => format!("{:?}", crate::io::excerpt(t)),
            };
            let bad = || format!("parameter {id}: unexpected value {found}");
            let float = |range: std::ops::RangeInclusive<f64>| match value {
                ParamValue::F32(x) if x.is_finite() && range.contains(&f64::from(*x)) => Ok(*x),
                _ => Err(format!(
                    "parameter {id}: expected a number within {} … {}, found {found}",
                    range.start(),
                    range.end()
                )),
            };
            let boolean = || match value {
                ParamValue::Bool(b) => Ok(*b),
                _ => Err(format!(
                    "parameter {id}: expected true or false, found {found}"
                )),
            };
            let text = || match value {
                ParamValue::String(t) => Ok(t.as_str()),
                _ => Err(format!(
                    "parameter {id}: expected a choice id, found {found}"
                )),
            };
            match id.as_str() {
                "bypass" => v.bypass = boolean()?,
                "mono" => v.mono = boolean()?,
                "level_match" => v.level_match = boolean()?,
                "correct" => v.correct = boolean()?,
                "output_gain" => {
                    v.output_gain_db =
                        float(f64::from(OUTPUT_GAIN_MIN_DB)..=f64::from(OUTPUT_GAIN_MAX_DB))?
                }
                "amount" => v.amount_percent = float(AMOUNT_RANGE_PERCENT)?,
                "room_gain" => v.room_gain_db = float(ROOM_GAIN_RANGE_DB)?,
                "pinna_gain" => v.pinna_gain_percent = float(PINNA_GAIN_RANGE_PERCENT)?,
                "tilt" => v.tilt_db_per_oct = float(TILT_RANGE_DB_PER_OCT)?,
                "treble" => v.treble_db = float(TREBLE_RANGE_DB)?,
                "listen" => {
                    let t = text()?;
                    v.listen = ListenChoice::ids()
                        .and_then(|ids| ids.iter().position(|i| *i == t))
                        .and_then(ListenChoice::from_position)
                        .ok_or_else(bad)?;
                }
                "target" => v.target = TargetChoice::from_preset_id(text()?).ok_or_else(bad)?,
                "filter_mode" => {
                    v.filter_mode = FilterModeChoice::from_id(text()?).ok_or_else(bad)?
                }
                "crossfeed" => v.crossfeed = CrossfeedChoice::from_id(text()?).ok_or_else(bad)?,
                _ => {}
            }
        }
        Ok(v)
    }

    /// The design settings these values describe, with the state's max boost.
    pub fn design_settings(&self, max_boost_db: f64) -> DesignSettings {
        DesignSettings {
            mode: self.filter_mode.into(),
            target_id: self.target.preset_id().to_string(),
            chain: ChainSettings {
                knobs: PersonalTarget {
                    room_gain_db: f64::from(self.room_gain_db),
                    pinna_gain_percent: f64::from(self.pinna_gain_percent),
                    tilt_db_per_oct: f64::from(self.tilt_db_per_oct),
                    treble_db: f64::from(self.treble_db),
                },
                correction: CorrectionSettings {
                    max_boost_db,
                    amount_percent: f64::from(self.amount_percent),
                    ..CorrectionSettings::default()
                },
                correct: self.correct,
                level_match: self.level_match,
            },
        }
    }
}

impl FilterModeChoice {
    /// The stable id (`zero_latency`, `linear_phase`, `low_cpu`).
    pub fn id(self) -> &'static str {
        match self {
            Self::ZeroLatency => "zero_latency",
            Self::LinearPhase => "linear_phase",
            Self::LowCpu => "low_cpu",
        }
    }

    /// The choice with stable id `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::ZeroLatency, Self::LinearPhase, Self::LowCpu]
            .into_iter()
            .find(|c| c.id() == id)
    }
}

impl Default for RefcanParams {
    fn default() -> Self {
        let d = ParamValues::default();
        Self {
            bypass: BoolParam::new("Bypass", d.bypass)
                .with_value_to_string(formatters::v2s_bool_bypass())
                .with_string_to_value(formatters::s2v_bool_bypass())
                .make_bypass(),
            output_gain: FloatParam::new(
                "Output Gain",
                d.output_gain_db,
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
            mono: BoolParam::new("Mono", d.mono)
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
            listen: EnumParam::new("Listen", d.listen),
            level_match: BoolParam::new("Level Match", d.level_match)
                .with_value_to_string(Arc::new(|on| if on { "On".into() } else { "Off".into() }))
                .with_string_to_value(Arc::new(parse_on_off)),
            correct: BoolParam::new("Correct", d.correct)
                .with_value_to_string(Arc::new(|on| if on { "On".into() } else { "Off".into() }))
                .with_string_to_value(Arc::new(parse_on_off)),
            amount: float_param("Amount", d.amount_percent, AMOUNT_RANGE_PERCENT, " %", 1),
            target: EnumParam::new("Target", d.target).non_automatable(),
            filter_mode: EnumParam::new("Filter Mode", d.filter_mode).non_automatable(),
            room_gain: float_param("Room Gain", d.room_gain_db, ROOM_GAIN_RANGE_DB, " dB", 1),
            pinna_gain: float_param(
                "Pinna Gain",
                d.pinna_gain_percent,
                PINNA_GAIN_RANGE_PERCENT,
                " %",
                0,
            ),
            tilt: float_param(
                "Tilt",
                d.tilt_db_per_oct,
                TILT_RANGE_DB_PER_OCT,
                " dB/oct",
                2,
            ),
            treble: float_param("Treble", d.treble_db, TREBLE_RANGE_DB, " dB", 1),
            crossfeed: EnumParam::new("Crossfeed", d.crossfeed),
            editor_size: crate::editor::EditorSize::default(),
            state: SharedState::default(),
        }
    }
}

impl RefcanParams {
    /// The parameters' current values.
    pub fn values(&self) -> ParamValues {
        ParamValues {
            bypass: self.bypass.value(),
            output_gain_db: self.output_gain.value(),
            mono: self.mono.value(),
            listen: self.listen.value(),
            level_match: self.level_match.value(),
            correct: self.correct.value(),
            amount_percent: self.amount.value(),
            target: self.target.value(),
            filter_mode: self.filter_mode.value(),
            room_gain_db: self.room_gain.value(),
            pinna_gain_percent: self.pinna_gain.value(),
            tilt_db_per_oct: self.tilt.value(),
            treble_db: self.treble.value(),
            crossfeed: self.crossfeed.value(),
        }
    }

    /// The design settings these parameters and the state document describe.
    pub fn design_settings(&self) -> DesignSettings {
        self.values().design_settings(self.state.max_boost_db())
    }
}

/// A float parameter with a linear range, a unit and text in and out with `decimals`.
fn float_param(
    name: &str,
    default: f32,
    range: std::ops::RangeInclusive<f64>,
    unit: &'static str,
    decimals: usize,
) -> FloatParam {
    FloatParam::new(
        name,
        default,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_values_cover_every_parameter_with_its_default() {
        let params = RefcanParams::default();
        let written = ParamValues::default().to_state_params();
        let ids: Vec<String> = params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(written.keys().cloned().collect::<Vec<_>>(), sorted);
        // Defaults agree with the parameters' own (read through the same plain values).
        let d = ParamValues::default();
        assert_eq!(params.output_gain.default_plain_value(), d.output_gain_db);
        assert_eq!(params.amount.default_plain_value(), d.amount_percent);
        assert_eq!(
            params.pinna_gain.default_plain_value(),
            d.pinna_gain_percent
        );
        assert_eq!(params.target.default_plain_value(), d.target);
        assert_eq!(params.filter_mode.default_plain_value(), d.filter_mode);
        assert_eq!(params.correct.default_plain_value(), d.correct);
        assert_eq!(params.listen.default_plain_value(), d.listen);
        assert_eq!(params.level_match.default_plain_value(), d.level_match);
        let listen_ids: Vec<&str> = (0..ListenChoice::variants().len())
            .map(|i| ListenChoice::from_index(i).id())
            .collect();
        assert_eq!(listen_ids[0], "reference");
        assert_eq!(listen_ids[8], "slot_8");
        // Enum ids are the derive's ids.
        let target_ids: Vec<&str> = (0..TargetChoice::variants().len())
            .map(|i| TargetChoice::from_index(i).preset_id())
            .collect();
        assert_eq!(Some(target_ids.as_slice()), TargetChoice::ids());
        let mode_ids: Vec<&str> = (0..FilterModeChoice::variants().len())
            .map(|i| FilterModeChoice::from_index(i).id())
            .collect();
        assert_eq!(Some(mode_ids.as_slice()), FilterModeChoice::ids());
        // Every built-in target choice names a built-in target preset.
        let library = crate::presets::PresetLibrary::builtin();
        for id in target_ids {
            assert!(library.target(id).is_some(), "{id}");
        }
    }
}
