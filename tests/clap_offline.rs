//! Offline-render safety through the CLAP host (clack-host), measured on the audio. CLAP says
//! "offline" with the render extension's `set`, not per process call: before activation the
//! pass-through is exact from the first sample; while active the switch fades in (10 ms) and
//! nice-plug asks for a restart, after which it is exact from the first sample again. With
//! `offline_render = process`, an offline render is corrected.
//!
//! The plugin is the debug cdylib (`assert_process_allocs`), each scenario in a child process.
//! Run with `-- --nocapture` to see the figures.

mod common;

use clack_extensions::render::RenderMode;
use common::host::Plugin;
use common::isolated;
use common::offline::{
    assert_processed, assert_untouched, delayed, first_difference, preset_state, signal,
};
use common::signal::ms_to_frames;
use refcan::dsp::output::SWITCH_FADE_MS;
use refcan::state::OfflineRender;

const RATE: f64 = 48_000.0;
const MAX_BLOCK: usize = 512;
const BLOCKS: [usize; 3] = [512, 173, 64];
const SECOND: usize = 48_000;

/// nice-plug's CLAP state: the state JSON behind its length (u64 LE).
fn clap_blob(json: &[u8]) -> Vec<u8> {
    let mut blob = (json.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(json);
    blob
}

/// An instance with `choice`, in render `mode` (if any) before activation, then activated.
fn start(name: &str, choice: OfflineRender, mode: Option<RenderMode>) -> Plugin {
    let mut p = Plugin::new().expect("load the plugin");
    p.load_state(&clap_blob(&preset_state(name, choice, &[])))
        .expect("load the state");
    if let Some(mode) = mode {
        p.set_render_mode(mode).expect("render.set");
    }
    p.activate(RATE, MAX_BLOCK).expect("activate");
    p
}

fn run(p: &mut Plugin, input: &[Vec<f32>; 2]) -> [Vec<f32>; 2] {
    let out = p.process(input, &BLOCKS, &[]).expect("process");
    out.try_into().expect("two channels")
}

#[test]
fn render_offline_before_activation_passes_through_from_the_first_sample() {
    isolated(
        "render_offline_before_activation_passes_through_from_the_first_sample",
        || {
            let input = signal(11, SECOND);
            let mut p = start(
                "clap-offline",
                OfflineRender::Bypass,
                Some(RenderMode::Offline),
            );
            let out = run(&mut p, &input);
            let reference = delayed(&input, p.latency_samples() as usize);
            assert_untouched("CLAP offline from activation", &out, &reference, 0);

            let mut p = start(
                "clap-process",
                OfflineRender::Process,
                Some(RenderMode::Offline),
            );
            let out = run(&mut p, &input);
            let reference = delayed(&input, p.latency_samples() as usize);
            assert_processed("CLAP offline, offline_render = process", &out, &reference);

            let mut p = start("clap-realtime", OfflineRender::Bypass, None);
            let out = run(&mut p, &input);
            let reference = delayed(&input, p.latency_samples() as usize);
            assert_processed("CLAP realtime", &out, &reference);
        },
    );
}

#[test]
fn render_offline_while_active_fades_in_and_the_restart_is_exact() {
    isolated(
        "render_offline_while_active_fades_in_and_the_restart_is_exact",
        || {
            let fade = ms_to_frames(SWITCH_FADE_MS as f64, RATE);
            let input = signal(12, SECOND);
            let mut p = start("clap-switch", OfflineRender::Bypass, None);
            let reference = delayed(&input, p.latency_samples() as usize);
            assert_processed("CLAP realtime", &run(&mut p, &input), &reference);
            p.set_render_mode(RenderMode::Offline)
                .expect("render.set(offline)");
            assert!(
                p.take_restart_request(),
                "nice-plug asks for a restart when the render mode changes while active"
            );
            // Blocks a host may still process before it restarts the plugin.
            let out = run(&mut p, &input);
            assert!(
                first_difference(&out, &reference, 0) == Some(0),
                "the switch fades in rather than jumping"
            );
            assert_untouched("CLAP offline, before the restart", &out, &reference, fade);
            p.deactivate();
            p.activate(RATE, MAX_BLOCK).expect("reactivate");
            let out = run(&mut p, &input);
            assert_untouched("CLAP offline, after the restart", &out, &reference, 0);
        },
    );
}
