//! Issue 16, item 2: a CLAP stress host run. The debug plugin (nice-plug's
//! `assert_process_allocs` aborts on any allocation inside `process()`) is driven through the
//! clack-host test host by a seeded random schedule:
//!
//! - activations at random rates in 22.05–384 kHz with random `max_frames` (64…8192), each
//!   followed by several `start_processing … stop_processing` runs and then a deactivation
//!   (every re-activation is a reset and, usually, a sample-rate change);
//! - random block sizes 1…`max_frames` (the host cycles through a random plan per run);
//! - `listen` automation on every sample of a stretch of up to 4096 frames (sample-accurate
//!   events), and parameter storms: every parameter, random values, many events per block;
//! - state loads between runs while the plugin is active (prepared states with a headphone,
//!   without one, with other slots and in all three engines, plus states saved mid-run), so
//!   the headphone, the slots and the engine change mid-playback;
//! - NaN, ±infinity and subnormal bursts in the input;
//! - `process()` calls with no frames (one block in 20), in-place processing (half the runs:
//!   input and output are the same memory), `reset()` on the audio thread before random
//!   blocks, and state loads on the main thread while the audio thread is processing.
//!
//! Checked: no panic or abort (the scenario runs in a child process); every output sample is
//! finite and not subnormal; from the first block that starts after a burst ends, the output is
//! bounded (|y| < 4) again, i.e. it recovers within one block; RSS (VmRSS) after warm-up grows
//! by at most [`RSS_GROWTH_LIMIT_KB`].
//!
//! `REFCAN_STRESS_SECONDS` sets the amount of audio (default [`DEFAULT_SECONDS`], a few seconds
//! of wall time in debug); `REFCAN_STRESS_SEED` the seed. `REFCAN_CLAP_PATH` points the host at
//! another build (e.g. the release `librefcan.so`). Long runs (see docs) set
//! `REFCAN_TEST_SCENARIO=stress_random_schedule` so the scenario runs in-process, without the
//! child's 10-minute timeout:
//!
//! ```text
//! REFCAN_STRESS_SECONDS=600 REFCAN_TEST_SCENARIO=stress_random_schedule \
//!   cargo test --test clap_stress -- --exact stress_random_schedule --nocapture
//! ```

mod common;

use common::fixtures::{TARGET, clap_blob, temp_dir, write_headphone, write_mono_headphone};
use common::host::{Param, ParamChange, Plugin, RunOptions};
use common::isolated;
use common::memory::rss_kb;
use common::signal::Rng;
use std::path::Path;
use std::time::Instant;

/// Audio seconds processed when `REFCAN_STRESS_SECONDS` is not set (CI).
const DEFAULT_SECONDS: f64 = 6.0;

/// The seed when `REFCAN_STRESS_SECONDS` is not set.
const DEFAULT_SEED: u64 = 0x5EED_0016;

/// Sample rates the schedule activates at.
const RATES_HZ: [f64; 10] = [
    22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0, 352_800.0,
    384_000.0,
];

/// `max_frames` the schedule activates with.
const MAX_FRAMES: [usize; 6] = [64, 256, 512, 1024, 4096, 8192];

/// Recovered output stays below this (the input is ≤ 0.25 full scale).
const RECOVERED_BOUND: f32 = 4.0;

/// Allowed VmRSS growth of the end of the run over the highest of the warm-up and mid-run
/// readings, kB. The heap legitimately swings by tens of MB with the activation (a 384 kHz
/// linear-phase engine with 8192-frame blocks is far bigger than a 22 kHz Low CPU one), so
/// "flat" means no growth beyond what was already reached, not equal readings.
const RSS_GROWTH_LIMIT_KB: i64 = 8 * 1024;

/// A state from `refcan preset` with `args`, as the CLAP blob a host stores.
fn preset(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let path = dir.join(format!("{name}.json"));
    let mut all = vec!["preset", "-o", path.to_str().expect("utf8")];
    all.extend_from_slice(args);
    common::fixtures::refcan(&all);
    clap_blob(&std::fs::read(path).expect("state"))
}

