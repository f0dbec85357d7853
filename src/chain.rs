//! The monitoring chain as curves: reference target, headphone correction, the slots'
//! simulations, loudness matching and the one common preamp (PRODUCT.md, "Signal chain").
//!
//! ```text
//! in ─► [correction C = T_ref − H] ─► [simulation ΔS_k] ─► [level match −g_k] ─► [preamp] ─► out
//! ```
//!
//! Plain data in ([`ChainInputs`]: the headphone as data, the baseline target and its knobs,
//! the correction settings, the slots' sources), plain curves out ([`ChainCurves`]: per
//! channel the correction and every slot's whole curve, the level-match gains, the preamp,
//! and named curves with roles for plots). The CLI prints and plots them, the plugin's
//! designer turns them into filters, the editor will draw them: one place computes the chain.

use crate::curve::simulation::Simulation;
use crate::curve::target::{
    PINNA_GAIN_RANGE_PERCENT, ROOM_GAIN_RANGE_DB, TILT_RANGE_DB_PER_OCT, TREBLE_RANGE_DB,
};
use crate::curve::{
    self, ChannelResponses, CorrectionSettings, PersonalTarget, Response, correction,
    headroom_preamp_db, k_weighted_pink_gain_db, k_weighted_pink_gains_db_of_sums, linear_powers,
    other_headphone_delta,
};
use crate::filter::FilterSpec;
use crate::fit::{Effort, FitConfig, Shelves};
use crate::source::{Headphone, SourceError};
use std::ops::RangeInclusive;

/// Width of the fade of an "other headphone" ΔS outside its measured band, octaves (as the
/// correction fades).
const OTHER_HEADPHONE_FADE_OCT: f64 = 0.5;

/// What a translation-check slot plays on top of the reference.
#[derive(Debug, Clone, PartialEq)]
pub enum SlotSource {
    /// A parametric device simulation (a built-in or user preset).
    Simulation {
        /// Preset id (stable, e.g. `phone_speaker`).
        id: String,
        /// Display name.
        name: String,
        /// The simulation.
        simulation: Simulation,
    },
    /// "Listen through another headphone": `ΔS = H_other − T_ref`.
    OtherHeadphone {
        /// Display name.
        name: String,
        /// The other headphone's measurement (any level; centred when used).
        measurement: Response,
    },
}

impl SlotSource {
    /// A short id for CSV columns: the preset id, or `through <name>`.
    pub fn id(&self) -> String {
        match self {
            Self::Simulation { id, .. } => id.clone(),
            Self::OtherHeadphone { name, .. } => format!("through {name}"),
        }
    }

    /// The display name.
    pub fn name(&self) -> String {
        match self {
            Self::Simulation { name, .. } => name.clone(),
            Self::OtherHeadphone { name, .. } => format!("through {name}"),
        }
    }

    /// True when the device sums to mono (phones, laptops).
    pub fn is_mono(&self) -> bool {
        matches!(self, Self::Simulation { simulation, .. } if simulation.mono)
    }

    /// ΔS relative to `reference`, before level matching.
    fn delta(&self, reference: &Response) -> Response {
        match self {
            Self::Simulation { simulation, .. } => simulation.delta(),
            Self::OtherHeadphone { measurement, .. } => {
                other_headphone_delta(measurement, reference, OTHER_HEADPHONE_FADE_OCT)
            }
        }
    }
}

/// The settings of the chain that are numbers (the plugin's parameters, the CLI's options).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainSettings {
    /// The personal target's knobs on top of the baseline.
    pub knobs: PersonalTarget,
    /// Max boost, slope limit, amount, fade.
    pub correction: CorrectionSettings,
    /// Headphone correction on (off: the raw headphone, with the same preamp so the switch
    /// compares shapes, not levels).
    pub correct: bool,
    /// Loudness-matched slots (off: every slot plays its ΔS as is).
    pub level_match: bool,
}

impl Default for ChainSettings {
    fn default() -> Self {
        Self {
            knobs: PersonalTarget::default(),
            correction: CorrectionSettings::default(),
            correct: true,
            level_match: true,
        }
    }
}

