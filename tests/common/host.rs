//! A minimal CLAP host built on clack-host: load the plugin binary, read its descriptor, ports
//! and parameters, set parameters (flush or sample-accurate events), process a whole signal in
//! blocks of given sizes on a dedicated audio thread, and save/load state.
//!
//! It behaves like a real host where that matters for a plugin: instance and main-thread calls
//! stay on the test thread, processing runs on another thread between `start_processing` and
//! `stop_processing`, the main thread services `request_callback` while audio runs, and every
//! buffer the audio thread touches is allocated before processing starts.
//!
//! Typical use in a test (run it inside [`crate::common::isolated`]):
//!
//! ```text
//! let mut plugin = Plugin::new()?;                            // loads target/<profile>/deps/librefcan.so
//! let gain = clap_param_id("output_gain");                     // CLAP id from the string id
//! plugin.flush(&[(gain, 0.5)]);                                // set while inactive
//! plugin.activate(48_000.0, 512)?;
//! let out = plugin.process(&input, &[512], &[ParamChange { frame: 100, id: gain, value: 0.25 }])?;
//! let blob = plugin.save_state()?;                             // what a host stores in a project
//! ```
//!
//! CLAP values of nice-plug parameters are normalised: `0..=1` for float parameters, and
//! `0..=steps` for stepped ones (a bool is 0 or 1).

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::cell::Cell;
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The CLAP id of the plugin under test.
pub const PLUGIN_ID: &str = "org.refcan.refcan";

/// File name of the cdylib, which is itself a valid `.clap` on Linux.
pub const LIBRARY_NAME: &str = "librefcan.so";

/// Overrides where the plugin binary is loaded from (e.g. a bundled `Refcan.clap`).
pub const PLUGIN_PATH_ENV: &str = "REFCAN_CLAP_PATH";

/// Everything that can go wrong between the host and the plugin.
#[derive(thiserror::Error)]
pub enum HostError {
    /// The plugin binary was not found where `cargo test` puts it.
    #[error(
        "plugin binary not found; looked at {0:?}. Run `cargo test` (it builds the cdylib) or set {PLUGIN_PATH_ENV}"
    )]
    NotFound(Vec<PathBuf>),
    /// Loading the library, finding the factory or instantiating failed.
    #[error("loading {path}: {what}")]
    Load {
        /// The binary.
        path: PathBuf,
        /// What failed.
        what: String,
    },
    /// The plugin lacks an extension the host needs.
    #[error("the plugin does not implement the `{0}` extension")]
    MissingExtension(&'static str),
    /// A lifecycle call failed.
    #[error("{0}")]
    Lifecycle(String),
    /// `process()` returned an error status.
    #[error("process() failed in block {block} (frames {start}..{end}): {what}")]
    Process {
        /// Block index.
        block: usize,
        /// First frame of the block in the signal.
        start: usize,
        /// One past the last frame.
        end: usize,
        /// The plugin's error.
        what: String,
    },
    /// Saving or loading state was refused by the plugin.
    #[error("state {0} refused by the plugin")]
    State(&'static str),
}

/// The CLAP parameter id nice-plug derives from a parameter's string id (`#[id = "…"]`): a
/// 31-bit `h = h·31 + byte` hash (nice-plug 0.4.2, src/wrapper/util.rs, `hash_param_id`).
/// Hosts store automation under these numbers, so they are as much a contract as the strings.
pub fn clap_param_id(string_id: &str) -> u32 {
    let hash = string_id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    hash & !(1 << 31)
}

/// `expect()` in a test prints `Debug`: make that the readable message.
impl std::fmt::Debug for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Finds the plugin binary: `$REFCAN_CLAP_PATH`, else the cdylib that cargo built together
/// with this test (`target/<profile>/deps/librefcan.so`, next to the test executable), else the
/// uplifted copy in `target/<profile>/`.
pub fn plugin_path() -> Result<PathBuf, HostError> {
    if let Some(path) = std::env::var_os(PLUGIN_PATH_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(HostError::NotFound(vec![path]))
        };
    }
    let exe = std::env::current_exe().map_err(|e| HostError::Load {
        path: PathBuf::new(),
        what: format!("current_exe: {e}"),
    })?;
    // The deps/ copy is built in the same cargo invocation as the test binary, so it is never
    // stale; the profile-dir copy may come from an older `cargo build`.
    let deps_dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    let profile_dir = deps_dir.parent().map(PathBuf::from).unwrap_or_default();
    let candidates = vec![deps_dir.join(LIBRARY_NAME), profile_dir.join(LIBRARY_NAME)];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(HostError::NotFound(candidates))
}

