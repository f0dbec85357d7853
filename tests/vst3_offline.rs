//! Offline-render safety through a real VST3 host, measured on the audio: while the host
//! renders offline Refcan passes the input through bit for bit (delayed by its reported
//! latency), unless the state's `offline_render` is `process`. The three ways a VST3 host says
//! "offline":
//!
//! - per process call only (`ProcessData::processMode = kOffline` after a realtime
//!   `setupProcessing`, as Ardour freewheels an export): the pass-through fades in over the
//!   bypass crossfade (10 ms) and is exact after it, and realtime calls around it are corrected;
//! - `setupProcessing(kOffline)` before activation (pedalboard, JUCE hosts): exact from the
//!   first sample;
//! - a mode change between two activations (realtime → deactivate → offline → activate): exact
//!   from the first sample, which needs the patched `setupProcessing` order (patches/README.md).
//!
//! The plugin runs in the tiny host of `tests/common/vst3_host.rs` (debug build, so
//! nice-plug's `assert_process_allocs` aborts on any allocation in `process()`), each scenario
//! in its own child process. Run with `-- --nocapture` to see the figures.

mod common;

use common::isolated;
use common::offline::{
    assert_processed, assert_untouched, delayed, difference_db, first_difference, preset_state,
    signal, tail,
};
use common::signal::ms_to_frames;
use common::vst3_host::{Mode, Vst3Plugin};
use refcan::dsp::output::SWITCH_FADE_MS;
use refcan::state::OfflineRender;

const RATE: f64 = 48_000.0;
const MAX_BLOCK: usize = 512;
/// Uneven block sizes, as hosts send them.
const BLOCKS: [usize; 3] = [512, 173, 64];
/// One second of signal per segment.
const SEGMENT: usize = 48_000;

/// A loaded, set-up, active and processing instance with `state`.
fn start(state: &[u8], setup_mode: Mode) -> Vst3Plugin {
    let mut p = Vst3Plugin::load();
    p.set_state(state);
    p.setup_processing(RATE, MAX_BLOCK, setup_mode);
    p.set_active(true);
    p.set_processing(true);
    p
}

/// Ardour's freewheeling export: set up and activated for realtime, then process calls flagged
/// `kOffline` in their `ProcessData` only, then realtime again.
#[test]
fn per_call_offline_flag_passes_audio_through_and_realtime_is_corrected() {
    isolated(
        "per_call_offline_flag_passes_audio_through_and_realtime_is_corrected",
        || {
            let mut p = start(
                &preset_state("per-call", OfflineRender::Bypass, &[]),
                Mode::Realtime,
            );
            let latency = p.latency_samples();
            let fade = ms_to_frames(SWITCH_FADE_MS as f64, RATE);
            println!("latency {latency} samples, bypass crossfade {fade} samples");
            let input = signal(1, 3 * SEGMENT);
            let reference = delayed(&input, latency);
            let segment = |i: usize| tail(&input, i * SEGMENT).map(|c| c[..SEGMENT].to_vec());
            let out: Vec<[Vec<f32>; 2]> = [Mode::Realtime, Mode::Offline, Mode::Realtime]
                .iter()
                .enumerate()
                .map(|(i, &mode)| p.process(&segment(i), &BLOCKS, &[mode]))
                .collect();
            let output: [Vec<f32>; 2] =
                [0, 1].map(|ch| out.iter().flat_map(|o| o[ch].clone()).collect());
            let part =
                |x: &[Vec<f32>; 2], from: usize, to: usize| x.clone().map(|c| c[from..to].to_vec());
            let s = SEGMENT;
            assert_processed(
                "realtime before",
                &part(&output, fade, s),
                &part(&reference, fade, s),
            );
            // The switch fades like the bypass switch: not yet the input on the first frame…
            assert!(
                first_difference(&part(&output, s, s + 1), &part(&reference, s, s + 1), 0)
                    .is_some(),
                "the pass-through should fade in over {fade} samples, not jump"
            );
            // …and exactly the input once the crossfade is over.
            assert_untouched(
                "offline calls",
                &part(&output, s, 2 * s),
                &part(&reference, s, 2 * s),
                fade,
            );
            assert_processed(
                "realtime after",
                &part(&output, 2 * s + fade, 3 * s),
                &part(&reference, 2 * s + fade, 3 * s),
            );
        },
    );
}

