//! Offline doors into the plugin's engine: `refcan render` plays audio through exactly the
//! design and audio path ([`Processor`]) the plugin runs, for a saved plugin state and a
//! `listen` choice (a translation-check bounce), and [`fir_taps`] gives a correction as the
//! FIR the Zero-latency or Linear-phase engine would play, for use outside the DAW.

use crate::curve::Response;
use crate::design::designer::handover;
use crate::design::fir::{self, Phase};
use crate::design::{DesignError, Layout, design, design_gain_db};
use crate::dsp::processor::{Processor, Switches};
use crate::params::{ListenChoice, ParamValues};
use crate::presets::PresetLibrary;
use crate::state::{PERSIST_KEY, RefcanState};

/// What a render did, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderReport {
    /// The engine's latency, samples (compensated: the output lines up with the input).
    pub latency_samples: usize,
}

/// Reads a saved plugin state (what `refcan preset` writes and a host stores): the parameter
/// values and the `refcan` document. Strict: anything it cannot read is an error naming it.
pub fn read_plugin_state(bytes: &[u8]) -> Result<(ParamValues, RefcanState), String> {
    let state: nice_plug::prelude::PluginState = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a Refcan plugin state (JSON with params and fields): {e}"))?;
    let values = ParamValues::from_state_params(&state.params)?;
    let doc = match state.fields.get(PERSIST_KEY) {
        Some(text) => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| format!("the `{PERSIST_KEY}` document is not JSON: {e}"))?;
            RefcanState::from_value(value).map_err(|e| e.to_string())?
        }
        None => RefcanState::default(),
    };
    Ok((values, doc))
}

/// Plays `channels` (one or two, equal lengths, in place) through the plugin's chain for
/// `values`, `doc` and `listen`, at `sample_rate_hz` in host blocks of `block` frames. The
/// engine's latency is compensated (the output lines up with the input, as a DAW's bounce).
/// The offline-render setting does not apply: rendering here is always deliberate.
pub fn render(
    values: &ParamValues,
    doc: &RefcanState,
    listen: ListenChoice,
    sample_rate_hz: f64,
    block: usize,
    channels: &mut [Vec<f32>],
    library: &PresetLibrary,
) -> Result<RenderReport, DesignError> {
    let block = block.max(1);
    let layout = Layout::new(1, sample_rate_hz, block);
    let settings = values.design_settings(doc.max_boost_db);
    let bank = design(
        &settings,
        doc.headphone.as_ref(),
        &doc.slots,
        &layout,
        library,
    )?;
    let latency = bank.latency_samples;
    let mut processor = Processor::new(&layout, channels.len());
    drop(
        processor
            .engine()
            .install_now(Box::new(bank), listen.index()),
    );
    let switches = Switches {
        bypass: values.bypass,
        mono: values.mono,
        listen: listen.index(),
        crossfeed: values.crossfeed.index(),
    };
    processor.reset(switches);
    let (_outbox, mut inbox) = handover();
    for ch in channels.iter_mut() {
        ch.extend(std::iter::repeat_n(0.0, latency));
    }
    let frames = channels.first().map_or(0, Vec::len);
    let trim = values.output_gain_db;
    let mut at = 0;
    while at < frames {
        let n = block.min(frames - at);
        let mut pieces: Vec<&mut [f32]> = channels.iter_mut().map(|c| &mut c[at..at + n]).collect();
        processor.process(&mut inbox, &mut pieces, switches, |t| t.fill(trim));
        at += n;
    }
    for ch in channels.iter_mut() {
        ch.drain(..latency);
    }
    Ok(RenderReport {
        latency_samples: latency,
    })
}

/// A correction curve as FIR taps at `sample_rate_hz` with `phase` (the engines' own design:
/// the same taps per rate and the same low-end continuation), plus a preamp of
/// `preamp_db` so the filter does not boost.
pub fn fir_taps(curve: &Response, preamp_db: f64, sample_rate_hz: f64, phase: Phase) -> Vec<f32> {
    let taps = fir::taps_for_rate(sample_rate_hz, phase);
    fir::design(
        &|f| design_gain_db(curve, f) + preamp_db,
        sample_rate_hz,
        taps,
        phase,
    )
}
