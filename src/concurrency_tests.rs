//! Concurrency (issue 16, item 3): the audio thread plays while an editor thread storms every
//! parameter, installs headphones and slots and loads saved or broken states, and a host
//! thread saves the state, with the designer thread redesigning behind them.
//!
//! What it proves, by measuring the audio the plugin plays:
//! - every block is finite and bounded while the state changes under it;
//! - every saved state is a whole, valid document (never a mix of two states);
//! - after each storm, the plugin plays exactly the chain of the settings and state it was left
//!   with (impulse response against `chain_curves` within 0.05 dB, 40 Hz–16 kHz, both channels):
//!   no stale or torn filter survives the handover.
//!
//! Run under ThreadSanitizer it also proves there is no data race (see docs/RELIABILITY.md,
//! "Concurrency"); `REFCAN_CONCURRENCY_ROUNDS` sets the number of storms (default 3, what CI
//! runs) and `REFCAN_CONCURRENCY_STORM_MS` their length (default 400 ms).

use crate::Refcan;
use crate::chain::Listen;
use crate::curve::Channel;
use crate::design;
use crate::headphones::HeadphoneLibrary;
use crate::params::RefcanParams;
use crate::presets::PresetLibrary;
use crate::state::{PERSIST_KEY, RefcanState, SlotContent};
use crate::tests::{ModeContext, NullActivate};
use nice_plug::prelude::*;
use realfft::RealFftPlanner;
use serde_json::{Value, json};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FS: f64 = 48_000.0;
const BLOCK: usize = 256;
/// Impulse-response length: 0.34 s, longer than any Zero latency design at 48 kHz.
const IR_FRAMES: usize = 16_384;
/// What "plays the chain" means here. Measured: at most 0.011 dB over the runs so far.
const TOLERANCE_DB: f64 = 0.05;
/// How long a settled state may take to be heard (a debug design under ThreadSanitizer takes
/// seconds; the designer throttles too).
const SETTLE_DEADLINE: Duration = Duration::from_secs(120);

/// Sets the flag when dropped, also while unwinding from a failed assertion.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// A small deterministic generator (splitmix64), so a failing storm can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sets a parameter the way a host's automation or the editor does (an atomic store).
fn set_normalized(ptr: ParamPtr, value: f32) {
    // SAFETY: the pointer comes from `param_map()` of parameters the test keeps alive (the
    // `Arc<RefcanParams>` outlives every thread using it).
    unsafe { ptr._internal_set_normalized_value(value) };
}

fn set<P: Param>(param: &P, value: P::Plain) {
    set_normalized(param.as_ptr(), param.preview_normalized(value));
}

/// The stereo layout every test here activates with.
const STEREO: AudioIOLayout = AudioIOLayout {
    main_input_channels: NonZeroU32::new(2),
    main_output_channels: NonZeroU32::new(2),
    ..AudioIOLayout::const_default()
};

/// An instance on the Zero latency engine, whose played response is the chain itself.
fn zero_latency_instance() -> Refcan {
    let plugin = Refcan::default();
    set(
        &plugin.params.filter_mode,
        crate::params::FilterModeChoice::ZeroLatency,
    );
    plugin
}

/// Plays one block through `process()`, both channels from `input`.
fn play(plugin: &mut Refcan, left: &mut [f32], right: &mut [f32]) {
    let len = left.len();
    let mut buffer = Buffer::default();
    // SAFETY: both slices live until `process` returns and have `len` samples.
    unsafe {
        buffer.set_slices(len, |slices| {
            slices.clear();
            slices.push(left);
            slices.push(right);
        });
    }
    let mut aux = AuxiliaryBuffers {
        inputs: &mut [],
        outputs: &mut [],
    };
    let mut context = ModeContext {
        mode: ProcessMode::Realtime,
        transport: Transport::new(FS as f32),
    };
    plugin.process(&mut buffer, &mut aux, &mut context);
}

