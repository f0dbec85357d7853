//! Refcan: headphone reference correction and translation check, as a CLAP and VST3 plugin.
//!
//! This file is the thin plugin shell. Everything else is framework-free and used directly by
//! the CLI and the tests: `chain` (the chain as curves), `design` (FIR design, fits and the
//! background designer), `dsp` (audio-thread code: convolver, cascade, engine, stages),
//! `curve`, `filter`, `fit`, `io`, `source`, `presets`.

#![deny(missing_docs)]

pub mod chain;
pub mod curve;
pub mod design;
pub mod dsp;
pub mod editor;
pub mod filter;
pub mod fit;
pub mod headphones;
pub mod io;
pub mod meters;
pub mod params;
pub mod plot;
pub mod plugin_presets;
pub mod presets;
pub mod render;
pub mod rig;
pub mod source;
pub mod state;

use design::designer::{DesignKey, DesignSource, Designer, Inbox};
use design::{DesignSettings, Layout};
use dsp::denormals::flush_denormals;
use dsp::processor::{Processor, Switches};
use nice_plug::prelude::*;
use params::RefcanParams;
use presets::PresetLibrary;
use source::Headphone;
use state::OfflineRender;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// The plugin instance: parameters, the designer thread's handle, and the audio state of the
/// current activation.
pub struct Refcan {
    params: Arc<RefcanParams>,
    library: Arc<PresetLibrary>,
    designer: Option<Designer>,
    inbox: Option<Inbox>,
    audio: Option<Processor>,
    layouts: u64,
    /// The last activation's design, reused when the host activates again with the same rate,
    /// block size, settings and state (see [`ActivationDesign`]).
    last_activation: Option<ActivationDesign>,
    /// The host's process mode: from the activation's `BufferConfig`, then from every process
    /// call (VST3 hosts such as Ardour flag an offline render only per call).
    process_mode: ProcessMode,
    status: Arc<RenderStatus>,
    /// Debug builds only (where nice-plug's `assert_process_allocs` is armed): set when the
    /// instance was created with `REFCAN_ALLOC_PROBE=1`, and then every `process()` call
    /// allocates. The host tests use it to prove the allocation check would catch an
    /// allocation (`tests/clap_alloc_probe.rs`, `tests/hosts/test_vst3.py`). Release builds
    /// have neither the field nor the allocation.
    #[cfg(debug_assertions)]
    alloc_probe: bool,
}

/// What an activation designed, and from what. Hosts deactivate and activate often (a
/// latency change, a transport restart; clap-validator's fuzzer does it on one block in 20
/// with blocks of one frame) and a design takes tens of milliseconds, so an activation with
/// the same inputs reuses the entries instead of designing again, and a design that cannot be
/// made (say, Low CPU at 1.5 kHz) is reported once instead of at every activation.
struct ActivationDesign {
    sample_rate_bits: u64,
    max_block: usize,
    settings: DesignSettings,
    state_generation: u64,
    /// The bank's engine, latency and entries, or why there is no design.
    result: Result<(design::FilterMode, usize, Vec<Arc<design::Design>>), String>,
}

impl ActivationDesign {
    fn is_for(&self, layout: &Layout, settings: &DesignSettings, state_generation: u64) -> bool {
        self.sample_rate_bits == layout.sample_rate_hz.to_bits()
            && self.max_block == layout.max_block
            && self.state_generation == state_generation
            && &self.settings == settings
    }
}

/// The environment variable that arms the allocation probe in debug builds (see `Refcan`);
/// release builds ignore it.
pub const ALLOC_PROBE_ENV: &str = "REFCAN_ALLOC_PROBE";

/// What the audio thread tells the editor (and tests): lock-free flags and meters, written on
/// every process call, and the activation's sample rate and latency.
#[derive(Debug, Default)]
pub struct RenderStatus {
    offline_pass_through: AtomicBool,
    /// Input and output peaks.
    pub meters: meters::Meters,
    /// The sample rate of the current activation, Hz (0 before the first).
    sample_rate_hz: AtomicU32,
    /// The latency reported at the current activation, samples.
    latency_samples: AtomicU32,
}