/// A setting outside its range (the field is named as in [`ChainSettings`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} {value} is outside {} … {}", range.start(), range.end())]
pub struct RangeError {
    /// Which setting (`room_gain_db`, `amount_percent`, …).
    pub field: &'static str,
    /// The value given.
    pub value: f64,
    /// The accepted range.
    pub range: RangeInclusive<f64>,
}

impl ChainSettings {
    /// Every number finite and within its documented range (PRODUCT.md "Parameters").
    pub fn validate(&self) -> Result<(), RangeError> {
        let k = &self.knobs;
        let c = &self.correction;
        let checks = [
            ("room_gain_db", k.room_gain_db, ROOM_GAIN_RANGE_DB),
            (
                "pinna_gain_percent",
                k.pinna_gain_percent,
                PINNA_GAIN_RANGE_PERCENT,
            ),
            ("tilt_db_per_oct", k.tilt_db_per_oct, TILT_RANGE_DB_PER_OCT),
            ("treble_db", k.treble_db, TREBLE_RANGE_DB),
            (
                "max_boost_db",
                c.max_boost_db,
                correction::MAX_BOOST_RANGE_DB,
            ),
            ("amount_percent", c.amount_percent, AMOUNT_RANGE_PERCENT),
        ];
        for (field, value, range) in checks {
            if !(value.is_finite() && range.contains(&value)) {
                return Err(RangeError {
                    field,
                    value,
                    range,
                });
            }
        }
        Ok(())
    }
}

/// Range of the correction amount, percent (PRODUCT.md).
pub const AMOUNT_RANGE_PERCENT: RangeInclusive<f64> = 0.0..=100.0;

/// Everything the chain is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ChainInputs<'a> {
    /// The user's headphone (measurement or imported EQ); `None`: nothing to correct.
    pub headphone: Option<&'a Headphone>,
    /// The baseline target (a preset's curve or a file), before the knobs.
    pub baseline: &'a Response,
    /// Knobs, correction settings, correction on/off.
    pub settings: ChainSettings,
    /// What the translation-check slots hold (empty: the reference only).
    pub slots: &'a [SlotSource],
}

/// One slot's curves.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotCurves {
    /// Stable id (preset id or `through <name>`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// ΔS, level-matched (`ΔS − g`), relative to the reference.
    pub delta: Response,
    /// The level-match gain `g` taken off ΔS, dB.
    pub level_gain_db: f64,
    /// True when the device sums to mono.
    pub mono: bool,
    /// ΔS's own biquads when the slot is a parametric simulation: the Low CPU engine runs
    /// them after the reference's fitted filters (exact, and one fit serves every such slot).
    pub filters: Option<Vec<FilterSpec>>,
}

/// The chain's curves for one set of inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainCurves {
    /// The reference target (baseline + knobs, 0 dB at 1 kHz).
    pub target: Response,
    /// The headphone measurement per channel (centred), when a measurement was given.
    pub measurement: Option<ChannelResponses>,
    /// The correction per channel as designed (flat without a headphone), whether or not
    /// correction is on.
    pub correction: ChannelResponses,
    /// Correction on.
    pub correct: bool,
    /// The slots, in order.
    pub slots: Vec<SlotCurves>,
    /// The one preamp for the reference and every slot (≤ 0 dB): no chain boosts, and
    /// switching slots never changes it.
    pub preamp_db: f64,
}

/// What is heard: the reference or one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// The corrected headphone.
    Reference,
    /// Slot `k` (0-based) of [`ChainCurves::slots`].
    Slot(usize),
}