/// One editor action chosen by `rng`; returns a short name for the failure report.
fn editor_action(
    params: &RefcanParams,
    rng: &mut Rng,
    headphones: &HeadphoneLibrary,
    simulations: &[SlotContent],
    saved: &Mutex<Vec<Value>>,
) -> &'static str {
    let state = &params.state;
    match rng.below(8) {
        0 | 1 => {
            // A parameter storm: every parameter but the engine (an engine change asks the
            // host for a restart, which the storm on the audio thread does not do).
            for (id, ptr, _) in params.param_map() {
                if id != "filter_mode" {
                    set_normalized(ptr, rng.unit());
                }
            }
            "parameter storm"
        }
        2 => {
            let mut doc = state.get();
            doc.headphone = match rng.below(4) {
                0 => None,
                _ => {
                    let entries = headphones.entries();
                    Some(entries[rng.below(entries.len())].to_headphone())
                }
            };
            state.replace(doc);
            "headphone"
        }
        3 => {
            let mut doc = state.get();
            let k = rng.below(doc.slots.len());
            doc.slots[k] = if rng.below(3) == 0 {
                let entries = headphones.entries();
                SlotContent::OtherHeadphone {
                    headphone: entries[rng.below(entries.len())].to_headphone(),
                }
            } else {
                simulations[rng.below(simulations.len())].clone()
            };
            state.replace(doc);
            "slot"
        }
        4 => {
            let mut doc = state.get();
            doc.max_boost_db = f64::from(rng.unit()) * 12.0;
            state.replace(doc);
            "max boost"
        }
        5 => {
            let doc = {
                let saved = saved.lock().unwrap_or_else(|e| e.into_inner());
                (!saved.is_empty()).then(|| saved[rng.below(saved.len())].clone())
            };
            if let Some(doc) = doc {
                let before = state.get();
                if let Err(e) = state.load(doc) {
                    panic!("a state this instance saved was refused: {e}; before: {before:?}");
                }
            }
            "saved state loaded"
        }
        6 => {
            // Broken documents: refused, and the state is kept (checked in hostile_inputs).
            let doc = match rng.below(3) {
                0 => json!("not a state"),
                1 => json!({"format_version": 99, "slots": 7}),
                _ => json!({"format_version": 3, "max_boost_db": 1e300}),
            };
            let _refused = state.load(doc).is_err();
            "broken state loaded"
        }
        _ => {
            set(
                &params.listen,
                crate::params::ListenChoice::from_index(rng.below(9)),
            );
            "listen"
        }
    }
}

/// The host's state save: the document must be whole and valid.
fn host_save(params: &RefcanParams, saved: &Mutex<Vec<Value>>, rng: &mut Rng) {
    let fields = params.serialize_fields();
    let text = fields.get(PERSIST_KEY).expect("the state is saved");
    let doc: Value = serde_json::from_str(text).expect("a saved state is JSON");
    let doc = match doc.get(crate::state::RECOVERED_KEY) {
        // A refused document is kept aside in the state; that part is not ours to check.
        Some(_) => {
            let mut doc = doc;
            if let Some(map) = doc.as_object_mut() {
                map.remove(crate::state::RECOVERED_KEY);
            }
            doc
        }
        None => doc,
    };
    if let Err(e) = RefcanState::from_value(doc.clone()) {
        panic!("a saved state does not load back: {e}");
    }
    let mut saved = saved.lock().unwrap_or_else(|e| e.into_inner());
    if saved.len() < 16 {
        saved.push(doc);
    } else {
        let k = rng.below(saved.len());
        saved[k] = doc;
    }
}

/// The impulse response of both channels (impulse in both), after the current state settled.
fn impulse_response(plugin: &mut Refcan) -> [Vec<f32>; 2] {
    let mut left = vec![0.0f32; IR_FRAMES];
    left[0] = 1.0;
    let mut right = left.clone();
    for (l, r) in left.chunks_mut(BLOCK).zip(right.chunks_mut(BLOCK)) {
        play(plugin, l, r);
    }
    [left, right]
}