impl RenderStatus {
    /// The sample rate of the current activation, if the plugin was activated.
    pub fn sample_rate_hz(&self) -> Option<f32> {
        let fs = self.sample_rate_hz.load(Ordering::Relaxed);
        (fs > 0).then_some(fs as f32)
    }

    /// The latency the host was told at the last activation, samples.
    pub fn latency_samples(&self) -> u32 {
        self.latency_samples.load(Ordering::Relaxed)
    }

    /// True while the host renders offline and Refcan passes the audio through untouched
    /// (the state's `offline_render` is `bypass`), as of the last process call.
    pub fn offline_pass_through(&self) -> bool {
        self.offline_pass_through.load(Ordering::Relaxed)
    }
}

/// The designer reads the parameters and the state document through this.
struct ParamSource {
    params: Arc<RefcanParams>,
}

impl DesignSource for ParamSource {
    fn settings(&self) -> DesignSettings {
        self.params.design_settings()
    }
    fn state_generation(&self) -> u64 {
        self.params.state.generation()
    }
    fn state(&self) -> (Option<Headphone>, Vec<state::SlotContent>) {
        (self.params.state.headphone(), self.params.state.slots())
    }
    fn listen(&self) -> usize {
        self.params.listen.value().index()
    }
}

impl Default for Refcan {
    fn default() -> Self {
        Self {
            params: Arc::new(RefcanParams::default()),
            library: Arc::new(PresetLibrary::builtin()),
            designer: None,
            inbox: None,
            audio: None,
            layouts: 0,
            last_activation: None,
            process_mode: ProcessMode::Realtime,
            status: Arc::new(RenderStatus::default()),
            #[cfg(debug_assertions)]
            alloc_probe: std::env::var_os(ALLOC_PROBE_ENV).is_some_and(|v| v == "1"),
        }
    }
}

impl Refcan {
    /// The flags the audio thread publishes, for an editor or a test to read.
    pub fn status(&self) -> Arc<RenderStatus> {
        self.status.clone()
    }

    /// True when the host renders offline and the user did not opt into processing then: the
    /// audio passes through untouched (latency-compensated, like the bypass switch).
    fn offline_bypass(&self) -> bool {
        self.process_mode == ProcessMode::Offline
            && self.params.state.offline_render() == OfflineRender::Bypass
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

    type Editor = editor::RefcanEditor;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        Some(editor::RefcanEditor::new(editor::EditorShared {
            params: self.params.clone(),
            status: self.status.clone(),
            library: self.library.clone(),
        }))
    }

    /// Keeps what can be kept of a saved state: parameters load (but non-finite numbers,
    /// which nice-plug would store as they are); a `refcan` document that is not even JSON is
    /// handed on as text, so [`state::SharedState::load`] keeps the previous document's values,
    /// keeps the text aside and reports why (host log now, the editor later).
    fn filter_state(plugin_state: &mut PluginState) {
        plugin_state.params.retain(|id, value| {
            let finite = !matches!(value, nice_plug::plugin::ParamValue::F32(v) if !v.is_finite());
            if !finite {
                nice_error!("Refcan: saved parameter {id} is not a finite number; default kept");
            }
            finite
        });
        if let Some(text) = plugin_state.fields.get_mut(state::PERSIST_KEY)
            && serde_json::from_str::<serde_json::Value>(text).is_err()
        {
            *text = serde_json::Value::String(std::mem::take(text)).to_string();
        }
    }