/// What happened, for the summary.
#[derive(Default, Debug)]
struct Counts {
    audio_seconds: f64,
    runs: usize,
    blocks: usize,
    events: usize,
    listen_sample_events: usize,
    storms: usize,
    state_loads: usize,
    state_saves: usize,
    activations: usize,
    rate_changes: usize,
    bursts: usize,
    max_recovery_blocks: usize,
    zero_blocks: usize,
    in_place_runs: usize,
    resets: usize,
    loads_while_processing: usize,
    max_abs_clean: f32,
}

/// Kind of garbage in a burst.
fn garbage(rng: &mut Rng) -> f32 {
    match rng.int(0, 5) {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => f32::NEG_INFINITY,
        3 => f32::MIN_POSITIVE * rng.range(0.0, 0.99) as f32, // subnormal
        4 => -f32::MIN_POSITIVE * rng.range(0.0, 0.99) as f32,
        _ => -f32::NAN,
    }
}

/// A random CLAP value for `p` (integers for stepped parameters).
fn random_value(rng: &mut Rng, p: &Param) -> f64 {
    let stepped = p
        .flags
        .contains(clack_extensions::params::ParamInfoFlags::IS_STEPPED);
    if stepped {
        rng.int(p.min as usize, p.max as usize) as f64
    } else {
        rng.range(p.min, p.max)
    }
}