/// The same per-call flag with `offline_render = process`: offline calls are corrected exactly
/// as realtime ones (the same output as an all-realtime run of another instance).
#[test]
fn per_call_offline_flag_processes_when_the_state_opts_in() {
    isolated(
        "per_call_offline_flag_processes_when_the_state_opts_in",
        || {
            let state = preset_state("per-call-process", OfflineRender::Process, &[]);
            let input = signal(2, 2 * SEGMENT);
            let mut realtime = start(&state, Mode::Realtime);
            let want = realtime.process(&input, &BLOCKS, &[Mode::Realtime]);
            let mut mixed = start(&state, Mode::Realtime);
            let head = input.clone().map(|c| c[..SEGMENT].to_vec());
            let rest = tail(&input, SEGMENT);
            let a = mixed.process(&head, &BLOCKS, &[Mode::Realtime]);
            let b = mixed.process(&rest, &BLOCKS, &[Mode::Offline, Mode::Realtime]);
            let got = [0, 1].map(|ch| [a[ch].clone(), b[ch].clone()].concat());
            let reference = delayed(&input, realtime.latency_samples());
            assert_processed(
                "offline calls, offline_render = process",
                &tail(&got, SEGMENT),
                &tail(&reference, SEGMENT),
            );
            let db = difference_db(&tail(&got, SEGMENT), &tail(&want, SEGMENT));
            println!("offline calls vs an all-realtime run: {db:.1} dB RMS difference");
            assert!(
                db < -100.0,
                "offline calls must be processed like realtime ones ({db:.1} dB)"
            );
        },
    );
}

/// pedalboard and JUCE hosts: `setupProcessing(kOffline)`, then activation, then offline calls.
#[test]
fn offline_setup_before_activation_passes_through_from_the_first_sample() {
    isolated(
        "offline_setup_before_activation_passes_through_from_the_first_sample",
        || {
            let input = signal(3, SEGMENT);
            let mut p = start(
                &preset_state("setup-offline", OfflineRender::Bypass, &[]),
                Mode::Offline,
            );
            let out = p.process(&input, &BLOCKS, &[Mode::Offline]);
            let reference = delayed(&input, p.latency_samples());
            assert_untouched("offline from activation", &out, &reference, 0);

            // Linear phase: the pass-through is delayed by the reported latency, bit for bit.
            let linear = ["--filter-mode", "linear_phase"];
            let mut p = start(
                &preset_state("setup-offline-linear", OfflineRender::Bypass, &linear),
                Mode::Offline,
            );
            let out = p.process(&input, &BLOCKS, &[Mode::Offline]);
            let latency = p.latency_samples();
            assert!(
                latency > 1000,
                "linear phase reports its latency ({latency})"
            );
            let reference = delayed(&input, latency);
            assert_untouched(
                &format!("offline from activation, linear phase ({latency} samples late)"),
                &out,
                &reference,
                0,
            );

            let mut p = start(
                &preset_state("setup-offline-process", OfflineRender::Process, &[]),
                Mode::Offline,
            );
            let out = p.process(&input, &BLOCKS, &[Mode::Offline]);
            let reference = delayed(&input, p.latency_samples());
            assert_processed(
                "offline from activation, offline_render = process",
                &out,
                &reference,
            );
        },
    );
}

/// Bug (b) of patches/README.md: realtime setup and activation, deactivation, offline setup,
/// activation: the second activation must see the offline mode, so the pass-through starts on
/// the first sample instead of fading in.
#[test]
fn mode_change_between_activations_is_seen_by_the_next_activation() {
    isolated(
        "mode_change_between_activations_is_seen_by_the_next_activation",
        || {
            let input = signal(4, SEGMENT);
            let mut p = Vst3Plugin::load();
            p.set_state(&preset_state("reactivate", OfflineRender::Bypass, &[]));
            p.setup_processing(RATE, MAX_BLOCK, Mode::Realtime);
            p.set_active(true);
            p.set_processing(true);
            let out = p.process(&input, &BLOCKS, &[Mode::Realtime]);
            let reference = delayed(&input, p.latency_samples());
            assert_processed("first activation, realtime", &out, &reference);
            p.set_processing(false);
            p.set_active(false);
            p.setup_processing(RATE, MAX_BLOCK, Mode::Offline);
            p.set_active(true);
            p.set_processing(true);
            let out = p.process(&input, &BLOCKS, &[Mode::Offline]);
            let reference = delayed(&input, p.latency_samples());
            assert_untouched("second activation, offline", &out, &reference, 0);
        },
    );
}
