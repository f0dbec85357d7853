//! A tiny VST3 host on the `vst3` crate (the bindings nice-plug itself uses) and libloading:
//! load the module, create the component with its audio processor, set the component state from
//! bytes through an in-memory `IBStream`, `setupProcessing` with a process mode, activate, and
//! process stereo blocks on a dedicated audio thread with a process mode flagged in every
//! `ProcessData`, as Ardour does when it freewheels an export.
//!
//! It loads the debug bundle `target/bundled/Refcan.vst3/Contents/x86_64-linux/Refcan.so`
//! (`cargo xtask bundle refcan`, nice-plug's `assert_process_allocs` on) when the bundle is newer
//! than the sources, and otherwise the debug cdylib this `cargo test` built
//! (`target/<profile>/deps/librefcan.so`, the same code, also allocation-checked): a stale bundle
//! never gets tested, and a fresh clone needs no bundling step. Set `REFCAN_VST3_PATH` to load
//! another file. Failures panic with what failed.
//!
//! ```text
//! let mut p = Vst3Plugin::load();
//! p.set_state(&json);                        // nice-plug's VST3 component state is its JSON
//! p.setup_processing(48_000.0, 512, Mode::Realtime);
//! p.set_active(true);
//! p.set_processing(true);
//! let out = p.process(&input, &[512], &[Mode::Offline]);   // modes cycle per process call
//! let listen = p.param_id("Listen");        // from the edit controller's parameter list
//! let change = ParamChange { frame: 10_077, id: listen, normalized: 2.0 / 8.0 };
//! let out = p.process_automated(&input, &[512], &[Mode::Realtime], &[change]);
//! ```
//!
//! Automation reaches the plugin as a host sends it: each change goes into the
//! `IParameterChanges` of the process call whose block holds its frame, as a point of that
//! parameter's `IParamValueQueue` at its sample offset within the block.
//!
//! All `unsafe` of the VST3 host lives in this module.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, c_void};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusDirections_, IAudioProcessor, IAudioProcessorTrait,
    IComponent, IComponentTrait, IEditController, IEditControllerTrait, IParamValueQueue,
    IParamValueQueueTrait, IParameterChanges, IParameterChangesTrait, MediaTypes_, ParamID,
    ParamValue, ParameterInfo, ProcessData, ProcessModes_, ProcessSetup, SpeakerArr,
    SymbolicSampleSizes_,
};
use vst3::Steinberg::{
    IBStream, IBStreamTrait, IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait, PClassInfo,
    int32, int64, kInvalidArgument, kResultFalse, kResultOk, tresult,
};
use vst3::{Class, ComPtr, ComWrapper, Interface};

/// Overrides which VST3 module file is loaded.
pub const VST3_PATH_ENV: &str = "REFCAN_VST3_PATH";

/// A VST3 process mode (`Vst::ProcessModes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `kRealtime`.
    Realtime,
    /// `kPrefetch`.
    Prefetch,
    /// `kOffline`.
    Offline,
}

impl Mode {
    fn vst3(self) -> int32 {
        (match self {
            Mode::Realtime => ProcessModes_::kRealtime,
            Mode::Prefetch => ProcessModes_::kPrefetch,
            Mode::Offline => ProcessModes_::kOffline,
        }) as int32
    }
}

/// One automation point: `id` goes to `normalized` at `frame` of the whole signal (the host
/// sends it in the block holding that frame, at its offset within the block).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamChange {
    /// Frame in the whole signal at which the value applies.
    pub frame: usize,
    /// VST3 parameter id (`ParameterInfo::id`).
    pub id: u32,
    /// Normalised value, 0…1 (for a stepped parameter: step / step count).
    pub normalized: f64,
}

/// What the edit controller reports for one parameter (`IEditController::getParameterInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// `ParameterInfo::id`.
    pub id: u32,
    /// `ParameterInfo::title`.
    pub title: String,
    /// `ParameterInfo::stepCount` (0: continuous).
    pub step_count: i32,
    /// `ParameterInfo::defaultNormalizedValue`.
    pub default_normalized: f64,
}