    /// Sizes the engine for the sample rate and block size, designs the current settings
    /// synchronously (so audio starts corrected), starts the designer thread on the first
    /// activation and reports the engine's latency.
    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = audio_io_layout
            .main_output_channels
            .map_or(2, |n| n.get() as usize)
            .clamp(1, 2);
        let fs = f64::from(buffer_config.sample_rate);
        let max_block = (buffer_config.max_buffer_size as usize).max(1);
        if self.designer.is_none() {
            let source = Arc::new(ParamSource {
                params: self.params.clone(),
            });
            let (designer, inbox) = Designer::spawn(source, self.library.clone());
            self.designer = Some(designer);
            self.inbox = Some(inbox);
        }
        self.layouts += 1;
        let layout = Layout::new(self.layouts, fs, max_block);
        let mut audio = Processor::new(&layout, channels);
        let settings = self.params.design_settings();
        let state_generation = self.params.state.generation();
        let listen = self.params.listen.value().index();
        let reused = self
            .last_activation
            .take()
            .filter(|last| last.is_for(&layout, &settings, state_generation));
        let result = match reused {
            Some(last) => last.result,
            None => {
                let headphone = self.params.state.headphone();
                let slots = self.params.state.slots();
                // On a thread of its own: the FFT plans a design caches per thread (tens of MB
                // at 384 kHz) then go with it, instead of staying on the host's main thread
                // after Refcan is removed. The thread costs far less than the design.
                let library = &self.library;
                let run =
                    || design::design(&settings, headphone.as_ref(), &slots, &layout, library);
                let designed = std::thread::scope(|s| {
                    match std::thread::Builder::new()
                        .name("refcan-activate".into())
                        .spawn_scoped(s, run)
                    {
                        Ok(t) => t.join().unwrap_or(Err(design::DesignError::Panicked)),
                        // No thread to be had: design here.
                        Err(_) => run(),
                    }
                });
                designed
                    .map(|bank| (bank.mode, bank.latency_samples, bank.entries))
                    .map_err(|e| {
                        nice_error!("Refcan: no correction: {e}");
                        e.to_string()
                    })
            }
        };
        let designed = result.as_ref().ok().map(|(mode, latency, entries)| {
            let bank = design::Bank {
                layout_id: layout.id,
                mode: *mode,
                latency_samples: *latency,
                entries: entries.clone(),
            };
            drop(audio.engine().install_now(Box::new(bank), listen));
            (
                DesignKey {
                    layout_id: layout.id,
                    settings: settings.clone(),
                    state_generation,
                },
                entries.clone(),
            )
        });
        self.last_activation = Some(ActivationDesign {
            sample_rate_bits: layout.sample_rate_hz.to_bits(),
            max_block: layout.max_block,
            settings,
            state_generation,
            result,
        });
        let latency = audio.engine().latency_samples();
        context.set_latency_samples(latency as u32);
        self.status
            .latency_samples
            .store(latency as u32, Ordering::Relaxed);
        self.status
            .sample_rate_hz
            .store(buffer_config.sample_rate.round() as u32, Ordering::Relaxed);
        if let Some(designer) = &self.designer {
            designer.set_layout(layout, designed);
        }
        // An offline render that is already on at activation (pedalboard, JUCE hosts, CLAP's
        // `render.set`) is bypassed from the first sample: `reset` below jumps there.
        self.process_mode = buffer_config.process_mode;
        self.audio = Some(audio);
        self.reset();
        true
    }

    /// Clears the audio state; the bypass crossfade jumps to where it belongs (bypass switch
    /// or offline pass-through), so there is nothing to fade from.
    fn reset(&mut self) {
        let switches = self.switches();
        if let Some(audio) = &mut self.audio {
            audio.reset(switches);
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        #[cfg(debug_assertions)]
        if self.alloc_probe {
            // A test-only allocation (see `alloc_probe`): nice-plug must abort the host here.
            std::hint::black_box(Vec::<u8>::with_capacity(64));
        }
        flush_denormals();
        // Read on every call: hosts may start an offline render without a new activation
        // (Ardour's freewheeling export flags it per call). A change mid-stream crossfades
        // like the bypass switch.
        self.process_mode = context.process_mode();
        self.status
            .offline_pass_through
            .store(self.offline_bypass(), Ordering::Relaxed);
        // nice-plug splits the buffer at automation events (sample-accurate automation), so
        // a `listen` change starts its crossfade at the event's sample.
        let switches = self.switches();
        let (Some(audio), Some(inbox)) = (self.audio.as_mut(), self.inbox.as_mut()) else {
            return ProcessStatus::Normal;
        };
        let trim = &self.params.output_gain.smoothed;
        let meters = &self.status.meters;
        meters.input.record(buffer.as_slice());
        audio.process(inbox, buffer.as_slice(), switches, |t| {
            trim.next_block_exact(t)
        });
        meters.output.record(buffer.as_slice());
        if audio.engine().take_restart_request() {
            // Another engine means another latency: the host restarts the plugin and the
            // activation designs it and reports the latency (the only time CLAP allows it).
            context.request_restart();
        }
        ProcessStatus::Normal
    }
}