/// Loads the plugin binary's entry point.
pub fn load_entry() -> Result<(PluginEntry, PathBuf), HostError> {
    let path = plugin_path()?;
    // SAFETY: the file is the plugin built from this repository; loading a CLAP entry is
    // inherently unsafe (it runs the library's initialisers).
    let entry = unsafe { PluginEntry::load(&path) }.map_err(|e| HostError::Load {
        path: path.clone(),
        what: e.to_string(),
    })?;
    Ok((entry, path))
}

/// The descriptor fields a test checks.
#[derive(Debug, Clone)]
pub struct Descriptor {
    /// Plugin id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Version string.
    pub version: String,
    /// Feature strings (`audio-effect`, …).
    pub features: Vec<String>,
}

/// All plugin descriptors in the entry's plugin factory.
pub fn descriptors(entry: &PluginEntry) -> Result<Vec<Descriptor>, HostError> {
    let factory = entry.get_plugin_factory().ok_or(HostError::Load {
        path: PathBuf::new(),
        what: "no plugin factory".into(),
    })?;
    let text = |s: Option<&std::ffi::CStr>| s.map(|s| s.to_string_lossy().into_owned());
    Ok(factory
        .plugin_descriptors()
        .map(|d| Descriptor {
            id: text(d.id()).unwrap_or_default(),
            name: text(d.name()).unwrap_or_default(),
            vendor: text(d.vendor()).unwrap_or_default(),
            version: text(d.version()).unwrap_or_default(),
            features: d
                .features()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
        })
        .collect())
}

/// One parameter as the plugin describes it.
#[derive(Debug, Clone)]
pub struct Param {
    /// CLAP id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Module (group) path.
    pub module: String,
    /// CLAP flags.
    pub flags: ParamInfoFlags,
    /// Lowest CLAP value.
    pub min: f64,
    /// Highest CLAP value.
    pub max: f64,
    /// Default CLAP value.
    pub default: f64,
}

/// One audio port.
#[derive(Debug, Clone)]
pub struct Port {
    /// Port id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Number of channels.
    pub channels: u32,
    /// Port type (`mono`, `stereo`), if given.
    pub port_type: Option<String>,
    /// True for the main port.
    pub is_main: bool,
}

/// One audio port configuration.
#[derive(Debug, Clone)]
pub struct PortConfig {
    /// Configuration id (for [`Plugin::select_port_config`]).
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Main input channel count (0 without a main input).
    pub input_channels: u32,
    /// Main output channel count (0 without a main output).
    pub output_channels: u32,
}

/// A parameter change at an absolute frame of the processed signal (CLAP value units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamChange {
    /// Frame in the whole signal at which the value applies.
    pub frame: usize,
    /// CLAP parameter id.
    pub id: u32,
    /// CLAP value (for nice-plug: normalised value × step count).
    pub value: f64,
}

/// Host callbacks that may come from any thread; the plugin's requests are recorded as flags.
#[derive(Default)]
pub struct HostShared {
    callback_requested: AtomicBool,
    restart_requested: AtomicBool,
    flush_requested: AtomicBool,
    process_requested: AtomicBool,
}

impl<'a> SharedHandler<'a> for HostShared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::Release);
    }
    fn request_process(&self) {
        self.process_requested.store(true, Ordering::Release);
    }
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::Release);
    }
}

impl HostParamsImplShared for HostShared {
    fn request_flush(&self) {
        self.flush_requested.store(true, Ordering::Release);
    }
}

/// Main-thread host callbacks; counts what the plugin told the host.
#[derive(Default)]
pub struct HostMainThread {
    rescans: Cell<u32>,
    dirty_marks: Cell<u32>,
    latency_changes: Cell<u32>,
}

impl<'a> MainThreadHandler<'a> for HostMainThread {}

impl HostParamsImplMainThread for HostMainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.rescans.set(self.rescans.get() + 1);
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostStateImpl for HostMainThread {
    fn mark_dirty(&self) {
        self.dirty_marks.set(self.dirty_marks.get() + 1);
    }
}

impl HostLatencyImpl for HostMainThread {
    fn changed(&self) {
        self.latency_changes.set(self.latency_changes.get() + 1);
    }
}