/// The module to load, and which one it is.
pub fn module_path() -> (PathBuf, &'static str) {
    if let Some(path) = std::env::var_os(VST3_PATH_ENV) {
        return (PathBuf::from(path), VST3_PATH_ENV);
    }
    let exe = std::env::current_exe().expect("the test binary knows its own path");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    let target = deps.parent().and_then(|p| p.parent()).expect("target/");
    let bundle = target.join("bundled/Refcan.vst3/Contents/x86_64-linux/Refcan.so");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let sources = newest_source(Path::new(env!("CARGO_MANIFEST_DIR")));
    match (modified(&bundle), sources) {
        (Some(bundled), Some(sources)) if bundled > sources => (bundle, "the debug bundle"),
        _ => (
            deps.join("librefcan.so"),
            "the cdylib this `cargo test` built: the bundle is missing or older than the sources",
        ),
    }
}

/// The newest modification time of the files a plugin build reads (`src/`, `patches/`, the
/// manifest and the lock file).
fn newest_source(root: &Path) -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                if entry.file_name() != "target" {
                    walk(&entry.path(), newest);
                }
            }
        } else if let Ok(t) = meta.modified() {
            *newest = (*newest).max(Some(t));
        }
    }
    let mut newest = None;
    for part in ["src", "patches", "Cargo.toml", "Cargo.lock"] {
        walk(&root.join(part), &mut newest);
    }
    newest
}

/// One plugin instance: the component and its audio processor (the module stays loaded).
pub struct Vst3Plugin {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    max_block: usize,
    active: bool,
    processing: bool,
}

impl Vst3Plugin {
    /// Loads the module (kept loaded for the life of the process, as hosts do), creates the
    /// first audio-module class, initialises it and selects a stereo in/out layout.
    pub fn load() -> Self {
        let (path, what) = module_path();
        println!("VST3 module: {} ({what})", path.display());
        // SAFETY: the library is the plugin built from this repository; its initialisers and
        // the VST3 entry points are what a host calls.
        let factory = unsafe {
            let lib = libloading::Library::new(&path)
                .unwrap_or_else(|e| panic!("loading {}: {e}", path.display()));
            let entry = *lib
                .get::<unsafe extern "C" fn(*mut c_void) -> bool>(b"ModuleEntry\0")
                .expect("the module exports ModuleEntry (Linux)");
            let get = *lib
                .get::<unsafe extern "system" fn() -> *mut c_void>(b"GetPluginFactory\0")
                .expect("the module exports GetPluginFactory");
            // Never unloaded, as hosts do: the plugin's threads and thread-locals live in it.
            std::mem::forget(lib);
            assert!(entry(std::ptr::null_mut()), "ModuleEntry returned false");
            ComPtr::from_raw(get() as *mut IPluginFactory).expect("GetPluginFactory returned null")
        };
        // SAFETY: plain VST3 calls with valid, correctly sized arguments.
        unsafe {
            let cid = (0..factory.countClasses())
                .find_map(|i| {
                    let mut info: PClassInfo = std::mem::zeroed();
                    (factory.getClassInfo(i, &mut info) == kResultOk
                        && CStr::from_ptr(info.category.as_ptr()).to_bytes()
                            == b"Audio Module Class")
                        .then_some(info.cid)
                })
                .expect("the factory has an Audio Module Class");
            let mut obj: *mut c_void = std::ptr::null_mut();
            let iid = <IComponent as Interface>::IID;
            let r = factory.createInstance(cid.as_ptr(), iid.as_ptr() as *const _, &mut obj);
            assert_eq!(r, kResultOk, "createInstance(IComponent)");
            let component = ComPtr::from_raw(obj as *mut IComponent).expect("component");
            let processor = component
                .cast::<IAudioProcessor>()
                .expect("the component is an IAudioProcessor");
            // nice-plug ignores the host context, so no IHostApplication is needed.
            assert_eq!(component.initialize(std::ptr::null_mut()), kResultOk);
            let mut stereo = [SpeakerArr::kStereo; 2];
            let r = processor.setBusArrangements(&mut stereo[0], 1, &mut stereo[1], 1);
            assert_eq!(r, kResultOk, "setBusArrangements(stereo, stereo)");
            let audio = MediaTypes_::kAudio as int32;
            for dir in [BusDirections_::kInput, BusDirections_::kOutput] {
                assert_eq!(component.activateBus(audio, dir as int32, 0, 1), kResultOk);
            }
            Self {
                component,
                processor,
                max_block: 0,
                active: false,
                processing: false,
            }
        }
    }

    /// `IComponent::setState` with `bytes` (for nice-plug: the plugin state's JSON).
    pub fn set_state(&mut self, bytes: &[u8]) {
        let stream = ComWrapper::new(MemoryStream::new(bytes.to_vec()));
        let stream = stream.to_com_ptr::<IBStream>().expect("IBStream");
        // SAFETY: the stream outlives the call.
        let r = unsafe { self.component.setState(stream.as_ptr()) };
        assert_eq!(r, kResultOk, "setState refused {} bytes", bytes.len());
    }