impl Refcan {
    /// The switches the parameters set now.
    fn switches(&self) -> Switches {
        Switches {
            bypass: self.params.bypass.value() || self.offline_bypass(),
            mono: self.params.mono.value(),
            listen: self.params.listen.value().index(),
            crossfeed: self.params.crossfeed.value().index(),
        }
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

#[cfg(test)]
mod concurrency_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use nice_plug::context::process::SendEventError;
    use state::RefcanState;

    /// A process context that reports a fixed process mode and ignores everything else.
    pub(crate) struct ModeContext {
        pub(crate) mode: ProcessMode,
        pub(crate) transport: Transport,
    }

    /// An activation context that accepts everything (in-process tests of the plugin).
    pub(crate) struct NullActivate;

    impl ActivateContext<Refcan> for NullActivate {
        fn plugin_api(&self) -> PluginApi {
            PluginApi::Clap
        }
        fn execute(&self, _task: ()) {}
        fn set_latency_samples(&self, _samples: u32) {}
        fn set_current_voice_capacity(&self, _capacity: u32) {}
    }

    impl ProcessContext<Refcan> for ModeContext {
        fn plugin_api(&self) -> PluginApi {
            PluginApi::Vst3
        }
        fn execute_background(&self, _task: ()) {}
        fn execute_gui(&self, _task: ()) {}
        fn transport(&self) -> &Transport {
            &self.transport
        }
        fn next_event(&mut self) -> Option<PluginNoteEvent<Refcan>> {
            None
        }
        fn try_send_event(
            &mut self,
            event: PluginNoteEvent<Refcan>,
        ) -> Result<(), (PluginNoteEvent<Refcan>, SendEventError)> {
            Err((event, SendEventError::NoOutputBuffer))
        }
        fn set_latency_samples(&self, _samples: u32) {}
        fn request_restart(&self) {}
        fn set_current_voice_capacity(&self, _capacity: u32) {}
        fn process_mode(&self) -> ProcessMode {
            self.mode
        }
    }

    /// One (empty) process call in `mode`; returns the published pass-through flag.
    fn pass_through_after(plugin: &mut Refcan, mode: ProcessMode) -> bool {
        let mut context = ModeContext {
            mode,
            transport: Transport::new(48_000.0),
        };
        let mut aux = AuxiliaryBuffers {
            inputs: &mut [],
            outputs: &mut [],
        };
        plugin.process(&mut Buffer::default(), &mut aux, &mut context);
        plugin.status().offline_pass_through()
    }

    #[test]
    fn the_status_flag_follows_the_process_mode_of_every_call_and_the_state_choice() {
        let mut plugin = Refcan::default();
        let status = plugin.status();
        assert!(!status.offline_pass_through());
        assert!(pass_through_after(&mut plugin, ProcessMode::Offline));
        assert!(!pass_through_after(&mut plugin, ProcessMode::Realtime));
        assert!(!pass_through_after(&mut plugin, ProcessMode::Buffered));
        assert!(pass_through_after(&mut plugin, ProcessMode::Offline));
        plugin.params.state.replace(RefcanState {
            offline_render: OfflineRender::Process,
            ..RefcanState::default()
        });
        assert!(!pass_through_after(&mut plugin, ProcessMode::Offline));
        assert!(!status.offline_pass_through(), "the same flag, shared");
    }
}