/// Largest difference between the played magnitude (the plugin runs at `fs`) and the chain,
/// dB, with where it is.
fn mismatch(
    plugin: &mut Refcan,
    fs: f64,
    expected: &crate::chain::ChainCurves,
    listen: Listen,
) -> (f64, String) {
    let irs = impulse_response(plugin);
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(IR_FRAMES);
    let chain = expected.chain(listen);
    let mut worst = (0.0f64, String::new());
    for (ir, channel) in irs.iter().zip([Channel::Left, Channel::Right]) {
        let mut input: Vec<f64> = ir.iter().map(|&x| f64::from(x)).collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut input, &mut spectrum).expect("fft sizes");
        let bin_hz = fs / IR_FRAMES as f64;
        let mut f = 40.0;
        while f <= 16_000.0 {
            let bin = (f / bin_hz).round() as usize;
            let played = 20.0 * spectrum[bin].norm().log10();
            let due = chain.channel(channel).gain_at(bin as f64 * bin_hz);
            let err = (played - due).abs();
            if err > worst.0 || err.is_nan() {
                worst = (
                    err,
                    format!(
                        "{channel:?} {:.1} Hz: played {played:.3} dB, chain {due:.3} dB",
                        bin as f64 * bin_hz
                    ),
                );
            }
            f *= 2f64.powf(1.0 / 6.0);
        }
    }
    worst
}

/// Puts the switches that sit outside the chain (bypass, mono, crossfeed, trim) to neutral and
/// returns the chain the plugin must now play, or `None` when the settings have no chain.
fn settle_switches(
    params: &RefcanParams,
    library: &PresetLibrary,
) -> Option<(crate::chain::ChainCurves, Listen)> {
    set(&params.bypass, false);
    set(&params.mono, false);
    set(&params.crossfeed, crate::params::CrossfeedChoice::Off);
    set(&params.output_gain, 0.0);
    let settings = params.design_settings();
    let state = params.state.get();
    let chain = design::chain_curves(
        &settings,
        state.headphone.as_ref(),
        &design::slot_sources(&state.slots),
        library,
    )
    .ok()?;
    let listen = match params.listen.value().index() {
        0 => Listen::Reference,
        k => Listen::Slot(k - 1),
    };
    Some((chain, listen))
}