    /// `IAudioProcessor::setupProcessing` (32-bit samples).
    pub fn setup_processing(&mut self, sample_rate: f64, max_block: usize, mode: Mode) {
        assert!(!self.active, "setupProcessing while active");
        let mut setup = ProcessSetup {
            processMode: mode.vst3(),
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
            maxSamplesPerBlock: max_block as int32,
            sampleRate: sample_rate,
        };
        // SAFETY: a valid setup struct.
        let r = unsafe { self.processor.setupProcessing(&mut setup) };
        assert_eq!(
            r, kResultOk,
            "setupProcessing({sample_rate}, {max_block}, {mode:?})"
        );
        self.max_block = max_block;
    }

    /// `IComponent::setActive`.
    pub fn set_active(&mut self, on: bool) {
        // SAFETY: a plain call.
        let r = unsafe { self.component.setActive(on as u8) };
        assert_eq!(r, kResultOk, "setActive({on})");
        self.active = on;
    }

    /// `IAudioProcessor::setProcessing`.
    pub fn set_processing(&mut self, on: bool) {
        // SAFETY: a plain call.
        let r = unsafe { self.processor.setProcessing(on as u8) };
        assert_eq!(r, kResultOk, "setProcessing({on})");
        self.processing = on;
    }

    /// `IAudioProcessor::getLatencySamples`.
    pub fn latency_samples(&self) -> usize {
        // SAFETY: a plain call.
        unsafe { self.processor.getLatencySamples() as usize }
    }

    /// The parameters the edit controller lists (`getParameterCount`, `getParameterInfo`).
    pub fn parameters(&self) -> Vec<ParamInfo> {
        let controller = self
            .component
            .cast::<IEditController>()
            .expect("the component is its own IEditController (nice-plug)");
        // SAFETY: plain calls with a valid, correctly sized out struct.
        unsafe {
            (0..controller.getParameterCount())
                .map(|i| {
                    let mut info: ParameterInfo = std::mem::zeroed();
                    let r = controller.getParameterInfo(i, &mut info);
                    assert_eq!(r, kResultOk, "getParameterInfo({i})");
                    let title = &info.title;
                    let len = title.iter().position(|&c| c == 0).unwrap_or(title.len());
                    ParamInfo {
                        id: info.id,
                        title: String::from_utf16_lossy(&title[..len]),
                        step_count: info.stepCount,
                        default_normalized: info.defaultNormalizedValue,
                    }
                })
                .collect()
        }
    }

    /// The id of the one parameter titled `title`; panics unless exactly one is.
    pub fn param_id(&self, title: &str) -> u32 {
        let all = self.parameters();
        let found: Vec<&ParamInfo> = all.iter().filter(|p| p.title == title).collect();
        match found.as_slice() {
            [one] => one.id,
            _ => panic!(
                "{} parameters titled {title:?} among {:?}",
                found.len(),
                all.iter().map(|p| &p.title).collect::<Vec<_>>()
            ),
        }
    }

    /// Processes `input` on an audio thread in blocks whose sizes cycle through `block_sizes`,
    /// flagging each process call with the mode that cycles through `modes` (one per call).
    pub fn process(
        &mut self,
        input: &[Vec<f32>; 2],
        block_sizes: &[usize],
        modes: &[Mode],
    ) -> [Vec<f32>; 2] {
        self.process_automated(input, block_sizes, modes, &[])
    }