impl ChainCurves {
    /// Computes the chain (see the module docs). Fails only when the headphone's data are
    /// not a usable curve.
    pub fn compute(inputs: &ChainInputs) -> Result<Self, SourceError> {
        let target = inputs.settings.knobs.build(inputs.baseline);
        let (measurement, correction) = match inputs.headphone {
            Some(h) => (
                h.measurement().transpose()?,
                h.correction(&target, &inputs.settings.correction)?,
            ),
            None => (None, ChannelResponses::mono(Response::flat())),
        };
        let deltas: Vec<Response> = inputs.slots.iter().map(|s| s.delta(&target)).collect();
        // Level match against what is heard: the K-weighted pink-noise loudness of the
        // correction as played plus ΔS, minus that of the correction alone (DSP_REFERENCE.md
        // §5.2, estimator 2), averaged over the ears. Exact for pink noise whatever the
        // correction does, where ΔS alone would leave a second-order error.
        let delta_powers: Vec<Vec<f64>> = if inputs.settings.level_match {
            deltas.iter().map(linear_powers).collect()
        } else {
            Vec::new()
        };
        let level_gains = |played: &[Response]| -> Vec<f64> {
            if !inputs.settings.level_match {
                return vec![0.0; deltas.len()];
            }
            let mut sum = vec![0.0; deltas.len()];
            for c in played {
                let alone = k_weighted_pink_gain_db(c);
                for (s, with) in sum
                    .iter_mut()
                    .zip(k_weighted_pink_gains_db_of_sums(c, &delta_powers))
                {
                    *s += with - alone;
                }
            }
            sum.iter().map(|s| s / played.len() as f64).collect()
        };
        let corrected: Vec<Response> = correction.curves().cloned().collect();
        let flat = vec![Response::flat()];
        let gains_on = level_gains(&corrected);
        let gains_off = level_gains(&flat);
        // One preamp covers every chain that can be heard, with the correction on and off,
        // so neither a slot switch nor the correction switch changes it.
        let mut chains: Vec<Response> = corrected.clone();
        for (delta, (g_on, g_off)) in deltas.iter().zip(gains_on.iter().zip(&gains_off)) {
            chains.extend(corrected.iter().map(|c| c.plus(delta).offset(-g_on)));
            chains.push(delta.clone().offset(-g_off));
        }
        let preamp_db = headroom_preamp_db(chains.iter());
        let gains = if inputs.settings.correct {
            gains_on
        } else {
            gains_off
        };
        let slots: Vec<SlotCurves> = inputs
            .slots
            .iter()
            .zip(deltas)
            .zip(gains)
            .map(|((source, delta), g)| SlotCurves {
                id: source.id(),
                name: source.name(),
                delta: delta.offset(-g),
                level_gain_db: g,
                mono: source.is_mono(),
                filters: match source {
                    SlotSource::Simulation { simulation, .. } => Some(simulation.all_filters()),
                    SlotSource::OtherHeadphone { .. } => None,
                },
            })
            .collect();
        Ok(Self {
            target,
            measurement,
            correction,
            correct: inputs.settings.correct,
            slots,
            preamp_db,
        })
    }

    /// The correction as played: the designed one when correction is on, flat when off.
    pub fn played_correction(&self) -> ChannelResponses {
        if self.correct {
            self.correction.clone()
        } else {
            self.correction.map(|_| Response::flat())
        }
    }

    /// The whole curve the engine plays for `listen`, per channel: correction (when on)
    /// + the slot's level-matched ΔS + the common preamp.
    pub fn chain(&self, listen: Listen) -> ChannelResponses {
        let played = self.played_correction();
        let with_slot = match listen {
            Listen::Slot(k) => match self.slots.get(k) {
                Some(slot) => played.map(|c| c.plus(&slot.delta)),
                None => played,
            },
            Listen::Reference => played,
        };
        with_slot.map(|c| c.clone().offset(self.preamp_db))
    }

    /// The headphone after correction (measurement + correction), per channel.
    pub fn result(&self) -> Option<ChannelResponses> {
        self.measurement
            .as_ref()
            .map(|m| m.zip_with(&self.correction, |h, c| h.plus(c)))
    }