/// The host type handed to clack-host.
pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = HostShared;
    type MainThread<'a> = HostMainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostLatency>();
    }
}

/// The current activation.
#[derive(Debug, Clone, Copy)]
struct Activation {
    sample_rate_hz: f64,
    max_frames: usize,
}

/// What a processing run does beyond playing blocks (the stress host's extras).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Input and output are the same buffers (in-place processing, as many hosts do): the
    /// plugin reads and writes the channel memory the host passed as input.
    pub in_place: bool,
    /// Block indices before which the audio thread calls `reset()` (CLAP allows it there).
    pub resets_before: Vec<usize>,
    /// States the main thread loads while the audio thread is processing, one every few
    /// hundred microseconds (CLAP's `state.load` is a main-thread call that may come at any
    /// time, also during `process()`).
    pub loads_during: Vec<Vec<u8>>,
}

/// A processing run's output and what happened on the main thread meanwhile.
#[derive(Debug)]
pub struct RunOutput {
    /// The output, one vector per channel.
    pub outputs: Vec<Vec<f32>>,
    /// How many of [`RunOptions::loads_during`] were loaded before the audio thread finished.
    pub loads_during: usize,
    /// How many of them ran while the audio thread had not finished yet.
    pub loads_while_processing: usize,
}

/// One plugin instance with the extensions the tests use.
pub struct Plugin {
    // Field order matters: the instance must drop before the entry that holds the library.
    processor: Option<StoppedPluginAudioProcessor<TestHost>>,
    instance: PluginInstance<TestHost>,
    params: PluginParams,
    state: Option<PluginState>,
    ports: Option<PluginAudioPorts>,
    port_configs: Option<PluginAudioPortsConfig>,
    latency: Option<PluginLatency>,
    activation: Option<Activation>,
    _entry: PluginEntry,
}

impl Plugin {
    /// Loads the binary and creates an instance of [`PLUGIN_ID`].
    pub fn new() -> Result<Self, HostError> {
        let (entry, path) = load_entry()?;
        let host_info = HostInfo::new(
            "refcan-test-host",
            "Refcan",
            "https://example.invalid",
            "0.1",
        )
        .map_err(|e| HostError::Lifecycle(format!("host info: {e}")))?;
        let id = CString::new(PLUGIN_ID).map_err(|e| HostError::Lifecycle(e.to_string()))?;
        let instance = PluginInstance::<TestHost>::new(
            |_| HostShared::default(),
            |_| HostMainThread::default(),
            &entry,
            &id,
            &host_info,
        )
        .map_err(|e| HostError::Load {
            path,
            what: format!("instantiating {PLUGIN_ID}: {e}"),
        })?;
        let shared = instance.plugin_shared_handle();
        let params = shared
            .get_extension::<PluginParams>()
            .ok_or(HostError::MissingExtension("params"))?;
        let state = shared.get_extension::<PluginState>();
        let ports = shared.get_extension::<PluginAudioPorts>();
        let port_configs = shared.get_extension::<PluginAudioPortsConfig>();
        let latency = shared.get_extension::<PluginLatency>();
        Ok(Self {
            processor: None,
            instance,
            params,
            state,
            ports,
            port_configs,
            latency,
            activation: None,
            _entry: entry,
        })
    }