    /// [`Vst3Plugin::process`] with automation: each change is a point in the
    /// `inputParameterChanges` of the call whose block holds its frame, at its offset in that
    /// block (points of one parameter in one block in frame order, as VST3 requires). Calls
    /// without a change get no `IParameterChanges` (null), as many hosts send them.
    pub fn process_automated(
        &mut self,
        input: &[Vec<f32>; 2],
        block_sizes: &[usize],
        modes: &[Mode],
        changes: &[ParamChange],
    ) -> [Vec<f32>; 2] {
        assert!(
            self.active && self.processing,
            "process() needs setActive and setProcessing"
        );
        assert!(
            !block_sizes.is_empty() && !modes.is_empty(),
            "block sizes and modes"
        );
        assert!(
            block_sizes
                .iter()
                .all(|&n| (1..=self.max_block).contains(&n)),
            "block sizes must be 1..={}",
            self.max_block
        );
        let frames = input[0].len();
        assert_eq!(input[1].len(), frames, "channels differ in length");
        if let Some(c) = changes
            .iter()
            .find(|c| c.frame >= frames || !(0.0..=1.0).contains(&c.normalized))
        {
            panic!("{c:?}: the frame must be in the signal ({frames} frames), the value in 0…1");
        }
        // The calls (start, length, mode) and their parameter changes, made before the audio
        // thread starts, which then only hands them over.
        let mut calls = Vec::new();
        let mut start = 0;
        while start < frames {
            let call = calls.len();
            let len = block_sizes[call % block_sizes.len()].min(frames - start);
            let in_block: Vec<&ParamChange> = changes
                .iter()
                .filter(|c| (start..start + len).contains(&c.frame))
                .collect();
            let parameter_changes = (!in_block.is_empty())
                .then(|| ComWrapper::new(ParameterChanges::new(&in_block, start)));
            calls.push((start, len, modes[call % modes.len()], parameter_changes));
            start += len;
        }
        let mut inputs = input.clone();
        let mut outputs = [vec![0.0f32; frames], vec![0.0f32; frames]];
        let processor = SendPtr(self.processor.as_ptr());
        std::thread::scope(|scope| {
            let (inputs, outputs, calls) = (&mut inputs, &mut outputs, &calls);
            let audio = std::thread::Builder::new().name("refcan-vst3-audio".into());
            let audio = audio.spawn_scoped(scope, move || {
                let processor = processor;
                for (call, (start, len, mode, parameter_changes)) in calls.iter().enumerate() {
                    let (start, len, mode) = (*start, *len, *mode);
                    let parameter_changes =
                        parameter_changes
                            .as_ref()
                            .map_or(std::ptr::null_mut(), |c| {
                                c.as_com_ref::<IParameterChanges>()
                                    .expect("IParameterChanges")
                                    .as_ptr()
                            });
                    let mut ins = inputs.each_mut().map(|c| c[start..].as_mut_ptr());
                    let mut outs = outputs.each_mut().map(|c| c[start..].as_mut_ptr());
                    let bus = |ptrs: &mut [*mut f32; 2]| AudioBusBuffers {
                        numChannels: 2,
                        silenceFlags: 0,
                        __field0: AudioBusBuffers__type0 {
                            channelBuffers32: ptrs.as_mut_ptr(),
                        },
                    };
                    let (mut in_bus, mut out_bus) = (bus(&mut ins), bus(&mut outs));
                    let mut data = ProcessData {
                        processMode: mode.vst3(),
                        symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                        numSamples: len as int32,
                        numInputs: 1,
                        numOutputs: 1,
                        inputs: &mut in_bus,
                        outputs: &mut out_bus,
                        inputParameterChanges: parameter_changes,
                        outputParameterChanges: std::ptr::null_mut(),
                        inputEvents: std::ptr::null_mut(),
                        outputEvents: std::ptr::null_mut(),
                        processContext: std::ptr::null_mut(),
                    };
                    // SAFETY: the processor outlives the scope; the buffers hold `len` frames
                    // from `start` and stay alive and unaliased for the call, as do the
                    // parameter changes (owned by `calls`).
                    let r = unsafe { processor.process(&mut data) };
                    assert_eq!(r, kResultOk, "process() call {call} (frames {start}..)");
                }
            });
            audio
                .expect("spawning the audio thread")
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
        });
        outputs
    }
}

impl Drop for Vst3Plugin {
    fn drop(&mut self) {
        // SAFETY: plain teardown calls in the order hosts use.
        unsafe {
            if self.processing {
                self.processor.setProcessing(0);
            }
            if self.active {
                self.component.setActive(0);
            }
            self.component.terminate();
        }
    }
}

/// The audio processor's pointer, handed to the audio thread (VST3 allows `process` there).
#[derive(Clone, Copy)]
struct SendPtr(*mut IAudioProcessor);
// SAFETY: VST3 requires `process` to be callable from the host's audio thread.
unsafe impl Send for SendPtr {}

impl SendPtr {
    /// # Safety
    /// The processor must still be alive.
    unsafe fn process(self, data: &mut ProcessData) -> tresult {
        // SAFETY: per the caller.
        unsafe { ((*(*self.0).vtbl).process)(self.0, data) }
    }
}

/// One parameter's points in one process call (`IParamValueQueue`): sample offsets within the
/// block, in order, and normalised values. Read-only, as an input queue is for the plugin.
struct ParamQueue {
    id: ParamID,
    points: Vec<(int32, ParamValue)>,
}

