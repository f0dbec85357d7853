//! Refcan: headphone reference correction and translation check, as a CLAP and VST3 plugin.
//!
//! This file is the thin plugin shell. The DSP lives in framework-free modules (`dsp`, `curve`,
//! `io`, `fit`) that the CLI and the tests use directly.

#![deny(missing_docs)]

pub mod chain;
pub mod curve;
pub mod design;
pub mod dsp;
pub mod filter;
pub mod fit;
pub mod io;
pub mod params;
pub mod presets;
pub mod source;
pub mod state;

use dsp::output::OutputStage;
use nice_plug::prelude::*;
use params::RefcanParams;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Frames processed per inner chunk; bounds the per-sample scratch buffers on the stack.
const CHUNK_FRAMES: usize = 256;

/// The plugin instance.
pub struct Refcan {
    params: Arc<RefcanParams>,
    output: OutputStage,
}

impl Default for Refcan {
    fn default() -> Self {
        Self {
            params: Arc::new(RefcanParams::default()),
            output: OutputStage::default(),
        }
    }
}

impl Plugin for Refcan {
    const NAME: &'static str = "Refcan";
    const VENDOR: &'static str = "Refcan";
    const URL: &'static str = "https://github.com/refcan/refcan";
    const EMAIL: &'static str = "refcan@users.noreply.github.com";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// A saved state whose `refcan` document this build cannot read (from a newer Refcan, or
    /// corrupted) is dropped whole, parameters included, so the instance keeps its previous
    /// settings instead of loading half a project. The reason stays in `SharedState::last_error`.
    fn filter_state(plugin_state: &mut PluginState) {
        let readable = plugin_state
            .fields
            .get(state::PERSIST_KEY)
            .is_none_or(|text| {
                serde_json::from_str(text)
                    .ok()
                    .is_some_and(|doc| state::RefcanState::from_value(doc).is_ok())
            });
        if !readable {
            plugin_state.params.clear();
        }
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.output.set_sample_rate(buffer_config.sample_rate);
        self.reset();
        true
    }

    fn reset(&mut self) {
        self.output
            .reset(self.params.bypass.value(), self.params.mono.value());
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let bypass = self.params.bypass.value();
        let mono = self.params.mono.value();
        let frames = buffer.samples();
        let channels = buffer.as_slice();
        let mut trim_db = [0.0f32; CHUNK_FRAMES];

        let mut start = 0;
        while start < frames {
            let len = (frames - start).min(CHUNK_FRAMES);
            self.params
                .output_gain
                .smoothed
                .next_block_exact(&mut trim_db[..len]);
            match channels {
                [left, right] => {
                    let mut chunk = [
                        &mut left[start..start + len],
                        &mut right[start..start + len],
                    ];
                    self.output
                        .process(&mut chunk, &trim_db[..len], bypass, mono);
                }
                [only] => {
                    let mut chunk = [&mut only[start..start + len]];
                    self.output
                        .process(&mut chunk, &trim_db[..len], bypass, mono);
                }
                _ => {}
            }
            start += len;
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Refcan {
    const CLAP_ID: &'static str = "org.refcan.refcan";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Headphone reference correction and translation check");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Equalizer,
        ClapFeature::Utility,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Refcan {
    const VST3_CLASS_ID: [u8; 16] = *b"RefcanHeadphnRef";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Eq,
        Vst3SubCategory::Tools,
    ];
}

nice_export_clap!(Refcan);
nice_export_vst3!(Refcan);
