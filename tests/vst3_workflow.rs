//! The monitoring workflow through the VST3 plugin (debug build, allocation-checked) in the
//! tiny host of `tests/common/vst3_host.rs`: a `listen` automation point inside a process
//! block (a point of the `IParamValueQueue` in that call's `IParameterChanges`, at its sample
//! offset) starts the crossfade exactly at its frame, without a step larger than the signal's
//! own. The VST3 twin of `listen_automation_lands_on_its_frame_without_a_click` in
//! `tests/clap_workflow.rs`.
//!
//! Each scenario runs in its own child process (`common::isolated`): nice-plug's
//! `assert_process_allocs` aborts on an allocation in `process()`. Run with
//! `cargo test --test vst3_workflow -- --nocapture` to see the figures.

mod common;

use common::isolated;
use common::offline::preset_state;
use common::signal::{max_step, sine};
use common::vst3_host::{Mode, ParamChange, Vst3Plugin};
use refcan::params::ListenChoice;
use refcan::state::OfflineRender;

/// Steps of the `listen` enum (Reference, Slot 1…8): choice k is normalised k / 8.
const LISTEN_STEPS: usize = 8;

/// `state` with its `listen` parameter at choice `listen` (0 = reference), as a project saved
/// with that choice restores it.
fn with_listen(state: &[u8], listen: usize) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(state).expect("state JSON");
    let choice = ListenChoice::from_position(listen).expect("a listen choice");
    let params = doc["params"]
        .as_object_mut()
        .expect("the state has its parameters");
    // nice-plug's `ParamValue` in the state: an enum by its variant id.
    params.insert(
        "listen".into(),
        serde_json::json!({ "string": choice.id() }),
    );
    serde_json::to_vec(&doc).expect("serialise")
}

/// An instance with `state` loaded and `listen` restored with it (0 = reference), set up for
/// realtime, active and processing.
fn plugin_with(state: &[u8], listen: usize, rate: f64, max_block: usize) -> Vst3Plugin {
    let mut p = Vst3Plugin::load();
    p.set_state(&with_listen(state, listen));
    p.setup_processing(rate, max_block, Mode::Realtime);
    p.set_active(true);
    p.set_processing(true);
    p
}

/// The `listen` parameter's VST3 id, as the edit controller lists it.
fn listen_id(plugin: &Vst3Plugin) -> u32 {
    let params = plugin.parameters();
    let listen = params
        .iter()
        .find(|p| p.title == "Listen")
        .unwrap_or_else(|| panic!("no Listen parameter among {params:?}"));
    assert_eq!(
        listen.step_count, LISTEN_STEPS as i32,
        "Listen: Reference and Slot 1…8"
    );
    listen.id
}

#[test]
fn listen_automation_lands_on_its_frame_without_a_click() {
    isolated(
        "listen_automation_lands_on_its_frame_without_a_click",
        || {
            // `refcan preset --headphone` for the synthetic headphone, as the CLAP test; the
            // host runs realtime, so `offline_render` does not apply (`process` anyway).
            let state = preset_state("vst3-workflow-automation", OfflineRender::Process, &[]);
            let rate = 48_000.0;
            let frames = 48_000;
            let x = [
                sine(997.0, rate, frames, 0.5, 0.0),
                sine(211.0, rate, frames, 0.5, 0.3),
            ];
            let mut figures = Vec::new();
            // Reference → Harman in-ear (a big bass change), in-ear → phone (to mono), phone
            // → reference, each inside a 512-frame block.
            let fade_len = (refcan::dsp::engine::SWAP_FADE_MS * 1e-3 * rate).round() as usize;
            for (from, to, at) in [
                (0usize, 2usize, 10_077usize),
                (2, 5, 10_301),
                (5, 0, 10_511),
            ] {
                assert!(at % 512 != 0, "the change must fall inside a block");
                let play = |listen: usize| {
                    let mut p = plugin_with(&state, listen, rate, 512);
                    p.process(&x, &[512], &[Mode::Realtime])
                };
                let (was, will) = (play(from), play(to));
                let mut plugin = plugin_with(&state, from, rate, 512);
                let change = ParamChange {
                    frame: at,
                    id: listen_id(&plugin),
                    normalized: to as f64 / LISTEN_STEPS as f64,
                };
                let y = plugin.process_automated(&x, &[512], &[Mode::Realtime], &[change]);
                for ch in 0..2 {
                    // The output is `from` up to the point's frame, then the raised-cosine
                    // crossfade into `to` starting exactly there (a fade starting one frame
                    // early or late is off by ~1e-4 here), then `to`. Equal to rounding: the
                    // wrapper split the block at the point's sample offset.
                    let expected = |i: usize| {
                        let pos = i.saturating_sub(at).min(fade_len) as f64 / fade_len as f64;
                        let w = 0.5 - 0.5 * (std::f64::consts::PI * pos).cos();
                        let (a, b) = (f64::from(was[ch][i]), f64::from(will[ch][i]));
                        if i < at { a } else { a + w * (b - a) }
                    };
                    let worst = (at - 2_000..at + fade_len + 2_000)
                        .map(|i| (f64::from(y[ch][i]) - expected(i)).abs())
                        .fold(0.0f64, f64::max);
                    assert!(
                        worst < 1e-5,
                        "{from}→{to} ch {ch}: off the crossfade at {at} by {worst}"
                    );
                    let moved = (at..at + fade_len).any(|i| (y[ch][i] - was[ch][i]).abs() > 1e-3);
                    assert!(moved, "{from}→{to} ch {ch}: the switch is not audible");
                    // No step larger than the played sines' own (before and after the fade).
                    let steady = max_step(&y[ch][2_000..at]).max(max_step(&y[ch][at + fade_len..]));
                    let across = max_step(&y[ch][at - 1_000..at + fade_len]);
                    assert!(
                        across <= steady * 1.001,
                        "{from}→{to} ch {ch}: step {across} across the switch vs {steady}"
                    );
                    figures.push(format!(
                        "{from}→{to} ch {ch}: off the crossfade starting at its frame by \
                         {worst:.1e}; largest step {across:.4} vs the sine's {steady:.4}"
                    ));
                }
            }
            println!("VST3 listen automation: {}", figures.join("; "));
        },
    );
}