    /// The curves to show or export, with names and roles: measurement, target, correction,
    /// result (per channel when L and R differ), then per slot either its level-matched ΔS
    /// ([`SlotView::Delta`], for a CSV) or the target as heard through it
    /// ([`SlotView::Heard`], for a plot), then the reference chain as played.
    pub fn named_curves(&self, view: SlotView) -> Vec<NamedCurve> {
        let mut out = Vec::new();
        let stereo = self.correction.is_stereo();
        let suffix = |ch: curve::Channel| match (stereo, ch) {
            (false, _) => "",
            (true, curve::Channel::Left) => " L",
            (true, curve::Channel::Right) => " R",
        };
        let per_channel = |out: &mut Vec<NamedCurve>, base: &str, set: &ChannelResponses, role| {
            for (ch, c) in set.channels() {
                out.push(NamedCurve {
                    name: format!("{base}{}", suffix(ch)),
                    curve: c.clone(),
                    role,
                });
            }
        };
        if let Some(m) = &self.measurement {
            per_channel(&mut out, "measurement", m, Role::Measurement);
        }
        out.push(NamedCurve {
            name: "target".into(),
            curve: self.target.clone(),
            role: Role::Target,
        });
        per_channel(&mut out, "correction", &self.correction, Role::Correction);
        if let Some(result) = self.result() {
            per_channel(&mut out, "result", &result, Role::Result);
        }
        for slot in &self.slots {
            let (name, curve) = match view {
                SlotView::Delta => (format!("sim {}", slot.id), slot.delta.clone()),
                SlotView::Heard => (
                    format!("{} (simulated)", slot.name),
                    self.target.plus(&slot.delta),
                ),
            };
            out.push(NamedCurve {
                name,
                curve,
                role: Role::Simulation,
            });
        }
        if view == SlotView::Delta {
            per_channel(
                &mut out,
                "reference chain",
                &self.chain(Listen::Reference),
                Role::Chain,
            );
            for k in 0..self.slots.len() {
                per_channel(
                    &mut out,
                    &format!("slot {} chain", k + 1),
                    &self.chain(Listen::Slot(k)),
                    Role::Chain,
                );
            }
        }
        out
    }
}

/// How slots appear among [`ChainCurves::named_curves`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotView {
    /// ΔS, level-matched (a CSV column per slot), plus the reference chain and each slot's
    /// chain as played.
    Delta,
    /// The target as heard through the device (a plot line per slot).
    Heard,
}

/// What a curve is, which decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The raw headphone measurement.
    Measurement,
    /// The reference target.
    Target,
    /// The correction filter.
    Correction,
    /// Measurement + correction.
    Result,
    /// A simulation (ΔS, or the target as heard through it).
    Simulation,
    /// A whole chain as the engine plays it (correction + ΔS + preamp).
    Chain,
}

/// A curve with a name (CSV column, legend) and a role (style).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedCurve {
    /// Column or legend name.
    pub name: String,
    /// The curve.
    pub curve: Response,
    /// What kind of curve it is.
    pub role: Role,
}

/// The parametric-EQ layout for `filters` filters at `sample_rate_hz`: 2 shelves (AutoEq's
/// fixed 105 Hz / 10 kHz) + `filters − 2` peaking from 3 filters on, peaking only below.
/// Used by the exports and the Low CPU engine.
pub fn fit_config(
    filters: usize,
    sample_rate_hz: f64,
    effort: Effort,
) -> Result<FitConfig, String> {
    let config = match filters {
        0 => return Err("the number of filters must be at least 1".into()),
        1 | 2 => FitConfig::peaking_with_shelves(filters, Shelves::None),
        n if n <= MAX_FILTERS => FitConfig::peaking_with_shelves(n - 2, Shelves::Fixed),
        _ => {
            return Err(format!(
                "the number of filters must be at most {MAX_FILTERS}"
            ));
        }
    };
    if !(sample_rate_hz.is_finite() && (8_000.0..=768_000.0).contains(&sample_rate_hz)) {
        return Err(format!(
            "the sample rate {sample_rate_hz} Hz is outside 8000 … 768000 Hz"
        ));
    }
    Ok(config.with_sample_rate(sample_rate_hz).with_effort(effort))
}