    /// All parameters, in the plugin's order.
    pub fn params(&mut self) -> Vec<Param> {
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..self.params.count(&handle))
            .filter_map(|i| {
                let info = self.params.get_info(&handle, i, &mut buffer)?;
                Some(Param {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    module: String::from_utf8_lossy(info.module).into_owned(),
                    flags: info.flags,
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                })
            })
            .collect()
    }

    /// The parameter with this display name.
    pub fn param_named(&mut self, name: &str) -> Option<Param> {
        self.params().into_iter().find(|p| p.name == name)
    }

    /// A parameter's current CLAP value.
    pub fn value(&mut self, id: u32) -> Option<f64> {
        self.params
            .get_value(&self.instance.plugin_handle(), ClapId::new(id))
    }

    /// The plugin's text for a CLAP value.
    pub fn value_to_text(&mut self, id: u32, value: f64) -> Option<String> {
        let mut buffer = [0u8; 256];
        self.params
            .value_to_text(
                &self.instance.plugin_handle(),
                ClapId::new(id),
                value,
                &mut buffer,
            )
            .ok()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The CLAP value the plugin parses from `text`.
    pub fn text_to_value(&mut self, id: u32, text: &str) -> Option<f64> {
        let text = CString::new(text).ok()?;
        self.params
            .text_to_value(&self.instance.plugin_handle(), ClapId::new(id), &text)
    }

    /// Sends parameter values through `flush` (while inactive, or active between processing
    /// runs, as hosts do when the transport is stopped).
    pub fn flush(&mut self, changes: &[(u32, f64)]) {
        let mut input = EventBuffer::with_capacity(changes.len());
        for &(id, value) in changes {
            input.push(&ParamValueEvent::new(
                0,
                ClapId::new(id),
                Pckn::match_all(),
                value,
            ));
        }
        let mut output = EventBuffer::new();
        match self.processor.as_mut() {
            Some(processor) => self.params.flush_active(
                &mut processor.plugin_handle(),
                &input.as_input(),
                &mut output.as_output(),
            ),
            None => {
                if let Some(mut handle) = self.instance.inactive_plugin_handle() {
                    self.params
                        .flush(&mut handle, &input.as_input(), &mut output.as_output());
                }
            }
        }
        self.pump_main_thread();
    }

    /// Input (`true`) or output ports of the current configuration.
    pub fn audio_ports(&mut self, is_input: bool) -> Result<Vec<Port>, HostError> {
        let ext = self
            .ports
            .ok_or(HostError::MissingExtension("audio-ports"))?;
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortInfoBuffer::new();
        Ok((0..ext.count(&handle, is_input))
            .filter_map(|i| {
                let info = ext.get(&handle, i, is_input, &mut buffer)?;
                Some(Port {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    channels: info.channel_count,
                    port_type: info.port_type.map(|t| t.0.to_string_lossy().into_owned()),
                    is_main: info
                        .flags
                        .contains(clack_extensions::audio_ports::AudioPortFlags::IS_MAIN),
                })
            })
            .collect())
    }

    /// The audio port configurations the plugin offers (empty without the extension).
    pub fn port_configs(&mut self) -> Vec<PortConfig> {
        let Some(ext) = self.port_configs else {
            return Vec::new();
        };
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortsConfigBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                let c = ext.get(&handle, i, &mut buffer)?;
                Some(PortConfig {
                    id: c.id.get(),
                    name: String::from_utf8_lossy(c.name).into_owned(),
                    input_channels: c.main_input.map_or(0, |p| p.channel_count),
                    output_channels: c.main_output.map_or(0, |p| p.channel_count),
                })
            })
            .collect()
    }

    /// Selects an audio port configuration (only while inactive).
    pub fn select_port_config(&mut self, id: u32) -> Result<(), HostError> {
        let ext = self
            .port_configs
            .ok_or(HostError::MissingExtension("audio-ports-config"))?;
        ext.select(&self.instance.plugin_handle(), ClapId::new(id))
            .map_err(|e| HostError::Lifecycle(format!("selecting port config {id}: {e}")))
    }

    /// Channels of the main output port in the current configuration.
    pub fn channels(&mut self) -> Result<usize, HostError> {
        let ports = self.audio_ports(false)?;
        ports
            .iter()
            .find(|p| p.is_main)
            .map(|p| p.channels as usize)
            .ok_or(HostError::Lifecycle("no main output port".into()))
    }

    /// `render.set`: `Offline` while the host bounces or exports, `Realtime` otherwise. nice-plug
    /// asks for a restart when the mode changes while the plugin is active.
    pub fn set_render_mode(&mut self, mode: RenderMode) -> Result<(), HostError> {
        let ext = self
            .instance
            .plugin_shared_handle()
            .get_extension::<PluginRender>()
            .ok_or(HostError::MissingExtension("render"))?;
        ext.set(&self.instance.plugin_handle(), mode)
            .map_err(|e| HostError::Lifecycle(format!("render.set({mode:?}): {e}")))?;
        self.pump_main_thread();
        Ok(())
    }

    /// Reported latency in samples (0 without the extension).
    pub fn latency_samples(&mut self) -> u32 {
        self.latency
            .map_or(0, |ext| ext.get(&self.instance.plugin_handle()))
    }

    /// Activates at `sample_rate_hz` for blocks of 1..=`max_frames` frames.
    pub fn activate(&mut self, sample_rate_hz: f64, max_frames: usize) -> Result<(), HostError> {
        if self.processor.is_some() {
            return Err(HostError::Lifecycle("already active".into()));
        }
        let config = PluginAudioConfiguration {
            sample_rate: sample_rate_hz,
            min_frames_count: 1,
            max_frames_count: max_frames as u32,
        };
        let processor = self
            .instance
            .activate(|_, _| (), config)
            .map_err(|e| HostError::Lifecycle(format!("activate at {sample_rate_hz} Hz: {e}")))?;
        self.processor = Some(processor);
        self.activation = Some(Activation {
            sample_rate_hz,
            max_frames,
        });
        self.pump_main_thread();
        Ok(())
    }

    /// Deactivates (no-op when inactive).
    pub fn deactivate(&mut self) {
        if let Some(processor) = self.processor.take() {
            self.instance.deactivate(processor);
        }
        self.activation = None;
        self.pump_main_thread();
    }

    /// True between [`activate`](Self::activate) and [`deactivate`](Self::deactivate).
    pub fn is_active(&self) -> bool {
        self.processor.is_some()
    }

    /// Processes `input` (one vector per channel) as one `start_processing … stop_processing`
    /// run on a dedicated audio thread, in blocks whose sizes cycle through `block_sizes`,
    /// delivering `changes` as sample-accurate events in the block that contains their frame.
    /// Returns the output, one vector per channel.
    pub fn process(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        changes: &[ParamChange],
    ) -> Result<Vec<Vec<f32>>, HostError> {
        self.process_with(input, block_sizes, changes, &RunOptions::default())
            .map(|run| run.outputs)
    }

    /// [`process`](Self::process) with the extras of `options`; block sizes may also be 0
    /// (a `process()` call with no frames) as long as one is not.
    pub fn process_with(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        changes: &[ParamChange],
        options: &RunOptions,
    ) -> Result<RunOutput, HostError> {
        let activation = self
            .activation
            .ok_or(HostError::Lifecycle("process() while inactive".into()))?;
        let processor = self
            .processor
            .take()
            .ok_or(HostError::Lifecycle("process() while inactive".into()))?;
        let frames = input.first().map_or(0, Vec::len);
        if input.iter().any(|c| c.len() != frames) {
            return Err(HostError::Lifecycle(
                "input channels differ in length".into(),
            ));
        }
        if block_sizes.iter().all(|&n| n == 0) {
            return Err(HostError::Lifecycle(
                "at least one block size must be ≥ 1".into(),
            ));
        }
        if let Some(&n) = block_sizes.iter().find(|&&n| n > activation.max_frames) {
            return Err(HostError::Lifecycle(format!(
                "block of {n} frames exceeds max_frames {}",
                activation.max_frames
            )));
        }
        if let Some(c) = changes.iter().find(|c| c.frame >= frames.max(1)) {
            return Err(HostError::Lifecycle(format!(
                "change at frame {} is past the signal ({frames} frames)",
                c.frame
            )));
        }
        let mut changes = changes.to_vec();
        changes.sort_by_key(|c| c.frame);

        // Everything the audio thread touches is allocated here, on the main thread.
        let inputs = input.to_vec();
        let outputs = vec![vec![0.0f32; frames]; input.len()];

        let (in_place, resets) = (options.in_place, options.resets_before.as_slice());
        let mut loads = options.loads_during.iter();
        let (mut loads_during, mut loads_while_processing) = (0, 0);
        let ((processor, result, outputs), load_result) = std::thread::scope(|scope| {
            let audio = std::thread::Builder::new()
                .name("refcan-test-audio".into())
                .spawn_scoped(scope, move || {
                    run_blocks(
                        processor,
                        inputs,
                        outputs,
                        block_sizes,
                        &changes,
                        in_place,
                        resets,
                    )
                })
                .map_err(|e| HostError::Lifecycle(format!("spawning the audio thread: {e}")))?;
            // The main thread keeps servicing the plugin's callback requests while audio runs,
            // and loads states meanwhile when asked to.
            let mut load_result = Ok(());
            while !audio.is_finished() {
                self.pump_main_thread();
                if let Some(blob) = loads.next()
                    && load_result.is_ok()
                {
                    load_result = self.load_state(blob);
                    loads_during += 1;
                    if !audio.is_finished() {
                        loads_while_processing += 1;
                    }
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            audio
                .join()
                .map(|run| (run, load_result))
                .map_err(|_| HostError::Lifecycle("the audio thread panicked".into()))
        })?;
        self.processor = Some(processor);
        self.pump_main_thread();
        result?;
        load_result?;
        Ok(RunOutput {
            outputs,
            loads_during,
            loads_while_processing,
        })
    }

    /// Runs the plugin's main-thread callback if it asked for one.
    pub fn pump_main_thread(&mut self) {
        let requested = self
            .instance
            .access_shared_handler(|s| s.callback_requested.swap(false, Ordering::AcqRel));
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// The plugin's state as the host would store it in a project.
    pub fn save_state(&mut self) -> Result<Vec<u8>, HostError> {
        let ext = self.state.ok_or(HostError::MissingExtension("state"))?;
        let mut bytes = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut bytes)
            .map_err(|_| HostError::State("save"))?;
        Ok(bytes)
    }

    /// Loads a state blob; `Err` when the plugin refuses it.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), HostError> {
        let ext = self.state.ok_or(HostError::MissingExtension("state"))?;
        let mut reader = std::io::Cursor::new(bytes);
        let result = ext
            .load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|_| HostError::State("load"));
        self.pump_main_thread();
        result
    }

    /// How often the plugin asked the host to rescan parameters, marked its state dirty and
    /// reported a latency change.
    pub fn host_notifications(&self) -> (u32, u32, u32) {
        self.instance.access_handler(|h| {
            (
                h.rescans.get(),
                h.dirty_marks.get(),
                h.latency_changes.get(),
            )
        })
    }

    /// Whether the plugin asked for a restart (deactivate + activate) since the last call.
    pub fn take_restart_request(&self) -> bool {
        self.instance
            .access_shared_handler(|s| s.restart_requested.swap(false, Ordering::AcqRel))
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.deactivate();
    }
}