impl Class for ParamQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParamQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.len() as int32
    }

    unsafe fn getPoint(
        &self,
        index: int32,
        sample_offset: *mut int32,
        value: *mut ParamValue,
    ) -> tresult {
        let Some(&(offset, v)) = usize::try_from(index).ok().and_then(|i| self.points.get(i))
        else {
            return kInvalidArgument;
        };
        if sample_offset.is_null() || value.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: the caller's out pointers, checked for null.
        unsafe {
            *sample_offset = offset;
            *value = v;
        }
        kResultOk
    }

    unsafe fn addPoint(&self, _offset: int32, _value: ParamValue, _index: *mut int32) -> tresult {
        kResultFalse
    }
}

/// The parameter changes of one process call (`IParameterChanges`): one queue per parameter,
/// in order of first appearance. Read-only, as input changes are for the plugin.
struct ParameterChanges {
    queues: Vec<ComWrapper<ParamQueue>>,
}

impl ParameterChanges {
    /// The queues for `changes` (all in the block starting at frame `block_start`).
    fn new(changes: &[&ParamChange], block_start: usize) -> Self {
        let mut queues: Vec<ParamQueue> = Vec::new();
        for c in changes {
            let point = ((c.frame - block_start) as int32, c.normalized);
            match queues.iter_mut().find(|q| q.id == c.id) {
                Some(q) => q.points.push(point),
                None => queues.push(ParamQueue {
                    id: c.id,
                    points: vec![point],
                }),
            }
        }
        for q in &mut queues {
            q.points.sort_by_key(|&(offset, _)| offset);
        }
        Self {
            queues: queues.into_iter().map(ComWrapper::new).collect(),
        }
    }
}

impl Class for ParameterChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParameterChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        // Not reference-counted for the caller: the queue lives as long as these changes.
        usize::try_from(index)
            .ok()
            .and_then(|i| self.queues.get(i))
            .and_then(|q| q.as_com_ref::<IParamValueQueue>())
            .map_or(std::ptr::null_mut(), |q| q.as_ptr())
    }

    unsafe fn addParameterData(
        &self,
        _id: *const ParamID,
        _index: *mut int32,
    ) -> *mut IParamValueQueue {
        std::ptr::null_mut()
    }
}

/// An in-memory `IBStream` (what a host hands `setState`).
struct MemoryStream {
    data: RefCell<Vec<u8>>,
    pos: Cell<usize>,
}

impl MemoryStream {
    fn new(data: Vec<u8>) -> Self {
        Self {
            data: RefCell::new(data),
            pos: Cell::new(0),
        }
    }
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, num_bytes: int32, read: *mut int32) -> tresult {
        let data = self.data.borrow();
        let pos = self.pos.get().min(data.len());
        let n = (num_bytes.max(0) as usize).min(data.len() - pos);
        // SAFETY: the caller's buffer holds `num_bytes` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(data[pos..].as_ptr(), buffer as *mut u8, n);
            if !read.is_null() {
                *read = n as int32;
            }
        }
        self.pos.set(pos + n);
        if n == 0 && num_bytes > 0 {
            kResultFalse
        } else {
            kResultOk
        }
    }

    unsafe fn write(&self, buffer: *mut c_void, num_bytes: int32, written: *mut int32) -> tresult {
        let n = num_bytes.max(0) as usize;
        let mut data = self.data.borrow_mut();
        let pos = self.pos.get();
        if data.len() < pos + n {
            data.resize(pos + n, 0);
        }
        // SAFETY: the caller's buffer holds `num_bytes` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(buffer as *const u8, data[pos..].as_mut_ptr(), n);
            if !written.is_null() {
                *written = n as int32;
            }
        }
        self.pos.set(pos + n);
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let base = match mode {
            m if m == kIBSeekSet as int32 => 0,
            m if m == kIBSeekCur as int32 => self.pos.get() as int64,
            m if m == kIBSeekEnd as int32 => self.data.borrow().len() as int64,
            _ => return kInvalidArgument,
        };
        let Ok(new) = usize::try_from(base + pos) else {
            return kInvalidArgument;
        };
        self.pos.set(new);
        if !result.is_null() {
            // SAFETY: the caller's out pointer.
            unsafe { *result = new as int64 };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: the caller's out pointer.
        unsafe { *pos = self.pos.get() as int64 };
        kResultOk
    }
}