/// Most filters [`fit_config`] lays out.
pub const MAX_FILTERS: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterSpec;

    fn headphone(target: &Response) -> Headphone {
        // Target + a bass dip and a treble bump.
        let dev = Response::from_filters(
            &[
                FilterSpec::low_shelf(100.0, 0.7, -4.0),
                FilterSpec::peaking(2000.0, 0.7, 3.0),
            ],
            44_100.0,
        );
        Headphone::from_response("hp", &target.plus(&dev))
    }

    #[test]
    fn reference_plays_correction_plus_a_preamp_that_covers_every_slot() {
        let baseline = Response::from_fn(|f| 3.0 * (-(f / 3000.0).log2().powi(2)).exp());
        let hp = headphone(&baseline);
        let boost = SlotSource::Simulation {
            id: "boost".into(),
            name: "Boost".into(),
            simulation: Simulation {
                filters: vec![FilterSpec::low_shelf(100.0, 0.7, 9.0)],
                ..Default::default()
            },
        };
        let inputs = ChainInputs {
            headphone: Some(&hp),
            baseline: &baseline,
            settings: ChainSettings::default(),
            slots: std::slice::from_ref(&boost),
        };
        let chain = ChainCurves::compute(&inputs).expect("chain");
        let reference = chain.chain(Listen::Reference);
        let slot = chain.chain(Listen::Slot(0));
        // One preamp, and nothing played boosts.
        assert!(chain.preamp_db < 0.0);
        assert!(
            reference
                .curves()
                .chain(slot.curves())
                .all(|c| c.max_db() <= 1e-9)
        );
        // Reference = correction + preamp.
        let c = chain.correction.channel(curve::Channel::Left);
        let r = reference.channel(curve::Channel::Left);
        assert!((r.gain_at(3000.0) - c.gain_at(3000.0) - chain.preamp_db).abs() < 1e-12);
        // The slot is level-matched: its ΔS minus the K-weighted gain.
        assert!(chain.slots[0].level_gain_db > 0.5);
        // Correction off: flat + the same preamp.
        let off = ChainCurves::compute(&ChainInputs {
            settings: ChainSettings {
                correct: false,
                ..ChainSettings::default()
            },
            ..inputs
        })
        .expect("chain");
        assert_eq!(off.preamp_db, chain.preamp_db);
        let flat = off.chain(Listen::Reference);
        assert!(
            flat.curves()
                .all(|c| (c.max_db() - c.min_db()).abs() < 1e-12)
        );
        // Names for a CSV.
        let names: Vec<String> = chain
            .named_curves(SlotView::Delta)
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(
            names,
            [
                "measurement",
                "target",
                "correction",
                "result",
                "sim boost",
                "reference chain",
                "slot 1 chain"
            ]
        );
    }

    #[test]
    fn without_a_headphone_the_chain_is_flat() {
        let baseline = Response::flat();
        let chain = ChainCurves::compute(&ChainInputs {
            headphone: None,
            baseline: &baseline,
            settings: ChainSettings::default(),
            slots: &[],
        })
        .expect("chain");
        assert_eq!(chain.preamp_db, 0.0);
        assert!(
            chain
                .chain(Listen::Reference)
                .left
                .values_db()
                .iter()
                .all(|&v| v == 0.0)
        );
    }

    #[test]
    fn settings_are_range_checked() {
        let mut s = ChainSettings::default();
        assert!(s.validate().is_ok());
        s.knobs.room_gain_db = 13.0;
        assert_eq!(s.validate().unwrap_err().field, "room_gain_db");
        s.knobs.room_gain_db = 0.0;
        s.correction.amount_percent = f64::NAN;
        assert_eq!(s.validate().unwrap_err().field, "amount_percent");
        assert!(fit_config(0, 48_000.0, Effort::Single).is_err());
        assert!(fit_config(41, 48_000.0, Effort::Single).is_err());
        assert!(fit_config(10, 1.0, Effort::Single).is_err());
        assert_eq!(
            fit_config(10, 48_000.0, Effort::Single).map(|c| c.filters.len()),
            Ok(10)
        );
    }
}