/// What the audio thread hands back: the stopped processor, the outcome and the output.
type AudioRun = (
    StoppedPluginAudioProcessor<TestHost>,
    Result<(), HostError>,
    Vec<Vec<f32>>,
);

/// The audio thread: one processing run over the whole signal.
fn run_blocks(
    processor: StoppedPluginAudioProcessor<TestHost>,
    mut inputs: Vec<Vec<f32>>,
    mut outputs: Vec<Vec<f32>>,
    block_sizes: &[usize],
    changes: &[ParamChange],
    in_place: bool,
    resets_before: &[usize],
) -> AudioRun {
    let channels = inputs.len();
    let frames = inputs.first().map_or(0, Vec::len);
    let mut in_ports = AudioPorts::with_capacity(channels, 1);
    let mut out_ports = AudioPorts::with_capacity(channels, 1);
    let mut in_events = EventBuffer::with_capacity(changes.len().max(1));
    let mut out_events = EventBuffer::with_capacity(256);
    let mut started = match processor.start_processing() {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("start_processing: {e}");
            return (
                e.into_stopped_processor(),
                Err(HostError::Lifecycle(msg)),
                outputs,
            );
        }
    };
    let mut result = Ok(());
    let (mut start, mut block, mut next_change) = (0usize, 0usize, 0usize);
    while start < frames {
        let end = (start + block_sizes[block % block_sizes.len()]).min(frames);
        in_events.clear();
        while next_change < changes.len() && changes[next_change].frame < end {
            let c = changes[next_change];
            in_events.push(&ParamValueEvent::new(
                (c.frame - start) as u32,
                ClapId::new(c.id),
                Pckn::match_all(),
                c.value,
            ));
            next_change += 1;
        }
        out_events.clear();
        if resets_before.contains(&block) {
            started.reset();
        }
        let in_buffers = in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                inputs
                    .iter_mut()
                    .map(|c| InputChannel::variable(&mut c[start..end])),
            ),
        }]);
        let mut out_buffers = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                outputs.iter_mut().map(|c| &mut c[start..end]),
            ),
        }]);
        if in_place {
            // The output port points at the input's channel pointers: the plugin sees the
            // same memory on both sides, as with a host that processes in place.
            let shared = in_buffers.as_raw_buffers()[0].data32;
            out_buffers.as_raw_buffers()[0].data32 = shared;
        }
        let processed = started.process(
            &in_buffers,
            &mut out_buffers,
            &in_events.as_input(),
            &mut out_events.as_output(),
            Some(start as u64),
            None,
        );
        if in_place {
            for (out, played) in outputs.iter_mut().zip(&inputs) {
                out[start..end].copy_from_slice(&played[start..end]);
            }
        }
        if let Err(e) = processed {
            result = Err(HostError::Process {
                block,
                start,
                end,
                what: e.to_string(),
            });
            break;
        }
        start = end;
        block += 1;
    }
    (started.stop_processing(), result, outputs)
}