#[test]
fn the_audio_thread_plays_the_settled_state_while_editor_and_host_hammer_it() {
    let rounds = env_number("REFCAN_CONCURRENCY_ROUNDS", 3);
    let storm = Duration::from_millis(env_number("REFCAN_CONCURRENCY_STORM_MS", 400));
    let seed = env_number("REFCAN_CONCURRENCY_SEED", 0x5EED_0016);
    let mut plugin = zero_latency_instance();
    let params = plugin.params.clone();
    let library = plugin.library.clone();
    let status = plugin.status();
    let layout = STEREO;
    let config = BufferConfig {
        sample_rate: FS as f32,
        min_buffer_size: None,
        max_buffer_size: BLOCK as u32,
        process_mode: ProcessMode::Realtime,
    };
    assert!(plugin.activate(&layout, &config, &mut NullActivate));
    let headphones = HeadphoneLibrary::builtin();
    let simulations: Vec<SlotContent> = library
        .simulations
        .iter()
        .filter_map(|p| SlotContent::builtin(&p.id))
        .collect();
    assert!(simulations.len() >= 30, "the built-in simulations");
    let saved = Mutex::new(Vec::new());
    let storming = AtomicBool::new(false);
    let storm_ends = AtomicU64::new(0);
    let calm = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let actions = AtomicU64::new(0);
    let saves = AtomicU64::new(0);

    let mut blocks = 0u64;
    let mut peak = 0.0f32;
    let mut checked = 0;
    let mut worst_settled = 0.0f64;
    let mut distinct = 0.0f64;
    let mut filtered = 0u64;
    let mut activations = 1u64;
    std::thread::scope(|scope| {
        // The editor / import side.
        scope.spawn(|| {
            let mut rng = Rng(seed);
            while !done.load(Ordering::Acquire) {
                if storming.load(Ordering::Acquire) {
                    editor_action(&params, &mut rng, &headphones, &simulations, &saved);
                    actions.fetch_add(1, Ordering::Relaxed);
                } else {
                    // Idle: tell the audio thread which storm's end this thread has seen.
                    calm.store(storm_ends.load(Ordering::Acquire), Ordering::Release);
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        // The host saving the project (and the editor's meters being read).
        scope.spawn(|| {
            let mut rng = Rng(seed ^ 0xFFFF);
            while !done.load(Ordering::Acquire) {
                host_save(&params, &saved, &mut rng);
                // The editor's meters: atomics the audio thread writes.
                let _peaks = (status.meters.input.take(), status.meters.output.take());
                saves.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(rng.below(3) as u64));
            }
        });
        // The audio thread: this one, which owns the plugin. A failed check stops the other
        // threads too, so the scope can end and the test report the failure.
        let _stop_on_exit = SetOnDrop(&done);
        let mut noise = Rng(seed ^ 0xA0D10);
        let mut left = vec![0.0f32; BLOCK];
        let mut right = vec![0.0f32; BLOCK];
        let mut dry = vec![0.0f32; BLOCK];
        for round in 0..rounds {
            storming.store(true, Ordering::Release);
            let start = Instant::now();
            let mut restarted = false;
            while start.elapsed() < storm {
                if !restarted && start.elapsed() >= storm / 2 {
                    // The host restarts the plugin mid-storm (a latency change, a new block
                    // size): the activation designs on its own thread while the editor and the
                    // designer keep going.
                    plugin.deactivate();
                    let config = BufferConfig {
                        max_buffer_size: (BLOCK << (round % 2)) as u32,
                        ..config
                    };
                    assert!(plugin.activate(&layout, &config, &mut NullActivate));
                    restarted = true;
                    activations += 1;
                }
                for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                    *l = 0.1 * (noise.unit() - 0.5);
                    *r = 0.1 * (noise.unit() - 0.5);
                }
                let len = 1 + noise.below(BLOCK);
                dry[..len].copy_from_slice(&left[..len]);
                play(&mut plugin, &mut left[..len], &mut right[..len]);
                if left[..len]
                    .iter()
                    .zip(&dry[..len])
                    .any(|(y, x)| (y - x).abs() > 1e-4)
                {
                    filtered += 1;
                }
                for &y in left[..len].iter().chain(&right[..len]) {
                    assert!(
                        y.is_finite() && y.abs() < 4.0,
                        "round {round}, block {blocks}: output {y} while the state changed"
                    );
                    peak = peak.max(y.abs());
                }
                blocks += 1;
            }
            storming.store(false, Ordering::Release);
            // Wait until the editor thread finished its last action (it can take long under
            // ThreadSanitizer); from then on nothing changes the state.
            let end = storm_ends.fetch_add(1, Ordering::AcqRel) + 1;
            while calm.load(Ordering::Acquire) < end {
                std::thread::sleep(Duration::from_millis(1));
            }
            let Some((chain, listen)) = settle_switches(&params, &library) else {
                eprintln!("round {round}: the settings have no chain (refused); not measured");
                continue;
            };
            let deadline = Instant::now() + SETTLE_DEADLINE;
            let mut attempts = 0;
            loop {
                attempts += 1;
                // Silence first, so crossfades and ramps end before the impulse.
                for _ in 0..(FS as usize / 5 / BLOCK) {
                    left.fill(0.0);
                    right.fill(0.0);
                    play(&mut plugin, &mut left, &mut right);
                }
                let (err, at) = mismatch(&mut plugin, FS, &chain, listen);
                if err <= TOLERANCE_DB {
                    // The check can tell filters apart: the other listen choices' chains are
                    // far from what plays (unless the state makes them equal).
                    let other = match listen {
                        Listen::Reference => Listen::Slot(0),
                        Listen::Slot(_) => Listen::Reference,
                    };
                    let (apart, _) = mismatch(&mut plugin, FS, &chain, other);
                    distinct = distinct.max(apart);
                    eprintln!(
                        "round {round}: plays {listen:?} of the settled state within {err:.4} dB \
                         after {attempts} measurements ({apart:.2} dB from {other:?})"
                    );
                    worst_settled = worst_settled.max(err);
                    checked += 1;
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "round {round}: {:?} after the storm still plays another filter ({err:.3} dB off at {at})",
                    SETTLE_DEADLINE
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        done.store(true, Ordering::Release);
    });
    let actions = actions.load(Ordering::Relaxed);
    let saves = saves.load(Ordering::Relaxed);
    eprintln!(
        "{rounds} storms of {storm:?}: {blocks} blocks ({filtered} changed by the plugin), {activations} activations, {actions} editor actions, {saves} saves, \
         peak {peak:.3}, {checked} settled states measured, worst {worst_settled:.4} dB"
    );
    assert!(actions > rounds, "the editor thread acted ({actions})");
    assert!(saves > rounds, "the host thread saved ({saves})");
    assert!(checked > 0, "at least one settled state was measured");
    assert!(
        distinct > 1.0,
        "the measurement tells another listen choice apart ({distinct:.2} dB)"
    );
}

/// The chain for the plugin's current settings and state (`listen` as set).
fn chain_now(params: &RefcanParams, library: &PresetLibrary) -> crate::chain::ChainCurves {
    let state = params.state.get();
    design::chain_curves(
        &params.design_settings(),
        state.headphone.as_ref(),
        &design::slot_sources(&state.slots),
        library,
    )
    .expect("a chain")
}

/// The activation reuses its last design only when rate, block size, settings and state are
/// the same (hosts and clap-validator's fuzzer restart plugins often, and a design takes tens
/// of milliseconds): after any of them changed, the first samples after the activation play
/// the new chain, not the reused one.
#[test]
fn an_activation_reuses_only_a_design_made_from_the_same_inputs() {
    let mut plugin = zero_latency_instance();
    let params = plugin.params.clone();
    let library = plugin.library.clone();
    let layout = STEREO;
    let config = |fs: f64| BufferConfig {
        sample_rate: fs as f32,
        min_buffer_size: None,
        max_buffer_size: BLOCK as u32,
        process_mode: ProcessMode::Realtime,
    };
    let activate = |plugin: &mut Refcan, fs: f64| {
        plugin.deactivate();
        let start = Instant::now();
        assert!(plugin.activate(&layout, &config(fs), &mut NullActivate));
        start.elapsed()
    };
    let headphones = HeadphoneLibrary::builtin();
    let mut doc = params.state.get();
    doc.headphone = Some(headphones.entries()[0].to_headphone());
    params.state.replace(doc);

    let cold = activate(&mut plugin, FS);
    let first = chain_now(&params, &library);
    let (err, at) = mismatch(&mut plugin, FS, &first, Listen::Reference);
    assert!(
        err <= TOLERANCE_DB,
        "first activation: {err:.3} dB off at {at}"
    );
    let again = activate(&mut plugin, FS);
    let (err, at) = mismatch(&mut plugin, FS, &first, Listen::Reference);
    assert!(err <= TOLERANCE_DB, "same inputs: {err:.3} dB off at {at}");
    eprintln!("activation with a design {cold:?}, reusing it {again:?}");

    // Another headphone while inactive: the reused design would be 1 dB or more off.
    let mut doc = params.state.get();
    doc.headphone = Some(headphones.entries()[7].to_headphone());
    params.state.replace(doc);
    activate(&mut plugin, FS);
    let second = chain_now(&params, &library);
    let (err, at) = mismatch(&mut plugin, FS, &second, Listen::Reference);
    assert!(
        err <= TOLERANCE_DB,
        "new headphone: {err:.3} dB off at {at}"
    );
    let (stale, _) = mismatch(&mut plugin, FS, &first, Listen::Reference);
    assert!(stale > 1.0, "the two headphones differ ({stale:.2} dB)");

    // A setting: the tilt.
    set(&params.tilt, 1.5);
    activate(&mut plugin, FS);
    let third = chain_now(&params, &library);
    let (err, at) = mismatch(&mut plugin, FS, &third, Listen::Reference);
    assert!(err <= TOLERANCE_DB, "new tilt: {err:.3} dB off at {at}");
    let (stale, _) = mismatch(&mut plugin, FS, &second, Listen::Reference);
    assert!(stale > 1.0, "the tilt changes the chain ({stale:.2} dB)");

    // The rate: a 48 kHz design played at 96 kHz would be an octave off.
    activate(&mut plugin, 2.0 * FS);
    let (err, at) = mismatch(&mut plugin, 2.0 * FS, &third, Listen::Reference);
    assert!(err <= TOLERANCE_DB, "96 kHz: {err:.3} dB off at {at}");
}