#[test]
fn stress_random_schedule() {
    isolated("stress_random_schedule", || {
        let seconds: f64 = std::env::var("REFCAN_STRESS_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_SECONDS);
        let seed: u64 = std::env::var("REFCAN_STRESS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_SEED);
        let wall = Instant::now();
        let dir = temp_dir("stress");
        let hp = write_headphone(&dir);
        let mono = write_mono_headphone(&dir);
        let hp = hp.to_str().expect("utf8");
        let mono = mono.to_str().expect("utf8");
        let slot8 = format!("8={mono}");
        let slot3 = format!("3={hp}");
        let mut states = vec![
            preset(&dir, "none", &[]),
            preset(&dir, "none-low", &["--filter-mode", "low_cpu"]),
            preset(
                &dir,
                "zl",
                &[
                    "--headphone",
                    hp,
                    "--target",
                    TARGET,
                    "--filter-mode",
                    "zero_latency",
                ],
            ),
            preset(
                &dir,
                "lp",
                &[
                    "--headphone",
                    hp,
                    "--filter-mode",
                    "linear_phase",
                    "--slot",
                    "1=tv",
                    "--slot",
                    &slot8,
                ],
            ),
            preset(
                &dir,
                "low",
                &[
                    "--headphone",
                    mono,
                    "--filter-mode",
                    "low_cpu",
                    "--slot",
                    &slot3,
                    "--listen",
                    "slot-3",
                ],
            ),
        ];
        let prepared = states.len();

        let mut rng = Rng::new(seed);
        let mut plugin = Plugin::new().expect("instantiate");
        let params = plugin.params();
        assert!(!params.is_empty());
        let listen = common::host::clap_param_id("listen");
        let channels = plugin.channels().expect("channels");
        let mut c = Counts::default();
        let mut last_rate = 0.0;
        let rss_start = rss_kb();
        let (mut rss_warm, mut rss_mid) = (None, None);

        while c.audio_seconds < seconds {
            // A new activation: random rate and max block; the previous one was deactivated.
            let rate = RATES_HZ[rng.int(0, RATES_HZ.len() - 1)];
            let max_frames = MAX_FRAMES[rng.int(0, MAX_FRAMES.len() - 1)];
            if rng.unit() < 0.3 {
                let s = rng.int(0, states.len() - 1);
                plugin.load_state(&states[s]).expect("load while inactive");
                c.state_loads += 1;
            }
            plugin.activate(rate, max_frames).expect("activate");
            c.activations += 1;
            if rate != last_rate {
                c.rate_changes += 1;
                last_rate = rate;
            }
            for _ in 0..rng.int(1, 6) {
                // Between runs, while active: state loads, saves and flushed changes.
                match rng.int(0, 5) {
                    0 | 1 => {
                        let s = rng.int(0, states.len() - 1);
                        plugin.load_state(&states[s]).expect("load while active");
                        c.state_loads += 1;
                    }
                    2 => {
                        let blob = plugin.save_state().expect("save");
                        c.state_saves += 1;
                        if states.len() < prepared + 8 {
                            states.push(blob);
                        } else {
                            let k = rng.int(prepared, states.len() - 1);
                            states[k] = blob;
                        }
                    }
                    3 => {
                        let changes: Vec<(u32, f64)> = params
                            .iter()
                            .map(|p| (p.id, random_value(&mut rng, p)))
                            .collect();
                        c.events += changes.len();
                        plugin.flush(&changes);
                    }
                    _ => {}
                }
                // ≤ 0.4 s of audio per run, and at most 64k frames.
                let frames = rng.int(1, ((rate * 0.4) as usize).min(65_536));
                let mut input: Vec<Vec<f32>> = (0..channels)
                    .map(|_| (0..frames).map(|_| rng.range(-0.25, 0.25) as f32).collect())
                    .collect();
                // Block plan; the host cycles through it.
                let mut blocks = Vec::new();
                let mut covered = 0;
                while covered < frames {
                    let n = match rng.int(0, 19) {
                        0 => 0, // a process() call with no frames
                        1..=5 => rng.int(1, 16.min(max_frames)),
                        _ => rng.int(1, max_frames),
                    };
                    blocks.push(n);
                    covered += n;
                }
                c.zero_blocks += blocks.iter().filter(|&&n| n == 0).count();
                let starts: Vec<usize> = blocks
                    .iter()
                    .scan(0, |s, &n| {
                        let b = *s;
                        *s += n;
                        Some(b)
                    })
                    .collect();
                // Bursts of garbage in the input.
                let mut burst = None;
                if rng.unit() < 0.35 {
                    let b0 = rng.int(0, frames - 1);
                    let b1 = (b0 + rng.int(1, 4096)).min(frames);
                    for ch in input.iter_mut() {
                        for x in &mut ch[b0..b1] {
                            *x = if rng.unit() < 0.7 {
                                garbage(&mut rng)
                            } else {
                                *x
                            };
                        }
                    }
                    burst = Some((b0, b1));
                    c.bursts += 1;
                }
                // Events.
                let mut changes = Vec::new();
                if rng.unit() < 0.3 {
                    // `listen` on every sample of a stretch.
                    let a = rng.int(0, frames - 1);
                    let b = (a + rng.int(1, 4096)).min(frames);
                    let mut value = rng.int(0, 8);
                    for frame in a..b {
                        if rng.unit() < 0.5 {
                            value = rng.int(0, 8);
                        }
                        changes.push(ParamChange {
                            frame,
                            id: listen,
                            value: value as f64,
                        });
                    }
                    c.listen_sample_events += b - a;
                }
                if rng.unit() < 0.3 {
                    // A storm: every parameter, many events.
                    for p in &params {
                        for _ in 0..rng.int(1, 64) {
                            changes.push(ParamChange {
                                frame: rng.int(0, frames - 1),
                                id: p.id,
                                value: random_value(&mut rng, p),
                            });
                        }
                    }
                    c.storms += 1;
                }
                c.events += changes.len();
                // In place half the time; CLAP resets on the audio thread; state loads on the
                // main thread while the audio thread plays.
                let mut options = RunOptions {
                    in_place: rng.unit() < 0.5,
                    ..RunOptions::default()
                };
                if rng.unit() < 0.3 {
                    for _ in 0..rng.int(1, 3) {
                        options.resets_before.push(rng.int(0, blocks.len() - 1));
                    }
                }
                if rng.unit() < 0.3 {
                    for _ in 0..rng.int(1, 4) {
                        options
                            .loads_during
                            .push(states[rng.int(0, states.len() - 1)].clone());
                    }
                }
                let run = plugin
                    .process_with(&input, &blocks, &changes, &options)
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                c.in_place_runs += usize::from(options.in_place);
                c.resets += options.resets_before.len();
                c.state_loads += run.loads_during;
                c.loads_while_processing += run.loads_while_processing;
                let out = run.outputs;
                c.runs += 1;
                c.blocks += blocks.len();
                c.audio_seconds += frames as f64 / rate;

                // Every sample finite and not subnormal.
                for (ch, y) in out.iter().enumerate() {
                    if let Some(i) = y.iter().position(|v| !v.is_finite() || v.is_subnormal()) {
                        panic!(
                            "seed {seed}, run {}: channel {ch} frame {i} of {frames} is {} \
                             ({rate} Hz, max_frames {max_frames}, burst {burst:?})",
                            c.runs, y[i]
                        );
                    }
                }
                // Bounded from the first block starting at or after the end of the burst;
                // count the blocks it takes (0 when the first clean block is already bounded).
                let clean_from = burst.map_or(0, |(_, b1)| b1);
                let first_clean = starts.partition_point(|&s| s < clean_from);
                let mut recovery = 0;
                for (k, &s) in starts.iter().enumerate().skip(first_clean) {
                    let e = (s + blocks[k]).min(frames);
                    let peak = out
                        .iter()
                        .map(|y| y[s..e].iter().fold(0.0f32, |m, v| m.max(v.abs())))
                        .fold(0.0f32, f32::max);
                    c.max_abs_clean = c.max_abs_clean.max(peak);
                    if peak >= RECOVERED_BOUND {
                        recovery = k - first_clean + 1;
                    }
                }
                c.max_recovery_blocks = c.max_recovery_blocks.max(recovery);
                assert!(
                    recovery == 0,
                    "seed {seed}, run {}: output above {RECOVERED_BOUND} in a clean block \
                     {recovery} blocks after the input was clean (burst {burst:?}, peak {})",
                    c.runs,
                    c.max_abs_clean
                );
            }
            plugin.deactivate();
            if rss_warm.is_none() && c.audio_seconds >= seconds * 0.1 {
                rss_warm = Some(rss_kb());
            }
            if rss_mid.is_none() && c.audio_seconds >= seconds * 0.5 {
                rss_mid = Some(rss_kb());
            }
        }
        let rss_active = rss_kb();
        drop(plugin);
        let rss_end = rss_kb();
        let rss_warm = rss_warm.unwrap_or(rss_start);
        let rss_mid = rss_mid.unwrap_or(rss_warm);
        println!(
            "stress (seed {seed}): {:.1} s of audio in {:.1} s wall; {} runs, {} blocks, {} events \
             ({} listen-every-sample, {} storms), {} state loads, {} saves, {} activations, {} rate \
             changes, {} NaN/inf/denormal bursts, max recovery blocks {}, max |y| in clean blocks \
             {:.3}; {} zero-frame calls, {} in-place runs, {} resets, {} state loads while the \
             audio thread played; VmRSS start {} kB, after warm-up {} kB, mid {} kB, last activation {} kB, end {} kB",
            c.audio_seconds,
            wall.elapsed().as_secs_f64(),
            c.runs,
            c.blocks,
            c.events,
            c.listen_sample_events,
            c.storms,
            c.state_loads,
            c.state_saves,
            c.activations,
            c.rate_changes,
            c.bursts,
            c.max_recovery_blocks,
            c.max_abs_clean,
            c.zero_blocks,
            c.in_place_runs,
            c.resets,
            c.loads_while_processing,
            rss_start,
            rss_warm,
            rss_mid,
            rss_active,
            rss_end
        );
        // With the instance dropped, memory must not stay above what the run already reached
        // (a leak grows with the run; a short CI run reaches its peak at some activation).
        let reached = rss_warm.max(rss_mid).max(rss_active);
        assert!(
            rss_end - reached <= RSS_GROWTH_LIMIT_KB,
            "VmRSS is {rss_end} kB after the instance was dropped, above the {reached} kB \
             reached while it ran (after warm-up {rss_warm} kB, mid {rss_mid} kB, last \
             activation {rss_active} kB)"
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}
